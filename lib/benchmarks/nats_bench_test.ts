import assert from "node:assert/strict";
import { hasBzip2Cli } from "../data/bzip2.ts";
import { nb201ParamCount } from "../spaces/nb201/param_count.ts";
import { NATS_DATASETS, NATS_SETS, readNatsBenchPath, readNatsTss, readNatsTssMeta } from "./nats_bench.ts";
import { type NatsFixtureQuery, writeNatsTssFixture } from "./testing/nats_fixture.ts";
import { readTruth } from "./nb201_truth.ts";

const cli = await hasBzip2Cli();

/** Capture console.warn while `fn` runs. */
async function warnings<T>(fn: () => Promise<T>): Promise<[T, string[]]> {
  const seen: string[] = [];
  const orig = console.warn;
  console.warn = (...a: unknown[]) => void seen.push(a.map(String).join(" "));
  try {
    return [await fn(), seen];
  } finally {
    console.warn = orig;
  }
}

function near(actual: number | undefined, expected: number, what: string): void {
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-9, `${what}: ${actual} ≠ ${expected}`);
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * A per-arch file written by Python itself, in the real layout: NATS-Bench's own `ResultsCount` /
 * `ArchResults` classes (nats_bench/api_utils.py) filled with synthetic numbers, `state_dict()` per
 * hp in an OrderedDict, `pickle.dumps(protocol=4)` (numpy 2 `np.float64` params/latency, OrderedDict
 * train_times, `(dataset, seed)` tuple keys, seeds stored as '0777'), `bz2.compress(…, 9)`.
 * arch_index 42, hp "12": 2 epochs, hp "200": 3 epochs; cifar10-valid seeds [111, 777] / [777, 888],
 * the other datasets one seed (111 / 777). Dataset d = 0..3 in NATS_DATASETS order, seed s, epoch e,
 * eval set k (position in the dataset's eval list x-valid, [x-test], ori-test):
 * train acc = 10d + e + s/1000, train loss = 2 - e/8 + s/1e4,
 * eval acc = 50 + 10d + k + e/4 + s/1000, eval loss = 1 + k/2 + e/16 + s/1e5,
 * params = 0.5 + d/8, flop = 25 + d, latency = [0.001 (d + 1)].
 */
const PY_PROTOCOL4_PBZ2 =
  "QlpoOTFBWSZTWYB/ArAACNx/////////+////7v3m////+d/7+/D/uM3vafgPK/87/7/4Ac/NBQEgSo8ga0FGgQADTIAyMRkaAA0AMmj" +
  "TQNAAAAAAaDTIyNABoNNGhiAAZDQGhoGgDRkAAGkjRNG1B6EFDaj1NinlDQABkAAAAaANAGjQAZAGnqAAaAep6gAAAADIAA0GgQADTIA" +
  "yMRkaAA0AMmjTQNAAAAAAaDTIyNABoNNGhiAAZDQGhoGgDRkAAIelSp5QPUGhoAA0aGhoDQGgaNBoyAMgaAANAAAAaaDQAA0ABpiAAAZ" +
  "MgABAANMgDIxGRoADQAyaNNA0AAAAABoNMjI0AGg00aGIABkNAaGgaANGQAASJEI0hoU8I00I9E8iaZPQU9TzSZMnqnqeKZqeUbKbQ01" +
  "No1MmR6nqaYQYQNPNU9QZkmymhptJoNGh6mh6mmnqZHqMNGRontUsJLIyNZrJOUo9RCRQgaBuM1IRUIQKwCDXkIQJi+NAgaYkwYxMYBl" +
  "jkIzGZws1hxbC9t9wuNyud0utDKomTsrLLJQl6l8l+mAlLQmOAiLF5sEFYgORJpKGggGIAbSIxUd/NG2JEmpTQve6HtkRERHuB4lFIh8" +
  "kLq5klHaW5E0hoJoF8gRBIQwQ4EdiIkJEmCVgUKGNDTbR2O6gkge/IQX2gbkVCGTQX9xIwZoIDsIQQfRZXJBWEi7sTSFqeLjelu4lwqP" +
  "776JYpZQaPs9J0nZoFQkHJFIkSFFP2rJMY5znOc5znrQDaUgJxCrAjGEpBEBkkIQhlFNhcI44gFkiHK0gxThEIM8b2EHAEvrC04xjAYx" +
  "jQ22kMP2sEapgZYbtFk0umrQfd8LhUn+hmtNbtxGYWAJE7uh0nBUBMNjhZWKeFaMDhoLkSLIY2r1ds3FFmpIiZgoLRaJFAx5rZn7t3x3" +
  "4ogvarh4CO9R2ltBCJfSPt7/gWAqGMYxjOYddgIFJBPsgywceo+sQKhI++eKvGHvV7JzTnEtvWxJCOGGhExgxgwYmMGMGNNjZCQglaQJ" +
  "UrBEBDLdmAAd0HFMbxBjH5/QaE+53XA5E3k5Gd1uv2Oz2quml56s+Nrk/L5/ykigAUuj6vh931zroVJijxp6JY4UB0Gnr9+iE06DTdE4" +
  "2sHLJHjSc5SYeL0+excSk6bEgxL00KGkY2LQLGxoEUjEUigbbbcDIggjyl3DFMmTmkhaYNmwDd074ST9fcmlCOSjxLQjzPc43wN8YMjR" +
  "66wiqk7UL5ovPIQS4iHxED3DkUQlBuJSXoeQeftvte0BciW+pzpnSuPncNBLzUE4dPpG1CS1O2gF5oipsEQjDGIYUMu2juxecg90SuDy" +
  "UrOBgWYiO7RNhQeuIOT2DxRfwk9rd2jvSvCyazpgL93tqrhddWviESEkQn4xjIASBTGIEUNkHRSkltflTti02akUUfwKl80OGAP0QDhV" +
  "7uFEdFVPOclWbfILAKGUES5gtUWYIo5Fudg5HDKkFRTn8PDLJOgwDCSwzM02NVnIQCs99JGtZUMo47VNDE+Hir5hSPeHCVmS455pAO6H" +
  "DTwIRyISD7cGGfVUIOkWnLw05UgwUDEFKDzEFaCSDzkFYj9KQNBgIGgfTNjbd8gxEmVk9I23ZEHpjQenQUfrbbnYL4xQpKbNNZSU0lNL" +
  "b9VtxVUVENoUICGAobU5oKiAACZTgAAJlAFqd2Zo20UFtdneqvIQmqzNcF4GiNEiABOAAggZIAIAbcN3SOeJ837HohAllGOcLK15rr1X" +
  "7L/ROUhJTzmDglGaNyKjl2ietr0w5D+JEgr+FZlqVPp7aLOSo2Ho6mqZlmwDUywbjQwrplGDQS1qBagRM56BVhsjMqs63jyMG82BeYfx" +
  "8ypDxwema5U7NmEgJ0vGuaM7InnB1FhICkaSur6AK8xdyrSAaswzcoBVWTM7NdbVRm6DqRzPmMFBy/mmu3syf1SJy6jYncVHMx+3/Rvv" +
  "Z7ndMNKtggx0YJ5ZZ2n1yPUasDBAX+/GLCGMIRQ5MqxSwN8uDNKCAgNvJazKHgsoCxAlPnIUIGUGQI0oa4EZIHZdsa0tdBGv1HUxbsfk" +
  "5bymoOlQOzPL+R9U6GdM6rB8R2aUdmGoqeAAAADcHfAxoe9LV7gX7jJQLRHUAjb7TrD8AdcYuyFbBGvVpttv1rNB1TPPq4siNkLrxKve" +
  "Tx8RQxOWmhTckRKQHdSgUwNZkNrH7n4eaOrppbnMnObcpQVaOuBUzbqqKoic24m4Kyq46WF17wrUKm+bDnHKPV9bwel7wWgDPjR76U8T" +
  "QFyr4S+oIYnzCBCIcA2DBb/V6qpjjBeATp0yQJIBJAkhJAJIEkRsT4ug2daqW0hbW3Y4OUCI3l4goG7AE8SyIoQW9WxnoMpLmxaQSH4N" +
  "7I6sEXFm/sXFuVzFsC2MK94+2lajUe2Grze2PdD4DPI8ZJaIDP6SA5oeOR3gH9jn5j2sieU+iBDszbdb0Gv6KMFsBVMIf8T7nWbbruC5" +
  "BOsdajAoJAIsaPYRFXBXOYwj3gZ0WX/b+x/Tx7rmWrB74M4jGC6BO6uAPLXQQLWGSinyRfxF/7/BcnBGXiSFuggXKBnVEjLQMoNOjgZt" +
  "jfaiVBRsEraDjkgRyC072XRAaOKl0QuyQDGAzyhQDDuhiKUEiQDRlpNHGGJh7B/8XckU4UJCAfwKwA==";

const PY_ARCH = "|nor_conv_1x1~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_3x3~1|skip_connect~2|";

Deno.test("NATS set names: get_more_info's mapping", () => {
  assert.deepEqual(NATS_SETS["cifar10-valid"], { valid: "x-valid", test: "ori-test" });
  assert.deepEqual(NATS_SETS.cifar10, { test: "ori-test" });
  assert.deepEqual(NATS_SETS.cifar100, { valid: "x-valid", test: "x-test", valtest: "ori-test" });
  assert.deepEqual(NATS_SETS["ImageNet16-120"], { valid: "x-valid", test: "x-test", valtest: "ori-test" });
});

Deno.test("readNatsBenchPath: a per-arch file pickled by Python (protocol 4, real layout)", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/000042.pickle.pbz2`;
    const b64 = atob(PY_PROTOCOL4_PBZ2);
    await Deno.writeFile(path, Uint8Array.from(b64, (c) => c.charCodeAt(0)));
    const t = await readNatsBenchPath(path, { costs: true });
    // hp 200 (default), last epoch e = 2, mean over seeds
    const seeds = (d: number) => (d === 0 ? [777, 888] : [777]);
    const m = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    NATS_DATASETS.forEach((ds, d) => {
      const s = seeds(d);
      near(t.get(PY_ARCH, ds, "train_accuracy"), m(s.map((x) => 10 * d + 2 + x / 1000)), `${ds} train acc`);
      near(t.get(PY_ARCH, ds, "train_loss"), m(s.map((x) => 2 - 2 / 8 + x / 1e4)), `${ds} train loss`);
      const evalAcc = (k: number) => m(s.map((x) => 50 + 10 * d + k + 0.5 + x / 1000));
      const evalLoss = (k: number) => m(s.map((x) => 1 + k / 2 + 2 / 16 + x / 1e5));
      // k: position in the file's eval list — cifar10-valid [x-valid, ori-test], cifar10 [ori-test],
      // cifar100 / ImageNet16-120 [x-valid, x-test, ori-test]
      const k = ds === "cifar10-valid"
        ? { val: 0, test: 1 }
        : ds === "cifar10"
        ? { test: 0 }
        : { val: 0, test: 1, valtest: 2 };
      for (const [name, kk] of Object.entries(k)) {
        near(t.get(PY_ARCH, ds, `${name}_accuracy`), evalAcc(kk), `${ds} ${name} acc`);
        near(t.get(PY_ARCH, ds, `${name}_loss`), evalLoss(kk), `${ds} ${name} loss`);
      }
      near(t.get(PY_ARCH, ds, "params"), 0.5 + d / 8, `${ds} params`);
      near(t.get(PY_ARCH, ds, "flops"), 25 + d, `${ds} flops`);
      near(t.get(PY_ARCH, ds, "latency"), 0.001 * (d + 1), `${ds} latency`);
      assert.equal(t.metrics(ds).length, 2 + 2 * Object.keys(k).length + 3, ds);
    });
    assert.equal(t.get(PY_ARCH, "cifar10", "val_accuracy"), undefined);
    // hp 12 (warns), one seed: e = 1
    const [t12, warned] = await warnings(() =>
      readNatsBenchPath(path, { hp: "12", seed: 777, datasets: ["cifar10-valid"] })
    );
    assert.equal(warned.length, 1);
    assert.match(warned[0], /hp '12'.*12-epoch.*not the final 200-epoch/);
    near(t12.get(PY_ARCH, "cifar10-valid", "val_accuracy"), 50 + 0.25 + 0.777, "hp 12 val acc");
    near(t12.get(PY_ARCH, "cifar10-valid", "train_loss"), 2 - 1 / 8 + 0.0777, "hp 12 train loss");
    assert.deepEqual(t12.datasets(), ["cifar10-valid"]);
    await assert.rejects(
      () => readNatsBenchPath(path, { seed: 111 }),
      /seed 111 of .*000042\.pickle\.pbz2 hp 200 cifar10-valid.*seeds 777, 888/,
    );
  });
});

/** Deterministic fixture values, also computable here independently. */
const DS = Object.fromEntries(NATS_DATASETS.map((d, i) => [d, i])) as Record<string, number>;
const SET = { train: 0, "x-valid": 1, "x-test": 2, "ori-test": 3 } as const;
const value = (q: Omit<NatsFixtureQuery, "arch">) => ({
  accuracy: 10 * q.index + DS[q.dataset] + SET[q.set] / 10 + q.seed / 1e4 + q.epoch / 1e3 +
    (q.hp === "12" ? 0.5 : 0),
  loss: 1 / (1 + q.index + q.seed + q.epoch) + SET[q.set],
});
const ARCHS = [
  "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
  "|none~0|+|skip_connect~0|nor_conv_1x1~1|+|nor_conv_3x3~0|avg_pool_3x3~1|none~2|",
  "|avg_pool_3x3~0|+|avg_pool_3x3~0|avg_pool_3x3~1|+|avg_pool_3x3~0|avg_pool_3x3~1|avg_pool_3x3~2|",
];
const EPOCHS = { "12": 3, "200": 5 };

Deno.test({
  name: "writeNatsTssFixture → readNatsTss round trip (mean, seed, selection, hp, errors)",
  ignore: !cli,
  fn: async () => {
    await withTempDir(async (dir) => {
      const folder = `${dir}/NATS-tss-v1_0-3ffb9-simple`;
      // archs given as a string and as op tuples; index = position
      await writeNatsTssFixture(folder, [ARCHS[0], [0, 1, 2, 3, 4, 0], [4, 4, 4, 4, 4, 4]], value, {
        epochs: EPOCHS,
      });
      const names = [];
      for await (const e of Deno.readDir(folder)) names.push(e.name);
      assert.deepEqual(names.sort(), [
        "000000.pickle.pbz2",
        "000001.pickle.pbz2",
        "000002.pickle.pbz2",
        "meta.pickle.pbz2",
      ]);
      assert.deepEqual(await readNatsTssMeta(folder), ARCHS);

      const [t, warned] = await warnings(() => readNatsTss(folder));
      assert.equal(warned.length, 0);
      // 3 archs × (cifar10-valid 6 + cifar10 4 + cifar100 8 + ImageNet16-120 8) metrics
      assert.equal(t.size, 3 * 26);
      const last = EPOCHS["200"] - 1, seeds = [777, 888, 999];
      const mean = (f: (s: number) => number) => seeds.reduce((a, s) => a + f(s), 0) / seeds.length;
      ARCHS.forEach((arch, index) => {
        for (const dataset of NATS_DATASETS) {
          const q = (set: NatsFixtureQuery["set"], s: number) =>
            value({ index, hp: "200", dataset, seed: s, set, epoch: last });
          near(
            t.get(arch, dataset, "train_accuracy"),
            mean((s) => q("train", s).accuracy),
            `${arch} ${dataset}`,
          );
          near(t.get(arch, dataset, "train_loss"), mean((s) => q("train", s).loss), `${arch} ${dataset}`);
          const sets = NATS_SETS[dataset];
          for (
            const [name, set] of [["val", sets.valid], ["test", sets.test], [
              "valtest",
              sets.valtest,
            ]] as const
          ) {
            if (!set) {
              assert.equal(t.get(arch, dataset, `${name}_accuracy`), undefined);
              continue;
            }
            near(
              t.get(arch, dataset, `${name}_accuracy`),
              mean((s) => q(set, s).accuracy),
              `${dataset} ${name}`,
            );
            near(
              t.get(arch, dataset, `${name}_loss`),
              mean((s) => q(set, s).loss),
              `${dataset} ${name} loss`,
            );
          }
        }
      });
      // spot value by hand: arch 1, cifar100 test = x-test, epoch 4, seeds 777/888/999
      near(t.get(ARCHS[1], "cifar100", "test_accuracy"), 10 + 2 + 0.2 + 0.0888 + 0.004, "hand value");

      // one seed, chosen archs (string, tuple, NATS index), one dataset, hp 12 warns
      const [one, w12] = await warnings(() =>
        readNatsTss(folder, { archs: [2, [0, 1, 2, 3, 4, 0]], hp: "12", seed: 111, datasets: ["cifar10"] })
      );
      assert.equal(w12.length, 1);
      assert.deepEqual([...one.values("cifar10", "test_accuracy").keys()], [ARCHS[2], ARCHS[1]]);
      near(
        one.get(ARCHS[2], "cifar10", "test_accuracy"),
        20 + 1 + 0.3 + 0.0111 + 0.002 + 0.5,
        "hp 12 seed 111",
      );
      const progress: string[] = [];
      await readNatsTss(folder, { archs: [ARCHS[0]], onProgress: (d, n) => progress.push(`${d}/${n}`) });
      assert.deepEqual(progress, ["1/1"]);

      // every entry point of readNatsBenchPath / readTruth gives the same records
      for (const p of [folder, `${folder}/meta.pickle.pbz2`]) {
        assert.deepEqual((await readNatsBenchPath(p)).records(), t.records(), p);
      }
      assert.deepEqual((await readTruth(folder)).records(), t.records());
      const single = await readTruth(`${folder}/000001.pickle.pbz2`);
      assert.deepEqual(single.records(), t.records().filter((r) => r.arch === ARCHS[1]));

      // errors name what is wrong
      await assert.rejects(() => readNatsTss(folder, { seed: 111 }), /seed 111 .* has seeds 777, 888, 999/);
      await assert.rejects(
        () => readNatsTss(folder, { archs: [[3, 3, 3, 3, 3, 3]] }),
        /not in .*meta\.pickle\.pbz2/,
      );
      await assert.rejects(() => readNatsTss(folder, { archs: [3] }), /NATS arch index in \[0, 3\): got 3/);
      await assert.rejects(() => readNatsTss(folder, { hp: "1" as "12" }), RangeError);
      await assert.rejects(
        () => readNatsTss(folder, { datasets: ["cifar" as "cifar10"] }),
        /Unknown NATS dataset/,
      );
      await Deno.rename(`${folder}/000001.pickle.pbz2`, `${dir}/x`);
      await Deno.rename(`${folder}/000002.pickle.pbz2`, `${folder}/000001.pickle.pbz2`);
      await assert.rejects(() => readNatsTss(folder), /Inconsistent .*000001\.pickle\.pbz2 holds arch 2/);
      await assert.rejects(() => readNatsTss(folder, { archs: [2] }), /Cannot find NATS-Bench arch 2/);
      await Deno.writeFile(`${folder}/000002.pickle.pbz2`, new TextEncoder().encode("not bzip2"));
      await assert.rejects(
        () => readNatsTss(folder, { archs: [2] }),
        /000002\.pickle\.pbz2.*not a bzip2 stream/,
      );
    });
  },
});

Deno.test({
  name: "writeNatsTssFixture: clear error without the bzip2 CLI",
  ignore: !cli,
  fn: async () => {
    await withTempDir(async (dir) => {
      const path = Deno.env.get("PATH") ?? "";
      Deno.env.set("PATH", dir); // an empty folder: no bzip2 on PATH
      try {
        await assert.rejects(
          () => writeNatsTssFixture(`${dir}/f`, [ARCHS[0]], value, { epochs: { "12": 1, "200": 1 } }),
          /'bzip2' command is not available/,
        );
      } finally {
        Deno.env.set("PATH", path);
      }
    });
  },
});

/**
 * Real files: NATS-Bench's repository ships 3 archs of the real benchmark in
 * `fake_torch_dir/NATS-tss-v1_0-3ffb9-simple/` (000000, 000011, 000284 + meta). Expected numbers
 * are from the real Python API: `create(dir, "tss", fast_mode=True).get_more_info(i, ds, hp="200",
 * is_random=False)` / `get_cost_info`.
 */
const REAL = new URL("../../../shared/data/nats_tss/NATS-tss-v1_0-3ffb9-simple", import.meta.url).pathname;
const hasReal = await Deno.stat(`${REAL}/000011.pickle.pbz2`).then(() => true, () => false);

Deno.test({
  name: "readNatsTss on the real NATS-tss files matches the NATS Python API",
  ignore: !hasReal,
  fn: async () => {
    const meta = await readNatsTssMeta(REAL);
    assert.equal(meta.length, 15625);
    const a11 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|";
    assert.equal(meta[11], a11);
    const t = await readNatsTss(REAL, { costs: true });
    assert.equal(t.get(a11, "cifar10-valid", "val_accuracy"), 87.9399999983724);
    assert.equal(t.get(a11, "cifar10-valid", "test_accuracy"), 87.64999999999999);
    assert.equal(t.get(a11, "cifar10", "test_accuracy"), 91.58333333333333);
    assert.equal(t.get(a11, "cifar100", "val_accuracy"), 67.45333326416016);
    assert.equal(t.get(a11, "cifar100", "test_accuracy"), 67.6066666422526);
    assert.equal(t.get(a11, "cifar100", "valtest_accuracy"), 67.53000000000002);
    assert.equal(t.get(a11, "ImageNet16-120", "train_loss"), 2.653169266213115);
    assert.equal(t.get(a11, "cifar100", "flops"), 113.95722);
    const one = await readNatsTss(REAL, { archs: [284], seed: 777, datasets: ["ImageNet16-120"] });
    assert.equal(one.get(meta[284], "ImageNet16-120", "test_accuracy"), 32.59999996439616);
    const [t12] = await warnings(() =>
      readNatsTss(REAL, { archs: [0], hp: "12", datasets: ["cifar10-valid"] })
    );
    assert.equal(t12.get(meta[0], "cifar10-valid", "test_accuracy"), 63.239999999999995);
    // our parameter formula agrees with the benchmark's parameter counts
    for (const i of [0, 11, 284]) {
      for (const [ds, classes] of [["cifar10", 10], ["cifar100", 100], ["ImageNet16-120", 120]] as const) {
        near(
          t.get(meta[i], ds, "params"),
          nb201ParamCount(meta[i], { classes }).total / 1e6,
          `${i} ${ds} params`,
        );
      }
    }
  },
});

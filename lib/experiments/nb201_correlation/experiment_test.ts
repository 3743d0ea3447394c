import assert from "node:assert/strict";
import { nb201Correlation } from "./experiment.ts";
import { NB201_CORRELATION, smallLevelArchs } from "./config.ts";
import { sampleArchs } from "../pipelines/nb201.ts";
import { writeNatsTssFixture } from "../../benchmarks/testing/nats_fixture.ts";
import { encodeCifarBin, generateImages } from "../../data/gen_images.ts";

const SAMPLE = new URL("../../../../shared/data/cifar10", import.meta.url).pathname;
const hasSample = await Deno.stat(`${SAMPLE}/cifar10_test_batch_first500.bin`).then(() => true, () => false);

Deno.test("small: the benchmark network, the measured budget, real data and a benchmark truth required", async () => {
  const s = NB201_CORRELATION.small;
  assert.equal(s.C, 16);
  assert.equal(s.N, 5);
  assert.equal(s.nominalPool, 60000);
  assert.deepEqual(s.warmup, { epochs: 10, batchSize: 128, lr: 1 });
  // 1200 s per dataset: 16 s per level-0 architecture → 75; a 10 % level is 470 · 2.6 s per arch
  assert.deepEqual(s.levelArchs, [75, 0, 0, 0, 0, 0]);
  // a machine 100× faster fits 10 % (200 s / (470 · 0.026 + 0.09) = 16) and 20 % (8), not 40 %
  const fast = smallLevelArchs(s.fractions, { score0: 0.16, scoreWarm: 0.09, step: 0.026 });
  assert.deepEqual(fast.levelArchs.slice(1), [16, 8, 0, 0, 0]);
  await assert.rejects(() => nb201Correlation.run({ scale: "small" }), /pass --data DIR/);
  await assert.rejects(
    () => nb201Correlation.run({ scale: "small", dataDir: "." }),
    /pass --truth PATH, a NATS-Bench tss folder .*zc_nasbench201\.json/,
  );
});

Deno.test("plan: resolved settings and estimates, absent datasets noticed, nothing run", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const set = generateImages({ n: 300, classes: 10, seed: 3 });
    await Deno.writeFile(`${dir}/sample.bin`, encodeCifarBin(set, "cifar10"));
    await Deno.writeTextFile(`${dir}/t.csv`, "arch,dataset,metric,value\n");
    const p = await nb201Correlation.plan!({
      scale: "small",
      dataDir: dir,
      truthPath: `${dir}/t.csv`,
      truthMetric: "test_accuracy",
      partialData: true,
    });
    const ds = p.config.datasets as {
      dataset: string;
      C: number;
      N: number;
      train_images: number;
      truth: string;
      levels: { status: string; archs: number }[];
    }[];
    assert.deepEqual(ds.map((d) => [d.dataset, d.C, d.N, d.train_images]), [["cifar10", 16, 5, 300]]);
    assert.match(ds[0].truth, /cifar10 test_accuracy/);
    assert.deepEqual(ds[0].levels.map((l) => l.status), [
      "ran",
      "budget",
      "budget",
      "budget",
      "budget",
      "budget",
    ]);
    assert.ok(p.notices.some((n) => /cifar100 skipped: no cifar100 training files/.test(n)));
    assert.ok(p.notices.some((n) => /ImageNet16-120 skipped/.test(n)));
    assert.ok(p.notices.some((n) => /supernet study .* not run at small/.test(n)));
    // 75 architectures × 16 s
    assert.equal(p.estimate.phases.cifar10_scoring, 75 * 16);
    assert.equal(p.estimate.total, 75 * 16);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["sample.bin", "t.csv"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "smoke on the real CIFAR-10 sample with NATS-Bench truth: partial data labelled, levels it lacks skipped",
  ignore: !hasSample,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const archs = sampleArchs(NB201_CORRELATION.smoke.archs, NB201_CORRELATION.smoke.seed);
      await writeNatsTssFixture(`${dir}/nats`, archs, (q) => ({ accuracy: 40 + q.index, loss: 1 }), {
        epochs: { "12": 1, "200": 2 },
      });
      const out = await nb201Correlation.run({
        scale: "smoke",
        dataDir: SAMPLE,
        partialData: true,
        truthPath: `${dir}/nats`,
        resultsRoot: `${dir}/results`,
      });
      const text = out.summary.join("\n");
      assert.match(text, /notice: cifar100 skipped/);
      assert.match(text, /notice: ImageNet16-120 skipped/);
      assert.match(text, /data .*partial data: cifar10_test_batch_first500\.bin/);
      assert.match(text, /NATS-Bench tss .*cifar10-valid val_accuracy/);
      assert.match(text, /level 20%: skipped \(needs 512 samples\)/);
      const vs = out.tables.vs_paper.filter((r) => r.ours !== null);
      assert.ok(vs.length > 0);
      for (const r of vs) {
        assert.equal(r.n, 12);
        assert.ok(typeof r.ours_low === "number" && typeof r.ours_high === "number");
        assert.ok("diff" in r); // a benchmark truth: diff is meaningful
      }
      assert.deepEqual([...new Set(out.tables.correlation.map((r) => r.level))], ["0%"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

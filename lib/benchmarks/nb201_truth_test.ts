import assert from "node:assert/strict";
import {
  formatTruthCsv,
  formatZcSuiteJson,
  Nb201Truth,
  parseTruthCsv,
  parseZcSuiteJson,
  readNatsBenchPbz2,
  readTruth,
  type TruthRecord,
  writeTruth,
} from "./nb201_truth.ts";

const BEST =
  "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|";
const OTHER = "|avg_pool_3x3~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|none~1|nor_conv_3x3~2|";

Deno.test("CSV: parse, query, duplicates and errors with line numbers", () => {
  const csv = `arch,dataset,metric,value\r\n${BEST},cifar10-valid,test_accuracy,94.37\n\n` +
    `${OTHER},cifar10-valid,test_accuracy,nan\n${BEST},cifar100,val_accuracy,-inf\n`;
  const t = parseTruthCsv(csv, "gt.csv");
  assert.equal(t.size, 3);
  assert.equal(t.get(BEST, "cifar10-valid", "test_accuracy"), 94.37);
  assert.equal(t.get([3, 3, 3, 1, 3, 3], "cifar10-valid", "test_accuracy"), 94.37);
  assert.ok(Number.isNaN(t.get(OTHER, "cifar10-valid", "test_accuracy")!));
  assert.equal(t.get(BEST, "cifar100", "val_accuracy"), -Infinity);
  assert.equal(t.get(BEST, "cifar100", "test_accuracy"), undefined);
  assert.deepEqual(t.datasets(), ["cifar10-valid", "cifar100"]);
  assert.deepEqual(t.metrics("cifar10-valid"), ["test_accuracy"]);
  assert.equal(t.values("cifar10-valid", "test_accuracy").size, 2);

  assert.throws(() => parseTruthCsv("arch,value\n", "gt.csv"), /gt\.csv line 1: expected header/);
  assert.throws(
    () => parseTruthCsv(`arch,dataset,metric,value\n${BEST},c10,acc\n`, "gt.csv"),
    /gt\.csv line 2: expected 4 fields/,
  );
  assert.throws(
    () => parseTruthCsv(`arch,dataset,metric,value\n|x~0|,c10,acc,1\n`, "gt.csv"),
    (e: Error) => e instanceof SyntaxError && /line 2/.test(e.message),
  );
  assert.throws(
    () => parseTruthCsv(`arch,dataset,metric,value\n${BEST},c10,acc,abc\n`, "gt.csv"),
    /line 2: value 'abc'/,
  );
  assert.throws(
    () => parseTruthCsv(`arch,dataset,metric,value\n${BEST},c10,acc,1\n${BEST},c10,acc,2\n`, "gt.csv"),
    /Duplicate ground truth in gt\.csv line 3/,
  );
});

Deno.test("CSV: format → parse round trip keeps values exactly", () => {
  const recs: TruthRecord[] = [
    { arch: BEST, dataset: "cifar10", metric: "acc", value: 0.1 + 0.2 },
    { arch: OTHER, dataset: "cifar10", metric: "acc", value: NaN },
    { arch: OTHER, dataset: "ImageNet16-120", metric: "synflow", value: -1e-300 },
  ];
  const text = formatTruthCsv(recs);
  assert.equal(text.split("\n")[1], `${BEST},cifar10,acc,0.30000000000000004`);
  const back = parseTruthCsv(text).records();
  assert.equal(back.length, 3);
  assert.equal(back[0].value, 0.1 + 0.2);
  assert.ok(Number.isNaN(back[1].value));
  assert.equal(back[2].value, -1e-300);
  assert.throws(() => formatTruthCsv([{ arch: BEST, dataset: "a,b", metric: "m", value: 1 }]), RangeError);
});

Deno.test("NAS-Bench-Suite-Zero JSON: NASLib-order tuple keys map to our arch strings", () => {
  // BEST in NASLib order: edges (1,2),(1,3),(1,4),(2,3),(2,4),(3,4) = conv3, conv3, skip, conv3, conv3, conv3
  // with NASLib op ids skip=0, none=1, conv3=2, conv1=3, pool=4
  const json = JSON.stringify({
    cifar10: {
      "(2, 2, 0, 2, 2, 2)": { synflow: { score: 123.5, time: 0.25 }, val_accuracy: 93.76 },
      "(4, 1, 0, 3, 1, 2)": {
        synflow: { score: -1e8, time: 0.1 },
        val_accuracy: 80.1,
        jacov: { score: null },
      },
    },
    "ImageNet16-120": { "(1, 1, 1, 1, 1, 1)": { val_accuracy: 1.0 } },
  });
  const t = parseZcSuiteJson(json, { file: "zc_nasbench201.json" });
  assert.equal(t.get(BEST, "cifar10", "synflow"), 123.5);
  assert.equal(t.get(BEST, "cifar10", "val_accuracy"), 93.76);
  assert.equal(t.get(OTHER, "cifar10", "val_accuracy"), 80.1);
  assert.equal(t.get(OTHER, "cifar10", "synflow"), -1e8);
  assert.equal(t.get(BEST, "cifar10", "synflow.time"), undefined);
  assert.equal(t.get([0, 0, 0, 0, 0, 0], "ImageNet16-120", "val_accuracy"), 1);
  assert.ok(Number.isNaN(t.get(OTHER, "cifar10", "jacov")!));
  const withTimes = parseZcSuiteJson(JSON.parse(json), { includeTimes: true });
  assert.equal(withTimes.get(BEST, "cifar10", "synflow.time"), 0.25);

  assert.throws(() => parseZcSuiteJson("{", { file: "z.json" }), /z\.json: not JSON/);
  assert.throws(
    () => parseZcSuiteJson('{"cifar10": {"(2, 2, 0)": {}}}', { file: "z.json" }),
    /z\.json cifar10\/\(2, 2, 0\)/,
  );
  assert.throws(
    () => parseZcSuiteJson('{"cifar10": {"(2, 2, 0, 2, 2, 2)": {"x": "s"}}}', { file: "z.json" }),
    /metric 'x' is neither a number nor \{score, time\}/,
  );
});

Deno.test("NAS-Bench-Suite-Zero JSON: NASLib's repository copy nests the datasets under 'nasbench201'", () => {
  // two records as NASLib's naslib/data/zc_nasbench201.json holds them (values copied from that file)
  const naslibCopy = JSON.stringify({
    nasbench201: {
      cifar100: {
        "(4, 3, 3, 3, 2, 3)": {
          flops: 62.508352,
          synflow: 68.21482965949316,
          val_accuracy: 68.33999986572266,
        },
      },
      cifar10: { "(2, 2, 0, 2, 2, 2)": { val_accuracy: 93.76 } },
    },
  });
  const t = parseZcSuiteJson(naslibCopy, { file: "zc_nasbench201.json" });
  assert.equal(t.get(BEST, "cifar10", "val_accuracy"), 93.76);
  // NASLib order (4,3,3,3,2,3) = pool, conv1, conv1, conv1, conv3, conv1 on edges 1→2,1→3,1→4,2→3,2→4,3→4
  const arch =
    "|avg_pool_3x3~0|+|nor_conv_1x1~0|nor_conv_1x1~1|+|nor_conv_1x1~0|nor_conv_3x3~1|nor_conv_1x1~2|";
  assert.equal(t.get(arch, "cifar100", "val_accuracy"), 68.33999986572266);
  assert.equal(t.get(arch, "cifar100", "synflow"), 68.21482965949316);
  assert.throws(
    () => parseZcSuiteJson(JSON.stringify({ nasbench101: {} }), { file: "zc_nasbench101.json" }),
    /zc_nasbench101\.json: it holds the search space\(s\) nasbench101, not nasbench201/,
  );
});

Deno.test("NAS-Bench-Suite-Zero JSON: writer emits NASLib keys and round-trips", () => {
  const recs: TruthRecord[] = [
    { arch: BEST, dataset: "cifar10", metric: "val_accuracy", value: 93.76 },
    { arch: BEST, dataset: "cifar10", metric: "synflow", value: 12 },
    { arch: BEST, dataset: "cifar10", metric: "synflow.time", value: 0.5 },
    { arch: OTHER, dataset: "cifar10", metric: "synflow", value: Infinity },
  ];
  const obj = JSON.parse(formatZcSuiteJson(recs));
  assert.deepEqual(obj.cifar10["(2, 2, 0, 2, 2, 2)"], {
    val_accuracy: 93.76,
    synflow: { score: 12, time: 0.5 },
  });
  assert.deepEqual(obj.cifar10["(4, 1, 0, 3, 1, 2)"], { synflow: { score: null, time: 0 } });
  const back = parseZcSuiteJson(obj, { includeTimes: true });
  assert.equal(back.get(BEST, "cifar10", "synflow"), 12);
  assert.equal(back.get(BEST, "cifar10", "synflow.time"), 0.5);
  assert.equal(back.get(BEST, "cifar10", "val_accuracy"), 93.76);
});

Deno.test("writeTruth / readTruth by extension; a missing pbz2 is a clear error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const t = Nb201Truth.from([
      { arch: BEST, dataset: "cifar10", metric: "val_accuracy", value: 91 },
      { arch: OTHER, dataset: "cifar10", metric: "val_accuracy", value: 72.5 },
    ]);
    await writeTruth(`${dir}/gt.csv`, t.records());
    await writeTruth(`${dir}/zc.json`, t.records());
    for (const f of ["gt.csv", "zc.json"]) {
      const back = await readTruth(`${dir}/${f}`);
      assert.equal(back.get(OTHER, "cifar10", "val_accuracy"), 72.5, f);
      assert.equal(back.size, 2, f);
    }
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.deepEqual(names.sort(), ["gt.csv", "zc.json"]);
    await assert.rejects(() => writeTruth(`${dir}/gt.txt`, []), RangeError);
    await assert.rejects(
      () => readTruth(`${dir}/NATS-tss-v1_0-3ffb9-simple.pickle.pbz2`),
      /Cannot read NATS-Bench data .*NATS-tss-v1_0-3ffb9-simple\.pickle\.pbz2/,
    );
    await assert.rejects(() => readNatsBenchPbz2(`${dir}/gt.csv`), /not a bzip2 stream/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

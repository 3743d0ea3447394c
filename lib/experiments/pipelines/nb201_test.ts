import assert from "node:assert/strict";
import {
  findImageData,
  groundTruth,
  loadImages,
  sampleArchs,
  truthPool,
  truthSelection,
  type TruthSpec,
} from "./nb201.ts";
import { writeNatsTssFixture } from "../../benchmarks/testing/nats_fixture.ts";
import { formatTruthCsv, formatZcSuiteJson } from "../../benchmarks/nb201_truth.ts";
import { encodeCifarBin, generateImages, writeCifarTree } from "../../data/gen_images.ts";
import type { ImageSet } from "../../data/images.ts";

const SAMPLE = new URL("../../../../shared/data/cifar10", import.meta.url).pathname;
const hasSample = await Deno.stat(`${SAMPLE}/cifar10_test_batch_first500.bin`).then(() => true, () => false);

const spec: TruthSpec = {
  dataset: "cifar10",
  C: 4,
  N: 1,
  seed: 9000,
  truthTraining: { epochs: 1, batchSize: 64, lr: 0.1 },
};
const none = {} as ImageSet;

Deno.test("truthSelection: NASLib's convention per source; flags override", () => {
  const dir = Deno.makeTempDirSync();
  try {
    assert.deepEqual(truthSelection(dir, "cifar10"), {
      source: "nats",
      dataset: "cifar10-valid",
      metric: "val_accuracy",
    });
    assert.deepEqual(truthSelection(`${dir}/x.pbz2`, "cifar100"), {
      source: "nats",
      dataset: "cifar100",
      metric: "val_accuracy",
    });
    assert.deepEqual(truthSelection("zc_nasbench201.json", "cifar10"), {
      source: "suite-zero",
      dataset: "cifar10",
      metric: "val_accuracy",
    });
    assert.deepEqual(truthSelection("t.csv", "ImageNet16-120", { metric: "test_accuracy" }), {
      source: "csv",
      dataset: "ImageNet16-120",
      metric: "test_accuracy",
    });
    assert.deepEqual(
      truthSelection(dir, "cifar10", { dataset: "cifar10", metric: "test_accuracy" }).dataset,
      "cifar10",
    );
    assert.throws(() => truthSelection(dir, "cifar10", { dataset: "mnist" }), /cifar10-valid, cifar10/);
    assert.throws(() => truthSelection(`${dir}/nothing.txt`, "cifar10"), /NATS-Bench tss folder/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("groundTruth: NATS folder, Suite-Zero JSON and CSV routes read the chosen values", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const archs = sampleArchs(5, 9000);
    // the fixture's accuracy encodes its query, so the test can tell which set, seed and epoch was read
    const value = (q: { index: number; dataset: string; set: string; seed: number; epoch: number }) => ({
      accuracy: 50 + q.index + (q.dataset === "cifar10-valid" ? 10 : 0) + (q.set === "x-valid" ? 0.5 : 0) +
        q.seed / 1000 + q.epoch / 1e4,
      loss: 1,
    });
    await writeNatsTssFixture(`${dir}/nats`, archs, value, { epochs: { "12": 2, "200": 3 } });
    const opts = { truthFile: `${dir}/unused.csv` };
    const nats = await groundTruth({ ...spec, truthPath: `${dir}/nats` }, archs, none, none, "x", opts);
    // cifar10-valid x-valid, mean of seeds 777/888/999 at the last epoch (2)
    archs.forEach((a, i) => assert.ok(Math.abs(nats.truth.get(a)! - (60 + i + 0.5 + 0.888 + 0.0002)) < 1e-9));
    assert.match(nats.truthSource, /NATS-Bench tss .*cifar10-valid val_accuracy/);
    const test = await groundTruth(
      { ...spec, truthPath: `${dir}/nats`, truthDataset: "cifar10", truthMetric: "test_accuracy" },
      archs,
      none,
      none,
      "x",
      opts,
    );
    archs.forEach((a, i) => assert.ok(Math.abs(test.truth.get(a)! - (50 + i + 0.888 + 0.0002)) < 1e-9));

    const records = archs.map((arch, i) => ({
      arch,
      dataset: "cifar10",
      metric: "val_accuracy",
      value: 90 - i,
    }));
    await Deno.writeTextFile(`${dir}/zc.json`, formatZcSuiteJson(records));
    const zc = await groundTruth({ ...spec, truthPath: `${dir}/zc.json` }, archs, none, none, "x", opts);
    assert.deepEqual(archs.map((a) => zc.truth.get(a)), [90, 89, 88, 87, 86]);

    await Deno.writeTextFile(
      `${dir}/t.csv`,
      formatTruthCsv(records.map((r) => ({ ...r, metric: "test_accuracy", value: r.value / 100 }))),
    );
    await assert.rejects(
      () => groundTruth({ ...spec, truthPath: `${dir}/t.csv` }, archs, none, none, "x", opts),
      /no cifar10 val_accuracy .*holds cifar10: test_accuracy.*--truth-metric/,
    );
    const csv = await groundTruth(
      { ...spec, truthPath: `${dir}/t.csv`, truthMetric: "test_accuracy" },
      archs,
      none,
      none,
      "x",
      opts,
    );
    assert.deepEqual(archs.map((a) => csv.truth.get(a)), [0.9, 0.89, 0.88, 0.87, 0.86]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("findImageData: each layout found, absent datasets undefined, partial samples counted", async () => {
  const dir = await Deno.makeTempDir();
  const only = await Deno.makeTempDir();
  try {
    await writeCifarTree(dir, { dataset: "cifar10", format: "bin", trainN: 20, testN: 10, seed: 1 });
    assert.match((await findImageData(dir, "cifar10"))!.file, /cifar-10-batches-bin\/data_batch_1\.bin$/);
    assert.equal(await findImageData(dir, "cifar100"), undefined);
    assert.equal(await findImageData(dir, "ImageNet16-120"), undefined);
    const set = generateImages({ n: 7, classes: 10, seed: 3 });
    await Deno.writeFile(`${only}/sample.bin`, encodeCifarBin(set, "cifar10"));
    assert.equal(await findImageData(only, "cifar10"), undefined);
    assert.deepEqual(await findImageData(only, "cifar10", true), { file: `${only}/sample.bin`, records: 7 });
    assert.equal(await findImageData(only, "cifar100", true), undefined); // 3073-byte records are no CIFAR-100
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(only, { recursive: true });
  }
});

Deno.test({
  name: "loadImages: the real CIFAR-10 sample as partial data, labelled so, names from batches.meta",
  ignore: !hasSample,
  fn: async () => {
    const img = { dataset: "cifar10", imageSize: 32, trainN: 0, testN: 0, noise: 0, seed: 0 } as const;
    await assert.rejects(() => loadImages({ ...img, dataDir: SAMPLE }), /Cannot find CIFAR-10 train files/);
    const r = await loadImages({ ...img, dataDir: SAMPLE, partialData: true });
    assert.equal(r.partial, true);
    assert.equal(r.train.n, 500);
    assert.equal(r.train.height, 32);
    assert.match(r.source, /partial data: cifar10_test_batch_first500\.bin/);
    assert.equal(r.train.labelNames?.[0], "airplane");
    assert.equal(r.train.labelNames?.length, 10);
    // the first record of CIFAR-10's test batch is a cat (label 3)
    assert.equal(r.train.labels[0], 3);
  },
});

Deno.test("a ground-truth file that covers part of the space is the pool the study samples from", async () => {
  const A = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|";
  const B = "|avg_pool_3x3~0|+|nor_conv_1x1~0|nor_conv_1x1~1|+|nor_conv_1x1~0|nor_conv_3x3~1|nor_conv_1x1~2|";
  const C = "|skip_connect~0|+|none~0|skip_connect~1|+|none~0|none~1|nor_conv_1x1~2|";
  const DEAD = "|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|none~0|none~1|none~2|"; // the output node has only `none` inputs
  const dir = await Deno.makeTempDir();
  try {
    // NASLib's repository layout: datasets under "nasbench201"; DEAD has a value but is not connected
    const records = [A, B, C, DEAD].map((arch, i) => ({
      arch,
      dataset: "cifar10",
      metric: "val_accuracy",
      value: 90 - i,
    }));
    const zc = { nasbench201: JSON.parse(formatZcSuiteJson(records)) };
    await Deno.writeTextFile(`${dir}/zc.json`, JSON.stringify(zc));
    const cfg = { dataset: "cifar10" as const, truthPath: `${dir}/zc.json`, C: 16, N: 5 };
    const pool = (await truthPool(cfg))?.archs;
    assert.deepEqual(new Set(pool), new Set([A, B, C, DEAD]));
    const two = sampleArchs(2, 7, pool);
    assert.equal(two.length, 2);
    assert.ok(two.every((a) => [A, B, C].includes(a)), "only connected architectures of the pool");
    assert.deepEqual(sampleArchs(2, 7, [...pool!].reverse()), two, "independent of the file's order");
    assert.deepEqual(new Set(sampleArchs(10, 7, pool)), new Set([A, B, C]), "all of a smaller pool");
    assert.equal(await truthPool({ ...cfg, truthPath: undefined }), undefined);
    await assert.rejects(
      truthPool({ ...cfg, truthMetric: "test_accuracy" }),
      /no finite cifar10 test_accuracy/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

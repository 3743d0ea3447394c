/**
 * The image and ground-truth readers on inputs as users have them: compressed files (found as
 * `name.gz`/`name.bz2`, recognised by content), foreign files named as what they are.
 */
import assert from "node:assert/strict";
import { readTruth, writeTruth } from "../benchmarks/nb201_truth.ts";
import { bzip2Compress, hasBzip2Cli } from "./bzip2.ts";
import { loadCifar, readCifarBin, readCifarPython } from "./cifar.ts";
import {
  encodeCifarPython,
  encodeImageNet16,
  generateImages,
  writeCifarTree,
  writeImageNet16Tree,
} from "./gen_images.ts";
import { loadImageNet16, readImageNet16Batch } from "./imagenet16.ts";
import { decodeIdx, generateMnist, loadMnist, writeMnist } from "./mnist.ts";

const cli = await hasBzip2Cli();
const SHARED = new URL("../../../shared/data/", import.meta.url).pathname;
const hasSample = await Deno.stat(`${SHARED}cifar100/cifar100_test_first20.bin`).then(
  () => true,
  () => false,
);

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const s = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(s).arrayBuffer());
}

/** Replace `path` by its gzip (or bzip2, when the CLI is there and `bz`) at `path.gz`/`path.bz2`. */
async function compressInPlace(path: string, bz = false): Promise<void> {
  const bytes = await Deno.readFile(path);
  if (bz && cli) await Deno.writeFile(`${path}.bz2`, await bzip2Compress(bytes));
  else await Deno.writeFile(`${path}.gz`, await gzip(bytes));
  await Deno.remove(path);
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sigeo-images-input-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("loadCifar / loadImageNet16 / loadMnist read .gz and .bz2 files the same as plain ones", async () => {
  await withDir(async (dir) => {
    for (const format of ["bin", "python"] as const) {
      const plain = `${dir}/${format}-plain`, packed = `${dir}/${format}-packed`;
      await writeCifarTree(plain, { dataset: "cifar10", format, trainN: 20, testN: 6, seed: 1 });
      const folder = await writeCifarTree(packed, {
        dataset: "cifar10",
        format,
        trainN: 20,
        testN: 6,
        seed: 1,
      });
      const names = [...Deno.readDirSync(folder)].map((e) => e.name).filter((n) => n.includes("batch"));
      for (const [i, n] of names.entries()) await compressInPlace(`${folder}/${n}`, i % 2 === 1);
      for (const split of ["train", "test"] as const) {
        const a = await loadCifar(plain, { dataset: "cifar10", split, format });
        const b = await loadCifar(packed, { dataset: "cifar10", split, format });
        assert.deepEqual(b.images, a.images);
        assert.deepEqual(b.labels, a.labels);
        assert.deepEqual(b.labelNames, a.labelNames);
      }
    }
    const inet = `${dir}/inet`;
    await writeImageNet16Tree(inet, { trainN: 30, valN: 10, seed: 2 });
    const before = await loadImageNet16(inet, "valid");
    const idir = await Deno.stat(`${inet}/ImageNet16`).then(() => `${inet}/ImageNet16`, () => inet);
    await compressInPlace(`${idir}/val_data`, true);
    const after = await loadImageNet16(inet, "valid");
    assert.deepEqual(after.images, before.images);
    assert.deepEqual(after.labels, before.labels);
    const m = generateMnist(12, 3);
    await writeMnist(`${dir}/mnist`, "test", m);
    await compressInPlace(`${dir}/mnist/t10k-images-idx3-ubyte`, true);
    await compressInPlace(`${dir}/mnist/t10k-labels-idx1-ubyte`);
    const back = await loadMnist(`${dir}/mnist`, "test");
    assert.deepEqual(back.images, m.images);
    assert.deepEqual(back.labels, m.labels);
  });
});

Deno.test("image readers: compressed bytes handed to a sync parser, and empty files, are named", async () => {
  const set = generateImages({ n: 2, classes: 10, seed: 1 });
  const gz = await gzip(encodeCifarPython(set, "cifar10", "b"));
  assert.throws(
    () => readCifarPython(gz, { dataset: "cifar10", file: "f" }),
    /^TypeError: Cannot read CIFAR python file f: the bytes are gzip-compressed \(first bytes \\x1f\\x8b\\x08\\x00\): read the file with readInput/,
  );
  assert.throws(() => readCifarBin(gz, { dataset: "cifar10", file: "f" }), /gzip-compressed/);
  assert.throws(() => decodeIdx(gz, "f"), /^SyntaxError: Cannot read f: the bytes are gzip-compressed/);
  assert.throws(() => readImageNet16Batch(gz, "f"), /gzip-compressed/);
  assert.throws(
    () => decodeIdx(new Uint8Array([0x89, 0x50, 0x4e, 0x47]), "f"),
    /expected the IDX magic 0x0000 at byte 0, got '\\x89PNG'/,
  );
  assert.throws(
    () => readCifarBin(new Uint8Array(0), { dataset: "cifar10", file: "f" }),
    /f: the file is empty/,
  );
  await withDir(async (dir) => {
    await writeMnist(`${dir}/m`, "test", generateMnist(0, 1));
    await assert.rejects(
      () => loadMnist(`${dir}/m`, "test"),
      /t10k-images-idx3-ubyte: the file holds no images/,
    );
    const folder = await writeCifarTree(dir, {
      dataset: "cifar10",
      format: "bin",
      trainN: 5,
      testN: 2,
      seed: 1,
    });
    await Deno.writeFile(`${folder}/test_batch.bin`, new Uint8Array(0));
    await assert.rejects(
      () => loadCifar(dir, { dataset: "cifar10", split: "test" }),
      /^SyntaxError: Cannot read CIFAR-10 binary file .*test_batch\.bin: the file is empty$/,
    );
  });
});

Deno.test("image readers: another dataset's file is named (CIFAR-100 as CIFAR-10 and back, ImageNet16, swapped MNIST)", async () => {
  const c100 = generateImages({ n: 3, classes: 100, seed: 1 });
  const c10 = generateImages({ n: 3, classes: 10, seed: 1 });
  const { encodeCifarBin } = await import("./gen_images.ts");
  assert.throws(
    () => readCifarBin(encodeCifarBin(c100, "cifar100"), { dataset: "cifar10", file: "train.bin" }),
    /^RangeError: Cannot read CIFAR-10 binary file train\.bin: 9222 bytes is not a positive multiple .*; it looks like a CIFAR-100 binary file \(3 records of 3074 bytes\): read it as cifar100$/,
  );
  assert.throws(
    () => readCifarBin(encodeCifarBin(c10, "cifar10"), { dataset: "cifar100", file: "b" }),
    /it looks like a CIFAR-10 binary file \(3 records of 3073 bytes\): read it as cifar10$/,
  );
  assert.throws(
    () => readCifarPython(encodeCifarPython(c100, "cifar100", "x"), { dataset: "cifar10", file: "train" }),
    /^TypeError: Cannot read CIFAR-10 python file train: it looks like a CIFAR-100 \(it has 'fine_labels'\) python file, not CIFAR-10$/,
  );
  assert.throws(
    () => readCifarPython(encodeCifarPython(c10, "cifar10", "x"), { dataset: "cifar100", file: "t" }),
    /it looks like a CIFAR-10 \(it has 'labels'\) python file, not CIFAR-100/,
  );
  const inet = encodeImageNet16(generateImages({ n: 2, height: 16, width: 16, classes: 120, seed: 1 }));
  assert.throws(
    () => readCifarPython(inet, { dataset: "cifar100", file: "t" }),
    /looks like an ImageNet16 batch/,
  );
  assert.throws(
    () => readImageNet16Batch(encodeCifarPython(c10, "cifar10", "x"), "val_data"),
    /expected 'data' as uint8 \[N, 768\], got uint8 \[3,3072\]; it looks like a CIFAR-10 python file/,
  );
  await withDir(async (dir) => {
    const m = generateMnist(4, 1);
    await writeMnist(dir, "test", m);
    await Deno.rename(`${dir}/t10k-labels-idx1-ubyte`, `${dir}/x`);
    await Deno.rename(`${dir}/t10k-images-idx3-ubyte`, `${dir}/t10k-labels-idx1-ubyte`);
    await Deno.rename(`${dir}/x`, `${dir}/t10k-images-idx3-ubyte`);
    await assert.rejects(() => loadMnist(dir, "test"), /expected 3 dimensions, got 1 \(a labels file/);
  });
});

Deno.test({
  name: "readCifarBin: the real CIFAR-100 sample given as CIFAR-10 is named (../shared/data)",
  ignore: !hasSample,
  fn: async () => {
    const bytes = await Deno.readFile(`${SHARED}cifar100/cifar100_test_first20.bin`);
    assert.throws(
      () => readCifarBin(bytes, { dataset: "cifar10", file: "s" }),
      /it looks like a CIFAR-100 binary file \(20 records of 3074 bytes\): read it as cifar100$/,
    );
    assert.equal(readCifarBin(bytes, { dataset: "cifar100", file: "s" }).n, 20);
  },
});

Deno.test("readTruth: .csv.gz and .json.bz2 read by content; a JSON file named .csv is named", async () => {
  const records = [
    {
      arch: "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|",
      dataset: "cifar10",
      metric: "val_accuracy",
      value: 91.5,
    },
  ];
  await withDir(async (dir) => {
    await writeTruth(`${dir}/t.csv`, records);
    await writeTruth(`${dir}/t.json`, records);
    const csv = await Deno.readFile(`${dir}/t.csv`);
    await Deno.writeFile(`${dir}/t.csv.gz`, await gzip(csv));
    const json = await Deno.readFile(`${dir}/t.json`);
    await Deno.writeFile(`${dir}/t.json.bz2`, cli ? await bzip2Compress(json) : await gzip(json));
    for (const f of ["t.csv", "t.csv.gz", "t.json.bz2"]) {
      assert.equal((await readTruth(`${dir}/${f}`)).get(records[0].arch, "cifar10", "val_accuracy"), 91.5, f);
    }
    await Deno.writeFile(`${dir}/wrong.csv`, json);
    await assert.rejects(
      () => readTruth(`${dir}/wrong.csv`),
      /line 1: expected header .*\(this looks like JSON: name the file \.json\)/,
    );
    await Deno.writeFile(`${dir}/empty.csv`, new Uint8Array(0));
    await assert.rejects(
      () => readTruth(`${dir}/empty.csv`),
      /Cannot read ground-truth file .*empty\.csv: the file is empty/,
    );
  });
});

import assert from "node:assert/strict";
import { loadCifar, readCifarBin, readCifarMeta, readCifarPython, readLabelNamesText } from "./cifar.ts";
import { NdArray, type PickleInput, writePickle } from "./pickle.ts";

const DATA = new URL("../../../shared/data/", import.meta.url);
const C10 = new URL("cifar10/cifar10_test_batch_first500.bin", DATA);
const C100 = new URL("cifar100/cifar100_test_first20.bin", DATA);
const META = new URL("cifar10/batches.meta", DATA);
const has = (u: URL) => {
  try {
    return Deno.statSync(u).isFile;
  } catch {
    return false;
  }
};

/** Independent pixel lookup in a binary record: label bytes, then R, G, B planes of 32×32. */
function rawPixel(
  bytes: Uint8Array,
  rec: number,
  labelBytes: number,
  i: number,
  y: number,
  x: number,
  c: number,
) {
  return bytes[i * rec + labelBytes + c * 1024 + y * 32 + x];
}

Deno.test({
  name: "real CIFAR-10 binary sample: labels and pixels",
  ignore: !has(C10),
  fn: () => {
    const bytes = Deno.readFileSync(C10);
    const s = readCifarBin(bytes, { dataset: "cifar10", file: "sample.bin" });
    assert.equal(s.n, 500);
    assert.equal(s.classes, 10);
    assert.equal(s.images.length, 500 * 32 * 32 * 3);
    assert.deepEqual([...s.labels.subarray(0, 10)], [3, 8, 8, 0, 6, 6, 1, 6, 3, 1]);
    const px = (
      i: number,
      y: number,
      x: number,
    ) => [...s.images.subarray(((i * 32 + y) * 32 + x) * 3, ((i * 32 + y) * 32 + x) * 3 + 3)];
    assert.deepEqual(px(0, 0, 0), [158, 112, 49]);
    assert.deepEqual(px(0, 31, 31), [21, 67, 110]);
    assert.deepEqual(px(3, 5, 7), [195, 147, 165]);
    assert.deepEqual(px(499, 16, 2), [208, 212, 211]);
    for (const [i, y, x] of [[1, 0, 31], [250, 13, 29], [77, 31, 0]]) {
      assert.deepEqual(px(i, y, x), [0, 1, 2].map((c) => rawPixel(bytes, 3073, 1, i, y, x, c)));
    }
    const counts = new Array(10).fill(0);
    s.labels.forEach((l) => counts[l]++);
    assert.deepEqual(counts, [57, 41, 51, 49, 40, 48, 54, 47, 57, 56]);
  },
});

Deno.test({
  name: "real CIFAR-100 binary sample: coarse and fine labels and pixels",
  ignore: !has(C100),
  fn: () => {
    const bytes = Deno.readFileSync(C100);
    const s = readCifarBin(bytes, { dataset: "cifar100" });
    assert.equal(s.n, 20);
    assert.equal(s.classes, 100);
    assert.deepEqual([...s.labels.subarray(0, 5)], [49, 33, 72, 51, 71]);
    assert.deepEqual([...s.coarseLabels!.subarray(0, 5)], [10, 10, 0, 4, 10]);
    assert.deepEqual([...s.images.subarray(0, 3)], [199, 215, 249]);
    const o = ((19 * 32 + 31) * 32 + 0) * 3;
    assert.deepEqual([...s.images.subarray(o, o + 3)], [56, 60, 63]);
    assert.deepEqual(
      [...s.images.subarray(o, o + 3)],
      [0, 1, 2].map((c) => rawPixel(bytes, 3074, 2, 19, 31, 0, c)),
    );
    const coarse = readCifarBin(bytes, { dataset: "cifar100", label: "coarse" });
    assert.equal(coarse.classes, 20);
    assert.deepEqual([...coarse.labels.subarray(0, 5)], [10, 10, 0, 4, 10]);
  },
});

Deno.test({
  name: "real batches.meta gives the CIFAR-10 class names",
  ignore: !has(META),
  fn: () => {
    const { fine, coarse } = readCifarMeta(Deno.readFileSync(META), "batches.meta");
    assert.equal(fine.length, 10);
    assert.equal(fine[0], "airplane");
    assert.equal(fine[9], "truck");
    assert.equal(coarse, undefined);
  },
});

Deno.test({
  name: "truncated and foreign binary files fail with file and record",
  ignore: !has(C10) || !has(C100),
  fn: () => {
    const c10 = Deno.readFileSync(C10), c100 = Deno.readFileSync(C100);
    assert.throws(
      () => readCifarBin(c10.subarray(0, c10.length - 1), { dataset: "cifar10", file: "t.bin" }),
      /CIFAR-10 binary file t\.bin: 1536499 bytes .*record 499 is incomplete/,
    );
    assert.throws(() => readCifarBin(c100, { dataset: "cifar10", file: "c100.bin" }), /c100\.bin/);
    assert.throws(() => readCifarBin(c10, { dataset: "cifar100", file: "c10.bin" }), /c10\.bin/);
    // a full-size record with a bad label byte
    const bad = c10.slice(0, 3073 * 3);
    bad[3073 * 2] = 10;
    assert.throws(
      () => readCifarBin(bad, { dataset: "cifar10", file: "b.bin" }),
      /b\.bin: record 2 has label 10/,
    );
    assert.throws(() => readCifarBin(new Uint8Array(0), { dataset: "cifar10" }), RangeError);
  },
});

/** A python-version CIFAR-10 batch built by hand: 2 images, pixel value = 3·position + plane. */
function pythonBatch(keys: Record<string, PickleInput>): Uint8Array {
  const data = new Uint8Array(2 * 3072);
  for (let i = 0; i < 2; i++) for (let k = 0; k < 3072; k++) data[i * 3072 + k] = (i * 101 + k) % 251;
  return writePickle({ data: new NdArray("uint8", [2, 3072], data), ...keys });
}

Deno.test("python version: CIFAR-10 and CIFAR-100 batches, planes → NHWC", () => {
  const s = readCifarPython(pythonBatch({ labels: [7, 2], batch_label: "x" }), { dataset: "cifar10" });
  assert.equal(s.n, 2);
  assert.deepEqual([...s.labels], [7, 2]);
  // image 1, pixel (y=2, x=5) = plane offset 2·32+5 = 69: R=(101+69)%251, G=(101+1024+69)%251, B=(101+2048+69)%251
  const o = (1 * 1024 + 69) * 3;
  assert.deepEqual([...s.images.subarray(o, o + 3)], [170, (101 + 1093) % 251, (101 + 2117) % 251]);
  const s100 = readCifarPython(pythonBatch({ fine_labels: [99, 0], coarse_labels: [19, 3] }), {
    dataset: "cifar100",
  });
  assert.deepEqual([...s100.labels], [99, 0]);
  assert.deepEqual([...s100.coarseLabels!], [19, 3]);
  assert.equal(s100.classes, 100);
});

Deno.test("python version: missing keys, bad labels and wrong data shape are clear errors", () => {
  assert.throws(
    () => readCifarPython(pythonBatch({}), { dataset: "cifar10", file: "db1" }),
    /db1: no 'labels' key/,
  );
  assert.throws(
    () => readCifarPython(pythonBatch({ labels: [1] }), { dataset: "cifar10", file: "db1" }),
    /'labels' has 1 entries for 2 images/,
  );
  assert.throws(
    () => readCifarPython(pythonBatch({ labels: [1, 10] }), { dataset: "cifar10", file: "db1" }),
    /'labels' entry 1 is 10, expected an integer in 0\.\.9/,
  );
  assert.throws(
    () => readCifarPython(pythonBatch({ fine_labels: [1, 2] }), { dataset: "cifar100", file: "train" }),
    /train: no 'coarse_labels' key/,
  );
  const wrong = writePickle({ data: new NdArray("uint8", [1, 768], new Uint8Array(768)), labels: [0] });
  assert.throws(
    () => readCifarPython(wrong, { dataset: "cifar10", file: "w" }),
    /expected 'data' as uint8 \[N, 3072\], got uint8 \[1,768\]/,
  );
  assert.throws(
    () => readCifarPython(new Uint8Array(3073), { dataset: "cifar10", file: "bin" }),
    /^TypeError: Cannot read CIFAR python file bin: it is not a pickle; it looks like a CIFAR-10 binary file \(1 records\): read it with the bin format$/,
  );
  assert.throws(
    () => readCifarPython(new Uint8Array(3000), { dataset: "cifar10", file: "bin" }),
    /bin at byte 0/,
  );
});

Deno.test("label name text files", () => {
  assert.deepEqual(readLabelNamesText("airplane\r\nautomobile\n\n\n"), ["airplane", "automobile"]);
});

Deno.test({
  name: "loadCifar finds the binary layout folder and attaches names (real sample in a temp dir)",
  ignore: !has(C10),
  fn: async () => {
    const root = await Deno.makeTempDir();
    try {
      const dir = `${root}/cifar-10-batches-bin`;
      await Deno.mkdir(dir);
      await Deno.writeFile(`${dir}/test_batch.bin`, Deno.readFileSync(C10));
      await Deno.writeTextFile(`${dir}/batches.meta.txt`, "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n");
      const s = await loadCifar(root, { dataset: "cifar10", split: "test" });
      assert.equal(s.n, 500);
      assert.deepEqual(s.labelNames?.slice(0, 2), ["a", "b"]);
      const same = await loadCifar(dir, { dataset: "cifar10", split: "test" });
      assert.deepEqual(same.labels, s.labels);
      await assert.rejects(
        () => loadCifar(root, { dataset: "cifar10", split: "train" }),
        /Cannot find CIFAR-10 train files/,
      );
      await Deno.writeFile(`${dir}/data_batch_1.bin`, Deno.readFileSync(C10));
      await assert.rejects(
        () => loadCifar(root, { dataset: "cifar10", split: "train" }),
        /missing .*data_batch_2\.bin/,
      );
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

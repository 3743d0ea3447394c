import assert from "node:assert/strict";
import {
  encodeCifarBin,
  encodeCifarMeta,
  encodeCifarPython,
  encodeImageNet16,
  generatedCoarse,
  generateImages,
  writeCifarTree,
  writeImageNet16Tree,
} from "./gen_images.ts";
import { loadCifar, readCifarBin, readCifarMeta, readCifarPython } from "./cifar.ts";
import { loadImageNet16, readImageNet16Batch } from "./imagenet16.ts";
import type { ImageSet } from "./images.ts";

function meanColour(s: ImageSet, i: number): number[] {
  const per = s.height * s.width, f = [0, 0, 0];
  for (let p = 0; p < per; p++) for (let c = 0; c < 3; c++) f[c] += s.images[(i * per + p) * 3 + c];
  return f.map((v) => v / per);
}

Deno.test("generateImages is seeded, balanced, and classes are learnable across seeds", () => {
  const a = generateImages({ n: 600, classes: 10, seed: 1 });
  assert.deepEqual(generateImages({ n: 600, classes: 10, seed: 1 }), a);
  assert.notDeepEqual(generateImages({ n: 600, classes: 10, seed: 2 }).images, a.images);
  const counts = new Array(10).fill(0);
  a.labels.forEach((l) => counts[l]++);
  assert.deepEqual(counts, new Array(10).fill(60));
  // nearest class-mean colour, fitted on seed 1 and tested on seed 2 (same prototypes): far above chance
  const test = generateImages({ n: 300, classes: 10, seed: 2 });
  const cent = Array.from({ length: 10 }, () => [0, 0, 0]);
  for (let i = 0; i < a.n; i++) meanColour(a, i).forEach((v, c) => (cent[a.labels[i]][c] += v / 60));
  let ok = 0;
  for (let i = 0; i < test.n; i++) {
    const f = meanColour(test, i);
    const d = cent.map((m) => m.reduce((s, v, c) => s + (v - f[c]) ** 2, 0));
    if (d.indexOf(Math.min(...d)) === test.labels[i]) ok++;
  }
  assert.ok(ok / test.n > 0.8, `accuracy ${ok / test.n}`);
  // a different classSeed gives different classes: the fitted centroids no longer work
  const other = generateImages({ n: 300, classes: 10, seed: 2, classSeed: 9 });
  let ok2 = 0;
  for (let i = 0; i < other.n; i++) {
    const f = meanColour(other, i);
    const d = cent.map((m) => m.reduce((s, v, c) => s + (v - f[c]) ** 2, 0));
    if (d.indexOf(Math.min(...d)) === other.labels[i]) ok2++;
  }
  assert.ok(ok2 / other.n < 0.5, `accuracy ${ok2 / other.n}`);
});

/** |Σ_pixels (grey − mean)·e^{−2πi(fy·y/h + fx·x/w)}| for each (fy, fx) with fy ∈ −3..3, fx ∈ 1..4. */
function spectrum(s: ImageSet, i: number): number[] {
  const { height: h, width: w } = s, per = h * w;
  const grey = Array.from({ length: per }, (_, p) => s.images[(i * per + p) * 3]);
  const mean = grey.reduce((a, b) => a + b, 0) / per;
  const out: number[] = [];
  for (let fy = -3; fy <= 3; fy++) {
    for (let fx = 1; fx <= 4; fx++) {
      let re = 0, im = 0;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const a = 2 * Math.PI * (fy * y / h + fx * x / w), v = grey[y * w + x] - mean;
          re += v * Math.cos(a);
          im -= v * Math.sin(a);
        }
      }
      out.push(Math.hypot(re, im));
    }
  }
  return out;
}

/** Accuracy on `test` of the nearest class centroid of `feature`, fitted on `train`. */
function nearestCentroid(
  train: ImageSet,
  test: ImageSet,
  feature: (s: ImageSet, i: number) => number[],
): number {
  const dim = feature(train, 0).length;
  const cent = Array.from({ length: train.classes }, () => new Array(dim).fill(0));
  const count = new Array(train.classes).fill(0);
  for (let i = 0; i < train.n; i++) {
    feature(train, i).forEach((v, c) => (cent[train.labels[i]][c] += v));
    count[train.labels[i]]++;
  }
  cent.forEach((m, k) => m.forEach((_, c) => (m[c] /= count[k])));
  let ok = 0;
  for (let i = 0; i < test.n; i++) {
    const f = feature(test, i);
    const d = cent.map((m) => m.reduce((a, v, c) => a + (v - f[c]) ** 2, 0));
    if (d.indexOf(Math.min(...d)) === test.labels[i]) ok++;
  }
  return ok / test.n;
}

Deno.test("generateImages cue 'texture': grey in every channel, colour says nothing, stripe frequencies say everything", () => {
  const opts = { classes: 10, height: 16, width: 16, cue: "texture" as const };
  const clean = generateImages({ ...opts, n: 50, seed: 1, noise: 0 });
  for (let p = 0; p < clean.images.length; p += 3) {
    assert.ok(clean.images[p] === clean.images[p + 1] && clean.images[p] === clean.images[p + 2], `${p}`);
  }
  // whole cycles across the image: the stripes average out, each image's mean is 128 ± the ±20 jitter
  for (let i = 0; i < clean.n; i++) assert.ok(Math.abs(meanColour(clean, i)[0] - 128) <= 20.5, `${i}`);
  const train = generateImages({ ...opts, n: 400, seed: 1 }),
    test = generateImages({ ...opts, n: 200, seed: 2 });
  const byColour = nearestCentroid(train, test, meanColour);
  const bySpectrum = nearestCentroid(train, test, spectrum);
  assert.ok(byColour < 0.25, `colour accuracy ${byColour}`);
  assert.ok(bySpectrum > 0.9, `spectrum accuracy ${bySpectrum}`);
  assert.throws(() => generateImages({ ...opts, classes: 29, n: 29, seed: 0 }), /at most 28/);
});

Deno.test("CIFAR-10 binary round trip, byte layout", () => {
  const s = generateImages({ n: 7, classes: 10, seed: 3 });
  const bytes = encodeCifarBin(s, "cifar10");
  assert.equal(bytes.length, 7 * 3073);
  assert.equal(bytes[3073 * 4], s.labels[4]);
  // image 4, pixel (2, 5), channel G sits at record + 1 + 1024 + 69
  assert.equal(bytes[3073 * 4 + 1 + 1024 + 69], s.images[((4 * 32 + 2) * 32 + 5) * 3 + 1]);
  const back = readCifarBin(bytes, { dataset: "cifar10" });
  assert.deepEqual(back.images, s.images);
  assert.deepEqual(back.labels, s.labels);
});

Deno.test("CIFAR-100 binary round trip with coarse labels", () => {
  const s = generateImages({ n: 9, classes: 100, seed: 4 });
  const bytes = encodeCifarBin(s, "cifar100");
  assert.equal(bytes.length, 9 * 3074);
  const back = readCifarBin(bytes, { dataset: "cifar100" });
  assert.deepEqual(back.images, s.images);
  assert.deepEqual(back.labels, s.labels);
  assert.deepEqual([...back.coarseLabels!], [...s.labels].map(generatedCoarse));
  assert.equal(generatedCoarse(99), 19);
});

Deno.test("CIFAR python round trips (CIFAR-10 and CIFAR-100) and meta files", () => {
  for (const dataset of ["cifar10", "cifar100"] as const) {
    const s = generateImages({ n: 5, classes: dataset === "cifar10" ? 10 : 100, seed: 5 });
    const bytes = encodeCifarPython(s, dataset, "training batch 1 of 5");
    assert.deepEqual([...bytes.subarray(0, 2)], [0x80, 2], "protocol 2");
    const back = readCifarPython(bytes, { dataset });
    assert.deepEqual(back.images, s.images);
    assert.deepEqual(back.labels, s.labels);
  }
  const m10 = readCifarMeta(encodeCifarMeta("cifar10", ["a", "b"]));
  assert.deepEqual(m10, { fine: ["a", "b"] });
  const m100 = readCifarMeta(encodeCifarMeta("cifar100", ["x"], ["y", "z"]));
  assert.deepEqual(m100, { fine: ["x"], coarse: ["y", "z"] });
  assert.throws(
    () => encodeCifarBin(generateImages({ n: 1, classes: 2, seed: 0, height: 16, width: 16 }), "cifar10"),
    /16×16/,
  );
});

Deno.test("ImageNet16 round trip writes 1-based labels", () => {
  const s = generateImages({ n: 6, classes: 150, height: 16, width: 16, seed: 6 });
  const b = readImageNet16Batch(encodeImageNet16(s));
  assert.deepEqual(b.images, s.images);
  assert.deepEqual([...b.labels], [...s.labels].map((l) => l + 1));
});

Deno.test("written CIFAR trees load back; bin and python trees hold the same images", async () => {
  const root = await Deno.makeTempDir();
  try {
    for (const dataset of ["cifar10", "cifar100"] as const) {
      const opts = { dataset, trainN: 23, testN: 7, seed: 1 };
      const binDir = await writeCifarTree(`${root}/bin`, { ...opts, format: "bin" });
      const pyDir = await writeCifarTree(`${root}/py`, { ...opts, format: "python" });
      assert.ok(binDir.endsWith(dataset === "cifar10" ? "cifar-10-batches-bin" : "cifar-100-binary"));
      for (const split of ["train", "test"] as const) {
        const a = await loadCifar(`${root}/bin`, { dataset, split });
        const b = await loadCifar(pyDir, { dataset, split, format: "python" });
        assert.equal(a.n, split === "train" ? 23 : 7);
        assert.deepEqual(a.images, b.images);
        assert.deepEqual(a.labels, b.labels);
        assert.deepEqual(a.labelNames, b.labelNames);
        assert.equal(a.labelNames!.length, dataset === "cifar10" ? 10 : 100);
        if (dataset === "cifar100") assert.deepEqual(a.coarseLabelNames, b.coarseLabelNames);
      }
    }
    // no temp files left behind
    for await (const e of Deno.readDir(`${root}/bin/cifar-10-batches-bin`)) {
      assert.ok(!e.name.includes(".tmp-"), e.name);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("written ImageNet16 tree loads back with NB201's 120-class filter", async () => {
  const root = await Deno.makeTempDir();
  try {
    await writeImageNet16Tree(root, { trainN: 300, valN: 150, classes: 150, seed: 2 });
    const train = await loadImageNet16(root, "train");
    const val = await loadImageNet16(root, "valid");
    // balanced labels over 150 classes: 2 per class in train, 1 in val; 120 kept
    assert.equal(train.n, 240);
    assert.equal(val.n, 120);
    assert.equal(Math.max(...train.labels), 119);
    assert.equal((await loadImageNet16(root, "train", { classes: 150 })).n, 300);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

import assert from "node:assert/strict";
import { createRng } from "../rng.ts";
import {
  augmentInto,
  chwToHwc,
  concatImages,
  drawAugment,
  imageBatches,
  type ImageSet,
  NB201_NORMALIZATION,
  type Normalization,
  normalizeImages,
  subsetImages,
} from "./images.ts";

/** x = byte value exactly: mean 0, std 1/255. */
const IDENTITY: Normalization = { mean: [0, 0, 0], std: [1 / 255, 1 / 255, 1 / 255] };

/** n images of h×w whose every byte is (image index·7 + channel) mod 256, label = index mod classes. */
function indexed(n: number, h: number, w: number, classes = 3): ImageSet {
  const images = new Uint8Array(n * h * w * 3);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < h * w; p++) {
      for (let c = 0; c < 3; c++) images[(i * h * w + p) * 3 + c] = (i * 7 + c) % 256;
    }
  }
  return {
    images,
    labels: Int32Array.from({ length: n }, (_, i) => i % classes),
    n,
    height: h,
    width: w,
    classes,
  };
}

Deno.test("chwToHwc interleaves planes", () => {
  const src = new Uint8Array([9, 1, 2, 3, 4, 10, 20, 30, 40, 100, 200, 250, 255]);
  const dst = new Uint8Array(12);
  chwToHwc(src, 1, dst, 0, 4);
  assert.deepEqual([...dst], [1, 10, 100, 2, 20, 200, 3, 30, 250, 4, 40, 255]);
});

Deno.test("NB201 normalization constants and normalizeImages", () => {
  const n = NB201_NORMALIZATION.cifar10;
  assert.ok(Math.abs(n.mean[0] - 125.3 / 255) < 1e-12 && Math.abs(n.std[2] - 66.7 / 255) < 1e-12);
  assert.ok(Math.abs(NB201_NORMALIZATION["ImageNet16-120"].mean[1] - 116.66 / 255) < 1e-12);
  assert.ok(Math.abs(NB201_NORMALIZATION.cifar100.std[0] - 68.2 / 255) < 1e-12);
  const out = normalizeImages(new Uint8Array([0, 255, 128]), n);
  // (0 − 125.3)/63.0, (255 − 123.0)/62.1, (128 − 113.9)/66.7
  const want = [-125.3 / 63, 132 / 62.1, 14.1 / 66.7];
  want.forEach((v, i) => assert.ok(Math.abs(out[i] - v) < 1e-5, `${out[i]} vs ${v}`));
});

Deno.test("augmentInto flips, then pads with zeros and crops", () => {
  // one 3×3 image; channel 0 = 10·y + x + 1, channels 1, 2 = 0
  const h = 3, w = 3;
  const src = new Uint8Array(27);
  for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) src[(y * 3 + x) * 3] = 10 * y + x + 1;
  const lut = new Float32Array(768);
  for (let v = 0; v < 256; v++) lut[v] = v; // channel 0 identity
  const dst = new Float32Array(27);
  // pad 1: padded-flipped image has rows (−1..3); crop offset dy=0, dx=2 → out(y,x) = F(y−1, x+1)
  augmentInto(src, 0, h, w, 1, { flip: true, dy: 0, dx: 2 }, lut, dst, 0);
  const ch0 = Array.from({ length: 9 }, (_, p) => dst[p * 3]);
  // F(r, c) = I(r, 2 − c); row −1 and column 3 are padding (0)
  assert.deepEqual(ch0, [0, 0, 0, 2, 1, 0, 12, 11, 0]);
  augmentInto(src, 0, h, w, 1, { flip: false, dy: 1, dx: 1 }, lut, dst, 0);
  assert.deepEqual(Array.from({ length: 9 }, (_, p) => dst[p * 3]), [1, 2, 3, 11, 12, 13, 21, 22, 23]);
});

Deno.test("imageBatches: plain order, sizes, dropLast, indices", () => {
  const set = indexed(10, 2, 2);
  const bs = [...imageBatches(set, { batchSize: 4, norm: IDENTITY })];
  assert.deepEqual(bs.map((b) => b.n), [4, 4, 2]);
  assert.deepEqual(bs[0].shape, [4, 2, 2, 3]);
  assert.deepEqual([...bs[2].y], [8 % 3, 9 % 3]);
  assert.ok(Math.abs(bs[1].x[4 * 3 + 1] - (5 * 7 + 1)) < 1e-4, "image 5, pixel 0, channel 1");
  assert.deepEqual([...imageBatches(set, { batchSize: 4, norm: IDENTITY, dropLast: true })].length, 2);
  const sub = [...imageBatches(set, { batchSize: 8, norm: IDENTITY, indices: [9, 0, 4] })];
  assert.deepEqual([...sub[0].y], [0, 0, 1]);
  assert.throws(() => imageBatches(set, { batchSize: 4, norm: IDENTITY, shuffle: true }).next(), TypeError);
  assert.throws(() => imageBatches(set, { batchSize: 0, norm: IDENTITY }).next(), RangeError);
});

Deno.test("imageBatches: a seeded shuffle visits each image once, same seed same order", () => {
  const set = indexed(37, 2, 2);
  const run = (seed: number) =>
    [...imageBatches(set, { batchSize: 5, norm: IDENTITY, shuffle: true, rng: createRng(seed) })]
      .flatMap((b) => Array.from({ length: b.n }, (_, k) => Math.round(b.x[k * 12] / 7)));
  const a = run(11);
  assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 37 }, (_, i) => i));
  assert.deepEqual(run(11), a);
  assert.notDeepEqual(run(12), a);
  assert.notDeepEqual(a, Array.from({ length: 37 }, (_, i) => i));
});

Deno.test("imageBatches: augmentation uses drawAugment on the forked rng, padding reads as pixel 0", () => {
  const set = indexed(6, 8, 8);
  const norm = NB201_NORMALIZATION.cifar10;
  const [batch] = [...imageBatches(set, { batchSize: 6, norm, augmentPad: 4, rng: createRng(5) })];
  // replay: one fork, then one draw per image in order
  const r = createRng(5).fork();
  const lut = new Float32Array(768);
  for (let c = 0; c < 3; c++) {
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = (v / 255 - norm.mean[c]) / norm.std[c];
  }
  for (let i = 0; i < 6; i++) {
    const d = drawAugment(r, 4);
    const want = new Float32Array(192);
    augmentInto(set.images, i * 192, 8, 8, 4, d, lut, want, 0);
    assert.deepEqual(batch.x.subarray(i * 192, (i + 1) * 192), want);
    // a constant image: every pixel is either the image value or the padding value
    for (let p = 0; p < 64; p++) {
      const v = batch.x[i * 192 + p * 3];
      assert.ok(Math.abs(v - lut[(i * 7) % 256]) < 1e-6 || Math.abs(v - lut[0]) < 1e-6);
    }
  }
  // over many draws, flips ≈ half and offsets cover 0..8
  const rr = createRng(9);
  const seen = new Set<number>();
  let f = 0;
  for (let k = 0; k < 4000; k++) {
    const d = drawAugment(rr, 4);
    if (d.flip) f++;
    seen.add(d.dy);
  }
  assert.ok(Math.abs(f - 2000) < 200, `${f} flips`);
  assert.equal(seen.size, 9);
});

Deno.test("subsetImages and concatImages", () => {
  const set = { ...indexed(5, 1, 1), coarseLabels: Int32Array.from([0, 1, 2, 3, 4]) };
  const s = subsetImages(set, [4, 1]);
  assert.deepEqual([...s.images], [28, 29, 30, 7, 8, 9]);
  assert.deepEqual([...s.labels], [1, 1]);
  assert.deepEqual([...s.coarseLabels!], [4, 1]);
  assert.throws(() => subsetImages(set, [5]), RangeError);
  const c = concatImages([s, subsetImages(set, [0])]);
  assert.equal(c.n, 3);
  assert.deepEqual([...c.images], [28, 29, 30, 7, 8, 9, 0, 1, 2]);
  assert.deepEqual([...c.coarseLabels!], [4, 1, 0]);
  assert.throws(() => concatImages([set, indexed(1, 2, 2)]), TypeError);
});

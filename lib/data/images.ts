/**
 * In-memory image sets (NHWC uint8) and their training batches: NB201's per-dataset
 * normalization, random crop + horizontal flip augmentation, seeded shuffling.
 *
 * Images stay uint8 until a batch is made (4× less memory than float32; CIFAR-10 train is
 * 150 MB as uint8). Channels last, as tfjs convolutions expect.
 *
 * @module
 */
import type { Rng } from "../rng.ts";

/** Labelled RGB images, row-major NHWC uint8. */
export interface ImageSet {
  /** n·height·width·3 bytes, NHWC */
  images: Uint8Array;
  /** class of each image, in [0, classes) */
  labels: Int32Array;
  n: number;
  height: number;
  width: number;
  /** number of classes of `labels` */
  classes: number;
  labelNames?: string[];
  /** CIFAR-100 only: the 20 superclasses, when read */
  coarseLabels?: Int32Array;
  coarseLabelNames?: string[];
}

/** One training or evaluation batch. */
export interface ImageBatch {
  /** n·height·width·3 floats, NHWC, normalized */
  x: Float32Array;
  y: Int32Array;
  n: number;
  /** [n, height, width, 3] */
  shape: [number, number, number, number];
}

/** Per-channel mean and standard deviation on the [0, 1] pixel scale. */
export interface Normalization {
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

const scale = (v: number[]) => v.map((x) => x / 255) as unknown as readonly [number, number, number];

/** NB201's constants (AutoDL-Projects `get_datasets`), per dataset. */
export const NB201_NORMALIZATION: Readonly<Record<"cifar10" | "cifar100" | "ImageNet16-120", Normalization>> =
  {
    cifar10: { mean: scale([125.3, 123.0, 113.9]), std: scale([63.0, 62.1, 66.7]) },
    cifar100: { mean: scale([129.3, 124.1, 112.4]), std: scale([68.2, 65.4, 70.4]) },
    "ImageNet16-120": { mean: scale([122.68, 116.66, 104.01]), std: scale([63.22, 61.26, 65.09]) },
  };

/** Copy one image from planar CHW (R plane, G plane, B plane) to interleaved HWC. */
export function chwToHwc(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, hw: number): void {
  for (let p = 0; p < hw; p++) {
    const o = dstOff + 3 * p;
    dst[o] = src[srcOff + p];
    dst[o + 1] = src[srcOff + hw + p];
    dst[o + 2] = src[srcOff + 2 * hw + p];
  }
}

/** Throws unless the set's arrays agree with n, height, width and classes. */
export function checkImageSet(set: ImageSet, what = "image set"): void {
  const per = set.height * set.width * 3;
  if (set.images.length !== set.n * per) {
    throw new RangeError(`Expected ${what} to hold ${set.n}×${per} bytes: got ${set.images.length}`);
  }
  if (set.labels.length !== set.n) {
    throw new RangeError(`Expected ${what} to hold ${set.n} labels: got ${set.labels.length}`);
  }
  for (let i = 0; i < set.n; i++) {
    const l = set.labels[i];
    if (l < 0 || l >= set.classes) {
      throw new RangeError(`Expected labels of ${what} in [0, ${set.classes}): image ${i} has ${l}`);
    }
  }
}

/** The images at `indices`, in that order. */
export function subsetImages(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const per = set.height * set.width * 3;
  const images = new Uint8Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  const coarse = set.coarseLabels ? new Int32Array(indices.length) : undefined;
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= set.n) {
      throw new RangeError(`Expected image indices in [0, ${set.n}): got ${i} at position ${k}`);
    }
    images.set(set.images.subarray(i * per, (i + 1) * per), k * per);
    labels[k] = set.labels[i];
    if (coarse) coarse[k] = set.coarseLabels![i];
  }
  return { ...set, images, labels, n: indices.length, coarseLabels: coarse };
}

/** All images of several sets of the same geometry and classes, in order. */
export function concatImages(sets: ImageSet[]): ImageSet {
  if (sets.length === 0) throw new RangeError("Cannot concatenate zero image sets");
  const [f] = sets;
  for (const s of sets) {
    if (s.height !== f.height || s.width !== f.width || s.classes !== f.classes) {
      throw new TypeError(
        `Cannot concatenate image sets of ${s.height}×${s.width}/${s.classes} and ${f.height}×${f.width}/${f.classes}`,
      );
    }
  }
  const n = sets.reduce((a, s) => a + s.n, 0);
  const images = new Uint8Array(sets.reduce((a, s) => a + s.images.length, 0));
  const labels = new Int32Array(n);
  const withCoarse = sets.every((s) => s.coarseLabels);
  const coarse = withCoarse ? new Int32Array(n) : undefined;
  let io = 0, lo = 0;
  for (const s of sets) {
    images.set(s.images, io);
    labels.set(s.labels, lo);
    if (coarse) coarse.set(s.coarseLabels!, lo);
    io += s.images.length;
    lo += s.n;
  }
  return { ...f, images, labels, n, coarseLabels: coarse };
}

/** value of byte v in channel c after normalization: lut[c·256 + v] */
function lookup(norm: Normalization): Float32Array {
  const lut = new Float32Array(768);
  for (let c = 0; c < 3; c++) {
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = (v / 255 - norm.mean[c]) / norm.std[c];
  }
  return lut;
}

/** All images as normalized float32 NHWC ((x/255 − mean)/std per channel). */
export function normalizeImages(images: Uint8Array, norm: Normalization): Float32Array {
  const lut = lookup(norm);
  const out = new Float32Array(images.length);
  for (let i = 0; i < images.length; i += 3) {
    out[i] = lut[images[i]];
    out[i + 1] = lut[256 + images[i + 1]];
    out[i + 2] = lut[512 + images[i + 2]];
  }
  return out;
}

/** Where to crop and whether to flip one image. */
export interface AugmentDraw {
  /** mirror left-right */
  flip: boolean;
  /** crop offset in the zero-padded image, each in [0, 2·pad] */
  dy: number;
  dx: number;
}

/** Draw flip (p = 0.5) and crop offsets for one image. */
export function drawAugment(rng: Rng, pad: number): AugmentDraw {
  const flip = rng.next() < 0.5;
  return { flip, dy: rng.int(2 * pad + 1), dx: rng.int(2 * pad + 1) };
}

/**
 * Flip then pad-and-crop one NHWC uint8 image into normalized floats, as torchvision's
 * RandomHorizontalFlip → RandomCrop(size, padding=pad) → ToTensor → Normalize: padded pixels are
 * 0 before normalization.
 */
export function augmentInto(
  src: Uint8Array,
  srcOff: number,
  h: number,
  w: number,
  pad: number,
  d: AugmentDraw,
  lut: Float32Array,
  dst: Float32Array,
  dstOff: number,
): void {
  for (let y = 0; y < h; y++) {
    const sy = y + d.dy - pad;
    for (let x = 0; x < w; x++) {
      const fx = x + d.dx - pad; // column in the flipped image
      const o = dstOff + 3 * (y * w + x);
      if (sy < 0 || sy >= h || fx < 0 || fx >= w) {
        dst[o] = lut[0];
        dst[o + 1] = lut[256];
        dst[o + 2] = lut[512];
        continue;
      }
      const sx = d.flip ? w - 1 - fx : fx;
      const s = srcOff + 3 * (sy * w + sx);
      dst[o] = lut[src[s]];
      dst[o + 1] = lut[256 + src[s + 1]];
      dst[o + 2] = lut[512 + src[s + 2]];
    }
  }
}

/** Options of {@link imageBatches}. */
export interface BatchOptions {
  batchSize: number;
  norm: Normalization;
  /** needed when shuffling or augmenting; forked once so the caller's stream advances by one draw */
  rng?: Rng;
  /** visit images in a random order @default {false} */
  shuffle?: boolean;
  /** random crop with this zero padding + flip; 0 = none (NB201: 4 for 32 px, 2 for 16 px) @default {0} */
  augmentPad?: number;
  /** skip the last, smaller batch @default {false} */
  dropLast?: boolean;
  /** only these images (in this order unless shuffled) */
  indices?: ArrayLike<number>;
}

/** Batches of normalized (optionally augmented) images; same rng seed ⇒ same batches. */
export function* imageBatches(set: ImageSet, opts: BatchOptions): Generator<ImageBatch> {
  const { batchSize, norm } = opts;
  const pad = opts.augmentPad ?? 0;
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new RangeError(`Expected a positive integer batch size: got ${batchSize}`);
  }
  if (!Number.isInteger(pad) || pad < 0) throw new RangeError(`Expected augmentPad ≥ 0: got ${pad}`);
  if ((opts.shuffle || pad > 0) && !opts.rng) {
    throw new TypeError("Cannot shuffle or augment batches without an rng");
  }
  const rng = opts.rng?.fork();
  let order: number[] = opts.indices ? Array.from(opts.indices) : Array.from({ length: set.n }, (_, i) => i);
  for (const i of order) {
    if (!Number.isInteger(i) || i < 0 || i >= set.n) {
      throw new RangeError(`Expected image indices in [0, ${set.n}): got ${i}`);
    }
  }
  if (opts.shuffle) order = rng!.shuffle(order);
  const { height: h, width: w } = set;
  const per = h * w * 3;
  const lut = lookup(norm);
  const noAug: AugmentDraw = { flip: false, dy: 0, dx: 0 };
  for (let start = 0; start < order.length; start += batchSize) {
    const n = Math.min(batchSize, order.length - start);
    if (n < batchSize && opts.dropLast) return;
    const x = new Float32Array(n * per);
    const y = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      const i = order[start + k];
      y[k] = set.labels[i];
      augmentInto(set.images, i * per, h, w, pad, pad > 0 ? drawAugment(rng!, pad) : noAug, lut, x, k * per);
    }
    yield { x, y, n, shape: [n, h, w, 3] };
  }
}

/**
 * Synthetic image datasets written in the *real* file formats (CIFAR-10/100 binary and python,
 * downsampled-ImageNet16 pickles), so smoke runs and tests go through the same readers as real
 * data.
 *
 * Each class has a prototype (a base colour and an oriented sinusoidal stripe pattern with its
 * own frequency and per-channel sign); an image is its class prototype with a random phase,
 * a brightness jitter and pixel noise. Classes are therefore learnable by a small CNN, but not
 * from a single pixel. The prototypes depend on `classSeed` only, so a train set and a test set
 * generated with different `seed`s share their classes.
 *
 * @module
 */
import { createRng } from "../rng.ts";
import type { ImageSet } from "./images.ts";
import { NdArray, type PickleInput, writePickle } from "./pickle.ts";
import { type CifarDataset, cifarLayout } from "./cifar.ts";
import { writeFileAtomic } from "../io.ts";

/** Options of {@link generateImages}. */
export interface GenImageOptions {
  n: number;
  classes: number;
  /** @default {32} */
  height?: number;
  /** @default {32} */
  width?: number;
  /** seed of the samples (phases, noise, label order) */
  seed: number;
  /** seed of the class prototypes @default {0} */
  classSeed?: number;
  /** pixel noise amplitude (peak, in pixel units) @default {48} */
  noise?: number;
  /**
   * what tells the classes apart: "colour" — each class its own base colour, per-channel stripe
   * signs and stripe frequency (a pooled colour alone nearly separates them); "texture" — one
   * grey for all, the same stripes in every channel, each class its own (orientation, frequency)
   * pair: only spatial filters separate them @default {"colour"}
   */
  cue?: "colour" | "texture";
}

interface Prototype {
  base: [number, number, number];
  sign: [number, number, number];
  fy: number;
  fx: number;
  amp: number;
}

function prototypes(classes: number, classSeed: number): Prototype[] {
  const rng = createRng(classSeed, 0x51ce);
  return Array.from({ length: classes }, () => ({
    base: [0, 0, 0].map(() => 50 + rng.int(156)) as [number, number, number],
    sign: [0, 0, 0].map(() => (rng.next() < 0.5 ? -1 : 1)) as [number, number, number],
    fy: rng.int(5) - 2,
    fx: 1 + rng.int(3),
    amp: 30 + rng.int(30),
  }));
}

/** The (fy, fx) stripe pairs "texture" classes take, distinct up to sign (one class each). */
const TEXTURES: ReadonlyArray<[number, number]> = [-3, -2, -1, 0, 1, 2, 3].flatMap((fy) =>
  [1, 2, 3, 4].map((fx) => [fy, fx] as [number, number])
);

/** Texture-only prototypes: grey base, equal channel signs, one distinct stripe pair per class. */
function texturePrototypes(classes: number, classSeed: number): Prototype[] {
  if (classes > TEXTURES.length) {
    throw new RangeError(`Cannot make ${classes} texture classes: at most ${TEXTURES.length}`);
  }
  const pairs = createRng(classSeed, 0x7e47).shuffle([...TEXTURES]);
  return pairs.slice(0, classes).map(([fy, fx]) => ({
    base: [128, 128, 128],
    sign: [1, 1, 1],
    fy,
    fx,
    amp: 45,
  }));
}

/** A seeded labelled image set with learnable class structure; labels balanced, order shuffled. */
export function generateImages(opts: GenImageOptions): ImageSet {
  const { n, classes } = opts;
  const h = opts.height ?? 32, w = opts.width ?? 32;
  const noise = opts.noise ?? 48;
  for (const [k, v] of [["n", n], ["classes", classes], ["height", h], ["width", w]] as const) {
    if (!Number.isInteger(v) || v < (k === "n" ? 0 : 1)) {
      throw new RangeError(`Expected option ${k} ≥ 1: got ${v}`);
    }
  }
  const protos = opts.cue === "texture"
    ? texturePrototypes(classes, opts.classSeed ?? 0)
    : prototypes(classes, opts.classSeed ?? 0);
  const rng = createRng(opts.seed, 0x1a9e);
  const labels = Int32Array.from(rng.shuffle(Array.from({ length: n }, (_, i) => i % classes)));
  const images = new Uint8Array(n * h * w * 3);
  for (let i = 0; i < n; i++) {
    const p = protos[labels[i]];
    const phase = rng.next() * 2 * Math.PI;
    const bright = (rng.next() - 0.5) * 40;
    let bits = 0, left = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const wave = Math.sin(2 * Math.PI * (p.fy * y / h + p.fx * x / w) + phase) * p.amp;
        const o = ((i * h + y) * w + x) * 3;
        for (let c = 0; c < 3; c++) {
          if (left === 0) {
            bits = rng.nextUint32();
            left = 2;
          }
          const r = ((bits & 0xff) + ((bits >>> 8) & 0xff) - 255) / 255; // triangular in (−1, 1)
          bits >>>= 16;
          left--;
          const v = p.base[c] + bright + p.sign[c] * wave + r * noise;
          images[o + c] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
        }
      }
    }
  }
  return { images, labels, n, height: h, width: w, classes };
}

/** Coarse label of a generated CIFAR-100 fine label (5 fine classes per superclass, like CIFAR-100's 20×5). */
export function generatedCoarse(fine: number): number {
  return Math.floor(fine / 5);
}

function planar(set: ImageSet, i: number, dst: Uint8Array, off: number): void {
  const hw = set.height * set.width;
  const s = i * hw * 3;
  for (let p = 0; p < hw; p++) {
    dst[off + p] = set.images[s + 3 * p];
    dst[off + hw + p] = set.images[s + 3 * p + 1];
    dst[off + 2 * hw + p] = set.images[s + 3 * p + 2];
  }
}

function check32(set: ImageSet, dataset: CifarDataset): void {
  if (set.height !== 32 || set.width !== 32) {
    throw new RangeError(`Cannot write ${dataset}: images are ${set.height}×${set.width}, expected 32×32`);
  }
  const max = dataset === "cifar10" ? 10 : 100;
  if (set.classes > max) {
    throw new RangeError(`Cannot write ${dataset}: ${set.classes} classes, at most ${max}`);
  }
}

function coarseOf(set: ImageSet, i: number): number {
  return set.coarseLabels ? set.coarseLabels[i] : generatedCoarse(set.labels[i]);
}

/** CIFAR binary-version bytes of a set (CIFAR-100 coarse labels from `coarseLabels` or {@link generatedCoarse}). */
export function encodeCifarBin(set: ImageSet, dataset: CifarDataset): Uint8Array {
  check32(set, dataset);
  const rec = dataset === "cifar10" ? 3073 : 3074;
  const out = new Uint8Array(set.n * rec);
  for (let i = 0; i < set.n; i++) {
    const o = i * rec;
    if (dataset === "cifar10") out[o] = set.labels[i];
    else {
      out[o] = coarseOf(set, i);
      out[o + 1] = set.labels[i];
    }
    planar(set, i, out, o + rec - 3072);
  }
  return out;
}

/** Python-version batch bytes, laid out like CIFAR's own (Python-2 cPickle style, protocol 2). */
export function encodeCifarPython(set: ImageSet, dataset: CifarDataset, batchLabel: string): Uint8Array {
  check32(set, dataset);
  const data = new Uint8Array(set.n * 3072);
  for (let i = 0; i < set.n; i++) planar(set, i, data, i * 3072);
  const labels = Array.from(set.labels);
  const filenames = labels.map((l, i) => `gen_${String(i).padStart(6, "0")}_${l}.png`);
  const arr = new NdArray("uint8", [set.n, 3072], data);
  const dict: Record<string, PickleInput> = dataset === "cifar10"
    ? { batch_label: batchLabel, labels, data: arr, filenames }
    : {
      filenames,
      batch_label: batchLabel,
      fine_labels: labels,
      coarse_labels: labels.map((_, i) => coarseOf(set, i)),
      data: arr,
    };
  return writePickle(dict, { protocol: 2, style: "py2" });
}

/** Python-version meta bytes: `batches.meta` (CIFAR-10) or `meta` (CIFAR-100). */
export function encodeCifarMeta(dataset: CifarDataset, fine: string[], coarse: string[] = []): Uint8Array {
  const dict: Record<string, PickleInput> = dataset === "cifar10"
    ? { num_cases_per_batch: 10000, label_names: fine, num_vis: 3072 }
    : { fine_label_names: fine, coarse_label_names: coarse };
  return writePickle(dict, { protocol: 2, style: "py2" });
}

/** A downsampled-ImageNet pickle of 16×16 images; labels are written 1-based (label + 1). */
export function encodeImageNet16(set: ImageSet): Uint8Array {
  if (set.height !== 16 || set.width !== 16) {
    throw new RangeError(`Cannot write ImageNet16: images are ${set.height}×${set.width}, expected 16×16`);
  }
  if (set.classes > 1000) {
    throw new RangeError(`Cannot write ImageNet16: ${set.classes} classes, at most 1000`);
  }
  const data = new Uint8Array(set.n * 768);
  for (let i = 0; i < set.n; i++) planar(set, i, data, i * 768);
  const labels = Array.from(set.labels, (l) => l + 1);
  // Python-3 style at protocol 2 (str as unicode, bytes via _codecs.encode)
  return writePickle({ data: new NdArray("uint8", [set.n, 768], data), labels }, {
    protocol: 2,
    style: "py3",
  });
}

const CIFAR10_NAMES = [
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
];

/** Options of {@link writeCifarTree}. */
export interface CifarTreeOptions {
  dataset: CifarDataset;
  format: "bin" | "python";
  trainN: number;
  testN: number;
  seed: number;
  /** @default {0} */
  classSeed?: number;
  noise?: number;
}

function splitCounts(n: number, parts: number): number[] {
  return Array.from(
    { length: parts },
    (_, k) => Math.floor((n * (k + 1)) / parts) - Math.floor((n * k) / parts),
  );
}

/**
 * Write a generated CIFAR in its standard folder under `root` (`cifar-10-batches-bin`, …) with
 * all 10 (CIFAR-10) or 100 (CIFAR-100) classes. Returns the folder.
 */
export async function writeCifarTree(root: string, opts: CifarTreeOptions): Promise<string> {
  const { dataset, format } = opts;
  const classes = dataset === "cifar10" ? 10 : 100;
  const lay = cifarLayout(dataset, format);
  const dir = `${root}/${lay.folder}`;
  await Deno.mkdir(dir, { recursive: true });
  const gen = (n: number, seed: number) =>
    generateImages({ n, classes, seed, classSeed: opts.classSeed, noise: opts.noise });
  const train = gen(opts.trainN, opts.seed * 2 + 1);
  const test = gen(opts.testN, opts.seed * 2 + 2);
  const fine = dataset === "cifar10" ? CIFAR10_NAMES : Array.from({ length: 100 }, (_, i) => `class_${i}`);
  const coarse = Array.from({ length: 20 }, (_, i) => `superclass_${i}`);
  const write = async (name: string, set: ImageSet, label: string) => {
    const bytes = format === "bin" ? encodeCifarBin(set, dataset) : encodeCifarPython(set, dataset, label);
    await writeFileAtomic(`${dir}/${name}`, bytes);
  };
  const counts = splitCounts(train.n, lay.train.length);
  let start = 0;
  for (let k = 0; k < lay.train.length; k++) {
    const idx = Array.from({ length: counts[k] }, (_, i) => start + i);
    start += counts[k];
    await write(lay.train[k], pick(train, idx), `training batch ${k + 1} of ${lay.train.length}`);
  }
  await write(lay.test[0], test, "testing batch 1 of 1");
  const text = (names: string[]) => new TextEncoder().encode(names.join("\n") + "\n\n");
  if (format === "python") {
    await writeFileAtomic(
      `${dir}/${dataset === "cifar10" ? "batches.meta" : "meta"}`,
      encodeCifarMeta(dataset, fine, coarse),
    );
  } else if (dataset === "cifar10") await writeFileAtomic(`${dir}/batches.meta.txt`, text(fine));
  else {
    await writeFileAtomic(`${dir}/fine_label_names.txt`, text(fine));
    await writeFileAtomic(`${dir}/coarse_label_names.txt`, text(coarse));
  }
  return dir;
}

function pick(set: ImageSet, idx: number[]): ImageSet {
  const per = set.height * set.width * 3;
  const images = new Uint8Array(idx.length * per);
  idx.forEach((i, k) => images.set(set.images.subarray(i * per, (i + 1) * per), k * per));
  return { ...set, images, labels: Int32Array.from(idx, (i) => set.labels[i]), n: idx.length };
}

/** Options of {@link writeImageNet16Tree}. */
export interface ImageNet16TreeOptions {
  trainN: number;
  valN: number;
  /** classes written (1-based labels 1..classes); > 120 exercises NB201's filter @default {150} */
  classes?: number;
  seed: number;
  classSeed?: number;
  noise?: number;
}

/** Write `root/ImageNet16/train_data_batch_1..10` and `val_data`. Returns the folder. */
export async function writeImageNet16Tree(root: string, opts: ImageNet16TreeOptions): Promise<string> {
  const classes = opts.classes ?? 150;
  const dir = `${root}/ImageNet16`;
  await Deno.mkdir(dir, { recursive: true });
  const gen = (n: number, seed: number) =>
    generateImages({ n, classes, height: 16, width: 16, seed, classSeed: opts.classSeed, noise: opts.noise });
  const train = gen(opts.trainN, opts.seed * 2 + 1);
  const counts = splitCounts(train.n, 10);
  let start = 0;
  for (let k = 0; k < 10; k++) {
    const idx = Array.from({ length: counts[k] }, (_, i) => start + i);
    start += counts[k];
    await writeFileAtomic(`${dir}/train_data_batch_${k + 1}`, encodeImageNet16(pick(train, idx)));
  }
  await writeFileAtomic(`${dir}/val_data`, encodeImageNet16(gen(opts.valN, opts.seed * 2 + 2)));
  return dir;
}

/**
 * ImageNet16-120 reader: the 16×16 downsampled ImageNet pickles (Chrabaszcz et al. 2017) as used
 * by NAS-Bench-201.
 *
 * Files: `train_data_batch_1` … `train_data_batch_10` and `val_data`, each a pickled dict with
 * `data` (uint8 [N, 768], planar R,G,B 16×16) and `labels` (1-based ImageNet classes 1..1000;
 * train batches also hold a `mean`, ignored). NB201 (AutoDL-Projects `ImageNet16`) keeps the
 * images with 1 ≤ label ≤ 120 and uses label − 1, giving 151,700 train and 6,000 valid images.
 *
 * @module
 */
import { checkImageSet, chwToHwc, type ImageSet } from "./images.ts";
import { NdArray, readPickle } from "./pickle.ts";
import { compressedBytesMessage, findInput, readInput } from "./input.ts";

const PIXELS = 768;
const HW = 256;

/** One downsampled-ImageNet batch with its raw 1-based labels. */
export interface ImageNet16Batch {
  /** n·16·16·3, NHWC */
  images: Uint8Array;
  /** 1-based ImageNet class ids as stored */
  labels: Int32Array;
  n: number;
}

/** Parse one pickle (`train_data_batch_k` or `val_data`). */
export function readImageNet16Batch(bytes: Uint8Array, file = "<ImageNet16 batch>"): ImageNet16Batch {
  const packed = compressedBytesMessage(bytes, file);
  if (packed) throw new TypeError(`Cannot read ImageNet16 file ${file}: ${packed}`);
  const d = readPickle(bytes, { file });
  if (!(d instanceof Map)) {
    throw new TypeError(`Cannot read ImageNet16 file ${file}: the pickle is not a dict`);
  }
  const data = d.get("data");
  if (
    !(data instanceof NdArray) || data.dtype !== "uint8" || data.shape.length !== 2 ||
    data.shape[1] !== PIXELS
  ) {
    const got = data instanceof NdArray ? `${data.dtype} [${data.shape}]` : typeof data;
    const cifar = data instanceof NdArray && data.shape[1] === 3072
      ? `; it looks like a CIFAR-${d.has("fine_labels") ? "100" : "10"} python file (3072-byte 32×32 images)`
      : "";
    throw new TypeError(
      `Cannot read ImageNet16 file ${file}: expected 'data' as uint8 [N, 768], got ${got}${cifar}`,
    );
  }
  const n = data.shape[0];
  const raw = d.get("labels");
  const list: ArrayLike<unknown> | null = Array.isArray(raw)
    ? raw
    : raw instanceof NdArray && raw.shape.length === 1
    ? (raw.data as ArrayLike<unknown>)
    : null;
  if (!list) throw new TypeError(`Cannot read ImageNet16 file ${file}: 'labels' is not a list of integers`);
  if (list.length !== n) {
    throw new RangeError(`Cannot read ImageNet16 file ${file}: ${list.length} labels for ${n} images`);
  }
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = list[i];
    const l = typeof v === "number" || typeof v === "bigint" ? Number(v) : NaN;
    if (!Number.isInteger(l) || l < 1 || l > 1000) {
      throw new RangeError(
        `Cannot read ImageNet16 file ${file}: record ${i} has label ${list[i]}, expected 1..1000`,
      );
    }
    labels[i] = l;
  }
  const images = new Uint8Array(n * PIXELS);
  for (let i = 0; i < n; i++) chwToHwc(data.data as Uint8Array, i * PIXELS, images, i * PIXELS, HW);
  return { images, labels, n };
}

/**
 * Keep the images whose 1-based label is in 1..classes and shift labels to 0..classes−1
 * (NB201's `use_num_of_class_only` rule).
 */
export function restrictClasses(batches: ImageNet16Batch[], classes = 120): ImageSet {
  if (!Number.isInteger(classes) || classes < 1 || classes > 1000) {
    throw new RangeError(`Expected ImageNet16 classes in 1..1000: got ${classes}`);
  }
  let n = 0;
  for (const b of batches) for (let i = 0; i < b.n; i++) if (b.labels[i] <= classes) n++;
  const images = new Uint8Array(n * PIXELS);
  const labels = new Int32Array(n);
  let k = 0;
  for (const b of batches) {
    for (let i = 0; i < b.n; i++) {
      if (b.labels[i] > classes) continue;
      images.set(b.images.subarray(i * PIXELS, (i + 1) * PIXELS), k * PIXELS);
      labels[k++] = b.labels[i] - 1;
    }
  }
  return { images, labels, n, height: 16, width: 16, classes };
}

/** File names of a split. */
export function imageNet16Files(split: "train" | "valid"): string[] {
  return split === "train" ? Array.from({ length: 10 }, (_, i) => `train_data_batch_${i + 1}`) : ["val_data"];
}

/**
 * Read ImageNet16-`classes` (default 120) from `dir` (the folder holding the pickles, or its
 * parent containing `ImageNet16/`); each pickle may be gzip- or bzip2-compressed (`name`,
 * `name.gz` or `name.bz2`, recognised by content).
 */
export async function loadImageNet16(
  dir: string,
  split: "train" | "valid",
  opts: { classes?: number } = {},
): Promise<ImageSet> {
  const names = imageNet16Files(split);
  let base: string | null = null;
  for (const b of [dir, `${dir}/ImageNet16`]) {
    if (await findInput(`${b}/${names[0]}`)) {
      base = b;
      break;
    }
  }
  if (!base) {
    throw new Error(
      `Cannot find ImageNet16 ${split} files: expected ${dir}/${names[0]} or ${dir}/ImageNet16/${names[0]}`,
    );
  }
  const batches: ImageNet16Batch[] = [];
  for (const name of names) {
    const f = await findInput(`${base}/${name}`);
    if (!f) throw new Error(`Cannot load ImageNet16 ${split}: missing ${base}/${name}`);
    const { bytes } = await readInput(f, { what: "ImageNet16 file" });
    batches.push(readImageNet16Batch(bytes, f));
  }
  const set = restrictClasses(batches, opts.classes ?? 120);
  checkImageSet(set, `ImageNet16 ${split}`);
  return set;
}

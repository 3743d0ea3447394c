/**
 * MNIST in its original IDX format (Y. LeCun's files: `train-images-idx3-ubyte`,
 * `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, optionally
 * gzipped as downloaded), and a writer of the same format for generated data.
 *
 * IDX: big-endian magic `0x00 0x00 <type> <ndims>` (type 0x08 = unsigned byte), then one uint32
 * per dimension, then the data row-major. Paper §5.2 uses MNIST with `ToTensor` only (pixels/255,
 * no normalisation), which {@linkcode mnistBatches} reproduces.
 *
 * @module
 */
import { writeFileAtomic } from "../io.ts";
import { createRng } from "../rng.ts";
import { compressedBytesMessage, escapeBytes, findInput, readInput } from "./input.ts";

/** Images (n·rows·cols bytes) and labels. */
export interface MnistSet {
  images: Uint8Array;
  labels: Uint8Array;
  n: number;
  rows: number;
  cols: number;
}

/** Decode one IDX file of unsigned bytes; `file` names it in errors. */
export function decodeIdx(bytes: Uint8Array, file = "<idx>"): { dims: number[]; data: Uint8Array } {
  const packed = compressedBytesMessage(bytes, file);
  if (packed) throw new SyntaxError(`Cannot read ${file}: ${packed}`);
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new SyntaxError(
      `Cannot read ${file}: expected the IDX magic 0x0000 at byte 0, got '${
        escapeBytes(bytes, 0, bytes.length, 16)
      }'`,
    );
  }
  if (bytes[2] !== 0x08) {
    throw new SyntaxError(
      `Cannot read ${file}: expected unsigned-byte data (type 0x08), got 0x${bytes[2].toString(16)}`,
    );
  }
  const nd = bytes[3];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 + 4 * nd) throw new SyntaxError(`Cannot read ${file}: truncated header`);
  const dims = Array.from({ length: nd }, (_, i) => view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * nd;
  if (bytes.length !== start + size) {
    throw new SyntaxError(
      `Cannot read ${file}: dimensions [${dims}] need ${size} data bytes, the file has ${
        bytes.length - start
      }`,
    );
  }
  return { dims, data: bytes.subarray(start) };
}

/** Encode unsigned bytes as an IDX file. */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out[2] = 0x08;
  out[3] = dims.length;
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

const FILES = {
  train: ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"],
  test: ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"],
} as const;

async function readIdxFile(base: string): Promise<{ bytes: Uint8Array; path: string } | null> {
  const path = await findInput(base);
  if (!path) return null;
  return { bytes: (await readInput(path, { what: "MNIST file" })).bytes, path };
}

/** Whether `dir` holds the MNIST files of `split` (plain, `.gz` or `.bz2`). */
export async function hasMnist(dir: string, split: "train" | "test" = "train"): Promise<boolean> {
  for (const f of FILES[split]) if (!(await findInput(`${dir}/${f}`))) return false;
  return true;
}

/** Read a split of MNIST from `dir` (files plain, `.gz` or `.bz2`; compression recognised by content). */
export async function loadMnist(dir: string, split: "train" | "test"): Promise<MnistSet> {
  const [imgName, lblName] = FILES[split];
  const img = await readIdxFile(`${dir}/${imgName}`);
  const lbl = await readIdxFile(`${dir}/${lblName}`);
  if (!img || !lbl) {
    throw new RangeError(
      `Cannot find MNIST ${split} files in ${dir}: expected ${imgName} and ${lblName} (or .gz)`,
    );
  }
  const im = decodeIdx(img.bytes, img.path), lb = decodeIdx(lbl.bytes, lbl.path);
  if (im.dims.length !== 3) {
    const swapped = im.dims.length === 1 ? " (a labels file, idx1, where the images, idx3, belong?)" : "";
    throw new SyntaxError(`Cannot read ${img.path}: expected 3 dimensions, got ${im.dims.length}${swapped}`);
  }
  if (im.dims[0] === 0) throw new SyntaxError(`Cannot read ${img.path}: the file holds no images`);
  if (lb.dims.length !== 1 || lb.dims[0] !== im.dims[0]) {
    throw new SyntaxError(`Cannot read ${lbl.path}: expected ${im.dims[0]} labels, got [${lb.dims}]`);
  }
  for (let i = 0; i < lb.data.length; i++) {
    if (lb.data[i] > 9) {
      throw new SyntaxError(`Cannot read ${lbl.path}: label ${lb.data[i]} of record ${i} is not a digit`);
    }
  }
  return { images: im.data, labels: lb.data, n: im.dims[0], rows: im.dims[1], cols: im.dims[2] };
}

/**
 * Generated digit-like data: each class a fixed random 28×28 stroke pattern, each example the
 * pattern shifted by up to ±2 pixels with pixel noise; seeded. For runs without MNIST.
 */
export function generateMnist(n: number, seed: number, noise = 60): MnistSet {
  const rows = 28, cols = 28;
  const proto = createRng(0, 0x6d6e);
  const patterns = Array.from({ length: 10 }, () => {
    const p = new Float32Array(rows * cols);
    for (let s = 0; s < 3; s++) {
      // a stroke: a random segment, drawn thick
      const y0 = 4 + proto.int(20), x0 = 4 + proto.int(20), y1 = 4 + proto.int(20), x1 = 4 + proto.int(20);
      for (let t = 0; t <= 40; t++) {
        const y = Math.round(y0 + ((y1 - y0) * t) / 40), x = Math.round(x0 + ((x1 - x0) * t) / 40);
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy, xx = x + dx;
            if (yy >= 0 && yy < rows && xx >= 0 && xx < cols) p[yy * cols + xx] = 255;
          }
        }
      }
    }
    return p;
  });
  const rng = createRng(seed, 0x6d6f);
  const images = new Uint8Array(n * rows * cols), labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 10;
    labels[i] = c;
    const sy = rng.int(5) - 2, sx = rng.int(5) - 2;
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        const yy = y - sy, xx = x - sx;
        const v = yy >= 0 && yy < rows && xx >= 0 && xx < cols ? patterns[c][yy * cols + xx] : 0;
        const noisy = v + noise * (2 * rng.next() - 1);
        images[(i * rows + y) * cols + x] = Math.max(0, Math.min(255, Math.round(noisy)));
      }
    }
  }
  const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  const img2 = new Uint8Array(images.length), lab2 = new Uint8Array(n);
  order.forEach((src, dst) => {
    img2.set(images.subarray(src * rows * cols, (src + 1) * rows * cols), dst * rows * cols);
    lab2[dst] = labels[src];
  });
  return { images: img2, labels: lab2, n, rows, cols };
}

/** Write a set as the two IDX files of `split` in `dir` (uncompressed). */
export async function writeMnist(dir: string, split: "train" | "test", set: MnistSet): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const [imgName, lblName] = FILES[split];
  await writeFileAtomic(`${dir}/${imgName}`, encodeIdx([set.n, set.rows, set.cols], set.images));
  await writeFileAtomic(`${dir}/${lblName}`, encodeIdx([set.n], set.labels));
}

/** Pixels/255 (torchvision `ToTensor`, no normalisation) for the rows `indices`, flattened. */
export function mnistFloats(set: MnistSet, indices: ArrayLike<number>): Float32Array {
  const per = set.rows * set.cols;
  const out = new Float32Array(indices.length * per);
  for (let k = 0; k < indices.length; k++) {
    const src = indices[k] * per;
    for (let j = 0; j < per; j++) out[k * per + j] = set.images[src + j] / 255;
  }
  return out;
}

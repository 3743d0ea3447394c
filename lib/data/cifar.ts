/**
 * CIFAR-10 and CIFAR-100 readers for both published layouts.
 *
 * - *binary version*: records of 1 label byte (CIFAR-100: coarse then fine label byte) followed
 *   by 3072 pixel bytes (1024 R, 1024 G, 1024 B, each 32×32 row-major);
 * - *python version*: pickled dicts with `data` (uint8 [N, 3072], same planar layout) and
 *   `labels` (CIFAR-10) or `fine_labels` / `coarse_labels` (CIFAR-100); label names in
 *   `batches.meta` / `meta`.
 *
 * Output images are NHWC (planes interleaved), see {@link ImageSet}. Sizes and label ranges are
 * checked; a truncated or foreign file fails with its name and the bad record.
 *
 * @module
 */
import { checkImageSet, chwToHwc, concatImages, type ImageSet } from "./images.ts";
import { NdArray, readPickle } from "./pickle.ts";
import { compressedBytesMessage, escapeBytes, findInput, readInput, readTextInput } from "./input.ts";

/** Which CIFAR. */
export type CifarDataset = "cifar10" | "cifar100";
/** Which CIFAR-100 label becomes `labels` (the other is kept in `coarseLabels` when coarse). */
export type Cifar100Label = "fine" | "coarse";

const PIXELS = 3072;
const HW = 1024;
const NAME: Record<CifarDataset, string> = { cifar10: "CIFAR-10", cifar100: "CIFAR-100" };

/** Bytes per binary record. */
export const CIFAR_RECORD_BYTES: Readonly<Record<CifarDataset, number>> = { cifar10: 3073, cifar100: 3074 };

/** Options of the readers. */
export interface CifarReadOptions {
  dataset: CifarDataset;
  /** file name for error messages */
  file?: string;
  /** CIFAR-100: which label is `labels` @default {"fine"} */
  label?: Cifar100Label;
}

function geometry(dataset: CifarDataset, label: Cifar100Label) {
  if (dataset === "cifar10") return { classes: 10 };
  return { classes: label === "fine" ? 100 : 20 };
}

/** Parse a CIFAR binary-version file. */
export function readCifarBin(bytes: Uint8Array, opts: CifarReadOptions): ImageSet {
  const { dataset } = opts;
  const file = opts.file ?? `<${dataset} bin>`;
  const label = opts.label ?? "fine";
  const rec = CIFAR_RECORD_BYTES[dataset];
  const packed = compressedBytesMessage(bytes, file);
  if (packed) throw new TypeError(`Cannot read ${NAME[dataset]} binary file ${file}: ${packed}`);
  if (bytes.length === 0) {
    throw new RangeError(`Cannot read ${NAME[dataset]} binary file ${file}: the file is empty`);
  }
  if (bytes.length % rec !== 0) {
    const full = Math.floor(bytes.length / rec);
    throw new RangeError(
      `Cannot read ${
        NAME[dataset]
      } binary file ${file}: ${bytes.length} bytes is not a positive multiple of ` +
        `the ${rec}-byte record (record ${full} is incomplete: truncated file or not a ${
          NAME[dataset]
        } binary file)${cifarBinHint(bytes, dataset)}`,
    );
  }
  const n = bytes.length / rec;
  const images = new Uint8Array(n * PIXELS);
  const labels = new Int32Array(n);
  const coarse = dataset === "cifar100" ? new Int32Array(n) : undefined;
  const fine = dataset === "cifar100" ? new Int32Array(n) : undefined;
  for (let i = 0; i < n; i++) {
    const o = i * rec;
    if (dataset === "cifar10") {
      if (bytes[o] > 9) {
        throw new RangeError(
          `Cannot read CIFAR-10 binary file ${file}: record ${i} has label ${bytes[o]}, expected 0..9${
            i === 0 ? cifarBinHint(bytes, dataset) : ""
          }`,
        );
      }
      labels[i] = bytes[o];
    } else {
      if (bytes[o] > 19 || bytes[o + 1] > 99) {
        throw new RangeError(
          `Cannot read CIFAR-100 binary file ${file}: record ${i} has coarse/fine labels ${bytes[o]}/${
            bytes[o + 1]
          }, ` +
            `expected 0..19/0..99${i === 0 ? cifarBinHint(bytes, dataset) : ""}`,
        );
      }
      coarse![i] = bytes[o];
      fine![i] = bytes[o + 1];
    }
    chwToHwc(bytes, o + rec - PIXELS, images, i * PIXELS, HW);
  }
  return finish(dataset, label, images, dataset === "cifar10" ? labels : null, fine, coarse, n);
}

/** What a file that fails as `dataset` binary looks like instead ("; …"), from its size and first record. */
function cifarBinHint(bytes: Uint8Array, dataset: CifarDataset): string {
  const other: CifarDataset = dataset === "cifar10" ? "cifar100" : "cifar10";
  const rec = CIFAR_RECORD_BYTES[other];
  const labelsOk = other === "cifar10" ? bytes[0] <= 9 : bytes[0] <= 19 && bytes[1] <= 99;
  if (bytes.length % rec === 0 && labelsOk) {
    return `; it looks like a ${NAME[other]} binary file (${bytes.length / rec} records of ${rec} bytes): ` +
      `read it as ${other}`;
  }
  if (bytes[0] === 0x80 && bytes[bytes.length - 1] === 0x2e) {
    return "; it looks like a pickle (the CIFAR python version): read it with the python format";
  }
  return `; first bytes ${escapeBytes(bytes, 0, bytes.length, 16)}`;
}

function finish(
  dataset: CifarDataset,
  label: Cifar100Label,
  images: Uint8Array,
  labels10: Int32Array | null,
  fine: Int32Array | undefined,
  coarse: Int32Array | undefined,
  n: number,
): ImageSet {
  const { classes } = geometry(dataset, label);
  const labels = labels10 ?? (label === "fine" ? fine! : coarse!);
  return {
    images,
    labels,
    n,
    height: 32,
    width: 32,
    classes,
    coarseLabels: dataset === "cifar100" ? coarse : undefined,
  };
}

function intLabels(v: unknown, key: string, n: number, max: number, file: string): Int32Array {
  const fail = (why: string): never => {
    throw new RangeError(`Cannot read CIFAR python file ${file}: '${key}' ${why}`);
  };
  let arr: ArrayLike<unknown>;
  if (Array.isArray(v)) arr = v;
  else if (v instanceof NdArray && v.shape.length === 1) arr = v.data as ArrayLike<unknown>;
  else return fail("is not a list of integers");
  if (arr.length !== n) fail(`has ${arr.length} entries for ${n} images`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const a = arr[i];
    const x = typeof a === "number" || typeof a === "bigint" ? Number(a) : NaN;
    if (!Number.isInteger(x) || x < 0 || x > max) {
      fail(`entry ${i} is ${arr[i]}, expected an integer in 0..${max}`);
    }
    out[i] = x;
  }
  return out;
}

/** Parse a CIFAR python-version batch (`data_batch_k`, `test_batch`, `train`, `test`). */
export function readCifarPython(bytes: Uint8Array, opts: CifarReadOptions): ImageSet {
  const { dataset } = opts;
  const file = opts.file ?? `<${dataset} python>`;
  const label = opts.label ?? "fine";
  const packed = compressedBytesMessage(bytes, file);
  if (packed) throw new TypeError(`Cannot read CIFAR python file ${file}: ${packed}`);
  if (bytes.length > 0 && bytes[0] !== 0x80 && bytes.length % CIFAR_RECORD_BYTES[dataset] === 0) {
    throw new TypeError(
      `Cannot read CIFAR python file ${file}: it is not a pickle; it looks like a ${NAME[dataset]} binary ` +
        `file (${bytes.length / CIFAR_RECORD_BYTES[dataset]} records): read it with the bin format`,
    );
  }
  const d = readPickle(bytes, { file });
  if (!(d instanceof Map)) {
    throw new TypeError(`Cannot read CIFAR python file ${file}: the pickle is not a dict`);
  }
  const other = dataset === "cifar10" ? d.has("fine_labels") : d.has("labels") && !d.has("fine_labels");
  if (other) {
    const it = dataset === "cifar10" ? "CIFAR-100 (it has 'fine_labels')" : "CIFAR-10 (it has 'labels')";
    const shape = d.get("data") instanceof NdArray ? (d.get("data") as NdArray).shape : [];
    const inet = shape[1] === 768 ? "an ImageNet16 batch (768-byte 16×16 images)" : null;
    throw new TypeError(
      `Cannot read ${NAME[dataset]} python file ${file}: it looks like ${
        inet ?? `a ${it} python file`
      }, not ${NAME[dataset]}`,
    );
  }
  const data = d.get("data");
  if (
    !(data instanceof NdArray) || data.dtype !== "uint8" || data.shape.length !== 2 ||
    data.shape[1] !== PIXELS
  ) {
    const got = data instanceof NdArray ? `${data.dtype} [${data.shape}]` : typeof data;
    throw new TypeError(
      `Cannot read CIFAR python file ${file}: expected 'data' as uint8 [N, 3072], got ${got}`,
    );
  }
  const n = data.shape[0];
  const images = new Uint8Array(n * PIXELS);
  for (let i = 0; i < n; i++) chwToHwc(data.data as Uint8Array, i * PIXELS, images, i * PIXELS, HW);
  if (dataset === "cifar10") {
    if (!d.has("labels")) throw new TypeError(`Cannot read CIFAR-10 python file ${file}: no 'labels' key`);
    return finish(
      dataset,
      label,
      images,
      intLabels(d.get("labels"), "labels", n, 9, file),
      undefined,
      undefined,
      n,
    );
  }
  for (const k of ["fine_labels", "coarse_labels"]) {
    if (!d.has(k)) throw new TypeError(`Cannot read CIFAR-100 python file ${file}: no '${k}' key`);
  }
  const fine = intLabels(d.get("fine_labels"), "fine_labels", n, 99, file);
  const coarse = intLabels(d.get("coarse_labels"), "coarse_labels", n, 19, file);
  return finish(dataset, label, images, null, fine, coarse, n);
}

/** Label names from a python-version meta file: `{label_names}` or `{fine_label_names, coarse_label_names}`. */
export function readCifarMeta(bytes: Uint8Array, file = "<meta>"): { fine: string[]; coarse?: string[] } {
  const d = readPickle(bytes, { file });
  const list = (k: string) => {
    const v = d instanceof Map ? d.get(k) : undefined;
    if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) {
      throw new TypeError(`Cannot read CIFAR meta file ${file}: '${k}' is not a list of strings`);
    }
    return v as string[];
  };
  if (d instanceof Map && d.has("label_names")) return { fine: list("label_names") };
  return { fine: list("fine_label_names"), coarse: list("coarse_label_names") };
}

/** Label names of a binary-version text file (one per line, blank lines ignored). */
export function readLabelNamesText(text: string): string[] {
  return text.split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Where the files of each layout live, relative to the layout's folder. */
const LAYOUTS = {
  cifar10: {
    bin: {
      folder: "cifar-10-batches-bin",
      train: [1, 2, 3, 4, 5].map((k) => `data_batch_${k}.bin`),
      test: ["test_batch.bin"],
    },
    python: {
      folder: "cifar-10-batches-py",
      train: [1, 2, 3, 4, 5].map((k) => `data_batch_${k}`),
      test: ["test_batch"],
    },
  },
  cifar100: {
    bin: { folder: "cifar-100-binary", train: ["train.bin"], test: ["test.bin"] },
    python: { folder: "cifar-100-python", train: ["train"], test: ["test"] },
  },
} as const;

/** The standard file names of a layout (for writers and docs). */
export function cifarLayout(dataset: CifarDataset, format: "bin" | "python") {
  return LAYOUTS[dataset][format];
}

/** Options of {@link loadCifar}. */
export interface LoadCifarOptions {
  dataset: CifarDataset;
  split: "train" | "test";
  /** force a layout; by default binary if present, else python */
  format?: "bin" | "python";
  label?: Cifar100Label;
}

/**
 * Read a CIFAR split from `dir`, which is either the layout folder itself
 * (`cifar-10-batches-bin`, …) or its parent. Each file may be gzip- or bzip2-compressed (found
 * as `name`, `name.gz` or `name.bz2`; recognised by content). Label names are attached when the
 * meta file exists.
 */
export async function loadCifar(dir: string, opts: LoadCifarOptions): Promise<ImageSet> {
  const { dataset, split } = opts;
  const label = opts.label ?? "fine";
  const formats = opts.format ? [opts.format] : (["bin", "python"] as const);
  const tried: string[] = [];
  for (const format of formats) {
    const lay = LAYOUTS[dataset][format];
    for (const base of [`${dir}/${lay.folder}`, dir]) {
      const names = lay[split].map((f) => `${base}/${f}`);
      tried.push(names[0]);
      if (!(await findInput(names[0]))) continue;
      const files: string[] = [], missing: string[] = [];
      for (const f of names) {
        const found = await findInput(f);
        if (found) files.push(found);
        else missing.push(f);
      }
      if (missing.length) {
        throw new Error(`Cannot load ${NAME[dataset]} ${split}: missing ${missing.join(", ")}`);
      }
      const sets: ImageSet[] = [];
      for (const f of files) {
        const what = `${NAME[dataset]} ${format === "bin" ? "binary" : "python"} file`;
        const { bytes } = await readInput(f, { what });
        sets.push(
          format === "bin" ? readCifarBin(bytes, { dataset, file: f, label }) : readCifarPython(bytes, {
            dataset,
            file: f,
            label,
          }),
        );
      }
      const set = sets.length === 1 ? sets[0] : concatImages(sets);
      await attachNames(set, base, dataset, format, label);
      checkImageSet(set, `${NAME[dataset]} ${split}`);
      return set;
    }
  }
  throw new Error(
    `Cannot find ${NAME[dataset]} ${split} files: tried ${
      tried.join(", ")
    } (see data/README.md for the layout)`,
  );
}

async function attachNames(
  set: ImageSet,
  base: string,
  dataset: CifarDataset,
  format: "bin" | "python",
  label: Cifar100Label,
): Promise<void> {
  let fine: string[] | undefined, coarse: string[] | undefined;
  const names = async (name: string) => {
    const f = await findInput(`${base}/${name}`);
    return f ? readLabelNamesText(await readTextInput(f, { what: "label names file" })) : undefined;
  };
  if (format === "python") {
    const f = await findInput(`${base}/${dataset === "cifar10" ? "batches.meta" : "meta"}`);
    if (f) ({ fine, coarse } = readCifarMeta((await readInput(f, { what: "CIFAR meta file" })).bytes, f));
  } else if (dataset === "cifar10") fine = await names("batches.meta.txt");
  else {
    fine = await names("fine_label_names.txt");
    coarse = await names("coarse_label_names.txt");
  }
  const main = dataset === "cifar100" && label === "coarse" ? coarse : fine;
  if (main) {
    if (main.length !== set.classes) {
      throw new RangeError(`Expected ${set.classes} label names in ${base}: found ${main.length}`);
    }
    set.labelNames = main;
  }
  if (dataset === "cifar100" && coarse) set.coarseLabelNames = coarse;
}

/** What {@link loadCifarPartial} read. */
export interface PartialCifar {
  set: ImageSet;
  /** the files read */
  files: string[];
  /** whether they are the split's full standard files */
  complete: boolean;
}

/**
 * A CIFAR split from whatever `dir` holds, for a trial of the pipeline on a sample: the full
 * standard files when present, else the split's standard files that exist (e.g. one
 * `data_batch_1.bin`), else every binary-version `*.bin` file in `dir` (e.g. a sample of the test
 * batch). Label names from `batches.meta.txt` or the python-version `batches.meta`. The caller
 * labels a run on `complete: false` data as partial.
 */
export async function loadCifarPartial(dir: string, opts: LoadCifarOptions): Promise<PartialCifar> {
  const { dataset, split } = opts;
  const label = opts.label ?? "fine";
  try {
    const set = await loadCifar(dir, opts);
    return { set, files: [], complete: true };
  } catch (e) {
    if (!/^Cannot (find|load)/.test((e as Error).message)) throw e;
  }
  const lay = LAYOUTS[dataset].bin;
  let files: string[] = [], base = dir;
  for (const b of [`${dir}/${lay.folder}`, dir]) {
    const present = [];
    for (const f of lay[split]) if (await exists(`${b}/${f}`)) present.push(`${b}/${f}`);
    if (present.length) {
      [files, base] = [present, b];
      break;
    }
  }
  if (files.length === 0) {
    const found: string[] = [];
    // only files of whole records of this dataset (a CIFAR-10 sample is no CIFAR-100 file)
    for await (const e of Deno.readDir(dir)) {
      if (!e.isFile || !e.name.endsWith(".bin")) continue;
      const size = (await Deno.stat(`${dir}/${e.name}`)).size;
      if (size > 0 && size % CIFAR_RECORD_BYTES[dataset] === 0) found.push(`${dir}/${e.name}`);
    }
    files = found.sort();
  }
  if (files.length === 0) {
    throw new Error(`Cannot find any ${NAME[dataset]} binary-version file (*.bin) in ${dir}`);
  }
  const sets = [];
  for (const f of files) sets.push(readCifarBin(await Deno.readFile(f), { dataset, file: f, label }));
  const set = sets.length === 1 ? sets[0] : concatImages(sets);
  await attachNames(set, base, dataset, "bin", label);
  if (!set.labelNames && dataset === "cifar10" && (await exists(`${base}/batches.meta`))) {
    const names = readCifarMeta(await Deno.readFile(`${base}/batches.meta`), `${base}/batches.meta`).fine;
    if (names.length !== set.classes) {
      throw new RangeError(
        `Expected ${set.classes} label names in ${base}/batches.meta: found ${names.length}`,
      );
    }
    set.labelNames = names;
  }
  checkImageSet(set, `${NAME[dataset]} ${split} (partial)`);
  return { set, files, complete: false };
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

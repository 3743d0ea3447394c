/**
 * NAS-Bench-201's data splits (docs/nb201.md §3).
 *
 * | dataset          | train                 | valid (x-valid)              | test                        |
 * |------------------|-----------------------|------------------------------|-----------------------------|
 * | `cifar10-valid`  | half A of CIFAR-10 train (25k) | half B of train (25k) | ori-test (10k test)         |
 * | `cifar10`        | all 50k train         | ori-test (NB201 has no valid) | ori-test                   |
 * | `cifar100`       | all 50k train         | x-valid: half of test (5k)   | x-test: other half (5k)     |
 * | `ImageNet16-120` | all 151,700 train     | x-valid: half of valid (3k)  | x-test: other half (3k)     |
 *
 * The official halves are fixed index lists published in AutoDL-Projects
 * `configs/nas-benchmark/{cifar-split.txt, cifar100-test-split.txt, imagenet-16-120-test-split.txt}`.
 * They are not shipped here (not our data, and large). What this module does:
 * - {@link parseSplitFile} / {@link loadOfficialSplits} read those files when the user puts
 *   them in a folder (format: JSON `{"train": ["int", ["0", "5", …]], "valid": ["int", […]]}`,
 *   keys `train`/`valid` or `xvalid`/`xtest`);
 * - otherwise {@link nb201Split} makes a documented *seeded equivalent*: class-stratified random
 *   halves (PCG32 seeded, each half sorted). Same sizes and class balance as NB201's, but not the
 *   same images, so numbers are comparable in distribution, not index by index. The returned
 *   split says which (`source`).
 *
 * @module
 */
import { readTextInput } from "./input.ts";
import { createRng } from "../rng.ts";

/** NB201 dataset names as used by its API. */
export type Nb201Dataset = "cifar10-valid" | "cifar10" | "cifar100" | "ImageNet16-120";

/** Indices into one of the two source sets of a dataset. */
export interface IndexSubset {
  /** which file set the indices point into: the training files or the test/val files */
  from: "train" | "test";
  indices: Int32Array;
}

/** The three subsets of an NB201 dataset. */
export interface Nb201DataSplit {
  dataset: Nb201Dataset;
  train: IndexSubset;
  valid: IndexSubset;
  test: IndexSubset;
  /** official split files, or the seeded equivalent */
  source: "official" | "seeded";
  seed?: number;
}

/** Official file name and its two keys, per dataset that needs one. */
export const OFFICIAL_SPLIT_FILES: Readonly<
  Partial<Record<Nb201Dataset, { file: string; keys: [string, string] }>>
> = {
  "cifar10-valid": { file: "cifar-split.txt", keys: ["train", "valid"] },
  cifar100: { file: "cifar100-test-split.txt", keys: ["xvalid", "xtest"] },
  "ImageNet16-120": { file: "imagenet-16-120-test-split.txt", keys: ["xvalid", "xtest"] },
};

/**
 * Parse an AutoDL-Projects config/split file: a JSON object whose values are `[type, value]`
 * pairs. Returns the `int` lists (others are ignored).
 */
export function parseSplitFile(text: string, file = "<split file>"): Record<string, Int32Array> {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(`Cannot parse split file ${file}: not JSON (${(e as Error).message})`);
  }
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) {
    throw new SyntaxError(`Cannot parse split file ${file}: expected a JSON object of [type, values] pairs`);
  }
  const out: Record<string, Int32Array> = {};
  for (const [key, v] of Object.entries(obj)) {
    if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== "string") {
      throw new SyntaxError(`Cannot parse split file ${file}: key '${key}' is not a [type, value] pair`);
    }
    if (v[0] !== "int") continue;
    const list = Array.isArray(v[1]) ? v[1] : [v[1]];
    const arr = new Int32Array(list.length);
    list.forEach((s: unknown, i: number) => {
      const x = typeof s === "number" ? s : typeof s === "string" && /^\d+$/.test(s) ? Number(s) : NaN;
      if (!Number.isInteger(x) || x < 0 || x > 0x7fffffff) {
        throw new SyntaxError(
          `Cannot parse split file ${file}: '${key}' entry ${i} is ${JSON.stringify(s)}, expected an index`,
        );
      }
      arr[i] = x;
    });
    out[key] = arr;
  }
  return out;
}

/** Check that two halves are disjoint and together cover 0..n−1. */
export function checkHalves(a: Int32Array, b: Int32Array, n: number, what: string): void {
  const seen = new Uint8Array(n);
  for (const [name, h] of [["first", a], ["second", b]] as const) {
    for (let i = 0; i < h.length; i++) {
      const x = h[i];
      if (x < 0 || x >= n) {
        throw new RangeError(`Expected ${what} indices in [0, ${n}): ${name} half has ${x}`);
      }
      if (seen[x]) throw new RangeError(`Expected disjoint halves in ${what}: index ${x} appears twice`);
      seen[x] = 1;
    }
  }
  if (a.length + b.length !== n) {
    throw new RangeError(`Expected ${what} halves to cover ${n} items: they hold ${a.length} + ${b.length}`);
  }
}

/**
 * Split 0..n−1 into two halves at random, stratified by `labels` when given (each class split
 * as evenly as possible; odd classes give their extra item alternately to each half). Sorted.
 */
export function seededHalves(n: number, seed: number, labels?: ArrayLike<number>): [Int32Array, Int32Array] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`Expected a count ≥ 0: got ${n}`);
  if (labels && labels.length !== n) throw new RangeError(`Expected ${n} labels: got ${labels.length}`);
  const rng = createRng(seed);
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const c = labels ? labels[i] : 0;
    let g = groups.get(c);
    if (!g) groups.set(c, g = []);
    g.push(i);
  }
  const a: number[] = [], b: number[] = [];
  let extraToA = true;
  for (const c of [...groups.keys()].sort((x, y) => x - y)) {
    const g = rng.shuffle(groups.get(c)!);
    let k = Math.floor(g.length / 2);
    if (g.length % 2) {
      if (extraToA) k++;
      extraToA = !extraToA;
    }
    a.push(...g.slice(0, k));
    b.push(...g.slice(k));
  }
  const sorted = (xs: number[]) => Int32Array.from(xs).sort();
  return [sorted(a), sorted(b)];
}

/** Options of {@link nb201Split}. */
export interface SplitOptions {
  /** images in the training files */
  trainN: number;
  /** images in the test (CIFAR) or val (ImageNet16) files */
  testN: number;
  /** labels of the set being halved, for stratification (train labels for cifar10-valid, else test labels) */
  labels?: ArrayLike<number>;
  /** seed of the seeded equivalent @default {0} */
  seed?: number;
  /** halves read from the official file ({@link parseSplitFile} output); used instead of the seed */
  official?: Record<string, Int32Array>;
}

const range = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

/** The train / valid / test subsets of an NB201 dataset. */
export function nb201Split(dataset: Nb201Dataset, opts: SplitOptions): Nb201DataSplit {
  const { trainN, testN } = opts;
  for (const [k, v] of [["trainN", trainN], ["testN", testN]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`Expected ${k} ≥ 0: got ${v}`);
  }
  if (dataset === "cifar10") {
    const test = { from: "test" as const, indices: range(testN) };
    return {
      dataset,
      train: { from: "train", indices: range(trainN) },
      valid: test,
      test,
      source: "official",
    };
  }
  const spec = OFFICIAL_SPLIT_FILES[dataset];
  if (!spec) throw new RangeError(`Unknown NB201 dataset '${dataset}'`);
  const halvedN = dataset === "cifar10-valid" ? trainN : testN;
  let a: Int32Array, b: Int32Array, source: "official" | "seeded";
  const seed = opts.seed ?? 0;
  if (opts.official) {
    const [ka, kb] = spec.keys;
    a = opts.official[ka];
    b = opts.official[kb];
    if (!a || !b) throw new RangeError(`Expected keys '${ka}' and '${kb}' in the official ${spec.file}`);
    checkHalves(a, b, halvedN, spec.file);
    source = "official";
  } else {
    [a, b] = seededHalves(halvedN, seed, opts.labels);
    source = "seeded";
  }
  const extra = source === "seeded" ? { seed } : {};
  if (dataset === "cifar10-valid") {
    return {
      dataset,
      train: { from: "train", indices: a },
      valid: { from: "train", indices: b },
      test: { from: "test", indices: range(testN) },
      source,
      ...extra,
    };
  }
  return {
    dataset,
    train: { from: "train", indices: range(trainN) },
    valid: { from: "test", indices: a },
    test: { from: "test", indices: b },
    source,
    ...extra,
  };
}

/**
 * Read the official split file of `dataset` from `dir` if it is there; `null` when absent (the
 * caller then uses the seeded equivalent). Malformed files are errors.
 */
export async function loadOfficialSplits(
  dir: string,
  dataset: Nb201Dataset,
): Promise<Record<string, Int32Array> | null> {
  const spec = OFFICIAL_SPLIT_FILES[dataset];
  if (!spec) return null;
  const path = `${dir}/${spec.file}`;
  let text: string;
  try {
    text = await readTextInput(path, { what: "NB201 split file" });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  return parseSplitFile(text, path);
}

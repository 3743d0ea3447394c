/**
 * Recommender data in memory: dense features, hashed sparse ids and labels as flat typed arrays
 * (row-major), the form every reader produces, the cache stores and the models consume.
 *
 * @module
 */
import type { Rng } from "../rng.ts";

/** A preprocessed recommender dataset (or a slice of one). */
export interface RecsysData {
  /** "criteo" | "avazu" | "kdd2012" | … */
  dataset: string;
  n: number;
  numDense: number;
  numSparse: number;
  /** n·numDense, row-major, after NASRec's log(max(x, 0) + 1) */
  dense: Float32Array;
  /** n·numSparse, row-major; field f holds an index in [0, tableSizes[f]), 0 = missing */
  sparse: Int32Array;
  /** 0/1 */
  labels: Float32Array;
  tableSizes: number[];
}

/** The rows `rows` (in that order) as a new dataset. */
export function takeRows(d: RecsysData, rows: ArrayLike<number>): RecsysData {
  const n = rows.length;
  const dense = new Float32Array(n * d.numDense), sparse = new Int32Array(n * d.numSparse);
  const labels = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const r = rows[k];
    if (!Number.isInteger(r) || r < 0 || r >= d.n) {
      throw new RangeError(`Expected rows in [0, ${d.n}): got ${r}`);
    }
    dense.set(d.dense.subarray(r * d.numDense, (r + 1) * d.numDense), k * d.numDense);
    sparse.set(d.sparse.subarray(r * d.numSparse, (r + 1) * d.numSparse), k * d.numSparse);
    labels[k] = d.labels[r];
  }
  return { ...d, n, dense, sparse, labels, tableSizes: d.tableSizes.slice() };
}

/** Consecutive (or shuffled) batches as datasets of `batchSize` rows. */
export function* batchesOf(
  d: RecsysData,
  batchSize: number,
  opts: { shuffle?: Rng; dropLast?: boolean } = {},
): Generator<RecsysData> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`Expected a positive batch size: got ${batchSize}`);
  }
  const order = Array.from({ length: d.n }, (_, i) => i);
  const rows = opts.shuffle ? opts.shuffle.shuffle(order) : order;
  for (let s = 0; s < d.n; s += batchSize) {
    if (s + batchSize > d.n && opts.dropLast) return;
    yield takeRows(d, rows.slice(s, s + batchSize));
  }
}

/** The positive rate (the constant-CTR predictor's probability). */
export function positiveRate(d: RecsysData): number {
  let s = 0;
  for (let i = 0; i < d.n; i++) s += d.labels[i];
  return s / d.n;
}

/** Read a text file line by line (streamed; `\n` or `\r\n`), with 1-based line numbers. */
export async function* readLines(path: string): AsyncGenerator<[string, number]> {
  const file = await Deno.open(path, { read: true });
  const decoder = new TextDecoder();
  let rest = "", line = 0;
  try {
    const buf = new Uint8Array(1 << 20);
    for (;;) {
      const got = await file.read(buf);
      if (got === null) break;
      rest += decoder.decode(buf.subarray(0, got), { stream: true });
      let nl: number;
      let start = 0;
      while ((nl = rest.indexOf("\n", start)) >= 0) {
        const end = nl > start && rest.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        yield [rest.slice(start, end), ++line];
        start = nl + 1;
      }
      rest = rest.slice(start);
    }
    rest += decoder.decode();
    if (rest.length > 0) yield [rest.endsWith("\r") ? rest.slice(0, -1) : rest, ++line];
  } finally {
    file.close();
  }
}

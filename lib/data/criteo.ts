/**
 * Criteo Kaggle display-advertising `train.txt` with NASRec's preprocessing
 * (reference-implementations.md §4.3): 40 tab-separated fields — label, 13 integers I1–I13 (empty
 * allowed, negatives occur), 26 categoricals C1–C26 (empty or hex). Dense: empty → 0, then
 * log(max(x, 0) + 1). Categorical: the hex string as an integer v (empty → −1), index =
 * fmod(v, N_f − 1) + 1, so missing → 0; N_f = NASRec's full cardinality of field f, optionally
 * capped (`maxRows`) for CPU runs. Streamed: the 11 GB file is never held in memory as text.
 *
 * @module
 */
import { NASREC_CRITEO } from "../spaces/nasrec/cost.ts";
import { readLines, type RecsysData } from "./recsys.ts";

/** Options of {@linkcode readCriteo}. */
export interface RecsysReadOptions {
  /** cap every table at this many rows (e.g. 500 000 on a CPU) */
  maxRows?: number;
  /** stop after this many rows */
  limit?: number;
  /** malformed rows: throw (default) or skip and count them */
  onBadRow?: "error" | "skip";
}

/** A read dataset and what was skipped. */
export interface RecsysReadResult {
  data: RecsysData;
  skipped: number;
  /** rows per second of parsing */
  rate: number;
}

/** Table sizes of a layout under a cap. */
export function cappedSizes(sizes: readonly number[], maxRows?: number): number[] {
  return sizes.map((n) => (maxRows ? Math.min(n, maxRows) : n));
}

/** NASRec's hashing of one categorical value (hex string; "" = missing) into a table of `size` rows. */
export function hashHex(value: string, size: number): number {
  if (value === "") return 0;
  if (!/^[0-9a-fA-F]+$/.test(value)) return -1;
  const v = Number.parseInt(value, 16);
  return (v % (size - 1)) + 1;
}

/** NASRec's dense transform: log(max(x, 0) + 1), empty = 0. */
export function denseValue(text: string): number {
  if (text === "") return 0;
  const x = Number(text);
  return Math.log(Math.max(x, 0) + 1);
}

class Growing {
  dense: Float32Array;
  sparse: Int32Array;
  labels: Float32Array;
  n = 0;
  constructor(readonly nd: number, readonly ns: number) {
    this.dense = new Float32Array(1024 * nd);
    this.sparse = new Int32Array(1024 * ns);
    this.labels = new Float32Array(1024);
  }
  push(dense: number[], sparse: number[], label: number): void {
    if (this.n === this.labels.length) {
      const grow = <T extends Float32Array | Int32Array>(a: T, w: number): T => {
        const b = new (a.constructor as new (n: number) => T)(2 * this.labels.length * w);
        b.set(a);
        return b;
      };
      this.dense = grow(this.dense, this.nd);
      this.sparse = grow(this.sparse, this.ns);
      this.labels = grow(this.labels, 1);
    }
    this.dense.set(dense, this.n * this.nd);
    this.sparse.set(sparse, this.n * this.ns);
    this.labels[this.n++] = label;
  }
  data(dataset: string, tableSizes: number[]): RecsysData {
    return {
      dataset,
      n: this.n,
      numDense: this.nd,
      numSparse: this.ns,
      dense: this.dense.slice(0, this.n * this.nd),
      sparse: this.sparse.slice(0, this.n * this.ns),
      labels: this.labels.slice(0, this.n),
      tableSizes,
    };
  }
}

/** Read a Criteo `train.txt` (or a sample in its format). */
export async function readCriteo(path: string, opts: RecsysReadOptions = {}): Promise<RecsysReadResult> {
  const t0 = performance.now();
  const sizes = cappedSizes(NASREC_CRITEO.tableSizes, opts.maxRows);
  const out = new Growing(13, 26);
  let skipped = 0;
  const dense = new Array<number>(13), sparse = new Array<number>(26);
  for await (const [line, no] of readLines(path)) {
    if (opts.limit !== undefined && out.n >= opts.limit) break;
    if (line === "") continue;
    const f = line.split("\t");
    let problem: string | null = null;
    if (f.length !== 40) problem = `expected 40 tab-separated fields, got ${f.length}`;
    else if (f[0] !== "0" && f[0] !== "1") problem = `expected label 0 or 1, got '${f[0]}'`;
    else {
      for (let j = 0; j < 13 && !problem; j++) {
        const v = f[1 + j];
        if (v !== "" && !/^-?\d+$/.test(v)) problem = `field I${j + 1}: expected an integer, got '${v}'`;
        else dense[j] = denseValue(v);
      }
      for (let j = 0; j < 26 && !problem; j++) {
        const h = hashHex(f[14 + j], sizes[j]);
        if (h < 0) problem = `field C${j + 1}: expected hexadecimal digits, got '${f[14 + j]}'`;
        else sparse[j] = h;
      }
    }
    if (problem) {
      if (opts.onBadRow === "skip") {
        skipped++;
        continue;
      }
      throw new SyntaxError(`Cannot read Criteo ${path} line ${no}: ${problem}`);
    }
    out.push(dense, sparse, f[0] === "1" ? 1 : 0);
  }
  const secs = (performance.now() - t0) / 1000;
  return { data: out.data("criteo", sizes), skipped, rate: out.n / Math.max(secs, 1e-9) };
}

/**
 * Recommender data in memory: dense features, hashed sparse ids and labels as flat typed arrays
 * (row-major), the form every reader produces, the cache stores and the models consume; plus the
 * machinery the three readers (`criteo.ts`, `avazu.ts`, `kdd2012.ts`) share.
 *
 * The raw files are 6–30 GB, so readers never hold them as text: {@link scanRecsysFile} reads a
 * file in fixed-size byte chunks, finds lines with `Uint8Array.indexOf` and hands each line's
 * byte range to a dataset-specific {@link RowParser}, which writes straight into a block of typed
 * arrays. Blocks go to a sink: an in-memory collector ({@link collectRows}) or the cache writer,
 * which streams them to disk so preprocessing needs no more memory than one block.
 *
 * NASRec's categorical hashing (docs/nasrec.md §6): a value v becomes
 * `fmod(v, N_f − 1) + 1` in a table of N_f rows, and a missing value becomes 0. The helpers here
 * compute v mod m by Horner's rule digit by digit, so ids of any length (Avazu's 64-bit `id`,
 * KDD's 64-bit `DisplayURL`) are reduced exactly, with no JS-number precision loss and no BigInt.
 *
 * @module
 */
import type { Rng } from "../rng.ts";
import { type Compression, escapeBytes, openInput } from "./input.ts";

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
  const n = rows.length, nd = d.numDense, ns = d.numSparse;
  const dense = new Float32Array(n * nd), sparse = new Int32Array(n * ns);
  const labels = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const r = rows[k];
    if (!Number.isInteger(r) || r < 0 || r >= d.n) {
      throw new RangeError(`Expected rows in [0, ${d.n}): got ${r}`);
    }
    for (let j = 0; j < nd; j++) dense[k * nd + j] = d.dense[r * nd + j];
    for (let j = 0; j < ns; j++) sparse[k * ns + j] = d.sparse[r * ns + j];
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

/**
 * Check that a dataset is consistent: array lengths match n and the widths, labels are 0/1 and
 * every sparse index lies in its table. TypeError for shapes, RangeError for values.
 */
export function checkRecsysData(d: RecsysData, what = d.dataset): void {
  const { n, numDense: nd, numSparse: ns } = d;
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(nd) || nd < 0 || !Number.isInteger(ns) || ns < 0) {
    throw new TypeError(
      `Expected non-negative integer sizes in ${what}: got n=${n}, ${nd} dense, ${ns} sparse`,
    );
  }
  if (!(d.dense instanceof Float32Array) || d.dense.length !== n * nd) {
    throw new TypeError(`Expected ${what} dense to be a Float32Array of ${n * nd}: got ${d.dense?.length}`);
  }
  if (!(d.sparse instanceof Int32Array) || d.sparse.length !== n * ns) {
    throw new TypeError(`Expected ${what} sparse to be an Int32Array of ${n * ns}: got ${d.sparse?.length}`);
  }
  if (!(d.labels instanceof Float32Array) || d.labels.length !== n) {
    throw new TypeError(`Expected ${what} labels to be a Float32Array of ${n}: got ${d.labels?.length}`);
  }
  if (d.tableSizes.length !== ns) {
    throw new TypeError(`Expected ${ns} table sizes in ${what}: got ${d.tableSizes.length}`);
  }
  for (let i = 0; i < n; i++) {
    const y = d.labels[i];
    if (y !== 0 && y !== 1) throw new RangeError(`Expected label 0 or 1 in ${what} row ${i}: got ${y}`);
    for (let f = 0; f < ns; f++) {
      const v = d.sparse[i * ns + f];
      if (v < 0 || v >= d.tableSizes[f]) {
        throw new RangeError(
          `Expected ${what} row ${i} field ${f} in [0, ${d.tableSizes[f]}): got ${v}`,
        );
      }
    }
  }
}

/**
 * Read a text file line by line (streamed; `\n` or `\r\n`; gzip/bzip2 decompressed and a
 * byte-order mark skipped, see `input.ts`), with 1-based line numbers.
 */
export async function* readLines(path: string): AsyncGenerator<[string, number]> {
  const file = await openInput(path, { what: "text file", text: true });
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

// ---------------------------------------------------------------------------------------------
// Hashing (NASRec's, computed exactly on digit strings)

/** 2³¹ − 1: NASRec's split scripts rewrite every Avazu/KDD id as `%08x` of (id mod this). */
export const NASREC_ID_MODULUS = 2147483647;

/** Value of each byte as a hex digit, −1 if it is none. */
const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) HEX[97 + c] = HEX[65 + c] = 10 + c;

/** (hex digits of buf[s, e)) mod m, exactly for any length (m < 2³¹); −1 if empty or not hex. */
export function hexModBytes(buf: Uint8Array, s: number, e: number, m: number): number {
  if (s >= e) return -1;
  // Reduce only when r·16 + d could leave the exact range: int32 for small m (fast integer
  // modulo), 2⁵³ otherwise (one modulo per ~12 digits).
  const lim = m <= 0x8000000 ? 0x8000000 : 0x1000000000000;
  let r = 0;
  for (let i = s; i < e; i++) {
    const d = HEX[buf[i]];
    if (d < 0) return -1;
    if (r >= lim) r %= m;
    r = r * 16 + d;
  }
  return r % m;
}

/**
 * Python's `int(text, 10) % P` falling back to `int(text, 16) % P` (P = 2³¹ − 1), the rewrite
 * NASRec's Avazu and KDD split scripts apply to every categorical value, on bytes buf[s, e): an
 * optional sign, then decimal digits — or, failing that, hex digits. The result is Python's
 * non-negative modulo, exact for any length. Returns −1 when neither parse succeeds (Python would
 * raise). Not accepted, unlike Python: surrounding whitespace, `_` separators, a `0x` prefix.
 */
export function decOrHexModBytes(buf: Uint8Array, s: number, e: number): number {
  const P = NASREC_ID_MODULUS;
  let i = s, neg = false;
  if (i < e && (buf[i] === 45 || buf[i] === 43)) neg = buf[i++] === 45;
  if (i >= e) return -1;
  let r = 0, decimal = true;
  for (let k = i; k < e; k++) {
    const d = buf[k] - 48;
    if (d < 0 || d > 9) {
      decimal = false;
      break;
    }
    if (r >= 0x2000000000000) r %= P; // keeps r·10 + d below 2⁵³: exact
    r = r * 10 + d;
  }
  if (decimal) r %= P;
  else {
    r = hexModBytes(buf, i, e, P);
    if (r < 0) return -1;
  }
  return neg && r !== 0 ? P - r : r;
}

const encoder = new TextEncoder();

/**
 * NASRec's Criteo hashing of one categorical value (hex string; "" = missing → 0) into a table of
 * `size` rows: `int(v, 16) mod (size − 1) + 1`. −1 if the text is not hexadecimal.
 */
export function hashHex(value: string, size: number): number {
  if (value === "") return 0;
  const b = encoder.encode(value);
  const r = hexModBytes(b, 0, b.length, size - 1);
  return r < 0 ? -1 : r + 1;
}

/**
 * NASRec's Avazu/KDD hashing of one categorical value into a table of `size` rows:
 * v = `int(value, 10)` (or `int(value, 16)` when not decimal) mod (2³¹ − 1), then
 * `v mod (size − 1) + 1`. −1 if the text is neither decimal nor hexadecimal.
 */
export function hashDecimalOrHex(value: string, size: number): number {
  const b = encoder.encode(value);
  const v = decOrHexModBytes(b, 0, b.length);
  return v < 0 ? -1 : (v % (size - 1)) + 1;
}

/**
 * An integer dense value on bytes buf[s, e) (empty → 0, optional sign); NaN if malformed.
 * Digits beyond 2⁵³ lose precision, which the log transform never notices.
 */
export function parseIntBytes(buf: Uint8Array, s: number, e: number): number {
  if (s >= e) return 0;
  let i = s, neg = false;
  if (buf[i] === 45 || buf[i] === 43) neg = buf[i++] === 45;
  if (i >= e) return NaN;
  let x = 0;
  for (; i < e; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return NaN;
    x = x * 10 + d;
  }
  if (x === Infinity) return NaN; // over 308 digits: no float holds it (NumPy would raise)
  return neg ? -x : x;
}

/** log(x + 1) for small x, computed once: the same float32 values without a log per field. */
const LOG1P = Float32Array.from({ length: 4096 }, (_, x) => Math.log(x + 1));

/** NASRec's dense transform of an integer: log(max(x, 0) + 1) (from a table for small x). */
export function denseLog(x: number): number {
  if (x < 4096) return LOG1P[x > 0 ? x : 0];
  return Math.log(x + 1);
}

/** NASRec's dense transform: log(max(x, 0) + 1), empty = 0. */
export function denseValue(text: string): number {
  if (text === "") return 0;
  const x = Number(text);
  return Math.log(Math.max(x, 0) + 1);
}

/** Text of bytes buf[s, e) for error messages: non-printable bytes escaped, cut at 40 characters. */
export function fieldText(buf: Uint8Array, s: number, e: number): string {
  return escapeBytes(buf, s, e, 40);
}

/** What a line of some recommender file looks like, when it is recognisably one. */
export interface RecognisedLine {
  /** "criteo", "criteo-test", "avazu", "avazu-test", "kdd2012", "kdd2012-profile", "kdd2012-tokens", "binary" */
  kind: string;
  /** e.g. "an Avazu train.csv header" */
  description: string;
}

const AVAZU_HEAD = "id,click,hour,";
const AVAZU_TEST_HEAD = "id,hour,C1,";

/**
 * Recognise the first line of a file as belonging to one of the recommender datasets' files
 * (by its separators, field count and first fields), so a file given to the wrong reader is
 * named as what it is. Null when it looks like none of them.
 */
export function recogniseRecsysLine(buf: Uint8Array, s: number, e: number): RecognisedLine | null {
  const head = new TextDecoder().decode(buf.subarray(s, Math.min(e, s + 64)));
  if (head.startsWith(AVAZU_HEAD)) return { kind: "avazu", description: "an Avazu train.csv header" };
  if (head.startsWith(AVAZU_TEST_HEAD)) {
    return { kind: "avazu-test", description: "an Avazu test.csv header (no click column, so no labels)" };
  }
  let controls = 0;
  for (let i = s; i < Math.min(e, s + 256); i++) if (buf[i] < 9 || (buf[i] > 13 && buf[i] < 32)) controls++;
  if (controls > 0) {
    return { kind: "binary", description: `binary data, not text (${escapeBytes(buf, s, e, 24)})` };
  }
  const tabs = countFields(buf, s, e, 9), commas = countFields(buf, s, e, 44);
  const first = (sep: number) => {
    let q = s;
    while (q < e && buf[q] !== sep) q++;
    return new TextDecoder().decode(buf.subarray(s, q));
  };
  const label = (sep: number) => /^[01]$/.test(first(sep));
  if (tabs === 40 && label(9)) {
    return { kind: "criteo", description: "a Criteo train.txt row (40 tab-separated fields)" };
  }
  if (tabs === 39 && /^-?\d*$/.test(first(9))) {
    return { kind: "criteo-test", description: "a Criteo test.txt row (39 fields: no label column)" };
  }
  if (commas === 24 && /^\d+,[01],/.test(head)) {
    return { kind: "avazu", description: "an Avazu train.csv row (24 comma-separated fields)" };
  }
  if (commas === 23 && /^\d+,\d{8},/.test(head)) {
    return { kind: "avazu-test", description: "an Avazu test.csv row (23 fields: no click column)" };
  }
  if (tabs === 12 && /^\d+\t\d+\t/.test(head)) {
    return { kind: "kdd2012", description: "a KDD Cup 2012 training.txt row (12 tab-separated fields)" };
  }
  if (tabs === 3 && /^\d+\t\d+\t\d+$/.test(head)) {
    return {
      kind: "kdd2012-profile",
      description: "a KDD Cup 2012 userid_profile.txt row (UserID, Gender, Age)",
    };
  }
  if (tabs === 2 && /^\d+\t\d+(\|\d+)+/.test(head)) {
    return {
      kind: "kdd2012-tokens",
      description: "a KDD Cup 2012 token file row (id, '|'-separated token ids)",
    };
  }
  return null;
}

/** Number of `sep`-separated fields in buf[s, e). */
export function countFields(buf: Uint8Array, s: number, e: number, sep: number): number {
  let k = 1;
  for (let i = s; i < e; i++) if (buf[i] === sep) k++;
  return k;
}

// ---------------------------------------------------------------------------------------------
// Reading

/** Where a reader is, for progress lines. */
export interface RecsysProgress {
  rows: number;
  skipped: number;
  bytes: number;
  totalBytes: number;
  seconds: number;
  /** rows per second so far */
  rate: number;
}

/** Options shared by the readers. */
export interface RecsysReadOptions {
  /** cap every table at this many rows (e.g. 500 000 on a CPU); NASRec's full sizes otherwise */
  maxRows?: number;
  /** explicit table sizes (one per sparse field, each ≥ 2), instead of NASRec's (then capped) */
  tableSizes?: readonly number[];
  /** stop after this many (good) rows */
  limit?: number;
  /** malformed rows: throw a SyntaxError naming file and line (default), or skip and count them */
  onBadRow?: "error" | "skip";
  /** called every `progressEvery` rows and at the end */
  onProgress?: (p: RecsysProgress) => void;
  /** @default {1_000_000} */
  progressEvery?: number;
}

/** A read dataset and what was skipped. */
export interface RecsysReadResult {
  data: RecsysData;
  /** malformed rows skipped (`onBadRow: "skip"`) */
  skipped: number;
  /** rows per second of parsing */
  rate: number;
  seconds: number;
  /** bytes of source read (compressed bytes, if the file is compressed) */
  bytes: number;
  /** how the file was stored: "none", "gzip" or "bzip2" (recognised from its first bytes) */
  compression: Compression;
  /** 1 if a leading UTF-8 byte-order mark was skipped, else 0 */
  bomSkipped: number;
}

/** Table sizes of a layout under a cap. */
export function cappedSizes(sizes: readonly number[], maxRows?: number): number[] {
  return sizes.map((n) => (maxRows ? Math.min(n, maxRows) : n));
}

/** The table sizes a reader hashes into: explicit, or the defaults capped at `maxRows`; checked. */
export function resolveTableSizes(
  defaults: readonly number[],
  opts: Pick<RecsysReadOptions, "maxRows" | "tableSizes">,
  what: string,
): number[] {
  if (opts.maxRows !== undefined && !(Number.isInteger(opts.maxRows) && opts.maxRows >= 2)) {
    throw new RangeError(`Expected maxRows to be an integer ≥ 2 for ${what}: got ${opts.maxRows}`);
  }
  const sizes = opts.tableSizes ? opts.tableSizes.slice() : cappedSizes(defaults, opts.maxRows);
  if (sizes.length !== defaults.length) {
    throw new TypeError(`Expected ${defaults.length} table sizes for ${what}: got ${sizes.length}`);
  }
  for (const n of sizes) {
    if (!Number.isInteger(n) || n < 2 || n > 0x7fffffff) {
      throw new RangeError(`Expected every table size of ${what} to be an integer in [2, 2³¹): got ${n}`);
    }
  }
  return sizes;
}

/** Parses one line of a dataset's file into a row slot. */
export interface RowParser {
  readonly numDense: number;
  readonly numSparse: number;
  /** What a good line looks like, for error messages. */
  readonly format: string;
  /**
   * Parse line bytes buf[s, e) (no line ending) into dense[dOff…] and sparse[sOff…]. Returns the
   * label (0 or 1), or a description of what is wrong.
   */
  parse(
    buf: Uint8Array,
    s: number,
    e: number,
    dense: Float32Array,
    dOff: number,
    sparse: Int32Array,
    sOff: number,
  ): number | string;
}

/** A block of parsed rows (capacity `labels.length`, the first `n` filled). */
export interface RowBlock {
  n: number;
  dense: Float32Array;
  sparse: Int32Array;
  labels: Float32Array;
}

/** How {@link scanRecsysFile} reads a file. */
export interface ScanOptions
  extends Pick<RecsysReadOptions, "limit" | "onBadRow" | "onProgress" | "progressEvery"> {
  /** e.g. "Criteo file": starts error messages */
  what: string;
  /**
   * The {@link recogniseRecsysLine} kind of this file: a first record that fails to parse and is
   * recognised as another kind is an error naming that kind (also with `onBadRow: "skip"`).
   */
  kind?: string;
  /** check (and drop) the first line, e.g. a CSV header; throws if it is wrong */
  header?: (line: string) => void;
  /** @default {65536} */
  blockRows?: number;
  /** @default {4 MiB} */
  chunkBytes?: number;
}

/** What a scan saw. */
export interface ScanResult {
  rows: number;
  skipped: number;
  /** bytes of the file read (compressed bytes, if it is compressed) */
  bytes: number;
  seconds: number;
  /** how the file was stored (recognised from its first bytes) */
  compression: Compression;
  /** 1 if a leading UTF-8 byte-order mark was skipped, else 0 */
  bomSkipped: number;
}

/**
 * Stream `path` line by line (`\n` or `\r\n`; blank lines ignored; gzip or bzip2 decompressed
 * and a byte-order mark skipped, see `input.ts`) through `parser`, handing blocks of parsed rows
 * to `onBlock` (the block is reused afterwards: copy what you keep). A file without records
 * (empty, blank, a header only, or every row malformed and skipped) is an error naming it.
 */
export async function scanRecsysFile(
  path: string,
  parser: RowParser,
  opts: ScanOptions,
  onBlock: (b: RowBlock) => void | Promise<void>,
): Promise<ScanResult> {
  const t0 = performance.now();
  const nd = parser.numDense, ns = parser.numSparse;
  const cap = opts.blockRows ?? 65536;
  const limit = opts.limit ?? Infinity;
  if (!(limit === Infinity || (Number.isInteger(limit) && limit >= 0))) {
    throw new RangeError(`Expected a non-negative integer row limit: got ${limit}`);
  }
  const every = opts.progressEvery ?? 1_000_000;
  const block: RowBlock = {
    n: 0,
    dense: new Float32Array(cap * nd),
    sparse: new Int32Array(cap * ns),
    labels: new Float32Array(cap),
  };
  const file = await openInput(path, { what: opts.what, text: true });
  let rows = 0, skipped = 0, lineNo = 0, nextReport = every, records = 0, firstBad = "";
  const totalBytes = file.fileBytes;
  const progress = () => {
    const seconds = (performance.now() - t0) / 1000;
    opts.onProgress?.({
      rows,
      skipped,
      bytes: file.filePosition,
      totalBytes,
      seconds,
      rate: rows / Math.max(seconds, 1e-9),
    });
  };
  const flush = async () => {
    if (block.n > 0) await onBlock(block);
    block.n = 0;
  };
  const fail = (msg: string): never => {
    throw new SyntaxError(`Cannot read ${opts.what} ${path} line ${lineNo}: ${msg}`);
  };
  // Handles one line; returns false when the limit is reached. The block has room (see below).
  const line = (buf: Uint8Array, s: number, e: number): boolean => {
    lineNo++;
    if (e > s && buf[e - 1] === 13) e--;
    if (lineNo === 1 && opts.header) {
      opts.header(new TextDecoder().decode(buf.subarray(s, e)));
      return true;
    }
    if (e === s) return true;
    const k = block.n;
    const got = parser.parse(buf, s, e, block.dense, k * nd, block.sparse, k * ns);
    records++;
    if (typeof got === "string") {
      if (records === 1 && opts.kind) {
        const seen = recogniseRecsysLine(buf, s, e);
        if (seen && seen.kind !== opts.kind) {
          fail(
            `${got}; the line looks like ${seen.description}, not a ${opts.what} (expected ${parser.format})`,
          );
        }
      }
      if (opts.onBadRow === "skip") {
        if (skipped === 0) firstBad = `line ${lineNo}: ${got}`;
        skipped++;
        return true;
      }
      fail(`${got} (expected ${parser.format})`);
    }
    block.labels[k] = got as number;
    block.n++;
    rows++;
    if (rows >= nextReport) {
      nextReport += every;
      progress();
    }
    return rows < limit;
  };
  let more = rows < limit;
  try {
    let buf = new Uint8Array(opts.chunkBytes ?? 1 << 22);
    let len = 0;
    while (more) {
      if (len === buf.length) { // one line longer than the buffer
        const bigger = new Uint8Array(buf.length * 2);
        bigger.set(buf);
        buf = bigger;
      }
      const got = await file.read(buf.subarray(len));
      if (got === null) {
        if (block.n === cap) await flush();
        if (len > 0) line(buf, 0, len);
        break;
      }
      len += got;
      const filled = buf.subarray(0, len);
      let pos = 0, nl: number;
      while (more && (nl = filled.indexOf(10, pos)) >= 0) {
        if (block.n === cap) await flush();
        more = line(buf, pos, nl);
        pos = nl + 1;
      }
      buf.copyWithin(0, pos, len);
      len -= pos;
    }
    await flush();
  } finally {
    file.close();
  }
  if (rows === 0 && limit > 0) {
    const where = `Cannot read ${opts.what} ${path}`;
    if (skipped > 0) {
      throw new SyntaxError(
        `${where}: no valid records, all ${skipped} rows are malformed (first at ${firstBad}; expected ${parser.format})`,
      );
    }
    const what = lineNo === 0
      ? file.compression !== "none"
        ? `the file decompresses (${file.compression}) to no data`
        : file.bomSkipped
        ? "the file holds only a byte-order mark"
        : "the file is empty"
      : opts.header && lineNo === 1
      ? "the file has a header line but no records"
      : "the file has no records (only blank lines)";
    throw new SyntaxError(`${where}: ${what}`);
  }
  progress();
  return {
    rows,
    skipped,
    bytes: file.filePosition,
    seconds: (performance.now() - t0) / 1000,
    compression: file.compression,
    bomSkipped: file.bomSkipped ? 1 : 0,
  };
}

/** Gathers streamed blocks into one {@link RecsysData} (peak memory: twice the result). */
export class RowCollector {
  #parts: RowBlock[] = [];
  #n = 0;
  constructor(readonly numDense: number, readonly numSparse: number) {}

  /** Keep a copy of the block's filled rows. */
  add = (b: RowBlock): void => {
    this.#parts.push({
      n: b.n,
      dense: b.dense.slice(0, b.n * this.numDense),
      sparse: b.sparse.slice(0, b.n * this.numSparse),
      labels: b.labels.slice(0, b.n),
    });
    this.#n += b.n;
  };

  /** Everything added so far as one dataset. */
  data(dataset: string, tableSizes: number[]): RecsysData {
    const n = this.#n;
    const dense = new Float32Array(n * this.numDense), sparse = new Int32Array(n * this.numSparse);
    const labels = new Float32Array(n);
    let r = 0;
    for (const p of this.#parts) {
      dense.set(p.dense, r * this.numDense);
      sparse.set(p.sparse, r * this.numSparse);
      labels.set(p.labels, r);
      r += p.n;
    }
    return {
      dataset,
      n,
      numDense: this.numDense,
      numSparse: this.numSparse,
      dense,
      sparse,
      labels,
      tableSizes,
    };
  }
}

/** A reader ready to stream one file: what each dataset module prepares, readers and cache run. */
export interface PreparedScan {
  dataset: string;
  path: string;
  parser: RowParser;
  tableSizes: number[];
  scan: ScanOptions;
}

/** Run a prepared scan into memory: the common body of the readers. */
export async function collectRows(prep: PreparedScan): Promise<RecsysReadResult> {
  const sink = new RowCollector(prep.parser.numDense, prep.parser.numSparse);
  const scan = await scanRecsysFile(prep.path, prep.parser, prep.scan, sink.add);
  return {
    data: sink.data(prep.dataset, prep.tableSizes),
    skipped: scan.skipped,
    rate: scan.rows / Math.max(scan.seconds, 1e-9),
    seconds: scan.seconds,
    bytes: scan.bytes,
    compression: scan.compression,
    bomSkipped: scan.bomSkipped,
  };
}

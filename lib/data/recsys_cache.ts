/**
 * Preprocess a raw recommender file once into a binary cache, and read the cache afterwards
 * (docs/data.md "The binary cache"): parsing Criteo's 11 GB of text takes minutes, loading the
 * preprocessed arrays takes seconds.
 *
 * Layout: `<cacheDir>/<dataset>-<key>/` holds `meta.json` and one raw little-endian file per array
 * of {@link RecsysData} — `dense.f32` (n × numDense), `sparse.i32` (n × numSparse), `labels.f32`
 * (n) — in exactly the in-memory layout, so loading is a read into a typed array with no
 * conversion. Rows are streamed to these files block by block while parsing, so building the
 * cache needs memory for one block, not for the dataset.
 *
 * Key: SHA-256 of the cache format version, the dataset, each source file's fingerprint and the
 * settings that change the output (effective table sizes, `limit`, `onBadRow`). A fingerprint is
 * by default the file's size, its mtime and the SHA-256 of its first and last MiB (the whole file
 * when under 2 MiB): cheap on 30 GB, and any rewrite changes the mtime; `fingerprint: "full"`
 * hashes every byte instead (about a minute for Criteo). A source edit in place that keeps size
 * and mtime and touches only the middle would go unnoticed in the default mode.
 *
 * Atomic: the cache is written into `<cacheDir>/.tmp-<dataset>-<key>-<pid>-<random>/` and that
 * folder is renamed into place only when complete, so an interrupted preprocessing leaves no
 * half-written cache (at most a `.tmp-*` folder, never read, safe to delete). A cache folder that
 * fails its checks (meta, sizes) is removed and rebuilt.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { NASREC_AVAZU, NASREC_CRITEO, NASREC_KDD } from "./recsys_layouts.ts";
import { prepareAvazu } from "./avazu.ts";
import { prepareCriteo } from "./criteo.ts";
import { prepareKdd2012 } from "./kdd2012.ts";
import {
  collectRows,
  type PreparedScan,
  type RecsysData,
  type RecsysReadOptions,
  type RecsysReadResult,
  resolveTableSizes,
  type RowBlock,
  scanRecsysFile,
} from "./recsys.ts";
import type { Compression } from "./input.ts";

/** Bump when any reader's output for the same input changes: old caches then miss. */
export const RECSYS_CACHE_VERSION = 1;
const FORMAT = "sigeo-recsys-cache";
const MIB = 1 << 20;

/** A raw dataset on disk. */
export type RecsysSource =
  | { dataset: "criteo"; path: string }
  | { dataset: "avazu"; path: string }
  | { dataset: "kdd2012"; training: string; userProfile?: string };

/** What identifies a source file's content. */
export interface SourceFingerprint {
  role: string;
  path: string;
  bytes: number;
  mtimeMs: number | null;
  /** hex SHA-256 of the first and last MiB (`head-tail`) or of every byte (`full`) */
  sha256: string;
  mode: "head-tail" | "full";
}

/** Options of the cached reader. */
export interface RecsysCacheOptions extends RecsysReadOptions {
  /** folder holding the caches (created if missing) */
  cacheDir: string;
  /** @default {"head-tail"} */
  fingerprint?: "head-tail" | "full";
  /** told when a damaged or foreign cache folder is rebuilt @default {console.warn} */
  onNotice?: (message: string) => void;
}

/** What the cache folder's `meta.json` says. */
export interface RecsysCacheMeta {
  format: string;
  version: number;
  key: string;
  dataset: string;
  n: number;
  numDense: number;
  numSparse: number;
  tableSizes: number[];
  skipped: number;
  sources: SourceFingerprint[];
  settings: { tableSizes: number[]; limit: number | null; onBadRow: "error" | "skip" };
  /** parse time and rate when the cache was built */
  parseSeconds: number;
  parseRate: number;
  created: string;
  /** reader-specific counts (KDD: users, profileSkipped, profileBomSkipped) */
  extra: Record<string, number>;
  /** how the (main) source was stored and whether a byte-order mark was skipped (absent: older caches) */
  input?: { compression: Compression; bomSkipped: number };
}

/** A cached read: the data, whether the cache was hit, and where it lives. */
export interface RecsysCacheResult extends RecsysReadResult {
  hit: boolean;
  dir: string;
  key: string;
  meta: RecsysCacheMeta;
  /** seconds and rows/s of loading the binary cache */
  loadSeconds: number;
  loadRate: number;
}

function checkLittleEndian(): void {
  if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
    throw new Error("Cannot use the recsys cache on a big-endian machine: the files are little-endian");
  }
}

const hex = (b: ArrayBuffer | Uint8Array) =>
  Array.from(
    new Uint8Array(b instanceof Uint8Array ? b : new Uint8Array(b)),
    (x) => x.toString(16).padStart(2, "0"),
  )
    .join("");

async function readFully(file: Deno.FsFile, into: Uint8Array, what: string): Promise<void> {
  let off = 0;
  while (off < into.length) {
    const got = await file.read(into.subarray(off));
    if (got === null) {
      throw new RangeError(`Expected ${into.length} bytes in ${what}: the file ends at ${off}`);
    }
    off += got;
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await file.write(bytes.subarray(off));
}

/** Fingerprint one source file (see the module notes). */
export async function fingerprintFile(
  path: string,
  role: string,
  mode: "head-tail" | "full" = "head-tail",
): Promise<SourceFingerprint> {
  const st = await Deno.stat(path);
  const file = await Deno.open(path, { read: true });
  try {
    const hash = createHash("sha256");
    if (mode === "full" || st.size <= 2 * MIB) {
      const buf = new Uint8Array(4 * MIB);
      for (;;) {
        const got = await file.read(buf);
        if (got === null) break;
        hash.update(buf.subarray(0, got));
      }
    } else {
      const head = new Uint8Array(MIB), tail = new Uint8Array(MIB);
      await readFully(file, head, path);
      await file.seek(st.size - MIB, Deno.SeekMode.Start);
      await readFully(file, tail, path);
      hash.update(head);
      hash.update(tail);
    }
    return {
      role,
      path,
      bytes: st.size,
      mtimeMs: st.mtime ? st.mtime.getTime() : null,
      sha256: hash.digest("hex"),
      mode: mode === "full" || st.size <= 2 * MIB ? "full" : "head-tail",
    };
  } finally {
    file.close();
  }
}

/** The source files of a dataset, by role. */
export function sourceFiles(source: RecsysSource): [string, string][] {
  if (source.dataset === "kdd2012") {
    return source.userProfile
      ? [["training", source.training], ["userProfile", source.userProfile]]
      : [["training", source.training]];
  }
  if (source.dataset === "criteo" || source.dataset === "avazu") return [["train", source.path]];
  throw new TypeError(
    `Expected dataset criteo, avazu or kdd2012: got ${(source as { dataset: string }).dataset}`,
  );
}

/** How to stream the source (loads KDD's profile). */
async function prepare(
  source: RecsysSource,
  opts: RecsysReadOptions,
): Promise<PreparedScan & { extra: Record<string, number> }> {
  if (source.dataset === "criteo") return { ...prepareCriteo(source.path, opts), extra: {} };
  if (source.dataset === "avazu") return { ...prepareAvazu(source.path, opts), extra: {} };
  const p = await prepareKdd2012(source, opts);
  return {
    ...p,
    extra: { users: p.users, profileSkipped: p.profileSkipped, profileBomSkipped: p.profileBomSkipped },
  };
}

/** Read a source without the cache: parse its file(s) into memory (the reader of its dataset). */
export async function readRecsysSource(
  source: RecsysSource,
  opts: RecsysReadOptions = {},
): Promise<RecsysReadResult> {
  return collectRows(await prepare(source, opts));
}

const LAYOUTS = { criteo: NASREC_CRITEO, avazu: NASREC_AVAZU, kdd2012: NASREC_KDD } as const;

/** The cache key and folder for a source under these options. */
export async function recsysCacheKey(
  source: RecsysSource,
  opts: RecsysCacheOptions,
): Promise<
  { key: string; dir: string; sources: SourceFingerprint[]; settings: RecsysCacheMeta["settings"] }
> {
  const sources = [];
  for (const [role, path] of sourceFiles(source)) {
    sources.push(await fingerprintFile(path, role, opts.fingerprint));
  }
  const settings = {
    tableSizes: resolveTableSizes(LAYOUTS[source.dataset].tableSizes, opts, source.dataset),
    limit: opts.limit ?? null,
    onBadRow: opts.onBadRow ?? "error",
  };
  const identity = JSON.stringify({
    format: FORMAT,
    version: RECSYS_CACHE_VERSION,
    dataset: source.dataset,
    sources: sources.map(({ role, bytes, mtimeMs, sha256, mode }) => ({
      role,
      bytes,
      mtimeMs,
      sha256,
      mode,
    })),
    settings,
  });
  const key = hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(identity))).slice(0, 24);
  return { key, dir: `${opts.cacheDir}/${source.dataset}-${key}`, sources, settings };
}

const ARRAYS = [
  { file: "dense.f32", width: (m: RecsysCacheMeta) => m.numDense },
  { file: "sparse.i32", width: (m: RecsysCacheMeta) => m.numSparse },
  { file: "labels.f32", width: (_: RecsysCacheMeta) => 1 },
] as const;

/** The cache's meta if the folder is complete and consistent (and has `key`, if given), else null. */
export async function checkRecsysCache(dir: string, key?: string): Promise<RecsysCacheMeta | null> {
  const r = await inspectRecsysCache(dir, key);
  return "meta" in r ? r.meta : null;
}

/**
 * Why a cache folder cannot be used (`missing`: there is none; otherwise what is wrong with it), or
 * its meta. Only a complete folder of this format, version and key, whose three arrays have
 * exactly the sizes its meta gives, is usable: anything else (truncated arrays, a foreign or
 * garbled `meta.json`) is rebuilt, never read.
 */
export async function inspectRecsysCache(
  dir: string,
  key?: string,
): Promise<{ meta: RecsysCacheMeta } | { missing: true } | { problem: string }> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${dir}/meta.json`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      const there = await Deno.stat(dir).then(() => true, () => false);
      return there ? { problem: "meta.json is missing" } : { missing: true };
    }
    return { problem: `meta.json cannot be read (${(e as Error).message})` };
  }
  let meta: RecsysCacheMeta;
  try {
    meta = JSON.parse(text);
  } catch {
    return { problem: "meta.json is not JSON (a truncated or foreign file)" };
  }
  if (meta?.format !== FORMAT) return { problem: `meta.json is not a ${FORMAT} file` };
  if (meta.version !== RECSYS_CACHE_VERSION) {
    return { problem: `meta.json has cache version ${meta.version}, expected ${RECSYS_CACHE_VERSION}` };
  }
  if (key && meta.key !== key) return { problem: `meta.json has key ${meta.key}, expected ${key}` };
  if (
    !Number.isInteger(meta.n) || meta.n < 0 || !Number.isInteger(meta.numDense) ||
    !Number.isInteger(meta.numSparse) || !Array.isArray(meta.tableSizes) ||
    meta.tableSizes.length !== meta.numSparse
  ) {
    return { problem: "meta.json has inconsistent sizes" };
  }
  for (const a of ARRAYS) {
    const st = await Deno.stat(`${dir}/${a.file}`).catch(() => null);
    const want = meta.n * a.width(meta) * 4;
    if (!st) return { problem: `${a.file} is missing` };
    if (st.size !== want) {
      return { problem: `${a.file} has ${st.size} bytes, expected ${want} (truncated or foreign)` };
    }
  }
  return { meta };
}

/** Load a cache folder (all rows, or the first `limit`). */
export async function loadRecsysCache(
  dir: string,
  opts: { limit?: number } = {},
): Promise<{ data: RecsysData; meta: RecsysCacheMeta; seconds: number; rate: number }> {
  checkLittleEndian();
  const t0 = performance.now();
  const meta = await checkRecsysCache(dir);
  if (!meta) {
    throw new SyntaxError(`Cannot read recsys cache ${dir}: expected meta.json and arrays of matching sizes`);
  }
  const n = Math.min(meta.n, opts.limit ?? meta.n);
  const dense = new Float32Array(n * meta.numDense);
  const sparse = new Int32Array(n * meta.numSparse);
  const labels = new Float32Array(n);
  for (const [name, arr] of [["dense.f32", dense], ["sparse.i32", sparse], ["labels.f32", labels]] as const) {
    const file = await Deno.open(`${dir}/${name}`, { read: true });
    try {
      await readFully(file, new Uint8Array(arr.buffer), `${dir}/${name}`);
    } finally {
      file.close();
    }
  }
  const data: RecsysData = {
    dataset: meta.dataset,
    n,
    numDense: meta.numDense,
    numSparse: meta.numSparse,
    dense,
    sparse,
    labels,
    tableSizes: meta.tableSizes.slice(),
  };
  const seconds = (performance.now() - t0) / 1000;
  return { data, meta, seconds, rate: n / Math.max(seconds, 1e-9) };
}

/**
 * Build the cache for `source` unless a valid one exists; returns its folder and meta. Parsing
 * streams to disk, so this works on files larger than memory.
 */
export async function buildRecsysCache(
  source: RecsysSource,
  opts: RecsysCacheOptions,
): Promise<{ dir: string; key: string; meta: RecsysCacheMeta; hit: boolean }> {
  checkLittleEndian();
  const id = await recsysCacheKey(source, opts);
  const found = await inspectRecsysCache(id.dir, id.key);
  if ("meta" in found) return { dir: id.dir, key: id.key, meta: found.meta, hit: true };
  await Deno.mkdir(opts.cacheDir, { recursive: true });
  // A folder under our name that failed the checks is a damaged cache: replace it, and say so.
  if ("problem" in found) {
    (opts.onNotice ?? console.warn)(
      `Notice: rebuilding the ${source.dataset} cache ${id.dir}: ${found.problem}`,
    );
    await Deno.remove(id.dir, { recursive: true }).catch(() => {});
  }
  const tmp = `${opts.cacheDir}/.tmp-${source.dataset}-${id.key}-${Deno.pid}-${
    crypto.randomUUID().slice(0, 8)
  }`;
  await Deno.mkdir(tmp);
  try {
    const prep = await prepare(source, opts);
    const files = await Promise.all(
      ARRAYS.map((a) => Deno.open(`${tmp}/${a.file}`, { write: true, createNew: true })),
    );
    let scan;
    try {
      const nd = prep.parser.numDense, ns = prep.parser.numSparse;
      scan = await scanRecsysFile(prep.path, prep.parser, prep.scan, async (b: RowBlock) => {
        await writeAll(files[0], new Uint8Array(b.dense.buffer, 0, b.n * nd * 4));
        await writeAll(files[1], new Uint8Array(b.sparse.buffer, 0, b.n * ns * 4));
        await writeAll(files[2], new Uint8Array(b.labels.buffer, 0, b.n * 4));
      });
      for (const f of files) await f.syncData();
    } finally {
      for (const f of files) f.close();
    }
    const meta: RecsysCacheMeta = {
      format: FORMAT,
      version: RECSYS_CACHE_VERSION,
      key: id.key,
      dataset: prep.dataset,
      n: scan.rows,
      numDense: prep.parser.numDense,
      numSparse: prep.parser.numSparse,
      tableSizes: prep.tableSizes,
      skipped: scan.skipped,
      sources: id.sources,
      settings: id.settings,
      parseSeconds: scan.seconds,
      parseRate: scan.rows / Math.max(scan.seconds, 1e-9),
      created: new Date().toISOString(),
      extra: prep.extra,
      input: { compression: scan.compression, bomSkipped: scan.bomSkipped },
    };
    await Deno.writeTextFile(`${tmp}/meta.json`, JSON.stringify(meta, null, 1));
    try {
      await Deno.rename(tmp, id.dir);
    } catch (e) {
      // Another process finished the same cache first: use theirs.
      const theirs = await checkRecsysCache(id.dir, id.key);
      if (!theirs) throw e;
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
      return { dir: id.dir, key: id.key, meta: theirs, hit: true };
    }
    return { dir: id.dir, key: id.key, meta, hit: false };
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
}

/**
 * Read a recommender dataset through the cache: on a hit, load the binary arrays; on a miss,
 * parse the raw file(s) into a new cache first, then load it. `rate` is the rows/s of whichever
 * produced the data this time (loading on a hit, parsing on a miss).
 */
export async function readRecsysCached(
  source: RecsysSource,
  opts: RecsysCacheOptions,
): Promise<RecsysCacheResult> {
  const built = await buildRecsysCache(source, opts);
  const loaded = await loadRecsysCache(built.dir);
  const m = loaded.meta;
  return {
    data: loaded.data,
    skipped: m.skipped,
    rate: built.hit ? loaded.rate : m.parseRate,
    seconds: built.hit ? loaded.seconds : m.parseSeconds,
    bytes: m.sources.reduce((s, f) => s + f.bytes, 0),
    compression: m.input?.compression ?? "none",
    bomSkipped: (m.input?.bomSkipped ?? 0) + (m.extra.profileBomSkipped ?? 0),
    hit: built.hit,
    dir: built.dir,
    key: built.key,
    meta: m,
    loadSeconds: loaded.seconds,
    loadRate: loaded.rate,
  };
}

/**
 * Ground truth for NAS-Bench-201 architectures, keyed by our canonical arch string.
 *
 * Readers:
 * - a plain CSV `arch,dataset,metric,value` (arch strings contain no commas, so no quoting);
 *   the format our exporters and users' own NB201/NATS API dumps use;
 * - NAS-Bench-Suite-Zero's `zc_nasbench201.json`:
 *   `json[dataset][str(op_indices)] = {proxy: {"score", "time"}, …, "val_accuracy": number}`, whose
 *   keys are op-index tuples in **NASLib's** op and edge order (docs/nb201.md §1, §5). Every key is
 *   converted with {@link parseNaslibKey}; proxy scores become metric `<proxy>` and, on request,
 *   times metric `<proxy>.time`.
 *
 * Writers produce both formats from records (for generated ground truth in smoke runs).
 *
 * NATS-Bench topology (NATS-tss) `.pickle.pbz2` data — a "simple" folder, its meta file, one
 * per-arch file or a single-file benchmark — is read by {@link readNatsBenchPbz2}, which delegates
 * to `nats_bench.ts` (200-epoch results, mean over seeds, by default).
 *
 * @module
 */
import { formatArch, naslibKey, parseArch, parseNaslibKey } from "../spaces/nb201/space.ts";
import { readNatsBenchPath, type ReadNatsTssOptions } from "./nats_bench.ts";
import { Nb201Truth, type TruthRecord } from "./truth_store.ts";
import { writeFileAtomic } from "../io.ts";
import { escapeBytes, readTextInput } from "../data/input.ts";

/** The store, re-exported so that callers of the readers need one import. */
export { Nb201Truth, type TruthRecord };

const HEADER = "arch,dataset,metric,value";

function parseNumber(s: string): number {
  const t = s.trim();
  if (/^[-+]?nan$/i.test(t)) return NaN;
  if (/^[-+]?inf(inity)?$/i.test(t)) return t.startsWith("-") ? -Infinity : Infinity;
  return t === "" ? NaN : Number(t);
}

/** Parse the CSV format (header required; blank lines and CRLF tolerated; `nan`/`inf` accepted). */
export function parseTruthCsv(text: string, file = "<csv>"): Nb201Truth {
  const lines = text.split(/\r?\n/);
  if (lines[0]?.replace(/^\uFEFF/, "").trim() !== HEADER) {
    throw new SyntaxError(
      `Cannot parse ${file} line 1: expected header '${HEADER}', got '${
        escapeBytes(new TextEncoder().encode(lines[0] ?? ""), 0, undefined, 60)
      }'${/^\s*[{[]/.test(lines[0] ?? "") ? " (this looks like JSON: name the file .json)" : ""}`,
    );
  }
  const t = new Nb201Truth();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === "") continue;
    const f = line.split(",");
    const where = `${file} line ${i + 1}`;
    if (f.length !== 4) throw new SyntaxError(`Cannot parse ${where}: expected 4 fields, got ${f.length}`);
    const [arch, dataset, metric, raw] = f.map((s) => s.trim());
    let key: string;
    try {
      key = formatArch(parseArch(arch));
    } catch (e) {
      throw new SyntaxError(`Cannot parse ${where}: ${(e as Error).message}`);
    }
    if (!dataset || !metric) throw new SyntaxError(`Cannot parse ${where}: empty dataset or metric`);
    const value = parseNumber(raw);
    if (Number.isNaN(value) && !/nan/i.test(raw)) {
      throw new SyntaxError(`Cannot parse ${where}: value '${raw}' is not a number`);
    }
    t.add({ arch: key, dataset, metric, value }, where);
  }
  return t;
}

function formatNumber(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  return String(v);
}

/** The CSV text of some records (round-trips exactly through {@link parseTruthCsv}). */
export function formatTruthCsv(records: Iterable<TruthRecord>): string {
  const rows = [HEADER];
  for (const r of records) {
    if (/[,\n]/.test(r.dataset) || /[,\n]/.test(r.metric)) {
      throw new RangeError(
        `Cannot write CSV: dataset/metric '${r.dataset}'/'${r.metric}' contains a comma or newline`,
      );
    }
    rows.push(`${formatArch(parseArch(r.arch))},${r.dataset},${r.metric},${formatNumber(r.value)}`);
  }
  return rows.join("\n") + "\n";
}

/** Options of {@link parseZcSuiteJson}. */
export interface ZcSuiteOptions {
  file?: string;
  /** also record each proxy's time as metric `<proxy>.time` @default {false} */
  includeTimes?: boolean;
}

/**
 * NASLib's own copy of the file (`naslib/data/zc_nasbench201.json` in its repository) nests the
 * datasets under the search space's name, `{"nasbench201": {dataset: {...}}}`; the Suite-Zero
 * download has the datasets at the top. Both are accepted; a file of another space is refused.
 */
function unwrapSearchSpace(obj: Record<string, unknown>, file: string): Record<string, unknown> {
  const keys = Object.keys(obj);
  const spaces = keys.filter((k) => /^(nasbench\d+|transbench101.*|nb\d+)$/i.test(k));
  if (!spaces.length) return obj;
  if (keys.includes("nasbench201")) {
    const inner = obj.nasbench201;
    if (inner && typeof inner === "object" && !Array.isArray(inner)) return inner as Record<string, unknown>;
    throw new SyntaxError(`Cannot parse ${file}: 'nasbench201' is not an object of datasets`);
  }
  throw new SyntaxError(
    `Cannot parse ${file}: it holds the search space(s) ${spaces.join(", ")}, not nasbench201`,
  );
}

/**
 * Parse NAS-Bench-Suite-Zero's `zc_nasbench201.json` (text or already-parsed object): datasets at
 * the top (the Suite-Zero download) or under `"nasbench201"` (NASLib's repository copy).
 */
export function parseZcSuiteJson(input: string | unknown, opts: ZcSuiteOptions = {}): Nb201Truth {
  const file = opts.file ?? "<zc json>";
  let obj: unknown = input;
  if (typeof input === "string") {
    try {
      obj = JSON.parse(input);
    } catch (e) {
      throw new SyntaxError(`Cannot parse ${file}: not JSON (${(e as Error).message})`);
    }
  }
  const isObj = (v: unknown): v is Record<string, unknown> =>
    !!v && typeof v === "object" && !Array.isArray(v);
  if (!isObj(obj)) throw new SyntaxError(`Cannot parse ${file}: expected {dataset: {arch tuple: {...}}}`);
  const datasets = unwrapSearchSpace(obj, file);
  const t = new Nb201Truth();
  for (const [dataset, archs] of Object.entries(datasets)) {
    if (!isObj(archs)) {
      throw new SyntaxError(`Cannot parse ${file}: '${dataset}' is not an object of architectures`);
    }
    for (const [key, entry] of Object.entries(archs)) {
      const where = `${file} ${dataset}/${key}`;
      let arch: string;
      try {
        arch = formatArch(parseNaslibKey(key));
      } catch (e) {
        throw new SyntaxError(`Cannot parse ${where}: ${(e as Error).message}`);
      }
      if (!isObj(entry)) throw new SyntaxError(`Cannot parse ${where}: expected an object of metrics`);
      for (const [metric, v] of Object.entries(entry)) {
        if (typeof v === "number") t.add({ arch, dataset, metric, value: v }, where);
        else if (isObj(v) && (typeof v.score === "number" || v.score === null)) {
          t.add({ arch, dataset, metric, value: v.score ?? NaN }, where);
          if (opts.includeTimes && typeof v.time === "number") {
            t.add({ arch, dataset, metric: `${metric}.time`, value: v.time }, where);
          }
        } else if (v === null) t.add({ arch, dataset, metric, value: NaN }, where);
        else {throw new SyntaxError(
            `Cannot parse ${where}: metric '${metric}' is neither a number nor {score, time}`,
          );}
      }
    }
  }
  return t;
}

/**
 * The `zc_nasbench201.json` layout of some records: metrics named `val_accuracy` (and any name
 * listed in `plainMetrics`) are plain numbers, the others `{score, time}` (time from a matching
 * `<metric>.time` record, else 0). Non-finite scores are written as null (JSON has no NaN).
 */
export function formatZcSuiteJson(
  records: Iterable<TruthRecord>,
  plainMetrics: readonly string[] = ["val_accuracy"],
): string {
  const out: Record<string, Record<string, Record<string, unknown>>> = {};
  const times = new Map<string, number>();
  const list = [...records];
  for (const r of list) {
    if (r.metric.endsWith(".time")) times.set(`${r.dataset}|${r.arch}|${r.metric}`, r.value);
  }
  for (const r of list) {
    if (r.metric.endsWith(".time")) continue;
    const key = naslibKey(parseArch(r.arch));
    const entry = ((out[r.dataset] ??= {})[key] ??= {});
    const v = Number.isFinite(r.value) ? r.value : null;
    entry[r.metric] = plainMetrics.includes(r.metric)
      ? v
      : { score: v, time: times.get(`${r.dataset}|${formatArch(parseArch(r.arch))}|${r.metric}.time`) ?? 0 };
  }
  return JSON.stringify(out);
}

/** Write ground truth as CSV (`.csv`) or NAS-Bench-Suite-Zero JSON (`.json`), chosen by extension. */
export async function writeTruth(path: string, records: Iterable<TruthRecord>): Promise<void> {
  if (path.endsWith(".csv")) return await writeFileAtomic(path, formatTruthCsv(records));
  if (path.endsWith(".json")) return await writeFileAtomic(path, formatZcSuiteJson(records));
  throw new RangeError(`Cannot write ground truth to ${path}: expected a .csv or .json file name`);
}

/**
 * Read ground truth from a `.csv` or `.json` (NAS-Bench-Suite-Zero) file, or NATS-Bench topology
 * data: a `.pbz2` file or a NATS-tss "simple" folder (see {@link readNatsBenchPbz2}). CSV and JSON
 * files may be gzip- or bzip2-compressed (`.csv.gz`, `.json.bz2`, …; recognised by content).
 */
export async function readTruth(path: string, opts: Omit<ZcSuiteOptions, "file"> = {}): Promise<Nb201Truth> {
  if (path.endsWith(".pbz2")) return await readNatsBenchPbz2(path);
  const info = await Deno.stat(path).catch(() => null);
  if (info?.isDirectory) return await readNatsBenchPbz2(path);
  const name = path.replace(/\.(gz|bz2)$/, "");
  if (!name.endsWith(".csv") && !name.endsWith(".json")) {
    throw new RangeError(
      `Cannot read ground truth from ${path}: expected a .csv, .json or .pbz2 file or a folder`,
    );
  }
  const text = await readTextInput(path, { what: "ground-truth file" });
  if (name.endsWith(".csv")) return parseTruthCsv(text, path);
  return parseZcSuiteJson(text, { ...opts, file: path });
}

/**
 * NATS-Bench topology data: a NATS-tss "simple" folder or its `meta.pickle.pbz2`, one per-arch
 * `{index}.pickle.pbz2`, or a single-file benchmark. Defaults: hp "200" (final accuracies; "12"
 * warns), mean over seeds, all four datasets. See `nats_bench.ts`.
 */
export async function readNatsBenchPbz2(path: string, opts: ReadNatsTssOptions = {}): Promise<Nb201Truth> {
  return await readNatsBenchPath(path, opts);
}

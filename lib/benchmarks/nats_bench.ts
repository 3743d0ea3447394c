/**
 * NATS-Bench topology search space (NATS-tss = the NAS-Bench-201 cell space) ground truth, read
 * from the benchmark's own files without Python.
 *
 * A NATS-tss "simple" folder (`NATS-tss-v1_0-3ffb9-simple/`, what `create(dir, "tss",
 * fast_mode=True)` reads) holds `meta.pickle.pbz2` — `{meta_archs: [arch string by index],
 * total_archs, arch2infos: None, evaluated_indexes: set()}` — and one `{index:06d}.pickle.pbz2`
 * per architecture: `{"12": ArchResults, "200": ArchResults}` as state dicts. Each ArchResults is
 * `{arch_index, arch_str, all_results: {(dataset, seed): ResultsCount}, dataset_seed: {dataset:
 * [seeds]}, clear_net_done}`; each ResultsCount has `epochs`, `train_acc1es` / `train_losses`
 * (epoch → value), `eval_acc1es` / `eval_losses` (`"<set>@<epoch>"` → value), `params`, `flop`,
 * `latency`, … (facts from nats_bench/api_utils.py; files are bzip2-compressed pickles).
 *
 * Values are taken as NATS's `get_more_info(index, dataset, hp, is_random=False)` does (mean over
 * the dataset's seeds, at the last epoch) or for one seed (`is_random=<seed>`), with its set
 * names: see {@link NATS_SETS}. They become {@link Nb201Truth} records keyed by our canonical
 * arch string, with metrics `train_accuracy`, `train_loss`, `val_accuracy`, `val_loss`,
 * `test_accuracy`, `test_loss`, `valtest_accuracy`, `valtest_loss` (and `params` [M],
 * `flops` [M], `latency` [s] on request). Accuracies are percentages, as in NATS.
 *
 * **hp pitfall.** NATS's API defaults to `hp="12"`: results after a 12-epoch schedule, a cheap
 * proxy, not the final accuracy. We default to `hp="200"` and warn when "12" is asked for.
 *
 * `testing/nats_fixture.ts` writes a tiny folder with the same pickle layout (bzip2 by the
 * system CLI) for tests.
 *
 * @module
 */
import { escapeBytes, readInput } from "../data/input.ts";
import { type PyValue, readPickle } from "../data/pickle.ts";
import { formatArch, type Nb201Arch, parseArch } from "../spaces/nb201/space.ts";
import { Nb201Truth, type TruthRecord } from "./truth_store.ts";

/** The four NATS-tss datasets. */
export const NATS_DATASETS = ["cifar10-valid", "cifar10", "cifar100", "ImageNet16-120"] as const;
/** A NATS-tss dataset name. */
export type NatsDataset = typeof NATS_DATASETS[number];
/** Training schedule: 12 or 200 epochs (NATS's `hp`). */
export type NatsHp = "12" | "200";
/** Evaluation set names inside a ResultsCount. */
export type NatsSet = "x-valid" | "x-test" | "ori-test";

/**
 * Which NATS set each of our splits reads, per dataset, exactly as `get_more_info` maps them:
 * cifar10-valid trains on half of the CIFAR-10 train set (valid = other half, test = the 10k test
 * set); cifar10 trains on all 50k and has no valid set; cifar100 and ImageNet16-120 split their
 * test set into x-valid / x-test halves (valtest = the whole test set).
 */
export const NATS_SETS: Readonly<Record<NatsDataset, { valid?: NatsSet; test: NatsSet; valtest?: NatsSet }>> =
  {
    "cifar10-valid": { valid: "x-valid", test: "ori-test" },
    cifar10: { test: "ori-test" },
    cifar100: { valid: "x-valid", test: "x-test", valtest: "ori-test" },
    "ImageNet16-120": { valid: "x-valid", test: "x-test", valtest: "ori-test" },
  };

const HP12_WARNING =
  "NATS-Bench hp '12' gives accuracies after a 12-epoch schedule (a cheap proxy), not the " +
  "final 200-epoch results; use hp '200' for ground truth";

/** Options of {@link readNatsTss}. */
export interface ReadNatsTssOptions {
  /**
   * architectures to read: arch strings, op tuples or NATS indices (positions in `meta_archs`,
   * which differ from our own enumeration). @default every `{index}.pickle.pbz2` in the folder
   */
  archs?: ReadonlyArray<string | Nb201Arch | number>;
  /** @default {NATS_DATASETS} */
  datasets?: readonly NatsDataset[];
  /** schedule; "12" warns (see the module doc) @default {"200"} */
  hp?: NatsHp;
  /** "mean" over the dataset's seeds (NATS `is_random=False`) or one seed @default {"mean"} */
  seed?: number | "mean";
  /** also read `params` (M), `flops` (M) and `latency` (s), as `get_cost_info` @default {false} */
  costs?: boolean;
  /** called after each architecture file */
  onProgress?: (done: number, total: number) => void;
}

type Opts = Required<Omit<ReadNatsTssOptions, "archs" | "onProgress">>;

/** Validate options and warn (loudly, once per call) when the 12-epoch schedule is asked for. */
function resolveOptions(opts: ReadNatsTssOptions): Opts {
  const hp = opts.hp ?? "200";
  if (hp !== "12" && hp !== "200") {
    throw new RangeError(`Expected hp "12" or "200": got ${JSON.stringify(hp)}`);
  }
  if (hp === "12") console.warn(`Warning: ${HP12_WARNING}`);
  const datasets = opts.datasets ?? NATS_DATASETS;
  for (const d of datasets) {
    if (!(NATS_DATASETS as readonly string[]).includes(d)) {
      throw new RangeError(`Unknown NATS dataset '${d}': expected one of ${NATS_DATASETS.join(", ")}`);
    }
  }
  const seed = opts.seed ?? "mean";
  if (seed !== "mean" && !Number.isInteger(seed)) {
    throw new TypeError(`Expected seed "mean" or an integer: got ${JSON.stringify(seed)}`);
  }
  return { hp, datasets, seed, costs: opts.costs ?? false };
}

// ------------------------------------------------------------------ pickle navigation

function typeName(v: unknown): string {
  if (v === null) return "None";
  if (v instanceof Map) return "dict";
  if (Array.isArray(v)) return Object.isFrozen(v) ? "tuple" : "list";
  return typeof v;
}

function asDict(v: unknown, where: string): Map<unknown, unknown> {
  if (!(v instanceof Map)) {
    throw new TypeError(`Unexpected NATS-Bench data in ${where}: expected a dict, got ${typeName(v)}`);
  }
  return v;
}

function field(m: Map<unknown, unknown>, key: string | number, where: string): unknown {
  if (!m.has(key)) {
    const keys = [...m.keys()].slice(0, 8).map((k) => JSON.stringify(k)).join(", ");
    throw new TypeError(
      `Unexpected NATS-Bench data in ${where}: missing key ${JSON.stringify(key)} (has ${keys}…)`,
    );
  }
  return m.get(key);
}

function num(v: unknown, where: string): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  throw new TypeError(`Unexpected NATS-Bench data in ${where}: expected a number, got ${typeName(v)}`);
}

function mean(xs: number[]): number {
  let s = 0;
  for (const x of xs) s += x; // summed in seed order, as Python's sum()
  return s / xs.length;
}

/** The pickle reader's key for the tuple `(dataset, seed)` (it keys dicts by a tuple's Python repr). */
function resultKey(dataset: string, seed: number): string {
  return `('${dataset}', ${seed})`;
}

// ------------------------------------------------------------------ conversion

function convert(state: unknown, arch: string, o: Opts, where: string): TruthRecord[] {
  const ar = asDict(state, where);
  const all = asDict(field(ar, "all_results", where), `${where} all_results`);
  const seedsBy = asDict(field(ar, "dataset_seed", where), `${where} dataset_seed`);
  const out: TruthRecord[] = [];
  for (const dataset of o.datasets) {
    const w = `${where} ${dataset}`;
    const seedList = field(seedsBy, dataset, `${where} dataset_seed`);
    if (!Array.isArray(seedList) || seedList.length === 0) {
      throw new TypeError(`Unexpected NATS-Bench data in ${w}: expected a non-empty list of seeds`);
    }
    const seeds = seedList.map((s) => num(s, `${w} seeds`));
    if (o.seed !== "mean" && !seeds.includes(o.seed)) {
      throw new RangeError(`Cannot read seed ${o.seed} of ${w} hp ${o.hp}: it has seeds ${seeds.join(", ")}`);
    }
    const use = o.seed === "mean" ? seeds : [o.seed];
    const runs = use.map((s) =>
      asDict(field(all, resultKey(dataset, s), `${where} all_results`), `${w} seed ${s}`)
    );
    const at = (pick: (rc: Map<unknown, unknown>, last: number, w: string) => number) =>
      mean(runs.map((rc, i) => {
        const ws = `${w} seed ${use[i]}`;
        return pick(rc, num(field(rc, "epochs", ws), ws) - 1, ws);
      }));
    const push = (metric: string, value: number) => out.push({ arch, dataset, metric, value });
    const train = (key: string) => (rc: Map<unknown, unknown>, last: number, ws: string) =>
      num(field(asDict(field(rc, key, ws), `${ws} ${key}`), last, `${ws} ${key}`), `${ws} ${key}[${last}]`);
    const evalAt = (key: string, set: NatsSet) => (rc: Map<unknown, unknown>, last: number, ws: string) => {
      const k = `${set}@${last}`;
      return num(
        field(asDict(field(rc, key, ws), `${ws} ${key}`), k, `${ws} ${key}`),
        `${ws} ${key}['${k}']`,
      );
    };
    push("train_accuracy", at(train("train_acc1es")));
    push("train_loss", at(train("train_losses")));
    const sets = NATS_SETS[dataset];
    for (
      const [name, set] of [["val", sets.valid], ["test", sets.test], ["valtest", sets.valtest]] as const
    ) {
      if (!set) continue;
      push(`${name}_accuracy`, at(evalAt("eval_acc1es", set)));
      push(`${name}_loss`, at(evalAt("eval_losses", set)));
    }
    if (o.costs) { for (const [metric, v] of costs(runs, use, w)) push(metric, v); }
  }
  return out;
}

/** `get_cost_info`'s params / flops / latency over the chosen runs. */
function costs(runs: Map<unknown, unknown>[], seeds: number[], w: string): [string, number][] {
  // NATS: if per-seed values disagree (a legacy bug), the value of seed 888 is used
  const fix = (key: string) => {
    const xs = runs.map((rc, i) => num(field(rc, key, `${w} seed ${seeds[i]}`), `${w} ${key}`));
    const distinct = new Set(xs.map((x) => x.toFixed(5)));
    if (xs.length > 1 && distinct.size > 1 && seeds.includes(888)) return xs[seeds.indexOf(888)];
    return mean(xs);
  };
  const lat = runs.map((rc) => {
    const l = rc.get("latency");
    if (!Array.isArray(l) || l.length === 0) return -1;
    return mean(l.map((x) => num(x, `${w} latency`)));
  }).filter((x) => x > 0);
  const out: [string, number][] = [["params", fix("params")], ["flops", fix("flop")]];
  if (lat.length) out.push(["latency", mean(lat)]);
  return out;
}

// ------------------------------------------------------------------ files

/** A `.pickle.pbz2` (bzip2 by NATS-Bench's convention; gzip or plain pickles are read too, by content). */
async function loadPbz2(path: string): Promise<PyValue> {
  let bytes: Uint8Array, compression: string;
  try {
    ({ bytes, compression } = await readInput(path, { what: "NATS-Bench file" }));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied) {
      throw new (e instanceof Deno.errors.NotFound ? RangeError : TypeError)(
        `Cannot read NATS-Bench file ${path}: ${(e as Error).message}`,
      );
    }
    throw e;
  }
  if (compression === "none" && bytes[0] !== 0x80) {
    throw new SyntaxError(
      `Cannot decompress bzip2 ${path}: not a bzip2 stream (expected header 'BZh1'…'BZh9', or a pickle; ` +
        `first bytes ${escapeBytes(bytes, 0, bytes.length, 16)})`,
    );
  }
  return readPickle(bytes, { file: path });
}

/** The folder's `meta_archs`: canonical arch strings by NATS index. */
export async function readNatsTssMeta(dir: string): Promise<string[]> {
  const path = `${dir}/meta.pickle.pbz2`;
  const meta = asDict(await loadPbz2(path), path);
  return metaArchs(meta, path);
}

function metaArchs(meta: Map<unknown, unknown>, path: string): string[] {
  const list = field(meta, "meta_archs", path);
  if (!Array.isArray(list)) {
    throw new TypeError(`Unexpected NATS-Bench data in ${path}: meta_archs is not a list`);
  }
  return list.map((s, i) => {
    try {
      return formatArch(parseArch(s as string));
    } catch (e) {
      throw new SyntaxError(`Cannot parse ${path} meta_archs[${i}]: ${(e as Error).message}`);
    }
  });
}

async function archFile(dir: string, index: number): Promise<string> {
  for (const name of [`${String(index).padStart(6, "0")}.pickle.pbz2`, `${index}.pickle.pbz2`]) {
    try {
      await Deno.stat(`${dir}/${name}`);
      return `${dir}/${name}`;
    } catch { /* try the next spelling, as NATS does */ }
  }
  throw new RangeError(
    `Cannot find NATS-Bench arch ${index} in ${dir}: no ${String(index).padStart(6, "0")}.pickle.pbz2`,
  );
}

/** Records of one per-arch file (`{"12": …, "200": …}`), checked against the expected arch. */
function archFileRecords(
  data: unknown,
  path: string,
  o: Opts,
  expect?: { index: number; arch: string },
): TruthRecord[] {
  const byHp = asDict(data, path);
  const state = asDict(field(byHp, o.hp, path), `${path} hp ${o.hp}`);
  const where = `${path} hp ${o.hp}`;
  const archStr = field(state, "arch_str", where);
  let arch: string;
  try {
    arch = formatArch(parseArch(archStr as string));
  } catch (e) {
    throw new SyntaxError(`Cannot parse ${where} arch_str: ${(e as Error).message}`);
  }
  if (expect) {
    const idx = num(field(state, "arch_index", where), `${where} arch_index`);
    if (idx !== expect.index || arch !== expect.arch) {
      throw new RangeError(
        `Inconsistent NATS-Bench folder: ${path} holds arch ${idx} ${arch}, meta.pickle.pbz2 says ${expect.index} ${expect.arch}`,
      );
    }
  }
  return convert(state, arch, o, where);
}

/**
 * Read a NATS-tss "simple" folder into ground truth: the archs asked for (default: every
 * per-arch file present), for the chosen datasets, hp (default "200") and seed (default mean).
 */
export async function readNatsTss(dir: string, opts: ReadNatsTssOptions = {}): Promise<Nb201Truth> {
  return await readFolder(dir, opts, resolveOptions(opts));
}

async function readFolder(dir: string, opts: ReadNatsTssOptions, o: Opts): Promise<Nb201Truth> {
  const meta = await readNatsTssMeta(dir);
  let indices: number[];
  if (opts.archs) {
    const byArch = new Map(meta.map((a, i) => [a, i]));
    indices = opts.archs.map((a) => {
      if (typeof a === "number") {
        if (!Number.isInteger(a) || a < 0 || a >= meta.length) {
          throw new RangeError(`Expected a NATS arch index in [0, ${meta.length}): got ${a}`);
        }
        return a;
      }
      const key = typeof a === "string" ? formatArch(parseArch(a)) : formatArch(a);
      const i = byArch.get(key);
      if (i === undefined) throw new RangeError(`Arch ${key} is not in ${dir}/meta.pickle.pbz2`);
      return i;
    });
  } else {
    indices = [];
    for await (const e of Deno.readDir(dir)) {
      const m = /^(\d+)\.pickle\.pbz2$/.exec(e.name);
      if (m && e.isFile) indices.push(Number(m[1]));
    }
    indices.sort((a, b) => a - b);
    for (const i of indices) {
      if (i >= meta.length) {
        throw new RangeError(`NATS-Bench file ${dir}/${i} is beyond meta_archs (${meta.length})`);
      }
    }
  }
  const truth = new Nb201Truth();
  for (let k = 0; k < indices.length; k++) {
    const index = indices[k];
    const path = await archFile(dir, index);
    for (const r of archFileRecords(await loadPbz2(path), path, o, { index, arch: meta[index] })) {
      truth.add(r, path);
    }
    opts.onProgress?.(k + 1, indices.length);
  }
  return truth;
}

/**
 * Read any NATS-tss `.pbz2` input: a "simple" folder or its `meta.pickle.pbz2` (→
 * {@link readNatsTss}), one per-arch `{index}.pickle.pbz2` (that arch only), or a single-file
 * benchmark `{meta_archs, arch2infos: {index: {hp: ArchResults}}, …}`.
 */
export async function readNatsBenchPath(path: string, opts: ReadNatsTssOptions = {}): Promise<Nb201Truth> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    throw new RangeError(`Cannot read NATS-Bench data ${path}: ${(e as Error).message}`);
  }
  const o = resolveOptions(opts);
  if (info.isDirectory) return await readFolder(path, opts, o);
  const dir = path.includes("/") ? path.replace(/\/[^/]*$/, "") || "/" : ".";
  if (/(^|\/)meta\.pickle\.pbz2$/.test(path)) return await readFolder(dir, opts, o);
  const data = asDict(await loadPbz2(path), path);
  const truth = new Nb201Truth();
  if (data.has(o.hp) && !data.has("meta_archs")) {
    for (const r of archFileRecords(data, path, o)) truth.add(r, path);
    return truth;
  }
  if (data.has("meta_archs")) {
    const infos = data.get("arch2infos");
    if (infos === null || infos === undefined) return await readFolder(dir, opts, o); // a renamed meta file
    const meta = metaArchs(data, path);
    for (const [key, byHp] of asDict(infos, `${path} arch2infos`)) {
      const index = num(key, `${path} arch2infos key`);
      if (index < 0 || index >= meta.length) {
        throw new RangeError(`${path} arch2infos has index ${index} beyond meta_archs`);
      }
      const where = `${path} arch2infos[${index}]`;
      for (const r of archFileRecords(byHp, where, o, { index, arch: meta[index] })) truth.add(r, path);
    }
    return truth;
  }
  throw new TypeError(
    `Unexpected NATS-Bench data in ${path}: neither a per-arch file (keys "12"/"200") nor a benchmark (meta_archs)`,
  );
}

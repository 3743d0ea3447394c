/**
 * Read and write NASRec's architecture JSON (`{"micro": [...], "macro": [...], "num_blocks": 7,
 * "use_layernorm": 1, "config": "xlarge", ...}`), the format of the published best architectures
 * in facebookresearch/NasRec `nasrec/configs/`, so that those nets can be scored, costed and
 * trained here and our own results can be handed back to NASRec's `main_train.py`.
 *
 * Fields other than `micro`, `macro`, `num_blocks`, `use_layernorm` and `config` (e.g. the
 * search's `test_loss`) are kept in {@link NasrecConfig.extra} and written back unchanged.
 *
 * @module
 */
import {
  checkArch,
  getSpace,
  type MacroChoice,
  type MicroChoice,
  type NasrecArch,
  type NasrecSpaceName,
} from "./space.ts";
import { writeFileAtomic } from "../../io.ts";

/** A parsed config file. */
export interface NasrecConfig {
  readonly arch: NasrecArch;
  /** `use_layernorm` (1 in every published config). */
  readonly useLayerNorm: boolean;
  /** Every other top-level field, unchanged. */
  readonly extra: Readonly<Record<string, unknown>>;
}

/** Options of {@link parseNasrecConfig}. */
export interface ParseConfigOptions {
  /** Space to assume when the JSON has no `config` field; must agree with it when both are given. */
  space?: NasrecSpaceName;
}

const KNOWN = new Set(["micro", "macro", "num_blocks", "use_layernorm", "config"]);
const MACRO_FIELDS = ["dense_idx", "sparse_idx", "dense_left_idx", "dense_right_idx"] as const;
const MICRO_FIELDS = [
  "active_nodes",
  "dense_in_dims",
  "sparse_in_dims",
  "dense_sparse_interact",
  "deep_fm",
] as const;

/** Parse config text; `source` (a file name) starts every error message. */
export function parseNasrecConfig(text: string, source: string, opts: ParseConfigOptions = {}): NasrecConfig {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(`${source}: not valid JSON (${(e as Error).message})`);
  }
  return nasrecConfigFromJson(obj, source, opts);
}

/** Convert an already-parsed JSON value; see {@link parseNasrecConfig}. */
export function nasrecConfigFromJson(
  obj: unknown,
  source: string,
  opts: ParseConfigOptions = {},
): NasrecConfig {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    throw new TypeError(`${source}: expected a JSON object with "micro" and "macro" arrays`);
  }
  const o = obj as Record<string, unknown>;
  const space = readSpace(o.config, source, opts.space);
  if (!Array.isArray(o.micro) || !Array.isArray(o.macro)) {
    throw new TypeError(`${source}: expected "micro" and "macro" to be arrays`);
  }
  if (o.micro.length !== o.macro.length || o.micro.length === 0) {
    throw new RangeError(
      `${source}: expected "micro" and "macro" to have the same non-zero length, ` +
        `got ${o.micro.length} and ${o.macro.length}`,
    );
  }
  if (o.num_blocks !== undefined && o.num_blocks !== o.macro.length) {
    throw new RangeError(`${source}: num_blocks is ${o.num_blocks} but there are ${o.macro.length} blocks`);
  }
  let useLayerNorm = true;
  if (o.use_layernorm !== undefined) {
    if (o.use_layernorm !== 0 && o.use_layernorm !== 1 && typeof o.use_layernorm !== "boolean") {
      throw new TypeError(
        `${source}: use_layernorm: expected 0 or 1, got ${JSON.stringify(o.use_layernorm)}`,
      );
    }
    useLayerNorm = Boolean(o.use_layernorm);
  }
  const blocks = o.macro.map((mac, i) => ({
    macro: readMacro(mac, `${source}: block ${i}`),
    micro: readMicro((o.micro as unknown[])[i], `${source}: block ${i}`),
  }));
  const arch: NasrecArch = { space, blocks };
  checkArch(arch, source);
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!KNOWN.has(k)) extra[k] = v;
  return { arch, useLayerNorm, extra };
}

function readSpace(v: unknown, source: string, fallback: NasrecSpaceName | undefined): NasrecSpaceName {
  if (v === undefined) {
    if (fallback === undefined) {
      throw new TypeError(`${source}: no "config" field; pass the space (xlarge or autoctr) explicitly`);
    }
    return getSpace(fallback).name;
  }
  if (typeof v !== "string") {
    throw new TypeError(`${source}: config: expected a string, got ${JSON.stringify(v)}`);
  }
  let name: NasrecSpaceName;
  try {
    name = getSpace(v).name;
  } catch {
    throw new RangeError(`${source}: config: unknown space '${v}', expected xlarge or autoctr`);
  }
  if (fallback !== undefined && fallback !== name) {
    throw new RangeError(`${source}: config is '${name}' but space '${fallback}' was requested`);
  }
  return name;
}

function fieldsOf(v: unknown, at: string, fields: readonly string[], what: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new TypeError(`${at} ${what}: expected an object, got ${JSON.stringify(v)}`);
  }
  const o = v as Record<string, unknown>;
  for (const f of fields) {
    if (!(f in o)) throw new TypeError(`${at} ${f}: missing`);
  }
  for (const k of Object.keys(o)) {
    if (!fields.includes(k)) throw new TypeError(`${at} ${what}: unknown key '${k}'`);
  }
  return o;
}

function intList(v: unknown, at: string): number[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === "number" && Number.isInteger(x))) {
    throw new TypeError(`${at}: expected an array of integers, got ${JSON.stringify(v)}`);
  }
  return v.slice();
}

function intValue(v: unknown, at: string): number {
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new TypeError(`${at}: expected an integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

function flag(v: unknown, at: string): boolean {
  if (v === 0 || v === 1 || typeof v === "boolean") return Boolean(v);
  throw new TypeError(`${at}: expected 0 or 1, got ${JSON.stringify(v)}`);
}

function readMacro(v: unknown, at: string): MacroChoice {
  const o = fieldsOf(v, at, MACRO_FIELDS, "macro");
  return {
    denseIdx: intList(o.dense_idx, `${at} dense_idx`),
    sparseIdx: intList(o.sparse_idx, `${at} sparse_idx`),
    denseLeftIdx: intList(o.dense_left_idx, `${at} dense_left_idx`),
    denseRightIdx: intList(o.dense_right_idx, `${at} dense_right_idx`),
  };
}

function readMicro(v: unknown, at: string): MicroChoice {
  const o = fieldsOf(v, at, MICRO_FIELDS, "micro");
  return {
    activeNodes: intList(o.active_nodes, `${at} active_nodes`),
    denseInDims: intValue(o.dense_in_dims, `${at} dense_in_dims`),
    sparseInDims: intValue(o.sparse_in_dims, `${at} sparse_in_dims`),
    denseSparseInteract: flag(o.dense_sparse_interact, `${at} dense_sparse_interact`),
    deepFm: flag(o.deep_fm, `${at} deep_fm`),
  };
}

/**
 * The JSON object NASRec reads (`main_train.py --net supernet-config`): index lists in the
 * order stored in the arch, switches as 0/1, plus `num_blocks`, `use_layernorm`, `config` and the
 * extra fields.
 */
export function nasrecConfigToJson(cfg: NasrecConfig): Record<string, unknown> {
  checkArch(cfg.arch);
  const { blocks } = cfg.arch;
  return {
    micro: blocks.map(({ micro: m }) => ({
      active_nodes: [...m.activeNodes],
      dense_in_dims: m.denseInDims,
      sparse_in_dims: m.sparseInDims,
      dense_sparse_interact: m.denseSparseInteract ? 1 : 0,
      deep_fm: m.deepFm ? 1 : 0,
    })),
    macro: blocks.map(({ macro: m }) => ({
      dense_idx: [...m.denseIdx],
      sparse_idx: [...m.sparseIdx],
      dense_left_idx: [...m.denseLeftIdx],
      dense_right_idx: [...m.denseRightIdx],
    })),
    num_blocks: blocks.length,
    use_layernorm: cfg.useLayerNorm ? 1 : 0,
    config: cfg.arch.space,
    ...cfg.extra,
  };
}

/** Config text in NASRec's layout (one line, as NASRec's `json.dump` writes it). */
export function formatNasrecConfig(cfg: NasrecConfig): string {
  return JSON.stringify(nasrecConfigToJson(cfg));
}

/** Read and validate a config file; errors name the path. */
export async function readNasrecConfig(
  path: string | URL,
  opts: ParseConfigOptions = {},
): Promise<NasrecConfig> {
  const name = path instanceof URL ? path.pathname : path;
  return parseNasrecConfig(await Deno.readTextFile(path), name, opts);
}

/** Write a config file atomically (temp file in the same folder, then rename). */
export async function writeNasrecConfig(path: string, cfg: NasrecConfig): Promise<void> {
  await writeFileAtomic(path, formatNasrecConfig(cfg) + "\n");
}

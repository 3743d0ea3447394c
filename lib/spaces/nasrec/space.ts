/**
 * The NASRec search spaces (NASRec-Full `xlarge`, NASRec-Small `autoctr`) as plain data: the
 * architecture type, sampling, mutation and a canonical key. No tensors here, so the search loop,
 * the cost model and the config reader can share it without loading tfjs.
 *
 * An architecture is a list of choice blocks (7 in NASRec). Block `i` (0-based) reads from the
 * outputs `0..i`, where output 0 is the input stem (raw dense features, sparse embeddings) and
 * output `k ≥ 1` is block `k − 1`. Each block has a *macro* choice (which outputs feed its dense,
 * sparse, left and right inputs) and a *micro* choice (active nodes, widths, two switches).
 * Field meanings follow facebookresearch/NasRec (`supernet.py`, `searcher/tokenizer.py`), which
 * spells them `dense_idx`, `sparse_idx`, `dense_left_idx`, `dense_right_idx`, `active_nodes`,
 * `dense_in_dims`, `sparse_in_dims`, `dense_sparse_interact`, `deep_fm`.
 *
 * Index sets keep the order they were given in (so a published config round-trips byte-for-byte
 * semantics), but order never matters: NASRec's standalone net concatenates selected outputs in
 * index order, and its tokenizer encodes each set as membership bits. {@link archKey} sorts.
 *
 * @module
 */
import type { Rng } from "../../rng.ts";

/** Node (operator) names used by the two spaces. */
export type NasrecNode =
  | "linear-2d"
  | "dot-product"
  | "sigmoid-gating"
  | "sum"
  | "transformer"
  | "linear-3d";

/** NASRec's own names of the spaces (`ops_config_lib` keys). */
export type NasrecSpaceName = "xlarge" | "autoctr";

/** One search space: the node list (indices are `active_nodes` values) and the width choices. */
export interface NasrecSpaceSpec {
  /** NASRec's `--config` name. */
  readonly name: NasrecSpaceName;
  /** The paper's name. */
  readonly label: "NASRec-Full" | "NASRec-Small";
  /** Node names; an `active_nodes` entry is an index into this list. */
  readonly nodeNames: readonly NasrecNode[];
  /** Indices of the nodes that produce the dense (2-D) output. */
  readonly denseNodes: readonly number[];
  /** Indices of the nodes that produce the sparse (3-D) output. */
  readonly sparseNodes: readonly number[];
  /** Dense output widths. */
  readonly denseDims: readonly number[];
  /** Sparse output widths: the number of output tokens (rows of 16-dim embeddings). */
  readonly sparseDims: readonly number[];
}

const DENSE_DIMS = [16, 32, 64, 128, 256, 512, 768, 1024] as const;
const SPARSE_DIMS = [16, 32, 48, 64] as const;

/** NASRec-Full: dense FC, dot-product, sigmoid-gating, sum; sparse attention, EFC. */
export const NASREC_FULL: NasrecSpaceSpec = Object.freeze({
  name: "xlarge",
  label: "NASRec-Full",
  nodeNames: Object.freeze(
    ["linear-2d", "dot-product", "sigmoid-gating", "sum", "transformer", "linear-3d"] as NasrecNode[],
  ),
  denseNodes: Object.freeze([0, 1, 2, 3]),
  sparseNodes: Object.freeze([4, 5]),
  denseDims: DENSE_DIMS,
  sparseDims: SPARSE_DIMS,
});

/** NASRec-Small: dense FC and dot-product; sparse EFC only. */
export const NASREC_SMALL: NasrecSpaceSpec = Object.freeze({
  name: "autoctr",
  label: "NASRec-Small",
  nodeNames: Object.freeze(["linear-2d", "dot-product", "linear-3d"] as NasrecNode[]),
  denseNodes: Object.freeze([0, 1]),
  sparseNodes: Object.freeze([2]),
  denseDims: DENSE_DIMS,
  sparseDims: SPARSE_DIMS,
});

/** Both spaces by NASRec name. */
export const NASREC_SPACES: Readonly<Record<NasrecSpaceName, NasrecSpaceSpec>> = Object.freeze({
  xlarge: NASREC_FULL,
  autoctr: NASREC_SMALL,
});

/** Number of choice blocks in every published NASRec run. */
export const NASREC_NUM_BLOCKS = 7;

/** NASRec caps the number of sampled inputs per set at 4 (`max_items=4`). */
export const NASREC_MAX_INPUTS = 4;

/** The space spec for a NASRec name; throws a RangeError naming the known ones. */
export function getSpace(name: string): NasrecSpaceSpec {
  const spec = (NASREC_SPACES as Record<string, NasrecSpaceSpec>)[name];
  if (spec === undefined) {
    throw new RangeError(`Unknown NASRec space '${name}': expected one of xlarge, autoctr`);
  }
  return spec;
}

/** Which earlier outputs feed a block (indices into outputs `0..i` for block `i`). */
export interface MacroChoice {
  /** Concatenated (last axis) into the dense input of unary dense nodes and dot-product. */
  readonly denseIdx: readonly number[];
  /** Concatenated (token axis) into the sparse input of sparse nodes and dot-product. */
  readonly sparseIdx: readonly number[];
  /** Left input of the binary dense nodes (sum, sigmoid-gating); one index when sampled. */
  readonly denseLeftIdx: readonly number[];
  /** Right input of the binary dense nodes; one index when sampled. */
  readonly denseRightIdx: readonly number[];
}

/** What a block computes. */
export interface MicroChoice {
  /** Indices into the space's `nodeNames`: one dense + one sparse when sampled, all in full-path. */
  readonly activeNodes: readonly number[];
  /** Dense output width (one of `denseDims`). */
  readonly denseInDims: number;
  /** Number of sparse output tokens (one of `sparseDims`). */
  readonly sparseInDims: number;
  /** Project the dense output to 8×16 and append it as 8 extra sparse tokens. */
  readonly denseSparseInteract: boolean;
  /** Add an FM over the sparse output, projected to the dense width, to the dense output. */
  readonly deepFm: boolean;
}

/** One choice block. */
export interface NasrecBlock {
  readonly macro: MacroChoice;
  readonly micro: MicroChoice;
}

/** A NASRec architecture: the space it lives in and its blocks (7 in NASRec). */
export interface NasrecArch {
  readonly space: NasrecSpaceName;
  readonly blocks: readonly NasrecBlock[];
}

/** How any-path sampling draws the number of inputs of a set out of `n` candidates. */
export type AnyPathChoice = "uniform" | "binomial-0.5";

const MACRO_KEYS = ["denseIdx", "sparseIdx", "denseLeftIdx", "denseRightIdx"] as const;
const MICRO_KEYS = ["activeNodes", "denseInDims", "sparseInDims", "denseSparseInteract", "deepFm"] as const;

/** NASRec's JSON spelling of each field, for error messages. */
export const NASREC_JSON_KEYS: Readonly<Record<string, string>> = Object.freeze({
  denseIdx: "dense_idx",
  sparseIdx: "sparse_idx",
  denseLeftIdx: "dense_left_idx",
  denseRightIdx: "dense_right_idx",
  activeNodes: "active_nodes",
  denseInDims: "dense_in_dims",
  sparseInDims: "sparse_in_dims",
  denseSparseInteract: "dense_sparse_interact",
  deepFm: "deep_fm",
});

// ---------------------------------------------------------------------------------------------
// Validation

/**
 * Throws unless `arch` is a well-formed architecture of its space: at least one block; index sets
 * non-empty, duplicate-free integers in `0..i` for block `i`; active nodes a duplicate-free set
 * with at least one dense and one sparse node (NASRec's standalone net sums the dense and the
 * sparse node outputs, so an empty side has no output); widths from the space's lists.
 * `context` (e.g. a file name) starts every message.
 */
export function checkArch(arch: NasrecArch, context = "NASRec arch"): void {
  if (arch === null || typeof arch !== "object") {
    throw new TypeError(`${context}: expected an architecture object, got ${arch}`);
  }
  const spec = (NASREC_SPACES as Record<string, NasrecSpaceSpec>)[arch.space];
  if (spec === undefined) {
    throw new RangeError(`${context}: unknown space '${arch.space}', expected xlarge or autoctr`);
  }
  if (!Array.isArray(arch.blocks) || arch.blocks.length === 0) {
    throw new TypeError(`${context}: expected a non-empty array of blocks`);
  }
  arch.blocks.forEach((block, i) => {
    const at = (key: string) => `${context}: block ${i} ${NASREC_JSON_KEYS[key] ?? key}`;
    if (block === null || typeof block !== "object" || !block.macro || !block.micro) {
      throw new TypeError(`${context}: block ${i}: expected an object with macro and micro choices`);
    }
    for (const key of MACRO_KEYS) checkIndexSet(block.macro[key], at(key), 0, i);
    const m = block.micro;
    checkIndexSet(m.activeNodes, at("activeNodes"), 0, spec.nodeNames.length - 1);
    if (!m.activeNodes.some((n: number) => spec.denseNodes.includes(n))) {
      throw new RangeError(
        `${at("activeNodes")}: expected at least one dense node (${spec.denseNodes.join(", ")}), ` +
          `got [${m.activeNodes.join(", ")}]`,
      );
    }
    if (!m.activeNodes.some((n: number) => spec.sparseNodes.includes(n))) {
      throw new RangeError(
        `${at("activeNodes")}: expected at least one sparse node (${spec.sparseNodes.join(", ")}), ` +
          `got [${m.activeNodes.join(", ")}]`,
      );
    }
    checkWidth(m.denseInDims, spec.denseDims, at("denseInDims"));
    checkWidth(m.sparseInDims, spec.sparseDims, at("sparseInDims"));
    for (const key of ["denseSparseInteract", "deepFm"] as const) {
      if (typeof m[key] !== "boolean") {
        throw new TypeError(`${at(key)}: expected a boolean, got ${JSON.stringify(m[key])}`);
      }
    }
  });
}

function checkIndexSet(v: unknown, at: string, lo: number, hi: number): void {
  if (!Array.isArray(v) || v.length === 0) {
    throw new TypeError(`${at}: expected a non-empty array of integers, got ${JSON.stringify(v)}`);
  }
  const seen = new Set<number>();
  for (const x of v) {
    if (typeof x !== "number" || !Number.isInteger(x)) {
      throw new TypeError(`${at}: expected integers, got ${JSON.stringify(v)}`);
    }
    if (x < lo || x > hi) {
      throw new RangeError(`${at}: expected indices in ${lo}..${hi}, got ${JSON.stringify(v)}`);
    }
    if (seen.has(x)) throw new RangeError(`${at}: expected distinct indices, got ${JSON.stringify(v)}`);
    seen.add(x);
  }
}

function checkWidth(v: unknown, allowed: readonly number[], at: string): void {
  if (typeof v !== "number" || !allowed.includes(v)) {
    throw new RangeError(`${at}: expected one of ${allowed.join(", ")}, got ${JSON.stringify(v)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Node helpers

/** Names of the active dense and sparse nodes of block `i`, in node-index order. */
export function blockNodes(arch: NasrecArch, i: number): { dense: NasrecNode[]; sparse: NasrecNode[] } {
  const spec = getSpace(arch.space);
  const active = [...arch.blocks[i].micro.activeNodes].sort((a, b) => a - b);
  return {
    dense: active.filter((n) => spec.denseNodes.includes(n)).map((n) => spec.nodeNames[n]),
    sparse: active.filter((n) => spec.sparseNodes.includes(n)).map((n) => spec.nodeNames[n]),
  };
}

/** True when block `i` runs a binary dense node, i.e. when its left/right inputs are read at all. */
export function usesLeftRight(arch: NasrecArch, i: number): boolean {
  return blockNodes(arch, i).dense.some((n) => n === "sum" || n === "sigmoid-gating");
}

// ---------------------------------------------------------------------------------------------
// Sampling

/** Number of inputs to draw out of `n` candidates (NASRec `anypath_choice_fn`, capped at 4). */
export function sampleInputCount(n: number, choice: AnyPathChoice, rng: Rng): number {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`Expected a positive integer number of candidate inputs, got ${n}`);
  }
  if (choice === "uniform") return 1 + rng.int(Math.min(n, NASREC_MAX_INPUTS));
  if (choice === "binomial-0.5") {
    let k = 1;
    for (let t = Math.min(n - 1, NASREC_MAX_INPUTS - 1); t > 0; t--) if (rng.next() < 0.5) k++;
    return k;
  }
  throw new RangeError(`Unknown any-path choice '${choice}': expected uniform or binomial-0.5`);
}

/** `k` distinct indices from `0..n−1` in random order (numpy `choice(n, k, replace=False)`). */
function drawWithoutReplacement(n: number, k: number, rng: Rng): number[] {
  const all = Array.from({ length: n }, (_, j) => j);
  return rng.shuffle(all).slice(0, k);
}

/**
 * Any-path macro choice of block `i` (NASRec `_get_any_path_choice(i + 1)`): the dense and the
 * sparse set each get `sampleInputCount(i + 1)` distinct inputs; left and right one input each,
 * drawn independently (with replacement, so they may coincide).
 */
export function sampleMacro(i: number, rng: Rng, choice: AnyPathChoice = "uniform"): MacroChoice {
  const n = i + 1;
  const nDense = sampleInputCount(n, choice, rng);
  const nSparse = sampleInputCount(n, choice, rng);
  const left = rng.int(n), right = rng.int(n);
  return {
    denseIdx: drawWithoutReplacement(n, nDense, rng),
    sparseIdx: drawWithoutReplacement(n, nSparse, rng),
    denseLeftIdx: [left],
    denseRightIdx: [right],
  };
}

/**
 * Single-path micro choice (NASRec `_get_single_path_choice`): one uniform dense node and one
 * uniform sparse node, uniform widths, each switch on with probability ½.
 */
export function sampleMicro(spec: NasrecSpaceSpec, rng: Rng): MicroChoice {
  const dense = rng.choice(spec.denseNodes), sparse = rng.choice(spec.sparseNodes);
  return {
    activeNodes: [dense, sparse].sort((a, b) => a - b),
    denseInDims: rng.choice(spec.denseDims),
    sparseInDims: rng.choice(spec.sparseDims),
    denseSparseInteract: rng.int(2) === 1,
    deepFm: rng.int(2) === 1,
  };
}

/** Options of {@link sampleArch}. */
export interface SampleOptions {
  /**
   * How the number of inputs is drawn. NASRec's supernet warm-up scripts use `binomial-0.5`; its
   * search draws the initial population (fixed-path) and mutations with `uniform`, which is also
   * the SuperNet default. Default `uniform`.
   */
  anyPath?: AnyPathChoice;
  /** Number of blocks (default 7). */
  numBlocks?: number;
}

/** A random architecture: any-path macro + single-path micro (NASRec's `default` strategy). */
export function sampleArch(
  space: NasrecSpaceSpec | NasrecSpaceName,
  rng: Rng,
  opts: SampleOptions = {},
): NasrecArch {
  const spec = typeof space === "string" ? getSpace(space) : space;
  const numBlocks = opts.numBlocks ?? NASREC_NUM_BLOCKS;
  checkNumBlocks(numBlocks);
  const blocks: NasrecBlock[] = [];
  // NASRec draws all macro choices first (SuperNet._get_choice), then each block's micro choice.
  const macros = Array.from({ length: numBlocks }, (_, i) => sampleMacro(i, rng, opts.anyPath ?? "uniform"));
  for (let i = 0; i < numBlocks; i++) blocks.push({ macro: macros[i], micro: sampleMicro(spec, rng) });
  return { space: spec.name, blocks };
}

/**
 * The full path: every block reads every earlier output in every set, runs every node at the
 * largest widths with both switches on. NASRec trains this during supernet warm-up (and uses it to
 * materialise lazy shapes); it is not a member of the sampled space.
 */
export function fullPathArch(
  space: NasrecSpaceSpec | NasrecSpaceName,
  numBlocks = NASREC_NUM_BLOCKS,
): NasrecArch {
  const spec = typeof space === "string" ? getSpace(space) : space;
  checkNumBlocks(numBlocks);
  const blocks: NasrecBlock[] = [];
  for (let i = 0; i < numBlocks; i++) {
    const all = Array.from({ length: i + 1 }, (_, j) => j);
    blocks.push({
      macro: { denseIdx: all, sparseIdx: all.slice(), denseLeftIdx: all.slice(), denseRightIdx: all.slice() },
      micro: {
        activeNodes: spec.nodeNames.map((_, n) => n),
        denseInDims: Math.max(...spec.denseDims),
        sparseInDims: Math.max(...spec.sparseDims),
        denseSparseInteract: true,
        deepFm: true,
      },
    });
  }
  return { space: spec.name, blocks };
}

function checkNumBlocks(n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`Expected a positive integer number of blocks, got ${n}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Mutation

/**
 * One NASRec mutation (`Tokenizer.mutate_spec`): pick a uniform block; with probability ½ redraw
 * one uniformly chosen macro key (a new input set of 1 + randint(min(4, i+1)) distinct inputs,
 * or one new left/right input), otherwise redraw one uniformly chosen micro key from a fresh
 * single-path micro choice (redrawing `active_nodes` replaces the dense and the sparse node
 * together). As in NASRec the new value may equal the old one, so the result can equal `arch`;
 * NASRec's search filters such repeats by key, and so should callers.
 */
export function mutateArch(arch: NasrecArch, rng: Rng): NasrecArch {
  const spec = getSpace(arch.space);
  const i = rng.int(arch.blocks.length);
  const blocks = arch.blocks.slice();
  const old = blocks[i];
  if (rng.next() > 0.5) {
    // NASRec draws a whole new macro choice (uniform counts, whatever the warm-up used) and
    // keeps one key; drawing only that key gives the same distribution.
    const key = MACRO_KEYS[rng.int(MACRO_KEYS.length)];
    const n = i + 1;
    let value: number[];
    if (key === "denseIdx" || key === "sparseIdx") {
      value = drawWithoutReplacement(n, sampleInputCount(n, "uniform", rng), rng);
    } else {
      value = [rng.int(n)];
    }
    blocks[i] = { macro: { ...old.macro, [key]: value }, micro: old.micro };
  } else {
    const fresh = sampleMicro(spec, rng);
    const key = MICRO_KEYS[rng.int(MICRO_KEYS.length)];
    blocks[i] = { macro: old.macro, micro: { ...old.micro, [key]: fresh[key] } };
  }
  return { space: arch.space, blocks };
}

/**
 * NASRec's number of mutations per child at generation `generation` (0-based) of `generations`:
 * ⌊(G − g) / max(20, ⌊G/5⌋)⌋ + 1 (6 down to 1 for G = 240).
 */
export function mutationCount(generation: number, generations: number): number {
  if (!Number.isInteger(generations) || generations < 1) {
    throw new RangeError(`Expected a positive integer number of generations, got ${generations}`);
  }
  if (!Number.isInteger(generation) || generation < 0 || generation >= generations) {
    throw new RangeError(`Expected a generation in 0..${generations - 1}, got ${generation}`);
  }
  return Math.floor((generations - generation) / Math.max(20, Math.floor(generations / 5))) + 1;
}

/** `count` successive {@link mutateArch} steps (a NASRec child is `mutationCount(g, G)` steps). */
export function mutateArchN(arch: NasrecArch, rng: Rng, count: number): NasrecArch {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`Expected a non-negative integer number of mutations, got ${count}`);
  }
  let a = arch;
  for (let t = 0; t < count; t++) a = mutateArch(a, rng);
  return a;
}

// ---------------------------------------------------------------------------------------------
// Keys

const setKey = (s: readonly number[]) => [...s].sort((a, b) => a - b).join(",");

function blockKey(b: NasrecBlock, withLeftRight: boolean): string {
  const m = b.micro;
  const lr = withLeftRight ? `${setKey(b.macro.denseLeftIdx)};${setKey(b.macro.denseRightIdx)}` : "-;-";
  return `${setKey(b.macro.denseIdx)};${setKey(b.macro.sparseIdx)};${lr};${setKey(m.activeNodes)};` +
    `${m.denseInDims};${m.sparseInDims};${m.denseSparseInteract ? 1 : 0};${m.deepFm ? 1 : 0}`;
}

/**
 * Canonical key, e.g. `autoctr|0;0;0;0;0,2;256;48;1;0|…`: per block the sorted dense, sparse,
 * left and right sets, the sorted active nodes, both widths and both switches. Two archs have
 * equal keys iff NASRec's tokenizer gives them equal tokens (it encodes every set as membership
 * bits and every other field exactly), plus the space name.
 */
export function archKey(arch: NasrecArch): string {
  return `${arch.space}|${arch.blocks.map((b) => blockKey(b, true)).join("|")}`;
}

/**
 * Like {@link archKey} but blind to left/right inputs of blocks without a binary dense node,
 * which the network never reads (always the case in NASRec-Small). NASRec's tokenizer does not
 * make this reduction, so two archs with equal functional keys can both be evaluated there.
 */
export function functionalKey(arch: NasrecArch): string {
  return `${arch.space}|${arch.blocks.map((b, i) => blockKey(b, usesLeftRight(arch, i))).join("|")}`;
}

/** Equality in the sense of {@link archKey}. */
export function archsEqual(a: NasrecArch, b: NasrecArch): boolean {
  return archKey(a) === archKey(b);
}

/**
 * The architecture an {@link archKey} string encodes (the `--arch` form of `deno task score --space
 * nasrec-small|nasrec-full`): `space|block|block|…`, each block nine `;`-separated fields (dense,
 * sparse, left and right input sets, active nodes as comma lists; dense width, sparse tokens, the
 * interaction and deep-FM switches as 0/1). Throws a RangeError/TypeError naming the block and the
 * field when the text is not a valid architecture; `parseArchKey(archKey(a))` equals `a` up to
 * the order inside each set.
 */
export function parseArchKey(text: string, context = "NASRec arch key"): NasrecArch {
  const [space, ...parts] = text.trim().split("|");
  if (!(space in NASREC_SPACES)) {
    throw new RangeError(
      `${context}: expected 'xlarge|…' or 'autoctr|…' (a space, then one field list per block), got '${text}'`,
    );
  }
  if (parts.length === 0) throw new RangeError(`${context}: expected at least one block after '${space}|'`);
  const blocks = parts.map((part, i): NasrecBlock => {
    const f = part.split(";");
    if (f.length !== 9) {
      throw new RangeError(
        `${context}: block ${i} has ${f.length} ';'-separated fields, expected 9 ` +
          `(dense;sparse;left;right;active nodes;dense width;sparse tokens;interact 0/1;deep-fm 0/1)`,
      );
    }
    const num = (s: string, key: string) => {
      if (!/^\d+$/.test(s)) {
        throw new TypeError(
          `${context}: block ${i} ${NASREC_JSON_KEYS[key]}: expected an integer, got '${s}'`,
        );
      }
      return Number(s);
    };
    const set = (s: string, key: string) => (s === "" ? [] : s.split(",").map((v) => num(v, key)));
    const flag = (s: string, key: string) => {
      if (s !== "0" && s !== "1") {
        throw new TypeError(`${context}: block ${i} ${NASREC_JSON_KEYS[key]}: expected 0 or 1, got '${s}'`);
      }
      return s === "1";
    };
    return {
      macro: {
        denseIdx: set(f[0], "denseIdx"),
        sparseIdx: set(f[1], "sparseIdx"),
        denseLeftIdx: set(f[2], "denseLeftIdx"),
        denseRightIdx: set(f[3], "denseRightIdx"),
      },
      micro: {
        activeNodes: set(f[4], "activeNodes"),
        denseInDims: num(f[5], "denseInDims"),
        sparseInDims: num(f[6], "sparseInDims"),
        denseSparseInteract: flag(f[7], "denseSparseInteract"),
        deepFm: flag(f[8], "deepFm"),
      },
    };
  });
  const arch: NasrecArch = { space: space as NasrecSpaceName, blocks };
  checkArch(arch, context);
  return arch;
}

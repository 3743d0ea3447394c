/**
 * The NASRec networks in tfjs: the weight-sharing supernet, its paths, and standalone nets
 * (docs/nasrec.md §2–§3; facebookresearch/NasRec `supernet.py`).
 *
 * - **Supernet** ({@link NasrecSupernet}): every node of the space built once at full width
 *   (dense 1024, sparse 64 tokens). A path is realised by *masking*, as NASRec does: unselected
 *   inputs are replaced by zeros of the same shape (so each input projection always reads the full
 *   concatenation of all earlier outputs), inactive nodes contribute nothing, widths are realised by
 *   0/1 masks on the first d units (t tokens), and every block emits its 8 interaction tokens (zeros
 *   when off). `path(arch)` is a {@link RecsysNet} over the shared variables.
 * - **Standalone** ({@link standalone}): NASRec's `fixed=True` net — only the chosen nodes at the
 *   chosen widths, reading only the chosen inputs (concatenated in index order), no masks.
 * - {@link copyPathWeights} copies the slices of the supernet's variables that a path uses into a
 *   standalone net. With LayerNorm off (`main_train.py`'s standalone setting) the two compute the
 *   same logits wherever masking and slicing coincide: dot-product at the full width (its token
 *   count is round(√(2·width))), transformer at the full token count (zero tokens still attend) and
 *   `sum` with equal left and right inputs; other cases are refused or reported as inexact.
 * - Supernet training follows NASRec's `default` strategy ({@link sampleWarmupArch}): macro
 *   any-path (binomial-0.5 in the scripts) + micro single-path, with the full path drawn with a
 *   probability that decays linearly from 1 to 0 over the first `supernetSteps` steps.
 *
 * @module
 */
import * as tf from "../../tf.ts";
import type { Rng } from "../../rng.ts";
import { type Param, ParamStore } from "../../nn/param.ts";
import type { ForwardOptions } from "../../nn/net.ts";
import { EmbeddingTables } from "../../nn/embedding.ts";
import {
  bceWithLogits,
  type BlockChoice,
  type BlockInputs,
  type Ctx,
  ctxOf,
  Dense,
  NasrecBlock,
} from "./modules.ts";
import type { RecsysInput, RecsysNet } from "../../nn/recsys_batch.ts";
import { NASREC_EMBEDDING_DIM, NASREC_INTERACT_TOKENS } from "./cost.ts";
import type { DatasetLayout } from "../../data/recsys_layouts.ts";
import {
  type AnyPathChoice,
  blockNodes,
  checkArch,
  fullPathArch,
  getSpace,
  type NasrecArch,
  type NasrecBlock as ArchBlock,
  type NasrecSpaceName,
  sampleMacro,
  sampleMicro,
} from "./space.ts";

const E = NASREC_EMBEDDING_DIM;
const K = NASREC_INTERACT_TOKENS;

/** NASRec's supernet training steps with full-path probability (`--supernet_training_steps`). */
export const NASREC_SUPERNET_STEPS: Readonly<Record<string, number>> = Object.freeze({
  criteo: 15000,
  avazu: 12500,
  kdd: 20000,
});

/** What block `i` of `arch` computes. */
export function blockChoice(arch: NasrecArch, i: number): BlockChoice {
  const { dense, sparse } = blockNodes(arch, i);
  const m = arch.blocks[i].micro;
  return {
    nodes: [...dense, ...sparse],
    d: m.denseInDims,
    t: m.sparseInDims,
    interact: m.denseSparseInteract,
    deepFm: m.deepFm,
  };
}

/** Which inputs a block's active nodes read. */
function needs(c: BlockChoice) {
  const has = (n: string) => c.nodes.includes(n as never);
  return {
    dense: has("linear-2d") || has("dot-product"),
    sparse: has("dot-product") || has("linear-3d") || has("transformer"),
    leftRight: has("sum") || has("sigmoid-gating"),
  };
}

const sorted = (s: readonly number[]) => [...s].sort((a, b) => a - b);

function checkLayout(layout: DatasetLayout): void {
  if (!Number.isInteger(layout.numDense) || layout.numDense < 1 || layout.tableSizes.length < 1) {
    throw new RangeError(`${layout.name}: expected at least one dense feature and one sparse field`);
  }
}

/** Shared forward: stem → blocks (inputs assembled by `inputs`) → head over [dense ‖ flat sparse]. */
function forwardNet(
  x: RecsysInput,
  layout: DatasetLayout,
  embedding: EmbeddingTables,
  blocks: NasrecBlock[],
  head: Dense,
  choices: BlockChoice[],
  inputs: (i: number, dense: tf.Tensor[], sparse: tf.Tensor[], c: BlockChoice) => BlockInputs,
  ctx: Ctx,
): tf.Tensor {
  if (x.dense.rank !== 2 || x.dense.shape[1] !== layout.numDense) {
    throw new TypeError(`Expected dense features [n, ${layout.numDense}], got [${x.dense.shape}]`);
  }
  if (x.sparse.shape[0] !== x.dense.shape[0]) {
    throw new TypeError(
      `Expected as many sparse rows as dense rows, got ${x.sparse.shape[0]} and ${x.dense.shape[0]}`,
    );
  }
  return tf.tidy(() => {
    const dense: tf.Tensor[] = [x.dense];
    const sparse: tf.Tensor[] = [embedding.lookup(x.sparse)];
    blocks.forEach((b, i) => {
      // a tidy per block: inside a gradient's forward only the tensors the backward pass saved
      // (kept by the tape) outlive their block, not every intermediate of the whole forward
      const out = tf.tidy(() => b.apply(inputs(i, dense, sparse, choices[i]), choices[i], ctx));
      dense.push(ctx.tap ? ctx.tap({ kind: "block-output", name: `block${i}` }, out.dense) : out.dense);
      sparse.push(out.sparse);
    });
    const n = x.dense.shape[0];
    let feats = tf.concat([dense.at(-1)!, tf.reshape(sparse.at(-1)!, [n, -1])], 1);
    if (ctx.tap) feats = ctx.tap({ kind: "features", name: "head-input" }, feats);
    return head.apply(feats, ctx);
  });
}

// ---------------------------------------------------------------------------------------------
// Supernet

/** Options of {@linkcode NasrecSupernet}. */
export interface SupernetOptions {
  /** "autoctr" (NASRec-Small) or "xlarge" (NASRec-Full) */
  space: NasrecSpaceName;
  /** dense features and table sizes of the dataset (e.g. `NASREC_CRITEO`, with capped tables) */
  layout: DatasetLayout;
  rng: Rng;
  /** @default {7} */
  numBlocks?: number;
  /** LayerNorm after the projections (`--use_layernorm 1` in every supernet script) @default {true} */
  layerNorm?: boolean;
}

/** The NASRec supernet: all nodes at full width, paths by masking. */
export class NasrecSupernet {
  readonly space: NasrecSpaceName;
  readonly layout: DatasetLayout;
  readonly numBlocks: number;
  readonly layerNorm: boolean;
  readonly store: ParamStore;
  readonly embedding: EmbeddingTables;
  readonly blocks: NasrecBlock[] = [];
  readonly head: Dense;
  /** width of each output in the dense concatenations (stem first) */
  readonly denseWidths: number[];
  /** tokens of each output in the sparse concatenations (stem first) */
  readonly tokenCounts: number[];
  /** full dense width and sparse tokens of every node */
  readonly maxDense: number;
  readonly maxTokens: number;

  constructor(opts: SupernetOptions) {
    const spec = getSpace(opts.space);
    checkLayout(opts.layout);
    this.space = spec.name;
    this.layout = opts.layout;
    this.numBlocks = opts.numBlocks ?? 7;
    if (!Number.isInteger(this.numBlocks) || this.numBlocks < 1) {
      throw new RangeError(`Expected a positive integer number of blocks, got ${this.numBlocks}`);
    }
    this.layerNorm = opts.layerNorm ?? true;
    const W = Math.max(...spec.denseDims), S = Math.max(...spec.sparseDims);
    this.maxDense = W;
    this.maxTokens = S;
    this.store = new ParamStore(opts.rng);
    this.embedding = new EmbeddingTables(this.store, opts.layout.tableSizes);
    const dw = [opts.layout.numDense], tk = [opts.layout.tableSizes.length];
    for (let i = 0; i < this.numBlocks; i++) {
      const din = dw.reduce((a, b) => a + b, 0);
      this.blocks.push(
        new NasrecBlock(this.store, `block${i}`, {
          denseIn: din,
          sparseIn: tk.reduce((a, b) => a + b, 0),
          leftIn: din,
          rightIn: din,
          dense: W,
          sparse: S,
          nodes: spec.nodeNames,
          interact: true,
          deepFm: true,
          layerNorm: this.layerNorm,
          alwaysInteractTokens: true,
        }),
      );
      dw.push(W);
      tk.push(S + K);
    }
    this.denseWidths = dw;
    this.tokenCounts = tk;
    this.head = new Dense(this.store, "head", W + E * (S + K), 1, true);
  }

  /** Every parameter (embedding tables included). */
  params(): Param[] {
    return this.store.params();
  }

  /** The full path (all inputs, all nodes, full widths, both switches on) of this supernet. */
  fullPath(): NasrecArch {
    return fullPathArch(this.space, this.numBlocks);
  }

  #check(arch: NasrecArch): void {
    checkArch(arch);
    if (arch.space !== this.space || arch.blocks.length !== this.numBlocks) {
      throw new RangeError(
        `Expected a ${this.space} architecture of ${this.numBlocks} blocks, got ${arch.space} with ${arch.blocks.length}`,
      );
    }
  }

  /** Logits of `arch`'s path on a batch. */
  forward(x: RecsysInput, arch: NasrecArch, opts?: ForwardOptions): tf.Tensor {
    this.#check(arch);
    const choices = arch.blocks.map((_, i) => blockChoice(arch, i));
    const concatMasked = (outs: tf.Tensor[], idx: readonly number[], axis: number) => {
      const sel = new Set(idx);
      return outs.length === sel.size
        ? tf.concat(outs, axis)
        : tf.concat(outs.map((t, j) => (sel.has(j) ? t : tf.zerosLike(t))), axis);
    };
    return forwardNet(
      x,
      this.layout,
      this.embedding,
      this.blocks,
      this.head,
      choices,
      (i, dense, sparse, c) => {
        const m = arch.blocks[i].macro, need = needs(c);
        return {
          dense: need.dense ? concatMasked(dense, m.denseIdx, 1) : undefined,
          sparse: need.sparse ? concatMasked(sparse, m.sparseIdx, 1) : undefined,
          left: need.leftRight ? concatMasked(dense, m.denseLeftIdx, 1) : undefined,
          right: need.leftRight ? concatMasked(dense, m.denseRightIdx, 1) : undefined,
        };
      },
      ctxOf(opts),
    );
  }

  /** The layers (Param.layer) `arch`'s path uses: tables, its active modules, the head. */
  layersUsed(arch: NasrecArch): Set<string> {
    this.#check(arch);
    return new Set([
      ...this.embedding.layers,
      ...this.blocks.flatMap((b, i) => b.layersUsed(blockChoice(arch, i))),
      "head",
    ]);
  }

  /** The path of `arch`: a net over the shared variables (params() lists the ones it uses). */
  path(arch: NasrecArch): RecsysNet {
    const used = this.layersUsed(arch);
    return {
      embedding: this.embedding,
      params: () => this.store.params().filter((p) => used.has(p.layer)),
      forward: (x: RecsysInput, opts: ForwardOptions) => this.forward(x, arch, opts),
      loss: bceWithLogits,
      supports: ["tap", "bypassNorm"],
    };
  }

  dispose(): void {
    this.store.dispose();
  }
}

/**
 * NASRec's probability of training the full path at supernet step `step` (0-based):
 * 1 − step/S for 0 < step < S, else 0. NASRec's counter is 0 at the first forward, so the very
 * first step samples a path.
 */
export function fullPathProbability(step: number, supernetSteps: number): number {
  return step > 0 && step < supernetSteps ? 1 - step / supernetSteps : 0;
}

/** Options of {@linkcode sampleWarmupArch}. */
export interface WarmupSampleOptions {
  /** training step (0-based) */
  step: number;
  /** steps over which the full-path probability decays (NASRec Criteo: 15,000) */
  supernetSteps: number;
  /** @default {7} */
  numBlocks?: number;
  /** how many inputs any-path draws (NASRec's scripts: binomial-0.5) @default {"binomial-0.5"} */
  anyPath?: AnyPathChoice;
}

/**
 * The path one supernet training step uses, drawn as NASRec's `default` strategy does: one coin
 * decides full macro (all inputs) vs any-path macro; then each block's own coin decides full
 * micro (all nodes, full widths, both switches) vs single-path micro. Each coin shows "full" with
 * {@link fullPathProbability}.
 */
export function sampleWarmupArch(space: NasrecSpaceName, rng: Rng, opts: WarmupSampleOptions): NasrecArch {
  const spec = getSpace(space);
  const numBlocks = opts.numBlocks ?? 7;
  const p = fullPathProbability(opts.step, opts.supernetSteps);
  const full = fullPathArch(space, numBlocks);
  const macroFull = rng.next() < p;
  const macros = full.blocks.map((
    b,
    i,
  ) => (macroFull ? b.macro : sampleMacro(i, rng, opts.anyPath ?? "binomial-0.5")));
  const blocks: ArchBlock[] = macros.map((macro, i) => ({
    macro,
    micro: rng.next() < p ? full.blocks[i].micro : sampleMicro(spec, rng),
  }));
  return { space: spec.name, blocks };
}

// ---------------------------------------------------------------------------------------------
// Standalone

/** Options of {@linkcode standalone}. */
export interface StandaloneOptions {
  /**
   * LayerNorm after the projections. NASRec's `main_train.py` builds standalone nets without it,
   * whatever the config says @default {false}
   */
  layerNorm?: boolean;
  /** NASRec's lazy rule: skip projections whose input already has the output's shape @default {true} */
  skipIdentity?: boolean;
}

/** A standalone NASRec net; dispose it to free its variables. */
export interface StandaloneNet extends RecsysNet {
  readonly arch: NasrecArch;
  readonly store: ParamStore;
  readonly blocks: readonly NasrecBlock[];
  dispose(): void;
}

/** The standalone (non-weight-sharing) net of `arch` on a dataset layout. */
export function standalone(
  arch: NasrecArch,
  layout: DatasetLayout,
  rng: Rng,
  opts: StandaloneOptions = {},
): StandaloneNet {
  checkArch(arch);
  checkLayout(layout);
  const ln = opts.layerNorm ?? false;
  const store = new ParamStore(rng);
  const embedding = new EmbeddingTables(store, layout.tableSizes);
  const choices = arch.blocks.map((_, i) => blockChoice(arch, i));
  const dw = [layout.numDense], tk = [layout.tableSizes.length];
  const width = (idx: readonly number[], w: number[]) => idx.reduce((a, j) => a + w[j], 0);
  const blocks = arch.blocks.map((b, i) => {
    const c = choices[i];
    const block = new NasrecBlock(store, `block${i}`, {
      denseIn: width(b.macro.denseIdx, dw),
      sparseIn: width(b.macro.sparseIdx, tk),
      leftIn: width(b.macro.denseLeftIdx, dw),
      rightIn: width(b.macro.denseRightIdx, dw),
      dense: c.d,
      sparse: c.t,
      nodes: c.nodes,
      interact: c.interact,
      deepFm: c.deepFm,
      layerNorm: ln,
      skipIdentity: opts.skipIdentity ?? true,
      alwaysInteractTokens: false,
    });
    dw.push(c.d);
    tk.push(block.outTokens(c));
    return block;
  });
  const head = new Dense(store, "head", dw.at(-1)! + E * tk.at(-1)!, 1, true);
  const cat = (outs: tf.Tensor[], idx: readonly number[]) => {
    const s = sorted(idx);
    return s.length === 1 ? outs[s[0]] : tf.concat(s.map((j) => outs[j]), 1);
  };
  return {
    arch,
    store,
    blocks,
    embedding,
    params: () => store.params(),
    forward: (x: RecsysInput, o: ForwardOptions) =>
      forwardNet(x, layout, embedding, blocks, head, choices, (i, dense, sparse, c) => {
        const m = arch.blocks[i].macro, need = needs(c);
        return {
          dense: need.dense ? cat(dense, m.denseIdx) : undefined,
          sparse: need.sparse ? cat(sparse, m.sparseIdx) : undefined,
          left: need.leftRight ? cat(dense, m.denseLeftIdx) : undefined,
          right: need.leftRight ? cat(dense, m.denseRightIdx) : undefined,
        };
      }, ctxOf(o)),
    loss: bceWithLogits,
    supports: ["tap", "bypassNorm"],
    dispose: () => store.dispose(),
  };
}

// ---------------------------------------------------------------------------------------------
// Supernet path → standalone weights

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
/** Pad an index list to `len` with index 0 (the padded entries meet zero inputs only). */
const padIdx = (idx: number[], len: number) => [...idx, ...new Array(Math.max(0, len - idx.length)).fill(0)];

interface SliceMap {
  rows?: number[];
  cols?: number[];
}

/**
 * For each standalone layer of `arch`, which rows/columns of the supernet's same-named variable
 * it corresponds to (absent = all). Throws when the path has no standalone equivalent.
 */
function pathSliceMaps(supernet: NasrecSupernet, arch: NasrecArch): Map<string, SliceMap> {
  const maps = new Map<string, SliceMap>();
  const set = (layer: string, m: SliceMap) => maps.set(layer, m);
  const setLn = (layer: string, cols: number[] | undefined) => {
    maps.set(layer, { cols });
    maps.set(`${layer}.beta`, { cols });
  };
  const W = supernet.maxDense, S = supernet.maxTokens;
  const F = supernet.layout.tableSizes.length;
  // offsets of each output in the supernet's concatenations, and the standalone's widths
  const offD = [0], offT = [0];
  supernet.denseWidths.forEach((w, j) => offD.push(offD[j] + w));
  supernet.tokenCounts.forEach((w, j) => offT.push(offT[j] + w));
  const stdD = [supernet.layout.numDense];
  const stdTokens: number[][] = [range(0, F)]; // supernet token positions (within an output) of each standalone token
  const rowsOf = (idx: readonly number[]) => sorted(idx).flatMap((j) => range(offD[j], offD[j] + stdD[j]));
  arch.blocks.forEach((b, i) => {
    const c = blockChoice(arch, i), B = `block${i}`;
    const d = c.d, t = c.t;
    const denseRows = rowsOf(b.macro.denseIdx);
    const tokens = sorted(b.macro.sparseIdx).flatMap((j) => stdTokens[j].map((k) => offT[j] + k));
    const left = rowsOf(b.macro.denseLeftIdx), right = rowsOf(b.macro.denseRightIdx);
    const M = Math.max(left.length, right.length);
    set(`${B}.linear-2d`, { rows: denseRows, cols: range(0, d) });
    setLn(`${B}.linear-2d.ln`, range(0, d));
    set(`${B}.dot-product.dense-proj`, { rows: denseRows });
    set(`${B}.dot-product.token-proj`, { rows: tokens });
    set(`${B}.dot-product.out-proj`, { cols: range(0, d) });
    setLn(`${B}.dot-product.ln`, range(0, d));
    if (c.nodes.includes("sum")) {
      if (left.join() !== right.join()) {
        throw new RangeError(
          `${B}: a sum of different left and right inputs has no standalone equivalent (NASRec pads both into the same units)`,
        );
      }
      set(`${B}.sum.proj`, { rows: left, cols: range(0, d) });
    }
    setLn(`${B}.sum.ln`, range(0, d));
    set(`${B}.sigmoid-gating.self`, { rows: padIdx(left, M), cols: padIdx(right, M) });
    set(`${B}.sigmoid-gating.proj`, { rows: padIdx(right, M), cols: range(0, d) });
    setLn(`${B}.sigmoid-gating.ln`, range(0, d));
    set(`${B}.linear-3d`, { rows: tokens, cols: range(0, t) });
    setLn(`${B}.linear-3d.ln`, range(0, t));
    set(`${B}.transformer.token-proj`, { rows: tokens, cols: range(0, t) });
    setLn(`${B}.transformer.token-proj.ln`, range(0, t));
    set(`${B}.interact`, { rows: range(0, d) });
    set(`${B}.deep-fm`, { cols: range(0, d) });
    setLn(`${B}.deep-fm.ln`, range(0, d));
    stdD.push(d);
    stdTokens.push([...range(0, t), ...(c.interact ? range(S, S + K) : [])]);
  });
  const last = arch.blocks.length;
  set("head", {
    rows: [
      ...range(0, stdD[last]),
      ...stdTokens[last].flatMap((k) => range(W + k * E, W + (k + 1) * E)),
    ],
  });
  return maps;
}

/** What {@linkcode copyPathWeights} did. */
export interface CopyReport {
  /** standalone parameter names that were written */
  copied: string[];
  /** why the copy's logits can differ from the path's (empty: they are equal up to float rounding) */
  inexact: string[];
}

/**
 * Copy into the standalone net `net` (of `arch`) the slices of the supernet's variables that
 * `arch`'s path uses: input rows of the selected outputs, the first d (t) output units, the head
 * rows of the live units, whole embedding tables. Throws when the path has no standalone
 * equivalent (a projection one side skips, dot-product below the full width, a sum of different
 * inputs); lists in `inexact` what makes the logits differ (LayerNorm over masked units,
 * transformer below the full token count).
 */
export function copyPathWeights(supernet: NasrecSupernet, arch: NasrecArch, net: RecsysNet): CopyReport {
  const used = supernet.layersUsed(arch);
  const maps = pathSliceMaps(supernet, arch);
  const copied: string[] = [], inexact: string[] = [];
  const mine = new Set(net.params().map((p) => p.layer));
  for (const layer of used) {
    if (!mine.has(layer)) {
      throw new RangeError(
        `Cannot copy the path: the standalone net has no '${layer}', which the supernet path applies`,
      );
    }
  }
  for (const p of net.params()) {
    const s = supernet.store.get(p.name);
    if (!s) {
      throw new RangeError(
        `Cannot copy the path: the supernet has no '${p.name}' (it skips that projection)`,
      );
    }
    const m = maps.get(p.layer) ?? {};
    const value = tf.tidy(() => {
      let v: tf.Tensor = s.variable;
      if (v.rank === 2) {
        if (m.rows) v = tf.gather(v, tf.tensor1d(m.rows, "int32"), 0);
        if (m.cols) v = tf.gather(v, tf.tensor1d(m.cols, "int32"), 1);
      } else if (m.cols) {
        v = tf.gather(v, tf.tensor1d(m.cols, "int32"));
      }
      return v === s.variable ? tf.clone(v) : v;
    });
    if (value.shape.join() !== p.variable.shape.join()) {
      value.dispose();
      throw new RangeError(
        `Cannot copy '${p.name}': the path uses a [${value.shape}] slice but the standalone parameter is [${p.variable.shape}]` +
          (p.layer.includes("dot-product") ? " (dot-product matches only at the full dense width)" : ""),
      );
    }
    p.variable.assign(value);
    value.dispose();
    copied.push(p.name);
    if (p.kind === "norm" && p.role === "norm" && p.variable.size < s.variable.size) {
      inexact.push(
        `${p.layer}: LayerNorm over ${p.variable.size} of the supernet's ${s.variable.size} units`,
      );
    }
  }
  arch.blocks.forEach((_, i) => {
    const c = blockChoice(arch, i);
    if (c.nodes.includes("transformer") && c.t < supernet.maxTokens) {
      inexact.push(
        `block${i}.transformer: ${c.t} of ${supernet.maxTokens} tokens (masked tokens still attend)`,
      );
    }
  });
  return { copied, inexact };
}

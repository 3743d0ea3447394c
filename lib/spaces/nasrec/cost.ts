/**
 * Parameter count and FLOPs of the standalone (non-weight-sharing) NASRec net for an architecture,
 * computed from shapes alone, so that the search can report model size without building tensors.
 *
 * The layer list follows how facebookresearch/NasRec builds its standalone model (`SuperNet(...,
 * fixed=True)` + one warm-up forward that materialises the lazy layers):
 * - only the chosen inputs are concatenated, and only the chosen nodes exist, at the chosen widths;
 * - projections are dropped when the shape already matches (dot-product's dense→16, token→√(2D)
 *   and interaction→D; sum's and sigmoid-gating's padded-width→D; the dense→8×16 interaction when
 *   D = 128; deep-FM's 16→D when D = 16); linear-2d, linear-3d and the transformer's token
 *   projection are never dropped;
 * - `main_train.py` builds the standalone net with `use_layernorm=False` whatever the config's
 *   `use_layernorm` says, so the default here is no LayerNorm (then every projection has a bias);
 *   the transformer's two LayerNorms exist either way;
 * - a quirk kept on purpose: with LayerNorm on and D = 16, deep-FM drops its projection but not
 *   its LayerNorm module, so those 32 parameters are counted but never run.
 *
 * FLOPs follow fvcore's `FlopCountAnalysis`, which NASRec's `get_model_flops_and_params` uses
 * (divided by the batch size): one FLOP per multiply-add of every `linear` and `bmm` (attention
 * included, torch 1.12's unfused path), 5 per element of every LayerNorm input, nothing for
 * element-wise ops, activations, softmax, sums or embedding look-ups. fvcore counts a *traced*
 * graph, and tracing drops every op whose result never reaches the logit, so blocks (or a block's
 * dense or sparse half) that no later block reads are not counted. {@link NasrecCost.flops} is
 * that count (it reproduces NASRec's published FLOPs within about 1%);
 * {@link NasrecCost.executedFlops} also counts the dead layers, which an eager forward still runs.
 * Parameters always include dead layers, as `sum(p.numel() for p in model.parameters())` does.
 *
 * @module
 */
import { blockNodes, checkArch, type NasrecArch } from "./space.ts";
import type { DatasetLayout } from "../../data/recsys_layouts.ts";

/** Embedding width of every sparse feature (NASRec `embedding_dim`). */
export const NASREC_EMBEDDING_DIM = 16;
/** Tokens added by dense→sparse interaction (NASRec `DS_INTERACT_NUM_SPLITS`). */
export const NASREC_INTERACT_TOKENS = 8;
/** Attention heads of the transformer node (NASRec `NUM_MHA_HEADS`). */
export const NASREC_MHA_HEADS = 8;

/** Which part of a block a layer belongs to; decides whether it is live. */
export type LayerGroup = "dense-node" | "sparse-node" | "interact" | "deep-fm" | "head";

/** One layer of the standalone net. */
export interface LayerCost {
  /** Where it sits, e.g. `block 2 dot-product token-proj`. */
  readonly name: string;
  readonly kind: "linear" | "layernorm" | "bmm" | "attention";
  readonly group: LayerGroup;
  readonly params: number;
  /** Multiply-adds per sample (linear, bmm, attention). */
  readonly macs: number;
  /** fvcore's LayerNorm estimate per sample: 5 × input elements (0 for a LayerNorm that never runs). */
  readonly normFlops: number;
  /** Whether its result reaches the logit (only live layers count in {@link NasrecCost.flops}). */
  readonly live: boolean;
}

/** Shapes seen by one block and what it costs. */
export interface BlockCost {
  readonly block: number;
  /** Width of the concatenated dense input. */
  readonly denseIn: number;
  /** Tokens of the concatenated sparse input. */
  readonly sparseIn: number;
  /** Widths of the concatenated left / right inputs. */
  readonly leftIn: number;
  readonly rightIn: number;
  /** Output dense width and output tokens (interaction tokens included). */
  readonly denseOut: number;
  readonly sparseOut: number;
  /** Whether a later block or the head reads this block's dense / sparse output. */
  readonly denseLive: boolean;
  readonly sparseLive: boolean;
  readonly params: number;
  /** Live FLOPs per sample (fvcore's count). */
  readonly flops: number;
  readonly layers: readonly LayerCost[];
}

/** The cost of a standalone net. */
export interface NasrecCost {
  /** Embedding-table parameters (Σ rows × 16). */
  readonly embeddingParams: number;
  /** Every other parameter (blocks and head), dead layers included. */
  readonly params: number;
  /** `embeddingParams + params` (what `sum(p.numel())` gives in NASRec). */
  readonly totalParams: number;
  /** Multiply-adds per sample of the live linear/bmm/attention layers. */
  readonly macs: number;
  /** LayerNorm FLOPs per sample of the live layers (fvcore: 5 per input element). */
  readonly normFlops: number;
  /** fvcore's total per sample, `macs + normFlops`: NASRec's README reports this / 1e6. */
  readonly flops: number;
  /** FLOPs per sample of every layer an eager forward runs, dead ones included. */
  readonly executedFlops: number;
  readonly blocks: readonly BlockCost[];
  /** The final Linear(·, 1) over [last dense ‖ flattened last sparse]. */
  readonly head: LayerCost;
}

/** Options of {@link nasrecCost}. */
export interface CostOptions {
  /**
   * LayerNorm after the node projections. Default false, as in NASRec's `main_train.py` (the
   * supernet, and `--use_layernorm 1` runs of other scripts, have it on).
   */
  useLayerNorm?: boolean;
}

type Draft = Omit<LayerCost, "live">;

/** Accumulates the layers of one block. */
class Layers {
  readonly list: Draft[] = [];
  group: LayerGroup = "dense-node";
  constructor(readonly prefix: string) {}

  /** `rows` rows of an `inF → outF` linear map. */
  linear(name: string, rows: number, inF: number, outF: number, bias: boolean): void {
    this.list.push({
      name: `${this.prefix} ${name}`,
      kind: "linear",
      group: this.group,
      params: inF * outF + (bias ? outF : 0),
      macs: rows * inF * outF,
      normFlops: 0,
    });
  }

  /** A LayerNorm over `width` applied to `rows` rows (`run = false`: exists but never runs). */
  layerNorm(name: string, rows: number, width: number, run = true): void {
    this.list.push({
      name: `${this.prefix} ${name}`,
      kind: "layernorm",
      group: this.group,
      params: 2 * width,
      macs: 0,
      normFlops: run ? 5 * rows * width : 0,
    });
  }

  bmm(name: string, macs: number): void {
    this.list.push({
      name: `${this.prefix} ${name}`,
      kind: "bmm",
      group: this.group,
      params: 0,
      macs,
      normFlops: 0,
    });
  }

  /**
   * torch `nn.MultiheadAttention(16, 8)` self-attention over `tokens` tokens (torch 1.12 unfused
   * path: one packed in-projection, two bmm per head of width 2, out-projection).
   */
  attention(name: string, tokens: number): void {
    const e = NASREC_EMBEDDING_DIM, head = e / NASREC_MHA_HEADS;
    this.list.push({
      name: `${this.prefix} ${name}`,
      kind: "attention",
      group: this.group,
      params: 3 * e * e + 3 * e + e * e + e,
      macs: tokens * e * 3 * e + 2 * NASREC_MHA_HEADS * tokens * tokens * head + tokens * e * e,
      normFlops: 0,
    });
  }
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const flopsOf = (l: { macs: number; normFlops: number }) => l.macs + l.normFlops;

interface Shapes {
  Din: number;
  Nin: number;
  left: number;
  right: number;
  D: number;
  tokensOut: number;
  layers: Draft[];
}

/**
 * Parameters and FLOPs of the standalone net for `arch` on a dataset layout. Throws (via
 * {@link checkArch}) on a malformed architecture and a RangeError on a malformed layout.
 */
export function nasrecCost(arch: NasrecArch, layout: DatasetLayout, opts: CostOptions = {}): NasrecCost {
  checkArch(arch);
  checkLayout(layout);
  const ln = opts.useLayerNorm ?? false;
  const E = NASREC_EMBEDDING_DIM;
  // Output 0 is the input stem; output k is block k − 1.
  const denseW: number[] = [layout.numDense];
  const tokens: number[] = [layout.tableSizes.length];
  const shapes: Shapes[] = [];

  arch.blocks.forEach((block, i) => {
    const { macro, micro } = block;
    const L = new Layers(`block ${i}`);
    const Din = sum(macro.denseIdx.map((j) => denseW[j]));
    const Nin = sum(macro.sparseIdx.map((j) => tokens[j]));
    const left = sum(macro.denseLeftIdx.map((j) => denseW[j]));
    const right = sum(macro.denseRightIdx.map((j) => denseW[j]));
    const D = micro.denseInDims, S = micro.sparseInDims;
    const nodes = blockNodes(arch, i);

    L.group = "dense-node";
    for (const node of nodes.dense) {
      if (node === "linear-2d") {
        L.linear("linear-2d", 1, Din, D, !ln);
        if (ln) L.layerNorm("linear-2d ln", 1, D);
      } else if (node === "dot-product") {
        // Dense input → 16 unless already 16. The sparse input's last axis is always 16, so its
        // embedding-axis projection is always dropped.
        if (Din !== E) {
          L.linear("dot-product dense-proj", 1, Din, E, !ln);
          if (ln) L.layerNorm("dot-product dense-proj ln", 1, E);
        }
        const p = Math.round(Math.sqrt(2 * D)); // no .5 ties for the allowed D: Python round agrees
        if (Nin !== p) {
          L.linear("dot-product token-proj", E, Nin, p, !ln);
          if (ln) L.layerNorm("dot-product token-proj ln", E, p);
        }
        const t = 1 + p;
        L.bmm("dot-product T·Tᵀ", t * E * t);
        const pairs = (t * (t - 1)) / 2; // strict lower triangle
        if (pairs !== D) L.linear("dot-product out-proj", 1, pairs, D, !ln);
        if (ln) L.layerNorm("dot-product out-proj ln", 1, D);
      } else if (node === "sum" || node === "sigmoid-gating") {
        const M = Math.max(left, right); // the narrower side is zero-padded
        if (node === "sigmoid-gating") L.linear("sigmoid-gating self-linear", 1, M, M, true);
        if (M !== D) L.linear(`${node} proj`, 1, M, D, node === "sigmoid-gating" || !ln);
        if (ln) L.layerNorm(`${node} ln`, 1, D);
      } else {
        throw new RangeError(`Block ${i}: '${node}' is not a dense node`);
      }
    }
    L.group = "sparse-node";
    for (const node of nodes.sparse) {
      if (node === "linear-3d") {
        L.linear("linear-3d", E, Nin, S, !ln);
        if (ln) L.layerNorm("linear-3d ln", E, S);
      } else if (node === "transformer") {
        L.linear("transformer token-proj", E, Nin, S, !ln);
        if (ln) L.layerNorm("transformer token-proj ln", E, S);
        L.attention("transformer mha", S);
        L.layerNorm("transformer attn ln", S, E);
        L.linear("transformer fc1", S, E, E, true);
        L.linear("transformer fc2", S, E, E, true);
        L.layerNorm("transformer fc ln", S, E);
      } else {
        throw new RangeError(`Block ${i}: '${node}' is not a sparse node`);
      }
    }
    // Every dense node outputs D and every sparse node S tokens; several active nodes are summed.
    let tokensOut = S;
    if (micro.denseSparseInteract) {
      L.group = "interact";
      const w = NASREC_INTERACT_TOKENS * E;
      if (D !== w) {
        L.linear("interact proj", 1, D, w, !ln);
        if (ln) L.layerNorm("interact ln", 1, w);
      }
      tokensOut += NASREC_INTERACT_TOKENS;
    }
    if (micro.deepFm) {
      // FM over the summed sparse node output (before the interaction tokens): 16 values → D.
      L.group = "deep-fm";
      if (D !== E) {
        L.linear("deep-fm proj", 1, E, D, !ln);
        if (ln) L.layerNorm("deep-fm ln", 1, D);
      } else if (ln) {
        L.layerNorm("deep-fm ln (unused)", 1, D, false);
      }
    }
    denseW.push(D);
    tokens.push(tokensOut);
    shapes.push({ Din, Nin, left, right, D, tokensOut, layers: L.list });
  });

  // Liveness, last block first: the head reads the last block's dense and sparse outputs.
  const n = arch.blocks.length;
  const denseLive = new Array<boolean>(n + 1).fill(false), sparseLive = new Array<boolean>(n + 1).fill(false);
  denseLive[n] = sparseLive[n] = true;
  const groupLive: Array<Record<LayerGroup, boolean>> = new Array(n);
  for (let i = n - 1; i >= 0; i--) {
    const { macro, micro } = arch.blocks[i];
    const dOut = denseLive[i + 1], sOut = sparseLive[i + 1];
    const live: Record<LayerGroup, boolean> = {
      "dense-node": dOut || (sOut && micro.denseSparseInteract),
      "sparse-node": sOut || (dOut && micro.deepFm),
      interact: sOut,
      "deep-fm": dOut,
      head: true,
    };
    groupLive[i] = live;
    if (live["dense-node"]) {
      for (const node of blockNodes(arch, i).dense) {
        if (node === "linear-2d" || node === "dot-product") {
          for (const j of macro.denseIdx) denseLive[j] = true;
        }
        if (node === "dot-product") { for (const j of macro.sparseIdx) sparseLive[j] = true; }
        if (node === "sum" || node === "sigmoid-gating") {
          for (const j of [...macro.denseLeftIdx, ...macro.denseRightIdx]) denseLive[j] = true;
        }
      }
    }
    if (live["sparse-node"]) { for (const j of macro.sparseIdx) sparseLive[j] = true; }
  }

  const blocks: BlockCost[] = shapes.map((s, i) => {
    const layers = s.layers.map((l) => ({ ...l, live: groupLive[i][l.group] }));
    return {
      block: i,
      denseIn: s.Din,
      sparseIn: s.Nin,
      leftIn: s.left,
      rightIn: s.right,
      denseOut: s.D,
      sparseOut: s.tokensOut,
      denseLive: denseLive[i + 1],
      sparseLive: sparseLive[i + 1],
      params: sum(layers.map((l) => l.params)),
      flops: sum(layers.filter((l) => l.live).map(flopsOf)),
      layers,
    };
  });

  const headIn = denseW[n] + E * tokens[n];
  const head: LayerCost = {
    name: "head",
    kind: "linear",
    group: "head",
    params: headIn + 1,
    macs: headIn,
    normFlops: 0,
    live: true,
  };
  const all = [...blocks.flatMap((b) => b.layers), head];
  const liveLayers = all.filter((l) => l.live);
  const params = sum(all.map((l) => l.params));
  const macs = sum(liveLayers.map((l) => l.macs));
  const normFlops = sum(liveLayers.map((l) => l.normFlops));
  const embeddingParams = E * sum(layout.tableSizes);
  return {
    embeddingParams,
    params,
    totalParams: embeddingParams + params,
    macs,
    normFlops,
    flops: macs + normFlops,
    executedFlops: sum(all.map(flopsOf)),
    blocks,
    head,
  };
}

function checkLayout(layout: DatasetLayout): void {
  const name = layout?.name ?? "dataset layout";
  if (!Number.isInteger(layout?.numDense) || layout.numDense < 1) {
    throw new RangeError(`${name}: expected a positive integer numDense, got ${layout?.numDense}`);
  }
  if (!Array.isArray(layout.tableSizes) || layout.tableSizes.length === 0) {
    throw new RangeError(`${name}: expected a non-empty array of table sizes`);
  }
  layout.tableSizes.forEach((n, f) => {
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(`${name}: table ${f} size must be a positive integer, got ${n}`);
    }
  });
}

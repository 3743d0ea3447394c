/**
 * The building blocks of the NASRec networks (docs/nasrec.md §2; facebookresearch/
 * NasRec `nasrec/supernet/modules.py` and `SuperNetBlock`), shared by the weight-sharing supernet
 * and the standalone nets of `supernet.ts`.
 *
 * Every node is built at a width W (the space's maximum in the supernet, the chosen width in a
 * standalone net) and masks its output to the width in use, k ≤ W, as NASRec's `fixed=False`
 * modules do; with k = W no mask is applied. NASRec's lazy-module rule is kept: a projection whose
 * input already has its output's shape is not built (`skipIdentity`, on by default).
 *
 * - dense nodes: `linear-2d` (FC → LN → ReLU), `dot-product` (DLRM-style: dense → 16, tokens →
 *   round(√(2W)), strict lower triangle of T·Tᵀ, FC to W, LN), `sigmoid-gating`
 *   (FC(right ⊙ σ(SelfFC(left))) → LN; NASRec's 2022-09-24 form), `sum` (FC(left + right) → LN);
 *   the narrower of left/right is zero-padded;
 * - sparse nodes: `linear-3d` (EFC: FC over the token axis → LN → ReLU), `transformer` (token FC →
 *   LN, 8-head attention over dim 16 with residual + LN, two-layer ReLU FFN with residual + LN;
 *   those two LNs start at 0.17 as in NASRec);
 * - per block: dense-sparse interaction (dense → 8×16 tokens, computed *before* deep-FM is added)
 *   and deep-FM ((Σ e)² − Σ e² over the sparse output, no ½, FC to W, added to the dense output).
 *
 * Initialisation follows NASRec's `init_weights`: xavier-uniform weights (attention in/out
 * projections included), zero biases, LN weight 1 (0.17 in the transformer), xavier-normal tables.
 *
 * @module
 */
import * as tf from "../../tf.ts";
import { type LayerKind, type ParamStore, xavierUniformInit } from "../../nn/param.ts";
import type { ForwardOptions, Tap } from "../../nn/net.ts";
import { gatherRows } from "../../nn/embedding.ts";
import { dense } from "../../kernels/dense.ts";
import { NASREC_EMBEDDING_DIM, NASREC_INTERACT_TOKENS, NASREC_MHA_HEADS } from "./cost.ts";
import type { NasrecNode } from "./space.ts";

const E = NASREC_EMBEDDING_DIM;
const K = NASREC_INTERACT_TOKENS;

/** NASRec's initial LayerNorm weight in the transformer node (`LN_INIT`, "tune manually"). */
export const TRANSFORMER_LN_INIT = 0.17;

/** Mean binary cross-entropy of logits (stable form max(z,0) − z·y + log(1 + e^−|z|)). */
export function bceWithLogits(logits: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const z = tf.reshape(logits, [-1]), t = tf.reshape(y, [-1]);
    const l = tf.add(tf.sub(tf.relu(z), tf.mul(z, t)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
    return tf.mean(l) as tf.Scalar;
  });
}

// ---------------------------------------------------------------------------------------------
// Layers

/** What a forward pass carries besides tensors. */
export interface Ctx {
  tap?: Tap;
  bypassNorm: boolean;
}

/** The {@link Ctx} of forward options. */
export function ctxOf(opts: ForwardOptions | undefined): Ctx {
  return { tap: opts?.tap, bypassNorm: opts?.bypassNorm ?? false };
}

/** y = x W (+ b), weight [din, dout] xavier-uniform, bias 0; taps its output (`layer-output`). */
export class Dense {
  readonly w: tf.Variable;
  readonly b: tf.Variable | null;
  constructor(
    store: ParamStore,
    readonly layer: string,
    readonly din: number,
    readonly dout: number,
    bias: boolean,
    kind: LayerKind = "linear",
  ) {
    this.w = store.add(layer, kind, "weight", [din, dout], xavierUniformInit(din, dout));
    this.b = bias ? store.add(layer, kind, "bias", [dout], { kind: "constant", value: 0 }) : null;
  }
  /** x [..., din] → [..., dout] */
  apply(x: tf.Tensor, ctx: Ctx): tf.Tensor {
    const flat = x.rank === 2 ? x as tf.Tensor2D : tf.reshape(x, [-1, this.din]) as tf.Tensor2D;
    // matMul + add as one kernel on the fast CPU path (lib/kernels/dense.ts; the same bits)
    let y: tf.Tensor = dense(
      flat,
      this.w as tf.Variable<tf.Rank.R2>,
      this.b as tf.Variable<tf.Rank.R1> | null,
    );
    if (x.rank !== 2) y = tf.reshape(y, [...x.shape.slice(0, -1), this.dout]);
    return ctx.tap ? ctx.tap({ kind: "layer-output", name: this.layer }, y) : y;
  }
}

/** LayerNorm over the last axis (ε 1e-5, PyTorch), γ as role "norm", β as role "bias" of `${layer}.beta`. */
export class LayerNorm {
  readonly g: tf.Variable;
  readonly b: tf.Variable;
  constructor(store: ParamStore, readonly layer: string, readonly width: number, init = 1) {
    this.g = store.add(layer, "norm", "norm", [width], { kind: "constant", value: init });
    this.b = store.add(`${layer}.beta`, "norm", "bias", [width], { kind: "constant", value: 0 });
  }
  apply(x: tf.Tensor, ctx: Ctx): tf.Tensor {
    if (ctx.bypassNorm) return x;
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), this.g), this.b);
  }
}

/** NASRec's `LazyLinear(bias = not LN)` followed by an optional LayerNorm. */
export class Proj {
  readonly fc: Dense;
  readonly ln: LayerNorm | null;
  constructor(store: ParamStore, layer: string, din: number, dout: number, ln: boolean, bias = !ln) {
    this.fc = new Dense(store, layer, din, dout, bias);
    this.ln = ln ? new LayerNorm(store, `${layer}.ln`, dout) : null;
  }
  apply(x: tf.Tensor, ctx: Ctx): tf.Tensor {
    const y = this.fc.apply(x, ctx);
    return this.ln ? this.ln.apply(y, ctx) : y;
  }
}

/** ReLU with the `relu-input` tap. */
function relu(x: tf.Tensor, name: string, ctx: Ctx): tf.Tensor {
  return tf.relu(ctx.tap ? ctx.tap({ kind: "relu-input", name }, x) : x);
}

/** Keep the first `k` of the `w` units of the last axis (NASRec's cached 0/1 mask). */
function maskLast(x: tf.Tensor, k: number, w: number): tf.Tensor {
  if (k >= w) return x;
  return tf.mul(x, tf.concat([tf.ones([k]), tf.zeros([w - k])]));
}

/** Keep the first `k` of the `w` tokens of [n, w, E]. */
function maskTokens(x: tf.Tensor, k: number, w: number): tf.Tensor {
  if (k >= w) return x;
  return tf.mul(x, tf.reshape(tf.concat([tf.ones([k]), tf.zeros([w - k])]), [1, w, 1]));
}

/** Zero-pad the last axis of [n, c] to width `w`. */
function padTo(x: tf.Tensor, w: number): tf.Tensor {
  const c = x.shape[1]!;
  return c === w ? x : tf.pad(x, [[0, 0], [0, w - c]]);
}

/** Multi-head self-attention (PyTorch `nn.MultiheadAttention(E, heads, batch_first=True)`). */
class SelfAttention {
  readonly inProj: Dense;
  readonly outProj: Dense;
  constructor(store: ParamStore, layer: string, readonly heads: number) {
    // PyTorch packs Q, K, V into one [3E, E] matrix; NASRec's init is xavier-uniform over it.
    this.inProj = new Dense(store, `${layer}.in-proj`, E, 3 * E, true, "attention");
    this.outProj = new Dense(store, `${layer}.out-proj`, E, E, true, "attention");
  }
  /** x [n, T, E] → [n, T, E] */
  apply(x: tf.Tensor, ctx: Ctx): tf.Tensor {
    const [n, T] = x.shape;
    const h = this.heads, dh = E / h;
    const qkv = this.inProj.apply(x, ctx); // [n, T, 3E]
    const split = (i: number) =>
      tf.reshape(
        tf.transpose(tf.reshape(tf.slice(qkv, [0, 0, i * E], [n, T, E]), [n, T, h, dh]), [0, 2, 1, 3]),
        [n * h, T, dh],
      ) as tf.Tensor3D;
    const q = tf.mul(split(0), 1 / Math.sqrt(dh)) as tf.Tensor3D, k = split(1), v = split(2);
    const att = tf.softmax(tf.matMul(q, k, false, true)); // [n·h, T, T]
    const o = tf.transpose(tf.reshape(tf.matMul(att, v), [n, h, T, dh]), [0, 2, 1, 3]);
    return this.outProj.apply(tf.reshape(o, [n, T, E]), ctx);
  }
}

const trilCache = new Map<string, Int32Array>();

/**
 * Flat positions in [n, m, m] of each sample's strict lower triangle, in `torch.tril_indices(m, m,
 * −1)` order (row-major: (1,0), (2,0), (2,1), …).
 */
function trilIndex(n: number, m: number): Int32Array {
  const key = `${n}x${m}`;
  let idx = trilCache.get(key);
  if (!idx) {
    const lower: number[] = [];
    for (let i = 1; i < m; i++) for (let j = 0; j < i; j++) lower.push(i * m + j);
    idx = new Int32Array(n * lower.length);
    for (let r = 0; r < n; r++) {
      for (let k = 0; k < lower.length; k++) idx[r * lower.length + k] = r * m * m + lower[k];
    }
    if (trilCache.size > 64) trilCache.clear();
    trilCache.set(key, idx);
  }
  return idx;
}

/** A projection along the token axis: [n, N, E] → [n, E, P] (FC over N, LN over P). */
function tokenProj(p: Proj, x: tf.Tensor, ctx: Ctx): tf.Tensor {
  return p.apply(tf.transpose(x, [0, 2, 1]), ctx);
}

// ---------------------------------------------------------------------------------------------
// Nodes

/** Shapes a block is built for. */
export interface BlockShape {
  /** width of the concatenated dense input */
  denseIn: number;
  /** tokens of the concatenated sparse input */
  sparseIn: number;
  /** widths of the concatenated left / right inputs of the binary nodes */
  leftIn: number;
  rightIn: number;
  /** dense node width W and sparse node tokens S */
  dense: number;
  sparse: number;
  /** nodes to build */
  nodes: readonly NasrecNode[];
  /** build the interaction / deep-FM modules */
  interact: boolean;
  deepFm: boolean;
  layerNorm: boolean;
  /** NASRec's lazy rule: no projection when the shapes already match @default {true} */
  skipIdentity?: boolean;
  /** the supernet always emits the 8 interaction tokens (zeros when off); a standalone block only when on */
  alwaysInteractTokens: boolean;
}

/** What a block computes in one forward pass. */
export interface BlockChoice {
  nodes: readonly NasrecNode[];
  /** dense width in use (≤ shape.dense) */
  d: number;
  /** sparse tokens in use (≤ shape.sparse) */
  t: number;
  interact: boolean;
  deepFm: boolean;
}

/** The inputs of a block (only those its active nodes read need be present). */
export interface BlockInputs {
  dense?: tf.Tensor;
  sparse?: tf.Tensor;
  left?: tf.Tensor;
  right?: tf.Tensor;
}

interface DotProduct {
  denseProj: Proj | null;
  tokenProj: Proj | null;
  outProj: Dense | null;
  ln: LayerNorm | null;
  p: number;
}

interface Transformer {
  proj: Proj;
  mha: SelfAttention;
  attnLn: LayerNorm;
  fc1: Dense;
  fc2: Dense;
  fcLn: LayerNorm;
}

/** Layer names that a choice of a block uses, in creation order. */
type LayerList = string[];

/** One NASRec choice block at fixed shapes. */
export class NasrecBlock {
  fc: Proj | null = null;
  dot: DotProduct | null = null;
  sum: { proj: Dense | null; ln: LayerNorm | null; width: number } | null = null;
  gating: { self: Dense; proj: Dense | null; ln: LayerNorm | null; width: number } | null = null;
  efc: Proj | null = null;
  transformer: Transformer | null = null;
  interact: Proj | null = null;
  fm: Proj | null = null;
  readonly #layers = new Map<string, LayerList>();

  constructor(store: ParamStore, readonly name: string, readonly shape: BlockShape) {
    const s = shape, ln = s.layerNorm, skip = s.skipIdentity ?? true;
    const W = s.dense, S = s.sparse;
    const track = (key: string, build: () => void) => {
      const before = new Set(store.params().map((p) => p.layer));
      build();
      this.#layers.set(key, [...new Set(store.params().map((p) => p.layer))].filter((l) => !before.has(l)));
    };
    for (const node of s.nodes) {
      const at = `${name}.${node}`;
      track(node, () => {
        switch (node) {
          case "linear-2d":
            this.fc = new Proj(store, at, s.denseIn, W, ln);
            break;
          case "dot-product": {
            const p = Math.round(Math.sqrt(2 * W));
            const pairs = (p * (p + 1)) / 2;
            this.dot = {
              denseProj: skip && s.denseIn === E
                ? null
                : new Proj(store, `${at}.dense-proj`, s.denseIn, E, ln),
              tokenProj: skip && s.sparseIn === p
                ? null
                : new Proj(store, `${at}.token-proj`, s.sparseIn, p, ln),
              outProj: skip && pairs === W ? null : new Dense(store, `${at}.out-proj`, pairs, W, !ln),
              ln: ln ? new LayerNorm(store, `${at}.ln`, W) : null,
              p,
            };
            break;
          }
          case "sum": {
            const M = Math.max(s.leftIn, s.rightIn);
            this.sum = {
              proj: skip && M === W ? null : new Dense(store, `${at}.proj`, M, W, !ln),
              ln: ln ? new LayerNorm(store, `${at}.ln`, W) : null,
              width: M,
            };
            break;
          }
          case "sigmoid-gating": {
            const M = Math.max(s.leftIn, s.rightIn);
            this.gating = {
              self: new Dense(store, `${at}.self`, M, M, true),
              proj: skip && M === W ? null : new Dense(store, `${at}.proj`, M, W, true),
              ln: ln ? new LayerNorm(store, `${at}.ln`, W) : null,
              width: M,
            };
            break;
          }
          case "linear-3d":
            this.efc = new Proj(store, at, s.sparseIn, S, ln);
            break;
          case "transformer":
            this.transformer = {
              proj: new Proj(store, `${at}.token-proj`, s.sparseIn, S, ln),
              mha: new SelfAttention(store, `${at}.mha`, NASREC_MHA_HEADS),
              attnLn: new LayerNorm(store, `${at}.attn-ln`, E, TRANSFORMER_LN_INIT),
              fc1: new Dense(store, `${at}.fc1`, E, E, true),
              fc2: new Dense(store, `${at}.fc2`, E, E, true),
              fcLn: new LayerNorm(store, `${at}.fc-ln`, E, TRANSFORMER_LN_INIT),
            };
            break;
          default:
            throw new RangeError(`${name}: unknown NASRec node '${node}'`);
        }
      });
    }
    if (s.interact) {
      track("interact", () => {
        if (!(skip && W === K * E)) this.interact = new Proj(store, `${name}.interact`, W, K * E, ln);
      });
    }
    if (s.deepFm) {
      // NASRec drops the LayerNorm together with the projection when 16 = W
      track("deep-fm", () => {
        if (!(skip && W === E)) this.fm = new Proj(store, `${name}.deep-fm`, E, W, ln);
      });
    }
  }

  /** Tokens of the sparse output for a choice. */
  outTokens(c: BlockChoice): number {
    return this.shape.sparse + (this.shape.alwaysInteractTokens || c.interact ? K : 0);
  }

  /** The layers (Param.layer names) a choice uses. */
  layersUsed(c: BlockChoice): string[] {
    const keys: string[] = [...c.nodes];
    if (c.interact) keys.push("interact");
    if (c.deepFm) keys.push("deep-fm");
    return keys.flatMap((k) => this.#layers.get(k) ?? []);
  }

  #need(node: NasrecNode, ok: unknown): void {
    if (!ok) throw new RangeError(`${this.name} has no '${node}' node`);
  }

  /** One forward pass: dense [n, W] (masked to d), sparse [n, S (+8), E] (masked to t tokens). */
  apply(inp: BlockInputs, c: BlockChoice, ctx: Ctx): { dense: tf.Tensor; sparse: tf.Tensor } {
    const { dense: W, sparse: S } = this.shape;
    if (c.d > W || c.t > S) {
      throw new RangeError(`${this.name}: widths ${c.d}/${c.t} exceed the built ${W}/${S}`);
    }
    const get = (k: keyof BlockInputs): tf.Tensor => {
      const t = inp[k];
      if (!t) throw new TypeError(`${this.name}: the ${k} input is missing`);
      return t;
    };
    const dOut: tf.Tensor[] = [], sOut: tf.Tensor[] = [];
    for (const node of c.nodes) {
      const at = `${this.name}.${node}`;
      if (node === "linear-2d") {
        this.#need(node, this.fc);
        dOut.push(maskLast(relu(this.fc!.apply(get("dense"), ctx), at, ctx), c.d, W));
      } else if (node === "dot-product") {
        this.#need(node, this.dot);
        const dp = this.dot!;
        const x = dp.denseProj ? dp.denseProj.apply(get("dense"), ctx) : get("dense"); // [n, 16]
        let y = get("sparse"); // [n, N, 16]
        if (dp.tokenProj) y = tf.transpose(tokenProj(dp.tokenProj, y, ctx), [0, 2, 1]); // [n, p, 16]
        const n = x.shape[0];
        const T = tf.concat([tf.reshape(x, [n, 1, E]), y], 1) as tf.Tensor3D;
        const m = T.shape[1];
        const Z = tf.matMul(T, T, false, true);
        let out: tf.Tensor = tf.reshape(gatherRows(tf.reshape(Z, [n * m * m, 1]), trilIndex(n, m)), [n, -1]);
        if (dp.outProj) out = dp.outProj.apply(out, ctx);
        if (dp.ln) out = dp.ln.apply(out, ctx);
        dOut.push(maskLast(out, c.d, W));
      } else if (node === "sum") {
        this.#need(node, this.sum);
        const sm = this.sum!;
        let out = tf.add(padTo(get("left"), sm.width), padTo(get("right"), sm.width));
        if (sm.proj) out = sm.proj.apply(out, ctx);
        if (sm.ln) out = sm.ln.apply(out, ctx);
        dOut.push(maskLast(out, c.d, W));
      } else if (node === "sigmoid-gating") {
        this.#need(node, this.gating);
        const sg = this.gating!;
        const gate = tf.sigmoid(sg.self.apply(padTo(get("left"), sg.width), ctx));
        let out = tf.mul(gate, padTo(get("right"), sg.width));
        if (sg.proj) out = sg.proj.apply(out, ctx);
        if (sg.ln) out = sg.ln.apply(out, ctx);
        dOut.push(maskLast(out, c.d, W));
      } else if (node === "linear-3d") {
        this.#need(node, this.efc);
        const y = maskLast(relu(tokenProj(this.efc!, get("sparse"), ctx), at, ctx), c.t, S); // [n, 16, S]
        sOut.push(tf.transpose(y, [0, 2, 1]));
      } else if (node === "transformer") {
        this.#need(node, this.transformer);
        const tr = this.transformer!;
        const x = maskTokens(tf.transpose(tokenProj(tr.proj, get("sparse"), ctx), [0, 2, 1]), c.t, S);
        const a = tr.attnLn.apply(tf.add(tr.mha.apply(x, ctx), x), ctx);
        const f = tr.fc2.apply(relu(tr.fc1.apply(a, ctx), `${at}.fc1`, ctx), ctx);
        sOut.push(maskTokens(tr.fcLn.apply(tf.add(a, f), ctx), c.t, S));
      } else {
        throw new RangeError(`${this.name}: unknown NASRec node '${node}'`);
      }
    }
    if (dOut.length === 0 || sOut.length === 0) {
      throw new RangeError(`${this.name}: a choice needs at least one dense and one sparse node`);
    }
    let dense = dOut.length === 1 ? dOut[0] : tf.addN(dOut);
    let sparse = sOut.length === 1 ? sOut[0] : tf.addN(sOut);
    const n = dense.shape[0];
    let tokens: tf.Tensor | null = null;
    if (c.interact) {
      if (!this.shape.interact) throw new RangeError(`${this.name} has no dense-sparse interaction`);
      tokens = tf.reshape(this.interact ? this.interact.apply(dense, ctx) : dense, [n, K, E]);
    } else if (this.shape.alwaysInteractTokens) {
      tokens = tf.zeros([n, K, E]);
    }
    if (c.deepFm) {
      if (!this.shape.deepFm) throw new RangeError(`${this.name} has no deep-FM`);
      const ix = tf.sub(tf.square(tf.sum(sparse, 1)), tf.sum(tf.square(sparse), 1)); // [n, 16]
      dense = tf.add(dense, maskLast(this.fm ? this.fm.apply(ix, ctx) : ix, c.d, W));
    }
    if (tokens) sparse = tf.concat([sparse, tokens], 1);
    return { dense, sparse };
  }
}

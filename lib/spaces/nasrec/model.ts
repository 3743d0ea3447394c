/**
 * The NASRec network in tfjs (reference-implementations.md §4.1): the weight-sharing supernet and
 * the standalone network of one architecture, built from the same block code.
 *
 * - **Supernet** (`NasrecSupernet`): every node instantiated once at full width; a path is realised
 *   by *masking*, as NASRec does — unselected inputs are replaced by zeros of the same shape (so
 *   each input projection always sees the full concatenation), inactive nodes contribute nothing,
 *   and widths are realised by multiplying outputs with a 0/1 mask of the first `dims` units.
 * - **Standalone** (`nasrecStandalone`): only the chosen nodes at the chosen widths, reading only
 *   the chosen inputs. NASRec's lazy-module rule is kept: a projection whose input already has the
 *   output's shape is skipped.
 *
 * Implemented nodes: `linear-2d` (FC), `dot-product` (DLRM-style), `linear-3d` (EFC) — the
 * NASRec-Small space, which SiGeo's searches used — plus dense-sparse interaction and deep-FM.
 * NASRec-Full's `sigmoid-gating`, `sum` and `transformer` are not implemented yet (a clear error).
 * A supernet path equals the standalone net with copied weights wherever masking and slicing
 * coincide (no LayerNorm — it normalises over the full width in the supernet — and dot-product
 * at the maximal width, whose token count depends on the width); the tests check those cases.
 *
 * Inputs: dense features and the embeddings of a gathered batch (`lib/nn/embedding.ts`), looked
 * up inside the forward pass so the sparse gradient flows to the gathered rows.
 *
 * @module
 */
import * as tf from "../../tf.ts";
import type { Rng } from "../../rng.ts";
import { type Param, ParamStore, xavierUniformInit } from "../../nn/param.ts";
import type { Batch, ForwardOptions, Net } from "../../nn/net.ts";
import { EMBEDDING_DIM, type GatheredRows, SparseEmbedding } from "../../nn/embedding.ts";
import { getSpace, NASREC_SPACES, type NasrecArch, type NasrecNode } from "./space.ts";

/** The input of a NASRec network: dense features and a gathered embedding batch. */
export interface RecsysInput {
  /** [n, numDense] */
  dense: tf.Tensor2D;
  gathered: GatheredRows;
}

const E = EMBEDDING_DIM;
const INTERACT = 8;

/** Options of the NASRec networks. */
export interface NasrecModelOptions {
  /** LayerNorm after each projection (`use_layernorm`: 1 in NASRec's supernet and every published config) @default {true} */
  layerNorm?: boolean;
}

/** A linear map with NASRec's init (xavier-uniform weight, zero bias), or identity when skipped. */
class Lin {
  readonly w: tf.Variable;
  readonly b: tf.Variable | null;
  readonly ln: { g: tf.Variable; b: tf.Variable } | null;
  constructor(
    store: ParamStore,
    readonly name: string,
    readonly din: number,
    readonly dout: number,
    bias: boolean,
    ln: boolean,
  ) {
    this.w = store.add(name, "linear", "weight", [din, dout], xavierUniformInit(din, dout));
    this.b = bias ? store.add(name, "linear", "bias", [dout], { kind: "constant", value: 0 }) : null;
    this.ln = ln
      ? {
        g: store.add(`${name}.ln`, "norm", "norm", [dout], { kind: "constant", value: 1 }),
        b: store.add(`${name}.ln.beta`, "norm", "bias", [dout], { kind: "constant", value: 0 }),
      }
      : null;
  }
  /** x [..., din] → [..., dout] (+ LayerNorm over the last axis when on). */
  apply(x: tf.Tensor): tf.Tensor {
    const flat = tf.reshape(x, [-1, this.din]) as tf.Tensor2D;
    let y: tf.Tensor = tf.matMul(flat, this.w as tf.Variable<tf.Rank.R2>);
    if (this.b) y = tf.add(y, this.b);
    if (this.ln) {
      const { mean, variance } = tf.moments(y, -1, true);
      y = tf.add(tf.mul(tf.div(tf.sub(y, mean), tf.sqrt(tf.add(variance, 1e-5))), this.ln.g), this.ln.b);
    }
    return tf.reshape(y, [...x.shape.slice(0, -1), this.dout]);
  }
  layers(): string[] {
    return this.ln ? [this.name, `${this.name}.ln`, `${this.name}.ln.beta`] : [this.name];
  }
}

/** A projection that NASRec skips (None) when the shapes already match. */
function proj(store: ParamStore, name: string, din: number, dout: number, ln: boolean): Lin | null {
  return din === dout ? null : new Lin(store, name, din, dout, !ln, ln);
}

/** 0/1 mask of the first `k` of `n` units along the last axis. */
function mask(n: number, k: number): tf.Tensor1D {
  return tf.tensor1d(Array.from({ length: n }, (_, i) => (i < k ? 1 : 0)));
}

/** Shapes of one block as built. */
interface BlockShape {
  din: number;
  nin: number;
  dmax: number;
  smax: number;
  nodes: NasrecNode[];
  interact: boolean;
  deepFm: boolean;
}

/** One choice block at fixed maximal shapes. */
class Block {
  readonly fc: Lin | null = null;
  readonly dotDense: Lin | null = null;
  readonly dotTokens: Lin | null = null;
  readonly dotOut: Lin | null = null;
  readonly efc: Lin | null = null;
  readonly interact: Lin | null = null;
  readonly fm: Lin | null = null;
  readonly p: number;
  readonly #hasDot: boolean;
  readonly #hasInteract: boolean;
  readonly #hasFm: boolean;

  constructor(store: ParamStore, readonly name: string, readonly s: BlockShape, ln: boolean) {
    for (const node of s.nodes) {
      if (node !== "linear-2d" && node !== "dot-product" && node !== "linear-3d") {
        throw new RangeError(`Cannot build NASRec node '${node}': only NASRec-Small's nodes are implemented`);
      }
    }
    this.p = Math.round(Math.sqrt(2 * s.dmax));
    if (s.nodes.includes("linear-2d")) this.fc = new Lin(store, `${name}.linear-2d`, s.din, s.dmax, !ln, ln);
    this.#hasDot = s.nodes.includes("dot-product");
    if (this.#hasDot) {
      this.dotDense = proj(store, `${name}.dot.dense-proj`, s.din, E, ln);
      this.dotTokens = proj(store, `${name}.dot.token-proj`, s.nin, this.p, ln);
      const pairs = ((this.p + 1) * this.p) / 2;
      this.dotOut = pairs === s.dmax && !ln
        ? null
        : new Lin(store, `${name}.dot.out-proj`, pairs, s.dmax, !ln, ln);
    }
    if (s.nodes.includes("linear-3d")) this.efc = new Lin(store, `${name}.linear-3d`, s.nin, s.smax, !ln, ln);
    this.#hasInteract = s.interact;
    if (s.interact) this.interact = proj(store, `${name}.interact`, s.dmax, INTERACT * E, ln);
    this.#hasFm = s.deepFm;
    if (s.deepFm) this.fm = proj(store, `${name}.deep-fm`, E, s.dmax, ln);
  }

  /**
   * dense [n, din], sparse [n, nin, E] → dense [n, dmax] (masked to `d`), sparse [n, smax (+8), E]
   * (masked to `t` tokens, then the interaction tokens).
   */
  apply(
    dense: tf.Tensor2D,
    sparse: tf.Tensor3D,
    c: { nodes: NasrecNode[]; d: number; t: number; interact: boolean; deepFm: boolean },
  ): { dense: tf.Tensor2D; sparse: tf.Tensor3D } {
    const { dmax, smax } = this.s;
    const n = dense.shape[0];
    const dMask = c.d < dmax ? mask(dmax, c.d) : null;
    let dOut: tf.Tensor2D = tf.zeros([n, dmax]);
    let sOut: tf.Tensor3D = tf.zeros([n, smax, E]);
    if (c.nodes.includes("linear-2d")) {
      if (!this.fc) throw new RangeError(`${this.name} has no linear-2d node`);
      dOut = tf.add(dOut, tf.relu(this.fc.apply(dense))) as tf.Tensor2D;
    }
    if (c.nodes.includes("dot-product")) {
      if (!this.#hasDot) throw new RangeError(`${this.name} has no dot-product node`);
      const d16 = this.dotDense ? this.dotDense.apply(dense) : dense; // [n, 16]
      const tokens = this.dotTokens
        ? tf.transpose(this.dotTokens.apply(tf.transpose(sparse, [0, 2, 1])), [0, 2, 1]) // [n, p, 16]
        : sparse;
      const T = tf.concat([tf.reshape(d16, [n, 1, E]), tokens], 1) as tf.Tensor3D; // [n, p+1, 16]
      const Z = tf.matMul(T, T, false, true); // [n, p+1, p+1]
      const m = this.p + 1;
      const lower: number[] = [];
      for (let i = 1; i < m; i++) for (let j = 0; j < i; j++) lower.push(i * m + j); // strict lower triangle, row-major
      const pairs = tf.gather(tf.reshape(Z, [n, m * m]), tf.tensor1d(lower, "int32"), 1) as tf.Tensor2D;
      dOut = tf.add(dOut, this.dotOut ? this.dotOut.apply(pairs) : pairs) as tf.Tensor2D;
    }
    if (c.nodes.includes("linear-3d")) {
      if (!this.efc) throw new RangeError(`${this.name} has no linear-3d node`);
      const y = tf.relu(this.efc.apply(tf.transpose(sparse, [0, 2, 1]))); // [n, 16, smax]
      sOut = tf.add(sOut, tf.transpose(y, [0, 2, 1])) as tf.Tensor3D;
    }
    if (c.t < smax) sOut = tf.mul(sOut, tf.reshape(mask(smax, c.t), [1, smax, 1])) as tf.Tensor3D;
    if (c.deepFm) {
      if (!this.#hasFm) throw new RangeError(`${this.name} has no deep-FM`);
      const sum = tf.sum(sOut, 1);
      const fm = tf.sub(tf.square(sum), tf.sum(tf.square(sOut), 1)) as tf.Tensor2D; // no ½, as NASRec
      dOut = tf.add(dOut, this.fm ? this.fm.apply(fm) : fm) as tf.Tensor2D;
    }
    if (dMask) dOut = tf.mul(dOut, dMask) as tf.Tensor2D;
    if (this.#hasInteract) {
      const extra = c.interact
        ? tf.reshape(this.interact ? this.interact.apply(dOut) : dOut, [n, INTERACT, E])
        : tf.zeros([n, INTERACT, E]);
      sOut = tf.concat([sOut, extra], 1) as tf.Tensor3D;
    }
    return { dense: dOut, sparse: sOut };
  }

  /** Layer names of the modules choice `c` uses. */
  layersUsed(c: { nodes: NasrecNode[]; interact: boolean; deepFm: boolean }): string[] {
    const out: (Lin | null)[] = [];
    if (c.nodes.includes("linear-2d")) out.push(this.fc);
    if (c.nodes.includes("dot-product")) out.push(this.dotDense, this.dotTokens, this.dotOut);
    if (c.nodes.includes("linear-3d")) out.push(this.efc);
    if (c.interact) out.push(this.interact);
    if (c.deepFm) out.push(this.fm);
    return out.flatMap((l) => (l ? l.layers() : []));
  }
}

function bce(logits: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.tidy(() =>
    tf.losses.sigmoidCrossEntropy(tf.reshape(y, [-1, 1]), tf.reshape(logits, [-1, 1])) as tf.Scalar
  );
}

function blockChoice(arch: NasrecArch, i: number) {
  const spec = getSpace(arch.space);
  const m = arch.blocks[i].micro;
  return {
    nodes: m.activeNodes.map((k) => spec.nodeNames[k]),
    d: m.denseInDims,
    t: m.sparseInDims,
    interact: m.denseSparseInteract,
    deepFm: m.deepFm,
  };
}

/** Dataset stem: number of dense features and sparse fields (tables live in the embedding). */
export interface RecsysStem {
  numDense: number;
  numSparse: number;
}

/** Shared skeleton: blocks + head over an embedding. */
class Skeleton {
  readonly store: ParamStore;
  readonly blocks: Block[] = [];
  readonly head: Lin;
  constructor(
    rng: Rng,
    shapes: BlockShape[],
    headIn: number,
    ln: boolean,
  ) {
    this.store = new ParamStore(rng);
    shapes.forEach((s, i) => this.blocks.push(new Block(this.store, `block${i}`, s, ln)));
    this.head = new Lin(this.store, "head", headIn, 1, true, false);
  }
}

/**
 * The NASRec supernet over a space (NASRec-Small: "autoctr") with `numBlocks` blocks, every node at
 * full width. `path(arch)` is a {@link Net} sharing its variables.
 */
export class NasrecSupernet {
  readonly #sk: Skeleton;
  readonly #dw: number[];
  readonly #tk: number[];
  constructor(
    readonly space: "autoctr" | "xlarge",
    readonly stem: RecsysStem,
    readonly numBlocks: number,
    rng: Rng,
    opts: NasrecModelOptions = {},
  ) {
    const spec = NASREC_SPACES[space];
    const dmax = Math.max(...spec.denseDims), smax = Math.max(...spec.sparseDims);
    const dw = [stem.numDense], tk = [stem.numSparse];
    const shapes: BlockShape[] = [];
    for (let i = 0; i < numBlocks; i++) {
      shapes.push({
        din: dw.reduce((a, b) => a + b, 0),
        nin: tk.reduce((a, b) => a + b, 0),
        dmax,
        smax,
        nodes: [...spec.nodeNames],
        interact: true,
        deepFm: true,
      });
      dw.push(dmax);
      tk.push(smax + INTERACT);
    }
    this.#dw = dw;
    this.#tk = tk;
    this.#sk = new Skeleton(rng, shapes, dmax + E * (smax + INTERACT), opts.layerNorm ?? true);
  }

  /** Every parameter of the supernet. */
  allParams(): Param[] {
    return this.#sk.store.params();
  }

  #forward(x: RecsysInput, arch: NasrecArch): tf.Tensor {
    if (arch.blocks.length !== this.numBlocks) {
      throw new RangeError(`Expected an architecture of ${this.numBlocks} blocks, got ${arch.blocks.length}`);
    }
    return tf.tidy(() => {
      const dense: tf.Tensor2D[] = [x.dense];
      const sparse: tf.Tensor3D[] = [SparseEmbedding.lookup(x.gathered)];
      arch.blocks.forEach((b, i) => {
        const pickD = new Set(b.macro.denseIdx), pickS = new Set(b.macro.sparseIdx);
        const din = tf.concat(dense.map((t, j) => (pickD.has(j) ? t : tf.zerosLike(t))), 1) as tf.Tensor2D;
        const sin = tf.concat(sparse.map((t, j) => (pickS.has(j) ? t : tf.zerosLike(t))), 1) as tf.Tensor3D;
        const out = this.#sk.blocks[i].apply(din, sin, blockChoice(arch, i));
        dense.push(out.dense);
        sparse.push(out.sparse);
      });
      const n = x.dense.shape[0];
      const last = tf.concat([dense.at(-1)!, tf.reshape(sparse.at(-1)!, [n, -1])], 1);
      return this.#sk.head.apply(last);
    });
  }

  /** The path of `arch`: a Net over the shared variables. */
  path(arch: NasrecArch): Net<RecsysInput> {
    return {
      params: () => {
        const used = new Set([
          "head",
          ...arch.blocks.flatMap((_, i) => this.#sk.blocks[i].layersUsed(blockChoice(arch, i))),
        ]);
        return this.#sk.store.params().filter((p) => used.has(p.layer));
      },
      forward: (x: RecsysInput, _o: ForwardOptions) => this.#forward(x, arch),
      loss: bce,
    };
  }

  /** Widths of each output (stem first) in the supernet's concatenations. */
  get widths(): { dense: number[]; tokens: number[] } {
    return { dense: this.#dw.slice(), tokens: this.#tk.slice() };
  }

  dispose(): void {
    this.#sk.store.dispose();
  }
}

/** The standalone network of one architecture. */
export function nasrecStandalone(
  arch: NasrecArch,
  stem: RecsysStem,
  rng: Rng,
  opts: NasrecModelOptions = {},
): Net<RecsysInput> & { store: ParamStore; dispose(): void } {
  const dw = [stem.numDense], tk = [stem.numSparse];
  const shapes: BlockShape[] = arch.blocks.map((b, i) => {
    const c = blockChoice(arch, i);
    const s: BlockShape = {
      din: b.macro.denseIdx.reduce((a, j) => a + dw[j], 0),
      nin: b.macro.sparseIdx.reduce((a, j) => a + tk[j], 0),
      dmax: c.d,
      smax: c.t,
      nodes: c.nodes,
      interact: c.interact,
      deepFm: c.deepFm,
    };
    dw.push(c.d);
    tk.push(c.t + (c.interact ? INTERACT : 0));
    return s;
  });
  const sk = new Skeleton(rng, shapes, dw.at(-1)! + E * tk.at(-1)!, opts.layerNorm ?? true);
  return {
    store: sk.store,
    params: () => sk.store.params(),
    forward: (x: RecsysInput) =>
      tf.tidy(() => {
        const dense: tf.Tensor2D[] = [x.dense];
        const sparse: tf.Tensor3D[] = [SparseEmbedding.lookup(x.gathered)];
        arch.blocks.forEach((b, i) => {
          const din = tf.concat(b.macro.denseIdx.map((j) => dense[j]), 1) as tf.Tensor2D;
          const sin = tf.concat(b.macro.sparseIdx.map((j) => sparse[j]), 1) as tf.Tensor3D;
          const out = sk.blocks[i].apply(din, sin, blockChoice(arch, i));
          dense.push(out.dense);
          sparse.push(out.sparse);
        });
        const n = x.dense.shape[0];
        return sk.head.apply(tf.concat([dense.at(-1)!, tf.reshape(sparse.at(-1)!, [n, -1])], 1));
      }),
    loss: bce,
    dispose: () => sk.store.dispose(),
  };
}

/** A batch of recommender rows as tensors plus its gathered embedding rows; free with `dispose`. */
export function recsysBatch(
  emb: SparseEmbedding,
  d: { n: number; numDense: number; dense: Float32Array; sparse: Int32Array; labels: Float32Array },
): Batch<RecsysInput> & { dispose(): void } {
  const gathered = emb.gather(d.sparse, d.n);
  const x = { dense: tf.tensor2d(d.dense, [d.n, d.numDense]), gathered };
  const y = tf.tensor2d(d.labels, [d.n, 1]);
  return {
    x,
    y,
    dispose: () => {
      x.dense.dispose();
      y.dispose();
      SparseEmbedding.release(gathered);
    },
  };
}

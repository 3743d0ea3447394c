/**
 * NAS-Bench-201 networks: the standalone net of one cell architecture and the weight-sharing
 * supernet whose paths are all 15,625 of them.
 *
 * Macro skeleton as in AutoDL-Projects' `TinyNetwork` (docs/nb201.md §2): stem conv3×3 + BN,
 * three stages of N cells (C, 2C, 4C channels) separated by ResNet basic blocks with stride 2,
 * then BN-ReLU-global-average-pool-Linear. A cell is a DAG on 4 nodes; node j sums op(edge)(node i)
 * over its incoming edges, ops being none / skip_connect / nor_conv_1x1 / nor_conv_3x3 /
 * avg_pool_3x3 (ReLU-conv-BN for the convs; 3×3 average pooling without padding in the count).
 *
 * Every op of the cell runs, as in NAS-Bench-201's and NASLib's code: a node whose incoming edges
 * are all `none` holds zeros, and the convolutions on its outgoing edges run on those zeros (their
 * BN still adds β, their ReLU inputs still count for NASWOT, their FLOPs still count).
 * `pruneDeadNodes` skips those ops instead — faster, but a different network from the benchmark's.
 *
 * The supernet instantiates all five ops on every edge at full width; a path uses one op per edge
 * and shares the supernet's variables. Parameter names are identical in both, so a standalone net
 * can be loaded from a supernet path by name ({@link copyParams}).
 *
 * @module
 */
import * as tf from "../../tf.ts";
import type { Rng } from "../../rng.ts";
import { BatchNorm, type BatchNormOptions, Conv2d, Linear } from "../../nn/layers.ts";
import { type Param, ParamStore } from "../../nn/param.ts";
import { avgPool3x3 } from "../../nn/pool.ts";
import type { ForwardOptions, Net, TapPoint } from "../../nn/net.ts";
import { checkArch, NB201_EDGES, NB201_OPS, type Nb201Arch, type Nb201Op, parseArch } from "./space.ts";

/** Network shape and BN behaviour. */
export interface Nb201Config {
  /** channels of the first stage @default {16} */
  C?: number;
  /** cells per stage @default {5} */
  N?: number;
  /** output classes @default {10} */
  classes?: number;
  /** BN options of every BN layer @default {affine: true, trackRunningStats: true} */
  bn?: BatchNormOptions;
  /**
   * Skip the ops whose input node is dead (all its incoming edges `none`) instead of running them
   * on zeros. Off by default because NAS-Bench-201 and NASLib run every op: on a cell with a dead
   * node the pruned net differs from the benchmark's (BN β of the skipped convs is missing), e.g.
   * nwot by 1.3e-3 and SiGeo-CV by 7.5e-4 relative on CIFAR-10 (issue 16). Only a speed option.
   * @default {false}
   */
  pruneDeadNodes?: boolean;
}

function resolved(cfg: Nb201Config) {
  return {
    C: cfg.C ?? 16,
    N: cfg.N ?? 5,
    classes: cfg.classes ?? 10,
    bn: cfg.bn ?? {},
    pruneDeadNodes: cfg.pruneDeadNodes ?? false,
  };
}

/** The 6 op names (edge order) of an arch string, an op-index tuple, or op names. */
export function archOps(arch: string | Nb201Arch | readonly Nb201Op[]): Nb201Op[] {
  if (typeof arch === "string") return parseArch(arch).map((i) => NB201_OPS[i]);
  if (arch.length !== 6) {
    throw new RangeError(`Cannot build an NB201 cell from ${arch.length} ops: 6 expected`);
  }
  if (typeof arch[0] === "number") {
    checkArch(arch as Nb201Arch);
    return (arch as Nb201Arch).map((i) => NB201_OPS[i]);
  }
  for (const op of arch as readonly string[]) {
    if (!(NB201_OPS as readonly string[]).includes(op)) {
      throw new RangeError(`Cannot use unknown NB201 op '${op}'`);
    }
  }
  return (arch as readonly Nb201Op[]).slice();
}

/**
 * What every module reads from the forward options: BN mode, the proxies' activation taps (a
 * conv/linear output before BN is `layer-output`, named by its `Param.layer`; every ReLU input is
 * `relu-input`; the map fed to global pooling is `features`) and BN bypass (synflow).
 */
type Pass = ForwardOptions;

/** The tensor the pass continues with at a tap point (`t` itself without a tap). */
function tapped<T extends tf.Tensor>(pass: Pass, kind: TapPoint["kind"], name: string, t: T): T {
  return pass.tap ? pass.tap({ kind, name }, t) as T : t;
}

/** A conv followed by its layer-output tap. */
function conv(pass: Pass, c: Conv2d, x: tf.Tensor4D): tf.Tensor4D {
  return tapped(pass, "layer-output", c.name, c.apply(x));
}

/** BN, or the identity when the pass bypasses normalisation. */
function norm(pass: Pass, bn: BatchNorm, x: tf.Tensor4D): tf.Tensor4D {
  return pass.bypassNorm ? x : bn.apply(x, pass.training);
}

/** ReLU → conv(k) → BN. */
class ReluConvBn {
  readonly conv: Conv2d;
  readonly bn: BatchNorm;
  constructor(
    store: ParamStore,
    name: string,
    cin: number,
    cout: number,
    k: number,
    stride: number,
    bn: BatchNormOptions,
  ) {
    this.conv = new Conv2d(store, `${name}.conv`, cin, cout, k, stride, false);
    this.bn = new BatchNorm(store, `${name}.bn`, cout, bn);
  }
  apply(x: tf.Tensor4D, pass: Pass): tf.Tensor4D {
    const r = tf.relu(tapped(pass, "relu-input", `${this.conv.name}.relu`, x));
    return norm(pass, this.bn, conv(pass, this.conv, r));
  }
}

/** ResNet basic block with stride 2 between stages. */
class ResBlock {
  readonly a: ReluConvBn;
  readonly b: ReluConvBn;
  readonly down: Conv2d;
  constructor(store: ParamStore, name: string, cin: number, cout: number, bn: BatchNormOptions) {
    this.a = new ReluConvBn(store, `${name}.a`, cin, cout, 3, 2, bn);
    this.b = new ReluConvBn(store, `${name}.b`, cout, cout, 3, 1, bn);
    this.down = new Conv2d(store, `${name}.down`, cin, cout, 1, 1, false, 0);
  }
  apply(x: tf.Tensor4D, pass: Pass): tf.Tensor4D {
    pass.tap?.({ kind: "pool-input", name: `${this.down.name}.pool`, pool: { k: 2, stride: 2, pad: 0 } }, x);
    const shortcut = conv(pass, this.down, tf.avgPool(x, 2, 2, "valid"));
    return tf.add(shortcut, this.b.apply(this.a.apply(x, pass), pass));
  }
}

type EdgeModule = ReluConvBn | "skip" | "pool";

function makeOp(
  store: ParamStore,
  name: string,
  op: Nb201Op,
  c: number,
  bn: BatchNormOptions,
): EdgeModule | null {
  switch (op) {
    case "none":
      return null;
    case "skip_connect":
      return "skip";
    case "avg_pool_3x3":
      return "pool";
    case "nor_conv_1x1":
      return new ReluConvBn(store, name, c, c, 1, 1, bn);
    case "nor_conv_3x3":
      return new ReluConvBn(store, name, c, c, 3, 1, bn);
  }
}

function applyOp(m: EdgeModule, x: tf.Tensor4D, pass: Pass, name: string): tf.Tensor4D {
  if (m === "skip") return x;
  if (m === "pool") {
    pass.tap?.({ kind: "pool-input", name, pool: { k: 3, stride: 1, pad: 1 } }, x);
    return avgPool3x3(x);
  }
  return m.apply(x, pass);
}

/** One cell; `ops[e]` holds the module(s) of edge e keyed by op name. */
class Cell {
  readonly edges: Array<Map<Nb201Op, EdgeModule>> = [];
  constructor(store: ParamStore, readonly name: string, c: number, ops: Nb201Op[][], bn: BatchNormOptions) {
    ops.forEach((choices, e) => {
      const m = new Map<Nb201Op, EdgeModule>();
      for (const op of choices) {
        const mod = makeOp(store, `${name}.e${e}.${op}`, op, c, bn);
        if (mod) m.set(op, mod);
      }
      this.edges.push(m);
    });
  }
  /**
   * The cell's output. A null state is a node holding zeros (only `none` edges reach it). Ops on
   * such a node: skip gives zeros, so it is left out (exact); pooling and ReLU-conv-BN run on
   * zeros (BN adds β, the taps fire, flops counts them as NASLib does) unless `pruneDead`.
   */
  apply(x: tf.Tensor4D, path: Nb201Op[], pass: Pass, pruneDead: boolean): tf.Tensor4D {
    const states: Array<tf.Tensor4D | null> = [x, null, null, null];
    let zeros: tf.Tensor4D | null = null;
    NB201_EDGES.forEach(([to, from], e) => {
      const op = path[e];
      if (op === "none") return;
      const m = this.edges[e].get(op);
      if (!m) throw new RangeError(`Cannot run op '${op}' on edge ${e} of ${this.name}: not instantiated`);
      let input = states[from];
      if (input === null) {
        if (pruneDead || m === "skip") return;
        input = zeros ??= tf.zerosLike(x);
      }
      const y = applyOp(m, input, pass, `${this.name}.e${e}.${op}`);
      states[to] = states[to] === null ? y : tf.add(states[to]!, y);
    });
    return states[3] ?? tf.zerosLike(x);
  }
  /** Layer-name prefixes of the modules a path uses. */
  prefixes(path: Nb201Op[]): string[] {
    return path.flatMap((
      op,
      e,
    ) => (this.edges[e].get(op) instanceof ReluConvBn ? [`${this.name}.e${e}.${op}.`] : []));
  }
}

/** The shared skeleton; cells are built with the op choices given per edge. */
class Skeleton {
  readonly store: ParamStore;
  readonly stem: Conv2d;
  readonly stemBn: BatchNorm;
  readonly stages: Array<ResBlock | Cell> = [];
  readonly lastBn: BatchNorm;
  readonly classifier: Linear;
  readonly cfg: ReturnType<typeof resolved>;

  constructor(cfg: Nb201Config, choices: Nb201Op[][], rng: Rng) {
    this.cfg = resolved(cfg);
    const { C, N, classes, bn } = this.cfg;
    this.store = new ParamStore(rng);
    this.stem = new Conv2d(this.store, "stem.conv", 3, C, 3, 1, false);
    this.stemBn = new BatchNorm(this.store, "stem.bn", C, bn);
    let c = C, k = 0;
    for (let stage = 0; stage < 3; stage++) {
      if (stage > 0) {
        this.stages.push(new ResBlock(this.store, `cells.${k++}`, c, 2 * c, bn));
        c *= 2;
      }
      for (let i = 0; i < N; i++) this.stages.push(new Cell(this.store, `cells.${k++}`, c, choices, bn));
    }
    this.lastBn = new BatchNorm(this.store, "lastact.bn", c, bn);
    this.classifier = new Linear(this.store, "classifier", c, classes);
  }

  /**
   * The forward pass as one-tensor stages: the stem, each cell or block, the head (BN-ReLU-pool-Linear,
   * giving the logits). {@link Net.chain}; `forward` is their composition, so both run the same ops.
   */
  chain(path: Nb201Op[], pass: Pass): Array<(h: tf.Tensor) => tf.Tensor> {
    const prune = this.cfg.pruneDeadNodes;
    const stem = (x: tf.Tensor) =>
      tapped(pass, "block-output", "stem", norm(pass, this.stemBn, conv(pass, this.stem, x as tf.Tensor4D)));
    const cells = this.stages.map((s, i) => (x: tf.Tensor) => {
      const h = x as tf.Tensor4D;
      return tapped(
        pass,
        "block-output",
        `cells.${i}`,
        s instanceof Cell ? s.apply(h, path, pass, prune) : s.apply(h, pass),
      );
    });
    const head = (x: tf.Tensor) => {
      const h = tf.relu(
        tapped(pass, "relu-input", "lastact.relu", norm(pass, this.lastBn, x as tf.Tensor4D)),
      );
      const pooled = tf.mean(tapped(pass, "features", "lastact", h), [1, 2]) as tf.Tensor2D;
      return tapped(pass, "layer-output", this.classifier.name, this.classifier.apply(pooled));
    };
    return [stem, ...cells, head];
  }

  forward(x: tf.Tensor4D, path: Nb201Op[], pass: Pass): tf.Tensor2D {
    return tf.tidy(() =>
      this.chain(path, pass).reduce((h, stage) => stage(h), x as tf.Tensor) as tf.Tensor2D
    );
  }

  paramsOf(path: Nb201Op[]): Param[] {
    const cellPrefixes = new Set(this.stages.flatMap((s) => (s instanceof Cell ? s.prefixes(path) : [])));
    return this.store.params().filter((p) => {
      if (!p.layer.startsWith("cells.") || p.layer.split(".").length < 3 || !/\.e\d\./.test(p.layer)) {
        return true;
      }
      for (const pre of cellPrefixes) if (p.layer.startsWith(pre)) return true;
      return false;
    });
  }
}

function crossEntropy(logits: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const labels = y.dtype === "int32" ? tf.oneHot(y as tf.Tensor1D, logits.shape[1]!) : y;
    return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  });
}

/** A standalone NB201 network for one architecture. */
export class Nb201Network implements Net<tf.Tensor4D> {
  readonly ops: Nb201Op[];
  /** activation taps and BN bypass are honoured (proxies fisher, nwot, zen, synflow, flops) */
  readonly supports = ["tap", "bypassNorm"] as const;
  readonly #skeleton: Skeleton;

  constructor(arch: string | Nb201Arch | readonly Nb201Op[], cfg: Nb201Config, rng: Rng) {
    this.ops = archOps(arch);
    this.#skeleton = new Skeleton(cfg, this.ops.map((op) => [op]), rng);
  }
  params(): Param[] {
    return this.#skeleton.store.params();
  }
  forward(x: tf.Tensor4D, opts: ForwardOptions): tf.Tensor2D {
    return this.#skeleton.forward(x, this.ops, opts);
  }
  chain(opts: ForwardOptions): Array<(h: tf.Tensor) => tf.Tensor> {
    return this.#skeleton.chain(this.ops, opts);
  }
  loss(logits: tf.Tensor, y: tf.Tensor): tf.Scalar {
    return crossEntropy(logits, y);
  }
  state(): tf.Variable[] {
    return [...this.#skeleton.store.buffers().values()];
  }
  dispose(): void {
    this.#skeleton.store.dispose();
  }
}

/**
 * The NB201 weight-sharing supernet. BN keeps no running statistics by default (batch statistics
 * always), which works much better for one-shot ranking (AutoDL-Projects issue #70).
 */
export class Nb201Supernet {
  readonly #skeleton: Skeleton;

  constructor(cfg: Nb201Config, rng: Rng) {
    const bn = cfg.bn ?? { affine: true, trackRunningStats: false };
    const all = NB201_EDGES.map(() => NB201_OPS.slice());
    this.#skeleton = new Skeleton({ ...cfg, bn }, all, rng);
  }
  /** Every parameter of the supernet. */
  allParams(): Param[] {
    return this.#skeleton.store.params();
  }
  /** The path of an architecture, sharing the supernet's variables. */
  path(arch: string | Nb201Arch | readonly Nb201Op[]): Net<tf.Tensor4D> & { ops: Nb201Op[] } {
    const ops = archOps(arch);
    const sk = this.#skeleton;
    return {
      ops,
      params: () => sk.paramsOf(ops),
      forward: (x, opts) => sk.forward(x, ops, opts),
      chain: (opts) => sk.chain(ops, opts),
      loss: crossEntropy,
      state: () => [...sk.store.buffers().values()],
      supports: ["tap", "bypassNorm"],
    };
  }
  dispose(): void {
    this.#skeleton.store.dispose();
  }
}

/**
 * A NAS-Bench-201 network in float64, with its backward pass: the ground truth for the tfjs net on
 * deep cells (the tiny nets of `tiny_nets.ts` are too shallow to show how rounding grows with depth).
 *
 * Plain loops over Float64Arrays, no tfjs. The network is the project's `Nb201Network`
 * (lib/spaces/nb201/network.ts): stem conv3×3 + BN, three stages of N cells (C, 2C, 4C channels)
 * joined by ResNet blocks (ReLU-conv3×3/2-BN, ReLU-conv3×3-BN, shortcut avg-pool 2×2 + conv 1×1),
 * BN-ReLU-global-average-pool-Linear; cell ops none / skip / ReLU-conv1×1-BN / ReLU-conv3×3-BN /
 * avg-pool 3×3 (padding excluded). Every op runs, as in NAS-Bench-201: a node reached only by
 * `none` edges holds zeros and the convs after it run on zeros (`pruneDeadNodes` skips them). BN is
 * in training mode (batch statistics, biased variance, ε = 1e-5), in eval mode with given running
 * statistics (`bnRunning`), or, with `bnIdentity`, the identity. Parameters are looked up by the
 * tfjs net's names (`stem.conv/weight`, `cells.0.e2.nor_conv_3x3.bn/norm`, …); the taps have the
 * tfjs net's names too (conv/linear outputs, ReLU inputs, and the block outputs `stem`,
 * `cells.<i>` that AZ-NAS reads).
 *
 * The pass is recorded on a tape: each op pushes a closure that adds its inputs' gradients.
 * Hessian-vector products are central differences of gradients, with a step small enough that no
 * ReLU changes sign (checked, the step halved until none does), so they agree with the exact
 * second derivative (ReLU'' = 0) to about 1e-8 relative. With given ReLU masks (`reluMasks`) every
 * pass uses them, so no sign can change and the first step is kept.
 *
 * @module
 */
import type { Nb201Op } from "../../spaces/nb201/space.ts";
import {
  lossWithGradient,
  type PassOptions,
  type PassResult,
  type RefBatch,
  type RefParam,
} from "./tiny_nets.ts";

/** The shape of a float64 NB201 network and of its input. */
export interface Nb201RefSpec {
  arch: "nb201";
  /** the 6 edge ops, NB201 edge order */
  ops: readonly Nb201Op[];
  C: number;
  N: number;
  classes: number;
  height: number;
  width: number;
  /** skip ops on dead nodes instead of running them on zeros @default {false} */
  pruneDeadNodes?: boolean;
}

/** NB201 edge order (to, from), as in `space.ts`. */
const EDGES: ReadonlyArray<readonly [number, number]> = [[1, 0], [2, 0], [2, 1], [3, 0], [3, 1], [3, 2]];

/** An activation [n, h, w, c] with its gradient. */
class T {
  g: Float64Array | null = null;
  constructor(
    readonly v: Float64Array,
    readonly n: number,
    readonly h: number,
    readonly w: number,
    readonly c: number,
  ) {}
  grad(): Float64Array {
    return (this.g ??= new Float64Array(this.v.length));
  }
}

interface Ctx {
  P: Map<string, Float64Array>;
  G: Map<string, Float64Array>;
  tape: Array<() => void>;
  taps: Map<string, T>;
  bnIdentity: boolean;
  /** ReLU masks in forward order (to detect sign changes between passes) */
  masks: Uint8Array[];
  /** masks to use instead of the float64 signs, by ReLU tap name */
  forcedMasks: ReadonlyMap<string, Uint8Array> | undefined;
  /** eval-mode BN statistics by BN layer name (training mode when absent) */
  running: ReadonlyMap<string, BnRunningStats> | undefined;
}

/** A BN layer's running statistics (eval mode: y = γ(x − mean)/√(variance + ε) + β). */
export interface BnRunningStats {
  mean: Float64Array;
  variance: Float64Array;
}

/** Options of an NB201 float64 pass. */
export interface Nb201PassOptions extends PassOptions {
  /**
   * ReLU masks (1 where the input counts as positive) by ReLU tap name (`cells.5.a.conv.relu`), used
   * instead of the float64 signs: the float64 gradient along the float32 pass's ReLU decisions. A
   * ReLU input within float32 rounding of zero may take either sign in float32, and one such pixel
   * moves every gradient upstream of it by the full contribution of that pixel (e.g. 4.6e-3 on the
   * bn_fidelity_test net), which says nothing about the float32 arithmetic elsewhere.
   */
  reluMasks?: ReadonlyMap<string, Uint8Array>;
  /**
   * Eval-mode BN (`training: false` of the tfjs net: each example normalised by the running
   * statistics, so examples are independent) with these statistics, by BN layer name (`stem.bn`).
   */
  bnRunning?: ReadonlyMap<string, BnRunningStats>;
  /**
   * Gradients added at taps before the backward pass, by tap name: with zero logit gradients,
   * `{ "cells.3": g }` gives every upstream tap's ∂⟨f, g⟩/∂· for the block output f (AZ-NAS's g_in).
   */
  tapGrads?: ReadonlyMap<string, Float64Array>;
}

function param(ctx: Ctx, name: string): [Float64Array, Float64Array] {
  const v = ctx.P.get(name), g = ctx.G.get(name);
  if (!v || !g) throw new TypeError(`Expected an NB201 parameter '${name}'`);
  return [v, g];
}

function conv(ctx: Ctx, name: string, x: T, k: number, stride: number, pad: number): T {
  const [w, gw] = param(ctx, `${name}/weight`);
  const ci = x.c, co = w.length / (k * k * ci);
  const oh = Math.floor((x.h + 2 * pad - k) / stride) + 1, ow = Math.floor((x.w + 2 * pad - k) / stride) + 1;
  const y = new T(new Float64Array(x.n * oh * ow * co), x.n, oh, ow, co);
  const each = (f: (xi: number, wi: number, yi: number) => void) => {
    for (let b = 0; b < x.n; b++) {
      for (let p = 0; p < oh; p++) {
        for (let q = 0; q < ow; q++) {
          const yi = ((b * oh + p) * ow + q) * co;
          for (let di = 0; di < k; di++) {
            const ih = p * stride + di - pad;
            if (ih < 0 || ih >= x.h) continue;
            for (let dj = 0; dj < k; dj++) {
              const iw = q * stride + dj - pad;
              if (iw < 0 || iw >= x.w) continue;
              const xi = ((b * x.h + ih) * x.w + iw) * ci, wi = (di * k + dj) * ci * co;
              for (let c = 0; c < ci; c++) f(xi + c, wi + c * co, yi);
            }
          }
        }
      }
    }
  };
  const xv = x.v, yv = y.v;
  each((xi, wi, yi) => {
    const a = xv[xi];
    if (a !== 0) { for (let o = 0; o < co; o++) yv[yi + o] += a * w[wi + o]; }
  });
  ctx.tape.push(() => {
    if (!y.g) return;
    const dy = y.g, dx = x.grad();
    each((xi, wi, yi) => {
      const a = xv[xi];
      let s = 0;
      for (let o = 0; o < co; o++) {
        s += dy[yi + o] * w[wi + o];
        gw[wi + o] += a * dy[yi + o];
      }
      dx[xi] += s;
    });
  });
  return tap(ctx, name, y);
}

function tap(ctx: Ctx, name: string, t: T): T {
  ctx.taps.set(name, t);
  return t;
}

function relu(ctx: Ctx, name: string, x: T): T {
  tap(ctx, name, x);
  const forced = ctx.forcedMasks?.get(name);
  if (forced && forced.length !== x.v.length) {
    throw new RangeError(`Expected a ReLU mask of ${x.v.length} values for '${name}', got ${forced.length}`);
  }
  const mask = forced ?? Uint8Array.from(x.v, (v) => (v > 0 ? 1 : 0));
  ctx.masks.push(mask);
  const y = new T(x.v.map((v, i) => (mask[i] ? v : 0)), x.n, x.h, x.w, x.c);
  ctx.tape.push(() => {
    if (!y.g) return;
    const dx = x.grad(), dy = y.g;
    for (let i = 0; i < dy.length; i++) if (mask[i]) dx[i] += dy[i];
  });
  return y;
}

function batchNorm(ctx: Ctx, name: string, x: T): T {
  if (ctx.bnIdentity) return x;
  if (ctx.running) return batchNormEval(ctx, name, x, ctx.running);
  const [gamma, gg] = param(ctx, `${name}/norm`), [beta, gb] = param(ctx, `${name}.beta/bias`);
  const c = x.c, m = x.v.length / c;
  const mean = new Float64Array(c), v = new Float64Array(c);
  for (let i = 0; i < x.v.length; i++) mean[i % c] += x.v[i];
  for (let ch = 0; ch < c; ch++) mean[ch] /= m;
  for (let i = 0; i < x.v.length; i++) v[i % c] += (x.v[i] - mean[i % c]) ** 2;
  const r = v.map((e) => 1 / Math.sqrt(e / m + 1e-5));
  const xh = x.v.map((e, i) => (e - mean[i % c]) * r[i % c]);
  const y = new T(xh.map((e, i) => gamma[i % c] * e + beta[i % c]), x.n, x.h, x.w, c);
  ctx.tape.push(() => {
    if (!y.g) return;
    const dy = y.g, dx = x.grad();
    const sb = new Float64Array(c), sg = new Float64Array(c);
    for (let i = 0; i < dy.length; i++) {
      sb[i % c] += dy[i];
      sg[i % c] += dy[i] * xh[i];
    }
    for (let ch = 0; ch < c; ch++) {
      gb[ch] += sb[ch];
      gg[ch] += sg[ch];
    }
    for (let i = 0; i < dy.length; i++) {
      const ch = i % c;
      dx[i] += gamma[ch] * r[ch] * (dy[i] - sb[ch] / m - xh[i] * sg[ch] / m);
    }
  });
  return y;
}

/** BN with fixed statistics: an affine map per channel, ∂γ = Σ dy·x̂, ∂β = Σ dy, ∂x = γ/√(v + ε)·dy. */
function batchNormEval(ctx: Ctx, name: string, x: T, running: ReadonlyMap<string, BnRunningStats>): T {
  const stats = running.get(name);
  if (!stats || stats.mean.length !== x.c || stats.variance.length !== x.c) {
    throw new TypeError(`Expected running statistics of ${x.c} channels for BN layer '${name}'`);
  }
  const [gamma, gg] = param(ctx, `${name}/norm`), [beta, gb] = param(ctx, `${name}.beta/bias`);
  const c = x.c, r = stats.variance.map((e) => 1 / Math.sqrt(e + 1e-5));
  const xh = x.v.map((e, i) => (e - stats.mean[i % c]) * r[i % c]);
  const y = new T(xh.map((e, i) => gamma[i % c] * e + beta[i % c]), x.n, x.h, x.w, c);
  ctx.tape.push(() => {
    if (!y.g) return;
    const dy = y.g, dx = x.grad();
    for (let i = 0; i < dy.length; i++) {
      const ch = i % c;
      gb[ch] += dy[i];
      gg[ch] += dy[i] * xh[i];
      dx[i] += gamma[ch] * r[ch] * dy[i];
    }
  });
  return y;
}

function add(ctx: Ctx, a: T, b: T): T {
  const y = new T(a.v.map((e, i) => e + b.v[i]), a.n, a.h, a.w, a.c);
  ctx.tape.push(() => {
    if (!y.g) return;
    const da = a.grad(), db = b.grad();
    for (let i = 0; i < y.g.length; i++) {
      da[i] += y.g[i];
      db[i] += y.g[i];
    }
  });
  return y;
}

/** Average pooling with window k, stride s, padding p, the padding left out of each mean. */
function avgPool(ctx: Ctx, x: T, k: number, s: number, p: number): T {
  const oh = Math.floor((x.h + 2 * p - k) / s) + 1, ow = Math.floor((x.w + 2 * p - k) / s) + 1, c = x.c;
  const y = new T(new Float64Array(x.n * oh * ow * c), x.n, oh, ow, c);
  const each = (f: (xi: number, yi: number, count: number) => void) => {
    for (let b = 0; b < x.n; b++) {
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          const h0 = Math.max(0, i * s - p), h1 = Math.min(x.h, i * s - p + k);
          const w0 = Math.max(0, j * s - p), w1 = Math.min(x.w, j * s - p + k);
          const count = (h1 - h0) * (w1 - w0), yi = ((b * oh + i) * ow + j) * c;
          for (let u = h0; u < h1; u++) {
            for (let v = w0; v < w1; v++) {
              f(
                ((b * x.h + u) * x.w + v) * c,
                yi,
                count,
              );
            }
          }
        }
      }
    }
  };
  each((xi, yi, count) => {
    for (let ch = 0; ch < c; ch++) y.v[yi + ch] += x.v[xi + ch] / count;
  });
  ctx.tape.push(() => {
    if (!y.g) return;
    const dx = x.grad(), dy = y.g;
    each((xi, yi, count) => {
      for (let ch = 0; ch < c; ch++) dx[xi + ch] += dy[yi + ch] / count;
    });
  });
  return y;
}

function reluConvBn(ctx: Ctx, name: string, x: T, k: number, stride: number): T {
  return batchNorm(
    ctx,
    `${name}.bn`,
    conv(ctx, `${name}.conv`, relu(ctx, `${name}.conv.relu`, x), k, stride, (k - 1) / 2),
  );
}

function cell(ctx: Ctx, spec: Nb201RefSpec, name: string, x: T): T {
  const states: Array<T | null> = [x, null, null, null];
  EDGES.forEach(([to, from], e) => {
    const op = spec.ops[e];
    if (op === "none") return;
    let input = states[from];
    const isConv = op === "nor_conv_1x1" || op === "nor_conv_3x3";
    if (!input) {
      if (spec.pruneDeadNodes || !isConv) return; // skip/pool of zeros are zeros
      input = new T(new Float64Array(x.v.length), x.n, x.h, x.w, x.c);
    }
    const y = op === "skip_connect"
      ? input
      : op === "avg_pool_3x3"
      ? avgPool(ctx, input, 3, 1, 1)
      : reluConvBn(ctx, `${name}.e${e}.${op}`, input, op === "nor_conv_3x3" ? 3 : 1, 1);
    states[to] = states[to] ? add(ctx, states[to]!, y) : y;
  });
  return states[3] ?? new T(new Float64Array(x.v.length), x.n, x.h, x.w, x.c);
}

/** Logits of the whole network; every tap recorded in ctx. */
function network(ctx: Ctx, spec: Nb201RefSpec, x: T): T {
  let h = tap(ctx, "stem", batchNorm(ctx, "stem.bn", conv(ctx, "stem.conv", x, 3, 1, 1)));
  let k = 0;
  for (let stage = 0; stage < 3; stage++) {
    if (stage > 0) {
      const name = `cells.${k++}`;
      const a = reluConvBn(ctx, `${name}.a`, h, 3, 2);
      const b = reluConvBn(ctx, `${name}.b`, a, 3, 1);
      h = tap(ctx, name, add(ctx, conv(ctx, `${name}.down`, avgPool(ctx, h, 2, 2, 0), 1, 1, 0), b));
    }
    for (let i = 0; i < spec.N; i++) {
      const name = `cells.${k++}`;
      h = tap(ctx, name, cell(ctx, spec, name, h));
    }
  }
  const f = tap(ctx, "lastact", relu(ctx, "lastact.relu", batchNorm(ctx, "lastact.bn", h)));
  const hw = f.h * f.w, c = f.c;
  const pooled = new T(new Float64Array(f.n * c), f.n, 1, 1, c);
  for (let b = 0; b < f.n; b++) {
    for (let s = 0; s < hw; s++) {
      for (let ch = 0; ch < c; ch++) pooled.v[b * c + ch] += f.v[(b * hw + s) * c + ch] / hw;
    }
  }
  ctx.tape.push(() => {
    if (!pooled.g) return;
    const df = f.grad();
    for (let b = 0; b < f.n; b++) {
      for (let s = 0; s < hw; s++) {
        for (let ch = 0; ch < c; ch++) df[(b * hw + s) * c + ch] += pooled.g[b * c + ch] / hw;
      }
    }
  });
  const [w, gw] = param(ctx, "classifier/weight"), [bias, gbias] = param(ctx, "classifier/bias");
  const K = bias.length;
  const logits = new T(new Float64Array(f.n * K), f.n, 1, 1, K);
  for (let b = 0; b < f.n; b++) {
    for (let o = 0; o < K; o++) {
      let s = bias[o];
      for (let ch = 0; ch < c; ch++) s += pooled.v[b * c + ch] * w[ch * K + o];
      logits.v[b * K + o] = s;
    }
  }
  ctx.tape.push(() => {
    if (!logits.g) return;
    const dp = pooled.grad(), dl = logits.g;
    for (let b = 0; b < f.n; b++) {
      for (let o = 0; o < K; o++) {
        gbias[o] += dl[b * K + o];
        for (let ch = 0; ch < c; ch++) {
          gw[ch * K + o] += pooled.v[b * c + ch] * dl[b * K + o];
          dp[b * c + ch] += w[ch * K + o] * dl[b * K + o];
        }
      }
    }
  });
  return tap(ctx, "classifier", logits);
}

type Head = { y: Float64Array } | { dLogits: Float64Array };

function run(
  spec: Nb201RefSpec,
  params: readonly RefParam[],
  x: Float64Array,
  n: number,
  head: Head,
  opts: Nb201PassOptions,
): PassResult & { masks: Uint8Array[] } {
  if (x.length !== n * spec.height * spec.width * 3) {
    throw new TypeError(`Expected ${n}×${spec.height}×${spec.width}×3 input values, got ${x.length}`);
  }
  const ctx: Ctx = {
    P: new Map(params.map((p) => [p.name, p.value])),
    G: new Map(params.map((p) => [p.name, new Float64Array(p.value.length)])),
    tape: [],
    taps: new Map(),
    bnIdentity: opts.bnIdentity ?? false,
    masks: [],
    forcedMasks: opts.reluMasks,
    running: opts.bnRunning,
  };
  const input = new T(x, n, spec.height, spec.width, 3);
  const logits = network(ctx, spec, input);
  let loss = NaN;
  if ("dLogits" in head) logits.g = Float64Array.from(head.dLogits);
  else {
    const r = lossWithGradient("softmax-ce", logits.v, head.y, n, spec.classes);
    loss = r.loss;
    logits.g = r.dLogits;
  }
  for (const [name, g] of opts.tapGrads ?? []) {
    const t = ctx.taps.get(name);
    if (!t || t.v.length !== g.length) {
      throw new TypeError(`Cannot seed the gradient of tap '${name}': expected a tap of ${g.length} values`);
    }
    const dt = t.grad();
    for (let i = 0; i < g.length; i++) dt[i] += g[i];
  }
  for (let i = ctx.tape.length - 1; i >= 0; i--) ctx.tape[i]();
  const taps = new Map<string, Float64Array>(), dTaps = new Map<string, Float64Array>();
  for (const [name, t] of ctx.taps) {
    taps.set(name, t.v);
    dTaps.set(name, t.g ?? new Float64Array(t.v.length));
  }
  return {
    logits: logits.v,
    loss,
    grads: params.map((p) => ctx.G.get(p.name)!),
    dx: input.g ?? new Float64Array(x.length),
    taps,
    dTaps,
    hv: null,
    masks: ctx.masks,
  };
}

/** Loss (softmax cross-entropy, batch mean), gradients in parameter order, taps and their gradients. */
export function nb201LossAndGradients(
  spec: Nb201RefSpec,
  params: readonly RefParam[],
  batch: RefBatch,
  opts: Nb201PassOptions = {},
): PassResult {
  return run(spec, params, batch.x, batch.n, { y: batch.y }, opts);
}

/** The backward pass from given logit gradients (e.g. ones: jacov, synflow). */
export function nb201BackwardFrom(
  spec: Nb201RefSpec,
  params: readonly RefParam[],
  x: Float64Array,
  n: number,
  dLogits: Float64Array,
  opts: Nb201PassOptions = {},
): PassResult {
  return run(spec, params, x, n, { dLogits }, opts);
}

/**
 * H·v for the Hessian of the batch loss in all parameters: (∇L(θ + hv) − ∇L(θ − hv)) / 2h with
 * h = 1e-6·‖θ‖/‖v‖, halved until both passes have the base pass's ReLU signs (so no kink lies
 * between them and the difference is that of a smooth function). `opts.reluMasks` fixes the ReLU
 * decisions of all three passes (the Hessian along the float32 pass's masks).
 */
export function nb201HessianVectorProduct(
  spec: Nb201RefSpec,
  params: readonly RefParam[],
  batch: RefBatch,
  v: readonly Float64Array[],
  opts: Nb201PassOptions = {},
): { loss: number; grads: Float64Array[]; hv: Float64Array[] } {
  const base = run(spec, params, batch.x, batch.n, { y: batch.y }, opts);
  const norm = (a: readonly Float64Array[]) =>
    Math.sqrt(a.reduce((s, t) => s + t.reduce((u, e) => u + e * e, 0), 0));
  const nv = norm(v);
  if (nv === 0) {
    return {
      loss: base.loss,
      grads: base.grads,
      hv: params.map((p) => new Float64Array(p.value.length)),
    };
  }
  let h = (1e-6 * Math.max(1, norm(params.map((p) => p.value)))) / nv;
  const same = (a: Uint8Array[]) => a.every((m, i) => m.every((e, j) => e === base.masks[i][j]));
  for (let tries = 0; tries < 30; tries++, h /= 2) {
    const moved = (sign: number) =>
      params.map((p, i) => ({ ...p, value: p.value.map((e, j) => e + sign * h * v[i][j]) }));
    const plus = run(spec, moved(1), batch.x, batch.n, { y: batch.y }, opts);
    if (!same(plus.masks)) continue;
    const minus = run(spec, moved(-1), batch.x, batch.n, { y: batch.y }, opts);
    if (!same(minus.masks)) continue;
    const hv = plus.grads.map((g, i) => g.map((e, j) => (e - minus.grads[i][j]) / (2 * h)));
    return { loss: base.loss, grads: base.grads, hv };
  }
  throw new RangeError("Cannot find a finite-difference step that keeps every ReLU sign");
}

/** Names of the conv/linear layers, each also the tap of its output. */
export function nb201WeightLayers(params: readonly RefParam[]): string[] {
  return params.filter((p) => p.role === "weight" && (p.kind === "conv" || p.kind === "linear")).map((p) =>
    p.layer
  );
}

/** Names of the ReLU-input taps of a pass. */
export function nb201ReluInputTaps(taps: ReadonlyMap<string, Float64Array>): string[] {
  return [...taps.keys()].filter((k) => k.endsWith(".relu"));
}

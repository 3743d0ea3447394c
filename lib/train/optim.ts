/**
 * Optimizers with PyTorch's update rules, applied in place (see {@link ./inplace.ts}).
 *
 * The paper's reference code is PyTorch: NB201 trains with SGD (momentum 0.9, Nesterov), NASRec
 * with Adagrad (ε 1e-2 in its scripts), so the rules are PyTorch's, not tfjs': Nesterov as
 * `buf = μ·buf + g; p −= lr·(g + μ·buf)`, Adagrad with accumulator starting at 0 and
 * `p −= lr·g/(√sum + ε)`, Adam with bias correction and ε outside the square root.
 *
 * On device backends (WebGPU, native TensorFlow) the same rules run as tensor ops with the slots
 * as device tensors ({@linkcode deviceStep}): nothing is read back, and the state moves to the
 * host only when saved.
 *
 * Each optimizer's `step` takes gradients keyed by variable (as `tf.variableGrads` returns them,
 * by `variable.name`) and does not dispose them.
 *
 * @module
 */
import * as tf from "../tf.ts";
import { onHostBackend, readView, updateInPlace } from "./inplace.ts";
import { wasmNative } from "../kernels/wasm.ts";
import type { NativeConv } from "../kernels/native_conv.ts";

/**
 * The native optimizer steps (lib/kernels/native/conv.c: the same arithmetic as the loops here, the
 * same bits, threaded) where the wasm backend runs with the native library; null elsewhere.
 */
function nativeSteps(): NativeConv | null {
  return tf.getBackend() === "wasm" ? wasmNative() : null;
}

/** Gradients by variable name, as returned by `tf.variableGrads(...).grads`. */
export type NamedGrads = Record<string, tf.Tensor>;

/** A first-order optimizer over a fixed list of variables. */
export interface Optimizer {
  /** Apply one update; `lr` overrides the configured rate for this step (schedules). */
  step(grads: NamedGrads, lr?: number): void;
  /** Steps taken. */
  readonly steps: number;
  /**
   * A copy of the internal state (for checkpoints), slots by index into the optimizer's `vars`;
   * asynchronous because device slots are read back (WebGPU has no synchronous readback).
   */
  saveState(): Promise<OptimizerState>;
  /** Restore a state from {@linkcode Optimizer.saveState} of an optimizer over the same variables. */
  loadState(state: OptimizerState): void;
}

/** Optimizer state: step count and, per variable index, its slot arrays (momentum, sums, …). */
export interface OptimizerState {
  steps: number;
  slots: Record<number, Float32Array[]>;
}

/** Save/load helpers over per-variable slot maps keyed by variable name. */
function slotState(vars: tf.Variable[], maps: Map<string, Float32Array>[]) {
  return {
    save(): Record<number, Float32Array[]> {
      const out: Record<number, Float32Array[]> = {};
      vars.forEach((v, i) => {
        if (maps.every((m) => m.has(v.name))) out[i] = maps.map((m) => m.get(v.name)!.slice());
      });
      return out;
    },
    load(slots: Record<number, Float32Array[]>): void {
      for (const m of maps) m.clear();
      for (const [k, arrs] of Object.entries(slots)) {
        const v = vars[Number(k)];
        if (!v || arrs.length !== maps.length || arrs.some((a) => a.length !== v.size)) {
          throw new RangeError(`Cannot load optimizer state: slot ${k} does not match the variables`);
        }
        maps.forEach((m, j) => m.set(v.name, arrs[j].slice()));
      }
    },
  };
}

/**
 * One variable's update on a device backend: `rule(p, g, slots)` returns the new value and slots
 * as tensors (inside a tidy); the variable is assigned and the old slots disposed. `slots` holds
 * each variable's device slots by name; a host copy in `hostSlots` (from loadState) seeds them.
 */
function deviceStep(
  v: tf.Variable,
  g: tf.Tensor,
  slots: Map<string, tf.Tensor[]>,
  hostSlots: Map<string, Float32Array>[],
  init: (v: tf.Variable) => tf.Tensor[],
  rule: (p: tf.Tensor, g: tf.Tensor, slots: tf.Tensor[]) => tf.Tensor[],
): void {
  let old = slots.get(v.name);
  if (!old) {
    old = hostSlots.every((m) => m.has(v.name))
      ? hostSlots.map((m) => tf.tensor(m.get(v.name)!, v.shape, "float32"))
      : init(v);
    for (const m of hostSlots) m.delete(v.name);
  }
  const [p, ...fresh] = tf.tidy(() => rule(v, g, old!));
  v.assign(p);
  p.dispose();
  tf.dispose(old);
  slots.set(v.name, fresh);
}

/**
 * Move device slots into the host maps (for saveState), read back asynchronously: WebGPU has no
 * synchronous readback. The slots leave the device map at once; the next step uploads them again.
 */
async function slotsToHost(
  slots: Map<string, tf.Tensor[]>,
  maps: Map<string, Float32Array>[],
): Promise<void> {
  if (slots.size === 0) return;
  const entries = [...slots];
  slots.clear();
  try {
    const read = await Promise.all(entries.map(([, ts]) => Promise.all(ts.map((t) => t.data()))));
    entries.forEach(([name], i) =>
      read[i].forEach((a, j) => maps[j].set(name, Float32Array.from(a as Float32Array)))
    );
  } finally {
    tf.dispose(entries.flatMap(([, ts]) => ts));
  }
}

/** Options of {@linkcode sgd}. */
export interface SgdOptions {
  lr: number;
  /** @default {0} */
  momentum?: number;
  /** @default {false} */
  nesterov?: boolean;
  /** L2 added to the gradient (PyTorch `weight_decay`) @default {0} */
  weightDecay?: number;
}

/** SGD with optional (Nesterov) momentum and weight decay, PyTorch semantics. */
export function sgd(vars: tf.Variable[], opts: SgdOptions): Optimizer {
  const { momentum = 0, nesterov = false, weightDecay = 0 } = opts;
  const bufs = new Map<string, Float32Array>();
  const slots = slotState(vars, [bufs]);
  const device = new Map<string, tf.Tensor[]>();
  let steps = 0;
  return {
    get steps() {
      return steps;
    },
    saveState: async () => {
      await slotsToHost(device, [bufs]);
      return { steps, slots: slots.save() };
    },
    loadState(st) {
      tf.dispose([...device.values()].flat());
      device.clear();
      slots.load(st.slots);
      steps = st.steps;
    },
    step(grads, lr = opts.lr) {
      const host = onHostBackend();
      for (const v of vars) {
        const gt = grads[v.name];
        if (!gt) continue;
        if (!host) {
          deviceStep(v, gt, device, momentum !== 0 ? [bufs] : [], () => [], (p, g, [buf]) => {
            let d = weightDecay !== 0 ? tf.add(g, tf.mul(p, weightDecay)) : g;
            let next: tf.Tensor[] = [];
            if (momentum !== 0) {
              const b = steps === 0 || !buf ? d : tf.add(tf.mul(buf, momentum), d);
              d = nesterov ? tf.add(d, tf.mul(b, momentum)) : b;
              next = [tf.clone(b)];
            }
            return [tf.sub(p, tf.mul(d, lr)), ...next];
          });
          continue;
        }
        const g = readView(gt);
        const nat = nativeSteps();
        updateInPlace(v, (p) => {
          let buf = bufs.get(v.name);
          if (momentum !== 0 && !buf) {
            buf = new Float32Array(p.length);
            bufs.set(v.name, buf);
          }
          if (nat) {
            return nat.sgd(p, g, buf ?? null, { lr, momentum, weightDecay, first: steps === 0, nesterov });
          }
          for (let i = 0; i < p.length; i++) {
            let d = g[i] + weightDecay * p[i];
            if (buf) {
              buf[i] = steps === 0 ? d : momentum * buf[i] + d;
              d = nesterov ? d + momentum * buf[i] : buf[i];
            }
            p[i] -= lr * d;
          }
        });
      }
      steps++;
    },
  };
}

/** Options of {@linkcode adam}. */
export interface AdamOptions {
  lr: number;
  /** @default {0.9} */
  beta1?: number;
  /** @default {0.999} */
  beta2?: number;
  /** @default {1e-8} */
  eps?: number;
  /** @default {0} */
  weightDecay?: number;
}

/** Adam, PyTorch semantics (bias-corrected, ε added to √v̂). */
export function adam(vars: tf.Variable[], opts: AdamOptions): Optimizer {
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0 } = opts;
  const m = new Map<string, Float32Array>(), s = new Map<string, Float32Array>();
  const slots = slotState(vars, [m, s]);
  const device = new Map<string, tf.Tensor[]>();
  let steps = 0;
  return {
    get steps() {
      return steps;
    },
    saveState: async () => {
      await slotsToHost(device, [m, s]);
      return { steps, slots: slots.save() };
    },
    loadState(st) {
      tf.dispose([...device.values()].flat());
      device.clear();
      slots.load(st.slots);
      steps = st.steps;
    },
    step(grads, lr = opts.lr) {
      steps++;
      const c1 = 1 - beta1 ** steps, c2 = 1 - beta2 ** steps;
      const host = onHostBackend();
      for (const v of vars) {
        const gt = grads[v.name];
        if (!gt) continue;
        if (!host) {
          const zeros = (w: tf.Variable) => [tf.zerosLike(w), tf.zerosLike(w)];
          deviceStep(v, gt, device, [m, s], zeros, (p, g, [mv, sv]) => {
            const d = weightDecay !== 0 ? tf.add(g, tf.mul(p, weightDecay)) : g;
            const m2 = tf.add(tf.mul(mv, beta1), tf.mul(d, 1 - beta1));
            const s2 = tf.add(tf.mul(sv, beta2), tf.mul(tf.mul(d, d), 1 - beta2));
            const upd = tf.div(tf.mul(tf.div(m2, c1), lr), tf.add(tf.sqrt(tf.div(s2, c2)), eps));
            return [tf.sub(p, upd), m2, s2];
          });
          continue;
        }
        const g = readView(gt);
        const nat = nativeSteps();
        updateInPlace(v, (p) => {
          if (!m.has(v.name)) {
            m.set(v.name, new Float32Array(p.length));
            s.set(v.name, new Float32Array(p.length));
          }
          const mv = m.get(v.name)!, sv = s.get(v.name)!;
          if (nat) return nat.adam(p, g, mv, sv, { lr, beta1, beta2, eps, weightDecay, c1, c2 });
          for (let i = 0; i < p.length; i++) {
            const d = g[i] + weightDecay * p[i];
            mv[i] = beta1 * mv[i] + (1 - beta1) * d;
            sv[i] = beta2 * sv[i] + (1 - beta2) * d * d;
            p[i] -= lr * (mv[i] / c1) / (Math.sqrt(sv[i] / c2) + eps);
          }
        });
      }
    },
  };
}

/** Options of {@linkcode adagrad}. */
export interface AdagradOptions {
  lr: number;
  /** PyTorch default 1e-10; NASRec's scripts use 1e-2 @default {1e-10} */
  eps?: number;
  /** @default {0} */
  initialAccumulator?: number;
  /** @default {0} */
  weightDecay?: number;
}

/** Adagrad, PyTorch semantics: sum += g²; p −= lr·g/(√sum + ε). */
export function adagrad(vars: tf.Variable[], opts: AdagradOptions): Optimizer {
  const { eps = 1e-10, initialAccumulator = 0, weightDecay = 0 } = opts;
  const acc = new Map<string, Float32Array>();
  const slots = slotState(vars, [acc]);
  const device = new Map<string, tf.Tensor[]>();
  let steps = 0;
  return {
    get steps() {
      return steps;
    },
    saveState: async () => {
      await slotsToHost(device, [acc]);
      return { steps, slots: slots.save() };
    },
    loadState(st) {
      tf.dispose([...device.values()].flat());
      device.clear();
      slots.load(st.slots);
      steps = st.steps;
    },
    step(grads, lr = opts.lr) {
      steps++;
      const host = onHostBackend();
      for (const v of vars) {
        const gt = grads[v.name];
        if (!gt) continue;
        if (!host) {
          const start = (w: tf.Variable) => [tf.fill(w.shape, initialAccumulator, "float32")];
          deviceStep(v, gt, device, [acc], start, (p, g, [a]) => {
            const d = weightDecay !== 0 ? tf.add(g, tf.mul(p, weightDecay)) : g;
            const a2 = tf.add(a, tf.mul(d, d));
            return [tf.sub(p, tf.div(tf.mul(d, lr), tf.add(tf.sqrt(a2), eps))), a2];
          });
          continue;
        }
        const g = readView(gt);
        updateInPlace(v, (p) => {
          let a = acc.get(v.name);
          if (!a) {
            a = new Float32Array(p.length).fill(initialAccumulator);
            acc.set(v.name, a);
          }
          for (let i = 0; i < p.length; i++) {
            const d = g[i] + weightDecay * p[i];
            a[i] += d * d;
            p[i] -= lr * d / (Math.sqrt(a[i]) + eps);
          }
        });
      }
    },
  };
}

/**
 * Scale gradients so their global L2 norm is at most `maxNorm` (PyTorch `clip_grad_norm_`,
 * which multiplies by maxNorm/(norm + 1e-6) when norm > maxNorm). Returns the norm before
 * clipping; the gradients are replaced (old ones disposed) only when scaled.
 */
export function clipGradNorm(grads: NamedGrads, maxNorm: number): number {
  if (!onHostBackend()) return clipGradNormOnDevice(grads, maxNorm);
  let sq = 0;
  for (const g of Object.values(grads)) {
    const v = readView(g);
    for (let i = 0; i < v.length; i++) sq += v[i] * v[i];
  }
  const norm = Math.sqrt(sq);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) {
    for (const [k, g] of Object.entries(grads)) {
      grads[k] = tf.mul(g, coef);
      g.dispose();
    }
  }
  return norm;
}

/**
 * {@linkcode clipGradNorm} without a readback: the coefficient min(1, maxNorm/(norm + 1e-6)) is a
 * device scalar and every gradient is scaled by it (by exactly 1 when no clipping is due). The
 * norm is not known on the host: returns NaN (read it with {@linkcode gradNormTensor} when needed).
 */
function clipGradNormOnDevice(grads: NamedGrads, maxNorm: number): number {
  const entries = Object.entries(grads);
  if (entries.length === 0) return 0;
  const coef = tf.tidy(() => tf.minimum(tf.div(maxNorm, tf.add(gradNormTensor(grads), 1e-6)), 1));
  for (const [k, g] of entries) {
    grads[k] = tf.mul(g, coef);
    g.dispose();
  }
  coef.dispose();
  return NaN;
}

/** The global L2 norm of `grads` as a device scalar (summed in float32). */
export function gradNormTensor(grads: NamedGrads): tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
}

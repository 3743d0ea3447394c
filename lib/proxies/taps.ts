/**
 * What the tap-based baselines share: capability checks, the one scoring batch, a restore of every
 * value a scoring may touch, and an identity op that reports ∂L/∂t at a tap.
 *
 * Proxies that look inside the forward pass (fisher, nwot, zen, flops) or change it (synflow's BN
 * bypass) depend on the net honouring {@link ForwardOptions.tap} / `bypassNorm`; a net that does
 * not would silently compute something else, so they fail first with a clear TypeError.
 *
 * @module
 */
import * as tf from "../tf.ts";
import type { Batch, Net } from "../nn/net.ts";
import type { Param } from "../nn/param.ts";

/** Throws a TypeError unless `net` declares the forward option `feature`. */
export function requireSupport(net: Net, feature: "tap" | "bypassNorm", proxy: string): void {
  if (!net.supports?.includes(feature)) {
    throw new TypeError(
      `Cannot compute ${proxy}: the network does not honour the forward option '${feature}' (Net.supports lacks it)`,
    );
  }
}

/** The first batch (NASLib's zero-cost predictor scores on one batch); RangeError when none. */
export function firstBatch(batches: Batch[], proxy: string): Batch {
  if (batches.length < 1) throw new RangeError(`Cannot compute ${proxy} without a batch`);
  return batches[0];
}

/**
 * Runs `fn`, then puts back the values of `params` (those the proxy overwrites) and of the net's
 * non-trainable state (BN running statistics that training-mode passes update).
 */
export async function withRestored<T>(net: Net, params: Param[], fn: () => T | Promise<T>): Promise<T> {
  const vars = [...params.map((p) => p.variable), ...(net.state?.() ?? [])];
  const snapshot = vars.map((v) => v.clone());
  try {
    return await fn();
  } finally {
    vars.forEach((v, i) => v.assign(snapshot[i]));
    tf.dispose(snapshot);
  }
}

/** The shape of one example of `x` with a batch of 1 (synflow's and flops' input). */
export function unitShape(x: tf.Tensor): number[] {
  return [1, ...x.shape.slice(1)];
}

/**
 * The identity on `t` whose backward pass calls `onGrad(t, dt)` with dt = ∂L/∂t (both valid only
 * during the call) and passes dt on unchanged: Samsung's `register_hook`, in tfjs.
 */
export function gradientHook(t: tf.Tensor, onGrad: (t: tf.Tensor, dt: tf.Tensor) => void): tf.Tensor {
  const op = tf.customGrad(
    ((x: tf.Tensor, save: tf.GradSaveFunc) => {
      save([x]);
      return {
        value: tf.clone(x),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          onGrad(saved[0], dy);
          return [tf.clone(dy)];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0],
  );
  return op(t);
}

/** Per-example values of `t` as rows of a [n, rest] matrix. */
export function rows(t: tf.Tensor): tf.Tensor2D {
  return tf.reshape(t, [t.shape[0], -1]);
}

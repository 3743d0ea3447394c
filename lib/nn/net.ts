/**
 * The network interface every proxy, trainer and search works with.
 *
 * A `Net` is a concrete network or one path of a supernet sharing the supernet's variables;
 * proxies see only this interface (docs/architecture.md "Core interfaces"), so each proxy works on every
 * search space and on a user's own model.
 *
 * @module
 */
import type * as tf from "../tf.ts";
import type { Param } from "./param.ts";

/**
 * A place in the forward pass where a proxy may look at (or replace) an intermediate tensor.
 *
 * - `layer-output`: the output of a conv/linear layer (before any BN), named by the layer's
 *   `Param.layer`; Samsung's channel-level `fisher` hooks here.
 * - `relu-input`: a tensor about to enter a ReLU; its signs are NASWOT's binary codes.
 * - `features`: the final feature map before global pooling / the classifier; Zen-NAS reads it.
 * - `pool-input`: a tensor about to enter an average pool inside the net (observe only).
 * - `block-output`: the output of the stem and of each cell/block, in forward order (AZ-NAS's
 *   "cell features"); NB201 taps the stem and every cell, NASRec every block's dense output.
 */
export interface TapPoint {
  kind: "layer-output" | "relu-input" | "features" | "pool-input" | "block-output";
  /** the layer (or a descriptive name for relu-input/features/pool-input/block-output) */
  name: string;
  /** `pool-input` only: the average pool's window, stride and padding (flops counts pools) */
  pool?: { k: number; stride: number; pad: number };
}

/**
 * Called at each {@link TapPoint}; returns the tensor the forward pass continues with (return `t`
 * to observe only, or e.g. `t + z` with a zero tensor `z` to get ∂L/∂t through `tf.grads`).
 */
export type Tap = (point: TapPoint, t: tf.Tensor) => tf.Tensor;

/** Options of a forward pass. */
export interface ForwardOptions {
  /** batch statistics in BN, running-stat updates, dropout @default {true} */
  training: boolean;
  /** activation taps for proxies that need intermediate tensors (fisher, nwot, zen); optional */
  tap?: Tap;
  /**
   * Bypass batch normalisation (identity) — synflow's convention of scoring the network without
   * BN. Nets that cannot honour it must throw rather than ignore it.
   */
  bypassNorm?: boolean;
}

/** A network: parameters, forward pass and loss. */
export interface Net<X = tf.Tensor> {
  /** Trainable parameters that this network (or path) uses, with metadata. */
  params(): Param[];
  /** Logits for a batch. */
  forward(x: X, opts: ForwardOptions): tf.Tensor;
  /** The training loss (mean over the batch) of logits against labels. */
  loss(logits: tf.Tensor, y: tf.Tensor): tf.Scalar;
  /**
   * The forward pass as a chain of stages, each one tensor in and one out, the first taking the
   * batch's input and the last giving the logits: `forward(x, opts)` equals
   * `chain(opts).reduce((h, stage) => stage(h), x)`. Lets a proxy recompute one stage at a time
   * instead of holding the whole pass (grasp's Hessian-vector product, docs/proxies.md#grasp).
   * Optional: absent means the net is one piece.
   */
  chain?(opts: ForwardOptions): Array<(h: tf.Tensor) => tf.Tensor>;
  /**
   * Non-trainable state that training-mode forward passes change (BN running statistics), so
   * that proxies can restore it after scoring. Optional: absent means none.
   */
  state?(): tf.Variable[];
  /**
   * Which forward options this net honours (`tap`, `bypassNorm`); proxies needing one the net
   * lacks fail with a clear error instead of computing something else. Absent means none.
   */
  supports?: ReadonlyArray<"tap" | "bypassNorm">;
}

/** A batch: inputs and labels. */
export interface Batch<X = tf.Tensor> {
  x: X;
  y: tf.Tensor;
}

/**
 * The network interface every proxy, trainer and search works with.
 *
 * A `Net` is a concrete network or one path of a supernet sharing the supernet's variables;
 * proxies see only this interface (DESIGN.md "Core interfaces"), so each proxy works on every
 * search space and on a user's own model.
 *
 * @module
 */
import type * as tf from "../tf.ts";
import type { Param } from "./param.ts";

/** Options of a forward pass. */
export interface ForwardOptions {
  /** batch statistics in BN, running-stat updates, dropout @default {true} */
  training: boolean;
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
   * Non-trainable state that training-mode forward passes change (BN running statistics), so
   * that proxies can restore it after scoring. Optional: absent means none.
   */
  state?(): tf.Variable[];
}

/** A batch: inputs and labels. */
export interface Batch<X = tf.Tensor> {
  x: X;
  y: tf.Tensor;
}

/**
 * Layers as small objects over a {@link ParamStore}: conv, batch norm, linear, layer norm.
 *
 * Semantics follow PyTorch, because the reference code of every result we reproduce is PyTorch:
 * symmetric explicit padding (k//2 on each side, not TF's 'same' which pads stride-2 convs
 * asymmetrically), BN with ε=1e-5, momentum 0.1 and unbiased running variance, default
 * U(±1/√fanIn) initialisation.
 *
 * @module
 */
import * as tf from "../tf.ts";
import { type ParamStore, torchDefaultInit } from "./param.ts";
import { batchNormTrain } from "./batch_norm.ts";
import { dense, type DenseActivation } from "../kernels/dense.ts";

/** A 2-D convolution, NHWC, weight [k,k,cin,cout]. */
export class Conv2d {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;
  readonly #pad: [[number, number], [number, number], [number, number], [number, number]];

  constructor(
    store: ParamStore,
    readonly name: string,
    readonly cin: number,
    readonly cout: number,
    readonly k: number,
    readonly stride = 1,
    bias = false,
    padding = Math.floor(k / 2),
  ) {
    const fanIn = cin * k * k;
    this.weight = store.add(name, "conv", "weight", [k, k, cin, cout], torchDefaultInit(fanIn));
    this.bias = bias ? store.add(name, "conv", "bias", [cout], torchDefaultInit(fanIn)) : null;
    this.#pad = [[0, 0], [padding, padding], [padding, padding], [0, 0]];
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    const y = tf.conv2d(x, this.weight as tf.Variable<tf.Rank.R4>, this.stride, this.#pad);
    return this.bias ? tf.add(y, this.bias) : y;
  }
}

/** Options of {@linkcode BatchNorm}. */
export interface BatchNormOptions {
  /** learnable γ, β @default {true} */
  affine?: boolean;
  /** keep running statistics and use them in eval mode @default {true} */
  trackRunningStats?: boolean;
  /** @default {0.1} (PyTorch convention: new = (1−m)·old + m·batch) */
  momentum?: number;
  /** @default {1e-5} */
  eps?: number;
}

/**
 * Batch normalisation over all axes but the last. In training mode (or without running stats) it
 * uses batch statistics (biased variance) and, when tracking, updates running mean and unbiased
 * running variance as PyTorch does.
 */
export class BatchNorm {
  readonly gamma: tf.Variable | null;
  readonly beta: tf.Variable | null;
  readonly runningMean: tf.Variable | null;
  readonly runningVar: tf.Variable | null;
  readonly #momentum: number;
  readonly #eps: number;

  constructor(
    store: ParamStore,
    readonly name: string,
    readonly channels: number,
    opts: BatchNormOptions = {},
  ) {
    const { affine = true, trackRunningStats = true, momentum = 0.1, eps = 1e-5 } = opts;
    this.gamma = affine ? store.add(name, "norm", "norm", [channels], { kind: "constant", value: 1 }) : null;
    this.beta = affine
      ? store.add(`${name}.beta`, "norm", "bias", [channels], { kind: "constant", value: 0 })
      : null;
    this.runningMean = trackRunningStats ? store.buffer(`${name}/running_mean`, [channels], 0) : null;
    this.runningVar = trackRunningStats ? store.buffer(`${name}/running_var`, [channels], 1) : null;
    this.#momentum = momentum;
    this.#eps = eps;
  }

  apply<T extends tf.Tensor>(x: T, training: boolean): T {
    if (!training && this.runningMean && this.runningVar) {
      return tf.batchNorm(
        x,
        this.runningMean,
        this.runningVar,
        this.beta ?? undefined,
        this.gamma ?? undefined,
        this.#eps,
      ) as T;
    }
    const rm = this.runningMean, rv = this.runningVar;
    const track = training && rm && rv;
    const n = x.size / this.channels;
    const mom = this.#momentum;
    return batchNormTrain(
      x,
      this.gamma,
      this.beta,
      this.#eps,
      !track ? undefined : (mean, variance) => {
        tf.tidy(() => {
          rm.assign(tf.add(tf.mul(rm, 1 - mom), tf.mul(mean, mom)));
          rv.assign(tf.add(tf.mul(rv, 1 - mom), tf.mul(variance, mom * n / Math.max(1, n - 1))));
        });
      },
    );
  }
}

/** y = x W + b, weight [din, dout]. */
export class Linear {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(
    store: ParamStore,
    readonly name: string,
    readonly din: number,
    readonly dout: number,
    bias = true,
  ) {
    this.weight = store.add(name, "linear", "weight", [din, dout], torchDefaultInit(din));
    this.bias = bias ? store.add(name, "linear", "bias", [dout], torchDefaultInit(din)) : null;
  }

  /**
   * act(x·W + b) over the last axis of x. With `activation` "relu" the ReLU is fused into the layer
   * (lib/kernels/dense.ts: one kernel forward and one backward on the fast CPU path, the same bits).
   */
  apply(x: tf.Tensor, activation: DenseActivation = "linear"): tf.Tensor {
    const w = this.weight as tf.Variable<tf.Rank.R2>, b = this.bias as tf.Variable<tf.Rank.R1> | null;
    if (x.rank === 2) return dense(x as tf.Tensor2D, w, b, activation);
    return tf.tidy(() =>
      tf.reshape(dense(tf.reshape(x, [-1, this.din]) as tf.Tensor2D, w, b, activation), [
        ...x.shape.slice(0, -1),
        this.dout,
      ])
    );
  }
}

/**
 * Per-batch gradients of a network's loss, the raw material of ZiCo, SiGeo and grad-norm proxies.
 *
 * The official SiGeo codes take an optimizer step after each scoring batch (NASLib-SiGeo: SGD
 * lr 1; NasRec-SiGeo: Adagrad with its warm-up learning rate and gradient clipping). Here those
 * steps run on the network's own variables and every parameter — and the BN running statistics
 * that training-mode passes update — is restored afterwards, so the scored network (or the
 * shared supernet) is unchanged when scoring returns.
 *
 * @module
 */
import * as tf from "../tf.ts";
import type { Batch, Net } from "../nn/net.ts";
import type { Param } from "../nn/param.ts";
import { copyValues, readScalar } from "../train/inplace.ts";
import { clipGradNorm, type NamedGrads, type Optimizer } from "../train/optim.ts";

/** Options of {@linkcode collectGradients}. */
export interface CollectOptions {
  /** the parameters whose gradients are recorded */
  record: Param[];
  /**
   * the parameters that get gradients and optimizer steps (default: `record`); NasRec-SiGeo
   * steps only the final layer, NASLib-SiGeo every parameter
   */
  train?: Param[];
  /** the optimizer stepping `train` after each batch (none: no steps, ZiCo's way) */
  optimizer?: (vars: tf.Variable[]) => Optimizer;
  /** learning rate of each scoring step (schedules); default: the optimizer's */
  lr?: (step: number) => number;
  /** clip the gradients of `train` to this global norm before recording and stepping */
  clipNorm?: number;
  /** keep the stepped weights instead of restoring them @default {false} */
  keepSteps?: boolean;
}

/** Gradients, losses and final weights of a scoring pass. */
export interface GradientRecord {
  params: Param[];
  /** grads[b][j]: gradient of batch b for params[j] (after clipping, when clipping) */
  grads: Float32Array[][];
  /** loss of each batch, computed before that batch's step */
  losses: number[];
  /** values of params after the last step (θ of the FR term) */
  theta: Float32Array[];
}

/**
 * Run the batches through `net`, recording gradients (and stepping, when an optimizer is given).
 * Async: on a device backend every readback is (WebGPU in Deno has no synchronous one).
 */
export async function collectGradients(
  net: Net,
  batches: Batch[],
  opts: CollectOptions,
): Promise<GradientRecord> {
  const record = opts.record;
  const train = opts.train ?? record;
  const trainVars = train.map((p) => p.variable);
  const byName = new Set(trainVars.map((v) => v.name));
  for (const p of record) {
    if (!byName.has(p.variable.name)) trainVars.push(p.variable);
  }
  const stepped = new Set(train.map((p) => p.variable.name));
  // Only what the steps change is snapshot: copying every parameter would copy a recommender's
  // embedding tables (hundreds of MB) per scored candidate.
  const restorable = opts.keepSteps
    ? []
    : [...(opts.optimizer ? train.map((p) => p.variable) : []), ...(net.state?.() ?? [])];
  const snapshot = await Promise.all(restorable.map((v) => copyValues(v)));
  const optimizer = opts.optimizer?.(train.map((p) => p.variable));
  const grads: Float32Array[][] = [];
  const losses: number[] = [];
  try {
    for (const [b, batch] of batches.entries()) {
      const { value, grads: g } = tf.variableGrads(
        () => net.loss(net.forward(batch.x, { training: true }), batch.y),
        trainVars,
      );
      if (opts.clipNorm !== undefined) {
        const subset: NamedGrads = {};
        for (const name of stepped) if (g[name]) subset[name] = g[name];
        clipGradNorm(subset, opts.clipNorm);
        Object.assign(g, subset);
      }
      // a parameter the loss does not reach gets no gradient from tfjs: record zeros (the official
      // ZiCo code would crash on its None gradient; zeros make the layer drop out of ZiCo instead)
      // read back together: one wait for the device instead of one per parameter
      const [loss, ...row] = await Promise.all([
        readScalar(value),
        ...record.map((p) => {
          const gp = g[p.variable.name];
          return gp ? copyValues(gp) : Promise.resolve(new Float32Array(p.variable.size));
        }),
      ]);
      grads.push(row as Float32Array[]);
      losses.push(loss as number);
      if (optimizer) {
        const forStep: NamedGrads = {};
        for (const name of stepped) if (g[name]) forStep[name] = g[name];
        optimizer.step(forStep, opts.lr?.(b));
      }
      tf.dispose([value, ...Object.values(g)]);
    }
    const theta = await Promise.all(record.map((p) => copyValues(p.variable)));
    return { params: record, grads, losses, theta };
  } finally {
    restorable.forEach((v, i) => {
      const t = tf.tensor(snapshot[i], v.shape, "float32");
      v.assign(t);
      t.dispose();
    });
  }
}

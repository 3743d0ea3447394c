/**
 * The plain training step and evaluation loop every experiment shares.
 *
 * One step = forward in training mode, loss, gradients of the trainable variables, optional
 * clipping, one optimizer step at the step's learning rate. Kept separate from warm-up and search
 * so that all of them train identically (and the per-step numbers are comparable).
 *
 * @module
 */
import * as tf from "../tf.ts";
import type { Batch, Net } from "../nn/net.ts";
import { clipGradNorm, type Optimizer } from "./optim.ts";
import { readScalar } from "./inplace.ts";

/** Options of {@linkcode trainStep}. */
export interface StepOptions {
  /** learning rate of this step */
  lr: number;
  /** clip the global gradient norm to this value */
  clipNorm?: number;
}

/**
 * One optimizer step of `net` on `batch`; resolves to the batch loss (before the step). Async
 * because a device backend reads the loss back asynchronously (after the update is queued).
 */
export async function trainStep(
  net: Net,
  batch: Batch,
  opt: Optimizer,
  vars: tf.Variable[],
  opts: StepOptions,
): Promise<number> {
  const { value, grads } = tf.variableGrads(
    () => net.loss(net.forward(batch.x, { training: true }), batch.y),
    vars,
  );
  // Variables on an unused path get no gradient; the optimizers skip absent names.
  if (opts.clipNorm !== undefined) clipGradNorm(grads, opts.clipNorm);
  opt.step(grads, opts.lr);
  tf.dispose(Object.values(grads));
  try {
    return await readScalar(value);
  } finally {
    value.dispose();
  }
}

/** Classification metrics over batches. */
export interface ClassifierMetrics {
  /** mean cross-entropy (the net's loss, weighted by batch size) */
  loss: number;
  /** top-1 accuracy in [0, 1] */
  accuracy: number;
  n: number;
}

/**
 * Loss and top-1 accuracy of a softmax classifier over `batches`, in eval mode unless
 * `training` (a supernet without running BN statistics evaluates with batch statistics).
 */
export async function evaluateClassifier(
  net: Net,
  batches: Iterable<Batch>,
  training = false,
): Promise<ClassifierMetrics> {
  let lossSum = 0, right = 0, n = 0;
  for (const b of batches) {
    const [loss, hits] = tf.tidy(() => {
      const logits = net.forward(b.x, { training });
      const l = net.loss(logits, b.y);
      const pred = tf.argMax(logits, 1);
      const ok = tf.sum(tf.cast(tf.equal(pred, tf.cast(b.y, "int32")), "float32"));
      return [l, ok];
    });
    const m = b.y.shape[0];
    lossSum += (await readScalar(loss)) * m;
    right += await readScalar(hits);
    n += m;
    tf.dispose([loss, hits]);
  }
  if (n === 0) throw new RangeError("Cannot evaluate on zero batches");
  return { loss: lossSum / n, accuracy: right / n, n };
}

/**
 * Training and evaluation of recommender networks: BCE-with-logits, Adagrad (ε = 1e-2) on the dense
 * parameters and sparse-row Adagrad on the embeddings, global gradient clipping (NASRec: 5.0,
 * embedding gradients included), and log loss / AUC on a split.
 *
 * @module
 */
import * as tf from "../tf.ts";
import type { Net } from "../nn/net.ts";
import type { SparseEmbedding } from "../nn/embedding.ts";
import { readView } from "./inplace.ts";
import { clipGradNorm, type Optimizer } from "./optim.ts";
import { recsysBatch, type RecsysInput } from "../spaces/nasrec/model.ts";
import type { RecsysData } from "../data/recsys.ts";
import { batchesOf } from "../data/recsys.ts";
import { auc, logLoss } from "./metrics.ts";

/** One training step on a batch of rows; returns its loss (before the step). */
export function recsysTrainStep(
  net: Net<RecsysInput>,
  emb: SparseEmbedding,
  rows: RecsysData,
  opt: Optimizer,
  opts: { lr: number; clipNorm?: number; trainEmbeddings?: boolean; vars?: tf.Variable[] },
): number {
  const b = recsysBatch(emb, rows);
  try {
    const vars = [...(opts.vars ?? net.params().map((p) => p.variable))];
    const trainEmb = opts.trainEmbeddings ?? true;
    if (trainEmb) vars.push(b.x.gathered.rows);
    const { value, grads } = tf.variableGrads(
      () => net.loss(net.forward(b.x, { training: true }), b.y),
      vars,
    );
    if (opts.clipNorm !== undefined) clipGradNorm(grads, opts.clipNorm);
    const rowsName = b.x.gathered.rows.name;
    const g = grads[rowsName];
    if (trainEmb && g) emb.adagradStep(b.x.gathered, readView(g), opts.lr);
    delete grads[rowsName];
    opt.step(grads, opts.lr);
    const loss = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads), ...(g ? [g] : [])]);
    return loss;
  } finally {
    b.dispose();
  }
}

/** Log loss and AUC of `net` on `data`, in batches of `batchSize`. */
export function evaluateRecsys(
  net: Net<RecsysInput>,
  emb: SparseEmbedding,
  data: RecsysData,
  batchSize = 4096,
): { logloss: number; auc: number; n: number } {
  const logits = new Float64Array(data.n);
  let off = 0;
  for (const rows of batchesOf(data, batchSize)) {
    const b = recsysBatch(emb, rows);
    const out = tf.tidy(() => tf.reshape(net.forward(b.x, { training: false }), [-1]));
    logits.set(out.dataSync(), off);
    off += rows.n;
    out.dispose();
    b.dispose();
  }
  return { logloss: logLoss(logits, data.labels), auc: auc(logits, data.labels), n: data.n };
}

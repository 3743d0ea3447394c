/**
 * Training and evaluation of recommender networks as NASRec trains them (docs/nasrec.md
 * §4): BCE-with-logits, Adagrad (ε = 1e-2) on the dense parameters, sparse-row Adagrad on the
 * embedding tables (only the rows a batch touches, never a dense table gradient), global gradient
 * clipping by norm (5.0; embedding gradients included, as `clip_grad_norm_(model.parameters())`),
 * and a cosine schedule with 10 % linear warm-up and min lr 1e-8; evaluation by log loss and AUC.
 *
 * The functions take {@link RecsysNet}s (`lib/spaces/nasrec/supernet.ts`: supernet paths and
 * standalone nets) and rows in the `RecsysData` layout.
 *
 * @module
 */
import * as tf from "../tf.ts";
import type { Rng } from "../rng.ts";
import type { Param } from "../nn/param.ts";
import type { Batch } from "../nn/net.ts";
import { adagrad, clipGradNorm, type Optimizer } from "./optim.ts";
import { onHostBackend, readScalar, readValues } from "./inplace.ts";
import { cosineWithWarmup } from "./schedule.ts";
import { auc, logLoss } from "./metrics.ts";
import {
  disposeBatch,
  type RecsysInput,
  type RecsysNet,
  type RecsysRows,
  toBatch,
} from "../nn/recsys_batch.ts";

/** NASRec's Adagrad ε (the argparse default of its scripts). */
export const NASREC_ADAGRAD_EPS = 1e-2;
/** NASRec's gradient clipping norm. */
export const NASREC_CLIP_NORM = 5;
/** NASRec's learning rates: supernet warm-up 0.12; final training 0.10 (Small) / 0.16 (Full). */
export const NASREC_LR = Object.freeze({ supernet: 0.12, small: 0.1, full: 0.16, finetune: 0.04 });

/** The parameters a dense optimizer owns: every one but the embedding tables. */
export function denseParams(params: Param[]): Param[] {
  return params.filter((p) => p.kind !== "embedding");
}

/** Adagrad (PyTorch rule, ε 1e-2) over the dense parameters of `params`. */
export function recsysOptimizer(params: Param[], eps = NASREC_ADAGRAD_EPS): Optimizer {
  return adagrad(denseParams(params).map((p) => p.variable), { lr: 0, eps });
}

/** Options of {@linkcode recsysStep}. */
export interface RecsysStepOptions {
  lr: number;
  /** global gradient-norm clip (null: none) @default {5} */
  clipNorm?: number | null;
  /** Adagrad ε of the embedding rows @default {1e-2} */
  eps?: number;
  /** update the embedding rows @default {true} */
  trainEmbeddings?: boolean;
  /** the dense variables to train (e.g. the head only) @default {the net's dense parameters} */
  vars?: tf.Variable[];
}

/** What one step did. */
export interface StepResult {
  /** the batch loss before the update */
  loss: number;
  /** the global gradient norm before clipping */
  gradNorm: number;
}

/**
 * One training step on a batch: gradients of the dense variables and of the batch's gathered
 * embedding rows, clipping over both, Adagrad on the rows (in place) and `opt` on the rest.
 */
export async function recsysStep(
  net: RecsysNet,
  batch: Batch<RecsysInput>,
  opt: Optimizer,
  opts: RecsysStepOptions,
): Promise<StepResult> {
  const vars = [...(opts.vars ?? denseParams(net.params()).map((p) => p.variable))];
  const trainEmb = opts.trainEmbeddings ?? true;
  const step = trainEmb ? net.embedding.beginSparseStep(batch.x.sparse) : null;
  try {
    if (step) vars.push(step.rows);
    const { value, grads } = tf.variableGrads(
      () => net.loss(net.forward(batch.x, { training: true }), batch.y),
      vars,
    );
    const clip = opts.clipNorm === undefined ? NASREC_CLIP_NORM : opts.clipNorm;
    const gradNorm = clip === null ? NaN : clipGradNorm(grads, clip);
    if (step) {
      const g = grads[step.rows.name];
      delete grads[step.rows.name];
      try {
        if (g && onHostBackend()) net.embedding.adagradStep(step, g, opts.lr, opts.eps ?? NASREC_ADAGRAD_EPS);
        else if (g) {
          // device: the rows' gradient and values come back asynchronously; the update is scattered
          const [gv, rows] = await Promise.all([readValues(g), readValues(step.rows)]);
          net.embedding.adagradStep(step, gv, opts.lr, opts.eps ?? NASREC_ADAGRAD_EPS, rows);
        }
      } finally {
        g?.dispose();
      }
    }
    opt.step(grads, opts.lr);
    tf.dispose(Object.values(grads));
    try {
      return { loss: await readScalar(value), gradNorm };
    } finally {
      value.dispose();
    }
  } finally {
    if (step) net.embedding.endSparseStep(step);
  }
}

/** Rows `order[start … start + count − 1]` of `d` as a new block of rows. */
export function sliceRows(
  d: RecsysRows,
  order: ArrayLike<number> | null,
  start: number,
  count: number,
): RecsysRows {
  const { numDense: nd, numSparse: ns } = d;
  const dense = new Float32Array(count * nd), sparse = new Int32Array(count * ns);
  const labels = new Float32Array(count);
  for (let k = 0; k < count; k++) {
    const r = order ? order[start + k] : start + k;
    if (!(r >= 0 && r < d.n)) throw new RangeError(`Expected rows in [0, ${d.n}), got ${r}`);
    dense.set(d.dense.subarray(r * nd, (r + 1) * nd), k * nd);
    sparse.set(d.sparse.subarray(r * ns, (r + 1) * ns), k * ns);
    labels[k] = d.labels[r];
  }
  return { n: count, numDense: nd, numSparse: ns, dense, sparse, labels };
}

/** Options of {@linkcode fitRecsys}. */
export interface FitOptions {
  /** peak learning rate (NASRec: {@link NASREC_LR}) */
  lr: number;
  /** @default {512} */
  batchSize?: number;
  /** passes over the data (NASRec: 1) @default {1} */
  epochs?: number;
  /** stop after this many steps (the schedule still spans `epochs`) */
  maxSteps?: number;
  /** @default {0.1} */
  warmupFraction?: number;
  /** @default {1e-8} */
  minLr?: number;
  /** @default {5} */
  clipNorm?: number | null;
  /** @default {1e-2} */
  eps?: number;
  /** shuffle each epoch with this stream (NASRec reads its shards in order: no shuffle) */
  shuffle?: Rng;
  /**
   * The dense parameters the optimizer owns, when `net` is a function of the step (a supernet's
   * paths: pass the supernet's `params()`) @default {net.params()}
   */
  params?: Param[];
  /** a ready optimizer (to continue a run); else a fresh Adagrad over `params` */
  optimizer?: Optimizer;
  /** called after every step */
  onStep?: (step: number, r: StepResult & { lr: number }) => void;
}

/** What {@linkcode fitRecsys} did. */
export interface FitResult {
  steps: number;
  /** loss of every step */
  losses: Float64Array;
  seconds: number;
  optimizer: Optimizer;
}

/**
 * Train `net` (or, for a supernet, `net(step)` = the path of that step) on `data` with NASRec's
 * recipe; the last partial batch is dropped, as NASRec does.
 */
export async function fitRecsys(
  net: RecsysNet | ((step: number) => RecsysNet),
  data: RecsysRows,
  opts: FitOptions,
): Promise<FitResult> {
  const bs = opts.batchSize ?? 512, epochs = opts.epochs ?? 1;
  if (!Number.isInteger(bs) || bs < 1) throw new RangeError(`Expected a positive batch size, got ${bs}`);
  const perEpoch = Math.floor(data.n / bs);
  if (perEpoch < 1) throw new RangeError(`Expected at least one batch of ${bs} rows, got ${data.n} rows`);
  const total = perEpoch * epochs;
  const steps = Math.min(total, opts.maxSteps ?? total);
  const netAt = typeof net === "function" ? net : () => net;
  const params = opts.params ?? (typeof net === "function" ? null : net.params());
  if (!params && !opts.optimizer) {
    throw new TypeError("Expected `params` (or an optimizer) when net is a function of the step");
  }
  const opt = opts.optimizer ?? recsysOptimizer(params!, opts.eps);
  const lrAt = cosineWithWarmup({
    lr: opts.lr,
    totalSteps: total,
    warmupFraction: opts.warmupFraction ?? 0.1,
    minLr: opts.minLr ?? 1e-8,
  });
  const losses = new Float64Array(steps);
  const t0 = performance.now();
  let step = 0;
  for (let e = 0; e < epochs && step < steps; e++) {
    const order = opts.shuffle ? opts.shuffle.shuffle(Array.from({ length: data.n }, (_, i) => i)) : null;
    for (let b = 0; b < perEpoch && step < steps; b++, step++) {
      const batch = toBatch(sliceRows(data, order, b * bs, bs));
      try {
        const lr = lrAt(step);
        const r = await recsysStep(netAt(step), batch, opt, { lr, clipNorm: opts.clipNorm, eps: opts.eps });
        losses[step] = r.loss;
        opts.onStep?.(step, { ...r, lr });
      } finally {
        disposeBatch(batch);
      }
    }
  }
  return { steps, losses, seconds: (performance.now() - t0) / 1000, optimizer: opt };
}

/** Logits of `net` on every row of `data` (inference mode, batches of `batchSize`). */
export async function predictRecsys(
  net: RecsysNet,
  data: RecsysRows,
  batchSize = 4096,
): Promise<Float32Array> {
  const out = new Float32Array(data.n);
  for (let s = 0; s < data.n; s += batchSize) {
    const batch = toBatch(sliceRows(data, null, s, Math.min(batchSize, data.n - s)));
    try {
      const z = tf.tidy(() => tf.reshape(net.forward(batch.x, { training: false }), [-1]));
      try {
        out.set(await readValues(z), s);
      } finally {
        z.dispose();
      }
    } finally {
      disposeBatch(batch);
    }
  }
  return out;
}

/** Log loss and AUC of `net` on `data` (NASRec's test metrics; AUC exact with ties as ½). */
export async function recsysEvaluate(
  net: RecsysNet,
  data: RecsysRows,
  batchSize = 4096,
): Promise<{ logloss: number; auc: number; n: number }> {
  const z = await predictRecsys(net, data, batchSize);
  return { logloss: logLoss(z, data.labels), auc: auc(z, data.labels), n: data.n };
}

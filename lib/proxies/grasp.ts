/**
 * grasp (Samsung `grasp.py`, T = 1, one iteration; NASLib), on one batch, BN in training mode:
 * g = ∇_W L over the conv/linear weights (a constant), Hg = ∇_W ⟨g, ∇_W L⟩ — the Hessian of the
 * loss in the weights times g, biases and BN given no direction — and score = −Σ W ⊙ Hg (negated,
 * as Samsung and NASLib do, so that higher is better). BN state is restored.
 *
 * Hg is exact, by double backward (lib/proxies/second_order.ts): one stage at a time on a net with
 * {@link Net.chain} (NB201; the official batch of 64 of the benchmark net then needs a 0.74 GB wasm heap),
 * else the whole net at once (3.96 GB there). Before the second-order
 * work, grasp estimates its heap use on the wasm backend ({@linkcode graspHeapEstimate}) and refuses
 * with a RangeError when it would not fit, since an exhausted heap would abort the backend
 * (docs/proxies.md#grasp).
 *
 * @module
 */
import * as tf from "../tf.ts";
import type { Batch, Net } from "../nn/net.ts";
import { type ProxyScore, selectParams } from "./proxy.ts";
import { firstBatch, withRestored } from "./taps.ts";
import { copyValues } from "../train/inplace.ts";
import {
  chainHessianVectorProduct,
  gradientsOf,
  hessianVectorProduct,
  withSecondOrder,
} from "./second_order.ts";

/** Options of {@linkcode graspProxy}. */
export interface GraspOptions {
  /**
   * Score the batch in this many consecutive parts, each with its own BN statistics:
   * g = Σ_parts w·∇L_part and Hg = Σ_parts w·H_part·g with w = part size / n, so that without BN
   * the value equals the unsplit one; with BN it is a different quantity (issue 16, CIFAR-10:
   * 4 × 16 gave 5.415 / −0.0722 / 1.163 / 0.896 where the official one batch of 64 gives 3.98 /
   * −0.0179 / 1.361 / 0.452). Only for memory, where grasp refuses a batch (see
   * {@linkcode graspHeapEstimate}): a net without {@link Net.chain} holds about 16 examples of the
   * NB201 benchmark net's size in the wasm heap, a chained one (NB201 itself) about 160. Samsung's
   * `split_data` is no precedent for a weighted sum either: its loop zeroes the gradient inside the
   * loop and keeps the last part's.
   * @default {1}: the official definition (Samsung `grasp.py`, NASLib: the whole batch at once)
   */
  splits?: number;
  /**
   * Bytes the backend can hold; grasp refuses up front (RangeError) when its estimate
   * ({@linkcode graspHeapEstimate}) is larger, instead of letting the backend abort.
   * @default {2 ** 32 on wasm (32-bit WebAssembly memory), Infinity elsewhere}
   */
  heapLimit?: number;
}

/** 32-bit WebAssembly memory, the wasm backend's heap, stops at 4 GiB. */
export const WASM_HEAP_LIMIT = 2 ** 32;

/**
 * Heap bytes grasp's double backward takes, per example, for each byte a training-mode forward
 * pass of its largest piece keeps on the tape (one example, op by op as under
 * {@link withSecondOrder}), with a margin. Measured (wasm heap size after the proxy / batch / those
 * bytes, 2026-12-04, NB201 C = 16, N = 5, reference cell, with the lean first-order backward of
 * lib/kernels/backprop.ts): 3.0 for the whole net at once (batches 32 and 64: heap 1.97 and 3.96 GB)
 * and 2.7–2.8 for the largest stage of a chain (batches 64 and 128: 0.74 and 1.43 GB). Before that
 * backward they were 4.8–5.4 and 3.4–4.0.
 */
const HEAP_PER_TAPED_BYTE = { whole: 3.5, stage: 3.2 };

/** Bytes a training-mode `f` keeps for the backward in `xs` (under a tape; nothing left behind). */
function tapedBytes(f: () => tf.Tensor, xs: tf.Tensor[]): number {
  let bytes = 0;
  tf.tidy(() => {
    const before = tf.memory().numBytes;
    gradientsOf(() => {
      const out = f();
      bytes = tf.memory().numBytes - before;
      return tf.sum(out);
    }, xs);
  });
  return bytes;
}

/**
 * grasp's heap use for a batch of `n` like `batch`, estimated up front from one example: the bytes a
 * taped forward of the largest piece (the whole net, or the largest stage of `net.chain`) keeps,
 * × n × {@link HEAP_PER_TAPED_BYTE}, plus what the backend holds already. Changes BN running
 * statistics (the caller restores them).
 */
export function graspHeapEstimate(
  net: Net,
  batch: Batch,
  n: number,
): { bytes: number; piece: "whole net" | "largest stage" } {
  const vars = selectParams(net, "conv-linear-weights").map((p) => p.variable);
  const x1 = tf.slice(batch.x, 0, 1), y1 = tf.slice(batch.y, 0, 1);
  try {
    const chain = net.chain?.({ training: true });
    const perExample = withSecondOrder(() => {
      if (!chain) return tapedBytes(() => net.loss(net.forward(x1, { training: true }), y1), vars);
      let most = 0, h: tf.Tensor = x1;
      chain.forEach((stage, k) => {
        const hin = h;
        most = Math.max(most, tapedBytes(() => stage(hin), [hin, ...vars]));
        if (k < chain.length - 1) h = tf.tidy(() => stage(hin));
        // a stage may return its input (a skip-only cell): then it is the next stage's input too
        if (hin !== x1 && (k === chain.length - 1 || hin !== h)) hin.dispose();
      });
      return most;
    });
    const factor = chain ? HEAP_PER_TAPED_BYTE.stage : HEAP_PER_TAPED_BYTE.whole;
    return {
      bytes: tf.memory().numBytes + n * perExample * factor,
      piece: chain ? "largest stage" : "whole net",
    };
  } finally {
    tf.dispose([x1, y1]);
  }
}

/** Throws a RangeError when grasp on parts of `n` examples would not fit in `limit` bytes. */
function refuseOverHeap(net: Net, batch: Batch, n: number, limit: number): void {
  const { bytes, piece } = graspHeapEstimate(net, batch, n);
  if (bytes <= limit) return;
  const gb = (b: number) => (b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : `${(b / 1e6).toFixed(1)} MB`);
  throw new RangeError(
    `Cannot run grasp on ${tf.getBackend()} with ${n} examples at once: its double backward ` +
      `(${piece}) needs about ${gb(bytes)}, over the heap's ${gb(limit)}. Score fewer examples, use ` +
      `the grasp option splits: K (not the official value: each part gets its own BN statistics), ` +
      `or the cpu backend (SIGEO_BACKEND=cpu)`,
  );
}

/** The grasp score of `net` on the first batch; `terms.splits` records the parts used. */
export async function graspProxy(
  net: Net,
  batches: Batch[],
  opts: GraspOptions = {},
): Promise<ProxyScore> {
  const t0 = performance.now();
  const batch = firstBatch(batches, "grasp");
  const n = batch.x.shape[0];
  const splits = opts.splits ?? 1;
  if (!Number.isInteger(splits) || splits < 1 || splits > n) {
    throw new RangeError(`Cannot split a batch of ${n} into ${splits} parts for grasp: expected 1…${n}`);
  }
  const parts = Array.from({ length: splits }, (_, s) => {
    const st = Math.floor((s * n) / splits), en = Math.floor(((s + 1) * n) / splits);
    const part: Batch = splits === 1
      ? batch
      : { x: tf.slice(batch.x, st, en - st), y: tf.slice(batch.y, st, en - st) };
    return { ...part, weight: (en - st) / n };
  });
  const vars = selectParams(net, "conv-linear-weights").map((p) => p.variable);
  const limit = opts.heapLimit ?? (tf.getBackend() === "wasm" ? WASM_HEAP_LIMIT : Infinity);
  /** a + w·b, disposing both */
  const sum = (a: tf.Tensor[], b: tf.Tensor[], w: number) => {
    const out = a.map((t, i) => tf.tidy(() => tf.add(t, tf.mul(b[i], w))));
    tf.dispose([...a, ...b]);
    return out;
  };
  try {
    const value = await withRestored(net, [], async () => {
      if (Number.isFinite(limit)) refuseOverHeap(net, batch, Math.ceil(n / splits), limit);
      let g: tf.Tensor[] = vars.map((w) => tf.zerosLike(w));
      for (const part of parts) {
        g = sum(
          g,
          tf.tidy(() => {
            const { value: loss, grads } = tf.variableGrads(
              () => net.loss(net.forward(part.x, { training: true }), part.y),
              vars,
            );
            loss.dispose();
            return vars.map((w) => grads[w.name] ?? tf.zerosLike(w));
          }),
          part.weight,
        );
      }
      let hg: tf.Tensor[] = vars.map((w) => tf.zerosLike(w));
      const chain = net.chain?.({ training: true });
      for (const part of parts) {
        const hv = chain
          ? chainHessianVectorProduct(net, part, vars, g, chain)
          : hessianVectorProduct(net, part, vars, g);
        hg = sum(hg, hv, part.weight);
      }
      let s = 0;
      try {
        const [ws, hs] = await Promise.all([
          Promise.all(vars.map((w) => copyValues(w))),
          Promise.all(hg.map((h) => copyValues(h))),
        ]);
        ws.forEach((a, i) => {
          const h = hs[i];
          for (let j = 0; j < a.length; j++) s -= a[j] * h[j];
        });
      } finally {
        tf.dispose([...g, ...hg]);
      }
      return s;
    });
    return { value, terms: { grasp: value, splits }, seconds: (performance.now() - t0) / 1000 };
  } finally {
    if (splits > 1) tf.dispose(parts.flatMap((p) => [p.x, p.y]));
  }
}

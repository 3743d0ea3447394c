/**
 * EPE-NAS (NASLib `epe_nas.py`): the jacov input Jacobian ({@link inputJacobian}) of one batch,
 * its rows grouped by label (for [n, k] one-hot/BCE targets, the arg-max, as NASLib does for
 * TransNAS-Bench). Per class c, in order of first appearance: s_c = Σ_{ij} log(|corrcoef(J_c)_ij|
 * + 1e-5), a class with one example having corrcoef = 1. With k = the output width: k ≤ 100 gives
 * score = Σ_c |s_c|; otherwise each s_c is divided by its number of rows (one-example classes are
 * skipped, as the code's exception does) and score = Σ_{c,c'} |s_c − s_c'| / #classes kept.
 *
 * @module
 */
import type * as tf from "../tf.ts";
import type { Batch, Net } from "../nn/net.ts";
import type { ProxyScore } from "./proxy.ts";
import { corrcoef, inputJacobian } from "./jacov.ts";
import { firstBatch } from "./taps.ts";
import { readValues } from "../train/inplace.ts";

/** Class labels of a batch: the values of a [n] label tensor, or the arg-max of each [n, k] row. */
export async function batchLabels(y: tf.Tensor): Promise<number[]> {
  const v = y.dtype === "float32" ? await readValues(y) : await y.data();
  if (y.rank === 1) return Array.from(v);
  const n = y.shape[0], k = y.size / n;
  return Array.from({ length: n }, (_, i) => {
    let best = 0;
    for (let o = 1; o < k; o++) if (v[i * k + o] > v[i * k + best]) best = o;
    return best;
  });
}

/** The EPE-NAS score of Jacobian rows grouped by `labels`, for a network with `classes` outputs. */
export function epeNasScore(rows: Float64Array, d: number, labels: number[], classes: number): number {
  const groups = new Map<number, number[]>();
  labels.forEach((c, i) => {
    const g = groups.get(c);
    if (g) g.push(i);
    else groups.set(c, [i]);
  });
  const many = classes > 100;
  const scores: number[] = [];
  for (const idx of groups.values()) {
    if (many && idx.length === 1) continue;
    const m = new Float64Array(idx.length * d);
    idx.forEach((i, r) => m.set(rows.subarray(i * d, (i + 1) * d), r * d));
    let s = 0;
    for (const v of corrcoef(m, idx.length, d)) s += Math.log(Math.abs(v) + 1e-5);
    scores.push(many ? s / idx.length : s);
  }
  if (!many) return scores.reduce((a, s) => a + Math.abs(s), 0);
  let total = 0;
  for (const a of scores) for (const b of scores) total += Math.abs(a - b);
  return scores.length > 0 ? total / scores.length : 0;
}

/** The EPE-NAS score of `net` on the first batch. */
export async function epeNasProxy(net: Net, batches: Batch[]): Promise<ProxyScore> {
  const t0 = performance.now();
  const { x, y } = firstBatch(batches, "epe_nas");
  const j = await inputJacobian(net, x);
  const value = epeNasScore(j.rows, j.d, await batchLabels(y), j.outputs);
  return { value, seconds: (performance.now() - t0) / 1000 };
}

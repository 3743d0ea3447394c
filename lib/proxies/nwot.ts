/**
 * nwot / NASWOT (NASLib `nwot.py`, "Neural Architecture Search without Training" v2): one forward
 * pass of one batch (BN in training mode, state restored); at every ReLU input t the binary codes
 * c = 1[t > 0] are flattened per example, and K = Σ_ReLU c cᵀ + (1 − c)(1 − c)ᵀ counts, for each
 * pair of examples, the units on which they agree; score = log|det K| (numpy `slogdet(K)[1]`,
 * the sign ignored).
 *
 * Needs `tap` (relu-input points). Each tap's K is an exact integer matrix (float32 holds counts up
 * to 2^24 per ReLU) added up in float64. A NaN activation makes the score NaN, rather than the
 * all-agree matrix its codes would give. No ReLU at all gives log|det 0| = −∞.
 *
 * @module
 */
import * as tf from "../tf.ts";
import type { Batch, Net, Tap } from "../nn/net.ts";
import type { ProxyScore } from "./proxy.ts";
import { firstBatch, requireSupport, rows, withRestored } from "./taps.ts";

/** log|det A| of an n×n matrix (LU with partial pivoting, float64); −∞ when singular. */
export function logAbsDet(matrix: Float64Array, n: number): number {
  const a = Float64Array.from(matrix);
  let s = 0;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(a[i * n + k]) > Math.abs(a[p * n + k])) p = i;
    const pivot = a[p * n + k];
    if (Number.isNaN(pivot)) return NaN;
    if (pivot === 0) return -Infinity;
    if (p !== k) {
      for (let j = 0; j < n; j++) [a[k * n + j], a[p * n + j]] = [a[p * n + j], a[k * n + j]];
    }
    s += Math.log(Math.abs(pivot));
    for (let i = k + 1; i < n; i++) {
      const f = a[i * n + k] / pivot;
      if (f === 0) continue;
      for (let j = k + 1; j < n; j++) a[i * n + j] -= f * a[k * n + j];
    }
  }
  return s;
}

/** The NASWOT kernel matrix of `net` on inputs `x` (n×n, float64) and whether a code was NaN. */
export async function naswotKernel(
  net: Net,
  x: tf.Tensor,
): Promise<{ K: Float64Array; n: number; nan: boolean }> {
  const n = x.shape[0];
  const K = new Float64Array(n * n);
  let nan = false;
  // each ReLU's kernel and NaN flag, read back after the forward pass (no sync reads mid-pass)
  const parts: tf.Tensor[][] = [];
  const tap: Tap = (point, t) => {
    if (point.kind !== "relu-input") return t;
    const [k, bad] = tf.tidy(() => {
      const r = rows(t);
      const c = tf.cast(tf.greater(r, 0), "float32");
      const nc = tf.sub(1, c);
      const agree = tf.add(tf.matMul(c, c, false, true), tf.matMul(nc, nc, false, true));
      return [agree, tf.any(tf.isNaN(r))];
    });
    parts.push([tf.keep(k), tf.keep(bad)]);
    return t;
  };
  try {
    await withRestored(net, [], () => tf.tidy(() => void net.forward(x, { training: true, tap })));
    const read = await Promise.all(parts.map(([k, bad]) => Promise.all([k.data(), bad.data()])));
    for (const [values, bad] of read) {
      for (let i = 0; i < n * n; i++) K[i] += values[i];
      if (bad[0]) nan = true;
    }
  } finally {
    tf.dispose(parts.flat());
  }
  return { K, n, nan };
}

/** The nwot score of `net` on the first batch. */
export async function nwotProxy(net: Net, batches: Batch[]): Promise<ProxyScore> {
  const t0 = performance.now();
  requireSupport(net, "tap", "nwot");
  const { x } = firstBatch(batches, "nwot");
  const { K, n, nan } = await naswotKernel(net, x);
  const value = nan ? NaN : logAbsDet(K, n);
  return { value, seconds: (performance.now() - t0) / 1000 };
}

/**
 * jacov (Samsung `jacob_cov.py` = NASLib `jacov.py`, "Neural Architecture Search without
 * Training" v1): on one batch, J_n = ∂(Σ_{examples, outputs} y)/∂x_n (one backward from ones, BN in
 * training mode so the examples are coupled, as in the official code); C = corrcoef(J) over the
 * n flattened rows; λ = eig(C); score = −Σ_i [log(λ_i + 1e-5) + 1/(λ_i + 1e-5)].
 *
 * The Jacobian comes from tfjs (float32); corrcoef and the eigenvalues are computed in float64
 * here, so a rank-deficient C (more examples than input values) keeps its zero eigenvalues at
 * ~1e-16, where the 1/(λ + 1e-5) term is very sensitive. NaN (as Samsung's `except: nan`) when C
 * is undefined (a constant row) or some λ + 1e-5 < 0.
 *
 * @module
 */
import * as tf from "../tf.ts";
import type { Batch, Net } from "../nn/net.ts";
import type { ProxyScore } from "./proxy.ts";
import { firstBatch, withRestored } from "./taps.ts";
import { readValues } from "../train/inplace.ts";

/** The input Jacobian of Σ outputs, one row per example, and the output width. */
export interface InputJacobian {
  /** [n, d] row-major, float64 copies of the float32 values */
  rows: Float64Array;
  n: number;
  d: number;
  /** the width of the network's output (number of classes) */
  outputs: number;
}

/** J_n = ∂(Σ y)/∂x_n in training mode (BN state restored). */
export async function inputJacobian(net: Net, x: tf.Tensor): Promise<InputJacobian> {
  let outputs = 0;
  const rows = await withRestored(net, [], async () => {
    const g = tf.grad((input: tf.Tensor) => {
      const y = net.forward(input, { training: true });
      outputs = y.shape[y.rank - 1];
      return tf.sum(y);
    })(x);
    try {
      return Float64Array.from(await readValues(g));
    } finally {
      g.dispose();
    }
  });
  const n = x.shape[0];
  return { rows, n, d: rows.length / n, outputs };
}

/**
 * numpy's `corrcoef` of n rows of length d (rows are variables): C_ij = cov_ij/√(cov_ii·cov_jj),
 * clipped to [−1, 1]; a constant row gives NaN entries.
 */
export function corrcoef(rows: Float64Array, n: number, d: number): Float64Array {
  const c = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let j = 0; j < d; j++) mean += rows[i * d + j];
    mean /= d;
    for (let j = 0; j < d; j++) c[i * d + j] = rows[i * d + j] - mean;
  }
  const out = new Float64Array(n * n);
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += c[i * d + j] * c[i * d + j];
    norms[i] = Math.sqrt(s);
  }
  for (let i = 0; i < n; i++) {
    for (let k = i; k < n; k++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += c[i * d + j] * c[k * d + j];
      const r = s / (norms[i] * norms[k]);
      out[i * n + k] = out[k * n + i] = Number.isNaN(r) ? r : Math.min(1, Math.max(-1, r));
    }
  }
  return out;
}

/**
 * Eigenvalues of a symmetric n×n matrix, ascending: Householder reduction to tridiagonal form,
 * then the implicit QL iteration with Wilkinson shifts. All NaN when the matrix has a NaN.
 */
export function symmetricEigenvalues(m: Float64Array, n: number): Float64Array {
  if (m.some(Number.isNaN)) return new Float64Array(n).fill(NaN);
  const a = Float64Array.from(m);
  const d = new Float64Array(n), e = new Float64Array(n);
  // Householder: zero row i below the sub-diagonal, for i = n-1 down to 2
  for (let i = n - 1; i > 0; i--) {
    const l = i - 1;
    let h = 0;
    if (l > 0) {
      let scale = 0;
      for (let k = 0; k <= l; k++) scale += Math.abs(a[i * n + k]);
      if (scale === 0) {
        e[i] = a[i * n + l];
      } else {
        for (let k = 0; k <= l; k++) {
          a[i * n + k] /= scale;
          h += a[i * n + k] * a[i * n + k];
        }
        const f = a[i * n + l];
        const g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
        e[i] = scale * g;
        h -= f * g;
        a[i * n + l] = f - g;
        let ff = 0;
        for (let j = 0; j <= l; j++) {
          let gg = 0;
          for (let k = 0; k <= j; k++) gg += a[j * n + k] * a[i * n + k];
          for (let k = j + 1; k <= l; k++) gg += a[k * n + j] * a[i * n + k];
          e[j] = gg / h;
          ff += e[j] * a[i * n + j];
        }
        const hh = ff / (h + h);
        for (let j = 0; j <= l; j++) {
          const fj = a[i * n + j];
          const gj = e[j] - hh * fj;
          e[j] = gj;
          for (let k = 0; k <= j; k++) a[j * n + k] -= fj * e[k] + gj * a[i * n + k];
        }
      }
    } else {
      e[i] = a[i * n + l];
    }
    d[i] = h;
  }
  for (let i = 0; i < n; i++) d[i] = a[i * n + i];
  // implicit QL on (d, e)
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  if (n > 0) e[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    let iter = 0;
    for (;;) {
      let m2 = l;
      for (; m2 < n - 1; m2++) {
        const dd = Math.abs(d[m2]) + Math.abs(d[m2 + 1]);
        if (Math.abs(e[m2]) <= Number.EPSILON * dd) break;
      }
      if (m2 === l) break;
      if (++iter > 60) throw new RangeError("Cannot find the eigenvalues: QL iteration did not converge");
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = d[m2] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1, c = 1, p = 0;
      let i = m2 - 1;
      for (; i >= l; i--) {
        let f = s * e[i];
        const b = c * e[i];
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1] -= p;
          e[m2] = 0;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        f = (d[i] - g) * s + 2 * c * b;
        p = s * f;
        d[i + 1] = g + p;
        g = c * f - b;
      }
      if (r === 0 && i >= l) continue;
      d[l] -= p;
      e[l] = g;
      e[m2] = 0;
    }
  }
  return d.sort();
}

/** −Σ [log(λ + k) + 1/(λ + k)] over the eigenvalues of corrcoef(rows), k = 1e-5. */
export function jacovScore(rows: Float64Array, n: number, d: number): number {
  const eig = symmetricEigenvalues(corrcoef(rows, n, d), n);
  let s = 0;
  for (const v of eig) s += Math.log(v + 1e-5) + 1 / (v + 1e-5);
  return -s;
}

/** The jacov score of `net` on the first batch. */
export async function jacovProxy(net: Net, batches: Batch[]): Promise<ProxyScore> {
  const t0 = performance.now();
  const { x } = firstBatch(batches, "jacov");
  const j = await inputJacobian(net, x);
  const value = jacovScore(j.rows, j.n, j.d);
  return { value, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Small float64 linear algebra for the reference proxies: numpy's `corrcoef`, the eigenvalues of a
 * symmetric matrix (jacov) and `slogdet`'s log|det| (NASWOT).
 *
 * Written as plain loops so that the reference proxies depend on nothing but this folder; the
 * matrices are batch × batch, so cubic algorithms are fine.
 *
 * @module
 */

/**
 * numpy's `corrcoef(rows)`: rows are variables, columns observations. Returns the n×n matrix
 * C_ij = cov_ij / √(cov_ii·cov_jj), clipped to [−1, 1] as numpy does. A row of zero variance gives
 * NaN entries (numpy: NaN with a warning).
 */
export function corrcoef(rows: Float64Array, n: number, d: number): Float64Array {
  if (rows.length !== n * d) {
    throw new TypeError(`Expected ${n}×${d} = ${n * d} values for corrcoef, got ${rows.length}`);
  }
  const centred = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let j = 0; j < d; j++) mean += rows[i * d + j];
    mean /= d;
    for (let j = 0; j < d; j++) centred[i * d + j] = rows[i * d + j] - mean;
  }
  const cov = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = i; k < n; k++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += centred[i * d + j] * centred[k * d + j];
      cov[i * n + k] = s;
      cov[k * n + i] = s;
    }
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = i; k < n; k++) {
      const c = cov[i * n + k] / Math.sqrt(cov[i * n + i]) / Math.sqrt(cov[k * n + k]);
      out[i * n + k] = out[k * n + i] = Number.isNaN(c) ? c : Math.min(1, Math.max(-1, c));
    }
  }
  return out;
}

/**
 * Eigenvalues of a symmetric n×n matrix (cyclic Jacobi rotations), ascending. The input is not
 * changed; asymmetry up to 1e-12 (rounding) is averaged away, more is a RangeError. Jacobi is slow but accurate to a few ulps of the largest eigenvalue.
 */
export function symmetricEigenvalues(matrix: Float64Array, n: number): Float64Array {
  if (matrix.length !== n * n) {
    throw new TypeError(`Expected an ${n}×${n} matrix, got ${matrix.length} values`);
  }
  const a = Float64Array.from(matrix);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const u = a[i * n + j], v = a[j * n + i];
      if (Math.abs(u - v) > 1e-12 * Math.max(1, Math.abs(u), Math.abs(v))) {
        throw new RangeError(`Expected a symmetric matrix, entries (${i},${j}) and (${j},${i}) differ`);
      }
      a[i * n + j] = a[j * n + i] = (u + v) / 2;
    }
  }
  for (const v of a) if (!Number.isFinite(v)) return new Float64Array(n).fill(NaN);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0, total = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        total += a[i * n + j] ** 2;
        if (i !== j) off += a[i * n + j] ** 2;
      }
    }
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const app = a[p * n + p], aqq = a[q * n + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  const eig = new Float64Array(n);
  for (let i = 0; i < n; i++) eig[i] = a[i * n + i];
  return eig.sort();
}

/**
 * numpy's `slogdet(m)[1]`: log|det m| by LU with partial pivoting; −Infinity for a singular
 * matrix, NaN when the matrix has non-finite entries.
 */
export function logAbsDet(matrix: Float64Array, n: number): number {
  if (matrix.length !== n * n) {
    throw new TypeError(`Expected an ${n}×${n} matrix, got ${matrix.length} values`);
  }
  const a = Float64Array.from(matrix);
  for (const v of a) if (!Number.isFinite(v)) return NaN;
  let logDet = 0;
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]) > Math.abs(a[piv * n + col])) piv = r;
    const p = a[piv * n + col];
    if (p === 0) return -Infinity;
    if (piv !== col) {
      for (let k = 0; k < n; k++) {
        const t = a[col * n + k];
        a[col * n + k] = a[piv * n + k];
        a[piv * n + k] = t;
      }
    }
    logDet += Math.log(Math.abs(p));
    for (let r = col + 1; r < n; r++) {
      const f = a[r * n + col] / p;
      if (f === 0) continue;
      for (let k = col; k < n; k++) a[r * n + k] -= f * a[col * n + k];
    }
  }
  return logDet;
}

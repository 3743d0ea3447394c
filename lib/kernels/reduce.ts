/**
 * Column sums of a row-major [rows, cols] matrix: `Sum`/`Mean` over the leading axes.
 *
 * Batch norm reduces NHWC activations over N, H and W — the *leading* axes — for its statistics
 * and for two of its gradients. The stock wasm `Sum` transposes the whole tensor first so that
 * the reduced axes are innermost; a column sum reads the tensor once, in order.
 *
 * @module
 */
import type { Gemm } from "./gemm.ts";

let ones = new Float32Array(0);

/** out[c] = Σ_r x[r·cols + c]. With a zero-copy gemm: one sgemm against a ones vector. */
export function columnSums(
  x: Float32Array,
  rows: number,
  cols: number,
  out: Float32Array,
  gemm: Gemm | null,
): void {
  if (gemm && gemm.zeroCopy && rows > 0) {
    if (ones.length < rows) ones = new Float32Array(rows).fill(1);
    gemm.sgemm(false, false, 1, cols, rows, 1, ones, rows, x, cols, 0, out, cols);
    return;
  }
  const acc = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) acc[c] += x[base + c];
  }
  for (let c = 0; c < cols; c++) out[c] = acc[c];
}

/**
 * The number of leading axes reduced when `axes` (already normalised to non-negative) are exactly
 * 0..k−1 with k < rank; otherwise null (the stock kernel handles it).
 */
export function leadingAxes(axes: number[], rank: number): number | null {
  const sorted = [...new Set(axes)].sort((a, b) => a - b);
  if (sorted.length === 0 || sorted.length >= rank) return null;
  for (let i = 0; i < sorted.length; i++) if (sorted[i] !== i) return null;
  return sorted.length;
}

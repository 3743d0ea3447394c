/**
 * The one matrix-multiply interface the CPU training kernels are written against.
 *
 * Convolutions and batched matmuls are expressed as row-major sgemm calls on `Float32Array` views,
 * so the same kernel code runs on the system BLAS (fast, zero-copy) or on any other engine that
 * can multiply matrices (the wasm backend's XNNPACK matmul, or the naive loop below for tests).
 *
 * @module
 */

/** C = alpha·op(A)·op(B) + beta·C, row-major, as in CBLAS. */
export type Sgemm = (
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  beta: number,
  c: Float32Array,
  ldc: number,
) => void;

/** A matrix-multiply engine. */
export interface Gemm {
  /** Short name for run manifests, e.g. `openblas` or `wasm-xnnpack`. */
  name: string;
  /**
   * True when `sgemm` touches only the memory of the views it is given and allocates nothing on
   * the wasm heap, so callers may pass views into the wasm heap. When false, callers must pass
   * JavaScript-owned arrays (the engine may grow the heap and detach older views).
   */
  zeroCopy: boolean;
  sgemm: Sgemm;
}

/**
 * A plain triple loop (float32 storage, float64 accumulation). Slow; used as an independent
 * reference in tests and as the engine of last resort.
 */
export const naiveGemm: Gemm = {
  name: "naive-js",
  zeroCopy: true,
  sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const av = transA ? a[p * lda + i] : a[i * lda + p];
          const bv = transB ? b[j * ldb + p] : b[p * ldb + j];
          s += av * bv;
        }
        const idx = i * ldc + j;
        c[idx] = beta === 0 ? alpha * s : alpha * s + beta * c[idx];
      }
    }
  },
};

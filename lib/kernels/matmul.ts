/**
 * Batched matrix multiply with NumPy-style broadcasting of the batch dimensions, as sgemm calls.
 *
 * The stock wasm `BatchMatMul` is ~30× slower when an operand is transposed (docs/backends.md),
 * which is exactly what every backward pass of a dense layer asks for; sgemm takes the transpose
 * flags natively, so no transpose is ever materialised.
 *
 * @module
 */
import type { Gemm } from "./gemm.ts";

/** Shapes of one batched matmul, resolved. */
export interface MatMulPlan {
  /** rows of op(A) */
  m: number;
  /** columns of op(B) */
  n: number;
  /** the shared inner dimension */
  k: number;
  /** the broadcast batch shape of the output */
  batchShape: number[];
  /** for each output batch item, the batch item of A and of B */
  aIndex: Int32Array;
  bIndex: Int32Array;
  outShape: number[];
}

/** Plan `op(A) @ op(B)` for A of shape [...batchA, r, c] and B [...batchB, r, c]. */
export function planMatMul(aShape: number[], bShape: number[], transA: boolean, transB: boolean): MatMulPlan {
  if (aShape.length < 2 || bShape.length < 2) {
    throw new TypeError(`Cannot multiply as both operands need rank >= 2: got [${aShape}] and [${bShape}]`);
  }
  const ar = aShape.length, br = bShape.length;
  const m = transA ? aShape[ar - 1] : aShape[ar - 2];
  const ka = transA ? aShape[ar - 2] : aShape[ar - 1];
  const kb = transB ? bShape[br - 1] : bShape[br - 2];
  const n = transB ? bShape[br - 2] : bShape[br - 1];
  if (ka !== kb) {
    throw new TypeError(
      `Cannot multiply [${aShape}] by [${bShape}] (transposeA=${transA}, transposeB=${transB}) as inner sizes ${ka} and ${kb} differ`,
    );
  }
  const aBatch = aShape.slice(0, -2), bBatch = bShape.slice(0, -2);
  const rank = Math.max(aBatch.length, bBatch.length);
  const pa = [...new Array(rank - aBatch.length).fill(1), ...aBatch];
  const pb = [...new Array(rank - bBatch.length).fill(1), ...bBatch];
  const batchShape: number[] = [];
  for (let i = 0; i < rank; i++) {
    if (pa[i] !== pb[i] && pa[i] !== 1 && pb[i] !== 1) {
      throw new TypeError(`Cannot broadcast batch shapes [${aBatch}] and [${bBatch}]`);
    }
    batchShape.push(Math.max(pa[i], pb[i]));
  }
  const total = batchShape.reduce((s, v) => s * v, 1);
  const aIndex = new Int32Array(total), bIndex = new Int32Array(total);
  for (let t = 0; t < total; t++) {
    let rem = t, ai = 0, bi = 0, aStride = 1, bStride = 1;
    for (let d = rank - 1; d >= 0; d--) {
      const coord = rem % batchShape[d];
      rem = Math.floor(rem / batchShape[d]);
      ai += (pa[d] === 1 ? 0 : coord) * aStride;
      bi += (pb[d] === 1 ? 0 : coord) * bStride;
      aStride *= pa[d];
      bStride *= pb[d];
    }
    aIndex[t] = ai;
    bIndex[t] = bi;
  }
  return { m, n, k: ka, batchShape, aIndex, bIndex, outShape: [...batchShape, m, n] };
}

/** out = op(A) @ op(B) for every batch item of the plan. */
export function batchMatMul(
  gemm: Gemm,
  plan: MatMulPlan,
  a: Float32Array,
  b: Float32Array,
  transA: boolean,
  transB: boolean,
  out: Float32Array,
): void {
  const { m, n, k } = plan;
  const aSize = m * k, bSize = k * n, oSize = m * n;
  const lda = transA ? m : k, ldb = transB ? k : n;
  if (k === 0) {
    out.fill(0);
    return;
  }
  // A batch of A items against one B (a dense layer applied to a 3-D input) is one tall GEMM.
  const total = plan.aIndex.length;
  if (
    !transA && total > 1 && plan.bIndex.every((v) => v === plan.bIndex[0]) &&
    plan.aIndex.every((v, i) => v === i)
  ) {
    const bi = plan.bIndex[0];
    gemm.sgemm(
      false,
      transB,
      m * total,
      n,
      k,
      1,
      a,
      lda,
      b.subarray(bi * bSize, (bi + 1) * bSize),
      ldb,
      0,
      out,
      n,
    );
    return;
  }
  for (let t = 0; t < total; t++) {
    const ai = plan.aIndex[t], bi = plan.bIndex[t];
    gemm.sgemm(
      transA,
      transB,
      m,
      n,
      k,
      1,
      a.subarray(ai * aSize, (ai + 1) * aSize),
      lda,
      b.subarray(bi * bSize, (bi + 1) * bSize),
      ldb,
      0,
      out.subarray(t * oSize, (t + 1) * oSize),
      n,
    );
  }
}

/**
 * `UnsortedSegmentSum` in O(N): the gradient of `tf.gather` (every embedding lookup).
 *
 * The wasm backend lacks this kernel and the cpu backend's loops over segments
 * (O(numSegments·N), ~2 hours per step for a 100k-row table; docs/backends.md). One pass over
 * the rows, accumulating into the output, is all it takes. Ids outside [0, numSegments) are
 * dropped, as in TensorFlow.
 *
 * @module
 */

/** out[ids[i], :] += x[i, :] for i < ids.length; `out` must be zeroed by the caller. */
export function segmentSumInto(
  x: Float32Array | Int32Array,
  ids: Int32Array,
  rowSize: number,
  numSegments: number,
  out: Float32Array | Int32Array,
): void {
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * rowSize, dst = s * rowSize;
    for (let j = 0; j < rowSize; j++) out[dst + j] += x[src + j];
  }
}

/** Output shape of `UnsortedSegmentSum` for x of shape `xShape` and segment ids of rank `idsRank`. */
export function segmentSumShape(xShape: number[], idsRank: number, numSegments: number): number[] {
  return [numSegments, ...xShape.slice(idsRank)];
}

/**
 * The batch contract of the recommender nets: the tensor input (dense features, sparse ids), the
 * {@link Net} over it with its embedding tables exposed, and the conversion of reader rows
 * (`RecsysData`) to tensors. The NASRec networks build on it; the recommender training loops
 * (`lib/train/recsys_fit.ts`) use only it, so they run on any net that keeps it.
 *
 * @module
 */
import * as tf from "../tf.ts";
import type { Batch, Net } from "./net.ts";
import type { EmbeddingTables } from "./embedding.ts";
import type { RecsysData } from "../data/recsys.ts";

/** The tensor input of a recommender net: dense features and the sparse ids (int32, 0 = missing). */
export interface RecsysInput {
  /** [n, numDense] */
  dense: tf.Tensor2D;
  /** [n, numSparse] int32 */
  sparse: tf.Tensor2D;
}

/** A recommender net: a {@link Net} over {@link RecsysInput} whose embedding tables are exposed. */
export interface RecsysNet extends Net<RecsysInput> {
  /** the tables the forward pass reads (their parameters are also in `params()`) */
  readonly embedding: EmbeddingTables;
}

/** The row arrays of a recommender dataset (no table sizes needed to build a batch). */
export type RecsysRows = Pick<RecsysData, "n" | "numDense" | "numSparse" | "dense" | "sparse" | "labels">;

/** The rows as tensors (`y` is [n, 1]); free them with {@link disposeBatch}. */
export function toBatch(d: RecsysRows): Batch<RecsysInput> {
  const { n, numDense, numSparse } = d;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`Expected a positive number of rows, got ${n}`);
  if (d.dense.length !== n * numDense || d.sparse.length !== n * numSparse || d.labels.length !== n) {
    throw new TypeError(
      `Expected ${n}×${numDense} dense, ${n}×${numSparse} sparse values and ${n} labels, ` +
        `got ${d.dense.length}, ${d.sparse.length} and ${d.labels.length}`,
    );
  }
  return {
    x: {
      dense: tf.tensor2d(d.dense, [n, numDense]),
      sparse: tf.tensor2d(d.sparse, [n, numSparse], "int32"),
    },
    y: tf.tensor2d(d.labels, [n, 1]),
  };
}

/** Free the tensors of a {@link toBatch} batch. */
export function disposeBatch(b: Batch<RecsysInput>): void {
  tf.dispose([b.x.dense, b.x.sparse, b.y]);
}

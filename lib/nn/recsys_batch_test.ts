import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { initBackend } from "../backend.ts";
import type { RecsysData } from "../data/recsys.ts";
import { disposeBatch, toBatch } from "./recsys_batch.ts";

await initBackend({ quiet: true });

Deno.test("toBatch: shapes, dtypes and values; a clear error on mismatched lengths", () => {
  const data: RecsysData = { // the readers' type is accepted as it is
    dataset: "toy",
    n: 2,
    numDense: 1,
    numSparse: 2,
    dense: Float32Array.of(0.5, -1),
    sparse: Int32Array.of(1, 2, 3, 0),
    labels: Float32Array.of(1, 0),
    tableSizes: [4, 4],
  };
  const before = tf.memory().numTensors;
  const b = toBatch(data);
  assert.deepEqual([b.x.dense.shape, b.x.sparse.shape, b.x.sparse.dtype, b.y.shape], [
    [2, 1],
    [2, 2],
    "int32",
    [2, 1],
  ]);
  assert.deepEqual(b.x.sparse.arraySync(), [[1, 2], [3, 0]]);
  assert.deepEqual(b.x.dense.arraySync(), [[0.5], [-1]]);
  assert.deepEqual(b.y.arraySync(), [[1], [0]]);
  disposeBatch(b);
  assert.equal(tf.memory().numTensors, before, "disposeBatch frees all three tensors");
  assert.throws(
    () =>
      toBatch({
        n: 2,
        numDense: 1,
        numSparse: 2,
        dense: new Float32Array(2),
        sparse: new Int32Array(3),
        labels: new Float32Array(2),
      }),
    /Expected 2×1 dense, 2×2 sparse values and 2 labels, got 2, 3 and 2/,
  );
});

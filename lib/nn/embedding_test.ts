import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { initBackend } from "../backend.ts";
import { createRng } from "../rng.ts";
import { ParamStore } from "./param.ts";
import { EmbeddingTables, gatherRows } from "./embedding.ts";

await initBackend({ quiet: true });

function tables(sizes: number[], dim = 2, seed = 1) {
  const store = new ParamStore(createRng(seed));
  return { store, emb: new EmbeddingTables(store, sizes, { dim }) };
}

Deno.test("EmbeddingTables: parameters of kind embedding, xavier-normal scale, look-up = table rows", () => {
  const { store, emb } = tables([5, 3]);
  const ps = store.params();
  assert.deepEqual(ps.map((p) => [p.name, p.kind, p.role, p.variable.shape.join("x")]), [
    ["embedding.0/embedding", "embedding", "embedding", "5x2"],
    ["embedding.1/embedding", "embedding", "embedding", "3x2"],
  ]);
  const big = tables([4000], 16, 2);
  const v = big.emb.tables[0].dataSync();
  let s = 0;
  for (const x of v) s += x * x;
  const std = Math.sqrt(s / v.length), want = Math.sqrt(2 / 4016);
  assert.ok(Math.abs(std - want) / want < 0.02, `std ${std} vs ${want}`);
  big.store.dispose();

  const t0 = emb.tables[0].arraySync() as number[][], t1 = emb.tables[1].arraySync() as number[][];
  const ids = tf.tensor2d([[4, 0], [1, 2], [4, 2]], [3, 2], "int32");
  const out = emb.lookup(ids);
  assert.deepEqual(out.arraySync(), [[t0[4], t1[0]], [t0[1], t1[2]], [t0[4], t1[2]]]);
  assert.throws(
    () => emb.lookup(tf.tensor2d([[1, 2, 3]], [1, 3], "int32")),
    /int32 id tensor of shape \[n, 2\]/,
  );
  tf.dispose([ids, out]);
  store.dispose();
});

Deno.test("sparse step: unique rows per field, look-ups of that tensor read them, gradient = dense table gradient", () => {
  const { store, emb } = tables([5, 3]);
  const ids = tf.tensor2d([[3, 1], [1, 1], [3, 0]], [3, 2], "int32");
  const other = tf.tensor2d([[3, 1], [1, 1], [3, 0]], [3, 2], "int32");
  const coef = tf.tensor3d([[[1, 2], [3, 4]], [[5, 6], [7, 8]], [[9, 10], [11, 12]]]);
  const loss = (e: tf.Tensor) => tf.sum(tf.mul(tf.square(e), coef)) as tf.Scalar;

  const denseOut = emb.lookup(ids);
  const denseGrads = tf.variableGrads(() => loss(emb.lookup(ids)), emb.tables);
  const step = emb.beginSparseStep(ids);
  assert.deepEqual(Array.from(step.ids), [3, 1, 1, 0]); // field 0: 3, 1; field 1: 1, 0
  assert.deepEqual(Array.from(step.fieldStart), [0, 2, 4]);
  assert.deepEqual(Array.from(step.index), [0, 2, 1, 2, 0, 3]);
  assert.deepEqual(emb.lookup(ids).arraySync(), denseOut.arraySync());
  assert.equal(emb.activeStep, step);
  assert.throws(() => emb.beginSparseStep(other), /another is active/);
  const { grads, value } = tf.variableGrads(() => loss(emb.lookup(ids)), [step.rows, ...emb.tables]);
  // the tables get no gradient: the look-up read the gathered rows
  assert.equal(grads[emb.tables[0].name], undefined);
  const g = grads[step.rows.name].arraySync() as number[][];
  const d0 = denseGrads.grads[emb.tables[0].name].arraySync() as number[][];
  const d1 = denseGrads.grads[emb.tables[1].name].arraySync() as number[][];
  const want = [d0[3], d0[1], d1[1], d1[0]];
  g.forEach((row, u) => row.forEach((x, k) => assert.ok(Math.abs(x - want[u][k]) < 1e-5, `row ${u}`)));
  // a look-up of another tensor with the same ids reads the tables
  const viaTables = tf.variableGrads(() => loss(emb.lookup(other)), [step.rows, ...emb.tables]);
  assert.equal(viaTables.grads[step.rows.name], undefined);
  emb.endSparseStep(step);
  assert.equal(emb.activeStep, null);
  tf.dispose([ids, other, coef, denseOut, value, viaTables.value, denseGrads.value]);
  tf.dispose([
    ...Object.values(grads),
    ...Object.values(denseGrads.grads),
    ...Object.values(viaTables.grads),
  ]);
  store.dispose();
});

Deno.test("sparse-row Adagrad equals dense Adagrad on the whole table (float64 by hand), in place and into a copy", () => {
  for (const mode of ["in place", "copy"] as const) {
    const { store, emb } = tables([5, 3]);
    const before = emb.tables.map((t) => Float64Array.from(t.dataSync()));
    // an alias shares table 0's data, so its update cannot be in place
    const alias = mode === "copy" ? tf.reshape(emb.tables[0], [10]) : null;
    const orig0 = before[0].slice();
    const ids = tf.tensor2d([[3, 1], [1, 1], [3, 0]], [3, 2], "int32");
    const grad = Float32Array.from([0.5, -1, 2, 0.25, -0.5, 3, 1, 1]); // rows (f0,3) (f0,1) (f1,1) (f1,0)
    for (let s = 0; s < 2; s++) {
      const step = emb.beginSparseStep(ids);
      emb.adagradStep(step, grad, 0.1, 1e-2);
      emb.endSparseStep(step);
    }
    // dense: every row, untouched rows with a zero gradient
    const full = [new Float64Array(10), new Float64Array(6)];
    full[0].set([2, 0.25], 2);
    full[0].set([0.5, -1], 6);
    full[1].set([1, 1], 0);
    full[1].set([-0.5, 3], 2);
    before.forEach((w, f) => {
      const acc = new Float64Array(w.length);
      for (let s = 0; s < 2; s++) {
        for (let i = 0; i < w.length; i++) {
          acc[i] += full[f][i] ** 2;
          w[i] -= (0.1 * full[f][i]) / (Math.sqrt(acc[i]) + 1e-2);
        }
      }
      const got = emb.tables[f].dataSync();
      w.forEach((v, i) => assert.ok(Math.abs(got[i] - v) < 1e-6, `${mode}: table ${f} element ${i}`));
    });
    const st = emb.saveState();
    assert.deepEqual(st.map((a) => a.name), ["acc0", "acc1"]);
    assert.ok(Math.abs(st[0].data[6] - 2 * 0.25) < 1e-7); // row 3, first column: 2 × 0.5²
    assert.equal(st[0].data[0], 0); // row 0 untouched
    if (alias) {
      // the alias still sees the old values: nothing was written under it
      alias.dataSync().forEach((v, i) => assert.equal(v, Math.fround(orig0[i])));
      alias.dispose();
    }
    ids.dispose();
    store.dispose();
  }
});

Deno.test("sparse step: ids outside a table are refused with field and row; state round-trips; no leaks", () => {
  const { store, emb } = tables([5, 3]);
  const bad = tf.tensor2d([[1, 1], [2, 3]], [2, 2], "int32");
  assert.throws(
    () => emb.beginSparseStep(bad),
    /Sparse id 3 of field 1 \(row 1\) outside its table of 3 rows/,
  );
  assert.equal(emb.activeStep, null);
  const ids = tf.tensor2d([[1, 2]], [1, 2], "int32");
  const g = tf.ones([2, 2]);
  const n0 = tf.memory().numTensors;
  for (let s = 0; s < 5; s++) {
    const step = emb.beginSparseStep(ids);
    emb.adagradStep(step, g, 0.1);
    emb.endSparseStep(step);
  }
  assert.equal(tf.memory().numTensors, n0);
  const saved = emb.saveState();
  const { store: s2, emb: e2 } = tables([5, 3]);
  e2.loadState(saved);
  assert.deepEqual(e2.saveState().map((a) => Array.from(a.data)), saved.map((a) => Array.from(a.data)));
  assert.throws(
    () => e2.loadState([{ name: "acc1", data: new Float32Array(4) }]),
    /Cannot load embedding state 'acc1'/,
  );
  // allocating the state up front keeps the accumulated values and adds zeros for the rest
  const before = emb.saveState().map((a) => Array.from(a.data));
  emb.allocateState();
  const after = emb.saveState();
  assert.deepEqual(after.map((a) => a.name), ["acc0", "acc1"]);
  assert.deepEqual(after.map((a) => Array.from(a.data)), before);
  const { store: s3, emb: e3 } = tables([5, 3]);
  e3.allocateState();
  assert.deepEqual(e3.saveState().map((a) => Array.from(a.data)), [
    new Array(10).fill(0),
    new Array(6).fill(0),
  ]);
  tf.dispose([bad, ids, g]);
  store.dispose();
  s2.dispose();
  s3.dispose();
});

Deno.test("gatherRows equals tf.gather, and its gradient sums repeated rows back", () => {
  const x = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]);
  const idx = Int32Array.of(2, 0, 2, 3);
  const w = tf.tensor2d([[1, -1], [2, 0.5], [3, 1], [-2, 4]]);
  const got = gatherRows(x, idx);
  assert.deepEqual(got.arraySync(), [[5, 6], [1, 2], [5, 6], [7, 8]]);
  const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gatherRows(t as tf.Tensor2D, idx), w)))(x);
  assert.deepEqual(g.arraySync(), [[2, 0.5], [0, 0], [4, 0], [-2, 4]]);
  const flat = gatherRows(tf.reshape(x, [8, 1]) as tf.Tensor2D, Int32Array.of(7, 0, 3));
  assert.deepEqual(flat.arraySync(), [[8], [1], [4]]);
  tf.dispose([x, w, got, g, flat]);
});

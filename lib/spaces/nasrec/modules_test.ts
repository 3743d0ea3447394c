import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { initBackend } from "../../backend.ts";
import { createRng } from "../../rng.ts";
import { ParamStore } from "../../nn/param.ts";
import type { TapPoint } from "../../nn/net.ts";
import { logLoss } from "../../train/metrics.ts";
import { bceWithLogits, type BlockShape, ctxOf, NasrecBlock } from "./modules.ts";

await initBackend({ quiet: true });

type M = number[][];
const matmul = (a: M, b: M): M => a.map((r) => b[0].map((_, j) => r.reduce((s, x, k) => s + x * b[k][j], 0)));
const T = (a: M): M => a[0].map((_, j) => a.map((r) => r[j]));
const addRow = (a: M, b: number[]): M => a.map((r) => r.map((x, j) => x + b[j]));
const relu = (a: M): M => a.map((r) => r.map((x) => Math.max(0, x)));
const ln = (a: M, g: number[], b: number[]): M =>
  a.map((r) => {
    const mu = r.reduce((s, x) => s + x, 0) / r.length;
    const v = r.reduce((s, x) => s + (x - mu) ** 2, 0) / r.length;
    return r.map((x, j) => ((x - mu) / Math.sqrt(v + 1e-5)) * g[j] + b[j]);
  });
const softmax = (r: number[]) => {
  const m = Math.max(...r), e = r.map((x) => Math.exp(x - m)), s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};
const close = (got: number[], want: number[], tol: number, what: string) => {
  assert.equal(got.length, want.length, what);
  got.forEach((x, i) => assert.ok(Math.abs(x - want[i]) <= tol, `${what}[${i}]: ${x} vs ${want[i]}`));
};

/** A block with every parameter (biases, LN too) set to random values. */
function block(shape: Partial<BlockShape> & Pick<BlockShape, "nodes" | "dense" | "sparse">, seed = 1) {
  const store = new ParamStore(createRng(seed));
  const b = new NasrecBlock(store, "b", {
    denseIn: 4,
    sparseIn: 3,
    leftIn: 4,
    rightIn: 4,
    interact: false,
    deepFm: false,
    layerNorm: false,
    alwaysInteractTokens: false,
    ...shape,
  });
  const rng = createRng(seed + 100);
  for (const p of store.params()) {
    const t = tf.tensor(Array.from({ length: p.variable.size }, () => rng.normal() * 0.5), p.variable.shape);
    p.variable.assign(t);
    t.dispose();
  }
  const w = (name: string) => store.get(name)!.variable.arraySync() as M;
  const v = (name: string) => store.get(name)!.variable.arraySync() as number[];
  return { store, b, w, v };
}

function inputs(n: number, din: number, tokens: number, seed = 7) {
  const rng = createRng(seed);
  const dense = Array.from({ length: n }, () => Array.from({ length: din }, () => rng.normal()));
  const sparse = Array.from(
    { length: n },
    () => Array.from({ length: tokens }, () => Array.from({ length: 16 }, () => rng.normal())),
  );
  return { dense, sparse, td: tf.tensor2d(dense), ts: tf.tensor3d(sparse) };
}

Deno.test("bceWithLogits equals the float64 log loss", () => {
  const z = [3, -2, 0.5, 40, -40], y = [1, 0, 0, 0, 1];
  const l = bceWithLogits(tf.tensor1d(z), tf.tensor1d(y));
  assert.ok(Math.abs(l.dataSync()[0] - logLoss(z, y)) < 1e-5);
  l.dispose();
});

Deno.test("dot-product: the strict lower triangle of T·Tᵀ in tril_indices order (no projections at matching shapes)", () => {
  // dense 16 wide, 6 tokens = round(√(2·21)), 21 = 6·7/2 pairs: every projection is skipped
  const { store, b } = block({
    denseIn: 16,
    sparseIn: 6,
    nodes: ["dot-product", "linear-3d"],
    dense: 21,
    sparse: 16,
  });
  assert.equal(b.dot!.denseProj, null);
  assert.equal(b.dot!.tokenProj, null);
  assert.equal(b.dot!.outProj, null);
  const x = inputs(2, 16, 6);
  const out = b.apply({ dense: x.td, sparse: x.ts }, {
    nodes: ["dot-product", "linear-3d"],
    d: 21,
    t: 16,
    interact: false,
    deepFm: false,
  }, ctxOf(undefined));
  const got = out.dense.arraySync() as M;
  x.dense.forEach((d, r) => {
    const rows = [d, ...x.sparse[r]];
    const want: number[] = [];
    for (let i = 1; i < 7; i++) {
      for (let j = 0; j < i; j++) want.push(rows[i].reduce((s, v, k) => s + v * rows[j][k], 0));
    }
    close(got[r], want, 1e-4, `sample ${r}`);
  });
  tf.dispose([out.dense, out.sparse, x.td, x.ts]);
  store.dispose();
});

Deno.test("FC and EFC with LayerNorm by hand; bypassNorm drops the LayerNorms; taps see linear outputs and ReLU inputs", () => {
  const { store, b, w, v } = block({
    nodes: ["linear-2d", "linear-3d"],
    dense: 5,
    sparse: 2,
    layerNorm: true,
  });
  const x = inputs(3, 4, 3);
  const c = { nodes: ["linear-2d", "linear-3d"] as const, d: 5, t: 2, interact: false, deepFm: false };
  const points: TapPoint[] = [];
  const tap = (p: TapPoint, t: tf.Tensor) => (points.push(p), t);
  for (const bypass of [false, true]) {
    const out = b.apply(
      { dense: x.td, sparse: x.ts },
      { ...c, nodes: [...c.nodes] },
      ctxOf({ training: true, tap, bypassNorm: bypass }),
    );
    const norm = (
      a: M,
      layer: string,
    ) => (bypass ? a : ln(a, v(`${layer}.ln/norm`), v(`${layer}.ln.beta/bias`)));
    close(
      (out.dense.arraySync() as M).flat(),
      relu(norm(matmul(x.dense, w("b.linear-2d/weight")), "b.linear-2d")).flat(),
      1e-4,
      "FC",
    );
    // EFC: FC over the token axis of each of the 16 embedding columns, LN over the 2 output tokens
    const want = x.sparse.map((toks) =>
      T(relu(norm(matmul(T(toks), w("b.linear-3d/weight")), "b.linear-3d")))
    );
    close((out.sparse.arraySync() as number[][][]).flat(2), want.flat(2), 1e-4, "EFC");
    tf.dispose([out.dense, out.sparse]);
  }
  assert.deepEqual(points.slice(0, 4).map((p) => `${p.kind} ${p.name}`), [
    "layer-output b.linear-2d",
    "relu-input b.linear-2d",
    "layer-output b.linear-3d",
    "relu-input b.linear-3d",
  ]);
  tf.dispose([x.td, x.ts]);
  store.dispose();
});

Deno.test("interaction tokens come from the dense output before deep-FM; deep-FM adds FC((Σe)² − Σe²)", () => {
  // width 128 = 8×16: the interaction needs no projection; deep-FM projects 16 → 128
  const { store, b, w, v } = block({
    nodes: ["linear-2d", "linear-3d"],
    dense: 128,
    sparse: 16,
    interact: true,
    deepFm: true,
  });
  assert.equal(b.interact, null);
  const x = inputs(2, 4, 3);
  const c = { nodes: ["linear-2d", "linear-3d"] as const, d: 128, t: 16, interact: true };
  const ctx = ctxOf(undefined);
  const plain = b.apply({ dense: x.td, sparse: x.ts }, { ...c, nodes: [...c.nodes], deepFm: false }, ctx);
  const fm = b.apply({ dense: x.td, sparse: x.ts }, { ...c, nodes: [...c.nodes], deepFm: true }, ctx);
  assert.deepEqual(fm.sparse.shape, [2, 24, 16]);
  const toks = fm.sparse.arraySync() as number[][][], dense0 = plain.dense.arraySync() as M;
  toks.forEach((t, r) => close(t.slice(16).flat(), dense0[r], 1e-5, `interaction tokens of sample ${r}`));
  const ix = toks.map((t) =>
    Array.from({ length: 16 }, (_, k) => {
      const col = t.slice(0, 16).map((e) => e[k]);
      return col.reduce((s, e) => s + e, 0) ** 2 - col.reduce((s, e) => s + e * e, 0);
    })
  );
  const add = addRow(matmul(ix, w("b.deep-fm/weight")), v("b.deep-fm/bias"));
  const dense1 = fm.dense.arraySync() as M;
  dense1.forEach((r, i) =>
    close(
      r.map((x, j) => x - dense0[i][j]),
      add[i],
      1e-3 * Math.max(1, ...add[i].map(Math.abs)),
      `deep-FM ${i}`,
    )
  );
  tf.dispose([plain.dense, plain.sparse, fm.dense, fm.sparse, x.td, x.ts]);
  store.dispose();
});

Deno.test("masking: outputs beyond d units and t tokens are zero; the supernet always emits 8 interaction tokens", () => {
  const { store, b } = block({
    nodes: ["linear-2d", "dot-product", "linear-3d"],
    dense: 64,
    sparse: 32,
    interact: true,
    deepFm: true,
    alwaysInteractTokens: true,
  });
  const x = inputs(2, 4, 3);
  const out = b.apply({ dense: x.td, sparse: x.ts }, {
    nodes: ["linear-2d", "linear-3d"],
    d: 16,
    t: 8,
    interact: false,
    deepFm: true,
  }, ctxOf(undefined));
  assert.deepEqual(out.sparse.shape, [2, 40, 16]);
  const d = out.dense.arraySync() as M, s = out.sparse.arraySync() as number[][][];
  for (let r = 0; r < 2; r++) {
    assert.ok(d[r].slice(0, 16).some((x) => x !== 0));
    assert.ok(d[r].slice(16).every((x) => x === 0));
    assert.ok(s[r].slice(0, 8).flat().some((x) => x !== 0));
    assert.ok(s[r].slice(8).flat().every((x) => x === 0));
  }
  assert.deepEqual(
    b.layersUsed({ nodes: ["linear-2d", "linear-3d"], d: 16, t: 8, interact: false, deepFm: true }),
    [
      "b.linear-2d",
      "b.linear-3d",
      "b.deep-fm",
    ],
  );
  assert.throws(
    () =>
      b.apply({ dense: x.td, sparse: x.ts }, {
        nodes: ["linear-2d"],
        d: 16,
        t: 8,
        interact: false,
        deepFm: false,
      }, ctxOf(undefined)),
    /at least one dense and one sparse node/,
  );
  tf.dispose([out.dense, out.sparse, x.td, x.ts]);
  store.dispose();
});

Deno.test("transformer: token FC, 8-head attention + residual + LN, ReLU FFN + residual + LN (float64 by hand)", () => {
  const { store, b, w, v } = block({ nodes: ["linear-2d", "transformer"], dense: 16, sparse: 4 });
  const x = inputs(2, 4, 3);
  const out = b.apply({ dense: x.td, sparse: x.ts }, {
    nodes: ["linear-2d", "transformer"],
    d: 16,
    t: 4,
    interact: false,
    deepFm: false,
  }, ctxOf(undefined));
  const P = "b.transformer";
  const got = out.sparse.arraySync() as number[][][];
  x.sparse.forEach((toks, r) => {
    const X = T(addRow(matmul(T(toks), w(`${P}.token-proj/weight`)), v(`${P}.token-proj/bias`))); // [4, 16]
    const qkv = addRow(matmul(X, w(`${P}.mha.in-proj/weight`)), v(`${P}.mha.in-proj/bias`)); // [4, 48]
    const o: M = X.map(() => new Array(16).fill(0));
    for (let h = 0; h < 8; h++) {
      for (let i = 0; i < 4; i++) {
        const att = softmax(
          X.map((_, j) =>
            (qkv[i][2 * h] * qkv[j][16 + 2 * h] + qkv[i][2 * h + 1] * qkv[j][17 + 2 * h]) / Math.SQRT2
          ),
        );
        for (let e = 0; e < 2; e++) {
          o[i][2 * h + e] = att.reduce((s, a, j) => s + a * qkv[j][32 + 2 * h + e], 0);
        }
      }
    }
    const mha = addRow(matmul(o, w(`${P}.mha.out-proj/weight`)), v(`${P}.mha.out-proj/bias`));
    const a = ln(
      mha.map((row, i) => row.map((y, j) => y + X[i][j])),
      v(`${P}.attn-ln/norm`),
      v(`${P}.attn-ln.beta/bias`),
    );
    const f = addRow(
      matmul(relu(addRow(matmul(a, w(`${P}.fc1/weight`)), v(`${P}.fc1/bias`))), w(`${P}.fc2/weight`)),
      v(`${P}.fc2/bias`),
    );
    const want = ln(
      a.map((row, i) => row.map((y, j) => y + f[i][j])),
      v(`${P}.fc-ln/norm`),
      v(`${P}.fc-ln.beta/bias`),
    );
    close(got[r].flat(), want.flat(), 1e-4, `sample ${r}`);
  });
  const kinds = store.params().filter((p) => p.layer.includes("mha")).map((p) => p.kind);
  assert.deepEqual(kinds, ["attention", "attention", "attention", "attention"]);
  tf.dispose([out.dense, out.sparse, x.td, x.ts]);
  store.dispose();
});

Deno.test("sum and sigmoid-gating by hand: narrower input zero-padded; gate = σ(SelfFC(left))", () => {
  const { store, b, w, v } = block({
    nodes: ["sum", "sigmoid-gating", "linear-3d"],
    leftIn: 3,
    rightIn: 5,
    dense: 4,
    sparse: 16,
  });
  const rng = createRng(3);
  const L = [[rng.normal(), rng.normal(), rng.normal()]], R = [Array.from({ length: 5 }, () => rng.normal())];
  const x = inputs(1, 4, 3);
  const tl = tf.tensor2d(L), tr = tf.tensor2d(R);
  const ctx = ctxOf(undefined);
  const Lp = [[...L[0], 0, 0]];
  for (const node of ["sum", "sigmoid-gating"] as const) {
    const out = b.apply({ left: tl, right: tr, sparse: x.ts }, {
      nodes: [node, "linear-3d"],
      d: 4,
      t: 16,
      interact: false,
      deepFm: false,
    }, ctx);
    const want = node === "sum"
      ? addRow(matmul([Lp[0].map((l, j) => l + R[0][j])], w("b.sum.proj/weight")), v("b.sum.proj/bias"))
      : addRow(
        matmul(
          [
            addRow(matmul(Lp, w("b.sigmoid-gating.self/weight")), v("b.sigmoid-gating.self/bias"))[0].map((
              z,
              j,
            ) => R[0][j] / (1 + Math.exp(-z))),
          ],
          w("b.sigmoid-gating.proj/weight"),
        ),
        v("b.sigmoid-gating.proj/bias"),
      );
    close((out.dense.arraySync() as M)[0], want[0], 1e-4, node);
    tf.dispose([out.dense, out.sparse]);
  }
  tf.dispose([tl, tr, x.td, x.ts]);
  store.dispose();
});

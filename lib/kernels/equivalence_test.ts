/**
 * Backend equivalence: every op our NAS-Bench-201 and NASRec models use, forward values and
 * gradients, on the fast wasm path (with the system BLAS, and with the wasm matmul alone) against
 * the pure-JS cpu backend. Tolerance: 1e-4 relative to the largest magnitude of the reference.
 */
import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import { loadBlas } from "./blas.ts";
import { loadNativeConv } from "./native_conv.ts";
import { registerWasmKernels, restoreStockKernels } from "./wasm.ts";
import { createRng } from "../rng.ts";
import { batchNormTrain } from "../nn/batch_norm.ts";
import { sgd } from "../train/optim.ts";

type Op = (...xs: tf.Tensor[]) => tf.Tensor;
interface Case {
  name: string;
  /** shapes (and optional int data generator) of the inputs */
  inputs: Array<{ shape: number[]; int?: number }>;
  op: Op;
  /** differentiate w.r.t. these input positions (default: every float input) */
  wrt?: number[];
}

function makeInputs(c: Case, seed: number): Array<{ shape: number[]; data: number[]; int: boolean }> {
  const rng = createRng(seed);
  return c.inputs.map((s) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const data = Array.from({ length: n }, () => (s.int ? rng.int(s.int) : rng.normal()));
    return { shape: s.shape, data, int: s.int !== undefined };
  });
}

/** Forward values and gradients of sum(op(...) * R) on the current backend. */
function evaluate(c: Case, seed: number): { value: Float32Array; grads: Float32Array[] } {
  return tf.tidy(() => {
    const raw = makeInputs(c, seed);
    const xs = raw.map((r) => tf.tensor(r.data, r.shape, r.int ? "int32" : "float32"));
    const wrt = c.wrt ?? raw.map((r, i) => (r.int ? -1 : i)).filter((i) => i >= 0);
    const out = c.op(...xs);
    const rng = createRng(seed + 1000);
    const r = tf.tensor(Array.from({ length: out.size }, () => rng.normal()), out.shape);
    const f = (...ws: tf.Tensor[]) => {
      const args = xs.slice();
      wrt.forEach((pos, j) => (args[pos] = ws[j]));
      return tf.sum(tf.mul(c.op(...args), r)) as tf.Scalar;
    };
    const grads = wrt.length ? tf.grads(f)(wrt.map((i) => xs[i])) : [];
    return { value: out.dataSync() as Float32Array, grads: grads.map((g) => g.dataSync() as Float32Array) };
  });
}

function relErr(got: Float32Array, want: Float32Array): number {
  assert.equal(got.length, want.length);
  let scale = 1e-6, err = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(got[i]) !== Number.isNaN(want[i])) return Infinity;
    err = Math.max(err, Math.abs(got[i] - want[i]));
  }
  return err / scale;
}

// ---- the ops ---------------------------------------------------------------------------------

const conv = (stride: number, pad: "same" | "valid"): Op => (x, w) =>
  tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad);

function batchNormByMoments(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.batchNorm(x, mean, variance, beta, gamma, 1e-5);
}
function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, [-1], true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma), beta);
}
/** Scaled dot-product attention on [B, heads, T, d] pieces (the MHA core). */
function attention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor): tf.Tensor {
  const s = tf.div(tf.matMul(q, k, false, true), Math.sqrt(q.shape[3]!));
  return tf.matMul(tf.softmax(s), v);
}

const CASES: Case[] = [
  {
    name: "conv 3x3 stride 1 same",
    inputs: [{ shape: [2, 8, 8, 3] }, { shape: [3, 3, 3, 4] }],
    op: conv(1, "same"),
  },
  {
    name: "conv 3x3 stride 1 valid",
    inputs: [{ shape: [2, 8, 7, 3] }, { shape: [3, 3, 3, 4] }],
    op: conv(1, "valid"),
  },
  {
    name: "conv 1x1 stride 1 same",
    inputs: [{ shape: [2, 6, 6, 4] }, { shape: [1, 1, 4, 5] }],
    op: conv(1, "same"),
  },
  {
    name: "conv 3x3 stride 2 same",
    inputs: [{ shape: [2, 8, 8, 3] }, { shape: [3, 3, 3, 4] }],
    op: conv(2, "same"),
  },
  {
    name: "conv 3x3 stride 2 valid",
    inputs: [{ shape: [2, 9, 9, 3] }, { shape: [3, 3, 3, 4] }],
    op: conv(2, "valid"),
  },
  {
    name: "conv 1x1 stride 2 valid",
    inputs: [{ shape: [2, 8, 8, 3] }, { shape: [1, 1, 3, 6] }],
    op: conv(2, "valid"),
  },
  {
    name: "avg pool 3x3 stride 1 same (padding excluded from the count)",
    inputs: [{ shape: [2, 6, 6, 3] }],
    op: (x) => tf.avgPool(x as tf.Tensor4D, 3, 1, "same"),
  },
  {
    name: "avg pool 2x2 stride 2",
    inputs: [{ shape: [2, 6, 6, 3] }],
    op: (x) => tf.avgPool(x as tf.Tensor4D, 2, 2, "valid"),
  },
  {
    name: "batch norm, train mode (batch statistics)",
    inputs: [{ shape: [4, 5, 5, 3] }, { shape: [3] }, { shape: [3] }],
    op: batchNormByMoments,
  },
  {
    name: "batch norm, eval mode (running statistics)",
    inputs: [{ shape: [4, 5, 5, 3] }, { shape: [3] }, { shape: [3] }, { shape: [3] }],
    op: (x, gamma, beta, mean) => tf.batchNorm(x, mean, tf.add(tf.square(mean), 0.5), beta, gamma, 1e-5),
    wrt: [0, 1, 2],
  },
  {
    name: "library batch norm (fused native kernels when available) with running-stat callback",
    inputs: [{ shape: [4, 5, 5, 16] }, { shape: [16] }, { shape: [16] }],
    op: (x, gamma, beta) =>
      batchNormTrain(x, gamma, beta, 1e-5, (m: tf.Tensor, v: tf.Tensor) => void tf.add(m, v)),
  },
  {
    // the NB201 pattern: a BN output on a skip edge and through ReLU-conv-BN into the same sum,
    // γ shared so that its two gradients add up too
    name: "library batch norm on a skip edge and a ReLU-conv-BN edge",
    inputs: [
      { shape: [2, 6, 6, 4] },
      { shape: [3, 3, 4, 4] },
      { shape: [3, 3, 4, 4] },
      { shape: [4] },
      { shape: [4] },
    ],
    op: (x, w1, w2, gamma, beta) => {
      const h = batchNormTrain(conv(1, "same")(x, w1), gamma, beta);
      return tf.add(h, batchNormTrain(conv(1, "same")(tf.relu(h), w2), gamma, beta));
    },
  },
  {
    name: "library batch norm, non-affine",
    inputs: [{ shape: [3, 4, 4, 8] }],
    op: (x) => batchNormTrain(x, null, null),
  },
  { name: "layer norm", inputs: [{ shape: [6, 10] }, { shape: [10] }, { shape: [10] }], op: layerNorm },
  { name: "relu", inputs: [{ shape: [5, 7] }], op: (x) => tf.relu(x) },
  {
    name: "embedding gather + sum (embedding bag)",
    inputs: [{ shape: [50, 4] }, { shape: [8, 3], int: 50 }],
    op: (table, ids) => tf.sum(tf.gather(table, ids), 1),
    wrt: [0],
  },
  { name: "matmul", inputs: [{ shape: [5, 7] }, { shape: [7, 3] }], op: (a, b) => tf.matMul(a, b) },
  {
    name: "matmul transposeA",
    inputs: [{ shape: [7, 5] }, { shape: [7, 3] }],
    op: (a, b) => tf.matMul(a, b, true, false),
  },
  {
    name: "matmul transposeB",
    inputs: [{ shape: [5, 7] }, { shape: [3, 7] }],
    op: (a, b) => tf.matMul(a, b, false, true),
  },
  {
    name: "matmul transposeA+B",
    inputs: [{ shape: [7, 5] }, { shape: [3, 7] }],
    op: (a, b) => tf.matMul(a, b, true, true),
  },
  {
    name: "batched matmul 3-D x 2-D (dense layer on tokens)",
    inputs: [{ shape: [4, 6, 5] }, { shape: [5, 3] }],
    op: (a, b) => tf.matMul(a, tf.broadcastTo(b, [4, 5, 3])),
  },
  {
    name: "fused matmul + bias + relu",
    inputs: [{ shape: [5, 7] }, { shape: [7, 3] }, { shape: [3] }],
    op: (a, b, bias) =>
      tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias, activation: "relu" }),
  },
  {
    name: "softmax cross-entropy",
    inputs: [{ shape: [6, 10] }],
    op: (logits) => {
      const labels = tf.oneHot(tf.tensor1d([0, 3, 9, 2, 2, 7], "int32"), 10);
      return tf.losses.softmaxCrossEntropy(labels, logits);
    },
  },
  {
    name: "sigmoid cross-entropy",
    inputs: [{ shape: [8, 1] }],
    op: (logits) => tf.losses.sigmoidCrossEntropy(tf.tensor2d([1, 0, 0, 1, 1, 0, 1, 0], [8, 1]), logits),
  },
  {
    name: "multi-head attention core (QK^T, softmax, AV on [B,heads,T,d])",
    inputs: [{ shape: [2, 4, 5, 4] }, { shape: [2, 4, 5, 4] }, { shape: [2, 4, 5, 4] }],
    op: attention,
  },
  {
    name: "head split/merge transposes of multi-head attention",
    inputs: [{ shape: [2, 5, 16] }, { shape: [16, 16] }],
    op: (x, w) => tf.transpose(tf.reshape(tf.matMul(tf.reshape(x, [10, 16]), w), [2, 5, 4, 4]), [0, 2, 1, 3]),
  },
];

// ---- the comparison --------------------------------------------------------------------------

tf.enableProdMode();
await tf.setBackend("cpu");
const reference = new Map<string, { value: Float32Array; grads: Float32Array[] }>();
for (const [i, c] of CASES.entries()) reference.set(c.name, evaluate(c, 100 + i));

await tf.setBackend("wasm");
const blas = loadBlas();
const native = loadNativeConv();
type Mode = { label: string; blas: ReturnType<typeof loadBlas>; native: typeof native };
const modes: Mode[] = [
  ...(blas && native ? [{ label: "wasm+blas+native", blas, native }] : []),
  ...(blas ? [{ label: "wasm+blas", blas, native: null }] : []),
  ...(native ? [{ label: "wasm+native, no blas", blas: null, native }] : []),
  { label: "wasm, no blas", blas: null, native: null },
];

for (const mode of modes) {
  for (const [i, c] of CASES.entries()) {
    Deno.test(`${c.name}: ${mode.label} equals cpu within 1e-4`, async () => {
      await tf.setBackend("wasm");
      registerWasmKernels(mode.blas, mode.native);
      try {
        const got = evaluate(c, 100 + i);
        const want = reference.get(c.name)!;
        const e = relErr(got.value, want.value);
        assert.ok(e <= 1e-4, `forward relative error ${e}`);
        assert.equal(got.grads.length, want.grads.length);
        got.grads.forEach((g, j) => {
          const eg = relErr(g, want.grads[j]);
          assert.ok(eg <= 1e-4, `gradient ${j} relative error ${eg}`);
        });
      } finally {
        restoreStockKernels("wasm");
      }
    });
  }
}

Deno.test("avg pool 3x3 'same' divides by the in-bounds count (count_include_pad=false), hand-checked", async () => {
  await tf.setBackend("wasm");
  const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
  const y = tf.avgPool(x, 3, 1, "same");
  // corner (0,0): mean(1,2,4,5) = 3; edge (0,1): mean(1,2,3,4,5,6) = 3.5; centre: mean(1..9) = 5
  const v = await y.data();
  assert.deepEqual([v[0], v[1], v[4]], [3, 3.5, 5]);
  tf.dispose([x, y]);
});

Deno.test("repeated training steps on the fast path leak no tensors", async () => {
  await tf.setBackend("wasm");
  registerWasmKernels(blas);
  try {
    const rng = createRng(9);
    const w1 = tf.variable(tf.randomNormal([3, 3, 3, 4], 0, 0.3, "float32", 1)) as tf.Variable<tf.Rank.R4>;
    const w2 = tf.variable(tf.randomNormal([4, 2], 0, 0.3, "float32", 2));
    const table = tf.variable(tf.randomNormal([30, 4], 0, 0.3, "float32", 3));
    const x = tf.randomNormal([4, 6, 6, 3], 0, 1, "float32", 4) as tf.Tensor4D;
    const ids = tf.tensor2d(Array.from({ length: 12 }, () => rng.int(30)), [4, 3], "int32");
    const y = tf.oneHot(tf.tensor1d([0, 1, 1, 0], "int32"), 2);
    const opt = tf.train.momentum(0.05, 0.9, true);
    const loss = () =>
      tf.tidy(() => {
        const h = tf.mean(tf.relu(tf.conv2d(x, w1, 1, "same")), [1, 2]);
        const e = tf.sum(tf.gather(table, ids), 1);
        return tf.losses.softmaxCrossEntropy(y, tf.matMul(tf.add(h, e), w2)) as tf.Scalar;
      });
    const first = opt.minimize(loss, true)!;
    const l0 = first.dataSync()[0];
    first.dispose();
    const before = tf.memory().numTensors;
    let last = l0;
    for (let i = 0; i < 20; i++) {
      const l = opt.minimize(loss, true)!;
      last = l.dataSync()[0];
      l.dispose();
    }
    assert.equal(tf.memory().numTensors, before);
    assert.ok(last < l0, `loss should decrease: ${l0} -> ${last}`);
    opt.dispose();
    tf.dispose([w1, w2, table, x, ids, y]);
  } finally {
    restoreStockKernels("wasm");
  }
});

for (const mode of modes) {
  Deno.test(`${mode.label}: a weight updated by the optimizer is seen by the next conv and matmul`, async () => {
    await tf.setBackend("wasm");
    registerWasmKernels(mode.blas, mode.native);
    try {
      const x = tf.randomNormal([2, 6, 6, 4], 0, 1, "float32", 1) as tf.Tensor4D;
      const init = tf.randomNormal([3, 3, 4, 4], 0, 1, "float32", 2);
      const w = tf.variable(init);
      const m0 = tf.randomNormal([4, 3], 0, 1, "float32", 3);
      const m = tf.variable(m0);
      tf.dispose([init, m0]);
      // run once so that any kernel-side cache sees the old weights
      tf.dispose([
        tf.conv2d(x, w as tf.Variable<tf.Rank.R4>, 1, "same"),
        tf.matMul(tf.reshape(x, [72, 4]), m as tf.Variable<tf.Rank.R2>),
      ]);
      const gw = tf.onesLike(w), gm = tf.onesLike(m);
      sgd([w, m], { lr: 0.5 }).step({ [w.name]: gw, [m.name]: gm });
      const fresh = tf.tensor(w.dataSync(), w.shape), freshM = tf.tensor(m.dataSync(), m.shape);
      const a = tf.conv2d(x, w as tf.Variable<tf.Rank.R4>, 1, "same").dataSync();
      const b = tf.conv2d(x, fresh as tf.Tensor4D, 1, "same").dataSync();
      const c = tf.matMul(tf.reshape(x, [72, 4]), m as tf.Variable<tf.Rank.R2>).dataSync();
      const d = tf.matMul(tf.reshape(x, [72, 4]), freshM as tf.Tensor2D).dataSync();
      assert.deepEqual(Array.from(a), Array.from(b));
      assert.deepEqual(Array.from(c), Array.from(d));
      tf.dispose([x, w, m, gw, gm, fresh, freshM]);
    } finally {
      restoreStockKernels("wasm");
    }
  });
}

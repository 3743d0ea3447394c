import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { initBackend } from "../backend.ts";
import { createRng } from "../rng.ts";
import { dense, DENSE_GRAD_KERNEL, DENSE_KERNEL, type DenseActivation } from "./dense.ts";

await initBackend({ quiet: true });
const fused = tf.getKernel(DENSE_KERNEL, tf.getBackend()) !== undefined;

function bits(t: tf.Tensor): Uint32Array {
  return new Uint32Array(Float32Array.from(t.dataSync()).buffer);
}

function normal(shape: number[], seed: number): tf.Tensor {
  const rng = createRng(seed);
  const n = shape.reduce((s, v) => s * v, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.normal()), shape);
}

/** The unfused layer, as tfjs' ops compose it. */
function unfused(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D | null, act: DenseActivation): tf.Tensor {
  const z = b ? tf.add(tf.matMul(x, w), b) : tf.matMul(x, w);
  return act === "relu" ? tf.relu(z) : z;
}

Deno.test("dense() matches a hand-computed layer: x·W + b, then ReLU", () => {
  // x·W = [[1·1 + 2·0 + 3·(−1), 1·2 + 2·1 + 3·0], [−1·1 + 0 + 4·(−1), −2 + 0 + 0]] = [[−2, 4], [−5, −2]]
  const x = tf.tensor2d([[1, 2, 3], [-1, 0, 4]]), w = tf.tensor2d([[1, 2], [0, 1], [-1, 0]]);
  const b = tf.tensor1d([3, -1]);
  const lin = dense(x, w, b), relu = dense(x, w, b, "relu"), noBias = dense(x, w, null, "relu");
  assert.deepEqual([...lin.dataSync()], [1, 3, -2, -3]);
  assert.deepEqual([...relu.dataSync()], [1, 3, 0, 0]);
  assert.deepEqual([...noBias.dataSync()], [0, 4, 0, 0]);
  // L = Σ relu(xW + b)·g: dz = g·[[1, 1], [0, 0]], db = Σ rows dz, dW = xᵀ·dz, dx = dz·Wᵀ
  const g = tf.tensor2d([[5, 7], [11, 13]]);
  const grads = tf.grads((xi, wi, bi) =>
    tf.sum(tf.mul(dense(xi as tf.Tensor2D, wi as tf.Tensor2D, bi as tf.Tensor1D, "relu"), g))
  )([x, w, b]);
  assert.deepEqual([...grads[0].dataSync()], [5 + 14, 7, -5, 0, 0, 0]);
  assert.deepEqual([...grads[1].dataSync()], [5, 7, 10, 14, 15, 21]);
  assert.deepEqual([...grads[2].dataSync()], [5, 7]);
  tf.dispose([x, w, b, lin, relu, noBias, g, ...grads]);
});

Deno.test({
  name: "the fused dense kernels give the bits of matMul + add + relu, forward and every gradient",
  ignore: !fused,
  fn() {
    // ragged sizes (not multiples of the sgemm blocks) and the MLP bench's first layer
    for (const [rows, din, dout] of [[37, 53, 29], [256, 1024, 512], [5, 1, 3]]) {
      for (const act of ["relu", "linear"] as const) {
        for (const withBias of [true, false]) {
          const x = normal([rows, din], 1) as tf.Tensor2D, w = normal([din, dout], 2) as tf.Tensor2D;
          const b = withBias ? normal([dout], 3) as tf.Tensor1D : null;
          const g = normal([rows, dout], 4);
          const f = (layer: typeof dense) => (xi: tf.Tensor, wi: tf.Tensor, bi?: tf.Tensor) =>
            tf.sum(
              tf.mul(layer(xi as tf.Tensor2D, wi as tf.Tensor2D, (bi ?? null) as tf.Tensor1D | null, act), g),
            );
          const inputs = b ? [x, w, b] : [x, w];
          const got = [dense(x, w, b, act), ...tf.grads(f(dense))(inputs)];
          const want = [unfused(x, w, b, act), ...tf.grads(f(unfused as typeof dense))(inputs)];
          const label = `${rows}x${din}x${dout} ${act} bias=${withBias}`;
          const names = ["y", "dx", "dW", "db"];
          assert.equal(got.length, b ? 4 : 3);
          for (let i = 0; i < got.length; i++) {
            assert.deepEqual(bits(got[i]), bits(want[i]), `${label}: ${names[i]}`);
          }
          // and a ReLU layer really cuts: some outputs are zero, some not
          if (act === "relu") {
            const y = got[0].dataSync();
            assert.ok(y.some((v) => v === 0) && y.some((v) => v > 0), label);
          }
          tf.dispose([...inputs, g, ...got, ...want]);
        }
      }
    }
  },
});

Deno.test("a ReLU dense layer runs as the two fused kernels where registered, no Add, Relu or Sum", async () => {
  const x = normal([8, 6], 5) as tf.Tensor2D,
    w = normal([6, 4], 6) as tf.Tensor2D,
    b = normal([4], 7) as tf.Tensor1D;
  let out: tf.Tensor[] = [];
  const prof = await tf.profile(() => {
    out = tf.grads((wi, bi) => tf.sum(dense(x, wi as tf.Tensor2D, bi as tf.Tensor1D, "relu")))([w, b]);
  });
  const names = prof.kernels.map((k) => k.name);
  assert.equal(names.includes(DENSE_KERNEL), fused);
  assert.equal(names.includes(DENSE_GRAD_KERNEL), fused);
  for (const k of ["Add", "Relu"]) assert.equal(names.includes(k), !fused, k);
  // only the loss's own Sum is left (the bias gradient's is inside the fused backward)
  assert.equal(names.filter((k) => k === "Sum").length, fused ? 1 : 2);
  tf.dispose([x, w, b, ...out]);
});

Deno.test("second order through the fused layer: d/dW of <∂L/∂x, v> equals the unfused path's", () => {
  const x = normal([9, 7], 8) as tf.Tensor2D, w = normal([7, 5], 9) as tf.Tensor2D;
  const b = normal([5], 10) as tf.Tensor1D, g = normal([9, 5], 11), v = normal([9, 7], 12);
  const hvp = (f: typeof dense) =>
    tf.grad((wi: tf.Tensor) => {
      const dx = tf.grad((xi: tf.Tensor) =>
        tf.sum(tf.mul(f(xi as tf.Tensor2D, wi as tf.Tensor2D, b, "relu"), tf.mul(g, tf.sum(wi))))
      )(x);
      return tf.sum(tf.mul(dx, v));
    })(w);
  const got = hvp(dense).dataSync(), want = hvp(unfused as typeof dense).dataSync();
  assert.ok(want.some((z) => z !== 0), "a nonzero second-order term");
  for (let k = 0; k < got.length; k++) {
    assert.ok(
      Math.abs(got[k] - want[k]) <= 1e-4 * (1 + Math.abs(want[k])),
      `at ${k}: ${got[k]} vs ${want[k]}`,
    );
  }
  tf.dispose([x, w, b, g, v]);
});

Deno.test("dense() rejects an unknown activation and mismatched shapes, naming them", () => {
  const x = tf.zeros([2, 3]) as tf.Tensor2D, w = tf.zeros([4, 2]) as tf.Tensor2D;
  assert.throws(
    () => dense(x, tf.zeros([3, 2]) as tf.Tensor2D, null, "tanh" as DenseActivation),
    /activation 'tanh'/,
  );
  assert.throws(
    () => dense(x, w, null),
    fused ? /SigeoDense on shapes \[2,3\], \[4,2\]/ : /inner|3 and 4|shape/i,
  );
  tf.dispose([x, w]);
});

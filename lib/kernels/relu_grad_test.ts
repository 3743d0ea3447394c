import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { initBackend } from "../backend.ts";
import { RELU_GRAD_KERNEL, reluGrad } from "./wasm.ts";

await initBackend({ quiet: true });
const fused = tf.getKernel(RELU_GRAD_KERNEL, tf.getBackend()) !== undefined;

/** x with positives, negatives, ±0 and NaN; dy with negatives (dy·0 is −0 there) and an infinity. */
function inputs(n: number) {
  const x = new Float32Array(n), dy = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = [1.5, -2, 0, -0, NaN, 3e-39, -3e-39][i % 7];
    dy[i] = [-1.25, 2, -3, 4, 0.5, -6, Infinity][i % 5];
  }
  return { x: tf.tensor1d(x), dy: tf.tensor1d(dy) };
}

function bits(t: tf.Tensor): Uint32Array {
  return new Uint32Array(Float32Array.from(t.dataSync()).buffer);
}

Deno.test({
  name: "fused ReLU gradient gives the bits of tfjs' mul(dy, cast(step(x))) (NaN, −0, ∞, denormals)",
  ignore: !fused,
  fn() {
    // 70,001 elements: several blocks on every thread and a ragged end
    const { x, dy } = inputs(70_001);
    const got = reluGrad(dy, x), want = tf.mul(dy, tf.cast(tf.step(x), "float32"));
    assert.deepEqual(bits(got), bits(want));
    assert.deepEqual([...got.dataSync().slice(0, 7)], [-1.25, 0, -0, 0, NaN, -1.25, 0]);
    tf.dispose([x, dy, got, want]);
  },
});

Deno.test("tf.grad of relu uses the fused kernel where registered, and equals the mask by hand", async () => {
  const x = tf.tensor1d([2, -1, 0, 0.5]), w = tf.tensor1d([3, 5, 7, -11]);
  const g = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(tf.relu(xi), w)));
  let dx: tf.Tensor | null = null;
  const prof = await tf.profile(() => {
    dx = g(x);
  });
  const names = prof.kernels.map((k) => k.name);
  assert.equal(names.includes(RELU_GRAD_KERNEL), fused);
  assert.equal(names.includes("Step"), !fused);
  assert.deepEqual([...dx!.dataSync()], [3, 0, 0, -11]);
  tf.dispose([x, w, dx!]);
});

Deno.test("second order through the fused ReLU gradient: d/dw of <∂L/∂x, v> is relu'(x)·v", () => {
  // L = Σ relu(x)·w; ∂L/∂x = step(x)·w; <∂L/∂x, v> differentiated by w gives step(x)·v
  const x = tf.tensor1d([2, -1, 0, 0.5]), w = tf.tensor1d([3, 5, 7, -11]), v = tf.tensor1d([1, 2, 3, 4]);
  const inner = (wi: tf.Tensor) => {
    const dx = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(tf.relu(xi), wi)))(x);
    return tf.sum(tf.mul(dx, v));
  };
  const dw = tf.grad(inner)(w);
  assert.deepEqual([...dw.dataSync()], [1, 0, 0, 4]);
  tf.dispose([x, w, v, dw]);
});

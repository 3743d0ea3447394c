import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { batchNormTrain } from "./batch_norm.ts";
import { createRng } from "../rng.ts";

await tf.setBackend("cpu");

function reference(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.batchNorm(x, mean, variance, beta, gamma, 1e-5);
}

Deno.test("batchNormTrain() equals tf.batchNorm over tf.moments, values and all three gradients", () => {
  const rng = createRng(4);
  const rnd = (shape: number[]) =>
    tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.normal()), shape);
  const x = rnd([3, 4, 5, 6]), gamma = rnd([6]), beta = rnd([6]), r = rnd([3, 4, 5, 6]);
  const loss =
    (f: (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.Tensor) =>
    (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(f(a, b, c), r)) as tf.Scalar;
  const ours = tf.grads(loss((a, b, c) => batchNormTrain(a, b, c)))([x, gamma, beta]);
  const theirs = tf.grads(loss(reference))([x, gamma, beta]);
  const yo = batchNormTrain(x, gamma, beta).arraySync() as number[][][][];
  const yt = reference(x, gamma, beta).arraySync() as number[][][][];
  const flat = (t: tf.Tensor) => Array.from(t.dataSync());
  const close = (a: number[], b: number[], what: string) =>
    a.forEach((v, i) =>
      assert.ok(Math.abs(v - b[i]) < 1e-4 * (1 + Math.abs(b[i])), `${what}[${i}]: ${v} vs ${b[i]}`)
    );
  close(yo.flat(3), yt.flat(3), "y");
  ours.forEach((g, i) => close(flat(g), flat(theirs[i]), `grad ${i}`));
});

Deno.test("batchNormTrain() normalises each channel to mean 0 and variance 1 without affine parameters", () => {
  const x = tf.tensor4d([1, 10, 2, 20, 3, 30, 4, 40], [2, 2, 1, 2]);
  let stats: number[][] = [];
  const y = batchNormTrain(
    x,
    null,
    null,
    0,
    (m, v) => (stats = [Array.from(m.dataSync()), Array.from(v.dataSync())]),
  );
  assert.deepEqual(stats, [[2.5, 25], [1.25, 125]]);
  const v = Array.from(y.dataSync());
  const s = Math.sqrt(1.25);
  [-1.5 / s, -1.5 / s, -0.5 / s, -0.5 / s, 0.5 / s, 0.5 / s, 1.5 / s, 1.5 / s].forEach((w, i) =>
    assert.ok(Math.abs(v[i] - w) < 1e-5)
  );
});

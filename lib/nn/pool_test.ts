import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { initBackend } from "../backend.ts";
import { avgPool3x3 } from "./pool.ts";

await initBackend({ quiet: true });

/** float64 reference: mean over in-bounds cells, and dL/dx for L = Σ w·pool(x). */
function reference(x: number[], h: number, w: number, weights: number[]) {
  const inside = (i: number, j: number) => i >= 0 && i < h && j >= 0 && j < w;
  const out = new Array(h * w).fill(0), grad = new Array(h * w).fill(0);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const cells: number[] = [];
      for (let di = -1; di <= 1; di++) {
        for (let dj = -1; dj <= 1; dj++) if (inside(i + di, j + dj)) cells.push((i + di) * w + j + dj);
      }
      out[i * w + j] = cells.reduce((s, k) => s + x[k], 0) / cells.length;
      for (const k of cells) grad[k] += weights[i * w + j] / cells.length;
    }
  }
  return { out, grad };
}

Deno.test("avgPool3x3: padding excluded in the mean and in the gradient (tf.avgPool's gradient is not)", () => {
  const before = tf.memory().numTensors;
  const h = 3, w = 4;
  const xs = Array.from({ length: h * w }, (_, i) => ((i * 7) % 5) - 1.5);
  const ws = Array.from({ length: h * w }, (_, i) => i + 1);
  const ref = reference(xs, h, w, ws);
  const x = tf.tensor4d(xs, [1, h, w, 1]);
  const wt = tf.tensor4d(ws, [1, h, w, 1]);
  const y = avgPool3x3(x);
  const g = tf.grad((t) => tf.sum(tf.mul(avgPool3x3(t as tf.Tensor4D), wt)))(x);
  const stock = tf.grad((t) => tf.sum(tf.mul(tf.avgPool(t as tf.Tensor4D, 3, 1, "same"), wt)))(x);
  const close = (a: ArrayLike<number>, b: number[]) => b.every((v, i) => Math.abs(a[i] - v) < 1e-5);
  assert.ok(close(y.dataSync(), ref.out), `forward ${y.dataSync()} vs ${ref.out}`);
  assert.ok(close(g.dataSync(), ref.grad), `gradient ${g.dataSync()} vs ${ref.grad}`);
  // the corner input by hand: windows of (0,0) [4 cells], (0,1) [6], (1,0) [6], (1,1) [9]
  assert.ok(Math.abs(g.dataSync()[0] - (1 / 4 + 2 / 6 + 5 / 6 + 6 / 9)) < 1e-5);
  // documents the tfjs defect this module works around (if tfjs fixes it, this line says so)
  assert.ok(!close(stock.dataSync(), ref.grad), "tf.avgPool's 'same' gradient is now exact: pool.ts can go");
  tf.dispose([x, wt, y, g, stock]);
  assert.equal(tf.memory().numTensors, before);
});

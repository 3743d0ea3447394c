import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { initBackend } from "../backend.ts";
import { createRng } from "../rng.ts";
import { useLeanBackprop } from "./backprop.ts";
import { NasrecSupernet } from "../spaces/nasrec/supernet.ts";
import { toBatch } from "../nn/recsys_batch.ts";
import { recsysOptimizer, recsysStep } from "../train/recsys_fit.ts";

await initBackend({ quiet: true });

function bits(t: tf.Tensor): Uint32Array {
  return new Uint32Array(Float32Array.from(t.dataSync()).buffer);
}

/** `run` with tfjs' stock backward pass, then with the lean one (left on, as initBackend sets it). */
function bothWays<T>(run: () => T): [T, T] {
  useLeanBackprop(false);
  try {
    return [run(), (useLeanBackprop(true), run())];
  } finally {
    useLeanBackprop(true);
  }
}

Deno.test("lean backprop: a chain's saved tensors and gradients are freed as the pass goes", () => {
  // y = sin(…sin(x·w)…), 20 sins on 10,000 floats (40,000 bytes a tensor), a tidy per op as
  // NASRec's blocks have. A hook on x·w records the bytes alive when the backward pass reaches it
  // (the last node it visits): stock tfjs still holds every sin's saved input (20) and every
  // intermediate gradient (20 + the seed); the lean pass has freed all but the hook's own dy.
  const n = 10_000, depth = 20, bytes = 4 * n;
  const w = tf.variable(tf.fill([n], 0.5), true, "chain-w");
  const x = tf.tensor1d(Float32Array.from({ length: n }, (_, i) => Math.sin(i)));
  let alive = 0;
  const hook = tf.customGrad(
    ((t: tf.Tensor) => ({
      value: tf.clone(t),
      gradFunc: (dy: tf.Tensor) => {
        alive = tf.memory().numBytes;
        return [tf.clone(dy)];
      },
    })) as unknown as Parameters<typeof tf.customGrad>[0],
  );
  const loss = () => {
    let y: tf.Tensor = hook(tf.mul(x, w));
    for (let k = 0; k < depth; k++) y = tf.tidy(() => tf.sin(y));
    return tf.sum(y) as tf.Scalar;
  };
  const before = tf.memory().numTensors, base = tf.memory().numBytes;
  const [stock, lean] = bothWays(() => {
    const { value, grads } = tf.variableGrads(loss, [w]);
    const out = { grad: bits(grads[w.name]), alive: Math.round((alive - base) / bytes) };
    tf.dispose([value, grads[w.name]]);
    return out;
  });
  assert.deepEqual(lean.grad, stock.grad);
  assert.equal(tf.memory().numTensors, before);
  // exactly the 20 saved sin inputs and the 21 gradients (sum's and each sin's) fewer
  assert.equal(stock.alive - lean.alive, 2 * depth + 1, `stock ${stock.alive}, lean ${lean.alive} tensors`);
  assert.ok(lean.alive <= 4, `lean: ${lean.alive} tensors alive`);
  tf.dispose([w, x]);
});

Deno.test("lean backprop: NASRec-Full supernet step gives the stock bits and leaks nothing", async () => {
  const layout = { name: "toy", numDense: 3, tableSizes: [7, 11, 5] };
  const n = 16, rng = createRng(9);
  const rows = {
    n,
    numDense: 3,
    numSparse: 3,
    dense: Float32Array.from({ length: n * 3 }, () => rng.normal()),
    sparse: Int32Array.from({ length: n * 3 }, (_, i) => Math.floor(rng.next() * layout.tableSizes[i % 3])),
    labels: Float32Array.from({ length: n }, (_, i) => i % 3 === 0 ? 1 : 0),
  };
  const b = toBatch(rows);
  const results: { loss: number; gradNorm: number; params: Uint32Array[] }[] = [];
  for (const lean of [false, true]) {
    useLeanBackprop(lean);
    const sn = new NasrecSupernet({ space: "xlarge", layout, rng: createRng(4), numBlocks: 2 });
    const net = sn.path(sn.fullPath());
    const opt = recsysOptimizer(net.params());
    const before = tf.memory().numTensors;
    const r = await recsysStep(net, b, opt, { lr: 0.05 });
    assert.equal(tf.memory().numTensors, before);
    results.push({ ...r, params: sn.params().map((p) => bits(p.variable)) });
    sn.dispose();
  }
  useLeanBackprop(true);
  assert.ok(Number.isFinite(results[0].loss) && results[0].gradNorm > 0);
  assert.equal(results[1].loss, results[0].loss);
  assert.equal(results[1].gradNorm, results[0].gradNorm);
  results[0].params.forEach((p, i) => assert.deepEqual(results[1].params[i], p, `parameter ${i}`));
  tf.dispose([b.x.dense, b.x.sparse, b.y]);
});

Deno.test("lean backprop: second order (a gradient inside a gradient) and a caller's dy are left intact", () => {
  // d/dw Σ (∂/∂w Σ w³x)·v = 6·w·x·v; inner pass runs inside the outer tape (stock code path)
  const w = tf.variable(tf.tensor1d([0.5, -2, 3]), true, "second-w");
  const x = tf.tensor1d([1, 2, -1]), v = tf.tensor1d([2, 0.5, 1]);
  const [stock, lean] = bothWays(() => {
    const { value, grads } = tf.variableGrads(() => {
      const g = tf.variableGrads(() => tf.sum(tf.mul(tf.pow(w, 3), x)) as tf.Scalar, [w]).grads[w.name];
      return tf.sum(tf.mul(g, v)) as tf.Scalar;
    }, [w]);
    const out = [...grads[w.name].dataSync()];
    tf.dispose([value, grads[w.name]]);
    return out;
  });
  assert.deepEqual(lean, stock);
  assert.deepEqual(lean, [6 * 0.5 * 1 * 2, 6 * -2 * 2 * 0.5, 6 * 3 * -1 * 1]);
  // tf.grads with the caller's dy: d(sin x)/dx · dy, and dy still usable afterwards
  const dy = tf.tensor1d([1, 2, 3]);
  const [g] = tf.grads((a: tf.Tensor) => tf.sin(a))([x], dy);
  assert.deepEqual(
    [...g.dataSync()].map((t) => +t.toFixed(6)),
    [1, 2, 3].map((d, i) => +(d * Math.cos([1, 2, -1][i])).toFixed(6)),
  );
  assert.deepEqual([...dy.dataSync()], [1, 2, 3]);
  tf.dispose([w, x, v, dy, g]);
});

Deno.test("lean backprop: a gradient function returning its dy for two inputs keeps both", () => {
  // f(a, b) = a + b with a custom gradient handing the same dy object to both inputs
  const both = tf.customGrad(
    ((a: tf.Tensor, b: tf.Tensor) => ({
      value: tf.add(a, b),
      gradFunc: (dy: tf.Tensor) => [dy, dy],
    })) as unknown as Parameters<typeof tf.customGrad>[0],
  );
  const a = tf.variable(tf.tensor1d([1, 2]), true, "both-a"),
    b = tf.variable(tf.tensor1d([3, 4]), true, "both-b");
  const { value, grads } = tf.variableGrads(
    () => tf.sum(tf.mul(both(a, b), tf.tensor1d([5, 7]))) as tf.Scalar,
    [a, b],
  );
  assert.deepEqual([...grads[a.name].dataSync()], [5, 7]);
  assert.deepEqual([...grads[b.name].dataSync()], [5, 7]);
  tf.dispose([value, grads[a.name], grads[b.name], a, b]);
});

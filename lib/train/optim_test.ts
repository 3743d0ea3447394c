import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { initBackend } from "../backend.ts";
import { adagrad, adam, clipGradNorm, sgd } from "./optim.ts";
import { useDeviceRules } from "./inplace.ts";

await initBackend({ quiet: true });

/** Two steps of each optimizer on p = [1, -2] with gradients g1 = [0.5, 1], g2 = [-1, 2]. */
function run(make: (v: tf.Variable[]) => { step(g: Record<string, tf.Tensor>): void }): number[] {
  const init = tf.tensor1d([1, -2]);
  const v = tf.variable(init);
  init.dispose();
  const opt = make([v]);
  for (const g of [[0.5, 1], [-1, 2]]) {
    const t = tf.tensor1d(g);
    opt.step({ [v.name]: t });
    t.dispose();
  }
  const out = Array.from(v.dataSync());
  v.dispose();
  return out;
}

const close = (a: number[], b: number[]) =>
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) < 1e-6, `${a} vs ${b}`));

Deno.test("sgd() with Nesterov momentum follows PyTorch's rule (hand-computed)", () => {
  // lr 0.1, μ 0.9. step 1: buf=g1, d=g1+0.9·g1=1.9·g1 → p = p0 − 0.19·g1 = [0.905, −2.19]
  // step 2: buf=0.9·g1+g2=[−0.55, 2.9], d=g2+0.9·buf=[−1.495, 4.61] → p = [1.0545, −2.651]
  close(run((v) => sgd(v, { lr: 0.1, momentum: 0.9, nesterov: true })), [1.0545, -2.651]);
});

Deno.test("sgd() plain with weight decay (hand-computed)", () => {
  // step 1: d = g1 + 0.1·p0 = [0.6, 0.8] → p=[0.94, −2.08]; step 2: d = [−0.906, 1.792] → [1.0306, −2.2592]
  close(run((v) => sgd(v, { lr: 0.1, weightDecay: 0.1 })), [1.0306, -2.2592]);
});

Deno.test("adagrad() follows PyTorch's rule (hand-computed)", () => {
  // eps 0: step 1: acc=g1² → p −= 0.1·sign(g1) = [0.9, −2.1]
  // step 2: acc=[1.25, 5] → p −= 0.1·g2/√acc = [0.9+0.1/√1.25, −2.1−0.2/√5]
  close(run((v) => adagrad(v, { lr: 0.1, eps: 0 })), [
    0.9 + 0.1 / Math.sqrt(1.25),
    -2.1 - 0.2 / Math.sqrt(5),
  ]);
});

Deno.test("adam() matches a float64 transcription of PyTorch's Adam", () => {
  const p = [1, -2], m = [0, 0], s = [0, 0];
  const gs = [[0.5, 1], [-1, 2]];
  gs.forEach((g, t) => {
    for (let i = 0; i < 2; i++) {
      m[i] = 0.9 * m[i] + 0.1 * g[i];
      s[i] = 0.999 * s[i] + 0.001 * g[i] * g[i];
      p[i] -= 0.01 * (m[i] / (1 - 0.9 ** (t + 1))) / (Math.sqrt(s[i] / (1 - 0.999 ** (t + 1))) + 1e-8);
    }
  });
  close(run((v) => adam(v, { lr: 0.01 })), p);
});

Deno.test("updates never leak into a tensor that shares the variable's data", () => {
  const a = tf.variable(tf.tensor1d([1, 1]));
  const b = tf.variable(tf.tensor1d([5, 5]));
  b.assign(a); // b now shares a's data
  const g = tf.tensor1d([1, 1]);
  sgd([b], { lr: 1 }).step({ [b.name]: g });
  assert.deepEqual(Array.from(b.dataSync()), [0, 0]);
  assert.deepEqual(Array.from(a.dataSync()), [1, 1]);
  tf.dispose([a, b, g]);
});

Deno.test("clipGradNorm() scales to the max norm and returns the original norm", () => {
  const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([0, 4]) };
  assert.equal(clipGradNorm(grads, 10), 5);
  assert.deepEqual(Array.from(grads.a.dataSync()), [3, 0]);
  assert.equal(clipGradNorm(grads, 1), 5);
  const scaled = [...grads.a.dataSync(), ...grads.b.dataSync()];
  close(scaled, [3 / 5.000001, 0, 0, 4 / 5.000001]);
  tf.dispose(Object.values(grads));
});

Deno.test("device rules (tensor ops, used on WebGPU) equal the in-place host rules; state survives save/load", async () => {
  const grads = [[0.5, 1, -0.25], [-1, 2, 0.75], [0.1, -0.3, 0.2]];
  const make = [
    (v: tf.Variable[]) => sgd(v, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
    (v: tf.Variable[]) => adam(v, { lr: 0.01, weightDecay: 0.01 }),
    (v: tf.Variable[]) => adagrad(v, { lr: 0.1, eps: 1e-2, initialAccumulator: 0.1 }),
  ];
  for (const [k, mk] of make.entries()) {
    const runOnce = async (device: boolean) => {
      useDeviceRules(device);
      try {
        const tensors = tf.memory().numTensors;
        const init = tf.tensor1d([1, -2, 0.5]);
        const v = tf.variable(init);
        init.dispose();
        let opt = mk([v]);
        let saved: number[][] = [];
        for (const [i, g] of grads.entries()) {
          if (i === 2) {
            // checkpoint round trip in the middle: a fresh optimizer continues from the state
            const st = await opt.saveState();
            saved = Object.values(st.slots).flat().map((a) => Array.from(a));
            opt = mk([v]);
            opt.loadState(st);
          }
          const t = tf.tensor1d(g);
          opt.step({ [v.name]: t });
          t.dispose();
        }
        await opt.saveState(); // reads the device slots back and frees them
        const out = Array.from(v.dataSync());
        v.dispose();
        assert.equal(tf.memory().numTensors, tensors, `optimizer ${k}: leaked tensors (device ${device})`);
        return { out, saved };
      } finally {
        useDeviceRules(false);
      }
    };
    const host = await runOnce(false), device = await runOnce(true);
    host.out.forEach((h, i) =>
      assert.ok(Math.abs(h - device.out[i]) < 1e-6, `optimizer ${k}: ${host.out} vs ${device.out}`)
    );
    // the state saved from the device slots is the host rule's state
    assert.ok(host.saved.length > 0);
    assert.equal(device.saved.length, host.saved.length);
    host.saved.forEach((a, j) =>
      a.forEach((h, i) => assert.ok(Math.abs(h - device.saved[j][i]) < 1e-6, `optimizer ${k} slot ${j}`))
    );
  }
});

Deno.test("clipGradNorm() on device rules scales by min(1, max/(norm+1e-6)) without reading the norm", () => {
  useDeviceRules(true);
  try {
    const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([0, 4]) };
    assert.ok(Number.isNaN(clipGradNorm(grads, 1)));
    assert.deepEqual(Array.from(grads.a.dataSync()).map((x) => +x.toFixed(6)), [0.6, 0]);
    assert.deepEqual(Array.from(grads.b.dataSync()).map((x) => +x.toFixed(6)), [0, 0.8]);
    clipGradNorm(grads, 10); // no clipping due: values unchanged
    assert.deepEqual(Array.from(grads.b.dataSync()).map((x) => +x.toFixed(6)), [0, 0.8]);
    tf.dispose(Object.values(grads));
  } finally {
    useDeviceRules(false);
  }
});

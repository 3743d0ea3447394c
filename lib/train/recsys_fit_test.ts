import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { initBackend } from "../backend.ts";
import { createRng, type Rng } from "../rng.ts";
import type { DatasetLayout } from "../data/recsys_layouts.ts";
import { disposeBatch, type RecsysRows, toBatch } from "../nn/recsys_batch.ts";
import { NasrecSupernet, sampleWarmupArch, standalone } from "../spaces/nasrec/supernet.ts";
import type { NasrecArch } from "../spaces/nasrec/space.ts";
import { logLoss } from "./metrics.ts";
import { fitRecsys, recsysEvaluate, recsysOptimizer, recsysStep, sliceRows } from "./recsys_fit.ts";

await initBackend({ quiet: true });

const layout: DatasetLayout = { name: "planted", numDense: 3, tableSizes: [50, 30, 20, 10] };

/**
 * Planted signal: logit = 1.5·(w0[id0] + w1[id1]) + x0 + 1.5·w2[id2]·x1 − 1 with hidden per-id
 * weights w ~ N(0, 1); field 3 and x2 are noise. Labels ~ Bernoulli(σ(logit)).
 */
function planted(n: number, rng: Rng, w: Float64Array[]): RecsysRows {
  const F = 4, D = 3;
  const dense = new Float32Array(n * D), sparse = new Int32Array(n * F), labels = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < D; k++) dense[r * D + k] = rng.normal();
    for (let f = 0; f < F; f++) sparse[r * F + f] = rng.int(layout.tableSizes[f]);
    const z = 1.5 * (w[0][sparse[r * F]] + w[1][sparse[r * F + 1]]) + dense[r * D] +
      1.5 * w[2][sparse[r * F + 2]] * dense[r * D + 1] - 1;
    labels[r] = rng.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { n, numDense: D, numSparse: F, dense, sparse, labels };
}

const hidden = (() => {
  const r = createRng(99);
  return layout.tableSizes.map((s) => Float64Array.from({ length: s }, () => r.normal()));
})();
const train = planted(4096, createRng(1), hidden), val = planted(2000, createRng(2), hidden);
const constantLoss = (() => {
  let p = 0;
  for (const y of train.labels) p += y;
  p /= train.n;
  return logLoss(new Array(val.n).fill(Math.log(p / (1 - p))), val.labels);
})();

const small: NasrecArch = {
  space: "autoctr",
  blocks: [
    {
      macro: { denseIdx: [0], sparseIdx: [0], denseLeftIdx: [0], denseRightIdx: [0] },
      micro: {
        activeNodes: [1, 2],
        denseInDims: 128,
        sparseInDims: 32,
        denseSparseInteract: true,
        deepFm: false,
      },
    },
    {
      macro: { denseIdx: [0, 1], sparseIdx: [1], denseLeftIdx: [0], denseRightIdx: [0] },
      micro: {
        activeNodes: [0, 2],
        denseInDims: 64,
        sparseInDims: 16,
        denseSparseInteract: false,
        deepFm: true,
      },
    },
  ],
};

Deno.test("NASRec training on a planted signal beats the constant-CTR log loss; no tensor leaks", async () => {
  const net = standalone(small, layout, createRng(3));
  const n0 = tf.memory().numTensors;
  const r = await fitRecsys(net, train, { lr: 0.1, batchSize: 128, epochs: 3, shuffle: createRng(7) });
  assert.equal(tf.memory().numTensors, n0, "standalone training leaked tensors");
  assert.equal(r.steps, 96);
  const m = await recsysEvaluate(net, val);
  assert.ok(m.logloss < constantLoss - 0.15, `standalone ${m.logloss} vs constant ${constantLoss}`);
  assert.ok(m.auc > 0.85, `standalone AUC ${m.auc}`);
  assert.ok(r.losses[r.steps - 1] < r.losses[0]);
  net.dispose();

  // the supernet, with NASRec's full-path probability decaying over the run (as in a short warm-up)
  const sn = new NasrecSupernet({ space: "autoctr", layout, rng: createRng(4), numBlocks: 1 });
  const rng = createRng(8);
  const archs: NasrecArch[] = [];
  const n1 = tf.memory().numTensors;
  const rs = await fitRecsys(
    (step) => {
      const a = sampleWarmupArch("autoctr", rng, { step, supernetSteps: 64, numBlocks: 1 });
      archs.push(a);
      return sn.path(a);
    },
    train,
    { lr: 0.12, batchSize: 128, epochs: 2, shuffle: createRng(7), params: sn.params() },
  );
  assert.equal(tf.memory().numTensors, n1, "supernet training leaked tensors");
  assert.equal(archs.length, 64);
  assert.ok(archs.some((a) => a.blocks[0].micro.activeNodes.length === 2), "some steps sample a path");
  const full = await recsysEvaluate(sn.path(sn.fullPath()), val);
  assert.ok(full.logloss < constantLoss - 0.08, `supernet full path ${full.logloss} vs ${constantLoss}`);
  const mean = (a: Float64Array) => a.reduce((x, y) => x + y, 0) / a.length;
  assert.ok(mean(rs.losses.slice(-16)) < mean(rs.losses.slice(0, 16)), "supernet training loss decreases");
  sn.dispose();
});

Deno.test("recsysStep equals dense Adagrad with global clipping over every parameter, tables included (float64)", async () => {
  const net = standalone(small, layout, createRng(5));
  const rows = sliceRows(train, null, 0, 16);
  const b = toBatch(rows);
  const params = net.params();
  const before = new Map(params.map((p) => [p.name, Float64Array.from(p.variable.dataSync())]));
  // reference: dense gradients of every parameter (tables too: small here), clip to 0.5, Adagrad
  const { value, grads } = tf.variableGrads(
    () => net.loss(net.forward(b.x, { training: true }), b.y),
    params.map((p) => p.variable),
  );
  const g = new Map(
    params.map((
      p,
    ) => [
      p.name,
      Float64Array.from(grads[p.variable.name]?.dataSync() ?? new Float32Array(p.variable.size)),
    ]),
  );
  tf.dispose([value, ...Object.values(grads)]);
  let sq = 0;
  for (const v of g.values()) for (const x of v) sq += x * x;
  const norm = Math.sqrt(sq), coef = Math.min(1, 0.5 / (norm + 1e-6));
  assert.ok(coef < 0.5, `clipping must be active (norm ${norm})`);

  const opt = recsysOptimizer(params);
  const r = await recsysStep(net, b, opt, { lr: 0.05, clipNorm: 0.5 });
  assert.ok(Math.abs(r.gradNorm - norm) < 1e-4 * norm, `norm ${r.gradNorm} vs ${norm}`);
  let embChecked = 0;
  for (const p of params) {
    const w0 = before.get(p.name)!, gp = g.get(p.name)!, got = p.variable.dataSync();
    for (let i = 0; i < w0.length; i++) {
      const gi = gp[i] * coef;
      const want = w0[i] - (0.05 * gi) / (Math.abs(gi) + 1e-2); // first step: √acc = |g|
      assert.ok(Math.abs(got[i] - want) < 1e-6, `${p.name}[${i}]: ${got[i]} vs ${want}`);
      if (p.kind === "embedding" && gp[i] !== 0) embChecked++;
    }
  }
  assert.ok(embChecked > 16 * 4, `embedding entries updated: ${embChecked}`);
  disposeBatch(b);
  net.dispose();
});

Deno.test("recsysStep: frozen embeddings and a head-only variable list leave everything else unchanged", async () => {
  const net = standalone(small, layout, createRng(6));
  const b = toBatch(sliceRows(train, null, 0, 32));
  const snap = () => new Map(net.params().map((p) => [p.name, Float32Array.from(p.variable.dataSync())]));
  const same = (a: Float32Array, c: Float32Array) => a.every((x, i) => x === c[i]);
  const s0 = snap();
  const head = net.params().filter((p) => p.layer === "head");
  await recsysStep(net, b, recsysOptimizer(head), {
    lr: 0.1,
    trainEmbeddings: false,
    vars: head.map((p) => p.variable),
  });
  const s1 = snap();
  for (const p of net.params()) {
    assert.equal(same(s0.get(p.name)!, s1.get(p.name)!), p.layer !== "head", p.name);
  }
  assert.equal(net.embedding.activeStep, null);
  disposeBatch(b);
  net.dispose();
});

Deno.test("a training step's memory does not grow with table size (1 k vs 1 M rows: no dense table gradient)", async () => {
  const peaks: number[] = [];
  for (const rowsPerTable of [1000, 1_000_000]) {
    const lay: DatasetLayout = { name: "big", numDense: 3, tableSizes: [rowsPerTable, 30, 20, 10] };
    const net = standalone(small, lay, createRng(1));
    const opt = recsysOptimizer(net.params());
    const rng = createRng(2);
    const data: RecsysRows = {
      ...sliceRows(train, null, 0, 256),
      sparse: Int32Array.from({ length: 256 * 4 }, (_, i) => rng.int(lay.tableSizes[i % 4])),
    };
    const b = toBatch(data);
    await recsysStep(net, b, opt, { lr: 0.1 }); // warm up (accumulators, kernels)
    const start = tf.memory().numBytes;
    const info = await tf.profile(async () => {
      await recsysStep(net, b, opt, { lr: 0.1 });
    });
    peaks.push(info.peakBytes - start);
    disposeBatch(b);
    net.dispose();
  }
  const tableBytes = 1_000_000 * 16 * 4; // a dense gradient of the big table alone needs this much
  assert.ok(
    peaks[1] < tableBytes / 2,
    `peak ${peaks[1]} bytes with a 1M-row table (the table is ${tableBytes})`,
  );
  assert.ok(Math.abs(peaks[1] - peaks[0]) < 256 * 1024, `peaks ${peaks[0]} and ${peaks[1]} bytes`);
});

import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { initBackend } from "../../backend.ts";
import { createRng } from "../../rng.ts";
import { SparseEmbedding } from "../../nn/embedding.ts";
import { adagrad } from "../../train/optim.ts";
import { auc, logLoss } from "../../train/metrics.ts";
import { cosineWithWarmup } from "../../train/schedule.ts";
import { evaluateRecsys, recsysTrainStep } from "../../train/recsys_fit.ts";
import { readCriteo } from "../../data/criteo.ts";
import { writeCriteoFile } from "../../data/gen_recsys.ts";
import { batchesOf, positiveRate, takeRows } from "../../data/recsys.ts";
import { stratifiedSplit } from "../../data/recsys_split.ts";
import { nasrecStandalone, NasrecSupernet, recsysBatch } from "./model.ts";
import { sampleArch } from "./space.ts";

await initBackend({ quiet: true });

Deno.test("auc equals a brute-force pairwise count (ties ½); logLoss by hand", () => {
  const rng = createRng(3);
  for (let t = 0; t < 20; t++) {
    const n = 2 + rng.int(30);
    const s = Array.from({ length: n }, () => rng.int(5) / 4);
    const y = Array.from({ length: n }, () => rng.int(2));
    let num = 0, den = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (y[i] === 1 && y[j] === 0) {
          den++;
          num += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
        }
      }
    }
    const want = den ? num / den : NaN;
    const got = auc(s, y);
    assert.ok(Number.isNaN(want) ? Number.isNaN(got) : Math.abs(got - want) < 1e-12, `${got} vs ${want}`);
  }
  // logits 0 and ln 3 for labels 1, 0: (ln 2 + ln 4) / 2
  assert.ok(Math.abs(logLoss([0, Math.log(3)], [1, 0]) - (Math.log(2) + Math.log(4)) / 2) < 1e-12);
});

Deno.test("cosineWithWarmup: linear warm-up then cosine (hand values)", () => {
  const f = cosineWithWarmup({ lr: 0.1, totalSteps: 100, warmupFraction: 0.1, minLr: 0 });
  assert.equal(f(0), 0);
  assert.ok(Math.abs(f(5) - 0.05) < 1e-12);
  assert.ok(Math.abs(f(10) - 0.1) < 1e-12);
  assert.ok(Math.abs(f(55) - 0.05) < 1e-12);
  assert.ok(Math.abs(f(100)) < 1e-12);
});

Deno.test("sparse-row Adagrad equals dense Adagrad on the whole table (float64 by hand)", () => {
  const emb = new SparseEmbedding([5], createRng(1), 2);
  const before = Float64Array.from(emb.tables[0]);
  const sparse = Int32Array.from([3, 1, 3]); // rows 3, 1, 3 of one field
  const g = emb.gather(sparse, 3);
  assert.deepEqual(Array.from(g.ids), [3, 1]);
  assert.deepEqual(g.index.arraySync(), [[0], [1], [0]]);
  const grad = Float32Array.from([0.5, -1, 2, 0.25]);
  emb.adagradStep(g, grad, 0.1, 1e-2);
  emb.adagradStep(g, grad, 0.1, 1e-2);
  // dense: rows 0, 2, 4 get zero gradient and stay; row 3 ← grad[0..1], row 1 ← grad[2..3]
  const want = Float64Array.from(before);
  const acc = new Float64Array(10);
  for (let step = 0; step < 2; step++) {
    const full = new Float64Array(10);
    full.set([2, 0.25], 2);
    full.set([0.5, -1], 6);
    for (let i = 0; i < 10; i++) {
      acc[i] += full[i] ** 2;
      want[i] -= (0.1 * full[i]) / (Math.sqrt(acc[i]) + 1e-2);
    }
  }
  emb.tables[0].forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6, `element ${i}`));
  SparseEmbedding.release(g);
  assert.throws(() => emb.gather(Int32Array.from([7]), 1), /outside its table of 5 rows/);
});

Deno.test("NASRec-Small standalone and supernet path learn the planted signal: below constant-CTR log loss, no leaks", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeCriteoFile(`${dir}/train.txt`, { rows: 12000, seed: 5 });
    const { data } = await readCriteo(`${dir}/train.txt`, { maxRows: 2000 });
    const s = stratifiedSplit(data, 2018);
    const train = takeRows(data, s.train), val = takeRows(data, s.val);
    const p = positiveRate(train);
    const constant = logLoss(new Array(val.n).fill(Math.log(p / (1 - p))), val.labels);
    const stem = { numDense: 13, numSparse: 26 };
    const arch = sampleArch("autoctr", createRng(11), { numBlocks: 3 });
    const supernet = new NasrecSupernet("autoctr", stem, 3, createRng(2));
    for (
      const [name, net, dispose] of [
        ["standalone", nasrecStandalone(arch, stem, createRng(1)), true],
        ["supernet path", supernet.path(arch), false],
      ] as const
    ) {
      const emb = new SparseEmbedding(data.tableSizes, createRng(3));
      const vars = net.params().map((q) => q.variable);
      const opt = adagrad(vars, { lr: 0.05, eps: 1e-2 });
      const before = tf.memory().numTensors;
      for (let e = 0; e < 2; e++) {
        for (const rows of batchesOf(train, 128, { shuffle: createRng(e), dropLast: true })) {
          recsysTrainStep(net, emb, rows, opt, { lr: 0.05, clipNorm: 5 });
        }
      }
      assert.equal(tf.memory().numTensors, before, `${name}: leaked tensors`);
      const m = evaluateRecsys(net, emb, val);
      assert.ok(m.logloss < constant - 0.04, `${name}: ${m.logloss} vs constant ${constant}`);
      assert.ok(m.auc > 0.7, `${name}: AUC ${m.auc}`);
      if (dispose) (net as unknown as { dispose(): void }).dispose();
    }
    // a batch's tensors are all freed
    const emb = new SparseEmbedding(data.tableSizes, createRng(3));
    const n0 = tf.memory().numTensors;
    recsysBatch(emb, takeRows(val, [0, 1, 2])).dispose();
    assert.equal(tf.memory().numTensors, n0);
    supernet.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

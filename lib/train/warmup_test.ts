import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { initBackend } from "../backend.ts";
import { createRng } from "../rng.ts";
import { ParamStore } from "../nn/param.ts";
import { Linear } from "../nn/layers.ts";
import type { Batch, Net } from "../nn/net.ts";
import { adagrad, sgd } from "./optim.ts";
import { levelsForFractions, type WarmupLevel, warmupPerArch, warmupSupernet } from "./warmup.ts";

await initBackend({ quiet: true });

/** A two-path "supernet": a shared first layer and one of two heads, chosen per step. */
function toySupernet(seed: number) {
  const store = new ParamStore(createRng(seed));
  const body = new Linear(store, "body", 3, 4);
  const heads = [new Linear(store, "head0", 4, 1), new Linear(store, "head1", 4, 1)];
  const path = (k: number): Net => ({
    params: () => store.params().filter((p) => p.layer === "body" || p.layer === `head${k}`),
    forward: (x) => heads[k].apply(tf.relu(body.apply(x))),
    loss: (logits, y) => tf.losses.meanSquaredError(y, logits) as tf.Scalar,
  });
  return { store, path };
}

function batchAt(step: number): Batch {
  const r = createRng(99, step);
  const x = Array.from({ length: 8 * 3 }, () => r.normal());
  const y = Array.from({ length: 8 }, (_, i) => x[3 * i] - 0.5 * x[3 * i + 2]);
  return { x: tf.tensor2d(x, [8, 3]), y: tf.tensor2d(y, [8, 1]) };
}

function values(store: ParamStore): number[] {
  return store.params().flatMap((p) => Array.from(p.variable.dataSync()));
}

async function run(opts: { dir?: string; failAtStep?: number; failAtLevel?: string }) {
  const { store, path } = toySupernet(1);
  const optimizer = adagrad(store.params().map((p) => p.variable), { lr: 0.1, eps: 1e-2 });
  const seen: string[] = [];
  const levels: WarmupLevel[] = [{ label: "0%", step: 0 }, { label: "a", step: 7 }, { label: "b", step: 15 }];
  try {
    const r = await warmupSupernet({
      params: store.params(),
      netAt: (s) => path(createRng(5, s).int(2)),
      batchAt,
      optimizer,
      lr: (s) => 0.1 * (1 - s / 20),
      levels,
      checkpointDir: opts.dir,
      checkpointEvery: 3,
      onStep: (s) => {
        if (s === opts.failAtStep) throw new Error("killed");
      },
      onLevel: (l) => {
        if (l.label === opts.failAtLevel) throw new Error("killed");
        seen.push(`${l.label}:${values(store)[0].toFixed(6)}`);
      },
    });
    return { r, seen, values: values(store), store };
  } catch (e) {
    store.dispose();
    throw e;
  }
}

Deno.test("levelsForFractions: steps of each fraction of the train split", () => {
  assert.deepEqual(levelsForFractions([0.1, 0, 1], 1000, 64), [
    { label: "0%", step: 0 },
    { label: "10%", step: 1 },
    { label: "100%", step: 15 },
  ]);
  assert.throws(() => levelsForFractions([1.5], 10, 1), /\[0, 1\]/);
});

Deno.test("warmupSupernet: a run killed mid-segment or mid-level resumes with identical numbers", async () => {
  const before = tf.memory().numTensors;
  const ref = await run({});
  assert.equal(ref.r.steps, 15);
  assert.deepEqual(ref.seen.map((s) => s.split(":")[0]), ["0%", "a", "b"]);
  assert.ok(Number.isFinite(ref.r.meanLoss.a) && Number.isFinite(ref.r.meanLoss.b));
  ref.store.dispose();
  assert.equal(tf.memory().numTensors, before);

  for (const kill of [{ failAtStep: 10 }, { failAtLevel: "b" }, { failAtStep: 4 }]) {
    const dir = await Deno.makeTempDir();
    try {
      await assert.rejects(() => run({ dir, ...kill }), /killed/);
      const resumed = await run({ dir });
      assert.ok(resumed.r.resumedFrom > 0, JSON.stringify(kill));
      assert.deepEqual(resumed.values, ref.values, `resume after ${JSON.stringify(kill)}`);
      assert.deepEqual(resumed.r.meanLoss, ref.r.meanLoss);
      // levels scored before the kill are not called again
      assert.ok(!resumed.seen.some((s) => s.startsWith("0%:")));
      resumed.store.dispose();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("warmupPerArch: epochs of plain SGD over the samples in order (hand-checked)", async () => {
  // y = w·x + b with MSE; two samples, batch 1, lr 0.1, one epoch: two sequential steps.
  const store = new ParamStore(createRng(0));
  const fc = new Linear(store, "fc", 1, 1);
  fc.weight.assign(tf.tensor2d([[0.5]]));
  fc.bias!.assign(tf.tensor1d([0]));
  const net: Net = {
    params: () => store.params(),
    forward: (x) => fc.apply(x),
    loss: (p, y) => tf.losses.meanSquaredError(y, p) as tf.Scalar,
  };
  const x = tf.tensor2d([[1], [2]]), y = tf.tensor2d([[2], [1]]);
  const opt = sgd(store.params().map((p) => p.variable), { lr: 0.1 });
  const losses = await warmupPerArch(net, x, y, opt, { epochs: 1, batchSize: 1, lr: 0.1 });
  // step 1: pred 0.5, err −1.5, dL/dw = 2·(−1.5)·1 = −3, dL/db = −3 → w 0.8, b 0.3
  // step 2: pred 0.8·2+0.3 = 1.9, err 0.9, dL/dw = 2·0.9·2 = 3.6, dL/db = 1.8 → w 0.44, b 0.12
  assert.ok(Math.abs(fc.weight.dataSync()[0] - 0.44) < 1e-6);
  assert.ok(Math.abs(fc.bias!.dataSync()[0] - 0.12) < 1e-6);
  assert.ok(Math.abs(losses[0] - (2.25 + 0.81) / 2) < 1e-6);
  tf.dispose([x, y]);
  store.dispose();
});

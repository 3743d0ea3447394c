import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { runTheoryCheck, theoryCheckConfig } from "./run.ts";
import { generateMnist } from "../../data/mnist.ts";
import { sha256Hex } from "../../testing/sha256.ts";

Deno.test("runTheoryCheck: every level measured, deterministic, and training loss tracks the test loss", async () => {
  const cfg = {
    ...theoryCheckConfig("smoke"),
    widths: [2, 6, 24],
    levels: [0, 0.5, 1],
    trainN: 1280,
    testN: 300,
  };
  const before = tf.memory().numTensors;
  const a = await runTheoryCheck(cfg);
  assert.equal(tf.memory().numTensors, before);
  assert.equal(a.runs.length, 3);
  for (const r of a.runs) {
    assert.deepEqual(Object.keys(r.measures), ["0%", "50%", "100%"]);
    for (const m of Object.values(r.measures)) assert.ok([m.loss, m.fr, m.mag].every(Number.isFinite));
    assert.ok(r.testLoss > 0);
  }
  // no training before the 0 % probe: the loss there is the untrained network's (≈ log 10 region)
  assert.ok(a.runs.every((r) => r.measures["0%"].loss > r.measures["100%"].loss));
  assert.equal(a.table.length, 3 * 3);
  const b = await runTheoryCheck(cfg);
  assert.deepEqual(b.runs, a.runs);
  // checksums of the generated train and test images, as the manifest records them
  const train = generateMnist(1280, cfg.seed), test = generateMnist(300, cfg.seed + 1);
  assert.deepEqual(a.generated, [
    {
      path: `generated:mnist/train (seed ${cfg.seed})`,
      bytes: 1280 * 785,
      sha256: await sha256Hex(train.images, train.labels),
    },
    {
      path: `generated:mnist/test (seed ${cfg.seed + 1})`,
      bytes: 300 * 785,
      sha256: await sha256Hex(test.images, test.labels),
    },
  ]);
  assert.deepEqual(b.generated, a.generated);
});

import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { runTrainingCheck, trainingCheckConfig } from "./run.ts";
import { trainingCheckSummary } from "./report.ts";

Deno.test("runTrainingCheck() trains an NB201 net on generated CIFAR-10 files to clearly above chance, leaking nothing", async () => {
  const before = tf.memory().numTensors;
  const cfg = {
    ...trainingCheckConfig("smoke"),
    C: 4,
    N: 1,
    trainN: 640,
    testN: 200,
    epochs: 2,
    batchSize: 32,
  };
  const lines: string[] = [];
  const r = await runTrainingCheck(cfg, (l) => lines.push(l));
  assert.equal(r.epochLoss.length, 2);
  assert.ok(r.epochLoss[1] < r.epochLoss[0], `loss should fall: ${r.epochLoss}`);
  assert.ok(r.testAccuracy[1] > 0.4, `test accuracy ${r.testAccuracy[1]} (chance 0.1)`);
  assert.match(lines[0], /^backend: /);
  assert.equal(lines.filter((l) => l.startsWith("epoch ")).length, 2);
  assert.equal(tf.memory().numTensors, before);
  const summary = trainingCheckSummary(r);
  assert.match(
    summary,
    /^done in \d+\.\d s; \d+ training samples\/s; final test accuracy \d+\.\d% \(chance 10%\)$/,
  );
  assert.ok(summary.includes(`${(100 * r.testAccuracy[1]).toFixed(1)}%`));
});

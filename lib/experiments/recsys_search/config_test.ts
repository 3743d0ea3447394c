import assert from "node:assert/strict";
import { recsysSearchConfig } from "./run.ts";
import { recsysPhaseSeconds } from "./config.ts";

Deno.test("recsysSearchConfig: the scale's settings with the dataset's λ, batch size, rows and steps and the space's final rate", () => {
  const paper = recsysSearchConfig("paper", "kdd2012", "xlarge");
  assert.deepEqual(
    [paper.rows, paper.batchSize, paper.fullPathSteps, paper.finalLr, paper.sigeoLambdas, paper.warmup],
    [149_639_105, 1024, 20_000, 0.16, [1, 1, 1], 0.01],
  );
  assert.deepEqual([paper.finalBatchSize, paper.candidateLr, paper.oneShot.valRows], [512, 0.12, 175 * 8192]);
  // NASRec's README: NASRec-Full on Avazu retrains at 0.2; NASRec's one-shot validates on 125 batches there
  const avazu = recsysSearchConfig("paper", "avazu", "xlarge");
  assert.deepEqual([avazu.finalLr, avazu.finalBatchSize, avazu.oneShot.valRows], [0.2, 256, 125 * 8192]);
  // small: the paper's protocol on 100 training batches per epoch; NASRec's full-path decay scaled
  // to the rows (15 000 · 64 000 / 45 840 617 = 20.9 steps)
  const small = recsysSearchConfig("small", "criteo", "autoctr");
  assert.deepEqual(
    [small.rows, small.batchSize, small.fullPathSteps, small.finalLr, small.sigeoLambdas, small.maxRows],
    [64_000, 512, 21, 0.1, [1, 1, 0], 500_000],
  );
  assert.deepEqual([small.warmup, small.numBlocks, small.lr, small.finalBatchSize], [0.01, 7, 0.12, 256]);
  // KDD at its own 1024: 100 batches = 128 000 rows; the full-path decay keeps NASRec's fraction of
  // the epoch, 20 000 of 149 639 105 · 0.8 / 1024 = 116 905 steps → 17.1 of 100
  const kdd = recsysSearchConfig("small", "kdd2012", "autoctr");
  assert.deepEqual([kdd.rows, kdd.batchSize, kdd.fullPathSteps, kdd.finalBatchSize], [
    128_000,
    1024,
    17,
    512,
  ]);
  // NASRec-Full's KDD capped at 512 (its supernet at 1024 exceeds the WASM heap): 64 000 rows
  const kddFull = recsysSearchConfig("small", "kdd2012", "xlarge");
  assert.deepEqual([kddFull.rows, kddFull.batchSize, kddFull.fullPathSteps], [64_000, 512, 17]);
  // paper keeps NASRec's 1024
  assert.equal(recsysSearchConfig("paper", "kdd2012", "autoctr").batchSize, 1024);
  const smoke = recsysSearchConfig("smoke", "avazu", "autoctr");
  assert.deepEqual([smoke.rows, smoke.batchSize, smoke.fullPathSteps, smoke.maxRows], [5_000, 64, 20, 2_000]);
  // the key order a finished run's result.json was written with
  assert.deepEqual(Object.keys(smoke), [
    "dataset",
    "space",
    "maxRows",
    "lr",
    "finalLr",
    "candidateLr",
    "finalBatchSize",
    "seed",
    "scoreBatches",
    "sigeoLambdas",
    "rows",
    "numBlocks",
    "warmup",
    "oneShotEpochs",
    "batchSize",
    "fullPathSteps",
    "checkpointEvery",
    "evolution",
    "oneShot",
    "topK",
    "finalEpochs",
  ]);
  // a fresh copy: changing one run's settings leaves the next one's alone
  smoke.evolution.population = 99;
  assert.equal(recsysSearchConfig("smoke", "avazu", "autoctr").evolution.population, 4);
  assert.throws(
    () => recsysSearchConfig("smoke", "movielens" as "criteo"),
    /Unknown recommender dataset 'movielens'/,
  );
});

Deno.test("recsysPhaseSeconds: NASRec-Full uses its own measured costs; KDD's batch of 1024 doubles per-batch costs", () => {
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} vs ${b}`);
  // Criteo × NASRec-Full at small: 100 steps of 512 (51 200 train rows, 6 400 val), 28 evaluations
  const full = recsysPhaseSeconds(recsysSearchConfig("small", "criteo", "xlarge"));
  assert.deepEqual([full.epochBatches, full.levelStep, full.evaluations], [100, 1, 28]);
  close(full.phases.warmup, 100 * 9.4);
  close(full.phases.search_zico, 28 * 4.1);
  close(full.phases.search_one_shot, 28 * (10 * 0.6 + 4096 * 0.0013));
  // 4 methods × (1 candidate on train + train + val) rows trained, (1 + 1) × val rows evaluated
  close(full.phases.final, 4 * ((51_200 + 51_200 + 6_400) * 0.0011 + 2 * 6_400 * 0.00048));
  // KDD × NASRec-Small: batches of 1024 cost twice NASRec-Small's 512 figures
  const kdd = recsysPhaseSeconds(recsysSearchConfig("small", "kdd2012", "autoctr"));
  close(kdd.phases.warmup, 100 * 3.8 * 2);
  close(kdd.phases.search_sigeo, 28 * 1.8 * 2);
});

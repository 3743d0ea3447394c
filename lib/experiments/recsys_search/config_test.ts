import assert from "node:assert/strict";
import { recsysSearchConfig } from "./run.ts";

Deno.test("recsysSearchConfig: the scale's settings with the dataset's λ, batch size, rows and steps and the space's final rate", () => {
  const paper = recsysSearchConfig("paper", "kdd2012", "xlarge");
  assert.deepEqual(
    [paper.rows, paper.batchSize, paper.fullPathSteps, paper.finalLr, paper.sigeoLambdas, paper.warmup],
    [149_639_105, 1024, 20_000, 0.16, [1, 1, 1], 0.01],
  );
  const small = recsysSearchConfig("small", "criteo", "autoctr");
  assert.deepEqual(
    [small.rows, small.batchSize, small.fullPathSteps, small.finalLr, small.sigeoLambdas, small.maxRows],
    [100_000, 512, 50, 0.1, [1, 1, 0], 500_000],
  );
  const smoke = recsysSearchConfig("smoke", "avazu", "autoctr");
  assert.deepEqual([smoke.rows, smoke.batchSize, smoke.fullPathSteps, smoke.maxRows], [5_000, 64, 20, 2_000]);
  // the key order a finished run's result.json was written with
  assert.deepEqual(Object.keys(smoke), [
    "dataset",
    "space",
    "maxRows",
    "lr",
    "finalLr",
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

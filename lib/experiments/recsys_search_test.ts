import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { recsysSearchConfig, runRecsysSearch } from "./recsys_search.ts";
import { History } from "../search/history.ts";

const tiny = {
  ...recsysSearchConfig("smoke"),
  rows: 2000,
  numBlocks: 2,
  batchSize: 64,
  fullPathSteps: 10,
  evolution: { population: 3, sample: 2, children: 2, generations: 2 },
  oneShot: { finetuneSteps: 2, valRows: 200 },
  topK: 1,
  finalEpochs: 1,
};

Deno.test("runRecsysSearch: warm-up → four searches → final training end to end; a rerun replays every history", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const before = tf.memory().numTensors;
    const a = await runRecsysSearch(tiny, { dir });
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(a.methods.map((m) => m.method), ["zico", "sigeo", "one-shot", "random"]);
    for (const m of a.methods) {
      assert.equal(m.evaluations, 7, m.method);
      assert.ok(Number.isFinite(m.test_logloss) && m.test_logloss > 0, m.method);
      assert.ok(m.test_auc > 0 && m.test_auc < 1, m.method);
    }
    assert.equal(a.methods[1].warmup, "20%");
    // The same seed reproduces the searches exactly: the rerun finds every candidate in its history.
    const h1 = await History.open(`${dir}/history-sigeo.jsonl`);
    await Deno.remove(`${dir}/history-sigeo.jsonl`);
    const b = await runRecsysSearch(tiny, { dir });
    const h2 = await History.open(`${dir}/history-sigeo.jsonl`);
    assert.deepEqual(h2.records.map((r) => [r.key, r.score]), h1.records.map((r) => [r.key, r.score]));
    assert.deepEqual(b.methods.map((m) => m.test_logloss), a.methods.map((m) => m.test_logloss));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

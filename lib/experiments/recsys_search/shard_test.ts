/**
 * `--shard` of the recommender search: two shard processes running at once, joined as `deno task
 * merge` joins them, give the one-process run's four searches and results, bit for bit.
 */
import assert from "node:assert/strict";
import { runRecsysSearch } from "./run.ts";
import { tinyRecsysConfig } from "./testing/tiny.ts";
import { joinSearchShards } from "../search_shard.ts";
import { startShardChildren } from "../pipelines/testing/shard_children.ts";
import { readJsonl } from "../../io.ts";
import { History } from "../../search/history.ts";
import type { FinalRecord } from "../pipelines/final_log.ts";

const CHILD = new URL("./testing/tiny.ts", import.meta.url).pathname;
const METHODS = ["zico", "sigeo", "one-shot", "random"];

Deno.test("recsys-search: shards 0/2 and 1/2 at once, then merged = the one-process searches and results", async () => {
  const root = await Deno.makeTempDir();
  try {
    const { dirs, done } = startShardChildren(CHILD, root);
    const one = await runRecsysSearch(tinyRecsysConfig(), { dir: `${root}/one` });
    await done();
    // the proxy searches' 7 candidates each: shard i scored positions p ≡ i (mod 2)
    for (const [i, d] of dirs.entries()) {
      for (const m of ["zico", "sigeo", "one-shot"]) {
        const own = await readJsonl<{ position: number }>(`${d}/criteo-autoctr/shard-${m}.jsonl`);
        assert.deepEqual(own.map((r) => r.position), [0, 2, 4, 6].map((p) => p + i).filter((p) => p < 7), m);
      }
      // the final stage's 4 × 2 candidate trainings, numbered over the methods, split j mod 2
      const fin = await readJsonl<FinalRecord>(`${d}/criteo-autoctr/final.jsonl`);
      assert.deepEqual(fin.map((r) => `${r.method}:${r.i}`), METHODS.map((m) => `${m}:${i}`));
    }
    const sub = "criteo-autoctr";
    await joinSearchShards(dirs, sub, `${root}/merged/${sub}`);
    const merged = await runRecsysSearch(tinyRecsysConfig(), { dir: `${root}/merged/${sub}` });
    for (const m of METHODS) {
      const key = (f: string) => History.open(f).then((h) => h.records.map((r) => [r.key, r.score]));
      assert.deepEqual(
        await key(`${root}/merged/${sub}/history-${m}.jsonl`),
        await key(`${root}/one/history-${m}.jsonl`),
      );
    }
    const pick = (r: typeof one) =>
      r.methods.map(({ method, evaluations, best, params, mflops, val_logloss, test_logloss, test_auc }) => ({
        method,
        evaluations,
        best,
        params,
        mflops,
        val_logloss,
        test_logloss,
        test_auc,
      }));
    assert.deepEqual(pick(merged), pick(one));
    assert.equal(merged.constantLogloss, one.constantLogloss);
    // the merge trained only the four retrainings
    const fin = await readJsonl<FinalRecord>(`${root}/merged/${sub}/final.jsonl`);
    assert.equal(fin.filter((r) => r.stage === "candidate").length, 8);
    assert.deepEqual(fin.slice(8).map((r) => `${r.method}:${r.stage}`), METHODS.map((m) => `${m}:retrain`));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

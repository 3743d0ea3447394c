/**
 * `--shard` of the NB201 search: two shard processes running at once, joined as `deno task merge`
 * joins them, give the one-process run's search and result, bit for bit.
 */
import assert from "node:assert/strict";
import { runNb201Search } from "./run.ts";
import { tinyNb201SearchConfig } from "./testing/tiny.ts";
import { joinSearchShards } from "../search_shard.ts";
import { startShardChildren } from "../pipelines/testing/shard_children.ts";
import { readJsonl } from "../../io.ts";
import type { FinalRecord } from "../pipelines/final_log.ts";

const CHILD = new URL("./testing/tiny.ts", import.meta.url).pathname;

Deno.test("nb201-search: shards 0/2 and 1/2 at once, then merged = the one-process search and result", async () => {
  const root = await Deno.makeTempDir();
  try {
    const { dirs, done } = startShardChildren(CHILD, root);
    const one = await runNb201Search(tinyNb201SearchConfig(), { dir: `${root}/one` });
    await done();
    // each shard scored its half of the stream (positions p ≡ i mod 2) and trained its top-k part
    for (const [i, d] of dirs.entries()) {
      const own = await readJsonl<{ position: number }>(`${d}/shard-evaluations.jsonl`);
      assert.deepEqual(
        own.map((r) => r.position),
        [0, 2, 4, 6, 8, 10].map((p) => p + i).filter((p) => p < 11),
      );
      const fin = await readJsonl<FinalRecord>(`${d}/final.jsonl`);
      assert.deepEqual(
        fin.map((r) => `${r.stage}${r.i}`),
        i === 0 ? ["candidate0", "candidate2"] : ["candidate1"],
      );
    }
    await joinSearchShards(dirs, "", `${root}/merged`);
    const merged = await runNb201Search(tinyNb201SearchConfig(), { dir: `${root}/merged` });
    assert.equal(merged.history.evaluated, 0, "the merge scores nothing");
    const strip = (r: typeof one) =>
      r.history.history.records.map(({ key, score, terms, generation }) => ({
        key,
        score,
        terms,
        generation,
      }));
    assert.equal(one.history.history.records.length, 11);
    assert.deepEqual(strip(merged), strip(one));
    assert.equal(merged.best, one.best);
    assert.equal(merged.valAccuracy, one.valAccuracy);
    assert.equal(merged.testAccuracy, one.testAccuracy);
    // the candidates' trainings came from the shards: only the winner's retraining is the merge's
    const fin = await readJsonl<FinalRecord>(`${root}/merged/final.jsonl`);
    assert.deepEqual(fin.map((r) => `${r.stage}${r.i}`), [
      "candidate0",
      "candidate2",
      "candidate1",
      "retrain0",
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

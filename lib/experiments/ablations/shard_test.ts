/**
 * `--shard` of the recommender ablation: two shards joined as `deno task merge` joins them give the
 * one-process table, bit for bit (the CV ablations are per-arch studies: see nb201_per_arch_test).
 */
import assert from "node:assert/strict";
import { runRecsysAblations } from "./recsys.ts";
import { tinyRecsysAblations } from "./testing/tiny.ts";
import { readJsonl } from "../../io.ts";
import { concatFile, type ShardInfo } from "../merge.ts";
import { copyTree } from "../search_shard.ts";

Deno.test("runRecsysAblations: shards 0/2 and 1/2 joined = the one-process table, nothing recomputed", async () => {
  const root = await Deno.makeTempDir();
  try {
    const cfg = tinyRecsysAblations();
    const one = await runRecsysAblations(cfg, { dir: `${root}/one` });
    const dirs = [0, 1].map((i) => `${root}/s${i}`);
    for (const [index, dir] of dirs.entries()) {
      const r = await runRecsysAblations(cfg, { dir, shard: { index, count: 2 } });
      assert.equal(r.truth.size, 2, "each shard trains its 2 of the 4 architectures");
    }
    const shards = dirs.map((dir) => ({ dir }) as ShardInfo).reverse(); // out of order on purpose
    for (const f of ["truth.jsonl", "scores.jsonl"]) await concatFile(f, shards, `${root}/m/${f}`);
    await copyTree(`${dirs[0]}/checkpoints`, `${root}/m/checkpoints`);
    const merged = await runRecsysAblations(cfg, { dir: `${root}/m` });
    const untimed = (t: typeof one.table) => t.map(({ seconds: _s, ...r }) => r);
    assert.ok(one.table.length >= 12);
    assert.deepEqual(untimed(merged.table), untimed(one.table));
    assert.deepEqual([...merged.truth].sort(), [...one.truth].sort());
    // the merge scored nothing: its scores file is the two shards' rows
    const rows = await readJsonl(`${root}/m/scores.jsonl`);
    assert.equal(rows.length, 4 * 2 * 3);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

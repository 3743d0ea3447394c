/**
 * `--shard` of the quickstart through the registry entry and `mergeShards` (what `deno task merge`
 * runs): two shards merged write the one-process run's tables.
 */
import assert from "node:assert/strict";
import { quickstart } from "./experiment.ts";
import { mergeShards } from "../merge.ts";
import type { Cell } from "../../report/table.ts";

/** A table without its timing columns (`seconds`, `seconds_per_arch`: each run's own). */
const untimed = (rows: Record<string, Cell>[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !/seconds/.test(k))));

/**
 * Four quickstart runs (~4 min on 2 cores): a long check, run with `SIGEO_LONG_TESTS=1`. CI covers
 * the same split through `nb201_per_arch_test.ts` (part 2's study) and the ablations' shard test
 * (a registry entry's shard + merge).
 */
Deno.test({
  name: "quickstart: shards 0/2 and 1/2 merged write the one-process run's tables",
  ignore: Deno.env.get("SIGEO_LONG_TESTS") !== "1",
}, async () => {
  const root = await Deno.makeTempDir();
  try {
    const ctx = { scale: "smoke" as const, resultsRoot: root };
    const parts = [];
    for (const index of [1, 0]) {
      const out = await quickstart.run({
        ...ctx,
        runId: `q-shard-${index}-of-2`,
        shard: { index, count: 2 },
      });
      assert.deepEqual(out.tables, {}, "a shard writes no tables");
      parts.push(out.dir);
    }
    const merged = await mergeShards(parts, { resultsRoot: root, runId: "q", experiments: { quickstart } });
    const one = await quickstart.run({ ...ctx, runId: "one" });
    assert.deepEqual(Object.keys(merged.tables), ["scores", "correlation"]);
    assert.deepEqual(untimed(merged.tables.correlation), untimed(one.tables.correlation));
    assert.deepEqual(untimed(merged.tables.scores), untimed(one.tables.scores));
    assert.ok(one.tables.correlation.length > 0 && one.tables.scores.length === 10);
    const from = JSON.parse(await Deno.readTextFile(`${merged.dir}/merged_from.json`));
    assert.deepEqual(from.shards.map((s: { shard: string }) => s.shard), ["0/2", "1/2"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

/**
 * `--shard` of the theory check: shards 0/2 and 1/2 joined as `deno task merge` joins them give the
 * one-process run's runs, correlations and tables, bit for bit, with nothing retrained; and the
 * same through the registry entry and `mergeShards` (what `deno task merge` runs).
 */
import assert from "node:assert/strict";
import { runTheoryCheck, theoryCheckConfig, theoryRuns } from "./run.ts";
import { theoryCheckReport } from "./report.ts";
import { theoryCheck } from "./experiment.ts";
import { appendJsonl, readJsonl } from "../../io.ts";
import { concatFile, mergeShards, type ShardInfo } from "../merge.ts";

/** Six runs (3 widths × 2 repeats) on 10 batches of generated digits. */
const tiny = () => ({
  ...theoryCheckConfig("smoke"),
  widths: [2, 6, 24],
  repeats: 2,
  levels: [0, 0.5, 1],
  trainN: 1280,
  testN: 300,
});

Deno.test("runTheoryCheck: shards 0/2 and 1/2 joined = the one-process run, nothing retrained", async () => {
  const root = await Deno.makeTempDir();
  try {
    const cfg = tiny();
    await Deno.mkdir(`${root}/one`);
    const one = await runTheoryCheck(cfg, { dir: `${root}/one` });
    assert.deepEqual(one.runs.map((r) => r.run), ["h2-r0", "h6-r0", "h24-r0", "h2-r1", "h6-r1", "h24-r1"]);
    assert.equal(one.table.length, 3 * 3);
    const dirs = [0, 1].map((i) => `${root}/s${i}`);
    for (const [index, dir] of dirs.entries()) {
      await Deno.mkdir(dir);
      const r = await runTheoryCheck(cfg, { dir, shard: { index, count: 2 } });
      // run k goes to shard k mod 2: 0, 2, 4 and 1, 3, 5 of the list above
      assert.deepEqual(
        r.runs.map((x) => x.run),
        theoryRuns(cfg).filter((_, k) => k % 2 === index).map((x) => x.run),
      );
      assert.deepEqual(r.table, [], "a shard computes no correlations");
      assert.deepEqual(r.runs, one.runs.filter((_, k) => k % 2 === index));
    }
    const shards = dirs.map((dir) => ({ dir }) as ShardInfo).reverse(); // out of order on purpose
    await concatFile("runs.jsonl", shards, `${root}/m/runs.jsonl`);
    const merged = await runTheoryCheck(cfg, { dir: `${root}/m` });
    assert.deepEqual(merged.runs, one.runs);
    assert.deepEqual(merged.table, one.table);
    assert.deepEqual(theoryCheckReport(merged, "smoke").tables, theoryCheckReport(one, "smoke").tables);
    // the merge trained nothing: its history is the shards' six rows, shard 1's first
    const rows = await readJsonl<{ run: string }>(`${root}/m/runs.jsonl`);
    assert.deepEqual(rows.map((r) => r.run), ["h6-r0", "h2-r1", "h24-r1", "h2-r0", "h24-r0", "h6-r1"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("runTheoryCheck: a history row that is not a run of the config is refused, naming the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await appendJsonl(`${dir}/runs.jsonl`, [{
      run: "h3-r0",
      width: 3,
      repeat: 0,
      measures: {},
      testLoss: 1,
    }]);
    await assert.rejects(
      () => runTheoryCheck(tiny(), { dir }),
      new RegExp(
        `^Error: ${dir}/runs\\.jsonl holds run 'h3-r0' \\(width 3, repeat 0\\), not a run of this config$`,
      ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Two smoke shards, the merge and the one-process run through the registry (13 s on 2 cores). */
Deno.test("theory-check: shards 0/2 and 1/2 merged write the one-process run's tables and CSV files", async () => {
  const root = await Deno.makeTempDir();
  try {
    const ctx = { scale: "smoke" as const, resultsRoot: root };
    const parts = [];
    for (const index of [1, 0]) {
      const out = await theoryCheck.run({
        ...ctx,
        runId: `t-shard-${index}-of-2`,
        shard: { index, count: 2 },
      });
      assert.deepEqual(out.tables, {}, "a shard writes no tables");
      parts.push(out.dir);
    }
    const merged = await mergeShards(parts, {
      resultsRoot: root,
      runId: "t",
      experiments: { "theory-check": theoryCheck },
    });
    const one = await theoryCheck.run({ ...ctx, runId: "one" });
    assert.deepEqual(Object.keys(merged.tables), ["correlation", "vs_paper", "runs"]);
    assert.deepEqual(merged.tables, one.tables);
    assert.equal(one.tables.runs.length, 25 * 7);
    for (const t of ["correlation", "vs_paper", "runs"]) {
      assert.equal(
        await Deno.readTextFile(`${merged.dir}/${t}.csv`),
        await Deno.readTextFile(`${one.dir}/${t}.csv`),
        `${t}.csv`,
      );
    }
    const from = JSON.parse(await Deno.readTextFile(`${merged.dir}/merged_from.json`));
    assert.deepEqual(from.shards.map((s: { shard: string }) => s.shard), ["0/2", "1/2"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

import assert from "node:assert/strict";
import { EXPERIMENTS } from "./registry.ts";
import { lastRunSeconds, planFromRuns } from "./plan.ts";

Deno.test("--plan: every experiment of the registry has one; it resolves the config, estimates each phase and creates no run folder", async () => {
  const results = await Deno.makeTempDir();
  try {
    for (const e of Object.values(EXPERIMENTS)) {
      assert.ok(e.plan, `${e.name} has no plan`);
      const p = await e.plan({ scale: "smoke", resultsRoot: results });
      assert.equal(p.experiment, e.name);
      assert.equal(p.scale, "smoke");
      assert.ok(Object.keys(p.config).length > 0, e.name);
      const phases = Object.values(p.estimate.phases);
      assert.ok(phases.length > 0 && phases.every((s) => s >= 0), `${e.name}: ${JSON.stringify(p.estimate)}`);
      assert.equal(p.estimate.total, phases.reduce((a, b) => a + b, 0), e.name);
      assert.ok(p.estimate.basis.length > 0, e.name);
      // the same object through JSON (what `--plan --json` prints)
      assert.deepEqual(JSON.parse(JSON.stringify(p)).experiment, e.name);
    }
    assert.deepEqual([...Deno.readDirSync(results)], [], "a plan writes nothing");
  } finally {
    await Deno.remove(results, { recursive: true });
  }
});

Deno.test("planFromRuns: phase seconds from the newest completed run here, else the reference, else none", async () => {
  const root = await Deno.makeTempDir();
  try {
    const write = async (
      id: string,
      status: string,
      finished: string | null,
      seconds: Record<string, number>,
    ) => {
      await Deno.mkdir(`${root}/quickstart/small/${id}`, { recursive: true });
      await Deno.writeTextFile(
        `${root}/quickstart/small/${id}/manifest.json`,
        JSON.stringify({ status, finished, seconds }),
      );
    };
    const ctx = { scale: "small" as const, resultsRoot: root };
    const ref = { phases: { scoring: 7 }, basis: "reference" };
    let p = await planFromRuns("quickstart", ctx, { C: 16 }, ref);
    assert.deepEqual([p.estimate.phases, p.estimate.total, p.estimate.basis], [
      { scoring: 7 },
      7,
      "reference",
    ]);
    p = await planFromRuns("quickstart", ctx, { C: 16 }, undefined);
    assert.deepEqual([p.estimate.total, p.notices], [0, ["no time estimate for quickstart at small scale"]]);
    await write("a", "completed", "2026-12-01T00:00:00Z", { scoring: 100, total: 101 });
    await write("b", "completed", "2026-12-02T00:00:00Z", { scoring: 60, report: 2, total: 63 });
    await write("c", "failed", "2026-12-03T00:00:00Z", { scoring: 5, total: 5 });
    await write("d", "running", null, { total: 1 });
    await Deno.mkdir(`${root}/quickstart/small/not-a-run`);
    assert.equal((await lastRunSeconds(root, "quickstart", "small"))?.dir, `${root}/quickstart/small/b`);
    p = await planFromRuns("quickstart", ctx, { C: 16 }, ref);
    assert.deepEqual([p.estimate.phases, p.estimate.total], [{ scoring: 60, report: 2 }, 62]);
    assert.match(p.estimate.basis, /last completed small run on this machine: .*\/quickstart\/small\/b/);
    assert.equal(await lastRunSeconds(root, "ablations", "small"), undefined);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

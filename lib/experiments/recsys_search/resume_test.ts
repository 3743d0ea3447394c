import assert from "node:assert/strict";
import { type RecsysSearchResult, runRecsysSearch } from "./run.ts";
import { tinyRecsysConfig } from "./testing/tiny.ts";
import { readJsonl } from "../../io.ts";
import { History } from "../../search/history.ts";
import { loadCheckpoint } from "../../nn/checkpoint.ts";

const DRIVER = new URL("./testing/tiny.ts", import.meta.url).pathname;

const lines = async (path: string) => (await readJsonl<unknown>(path).catch(() => [])).length;

/** Run the tiny search in `dir` in a child process and SIGKILL it once `when()` holds. */
async function killWhen(dir: string, when: () => Promise<boolean>): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--frozen", DRIVER, dir],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let exited = false;
  const status = child.status.then((s) => (exited = true, s));
  while (!exited && !(await when())) await new Promise((r) => setTimeout(r, 10));
  if (exited) {
    const err = new TextDecoder().decode((await child.output()).stderr);
    throw new Error(`the child finished before the kill point: ${err}`);
  }
  child.kill("SIGKILL");
  assert.equal((await status).signal, "SIGKILL");
  await child.stderr.cancel();
}

/** Every cost recomputed from the files the run left: histories, checkpoint, final.jsonl. */
async function recordedCosts(dir: string): Promise<Record<string, number>> {
  const { meta } = await loadCheckpoint(`${dir}/checkpoints/warmup.ckpt`);
  const warm = (meta as { levelSeconds: Record<string, number> }).levelSeconds;
  const final = await readJsonl<{ method: string; stage: string; seconds: number }>(`${dir}/final.jsonl`);
  const hist = async (m: string) => (await History.open(`${dir}/history-${m}.jsonl`)).seconds();
  return {
    zico: warm["0%"] + await hist("zico"),
    sigeo: warm["20%"] + await hist("sigeo"),
    "one-shot": warm["100%"] + await hist("one-shot"),
    random: final.filter((r) => r.method === "random" && r.stage === "candidate")
      .reduce((a, r) => a + r.seconds, 0),
  };
}

const costs = (r: RecsysSearchResult) =>
  Object.fromEntries(r.methods.map((m) => [m.method, m.searchSeconds]));

Deno.test("recsys search killed (SIGKILL) in the warm-up, a search or the final training, then resumed: the same results, and costs summed over both processes", async () => {
  const cfg = tinyRecsysConfig();
  const ref = await Deno.makeTempDir();
  try {
    const a = await runRecsysSearch(cfg, { dir: ref });
    assert.deepEqual(costs(a), await recordedCosts(ref));
    for (const m of a.methods) assert.ok(m.searchSeconds > 0 && m.finalSeconds > 0, m.method);
    const ckpt = (dir: string) => `${dir}/checkpoints/warmup.ckpt`;
    const step = async (dir: string) => {
      try {
        return ((await loadCheckpoint(ckpt(dir))).meta as { step: number }).step;
      } catch {
        return -1;
      }
    };
    const killPoints: [string, (dir: string) => Promise<boolean>][] = [
      // a rolling checkpoint between the 20 % and 100 % levels: the kill lands mid warm-up
      ["warm-up", async (d) => (await lines(`${d}/history-sigeo.jsonl`)) === 7 && (await step(d)) > 5],
      ["one-shot search", async (d) => (await lines(`${d}/history-one-shot.jsonl`)) >= 2],
      ["final training", async (d) => (await lines(`${d}/final.jsonl`)) >= 3],
    ];
    for (const [phase, when] of killPoints) {
      const dir = await Deno.makeTempDir();
      try {
        await killWhen(dir, () => when(dir));
        const before = await lines(`${dir}/history-one-shot.jsonl`);
        const b = await runRecsysSearch(cfg, { dir });
        // the numbers of an uninterrupted run
        assert.deepEqual(
          b.methods.map((m) => [m.method, m.best, m.val_logloss, m.test_logloss, m.test_auc]),
          a.methods.map((m) => [m.method, m.best, m.val_logloss, m.test_logloss, m.test_auc]),
          phase,
        );
        // costs are the run's records summed over both processes (the killed one's included) ...
        assert.deepEqual(costs(b), await recordedCosts(dir), phase);
        const h = await History.open(`${dir}/history-one-shot.jsonl`);
        if (phase === "one-shot search") {
          assert.ok(before >= 2 && before < 7, `${phase}: killed after ${before} candidates`);
          // the killed process's candidates keep their seconds
          assert.ok(h.records.slice(0, before).every((r) => r.seconds > 0), phase);
        }
        // ... so none is near zero, as counting the last process only made them (0.000–0.003 of the
        // uninterrupted cost); the bound is loose because the two runs are timed minutes apart on a
        // shared machine (0.07 seen under load 15–20)
        for (const m of ["sigeo", "one-shot", "random"]) {
          assert.ok(
            costs(b)[m] > 0.02 * costs(a)[m],
            `${phase}: ${m} cost ${costs(b)[m]} s vs ${costs(a)[m]} s uninterrupted`,
          );
        }
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }
  } finally {
    await Deno.remove(ref, { recursive: true });
  }
});

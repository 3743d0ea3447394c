import assert from "node:assert/strict";
import { regularizedEvolution } from "./evolution.ts";
import { randomSearch } from "./random_search.ts";
import { History } from "./history.ts";
import { withinBudget } from "./budget.ts";
import { toyScore, toySpace } from "./testdata/toy_space.ts";

const evalToy = (a: number[]) => ({ score: toyScore(a), seconds: 1 });
const small = { population: 12, sample: 4, children: 3, generations: 20 };

Deno.test("regularizedEvolution: deduplicated, deterministic, and better than random search at equal budget", async () => {
  const wins: number[] = [];
  for (const seed of [1, 2, 3, 4, 5]) {
    const evo = await regularizedEvolution(toySpace, evalToy, { seed, ...small });
    const keys = evo.history.records.map((r) => r.key);
    assert.equal(new Set(keys).size, keys.length, "no candidate twice");
    assert.equal(keys.length, 12 + 20 * 3);
    const again = await regularizedEvolution(toySpace, evalToy, { seed, ...small });
    assert.deepEqual(again.history.records, evo.history.records);
    const rnd = await randomSearch(toySpace, evalToy, { seed, budget: { evaluations: keys.length } });
    assert.equal(rnd.history.records.length, keys.length);
    wins.push(Math.sign(evo.history.top(1)[0].score - rnd.history.top(1)[0].score));
  }
  assert.ok(wins.filter((w) => w > 0).length >= 4, `evolution beat random in ${wins}`);
});

Deno.test("budgets: evaluations and recorded seconds stop the search; NaN scores rank last", async () => {
  const byCount = await regularizedEvolution(toySpace, evalToy, {
    seed: 1,
    ...small,
    budget: { evaluations: 20 },
  });
  assert.equal(byCount.history.records.length, 20);
  assert.equal(byCount.stopped, "budget");
  const bySecs = await randomSearch(toySpace, (a) => ({ score: toyScore(a), seconds: 2.5 }), {
    seed: 1,
    budget: { seconds: 10 },
  });
  assert.equal(bySecs.history.records.length, 4); // 0, 2.5, 5, 7.5 s used before each
  assert.ok(withinBudget({}, 1e9, 1e9));
  const nan = await randomSearch(toySpace, (a) => ({ score: a[0] ? NaN : toyScore(a), seconds: 0 }), {
    seed: 3,
    budget: { evaluations: 30 },
  });
  assert.ok(nan.history.top(30).slice(-3).every((r) => Number.isNaN(r.score)));
  await assert.rejects(() => randomSearch(toySpace, evalToy, { seed: 1, budget: {} }), /without a budget/);
});

Deno.test("History: file round trip; a resumed search replays recorded scores", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/h.jsonl`;
    let calls = 0;
    const counting = (a: number[]) => (calls++, { score: toyScore(a), seconds: 1 });
    const first = await regularizedEvolution(toySpace, counting, {
      seed: 9,
      ...small,
      historyPath: path,
      budget: { evaluations: 30 },
    });
    assert.equal(calls, 30);
    const resumed = await regularizedEvolution(toySpace, counting, { seed: 9, ...small, historyPath: path });
    assert.equal(resumed.replayed, 30);
    assert.equal(calls, 72);
    const ref = await regularizedEvolution(toySpace, evalToy, { seed: 9, ...small });
    assert.deepEqual(resumed.history.records, ref.history.records);
    assert.equal((await History.open(path)).records.length, 72);
    assert.equal(first.history.records.length, 30);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kill -9 mid-search, then resume: same history as uninterrupted, nothing lost or redone", async () => {
  const dir = await Deno.makeTempDir();
  const fixture = new URL("./testdata/toy_search.ts", import.meta.url).pathname;
  const run = (h: string, c: string) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", fixture, h, c],
      stdout: "piped",
      stderr: "piped",
    });
  try {
    await run(`${dir}/ref.jsonl`, `${dir}/ref.calls`).output();
    const child = run(`${dir}/h.jsonl`, `${dir}/calls`).spawn();
    for (let i = 0; i < 400; i++) {
      await new Promise((r) => setTimeout(r, 25));
      const text = await Deno.readTextFile(`${dir}/h.jsonl`).catch(() => "");
      if (text.split("\n").length > 25) break;
    }
    child.kill("SIGKILL");
    await child.status;
    const before = (await Deno.readTextFile(`${dir}/h.jsonl`)).split("\n").filter(Boolean).length;
    assert.ok(before > 0 && before < 72, `killed mid-search (${before} records)`);
    const resumed = await run(`${dir}/h.jsonl`, `${dir}/calls`).output();
    assert.ok(resumed.success, new TextDecoder().decode(resumed.stderr));
    const a = (await History.open(`${dir}/h.jsonl`)).records;
    const b = (await History.open(`${dir}/ref.jsonl`)).records;
    assert.deepEqual(a, b);
    const calls = (await Deno.readTextFile(`${dir}/calls`)).split("\n").filter(Boolean);
    // each candidate evaluated once; at most the one in flight at the kill was redone
    assert.ok(
      calls.length <= a.length + 1 && calls.length >= a.length,
      `${calls.length} calls, ${a.length} records`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the project's spaces as search spaces: NB201 and NASRec-Small evolve with distinct keys", async () => {
  const { nasrecSearchSpace, nb201SearchSpace } = await import("./spaces.ts");
  const nb = await regularizedEvolution(
    nb201SearchSpace,
    (a) => ({ score: a.filter((o) => o === 3).length, seconds: 0 }),
    {
      seed: 1,
      ...small,
    },
  );
  assert.equal(new Set(nb.history.records.map((r) => r.key)).size, nb.history.records.length);
  assert.match(String(nb.history.records[0].arch), /^\|.*~0\|\+\|/);
  const space = nasrecSearchSpace("autoctr");
  const nr = await regularizedEvolution(
    space,
    (a) => ({ score: a.blocks[0].micro.denseInDims, seconds: 0 }),
    {
      seed: 1,
      population: 8,
      sample: 4,
      children: 2,
      generations: 5,
    },
  );
  assert.equal(nr.history.records.length, 18);
  assert.ok(["macro", "micro"].every((k) => k in (nr.history.records[0].arch as object)));
});

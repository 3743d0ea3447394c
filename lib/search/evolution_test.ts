import assert from "node:assert/strict";
import { regularizedEvolution } from "./evolution.ts";
import { randomSearch } from "./random_search.ts";
import { History, type HistoryRecord } from "./history.ts";
import type { MutationContext, SearchSpace } from "./space.ts";
import { type Bits, bitSpace, toyMutations, toyScore, toySpace } from "./testing/toy_space.ts";
import { Progress } from "../report/progress.ts";

const evalToy = (a: Bits) => ({ score: toyScore(a), seconds: 1 });
const small = { population: 12, sample: 4, children: 3, generations: 20 };
/** records without their write times (the only field a rerun may change) */
const strip = (rs: readonly HistoryRecord[]) => rs.map(({ at: _at, ...r }) => r);

/** The toy space with a record of every mutation's parent and context. */
function spied(space: SearchSpace<Bits>) {
  const calls: { parent: string; ctx: MutationContext }[] = [];
  const s: SearchSpace<Bits> = {
    ...space,
    mutate: (a, rng, ctx) => {
      calls.push({ parent: space.key(a), ctx: { ...ctx } });
      return space.mutate(a, rng, ctx);
    },
  };
  return { space: s, calls };
}

Deno.test("regularizedEvolution: NASRec defaults give 128 + 240 × 8 = 2048 distinct candidates, decaying mutations", async () => {
  // 64 bits scored by their ones: large neighbourhoods, so no child has to be skipped as a duplicate
  const { space, calls } = spied(bitSpace(64));
  const ones = (a: Bits) => ({ score: a.reduce((s, b) => s + b, 0), seconds: 0 });
  const r = await regularizedEvolution(space, ones, { seed: 3 });
  const recs = r.history.records;
  assert.equal(recs.length, 2048);
  assert.equal(r.stopped, "completed");
  assert.equal(new Set(recs.map((x) => x.key)).size, 2048, "deduplicated by key");
  assert.equal(recs.filter((x) => x.generation === -1).length, 128);
  for (const g of [0, 1, 120, 239]) assert.equal(recs.filter((x) => x.generation === g).length, 8);
  assert.ok(recs.slice(0, 128).every((x) => x.generation === -1));
  assert.ok(calls.every((c) => c.ctx.generations === 240));
  assert.deepEqual([...new Set(calls.map((c) => c.ctx.generation))].length, 240);
  // NASRec's schedule: 6 mutations at the start, 1 at the end
  assert.equal(toyMutations(calls[0].ctx.generation, 240), 6);
  assert.equal(toyMutations(calls.at(-1)!.ctx.generation, 240), 1);
  // evolution climbs well past the best random start
  assert.ok(r.history.top(1)[0].score >= Math.max(...recs.slice(0, 128).map((x) => x.score)) + 10);
});

Deno.test("regularizedEvolution: the parent is the best of the sample, taken from the 12 youngest (aging)", async () => {
  // sample = population: the parent must be a best member of exactly the current (youngest) window
  const { space, calls } = spied(toySpace);
  const r = await regularizedEvolution(space, evalToy, { seed: 5, ...small, sample: 12 });
  const recs = r.history.records;
  for (let g = 0; g < 20; g++) {
    const before = recs.filter((x) => x.generation < g);
    const window = before.slice(-12);
    const parents = new Set(calls.filter((c) => c.ctx.generation === g).map((c) => c.parent));
    assert.equal(parents.size, 1);
    const parent = [...parents][0];
    assert.ok(window.some((x) => x.key === parent), `generation ${g}: parent is in the population`);
    assert.equal(toyScore([...parent].map(Number)), Math.max(...window.map((x) => x.score)));
  }
  // sample < population: the parent still comes from the youngest 12
  const s2 = spied(toySpace);
  const r2 = await regularizedEvolution(s2.space, evalToy, { seed: 5, ...small });
  for (let g = 0; g < 20; g++) {
    const window = r2.history.records.filter((x) => x.generation < g).slice(-12).map((x) => x.key);
    for (const c of s2.calls.filter((c) => c.ctx.generation === g)) assert.ok(window.includes(c.parent));
  }
});

Deno.test("regularizedEvolution: deterministic per seed, and better than random search at equal budget", async () => {
  const wins: number[] = [];
  for (const seed of [1, 2, 3, 4, 5]) {
    const evo = await regularizedEvolution(toySpace, evalToy, { seed, ...small });
    assert.equal(evo.history.records.length, 12 + 20 * 3);
    const again = await regularizedEvolution(toySpace, evalToy, { seed, ...small });
    assert.deepEqual(strip(again.history.records), strip(evo.history.records));
    const rnd = await randomSearch(toySpace, evalToy, { seed, budget: { evaluations: 72 } });
    assert.equal(rnd.history.records.length, 72);
    wins.push(evo.history.top(1)[0].score - rnd.history.top(1)[0].score);
  }
  assert.ok(wins.filter((w) => w > 0).length >= 4, `evolution minus random best: ${wins}`);
  const other = await regularizedEvolution(toySpace, evalToy, { seed: 6, ...small });
  const one = await regularizedEvolution(toySpace, evalToy, { seed: 1, ...small });
  assert.notDeepEqual(other.history.records.map((r) => r.key), one.history.records.map((r) => r.key));
});

Deno.test("regularizedEvolution: a tiny space is exhausted without duplicates or an endless loop", async () => {
  const r = await regularizedEvolution(bitSpace(3), (a) => ({ score: a[0], seconds: 0 }), {
    seed: 1,
    population: 4,
    sample: 2,
    children: 2,
    generations: 10,
  });
  const keys = r.history.records.map((x) => x.key);
  assert.equal(new Set(keys).size, keys.length);
  assert.ok(keys.length <= 8 && keys.length >= 4, `${keys.length} candidates`);
  assert.equal(r.stopped, "completed");
});

Deno.test("regularizedEvolution: budgets in evaluations and in recorded seconds stop it", async () => {
  const byCount = await regularizedEvolution(toySpace, evalToy, {
    seed: 1,
    ...small,
    budget: { evaluations: 20 },
  });
  assert.equal(byCount.history.records.length, 20);
  assert.equal(byCount.stopped, "budget");
  // 2.5 s each: 0, 2.5, 5, 7.5 s are used before the 1st..4th, 10 s before a 5th
  const bySecs = await regularizedEvolution(toySpace, (a) => ({ score: toyScore(a), seconds: 2.5 }), {
    seed: 1,
    ...small,
    budget: { seconds: 10 },
  });
  assert.equal(bySecs.history.records.length, 4);
  assert.equal(bySecs.stopped, "budget");
  const both = await regularizedEvolution(toySpace, evalToy, {
    seed: 1,
    ...small,
    budget: { evaluations: 50, seconds: 30 },
  });
  assert.equal(both.history.records.length, 30);
  // the budget's candidates are the uninterrupted run's first ones
  assert.deepEqual(strip(byCount.history.records), strip(both.history.records.slice(0, 20)));
});

Deno.test("regularizedEvolution: NaN/±Inf scores are kept and never chosen over a finite parent", async () => {
  const { space, calls } = spied(toySpace);
  const r = await regularizedEvolution(space, (a) => ({
    score: a[0] === 0 ? NaN : a[1] === 0 ? Infinity : toyScore(a),
    seconds: 0,
  }), { seed: 2, ...small, sample: 12 });
  const recs = r.history.records;
  assert.ok(recs.some((x) => Number.isNaN(x.score)) && recs.some((x) => x.score === Infinity));
  const parents = new Set(calls.map((c) => c.parent));
  for (const p of parents) assert.ok(p.startsWith("11"), `finite-score parent, got ${p}`);
  const top = r.history.top(recs.length);
  const firstBad = top.findIndex((x) => !Number.isFinite(x.score));
  assert.ok(top.slice(firstBad).every((x) => !Number.isFinite(x.score)));
});

Deno.test("regularizedEvolution: settings and evaluator results are checked", async () => {
  await assert.rejects(() => regularizedEvolution(toySpace, evalToy, { seed: 1, population: 0 }), RangeError);
  await assert.rejects(() => regularizedEvolution(toySpace, evalToy, { seed: 1, sample: 1.5 }), /sample/);
  await assert.rejects(
    () => regularizedEvolution(toySpace, evalToy, { seed: 1, budget: { evaluations: -3 } }),
    /budget.evaluations/,
  );
  await assert.rejects(
    () => regularizedEvolution(toySpace, () => ({ score: "1" }) as never, { seed: 1, ...small }),
    /evaluation of '[01]{16}'/,
  );
  await assert.rejects(
    () => regularizedEvolution(toySpace, () => ({ score: 1, seconds: -1 }), { seed: 1, ...small }),
    /seconds >= 0/,
  );
});

Deno.test("regularizedEvolution: resumed from its history file it replays, evaluates only the rest, ends identical", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/h.jsonl`;
    const called: string[] = [];
    const counting = (a: Bits) => (called.push(a.join("")), { score: toyScore(a), seconds: 1 });
    await regularizedEvolution(toySpace, counting, {
      seed: 9,
      ...small,
      historyPath: path,
      budget: { evaluations: 30 },
    });
    assert.equal(called.length, 30);
    const resumed = await regularizedEvolution(toySpace, counting, { seed: 9, ...small, historyPath: path });
    assert.equal(resumed.replayed, 30);
    assert.equal(resumed.evaluated, 42);
    assert.equal(new Set(called).size, 72, "no candidate evaluated twice");
    const ref = await regularizedEvolution(toySpace, evalToy, { seed: 9, ...small });
    assert.deepEqual(strip(resumed.history.records), strip(ref.history.records));
    assert.deepEqual(strip((await History.open(path)).records), strip(ref.history.records));
    // the same file with another seed is refused, not mixed in
    await assert.rejects(
      () => regularizedEvolution(toySpace, counting, { seed: 10, ...small, historyPath: path }),
      /Cannot resume from .*h\.jsonl.*another seed/,
    );
    // a seconds budget resumes to the same point as an uninterrupted run
    const p2 = `${dir}/s.jsonl`;
    const secs = (a: Bits) => ({ score: toyScore(a), seconds: 0.75 });
    await regularizedEvolution(toySpace, secs, {
      seed: 4,
      ...small,
      historyPath: p2,
      budget: { seconds: 6 },
    });
    assert.equal((await History.open(p2)).records.length, 8);
    const more = await regularizedEvolution(toySpace, secs, {
      seed: 4,
      ...small,
      historyPath: p2,
      budget: { seconds: 15 },
    });
    const refS = await regularizedEvolution(toySpace, secs, { seed: 4, ...small, budget: { seconds: 15 } });
    assert.equal(more.replayed, 8);
    assert.equal(more.history.records.length, 20);
    assert.deepEqual(strip(more.history.records), strip(refS.history.records));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("regularizedEvolution reports to a progress bar: total, replayed steps, best score, end", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/h.jsonl`;
    await regularizedEvolution(toySpace, evalToy, {
      seed: 1,
      ...small,
      historyPath: path,
      budget: { evaluations: 30 },
    });
    const out: string[] = [];
    let t = 0;
    const bar = new Progress({
      label: "search",
      mode: "lines",
      write: (s) => out.push(s),
      now: () => (t += 100),
    });
    await regularizedEvolution(toySpace, evalToy, { seed: 1, ...small, historyPath: path, progress: bar });
    assert.equal(bar.done, 72);
    assert.equal(bar.total, 72);
    const last = out.at(-1)!;
    assert.match(last, /^search \[#{20}\] 72\/72 100% /);
    assert.match(last, /\(30 replayed\)/);
    assert.match(last, /72 candidates \(30 replayed\), done/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

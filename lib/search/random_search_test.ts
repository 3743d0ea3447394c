import assert from "node:assert/strict";
import { randomSearch } from "./random_search.ts";
import { History, type HistoryRecord } from "./history.ts";
import { createRng } from "../rng.ts";
import { type Bits, bitSpace, toyScore, toySpace } from "./testing/toy_space.ts";

const evalToy = (a: Bits) => ({ score: toyScore(a), seconds: 1 });
const strip = (rs: readonly HistoryRecord[]) => rs.map(({ at: _at, ...r }) => r);

Deno.test("randomSearch: the seed's distinct uniform samples, in order, until the evaluation budget", async () => {
  const r = await randomSearch(toySpace, evalToy, { seed: 11, budget: { evaluations: 40 } });
  assert.equal(r.history.records.length, 40);
  assert.equal(r.stopped, "budget");
  assert.equal(r.evaluated, 40);
  // an independent computation of the same draws: stream 0x4a5d of the seed, duplicates skipped
  const rng = createRng(11, 0x4a5d), want: string[] = [];
  while (want.length < 40) {
    const k = toySpace.key(toySpace.sample(rng));
    if (!want.includes(k)) want.push(k);
  }
  assert.deepEqual(r.history.records.map((x) => x.key), want);
  assert.ok(r.history.records.every((x, i) => x.index === i && x.generation === -1));
  assert.deepEqual(r.history.records.map((x) => x.score), want.map((k) => toyScore([...k].map(Number))));
  assert.equal(r.archs.get(want[3])!.join(""), want[3]);
  assert.deepEqual(toySpace.fromJSON!(r.history.records[3].arch), r.archs.get(want[3]));
});

Deno.test("randomSearch: seconds budget, exhausted space, NaN last, budget required", async () => {
  const bySecs = await randomSearch(toySpace, (a) => ({ score: toyScore(a), seconds: 2.5 }), {
    seed: 1,
    budget: { seconds: 10 },
  });
  assert.equal(bySecs.history.records.length, 4); // 0, 2.5, 5, 7.5 s used before each
  const tiny = await randomSearch(bitSpace(3), (a) => ({ score: a[0], seconds: 0 }), {
    seed: 2,
    budget: { evaluations: 100 },
  });
  assert.equal(tiny.history.records.length, 8);
  assert.equal(tiny.stopped, "completed");
  const nan = await randomSearch(toySpace, (a) => ({ score: a[0] ? NaN : toyScore(a), seconds: 0 }), {
    seed: 3,
    budget: { evaluations: 30 },
  });
  const nans = nan.history.records.filter((x) => Number.isNaN(x.score)).length;
  assert.ok(nans > 0 && nans < 30);
  const top = nan.history.top(30);
  assert.ok(top.slice(30 - nans).every((r) => Number.isNaN(r.score)));
  assert.ok(top.slice(0, 30 - nans).every((r) => Number.isFinite(r.score)));
  await assert.rejects(() => randomSearch(toySpace, evalToy, { seed: 1, budget: {} }), /without a budget/);
});

Deno.test("randomSearch: resumes from its history; a larger budget continues the same sequence", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/r.jsonl`;
    let calls = 0;
    const counting = (a: Bits) => (calls++, evalToy(a));
    await randomSearch(toySpace, counting, { seed: 5, budget: { evaluations: 10 }, historyPath: path });
    const more = await randomSearch(toySpace, counting, {
      seed: 5,
      budget: { evaluations: 25 },
      historyPath: path,
    });
    assert.equal(calls, 25);
    assert.equal(more.replayed, 10);
    const ref = await randomSearch(toySpace, evalToy, { seed: 5, budget: { evaluations: 25 } });
    assert.deepEqual(strip((await History.open(path)).records), strip(ref.history.records));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

import assert from "node:assert/strict";
import { regularizedEvolution } from "./evolution.ts";
import { randomSearch } from "./random_search.ts";
import type { HistoryRecord } from "./history.ts";
import { StreamShard } from "./stream_shard.ts";
import { type Bits, toyScore, toySpace } from "./testing/toy_space.ts";

const small = { population: 12, sample: 4, children: 3, generations: 10 };
/** records without their write times (the only field that differs between runs) */
const strip = (rs: readonly HistoryRecord[]) => rs.map(({ at: _at, ...r }) => r);
/** a score and seconds that are a function of the candidate only */
const evalToy = (a: Bits) => ({ score: toyScore(a), terms: { t: a[0] }, seconds: a.length / 100 });

async function shards(dir: string, count: number) {
  const own = Array.from({ length: count }, (_, i) => `${dir}/own-${i}.jsonl`);
  return await Promise.all(
    own.map((f, index) => StreamShard.open({ index, count, own: f, peers: own, pollMs: 5, timeoutS: 30 })),
  );
}

Deno.test("StreamShard: 3 shards of an evolution run at once write the one-process history, each scoring 1/3", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const one = await regularizedEvolution(toySpace, evalToy, { seed: 7, ...small });
    assert.equal(one.history.records.length, 12 + 10 * 3);
    const scored: number[][] = [[], [], []];
    const ss = await shards(dir, 3);
    const parts = await Promise.all(ss.map((shard, i) =>
      regularizedEvolution(toySpace, (a) => {
        scored[i].push(toyScore(a));
        return evalToy(a);
      }, { seed: 7, ...small, shard, historyPath: `${dir}/history-${i}.jsonl` })
    ));
    for (const p of parts) assert.deepEqual(strip(p.history.records), strip(one.history.records));
    // candidate p was scored by shard p mod 3 only
    assert.deepEqual(scored.map((s) => s.length), [14, 14, 14]);
    for (let i = 0; i < 3; i++) {
      const own = one.history.records.filter((r) => r.index % 3 === i).map((r) => r.score);
      assert.deepEqual(scored[i], own);
    }
    // the histories on disk are the one-process history too (a merge may take any)
    const again = await regularizedEvolution(toySpace, () => {
      throw new Error("nothing to evaluate");
    }, { seed: 7, ...small, historyPath: `${dir}/history-2.jsonl` });
    assert.equal(again.replayed, 42);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("StreamShard: a shard alone waits, then names its missing peer; rerun with it, nothing is scored twice", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const own = [0, 1].map((i) => `${dir}/own-${i}.jsonl`);
    const lone = await StreamShard.open({
      index: 0,
      count: 2,
      own: own[0],
      peers: own,
      pollMs: 5,
      timeoutS: 0.2,
    });
    let n0 = 0;
    await assert.rejects(
      regularizedEvolution(toySpace, (a) => (n0++, evalToy(a)), {
        seed: 7,
        ...small,
        shard: lone,
        historyPath: `${dir}/history-0.jsonl`,
      }),
      /Shard 1\/2 has not scored candidate 2 .* after 0 s: the shards of a search must run at the same time/,
    );
    assert.equal(n0, 6, "shard 0 scored its 6 of the initial population before waiting");
    const counts = [0, 0];
    const ss = await shards(dir, 2);
    const parts = await Promise.all(
      ss.map((shard, i) =>
        regularizedEvolution(toySpace, (a) => (counts[i]++, evalToy(a)), {
          seed: 7,
          ...small,
          shard,
          historyPath: `${dir}/history-${i}.jsonl`,
        })
      ),
    );
    assert.deepEqual(counts, [15, 21], "shard 0's first 6 came from its own file");
    const one = await regularizedEvolution(toySpace, evalToy, { seed: 7, ...small });
    for (const p of parts) assert.deepEqual(strip(p.history.records), strip(one.history.records));
    // a peer's file of another search is refused with the candidate named
    await Deno.writeTextFile(
      own[1],
      JSON.stringify({ position: 1, key: "bogus", score: 1, seconds: 0, generation: -1 }) + "\n",
    );
    const [, b] = await shards(dir, 2);
    await assert.rejects(b.get(1, "01"), /its candidate 2 is 'bogus', this search's is '01'/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("StreamShard: random search's list split over 2 shards gives the one-process history", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const one = await randomSearch(toySpace, evalToy, { seed: 4, budget: { evaluations: 9 } });
    const ss = await shards(dir, 2);
    const parts = await Promise.all(
      ss.map((shard) => randomSearch(toySpace, evalToy, { seed: 4, budget: { evaluations: 9 }, shard })),
    );
    for (const p of parts) assert.deepEqual(strip(p.history.records), strip(one.history.records));
    await assert.rejects(
      randomSearch(toySpace, evalToy, { seed: 4, budget: { seconds: 3 }, shard: ss[0] }),
      /Cannot shard a search with a seconds budget/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

import assert from "node:assert/strict";
import { regularizedEvolution } from "./evolution.ts";
import { nasrecSearchSpace, nb201SearchSpace } from "./spaces.ts";
import { parseArch } from "../spaces/nb201/space.ts";

const small = { population: 12, sample: 4, children: 3, generations: 20 };

Deno.test("the project's spaces as search spaces: NB201 and NASRec-Small evolve with distinct keys", async () => {
  // NB201 scored by its count of conv3x3 edges (op 3): evolution must find more than random starts
  const nb = await regularizedEvolution(
    nb201SearchSpace,
    (a) => ({ score: a.filter((o) => o === 3).length, seconds: 0 }),
    {
      seed: 1,
      ...small,
    },
  );
  const recs = nb.history.records;
  assert.equal(recs.length, 72);
  assert.equal(new Set(recs.map((r) => r.key)).size, recs.length);
  assert.match(String(recs[0].arch), /^\|.*~0\|\+\|/);
  assert.deepEqual(parseArch(String(recs[5].arch)), nb.archs.get(recs[5].key));
  const bestStart = Math.max(...recs.slice(0, 12).map((r) => r.score));
  assert.ok(nb.history.top(1)[0].score > bestStart, `evolved beyond ${bestStart}`);

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
  assert.equal(new Set(nr.history.records.map((r) => r.key)).size, 18);
  assert.ok(["macro", "micro"].every((k) => k in (nr.history.records[0].arch as object)));
});

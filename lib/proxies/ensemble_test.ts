import assert from "node:assert/strict";
import { aggregateRanks, azAggregate } from "./ensemble.ts";
import { averageRanks } from "../report/correlation.ts";

Deno.test("averageRanks (the ensembles' ranks): ascending ranks, ties averaged, non-finite values tied at the bottom", () => {
  // scipy.stats.rankdata([3, 1, 4, 1, 5]) = [3, 1.5, 4, 1.5, 5]
  assert.deepEqual(averageRanks([3, 1, 4, 1, 5]), [3, 1.5, 4, 1.5, 5]);
  // values 2, NaN, 7, -Inf, 2 -> non-finite {1, 3} share ranks 1-2 (1.5); finite 2, 2, 7 -> ranks 3.5, 3.5, 5
  assert.deepEqual(averageRanks([2, NaN, 7, -Infinity, 2]), [3.5, 1.5, 5, 1.5, 3.5]);
  // +Inf is not a score either: ranked below every finite value
  assert.deepEqual(averageRanks([Infinity, 0]), [1, 2]);
  assert.deepEqual(averageRanks([]), []);
});

Deno.test("aggregateRanks: AZ-NAS's Σ log(rank/N) and the mean rank on a hand-made population", () => {
  // 4 architectures, 2 proxies. Proxy A: [10, 20, 20, NaN] -> ranks [2, 3.5, 3.5, 1].
  // Proxy B: [0.3, 0.1, 0.2, 0.4] -> ranks [3, 1, 2, 4].
  const cols = [[10, 20, 20, NaN], [0.3, 0.1, 0.2, 0.4]];
  const az = aggregateRanks(cols, "az-nas");
  const want = [
    Math.log(2 / 4) + Math.log(3 / 4),
    Math.log(3.5 / 4) + Math.log(1 / 4),
    Math.log(3.5 / 4) + Math.log(2 / 4),
    Math.log(1 / 4) + Math.log(4 / 4),
  ];
  az.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-15, `${i}: ${v} vs ${want[i]}`));
  // arch 0 (ranked 2nd and 3rd) beats arch 1 (ranked 3.5 and 1): the non-linear rule punishes a last place
  assert.ok(az[0] > az[1] && az[2] > az[1]);
  assert.deepEqual(aggregateRanks(cols, "mean-rank"), [2.5, 2.25, 2.75, 2.5]);
  assert.throws(() => aggregateRanks([[1, 2], [1]], "az-nas"), /proxy 1 scored 1/);
  assert.throws(() => aggregateRanks([], "mean-rank"), /no proxy/);
});

Deno.test("azAggregate: per-architecture term records, keys chosen or taken from the first", () => {
  const terms = [
    { expressivity: 1, trainability: -3, complexity: 5 },
    { expressivity: 2, trainability: -1, complexity: 5 },
    { expressivity: 3, trainability: -2, complexity: 9 },
  ];
  // ranks: expressivity [1, 2, 3], trainability [1, 3, 2], complexity [1.5, 1.5, 3]
  const got = azAggregate(terms);
  const want = [
    Math.log(1 / 3) * 2 + Math.log(1.5 / 3),
    Math.log(2 / 3) + Math.log(1) + Math.log(1.5 / 3),
    Math.log(1) + Math.log(2 / 3) + Math.log(1),
  ];
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-15));
  assert.deepEqual(azAggregate(terms, ["expressivity"]), [Math.log(1 / 3), Math.log(2 / 3), 0]);
  assert.throws(() => azAggregate([{ a: 1 }, { b: 2 }]), /Architecture 1 has no term 'a'/);
  assert.deepEqual(azAggregate([]), []);
});

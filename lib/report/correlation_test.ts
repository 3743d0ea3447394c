import assert from "node:assert/strict";
import { averageRanks, bootstrap, kendall, spearman, topKPrecision } from "./correlation.ts";
import { createRng } from "../rng.ts";

Deno.test("averageRanks() gives tied values the mean of their positions", () => {
  assert.deepEqual(averageRanks([10, 20, 20, 5]), [2, 3.5, 3.5, 1]);
  assert.deepEqual(averageRanks([NaN, 1, Infinity]), [1.5, 3, 1.5]);
});

Deno.test("spearman() and kendall() on hand-checked cases (scipy's values)", () => {
  assert.equal(spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1);
  assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  // x = [1,2,3,4,5], y = [5,6,7,8,7]: scipy.stats.spearmanr → 0.8207826816681233
  assert.ok(Math.abs(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) - 0.8207826816681233) < 1e-12);
  // scipy.stats.kendalltau (tau-b) on the same: 0.7378647873726218
  assert.ok(Math.abs(kendall([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) - 0.7378647873726218) < 1e-12);
  // no ties: (C − D)/(n(n−1)/2); x=[1,2,3], y=[1,3,2]: C=2, D=1 → 1/3
  assert.ok(Math.abs(kendall([1, 2, 3], [1, 3, 2]) - 1 / 3) < 1e-12);
  assert.ok(Number.isNaN(spearman([1, 1, 1], [1, 2, 3])));
  assert.throws(() => kendall([1, 2], [1]), RangeError);
});

Deno.test("topKPrecision() counts the overlap of the two top-k sets", () => {
  const truth = [0.9, 0.8, 0.1, 0.2, 0.5];
  assert.equal(topKPrecision([5, 4, 1, 2, 3], truth, 2), 1);
  assert.equal(topKPrecision([1, 5, 4, 2, 3], truth, 2), 0.5);
  assert.equal(topKPrecision([NaN, 5, 4, 2, 3], truth, 0.4), 0.5);
});

Deno.test("bootstrap() brackets the statistic and is seeded", () => {
  const rng = createRng(1);
  const x = Array.from({ length: 60 }, () => rng.normal());
  const y = x.map((v) => v + 0.5 * rng.normal());
  const a = bootstrap(spearman, x, y, createRng(7), 300);
  const b = bootstrap(spearman, x, y, createRng(7), 300);
  assert.deepEqual(a, b);
  assert.ok(a.low <= a.value && a.value <= a.high, JSON.stringify(a));
  assert.ok(a.high - a.low < 0.4 && a.low > 0.5, JSON.stringify(a));
});

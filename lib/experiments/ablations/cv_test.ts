import assert from "node:assert/strict";
import { lambdaAblation } from "./cv.ts";
import type { ScoreRecord } from "../pipelines/correlation.ts";

Deno.test("lambdaAblation: SiGeo recomputed from its terms for each λ", () => {
  // truth follows the FR term; ZiCo is reversed; the loss is constant
  const scores: ScoreRecord[] = Array.from({ length: 8 }, (_, i) => ({
    level: "10%",
    arch: `a${i}`,
    proxy: "sigeo",
    value: 0,
    terms: { zico: -i, fr: i, loss: 1 },
    seconds: 0,
  }));
  const truth = new Map(scores.map((s, i) => [s.arch, i]));
  const rows = lambdaAblation(scores, truth, [[1, 0, 0], [0, 1, 0], [1, 50, 1], [1, 1, 0]]);
  const sp = Object.fromEntries(rows.map((r) => [r.lambdas, r.spearman.value]));
  assert.equal(sp["1, 0, 0"], -1);
  assert.equal(sp["0, 1, 0"], 1);
  assert.equal(sp["1, 50, 1"], 1); // 49·i − 1: increasing
  assert.ok(Number.isNaN(sp["1, 1, 0"])); // constant score: no ranking
  assert.equal(rows[0].proxy, "λ=(1, 0, 0)");
});

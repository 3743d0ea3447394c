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

Deno.test("ensembleScores: AZ-NAS's Σ log(rank/N) and the mean rank per level, over archs every member scored", async () => {
  const { ensembleScores, warmupTable } = await import("./cv.ts");
  const rec = (level: string, proxy: string, values: number[]): ScoreRecord[] =>
    values.map((value, i) => ({ level, arch: `a${i}`, proxy, value, seconds: 0.5 }));
  const scores = [
    ...rec("0%", "p", [1, 2, 3, 4]),
    ...rec("0%", "q", [4, 3, 1, 2]),
    ...rec("20%", "p", [1, 2, 3, 4]),
    ...rec("20%", "q", [9, 8, 7]), // a3 not scored by q at 20 %: left out there
  ];
  const az = ensembleScores(scores, "az-nas", ["p", "q"]);
  const at0 = az.filter((s) => s.level === "0%").map((s) => s.value);
  const want = [
    Math.log(1 / 4) + Math.log(4 / 4),
    Math.log(2 / 4) + Math.log(3 / 4),
    Math.log(3 / 4) + Math.log(1 / 4),
    Math.log(4 / 4) + Math.log(2 / 4),
  ];
  at0.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-12, `${v} vs ${want[i]}`));
  assert.equal(az[0].proxy, "ensemble az-nas(p, q)");
  assert.equal(az[0].seconds, 1);
  // at 20 %: three archs; p ranks 1, 2, 3 of 3 and q ranks 3, 2, 1 of 3
  assert.deepEqual(az.filter((s) => s.level === "20%").map((s) => s.arch), ["a0", "a1", "a2"]);
  const mean = ensembleScores(scores, "mean-rank", ["p", "q"]).filter((s) => s.level === "0%");
  assert.deepEqual(mean.map((s) => s.value), [2.5, 2.5, 2, 3]);
  // the warm-up table: every proxy's rows, then the ensemble's, with n per level
  const truth = new Map([["a0", 4], ["a1", 3], ["a2", 1], ["a3", 2]]); // follows q
  const table = warmupTable(scores, truth, [{ rule: "mean-rank", proxies: ["p", "q"] }]);
  assert.deepEqual(table.map((r) => [r.proxy, r.level, r.n]), [
    ["p", "0%", 4],
    ["p", "20%", 4],
    ["q", "0%", 4],
    ["q", "20%", 3],
    ["ensemble mean-rank(p, q)", "0%", 4],
    ["ensemble mean-rank(p, q)", "20%", 3],
  ]);
  assert.equal(table[2].spearman.value, 1);
  assert.equal(table[0].spearman.value, -0.8);
  assert.throws(
    () => warmupTable(scores, truth, [{ rule: "az-nas", proxies: ["p", "zico"] }]),
    /Ensemble ensemble az-nas\(p, zico\): zico not scored/,
  );
});

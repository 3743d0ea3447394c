import assert from "node:assert/strict";
import { NO_CHART_REASON, quickstartReport } from "./report.ts";
import type { QuickstartResult } from "./run.ts";
import { row } from "../pipelines/test_rows.ts";

Deno.test("quickstartReport: part 1's scores rounded with SiGeo's terms; part 2's correlation table and lines, no chart", () => {
  const r = {
    scores: [
      { arch: "a", note: "skip only", proxy: "zico", value: 12.345678, terms: {}, seconds: 0.123 },
      {
        arch: "a",
        note: "skip only",
        proxy: "sigeo-cv",
        value: -3.21,
        terms: { zico: 1.5, fr: 2.25, loss: 0.333339 },
        seconds: 1,
      },
    ],
    study: { table: [row("sigeo", "0%", 0.5), row("sigeo", "60%", 0.75), row("zico", "0%", -0.25)] },
    seconds: 3,
  } as unknown as QuickstartResult;
  const out = quickstartReport(r);
  assert.deepEqual(out.tables.scores, [
    { cell: "skip only", proxy: "zico", score: 12.3457, zico: NaN, fr: NaN, loss: NaN, seconds: 0.12 },
    { cell: "skip only", proxy: "sigeo-cv", score: -3.21, zico: 1.5, fr: 2.25, loss: 0.3333, seconds: 1 },
  ]);
  assert.deepEqual(out.tables.correlation.map((x) => [x.proxy, x.level, x.spearman]), [
    ["sigeo", "0%", 0.5],
    ["sigeo", "60%", 0.75],
    ["zico", "0%", -0.25],
  ]);
  // a dozen cells against a 2-epoch training on generated images: no chart, and the first line says why
  assert.deepEqual(out.figures, {});
  assert.equal(out.summary[0], NO_CHART_REASON);
  assert.match(out.summary[0], /changes sign from seed to seed.*no correlation chart is drawn/);
  assert.deepEqual(out.summary.slice(1), [
    "sigeo    warm-up   0%: Spearman 0.50 [0.40, 0.60] (95 % bootstrap, n 10)",
    "sigeo    warm-up  60%: Spearman 0.75 [0.65, 0.85] (95 % bootstrap, n 10)",
    "zico     warm-up   0%: Spearman -0.25 [-0.35, -0.15] (95 % bootstrap, n 10)",
  ]);
});

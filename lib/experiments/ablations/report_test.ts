import assert from "node:assert/strict";
import * as reportModule from "./report.ts";
import { ablationsReport } from "./report.ts";
import type { CvAblationResult } from "./cv.ts";
import type { RecsysAblationResult } from "./recsys.ts";
import { row } from "../pipelines/test_rows.ts";

Deno.test("ablationsReport: λ, batch, std and RecSys tables with their keys first; the best λ line", () => {
  const cv = {
    lambda: [
      { ...row("λ=(1, 0, 0)", "0%", 0.2), lambdas: "1, 0, 0" },
      { ...row("λ=(1, 50, 1)", "60%", 0.9), lambdas: "1, 50, 1" },
      { ...row("λ=(0, 0, 1)", "60%", NaN), lambdas: "0, 0, 1" },
    ],
    batches: [{ ...row("sigeo", "60%", 0.5), batches: 4, batchSize: 64 }],
    std: [{ ...row("sigeo", "60%", 0.4), ddof: 1 }],
    warmup: [row("nwot", "0%", 0.5), row("nwot", "60%", 0.7), row("zico", "0%", 0.6)],
    levels: ["0%", "60%"],
  } as unknown as CvAblationResult;
  const rs = {
    table: [row("one-shot (val log loss)", "100%", 0.1), row("sigeo (final layer)", "5%", 0.3)],
    data: "generated",
  } as unknown as RecsysAblationResult;
  const out = ablationsReport(cv, rs);
  assert.deepEqual(Object.keys(out.tables), [
    "lambda",
    "batches",
    "std",
    "warmup_by_proxy",
    "warmup",
    "recsys",
  ]);
  assert.deepEqual(Object.keys(out.tables.lambda[0]).slice(0, 3), ["lambdas", "proxy", "level"]);
  assert.deepEqual(
    [out.tables.batches[0].batches, out.tables.batches[0].batch_size, out.tables.batches[0].spearman],
    [4, 64, 0.5],
  );
  assert.equal(out.tables.std[0].ddof, 1);
  assert.equal(out.tables.recsys[0].variant, "one-shot (val log loss)");
  assert.deepEqual(out.summary, [
    "nwot: Spearman +0.20 with warm-up",
    "best λ: (1, 50, 1) at 60%: Spearman 0.90",
    "RecSys sigeo (final layer) at 5%: Spearman 0.30",
  ]);
  assert.deepEqual(Object.keys(out.figures), ["recsys", "warmup", "lambda"]);
  assert.equal(out.tables.warmup.length, 3);
});

Deno.test("warmupSummary: one row per proxy, ρ (interval) per level, n, change and whether it leaves the interval", () => {
  const { warmupSummary } = reportModule;
  const a = { ...row("nwot", "0%", 0.5), n: 10 };
  const b = { ...row("nwot", "60%", 0.7), n: 8 };
  b.spearman = { value: 0.7, low: 0.55, high: 0.85 };
  const rows = warmupSummary([a, b, { ...row("zico", "0%", 0.6), n: 10 }], ["0%", "60%"]);
  assert.equal(rows.length, 2);
  assert.equal(rows[0].proxy, "nwot");
  assert.equal(rows[0].n, 8);
  assert.equal(rows[0]["ρ 60%"], "0.70 (0.55 – 0.85)");
  assert.ok(Math.abs(Number(rows[0].change) - 0.2) < 1e-12);
  assert.equal(rows[0].beyond_interval, "yes");
  assert.equal(rows[1]["ρ 60%"], "");
  assert.ok(Number.isNaN(rows[1].change));
});

import assert from "node:assert/strict";
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
  } as unknown as CvAblationResult;
  const rs = {
    table: [row("one-shot (val log loss)", "100%", 0.1), row("sigeo (final layer)", "5%", 0.3)],
    data: "generated",
  } as unknown as RecsysAblationResult;
  const out = ablationsReport(cv, rs);
  assert.deepEqual(Object.keys(out.tables), ["lambda", "batches", "std", "recsys"]);
  assert.deepEqual(Object.keys(out.tables.lambda[0]).slice(0, 3), ["lambdas", "proxy", "level"]);
  assert.deepEqual(
    [out.tables.batches[0].batches, out.tables.batches[0].batch_size, out.tables.batches[0].spearman],
    [4, 64, 0.5],
  );
  assert.equal(out.tables.std[0].ddof, 1);
  assert.equal(out.tables.recsys[0].variant, "one-shot (val log loss)");
  assert.deepEqual(out.summary, [
    "best λ: (1, 50, 1) at 60%: Spearman 0.90",
    "RecSys sigeo (final layer) at 5%: Spearman 0.30",
  ]);
  assert.deepEqual(Object.keys(out.figures), ["recsys", "lambda"]);
});

import assert from "node:assert/strict";
import { theoryCheckReport } from "./report.ts";
import type { TheoryCheckResult } from "./run.ts";
import { row } from "../pipelines/test_rows.ts";

Deno.test("theoryCheckReport: runs flattened per level, paper vs ours on (quantity, level), lines at 10 % and 100 %", () => {
  const r = {
    runs: [{
      run: "h2-r0",
      width: 2,
      repeat: 0,
      measures: { "0%": { loss: 2.302585, fr: 1.23456, mag: 0.5 }, "100%": { loss: 0.7, fr: 3, mag: 0.25 } },
      testLoss: 0.654321,
    }],
    table: [
      row("training loss", "0%", 0.2),
      row("training loss", "10%", 0.4),
      row("training loss", "100%", 0.9),
    ],
    seconds: 1,
  } as unknown as TheoryCheckResult;
  const out = theoryCheckReport(r, "smoke");
  assert.deepEqual(out.tables.runs, [
    { run: "h2-r0", width: 2, level: "0%", loss: 2.3026, fr: 1.2346, mag: 0.5, test_loss: 0.6543 },
    { run: "h2-r0", width: 2, level: "100%", loss: 0.7, fr: 3, mag: 0.25, test_loss: 0.6543 },
  ]);
  // the paper's "training loss" at 0 % is 0.30 (data/paper/theory_check.csv): ours 0.2, diff −0.1
  const at0 = out.tables.vs_paper.find((x) => x.quantity === "training loss" && x.level === "0%")!;
  assert.equal(at0.paper, 0.3);
  assert.equal(at0.ours, 0.2);
  assert.ok(Math.abs(Number(at0.diff) + 0.1) < 1e-12);
  assert.equal(at0.scale, "smoke");
  assert.deepEqual(out.summary, [
    "training loss    at  10%: Spearman 0.40",
    "training loss    at 100%: Spearman 0.90",
  ]);
  assert.deepEqual(Object.keys(out.figures), ["correlation"]);
});

import assert from "node:assert/strict";
import { nb201CorrelationReport } from "./report.ts";
import type { PerArchStudyResult } from "../pipelines/nb201_per_arch.ts";
import type { SupernetStudyResult } from "./supernet.ts";
import { row } from "../pipelines/test_rows.ts";

Deno.test("nb201CorrelationReport: per-dataset rows, paper vs ours on the study's proxies, a figure each, the supernet table", () => {
  const study = (dataset: string, rho: number) =>
    ({
      config: { dataset, proxies: ["zico", "sigeo"] },
      truthSource: "trained",
      table: [row("grad_norm", "0%", 0.1), row("sigeo", "0%", rho), row("zico", "0%", 0.6, 0.4)],
    }) as unknown as PerArchStudyResult;
  const sn = { table: [row("one-shot", "100%", 0.3)] } as unknown as SupernetStudyResult;
  const out = nb201CorrelationReport([study("cifar10", 0.8), study("cifar100", 0.7)], sn, "smoke");
  assert.deepEqual(out.tables.correlation.map((x) => [x.dataset, x.proxy, x.spearman]), [
    ["cifar10", "grad_norm", 0.1],
    ["cifar10", "sigeo", 0.8],
    ["cifar10", "zico", 0.6],
    ["cifar100", "grad_norm", 0.1],
    ["cifar100", "sigeo", 0.7],
    ["cifar100", "zico", 0.6],
  ]);
  // ZiCo at 0 % on NB201 CIFAR-10 is 0.74 in the paper (data/paper/cv_correlation.csv)
  const z = out.tables.vs_paper.find((x) =>
    x.dataset === "cifar10" && x.proxy === "zico" && x.level === "0%"
  )!;
  assert.equal(z.paper, 0.74);
  assert.equal(z.ours, 0.6);
  assert.ok(
    !out.tables.vs_paper.some((x) => x.proxy === "grad_norm" && x.ours !== null && x.ours !== undefined),
  );
  assert.deepEqual(Object.keys(out.figures), ["correlation_cifar10", "correlation_cifar100", "supernet"]);
  assert.deepEqual(out.tables.supernet_correlation.map((x) => [x.dataset, x.proxy, x.level]), [
    ["cifar10", "one-shot", "100%"],
  ]);
  assert.deepEqual(out.summary.slice(0, 3), [
    "cifar10: ground truth trained",
    "  sigeo        0%: Spearman 0.80 Kendall 0.40",
    "  zico         0%: Spearman 0.60 Kendall 0.40",
  ]);
});

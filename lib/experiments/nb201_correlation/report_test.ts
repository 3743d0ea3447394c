import assert from "node:assert/strict";
import { nb201CorrelationReport } from "./report.ts";
import type { PerArchStudyResult } from "../pipelines/nb201_per_arch.ts";
import type { SupernetStudyResult } from "./supernet.ts";
import { row } from "../pipelines/test_rows.ts";

Deno.test("nb201CorrelationReport: per-dataset rows, paper vs ours on the study's proxies, a figure each, the supernet table", () => {
  const study = (dataset: string, rho: number, truthPath?: string) =>
    ({
      config: { dataset, proxies: ["zico", "sigeo"], truthPath },
      truthSource: "trained",
      dataSource: "generated",
      levels: [
        { level: "0%", nominalN: 256, n: 256, archs: 10, status: "ran" },
        { level: "10%", nominalN: 6000, n: 0, archs: 0, status: "budget" },
      ],
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
  // our interval (row(): ±0.1) and n; the paper's 0.74 lies outside [0.5, 0.7]
  assert.equal(z.ours_low, 0.5);
  assert.equal(z.ours_high, 0.7);
  assert.equal(z.n, 10);
  assert.equal(z.paper_in_interval, "no");
  // a trained (not benchmark) ground truth: no diff column at all
  assert.ok(out.tables.vs_paper.every((x) => !("diff" in x)));
  const bench = nb201CorrelationReport([study("cifar10", 0.8, "nats")], sn, "small");
  const zb = bench.tables.vs_paper.find((x) => x.proxy === "zico" && x.level === "0%")!;
  assert.ok(Math.abs((zb.diff as number) - (0.6 - 0.74)) < 1e-12);
  const s0 = bench.tables.vs_paper.find((x) => x.proxy === "sigeo" && x.level === "0%")!;
  assert.equal(
    s0.paper_in_interval,
    s0.paper === null ? null : (s0.paper as number) >= 0.7 && (s0.paper as number) <= 0.9 ? "yes" : "no",
  );
  assert.ok(
    !out.tables.vs_paper.some((x) => x.proxy === "grad_norm" && x.ours !== null && x.ours !== undefined),
  );
  assert.deepEqual(Object.keys(out.figures), ["correlation_cifar10", "correlation_cifar100", "supernet"]);
  assert.deepEqual(out.tables.supernet_correlation.map((x) => [x.dataset, x.proxy, x.level]), [
    ["cifar10", "one-shot", "100%"],
  ]);
  assert.deepEqual(out.summary.slice(0, 4), [
    "cifar10: data generated; ground truth trained",
    "  level 10%: not run (no architectures in this scale's budget)",
    "  sigeo        0%: n 10, Spearman 0.80 [0.70, 0.90] Kendall 0.40 [0.30, 0.50] (95 % bootstrap)",
    "  zico         0%: n 10, Spearman 0.60 [0.50, 0.70] Kendall 0.40 [0.30, 0.50] (95 % bootstrap)",
  ]);
});

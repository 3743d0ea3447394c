import assert from "node:assert/strict";
import { recsysSearchReport } from "./report.ts";
import type { RecsysSearchResult } from "./run.ts";

Deno.test("recsysSearchReport: one row per method with cost relative to one-shot, paper vs ours, a cost chart per dataset", () => {
  const method = (name: string, search: number, loss: number) => ({
    method: name,
    warmup: name === "one-shot" ? "100%" : "1%",
    evaluations: 8,
    searchSeconds: search,
    finalSeconds: 2,
    best: "x",
    bestConfig: {},
    params: 1000,
    mflops: 0.12345,
    val_logloss: loss,
    test_logloss: loss + 0.01,
    test_auc: 0.75,
  });
  const run = {
    config: { dataset: "criteo", space: "autoctr" },
    data: "generated Criteo-format data",
    constantLogloss: 0.5678,
    methods: [method("sigeo", 40, 0.45), method("one-shot", 100, 0.44)],
  } as unknown as RecsysSearchResult;
  const out = recsysSearchReport([run], ["criteo"], "smoke");
  assert.deepEqual(out.tables.results.map((x) => [x.space, x.method, x.cost_vs_one_shot, x.test_logloss]), [
    ["NASRec-Small", "sigeo", 0.4, 0.46],
    ["NASRec-Small", "one-shot", 1, 0.45],
  ]);
  const sigeo = out.tables.vs_paper.find((x) => x.method === "SiGeo" && x.space === "NASRec-Small")!;
  assert.equal(sigeo.logloss_ours, 0.46);
  assert.equal(sigeo.cost_ours, 0.4);
  assert.equal(typeof sigeo.logloss_paper, "number");
  assert.deepEqual(Object.keys(out.figures), ["cost_criteo", "paper_criteo"]);
  assert.deepEqual(out.summary, [
    "criteo / NASRec-Small: generated Criteo-format data; constant-CTR test log loss 0.5678",
    "  sigeo     (  1%): test log loss 0.4600, AUC 0.7500, search 40.0 s",
    "  one-shot  (100%): test log loss 0.4500, AUC 0.7500, search 100.0 s",
  ]);
});

import assert from "node:assert/strict";
import { notebookParams, parseFlagValue } from "./notebook_params.ts";
import { notebookEnv } from "./notebook_runs.ts";

Deno.test("notebookEnv: every reproduce flag becomes the variable the notebook's parameters cell reads", () => {
  const opts = {
    scale: "small" as const,
    dataDir: "data/raw",
    truthPath: "t.csv",
    truthMetric: "test_accuracy",
    truthDataset: "cifar10",
    partialData: true,
    datasets: "cifar10",
    spaces: "small",
  };
  assert.deepEqual(notebookEnv("nb201-correlation", opts, "r1"), {
    SIGEO_SCALE: "small",
    SIGEO_RUN_ID: "r1",
    SIGEO_DATA: "data/raw",
    SIGEO_TRUTH: "t.csv",
    SIGEO_TRUTH_METRIC: "test_accuracy",
    SIGEO_TRUTH_DATASET: "cifar10",
    SIGEO_PARTIAL_DATA: "1",
    SIGEO_NB201_DATASETS: "cifar10",
    SIGEO_SPACES: "small",
  });
  // the recommender notebook reads its datasets from SIGEO_DATASETS; unset flags set nothing
  assert.deepEqual(notebookEnv("recsys-search", { scale: "smoke", datasets: "criteo" }, "r2"), {
    SIGEO_SCALE: "smoke",
    SIGEO_RUN_ID: "r2",
    SIGEO_DATASETS: "criteo",
  });
});

Deno.test("notebookParams: the parameters cell's values from SIGEO_* (a run in a kernel started with them)", () => {
  const names = [
    "SIGEO_DATA",
    "SIGEO_TRUTH",
    "SIGEO_TRUTH_METRIC",
    "SIGEO_TRUTH_DATASET",
    "SIGEO_PARTIAL_DATA",
  ];
  const saved = names.map((n) => Deno.env.get(n));
  try {
    for (const n of names) Deno.env.delete(n);
    assert.deepEqual(notebookParams(), {
      dataDir: undefined,
      truthPath: undefined,
      truthMetric: undefined,
      truthDataset: undefined,
      partialData: false,
    });
    Deno.env.set("SIGEO_DATA", "/d");
    Deno.env.set("SIGEO_TRUTH", "/t");
    Deno.env.set("SIGEO_TRUTH_METRIC", "test_accuracy");
    Deno.env.set("SIGEO_TRUTH_DATASET", "cifar10-valid");
    Deno.env.set("SIGEO_PARTIAL_DATA", "true");
    assert.deepEqual(notebookParams(), {
      dataDir: "/d",
      truthPath: "/t",
      truthMetric: "test_accuracy",
      truthDataset: "cifar10-valid",
      partialData: true,
    });
    Deno.env.set("SIGEO_PARTIAL_DATA", "maybe");
    assert.throws(
      () => notebookParams(),
      /Cannot read SIGEO_PARTIAL_DATA=maybe: expected 1\/true\/yes or 0\/false\/no/,
    );
  } finally {
    names.forEach((n, i) => saved[i] === undefined ? Deno.env.delete(n) : Deno.env.set(n, saved[i]!));
  }
});

Deno.test("parseFlagValue: on, off and refused spellings", () => {
  assert.deepEqual(["1", "TRUE", "yes"].map((v) => parseFlagValue("X", v)), [true, true, true]);
  assert.deepEqual([undefined, "", "0", "False", "no"].map((v) => parseFlagValue("X", v)), [
    false,
    false,
    false,
    false,
    false,
  ]);
  assert.throws(() => parseFlagValue("X", "2"), /Cannot read X=2/);
});

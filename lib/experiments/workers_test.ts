import assert from "node:assert/strict";
import { childArgs, forwardFlags, shardRunIds } from "./workers.ts";

Deno.test("forwardFlags: every run flag the parent got reaches the children, booleans bare", () => {
  const values = {
    data: "/d",
    truth: "/t/zc_nasbench201.json",
    "truth-metric": "test_accuracy",
    "truth-dataset": "cifar10-valid",
    "partial-data": true,
    dataset: "cifar10,cifar100",
    space: "autoctr",
    backend: "cpu",
    // set per child or not a run flag: not forwarded
    "run-id": "r",
    results: "/out",
    scale: "small",
    workers: 2,
    plan: false,
  };
  assert.deepEqual(forwardFlags(values), [
    "--data",
    "/d",
    "--truth",
    "/t/zc_nasbench201.json",
    "--truth-metric",
    "test_accuracy",
    "--truth-dataset",
    "cifar10-valid",
    "--partial-data",
    "--dataset",
    "cifar10,cifar100",
    "--space",
    "autoctr",
    "--backend",
    "cpu",
  ]);
  assert.deepEqual(forwardFlags({ "partial-data": false, data: undefined }), []);
});

Deno.test("childArgs: child i runs shard i/K in its own run folder with the forwarded flags", () => {
  const args = childArgs(
    {
      experiment: "nb201-search",
      workers: 3,
      scale: "smoke",
      cli: "/p/lib/cli.ts",
      passFlags: ["--truth-metric", "test_accuracy", "--partial-data"],
    },
    "run1",
    "/res",
    2,
  );
  assert.deepEqual(args, [
    "run",
    "--allow-all",
    "--frozen",
    "/p/lib/cli.ts",
    "reproduce",
    "nb201-search",
    "--scale",
    "smoke",
    "--shard",
    "2/3",
    "--run-id",
    "run1-shard-2-of-3",
    "--results",
    "/res",
    "--truth-metric",
    "test_accuracy",
    "--partial-data",
  ]);
  assert.deepEqual(shardRunIds("x", 2), ["x-shard-0-of-2", "x-shard-1-of-2"]);
});

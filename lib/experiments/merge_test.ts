import assert from "node:assert/strict";
import { checkShards, type ShardInfo } from "./merge.ts";

const shard = (index: number, over: Partial<ShardInfo> = {}): ShardInfo => ({
  dir: `/r/s${index}`,
  experiment: "nb201-correlation",
  scale: "smoke",
  index,
  count: 3,
  studies: [{ dataset: "cifar10", archs: 12 }],
  context: { truthMetric: "val_accuracy" },
  seconds: {},
  status: "completed",
  ...over,
});

Deno.test("checkShards: a complete, finished, consistent split, sorted by index", () => {
  assert.deepEqual(checkShards([shard(2), shard(0), shard(1)]).map((s) => s.index), [0, 1, 2]);
  assert.throws(() => checkShards([shard(0), shard(2)]), /missing 1/);
  assert.throws(() => checkShards([shard(0), shard(1), shard(1), shard(2)]), /given twice 1/);
  assert.throws(() => checkShards([shard(0), shard(1), shard(2, { status: "running" })]), /not finished/);
  assert.throws(
    () => checkShards([shard(0), shard(1), shard(2, { studies: [{ dataset: "cifar100", archs: 12 }] })]),
    /different configs/,
  );
  assert.throws(() => checkShards([shard(0), shard(1), shard(2, { scale: "small" })]), /at small/);
  assert.throws(
    () => checkShards([shard(0), shard(1), shard(2, { context: { truthMetric: "test_accuracy" } })]),
    /s2 and \/r\/s0 ran with different flags \(\{"truthMetric":"test_accuracy"\} vs \{"truthMetric":"val_accuracy"\}\)/,
  );
  assert.throws(() => checkShards([shard(0, { experiment: "training-check", count: 1 })]), /does not split/);
  assert.throws(() => checkShards([]), /no shard folders/);
});

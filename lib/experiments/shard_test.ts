import assert from "node:assert/strict";
import { formatShard, inShard, parseShard } from "./shard.ts";

Deno.test("parseShard: i/n with 0 ≤ i < n, clear errors otherwise", () => {
  assert.deepEqual(parseShard("0/4"), { index: 0, count: 4 });
  assert.deepEqual(parseShard(" 3/4 "), { index: 3, count: 4 });
  assert.equal(formatShard(parseShard("2/7")), "2/7");
  for (const bad of ["4/4", "1/0", "-1/2", "1", "a/b", "1/2/3"]) {
    assert.throws(() => parseShard(bad), /--shard/, bad);
  }
});

Deno.test("inShard: round-robin split covers every position exactly once", () => {
  const n = 3, positions = Array.from({ length: 10 }, (_, i) => i);
  const owners = positions.map((p) => [0, 1, 2].filter((i) => inShard(p, { index: i, count: n })));
  for (const o of owners) assert.equal(o.length, 1);
  assert.deepEqual(positions.filter((p) => inShard(p, { index: 1, count: n })), [1, 4, 7]);
  assert.ok(positions.every((p) => inShard(p)) && positions.every((p) => inShard(p, { index: 0, count: 1 })));
});

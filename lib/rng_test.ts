import assert from "node:assert/strict";
import { createRng } from "./rng.ts";

Deno.test("createRng() matches the PCG32 reference stream (pcg32-demo seed 42, stream 54)", () => {
  // Reference values from the PCG paper's pcg32-demo: pcg32_srandom(42u, 54u), first six outputs.
  const rng = createRng(42, 54);
  const got = Array.from({ length: 6 }, () => rng.nextUint32().toString(16));
  assert.deepEqual(got, ["a15c02b7", "7b47f409", "ba1d3330", "83d2f293", "bfa4784b", "cbed606e"]);
});

Deno.test("createRng() is deterministic per seed and differs across seeds", () => {
  const a = createRng(7), b = createRng(7), c = createRng(8);
  const xs = Array.from({ length: 5 }, () => a.next());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b.next()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => c.next()));
});

Deno.test("Rng.int() is unbiased enough and in range", () => {
  const rng = createRng(1);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 60000; i++) counts[rng.int(6)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10000) < 400, `count ${c}`);
  assert.throws(() => rng.int(0), RangeError);
});

Deno.test("Rng.normal() has mean 0 and variance 1", () => {
  const rng = createRng(3);
  let s = 0, s2 = 0;
  const n = 50000;
  for (let i = 0; i < n; i++) {
    const x = rng.normal();
    s += x;
    s2 += x * x;
  }
  assert.ok(Math.abs(s / n) < 0.02);
  assert.ok(Math.abs(s2 / n - 1) < 0.03);
});

Deno.test("Rng.shuffle() returns a permutation and leaves the input alone", () => {
  const rng = createRng(5);
  const xs = [1, 2, 3, 4, 5, 6, 7, 8];
  const ys = rng.shuffle(xs);
  assert.deepEqual(xs, [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual([...ys].sort(), xs);
});

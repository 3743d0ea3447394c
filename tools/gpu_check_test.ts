import assert from "node:assert/strict";
import { extrapolateHours, levelCost } from "./gpu_check.ts";

Deno.test("extrapolateHours: levels 0,10,20,40,60,100 % cost score0 + 5·scoreWarm + (1+2+4+6+10)·warm10 per arch", () => {
  // per arch: 2 + 5·1 + 23·3 = 76 s; 1000 archs → 76 000 s = 21.11 h
  assert.ok(Math.abs(extrapolateHours({ score0: 2, scoreWarm: 1, warm10: 3 }) - 76000 / 3600) < 1e-9);
  assert.equal(extrapolateHours({ score0: 1, scoreWarm: 0, warm10: 0 }, 3600, [0]), 1);
});

Deno.test("levelCost: scoring seconds summed per architecture at each level; warm-up per architecture", () => {
  const scores = [
    { level: "0%", arch: "a", seconds: 1 },
    { level: "0%", arch: "a", seconds: 2 },
    { level: "0%", arch: "b", seconds: 3 },
    { level: "10%", arch: "a", seconds: 4 },
    { level: "10%", arch: "b", seconds: 2 },
  ];
  assert.deepEqual(levelCost(scores, 10, 2), { score0: 3, scoreWarm: 3, warm10: 5 });
  assert.throws(() => levelCost(scores.slice(0, 3), 1, 2), /no scores at level 10%/);
});

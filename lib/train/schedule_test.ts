import assert from "node:assert/strict";
import { cosineDecay, cosineWithWarmup } from "./schedule.ts";

const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);

Deno.test("cosineWithWarmup: linear warm-up, then cosine to the minimum (hand values)", () => {
  const f = cosineWithWarmup({ lr: 0.1, totalSteps: 100, warmupFraction: 0.1, minLr: 0 });
  near(f(0), 0);
  near(f(5), 0.05);
  near(f(10), 0.1); // end of warm-up: the peak
  near(f(40), 0.05 * (1 + Math.cos(Math.PI / 3))); // 30 of 90 cosine steps: 0.075
  near(f(55), 0.05);
  near(f(100), 0);
  near(f(250), 0); // past the end: stays at the minimum
});

Deno.test("cosineWithWarmup: NASRec's defaults (10 % warm-up from 1e-8, ⌊0.1·T⌋ warm-up steps)", () => {
  const f = cosineWithWarmup({ lr: 0.12, totalSteps: 716 }); // 1 % of Criteo at batch 512
  near(f(0), 1e-8);
  near(f(71), 0.12);
  near(f(35), 1e-8 + (0.12 - 1e-8) * 35 / 71);
  near(f(716), 1e-8);
  const g = cosineWithWarmup({ lr: 1, totalSteps: 5, warmupFraction: 0, minLr: 0 });
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((s) => Number(g(s).toFixed(12))), [
    1,
    0.904508497187,
    0.654508497187,
    0.345491502813,
    0.095491502813,
    0,
  ]);
});

Deno.test("cosineWithWarmup: bad settings are refused", () => {
  assert.throws(
    () => cosineWithWarmup({ lr: 0.1, totalSteps: 1.5 }),
    /non-negative integer number of steps, got 1.5/,
  );
  assert.throws(
    () => cosineWithWarmup({ lr: 0.1, totalSteps: 10, warmupFraction: 1 }),
    /warm-up fraction in \[0, 1\)/,
  );
  assert.throws(() => cosineWithWarmup({ lr: 1e-9, totalSteps: 10 }), /0 ≤ minLr ≤ lr/);
  assert.throws(() => cosineWithWarmup({ lr: 0.1, totalSteps: 10 })(-1), /non-negative step/);
});

Deno.test("cosineDecay: NB201's annealing from lr to 0 (hand values, the same bits as the inline formula)", () => {
  const f = cosineDecay(0.1, 100);
  assert.equal(f(0), 0.1);
  near(f(50), 0.05);
  near(f(100), 0);
  near(f(25), 0.05 * (1 + Math.SQRT1_2));
  for (const step of [1, 7, 33, 99]) {
    assert.equal(f(step), 0.5 * 0.1 * (1 + Math.cos((Math.PI * step) / 100)));
  }
  assert.throws(() => cosineDecay(0.1, -1), /non-negative number of steps/);
});

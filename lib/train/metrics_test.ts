import assert from "node:assert/strict";
import { createRng } from "../rng.ts";
import { auc, logLoss } from "./metrics.ts";

Deno.test("auc equals a brute-force pairwise count with ties as ½", () => {
  const rng = createRng(3);
  let compared = 0;
  for (let t = 0; t < 200; t++) {
    const n = 2 + rng.int(40);
    const levels = 1 + rng.int(6); // few levels: many ties
    const s = Array.from({ length: n }, () => rng.int(levels) / 3 - 0.5);
    const y = Array.from({ length: n }, () => rng.int(2));
    let num = 0, den = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (y[i] === 1 && y[j] === 0) {
          den++;
          num += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
        }
      }
    }
    const got = auc(Float32Array.from(s), y);
    if (den === 0) {
      assert.ok(Number.isNaN(got));
      continue;
    }
    assert.ok(Math.abs(got - num / den) < 1e-12, `${got} vs ${num / den}`);
    compared++;
  }
  assert.ok(compared > 150);
});

Deno.test("auc: hand cases, NaN for one class or a NaN score, length mismatch refused", () => {
  assert.equal(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75); // sklearn's doc example
  assert.equal(auc([1, 1, 1], [0, 1, 0]), 0.5);
  assert.equal(auc([3, 2, 1], [1, 0, 0]), 1);
  assert.ok(Number.isNaN(auc([1, 2], [1, 1])));
  assert.ok(Number.isNaN(auc([1, NaN, 0], [1, 0, 0])));
  assert.throws(() => auc([1, 2], [1]), /Expected 2 labels, got 1/);
});

Deno.test("logLoss: hand values, stable at large logits, soft labels", () => {
  // logits 0 and ln 3 for labels 1, 0: (ln 2 + ln 4) / 2
  assert.ok(Math.abs(logLoss([0, Math.log(3)], [1, 0]) - (Math.log(2) + Math.log(4)) / 2) < 1e-12);
  assert.ok(Math.abs(logLoss([1000, -1000], [0, 1]) - 1000) < 1e-9);
  assert.ok(logLoss([40], [1]) < 1e-17 && logLoss([40], [1]) > 0);
  // y = ½ at logit 0: ln 2
  assert.ok(Math.abs(logLoss([0], [0.5]) - Math.LN2) < 1e-12);
  assert.throws(() => logLoss([], []), /non-zero lengths/);
});

import assert from "node:assert/strict";
import { checkBudget, expectedEvaluations, withinBudget } from "./budget.ts";

Deno.test("withinBudget: evaluations and seconds, whichever ends first; unset = unlimited", () => {
  assert.equal(withinBudget({ evaluations: 3 }, 2, 1e9), true);
  assert.equal(withinBudget({ evaluations: 3 }, 3, 0), false);
  assert.equal(withinBudget({ seconds: 10 }, 1e9, 9.99), true);
  assert.equal(withinBudget({ seconds: 10 }, 0, 10), false);
  assert.equal(withinBudget({ evaluations: 5, seconds: 10 }, 4, 10), false);
  assert.equal(withinBudget({ evaluations: 5, seconds: 10 }, 5, 0), false);
  assert.equal(withinBudget({ evaluations: 5, seconds: 10 }, 4, 9), true);
  assert.equal(withinBudget({}, 1e9, 1e9), true);
  assert.equal(withinBudget({ evaluations: 0 }, 0, 0), false);
});

Deno.test("checkBudget rejects negative, fractional and non-numeric limits; expectedEvaluations caps", () => {
  assert.deepEqual(checkBudget({ evaluations: 4, seconds: 2.5 }), { evaluations: 4, seconds: 2.5 });
  assert.throws(() => checkBudget({ evaluations: -1 }), RangeError);
  assert.throws(() => checkBudget({ evaluations: 1.5 }), /integer >= 0, got 1.5/);
  assert.throws(() => checkBudget({ seconds: -2 }), /budget.seconds/);
  assert.throws(() => checkBudget({ seconds: NaN }), RangeError);
  assert.throws(() => checkBudget(null as never), TypeError);
  assert.equal(expectedEvaluations({}, 2048), 2048);
  assert.equal(expectedEvaluations({ evaluations: 100 }, 2048), 100);
  assert.equal(expectedEvaluations({ evaluations: 5000, seconds: 3 }, 2048), 2048);
});

import assert from "node:assert/strict";
import { archFromJSON, checkEvaluation, rankable } from "./space.ts";
import { toySpace } from "./testing/toy_space.ts";

Deno.test("rankable puts NaN and ±Inf below every finite score", () => {
  assert.equal(rankable(3.5), 3.5);
  assert.equal(rankable(-1e300), -1e300);
  for (const x of [NaN, Infinity, -Infinity]) assert.equal(rankable(x), -Infinity);
});

Deno.test("archFromJSON uses the space's fromJSON and names a space without one", () => {
  assert.deepEqual(archFromJSON(toySpace, "1010101010101010"), [
    1,
    0,
    1,
    0,
    1,
    0,
    1,
    0,
    1,
    0,
    1,
    0,
    1,
    0,
    1,
    0,
  ]);
  assert.throws(() => archFromJSON(toySpace, "102"), SyntaxError);
  const { fromJSON: _f, ...bare } = toySpace;
  assert.throws(() => archFromJSON(bare, "0"), /space 'bits16': it has no fromJSON/);
});

Deno.test("checkEvaluation accepts NaN scores and rejects malformed results", () => {
  const ok = { score: NaN, terms: { zico: 1 }, seconds: 0.25 };
  assert.equal(checkEvaluation(ok, "k"), ok);
  assert.throws(() => checkEvaluation(undefined, "k"), /evaluation of 'k'/);
  assert.throws(() => checkEvaluation({ score: 1 }, "k"), RangeError);
  assert.throws(() => checkEvaluation({ score: 1, seconds: NaN }, "k"), /seconds >= 0, got NaN/);
  assert.throws(() => checkEvaluation({ score: 1, seconds: 0, terms: { a: "x" } }, "k"), /term 'a'/);
});

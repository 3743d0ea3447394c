import assert from "node:assert/strict";
import { createRng } from "../../rng.ts";
import { corrcoef, logAbsDet, symmetricEigenvalues } from "./linalg_ref.ts";
import { close } from "./test_util.ts";

Deno.test("corrcoef() by hand: ±1 for (anti)proportional rows, NaN for a constant row", () => {
  const c = corrcoef(Float64Array.of(1, 2, 3, 2, 4, 6, 3, 2, 1), 3, 3);
  const want = [1, 1, -1, 1, 1, -1, -1, -1, 1];
  c.forEach((v, i) => assert.ok(close(v, want[i], 1e-15), `${i}: ${v}`));
  // rows (1, 0, 0) and (0, 1, 1): centred (2/3, −1/3, −1/3) and (−2/3, 1/3, 1/3) → −1
  assert.ok(close(corrcoef(Float64Array.of(1, 0, 0, 0, 1, 1), 2, 3)[1], -1, 1e-15));
  // (1, 2, 3, 4) vs (1, 3, 2, 4): cov 4, variances 5 → 0.8
  assert.ok(close(corrcoef(Float64Array.of(1, 2, 3, 4, 1, 3, 2, 4), 2, 4)[1], 0.8, 1e-15));
  const nan = corrcoef(Float64Array.of(1, 1, 1, 1, 2, 3), 2, 3);
  assert.ok(Number.isNaN(nan[0]) && Number.isNaN(nan[1]) && close(nan[3], 1, 1e-15));
  assert.throws(() => corrcoef(new Float64Array(5), 2, 3), TypeError);
});

Deno.test("symmetricEigenvalues() on known matrices", () => {
  assert.deepEqual([...symmetricEigenvalues(Float64Array.of(2, 1, 1, 2), 2)].map((v) => +v.toFixed(13)), [
    1,
    3,
  ]);
  const e = symmetricEigenvalues(Float64Array.of(2, -1, 0, -1, 2, -1, 0, -1, 2), 3);
  [2 - Math.SQRT2, 2, 2 + Math.SQRT2].forEach((v, i) => assert.ok(close(e[i], v, 1e-14), `${e}`));
  assert.deepEqual([...symmetricEigenvalues(Float64Array.of(5), 1)], [5]);
  assert.ok(symmetricEigenvalues(Float64Array.of(NaN, 0, 0, 1), 2).every(Number.isNaN));
  assert.throws(() => symmetricEigenvalues(Float64Array.of(1, 2, 3, 1), 2), RangeError);
});

Deno.test("symmetricEigenvalues() keeps trace, Frobenius norm and determinant of a random 7×7 matrix", () => {
  const rng = createRng(3);
  const n = 7, a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rng.normal();
  const e = symmetricEigenvalues(a, n);
  let trace = 0, frob = 0;
  for (let i = 0; i < n; i++) trace += a[i * n + i];
  for (const v of a) frob += v * v;
  assert.ok(close(e.reduce((s, v) => s + v, 0), trace, 1e-13));
  assert.ok(close(e.reduce((s, v) => s + v * v, 0), frob, 1e-13));
  assert.ok(close(e.reduce((s, v) => s + Math.log(Math.abs(v)), 0), logAbsDet(a, n), 1e-12));
  for (let i = 1; i < n; i++) assert.ok(e[i - 1] <= e[i]);
});

Deno.test("logAbsDet() by hand, with pivoting, sign ignored, −Infinity when singular", () => {
  assert.ok(close(logAbsDet(Float64Array.of(4, 2, 2, 4), 2), Math.log(12), 1e-15));
  assert.ok(close(logAbsDet(Float64Array.of(1, 2, 3, 4), 2), Math.log(2), 1e-15)); // det −2
  assert.equal(logAbsDet(Float64Array.of(0, 1, 1, 0), 2), 0); // needs a row swap
  assert.equal(logAbsDet(Float64Array.of(1, 2, 2, 4), 2), -Infinity);
  assert.ok(Number.isNaN(logAbsDet(Float64Array.of(1, Infinity, 0, 1), 2)));
  assert.ok(close(logAbsDet(Float64Array.of(2, 0, 0, 0, 3, 0, 0, 0, 0.5), 3), Math.log(3), 1e-15));
});

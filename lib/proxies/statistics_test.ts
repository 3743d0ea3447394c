import assert from "node:assert/strict";
import { batchProjections, projections, zicoLayerSum, zicoScore } from "./statistics.ts";

const f = (...v: number[]) => Float32Array.from(v);

Deno.test("zicoLayerSum() on two batches, by hand: mean|g|/std over non-zero-std elements", () => {
  // element 0: g = (1, 3): mean|g| = 2, population std = 1 → 2
  // element 1: g = (-1, 1): mean|g| = 1, std = 1 → 1
  // element 2: g = (0, 0): std 0 → dropped
  const grads = [f(1, -1, 0), f(3, 1, 0)];
  assert.equal(zicoLayerSum(grads), 3);
  // unbiased std = √2 for both elements
  assert.ok(Math.abs(zicoLayerSum(grads, { ddof: 1 }) - 3 / Math.SQRT2) < 1e-12);
  // NasRec-SiGeo's torch.nonzero(std)[0]: only the first non-zero-std element
  assert.equal(zicoLayerSum(grads, { firstNonzeroOnly: true }), 2);
  assert.equal(zicoLayerSum([f(0, 0), f(0, 0)]), 0);
});

Deno.test("zicoScore() sums log S_l and skips layers whose sum is zero", () => {
  const grads = [[f(1, -1), f(5)], [f(3, 1), f(5)]];
  const { score, layerSums } = zicoScore(grads);
  assert.deepEqual(layerSums, [3, 0]);
  assert.equal(score, Math.log(3));
});

Deno.test("projections() and batchProjections() by hand", () => {
  const grads = [[f(1, 2), f(3)], [f(-1, 0), f(1)]];
  const theta = [f(2, 1), f(-1)];
  // layer 0: Σ_b g = (0, 2) → ⟨·, (2, 1)⟩ = 2; layer 1: Σ_b g = 4 → −4
  assert.deepEqual(projections(grads, theta), [2, -4]);
  // batch 0: 1·2 + 2·1 + 3·(−1) = 1; batch 1: −2 + 0 − 1 = −3
  assert.deepEqual(batchProjections(grads, theta), [1, -3]);
});

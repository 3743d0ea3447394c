/**
 * Shared helpers for the reference tests: random parameters/batches from a seed, finite
 * differences and relative errors.
 *
 * @module
 */
import { createRng } from "../../rng.ts";
import {
  initParams,
  inputSize,
  type LossKind,
  type RefBatch,
  type RefParam,
  type TinyNetSpec,
} from "./tiny_nets.ts";

/** Parameters with PyTorch's init, then BN γ ∈ [0.5, 1.5] and β ∈ [−0.5, 0.5] so BN is not trivial. */
export function randomParams(spec: TinyNetSpec, seed: number): RefParam[] {
  const rng = createRng(seed);
  const params = initParams(spec, rng);
  for (const p of params) {
    if (p.kind !== "norm") continue;
    for (let i = 0; i < p.value.length; i++) p.value[i] = (p.role === "weight" ? 1 : 0) + (rng.next() - 0.5);
  }
  return params;
}

/** A batch of N(0,1) inputs with random labels (CE) or random {0,1} targets (BCE). */
export function randomBatch(spec: TinyNetSpec, n: number, loss: LossKind, seed: number): RefBatch {
  const rng = createRng(seed, 7);
  const x = Float64Array.from({ length: n * inputSize(spec) }, () => rng.normal());
  const y = loss === "softmax-ce"
    ? Float64Array.from({ length: n }, () => rng.int(spec.outputs))
    : Float64Array.from({ length: n * spec.outputs }, () => rng.int(2));
  return { n, x, y };
}

/** ‖a − b‖_∞ / ‖b‖_∞ over several arrays. */
export function relErr(a: readonly Float64Array[], b: readonly Float64Array[]): number {
  let num = 0, den = 0;
  a.forEach((v, i) => {
    for (let j = 0; j < v.length; j++) {
      num = Math.max(num, Math.abs(v[j] - b[i][j]));
      den = Math.max(den, Math.abs(b[i][j]));
    }
  });
  return num / den;
}

/** Central differences of a scalar function of the parameters: one array per parameter. */
export function fdGradient(params: RefParam[], f: () => number, h = 1e-5): Float64Array[] {
  return params.map((p) => {
    const g = new Float64Array(p.value.length);
    for (let j = 0; j < p.value.length; j++) {
      const v = p.value[j];
      p.value[j] = v + h;
      const up = f();
      p.value[j] = v - h;
      const down = f();
      p.value[j] = v;
      g[j] = (up - down) / (2 * h);
    }
    return g;
  });
}

/** |a − b| ≤ tol·max(1, |b|). */
export function close(a: number, b: number, tol = 1e-12): boolean {
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));
}

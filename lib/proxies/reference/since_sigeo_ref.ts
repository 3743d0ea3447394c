/**
 * Float64 references of the proxies published since SiGeo (SWAP, MeCo, AZ-NAS) on the tiny
 * networks of `tiny_nets.ts`: plain loops over the reference's tap values, no tfjs. The
 * definitions are those of lib/proxies/swap.ts, meco.ts and az_nas.ts (docs/proxies_since_sigeo.md).
 *
 * @module
 */
import { corrcoef, symmetricEigenvalues } from "./linalg_ref.ts";
import {
  forward,
  type RefBatch,
  type RefParam,
  reluInputTaps,
  tapShapes,
  type TinyNetSpec,
  weightLayers,
} from "./tiny_nets.ts";

/**
 * SWAP: distinct per-unit patterns 1[t > 0] over the batch's examples, over every ReLU input of
 * the net (train-mode BN); regularised: × exp(−(P/1e3 − μ)²/σ), P = the parameter count.
 */
export function swapRef(
  spec: TinyNetSpec,
  params: readonly RefParam[],
  batch: RefBatch,
  reg?: { mu: number; sigma: number },
): number {
  const { taps } = forward(spec, params, batch.x, batch.n);
  const seen = new Set<string>();
  const shapes = tapShapes(spec);
  for (const name of reluInputTaps(spec)) {
    const v = taps.get(name)!;
    const d = shapes[name].reduce((a, b) => a * b, 1);
    for (let j = 0; j < d; j++) {
      let key = "";
      for (let i = 0; i < batch.n; i++) key += v[i * d + j] > 0 ? "1" : "0";
      seen.add(key);
    }
  }
  if (!reg) return seen.size;
  const p = params.reduce((s, q) => s + q.value.length, 0);
  return seen.size * Math.exp(-((p / 1e3 - reg.mu) ** 2) / reg.sigma);
}

/** λ_min of the correlation of the columns of a row-major [positions, c] map, NaN → 0. */
export function minCorrEigenvalueRef(map: Float64Array, positions: number, c: number): number {
  const r = new Float64Array(c * positions);
  for (let a = 0; a < c; a++) for (let p = 0; p < positions; p++) r[a * positions + p] = map[p * c + a];
  const C = corrcoef(r, c, positions);
  for (let i = 0; i < C.length; i++) if (!Number.isFinite(C[i])) C[i] = 0;
  return symmetricEigenvalues(C, c)[0];
}

/**
 * MeCo on the conv/linear outputs. Conv net: the batch's first example alone is forwarded (BN on
 * its own statistics) and each conv map [H·W, C] of it is correlated over positions; a linear
 * output [1, d] gives λ_min = 0 (all-NaN correlations). MLP: the whole batch is forwarded and
 * each [n, d] output's columns correlated over the examples.
 */
export function mecoRef(spec: TinyNetSpec, params: readonly RefParam[], batch: RefBatch): number {
  const perExample = batch.x.length / batch.n;
  const n = spec.arch === "conv" ? 1 : batch.n;
  const { taps } = forward(spec, params, batch.x.slice(0, n * perExample), n);
  const shapes = tapShapes(spec);
  let s = 0;
  for (const name of weightLayers(spec)) {
    const shape = shapes[name];
    const c = shape[shape.length - 1];
    const positions = shape.length === 1 ? n : shape[0] * shape[1];
    const lam = minCorrEigenvalueRef(taps.get(name)!, positions, c);
    if (Number.isFinite(lam)) s += lam;
  }
  return s;
}

/**
 * Float64 references of the proxies published since SiGeo (SWAP, MeCo, AZ-NAS) on the tiny
 * networks of `tiny_nets.ts`: plain loops over the reference's tap values, no tfjs. The
 * definitions are those of lib/proxies/swap.ts, meco.ts and az_nas.ts (docs/proxies_since_sigeo.md).
 *
 * @module
 */
import { corrcoef, symmetricEigenvalues } from "./linalg_ref.ts";
import { refForwardTaps, type RefSpec } from "./ref_passes.ts";
import {
  forward,
  type RefBatch,
  type RefParam,
  tapShapes,
  type TinyNetSpec,
  weightLayers,
} from "./tiny_nets.ts";

/**
 * SWAP: distinct per-unit patterns 1[t > 0] over the batch's examples, over every ReLU input of
 * the net (train-mode BN); regularised: × exp(−(P/1e3 − μ)²/σ), P = the parameter count.
 */
export function swapRef(
  spec: RefSpec,
  params: readonly RefParam[],
  batch: RefBatch,
  reg?: { mu: number; sigma: number },
): number {
  const { taps, reluInputs } = refForwardTaps(spec, params, batch);
  const seen = new Set<string>();
  for (const name of reluInputs) {
    const v = taps.get(name)!;
    const d = v.length / batch.n;
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

/** H = −Σ p log(p + 1e-8) of the channel covariance spectrum (centred, / m) of a [m, c] matrix. */
export function expressivityRef(f: Float64Array, m: number, c: number): number {
  const cov = new Float64Array(c * c);
  const mean = new Float64Array(c);
  for (let r = 0; r < m; r++) for (let j = 0; j < c; j++) mean[j] += f[r * c + j] / m;
  for (let i = 0; i < c; i++) {
    for (let j = 0; j < c; j++) {
      let s = 0;
      for (let r = 0; r < m; r++) s += (f[r * c + i] - mean[i]) * (f[r * c + j] - mean[j]);
      cov[i * c + j] = s / m;
    }
  }
  const ev = symmetricEigenvalues(cov, c);
  const total = ev.reduce((a, b) => a + b, 0);
  return ev.reduce((h, v) => h - (v / total) * Math.log(v / total + 1e-8), 0);
}

/**
 * AZ-NAS terms on a tiny net whose blocks are its two ReLU outputs (relu1, relu2): expressivity,
 * progressivity, trainability with the given ±1 g_out (row-major, relu2's shape), the complexity
 * left out. g_in = ∂⟨relu2, g⟩/∂relu1 by hand: d = g ⊙ 1[pre-activation > 0], then fc2's
 * transpose (MLP) or conv2's transposed convolution (stride 2, padding 1); the conv's g_in is
 * pixel-unshuffled onto relu2's 3×3 grid.
 */
export function azNasRef(
  spec: TinyNetSpec,
  params: readonly RefParam[],
  batch: RefBatch,
  gOut: Float64Array,
): { expressivity: number; progressivity: number; trainability: number } {
  const n = batch.n;
  const { taps } = forward(spec, params, batch.x, n);
  const shapes = tapShapes(spec);
  const f1 = taps.get("relu1")!, f2 = taps.get("relu2")!;
  const s1 = shapes.relu1, s2 = shapes.relu2;
  const c1 = s1[s1.length - 1], c2 = s2[s2.length - 1];
  const H1 = expressivityRef(f1, f1.length / c1, c1), H2 = expressivityRef(f2, f2.length / c2, c2);
  const pre = taps.get(spec.arch === "mlp" ? "fc2" : "conv2")!;
  const d = Float64Array.from(gOut, (g, i) => (pre[i] > 0 ? g : 0));
  const W = params.find((p) => p.name === (spec.arch === "mlp" ? "fc2/weight" : "conv2/weight"))!.value;
  let gin: Float64Array, rowsIn: number, colsIn: number;
  if (spec.arch === "mlp") {
    const h = spec.hidden;
    gin = new Float64Array(n * h);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < h; a++) {
        let s = 0;
        for (let b = 0; b < h; b++) s += d[i * h + b] * W[a * h + b];
        gin[i * h + a] = s;
      }
    }
    rowsIn = n;
    colsIn = h;
  } else {
    const [H, Wd, ci] = s1, [oh, ow, co] = s2;
    const g = new Float64Array(n * H * Wd * ci);
    for (let i = 0; i < n; i++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          for (let ky = 0; ky < 3; ky++) {
            for (let kx = 0; kx < 3; kx++) {
              const iy = oy * 2 + ky - 1, ix = ox * 2 + kx - 1;
              if (iy < 0 || iy >= H || ix < 0 || ix >= Wd) continue;
              for (let a = 0; a < ci; a++) {
                for (let b = 0; b < co; b++) {
                  g[((i * H + iy) * Wd + ix) * ci + a] += W[((ky * 3 + kx) * ci + a) * co + b] *
                    d[((i * oh + oy) * ow + ox) * co + b];
                }
              }
            }
          }
        }
      }
    }
    rowsIn = n * oh * ow;
    colsIn = 4 * ci;
    gin = pixelUnshuffleRef(g, n, H, Wd, ci, 2);
  }
  return {
    expressivity: H1 + H2,
    progressivity: H2 - H1,
    trainability: trainabilityRef(gin, rowsIn, colsIn, gOut, c2),
  };
}

/**
 * Pixel unshuffle of a row-major [n, h, w, c] map by `s`: rows (i, y, x) of the [h/s, w/s] grid,
 * columns (dy, dx, channel), the value at (i, y·s + dy, x·s + dx, channel).
 */
export function pixelUnshuffleRef(
  g: Float64Array,
  n: number,
  h: number,
  w: number,
  c: number,
  s: number,
): Float64Array {
  const oh = Math.floor(h / s), ow = Math.floor(w / s), cols = s * s * c;
  const out = new Float64Array(n * oh * ow * cols);
  for (let i = 0; i < n; i++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let dy = 0; dy < s; dy++) {
          for (let dx = 0; dx < s; dx++) {
            for (let a = 0; a < c; a++) {
              out[((i * oh + oy) * ow + ox) * cols + (dy * s + dx) * c + a] =
                g[((i * h + oy * s + dy) * w + ox * s + dx) * c + a];
            }
          }
        }
      }
    }
  }
  return out;
}

/**
 * One AZ-NAS trainability score from g_in ([rows, colsIn], on g_out's grid) and g_out ([rows, c]):
 * −σ − 1/(σ + 1e-6) + 2, σ = the largest singular value of g_inᵀ g_out / rows (√λ_max of MᵀM).
 */
export function trainabilityRef(
  gin: Float64Array,
  rowsIn: number,
  colsIn: number,
  gOut: Float64Array,
  c2: number,
): number {
  const mat = new Float64Array(colsIn * c2);
  for (let r = 0; r < rowsIn; r++) {
    for (let a = 0; a < colsIn; a++) {
      for (let b = 0; b < c2; b++) mat[a * c2 + b] += (gin[r * colsIn + a] * gOut[r * c2 + b]) / rowsIn;
    }
  }
  const mtm = new Float64Array(c2 * c2);
  for (let i = 0; i < c2; i++) {
    for (let j = 0; j < c2; j++) {
      let s = 0;
      for (let a = 0; a < colsIn; a++) s += mat[a * c2 + i] * mat[a * c2 + j];
      mtm[i * c2 + j] = s;
    }
  }
  const sigma = Math.sqrt(symmetricEigenvalues(mtm, c2)[c2 - 1]);
  return -sigma - 1 / (sigma + 1e-6) + 2;
}

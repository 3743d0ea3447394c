/**
 * Float64 references of VKDNW and TE-NAS (NTK condition number, linear regions) on the tiny
 * networks, written independently of the tfjs modules: per-example gradients from the hand-written
 * backward pass, the covariance factor by a plain Cholesky, eigenvalues by Jacobi
 * (`linalg_ref.ts`), distinct patterns by string sets. Definitions: docs/proxies_since_sigeo.md "VKDNW and TE-NAS".
 *
 * @module
 */
import { symmetricEigenvalues } from "./linalg_ref.ts";
import {
  backwardFrom,
  forward,
  inputSize,
  type RefBatch,
  type RefParam,
  reluInputTaps,
  type TinyNetSpec,
} from "./tiny_nets.ts";

/** Lower Cholesky factor of a symmetric PSD K×K matrix; a pivot ≤ 0 (the singular last one) gives a zero column. */
function cholesky(a: Float64Array, k: number): Float64Array {
  const L = new Float64Array(k * k);
  for (let j = 0; j < k; j++) {
    let s = a[j * k + j];
    for (let m = 0; m < j; m++) s -= L[j * k + m] ** 2;
    const d = s > 1e-14 ? Math.sqrt(s) : 0;
    L[j * k + j] = d;
    for (let i = j + 1; i < k; i++) {
      let t = a[i * k + j];
      for (let m = 0; m < j; m++) t -= L[i * k + m] * L[j * k + m];
      L[i * k + j] = d === 0 ? 0 : t / d;
    }
  }
  return L;
}

/** numpy/torch linear-interpolation quantile of ascending values. */
function quantileRef(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const i = Math.floor(h);
  return i + 1 < sorted.length ? sorted[i] * (1 - (h - i)) + sorted[i + 1] * (h - i) : sorted[i];
}

/**
 * The VKDNW maths from per-example logit Jacobians `jac[n]` (K rows of P) and logits: p =
 * 0.95·softmax + 0.05/K; L = chol(diag p − ppᵀ); F = mean (LJ)ᵀ(LJ); λ = |eig F| ascending;
 * H = −Σ t log(t + 1e-10), t = q/(Σq + 1e-10) over the deciles q of λ.
 */
export function vkdnwFromJacobians(
  jac: readonly (readonly ArrayLike<number>[])[],
  logits: readonly ArrayLike<number>[],
  P: number,
): { entropy: number; lambdas: Float64Array } {
  const F = new Float64Array(P * P);
  const N = jac.length;
  jac.forEach((J, n) => {
    const z = logits[n], K = z.length;
    let m = -Infinity;
    for (let i = 0; i < K; i++) m = Math.max(m, z[i]);
    const ez = Array.from(z, (v) => Math.exp(v - m));
    const se = ez.reduce((a, b) => a + b, 0);
    const p = ez.map((v) => 0.95 * (v / se) + 0.05 / K);
    const cov = new Float64Array(K * K);
    for (let i = 0; i < K; i++) {
      for (let j = 0; j < K; j++) cov[i * K + j] = (i === j ? p[i] : 0) - p[i] * p[j];
    }
    const L = cholesky(cov, K);
    const M = Array.from({ length: K }, (_, r) =>
      Array.from({ length: P }, (_, c) => {
        let s = 0;
        for (let t = 0; t < K; t++) s += L[r * K + t] * J[t][c];
        return s;
      }));
    for (let a = 0; a < P; a++) {
      for (let b = 0; b < P; b++) {
        let s = 0;
        for (let r = 0; r < K; r++) s += M[r][a] * M[r][b];
        F[a * P + b] += s / N;
      }
    }
  });
  for (let a = 0; a < P; a++) {
    for (let b = 0; b < a; b++) F[a * P + b] = F[b * P + a] = (F[a * P + b] + F[b * P + a]) / 2;
  }
  const lambdas = symmetricEigenvalues(F, P).map(Math.abs).sort();
  const q = Array.from({ length: 9 }, (_, i) => quantileRef(lambdas, (i + 1) / 10));
  const sum = q.reduce((a, b) => a + b, 0);
  const entropy = -q.reduce((h, v) => h + (v / (sum + 1e-10)) * Math.log(v / (sum + 1e-10) + 1e-10), 0);
  return { entropy, lambdas };
}

/** κ = λ_max/λ_min (Jacobi) of the Gram matrix Θ = G Gᵀ of gradient rows (TE-NAS's NTK). */
export function ntkConditionRef(rowsG: readonly ArrayLike<number>[]): number {
  const n = rowsG.length;
  const T = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      const a = rowsG[i], b = rowsG[j];
      for (let c = 0; c < a.length; c++) s += a[c] * b[c];
      T[i * n + j] = s;
    }
  }
  const eig = symmetricEigenvalues(T, n);
  return eig[n - 1] / eig[0];
}

/** Distinct per-example sign patterns 1[t > 0] over the named taps (TE-NAS's linear regions). */
export function distinctPatternsRef(
  taps: ReadonlyMap<string, Float64Array>,
  names: readonly string[],
  n: number,
): number {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    let code = "";
    for (const name of names) {
      const t = taps.get(name)!;
      const per = t.length / n;
      for (let u = 0; u < per; u++) code += t[i * per + u] > 0 ? "1" : "0";
      code += "|";
    }
    seen.add(code);
  }
  return seen.size;
}

/** Options of {@linkcode vkdnwRef}. */
export interface VkdnwRefOptions {
  /** parameter tensors sampled (flat index 0 of each) @default {128} */
  maxTensors?: number;
}

/**
 * VKDNW on the tiny nets, BN as in eval mode with fresh running statistics (mean 0, var 1, ε 0)
 * and γ = 1, β = 0: the identity forward (`bnIdentity`), γ and β's gradients from the BN tap. Per example: J (K×P) of the logits wrt flat
 * index 0 of the first `maxTensors` parameters; p = 0.95·softmax + 0.05/K; L = chol(diag p − ppᵀ);
 * F = mean (LJ)ᵀ(LJ); λ = |eig F|; deciles; H = −Σ t log(t + 1e-10), t = q/(Σq + 1e-10).
 * Returns H, ℵ and the score ℵ + H/(1 + ln 9).
 */
export function vkdnwRef(
  spec: TinyNetSpec,
  params: readonly RefParam[],
  batch: RefBatch,
  opts: VkdnwRefOptions = {},
): { entropy: number; dim: number; value: number; lambdas: Float64Array } {
  for (const q of params) {
    if (q.kind === "norm" && q.value.some((v) => v !== (q.role === "weight" ? 1 : 0))) {
      throw new RangeError(`vkdnwRef needs BN γ = 1 and β = 0 ('${q.name}')`);
    }
  }
  const P = Math.min(opts.maxTensors ?? 128, params.length);
  const d = inputSize(spec), K = spec.outputs;
  const jacs: number[][][] = [], logitsAll: ArrayLike<number>[] = [];
  for (let n = 0; n < batch.n; n++) {
    const x = batch.x.slice(n * d, (n + 1) * d);
    const z = forward(spec, params, x, 1, { bnIdentity: true }).logits;
    const J: number[][] = [];
    for (let c = 0; c < K; c++) {
      const e = new Float64Array(K);
      e[c] = 1;
      const r = backwardFrom(spec, params, x, 1, e, { bnIdentity: true });
      const g = r.grads.map((v) => Float64Array.from(v));
      if (spec.arch === "conv") {
        // eval-mode BN y = γx + β (γ = 1, β = 0) is the identity forward, but γ and β get
        // gradients: ∂z/∂γ_c = Σ_pos ∂z/∂y·x, ∂z/∂β_c = Σ_pos ∂z/∂y (channel c, NHWC)
        const a = r.taps.get("conv1")!, dy = r.dTaps.get("bn1")!, C = spec.filters1;
        const gi = params.findIndex((q) => q.name === "bn1/weight");
        const bi = params.findIndex((q) => q.name === "bn1/bias");
        g[gi].fill(0);
        g[bi].fill(0);
        for (let pos = 0; pos < a.length / C; pos++) {
          for (let ch = 0; ch < C; ch++) {
            g[gi][ch] += dy[pos * C + ch] * a[pos * C + ch];
            g[bi][ch] += dy[pos * C + ch];
          }
        }
      }
      J.push(Array.from({ length: P }, (_, j) => g[j][0]));
    }
    jacs.push(J);
    logitsAll.push(z);
  }
  const { entropy, lambdas } = vkdnwFromJacobians(jacs, logitsAll, P);
  return { entropy, dim: params.length, value: params.length + entropy / (1 + Math.log(9)), lambdas };
}

/**
 * TE-NAS NTK condition number on the tiny nets, BN in training mode over the whole batch: rows
 * g_i = ∂(Σ_c z_{i,c})/∂θ over the "weight" parameters (conv/linear weights, BN γ), Θ = G Gᵀ,
 * κ = λ_max/λ_min (Jacobi). Returns κ (the proxy scores −κ).
 */
export function teNasNtkRef(spec: TinyNetSpec, params: readonly RefParam[], batch: RefBatch): number {
  const K = spec.outputs, n = batch.n;
  const rowsG: number[][] = [];
  for (let i = 0; i < n; i++) {
    const dl = new Float64Array(n * K);
    for (let c = 0; c < K; c++) dl[i * K + c] = 1;
    const g = backwardFrom(spec, params, batch.x, n, dl).grads;
    rowsG.push(params.flatMap((p, j) => (p.role === "weight" ? Array.from(g[j]) : [])));
  }
  return ntkConditionRef(rowsG);
}

/**
 * TE-NAS linear regions on the tiny nets: the number of distinct sign patterns of the ReLU inputs
 * (train-mode forward), over the 4-D (conv) ReLU inputs, or every ReLU input of a net without any.
 */
export function teNasLrRef(
  spec: TinyNetSpec,
  params: readonly RefParam[],
  x: Float64Array,
  n: number,
): number {
  return distinctPatternsRef(forward(spec, params, x, n).taps, reluInputTaps(spec), n);
}

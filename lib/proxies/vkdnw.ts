/**
 * VKDNW, "Variance of Knowledge of Deep Network Weights" (Tybl & Neumann, CVPR 2025; official code
 * ondratybl/VKDNW, `NB201/ZeroShotProxy/compute_vkdnw_score.py`, ranking in `NB201/tss_utils.py`
 * `get_scores`). Definitions and quirks: docs/proxies_since_sigeo.md "VKDNW and TE-NAS".
 *
 * 1. θ_S: the *first* element (flat index 0) of each of the first `maxTensors` = 128 parameter
 *    tensors, in `net.params()` order (the official `named_parameters()` order, every kind:
 *    conv/linear weights and biases, BN γ and β). Our layouts ([kh, kw, cin, cout], [in, out])
 *    and PyTorch's put the same element at flat index 0.
 * 2. Per example n, in eval mode (the official `model.eval()`: BN uses its running statistics, so
 *    the examples are independent and each is scored alone): the Jacobian J_n = ∂z_n/∂θ_S (K×P) of
 *    the logits, p_n = (1 − α)·softmax(z_n) + α/K with α = 0.05, L_n the official lower-triangular
 *    factor of diag(p) − ppᵀ (Tanabe & Sagae), and F = mean_n (L_n J_n)ᵀ(L_n J_n) (P×P). The
 *    official code multiplies L (not Lᵀ) into J, so F = mean Jᵀ LᵀL J, not the textbook
 *    Jᵀ(diag p − ppᵀ)J: followed here.
 * 3. λ = singular values of F; the deciles q_1..q_9 (`torch.quantile` at 0.1…0.9, linear
 *    interpolation); t = q/(Σq + 1e-10); entropy H = −Σ t·log(t + 1e-10) ∈ [0, ln 9].
 * 4. VKDNW_single ranks nets by the tuple (ℵ, H), ℵ = the number of parameter tensors
 *    (`len(named_parameters())`), lexicographically (dense rank). The score here is
 *    ℵ + H/(1 + ln 9), which orders any population exactly as that rank (H/(1 + ln 9) < 1);
 *    `terms` keep H and ℵ. The official aggregate VKDNW_agg is {@linkcode vkdnwAggregate}.
 *
 * Inputs: the official scoring draws N(0, 1) inputs of the batch's shape (VKDNW is not among the
 * AZ-NAS "real input" metrics), batch 64; so does this proxy by default (`input: "gaussian"`,
 * seeded), for tensor inputs. A non-tensor input (a recommender's dense+sparse record) is used as
 * given. A net with one output (a binary click model) is scored as the two-class model with
 * logits [0, z], the same Bernoulli distribution (an extension: the official code is for
 * classifiers, where K = 1 would give F = 0).
 *
 * Not followed: the official re-initialisation (Kaiming-normal fan-in) — the net is scored as it
 * is; α = 0.05 is used exactly (the official float16 constant makes p off by ≤ 2e-4); the deciles'
 * positions are exact (k/10, not float32 `arange`). Cost: N·K backward passes of single examples.
 *
 * @module
 */
import * as tf from "../tf.ts";
import type { Batch, Net } from "../nn/net.ts";
import type { ProxyScore } from "./proxy.ts";
import { firstBatch, withRestored } from "./taps.ts";
import { symmetricEigenvalues } from "./jacov.ts";
import { createRng } from "../rng.ts";

/** The official label-smoothing weight of the softmax probabilities. */
export const VKDNW_ALPHA = 0.05;

/** Options of {@linkcode vkdnwProxy}. */
export interface VkdnwOptions {
  /** how many parameter tensors to sample one weight from (official `params_grad_len`) @default {128} */
  maxTensors?: number;
  /** N(0,1) inputs of the batch's shape (official) or the batch itself @default {"gaussian"} */
  input?: "gaussian" | "batch";
  /** seed of the Gaussian inputs @default {0} */
  seed?: number;
}

/**
 * The official factor L of Σ = diag(p) − ppᵀ (K×K, row-major, float64): q_k = 1 − Σ_{j≤k} p_j
 * (q_K forced to 0), d_k = √(p_k q_k / q_{k−1}) (q_0 = 1), L_kk = d_k, L_ij = −p_i d_j / q_j for
 * i > j (0 where q_j = 0), 0 above the diagonal; L Lᵀ = Σ.
 */
export function covarianceFactor(p: ArrayLike<number>): Float64Array {
  const k = p.length;
  const q = new Float64Array(k);
  let c = 0;
  for (let i = 0; i < k; i++) {
    c += p[i];
    q[i] = i === k - 1 ? 0 : 1 - c;
  }
  const d = new Float64Array(k);
  for (let i = 0; i < k; i++) d[i] = Math.sqrt((p[i] * q[i]) / (i === 0 ? 1 : q[i - 1]));
  const L = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    L[i * k + i] = d[i];
    for (let j = 0; j < i; j++) L[i * k + j] = q[j] === 0 ? 0 : (-p[i] / q[j]) * d[j];
  }
  return L;
}

/** (1 − α)·softmax(z) + α/K, in float64. */
export function smoothedSoftmax(z: ArrayLike<number>, alpha = VKDNW_ALPHA): Float64Array {
  const k = z.length;
  let m = -Infinity;
  for (let i = 0; i < k; i++) m = Math.max(m, z[i]);
  const e = Float64Array.from({ length: k }, (_, i) => Math.exp(z[i] - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => (v / s) * (1 - alpha) + alpha / k);
}

/** `torch.quantile(v, q)` (linear interpolation between the sorted values), q ∈ [0, 1]. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos), hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

/** The entropy of the normalised deciles of `lambdas` (any order): −Σ t log(t + 1e-10). */
export function decileEntropy(lambdas: ArrayLike<number>): { entropy: number; deciles: number[] } {
  const sorted = Float64Array.from(lambdas).sort();
  if (sorted.some(Number.isNaN)) return { entropy: NaN, deciles: Array(9).fill(NaN) };
  const deciles = Array.from({ length: 9 }, (_, i) => quantile(sorted, (i + 1) / 10));
  const l1 = deciles.reduce((a, b) => a + Math.abs(b), 0);
  let h = 0;
  for (const v of deciles) {
    const t = v / (l1 + 1e-10);
    h -= t * Math.log(t + 1e-10);
  }
  return { entropy: h, deciles };
}

/**
 * F = mean_n (L_n J_n)ᵀ(L_n J_n) from per-example logit Jacobians `jac[n]` (K×P row-major) and
 * logits `logits[n]` (K); a one-logit model becomes the two-class model [0, z].
 */
export function vkdnwFisher(jac: Float64Array[], logits: Float64Array[], p: number): Float64Array {
  const F = new Float64Array(p * p);
  jac.forEach((j0, n) => {
    let z = logits[n], J = j0;
    if (z.length === 1) {
      z = Float64Array.of(0, z[0]);
      J = new Float64Array(2 * p);
      J.set(j0, p);
    }
    const k = z.length;
    const L = covarianceFactor(smoothedSoftmax(z));
    const M = new Float64Array(k * p);
    for (let r = 0; r < k; r++) {
      for (let s = 0; s <= r; s++) {
        const l = L[r * k + s];
        if (l === 0) continue;
        for (let c = 0; c < p; c++) M[r * p + c] += l * J[s * p + c];
      }
    }
    for (let a = 0; a < p; a++) {
      for (let b = a; b < p; b++) {
        let v = 0;
        for (let r = 0; r < k; r++) v += M[r * p + a] * M[r * p + b];
        F[a * p + b] += v;
      }
    }
  });
  const N = jac.length;
  for (let a = 0; a < p; a++) {
    for (let b = a; b < p; b++) F[a * p + b] = F[b * p + a] = F[a * p + b] / N;
  }
  return F;
}

/** The score: ℵ + H/(1 + ln 9), ordered as the official dense rank of (ℵ, H). */
export function vkdnwSingle(dim: number, entropy: number): number {
  return dim + entropy / (1 + Math.log(9));
}

/** Example `i` of a tensor, or of every tensor of a record (a recommender's input), as a batch of 1. */
export function exampleOf<X>(x: X, i: number): X {
  if (x instanceof tf.Tensor) return tf.slice(x, [i], [1]) as X;
  if (x && typeof x === "object") {
    return Object.fromEntries(
      Object.entries(x as Record<string, unknown>).map(([k, v]) => [k, exampleOf(v, i)]),
    ) as X;
  }
  throw new TypeError("Cannot take one example of an input that is neither a tensor nor a record of tensors");
}

/** Dispose a tensor input or every tensor of a record. */
export function disposeInput(x: unknown): void {
  if (x instanceof tf.Tensor) x.dispose();
  else if (x && typeof x === "object") Object.values(x).forEach(disposeInput);
}

/** The number of examples in a tensor input or a record of tensors. */
export function batchSize(x: unknown): number {
  if (x instanceof tf.Tensor) return x.shape[0];
  const first = Object.values(x as Record<string, unknown>)[0];
  if (first === undefined) throw new TypeError("Expected an input tensor or a record of tensors");
  return batchSize(first);
}

/** N(0,1) inputs with the shape of a tensor `x`, from the project's seeded generator. */
export function gaussianLike(x: tf.Tensor, seed: number): tf.Tensor {
  const rng = createRng(seed);
  return tf.tensor(Float32Array.from({ length: x.size }, () => rng.normal()), x.shape, "float32");
}

/** Per-example logits and Jacobians wrt the selected scalars (flat index 0 of each tensor). */
export async function logitJacobians(
  net: Net,
  x: tf.Tensor,
  vars: tf.Variable[],
): Promise<{ jac: Float64Array[]; logits: Float64Array[] }> {
  const n = batchSize(x), p = vars.length;
  const jac: Float64Array[] = [], logits: Float64Array[] = [];
  await withRestored(net, [], async () => {
    for (let i = 0; i < n; i++) {
      const xi = exampleOf(x, i);
      const z = tf.tidy(() => net.forward(xi, { training: false }));
      const k = z.shape[z.rank - 1]!;
      logits.push(Float64Array.from(await z.data()));
      z.dispose();
      const J = new Float64Array(k * p);
      for (let c = 0; c < k; c++) {
        const { value, grads } = tf.variableGrads(
          () => tf.sum(tf.slice(tf.reshape(net.forward(xi, { training: false }), [-1]), [c], [1])),
          vars,
        );
        // the first entry of each gradient, read back in one transfer
        const have = vars.map((v, j) => [j, grads[v.name]] as const).filter(([, g]) => g);
        if (have.length > 0) {
          const firsts = tf.tidy(() =>
            tf.concat(have.map(([, g]) => tf.slice(tf.reshape(g, [-1]), [0], [1])))
          );
          const read = await firsts.data();
          firsts.dispose();
          have.forEach(([j], q) => (J[c * p + j] = read[q]));
        }
        tf.dispose([value, ...Object.values(grads)]);
      }
      jac.push(J);
      disposeInput(xi);
    }
  });
  return { jac, logits };
}

/** The VKDNW score of `net` (VKDNW_single; terms: entropy, dim, the nine deciles). */
export async function vkdnwProxy(net: Net, batches: Batch[], opts: VkdnwOptions = {}): Promise<ProxyScore> {
  const t0 = performance.now();
  const { x } = firstBatch(batches, "vkdnw");
  const maxTensors = opts.maxTensors ?? 128;
  const params = net.params();
  const vars = params.slice(0, maxTensors).map((p) => p.variable);
  const gaussian = (opts.input ?? "gaussian") === "gaussian" && x instanceof tf.Tensor;
  const input = gaussian ? gaussianLike(x, opts.seed ?? 0) : x;
  try {
    const { jac, logits } = await logitJacobians(net, input, vars);
    const F = vkdnwFisher(jac, logits, vars.length);
    const lambdas = symmetricEigenvalues(F, vars.length).map(Math.abs);
    const { entropy, deciles } = decileEntropy(lambdas);
    const terms: Record<string, number> = { entropy, dim: params.length };
    deciles.forEach((d, i) => (terms[`lambda_${i + 1}`] = d));
    return { value: vkdnwSingle(params.length, entropy), terms, seconds: (performance.now() - t0) / 1000 };
  } finally {
    if (gaussian) input.dispose();
  }
}

/** The columns VKDNW_agg aggregates, one value per net of the population. */
export interface VkdnwAggregateInput {
  /** `vkdnw` scores (or anything ordered as the dense rank of (ℵ, H)) */
  vkdnw: number[];
  /** AZ-NAS expressivity */
  expressivity: number[];
  /** AZ-NAS trainability */
  trainability: number[];
  /** jacov; NaN is replaced by the population's minimum, as the official notebook does */
  jacov: number[];
  /** FLOPs */
  flops: number[];
}

/**
 * Average ranks from 1 as pandas `rank()` gives them (ties share their mean rank): NaN gets rank NaN and is
 * left out of the others' ranks.
 */
export function pandasRanks(v: number[]): number[] {
  const idx = v.map((_, i) => i).filter((i) => !Number.isNaN(v[i])).sort((a, b) => v[a] - v[b]);
  const out = new Array<number>(v.length).fill(NaN);
  for (let s = 0; s < idx.length;) {
    let e = s;
    while (e + 1 < idx.length && v[idx[e + 1]] === v[idx[s]]) e++;
    for (let i = s; i <= e; i++) out[idx[i]] = (s + e) / 2 + 1;
    s = e + 1;
  }
  return out;
}

/** Dense ranks from 1 (ties share a rank, no gaps); NaN gets rank NaN. */
export function denseRanks(v: number[]): number[] {
  const distinct = [...new Set(v.filter((x) => !Number.isNaN(x)))].sort((a, b) => a - b);
  const at = new Map(distinct.map((d, i) => [d, i + 1]));
  return v.map((x) => at.get(x) ?? NaN);
}

/**
 * VKDNW_agg (the paper's Table 1; `vkdnw_comb_rank` of the official `get_scores`): per net,
 * log denseRank(VKDNW_single) + log rank(expressivity) + log rank(trainability) + log rank(jacov)
 * + log rank(FLOPs), ranks ascending (higher = better). Throws unless every column has the same
 * length; a NaN outside jacov gives that net NaN.
 */
export function vkdnwAggregate(cols: VkdnwAggregateInput): number[] {
  const n = cols.vkdnw.length;
  for (const [k, v] of Object.entries(cols)) {
    if (v.length !== n) throw new RangeError(`Expected ${n} values of '${k}', got ${v.length}`);
  }
  const finiteJacov = cols.jacov.filter((v) => !Number.isNaN(v));
  const jmin = finiteJacov.length ? Math.min(...finiteJacov) : NaN;
  const jacov = cols.jacov.map((v) => (Number.isNaN(v) ? jmin : v));
  const ranked = [
    denseRanks(cols.vkdnw),
    pandasRanks(cols.expressivity),
    pandasRanks(cols.trainability),
    pandasRanks(jacov),
    pandasRanks(cols.flops),
  ];
  return Array.from({ length: n }, (_, i) => ranked.reduce((s, r) => s + Math.log(r[i]), 0));
}

/**
 * The gradient statistics of ZiCo and SiGeo, on recorded per-batch gradients (float64 sums).
 *
 * Kept separate from the tfjs code so each term can be checked on hand-made numbers, and so the
 * official variants' differences are explicit options (docs/sigeo.md §1;
 * docs/proxies.md "zico"):
 * - std over batches: population (ddof 0, numpy; ZiCo and NASLib-SiGeo) or unbiased (ddof 1,
 *   torch.std; NasRec-SiGeo);
 * - elements kept: every non-zero-std element, or only the first one (NasRec-SiGeo's
 *   `torch.nonzero(std)[0]` mistranslation of `np.nonzero(std)[0]`);
 * - the Fisher–Rao projection: per layer |⟨Σ_b g_b, θ⟩| summed (NASLib-SiGeo), or one |·| of
 *   the total (NasRec-SiGeo), or the textbook empirical Fisher mean_b ⟨g_b, θ⟩².
 *
 * @module
 */

/** How ZiCo's per-layer sum is formed. */
export interface ZicoOptions {
  /** 0 = population std (numpy), 1 = unbiased (torch) @default {0} */
  ddof?: 0 | 1;
  /** keep only the first non-zero-std element of each layer (NasRec-SiGeo bug) @default {false} */
  firstNonzeroOnly?: boolean;
}

/**
 * S_l = Σ_{i: σ_i ≠ 0} mean_b|g_{b,i}| / σ_b(g_{b,i}) for one layer; `grads[b]` is batch b's
 * gradient of the layer. Returns 0 when no element has non-zero std.
 */
export function zicoLayerSum(grads: Float32Array[], opts: ZicoOptions = {}): number {
  const B = grads.length;
  const ddof = opts.ddof ?? 0;
  if (B - ddof <= 0) return 0;
  const n = grads[0].length;
  let s = 0;
  for (let i = 0; i < n; i++) {
    let mean = 0, meanAbs = 0;
    for (let b = 0; b < B; b++) {
      mean += grads[b][i];
      meanAbs += Math.abs(grads[b][i]);
    }
    mean /= B;
    meanAbs /= B;
    let ss = 0;
    for (let b = 0; b < B; b++) ss += (grads[b][i] - mean) ** 2;
    const std = Math.sqrt(ss / (B - ddof));
    if (std !== 0) {
      s += meanAbs / std;
      if (opts.firstNonzeroOnly) return s;
    }
  }
  return s;
}

/** Per-layer sums and the ZiCo score Σ_{l: S_l ≠ 0} log S_l. `grads[b][l]` as recorded. */
export function zicoScore(
  grads: Float32Array[][],
  opts: ZicoOptions = {},
): { score: number; layerSums: number[] } {
  const layers = grads[0]?.length ?? 0;
  const layerSums: number[] = [];
  let score = 0;
  for (let l = 0; l < layers; l++) {
    const s = zicoLayerSum(grads.map((g) => g[l]), opts);
    layerSums.push(s);
    if (s !== 0) score += Math.log(s);
  }
  return { score, layerSums };
}

/** ⟨Σ_b g_b, θ⟩ for each layer. */
export function projections(grads: Float32Array[][], theta: Float32Array[]): number[] {
  return theta.map((t, l) => {
    let s = 0;
    for (let i = 0; i < t.length; i++) {
      let g = 0;
      for (let b = 0; b < grads.length; b++) g += grads[b][l][i];
      s += g * t[i];
    }
    return s;
  });
}

/** ⟨g_b, θ⟩ over all layers, for each batch b. */
export function batchProjections(grads: Float32Array[][], theta: Float32Array[]): number[] {
  return grads.map((gb) => {
    let s = 0;
    theta.forEach((t, l) => {
      for (let i = 0; i < t.length; i++) s += gb[l][i] * t[i];
    });
    return s;
  });
}

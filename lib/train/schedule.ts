/**
 * NASRec's learning-rate schedule (`CosineAnnealingWarmupRestarts`, one cycle): linear warm-up from
 * `minLr` to `lr` over the first `warmupFraction` of the steps, then cosine decay to `minLr`.
 *
 * @module
 */

/** Options of {@linkcode cosineWithWarmup}. */
export interface CosineWarmupOptions {
  lr: number;
  totalSteps: number;
  /** @default {0.1} */
  warmupFraction?: number;
  /** @default {1e-8} */
  minLr?: number;
}

/** The learning rate of each step (0-based). */
export function cosineWithWarmup(opts: CosineWarmupOptions): (step: number) => number {
  const { lr, totalSteps, warmupFraction = 0.1, minLr = 1e-8 } = opts;
  const warm = Math.floor(totalSteps * warmupFraction);
  return (step) => {
    if (step < warm) return minLr + ((lr - minLr) * step) / warm;
    const t = (step - warm) / Math.max(1, totalSteps - warm);
    return minLr + ((lr - minLr) * (1 + Math.cos(Math.PI * Math.min(1, t)))) / 2;
  };
}

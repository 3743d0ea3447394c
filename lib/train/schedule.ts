/**
 * NASRec's learning-rate schedule (`CosineAnnealingWarmupRestarts` with one cycle, as its scripts
 * use it): linear warm-up from `minLr` to `lr` over the first ⌊warmupFraction · totalSteps⌋ steps,
 * then cosine decay to `minLr` at `totalSteps`. Step 0 runs at `minLr` (NASRec sets the optimizer
 * to `min_lr` before the first step). Past `totalSteps` the rate stays at `minLr` (NASRec would
 * start a new cycle; its scripts never get there).
 *
 * @module
 */

/** Options of {@linkcode cosineWithWarmup}. */
export interface CosineWarmupOptions {
  /** peak rate, reached at the end of the warm-up */
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
  if (!Number.isInteger(totalSteps) || totalSteps < 0) {
    throw new RangeError(`Expected a non-negative integer number of steps, got ${totalSteps}`);
  }
  if (!(warmupFraction >= 0 && warmupFraction < 1)) {
    throw new RangeError(`Expected a warm-up fraction in [0, 1), got ${warmupFraction}`);
  }
  if (!(lr >= minLr && minLr >= 0)) {
    throw new RangeError(`Expected 0 ≤ minLr ≤ lr, got minLr ${minLr} and lr ${lr}`);
  }
  const warm = Math.floor(totalSteps * warmupFraction);
  return (step) => {
    if (!(step >= 0)) throw new RangeError(`Expected a non-negative step, got ${step}`);
    if (step < warm) return minLr + ((lr - minLr) * step) / warm;
    const t = (step - warm) / Math.max(1, totalSteps - warm);
    return minLr + ((lr - minLr) * (1 + Math.cos(Math.PI * Math.min(1, t)))) / 2;
  };
}

/**
 * NAS-Bench-201's cosine annealing without warm-up (PyTorch `CosineAnnealingLR`, η_min = 0):
 * `lr · (1 + cos(π · step / totalSteps)) / 2`, from `lr` at step 0 to 0 at `totalSteps`. The
 * expression is evaluated in that order so every caller gets the same bits.
 */
export function cosineDecay(lr: number, totalSteps: number): (step: number) => number {
  if (!(totalSteps >= 0)) throw new RangeError(`Expected a non-negative number of steps, got ${totalSteps}`);
  return (step) => 0.5 * lr * (1 + Math.cos((Math.PI * step) / totalSteps));
}

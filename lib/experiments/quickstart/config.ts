/**
 * The quickstart's settings, one plain object per scale.
 *
 * @module
 */
import type { Scale } from "../scale.ts";
import type { ReferenceSeconds } from "../plan.ts";
import type { PerArchStudyConfig } from "../pipelines/nb201_per_arch.ts";

/** Settings of the quickstart (what its run folder's manifest records). */
export interface QuickstartConfig {
  scale: Scale;
  /** cells and stacking of part 1's networks */
  C: number;
  N: number;
  /** architectures of the warm-up comparison */
  archs: number;
  fractions: number[];
}

/** Per scale. */
export const QUICKSTART: Readonly<Record<Scale, QuickstartConfig>> = {
  smoke: { scale: "smoke", C: 8, N: 1, archs: 10, fractions: [0, 0.6] },
  small: { scale: "small", C: 16, N: 2, archs: 30, fractions: [0, 0.2, 0.6] },
  paper: { scale: "paper", C: 16, N: 5, archs: 100, fractions: [0, 0.1, 0.2, 0.4] },
};

/**
 * Part 2's study at every scale (its `archs` and `fractions` come from {@link QUICKSTART}): small
 * generated 16-px images, C = 4, a 1-epoch warm-up per candidate and a 2-epoch ground truth — a
 * minute on a laptop.
 */
export const QUICKSTART_STUDY: Readonly<Omit<PerArchStudyConfig, "archs" | "fractions">> = {
  dataset: "cifar10",
  truthMetric: "val_accuracy",
  proxies: ["zico", "sigeo"],
  baselines: [],
  seed: 9000,
  nominalPool: 2560,
  C: 4,
  N: 1,
  imageSize: 16,
  trainN: 2560,
  testN: 512,
  noise: 300,
  warmup: { epochs: 1, batchSize: 128, lr: 1 },
  truthTraining: { epochs: 2, batchSize: 64, lr: 0.1 },
};

/**
 * Phase seconds for `--plan` when no quickstart run has completed here (lib/experiments/plan.ts):
 * `deno task reproduce quickstart --scale smoke` on this project's 2-core machine under load from other jobs, 2026-12-04.
 */
export const QUICKSTART_SECONDS: ReferenceSeconds = {
  smoke: {
    phases: { scoring: 135 },
    basis:
      "deno task reproduce quickstart --scale smoke on this project's 2-core machine under load from other jobs, 2026-12-04",
  },
};

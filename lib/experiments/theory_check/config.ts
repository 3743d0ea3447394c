/**
 * The theory check's settings, one plain object per scale: NasRec-SiGeo's loop (MLP widths 2 … 50,
 * SGD lr 0.2, batch 128, 3 epochs; 25 runs per width at paper scale) on MNIST or generated digits.
 *
 * @module
 */
import type { Scale } from "../scale.ts";
import type { ReferenceSeconds } from "../plan.ts";

/** Settings of the theory check. */
export interface TheoryCheckConfig {
  widths: number[];
  epochs: number;
  lr: number;
  batchSize: number;
  /** warm-up levels as fractions of the first epoch */
  levels: number[];
  seed: number;
  /** runs per width (the official loop: 25) */
  repeats: number;
  /** generated data sizes (MNIST uses its own) */
  trainN: number;
  testN: number;
  /** MNIST folder (IDX files); generated data when absent */
  dataDir?: string;
}

/** Per scale. */
export const THEORY_CHECK: Readonly<Record<Scale, TheoryCheckConfig>> = {
  smoke: {
    widths: [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 42, 44, 46, 48, 50],
    epochs: 3,
    lr: 0.2,
    batchSize: 128,
    levels: [0, 0.1, 0.2, 0.4, 0.6, 0.8, 1],
    seed: 2023,
    repeats: 1,
    trainN: 6400,
    testN: 1000,
  },
  small: {
    widths: [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 42, 44, 46, 48, 50],
    epochs: 3,
    lr: 0.2,
    batchSize: 128,
    levels: [0, 0.1, 0.2, 0.4, 0.6, 0.8, 1],
    seed: 2023,
    repeats: 4,
    trainN: 20000,
    testN: 5000,
  },
  paper: {
    widths: [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 42, 44, 46, 48, 50],
    epochs: 3,
    lr: 0.2,
    batchSize: 128,
    levels: [0, 0.1, 0.2, 0.4, 0.6, 0.8, 1],
    seed: 2023,
    repeats: 25,
    trainN: 60000,
    testN: 10000,
  },
};

/**
 * Phase seconds for `--plan` when no theory-check run has completed here (lib/experiments/plan.ts):
 * `deno task reproduce theory-check --scale smoke` on this project's 2-core machine under load from other jobs, 2026-12-04.
 */
export const THEORY_CHECK_SECONDS: ReferenceSeconds = {
  smoke: {
    phases: { training: 29 },
    basis:
      "deno task reproduce theory-check --scale smoke on this project's 2-core machine under load from other jobs, 2026-12-04",
  },
};

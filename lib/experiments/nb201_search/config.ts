/**
 * The NB201 search's settings, one plain object per scale: its images and network (as the NB201
 * correlation study's at the same scale), the supernet warm-up, the evolution, and the final
 * from-scratch training of its top-k.
 *
 * @module
 */
import type { Scale } from "../scale.ts";
import type { ReferenceSeconds } from "../plan.ts";
import type { Nb201ImageSpec, Nb201NetSpec, TrainingSettings } from "../pipelines/nb201.ts";

/** Settings of the NB201 search. */
export interface Nb201SearchConfig extends Nb201ImageSpec, Nb201NetSpec {
  /** warm-up fraction of the supernet's epoch budget */
  warmupFraction: number;
  supernet: TrainingSettings;
  evolution: { population: number; sample: number; children: number; generations: number };
  /** candidates trained from scratch at the end */
  topK: number;
  /** that from-scratch training (each top-k candidate, then the winner on train + validation) */
  final: TrainingSettings;
}

/** Per scale. */
export const NB201_SEARCH: Readonly<Record<Scale, Nb201SearchConfig>> = {
  smoke: {
    dataset: "cifar10",
    imageSize: 16,
    trainN: 2560,
    testN: 512,
    noise: 300,
    C: 4,
    N: 1,
    seed: 9000,
    warmupFraction: 0.5,
    supernet: { epochs: 2, batchSize: 64, lr: 0.05 },
    evolution: { population: 6, sample: 3, children: 3, generations: 3 },
    topK: 2,
    final: { epochs: 2, batchSize: 64, lr: 0.1 },
  },
  small: {
    dataset: "cifar10",
    imageSize: 16,
    trainN: 6000,
    testN: 1000,
    noise: 300,
    C: 8,
    N: 1,
    seed: 9000,
    warmupFraction: 0.1,
    supernet: { epochs: 10, batchSize: 64, lr: 0.05 },
    evolution: { population: 32, sample: 16, children: 8, generations: 16 },
    topK: 5,
    final: { epochs: 3, batchSize: 64, lr: 0.1 },
  },
  paper: {
    dataset: "cifar10",
    imageSize: 32,
    trainN: 50000,
    testN: 10000,
    noise: 300,
    C: 16,
    N: 5,
    seed: 9000,
    warmupFraction: 0.1,
    supernet: { epochs: 100, batchSize: 64, lr: 0.05 },
    evolution: { population: 128, sample: 64, children: 8, generations: 240 },
    topK: 15,
    final: { epochs: 12, batchSize: 256, lr: 0.1 },
  },
};

/**
 * Phase seconds for `--plan` when no nb201-search run has completed here (lib/experiments/plan.ts):
 * `deno task reproduce nb201-search --scale smoke` on this project's 2-core machine under load from other jobs, 2026-12-04.
 */
export const NB201_SEARCH_SECONDS: ReferenceSeconds = {
  smoke: {
    phases: { warmup: 4, search: 11, final: 23 },
    basis:
      "deno task reproduce nb201-search --scale smoke on this project's 2-core machine under load from other jobs, 2026-12-04",
  },
};

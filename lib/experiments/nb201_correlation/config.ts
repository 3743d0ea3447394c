/**
 * The NB201 correlation experiment's settings, one plain object per scale: the per-architecture
 * study run on each dataset (the dataset is chosen at run time) and the supernet study of part 2.
 *
 * @module
 */
import type { Scale } from "../scale.ts";
import type { PerArchStudyConfig } from "../pipelines/nb201_per_arch.ts";
import type { SupernetSettings } from "./supernet.ts";

/**
 * Measured wall seconds on this project's 2-core CPU machine (wasm + OpenBLAS backend, C = 16,
 * N = 5, CIFAR 32 × 32, 4 scoring batches of 64; mean of architectures 2 and 3 of the seed-9000
 * sample, after the first one's kernel compilation), shared with ~8 other jobs (load average
 * 4–7) at the time, so an unloaded laptop is faster. `score0`: every proxy and baseline of level
 * 0 for one architecture; `scoreWarm`: ZiCo + SiGeo after warm-up; `step`: one warm-up SGD step
 * of a 128-image batch (forward, backward, update).
 */
export const SMALL_COSTS = { score0: 16, scoreWarm: 9, step: 2.6, machine: "2 CPU cores, loaded" } as const;

/** The wall time `small` is sized for: all three datasets together, about one hour. */
export const SMALL_BUDGET_SECONDS = 3600;

/** Fewest architectures a level is run with (fewer make no meaningful rank correlation). */
export const MIN_LEVEL_ARCHS = 8;

/**
 * Architectures per level that fit {@link SMALL_BUDGET_SECONDS} / 3 per dataset at
 * {@link SMALL_COSTS}: each warmed-up level gets an equal share and is run only if
 * {@link MIN_LEVEL_ARCHS} fit in it (a 10 % level — 6 000 images × 10 epochs = 470 steps — costs
 * one architecture about 20 minutes here, so on 2 CPU cores none does: they are refused with a
 * notice, and `--scale paper` on a GPU runs them); level 0 gets the rest.
 */
export function smallLevelArchs(
  fractions: readonly number[],
  costs: { score0: number; scoreWarm: number; step: number } = SMALL_COSTS,
  budget = SMALL_BUDGET_SECONDS / 3,
): { archs: number; levelArchs: number[] } {
  const share = budget / fractions.length;
  let left = budget;
  const warm = fractions.map((p) => {
    if (p === 0) return 0;
    const perArch = 10 * Math.ceil(Math.max(256, Math.round(p * 60000)) / 128) * costs.step + costs.scoreWarm;
    const k = Math.floor(share / perArch);
    if (k < MIN_LEVEL_ARCHS) return 0;
    left -= k * perArch;
    return k;
  });
  const zero = Math.floor(left / costs.score0);
  const levelArchs = fractions.map((p, i) => (p === 0 ? zero : warm[i]));
  return { archs: Math.max(...levelArchs), levelArchs };
}

/** The per-architecture study of one dataset (`dataset` is replaced by each dataset of the run). */
export type Nb201CorrelationConfig = Omit<PerArchStudyConfig, "dataDir" | "truthPath">;

/** Per scale. */
export const NB201_CORRELATION: Readonly<Record<Scale, Nb201CorrelationConfig>> = {
  smoke: {
    dataset: "cifar10",
    truthMetric: "val_accuracy",
    fractions: [0, 0.2, 0.6, 1],
    proxies: ["zico", "sigeo"],
    baselines: ["grad_norm", "snip", "plain", "l2_norm", "params"],
    seed: 9000,
    archs: 12,
    nominalPool: 2560,
    C: 4,
    N: 1,
    imageSize: 16,
    trainN: 2560,
    testN: 512,
    noise: 300,
    warmup: { epochs: 1, batchSize: 128, lr: 1 },
    truthTraining: { epochs: 2, batchSize: 64, lr: 0.1 },
  },
  // The paper's protocol (C = 16, N = 5, the benchmark's network; 10-epoch warm-up of each
  // candidate on p · 60 000 real images; a benchmark ground truth) with fewer architectures: the
  // counts per level are those that fit SMALL_BUDGET_SECONDS on 2 CPU cores (see SMALL_COSTS).
  small: {
    dataset: "cifar10",
    fractions: [0, 0.1, 0.2, 0.4, 0.6, 1],
    proxies: ["zico", "sigeo"],
    baselines: ["grad_norm", "snip", "plain", "l2_norm", "params"],
    seed: 9000,
    ...smallLevelArchs([0, 0.1, 0.2, 0.4, 0.6, 1]),
    nominalPool: 60000,
    C: 16,
    N: 5,
    imageSize: 32, // real data only at this scale
    trainN: 50000,
    testN: 10000,
    noise: 300,
    warmup: { epochs: 10, batchSize: 128, lr: 1 },
    truthTraining: { epochs: 12, batchSize: 256, lr: 0.1 },
  },
  paper: {
    dataset: "cifar10",
    truthMetric: "val_accuracy",
    fractions: [0, 0.1, 0.2, 0.4, 0.6, 1],
    proxies: ["zico", "sigeo"],
    baselines: ["grad_norm", "snip", "plain", "l2_norm", "params"],
    seed: 9000,
    archs: 1000,
    nominalPool: 60000,
    C: 16,
    N: 5,
    imageSize: 32,
    trainN: 50000,
    testN: 10000,
    noise: 300,
    warmup: { epochs: 10, batchSize: 128, lr: 1 },
    truthTraining: { epochs: 12, batchSize: 256, lr: 0.1 },
  },
};

/** Part 2: the supernet warm-up on the first dataset (its data, architectures and levels as above). */
export const NB201_SUPERNET: Readonly<Record<Scale, SupernetSettings | null>> = {
  smoke: { epochs: 3, batchSize: 64, lr: 0.05, valN: 512 },
  small: null, // not within the hour on 2 CPU cores (see SMALL_COSTS): refused with a notice
  paper: { epochs: 100, batchSize: 256, lr: 0.1, valN: 10000 },
};

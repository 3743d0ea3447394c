/**
 * The NB201 correlation experiment's settings, one plain object per scale: the per-architecture
 * study run on each dataset (the dataset is chosen at run time) and the supernet study of part 2.
 *
 * @module
 */
import type { Scale } from "../scale.ts";
import type { PerArchStudyConfig } from "../pipelines/nb201_per_arch.ts";
import type { SupernetSettings } from "./supernet.ts";

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
  small: {
    dataset: "cifar10",
    truthMetric: "val_accuracy",
    fractions: [0, 0.1, 0.2, 0.4, 0.6, 1],
    proxies: ["zico", "sigeo"],
    baselines: ["grad_norm", "snip", "plain", "l2_norm", "params"],
    seed: 9000,
    archs: 24,
    nominalPool: 6000,
    C: 8,
    N: 1,
    imageSize: 16, // generated data only (real data keeps its size): 32 px makes every cell ~100 % accurate
    trainN: 6000,
    testN: 1000,
    noise: 300,
    warmup: { epochs: 1, batchSize: 128, lr: 1 },
    truthTraining: { epochs: 3, batchSize: 64, lr: 0.1 },
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
export const NB201_SUPERNET: Readonly<Record<Scale, SupernetSettings>> = {
  smoke: { epochs: 3, batchSize: 64, lr: 0.05, valN: 512 },
  small: { epochs: 10, batchSize: 64, lr: 0.05, valN: 1000 },
  paper: { epochs: 100, batchSize: 256, lr: 0.1, valN: 10000 },
};

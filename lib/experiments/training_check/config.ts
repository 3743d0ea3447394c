/**
 * The training check's settings, one plain object per scale: one mixed NB201 cell (convolutions,
 * pooling, skip), SGD Nesterov with cosine annealing, on generated CIFAR-10 files.
 *
 * @module
 */
import type { Scale } from "../scale.ts";

/** Settings of the training check. */
export interface TrainingCheckConfig {
  arch: string;
  C: number;
  N: number;
  trainN: number;
  testN: number;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
}

/** Per scale. */
export const TRAINING_CHECK: Readonly<Record<Scale, TrainingCheckConfig>> = {
  smoke: {
    arch: "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|",
    C: 8,
    N: 1,
    trainN: 2000,
    testN: 500,
    epochs: 3,
    batchSize: 64,
    lr: 0.05,
    seed: 0,
  },
  small: {
    arch: "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|",
    C: 16,
    N: 2,
    trainN: 10000,
    testN: 2000,
    epochs: 5,
    batchSize: 64,
    lr: 0.05,
    seed: 0,
  },
  paper: {
    arch: "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|",
    C: 16,
    N: 5,
    trainN: 50000,
    testN: 10000,
    epochs: 10,
    batchSize: 256,
    lr: 0.1,
    seed: 0,
  },
};

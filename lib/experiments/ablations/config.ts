/**
 * The ablations' settings, one plain object per scale: the CV ablations on the NB201
 * per-architecture study (CIFAR-10) and the RecSys ablations on a NASRec-Small supernet (Criteo).
 *
 * @module
 */
import type { Scale } from "../scale.ts";
import type { ReferenceSeconds } from "../plan.ts";
import { NASREC_LR } from "../../train/recsys_fit.ts";
import type { PerArchStudyConfig } from "../pipelines/nb201_per_arch.ts";
import type { RecsysAblationConfig } from "./recsys.ts";
import { PROXIES } from "../../proxies/registry.ts";
import type { AggregationRule } from "../../proxies/ensemble.ts";

/** Settings of the CV ablations. */
export interface CvAblationConfig {
  study: PerArchStudyConfig;
  /** warm-up fraction at which batch and std variants are rescored */
  fraction: number;
  /** (batches, batch size) variants */
  batchVariants: Array<{ batches: number; batchSize: number }>;
  /**
   * proxies scored, besides "sigeo", on the same warmed-up nets at every level of the study (the
   * "does it improve with warm-up?" table): a cheap subset at smoke, every NB201 proxy above
   */
  warmupProxies: string[];
  /** rank aggregations over proxy lists, one extra row per (ensemble, level) of that table */
  ensembles: Array<{ rule: AggregationRule; proxies: string[] }>;
}

/**
 * Every registered proxy that applies to NB201, "sigeo" aside (the study's level-dependent preset):
 * all but the recommender SiGeo presets (`sigeo-recsys*`, final-layer scoring for NASRec).
 */
export const NB201_WARMUP_PROXIES: readonly string[] = Object.keys(PROXIES).filter((p) =>
  !p.startsWith("sigeo-recsys")
);

/**
 * The smoke subset: proxies that cost little on a C = 4, N = 1 cell (one batch or data-free), so
 * the table stays in the notebook's CI run (2 cores) at a few seconds more.
 */
const SMOKE_WARMUP_PROXIES = ["zico", "grad_norm", "snip", "nwot", "synflow", "l2_norm"];

/** AZ-NAS's rule and the mean rank over SiGeo, ZiCo and two zero-cost proxies. */
const ENSEMBLES: CvAblationConfig["ensembles"] = [
  { rule: "az-nas", proxies: ["sigeo", "zico", "nwot", "synflow"] },
  { rule: "mean-rank", proxies: ["sigeo", "zico", "nwot", "synflow"] },
];

const BATCH_VARIANTS = [
  { batches: 2, batchSize: 64 },
  { batches: 4, batchSize: 64 },
  { batches: 8, batchSize: 64 },
  { batches: 4, batchSize: 32 },
  { batches: 4, batchSize: 128 },
];

/** CV ablations per scale. */
export const CV_ABLATIONS: Readonly<Record<Scale, CvAblationConfig>> = {
  smoke: {
    study: {
      dataset: "cifar10",
      truthMetric: "val_accuracy",
      fractions: [0, 0.2, 0.6, 1],
      proxies: ["zico", "sigeo"],
      baselines: [],
      seed: 9000,
      archs: 10,
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
    fraction: 0.6,
    batchVariants: [{ batches: 2, batchSize: 64 }, { batches: 4, batchSize: 64 }, {
      batches: 4,
      batchSize: 128,
    }],
    warmupProxies: SMOKE_WARMUP_PROXIES,
    ensembles: ENSEMBLES,
  },
  small: {
    study: {
      dataset: "cifar10",
      truthMetric: "val_accuracy",
      fractions: [0, 0.1, 0.2, 0.4, 0.6, 1],
      proxies: ["zico", "sigeo"],
      baselines: [],
      seed: 9000,
      archs: 24,
      nominalPool: 6000,
      C: 8,
      N: 1,
      imageSize: 16,
      trainN: 6000,
      testN: 1000,
      noise: 300,
      warmup: { epochs: 1, batchSize: 128, lr: 1 },
      truthTraining: { epochs: 3, batchSize: 64, lr: 0.1 },
    },
    fraction: 0.6,
    batchVariants: BATCH_VARIANTS,
    warmupProxies: [...NB201_WARMUP_PROXIES],
    ensembles: ENSEMBLES,
  },
  paper: {
    study: {
      dataset: "cifar10",
      truthMetric: "val_accuracy",
      fractions: [0, 0.1, 0.2, 0.4, 0.6, 1],
      proxies: ["zico", "sigeo"],
      baselines: [],
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
    fraction: 0.6,
    batchVariants: BATCH_VARIANTS,
    warmupProxies: [...NB201_WARMUP_PROXIES],
    ensembles: ENSEMBLES,
  },
};

/** RecSys ablations per scale (Criteo's SiGeo λ = (1, 1, 0); small: about 20 minutes on 2 CPU cores). */
export const RECSYS_ABLATIONS: Readonly<Record<Scale, RecsysAblationConfig>> = {
  smoke: {
    dataset: "criteo",
    space: "autoctr",
    seed: 2018,
    scoreBatches: 4,
    sigeoLambdas: [1, 1, 0],
    truth: { epochs: 1, lr: NASREC_LR.small },
    rows: 5_000,
    maxRows: 2_000,
    numBlocks: 2,
    batchSize: 64,
    fullPathSteps: 20,
    checkpointEvery: 50,
    archs: 12,
    levels: [0, 0.05, 0.2, 0.5, 1],
    oneShot: { finetuneSteps: 5, valRows: 500 },
  },
  small: {
    dataset: "criteo",
    space: "autoctr",
    seed: 2018,
    scoreBatches: 4,
    sigeoLambdas: [1, 1, 0],
    truth: { epochs: 1, lr: NASREC_LR.small },
    rows: 100_000,
    maxRows: 500_000,
    numBlocks: 7,
    batchSize: 512,
    fullPathSteps: 50,
    checkpointEvery: 200,
    archs: 20,
    levels: [0, 0.01, 0.05, 0.1, 0.25, 1],
    oneShot: { finetuneSteps: 10, valRows: 5_000 },
  },
  paper: {
    dataset: "criteo",
    space: "autoctr",
    seed: 2018,
    scoreBatches: 4,
    sigeoLambdas: [1, 1, 0],
    truth: { epochs: 1, lr: NASREC_LR.small },
    rows: 4_000_000,
    maxRows: 500_000,
    numBlocks: 7,
    batchSize: 512,
    fullPathSteps: 1_500,
    checkpointEvery: 200,
    archs: 100,
    levels: [0, 0.01, 0.05, 0.1, 0.25, 1],
    oneShot: { finetuneSteps: 500, valRows: 150 * 8192 },
  },
};

/**
 * Phase seconds for `--plan` when no ablations run has completed here (lib/experiments/plan.ts):
 * `deno task reproduce ablations --scale smoke` on this project's 2-core machine under load from other jobs, 2026-12-04.
 */
export const ABLATIONS_SECONDS: ReferenceSeconds = {
  smoke: {
    phases: { cv: 398, recsys: 438 },
    basis:
      "deno task reproduce ablations --scale smoke on this project's 2-core machine under load from other jobs, 2026-12-04",
  },
};

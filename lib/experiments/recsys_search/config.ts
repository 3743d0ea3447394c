/**
 * The recommender search's settings, one plain object per scale. What depends on the dataset or
 * the space is not repeated here: SiGeo's λ always comes from the dataset (`RECSYS_DATASETS` in
 * pipelines/recsys.ts, as NasRec-SiGeo's scripts), the final learning rate from the space and the
 * dataset (NASRec's README: Small 0.10; Full 0.16, Avazu 0.2), and an absent `rows`, `batchSize`,
 * `fullPathSteps` or `oneShot.valRows` means the dataset's (its full training file, NASRec's batch
 * size, NASRec's supernet steps scaled to the rows read, NASRec's validation batches of 8192).
 *
 * `small` is the paper's pipeline and protocol on a row budget (docs/nasrec.md §9): the same warm-up fraction, batch sizes, learning rates, table cap and block count, with
 * fewer rows, fewer candidates, fewer fine-tune steps and validation rows, and fewer top-k.
 *
 * @module
 */
import type { Scale } from "../scale.ts";
import type { NasrecSpaceName } from "../../spaces/nasrec/space.ts";
import { NASREC_LR } from "../../train/recsys_fit.ts";

/** The settings of one scale (see the module comment for what is per dataset or space). */
export interface RecsysSearchScale {
  /** table cap (NASRec caps tables at 0.5M rows during search) */
  maxRows: number;
  /** supernet warm-up learning rate (NASRec: 0.12) */
  lr: number;
  seed: number;
  /** scoring batches of the proxies (NasRec-SiGeo: 4) */
  scoreBatches: number;
  /** generated rows, or rows read from the data file @default {the dataset's full file} */
  rows?: number;
  /**
   * a row budget in training batches per epoch: rows = epochBatches · batch size / 0.8 (the 8/1/1
   * split's training part), so every dataset gets the same number of warm-up steps
   */
  epochBatches?: number;
  numBlocks: number;
  /** SiGeo's warm-up fraction of the training split (paper: 1 %) */
  warmup: number;
  /** epochs over the training split that the one-shot supernet gets (NASRec: 1) */
  oneShotEpochs: number;
  /** @default {the dataset's NASRec batch size} */
  batchSize?: number;
  /**
   * a cap on the dataset's batch size, per space (small: NASRec-Full at 512, as its 7-block supernet
   * at KDD's 1024 needs more than the WASM backend's 4 GB heap; docs/nasrec.md §9)
   */
  maxBatchSize?: Partial<Record<NasrecSpaceName, number>>;
  /** steps over which the full-path probability decays to 0 @default {the dataset's NASRec value} */
  fullPathSteps?: number;
  /** rolling warm-up checkpoints every this many steps */
  checkpointEvery: number;
  evolution: { population: number; sample: number; children: number; generations: number };
  /** one-shot baseline: last-layer fine-tune steps and validation rows */
  oneShot: { finetuneSteps: number; valRows?: number };
  /** final stage */
  topK: number;
  finalEpochs: number;
}

/** Per scale. */
export const RECSYS_SEARCH: Readonly<Record<Scale, RecsysSearchScale>> = {
  smoke: {
    // generated data has ~40 values per field: small tables keep the supernet's init and
    // checkpoints cheap (NASRec's capped 500 000-row tables would be 0.8 GB)
    maxRows: 2_000,
    lr: NASREC_LR.supernet,
    seed: 2018,
    scoreBatches: 4,
    rows: 5_000,
    numBlocks: 2,
    warmup: 0.2,
    oneShotEpochs: 1,
    batchSize: 64,
    fullPathSteps: 20,
    checkpointEvery: 50,
    evolution: { population: 4, sample: 2, children: 2, generations: 2 },
    oneShot: { finetuneSteps: 5, valRows: 500 },
    topK: 2,
    finalEpochs: 1,
  },
  // The paper's protocol on a budget (docs/nasrec.md §9, SMALL_RECSYS_COSTS):
  // 100 training batches per epoch (64 000 rows at 512; KDD 128 000 at its 1024, but NASRec-Full's
  // KDD capped at 512 for the WASM heap), so the 1 % level is 1 warm-up step; 28 candidates per
  // search; the best-scored one retrained.
  small: {
    maxRows: 500_000,
    lr: NASREC_LR.supernet,
    seed: 2018,
    scoreBatches: 4,
    epochBatches: 100,
    maxBatchSize: { xlarge: 512 },
    numBlocks: 7,
    warmup: 0.01,
    oneShotEpochs: 1,
    checkpointEvery: 25,
    evolution: { population: 12, sample: 6, children: 4, generations: 4 },
    oneShot: { finetuneSteps: 10, valRows: 4_096 },
    topK: 1,
    finalEpochs: 1,
  },
  paper: {
    maxRows: 500_000,
    lr: NASREC_LR.supernet,
    seed: 2018,
    scoreBatches: 4,
    numBlocks: 7,
    warmup: 0.01,
    oneShotEpochs: 1,
    checkpointEvery: 2_000,
    evolution: { population: 128, sample: 64, children: 8, generations: 240 },
    oneShot: { finetuneSteps: 500 },
    topK: 15,
    finalEpochs: 1,
  },
};

/** NASRec's final-training learning rate per space and dataset (its README's table). */
export const FINAL_LR = {
  autoctr: { criteo: NASREC_LR.small, avazu: NASREC_LR.small, kdd2012: NASREC_LR.small },
  xlarge: { criteo: NASREC_LR.full, avazu: 0.2, kdd2012: NASREC_LR.full },
} as const;

/**
 * NasRec-SiGeo's training of each top-k candidate (`eval_best_candidate_top15.py`): lr 0.12 at the
 * search's batch size, on the training split; the best on validation is then retrained with
 * {@link FINAL_LR} at the dataset's final batch size.
 */
export const CANDIDATE_LR = 0.12;

/** Seconds of each step of a run, per NASRec space, at batch 512 (measured: see the module comment). */
export interface RecsysCosts {
  /** one supernet warm-up step */
  warmupStep: number;
  /** one ZiCo/SiGeo candidate (4 scoring batches) */
  proxyCandidate: number;
  /** one last-layer fine-tune step of the one-shot ranking */
  finetuneStep: number;
  /** one validation row of the one-shot ranking (the supernet path) */
  oneShotValRow: number;
  /** one training row and one evaluated row of a standalone net */
  trainRow: number;
  evalRow: number;
}

/**
 * Measured by `tools/recsys_budget.ts` on the real samples (Criteo 100 rows, Avazu 1 000, repeated
 * up to the batches each phase needs) on this project's 2-core machine, per batch of 512, the mean of
 * Criteo and Avazu (the one-shot step and row split from their combined time). NASRec-Small under
 * load average 2–8 from other jobs, 2026-12-04; under load 15 the same phases took 3–4× longer, and
 * KDD costs about what Criteo does. NASRec-Full (7 blocks, 500 000-row tables; it fits the WASM heap
 * since the lean backward pass, docs/backends.md#backprop-memory) under load 2–5, 2026-12-04: a
 * warm-up step ~3.5× NASRec-Small's. docs/nasrec.md §9.
 */
export const SMALL_RECSYS_COSTS: { machine: string; autoctr: RecsysCosts; xlarge: RecsysCosts } = {
  machine: "2 CPU cores, loaded",
  autoctr: {
    warmupStep: 3.8,
    proxyCandidate: 1.8,
    finetuneStep: 0.5,
    oneShotValRow: 0.0005,
    trainRow: 0.00076,
    evalRow: 0.0002,
  },
  xlarge: {
    warmupStep: 9.4,
    proxyCandidate: 4.1,
    finetuneStep: 0.6,
    oneShotValRow: 0.0013,
    trainRow: 0.0011,
    evalRow: 0.00048,
  },
};

/** What {@link recsysPhaseSeconds} reads of a run's resolved settings. */
export interface RecsysPhaseInput {
  space: "autoctr" | "xlarge";
  rows: number;
  batchSize: number;
  finalBatchSize: number;
  warmup: number;
  oneShotEpochs: number;
  evolution: { population: number; generations: number; children: number };
  oneShot: { finetuneSteps: number; valRows: number };
  topK: number;
  finalEpochs: number;
}

/**
 * Estimated seconds of each phase of one (dataset, space) run: the supernet's one-shot epoch (its
 * levels are prefixes), the three searches, and the final stage (4 methods × top-k candidates on
 * train + the best retrained on train + val). Per-batch costs scale with the batch size.
 */
export function recsysPhaseSeconds(cfg: RecsysPhaseInput, costs = SMALL_RECSYS_COSTS) {
  const c = costs[cfg.space], b = cfg.batchSize / 512;
  const train = Math.floor(0.8 * cfg.rows), val = Math.floor(0.1 * cfg.rows);
  const epochBatches = Math.floor(train / cfg.batchSize);
  const evaluations = cfg.evolution.population + cfg.evolution.generations * cfg.evolution.children;
  const proxy = evaluations * c.proxyCandidate * b;
  const methods = 4;
  return {
    epochBatches,
    levelStep: Math.floor(cfg.warmup * epochBatches),
    evaluations,
    phases: {
      warmup: cfg.oneShotEpochs * epochBatches * c.warmupStep * b,
      search_zico: proxy,
      search_sigeo: proxy,
      search_one_shot: evaluations *
        (cfg.oneShot.finetuneSteps * c.finetuneStep * b +
          Math.min(cfg.oneShot.valRows, val) * c.oneShotValRow),
      final: methods * cfg.finalEpochs *
        ((cfg.topK * train + train + val) * c.trainRow + (cfg.topK + 1) * val * c.evalRow),
    },
  };
}

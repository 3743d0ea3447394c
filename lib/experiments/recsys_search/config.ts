/**
 * The recommender search's settings, one plain object per scale. What depends on the dataset or
 * the space is not repeated here: SiGeo's λ always comes from the dataset (`RECSYS_DATASETS` in
 * pipelines/recsys.ts, as NasRec-SiGeo's scripts), the final learning rate from the space
 * (NASRec: Small 0.10, Full 0.16), and an absent `rows`, `batchSize` or `fullPathSteps` means the
 * dataset's (its full training file, NASRec's batch size, NASRec's supernet steps).
 *
 * @module
 */
import type { Scale } from "../scale.ts";
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
  numBlocks: number;
  /** SiGeo's warm-up fraction of the training split (paper: 1 %) */
  warmup: number;
  /** epochs over the training split that the one-shot supernet gets (NASRec: 1) */
  oneShotEpochs: number;
  /** @default {the dataset's NASRec batch size} */
  batchSize?: number;
  /** steps over which the full-path probability decays to 0 @default {the dataset's NASRec value} */
  fullPathSteps?: number;
  /** rolling warm-up checkpoints every this many steps */
  checkpointEvery: number;
  evolution: { population: number; sample: number; children: number; generations: number };
  /** one-shot baseline: last-layer fine-tune steps and validation rows */
  oneShot: { finetuneSteps: number; valRows: number };
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
  // about ten minutes per (dataset, space) on 2 CPU cores: the whole table in about an hour
  small: {
    maxRows: 500_000,
    lr: NASREC_LR.supernet,
    seed: 2018,
    scoreBatches: 4,
    rows: 100_000,
    numBlocks: 7,
    warmup: 0.05,
    oneShotEpochs: 1,
    fullPathSteps: 50,
    checkpointEvery: 100,
    evolution: { population: 16, sample: 8, children: 4, generations: 6 },
    oneShot: { finetuneSteps: 10, valRows: 5_000 },
    topK: 2,
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
    oneShot: { finetuneSteps: 500, valRows: 150 * 8192 },
    topK: 15,
    finalEpochs: 1,
  },
};

/** NASRec's final-stage learning rate per space. */
export const FINAL_LR = { autoctr: NASREC_LR.small, xlarge: NASREC_LR.full } as const;

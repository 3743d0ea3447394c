/**
 * The pieces both recommender experiments (the search of §5.4 and the RecSys ablations) share:
 * reading or generating a dataset, the shuffled training batches, the NASRec supernet warm-up with
 * its levels, and the three ways to score a path on the warmed-up supernet (NasRec-SiGeo's
 * proxy function, NASRec's one-shot fine-tune + validation log loss) or to train it standalone.
 *
 * @module
 */
import * as tf from "../../tf.ts";
import { copyValues } from "../../train/inplace.ts";
import { createRng, type Rng } from "../../rng.ts";
import {
  readRecsysCached,
  readRecsysSource,
  type RecsysSource,
  sourceFiles,
} from "../../data/recsys_cache.ts";
import { writeAvazuFile, writeCriteoFile, writeKdd2012Files } from "../../data/gen_recsys.ts";
import { type RecsysData, type RecsysReadResult, takeRows } from "../../data/recsys.ts";
import { type RecsysSplit, stratifiedSplit } from "../../data/recsys_split.ts";
import type { Batch, Net } from "../../nn/net.ts";
import { disposeBatch, type RecsysInput, type RecsysNet, toBatch } from "../../nn/recsys_batch.ts";
import {
  NasrecSupernet,
  sampleWarmupArch,
  standalone,
  type StandaloneNet,
} from "../../spaces/nasrec/supernet.ts";
import type { DatasetLayout } from "../../data/recsys_layouts.ts";
import type { NasrecArch, NasrecSpaceName } from "../../spaces/nasrec/space.ts";
import { cosineWithWarmup } from "../../train/schedule.ts";
import {
  fitRecsys,
  NASREC_LR,
  recsysEvaluate,
  recsysOptimizer,
  recsysStep,
  sliceRows,
} from "../../train/recsys_fit.ts";
import { type WarmupLevel, type WarmupResult, warmupSupernet } from "../../train/warmup.ts";
import { type SigeoOptions, sigeoProxy } from "../../proxies/sigeo.ts";
import type { Evaluation } from "../../search/space.ts";

/** The recommender datasets of the paper. */
export type RecsysDatasetName = "criteo" | "avazu" | "kdd2012";

/** What differs between the datasets in NASRec's and NasRec-SiGeo's scripts. */
export interface RecsysDatasetSettings {
  name: RecsysDatasetName;
  title: string;
  /** the `dataset` column of `data/paper/recsys_logloss.csv` */
  paperName: string;
  /** the raw file's names in a data folder, tried in order */
  files: readonly string[];
  /** rows of the full training file */
  rows: number;
  /** NASRec's batch size (Criteo, Avazu 512; KDD 1024) */
  batchSize: number;
  /** NASRec's `--supernet_training_steps` (full-path probability decay) */
  supernetSteps: number;
  /** NASRec's one-shot validation: `--max_eval_steps` batches of 8192 (150, 125, 175) */
  oneShotValBatches: number;
  /** NASRec's README batch size of the final training on train + val (256; KDD 512) */
  finalBatchSize: number;
  /** SiGeo's (ZiCo, FR, loss) coefficients in NasRec-SiGeo's scripts for this dataset */
  sigeoLambdas: [number, number, number];
}

/** The three datasets (docs/nasrec.md). */
export const RECSYS_DATASETS: Readonly<Record<RecsysDatasetName, RecsysDatasetSettings>> = Object.freeze({
  criteo: {
    name: "criteo",
    title: "Criteo",
    paperName: "criteo",
    files: ["train.txt"],
    rows: 45_840_617,
    batchSize: 512,
    supernetSteps: 15_000,
    oneShotValBatches: 150,
    finalBatchSize: 256,
    sigeoLambdas: [1, 1, 0],
  },
  avazu: {
    name: "avazu",
    title: "Avazu",
    paperName: "avazu",
    files: ["train.csv", "train"],
    rows: 40_428_967,
    batchSize: 512,
    supernetSteps: 12_500,
    oneShotValBatches: 125,
    finalBatchSize: 256,
    sigeoLambdas: [1, 1, 1],
  },
  kdd2012: {
    name: "kdd2012",
    title: "KDD Cup 2012",
    paperName: "kdd",
    files: ["training.txt"],
    rows: 149_639_105,
    batchSize: 1024,
    supernetSteps: 20_000,
    oneShotValBatches: 175,
    finalBatchSize: 512,
    sigeoLambdas: [1, 1, 1],
  },
});

/** The paper's names of the NASRec spaces. */
export const NASREC_SPACE_TITLES: Readonly<Record<NasrecSpaceName, string>> = Object.freeze({
  autoctr: "NASRec-Small",
  xlarge: "NASRec-Full",
});

/** Where a recommender experiment's rows come from. */
export interface RecsysDataSpec {
  dataset: RecsysDatasetName;
  /** the raw file (KDD: `training.txt`); generated when absent */
  dataFile?: string;
  /** KDD's `userid_profile.txt` @default {next to dataFile, when there} */
  userProfile?: string;
  /** binary cache folder for the parsed data (`lib/data/recsys_cache.ts`); none = parse each time */
  cacheDir?: string;
  /** generated rows, or rows read from `dataFile` */
  rows: number;
  /** table cap */
  maxRows: number;
  seed: number;
}

/** The read rows, a description of their source, and the files read (for checksums). */
export interface LoadedRecsys {
  read: RecsysReadResult;
  source: string;
  files: string[];
}

const exists = (p: string) => Deno.stat(p).then(() => true, () => false);

/** Read the dataset — or generate it into `dir` (in the real file format) and read that. */
export async function loadRecsysData(spec: RecsysDataSpec, dir: string): Promise<LoadedRecsys> {
  const opts = { maxRows: spec.maxRows, limit: spec.rows };
  const title = RECSYS_DATASETS[spec.dataset].title;
  let src: RecsysSource;
  let what: string;
  if (spec.dataFile) {
    what = `${title} file ${spec.dataFile}`;
    if (spec.dataset === "kdd2012") {
      const sibling = spec.dataFile.replace(/[^/]*$/, "userid_profile.txt");
      const userProfile = spec.userProfile ?? ((await exists(sibling)) ? sibling : undefined);
      src = { dataset: "kdd2012", training: spec.dataFile, userProfile };
    } else src = { dataset: spec.dataset, path: spec.dataFile };
  } else {
    what = `generated ${title}-format data`;
    await Deno.mkdir(dir, { recursive: true });
    const gen = { rows: spec.rows, seed: spec.seed };
    if (spec.dataset === "kdd2012") {
      const d = `${dir}/kdd2012-generated`;
      await Deno.mkdir(d, { recursive: true });
      const training = `${d}/training.txt`, userProfile = `${d}/userid_profile.txt`;
      if (!(await exists(training))) await writeKdd2012Files(d, gen);
      src = { dataset: "kdd2012", training, userProfile };
    } else {
      const path = `${dir}/${spec.dataset}-generated.${spec.dataset === "criteo" ? "txt" : "csv"}`;
      if (!(await exists(path))) {
        await (spec.dataset === "criteo" ? writeCriteoFile(path, gen) : writeAvazuFile(path, gen));
      }
      src = { dataset: spec.dataset, path };
    }
  }
  const files = sourceFiles(src).map(([, path]) => path);
  if (spec.cacheDir) {
    const r = await readRecsysCached(src, { ...opts, cacheDir: spec.cacheDir });
    return { read: r, source: `${what} (cache ${r.hit ? "hit" : "built"})`, files };
  }
  return { read: await readRecsysSource(src, opts), source: what, files };
}

/** One seeded shuffle of the training split, cut into batches (the last partial one dropped). */
export class TrainBatches {
  readonly order: number[];
  readonly perEpoch: number;
  constructor(readonly train: RecsysData, readonly batchSize: number, seed: number) {
    this.order = createRng(seed, 0x3a11).shuffle(Array.from({ length: train.n }, (_, i) => i));
    this.perEpoch = Math.floor(train.n / batchSize);
    if (this.perEpoch < 1) {
      throw new RangeError(`Expected at least one training batch of ${batchSize} rows, got ${train.n} rows`);
    }
  }

  /** Batch `k` (cycling over epochs) as tensors; free it with `disposeBatch`. */
  at(k: number): Batch<RecsysInput> {
    const s = (k % this.perEpoch) * this.batchSize;
    return toBatch(sliceRows(this.train, this.order, s, this.batchSize));
  }

  /** The first `count` batches: what the proxies score on (NasRec-SiGeo: the first 4). */
  first(count: number): Batch<RecsysInput>[] {
    if (count > this.perEpoch) {
      throw new RangeError(
        `Expected at least ${count} training batches of ${this.batchSize} rows, got ${this.train.n} training rows`,
      );
    }
    return Array.from({ length: count }, (_, k) => this.at(k));
  }
}

/** What every recommender run sets up from its rows: split, batches, scoring batches, supernet. */
export interface RecsysSetup {
  layout: DatasetLayout;
  split: RecsysSplit;
  train: RecsysData;
  val: RecsysData;
  test: RecsysData;
  batches: TrainBatches;
  /** the first `scoreBatches` training batches (dispose them with the run) */
  scoring: Batch<RecsysInput>[];
  /** the first `valRows` validation rows (the one-shot ranking's) */
  valRows: RecsysData;
  /** freshly initialised (dispose it with the run) */
  supernet: NasrecSupernet;
}

/**
 * The stratified 8/1/1 split, one seeded shuffle of the training split (warm-up level p trains on
 * its first p·n rows; the proxies score on its first batches, as NasRec-SiGeo takes the first 4),
 * and the supernet over the data's table sizes.
 */
export function setUpRecsysRun(
  data: RecsysData,
  cfg: {
    dataset: RecsysDatasetName;
    space: NasrecSpaceName;
    numBlocks: number;
    batchSize: number;
    scoreBatches: number;
    valRows: number;
    seed: number;
  },
): RecsysSetup {
  const layout: DatasetLayout = { name: cfg.dataset, numDense: data.numDense, tableSizes: data.tableSizes };
  const split = stratifiedSplit(data, cfg.seed);
  const train = takeRows(data, split.train),
    val = takeRows(data, split.val),
    test = takeRows(data, split.test);
  const batches = new TrainBatches(train, cfg.batchSize, cfg.seed);
  const valRows = takeRows(val, Array.from({ length: Math.min(cfg.valRows, val.n) }, (_, i) => i));
  const scoring = batches.first(cfg.scoreBatches);
  const supernet = new NasrecSupernet({
    space: cfg.space,
    layout,
    rng: createRng(cfg.seed, 3),
    numBlocks: cfg.numBlocks,
  });
  return { layout, split, train, val, test, batches, scoring, valRows, supernet };
}

/** Options of {@linkcode warmUpNasrec}. */
export interface NasrecWarmupOptions {
  supernet: NasrecSupernet;
  batches: TrainBatches;
  /** total steps the schedule spans (the one-shot budget) */
  totalSteps: number;
  levels: WarmupLevel[];
  /** steps over which the full-path probability decays (NASRec: `--supernet_training_steps`) */
  fullPathSteps: number;
  seed: number;
  /** @default {NASREC_LR.supernet} (0.12) */
  lr?: number;
  checkpointDir?: string;
  checkpointEvery?: number;
  onLevel(level: WarmupLevel): Promise<void> | void;
  /** before each training step this process runs (a resumed run starts after its checkpoint) */
  beforeStep?(step: number): void;
  /** after each training step */
  afterStep?(step: number): void;
}

/**
 * Warm the NASRec supernet up as NASRec trains it (Adagrad 0.12, warm-up + cosine over the one-shot
 * budget, clipping 5, the `default` path sampling with binomial-0.5 any-path), calling `onLevel`
 * at each level; resumable from its checkpoints (dense weights, tables, both optimizers' state).
 */
export async function warmUpNasrec(
  opts: NasrecWarmupOptions,
): Promise<WarmupResult & { trainSteps: number; trainSeconds: number }> {
  const { supernet, batches } = opts;
  const params = supernet.params();
  const optimizer = recsysOptimizer(params);
  supernet.embedding.allocateState();
  let trainSteps = 0, trainSeconds = 0;
  const r = await warmupSupernet({
    params,
    netAt: () => supernet.path(supernet.fullPath()) as unknown as Net,
    batchAt: () => {
      throw new Error("unused: stepAt trains");
    },
    stepAt: async (step, rate) => {
      opts.beforeStep?.(step);
      const t = performance.now();
      const arch = sampleWarmupArch(supernet.space, createRng(opts.seed, 50_000 + step), {
        step,
        supernetSteps: opts.fullPathSteps,
        numBlocks: supernet.numBlocks,
        anyPath: "binomial-0.5",
      });
      const batch = batches.at(step);
      try {
        return (await recsysStep(supernet.path(arch), batch, optimizer, { lr: rate })).loss;
      } finally {
        disposeBatch(batch);
        trainSteps++;
        trainSeconds += (performance.now() - t) / 1000;
        opts.afterStep?.(step);
      }
    },
    optimizer,
    lr: cosineWithWarmup({ lr: opts.lr ?? NASREC_LR.supernet, totalSteps: opts.totalSteps, minLr: 1e-8 }),
    levels: opts.levels,
    checkpointDir: opts.checkpointDir,
    checkpointEvery: opts.checkpointEvery,
    extraState: { save: () => supernet.embedding.saveState(), load: (a) => supernet.embedding.loadState(a) },
    onLevel: opts.onLevel,
  });
  return { ...r, trainSteps, trainSeconds };
}

/** NasRec-SiGeo's scoring function on `arch`'s path (terms kept, so any λ can be recomputed). */
export function proxyScore(
  supernet: NasrecSupernet,
  arch: NasrecArch,
  scoring: Batch<RecsysInput>[],
  opts: SigeoOptions,
): Promise<Evaluation> {
  return proxyScoreNet(supernet.path(arch), scoring, opts);
}

/** {@link proxyScore} on any recommender net (e.g. a path with a narrowed parameter list). */
export async function proxyScoreNet(
  net: RecsysNet,
  scoring: Batch<RecsysInput>[],
  opts: SigeoOptions,
): Promise<Evaluation> {
  const r = await sigeoProxy(net as unknown as Net, scoring as unknown as Batch[], {
    preset: "recsys",
    ...opts,
  });
  return { score: r.value, terms: r.terms, seconds: r.seconds };
}

/**
 * NASRec's one-shot ranking: fine-tune the path's last layer (Adagrad 0.04, warm-up + cosine over
 * `steps`), then its validation log loss (lower = better, so the score is its negative). The head
 * is restored afterwards: the supernet is unchanged.
 */
export async function oneShotScore(
  supernet: NasrecSupernet,
  arch: NasrecArch,
  batches: TrainBatches,
  val: RecsysData,
  steps: number,
): Promise<Evaluation> {
  const t = performance.now();
  const path = supernet.path(arch);
  const head = path.params().filter((q) => q.layer === "head");
  const saved = await Promise.all(head.map((q) => copyValues(q.variable)));
  const ft = recsysOptimizer(head);
  const lr = cosineWithWarmup({ lr: NASREC_LR.finetune, totalSteps: steps, minLr: 1e-8 });
  try {
    for (let s = 0; s < steps; s++) {
      const batch = batches.at(s);
      try {
        await recsysStep(path, batch, ft, {
          lr: lr(s),
          trainEmbeddings: false,
          vars: head.map((q) => q.variable),
        });
      } finally {
        disposeBatch(batch);
      }
    }
    const m = await recsysEvaluate(path, val);
    return { score: -m.logloss, terms: { val_logloss: m.logloss }, seconds: (performance.now() - t) / 1000 };
  } finally {
    head.forEach((q, i) => {
      const v = tf.tensor(saved[i], q.variable.shape);
      q.variable.assign(v);
      v.dispose();
    });
  }
}

/** Train the standalone net of `arch` from scratch with NASRec's recipe (dispose it after use). */
export async function trainStandalone(
  arch: NasrecArch,
  layout: DatasetLayout,
  rows: RecsysData,
  opts: { lr: number; batchSize: number; epochs: number },
  rng: Rng,
): Promise<StandaloneNet> {
  const net = standalone(arch, layout, rng.fork());
  await fitRecsys(net, rows, {
    lr: opts.lr,
    batchSize: opts.batchSize,
    epochs: opts.epochs,
    shuffle: rng.fork(),
  });
  return net;
}

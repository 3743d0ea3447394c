/**
 * What the NAS-Bench-201 experiments share: their images (a dataset's official files or
 * generated ones), the seeded sample of architectures, the ground truth (a benchmark file, or each
 * architecture trained from scratch), that from-scratch training (also the final stage of the
 * search), and which SiGeo preset a warm-up level means.
 *
 * @module
 */
import * as tf from "../../tf.ts";
import { createRng } from "../../rng.ts";
import { generateImages } from "../../data/gen_images.ts";
import { loadCifar } from "../../data/cifar.ts";
import { loadImageNet16 } from "../../data/imagenet16.ts";
import { imageBatches, type ImageSet, NB201_NORMALIZATION } from "../../data/images.ts";
import { Nb201Network } from "../../spaces/nb201/network.ts";
import { formatArch, sampleArch } from "../../spaces/nb201/space.ts";
import { readTruth, type TruthRecord, writeTruth } from "../../benchmarks/nb201_truth.ts";
import { sgd } from "../../train/optim.ts";
import { evaluateClassifier, trainStep } from "../../train/fit.ts";
import { cosineDecay } from "../../train/schedule.ts";

/** The three NB201 datasets. */
export type Nb201ImageDataset = "cifar10" | "cifar100" | "ImageNet16-120";

/** Where an experiment's images come from. */
export interface Nb201ImageSpec {
  dataset: Nb201ImageDataset;
  /** folder with the dataset's official files; generated images in their place when absent */
  dataDir?: string;
  /** image side of generated data (real data keeps its size) */
  imageSize: number;
  /** generated data: training / test images */
  trainN: number;
  testN: number;
  /** pixel noise of generated images (harder data separates the architectures) */
  noise: number;
  seed: number;
}

/** The network every NB201 experiment trains or scores: its cell stack and init seed. */
export interface Nb201NetSpec {
  dataset: Nb201ImageDataset;
  C: number;
  N: number;
  seed: number;
}

/** A from-scratch training run: SGD Nesterov with NB201's cosine annealing. */
export interface TrainingSettings {
  epochs: number;
  batchSize: number;
  lr: number;
}

/** Where the ground truth comes from: a benchmark file's metric, else a short training of each. */
export interface TruthSpec extends Nb201NetSpec {
  /** ground-truth file (NATS-Bench .pbz2/folder, zc_nasbench201.json, CSV); trained when absent */
  truthPath?: string;
  /** metric of the truth file to correlate with (NASLib: val_accuracy) */
  truthMetric: string;
  /** dataset name inside the truth file (e.g. cifar10-valid) */
  truthDataset?: string;
  /** short from-scratch training that makes the ground truth when no benchmark file is given */
  truthTraining: TrainingSettings;
}

/** The images of `spec`: the dataset's official files, or generated ones. */
export async function loadImages(
  spec: Nb201ImageSpec,
): Promise<{ train: ImageSet; test: ImageSet; source: string }> {
  if (spec.dataDir) {
    if (spec.dataset === "ImageNet16-120") {
      return {
        train: await loadImageNet16(spec.dataDir, "train"),
        test: await loadImageNet16(spec.dataDir, "valid"),
        source: spec.dataDir,
      };
    }
    return {
      train: await loadCifar(spec.dataDir, { dataset: spec.dataset, split: "train" }),
      test: await loadCifar(spec.dataDir, { dataset: spec.dataset, split: "test" }),
      source: spec.dataDir,
    };
  }
  const classes = spec.dataset === "cifar10" ? 10 : spec.dataset === "cifar100" ? 100 : 120;
  const gen = (n: number, seed: number) =>
    generateImages({ n, classes, seed, height: spec.imageSize, width: spec.imageSize, noise: spec.noise });
  return { train: gen(spec.trainN, spec.seed), test: gen(spec.testN, spec.seed + 1), source: "generated" };
}

/** `count` distinct connected architectures, seeded. */
export function sampleArchs(count: number, seed: number): string[] {
  const rng = createRng(seed, 0xa4c);
  const seen = new Set<string>();
  while (seen.size < count) seen.add(formatArch(sampleArch(rng, { connectedOnly: true })));
  return [...seen];
}

/**
 * Train one architecture from scratch on `train` (SGD Nesterov, momentum 0.9, weight decay 5e-4,
 * cosine annealing, crop padding 2 and flips) and return its accuracy on `test`. `index` seeds its
 * init and batch order. The ground truth without a benchmark file, and the search's final stage.
 */
export async function trainFromScratch(
  arch: string,
  index: number,
  spec: Nb201NetSpec,
  training: TrainingSettings,
  train: ImageSet,
  test: ImageSet,
): Promise<number> {
  const classes = train.classes;
  const norm = NB201_NORMALIZATION[spec.dataset];
  const net = new Nb201Network(arch, { C: spec.C, N: spec.N, classes }, createRng(spec.seed, 5000 + index));
  const vars = net.params().map((p) => p.variable);
  const { epochs, batchSize, lr } = training;
  const opt = sgd(vars, { lr, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
  const rng = createRng(spec.seed, 6000 + index);
  const schedule = cosineDecay(lr, epochs * Math.floor(train.n / batchSize));
  let step = 0;
  try {
    for (let e = 0; e < epochs; e++) {
      for (
        const b of imageBatches(train, { batchSize, norm, rng, shuffle: true, augmentPad: 2, dropLast: true })
      ) {
        const batch = { x: tf.tensor4d(b.x, b.shape), y: tf.tensor1d(b.y, "int32") };
        try {
          await trainStep(net, batch, opt, vars, { lr: schedule(step) });
        } finally {
          tf.dispose([batch.x, batch.y]);
        }
        step++;
      }
    }
    const evalBatches = function* () {
      for (const b of imageBatches(test, { batchSize: 256, norm })) {
        const batch = { x: tf.tensor4d(b.x, b.shape), y: tf.tensor1d(b.y, "int32") };
        yield batch;
        tf.dispose([batch.x, batch.y]);
      }
    };
    return (await evaluateClassifier(net, evalBatches())).accuracy;
  } finally {
    net.dispose();
  }
}

/**
 * The registered proxy a study's proxy name means at a warm-up level: "sigeo" is the official CV
 * preset, λ = (1, 1, 0) before any warm-up and (1, 50, 1) after it; other names are themselves.
 */
export function cvProxyName(name: string, warmedUp: boolean): string {
  if (name === "sigeo") return warmedUp ? "sigeo-cv-warm" : "sigeo-cv";
  return name;
}

/**
 * The ground truth of `archs`: a benchmark file's metric, or (no file) each architecture trained
 * briefly on the same data, cached in `truthFile` so a resumed or repeated study reuses it.
 */
export async function groundTruth(
  cfg: TruthSpec,
  archs: string[],
  train: ImageSet,
  test: ImageSet,
  source: string,
  opts: {
    truthFile: string;
    log?: (line: string) => void;
    /** train only these of `archs` (a shard's), seeded by their position in `archs` */
    only?: readonly string[];
  },
): Promise<{ truth: Map<string, number>; truthSource: string }> {
  const log = opts.log ?? (() => {});
  let truth: Map<string, number>;
  let truthSource: string;
  if (cfg.truthPath) {
    const t = await readTruth(cfg.truthPath);
    truth = t.values(cfg.truthDataset ?? cfg.dataset, cfg.truthMetric);
    truthSource = `benchmark file ${cfg.truthPath} (${cfg.truthDataset ?? cfg.dataset} ${cfg.truthMetric})`;
    const missing = archs.filter((a) => !truth.has(a)).length;
    if (missing === archs.length) {
      throw new RangeError(
        `Ground truth ${cfg.truthPath} has no ${cfg.truthMetric} for any sampled architecture`,
      );
    }
    return { truth, truthSource };
  }
  const truthFile = opts.truthFile;
  const cached = await Deno.stat(truthFile).then(() => true, () => false);
  const dataset = `generated-${cfg.dataset}`;
  truth = cached ? (await readTruth(truthFile)).values(dataset, "test_accuracy") : new Map();
  const missing = (opts.only ?? archs).filter((a) => !truth.has(a));
  if (missing.length > 0) {
    for (const a of missing) {
      truth.set(a, await trainFromScratch(a, archs.indexOf(a), cfg, cfg.truthTraining, train, test));
      log(`truth ${truth.size}/${archs.length}: ${(100 * truth.get(a)!).toFixed(1)}%  ${a}`);
    }
    const records: TruthRecord[] = [...truth].map(([arch, value]) => ({
      arch,
      dataset,
      metric: "test_accuracy",
      value,
    }));
    await writeTruth(truthFile, records);
  }
  truthSource = `${cfg.truthTraining.epochs}-epoch training of each architecture on ${source} data`;
  return { truth, truthSource };
}

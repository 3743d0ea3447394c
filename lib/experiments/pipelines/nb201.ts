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
import { loadCifar, loadCifarPartial } from "../../data/cifar.ts";
import { loadImageNet16 } from "../../data/imagenet16.ts";
import { imageBatches, type ImageSet, NB201_NORMALIZATION } from "../../data/images.ts";
import { Nb201Network } from "../../spaces/nb201/network.ts";
import { formatArch, isDisconnected, parseArch, sampleArch } from "../../spaces/nb201/space.ts";
import { type Nb201Truth, readTruth, type TruthRecord, writeTruth } from "../../benchmarks/nb201_truth.ts";
import { readNatsBenchPath } from "../../benchmarks/nats_bench.ts";
import { CIFAR_RECORD_BYTES, cifarLayout } from "../../data/cifar.ts";
import { imageNet16Files } from "../../data/imagenet16.ts";
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
  /**
   * CIFAR only: accept whatever files `dataDir` holds (one batch, a sample); the run's data is
   * then labelled partial @default {false}
   */
  partialData?: boolean;
  /** image side of generated data (real data keeps its size) */
  imageSize: number;
  /** generated data: training / test images */
  trainN: number;
  testN: number;
  /** pixel noise of generated images (harder data separates the architectures) */
  noise: number;
  /** generated data: what separates the classes (see `generateImages`) @default {"colour"} */
  cue?: "colour" | "texture";
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
  /** metric of the truth file to correlate with; default per source, see {@link truthSelection} */
  truthMetric?: string;
  /** dataset name inside the truth file (e.g. cifar10-valid); default per source */
  truthDataset?: string;
  /** short from-scratch training that makes the ground truth when no benchmark file is given */
  truthTraining: TrainingSettings;
}

/** The images of `spec`: the dataset's official files, or generated ones. */
export async function loadImages(
  spec: Nb201ImageSpec,
): Promise<{ train: ImageSet; test: ImageSet; source: string; partial: boolean }> {
  if (spec.dataDir) {
    if (spec.dataset === "ImageNet16-120") {
      return {
        train: await loadImageNet16(spec.dataDir, "train"),
        test: await loadImageNet16(spec.dataDir, "valid"),
        source: spec.dataDir,
        partial: false,
      };
    }
    if (spec.partialData) {
      const opts = { dataset: spec.dataset } as const;
      const train = await loadCifarPartial(spec.dataDir, { ...opts, split: "train" });
      const test = await loadCifarPartial(spec.dataDir, { ...opts, split: "test" });
      const partial = !train.complete || !test.complete;
      const names = [...new Set([...train.files, ...test.files].map((f) => f.replace(/^.*\//, "")))];
      return {
        train: train.set,
        test: test.set,
        source: partial ? `${spec.dataDir} (partial data: ${names.join(", ")})` : spec.dataDir,
        partial,
      };
    }
    return {
      train: await loadCifar(spec.dataDir, { dataset: spec.dataset, split: "train" }),
      test: await loadCifar(spec.dataDir, { dataset: spec.dataset, split: "test" }),
      source: spec.dataDir,
      partial: false,
    };
  }
  const classes = spec.dataset === "cifar10" ? 10 : spec.dataset === "cifar100" ? 100 : 120;
  const gen = (n: number, seed: number) =>
    generateImages({
      n,
      classes,
      seed,
      height: spec.imageSize,
      width: spec.imageSize,
      noise: spec.noise,
      cue: spec.cue,
    });
  return {
    train: gen(spec.trainN, spec.seed),
    test: gen(spec.testN, spec.seed + 1),
    source: "generated",
    partial: false,
  };
}

/** The kinds of ground-truth file. */
export type TruthSourceKind = "nats" | "suite-zero" | "csv";
const SOURCE_NAMES: Record<TruthSourceKind, string> = {
  nats: "NATS-Bench tss (200 epochs, mean over seeds)",
  "suite-zero": "NAS-Bench-Suite-Zero",
  csv: "CSV",
};
type NatsDatasetName = "cifar10-valid" | "cifar10" | "cifar100" | "ImageNet16-120";

/** The kind of a ground-truth path: a NATS folder or .pbz2, a Suite-Zero .json, a .csv. */
export function truthSourceKind(path: string): TruthSourceKind {
  if (path.endsWith(".pbz2")) return "nats";
  if (path.endsWith(".json")) return "suite-zero";
  if (path.endsWith(".csv")) return "csv";
  let dir = false;
  try {
    dir = Deno.statSync(path).isDirectory;
  } catch { /* reported below */ }
  if (dir) return "nats";
  throw new RangeError(
    `Cannot read ground truth from ${path}: expected a NATS-Bench tss folder or .pbz2 file, ` +
      `a NAS-Bench-Suite-Zero .json or a .csv (arch,dataset,metric,value)`,
  );
}

/**
 * Which dataset and metric of a ground-truth file an NB201 dataset is correlated with, unless
 * `--truth-dataset` / `--truth-metric` say otherwise. NASLib's convention throughout: the
 * validation accuracy. NATS-Bench's `cifar10` (trained on all 50 000 images) has no validation
 * set, so CIFAR-10 reads `cifar10-valid` (trained on 25 000, validated on the other 25 000), as
 * NASLib's NB201 data does; NAS-Bench-Suite-Zero's JSON keys CIFAR-10 as `cifar10` with that same
 * `val_accuracy`; a CSV is read as written (see docs/nb201.md).
 */
export function truthSelection(
  path: string,
  dataset: Nb201ImageDataset,
  chosen: { metric?: string; dataset?: string } = {},
): { source: TruthSourceKind; dataset: string; metric: string } {
  const source = truthSourceKind(path);
  const d = chosen.dataset ?? (source === "nats" && dataset === "cifar10" ? "cifar10-valid" : dataset);
  if (source === "nats" && !["cifar10-valid", "cifar10", "cifar100", "ImageNet16-120"].includes(d)) {
    throw new RangeError(
      `Cannot read NATS-Bench dataset '${d}': expected cifar10-valid, cifar10, cifar100 or ImageNet16-120`,
    );
  }
  return { source, dataset: d, metric: chosen.metric ?? "val_accuracy" };
}

/** Training images of each NB201 dataset's full training split. */
export const NB201_TRAIN_SIZE: Readonly<Record<Nb201ImageDataset, number>> = {
  cifar10: 50000,
  cifar100: 50000,
  "ImageNet16-120": 151700,
};

/**
 * Where `dir` holds `dataset`'s training files (either layout), or undefined when it does not;
 * with `partial`, CIFAR binary-version files of any name count too (a sample: `records` says how
 * many images they hold).
 */
export async function findImageData(
  dir: string,
  dataset: Nb201ImageDataset,
  partial = false,
): Promise<{ file: string; records?: number } | undefined> {
  const isFile = (p: string) => Deno.stat(p).then((s) => s.isFile, () => false);
  const candidates = dataset === "ImageNet16-120"
    ? [imageNet16Files("train")[0]].flatMap((f) => [`${dir}/${f}`, `${dir}/ImageNet16/${f}`])
    : (["bin", "python"] as const).flatMap((f) => {
      const lay = cifarLayout(dataset, f);
      return [`${dir}/${lay.folder}/${lay.train[0]}`, `${dir}/${lay.train[0]}`];
    });
  for (const c of candidates) if (await isFile(c)) return { file: c };
  if (!partial || dataset === "ImageNet16-120") return undefined;
  const rec = CIFAR_RECORD_BYTES[dataset];
  let records = 0, first: string | undefined;
  for await (const e of Deno.readDir(dir)) {
    if (!e.isFile || !e.name.endsWith(".bin")) continue;
    const size = (await Deno.stat(`${dir}/${e.name}`)).size;
    if (size > 0 && size % rec === 0) [records, first] = [records + size / rec, first ?? `${dir}/${e.name}`];
  }
  return first ? { file: first, records } : undefined;
}

/**
 * `count` distinct connected architectures, seeded: from the whole space, or from `pool` (the
 * architectures a ground-truth file holds, see {@link truthPool}) — then in a seeded shuffle of
 * the pool's connected architectures, all of them when it has fewer than `count`.
 */
export function sampleArchs(count: number, seed: number, pool?: readonly string[]): string[] {
  const rng = createRng(seed, 0xa4c);
  if (pool) {
    const connected = [...new Set(pool)].sort().filter((a) => !isDisconnected(parseArch(a)));
    return rng.shuffle(connected).slice(0, count);
  }
  const seen = new Set<string>();
  while (seen.size < count) seen.add(formatArch(sampleArch(rng, { connectedOnly: true })));
  return [...seen];
}

/**
 * The architectures a ground-truth file gives the selected metric for, when it covers only part of
 * the space (NASLib's copy of NAS-Bench-Suite-Zero holds 491 of the 15,625); undefined for a
 * NATS-Bench folder or file, which covers all of them. A study samples from this pool, so every
 * scored architecture has a benchmark value (sampling the whole space would leave ~97 % of them
 * without one). Same arguments as {@link truthSelection}. The file as read comes back too, for
 * {@link groundTruth} (`opts.file`), so a study reads it once.
 */
export async function truthPool(
  cfg: Pick<TruthSpec, "truthPath" | "dataset" | "truthMetric" | "truthDataset">,
): Promise<{ archs: string[]; file: Nb201Truth } | undefined> {
  if (!cfg.truthPath) return undefined;
  const sel = truthSelection(cfg.truthPath, cfg.dataset, {
    metric: cfg.truthMetric,
    dataset: cfg.truthDataset,
  });
  if (sel.source === "nats") return undefined;
  const file = await readTruth(cfg.truthPath);
  const values = file.values(sel.dataset, sel.metric);
  const pool = [...values].filter(([, v]) => Number.isFinite(v)).map(([a]) => a);
  if (!pool.length) {
    throw new RangeError(
      `Ground truth ${cfg.truthPath} has no finite ${sel.dataset} ${sel.metric}; choose with --truth-dataset and --truth-metric`,
    );
  }
  return { archs: pool, file };
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
    /** `cfg.truthPath` already read (by {@link truthPool}) */
    file?: Nb201Truth;
  },
): Promise<{ truth: Map<string, number>; truthSource: string }> {
  const log = opts.log ?? (() => {});
  let truth: Map<string, number>;
  let truthSource: string;
  if (cfg.truthPath) {
    const sel = truthSelection(cfg.truthPath, cfg.dataset, {
      metric: cfg.truthMetric,
      dataset: cfg.truthDataset,
    });
    // NATS folders hold one file per architecture: read only the sampled ones
    const t: Nb201Truth = opts.file ??
      (sel.source === "nats"
        ? await readNatsBenchPath(cfg.truthPath, { archs, datasets: [sel.dataset as NatsDatasetName] })
        : await readTruth(cfg.truthPath));
    truth = t.values(sel.dataset, sel.metric);
    truthSource = `${SOURCE_NAMES[sel.source]} ${cfg.truthPath} (${sel.dataset} ${sel.metric})`;
    const missing = archs.filter((a) => !truth.has(a)).length;
    if (missing === archs.length) {
      const have = t.datasets().map((d) => `${d}: ${t.metrics(d).join(", ")}`).join("; ") || "nothing";
      throw new RangeError(
        `Ground truth ${cfg.truthPath} has no ${sel.dataset} ${sel.metric} for any sampled architecture ` +
          `(it holds ${have}); choose with --truth-dataset and --truth-metric`,
      );
    }
    if (missing > 0) log(`ground truth: ${missing} of ${archs.length} sampled architectures have no value`);
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

/**
 * Score architectures with any registered proxies: the functions behind `deno task score`.
 *
 * NAS-Bench-201: batches come from CIFAR-10 (a folder in the official layout) or from generated
 * images; each architecture is built with the same seed, so scores are comparable and
 * reproducible. NASRec ({@linkcode scoreNasrec}): paths of a freshly initialised supernet on the
 * first training batches of a recommender file (or generated rows), as the search scores them.
 *
 * @module
 */
import * as tf from "../tf.ts";
import { type BackendInfo, initBackend } from "../backend.ts";
import { createRng, type Rng } from "../rng.ts";
import { generateImages } from "../data/gen_images.ts";
import { loadCifar } from "../data/cifar.ts";
import { imageBatches, type ImageSet, NB201_NORMALIZATION } from "../data/images.ts";
import { Nb201Network } from "../spaces/nb201/network.ts";
import { formatArch, parseArch } from "../spaces/nb201/space.ts";
import { getProxy, PROXIES } from "../proxies/registry.ts";
import { writeAuditBundle } from "../proxies/audit.ts";
import { type DataFile, sha256Bytes } from "../report/manifest.ts";
import { featureTaps } from "../proxies/audit.ts";
import type { Batch, Net } from "../nn/net.ts";
import { disposeBatch, type RecsysInput } from "../nn/recsys_batch.ts";
import { archKey, type NasrecSpaceName, parseArchKey } from "../spaces/nasrec/space.ts";
import {
  loadRecsysData,
  RECSYS_DATASETS,
  type RecsysDatasetName,
  setUpRecsysRun,
} from "./pipelines/recsys.ts";

/** Options of {@linkcode scoreNb201}. */
export interface ScoreOptions {
  archs: string[];
  proxies: string[];
  /** CIFAR-10 folder; generated images when absent */
  data?: string;
  /** @default {4} */
  batches?: number;
  /** @default {64} */
  batchSize?: number;
  /** @default {16} */
  C?: number;
  /** @default {5} */
  N?: number;
  /** @default {0} */
  seed?: number;
  /** write an audit bundle per (arch, proxy) under this folder */
  record?: string;
}

/** The first `nb` shuffled, normalized image batches (NB201's CIFAR-10 constants) as tensors. */
function scoringBatches(
  images: ImageSet,
  nb: number,
  batchSize: number,
  rng: Rng,
  labels: (y: Int32Array) => tf.Tensor,
): Batch[] {
  const out: Batch[] = [];
  for (
    const b of imageBatches(images, {
      batchSize,
      norm: NB201_NORMALIZATION.cifar10,
      rng,
      shuffle: true,
      dropLast: true,
    })
  ) {
    if (out.length === nb) break;
    out.push({ x: tf.tensor4d(b.x, b.shape), y: labels(b.y) });
  }
  return out;
}

/** One score. */
export interface ScoreRow {
  arch: string;
  proxy: string;
  value: number;
  terms: Record<string, number>;
  seconds: number;
}

/** Score every arch with every proxy. */
export async function scoreNb201(
  opts: ScoreOptions,
): Promise<{ rows: ScoreRow[]; backend: BackendInfo; generated?: DataFile }> {
  const backend = await initBackend();
  const { batches: nb = 4, batchSize = 64, C = 16, N = 5, seed = 0 } = opts;
  for (const p of opts.proxies) getProxy(p); // fail early on unknown names
  const archs = opts.archs.map((a) => formatArch(parseArch(a)));
  const images = opts.data
    ? await loadCifar(opts.data, { dataset: "cifar10", split: "train" })
    : generateImages({ n: nb * batchSize, classes: 10, seed });
  const batches = scoringBatches(images, nb, batchSize, createRng(seed), (y) => tf.tensor1d(y, "int32"));
  if (batches.length < nb) {
    throw new RangeError(`Cannot make ${nb} batches of ${batchSize} from ${images.n} images`);
  }
  const rows: ScoreRow[] = [];
  try {
    for (const arch of archs) {
      const net = new Nb201Network(arch, { C, N, classes: 10 }, createRng(seed, 1));
      try {
        for (const proxy of opts.proxies) {
          const s = await getProxy(proxy)(net, batches);
          rows.push({ arch, proxy, value: s.value, terms: s.terms ?? {}, seconds: s.seconds });
          if (opts.record) {
            const dir = `${opts.record}/${rows.length - 1}_${proxy}`;
            await writeAuditBundle(dir, net, batches, {
              proxy,
              options: PROXIES[proxy].options,
              score: s,
              extra: { arch, C, N, seed, backend: backend.name, gemm: backend.gemm },
            });
          }
        }
      } finally {
        net.dispose();
      }
    }
  } finally {
    tf.dispose(batches.flatMap((b) => [b.x, b.y]));
  }
  // the generated images' checksum, for the manifest (a data folder's files are hashed by the run folder)
  const generated = opts.data ? undefined : await sha256Bytes(`generated:scoring images (seed ${seed})`, [
    images.images,
    new Uint8Array(images.labels.buffer, images.labels.byteOffset, images.labels.byteLength),
  ]);
  return { rows, backend, ...(generated ? { generated } : {}) };
}

/** A fixed-width text table of the rows. */
export function formatScoreTable(rows: ScoreRow[]): string {
  const lines = rows.map((r) => [
    r.proxy,
    Number.isFinite(r.value) ? r.value.toFixed(4) : String(r.value),
    Object.entries(r.terms).map(([k, v]) => `${k}=${v.toFixed(4)}`).join(" "),
    r.seconds.toFixed(2),
    r.arch,
  ]);
  const head = ["proxy", "score", "terms", "s", "arch"];
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (l: string[]) => l.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [fmt(head), ...lines.map(fmt)].join("\n");
}

/** Options of {@linkcode scoreLayersModel}. */
export interface ScoreModelOptions {
  /** path of a tfjs `model.json` */
  model: string;
  proxies: string[];
  /** CIFAR-10 folder for 32×32×3 image models; generated data otherwise */
  data?: string;
  /** @default {4} */
  batches?: number;
  /** @default {64} */
  batchSize?: number;
  /** @default {0} */
  seed?: number;
  record?: string;
}

/**
 * Score a saved `tf.LayersModel` with any registered proxies. Image models (input [h, w, 3]) get
 * generated images of that size (or CIFAR-10 from `data` when 32×32); other models get standard
 * normal inputs. Labels: random classes for a softmax output, random 0/1 for a single output.
 */
export async function scoreLayersModel(
  opts: ScoreModelOptions,
): Promise<{ rows: ScoreRow[]; backend: BackendInfo }> {
  const backend = await initBackend();
  const { batches: nb = 4, batchSize = 64, seed = 0 } = opts;
  for (const p of opts.proxies) getProxy(p);
  const { layersModelNet, loadLayersModelFile } = await import("../nn/layers_model.ts");
  const model = await loadLayersModelFile(opts.model);
  const net = layersModelNet(model);
  const inShape = model.inputs[0].shape.slice(1) as number[];
  const classes = (model.outputs[0].shape.at(-1) ?? 1) as number;
  const rng = createRng(seed);
  const batches: Batch[] = [];
  const isImage = inShape.length === 3 && inShape[2] === 3;
  if (isImage) {
    const [h, w] = inShape;
    const images = opts.data && h === 32 && w === 32
      ? await loadCifar(opts.data, { dataset: "cifar10", split: "train" })
      : generateImages({ n: nb * batchSize, classes: Math.max(2, classes), seed, height: h, width: w });
    batches.push(
      ...scoringBatches(
        images,
        nb,
        batchSize,
        rng,
        (labels) =>
          classes > 1
            ? tf.tensor1d(labels.map((v) => v % classes), "int32")
            : tf.tensor2d(labels.map((v) => v % 2), [labels.length, 1]),
      ),
    );
  } else {
    for (let i = 0; i < nb; i++) {
      const size = batchSize * inShape.reduce((a, b) => a * b, 1);
      const x = tf.tensor(Float32Array.from({ length: size }, () => rng.normal()), [batchSize, ...inShape]);
      const y = classes > 1
        ? tf.tensor1d(Array.from({ length: batchSize }, () => rng.int(classes)), "int32")
        : tf.tensor2d(Array.from({ length: batchSize }, () => rng.int(2)), [batchSize, 1]);
      batches.push({ x, y });
    }
  }
  const rows: ScoreRow[] = [];
  try {
    for (const proxy of opts.proxies) {
      const s = await getProxy(proxy)(net, batches);
      rows.push({ arch: opts.model, proxy, value: s.value, terms: s.terms ?? {}, seconds: s.seconds });
      if (opts.record) {
        await writeAuditBundle(`${opts.record}/${rows.length - 1}_${proxy}`, net, batches, {
          proxy,
          options: PROXIES[proxy].options,
          score: s,
          extra: { model: opts.model, seed, backend: backend.name, gemm: backend.gemm },
        });
      }
    }
  } finally {
    tf.dispose(batches.flatMap((b) => [b.x, b.y]));
    model.dispose();
  }
  return { rows, backend };
}

/** `data` itself when a file, else the dataset's raw file in it (`DIR/<dataset>/<file>` or `DIR/<file>`). */
async function recsysFile(data: string, dataset: RecsysDatasetName): Promise<string> {
  if ((await Deno.stat(data)).isFile) return data;
  const names = RECSYS_DATASETS[dataset].files;
  for (const dir of [`${data}/${dataset}`, data]) {
    for (const f of names) {
      if (await Deno.stat(`${dir}/${f}`).then((st) => st.isFile, () => false)) return `${dir}/${f}`;
    }
  }
  throw new RangeError(`--data ${data}: no ${names.join(" or ")} in it or in its ${dataset}/ folder`);
}

/** Options of {@linkcode scoreNasrec}. */
export interface ScoreNasrecOptions {
  /** NASRec's space name: "autoctr" (NASRec-Small) or "xlarge" (NASRec-Full) */
  space: NasrecSpaceName;
  /** architectures as `archKey` strings (`parseArchKey`), all with the same number of blocks */
  archs: string[];
  dataset: RecsysDatasetName;
  /**
   * the raw file (Criteo `train.txt`, Avazu `train.csv`, KDD `training.txt`) or a folder holding it
   * (`DIR/<dataset>/` or `DIR/`); generated rows when absent
   */
  data?: string;
  /** @default {["sigeo-recsys"]} */
  proxies: string[];
  /** scoring batches (NasRec-SiGeo: the first 4) @default {4} */
  batches?: number;
  /** @default {the dataset's: 512, KDD 1024} */
  batchSize?: number;
  /** embedding-table cap (the search's) @default {500_000} */
  maxRows?: number;
  /** @default {0} */
  seed?: number;
  /** write an audit bundle (format 2) per (arch, proxy) under this folder */
  record?: string;
}

/**
 * Score NASRec architectures: each is a path of one supernet initialised from `seed` (the un-warmed
 * supernet of a search with that seed), scored on the first `batches` training batches of the
 * stratified split of the first rows of the data — the rows a search with the same seed scores on
 * (docs/nasrec.md §7). Rows read: just enough for those batches (the training split is 8/10 of them).
 */
export async function scoreNasrec(
  opts: ScoreNasrecOptions,
): Promise<{ rows: ScoreRow[]; backend: BackendInfo }> {
  const backend = await initBackend();
  const { batches: nb = 4, seed = 0, maxRows = 500_000 } = opts;
  const batchSize = opts.batchSize ?? RECSYS_DATASETS[opts.dataset].batchSize;
  for (const p of opts.proxies) getProxy(p);
  const archs = opts.archs.map((a, i) => parseArchKey(a, `--arch ${i + 1}`));
  for (const [i, a] of archs.entries()) {
    if (a.space !== opts.space) {
      throw new RangeError(`--arch ${i + 1} is a ${a.space} architecture, expected ${opts.space} (--space)`);
    }
    if (a.blocks.length !== archs[0].blocks.length) {
      throw new RangeError(
        `--arch ${i + 1} has ${a.blocks.length} blocks, --arch 1 has ${
          archs[0].blocks.length
        }: one supernet scores them all`,
      );
    }
  }
  const dataFile = opts.data ? await recsysFile(opts.data, opts.dataset) : undefined;
  const tmp = await Deno.makeTempDir({ prefix: "sigeo-score-" });
  const rows: ScoreRow[] = [];
  try {
    const loaded = await loadRecsysData({
      dataset: opts.dataset,
      dataFile,
      rows: Math.ceil((nb * batchSize) / 0.8) + 20,
      maxRows,
      seed,
    }, tmp);
    const setup = setUpRecsysRun(loaded.read.data, {
      dataset: opts.dataset,
      space: opts.space,
      numBlocks: archs[0].blocks.length,
      batchSize,
      scoreBatches: nb,
      valRows: 1,
      seed,
    });
    try {
      for (const arch of archs) {
        const net = setup.supernet.path(arch) as unknown as Net<RecsysInput>;
        const key = archKey(arch);
        for (const proxy of opts.proxies) {
          const s = await getProxy(proxy)(net as unknown as Net, setup.scoring as unknown as Batch[]);
          rows.push({ arch: key, proxy, value: s.value, terms: s.terms ?? {}, seconds: s.seconds });
          if (!opts.record) continue;
          const features = featureTaps(net, setup.scoring);
          try {
            await writeAuditBundle(`${opts.record}/${rows.length - 1}_${proxy}`, net, setup.scoring, {
              proxy,
              options: PROXIES[proxy].options,
              score: s,
              features,
              extra: {
                arch: key,
                space: opts.space,
                dataset: opts.dataset,
                data: loaded.source,
                tableSizes: setup.layout.tableSizes,
                numDense: setup.layout.numDense,
                batchSize,
                maxRows,
                seed,
                backend: backend.name,
                gemm: backend.gemm,
              },
            });
          } finally {
            tf.dispose(features);
          }
        }
      }
    } finally {
      setup.scoring.forEach(disposeBatch);
      setup.supernet.dispose();
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
  return { rows, backend };
}

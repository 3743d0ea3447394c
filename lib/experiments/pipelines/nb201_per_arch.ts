/**
 * The per-architecture warm-up study of paper §5.3 (NASLib-SiGeo's protocol): how well each
 * proxy ranks NAS-Bench-201 architectures at warm-up levels 0 … 100 %, against a ground truth. The
 * NB201 correlation experiment runs it per dataset; the quickstart and the CV ablations run it with
 * their own settings.
 *
 * Faithful to NASLib-SiGeo (see docs/sigeo.md): each candidate is warmed up *individually* — 10
 * epochs of SGD(lr = 1), batch 128 — on the first N samples of one augmented draw from the training
 * set, N = max(256, p · 60 000); scoring uses the last 256 of those N as 4 batches of 64; SiGeo uses
 * λ = (1, 1, 0) without warm-up and (1, 50, 1) with it ("sigeo" below picks the official one per
 * level). Ground truth is the benchmark's accuracy read from a NATS-Bench / NAS-Bench-Suite-Zero /
 * CSV file; without a benchmark file it is produced by training every sampled architecture
 * briefly on the same data — and labelled so.
 *
 * Resumable: every (level, architecture) result is appended to `scores.jsonl` in the run folder
 * as soon as it is computed, and a rerun with the same folder skips what is there.
 *
 * Shardable: with `shard` (`--shard i/n`, see `../shard.ts`) only the candidates of that shard are
 * warmed up, scored and (for trained ground truth) trained, with the seeds the one-process run gives
 * them; `deno task merge` joins the shards' `scores.jsonl` and `truth.csv`. Score rows are put in
 * the one-process order (level, candidate, proxy) before the table is made, so the tables do not
 * depend on the order in which shards or resumes appended them.
 *
 * @module
 */
import * as tf from "../../tf.ts";
import { initBackend } from "../../backend.ts";
import { createRng } from "../../rng.ts";
import { imageBatches, type ImageSet, NB201_NORMALIZATION } from "../../data/images.ts";
import { Nb201Network } from "../../spaces/nb201/network.ts";
import { getProxy } from "../../proxies/registry.ts";
import { type SigeoOptions, sigeoProxy } from "../../proxies/sigeo.ts";
import { sgd } from "../../train/optim.ts";
import { warmupPerArch } from "../../train/warmup.ts";
import type { Batch } from "../../nn/net.ts";
import { appendJsonl, readJsonl } from "../../io.ts";
import { type DataFile, sha256Bytes } from "../../report/manifest.ts";
import { inShard } from "../shard.ts";
import type { Shard } from "../types.ts";
import { type CorrelationRow, correlationTable, type ScoreRecord } from "./correlation.ts";
import {
  cvProxyName,
  groundTruth,
  loadImages,
  type Nb201ImageSpec,
  sampleArchs,
  type TrainingSettings,
  truthPool,
  type TruthSpec,
} from "./nb201.ts";

/** Settings of one per-architecture study. */
export interface PerArchStudyConfig extends Nb201ImageSpec, TruthSpec {
  /** number of sampled (connected) architectures */
  archs: number;
  /**
   * architectures scored at each level (the first k of the sample; one entry per fraction), so
   * that the costly warmed-up levels fit a time budget @default {every level: archs}
   */
  levelArchs?: number[];
  /** warm-up levels as fractions of `nominalPool` */
  fractions: number[];
  /** denominator of the levels (NASLib-SiGeo: 6000 samples = "10 %", i.e. 60 000) */
  nominalPool: number;
  /** proxies scored at every level; "sigeo" = the official level-dependent CV preset */
  proxies: string[];
  /** zero-cost baselines scored at level 0 only */
  baselines: string[];
  /** scoring batches taken from the end of each level's samples (official: 4 × 64) */
  scoring?: { batches: number; batchSize: number };
  /** options passed to SiGeo for "sigeo" (λ, std convention, …; ablations) */
  sigeo?: Omit<SigeoOptions, "preset" | "warmedUp">;
  /** each candidate's own warm-up (NASLib-SiGeo: 10 epochs of SGD lr 1, batch 128) */
  warmup: TrainingSettings;
}

/** What a study produced. */
export interface PerArchStudyResult {
  config: PerArchStudyConfig;
  archs: string[];
  truth: Map<string, number>;
  /** "benchmark file" or "trained on generated data (smoke)" … */
  truthSource: string;
  scores: ScoreRecord[];
  table: CorrelationRow[];
  /** what each level ran on: its nominal and actual sample count, architectures, and status */
  levels: LevelRun[];
  /** where the images came from (a folder, "generated", or a partial-data label) */
  dataSource: string;
  /** checksums of generated train / test images (none for a data folder, whose files are hashed) */
  generated: DataFile[];
  /** wall seconds per phase */
  seconds: { truth: number; warmup: number; scoring: number; total: number };
}

/** One warm-up level as run. */
export interface LevelRun {
  level: string;
  /** max(256, p · nominalPool) */
  nominalN: number;
  /** samples actually used */
  n: number;
  archs: number;
  /**
   * "ran"; "capped": the nominal count exceeds the full training set, which is used whole (as
   * NASLib-SiGeo's slicing of 60 000 from CIFAR's 50 000 does); "skipped": partial data holds
   * fewer samples than the level needs, so it is not run; "budget": the scale's budget gives it no
   * architectures (see the experiment's config)
   */
  status: "ran" | "capped" | "skipped" | "budget";
}

/** Levels of a study on a training set of `trainN` images (`partial`: a sample, not the dataset). */
export function planLevels(cfg: PerArchStudyConfig, trainN: number, partial: boolean): LevelRun[] {
  if (cfg.levelArchs && cfg.levelArchs.length !== cfg.fractions.length) {
    throw new RangeError(
      `Expected one levelArchs entry per fraction: ${cfg.levelArchs.length} for ${cfg.fractions.length}`,
    );
  }
  return cfg.fractions.map((p, i) => {
    const nominalN = Math.max(256, Math.round(p * cfg.nominalPool));
    const archs = Math.min(cfg.levelArchs?.[i] ?? cfg.archs, cfg.archs);
    const status = archs === 0 ? "budget" : nominalN <= trainN ? "ran" : partial ? "skipped" : "capped";
    return {
      level: `${+(100 * p).toPrecision(4)}%`,
      nominalN,
      n: status === "skipped" || status === "budget" ? 0 : Math.min(nominalN, trainN),
      archs: status === "skipped" ? 0 : archs,
      status,
    };
  });
}

/** Options of {@linkcode runPerArchStudy}. */
export interface PerArchStudyOptions {
  /** run folder: scores.jsonl, truth.csv (resume by reusing it) */
  dir: string;
  /** where the trained ground truth is cached @default {`${dir}/truth.csv`} (share it between variants) */
  truthFile?: string;
  log?: (line: string) => void;
  /** called after each (level, arch) with done/total */
  progress?: (done: number, total: number) => void;
  /** compute only this shard's candidates (see `../shard.ts`) @default {all} */
  shard?: Shard;
}

function toTensors(
  set: ImageSet,
  norm: typeof NB201_NORMALIZATION.cifar10,
  indices: number[],
  seed: number,
  pad: number,
) {
  const b = imageBatches(set, {
    batchSize: indices.length,
    norm,
    indices,
    rng: createRng(seed, 31),
    augmentPad: pad,
  })
    .next().value!;
  return { x: tf.tensor4d(b.x, b.shape), y: tf.tensor1d(b.y, "int32") };
}

/**
 * Score rows in the order a one-process run appends them: level (as in `cfg.fractions`), then
 * candidate (as in `archs`), then proxy (proxies, then baselines); rows matching none go last, stably.
 */
export function canonicalOrder(
  scores: readonly ScoreRecord[],
  archs: readonly string[],
  cfg: Pick<PerArchStudyConfig, "fractions" | "proxies" | "baselines">,
): ScoreRecord[] {
  const levels = new Map(cfg.fractions.map((p, i) => [`${+(100 * p).toPrecision(4)}%`, i]));
  const arch = new Map(archs.map((a, i) => [a, i]));
  const proxy = new Map([...cfg.proxies, ...cfg.baselines].map((p, i) => [p, i]));
  const key = (r: ScoreRecord) =>
    [levels.get(r.level), arch.get(r.arch), proxy.get(r.proxy)].map((v) => v ?? Number.MAX_SAFE_INTEGER);
  return scores
    .map((r, i) => ({ r, i, k: key(r) }))
    .sort((a, b) => a.k[0] - b.k[0] || a.k[1] - b.k[1] || a.k[2] - b.k[2] || a.i - b.i)
    .map((x) => x.r);
}

const bytesOf = (a: Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Run the study (or resume it from `opts.dir`). */
export async function runPerArchStudy(
  cfg: PerArchStudyConfig,
  opts: PerArchStudyOptions,
): Promise<PerArchStudyResult> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  await initBackend({ quiet: true });
  await Deno.mkdir(opts.dir, { recursive: true });
  for (const p of [...cfg.proxies, ...cfg.baselines]) getProxy(cvProxyName(p, false));
  const { train, test, source, partial } = await loadImages(cfg);
  log(
    `data: ${source} ${cfg.dataset}, ${train.n} train / ${test.n} test images of ${train.height}×${train.width}`,
  );
  const levels = planLevels(cfg, train.n, partial);
  for (const l of levels) {
    if (l.status === "capped") {
      log(`level ${l.level}: ${l.nominalN} samples asked, the training set has ${l.n}: all ${l.n} used`);
    }
    if (l.status === "skipped") {
      log(`level ${l.level} skipped: it needs ${l.nominalN} samples, the partial data holds ${train.n}`);
    }
    if (l.status === "budget") log(`level ${l.level} not run: no architectures in this scale's budget`);
  }
  const benchmark = await truthPool(cfg);
  const archs = sampleArchs(cfg.archs, cfg.seed, benchmark?.archs);
  if (benchmark) {
    log(
      `architectures: ${archs.length} sampled from the ${benchmark.archs.length} the ground-truth file holds`,
    );
  }
  const mine = archs.filter((_, i) => inShard(i, opts.shard));

  const tTruth = performance.now();
  const { truth, truthSource } = await groundTruth(cfg, archs, train, test, source, {
    truthFile: opts.truthFile ?? `${opts.dir}/truth.csv`,
    log,
    file: benchmark?.file,
    only: opts.shard ? mine : undefined,
  });
  const truthSeconds = (performance.now() - tTruth) / 1000;

  // One augmented draw of the largest pool; level p uses its first N_p samples.
  const maxN = Math.max(256, ...levels.map((l) => l.n));
  if (maxN > train.n) {
    throw new RangeError(`Cannot score on ${maxN} samples: the training set has ${train.n}`);
  }
  const order = createRng(cfg.seed, 17).shuffle(Array.from({ length: train.n }, (_, i) => i)).slice(0, maxN);
  const pad = train.height >= 32 ? 4 : 2;
  const pool = toTensors(train, NB201_NORMALIZATION[cfg.dataset], order, cfg.seed, pad);

  const scoresFile = `${opts.dir}/scores.jsonl`;
  const scores: ScoreRecord[] = await readJsonl<ScoreRecord>(scoresFile);
  const done = new Set(scores.map((s) => `${s.level}|${s.arch}`));
  let warmupSeconds = 0, scoringSeconds = 0;
  const total = levels.reduce((t, l) => t + mine.filter((a) => archs.indexOf(a) < l.archs).length, 0);
  let count = 0;
  try {
    for (const [li, lv] of levels.entries()) {
      if (lv.status === "skipped" || lv.status === "budget") continue;
      const { level, n } = lv;
      const warm = n > 256;
      const x = tf.slice(pool.x, 0, n), y = tf.slice(pool.y, 0, n);
      const { batches: nb, batchSize: bs } = cfg.scoring ?? { batches: 4, batchSize: 64 };
      if (nb * bs > n) throw new RangeError(`Cannot take ${nb} scoring batches of ${bs} from ${n} samples`);
      const batches: Batch[] = Array.from({ length: nb }, (_, b) => ({
        x: tf.slice(x, n - nb * bs + bs * b, bs),
        y: tf.slice(y, n - nb * bs + bs * b, bs),
      }));
      try {
        for (const [ai, arch] of archs.slice(0, lv.archs).entries()) {
          if (!inShard(ai, opts.shard)) continue;
          count++;
          if (done.has(`${level}|${arch}`)) continue;
          const net = new Nb201Network(
            arch,
            { C: cfg.C, N: cfg.N, classes: train.classes },
            createRng(cfg.seed, ai),
          );
          const rows: ScoreRecord[] = [];
          try {
            const tw = performance.now();
            if (warm) {
              const opt = sgd(net.params().map((q) => q.variable), { lr: cfg.warmup.lr });
              await warmupPerArch(net, x, y, opt, cfg.warmup);
            }
            warmupSeconds += (performance.now() - tw) / 1000;
            const names = li === 0 ? [...cfg.proxies, ...cfg.baselines] : cfg.proxies;
            for (const name of names) {
              const s = name === "sigeo" && cfg.sigeo
                ? await sigeoProxy(net, batches, { ...cfg.sigeo, preset: "cv", warmedUp: warm })
                : await getProxy(cvProxyName(name, warm))(net, batches);
              scoringSeconds += s.seconds;
              rows.push({ level, arch, proxy: name, value: s.value, terms: s.terms, seconds: s.seconds });
            }
          } finally {
            net.dispose();
          }
          await appendJsonl(scoresFile, rows);
          scores.push(...rows);
          opts.progress?.(count, total);
        }
      } finally {
        tf.dispose([x, y, ...batches.flatMap((b) => [b.x, b.y])]);
      }
      log(
        `level ${level} (N = ${n}, ${lv.archs} archs${
          warm ? `, ${cfg.warmup.epochs}-epoch warm-up` : ", no warm-up"
        }) done`,
      );
    }
  } finally {
    tf.dispose([pool.x, pool.y]);
  }
  const table = correlationTable(canonicalOrder(scores, archs, cfg), truth, { seed: cfg.seed });
  return {
    config: cfg,
    archs,
    truth,
    truthSource,
    scores,
    table,
    levels,
    dataSource: source,
    generated: source === "generated"
      ? [
        await sha256Bytes(`generated:${cfg.dataset}/train (seed ${cfg.seed})`, [
          train.images,
          bytesOf(train.labels),
        ]),
        await sha256Bytes(`generated:${cfg.dataset}/test (seed ${cfg.seed + 1})`, [
          test.images,
          bytesOf(test.labels),
        ]),
      ]
      : [],
    seconds: {
      truth: truthSeconds,
      warmup: warmupSeconds,
      scoring: scoringSeconds,
      total: (performance.now() - t0) / 1000,
    },
  };
}

/**
 * The whole sub-one-shot pipeline on NAS-Bench-201: warm a weight-sharing supernet up on a fraction
 * p of the training split, search with regularized evolution scoring supernet paths with SiGeo
 * (CV preset, warmed-up λ), train the top-k from scratch, pick the best on a validation split,
 * retrain it on train + validation and report its test accuracy. Warm-up and search are resumable
 * (checkpoint + history file). The CV counterpart of the RecSys search (recsys_search/).
 *
 * With `shard` (`--shard i/n`, `../search_shard.ts`) every shard warms the same supernet up (one
 * training run: it does not split by candidate, and every shard scores on its weights), the
 * evolution's batches are scored p mod n across the shards running at once, and shard i trains
 * the top-k candidates k ≡ i (mod n) from scratch; the retraining of the best on train +
 * validation needs them all and runs in `deno task merge`.
 *
 * @module
 */
import * as tf from "../../tf.ts";
import { FinalLog } from "../pipelines/final_log.ts";
import { type DataFile, sha256Bytes } from "../../report/manifest.ts";
import { initBackend } from "../../backend.ts";
import { createRng } from "../../rng.ts";
import { concatImages, imageBatches, NB201_NORMALIZATION, subsetImages } from "../../data/images.ts";
import { formatArch } from "../../spaces/nb201/space.ts";
import { sigeoProxy } from "../../proxies/sigeo.ts";
import { cosineDecay } from "../../train/schedule.ts";
import { levelsForFractions, warmupSupernet } from "../../train/warmup.ts";
import type { Batch } from "../../nn/net.ts";
import { regularizedEvolution, type SearchResult } from "../../search/evolution.ts";
import { nb201SearchSpace } from "../../search/spaces.ts";
import { loadImages, trainFromScratch } from "../pipelines/nb201.ts";
import { nb201SupernetTraining } from "../pipelines/nb201_supernet.ts";
import type { Scale } from "../scale.ts";
import { NB201_SEARCH, type Nb201SearchConfig } from "./config.ts";
import { openSearchShard } from "../search_shard.ts";
import { formatShard, inShard } from "../shard.ts";
import type { Shard } from "../types.ts";

/** The settings of `scale` (a fresh copy). */
export function nb201SearchConfig(scale: Scale): Nb201SearchConfig {
  return structuredClone(NB201_SEARCH[scale]);
}

/** What the search produced. */
export interface Nb201SearchResult {
  history: SearchResult<number[]>;
  best: string;
  valAccuracy: number;
  testAccuracy: number;
  /** this process's wall seconds per phase */
  seconds: { warmup: number; search: number; final: number; total: number };
  /**
   * the run's costs in seconds over every attempt: warm-up training (checkpoints), candidates'
   * evaluations (history), final trainings (final.jsonl)
   */
  costs: { warmup: number; search: number; final: number };
  /** checksums of the generated images (none for real data, whose files the run folder hashes) */
  generated: DataFile[];
  /** a shard's run ("i/n"): its part of the top-k trained, no winner yet (best "", accuracies NaN) */
  shard?: string;
}

/** Run (or resume) the search in `opts.dir`. */
export async function runNb201Search(
  cfg: Nb201SearchConfig,
  opts: { dir: string; log?: (line: string) => void; shard?: Shard },
): Promise<Nb201SearchResult> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  await initBackend({ quiet: true });
  await Deno.mkdir(opts.dir, { recursive: true });
  const { train: all, test, source } = await loadImages(cfg);
  const generated = source === "generated"
    ? [
      await sha256Bytes(`generated:${cfg.dataset}/train`, [all.images, new Uint8Array(all.labels.buffer)]),
      await sha256Bytes(`generated:${cfg.dataset}/test`, [test.images, new Uint8Array(test.labels.buffer)]),
    ]
    : [];
  const perm = createRng(cfg.seed, 21).shuffle(Array.from({ length: all.n }, (_, i) => i));
  const nVal = Math.floor(all.n / 10);
  const val = subsetImages(all, perm.slice(0, nVal)), train = subsetImages(all, perm.slice(nVal));
  const norm = NB201_NORMALIZATION[cfg.dataset];
  const { epochs, batchSize, lr } = cfg.supernet;
  const perEpoch = Math.floor(train.n / batchSize);
  const [level] = levelsForFractions([cfg.warmupFraction], epochs * perEpoch * batchSize, batchSize);
  // crop padding 2, whatever the image size (what this experiment has always used)
  const { supernet, params, optimizer, batchAt, netAt } = nb201SupernetTraining(train, {
    ...cfg,
    batchSize,
    lr,
    pad: 2,
  });
  const scoring: Batch[] = [0, 1, 2, 3].map((i) => {
    const b = imageBatches(train, {
      batchSize: 64,
      norm,
      indices: Array.from({ length: 64 }, (_, j) => 64 * i + j),
    })
      .next().value!;
    return { x: tf.tensor4d(b.x, b.shape), y: tf.tensor1d(b.y, "int32") };
  });
  const shard = opts.shard && opts.shard.count > 1 ? opts.shard : undefined;
  const stream = shard ? await openSearchShard(opts.dir, shard, "", "") : undefined;
  let history: SearchResult<number[]> | null = null;
  let searchSeconds = 0;
  try {
    const warm = await warmupSupernet({
      params,
      netAt,
      batchAt,
      optimizer,
      lr: cosineDecay(lr, Math.max(1, level.step)),
      levels: [level],
      checkpointDir: `${opts.dir}/checkpoints`,
      onLevel: async () => {
        const t = performance.now();
        history = await regularizedEvolution(nb201SearchSpace, async (a) => {
          const s = await sigeoProxy(supernet.path(a), scoring, {
            preset: "cv",
            warmedUp: cfg.warmupFraction > 0,
          });
          return { score: s.value, terms: s.terms, seconds: s.seconds };
        }, { ...cfg.evolution, seed: cfg.seed, historyPath: `${opts.dir}/history.jsonl`, shard: stream });
        searchSeconds = (performance.now() - t) / 1000;
        log(`search: ${history.history.records.length} candidates (${history.replayed} from history)`);
      },
    });
    if (!history) {
      // resumed after the level had finished: the complete history replays without evaluating
      history = await regularizedEvolution(nb201SearchSpace, () => {
        throw new Error("Cannot resume: the search history is incomplete");
      }, { ...cfg.evolution, seed: cfg.seed, historyPath: `${opts.dir}/history.jsonl` });
    }
    const tf0 = performance.now();
    const top = history!.history.top(cfg.topK);
    const finalLog = await FinalLog.open(`${opts.dir}/final.jsonl`);
    let best = { arch: "", acc: -1 };
    let finalCost = 0;
    for (const [i, r] of top.entries()) {
      if (!inShard(i, shard)) continue;
      const arch = formatArch(history!.archs.get(r.key)!);
      const rec = await finalLog.getOrRun(
        { method: "sigeo", stage: "candidate", i, key: r.key },
        async () => ({
          val_accuracy: await trainFromScratch(arch, i, cfg, cfg.final, train, val),
        }),
      );
      finalCost += rec.seconds;
      const acc = rec.val_accuracy;
      log(`top-${i + 1} ${arch}: validation accuracy ${(100 * acc).toFixed(1)}%`);
      if (acc > best.acc) best = { arch, acc };
    }
    // what the run returns, read when called: a shard stops before the retraining (the merge's)
    const result = (bestArch: string, valAccuracy: number, testAccuracy: number): Nb201SearchResult => ({
      history: history!,
      best: bestArch,
      valAccuracy,
      testAccuracy,
      seconds: {
        warmup: warm.seconds - searchSeconds,
        search: searchSeconds,
        final: (performance.now() - tf0) / 1000,
        total: (performance.now() - t0) / 1000,
      },
      generated,
      costs: {
        warmup: warm.levelSeconds[level.label],
        search: history!.history.seconds(),
        final: finalCost,
      },
      ...(shard ? { shard: formatShard(shard) } : {}),
    });
    if (shard) return result("", NaN, NaN);
    const t = await finalLog.getOrRun(
      { method: "sigeo", stage: "retrain", i: 0, key: best.arch },
      async () => ({
        test_accuracy: await trainFromScratch(
          best.arch,
          999,
          cfg,
          cfg.final,
          concatImages([train, val]),
          test,
        ),
      }),
    );
    finalCost += t.seconds;
    return result(best.arch, best.acc, t.test_accuracy);
  } finally {
    supernet.dispose();
    tf.dispose(scoring.flatMap((b) => [b.x, b.y]));
  }
}

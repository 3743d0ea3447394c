/**
 * Paper §5.4: sub-one-shot search on a recommender dataset (Criteo, Avazu or KDD Cup 2012) in a
 * NASRec space (NASRec-Small `autoctr` or NASRec-Full `xlarge`) — SiGeo (supernet warmed up on a
 * small fraction p), ZiCo (zero-shot: no warm-up), the one-shot NASRec baseline (supernet trained
 * on the whole training split, candidates ranked by validation log loss after a last-layer
 * fine-tune) and random search — then each method's top-k trained from scratch, the best picked
 * on validation, retrained on train + validation, and tested: test log loss and AUC against search
 * cost.
 *
 * - One supernet warm-up run serves the three levels 0 (ZiCo), p (SiGeo) and 1 (one-shot): the
 *   levels are prefixes of the same run (`warmupSupernet`), so a method's search cost is the
 *   warm-up up to its level plus its own search time.
 * - The supernet is `lib/spaces/nasrec/supernet.ts` (paths by masking, LayerNorm on, NASRec's
 *   `default` path sampling with a decaying full-path probability); candidates are trained as
 *   standalone nets (LayerNorm off, as NASRec's `main_train.py`), with NASRec's recipe
 *   (`lib/train/recsys_fit.ts`).
 * - ZiCo and SiGeo are NasRec-SiGeo's one scoring function (`compute_zero_shot_metric`: final
 *   layer, Adagrad steps, ddof 1) with λ = (1, 0, 0) for the ZiCo baseline (the KDD NASRec-Full
 *   ZiCo script) and the dataset's SiGeo λ (the scripts: λ3 = 0 on Criteo, 1 on Avazu and KDD).
 * - Resumable: the warm-up checkpoints, each search's history, and the finished result
 *   (`result.json`, reused when the config is the same).
 * - Shardable (`shard`, `--shard i/n`, `../search_shard.ts`): every shard warms the same supernet up
 *   (one training run, not split by candidate), each evolution's batches are scored p mod n by the
 *   shards running at once, and the final stage's candidate trainings (numbered over the methods
 *   in order) are split j mod n; the retrainings of each method's best need all its candidates and
 *   run in `deno task merge`, which also writes `result.json`.
 *
 * @module
 */
import { initBackend } from "../../backend.ts";
import { createRng } from "../../rng.ts";
import { positiveRate, takeRows } from "../../data/recsys.ts";
import { disposeBatch } from "../../nn/recsys_batch.ts";
import { nasrecCost } from "../../spaces/nasrec/cost.ts";
import { type NasrecArch, type NasrecSpaceName, sampleArch } from "../../spaces/nasrec/space.ts";
import { recsysEvaluate } from "../../train/recsys_fit.ts";
import { logLoss } from "../../train/metrics.ts";
import type { WarmupLevel } from "../../train/warmup.ts";
import { type ProgressSink, regularizedEvolution, type SearchResult } from "../../search/evolution.ts";
import { randomSearch } from "../../search/random_search.ts";
import { nasrecSearchSpace } from "../../search/spaces.ts";
import type { Evaluation } from "../../search/space.ts";
import { writeFileAtomic } from "../../io.ts";
import { FinalLog } from "../pipelines/final_log.ts";
import type { Scale } from "../scale.ts";
import {
  loadRecsysData,
  oneShotScore,
  proxyScore,
  RECSYS_DATASETS,
  type RecsysDatasetName,
  type RecsysDataSpec,
  setUpRecsysRun,
  trainStandalone,
  warmUpNasrec,
} from "../pipelines/recsys.ts";
import { CANDIDATE_LR, FINAL_LR, RECSYS_SEARCH } from "./config.ts";
import type { StreamShard } from "../../search/stream_shard.ts";
import { formatShard, inShard } from "../shard.ts";
import type { Shard } from "../types.ts";

/** Settings of the RecSys search (data: see {@link RecsysDataSpec}; NASRec caps tables at 0.5M rows during search). */
export interface RecsysSearchConfig extends RecsysDataSpec {
  space: NasrecSpaceName;
  numBlocks: number;
  /** SiGeo's warm-up fraction of the training split (paper: 1 %) */
  warmup: number;
  /** epochs over the training split that the one-shot supernet gets (NASRec: 1) */
  oneShotEpochs: number;
  batchSize: number;
  /** supernet warm-up learning rate (NASRec: 0.12) */
  lr: number;
  /** steps over which the full-path probability decays to 0 (NASRec: 15 000 on Criteo) */
  fullPathSteps: number;
  /** rolling warm-up checkpoints every this many steps */
  checkpointEvery: number;
  evolution: { population: number; sample: number; children: number; generations: number };
  /** scoring batches of the proxies (NasRec-SiGeo: 4) */
  scoreBatches: number;
  /** SiGeo's (ZiCo, FR, loss) coefficients */
  sigeoLambdas: [number, number, number];
  /** one-shot baseline: last-layer fine-tune steps and validation rows */
  oneShot: { finetuneSteps: number; valRows: number };
  /** final stage */
  topK: number;
  finalEpochs: number;
  /** retrain of the best on train + val (NASRec's README: 0.10 Small; 0.16 Full, 0.2 Full on Avazu) */
  finalLr: number;
  /** top-k candidates' training on train (`eval_best_candidate_top15.py`: 0.12, search batch size) */
  candidateLr: number;
  /** retrain's batch size (NASRec's README: 256; KDD 512) */
  finalBatchSize: number;
  seed: number;
}

/**
 * The settings of one (scale, dataset, space): the scale's (config.ts) with what the dataset and
 * the space decide (SiGeo's λ, the final learning rate, and the scale's absent values).
 */
export function recsysSearchConfig(
  scale: Scale,
  dataset: RecsysDatasetName = "criteo",
  space: NasrecSpaceName = "autoctr",
): RecsysSearchConfig {
  const ds = RECSYS_DATASETS[dataset];
  if (!ds) {
    throw new RangeError(`Unknown recommender dataset '${dataset}': expected criteo, avazu or kdd2012`);
  }
  const s = structuredClone(RECSYS_SEARCH[scale]);
  const batchSize = s.batchSize ?? Math.min(ds.batchSize, s.maxBatchSize?.[space] ?? Infinity);
  const rows = s.rows ?? (s.epochBatches ? Math.round(s.epochBatches * batchSize / 0.8) : ds.rows);
  // keys in a fixed order: a finished run's result.json is reused when its config is the same
  return {
    dataset,
    space,
    maxRows: s.maxRows,
    lr: s.lr,
    finalLr: FINAL_LR[space][dataset],
    candidateLr: CANDIDATE_LR,
    finalBatchSize: scale === "smoke" ? batchSize : ds.finalBatchSize,
    seed: s.seed,
    scoreBatches: s.scoreBatches,
    sigeoLambdas: [...ds.sigeoLambdas],
    rows,
    numBlocks: s.numBlocks,
    warmup: s.warmup,
    oneShotEpochs: s.oneShotEpochs,
    batchSize,
    // NASRec's full-path decay spans the same fraction of the epoch on fewer rows (or smaller batches)
    fullPathSteps: s.fullPathSteps ??
      Math.max(1, Math.round(ds.supernetSteps * Math.min(1, (rows / batchSize) / (ds.rows / ds.batchSize)))),
    checkpointEvery: s.checkpointEvery,
    evolution: s.evolution,
    oneShot: {
      finetuneSteps: s.oneShot.finetuneSteps,
      valRows: s.oneShot.valRows ?? ds.oneShotValBatches * 8192,
    },
    topK: s.topK,
    finalEpochs: s.finalEpochs,
  };
}

/** One method's outcome. */
export interface MethodResult {
  method: string;
  /** warm-up level it searched at */
  warmup: string;
  evaluations: number;
  /**
   * seconds, over every attempt of a resumed run: the warm-up training up to its level (from the
   * checkpoints) + its candidates' evaluation seconds (from its history); for random search, the
   * training of its sampled top-k candidates (its only way to rank them, from final.jsonl)
   */
  searchSeconds: number;
  finalSeconds: number;
  best: string;
  /** the best architecture as NASRec's JSON config */
  bestConfig: unknown;
  /** parameters (embedding tables excluded) and MFLOPs per sample of the best, NASRec's counting */
  params: number;
  mflops: number;
  val_logloss: number;
  test_logloss: number;
  test_auc: number;
}

/** What the experiment produced. */
export interface RecsysSearchResult {
  config: RecsysSearchConfig;
  data: string;
  /** the files read (for checksums) */
  files: string[];
  rows: number;
  /** rows/s of producing the data (parse, or cache load on a hit) */
  readRate: number;
  /** constant-CTR predictor's test log loss (the floor any model must beat) */
  constantLogloss: number;
  methods: MethodResult[];
  seconds: number;
  /** a shard's run ("i/n"): its part of the final stage done, no methods yet */
  shard?: string;
  /** seconds per warm-up step and per step rate (samples/s) of the supernet */
  warmupStepSeconds: number;
}

/** Options of {@linkcode runRecsysSearch}. */
export interface RecsysSearchOptions {
  /** run folder: checkpoints, histories, generated data, result.json */
  dir: string;
  log?: (line: string) => void;
  progress?: (done: number, total: number) => void;
  /**
   * one bar per phase, opened when it starts: each warm-up segment (steps), each search
   * (candidates), the final training (trainings); replayed work (a resume) is marked as such
   */
  phase?: (label: string) => ProgressSink;
  /** this shard's part only (see the module doc), with each method's stream shard */
  shard?: { shard: Shard; stream: (method: string) => Promise<StreamShard> };
}

/** Run the experiment for one dataset and space; `opts.dir` keeps everything needed to resume. */
export async function runRecsysSearch(
  cfg: RecsysSearchConfig,
  opts: RecsysSearchOptions,
): Promise<RecsysSearchResult> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  await initBackend({ quiet: true });
  await Deno.mkdir(opts.dir, { recursive: true });
  const resultPath = `${opts.dir}/result.json`;
  if (await Deno.stat(resultPath).then(() => true, () => false)) {
    const prev = JSON.parse(await Deno.readTextFile(resultPath)) as RecsysSearchResult;
    if (JSON.stringify(prev.config) === JSON.stringify(cfg)) {
      log(`${cfg.dataset}/${cfg.space}: finished earlier, result read from ${resultPath}`);
      return prev;
    }
    throw new Error(
      `Cannot reuse ${opts.dir}: it holds a finished run with a different config (use a new run folder)`,
    );
  }
  const { read, source, files } = await loadRecsysData(cfg, opts.dir);
  const data = read.data;
  log(
    `data: ${source}, ${data.n} rows (${read.rate.toFixed(0)} rows/s), tables capped at ${cfg.maxRows}`,
  );
  const { layout, split, train, val, test, batches, scoring, valRows, supernet } = setUpRecsysRun(data, {
    ...cfg,
    valRows: cfg.oneShot.valRows,
  });
  const p = positiveRate(train);
  const constantLogloss = logLoss(new Array(test.n).fill(Math.log(p / (1 - p))), test.labels);

  // One supernet warm-up: levels 0 (zero-shot), p (sub-one-shot), 1 (one-shot).
  const oneShotSteps = cfg.oneShotEpochs * batches.perEpoch;
  const levels: WarmupLevel[] = [
    { label: "0%", step: 0 },
    { label: `${+(100 * cfg.warmup).toPrecision(3)}%`, step: Math.floor(cfg.warmup * batches.perEpoch) },
    { label: "100%", step: oneShotSteps },
  ];
  if (cfg.warmup > 0 && levels[1].step < 1) {
    throw new RangeError(
      `Cannot warm up ${cfg.dataset} to ${levels[1].label}: ${batches.perEpoch} training batches of ` +
        `${cfg.batchSize} make ${levels[1].label} less than one step; give at least ${
          Math.ceil(cfg.batchSize / cfg.warmup / 0.8)
        } rows`,
    );
  }
  const space = nasrecSearchSpace(cfg.space);
  const searchSpace = {
    ...space,
    sample: (rng: ReturnType<typeof createRng>) =>
      sampleArch(cfg.space, rng, { numBlocks: cfg.numBlocks, anyPath: "uniform" }),
  };
  const searches: { method: string; level: string; result: SearchResult<NasrecArch>; seconds: number }[] = [];
  let warmupStepSeconds = NaN;

  // A method's cost is what its history and the warm-up checkpoints recorded, so it is the same
  // whether the run went through in one process or was killed and resumed: the evaluation seconds
  // of its candidates (each written to its history as it is evaluated) plus the warm-up training
  // seconds up to its level (kept in the checkpoints, summed over attempts).
  const evolve = async (
    method: string,
    level: string,
    evaluate: (a: NasrecArch) => Promise<Evaluation> | Evaluation,
  ) => {
    const t = performance.now();
    const result = await regularizedEvolution(searchSpace, evaluate, {
      ...cfg.evolution,
      seed: cfg.seed,
      historyPath: `${opts.dir}/history-${method}.jsonl`,
      progress: opts.phase?.(`search ${method} (warm-up ${level})`),
      shard: await opts.shard?.stream(method),
    });
    searches.push({ method, level, result, seconds: result.history.seconds() });
    log(
      `${method}: ${result.history.records.length} candidates (${result.replayed} from history), ${
        ((performance.now() - t) / 1000).toFixed(1)
      } s`,
    );
  };
  // The warm-up's bars: one per segment between levels, opened at the first step this process
  // trains in it (a resume marks the checkpointed steps replayed) and finished at the level.
  let warmBar: { sink: ProgressSink } | null = null;
  const segmentOf = (step: number) => levels.findIndex((l) => step < l.step);
  const beforeStep = (step: number) => {
    if (warmBar || !opts.phase) return;
    const k = segmentOf(step);
    const from = levels[k - 1].step;
    const sink = opts.phase(`warm-up ${levels[k - 1].label} → ${levels[k].label}`);
    sink.setTotal(levels[k].step - from);
    if (step > from) sink.advance(step - from, { replayed: true });
    warmBar = { sink };
  };
  const afterStep = () => warmBar?.sink.advance(1);
  try {
    const tWarm = performance.now();
    let searchWall = 0;
    const w = await warmUpNasrec({
      supernet,
      batches,
      totalSteps: oneShotSteps,
      levels,
      fullPathSteps: cfg.fullPathSteps,
      seed: cfg.seed,
      lr: cfg.lr,
      checkpointDir: `${opts.dir}/checkpoints`,
      checkpointEvery: cfg.checkpointEvery,
      beforeStep,
      afterStep,
      onLevel: async (level) => {
        if (warmBar) {
          await warmBar.sink.finish(`${level.label} reached`);
          warmBar = null;
        }
        log(
          `warm-up level ${level.label} (step ${level.step}/${oneShotSteps}): ${
            ((performance.now() - tWarm) / 1000 - searchWall).toFixed(1)
          } s of warm-up in this process`,
        );
        const t = performance.now();
        const at = (m: string) => searches.find((s) => s.method === m);
        if (level.step === 0 && !at("zico")) {
          // the official ZiCo baseline: the same function with λ = (1, 0, 0) on the initial supernet
          await evolve("zico", level.label, (a) => proxyScore(supernet, a, scoring, { lambdas: [1, 0, 0] }));
        } else if (level.label !== "100%" && !at("sigeo")) {
          await evolve(
            "sigeo",
            level.label,
            (a) => proxyScore(supernet, a, scoring, { lambdas: cfg.sigeoLambdas }),
          );
        } else if (level.label === "100%" && !at("one-shot")) {
          await evolve(
            "one-shot",
            level.label,
            (a) => oneShotScore(supernet, a, batches, valRows, cfg.oneShot.finetuneSteps),
          );
        }
        searchWall += (performance.now() - t) / 1000;
      },
    });
    warmupStepSeconds = w.trainSteps > 0 ? w.trainSeconds / w.trainSteps : NaN;
    // A resumed run skips levels finished before the kill: their searches are complete in their
    // history files, so replaying them evaluates nothing (the evaluator would throw if it did).
    const replayOnly = (): Evaluation => {
      throw new Error("Cannot resume: a finished level's search history is incomplete");
    };
    for (
      const [method, label] of [["zico", levels[0].label], ["sigeo", levels[1].label], ["one-shot", "100%"]]
    ) {
      if (!searches.some((s) => s.method === method)) await evolve(method, label, replayOnly);
    }
    for (const s of searches) {
      const warm = w.levelSeconds[s.level];
      if (warm === undefined) {
        throw new Error(`Cannot cost ${s.method}: no warm-up seconds for level ${s.level}`);
      }
      s.seconds += warm;
    }
    // Random search: no proxy and no warm-up; its candidates are sampled architectures.
    const budget = cfg.evolution.population + cfg.evolution.generations * cfg.evolution.children;
    const rnd = await randomSearch(searchSpace, () => ({ score: 0, seconds: 0 }), {
      seed: cfg.seed,
      budget: { evaluations: budget },
      historyPath: `${opts.dir}/history-random.jsonl`,
      progress: opts.phase?.("search random (sampling)"),
    });
    searches.push({ method: "random", level: "—", result: rnd, seconds: rnd.history.seconds() });
    const rank = ["zico", "sigeo", "one-shot", "random"];
    searches.sort((x, y) => rank.indexOf(x.method) - rank.indexOf(y.method));
  } finally {
    scoring.forEach(disposeBatch);
    supernet.dispose();
  }

  // Final stage: top-k from scratch on train, best on validation, retrain on train+val, test.
  // Each finished training is appended to final.jsonl with its seconds, so a killed run resumes
  // after the last finished one and its cost counts every attempt's finished trainings.
  const trainval = takeRows(data, [...split.train, ...split.val]);
  const candidate = { lr: cfg.candidateLr, batchSize: cfg.batchSize, epochs: cfg.finalEpochs };
  const final = { lr: cfg.finalLr, batchSize: cfg.finalBatchSize, epochs: cfg.finalEpochs };
  const finalLog = await FinalLog.open(`${opts.dir}/final.jsonl`);
  const methods: MethodResult[] = [];
  let done = 0;
  const shard = opts.shard && opts.shard.shard.count > 1 ? opts.shard.shard : undefined;
  let j = -1; // candidate trainings numbered over the methods, split j mod n across shards
  const finalBar = opts.phase?.("final training");
  // this process's trainings: its candidates (all of them without a shard) and, unsharded, each
  // method's retraining of its best
  let mine = 0, k = 0;
  for (const s of searches) for (const _ of s.result.history.top(cfg.topK)) if (inShard(k++, shard)) mine++;
  finalBar?.setTotal(shard ? mine : mine + searches.length);
  // each method's result line waits for the bar to finish (a log line would break a redrawn bar)
  const results: string[] = [];
  const getOrRun: typeof finalLog.getOrRun = async (id, fn) => {
    const replayed = finalLog.has(id);
    const r = await finalLog.getOrRun(id, fn);
    finalBar?.advance(1, { replayed, note: `${id.method} ${id.stage}` });
    return r;
  };
  for (const s of searches) {
    const top = s.result.history.top(cfg.topK);
    let best = { key: "", val: Infinity, arch: null as NasrecArch | null };
    let candidateSeconds = 0;
    for (const [i, rec] of top.entries()) {
      if (!inShard(++j, shard)) continue;
      const arch = s.result.archs.get(rec.key)!;
      const r = await getOrRun(
        { method: s.method, stage: "candidate", i, key: rec.key },
        async () => {
          const net = await trainStandalone(arch, layout, train, candidate, createRng(cfg.seed + i));
          try {
            return { val_logloss: (await recsysEvaluate(net, val)).logloss };
          } finally {
            net.dispose();
          }
        },
      );
      candidateSeconds += r.seconds;
      const v = r.val_logloss;
      if (!(v >= best.val)) best = { key: rec.key, val: v, arch };
    }
    if (shard) continue; // the retraining of the best needs every shard's candidates: the merge's
    // Random search has no proxy: training its sampled candidates *is* its search.
    if (s.method === "random") s.seconds += candidateSeconds;
    const m = await getOrRun(
      { method: s.method, stage: "retrain", i: 0, key: best.key },
      async () => {
        const net = await trainStandalone(best.arch!, layout, trainval, final, createRng(cfg.seed + 100));
        try {
          const e = await recsysEvaluate(net, test);
          return { test_logloss: e.logloss, test_auc: e.auc };
        } finally {
          net.dispose();
        }
      },
    );
    const cost = nasrecCost(best.arch!, layout);
    methods.push({
      method: s.method,
      warmup: s.level,
      evaluations: s.result.history.records.length,
      searchSeconds: s.seconds,
      finalSeconds: candidateSeconds + m.seconds,
      best: best.key,
      bestConfig: space.toJSON(best.arch!),
      params: cost.params,
      mflops: cost.flops / 1e6,
      val_logloss: best.val,
      test_logloss: m.test_logloss,
      test_auc: m.test_auc,
    });
    opts.progress?.(++done, searches.length);
    const line = `${s.method}: test log loss ${m.test_logloss.toFixed(4)}, AUC ${m.test_auc.toFixed(4)}`;
    if (finalBar) results.push(line);
    else log(line);
  }
  await finalBar?.finish(`${methods.length} methods`);
  results.forEach((l) => log(l));
  const result: RecsysSearchResult = {
    ...(shard ? { shard: formatShard(shard) } : {}),
    config: cfg,
    data: source,
    files,
    rows: data.n,
    readRate: read.rate,
    constantLogloss,
    methods,
    seconds: (performance.now() - t0) / 1000,
    warmupStepSeconds,
  };
  if (!shard) await writeFileAtomic(resultPath, JSON.stringify(result, null, 1));
  return result;
}

/** The raw file of `dataset` in a data folder (`DIR/<dataset>/<file>` or `DIR/<file>`), if any. */
export async function findDataFile(dataDir: string, dataset: RecsysDatasetName): Promise<string | undefined> {
  for (const sub of [`${dataDir}/${dataset}`, dataDir]) {
    for (const f of RECSYS_DATASETS[dataset].files) {
      const p = `${sub}/${f}`;
      if (await Deno.stat(p).then((s) => s.isFile, () => false)) return p;
    }
  }
  return undefined;
}

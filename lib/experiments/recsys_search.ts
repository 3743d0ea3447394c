/**
 * Paper §5.4: sub-one-shot search on a recommender dataset — SiGeo (supernet warmed up on a small
 * fraction p), ZiCo (zero-shot: no warm-up), the one-shot NASRec baseline (supernet trained on the
 * whole training split, candidates ranked by validation log loss after a last-layer fine-tune) and
 * random search — then each method's top-k trained from scratch, the best picked on validation,
 * retrained on train + validation, and tested: test log loss and AUC against search cost.
 *
 * One supernet warm-up run serves the three levels 0 (ZiCo), p (SiGeo) and 1 (one-shot): the
 * levels are prefixes of the same run (`warmupSupernet`), so a method's search cost is the warm-up
 * up to its level plus its own search time. Each search keeps a resumable history file.
 * Implemented for NASRec-Small (the space of SiGeo's searches); Criteo format (generated at
 * `smoke` scale, or a user's `train.txt`).
 *
 * @module
 */
import * as tf from "../tf.ts";
import { initBackend } from "../backend.ts";
import { createRng } from "../rng.ts";
import { readCriteo } from "../data/criteo.ts";
import { writeCriteoFile } from "../data/gen_recsys.ts";
import { batchesOf, positiveRate, type RecsysData, takeRows } from "../data/recsys.ts";
import { stratifiedSplit } from "../data/recsys_split.ts";
import { SparseEmbedding } from "../nn/embedding.ts";
import type { Batch, Net } from "../nn/net.ts";
import { nasrecStandalone, NasrecSupernet, recsysBatch, type RecsysInput } from "../spaces/nasrec/model.ts";
import { fullPathArch, type NasrecArch, sampleArch } from "../spaces/nasrec/space.ts";
import { adagrad } from "../train/optim.ts";
import { cosineWithWarmup } from "../train/schedule.ts";
import { evaluateRecsys, recsysTrainStep } from "../train/recsys_fit.ts";
import { logLoss } from "../train/metrics.ts";
import { type WarmupLevel, warmupSupernet } from "../train/warmup.ts";
import { sigeoProxy } from "../proxies/sigeo.ts";
import { zicoProxy } from "../proxies/zico.ts";
import { regularizedEvolution, type SearchResult } from "../search/evolution.ts";
import { randomSearch } from "../search/random_search.ts";
import { nasrecSearchSpace } from "../search/spaces.ts";
import type { Evaluation } from "../search/space.ts";
import type { Scale } from "./scale.ts";

/** Settings of the RecSys search. */
export interface RecsysSearchConfig {
  /** Criteo `train.txt`; generated when absent */
  dataFile?: string;
  /** generated rows, or rows read from `dataFile` */
  rows: number;
  /** table cap (NASRec's note: 0.5M rows during search) */
  maxRows: number;
  numBlocks: number;
  /** SiGeo's warm-up fraction of the training split (paper: 1 %) */
  warmup: number;
  /** epochs over the training split that the one-shot supernet gets (NASRec: 1) */
  oneShotEpochs: number;
  batchSize: number;
  lr: number;
  /** steps over which the full-path probability decays to 0 (NASRec: 15 000 on Criteo) */
  fullPathSteps: number;
  evolution: { population: number; sample: number; children: number; generations: number };
  /** scoring batches of the proxies */
  scoreBatches: number;
  /** one-shot baseline: last-layer fine-tune steps and validation rows */
  oneShot: { finetuneSteps: number; valRows: number };
  /** final stage */
  topK: number;
  finalEpochs: number;
  finalLr: number;
  seed: number;
}

/** Settings per scale. */
export function recsysSearchConfig(scale: Scale): RecsysSearchConfig {
  const common = { maxRows: 500_000, lr: 0.12, finalLr: 0.1, seed: 2018, scoreBatches: 4 };
  if (scale === "smoke") {
    return {
      ...common,
      rows: 12_000,
      numBlocks: 3,
      warmup: 0.2,
      oneShotEpochs: 1,
      batchSize: 128,
      fullPathSteps: 40,
      evolution: { population: 6, sample: 3, children: 3, generations: 3 },
      oneShot: { finetuneSteps: 5, valRows: 600 },
      topK: 2,
      finalEpochs: 2,
    };
  }
  if (scale === "small") {
    return {
      ...common,
      rows: 400_000,
      numBlocks: 7,
      warmup: 0.05,
      oneShotEpochs: 1,
      batchSize: 512,
      fullPathSteps: 300,
      evolution: { population: 32, sample: 16, children: 8, generations: 16 },
      oneShot: { finetuneSteps: 50, valRows: 20_000 },
      topK: 5,
      finalEpochs: 1,
    };
  }
  return {
    ...common,
    rows: 45_840_617,
    numBlocks: 7,
    warmup: 0.01,
    oneShotEpochs: 1,
    batchSize: 512,
    fullPathSteps: 15_000,
    evolution: { population: 128, sample: 64, children: 8, generations: 240 },
    oneShot: { finetuneSteps: 500, valRows: 150 * 8192 },
    topK: 15,
    finalEpochs: 1,
  };
}

/** One method's outcome. */
export interface MethodResult {
  method: string;
  /** warm-up level it searched at */
  warmup: string;
  evaluations: number;
  /** seconds: warm-up up to its level + its search */
  searchSeconds: number;
  finalSeconds: number;
  best: string;
  val_logloss: number;
  test_logloss: number;
  test_auc: number;
}

/** What the experiment produced. */
export interface RecsysSearchResult {
  config: RecsysSearchConfig;
  data: string;
  /** constant-CTR predictor's test log loss (the floor any model must beat) */
  constantLogloss: number;
  methods: MethodResult[];
  seconds: number;
}

type Rows = RecsysData;

/** Train a standalone net for `epochs` on `train`; returns it with its embedding. */
function trainStandalone(arch: NasrecArch, train: Rows, cfg: RecsysSearchConfig, seed: number) {
  const stem = { numDense: train.numDense, numSparse: train.numSparse };
  const net = nasrecStandalone(arch, stem, createRng(seed, 1));
  const emb = new SparseEmbedding(train.tableSizes, createRng(seed, 2));
  const opt = adagrad(net.params().map((p) => p.variable), { lr: cfg.finalLr, eps: 1e-2 });
  const total = cfg.finalEpochs * Math.floor(train.n / cfg.batchSize);
  const lr = cosineWithWarmup({ lr: cfg.finalLr, totalSteps: total });
  let step = 0;
  for (let e = 0; e < cfg.finalEpochs; e++) {
    for (
      const rows of batchesOf(train, cfg.batchSize, { shuffle: createRng(seed, 10 + e), dropLast: true })
    ) {
      recsysTrainStep(net, emb, rows, opt, { lr: lr(step++), clipNorm: 5 });
    }
  }
  return { net, emb };
}

/** Run the experiment; `dir` keeps the search histories (resumable). */
export async function runRecsysSearch(
  cfg: RecsysSearchConfig,
  opts: { dir: string; log?: (line: string) => void; progress?: (done: number, total: number) => void },
): Promise<RecsysSearchResult> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  await initBackend({ quiet: true });
  await Deno.mkdir(opts.dir, { recursive: true });
  let file = cfg.dataFile;
  if (!file) {
    file = `${opts.dir}/criteo-generated.txt`;
    if (!(await Deno.stat(file).then(() => true, () => false))) {
      await writeCriteoFile(file, { rows: cfg.rows, seed: cfg.seed });
    }
  }
  const read = await readCriteo(file, { maxRows: cfg.maxRows, limit: cfg.rows });
  const data = read.data;
  const source = cfg.dataFile ? `Criteo file ${cfg.dataFile}` : "generated Criteo-format data";
  log(
    `data: ${source}, ${data.n} rows (${
      read.rate.toFixed(0)
    } rows/s parsed), tables capped at ${cfg.maxRows}`,
  );
  const split = stratifiedSplit(data, cfg.seed);
  const train = takeRows(data, split.train),
    val = takeRows(data, split.val),
    test = takeRows(data, split.test);
  const p = positiveRate(train);
  const constantLogloss = logLoss(new Array(test.n).fill(Math.log(p / (1 - p))), test.labels);

  // One supernet warm-up: levels 0 (zero-shot), p (sub-one-shot), 1 (one-shot).
  const stem = { numDense: data.numDense, numSparse: data.numSparse };
  const supernet = new NasrecSupernet("autoctr", stem, cfg.numBlocks, createRng(cfg.seed, 3));
  const emb = new SparseEmbedding(data.tableSizes, createRng(cfg.seed, 4));
  const params = supernet.allParams();
  const optimizer = adagrad(params.map((q) => q.variable), { lr: cfg.lr, eps: 1e-2 });
  const perEpoch = Math.floor(train.n / cfg.batchSize);
  const oneShotSteps = cfg.oneShotEpochs * perEpoch;
  const levels: WarmupLevel[] = [
    { label: "0%", step: 0 },
    { label: `${+(100 * cfg.warmup).toPrecision(3)}%`, step: Math.floor(cfg.warmup * perEpoch) },
    { label: "100%", step: oneShotSteps },
  ];
  // One shuffled pass over the training split: warm-up level p trains on its first p·n rows.
  const order = createRng(cfg.seed, 0x3a11).shuffle(Array.from({ length: train.n }, (_, i) => i));
  const full = fullPathArch("autoctr", cfg.numBlocks);
  const lr = cosineWithWarmup({ lr: cfg.lr, totalSteps: oneShotSteps });
  const scoring = [
    ...batchesOf(takeRows(train, order.slice(0, cfg.scoreBatches * cfg.batchSize)), cfg.batchSize),
  ];
  const valRows = takeRows(val, Array.from({ length: Math.min(cfg.oneShot.valRows, val.n) }, (_, i) => i));
  const space = nasrecSearchSpace("autoctr");
  const sample = (rng: ReturnType<typeof createRng>) =>
    sampleArch("autoctr", rng, { numBlocks: cfg.numBlocks });
  const searchSpace = { ...space, sample };
  const searches: { method: string; level: string; result: SearchResult<NasrecArch>; seconds: number }[] = [];
  let warmSeconds = 0;
  const tWarm = performance.now();
  let scoringSecondsTotal = 0;

  const withBatches = <T>(f: (bs: Batch<RecsysInput>[]) => T): T => {
    const bs = scoring.map((rows) => recsysBatch(emb, rows));
    try {
      return f(bs);
    } finally {
      bs.forEach((b) => b.dispose());
    }
  };
  const evolve = async (method: string, level: string, evaluate: (a: NasrecArch) => Evaluation) => {
    const t = performance.now();
    const result = await regularizedEvolution(searchSpace, evaluate, {
      ...cfg.evolution,
      seed: cfg.seed,
      historyPath: `${opts.dir}/history-${method}.jsonl`,
    });
    const secs = (performance.now() - t) / 1000;
    scoringSecondsTotal += secs;
    searches.push({ method, level, result, seconds: secs });
    log(
      `${method}: ${result.history.records.length} candidates (${result.replayed} from history), ${
        secs.toFixed(1)
      } s`,
    );
  };
  const timed = (f: () => number): Evaluation => {
    const t = performance.now();
    const score = f();
    return { score, seconds: (performance.now() - t) / 1000 };
  };
  try {
    await warmupSupernet({
      params,
      netAt: () => supernet.path(full) as unknown as Net,
      batchAt: () => {
        throw new Error("unused: stepAt trains");
      },
      stepAt: (step, rate) => {
        const k = step % perEpoch;
        const rows = takeRows(train, order.slice(k * cfg.batchSize, (k + 1) * cfg.batchSize));
        const thresh = step < cfg.fullPathSteps ? 1 - step / cfg.fullPathSteps : 0;
        const r = createRng(cfg.seed, 50_000 + step);
        const arch = r.next() < thresh
          ? full
          : sampleArch("autoctr", r, { numBlocks: cfg.numBlocks, anyPath: "binomial-0.5" });
        return recsysTrainStep(supernet.path(arch), emb, rows, optimizer, { lr: rate, clipNorm: 5 });
      },
      optimizer,
      lr,
      levels,
      checkpointDir: `${opts.dir}/checkpoints`,
      checkpointEvery: 100,
      extraState: { save: () => emb.saveState(), load: (a) => emb.loadState(a) },
      onLevel: async (level) => {
        warmSeconds = (performance.now() - tWarm) / 1000 - scoringSecondsTotal;
        log(
          `warm-up level ${level.label} (step ${level.step}/${oneShotSteps}): ${
            warmSeconds.toFixed(1)
          } s of warm-up`,
        );
        const at = (m: string) => searches.find((s) => s.method === m);
        if (level.step === 0 && !at("zico")) {
          await evolve(
            "zico",
            level.label,
            (a) =>
              timed(() =>
                withBatches((bs) =>
                  zicoProxy(supernet.path(a) as unknown as Net, bs as unknown as Batch[]).value
                )
              ),
          );
          at("zico")!.seconds += warmSeconds;
        } else if (level.label !== "100%" && !at("sigeo")) {
          await evolve(
            "sigeo",
            level.label,
            (a) =>
              timed(() =>
                withBatches((bs) =>
                  sigeoProxy(supernet.path(a) as unknown as Net, bs as unknown as Batch[], {
                    preset: "recsys",
                  }).value
                )
              ),
          );
          at("sigeo")!.seconds += warmSeconds;
        } else if (level.label === "100%" && !at("one-shot")) {
          await evolve("one-shot", level.label, (a) =>
            timed(() => {
              // NASRec: fine-tune the last layer on a copy, then validation log loss (lower = better)
              const path = supernet.path(a);
              const head = path.params().filter((q) => q.layer === "head");
              const saved = head.map((q) => q.variable.dataSync().slice());
              const ft = adagrad(head.map((q) => q.variable), { lr: 0.04, eps: 1e-2 });
              for (let s = 0; s < cfg.oneShot.finetuneSteps; s++) {
                const k = s % perEpoch;
                recsysTrainStep(
                  path,
                  emb,
                  takeRows(train, order.slice(k * cfg.batchSize, (k + 1) * cfg.batchSize)),
                  ft,
                  {
                    lr: 0.04,
                    clipNorm: 5,
                    trainEmbeddings: false,
                    vars: head.map((q) => q.variable),
                  },
                );
              }
              const m = evaluateRecsys(path, emb, valRows);
              head.forEach((q, i) => {
                const t = tf.tensor(saved[i] as Float32Array, q.variable.shape);
                q.variable.assign(t);
                t.dispose();
              });
              return -m.logloss;
            }));
          at("one-shot")!.seconds += warmSeconds;
        }
      },
    });
    // A resumed run skips levels finished before the kill: their searches are complete in their
    // history files, so replaying them evaluates nothing (the evaluator would throw if it did).
    const replayOnly = () => {
      throw new Error("Cannot resume: a finished level's search history is incomplete");
    };
    for (
      const [method, label] of [["zico", levels[0].label], ["sigeo", levels[1].label], ["one-shot", "100%"]]
    ) {
      if (!searches.some((s) => s.method === method)) await evolve(method, label, replayOnly);
    }
    // Random search: no proxy and no warm-up; its candidates are sampled architectures.
    const tr = performance.now();
    const budget = cfg.evolution.population + cfg.evolution.generations * cfg.evolution.children;
    const rnd = await randomSearch(searchSpace, () => ({ score: 0, seconds: 0 }), {
      seed: cfg.seed,
      budget: { evaluations: budget },
      historyPath: `${opts.dir}/history-random.jsonl`,
    });
    searches.push({ method: "random", level: "—", result: rnd, seconds: (performance.now() - tr) / 1000 });
    const rank = ["zico", "sigeo", "one-shot", "random"];
    searches.sort((x, y) => rank.indexOf(x.method) - rank.indexOf(y.method));
  } finally {
    supernet.dispose();
  }

  // Final stage: top-k from scratch on train, best on validation, retrain on train+val, test.
  const trainval = takeRows(data, [...split.train, ...split.val]);
  const methods: MethodResult[] = [];
  let done = 0;
  for (const s of searches) {
    const t = performance.now();
    const top = s.result.history.top(cfg.topK);
    let best = { key: "", val: Infinity, arch: null as NasrecArch | null };
    for (const [i, rec] of top.entries()) {
      const arch = s.result.archs.get(rec.key)!;
      const { net, emb: e } = trainStandalone(arch, train, cfg, cfg.seed + i);
      const v = evaluateRecsys(net, e, val).logloss;
      net.dispose();
      if (v < best.val) best = { key: rec.key, val: v, arch };
    }
    const { net, emb: e } = trainStandalone(best.arch!, trainval, cfg, cfg.seed + 100);
    const m = evaluateRecsys(net, e, test);
    net.dispose();
    methods.push({
      method: s.method,
      warmup: s.level,
      evaluations: s.result.history.records.length,
      searchSeconds: s.seconds,
      finalSeconds: (performance.now() - t) / 1000,
      best: best.key,
      val_logloss: best.val,
      test_logloss: m.logloss,
      test_auc: m.auc,
    });
    opts.progress?.(++done, searches.length);
    log(`${s.method}: test log loss ${m.logloss.toFixed(4)}, AUC ${m.auc.toFixed(4)}`);
  }
  return { config: cfg, data: source, constantLogloss, methods, seconds: (performance.now() - t0) / 1000 };
}

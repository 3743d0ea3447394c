/**
 * RecSys ablations beyond the paper (notebook 04): how well NasRec-SiGeo's proxy ranks NASRec
 * candidates as the supernet warm-up grows, and what its implementation choices do.
 *
 * A fixed sample of architectures gets a ground truth (each trained from scratch as a standalone
 * net; truth = −validation log loss). One supernet warm-up run is scored at several levels (warm-up
 * fractions of one epoch; 0 = zero-shot, 1 = one-shot) with:
 * - `sigeo (final layer)` — the official function (final-layer gradients, Adagrad steps, ddof 1,
 *   the dataset's λ), and from its recorded terms the `zico term`, `fr term` and `−loss` alone;
 * - `sigeo (all dense layers)` — the same with every dense parameter's gradients recorded and
 *   stepped (`--finetune_whole_supernet 1`), embedding tables excluded (their gradients would be
 *   table-sized per batch);
 * - `one-shot` — NASRec's last-layer fine-tune + validation log loss.
 * Spearman/Kendall (bootstrap intervals) per (variant, level). Resumable: truths and scores are
 * appended to JSON-lines files and skipped when present.
 *
 * @module
 */
import { initBackend } from "../../backend.ts";
import { createRng } from "../../rng.ts";
import { appendJsonl, readJsonl } from "../../io.ts";
import { disposeBatch } from "../../nn/recsys_batch.ts";
import { archKey, type NasrecArch, type NasrecSpaceName, sampleArch } from "../../spaces/nasrec/space.ts";
import { recsysEvaluate } from "../../train/recsys_fit.ts";
import type { Evaluation } from "../../search/space.ts";
import { type CorrelationRow, correlationTable, type ScoreRecord } from "../pipelines/correlation.ts";
import { inShard } from "../shard.ts";
import type { Shard } from "../types.ts";
import {
  loadRecsysData,
  oneShotScore,
  proxyScore,
  proxyScoreNet,
  type RecsysDataSpec,
  setUpRecsysRun,
  trainStandalone,
  warmUpNasrec,
} from "../pipelines/recsys.ts";

/** Settings of the RecSys ablations. */
export interface RecsysAblationConfig extends RecsysDataSpec {
  space: NasrecSpaceName;
  numBlocks: number;
  batchSize: number;
  fullPathSteps: number;
  checkpointEvery: number;
  /** sampled architectures with a ground truth */
  archs: number;
  /** warm-up levels as fractions of one epoch over the training split */
  levels: number[];
  scoreBatches: number;
  sigeoLambdas: [number, number, number];
  oneShot: { finetuneSteps: number; valRows: number };
  /** ground-truth training of each architecture */
  truth: { epochs: number; lr: number };
}

/** What the ablations produced. */
export interface RecsysAblationResult {
  table: CorrelationRow[];
  scores: ScoreRecord[];
  /** −validation log loss of each architecture trained from scratch */
  truth: Map<string, number>;
  data: string;
  seconds: number;
}

const levelLabel = (f: number) => `${+(100 * f).toPrecision(3)}%`;

/** The λ-only variants recomputed from the official function's recorded terms. */
const TERM_VARIANTS: [string, (t: Record<string, number>) => number][] = [
  ["zico term (final layer)", (t) => t.zico],
  ["fr term (final layer)", (t) => t.fr],
  ["−loss (final layer)", (t) => -t.loss],
];

/**
 * Run the ablations in `dir` (resumable). With `shard` (`--shard i/n`) only the architectures
 * k ≡ i (mod n) of the sample are trained for the truth and scored; every shard runs the one
 * supernet warm-up (not candidate-parallel: each scores on its weights, the same bits).
 */
export async function runRecsysAblations(
  cfg: RecsysAblationConfig,
  opts: {
    dir: string;
    log?: (line: string) => void;
    progress?: (done: number, total: number) => void;
    shard?: Shard;
  },
): Promise<RecsysAblationResult> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  await initBackend({ quiet: true });
  await Deno.mkdir(opts.dir, { recursive: true });
  const { read, source } = await loadRecsysData(cfg, opts.dir);
  const data = read.data;
  log(`data: ${source}, ${data.n} rows`);
  const { layout, train, val, batches, scoring, valRows, supernet } = setUpRecsysRun(data, {
    ...cfg,
    valRows: cfg.oneShot.valRows,
  });

  // The candidates: distinct seeded samples of the space.
  const rng = createRng(cfg.seed, 0xab1);
  const archs = new Map<string, NasrecArch>();
  for (let tries = 0; archs.size < cfg.archs && tries < 100 * cfg.archs; tries++) {
    const a = sampleArch(cfg.space, rng, { numBlocks: cfg.numBlocks, anyPath: "uniform" });
    archs.set(archKey(a), a);
  }
  const all = [...archs.keys()];
  const keys = all.filter((_, k) => inShard(k, opts.shard));
  const total = keys.length * (1 + cfg.levels.length);
  let done = 0;

  // Ground truth, one line per architecture.
  const truthPath = `${opts.dir}/truth.jsonl`;
  const truth = new Map<string, number>();
  for (const r of await readJsonl<{ arch: string; value: number }>(truthPath)) truth.set(r.arch, r.value);
  for (const key of keys) {
    const i = all.indexOf(key);
    if (!truth.has(key)) {
      const net = await trainStandalone(archs.get(key)!, layout, train, {
        lr: cfg.truth.lr,
        batchSize: cfg.batchSize,
        epochs: cfg.truth.epochs,
      }, createRng(cfg.seed + i, 0x7a));
      const v = -(await recsysEvaluate(net, val)).logloss;
      net.dispose();
      truth.set(key, v);
      await appendJsonl(truthPath, [{ arch: key, value: v }]);
    }
    opts.progress?.(++done, total);
  }
  log(`ground truth: ${keys.length} architectures trained from scratch`);

  // One warm-up, scored at each level.
  const scoresPath = `${opts.dir}/scores.jsonl`;
  const scores = await readJsonl<ScoreRecord>(scoresPath);
  const have = new Set(scores.map((s) => `${s.level}\u0000${s.proxy}\u0000${s.arch}`));
  const variants: [string, (a: NasrecArch) => Promise<Evaluation>][] = [
    ["sigeo (final layer)", (a) => proxyScore(supernet, a, scoring, { lambdas: cfg.sigeoLambdas })],
    ["sigeo (all dense layers)", (a) => {
      // the path without its embedding tables in params(): all dense layers recorded and stepped
      const path = supernet.path(a);
      const dense = { ...path, params: () => path.params().filter((p) => p.kind !== "embedding") };
      return proxyScoreNet(dense, scoring, { lambdas: cfg.sigeoLambdas, finalLayerOnly: false });
    }],
    [
      "one-shot (val log loss)",
      (a) => oneShotScore(supernet, a, batches, valRows, cfg.oneShot.finetuneSteps),
    ],
  ];
  const perEpoch = batches.perEpoch;
  const levels = cfg.levels.map((f) => ({ label: levelLabel(f), step: Math.round(f * perEpoch) }));
  try {
    await warmUpNasrec({
      supernet,
      batches,
      totalSteps: perEpoch,
      levels,
      fullPathSteps: cfg.fullPathSteps,
      seed: cfg.seed,
      checkpointDir: `${opts.dir}/checkpoints`,
      checkpointEvery: cfg.checkpointEvery,
      onLevel: async (level) => {
        const fresh: ScoreRecord[] = [];
        for (const key of keys) {
          for (const [name, score] of variants) {
            if (have.has(`${level.label}\u0000${name}\u0000${key}`)) continue;
            const e = await score(archs.get(key)!);
            fresh.push({
              level: level.label,
              arch: key,
              proxy: name,
              value: e.score,
              terms: e.terms,
              seconds: e.seconds,
            });
          }
          opts.progress?.(++done, total);
        }
        await appendJsonl(scoresPath, fresh);
        scores.push(...fresh);
        log(
          `warm-up level ${level.label} (step ${level.step}/${perEpoch}): ${keys.length} architectures scored`,
        );
      },
    });
  } finally {
    scoring.forEach(disposeBatch);
    supernet.dispose();
  }
  // rows in the one-process order (level, architecture, variant), whatever order shards appended them in
  const lv = new Map([...levels].sort((x, y) => x.step - y.step).map((l, i) => [l.label, i])),
    ak = new Map(all.map((k, i) => [k, i]));
  const vr = new Map(variants.map(([n], i) => [n, i]));
  const at = (s: ScoreRecord) => [lv.get(s.level) ?? 1e9, ak.get(s.arch) ?? 1e9, vr.get(s.proxy) ?? 1e9];
  scores.sort((a, b) => {
    const x = at(a), y = at(b);
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });
  const derived = scores.flatMap((s) =>
    s.proxy === "sigeo (final layer)" && s.terms
      ? TERM_VARIANTS.map(([name, f]) => ({ ...s, proxy: name, value: f(s.terms!) }))
      : []
  );
  const table = correlationTable([...scores, ...derived], truth, { topK: 0.25 });
  return { table, scores, truth, data: source, seconds: (performance.now() - t0) / 1000 };
}

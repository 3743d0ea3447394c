/**
 * Part 2 of the NB201 correlation experiment, the sub-one-shot pipeline on NAS-Bench-201: one
 * weight-sharing supernet warmed up on a growing fraction p of the training split (p = 0
 * zero-shot … p = 1 one-shot), candidates scored on the shared weights at each level — with the
 * proxies and with the **one-shot baseline** (the path's validation accuracy) — and correlated
 * with the ground truth.
 *
 * This is the data flow the recommender experiments use, here for the CV space (the paper's CV
 * tables instead warm each candidate up alone: see pipelines/nb201_per_arch.ts). One warm-up run
 * serves every level (`warmupSupernet` checkpoints), and a killed study resumes: warm-up from its
 * rolling checkpoint, scores from `scores.jsonl`.
 *
 * @module
 */
import * as tf from "../../tf.ts";
import { initBackend } from "../../backend.ts";
import { createRng } from "../../rng.ts";
import { imageBatches, NB201_NORMALIZATION } from "../../data/images.ts";
import { getProxy } from "../../proxies/registry.ts";
import { evaluateClassifier } from "../../train/fit.ts";
import { cosineDecay } from "../../train/schedule.ts";
import { levelsForFractions, warmupSupernet } from "../../train/warmup.ts";
import type { Batch } from "../../nn/net.ts";
import { appendJsonl, readJsonl } from "../../io.ts";
import {
  cvProxyName,
  groundTruth,
  loadImages,
  type Nb201ImageSpec,
  sampleArchs,
  truthPool,
  type TruthSpec,
} from "../pipelines/nb201.ts";
import { nb201SupernetTraining } from "../pipelines/nb201_supernet.ts";
import { type CorrelationRow, correlationTable, type ScoreRecord } from "../pipelines/correlation.ts";

/** The supernet warm-up of the study. */
export interface SupernetSettings {
  /** epochs over the training split that p = 1 (one-shot) means */
  epochs: number;
  batchSize: number;
  lr: number;
  /** validation images of the one-shot baseline */
  valN: number;
}

/** Settings of the supernet study: the per-arch study's data, architectures, levels and truth. */
export interface SupernetStudyConfig extends Nb201ImageSpec, TruthSpec {
  archs: number;
  /** warm-up levels as fractions of `supernet.epochs` */
  fractions: number[];
  /** proxies scored at every level; "sigeo" = the official level-dependent CV preset */
  proxies: string[];
  supernet: SupernetSettings;
}

/** What the supernet study produced. */
export interface SupernetStudyResult {
  scores: ScoreRecord[];
  table: CorrelationRow[];
  truthSource: string;
  /** mean warm-up loss between levels */
  warmupLoss: Record<string, number>;
  seconds: { truth: number; warmup: number; scoring: number; total: number };
}

/** Run (or resume) the study in `opts.dir`. */
export async function runNb201SupernetStudy(
  cfg: SupernetStudyConfig,
  opts: {
    dir: string;
    truthFile?: string;
    log?: (line: string) => void;
    progress?: (d: number, t: number) => void;
  },
): Promise<SupernetStudyResult> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  await initBackend({ quiet: true });
  await Deno.mkdir(opts.dir, { recursive: true });
  // "sigeo" = the official CV preset: zero-shot λ before any warm-up, warmed-up λ after
  const proxiesAt = (step: number) => cfg.proxies.map((p) => cvProxyName(p, step > 0));
  for (const p of proxiesAt(1)) getProxy(p);
  const { train, test, source } = await loadImages(cfg);
  const benchmark = await truthPool(cfg);
  const archs = sampleArchs(cfg.archs, cfg.seed, benchmark?.archs);
  if (benchmark) {
    log(
      `architectures: ${archs.length} sampled from the ${benchmark.archs.length} the ground-truth file holds`,
    );
  }
  const tTruth = performance.now();
  const { truth, truthSource } = await groundTruth(cfg, archs, train, test, source, {
    truthFile: opts.truthFile ?? `${opts.dir}/truth.csv`,
    log,
    file: benchmark?.file,
  });
  const truthSeconds = (performance.now() - tTruth) / 1000;

  const norm = NB201_NORMALIZATION[cfg.dataset];
  const { epochs, batchSize, lr, valN } = cfg.supernet;
  const perEpoch = Math.floor(train.n / batchSize);
  const levels = levelsForFractions(cfg.fractions, epochs * perEpoch * batchSize, batchSize);
  const totalSteps = levels.at(-1)!.step;
  const { supernet, params, optimizer, batchAt, netAt } = nb201SupernetTraining(train, {
    ...cfg,
    batchSize,
    lr,
    pad: train.height >= 32 ? 4 : 2,
  });
  // Scoring batches and the one-shot validation set: fixed, drawn from the test images' split.
  const scoreIdx = createRng(cfg.seed, 7).shuffle(Array.from({ length: train.n }, (_, i) => i)).slice(0, 256);
  const tensors = (idx: number[], set = train) => {
    const b = imageBatches(set, { batchSize: idx.length, norm, indices: idx }).next().value!;
    return { x: tf.tensor4d(b.x, b.shape), y: tf.tensor1d(b.y, "int32") };
  };
  const scoring: Batch[] = [0, 1, 2, 3].map((i) => tensors(scoreIdx.slice(64 * i, 64 * (i + 1))));
  const val = tensors(Array.from({ length: Math.min(valN, test.n) }, (_, i) => i), test);

  const scoresFile = `${opts.dir}/scores.jsonl`;
  const scores: ScoreRecord[] = await readJsonl<ScoreRecord>(scoresFile);
  let scoringSeconds = 0;
  const totalEvals = levels.length * archs.length;
  try {
    const warm = await warmupSupernet({
      params,
      netAt,
      batchAt,
      optimizer,
      lr: cosineDecay(lr, Math.max(1, totalSteps)),
      levels,
      checkpointDir: `${opts.dir}/checkpoints`,
      onLevel: async (level) => {
        const done = new Set(scores.filter((s) => s.level === level.label).map((s) => s.arch));
        for (const arch of archs) {
          if (done.has(arch)) continue;
          const path = supernet.path(arch);
          const rows: ScoreRecord[] = [];
          for (const [i, p] of proxiesAt(level.step).entries()) {
            const s = await getProxy(p)(path, scoring);
            scoringSeconds += s.seconds;
            rows.push({
              level: level.label,
              arch,
              proxy: cfg.proxies[i],
              value: s.value,
              terms: s.terms,
              seconds: s.seconds,
            });
          }
          const t = performance.now();
          const acc = (await evaluateClassifier(path, [val], true)).accuracy; // batch statistics: no running BN stats
          const secs = (performance.now() - t) / 1000;
          scoringSeconds += secs;
          rows.push({ level: level.label, arch, proxy: "one-shot", value: acc, seconds: secs });
          await appendJsonl(scoresFile, rows);
          scores.push(...rows);
          opts.progress?.(scores.length / (cfg.proxies.length + 1), totalEvals);
        }
        log(`level ${level.label} (step ${level.step} of ${totalSteps}) scored`);
      },
    });
    const table = correlationTable(scores, truth, { seed: cfg.seed });
    return {
      scores,
      table,
      truthSource,
      warmupLoss: warm.meanLoss,
      seconds: {
        truth: truthSeconds,
        warmup: warm.seconds - scoringSeconds,
        scoring: scoringSeconds,
        total: (performance.now() - t0) / 1000,
      },
    };
  } finally {
    supernet.dispose();
    tf.dispose([...scoring.flatMap((b) => [b.x, b.y]), val.x, val.y]);
  }
}

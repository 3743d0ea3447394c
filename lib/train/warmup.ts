/**
 * Warm-up: the "sub" in sub-one-shot. Two variants, both from the SiGeo codes
 * (docs/nb201.md §4, docs/nasrec.md §5):
 *
 * - {@linkcode warmupSupernet}: one weight-sharing supernet trained on a fraction p of the
 *   training split (p = 0 zero-shot … p = 1 one-shot), a path sampled per step by the space's
 *   schedule. Checkpoint steps let one run serve every warm-up level (1 %, 5 %, 10 % … are
 *   prefixes of the same run), and a run killed at any point resumes from its last checkpoint
 *   with identical numbers: every step's batch and path are functions of the step index, and the
 *   optimizer state is saved with the weights.
 * - {@linkcode warmupPerArch}: NASLib-SiGeo's CV variant — each candidate trained alone for
 *   10 epochs on the same N samples with SGD(lr = 1), batch 128, BN in training mode.
 *
 * @module
 */
import * as tf from "../tf.ts";
import type { Batch, Net } from "../nn/net.ts";
import type { Param } from "../nn/param.ts";
import {
  loadCheckpoint,
  type NamedArray,
  restoreVariables,
  saveCheckpoint,
  snapshotVariables,
} from "../nn/checkpoint.ts";
import type { Optimizer, OptimizerState } from "./optim.ts";
import { trainStep } from "./fit.ts";

/** A named point of the warm-up run at which the caller scores candidates. */
export interface WarmupLevel {
  /** e.g. "10%" */
  label: string;
  /** optimizer steps taken before this level (0 = no warm-up) */
  step: number;
}

/** The warm-up levels for fractions of a training split of `trainSize` examples. */
export function levelsForFractions(
  fractions: readonly number[],
  trainSize: number,
  batchSize: number,
): WarmupLevel[] {
  return [...fractions].sort((a, b) => a - b).map((p) => {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Expected warm-up fractions in [0, 1]: got ${p}`);
    return { label: `${+(100 * p).toPrecision(4)}%`, step: Math.floor((p * trainSize) / batchSize) };
  });
}

/** Options of {@linkcode warmupSupernet}. */
export interface SupernetWarmupOptions {
  /** every trainable parameter of the supernet (checkpointed and optimized) */
  params: Param[];
  /** non-trainable state (BN buffers) to checkpoint with the weights */
  state?: ReadonlyMap<string, tf.Variable>;
  /** the network to train at `step`: a sampled path, or the full supernet; a function of the step */
  netAt(step: number): Net;
  /** the training batch of `step`; a function of the step (resumability depends on it) */
  batchAt(step: number): Batch;
  /** tensors of a batch from `batchAt` are disposed after the step unless this says otherwise */
  keepBatch?: boolean;
  optimizer: Optimizer;
  /** learning rate of `step` */
  lr(step: number): number;
  clipNorm?: number;
  /** the levels, ascending by step; the run stops at the last one */
  levels: WarmupLevel[];
  /** called at each level with the supernet in that state; may score, must not train */
  onLevel(level: WarmupLevel): Promise<void> | void;
  /** folder for checkpoints (one per level, plus a rolling one); none = no resume */
  checkpointDir?: string;
  /** steps between rolling checkpoints @default {200} */
  checkpointEvery?: number;
  /** receives (step, loss) after each step */
  onStep?(step: number, loss: number): void;
  /**
   * A custom training step (e.g. recommender nets with sparse embeddings) replacing
   * `netAt`/`batchAt`/`optimizer.step`; returns the step's loss. The optimizer is still saved in
   * checkpoints. State it updates outside `params`/`state` is not checkpointed.
   */
  stepAt?(step: number, lr: number): number | Promise<number>;
  /** state outside tfjs variables (e.g. embedding tables) saved and restored with each checkpoint */
  extraState?: { save(): NamedArray[]; load(arrays: NamedArray[]): void };
}

/** What a warm-up run did. */
export interface WarmupResult {
  steps: number;
  /** mean training loss between consecutive levels, by level label */
  meanLoss: Record<string, number>;
  seconds: number;
  /** the step the run resumed from (0 when it started fresh) */
  resumedFrom: number;
  /**
   * training seconds up to each level, summed over every attempt of a resumed run (kept in the
   * checkpoints): the warm-up cost of searching at that level. A kill loses only the seconds of the
   * steps after the last checkpoint, which the resume trains (and counts) again.
   */
  levelSeconds: Record<string, number>;
}

interface CheckpointMeta {
  step: number;
  optimizer: { steps: number; slots: Record<string, string[]> };
  lossSums: Record<string, number>;
  levelsDone: string[];
  /** training seconds of the steps before `step`, over all attempts (absent in older checkpoints) */
  trainSeconds?: number;
  levelSeconds?: Record<string, number>;
}

function variablesOf(opts: SupernetWarmupOptions): Map<string, tf.Variable> {
  const vars = new Map<string, tf.Variable>();
  for (const p of opts.params) vars.set(p.name, p.variable);
  for (const [k, v] of opts.state ?? []) vars.set(`state:${k}`, v);
  return vars;
}

async function writeRolling(
  dir: string,
  opts: SupernetWarmupOptions,
  meta: Omit<CheckpointMeta, "optimizer">,
) {
  const st = await opts.optimizer.saveState();
  const arrays: NamedArray[] = await snapshotVariables(variablesOf(opts));
  for (const a of opts.extraState?.save() ?? []) arrays.push({ ...a, name: `extra:${a.name}` });
  const slots: Record<string, string[]> = {};
  for (const [i, arrs] of Object.entries(st.slots)) {
    slots[i] = arrs.map((a, j) => {
      const name = `optimizer:${i}:${j}`;
      arrays.push({ name, shape: [a.length], data: a });
      return name;
    });
  }
  await saveCheckpoint(`${dir}/warmup.ckpt`, arrays, { ...meta, optimizer: { steps: st.steps, slots } });
}

async function readRolling(dir: string, opts: SupernetWarmupOptions): Promise<CheckpointMeta | null> {
  const path = `${dir}/warmup.ckpt`;
  try {
    await Deno.stat(path);
  } catch {
    return null;
  }
  const { meta, arrays } = await loadCheckpoint(path);
  const m = meta as CheckpointMeta;
  const vars = variablesOf(opts);
  restoreVariables(
    vars,
    arrays.filter((a) => !a.name.startsWith("optimizer:") && !a.name.startsWith("extra:")),
    {
      file: path,
    },
  );
  opts.extraState?.load(
    arrays.filter((a) => a.name.startsWith("extra:")).map((a) => ({ ...a, name: a.name.slice(6) })),
  );
  const byName = new Map(arrays.map((a) => [a.name, a.data]));
  const slots: OptimizerState["slots"] = {};
  for (const [i, names] of Object.entries(m.optimizer.slots)) {
    slots[Number(i)] = names.map((n) => byName.get(n)!);
  }
  opts.optimizer.loadState({ steps: m.optimizer.steps, slots });
  return m;
}

/**
 * Train the supernet up to the last level, calling `onLevel` at each level. With a checkpoint
 * folder, a killed run resumes at its last rolling checkpoint; levels already passed are not
 * called again (their results are the caller's to keep, e.g. in a history file).
 */
export async function warmupSupernet(opts: SupernetWarmupOptions): Promise<WarmupResult> {
  const t0 = performance.now();
  const levels = [...opts.levels].sort((a, b) => a.step - b.step);
  if (levels.length === 0) throw new RangeError("Cannot warm up without levels");
  const every = opts.checkpointEvery ?? 200;
  const vars = opts.params.map((p) => p.variable);
  let step = 0;
  let lossSums: Record<string, number> = {};
  let done = new Set<string>();
  let trainSeconds = 0;
  let levelSeconds: Record<string, number> = {};
  if (opts.checkpointDir) {
    await Deno.mkdir(opts.checkpointDir, { recursive: true });
    const m = await readRolling(opts.checkpointDir, opts);
    if (m) {
      step = m.step;
      lossSums = m.lossSums;
      done = new Set(m.levelsDone);
      trainSeconds = m.trainSeconds ?? 0;
      levelSeconds = m.levelSeconds ?? {};
    }
  }
  const resumedFrom = step;
  const save = async () => {
    if (opts.checkpointDir) {
      await writeRolling(opts.checkpointDir, opts, {
        step,
        lossSums,
        levelsDone: [...done],
        trainSeconds,
        levelSeconds,
      });
    }
  };
  const meanLoss: Record<string, number> = {};
  let prevStep = 0;
  for (const level of levels) {
    const segment = `${prevStep}-${level.step}`;
    while (step < level.step) {
      const tStep = performance.now();
      let loss: number;
      if (opts.stepAt) loss = await opts.stepAt(step, opts.lr(step));
      else {
        const batch = opts.batchAt(step);
        loss = await trainStep(opts.netAt(step), batch, opts.optimizer, vars, {
          lr: opts.lr(step),
          clipNorm: opts.clipNorm,
        });
        if (!opts.keepBatch) tf.dispose([batch.x as tf.Tensor, batch.y]);
      }
      lossSums[segment] = (lossSums[segment] ?? 0) + loss;
      opts.onStep?.(step, loss);
      step++;
      trainSeconds += (performance.now() - tStep) / 1000;
      if (opts.checkpointDir && step % every === 0 && step < level.step) await save();
    }
    if (level.step > prevStep) meanLoss[level.label] = lossSums[segment] / (level.step - prevStep);
    prevStep = level.step;
    levelSeconds[level.label] ??= trainSeconds;
    if (!done.has(level.label)) {
      await save(); // state at the level, before scoring: a crash while scoring resumes here
      await opts.onLevel(level);
      done.add(level.label);
      await save();
    }
  }
  return {
    steps: step,
    meanLoss,
    seconds: (performance.now() - t0) / 1000,
    resumedFrom,
    levelSeconds,
  };
}

/** Options of {@linkcode warmupPerArch} (NASLib-SiGeo defaults). */
export interface PerArchWarmupOptions {
  /** @default {10} */
  epochs?: number;
  /** @default {128} */
  batchSize?: number;
  /** @default {1} */
  lr?: number;
}

/**
 * NASLib-SiGeo's per-architecture warm-up: `epochs` passes over the given samples in their order,
 * mini-batches of `batchSize`, SGD at `lr` (no momentum or decay), BN in training mode. The
 * caller passes the optimizer (an in-place `sgd` over `net.params()`) so it can keep stepping it
 * while scoring, as the official code does. Returns the mean loss of each epoch.
 */
export async function warmupPerArch(
  net: Net,
  x: tf.Tensor,
  y: tf.Tensor,
  optimizer: Optimizer,
  opts: PerArchWarmupOptions = {},
): Promise<number[]> {
  const { epochs = 10, batchSize = 128, lr = 1 } = opts;
  const n = x.shape[0];
  const vars = net.params().map((p) => p.variable);
  const losses: number[] = [];
  for (let e = 0; e < epochs; e++) {
    let sum = 0, count = 0;
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const bx = tf.slice(x, start, size), by = tf.slice(y, start, size);
      try {
        sum += await trainStep(net, { x: bx, y: by }, optimizer, vars, { lr });
      } finally {
        tf.dispose([bx, by]);
      }
      count++;
    }
    losses.push(sum / count);
  }
  return losses;
}

/**
 * The workloads of the WebGPU equivalence test, run on one backend per process (tfjs keeps one
 * backend's kernels and tensors per process; comparing two means two runs):
 * `deno run --allow-all lib/proxies/testing/webgpu_workloads.ts --backend wasm|webgpu [--out FILE]`.
 *
 * Small on purpose (a software adapter is ~100× slower than a GPU): an NB201 cell with C=4, N=1
 * on 16×16 images and batches of 8; a two-block NASRec net over four small tables. Every input
 * and initial weight comes from the seeded host RNG, so both backends see the same numbers.
 * Writes one JSON object (see {@linkcode WorkloadResult}); docs/backends.md "WebGPU" states the
 * tolerances the test compares it with.
 *
 * @module
 */
import * as tf from "../../tf.ts";
import { type BackendName, initBackend } from "../../backend.ts";
import { createRng } from "../../rng.ts";
import type { Batch, Net } from "../../nn/net.ts";
import { Nb201Network } from "../../spaces/nb201/network.ts";
import { PROXIES } from "../registry.ts";
import { sgd } from "../../train/optim.ts";
import { trainStep } from "../../train/fit.ts";
import { warmupPerArch, warmupSupernet } from "../../train/warmup.ts";
import { copyValues } from "../../train/inplace.ts";
import type { DatasetLayout } from "../../data/recsys_layouts.ts";
import { disposeBatch, type RecsysRows, toBatch } from "../../nn/recsys_batch.ts";
import { standalone } from "../../spaces/nasrec/supernet.ts";
import type { NasrecArch } from "../../spaces/nasrec/space.ts";
import { recsysOptimizer, recsysStep } from "../../train/recsys_fit.ts";
import { writeFileAtomic } from "../../io.ts";

/** The architecture of the small NB201 cell: every op kind once. */
export const CELL = "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|";
/** The small NB201 network's settings. */
export const NB201 = { C: 4, N: 1, classes: 10, image: 16, batch: 8 } as const;
/** The NASRec tables (rows per sparse field) and dense width. */
export const LAYOUT: DatasetLayout = { name: "tiny", numDense: 3, tableSizes: [50, 30, 20, 10] };
/** Scorings of the leak check. */
export const LEAK_SCORINGS = 50;

/** A two-block NASRec net: dense-sparse interaction, DeepFM and both node kinds. */
export const NASREC_ARCH: NasrecArch = {
  space: "autoctr",
  blocks: [
    {
      macro: { denseIdx: [0], sparseIdx: [0], denseLeftIdx: [0], denseRightIdx: [0] },
      micro: {
        activeNodes: [1, 2],
        denseInDims: 32,
        sparseInDims: 16,
        denseSparseInteract: true,
        deepFm: false,
      },
    },
    {
      macro: { denseIdx: [0, 1], sparseIdx: [1], denseLeftIdx: [0], denseRightIdx: [0] },
      micro: {
        activeNodes: [0, 2],
        denseInDims: 16,
        sparseInDims: 16,
        denseSparseInteract: false,
        deepFm: true,
      },
    },
  ],
};

/** A proxy's score, or the error it raised (a proxy may refuse a model: the same on both backends). */
export type ProxyOutcome = { value: number; terms: Record<string, number> } | { error: string };

/** What one run writes. */
export interface WorkloadResult {
  backend: string;
  device: string | null;
  nb201Proxies: Record<string, ProxyOutcome>;
  nasrecProxies: Record<string, ProxyOutcome>;
  /** one SGD step (momentum 0.9, Nesterov, weight decay 5e-4) on the NB201 cell */
  nb201Step: { loss: number; params: number[][] };
  /** one NASRec step: clipping, Adagrad on the dense layers and on the batch's embedding rows */
  nasrecStep: { loss: number; params: number[][] };
  /** NASLib-SiGeo's per-architecture warm-up (SGD lr 1 over 3 batches, 1 epoch) */
  warmup: { losses: number[]; params: number[][] };
  /**
   * warmupSupernet with rolling checkpoints (SGD with momentum: device slots are saved): the
   * parameters of an uninterrupted run and of a run killed after step 3 and resumed
   */
  resume: { resumedFrom: number; params: number[][]; resumedParams: number[][] };
  /** tensors and device bytes around {@link LEAK_SCORINGS} scorings (after one untimed scoring) */
  leak: {
    proxy: string;
    tensorsBefore: number;
    tensorsAfter: number;
    bytesBefore: number;
    bytesAfter: number;
  };
  seconds: Record<string, number>;
}

function images(seed: number, n: number): Batch {
  const rng = createRng(seed);
  const { image, classes } = NB201;
  const x = tf.tensor4d(Float32Array.from({ length: n * image * image * 3 }, () => rng.normal()), [
    n,
    image,
    image,
    3,
  ]);
  const y = tf.tensor1d(Int32Array.from({ length: n }, () => rng.int(classes)), "int32");
  return { x, y };
}

function recsysRows(seed: number, n: number): RecsysRows {
  const rng = createRng(seed);
  const F = LAYOUT.tableSizes.length, D = LAYOUT.numDense;
  const sparse = Int32Array.from({ length: n * F }, (_, i) => rng.int(LAYOUT.tableSizes[i % F]));
  const dense = Float32Array.from({ length: n * D }, () => rng.normal());
  const labels = Float32Array.from({ length: n }, () => (rng.next() < 0.3 ? 1 : 0));
  return { n, numDense: D, numSparse: F, dense, sparse, labels };
}

const newCell = () =>
  new Nb201Network(CELL, { C: NB201.C, N: NB201.N, classes: NB201.classes }, createRng(7));

async function scoreAll(net: Net, batches: Batch[]): Promise<Record<string, ProxyOutcome>> {
  const out: Record<string, ProxyOutcome> = {};
  for (const [name, p] of Object.entries(PROXIES)) {
    try {
      const s = await p.fn(net, batches);
      out[name] = { value: s.value, terms: s.terms ?? {} };
    } catch (e) {
      out[name] = { error: `${(e as Error).name}: ${(e as Error).message.split("\n")[0]}` };
    }
  }
  return out;
}

async function values(net: Net): Promise<number[][]> {
  return (await Promise.all(net.params().map((p) => copyValues(p.variable)))).map((a) => Array.from(a));
}

function bytes(): number {
  const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
  return m.numBytesInGPU ?? m.numBytes;
}

/** Run every workload on the initialised backend. */
export async function runWorkloads(): Promise<Omit<WorkloadResult, "backend" | "device">> {
  const seconds: Record<string, number> = {};
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await fn();
    } finally {
      seconds[name] = (performance.now() - t) / 1000;
    }
  };
  const batches = [1, 2, 3, 4].map((s) => images(s, NB201.batch));
  try {
    const nb201Proxies = await timed("nb201Proxies", async () => {
      const net = newCell();
      try {
        return await scoreAll(net, batches);
      } finally {
        net.dispose();
      }
    });

    const nasrecProxies = await timed("nasrecProxies", async () => {
      const net = standalone(NASREC_ARCH, LAYOUT, createRng(11));
      const rb = [21, 22, 23, 24].map((s) => toBatch(recsysRows(s, 16)));
      try {
        return await scoreAll(net as unknown as Net, rb as unknown as Batch[]);
      } finally {
        rb.forEach(disposeBatch);
        net.dispose();
      }
    });

    const nb201Step = await timed("nb201Step", async () => {
      const net = newCell();
      try {
        const vars = net.params().map((p) => p.variable);
        const opt = sgd(vars, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
        // two steps, so that the momentum buffer takes part
        await trainStep(net, batches[0], opt, vars, { lr: 0.1 });
        const loss = await trainStep(net, batches[1], opt, vars, { lr: 0.1 });
        return { loss, params: await values(net) };
      } finally {
        net.dispose();
      }
    });

    const nasrecStep = await timed("nasrecStep", async () => {
      const net = standalone(NASREC_ARCH, LAYOUT, createRng(12));
      const b = toBatch(recsysRows(31, 32));
      try {
        const opt = recsysOptimizer(net.params());
        const r = await recsysStep(net, b, opt, { lr: 0.05, clipNorm: 0.5 });
        const r2 = await recsysStep(net, b, opt, { lr: 0.05, clipNorm: 0.5 });
        return { loss: r.loss + r2.loss, params: await values(net as unknown as Net) };
      } finally {
        disposeBatch(b);
        net.dispose();
      }
    });

    const warmup = await timed("warmup", async () => {
      const net = newCell();
      const { x, y } = images(41, 3 * NB201.batch);
      try {
        const opt = sgd(net.params().map((p) => p.variable), { lr: 1 });
        const losses = await warmupPerArch(net, x, y, opt, { epochs: 1, batchSize: NB201.batch, lr: 1 });
        return { losses, params: await values(net) };
      } finally {
        tf.dispose([x, y]);
        net.dispose();
      }
    });

    const resume = await timed("resume", async () => {
      const warm = async (dir?: string, killAt?: number) => {
        const net = newCell();
        try {
          const state = new Map(net.state().map((v, i) => [`bn${i}`, v])); // stable names across nets
          const r = await warmupSupernet({
            params: net.params(),
            state,
            netAt: () => net,
            batchAt: (s) => images(60 + s, NB201.batch),
            optimizer: sgd(net.params().map((p) => p.variable), { lr: 0.1, momentum: 0.9 }),
            lr: () => 0.1,
            levels: [{ label: "0%", step: 0 }, { label: "end", step: 6 }],
            onLevel: () => {},
            checkpointDir: dir,
            checkpointEvery: 2,
            onStep: (s) => {
              if (s === killAt) throw new Error("killed");
            },
          });
          return { resumedFrom: r.resumedFrom, params: await values(net) };
        } finally {
          net.dispose();
        }
      };
      const full = await warm();
      const dir = await Deno.makeTempDir({ prefix: "sigeo-webgpu-resume-" });
      try {
        await warm(dir, 3).then(() => {
          throw new Error("Expected the killed run to throw");
        }, (e) => {
          if ((e as Error).message !== "killed") throw e;
        });
        const resumed = await warm(dir);
        return { resumedFrom: resumed.resumedFrom, params: full.params, resumedParams: resumed.params };
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });

    const leak = await timed("leak", async () => {
      const net = newCell();
      const proxy = "sigeo-cv-warm";
      try {
        const two = batches.slice(0, 2); // SiGeo's minimum: the leak check needs repetitions, not data
        await PROXIES[proxy].fn(net, two);
        const tensorsBefore = tf.memory().numTensors, bytesBefore = bytes();
        for (let i = 0; i < LEAK_SCORINGS; i++) await PROXIES[proxy].fn(net, two);
        return {
          proxy,
          tensorsBefore,
          tensorsAfter: tf.memory().numTensors,
          bytesBefore,
          bytesAfter: bytes(),
        };
      } finally {
        net.dispose();
      }
    });
    return { nb201Proxies, nasrecProxies, nb201Step, nasrecStep, warmup, resume, leak, seconds };
  } finally {
    tf.dispose(batches.flatMap((b) => [b.x, b.y]));
  }
}

async function main(args: string[]) {
  const at = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const backend = (at("--backend") ?? "wasm") as BackendName;
  const info = await initBackend({ backend, quiet: true });
  const result: WorkloadResult = { backend: info.name, device: info.device, ...(await runWorkloads()) };
  const text = JSON.stringify(result);
  const out = at("--out");
  if (out) await writeFileAtomic(out, text);
  else console.log(text);
}

if (import.meta.main) await main(Deno.args);

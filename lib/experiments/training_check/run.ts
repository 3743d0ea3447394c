/**
 * The training check (`deno task reproduce training-check`): train one small NAS-Bench-201
 * network on generated CIFAR-10 files and report its loss curve, speed and test accuracy.
 *
 * It exercises the whole stack a user relies on: the backend choice, the CIFAR-10 binary writer
 * and reader (the real file format), NB201's normalization and augmentation, the network, the
 * in-place SGD, and evaluation. Its loss curve and test accuracy show that training works.
 *
 * @module
 */
import * as tf from "../../tf.ts";
import { type BackendInfo, initBackend } from "../../backend.ts";
import { createRng } from "../../rng.ts";
import { writeCifarTree } from "../../data/gen_images.ts";
import { loadCifar } from "../../data/cifar.ts";
import { imageBatches, NB201_NORMALIZATION } from "../../data/images.ts";
import { Nb201Network } from "../../spaces/nb201/network.ts";
import { sgd } from "../../train/optim.ts";
import { cosineDecay } from "../../train/schedule.ts";
import { readScalar } from "../../train/inplace.ts";
import type { Scale } from "../scale.ts";
import { TRAINING_CHECK, type TrainingCheckConfig } from "./config.ts";

/** The settings of `scale` (a fresh copy). */
export function trainingCheckConfig(scale: Scale): TrainingCheckConfig {
  return structuredClone(TRAINING_CHECK[scale]);
}

/** What the training check measured. */
export interface TrainingCheckResult {
  backend: BackendInfo;
  config: TrainingCheckConfig;
  /** mean training loss per epoch */
  epochLoss: number[];
  /** test accuracy after each epoch */
  testAccuracy: number[];
  samplesPerSecond: number;
  seconds: number;
}

async function accuracy(
  net: Nb201Network,
  batches: Iterable<{ x: Float32Array; y: Int32Array; shape: number[] }>,
): Promise<number> {
  let right = 0, total = 0;
  for (const b of batches) {
    const pred = tf.tidy(() =>
      tf.argMax(
        net.forward(tf.tensor4d(b.x, b.shape as [number, number, number, number]), { training: false }),
        1,
      )
    );
    const p = await pred.data(); // asynchronous: WebGPU has no synchronous readback in Deno
    pred.dispose();
    for (let i = 0; i < b.y.length; i++) if (p[i] === b.y[i]) right++;
    total += b.y.length;
  }
  return right / total;
}

/** Run the check; `log` receives one line per epoch. */
export async function runTrainingCheck(
  cfg: TrainingCheckConfig,
  log: (line: string) => void = console.log,
): Promise<TrainingCheckResult> {
  const started = performance.now();
  const backend = await initBackend();
  log(`backend: ${backend.name}${backend.gemm ? ` + ${backend.gemm}` : ""}${backend.simd ? " (SIMD)" : ""}`);
  const dir = await Deno.makeTempDir({ prefix: "sigeo-training-check-" });
  try {
    await writeCifarTree(dir, {
      dataset: "cifar10",
      format: "bin",
      trainN: cfg.trainN,
      testN: cfg.testN,
      seed: cfg.seed,
    });
    const train = await loadCifar(dir, { dataset: "cifar10", split: "train" });
    const test = await loadCifar(dir, { dataset: "cifar10", split: "test" });
    log(`data: generated CIFAR-10 binary files, ${train.n} train / ${test.n} test images (${dir})`);
    const rng = createRng(cfg.seed);
    const net = new Nb201Network(cfg.arch, { C: cfg.C, N: cfg.N, classes: 10 }, rng.fork());
    const vars = net.params().map((p) => p.variable);
    const opt = sgd(vars, { lr: cfg.lr, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
    const norm = NB201_NORMALIZATION.cifar10;
    const epochLoss: number[] = [], testAccuracy: number[] = [];
    const stepsPerEpoch = Math.floor(train.n / cfg.batchSize);
    const schedule = cosineDecay(cfg.lr, stepsPerEpoch * cfg.epochs); // cosine, as NB201
    let step = 0, trainSeconds = 0;
    for (let epoch = 0; epoch < cfg.epochs; epoch++) {
      let sum = 0, count = 0;
      const t0 = performance.now();
      for (
        const b of imageBatches(train, {
          batchSize: cfg.batchSize,
          norm,
          rng,
          shuffle: true,
          augmentPad: 4,
          dropLast: true,
        })
      ) {
        const lr = schedule(step);
        const x = tf.tensor4d(b.x, b.shape);
        const y = tf.tensor1d(b.y, "int32");
        const { value, grads } = tf.variableGrads(
          () => net.loss(net.forward(x, { training: true }), y),
          vars,
        );
        opt.step(grads, lr);
        sum += await readScalar(value);
        count++;
        step++;
        tf.dispose([x, y, value, ...Object.values(grads)]);
      }
      trainSeconds += (performance.now() - t0) / 1000;
      epochLoss.push(sum / count);
      testAccuracy.push(await accuracy(net, imageBatches(test, { batchSize: 256, norm })));
      log(
        `epoch ${epoch + 1}/${cfg.epochs}  train loss ${epochLoss[epoch].toFixed(4)}  test accuracy ${
          (100 * testAccuracy[epoch]).toFixed(1)
        }%  ${lossBar(epochLoss[epoch], epochLoss[0])}`,
      );
    }
    net.dispose();
    return {
      backend,
      config: cfg,
      epochLoss,
      testAccuracy,
      samplesPerSecond: (stepsPerEpoch * cfg.batchSize * cfg.epochs) / trainSeconds,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A bar proportional to the loss relative to the first epoch's: the loss curve in a terminal. */
function lossBar(loss: number, first: number): string {
  const width = Math.max(1, Math.round(30 * Math.min(1, loss / first)));
  return "█".repeat(width);
}

/**
 * The first-run demo: train a small NAS-Bench-201 network on generated CIFAR-10 files.
 *
 * It exercises the whole stack a user relies on: the backend choice, the CIFAR-10 binary writer
 * and reader (the real file format), NB201's normalization and augmentation, the network, the
 * in-place SGD, and evaluation. Its loss curve and test accuracy show that training works.
 *
 * @module
 */
import * as tf from "../tf.ts";
import { type BackendInfo, initBackend } from "../backend.ts";
import { createRng } from "../rng.ts";
import { writeCifarTree } from "../data/gen_images.ts";
import { loadCifar } from "../data/cifar.ts";
import { imageBatches, NB201_NORMALIZATION } from "../data/images.ts";
import { Nb201Network } from "../spaces/nb201/network.ts";
import { sgd } from "../train/optim.ts";
import type { Scale } from "./scale.ts";

/** Settings of {@linkcode runDemo}. */
export interface DemoConfig {
  arch: string;
  C: number;
  N: number;
  trainN: number;
  testN: number;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
}

/** The demo's settings per scale. */
export function demoConfig(scale: Scale): DemoConfig {
  const arch =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|";
  if (scale === "smoke") {
    return { arch, C: 8, N: 1, trainN: 2000, testN: 500, epochs: 3, batchSize: 64, lr: 0.05, seed: 0 };
  }
  if (scale === "small") {
    return { arch, C: 16, N: 2, trainN: 10000, testN: 2000, epochs: 5, batchSize: 64, lr: 0.05, seed: 0 };
  }
  return { arch, C: 16, N: 5, trainN: 50000, testN: 10000, epochs: 10, batchSize: 256, lr: 0.1, seed: 0 };
}

/** What the demo measured. */
export interface DemoResult {
  backend: BackendInfo;
  config: DemoConfig;
  /** mean training loss per epoch */
  epochLoss: number[];
  /** test accuracy after each epoch */
  testAccuracy: number[];
  samplesPerSecond: number;
  seconds: number;
}

function accuracy(
  net: Nb201Network,
  batches: Iterable<{ x: Float32Array; y: Int32Array; shape: number[] }>,
): number {
  let right = 0, total = 0;
  for (const b of batches) {
    const pred = tf.tidy(() =>
      tf.argMax(
        net.forward(tf.tensor4d(b.x, b.shape as [number, number, number, number]), { training: false }),
        1,
      )
    );
    const p = pred.dataSync();
    pred.dispose();
    for (let i = 0; i < b.y.length; i++) if (p[i] === b.y[i]) right++;
    total += b.y.length;
  }
  return right / total;
}

/** Run the demo; `log` receives one line per epoch. */
export async function runDemo(
  cfg: DemoConfig,
  log: (line: string) => void = console.log,
): Promise<DemoResult> {
  const started = performance.now();
  const backend = await initBackend();
  log(`backend: ${backend.name}${backend.gemm ? ` + ${backend.gemm}` : ""}${backend.simd ? " (SIMD)" : ""}`);
  const dir = await Deno.makeTempDir({ prefix: "sigeo-demo-" });
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
    const totalSteps = stepsPerEpoch * cfg.epochs;
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
        const lr = 0.5 * cfg.lr * (1 + Math.cos(Math.PI * step / totalSteps)); // cosine, as NB201
        const x = tf.tensor4d(b.x, b.shape);
        const y = tf.tensor1d(b.y, "int32");
        const { value, grads } = tf.variableGrads(
          () => net.loss(net.forward(x, { training: true }), y),
          vars,
        );
        opt.step(grads, lr);
        sum += value.dataSync()[0];
        count++;
        step++;
        tf.dispose([x, y, value, ...Object.values(grads)]);
      }
      trainSeconds += (performance.now() - t0) / 1000;
      epochLoss.push(sum / count);
      testAccuracy.push(accuracy(net, imageBatches(test, { batchSize: 256, norm })));
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

/**
 * The NB201 weight-sharing supernet as the experiments that warm one up train it (the supernet
 * part of the NB201 correlation study and the NB201 search).
 *
 * @module
 */
import * as tf from "../../tf.ts";
import { createRng } from "../../rng.ts";
import { imageBatches, type ImageSet, NB201_NORMALIZATION } from "../../data/images.ts";
import { Nb201Supernet } from "../../spaces/nb201/network.ts";
import { sampleArch } from "../../spaces/nb201/space.ts";
import { sgd } from "../../train/optim.ts";
import type { Batch } from "../../nn/net.ts";
import type { Nb201ImageDataset } from "./nb201.ts";

/**
 * The NB201 supernet as both supernet experiments train it: SGD Nesterov (momentum 0.9, weight
 * decay 5e-4), a uniformly sampled connected path per step, and batches from one seeded shuffle
 * of the training images per epoch (crop-padded by `pad`, flipped).
 */
export function nb201SupernetTraining(
  train: ImageSet,
  opts: {
    C: number;
    N: number;
    seed: number;
    dataset: Nb201ImageDataset;
    batchSize: number;
    lr: number;
    pad: number;
  },
) {
  const norm = NB201_NORMALIZATION[opts.dataset];
  const { batchSize, seed } = opts;
  const perEpoch = Math.floor(train.n / batchSize);
  const supernet = new Nb201Supernet({ C: opts.C, N: opts.N, classes: train.classes }, createRng(seed, 1));
  const params = supernet.allParams();
  const optimizer = sgd(params.map((p) => p.variable), {
    lr: opts.lr,
    momentum: 0.9,
    nesterov: true,
    weightDecay: 5e-4,
  });
  let cachedEpoch = -1, order: number[] = [];
  const batchAt = (step: number): Batch => {
    const epoch = Math.floor(step / perEpoch);
    if (epoch !== cachedEpoch) {
      [cachedEpoch, order] = [
        epoch,
        createRng(seed, 300 + epoch).shuffle(Array.from({ length: train.n }, (_, i) => i)),
      ];
    }
    const k = step % perEpoch;
    const b = imageBatches(train, {
      batchSize,
      norm,
      indices: order.slice(k * batchSize, (k + 1) * batchSize),
      rng: createRng(seed, 100_000 + step),
      augmentPad: opts.pad,
    }).next().value!;
    return { x: tf.tensor4d(b.x, b.shape), y: tf.tensor1d(b.y, "int32") };
  };
  const netAt = (step: number) =>
    supernet.path(sampleArch(createRng(seed, 200_000 + step), { connectedOnly: true }));
  return { supernet, params, optimizer, perEpoch, batchAt, netAt };
}

/**
 * Zen-score (NASLib `zen.py`, Zen-NAS, repeat = 1), data-free: the network is re-initialised from
 * its own seeded stream — conv/linear weights N(0,1), biases 0, BN γ = 1 and β = 0, BN running
 * statistics reset to mean 0, variance 1 (a fresh net's) — then x and ε ~ N(0,1) of the first
 * batch's input shape, and f = the feature map fed to global pooling (`features` tap):
 * Δ = mean_n Σ |f(x) − f(x + γ·ε)| with γ = 0.01; both forwards in training mode, so BN uses batch
 * statistics and its running variance is updated by both;
 * score = log Δ + Σ_BN log √mean_c(running_var). Every value is restored afterwards.
 *
 * Draw order from `createRng(seed)`: for each parameter in `net.params()` order, one normal per
 * element of a conv/linear weight; then x, then ε (row-major, the input's layout).
 *
 * Needs `tap` (the features point). `Net.state()` carries no names, so the running variances are
 * taken as the project's `BatchNorm` (lib/nn/layers.ts) lays its buffers out: (running_mean, running_var) per BN,
 * in order. A net whose BN keeps no running statistics (the NB201 supernet's default) has no BN
 * term (terms.bnLayers = 0): NASLib's code would fail there.
 *
 * @module
 */
import * as tf from "../tf.ts";
import type { Batch, Net, Tap } from "../nn/net.ts";
import { createRng } from "../rng.ts";
import type { ProxyScore } from "./proxy.ts";
import { firstBatch, requireSupport, withRestored } from "./taps.ts";

/** Options of {@linkcode zenProxy}. */
export interface ZenOptions {
  /** seed of the re-initialisation and of the Gaussian inputs @default {0} */
  seed?: number;
  /** the perturbation scale γ @default {0.01} */
  mixupGamma?: number;
}

/** The defaults of {@link ZenOptions} (NASLib's `mixup_gamma`). */
export const ZEN_DEFAULTS: Readonly<Required<ZenOptions>> = Object.freeze({ seed: 0, mixupGamma: 0.01 });

function assignValues(v: tf.Variable, values: Float32Array): void {
  const t = tf.tensor(values, v.shape, "float32");
  v.assign(t);
  t.dispose();
}

/** The Zen-score of `net`; the batches give only the input shape. */
export async function zenProxy(net: Net, batches: Batch[], opts: ZenOptions = {}): Promise<ProxyScore> {
  const t0 = performance.now();
  requireSupport(net, "tap", "zen");
  const { x } = firstBatch(batches, "zen");
  const rng = createRng(opts.seed ?? ZEN_DEFAULTS.seed);
  const gamma = opts.mixupGamma ?? ZEN_DEFAULTS.mixupGamma;
  const params = net.params();
  const state = net.state?.() ?? [];
  if (state.length % 2 !== 0) {
    throw new TypeError(
      `Cannot compute zen: expected BN state in (mean, variance) pairs, got ${state.length} tensors`,
    );
  }
  const terms = await withRestored(net, params, async () => {
    for (const p of params) {
      const size = p.variable.size;
      if ((p.kind === "conv" || p.kind === "linear") && p.role === "weight") {
        assignValues(p.variable, Float32Array.from({ length: size }, () => rng.normal()));
      } else if (p.role === "bias") {
        assignValues(p.variable, new Float32Array(size));
      } else if (p.kind === "norm") {
        assignValues(p.variable, new Float32Array(size).fill(1));
      }
    }
    state.forEach((v, i) => assignValues(v, new Float32Array(v.size).fill(i % 2)));
    const n = x.size;
    const clean = Float64Array.from({ length: n }, () => rng.normal());
    const mixed = Float32Array.from(clean, (v) => v + gamma * rng.normal());
    const features: tf.Tensor[] = [];
    const tap: Tap = (point, t) => {
      if (point.kind === "features") features.push(tf.keep(t));
      return t;
    };
    for (const input of [Float32Array.from(clean), mixed]) {
      tf.tidy(() => void net.forward(tf.tensor(input, x.shape, "float32"), { training: true, tap }));
    }
    try {
      if (features.length !== 2) {
        throw new TypeError(
          "Cannot compute zen: the network has no features point (map fed to global pooling)",
        );
      }
      const delta = tf.tidy(() => tf.div(tf.sum(tf.abs(tf.sub(features[0], features[1]))), x.shape[0]));
      const means: tf.Tensor[] = [];
      for (let i = 1; i < state.length; i += 2) means.push(tf.mean(state[i]));
      let logDelta = 0, bn = 0;
      try {
        const [d, ...ms] = await Promise.all([delta.data(), ...means.map((m) => m.data())]);
        logDelta = Math.log(d[0]);
        for (const m of ms) bn += Math.log(Math.sqrt(m[0]));
      } finally {
        tf.dispose([delta, ...means]);
      }
      return { delta: logDelta, bn, bnLayers: state.length / 2 };
    } finally {
      tf.dispose(features);
    }
  });
  return { value: terms.delta + terms.bn, terms, seconds: (performance.now() - t0) / 1000 };
}

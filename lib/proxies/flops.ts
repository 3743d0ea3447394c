/**
 * flops (NASLib via tensorwatch/torchstat `compute_flops`, one example), in millions, counted from
 * the shapes one forward pass shows at its taps and from the weight shapes:
 * - conv (weight [kh, kw, C_in, C_out], output H×W): kh·kw·C_in·C_out·H·W, + C_out·H·W with a bias;
 * - linear (weight [in, out]): in·out per output row (its bias is not counted, as torchstat);
 * - ReLU: the size of its input; BN: 2× the size of its input (affine);
 * - the global pool (`features` map H×W×C): C·(H+1)·(W+1), torchstat's count for
 *   `AdaptiveAvgPool2d(1)` (its window end is inclusive).
 * A BN's input is not a tap point, so its size is taken from the layer its parameters follow in
 * `net.params()` order (conv → BN, as in every CV net here) or, for a BN after no conv/linear
 * layer (NB201's last BN, which feeds the ReLU before the pool), the features map; a BN matching
 * neither by channel count is a TypeError; a BN after a layer the pass never ran (a supernet
 * path's edge cut off from the input) counts 0, as that layer does.
 * - average pools inside the net (`pool-input` taps: NB201's avg_pool_3x3 and the stage
 *   shortcuts' 2×2 pools), as torchstat's Pool2d: C·H_out·W_out·k² (before issue 16 they were
 *   left out, and convs after a dead NB201 node did not run, so they were not counted either).
 *
 * Needs `tap`. Inference mode, input = ones of one example's shape; the batches give the shape.
 *
 * @module
 */
import * as tf from "../tf.ts";
import type { Batch, Net, Tap, TapPoint } from "../nn/net.ts";
import type { ProxyScore } from "./proxy.ts";
import { firstBatch, requireSupport, unitShape, withRestored } from "./taps.ts";

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** The flops of `net` per example, in millions. */
export async function flopsProxy(net: Net, batches: Batch[]): Promise<ProxyScore> {
  const t0 = performance.now();
  requireSupport(net, "tap", "flops");
  const shape = unitShape(firstBatch(batches, "flops").x);
  const events: Array<TapPoint & { shape: number[] }> = [];
  const tap: Tap = (point, t) => {
    events.push({ ...point, shape: t.shape.slice() });
    return t;
  };
  await withRestored(
    net,
    [],
    () => tf.tidy(() => void net.forward(tf.ones(shape), { training: false, tap })),
  );
  const params = net.params();
  const weightOf = new Map(
    params.filter((p) => p.role === "weight" && (p.kind === "conv" || p.kind === "linear"))
      .map((p) => [p.layer, p.variable.shape]),
  );
  const biased = new Set(
    params.filter((p) => p.role === "bias" && (p.kind === "conv" || p.kind === "linear")).map((p) => p.layer),
  );
  const outputOf = new Map<string, number[]>();
  let features: number[] | null = null;
  let total = 0;
  for (const ev of events) {
    if (ev.kind === "relu-input") total += size(ev.shape);
    if (ev.kind === "pool-input" && ev.pool && ev.shape.length === 4) {
      // torchstat's Pool2d: C · H_out · W_out · k², the padding in the output size
      const { k, stride, pad } = ev.pool;
      const oh = Math.floor((ev.shape[1] + 2 * pad - k) / stride) + 1;
      const ow = Math.floor((ev.shape[2] + 2 * pad - k) / stride) + 1;
      total += ev.shape[3] * oh * ow * k * k;
    }
    if (ev.kind === "features") {
      features = ev.shape;
      if (ev.shape.length === 4) total += ev.shape[3] * (ev.shape[1] + 1) * (ev.shape[2] + 1);
    }
    const w = ev.kind === "layer-output" ? weightOf.get(ev.name) : undefined;
    if (!w) continue;
    outputOf.set(ev.name, ev.shape);
    const out = ev.shape[ev.shape.length - 1], positions = size(ev.shape) / out;
    total += size(w) * positions;
    if (w.length === 4 && biased.has(ev.name)) total += out * positions;
  }
  params.forEach((p, i) => {
    if (p.kind !== "norm" || p.role === "bias") return;
    const c = p.variable.size;
    const prev = params[i - 1];
    if (prev && (prev.kind === "conv" || prev.kind === "linear")) {
      const out = outputOf.get(prev.layer);
      // a layer the pass never ran (a supernet path's edge cut off from the input) counts 0
      if (!out) return;
      if (out[out.length - 1] === c) return void (total += 2 * size(out));
    } else if (features && features[features.length - 1] === c) {
      return void (total += 2 * size(features));
    }
    throw new TypeError(
      `Cannot count the flops of norm layer '${p.layer}': no conv/linear output or features map with ${c} channels to attach it to`,
    );
  });
  return { value: total / 1e6, seconds: (performance.now() - t0) / 1000 };
}

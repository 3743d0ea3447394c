/**
 * Test helper: tfjs twins of the reference's tiny networks (same layout, same parameter values),
 * their batches, and a relative-tolerance comparison — shared by the proxy match tests.
 */
import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { createRng } from "../../rng.ts";
import { BatchNorm, Conv2d, Linear } from "../../nn/layers.ts";
import { ParamStore } from "../../nn/param.ts";
import type { Batch, ForwardOptions, Net, TapPoint } from "../../nn/net.ts";
import { initParams, type RefBatch, type RefParam, type TinyNetSpec } from "./tiny_nets.ts";

export type Loss = "softmax-ce" | "sigmoid-bce";

/** A tfjs network with the reference's layout and values. */
export function buildNet(spec: TinyNetSpec, ref: RefParam[], loss: Loss): Net & { dispose(): void } {
  const store = new ParamStore(createRng(0));
  let forward: (x: tf.Tensor, training: boolean) => tf.Tensor;
  if (spec.arch === "mlp") {
    const fc1 = new Linear(store, "fc1", spec.inputs, spec.hidden);
    const fc2 = new Linear(store, "fc2", spec.hidden, spec.hidden);
    const fc3 = new Linear(store, "fc3", spec.hidden, spec.outputs);
    forward = (x) => fc3.apply(tf.relu(fc2.apply(tf.relu(fc1.apply(x)))));
  } else {
    const conv1 = new Conv2d(store, "conv1", spec.channels, spec.filters1, 3, 1, false);
    const bn1 = new BatchNorm(store, "bn1", spec.filters1, { trackRunningStats: false });
    const conv2 = new Conv2d(store, "conv2", spec.filters1, spec.filters2, 3, 2, false);
    const fc = new Linear(store, "fc", spec.filters2, spec.outputs);
    forward = (x, training) => {
      const h = tf.relu(bn1.apply(conv1.apply(x as tf.Tensor4D), training));
      return fc.apply(tf.mean(tf.relu(conv2.apply(h)), [1, 2]));
    };
  }
  assignReference(store, ref);
  return {
    params: () => store.params(),
    forward: (x, opts) => forward(x, opts.training),
    loss: twinLoss(loss),
    dispose: () => store.dispose(),
  };
}

/** Give the store's parameters the reference's values (same layout, checked). */
export function assignReference(store: ParamStore, ref: RefParam[]): void {
  const params = store.params();
  assert.equal(params.length, ref.length);
  params.forEach((p, i) => {
    assert.deepEqual(p.variable.shape, [...ref[i].shape], `${p.name} vs ${ref[i].name}`);
    const t = tf.tensor(Float32Array.from(ref[i].value), p.variable.shape);
    p.variable.assign(t);
    t.dispose();
  });
}

/** The reference's losses: softmax cross-entropy on class ids, or sigmoid BCE. */
export function twinLoss(loss: Loss): (logits: tf.Tensor, y: tf.Tensor) => tf.Scalar {
  return (logits, y) =>
    tf.tidy(() =>
      loss === "softmax-ce"
        ? tf.losses.softmaxCrossEntropy(
          tf.oneHot(tf.cast(y, "int32") as tf.Tensor1D, logits.shape[1]!),
          logits,
        ) as tf.Scalar
        : tf.losses.sigmoidCrossEntropy(y, logits) as tf.Scalar
    );
}

export function makeBatches(
  spec: TinyNetSpec,
  loss: Loss,
  n: number,
  count: number,
  seed: number,
): RefBatch[] {
  const rng = createRng(seed);
  const size = spec.arch === "mlp" ? spec.inputs : spec.height * spec.width * spec.channels;
  return Array.from({ length: count }, () => ({
    n,
    x: Float64Array.from({ length: n * size }, () => Math.fround(rng.normal())),
    y: loss === "softmax-ce"
      ? Float64Array.from({ length: n }, () => rng.int(spec.outputs))
      : Float64Array.from({ length: n * spec.outputs }, () => rng.int(2)),
  }));
}

export function toTf(spec: TinyNetSpec, b: RefBatch, loss: Loss): Batch {
  const shape = spec.arch === "mlp" ? [b.n, spec.inputs] : [b.n, spec.height, spec.width, spec.channels];
  return {
    x: tf.tensor(Float32Array.from(b.x), shape),
    y: loss === "softmax-ce"
      ? tf.tensor1d(Float32Array.from(b.y))
      : tf.tensor2d(Float32Array.from(b.y), [b.n, spec.outputs]),
  };
}

export function close(got: number, want: number, what: string, tol = 1e-4): void {
  assert.ok(
    Math.abs(got - want) <= tol * Math.max(1, Math.abs(want)),
    `${what}: tfjs ${got} vs float64 ${want}`,
  );
}

export const MLP: TinyNetSpec = { arch: "mlp", inputs: 6, hidden: 8, outputs: 3 };
export const CONV: TinyNetSpec = {
  arch: "conv",
  height: 6,
  width: 6,
  channels: 2,
  filters1: 4,
  filters2: 5,
  outputs: 3,
  padding: "symmetric",
};
export const MLP1: TinyNetSpec = { arch: "mlp", inputs: 6, hidden: 8, outputs: 1 };

export function scaledParams(spec: TinyNetSpec, seed: number, scale = 1): RefParam[] {
  const p = initParams(spec, createRng(seed));
  for (const q of p) for (let i = 0; i < q.value.length; i++) q.value[i] = Math.fround(q.value[i] * scale);
  return p;
}

/**
 * The parameters of a tfjs net as float64 reference parameters (same names and order; BN γ, role
 * `norm` in the tfjs layers, becomes role `weight`), for the float64 NB201 net of `nb201_ref.ts`.
 */
export function refParamsOf(net: Net): RefParam[] {
  return net.params().map((p) => {
    if (p.kind !== "conv" && p.kind !== "linear" && p.kind !== "norm") {
      throw new TypeError(`Cannot mirror parameter '${p.name}' of kind ${p.kind} in float64`);
    }
    return {
      name: p.name,
      layer: p.layer,
      kind: p.kind,
      role: p.role === "bias" ? "bias" : "weight",
      shape: p.variable.shape.slice(),
      value: Float64Array.from(p.variable.dataSync()),
    };
  });
}

/**
 * The BN running statistics of a net, by BN layer name, in float64 (what its eval-mode forward
 * uses). `state()` holds mean and variance per BN layer in the order the layers created their γ
 * (`…/norm` parameters), which names them; the sizes are checked.
 */
export function refRunningStatsOf(net: Net): Map<string, { mean: Float64Array; variance: Float64Array }> {
  const layers = net.params().filter((p) => p.role === "norm").map((p) => p.layer);
  const state = net.state?.() ?? [];
  if (state.length !== 2 * layers.length) {
    throw new TypeError(`Expected 2 running statistics per BN layer (${layers.length}), got ${state.length}`);
  }
  return new Map(layers.map((layer, i) => {
    const [mean, variance] = [state[2 * i], state[2 * i + 1]].map((v) => Float64Array.from(v.dataSync()));
    const gamma = net.params().find((p) => p.layer === layer && p.role === "norm")!;
    if (mean.length !== gamma.variable.size || variance.length !== gamma.variable.size) {
      throw new TypeError(`Expected running statistics of ${gamma.variable.size} channels for '${layer}'`);
    }
    return [layer, { mean, variance }];
  }));
}

/**
 * The tiny nets in tfjs with taps — layer outputs, ReLU inputs, the map fed to the pool, block outputs (ReLU
 * outputs) — and `bypassNorm`; BN keeps running statistics. Shared by the proxy match tests.
 */
export function buildTapNet(spec: TinyNetSpec, ref: RefParam[], loss: Loss): Net & { dispose(): void } {
  const store = new ParamStore(createRng(0));
  const at = (o: ForwardOptions, kind: TapPoint["kind"], name: string, t: tf.Tensor) =>
    o.tap ? o.tap({ kind, name }, t) : t;
  let fwd: (x: tf.Tensor, o: ForwardOptions) => tf.Tensor;
  if (spec.arch === "mlp") {
    const fc1 = new Linear(store, "fc1", spec.inputs, spec.hidden);
    const fc2 = new Linear(store, "fc2", spec.hidden, spec.hidden);
    const fc3 = new Linear(store, "fc3", spec.hidden, spec.outputs);
    fwd = (x, o) => {
      const h1 = at(
        o,
        "block-output",
        "b1",
        tf.relu(at(o, "relu-input", "relu1", at(o, "layer-output", "fc1", fc1.apply(x)))),
      );
      const h2 = at(
        o,
        "block-output",
        "b2",
        tf.relu(at(o, "relu-input", "relu2", at(o, "layer-output", "fc2", fc2.apply(h1)))),
      );
      return at(o, "layer-output", "fc3", fc3.apply(h2));
    };
  } else {
    const conv1 = new Conv2d(store, "conv1", spec.channels, spec.filters1, 3, 1, false);
    const bn1 = new BatchNorm(store, "bn1", spec.filters1);
    const conv2 = new Conv2d(store, "conv2", spec.filters1, spec.filters2, 3, 2, false);
    const fc = new Linear(store, "fc", spec.filters2, spec.outputs);
    fwd = (x, o) => {
      const a1 = at(o, "layer-output", "conv1", conv1.apply(x as tf.Tensor4D));
      const h1 = at(
        o,
        "block-output",
        "b1",
        tf.relu(at(o, "relu-input", "relu1", o.bypassNorm ? a1 : bn1.apply(a1, o.training))),
      ) as tf.Tensor4D;
      const h2 = at(
        o,
        "block-output",
        "b2",
        tf.relu(at(o, "relu-input", "relu2", at(o, "layer-output", "conv2", conv2.apply(h1)))),
      );
      return at(o, "layer-output", "fc", fc.apply(tf.mean(at(o, "features", "relu2", h2), [1, 2])));
    };
  }
  assignReference(store, ref);
  return {
    params: () => store.params(),
    forward: (x, o) => tf.tidy(() => fwd(x, o)),
    loss: twinLoss(loss),
    state: () => [...store.buffers().values()],
    supports: ["tap", "bypassNorm"],
    dispose: () => store.dispose(),
  };
}

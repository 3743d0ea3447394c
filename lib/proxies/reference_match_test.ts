/**
 * The tfjs proxies against the independent float64 reference (./reference/): same tiny networks,
 * same parameters and batches; every SiGeo term and ZiCo within 1e-4 relative.
 */
import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { initBackend } from "../backend.ts";
import { createRng } from "../rng.ts";
import { BatchNorm, Conv2d, Linear } from "../nn/layers.ts";
import { ParamStore } from "../nn/param.ts";
import type { Batch, Net } from "../nn/net.ts";
import { sigeoProxy } from "./sigeo.ts";
import { zicoProxy } from "./zico.ts";
import { initParams, type RefBatch, type RefParam, type TinyNetSpec } from "./reference/tiny_nets.ts";
import { sigeoCvRef, sigeoFisherRef, sigeoRecsysRef, zicoRef } from "./reference/proxies_ref.ts";

await initBackend({ quiet: true });

type Loss = "softmax-ce" | "sigmoid-bce";

/** A tfjs network with the reference's layout and values. */
function buildNet(spec: TinyNetSpec, ref: RefParam[], loss: Loss): Net & { dispose(): void } {
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
  const params = store.params();
  assert.equal(params.length, ref.length);
  params.forEach((p, i) => {
    assert.deepEqual(p.variable.shape, [...ref[i].shape], `${p.name} vs ${ref[i].name}`);
    const t = tf.tensor(Float32Array.from(ref[i].value), p.variable.shape);
    p.variable.assign(t);
    t.dispose();
  });
  return {
    params: () => store.params(),
    forward: (x, opts) => forward(x, opts.training),
    loss: (logits, y) =>
      tf.tidy(() =>
        loss === "softmax-ce"
          ? tf.losses.softmaxCrossEntropy(
            tf.oneHot(tf.cast(y, "int32") as tf.Tensor1D, logits.shape[1]!),
            logits,
          ) as tf.Scalar
          : tf.losses.sigmoidCrossEntropy(y, logits) as tf.Scalar
      ),
    dispose: () => store.dispose(),
  };
}

function makeBatches(spec: TinyNetSpec, loss: Loss, n: number, count: number, seed: number): RefBatch[] {
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

function toTf(spec: TinyNetSpec, b: RefBatch, loss: Loss): Batch {
  const shape = spec.arch === "mlp" ? [b.n, spec.inputs] : [b.n, spec.height, spec.width, spec.channels];
  return {
    x: tf.tensor(Float32Array.from(b.x), shape),
    y: loss === "softmax-ce"
      ? tf.tensor1d(Float32Array.from(b.y))
      : tf.tensor2d(Float32Array.from(b.y), [b.n, spec.outputs]),
  };
}

function close(got: number, want: number, what: string, tol = 1e-4): void {
  assert.ok(
    Math.abs(got - want) <= tol * Math.max(1, Math.abs(want)),
    `${what}: tfjs ${got} vs float64 ${want}`,
  );
}

const MLP: TinyNetSpec = { arch: "mlp", inputs: 6, hidden: 8, outputs: 3 };
const CONV: TinyNetSpec = {
  arch: "conv",
  height: 6,
  width: 6,
  channels: 2,
  filters1: 4,
  filters2: 5,
  outputs: 3,
  padding: "symmetric",
};
const MLP1: TinyNetSpec = { arch: "mlp", inputs: 6, hidden: 8, outputs: 1 };

function scaledParams(spec: TinyNetSpec, seed: number, scale = 1): RefParam[] {
  const p = initParams(spec, createRng(seed));
  for (const q of p) for (let i = 0; i < q.value.length; i++) q.value[i] = Math.fround(q.value[i] * scale);
  return p;
}

for (const [label, spec] of [["MLP", MLP], ["conv net", CONV]] as const) {
  Deno.test(`zicoProxy() equals the float64 reference on the tiny ${label}`, () => {
    const ref = scaledParams(spec, 1);
    const batches = makeBatches(spec, "softmax-ce", 8, 4, 2);
    const net = buildNet(spec, ref, "softmax-ce");
    const tb = batches.map((b) => toTf(spec, b, "softmax-ce"));
    close(zicoProxy(net, tb).value, zicoRef(spec, ref, batches), "zico");
    tf.dispose(tb.flatMap((b) => [b.x, b.y]));
    net.dispose();
  });

  for (const warmedUp of [false, true]) {
    Deno.test(`sigeoProxy() cv preset (warmedUp=${warmedUp}) equals the reference term by term on the tiny ${label}`, () => {
      // small weights keep lr-1 SGD steps from blowing up
      const ref = scaledParams(spec, 3, 0.5);
      const batches = makeBatches(spec, "softmax-ce", 8, 4, 4);
      const net = buildNet(spec, ref, "softmax-ce");
      const tb = batches.map((b) => toTf(spec, b, "softmax-ce"));
      const before = net.params().map((p) => Array.from(p.variable.dataSync()));
      const got = sigeoProxy(net, tb, { preset: "cv", warmedUp });
      const want = sigeoCvRef(spec, ref, batches, { warmedUp });
      close(got.terms!.zico, want.terms.zico, "zico");
      close(got.terms!.fr, want.terms.fr, "fr");
      close(got.terms!.loss, want.terms.loss, "loss");
      close(got.value, want.value, "value");
      // the SGD steps were undone
      net.params().forEach((p, i) => assert.deepEqual(Array.from(p.variable.dataSync()), before[i]));
      tf.dispose(tb.flatMap((b) => [b.x, b.y]));
      net.dispose();
    });
  }

  Deno.test(`sigeoProxy() fisher preset equals the reference on the tiny ${label}`, () => {
    const ref = scaledParams(spec, 5);
    const batches = makeBatches(spec, "softmax-ce", 8, 4, 6);
    const net = buildNet(spec, ref, "softmax-ce");
    const tb = batches.map((b) => toTf(spec, b, "softmax-ce"));
    const got = sigeoProxy(net, tb, { preset: "fisher" });
    const want = sigeoFisherRef(spec, ref, batches);
    for (const k of ["zico", "fr", "loss"] as const) close(got.terms![k], want.terms[k], k);
    tf.dispose(tb.flatMap((b) => [b.x, b.y]));
    net.dispose();
  });
}

for (const finalLayerOnly of [true, false]) {
  for (const bug of [false, true]) {
    Deno.test(`sigeoProxy() recsys preset (finalLayerOnly=${finalLayerOnly}, firstNonzeroOnly=${bug}) equals the reference`, () => {
      const ref = scaledParams(MLP1, 7);
      const batches = makeBatches(MLP1, "sigmoid-bce", 16, 4, 8);
      const net = buildNet(MLP1, ref, "sigmoid-bce");
      const tb = batches.map((b) => toTf(MLP1, b, "sigmoid-bce"));
      const got = sigeoProxy(net, tb, {
        preset: "recsys",
        finalLayerOnly,
        firstNonzeroOnly: bug,
        lambdas: [1, 1, 1],
      });
      const want = sigeoRecsysRef(MLP1, ref, batches, {
        finalLayerOnly,
        firstNonzeroIndexingBug: bug,
        lambdas: [1, 1, 1],
      });
      for (const k of ["zico", "fr", "loss"] as const) close(got.terms![k], want.terms[k], k);
      close(got.value, want.value, "value");
      tf.dispose(tb.flatMap((b) => [b.x, b.y]));
      net.dispose();
    });
  }
}

Deno.test("scoring 50 candidates leaves the tensor count unchanged and is deterministic", () => {
  const ref = scaledParams(MLP, 9, 0.5);
  const batches = makeBatches(MLP, "softmax-ce", 8, 4, 10);
  const net = buildNet(MLP, ref, "softmax-ce");
  const tb = batches.map((b) => toTf(MLP, b, "softmax-ce"));
  const first = sigeoProxy(net, tb, { preset: "cv", warmedUp: true }).value;
  const before = tf.memory().numTensors;
  for (let i = 0; i < 50; i++) {
    const v = sigeoProxy(net, tb, { preset: i % 2 ? "cv" : "recsys", warmedUp: true }).value;
    if (i % 2) assert.equal(v, first);
  }
  assert.equal(tf.memory().numTensors, before);
  tf.dispose(tb.flatMap((b) => [b.x, b.y]));
  net.dispose();
});

/**
 * SWAP, MeCo and AZ-NAS (lib/proxies/swap.ts, meco.ts, az_nas.ts) against their float64
 * references (testing/since_sigeo_ref.ts) on the tiny networks, plus hand-computed values on
 * one-tap nets.
 */
import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { initBackend } from "../backend.ts";
import { createRng } from "../rng.ts";
import type { Net, TapPoint } from "../nn/net.ts";
import { swapProxy, swapRegularFactor } from "./swap.ts";
import { mecoProxy, minCorrEigenvalue } from "./meco.ts";
import { buildTapNet, close, CONV, makeBatches, MLP, scaledParams, toTf } from "./testing/tf_twins.ts";
import { azNasRef, mecoRef, swapRef } from "./testing/since_sigeo_ref.ts";
import { azNasProxy, rademacher } from "./az_nas.ts";
import { flopsProxy } from "./flops.ts";

await initBackend({ quiet: true });

/** A parameter-free net that taps its input as `kind` and returns its row sums. */
function oneTapNet(kind: TapPoint["kind"]): Net {
  return {
    params: () => [],
    forward: (x, o) =>
      tf.tidy(() => tf.sum(tf.reshape(o.tap ? o.tap({ kind, name: "t" }, x) : x, [x.shape[0], -1]), 1, true)),
    loss: () => tf.scalar(0),
    supports: ["tap"],
  };
}

/** |got − want| ≤ tol·|want| (relative, unlike tf_twins' `close`, which is absolute below 1). */
function rel(got: number, want: number, what: string, tol = 1e-5): void {
  assert.ok(Math.abs(got - want) <= tol * Math.abs(want), `${what}: tfjs ${got} vs float64 ${want}`);
}

const NETS = [["MLP", MLP], ["conv net", CONV]] as const;

for (const [label, spec] of NETS) {
  Deno.test(`swapProxy() equals the float64 reference on the tiny ${label} (plain and regularised)`, async () => {
    const ref = scaledParams(spec, 21);
    const [b] = makeBatches(spec, "softmax-ce", 8, 1, 22);
    const net = buildTapNet(spec, ref, "softmax-ce");
    const tb = toTf(spec, b, "softmax-ce");
    const tensors = tf.memory().numTensors;
    const got = await swapProxy(net, [tb]);
    // counts are exact: the same integer (float32 signs agree with float64 on these values)
    assert.equal(got.value, swapRef(spec, ref, b));
    assert.ok(got.value > 1);
    const reg = { mu: 0.1, sigma: 0.05 };
    rel(
      (await swapProxy(net, [tb], { regularise: reg })).value,
      swapRef(spec, ref, b, reg),
      "swap-reg",
      1e-12,
    );
    assert.equal(tf.memory().numTensors, tensors);
    tf.dispose([tb.x, tb.y]);
    net.dispose();
  });

  Deno.test(`mecoProxy() equals the float64 reference on the tiny ${label}`, async () => {
    const ref = scaledParams(spec, 23);
    const [b] = makeBatches(spec, "softmax-ce", 8, 1, 24);
    const net = buildTapNet(spec, ref, "softmax-ce");
    const tb = toTf(spec, b, "softmax-ce");
    const tensors = tf.memory().numTensors;
    const got = await mecoProxy(net, [tb]);
    // float32 maps, float64 correlations: 1e-5 relative (the values are ~0.07 and ~0.34)
    rel(got.value, mecoRef(spec, ref, b), "meco");
    assert.equal(got.terms!.layers, 3);
    assert.equal(tf.memory().numTensors, tensors);
    tf.dispose([tb.x, tb.y]);
    net.dispose();
  });
}

for (const [label, spec] of NETS) {
  Deno.test(`azNasProxy() equals the float64 reference term by term on the tiny ${label}`, async () => {
    const ref = scaledParams(spec, 25);
    const [b] = makeBatches(spec, "softmax-ce", 8, 1, 26);
    const net = buildTapNet(spec, ref, "softmax-ce");
    const tb = toTf(spec, b, "softmax-ce");
    const tensors = tf.memory().numTensors;
    const got = await azNasProxy(net, [tb], { seed: 3 });
    // the proxy's one g_out (l = 1) is the first draw of createRng(3), relu2's shape
    const outSize = spec.arch === "mlp" ? 8 * spec.hidden : 8 * 3 * 3 * spec.filters2;
    const want = azNasRef(spec, ref, b, Float64Array.from(rademacher(createRng(3), outSize)));
    rel(got.terms!.expressivity, want.expressivity, "expressivity");
    rel(got.terms!.progressivity, want.progressivity, "progressivity");
    rel(got.terms!.trainability, want.trainability, "trainability");
    assert.equal(got.terms!.complexity, (await flopsProxy(net, [tb])).value);
    rel(got.value, want.expressivity + want.progressivity + want.trainability, "value");
    assert.equal(tf.memory().numTensors, tensors);
    tf.dispose([tb.x, tb.y]);
    net.dispose();
  });
}

Deno.test("swapProxy(): hand-counted patterns on a one-tap net", async () => {
  // units' patterns over the 2 examples: (1,1), (0,0), (1,0) -> 3 distinct
  const x = tf.tensor2d([[1, -1, 2], [3, 0, -1]]);
  assert.equal((await swapProxy(oneTapNet("relu-input"), [{ x, y: x }])).value, 3);
  // (1,1), (1,1), (0,0) -> 2 distinct
  const x2 = tf.tensor2d([[1, 1, -1], [2, 2, -3]]);
  assert.equal((await swapProxy(oneTapNet("relu-input"), [{ x: x2, y: x2 }])).value, 2);
  // a NaN input is not a pattern
  const x3 = tf.tensor2d([[NaN, 1], [1, 1]]);
  assert.ok(Number.isNaN((await swapProxy(oneTapNet("relu-input"), [{ x: x3, y: x3 }])).value));
  // no relu-input tap: no pattern
  assert.equal((await swapProxy(oneTapNet("features"), [{ x, y: x }])).value, 0);
  // exp(−(2000/1e3 − 1)²/4) = exp(−1/4)
  assert.ok(Math.abs(swapRegularFactor(2000, { mu: 1, sigma: 4 }) - Math.exp(-0.25)) < 1e-15);
  tf.dispose([x, x2, x3]);
});

Deno.test("mecoProxy(): hand-computed minimum eigenvalues on a one-tap net", async () => {
  // one image, H=3, W=1, C=2: channel 0 = (1, 2, 3), channel 1 = (1, 3, 2).
  // centred (−1, 0, 1) and (−1, 1, 0): cov 1, variances 2 and 2, r = 0.5;
  // eig [[1, .5], [.5, 1]] = 0.5, 1.5 -> λ_min = 0.5
  const img = tf.tensor4d([1, 1, 2, 3, 3, 2], [1, 3, 1, 2]);
  close((await mecoProxy(oneTapNet("layer-output"), [{ x: img, y: img }])).value, 0.5, "meco", 1e-12);
  // the second example of a 2-image batch is not looked at
  const two = tf.tensor4d([1, 1, 2, 3, 3, 2, 9, 0, 7, 7, 5, 1], [2, 3, 1, 2]);
  close((await mecoProxy(oneTapNet("layer-output"), [{ x: two, y: two }])).value, 0.5, "meco", 1e-12);
  // opposite channels: r = −1, eig 0 and 2 -> 0; a constant channel: correlations NaN -> 0, eig 0 and 1 -> 0
  assert.ok(Math.abs(minCorrEigenvalue([1, 3, 2, 2, 3, 1], 3, 2)) < 1e-12);
  assert.ok(Math.abs(minCorrEigenvalue([1, 5, 2, 5, 3, 5], 3, 2)) < 1e-12);
  tf.dispose([img, two]);
});

/**
 * The zero-cost baselines in tfjs against the independent float64 reference (./testing/), on the
 * tiny MLP and conv net with fixed weights and batches, both losses where the loss matters: within
 * 1e-4 relative. The tfjs twins here honour taps and BN bypass (fisher, nwot, zen, synflow, flops)
 * and keep BN running statistics (zen's BN term). Plus: a dead layer, synflow beyond float32, and
 * the float64 linear algebra of jacov/nwot against the reference's.
 */
import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { initBackend } from "../backend.ts";
import { createRng } from "../rng.ts";
import type { Net } from "../nn/net.ts";
import { gradNormProxy } from "./grad_norm.ts";
import { plainProxy } from "./plain.ts";
import { snipProxy } from "./snip.ts";
import { l2NormProxy } from "./l2_norm.ts";
import { paramsProxy } from "./params.ts";
import { graspProxy } from "./grasp.ts";
import { fisherProxy } from "./fisher.ts";
import { corrcoef, jacovProxy, symmetricEigenvalues } from "./jacov.ts";
import { epeNasProxy } from "./epe_nas.ts";
import { logAbsDet, nwotProxy } from "./nwot.ts";
import { synflowProxy } from "./synflow.ts";
import { zenProxy } from "./zen.ts";
import { flopsProxy } from "./flops.ts";
import { buildTapNet, close, CONV, makeBatches, MLP, scaledParams, toTf } from "./testing/tf_twins.ts";
import {
  epeNasRef,
  fisherRef,
  flopsRef,
  gradNormRef,
  graspRef,
  jacovRef,
  l2NormRef,
  nwotRef,
  paramsRef,
  plainRef,
  snipRef,
  synflowDirectRef,
  synflowRef,
  zenRef,
} from "./testing/proxies_ref.ts";
import * as linalgRef from "./testing/linalg_ref.ts";

await initBackend({ quiet: true });

/** Every value of a net (parameters and state), to check that scoring restored them. */
function values(net: Net): number[][] {
  return [...net.params().map((p) => p.variable), ...net.state!()].map((v) => Array.from(v.dataSync()));
}

const CASES = [["MLP", MLP, "softmax-ce"], ["MLP", MLP, "sigmoid-bce"], ["conv net", CONV, "softmax-ce"], [
  "conv net",
  CONV,
  "sigmoid-bce",
]] as const;

for (const [label, spec, loss] of CASES) {
  Deno.test(`gradient baselines (grad_norm, plain, snip, grasp, fisher, epe_nas) equal the reference: tiny ${label}, ${loss}`, async () => {
    const ref = scaledParams(spec, 11);
    const batches = makeBatches(spec, loss, 8, 2, 12);
    const net = buildTapNet(spec, ref, loss);
    const tb = batches.map((b) => toTf(spec, b, loss));
    const before = values(net);
    const tensors = tf.memory().numTensors;
    const b0 = batches[0];
    close((await gradNormProxy(net, tb)).value, gradNormRef(spec, ref, b0, { loss }), "grad_norm");
    close((await plainProxy(net, tb)).value, plainRef(spec, ref, b0, { loss }), "plain");
    close((await snipProxy(net, tb)).value, snipRef(spec, ref, b0, { loss }), "snip");
    close((await graspProxy(net, tb)).value, graspRef(spec, ref, b0, { loss }), "grasp");
    close((await fisherProxy(net, tb)).value, fisherRef(spec, ref, b0, { loss }), "fisher");
    close((await epeNasProxy(net, tb)).value, epeNasRef(spec, ref, b0, { loss }), "epe_nas");
    // one batch only: the second batch does not change the score
    assert.equal((await graspProxy(net, [tb[0]])).value, (await graspProxy(net, tb)).value);
    assert.equal(tf.memory().numTensors, tensors);
    assert.deepEqual(values(net), before);
    tf.dispose(tb.flatMap((b) => [b.x, b.y]));
    net.dispose();
  });
}

for (const [label, spec] of [["MLP", MLP], ["conv net", CONV]] as const) {
  Deno.test(`jacov, nwot, synflow, l2_norm, params, flops equal the reference: tiny ${label}`, async () => {
    const ref = scaledParams(spec, 21);
    const batches = makeBatches(spec, "softmax-ce", 8, 1, 22);
    const net = buildTapNet(spec, ref, "softmax-ce");
    const tb = batches.map((b) => toTf(spec, b, "softmax-ce"));
    const before = values(net);
    const tensors = tf.memory().numTensors;
    close((await jacovProxy(net, tb)).value, jacovRef(spec, ref, batches[0]), "jacov");
    close((await nwotProxy(net, tb)).value, nwotRef(spec, ref, batches[0]), "nwot");
    const s = await synflowProxy(net, tb);
    close(s.value, synflowRef(spec, ref), "synflow (log)");
    close(Math.exp(s.value), synflowDirectRef(spec, ref), "synflow");
    assert.equal(s.terms!.logSynflow, s.value);
    close((await l2NormProxy(net, tb)).value, l2NormRef(ref), "l2_norm");
    close((await paramsProxy(net, tb)).value, paramsRef(spec), "params");
    close((await flopsProxy(net, tb)).value, flopsRef(spec), "flops", 1e-9);
    assert.equal(tf.memory().numTensors, tensors);
    assert.deepEqual(values(net), before);
    tf.dispose(tb.flatMap((b) => [b.x, b.y]));
    net.dispose();
  });
}

Deno.test("zen equals the reference on the tiny conv net (same seed, same draws), and needs a features map", async () => {
  const ref = scaledParams(CONV, 31);
  const batches = makeBatches(CONV, "softmax-ce", 8, 1, 32);
  const net = buildTapNet(CONV, ref, "softmax-ce");
  const tb = batches.map((b) => toTf(CONV, b, "softmax-ce"));
  const before = values(net);
  for (const seed of [5, 6]) {
    const got = await zenProxy(net, tb, { seed });
    close(got.value, zenRef(CONV, 8, createRng(seed)), `zen seed ${seed}`);
    assert.equal(got.terms!.bnLayers, 1);
    close(got.terms!.delta + got.terms!.bn, got.value, "zen terms");
  }
  assert.deepEqual(values(net), before);
  const mlp = buildTapNet(MLP, scaledParams(MLP, 33), "softmax-ce");
  const mb = makeBatches(MLP, "softmax-ce", 8, 1, 34).map((b) => toTf(MLP, b, "softmax-ce"));
  await assert.rejects(() => zenProxy(mlp, mb), (e) => e instanceof TypeError && /features/.test(e.message));
  tf.dispose([...tb, ...mb].flatMap((b) => [b.x, b.y]));
  net.dispose();
  mlp.dispose();
});

Deno.test("synflow stays exact where the direct value overflows float32 (tiny MLP, weights ×1e15: ~1e47)", async () => {
  const ref = scaledParams(MLP, 41, 1e15);
  const direct = synflowDirectRef(MLP, ref);
  assert.ok(direct > 1e40, `direct synflow ${direct}`);
  const net = buildTapNet(MLP, ref, "softmax-ce");
  const tb = makeBatches(MLP, "softmax-ce", 2, 1, 42).map((b) => toTf(MLP, b, "softmax-ce"));
  close((await synflowProxy(net, tb)).value, synflowRef(MLP, ref), "log synflow");
  close((await synflowProxy(net, tb)).value, Math.log(direct), "log synflow vs log of the direct value");
  // and with tiny weights (×1e-15: ~1e-43, below float32's normal range)
  const tiny = scaledParams(CONV, 43, 1e-15);
  const cnet = buildTapNet(CONV, tiny, "softmax-ce");
  const cb = makeBatches(CONV, "softmax-ce", 2, 1, 44).map((b) => toTf(CONV, b, "softmax-ce"));
  close((await synflowProxy(cnet, cb)).value, synflowRef(CONV, tiny), "log synflow, tiny weights");
  tf.dispose([...tb, ...cb].flatMap((b) => [b.x, b.y]));
  net.dispose();
  cnet.dispose();
});

Deno.test("grasp in parts: equal to the unsplit reference without BN, per-part BN statistics with it", async () => {
  for (const [spec, seed] of [[MLP, 61], [CONV, 62]] as const) {
    const ref = scaledParams(spec, seed);
    const batches = makeBatches(spec, "softmax-ce", 9, 1, seed + 1);
    const net = buildTapNet(spec, ref, "softmax-ce");
    const tb = batches.map((b) => toTf(spec, b, "softmax-ce"));
    const whole = graspRef(spec, ref, batches[0]);
    const split = await graspProxy(net, tb, { splits: 2 });
    assert.equal(split.terms!.splits, 2);
    assert.equal((await graspProxy(net, tb)).terms!.splits, 1); // the default: the whole batch at once
    if (spec.arch === "mlp") {
      // parts of 4 and 5 examples, weighted 4/9 and 5/9: the mean loss's gradient and Hessian exactly
      close(split.value, whole, "grasp, 2 parts, no BN");
    } else {
      assert.ok(Math.abs(split.value - whole) > 1e-3 * Math.abs(whole), `${split.value} vs ${whole}`);
    }
    await assert.rejects(() => graspProxy(net, tb, { splits: 10 }), RangeError);
    await assert.rejects(() => graspProxy(net, tb, { splits: 1.5 }), RangeError);
    tf.dispose(tb.flatMap((b) => [b.x, b.y]));
    net.dispose();
  }
});

Deno.test("a dead layer (fc2 weights 0: no gradient reaches fc1) on the tiny MLP", async () => {
  const ref = scaledParams(MLP, 13);
  ref[2].value.fill(0);
  const batches = makeBatches(MLP, "softmax-ce", 8, 1, 14);
  const net = buildTapNet(MLP, ref, "softmax-ce");
  const tb = batches.map((b) => toTf(MLP, b, "softmax-ce"));
  const b0 = batches[0];
  close((await gradNormProxy(net, tb)).value, gradNormRef(MLP, ref, b0), "grad_norm");
  close((await snipProxy(net, tb)).value, snipRef(MLP, ref, b0), "snip");
  close((await graspProxy(net, tb)).value, graspRef(MLP, ref, b0), "grasp");
  close((await fisherProxy(net, tb)).value, fisherRef(MLP, ref, b0), "fisher");
  // relu2's codes no longer tell the examples apart, and K is singular: log|det K| = −∞ in both
  assert.equal(nwotRef(MLP, ref, b0), -Infinity);
  assert.equal((await nwotProxy(net, tb)).value, -Infinity);
  close((await synflowProxy(net, tb)).value, synflowRef(MLP, ref), "synflow");
  // the output no longer depends on the input: the Jacobian is 0, corrcoef undefined → NaN
  assert.ok(Number.isNaN(jacovRef(MLP, ref, b0)));
  assert.ok(Number.isNaN((await jacovProxy(net, tb)).value));
  tf.dispose(tb.flatMap((b) => [b.x, b.y]));
  net.dispose();
});

Deno.test("jacov's and nwot's float64 linear algebra agree with the reference's", () => {
  const rng = createRng(51);
  for (const n of [1, 2, 5, 16, 40]) {
    const d = n + 3;
    const rows = Float64Array.from({ length: n * d }, () => rng.normal());
    const c = corrcoef(rows, n, d);
    const want = linalgRef.corrcoef(rows, n, d);
    c.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-12, `corrcoef ${n}`));
    const eig = symmetricEigenvalues(c, n), wantEig = linalgRef.symmetricEigenvalues(want, n);
    eig.forEach((v, i) => assert.ok(Math.abs(v - wantEig[i]) < 1e-10, `eig ${n}: ${v} vs ${wantEig[i]}`));
    const m = Float64Array.from({ length: n * n }, () => rng.normal());
    assert.ok(Math.abs(logAbsDet(m, n) - linalgRef.logAbsDet(m, n)) < 1e-9, `slogdet ${n}`);
  }
  // hand-checked: diag(1, 2, 3) rotated keeps its eigenvalues; a singular matrix has log|det| −∞
  const q = [[0.6, 0.8, 0], [-0.8, 0.6, 0], [0, 0, 1]];
  const a = new Float64Array(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) a[i * 3 + j] += q[i][k] * (k + 1) * q[j][k];
  }
  symmetricEigenvalues(a, 3).forEach((v, i) => assert.ok(Math.abs(v - (i + 1)) < 1e-12));
  assert.equal(logAbsDet(Float64Array.of(1, 2, 2, 4), 2), -Infinity);
  assert.ok(Math.abs(logAbsDet(Float64Array.of(0, 2, 3, 0), 2) - Math.log(6)) < 1e-15);
});

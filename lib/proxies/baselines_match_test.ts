/**
 * The zero-cost baselines in tfjs against the independent float64 reference (./reference/), on the
 * tiny MLP and conv net with fixed weights and batches: within 1e-4 relative. Plus the edge cases
 * every proxy must handle: weights restored, no leaked tensors, a dead layer, a NaN loss.
 */
import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { initBackend } from "../backend.ts";
import { gradNormProxy } from "./grad_norm.ts";
import { plainProxy } from "./plain.ts";
import { snipProxy } from "./snip.ts";
import { l2NormProxy } from "./l2_norm.ts";
import { paramsProxy } from "./params.ts";
import { getProxy } from "./registry.ts";
import { buildNet, close, CONV, makeBatches, MLP, scaledParams, toTf } from "./reference/tf_twins.ts";
import { gradNormRef, l2NormRef, paramsRef, plainRef, snipRef } from "./reference/proxies_ref.ts";

await initBackend({ quiet: true });

for (const [label, spec] of [["MLP", MLP], ["conv net", CONV]] as const) {
  Deno.test(`grad_norm, plain, snip, l2_norm, params equal the float64 reference on the tiny ${label}`, () => {
    const ref = scaledParams(spec, 11);
    const batches = makeBatches(spec, "softmax-ce", 8, 2, 12);
    const net = buildNet(spec, ref, "softmax-ce");
    const tb = batches.map((b) => toTf(spec, b, "softmax-ce"));
    const before = net.params().map((p) => Array.from(p.variable.dataSync()));
    const tensors = tf.memory().numTensors;
    close(gradNormProxy(net, tb).value, gradNormRef(spec, ref, batches[0]), "grad_norm");
    close(plainProxy(net, tb).value, plainRef(spec, ref, batches[0]), "plain");
    close(snipProxy(net, tb).value, snipRef(spec, ref, batches[0]), "snip");
    close(l2NormProxy(net, tb).value, l2NormRef(ref), "l2_norm");
    close(paramsProxy(net, tb).value, paramsRef(spec), "params");
    // one batch only: the second batch does not change the score
    assert.equal(snipProxy(net, [tb[0]]).value, snipProxy(net, tb).value);
    assert.equal(tf.memory().numTensors, tensors);
    net.params().forEach((p, i) => assert.deepEqual(Array.from(p.variable.dataSync()), before[i]));
    tf.dispose(tb.flatMap((b) => [b.x, b.y]));
    net.dispose();
  });
}

Deno.test("baselines: a layer with zero weights, a NaN loss, no batch", () => {
  const ref = scaledParams(MLP, 13);
  ref[2].value.fill(0); // fc2 weight: fc2 output constant (bias only) → zero gradient into fc1
  const batches = makeBatches(MLP, "softmax-ce", 8, 1, 14);
  const net = buildNet(MLP, ref, "softmax-ce");
  const tb = batches.map((b) => toTf(MLP, b, "softmax-ce"));
  close(gradNormProxy(net, tb).value, gradNormRef(MLP, ref, batches[0]), "grad_norm with a dead layer");
  close(snipProxy(net, tb).value, snipRef(MLP, ref, batches[0]), "snip with a dead layer");
  const nanX = tf.fill(tb[0].x.shape, NaN);
  for (const name of ["grad_norm", "plain", "snip"]) {
    assert.ok(
      Number.isNaN(getProxy(name)(net, [{ x: nanX, y: tb[0].y }]).value),
      `${name}: NaN reported as NaN`,
    );
  }
  assert.throws(() => gradNormProxy(net, []), /without a batch/);
  tf.dispose([nanX, ...tb.flatMap((b) => [b.x, b.y])]);
  net.dispose();
});

Deno.test("baselines: 50 candidates leave the tensor count unchanged; same inputs, same scores", () => {
  const ref = scaledParams(CONV, 15);
  const batches = makeBatches(CONV, "softmax-ce", 8, 1, 16);
  const net = buildNet(CONV, ref, "softmax-ce");
  const tb = batches.map((b) => toTf(CONV, b, "softmax-ce"));
  const first = ["grad_norm", "plain", "snip"].map((n) => getProxy(n)(net, tb).value);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 50; i++) {
    const v = ["grad_norm", "plain", "snip"].map((n) => getProxy(n)(net, tb).value);
    assert.deepEqual(v, first);
  }
  assert.equal(tf.memory().numTensors, before);
  tf.dispose(tb.flatMap((b) => [b.x, b.y]));
  net.dispose();
});

/**
 * The tfjs proxies against the independent float64 reference (./testing/): same tiny networks,
 * same parameters and batches; every SiGeo term and ZiCo within 1e-4 relative.
 */
import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { initBackend } from "../backend.ts";
import { sigeoProxy } from "./sigeo.ts";
import { zicoProxy } from "./zico.ts";
import { buildNet, close, CONV, makeBatches, MLP, MLP1, scaledParams, toTf } from "./testing/tf_twins.ts";
import { sigeoCvRef, sigeoFisherRef, sigeoRecsysRef, zicoRef } from "./testing/proxies_ref.ts";

await initBackend({ quiet: true });

for (const [label, spec] of [["MLP", MLP], ["conv net", CONV]] as const) {
  Deno.test(`await zicoProxy() equals the float64 reference on the tiny ${label}`, async () => {
    const ref = scaledParams(spec, 1);
    const batches = makeBatches(spec, "softmax-ce", 8, 4, 2);
    const net = buildNet(spec, ref, "softmax-ce");
    const tb = batches.map((b) => toTf(spec, b, "softmax-ce"));
    close((await zicoProxy(net, tb)).value, zicoRef(spec, ref, batches), "zico");
    tf.dispose(tb.flatMap((b) => [b.x, b.y]));
    net.dispose();
  });

  for (const warmedUp of [false, true]) {
    Deno.test(`await sigeoProxy() cv preset (warmedUp=${warmedUp}) equals the reference term by term on the tiny ${label}`, async () => {
      // small weights keep lr-1 SGD steps from blowing up
      const ref = scaledParams(spec, 3, 0.5);
      const batches = makeBatches(spec, "softmax-ce", 8, 4, 4);
      const net = buildNet(spec, ref, "softmax-ce");
      const tb = batches.map((b) => toTf(spec, b, "softmax-ce"));
      const before = net.params().map((p) => Array.from(p.variable.dataSync()));
      const got = await sigeoProxy(net, tb, { preset: "cv", warmedUp });
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

  Deno.test(`await sigeoProxy() fisher preset equals the reference on the tiny ${label}`, async () => {
    const ref = scaledParams(spec, 5);
    const batches = makeBatches(spec, "softmax-ce", 8, 4, 6);
    const net = buildNet(spec, ref, "softmax-ce");
    const tb = batches.map((b) => toTf(spec, b, "softmax-ce"));
    const got = await sigeoProxy(net, tb, { preset: "fisher" });
    const want = sigeoFisherRef(spec, ref, batches);
    for (const k of ["zico", "fr", "loss"] as const) close(got.terms![k], want.terms[k], k);
    tf.dispose(tb.flatMap((b) => [b.x, b.y]));
    net.dispose();
  });
}

for (const finalLayerOnly of [true, false]) {
  for (const bug of [false, true]) {
    Deno.test(`await sigeoProxy() recsys preset (finalLayerOnly=${finalLayerOnly}, firstNonzeroOnly=${bug}) equals the reference`, async () => {
      const ref = scaledParams(MLP1, 7);
      const batches = makeBatches(MLP1, "sigmoid-bce", 16, 4, 8);
      const net = buildNet(MLP1, ref, "sigmoid-bce");
      const tb = batches.map((b) => toTf(MLP1, b, "sigmoid-bce"));
      const got = await sigeoProxy(net, tb, {
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

Deno.test("scoring 50 candidates leaves the tensor count unchanged and is deterministic", async () => {
  const ref = scaledParams(MLP, 9, 0.5);
  const batches = makeBatches(MLP, "softmax-ce", 8, 4, 10);
  const net = buildNet(MLP, ref, "softmax-ce");
  const tb = batches.map((b) => toTf(MLP, b, "softmax-ce"));
  const first = (await sigeoProxy(net, tb, { preset: "cv", warmedUp: true })).value;
  const before = tf.memory().numTensors;
  for (let i = 0; i < 50; i++) {
    const v = (await sigeoProxy(net, tb, { preset: i % 2 ? "cv" : "recsys", warmedUp: true })).value;
    if (i % 2) assert.equal(v, first);
  }
  assert.equal(tf.memory().numTensors, before);
  tf.dispose(tb.flatMap((b) => [b.x, b.y]));
  net.dispose();
});

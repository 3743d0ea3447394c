import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { initBackend } from "../backend.ts";
import { createRng } from "../rng.ts";
import { Nb201Network } from "../spaces/nb201/network.ts";
import { getProxy, PROXIES } from "./registry.ts";
import { sigeoSettings } from "./sigeo.ts";
import { zenProxy } from "./zen.ts";
import { buildNet, close, makeBatches, MLP, MLP1, scaledParams, toTf } from "./testing/tf_twins.ts";
import { sigeoCvRef, sigeoRecsysRef } from "./testing/proxies_ref.ts";

await initBackend({ quiet: true });

Deno.test("the registry's names, in order", () => {
  assert.deepEqual(Object.keys(PROXIES), [
    "zico",
    "sigeo-cv",
    "sigeo-cv-warm",
    "sigeo-recsys",
    "sigeo-recsys-loss",
    "sigeo-recsys-zico",
    "sigeo-recsys-official",
    "sigeo-fisher",
    "grad_norm",
    "plain",
    "snip",
    "grasp",
    "fisher",
    "jacov",
    "epe_nas",
    "nwot",
    "synflow",
    "zen",
    "l2_norm",
    "params",
    "flops",
    "swap",
    "swap-reg",
    "meco",
    "az-nas",
    "vkdnw",
    "te_nas_ntk",
    "te_nas_lr",
  ]);
  assert.throws(() => getProxy("sigeo"), /Unknown proxy 'sigeo': expected one of zico, sigeo-cv, /);
});

Deno.test("the SiGeo entries record the settings of their presets (what the manifests had, and more)", () => {
  const base = { params: "conv-linear-weights", ddof: 0, finalLayerOnly: false, firstNonzeroOnly: false };
  assert.deepEqual(PROXIES["sigeo-cv"].options, { preset: "cv", lambdas: [1, 1, 0], ...base, steps: true });
  assert.deepEqual(PROXIES["sigeo-cv-warm"].options, {
    preset: "cv",
    lambdas: [1, 50, 1],
    ...base,
    steps: true,
  });
  assert.deepEqual(PROXIES["sigeo-recsys"].options, {
    preset: "recsys",
    lambdas: [1, 1, 0],
    params: "final-layer",
    ddof: 1,
    finalLayerOnly: true,
    firstNonzeroOnly: false,
    steps: true,
  });
  const recsys = PROXIES["sigeo-recsys"].options;
  assert.deepEqual(PROXIES["sigeo-recsys-loss"].options, { ...recsys, lambdas: [1, 1, 1] });
  assert.deepEqual(PROXIES["sigeo-recsys-zico"].options, { ...recsys, lambdas: [1, 0, 0] });
  assert.deepEqual(PROXIES["sigeo-recsys-official"].options, { ...recsys, firstNonzeroOnly: true });
  assert.deepEqual(PROXIES["sigeo-fisher"].options, {
    preset: "fisher",
    lambdas: [1, 1, 0],
    ...base,
    steps: false,
  });
  assert.deepEqual(PROXIES.zen.options, { seed: 0, mixupGamma: 0.01 });
  assert.deepEqual(PROXIES.grasp.options, { batches: 1, splits: 1 });
  // a recorded entry cannot change the presets it came from
  (PROXIES["sigeo-cv"].options.lambdas as number[])[1] = 7;
  assert.deepEqual(sigeoSettings({ preset: "cv" }).lambdas, [1, 1, 0]);
  PROXIES["sigeo-cv"].options.lambdas = [1, 1, 0];
  assert.throws(() => sigeoSettings({ preset: "nope" as "cv" }), /Unknown SiGeo preset 'nope'/);
});

Deno.test("sigeo-cv-warm is NASLib-SiGeo with λ = (1, 50, 1): equal to the float64 reference", async () => {
  const ref = scaledParams(MLP, 3, 0.5);
  const batches = makeBatches(MLP, "softmax-ce", 8, 4, 4);
  const net = buildNet(MLP, ref, "softmax-ce");
  const tb = batches.map((b) => toTf(MLP, b, "softmax-ce"));
  const warm = await PROXIES["sigeo-cv-warm"].fn(net, tb);
  const want = sigeoCvRef(MLP, ref, batches, { warmedUp: true });
  close(warm.value, want.value, "value");
  const t = warm.terms!;
  close(warm.value, t.zico + 50 * t.fr - t.loss, "λ (1, 50, 1)");
  const cold = await PROXIES["sigeo-cv"].fn(net, tb);
  close(cold.value, t.zico + t.fr, "λ (1, 1, 0)");
  tf.dispose(tb.flatMap((b) => [b.x, b.y]));
  net.dispose();
});

Deno.test("the sigeo-recsys-* entries equal the float64 reference of NasRec-SiGeo with their λ and indexing", async () => {
  const ref = scaledParams(MLP1, 7);
  const batches = makeBatches(MLP1, "sigmoid-bce", 16, 4, 8);
  const net = buildNet(MLP1, ref, "sigmoid-bce");
  const tb = batches.map((b) => toTf(MLP1, b, "sigmoid-bce"));
  const cases: [string, boolean, [number, number, number]][] = [
    ["sigeo-recsys-loss", false, [1, 1, 1]],
    ["sigeo-recsys-zico", false, [1, 0, 0]],
    ["sigeo-recsys-official", true, [1, 1, 0]],
  ];
  const plain = (await PROXIES["sigeo-recsys"].fn(net, tb)).terms!;
  for (const [name, bug, lambdas] of cases) {
    const got = await PROXIES[name].fn(net, tb);
    const want = sigeoRecsysRef(MLP1, ref, batches, {
      finalLayerOnly: true,
      firstNonzeroIndexingBug: bug,
      lambdas,
    });
    for (const k of ["zico", "fr", "loss"] as const) close(got.terms![k], want.terms[k], `${name} ${k}`);
    close(got.value, want.value, `${name} value`);
  }
  // the bug changes the ZiCo term (one element per tensor instead of all), nothing else
  const official = (await PROXIES["sigeo-recsys-official"].fn(net, tb)).terms!;
  assert.ok(Math.abs(official.zico - plain.zico) > 0.1, `${official.zico} vs ${plain.zico}`);
  assert.equal(official.fr, plain.fr);
  assert.equal(official.loss, plain.loss);
  tf.dispose(tb.flatMap((b) => [b.x, b.y]));
  net.dispose();
});

Deno.test("sigeo-recsys is NasRec-SiGeo on the final layer without the indexing bug: equal to the reference", async () => {
  const ref = scaledParams(MLP1, 7);
  const batches = makeBatches(MLP1, "sigmoid-bce", 16, 4, 8);
  const net = buildNet(MLP1, ref, "sigmoid-bce");
  const tb = batches.map((b) => toTf(MLP1, b, "sigmoid-bce"));
  const got = await PROXIES["sigeo-recsys"].fn(net, tb);
  const want = sigeoRecsysRef(MLP1, ref, batches, {
    finalLayerOnly: true,
    firstNonzeroIndexingBug: false,
    lambdas: [1, 1, 0],
  });
  for (const k of ["zico", "fr", "loss"] as const) close(got.terms![k], want.terms[k], k);
  close(got.value, want.value, "value");
  tf.dispose(tb.flatMap((b) => [b.x, b.y]));
  net.dispose();
});

Deno.test("zen runs with the defaults it records", async () => {
  const net = new Nb201Network(
    "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|none~1|nor_conv_1x1~2|",
    { C: 4, N: 1 },
    createRng(1),
  );
  const batch = {
    x: tf.randomNormal([4, 8, 8, 3], 0, 1, "float32", 3),
    y: tf.tensor1d([0, 1, 2, 3], "int32"),
  };
  const a = (await PROXIES.zen.fn(net, [batch])).value;
  assert.ok(Number.isFinite(a));
  assert.equal((await zenProxy(net, [batch], { seed: 0, mixupGamma: 0.01 })).value, a);
  assert.notEqual((await zenProxy(net, [batch], { seed: 1 })).value, a);
  tf.dispose([batch.x, batch.y]);
});

import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import * as tfl from "@tensorflow/tfjs-layers";
import { initBackend } from "../backend.ts";
import { createRng } from "../rng.ts";
import { ParamStore } from "./param.ts";
import { Linear } from "./layers.ts";
import { layersModelNet } from "./layers_model.ts";
import { zicoProxy } from "../proxies/zico.ts";
import { sigeoProxy } from "../proxies/sigeo.ts";

await initBackend({ quiet: true });

Deno.test("layersModelNet() exposes a tf.LayersModel with metadata, and proxies score it like our own net", async () => {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [5], units: 6, activation: "relu", name: "d1" }),
      tfl.layers.dense({ units: 3, name: "d2" }),
    ],
  });
  const net = layersModelNet(model);
  assert.deepEqual(net.params().map((p) => [p.layer, p.kind, p.role]), [
    ["d1", "linear", "weight"],
    ["d1", "linear", "bias"],
    ["d2", "linear", "weight"],
    ["d2", "linear", "bias"],
  ]);
  // the same network built from our layers with the model's weights
  const store = new ParamStore(createRng(0));
  const l1 = new Linear(store, "d1", 5, 6), l2 = new Linear(store, "d2", 6, 3);
  store.params().forEach((p, i) => p.variable.assign(net.params()[i].variable));
  const ours = {
    params: () => store.params(),
    forward: (x: tf.Tensor) => l2.apply(tf.relu(l1.apply(x))),
    loss: net.loss,
  };
  const rng = createRng(1);
  const batches = [0, 1, 2, 3].map((i) => ({
    x: tf.randomNormal([6, 5], 0, 1, "float32", i),
    y: tf.tensor1d(Array.from({ length: 6 }, () => rng.int(3)), "int32"),
  }));
  const a = (await zicoProxy(net, batches)).value, b = (await zicoProxy(ours, batches)).value;
  assert.ok(Math.abs(a - b) < 1e-6 * Math.abs(b), `${a} vs ${b}`);
  const before = Array.from(net.params()[0].variable.dataSync());
  const s1 = (await sigeoProxy(net, batches, { preset: "cv", warmedUp: true })).value;
  const s2 = (await sigeoProxy(ours, batches, { preset: "cv", warmedUp: true })).value;
  assert.ok(Math.abs(s1 - s2) < 1e-5 * Math.abs(s2), `${s1} vs ${s2}`);
  assert.deepEqual(Array.from(net.params()[0].variable.dataSync()), before);
  tf.dispose(batches.flatMap((b) => [b.x, b.y]));
  store.dispose();
  model.dispose();
});

Deno.test("saveLayersModelFile/loadLayersModelFile: a saved conv model loads back with equal weights and outputs", async () => {
  const { loadLayersModelFile, saveLayersModelFile } = await import("./layers_model.ts");
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, activation: "relu" }),
      tfl.layers.globalAveragePooling2d({}),
      tfl.layers.dense({ units: 5 }),
    ],
  });
  const dir = await Deno.makeTempDir();
  try {
    await saveLayersModelFile(model, dir);
    const back = await loadLayersModelFile(`${dir}/model.json`);
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, "float32", 3);
    const a = model.predict(x) as tf.Tensor, b = back.predict(x) as tf.Tensor;
    assert.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()));
    assert.deepEqual(layersModelNet(back).params().map((p) => p.kind), ["conv", "conv", "linear", "linear"]);
    tf.dispose([x, a, b]);
    back.dispose();
    await Deno.writeTextFile(`${dir}/bad.json`, "{}");
    await assert.rejects(() => loadLayersModelFile(`${dir}/bad.json`), /no modelTopology/);
  } finally {
    model.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

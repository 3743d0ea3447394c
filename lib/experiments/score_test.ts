import assert from "node:assert/strict";
import { formatScoreTable, scoreNb201 } from "./score.ts";
import { generateImages } from "../data/gen_images.ts";

/** SHA-256 (hex) of the concatenated byte arrays, computed here independently of the manifest code. */
async function sha256(...parts: Uint8Array[]): Promise<string> {
  const all = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.byteLength;
  }
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(d, (x) => x.toString(16).padStart(2, "0")).join("");
}

Deno.test("scoreNb201() scores every arch with every proxy, deterministically, on generated data", async () => {
  const opts = {
    archs: [
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|none~1|avg_pool_3x3~2|",
      "|none~0|+|skip_connect~0|none~1|+|nor_conv_1x1~0|none~1|none~2|",
    ],
    proxies: ["zico", "sigeo-cv"],
    batches: 3,
    batchSize: 8,
    C: 4,
    N: 1,
  };
  const a = await scoreNb201(opts);
  const b = await scoreNb201(opts);
  assert.equal(a.rows.length, 4);
  assert.deepEqual(a.rows.map((r) => r.value), b.rows.map((r) => r.value));
  assert.ok(a.rows.every((r) => Number.isFinite(r.value)));
  assert.deepEqual(Object.keys(a.rows[1].terms), ["zico", "fr", "loss"]);
  // the generated images' checksum: the bytes scored (3 × 8 images of seed 0), labels as int32
  const img = generateImages({ n: 24, classes: 10, seed: 0 });
  assert.deepEqual(a.generated, {
    path: "generated:scoring images (seed 0)",
    bytes: 24 * 32 * 32 * 3 + 24 * 4,
    sha256: await sha256(img.images, new Uint8Array(img.labels.buffer)),
  });
  assert.notEqual(
    (await scoreNb201({ ...opts, proxies: ["params"], seed: 1 })).generated!.sha256,
    a.generated!.sha256,
  );
  const table = formatScoreTable(a.rows);
  assert.match(table.split("\n")[0], /^proxy\s+score\s+terms\s+s\s+arch$/);
  assert.equal(table.split("\n").length, 5);
  await assert.rejects(() => scoreNb201({ ...opts, proxies: ["nope"] }), /Unknown proxy 'nope'/);
});

Deno.test("scoreLayersModel() scores a saved tf.LayersModel; equals scoring the in-memory model", async () => {
  const tfl = await import("@tensorflow/tfjs-layers");
  const { layersModelNet, saveLayersModelFile } = await import("../nn/layers_model.ts");
  const { scoreLayersModel } = await import("./score.ts");
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [6], units: 5, activation: "relu" }),
      tfl.layers.dense({ units: 3 }),
    ],
  });
  const dir = await Deno.makeTempDir();
  try {
    await saveLayersModelFile(model, dir);
    const { rows } = await scoreLayersModel({
      model: `${dir}/model.json`,
      proxies: ["zico"],
      batchSize: 8,
      seed: 2,
    });
    assert.equal(rows.length, 1);
    // the same inputs by hand: 4 batches of 8 standard normals + random classes from createRng(2)
    const tf = await import("../tf.ts");
    const { createRng } = await import("../rng.ts");
    const { zicoProxy } = await import("../proxies/zico.ts");
    const rng = createRng(2);
    const batches = [0, 1, 2, 3].map(() => {
      const x = tf.tensor2d(Float32Array.from({ length: 48 }, () => rng.normal()), [8, 6]);
      const y = tf.tensor1d(Array.from({ length: 8 }, () => rng.int(3)), "int32");
      return { x, y };
    });
    const want = (await zicoProxy(layersModelNet(model), batches)).value;
    assert.ok(Math.abs(rows[0].value - want) < 1e-6 * Math.abs(want), `${rows[0].value} vs ${want}`);
    tf.dispose(batches.flatMap((b) => [b.x, b.y]));
  } finally {
    model.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

import assert from "node:assert/strict";
import { formatScoreTable, scoreNb201 } from "./score.ts";
import { generateImages } from "../data/gen_images.ts";
import { sha256Hex } from "../testing/sha256.ts";

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
    sha256: await sha256Hex(img.images, new Uint8Array(img.labels.buffer)),
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

Deno.test("scoreNasrec() scores supernet paths on the search's first batches; the bundles hold the arch and the touched rows", async () => {
  const { scoreNasrec } = await import("./score.ts");
  const { readAuditBundle } = await import("../proxies/audit.ts");
  const { archKey, sampleArch } = await import("../spaces/nasrec/space.ts");
  const { createRng } = await import("../rng.ts");
  const archs = [1, 2].map((s) => archKey(sampleArch("autoctr", createRng(s), { numBlocks: 2 })));
  const dir = await Deno.makeTempDir();
  try {
    const opts = {
      space: "autoctr" as const,
      archs,
      dataset: "criteo" as const,
      proxies: ["sigeo-recsys", "sigeo-recsys-official"],
      batchSize: 32,
      maxRows: 300,
    };
    const a = await scoreNasrec({ ...opts, record: dir });
    const b = await scoreNasrec(opts);
    assert.deepEqual(a.rows.map((r) => [r.arch, r.proxy]), [
      [archs[0], "sigeo-recsys"],
      [archs[0], "sigeo-recsys-official"],
      [archs[1], "sigeo-recsys"],
      [archs[1], "sigeo-recsys-official"],
    ]);
    assert.deepEqual(a.rows.map((r) => r.value), b.rows.map((r) => r.value));
    assert.ok(a.rows.every((r) => Number.isFinite(r.value)));
    // the bug variant differs in the ZiCo term only
    assert.notEqual(a.rows[1].terms.zico, a.rows[0].terms.zico);
    assert.equal(a.rows[1].terms.fr, a.rows[0].terms.fr);
    const bundle = await readAuditBundle(`${dir}/2_sigeo-recsys`);
    assert.equal(bundle.manifest.arch, archs[1]);
    assert.equal(bundle.manifest.score.value, a.rows[2].value);
    assert.deepEqual(bundle.manifest.tableSizes.length, 26);
    assert.equal(bundle.batches.length, 4);
    assert.deepEqual(bundle.batches[0].sparse.shape, [32, 26]);
    // every table's ids are exactly the distinct ids of its column over the 4 batches
    const tables = bundle.params.filter((p) => p.ids);
    assert.equal(tables.length, 26);
    for (const [f, t] of tables.entries()) {
      const ids = new Set<number>();
      for (const batch of bundle.batches) {
        for (let r = 0; r < 32; r++) ids.add(batch.sparse.data[r * 26 + f]);
      }
      assert.deepEqual(Array.from(t.ids!), [...ids].sort((x, y) => x - y), `table ${f}`);
    }
    await assert.rejects(
      () => scoreNasrec({ ...opts, archs: [archKey(sampleArch("xlarge", createRng(1), { numBlocks: 2 }))] }),
      /--arch 1 is a xlarge architecture, expected autoctr/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("score --space nasrec-small on the real Criteo sample: a bundle per proxy (skips without the sample)", async () => {
  const sample =
    new URL("../../../shared/data/criteo/criteo_paddlerec_part0_100.txt", import.meta.url).pathname;
  if (!(await Deno.stat(sample).then(() => true, () => false))) {
    console.log(`skipped: ${sample} is absent`);
    return;
  }
  const dir = await Deno.makeTempDir();
  try {
    const arch = "autoctr|0;0;0;0;0,2;256;48;1;0|0,1;1;0;0;1,2;64;16;0;1";
    const r = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        new URL("../cli.ts", import.meta.url).pathname,
        "score",
        ...["--space", "nasrec-small", "--arch", arch, "--data", sample, "--batch-size", "16"],
        ...["--proxies", "sigeo-recsys-official", "--record", dir],
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(r.stdout);
    assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
    assert.match(out, /sigeo-recsys-official\s+-?\d+\.\d{4}\s+zico=/);
    const m = JSON.parse(await Deno.readTextFile(`${dir}/0_sigeo-recsys-official/manifest.json`));
    assert.equal(m.arch, arch);
    assert.match(m.data, /Criteo file .*criteo_paddlerec_part0_100\.txt/);
    assert.equal(m.batches.length, 4);
    // the supernet's head reads the full-width outputs (masked): 1024 dense + 16 × (64 + 8) tokens
    assert.deepEqual(m.features[0].shape, [16, 1024 + 16 * (64 + 8)]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { initBackend } from "../backend.ts";
import { createRng } from "../rng.ts";
import { Nb201Network } from "../spaces/nb201/network.ts";
import { decodeNpy } from "../data/npy.ts";
import { decodeNpy as decode, encodeNpy } from "../data/npy.ts";
import { featureTaps, readAuditBundle, writeAuditBundle } from "./audit.ts";
import { NasrecSupernet } from "../spaces/nasrec/supernet.ts";
import { sampleArch } from "../spaces/nasrec/space.ts";
import type { Batch, Net } from "../nn/net.ts";
import type { RecsysInput } from "../nn/recsys_batch.ts";
import { PROXIES } from "./registry.ts";

await initBackend({ quiet: true });

Deno.test("writeAuditBundle() records every parameter, batch and term so the score can be recomputed", async () => {
  const net = new Nb201Network(
    "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|none~1|nor_conv_1x1~2|",
    { C: 4, N: 1 },
    createRng(1),
  );
  const rng = createRng(2);
  const batches = [0, 1, 2, 3].map((i) => ({
    x: tf.randomNormal([4, 8, 8, 3], 0, 1, "float32", i),
    y: tf.tensor1d(Array.from({ length: 4 }, () => rng.int(10)), "int32"),
  }));
  const score = await PROXIES["sigeo-cv"].fn(net, batches);
  const dir = await Deno.makeTempDir();
  try {
    await writeAuditBundle(dir, net, batches, {
      proxy: "sigeo-cv",
      options: PROXIES["sigeo-cv"].options,
      score,
    });
    const m = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
    assert.equal(m.params.length, net.params().length);
    assert.deepEqual(m.score.terms, score.terms);
    const first = net.params()[0];
    const npy = decodeNpy(await Deno.readFile(`${dir}/${m.params[0].file}`));
    assert.deepEqual(npy.shape, first.variable.shape);
    assert.deepEqual(Array.from(npy.data), Array.from(first.variable.dataSync()));
    assert.equal(m.params[0].kind, "conv");
    const y = decodeNpy(await Deno.readFile(`${dir}/${m.batches[3].y}`));
    assert.ok(y.data instanceof Int32Array);
    assert.deepEqual(Array.from(y.data), Array.from(batches[3].y.dataSync()));
    // the bundle reproduces the score: the recorded parameters give the same value
    assert.equal((await PROXIES["sigeo-cv"].fn(net, batches)).value, score.value);
  } finally {
    await Deno.remove(dir, { recursive: true });
    tf.dispose(batches.flatMap((b) => [b.x, b.y]));
    net.dispose();
  }
});

Deno.test("a recommender bundle (format 2) reads back equal to the net, batches and features; tables as touched rows only", async () => {
  const layout = { name: "criteo", numDense: 2, tableSizes: [50, 30, 7] };
  const supernet = new NasrecSupernet({ space: "autoctr", layout, rng: createRng(5), numBlocks: 2 });
  const net = supernet.path(sampleArch("autoctr", createRng(6), { numBlocks: 2 })) as unknown as Net<
    RecsysInput
  >;
  // 3 fields; ids chosen by hand so each table's touched set is known: repeats, and a table left mostly untouched
  const sparse = [
    [[3, 0, 6], [17, 4, 6], [3, 29, 1], [49, 4, 6]],
    [[17, 0, 6], [8, 4, 6], [8, 29, 6], [3, 0, 6]],
  ];
  const want = [[3, 8, 17, 49], [0, 4, 29], [1, 6]];
  const batches: Batch<RecsysInput>[] = sparse.map((rows, b) => ({
    x: {
      dense: tf.tensor2d(rows.map((_, r) => [r * 0.5 - b, 1 - r * 0.25])),
      sparse: tf.tensor2d(rows, [4, 3], "int32"),
    },
    y: tf.tensor2d(rows.map((_, r) => [(r + b) % 2]), [4, 1]),
  }));
  const dir = await Deno.makeTempDir();
  const score = await PROXIES["sigeo-recsys"].fn(net as unknown as Net, batches as unknown as Batch[]);
  const features = featureTaps(net, batches);
  try {
    await writeAuditBundle(dir, net, batches, {
      proxy: "sigeo-recsys",
      options: PROXIES["sigeo-recsys"].options,
      score,
      features,
    });
    const got = await readAuditBundle(dir);
    assert.equal(got.manifest.format, "sigeo-audit/2");
    assert.deepEqual(got.manifest.score, JSON.parse(JSON.stringify(score)));
    const params = net.params();
    assert.equal(got.params.length, params.length);
    let tables = 0;
    for (const [i, p] of params.entries()) {
      const back = got.params[i];
      assert.equal(back.name, p.name);
      assert.deepEqual(back.shape, p.variable.shape);
      const full = p.variable.dataSync() as Float32Array;
      if (p.kind !== "embedding") {
        assert.equal(back.ids, undefined);
        assert.deepEqual(Array.from(back.values.data), Array.from(full), p.name);
        continue;
      }
      const f = tables++;
      assert.deepEqual(Array.from(back.ids!), want[f], `table ${f}: exactly the touched ids, ascending`);
      const dim = p.variable.shape[1]!;
      assert.deepEqual(back.values.shape, [want[f].length, dim]);
      assert.deepEqual(
        Array.from(back.values.data),
        want[f].flatMap((id) => Array.from(full.subarray(id * dim, (id + 1) * dim))),
      );
      // real bytes: the rows file holds k × dim floats, not the table
      const entry = got.manifest.params[i];
      const size = (await Deno.stat(`${dir}/${entry.file}`)).size;
      assert.equal(size, encodeNpy(new Float32Array(want[f].length * dim), [want[f].length, dim]).length);
      assert.ok(size < layout.tableSizes[f] * dim * 4, `${size} bytes for table ${f}`);
      assert.equal(entry.field, f);
    }
    assert.equal(tables, 3);
    for (const [b, batch] of batches.entries()) {
      assert.deepEqual(Array.from(got.batches[b].dense.data), Array.from(batch.x.dense.dataSync()));
      assert.ok(got.batches[b].sparse.data instanceof Int32Array);
      assert.deepEqual(Array.from(got.batches[b].sparse.data), sparse[b].flat());
      assert.deepEqual(Array.from(got.batches[b].y.data), Array.from(batch.y.dataSync()));
      assert.deepEqual(got.features[b].shape, features[b].shape);
      assert.deepEqual(Array.from(got.features[b].data), Array.from(features[b].dataSync()));
    }
    // the features are the head's input: head weight [featureDim, 1]
    const head = got.params.find((p) => p.layer === "head" && p.role === "weight")!;
    assert.deepEqual(head.shape, [features[0].shape[1], 1]);
    // a file that disagrees with the manifest is named
    const m = got.manifest;
    await Deno.writeFile(`${dir}/${m.features[0].file}`, encodeNpy(new Float32Array(2), [2]));
    await assert.rejects(() => readAuditBundle(dir), /features\/000\.npy: expected shape \[4,\d+\]/);
    assert.ok(decode(await Deno.readFile(`${dir}/${m.params[0].ids}`)).data instanceof Int32Array);
  } finally {
    await Deno.remove(dir, { recursive: true });
    tf.dispose(features);
    tf.dispose(batches.flatMap((b) => [b.x.dense, b.x.sparse, b.y]));
    supernet.dispose();
  }
});

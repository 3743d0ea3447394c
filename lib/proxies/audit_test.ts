import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { initBackend } from "../backend.ts";
import { createRng } from "../rng.ts";
import { Nb201Network } from "../spaces/nb201/network.ts";
import { decodeNpy } from "../data/npy.ts";
import { writeAuditBundle } from "./audit.ts";
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

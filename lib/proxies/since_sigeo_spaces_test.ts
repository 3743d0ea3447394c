/**
 * The proxies published since SiGeo (swap, swap-reg, meco, az-nas) on both search spaces: the
 * smallest NB201 path the baseline tests build (C = 4, N = 1, 8×8 images) and a small standalone
 * NASRec model (4 blocks, toy layout); every score finite, no tensor leaked, weights unchanged.
 */
import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { initBackend } from "../backend.ts";
import { createRng } from "../rng.ts";
import type { Batch, Net } from "../nn/net.ts";
import { Nb201Supernet } from "../spaces/nb201/network.ts";
import { standalone } from "../spaces/nasrec/supernet.ts";
import { sampleArch } from "../spaces/nasrec/space.ts";
import { toBatch } from "../nn/recsys_batch.ts";
import { getProxy } from "./registry.ts";
import { azAggregate } from "./ensemble.ts";

await initBackend({ quiet: true });

const NAMES = ["swap", "swap-reg", "meco", "az-nas"];

async function check(net: Net, b: Batch, label: string): Promise<Record<string, number>[]> {
  for (const name of NAMES) await getProxy(name)(net, [b]); // first calls register gradients
  const before = net.params().map((p) => Array.from(p.variable.dataSync()));
  const tensors = tf.memory().numTensors;
  const terms: Record<string, number>[] = [];
  for (const name of NAMES) {
    const s = await getProxy(name)(net, [b]);
    assert.ok(Number.isFinite(s.value), `${label} ${name}: ${s.value} ${JSON.stringify(s.terms)}`);
    for (const [k, v] of Object.entries(s.terms ?? {})) {
      assert.ok(Number.isFinite(v), `${label} ${name} ${k}: ${v}`);
    }
    if (name === "az-nas") terms.push(s.terms!);
  }
  assert.equal(tf.memory().numTensors, tensors, `${label}: leaked tensors`);
  net.params().forEach((p, i) => assert.deepEqual(Array.from(p.variable.dataSync()), before[i]));
  return terms;
}

Deno.test("swap, swap-reg, meco and az-nas score NB201 paths: finite, no leak, AZ-NAS aggregate over the paths", async () => {
  const sn = new Nb201Supernet({ C: 4, N: 1, classes: 10 }, createRng(1));
  const rng = createRng(2);
  const b: Batch = {
    x: tf.tensor4d(Float32Array.from({ length: 8 * 8 * 8 * 3 }, () => rng.normal()), [8, 8, 8, 3]),
    y: tf.tensor1d(Array.from({ length: 8 }, () => rng.int(10)), "int32"),
  };
  // 3×3 conv on every edge; 1×1 convs; 3×3 convs and skips
  const paths = [[3, 3, 3, 3, 3, 3], [2, 2, 2, 2, 2, 2], [3, 1, 3, 1, 3, 1]];
  const terms: Record<string, number>[] = [];
  for (const p of paths) terms.push(...await check(sn.path(p), b, `NB201 ${p.join("")}`));
  const agg = azAggregate(terms);
  assert.equal(agg.length, 3);
  assert.ok(agg.every(Number.isFinite));
  tf.dispose([b.x, b.y]);
  sn.dispose();
});

Deno.test("swap, swap-reg, meco and az-nas score a NASRec model: finite, no leak", async () => {
  const layout = { name: "toy", numDense: 5, tableSizes: [7, 11, 5, 3] };
  const net = standalone(sampleArch("autoctr", createRng(11), { numBlocks: 4 }), layout, createRng(3));
  const rng = createRng(4), n = 8, F = layout.tableSizes.length;
  const b = toBatch({
    n,
    numDense: layout.numDense,
    numSparse: F,
    dense: Float32Array.from({ length: n * layout.numDense }, () => rng.normal()),
    sparse: Int32Array.from({ length: n * F }, (_, i) => rng.int(layout.tableSizes[i % F])),
    labels: Float32Array.from({ length: n }, () => rng.int(2)),
  });
  await check(net as unknown as Net, b as unknown as Batch, "NASRec");
  tf.dispose([b.x.dense, b.x.sparse, b.y]);
  net.dispose();
});

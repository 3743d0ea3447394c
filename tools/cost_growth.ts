// Seconds per candidate vs NB201 size (C, N), vs scoring batches, vs recommender table size (README "Cost
// growth"). `deno run -A tools/cost_growth.ts [nb201|recsys|all]`; one timed call after one warm-up each.
import * as tf from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";
import { createRng } from "../lib/rng.ts";
import { Nb201Network } from "../lib/spaces/nb201/network.ts";
import { zicoProxy } from "../lib/proxies/zico.ts";
import { REFERENCE_ARCH } from "../lib/bench.ts";
import { benchArch } from "../lib/bench_nasrec.ts";
import { NASREC_CRITEO } from "../lib/data/recsys_layouts.ts";
import { standalone } from "../lib/spaces/nasrec/supernet.ts";
import { proxyScoreNet } from "../lib/experiments/pipelines/recsys.ts";
import { disposeBatch, toBatch } from "../lib/nn/recsys_batch.ts";
await initBackend({ quiet: true });
const which = Deno.args[0] ?? "all";
const rng = createRng(0);
const batchesOf = (k: number) =>
  Array.from({ length: k }, (_, i) => ({
    x: tf.randomNormal([64, 32, 32, 3], 0, 1, "float32", 10 + i) as tf.Tensor4D,
    y: tf.tensor1d(Array.from({ length: 64 }, () => rng.int(10)), "int32"),
  }));
const timeOnce = (f: () => void) => {
  f();
  const t = performance.now();
  f();
  return (performance.now() - t) / 1000;
};
if (which === "all" || which === "nb201") {
  const b4 = batchesOf(4);
  for (const [C, N] of [[8, 1], [16, 1], [16, 3], [16, 5], [32, 1]]) {
    const net = new Nb201Network(REFERENCE_ARCH, { C, N, classes: 10 }, rng.fork());
    const s = timeOnce(() => void zicoProxy(net, b4));
    console.log(JSON.stringify({ study: "C,N", C, N, batches: 4, zicoSeconds: +s.toFixed(3) }));
    net.dispose();
  }
  const net = new Nb201Network(REFERENCE_ARCH, { C: 16, N: 1, classes: 10 }, rng.fork());
  const b8 = batchesOf(8);
  for (const k of [2, 4, 8]) {
    const s = timeOnce(() => void zicoProxy(net, b8.slice(0, k)));
    console.log(JSON.stringify({ study: "batches", C: 16, N: 1, batches: k, zicoSeconds: +s.toFixed(3) }));
  }
  net.dispose();
  tf.dispose([...b4, ...b8].flatMap((b) => [b.x, b.y]));
}
if (which === "all" || which === "recsys") {
  const { arch } = await benchArch();
  for (const cap of [10_000, 100_000, 1_000_000]) {
    const lay = { ...NASREC_CRITEO, tableSizes: NASREC_CRITEO.tableSizes.map((s) => Math.min(s, cap)) };
    const net = standalone(arch, lay, createRng(7));
    net.embedding.allocateState();
    const F = lay.tableSizes.length, D = lay.numDense, n = 512;
    const r = createRng(3);
    const batches = [0, 1, 2, 3].map(() =>
      toBatch({
        n,
        numDense: D,
        numSparse: F,
        dense: Float32Array.from({ length: n * D }, () => r.next()),
        sparse: Int32Array.from({ length: n * F }, (_, i) => r.int(lay.tableSizes[i % F])),
        labels: Float32Array.from({ length: n }, () => (r.next() < 0.25 ? 1 : 0)),
      })
    );
    const s = timeOnce(() => void proxyScoreNet(net, batches, {}));
    const rows = lay.tableSizes.reduce((a, b) => a + b, 0);
    console.log(
      JSON.stringify({ study: "table size", rows, batches: 4, batch: n, sigeoRecsysSeconds: +s.toFixed(3) }),
    );
    batches.forEach(disposeBatch);
    net.dispose();
  }
}

import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { initBackend } from "../../backend.ts";
import { createRng } from "../../rng.ts";
import { copyParams, countParams } from "../../nn/param.ts";
import { archOps, Nb201Network, Nb201Supernet } from "./network.ts";

await initBackend({ quiet: true });

const REFERENCE =
  "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|";

Deno.test("Nb201Network has 1,288,506 parameters for the reference arch (PyTorch TinyNetwork, C=16, N=5, 10 classes)", () => {
  const net = new Nb201Network(REFERENCE, { C: 16, N: 5, classes: 10 }, createRng(0));
  assert.equal(countParams(net.params()), 1288506);
  net.dispose();
});

Deno.test("Nb201Network parameter counts follow the op choice (hand-counted, C=4, N=1, 10 classes)", () => {
  // Shared: stem conv 3·3·3·4=108 + BN 8; ResBlock 4→8: 3·3·4·8=288 + 16, 3·3·8·8=576 + 16, 1×1 4·8=32;
  // ResBlock 8→16: 1152 + 32, 2304 + 32, 128; last BN 32; classifier 16·10+10=170.  Total 4894.
  // Each nor_conv_3x3 edge in the 3 cells adds 9c²+2c for c=4,8,16: 152+592+2336 = 3080;
  // each nor_conv_1x1 edge adds c²+2c: 24+80+288 = 392.
  const count = (arch: string) => {
    const net = new Nb201Network(arch, { C: 4, N: 1, classes: 10 }, createRng(0));
    const n = countParams(net.params());
    net.dispose();
    return n;
  };
  assert.equal(count("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"), 4894);
  assert.equal(
    count("|skip_connect~0|+|avg_pool_3x3~0|none~1|+|skip_connect~0|none~1|avg_pool_3x3~2|"),
    4894,
  );
  assert.equal(count("|nor_conv_3x3~0|+|none~0|none~1|+|nor_conv_1x1~0|none~1|none~2|"), 4894 + 3080 + 392);
});

Deno.test("archOps() accepts arch strings, op-index tuples and op names, and rejects bad ones", () => {
  const names = [
    "nor_conv_3x3",
    "nor_conv_3x3",
    "nor_conv_3x3",
    "skip_connect",
    "nor_conv_3x3",
    "nor_conv_3x3",
  ];
  assert.deepEqual(archOps(REFERENCE), names);
  assert.deepEqual(archOps([3, 3, 3, 1, 3, 3]), names);
  assert.deepEqual(archOps(names as never), names);
  assert.throws(() => archOps("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|"), /unknown op 'conv'/);
  assert.throws(() => archOps([0, 1, 2]), /6 expected/);
  assert.throws(() => archOps([0, 1, 2, 3, 4, 5]), RangeError);
});

Deno.test("a supernet path and a standalone net with the copied weights give the same logits and gradients", () => {
  const cfg = { C: 4, N: 1, classes: 5, bn: { affine: true, trackRunningStats: false } };
  const supernet = new Nb201Supernet(cfg, createRng(1));
  const arch = "|nor_conv_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|skip_connect~0|none~1|nor_conv_3x3~2|";
  const path = supernet.path(arch);
  const net = new Nb201Network(arch, cfg, createRng(99));
  const copied = copyParams(path.params(), net.params());
  assert.equal(copied.length, net.params().length);
  assert.equal(countParams(path.params()), countParams(net.params()));
  const x = tf.randomNormal([3, 8, 8, 3], 0, 1, "float32", 5) as tf.Tensor4D;
  const y = tf.tensor1d([0, 4, 2], "int32");
  const a = path.forward(x, { training: true }).arraySync() as number[][];
  const b = net.forward(x, { training: true }).arraySync() as number[][];
  a.flat().forEach((v, i) =>
    assert.ok(Math.abs(v - b.flat()[i]) < 1e-5, `logit ${i}: ${v} vs ${b.flat()[i]}`)
  );
  const ga = tf.variableGrads(
    () => path.loss(path.forward(x, { training: true }), y),
    path.params().map((p) => p.variable),
  );
  const gb = tf.variableGrads(
    () => net.loss(net.forward(x, { training: true }), y),
    net.params().map((p) => p.variable),
  );
  const byName = new Map(net.params().map((p) => [p.name, gb.grads[p.variable.name]]));
  for (const p of path.params()) {
    const g1 = ga.grads[p.variable.name].dataSync(), g2 = byName.get(p.name)!.dataSync();
    g1.forEach((v, i) => assert.ok(Math.abs(v - g2[i]) < 1e-5, `${p.name}[${i}]`));
  }
  tf.dispose([x, y, ga.value, gb.value, ...Object.values(ga.grads), ...Object.values(gb.grads)]);
  net.dispose();
  supernet.dispose();
});

Deno.test("the supernet holds all five ops on every edge and a path uses only its own", () => {
  const supernet = new Nb201Supernet({ C: 4, N: 1, classes: 10 }, createRng(2));
  const none = supernet.path("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|");
  const conv = supernet.path("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|");
  // supernet BN is non-affine by default only when asked; default here is affine with no running stats
  assert.equal(countParams(conv.params()) - countParams(none.params()), 3080);
  // 6 edges × (3x3 + 1x1) in each of 3 cells on top of the shared skeleton
  assert.equal(countParams(supernet.allParams()), countParams(none.params()) + 6 * (3080 + 392));
  supernet.dispose();
});

Deno.test("a disconnected cell outputs zeros and the network still runs", () => {
  const net = new Nb201Network("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|", {
    C: 4,
    N: 1,
    classes: 3,
  }, createRng(3));
  const x = tf.randomNormal([2, 8, 8, 3], 0, 1, "float32", 7) as tf.Tensor4D;
  const logits = net.forward(x, { training: false }).arraySync() as number[][];
  // every cell outputs zeros → the head sees constant features, so both images get equal logits
  logits[0].forEach((v, i) => assert.ok(Math.abs(v - logits[1][i]) < 1e-6));
  tf.dispose(x);
  net.dispose();
});

Deno.test("forward passes leak no tensors", () => {
  const net = new Nb201Network(REFERENCE, { C: 4, N: 1, classes: 10 }, createRng(4));
  const x = tf.randomNormal([2, 8, 8, 3], 0, 1, "float32", 7) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) net.forward(x, { training: true }).dispose();
  assert.equal(tf.memory().numTensors, before);
  tf.dispose(x);
  net.dispose();
});

Deno.test("a dead node's convs run on zeros as in NAS-Bench-201 (their BN adds β); pruneDeadNodes skips them", () => {
  // node 1 receives only `none`, so edge 2 (node 1 → node 2) runs ReLU-conv-BN on zeros
  const arch = "|none~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|";
  const x = tf.randomNormal([4, 8, 8, 3], 0, 1, "float32", 11) as tf.Tensor4D;
  const y = tf.tensor1d([0, 1, 2, 0], "int32");
  const betaGrad = (pruneDeadNodes: boolean) => {
    const net = new Nb201Network(arch, { C: 4, N: 1, classes: 3, pruneDeadNodes }, createRng(5));
    const beta = net.params().find((p) => p.name === "cells.0.e2.nor_conv_3x3.bn.beta/bias")!;
    const relus: string[] = [];
    const { value, grads } = tf.variableGrads(
      () => net.loss(net.forward(x, { training: true, tap: (p, t) => (relus.push(p.name), t) }), y),
      net.params().map((p) => p.variable),
    );
    const g = Array.from(grads[beta.variable.name]?.dataSync() ?? [0, 0, 0, 0]); // pruned: not on the tape
    tf.dispose([value, ...Object.values(grads)]);
    net.dispose();
    return { g, tapped: relus.includes("cells.0.e2.nor_conv_3x3.conv.relu") };
  };
  const run = betaGrad(false), pruned = betaGrad(true);
  assert.ok(run.tapped && !pruned.tapped);
  assert.ok(run.g.some((v) => Math.abs(v) > 1e-4), `β gradient ${run.g}`);
  assert.deepEqual(pruned.g, [0, 0, 0, 0]);
  tf.dispose([x, y]);
});

Deno.test("flops counts pools and the convs after a dead node as NASLib's torchstat does (hand-counted, C=4, N=1, 8×8)", async () => {
  const { flopsProxy } = await import("../../proxies/flops.ts");
  const x = tf.zeros([1, 8, 8, 3]) as tf.Tensor4D, y = tf.tensor1d([0], "int32");
  const flops = async (arch: string): Promise<number> => {
    const net = new Nb201Network(arch, { C: 4, N: 1, classes: 10 }, createRng(0));
    const v = (await flopsProxy(net, [{ x, y }])).value * 1e6;
    net.dispose();
    return Math.round(v);
  };
  const none = await flops("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|");
  // one avg_pool_3x3 per cell: C·H·W·9 at (4, 8×8), (8, 4×4), (16, 2×2)
  assert.equal(
    (await flops("|avg_pool_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|")) - none,
    2304 + 1152 + 576,
  );
  // a 1×1 conv on dead node 1: ReLU c·HW + conv c²·HW + BN 2c·HW per cell
  assert.equal(
    (await flops("|none~0|+|none~0|nor_conv_1x1~1|+|none~0|none~1|none~2|")) - none,
    1792 + 1408 + 1216,
  );
  tf.dispose([x, y]);
});

Deno.test("chain(): stem, one stage per cell/block, head; composed, they are forward (same logits, C=4, N=1)", () => {
  const net = new Nb201Network(REFERENCE, { C: 4, N: 1, classes: 10 }, createRng(5));
  const sn = new Nb201Supernet({ C: 4, N: 1, classes: 10 }, createRng(6));
  const rng = createRng(7);
  const x = tf.tensor4d(Float32Array.from({ length: 2 * 8 * 8 * 3 }, () => rng.normal()), [2, 8, 8, 3]);
  for (const n of [net, sn.path(REFERENCE)]) {
    const stages = n.chain!({ training: false });
    assert.equal(stages.length, 1 + 5 + 1); // 3 cells and 2 blocks between stem and head
    const shapes: number[][] = [];
    const composed = tf.tidy(() =>
      stages.reduce((h, stage) => {
        const out = stage(h);
        shapes.push(out.shape);
        return out;
      }, x as tf.Tensor)
    );
    assert.deepEqual(shapes.slice(0, 2), [[2, 8, 8, 4], [2, 8, 8, 4]]);
    assert.deepEqual(shapes.slice(-2), [[2, 2, 2, 16], [2, 10]]);
    const logits = n.forward(x, { training: false });
    assert.deepEqual(Array.from(composed.dataSync()), Array.from(logits.dataSync()));
    tf.dispose([composed, logits]);
  }
  tf.dispose(x);
  net.dispose();
  sn.dispose();
});

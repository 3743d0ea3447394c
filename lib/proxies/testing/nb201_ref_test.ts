import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { initBackend } from "../../backend.ts";
import { createRng } from "../../rng.ts";
import { archOps, Nb201Network } from "../../spaces/nb201/network.ts";
import { refParamsOf, refRunningStatsOf } from "./tf_twins.ts";
import {
  nb201BackwardFrom,
  nb201HessianVectorProduct,
  nb201LossAndGradients,
  nb201ReluInputTaps,
} from "./nb201_ref.ts";
import { nb201Blocks } from "./nb201_since_sigeo_ref.ts";

await initBackend({ quiet: true });

/** Cells with pools and skips, a dead node, and `none` edges without one, both dead-node modes. */
const CASES: Array<[string, boolean]> = [
  ["|avg_pool_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|nor_conv_3x3~0|avg_pool_3x3~1|skip_connect~2|", false],
  ["|none~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|", false],
  ["|none~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|", true],
  ["|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|none~0|none~1|nor_conv_3x3~2|", false],
];

for (const [arch, pruneDeadNodes] of CASES) {
  Deno.test(`the float64 NB201 net matches the tfjs net's loss and gradients: ${arch}${pruneDeadNodes ? " (pruned)" : ""}`, () => {
    const n = 4, px = 8;
    const net = new Nb201Network(arch, { C: 4, N: 1, classes: 5, pruneDeadNodes }, createRng(3));
    const rng = createRng(9);
    const x = Float32Array.from({ length: n * px * px * 3 }, () => rng.normal());
    const y = Int32Array.from([0, 3, 1, 4]);
    const want = nb201LossAndGradients(
      { arch: "nb201", ops: archOps(arch), C: 4, N: 1, classes: 5, height: px, width: px, pruneDeadNodes },
      refParamsOf(net),
      { n, x: Float64Array.from(x), y: Float64Array.from(y) },
    );
    const xt = tf.tensor4d(x, [n, px, px, 3]), yt = tf.tensor1d(y, "int32");
    const vars = net.params().map((p) => p.variable);
    const { value, grads } = tf.variableGrads(() => net.loss(net.forward(xt, { training: true }), yt), vars);
    assert.ok(Math.abs(value.dataSync()[0] - want.loss) < 1e-5);
    net.params().forEach((p, i) => {
      const got = grads[p.variable.name]?.dataSync() ?? new Float32Array(want.grads[i].length); // pruned: unused
      const scale = Math.max(1e-3, ...want.grads[i].map(Math.abs));
      got.forEach((v, j) => assert.ok(Math.abs(v - want.grads[i][j]) <= 1e-4 * scale, `${p.name}[${j}]`));
    });
    tf.dispose([xt, yt, value, ...Object.values(grads)]);
    net.dispose();
  });
}

Deno.test("the float64 NB201 Hessian-vector product is symmetric: ⟨u, Hv⟩ = ⟨v, Hu⟩", () => {
  const arch = CASES[0][0];
  const net = new Nb201Network(arch, { C: 2, N: 1, classes: 3 }, createRng(4));
  const params = refParamsOf(net);
  net.dispose();
  const rng = createRng(2);
  const spec = { arch: "nb201" as const, ops: archOps(arch), C: 2, N: 1, classes: 3, height: 4, width: 4 };
  const batch = {
    n: 3,
    x: Float64Array.from({ length: 3 * 16 * 3 }, () => rng.normal()),
    y: Float64Array.from([0, 2, 1]),
  };
  const u = params.map((p) => p.value.map(() => rng.normal()));
  const v = params.map((p) => p.value.map(() => rng.normal()));
  const dot = (a: Float64Array[], b: Float64Array[]) =>
    a.reduce((s, t, i) => s + t.reduce((q, e, j) => q + e * b[i][j], 0), 0);
  const hv = nb201HessianVectorProduct(spec, params, batch, v).hv;
  const hu = nb201HessianVectorProduct(spec, params, batch, u).hv;
  const a = dot(u, hv), b = dot(v, hu);
  assert.ok(Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a)), `${a} vs ${b}`);
});

Deno.test("the float64 NB201 net follows given ReLU masks: its own change nothing, one flipped pixel moves every upstream gradient", () => {
  const arch =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|";
  const net = new Nb201Network(arch, { C: 2, N: 1, classes: 3 }, createRng(5));
  const params = refParamsOf(net);
  net.dispose();
  const rng = createRng(6);
  const spec = { arch: "nb201" as const, ops: archOps(arch), C: 2, N: 1, classes: 3, height: 8, width: 8 };
  const batch = {
    n: 2,
    x: Float64Array.from({ length: 2 * 64 * 3 }, () => rng.normal()),
    y: Float64Array.from([0, 2]),
  };
  const free = nb201LossAndGradients(spec, params, batch);
  const own = new Map(
    nb201ReluInputTaps(free.taps).map((k) => [k, Uint8Array.from(free.taps.get(k)!, (v) => (v > 0 ? 1 : 0))]),
  );
  const same = nb201LossAndGradients(spec, params, batch, { reluMasks: own });
  same.grads.forEach((g, i) => assert.deepEqual(g, free.grads[i]));
  // the ReLU input nearest zero in the last ResNet block, let through (as a float32 pass may)
  const name = "cells.3.a.conv.relu", v = free.taps.get(name)!;
  let p = 0;
  v.forEach((e, i) => (Math.abs(e) < Math.abs(v[p]) ? (p = i) : 0));
  const flipped = new Map(own).set(name, own.get(name)!.map((m, i) => (i === p ? 1 - m : m)));
  const moved = nb201LossAndGradients(spec, params, batch, { reluMasks: flipped });
  const rel = (layer: string) => {
    const i = params.findIndex((q) => q.name === `${layer}/weight`);
    const a = moved.grads[i], b = free.grads[i];
    return Math.sqrt(a.reduce((s, e, j) => s + (e - b[j]) ** 2, 0) / b.reduce((s, e) => s + e * e, 0));
  };
  for (const layer of ["stem.conv", "cells.0.e0.nor_conv_3x3.conv", "cells.2.e5.nor_conv_3x3.conv"]) {
    assert.ok(rel(layer) > 1e-2, `${layer}: ${rel(layer)}`);
  }
  assert.deepEqual(moved.taps.get(name), v); // the forward up to the flipped ReLU is the same
  assert.throws(
    () => nb201LossAndGradients(spec, params, batch, { reluMasks: new Map([[name, new Uint8Array(3)]]) }),
    /Expected a ReLU mask of 128 values for 'cells.3.a.conv.relu', got 3/,
  );
});

Deno.test("the float64 NB201 net in eval mode (given running statistics) matches the tfjs net's eval-mode loss and gradients", () => {
  const arch = CASES[1][0], n = 3, px = 8;
  const net = new Nb201Network(arch, { C: 4, N: 1, classes: 5 }, createRng(7));
  const rng = createRng(8);
  // running statistics away from their initial 0 and 1, so that they matter
  for (const [i, v] of net.state().entries()) {
    const t = tf.tensor(
      Float32Array.from({ length: v.size }, () => (i % 2 ? 0.5 + rng.next() : rng.normal())),
    );
    v.assign(t);
    t.dispose();
  }
  const running = refRunningStatsOf(net);
  assert.equal(running.size, net.params().filter((p) => p.role === "norm").length);
  const x = Float32Array.from({ length: n * px * px * 3 }, () => rng.normal());
  const y = Int32Array.from([4, 0, 2]);
  const spec = { arch: "nb201" as const, ops: archOps(arch), C: 4, N: 1, classes: 5, height: px, width: px };
  const want = nb201LossAndGradients(spec, refParamsOf(net), {
    n,
    x: Float64Array.from(x),
    y: Float64Array.from(y),
  }, { bnRunning: running });
  const train = nb201LossAndGradients(spec, refParamsOf(net), {
    n,
    x: Float64Array.from(x),
    y: Float64Array.from(y),
  });
  assert.ok(Math.abs(train.loss - want.loss) > 1e-3, "eval and training mode give different losses");
  const xt = tf.tensor4d(x, [n, px, px, 3]), yt = tf.tensor1d(y, "int32");
  const vars = net.params().map((p) => p.variable);
  const { value, grads } = tf.variableGrads(() => net.loss(net.forward(xt, { training: false }), yt), vars);
  assert.ok(Math.abs(value.dataSync()[0] - want.loss) < 1e-5, `${value.dataSync()[0]} vs ${want.loss}`);
  net.params().forEach((p, i) => {
    const got = grads[p.variable.name].dataSync();
    const scale = Math.max(1e-3, ...want.grads[i].map(Math.abs));
    got.forEach((v, j) => assert.ok(Math.abs(v - want.grads[i][j]) <= 1e-4 * scale, `${p.name}[${j}]`));
  });
  assert.throws(
    () =>
      nb201LossAndGradients(spec, refParamsOf(net), { n, x: Float64Array.from(x), y: Float64Array.from(y) }, {
        bnRunning: new Map(),
      }),
    /Expected running statistics of 4 channels for BN layer 'stem.bn'/,
  );
  tf.dispose([xt, yt, value, ...Object.values(grads)]);
  net.dispose();
});

Deno.test("a gradient seeded at an NB201 block output gives ∂⟨f, g⟩/∂(the block before), as tfjs through an added zero", () => {
  const arch = CASES[0][0], n = 2, px = 8;
  const net = new Nb201Network(arch, { C: 2, N: 1, classes: 3 }, createRng(11));
  const spec = { arch: "nb201" as const, ops: archOps(arch), C: 2, N: 1, classes: 3, height: px, width: px };
  const blocks = nb201Blocks(spec);
  assert.deepEqual(blocks.map((b) => `${b.name} ${b.h}×${b.w}×${b.c}`), [
    "stem 8×8×2",
    "cells.0 8×8×2",
    "cells.1 4×4×4",
    "cells.2 4×4×4",
    "cells.3 2×2×8",
    "cells.4 2×2×8",
  ]);
  const rng = createRng(12);
  const x = Float32Array.from({ length: n * px * px * 3 }, () => rng.normal());
  // block 2 (the first ResNet block, stride 2) seeded, its input block 1 read
  const g = Float64Array.from({ length: n * 4 * 4 * 4 }, () => rng.normal());
  const r = nb201BackwardFrom(spec, refParamsOf(net), Float64Array.from(x), n, new Float64Array(n * 3), {
    tapGrads: new Map([["cells.1", g]]),
  });
  const xt = tf.tensor4d(x, [n, px, px, 3]), gt = tf.tensor4d(Float32Array.from(g), [n, 4, 4, 4]);
  const got = tf.grad((z: tf.Tensor) => {
    let out: tf.Tensor | null = null;
    net.forward(xt, {
      training: true,
      tap: (p, t) => {
        if (p.kind !== "block-output") return t;
        if (p.name === "cells.0") return tf.add(t, z);
        if (p.name === "cells.1") out = t;
        return t;
      },
    });
    return tf.sum(tf.mul(out!, gt));
  })(tf.zeros([n, px, px, 2])).dataSync();
  const want = r.dTaps.get("cells.0")!;
  const scale = Math.max(...want.map(Math.abs));
  assert.ok(scale > 1e-3);
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1e-4 * scale, `[${i}] ${v} vs ${want[i]}`));
  assert.throws(
    () =>
      nb201BackwardFrom(spec, refParamsOf(net), Float64Array.from(x), n, new Float64Array(n * 3), {
        tapGrads: new Map([["cells.1", new Float64Array(3)]]),
      }),
    /Cannot seed the gradient of tap 'cells.1': expected a tap of 3 values/,
  );
  tf.dispose([xt, gt]);
  net.dispose();
});

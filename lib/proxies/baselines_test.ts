/**
 * The zero-cost baselines on NB201 supernet paths (C = 4, N = 1, 8×8 images, batch 8): no leaked
 * tensors over 50 candidates and the supernet unchanged, determinism, a zero classifier (no gradient
 * reaches any other layer; hand-computed values), NaN inputs, nets without taps, and the
 * second-order machinery of grasp (registered gradients are adjoints; the Hessian is symmetric on
 * a path with every op kind; tfjs state restored).
 */
import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { initBackend } from "../backend.ts";
import { createRng } from "../rng.ts";
import type { Batch, Net } from "../nn/net.ts";
import { Nb201Supernet } from "../spaces/nb201/network.ts";
import { sampleArch } from "../spaces/nb201/space.ts";
import { BN_TRAIN_KERNEL } from "../kernels/wasm.ts";
import { getProxy } from "./registry.ts";
import { gradNormProxy } from "./grad_norm.ts";
import { fisherProxy } from "./fisher.ts";
import { hessianVectorProduct, withSecondOrder } from "./second_order.ts";
import { zenProxy } from "./zen.ts";
import { selectParams } from "./proxy.ts";

await initBackend({ quiet: true });

const BASELINES = [
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
];
const DATA_FREE = new Set(["synflow", "zen", "l2_norm", "params", "flops"]);
const CFG = { C: 4, N: 1, classes: 10 };
/** every op kind on a connected path: 3×3 and 1×1 convs, pool, skip */
const ALL_OPS = [3, 2, 4, 1, 3, 2];

function batch(seed: number): Batch {
  const rng = createRng(seed);
  return {
    x: tf.tensor4d(Float32Array.from({ length: 8 * 8 * 8 * 3 }, () => rng.normal()), [8, 8, 8, 3]),
    y: tf.tensor1d(Array.from({ length: 8 }, () => rng.int(4)), "int32"),
  };
}

function snapshot(params: { variable: tf.Variable }[]): Float32Array[] {
  return params.map((p) => Float32Array.from(p.variable.dataSync()));
}

Deno.test("scoring 50 NB201 candidates with every baseline leaks no tensor and leaves the supernet unchanged", async () => {
  const sn = new Nb201Supernet(CFG, createRng(1));
  const b = batch(2);
  const rng = createRng(3);
  for (const name of BASELINES) await getProxy(name)(sn.path(ALL_OPS), [b]); // first calls register gradients
  const before = snapshot(sn.allParams());
  const tensors = tf.memory().numTensors;
  const nonFinite: string[] = [];
  for (let i = 0; i < 50; i++) {
    const arch = sampleArch(rng);
    for (const name of BASELINES) {
      const v = (await getProxy(name)(sn.path(arch), [b])).value;
      if (!Number.isFinite(v)) nonFinite.push(`${arch.join("")} ${name} ${v}`);
    }
  }

  assert.equal(tf.memory().numTensors, tensors);
  assert.deepEqual(snapshot(sn.allParams()), before);
  // these 50 paths all reach the output: every score is a number
  assert.deepEqual(nonFinite, []);
  tf.dispose([b.x, b.y]);
  sn.dispose();
});

Deno.test("NB201 paths tap every conv/linear output, each ReLU input and the pooled map; bypassNorm drops BN", () => {
  const sn = new Nb201Supernet(CFG, createRng(15));
  const net = sn.path(ALL_OPS);
  const b = batch(16);
  const seen: string[] = [];
  const logits = net.forward(b.x as tf.Tensor4D, {
    training: true,
    tap: (pt, t) => {
      seen.push(`${pt.kind} ${pt.name} ${t.shape.slice(1)}`);
      return t;
    },
  });
  const layers = selectParams(net, "conv-linear-weights").map((p) => p.layer);
  const outputs = seen.filter((e) => e.startsWith("layer-output")).map((e) => e.split(" ")[1]);
  assert.deepEqual([...outputs].sort(), [...layers].sort());
  const relus = seen.filter((e) => e.startsWith("relu-input")).map((e) => e.split(" ")[1]);
  const convs = layers.filter((l) => l !== "stem.conv" && l !== "classifier" && !l.endsWith(".down"));
  assert.deepEqual(relus.sort(), [...convs.map((l) => `${l}.relu`), "lastact.relu"].sort());
  assert.deepEqual(seen.filter((e) => e.startsWith("features")), ["features lastact 2,2,16"]);
  // without BN no gradient reaches γ, β, and the logits change
  const norms = net.params().filter((p) => p.kind === "norm").map((p) => p.variable);
  const bypass = tf.variableGrads(
    () => net.loss(net.forward(b.x as tf.Tensor4D, { training: true, bypassNorm: true }), b.y),
    [...norms, ...selectParams(net, "conv-linear-weights").map((p) => p.variable)],
  );
  assert.ok(norms.every((v) => !bypass.grads[v.name]));
  const plainLogits = net.forward(b.x as tf.Tensor4D, { training: true, bypassNorm: true });
  assert.ok(tf.tidy(() => tf.max(tf.abs(tf.sub(plainLogits, logits))).dataSync()[0]) > 1e-3);
  tf.dispose([logits, plainLogits, bypass.value, ...Object.values(bypass.grads), b.x, b.y]);
  sn.dispose();
});

Deno.test("same seed, same scores; zen's seed changes zen only", async () => {
  const scores = async () => {
    const sn = new Nb201Supernet(CFG, createRng(4));
    const b = batch(5);
    const out: number[] = [];
    for (const a of [[0, 3, 1, 4, 2, 3], ALL_OPS]) {
      for (const n of BASELINES) out.push((await getProxy(n)(sn.path(a), [b])).value);
    }
    const z = (await zenProxy(sn.path(ALL_OPS), [b], { seed: 9 })).value;
    tf.dispose([b.x, b.y]);
    sn.dispose();
    return { out, z };
  };
  const a = await scores(), b = await scores();
  assert.deepEqual(a.out, b.out);
  assert.equal(a.z, b.z);
  assert.ok(a.out.every(Number.isFinite), `${a.out}`);
  assert.notEqual(a.z, a.out[BASELINES.length + BASELINES.indexOf("zen")]);
});

Deno.test("a zero classifier: no gradient reaches the convs; hand-computed grad_norm and fisher", async () => {
  const sn = new Nb201Supernet(CFG, createRng(6));
  const net = sn.path(ALL_OPS);
  const cls = net.params().filter((p) => p.layer === "classifier");
  const w = cls.find((p) => p.role === "weight")!.variable;
  const bias = Float64Array.from(cls.find((p) => p.role === "bias")!.variable.dataSync());
  w.assign(tf.zerosLike(w));
  const b = batch(7);
  const labels = Array.from(b.y.dataSync());
  // logits = bias for every example: ∂L/∂logits_n = (softmax(bias) − onehot(y_n)) / n
  const z = Math.max(...bias), e = bias.map((v) => Math.exp(v - z)), sum = e.reduce((s, v) => s + v, 0);
  const p = e.map((v) => v / sum);
  const n = labels.length;
  let fisher = 0;
  for (let k = 0; k < 10; k++) {
    let f = 0;
    for (const y of labels) f += 0.5 * (bias[k] * (p[k] - (y === k ? 1 : 0)) / n) ** 2 / n;
    fisher += 16 * f; // fan-in of the classifier: 4C = 16
  }
  assert.ok(Math.abs((await fisherProxy(net, [b])).value - fisher) <= 1e-5 * fisher);
  // grad_norm = ‖pooled featuresᵀ·∂L/∂logits‖ alone: compare with tf on the classifier only
  const gw = tf.tidy(() =>
    tf.grad((v: tf.Tensor) => net.loss(tf.add(tf.matMul(pooled(net, b.x), v), Array.from(bias)), b.y))(w)
  );
  const gn = Math.sqrt(tf.sum(tf.square(gw)).dataSync()[0]);
  assert.ok(
    Math.abs((await gradNormProxy(net, [b])).value - gn) <= 1e-5 * gn,
    `${(await gradNormProxy(net, [b])).value} vs ${gn}`,
  );
  assert.equal((await getProxy("plain")(net, [b])).value, 0);
  assert.equal((await getProxy("snip")(net, [b])).value, 0);
  assert.ok(Number.isFinite((await getProxy("grasp")(net, [b])).value));
  // the output does not depend on the input: Jacobian 0, corrcoef undefined → NaN (Samsung's nan)
  assert.ok(Number.isNaN((await getProxy("jacov")(net, [b])).value));
  // |W| = 0 on the classifier: every path to the output carries 0 → synflow 0 → log −∞
  assert.equal((await getProxy("synflow")(net, [b])).value, -Infinity);
  tf.dispose([gw, b.x, b.y]);
  sn.dispose();
});

/** The pooled features (input of the classifier) via the `features` tap. */
function pooled(net: Net, x: tf.Tensor): tf.Tensor2D {
  let f: tf.Tensor | null = null;
  tf.tidy(() =>
    void net.forward(x, {
      training: true,
      tap: (pt, t) => {
        if (pt.kind === "features") f = tf.keep(tf.mean(t, [1, 2]));
        return t;
      },
    })
  );
  return f! as tf.Tensor2D;
}

Deno.test("NaN inputs give NaN data-dependent scores (no throw, no 0); data-free ones stay finite", async () => {
  const sn = new Nb201Supernet(CFG, createRng(8));
  const b = batch(9);
  const nan = { x: tf.fill(b.x.shape, NaN), y: b.y };
  for (const name of BASELINES) {
    const v = (await getProxy(name)(sn.path(ALL_OPS), [nan])).value;
    if (DATA_FREE.has(name)) assert.ok(Number.isFinite(v), `${name}: ${v}`);
    else assert.ok(Number.isNaN(v), `${name}: ${v}`);
  }
  tf.dispose([b.x, b.y, nan.x]);
  sn.dispose();
});

Deno.test("proxies that need taps or BN bypass refuse a net that does not declare them", async () => {
  const sn = new Nb201Supernet(CFG, createRng(10));
  const path = sn.path(ALL_OPS);
  const plain: Net = { params: path.params, forward: path.forward, loss: path.loss, state: path.state };
  const b = batch(11);
  for (const name of ["fisher", "nwot", "zen", "flops"]) {
    await assert.rejects(
      () => getProxy(name)(plain, [b]),
      (e) => e instanceof TypeError && /'tap'/.test(e.message),
      name,
    );
  }
  await assert.rejects(
    () => getProxy("synflow")(plain, [b]),
    (e) => e instanceof TypeError && /'bypassNorm'/.test(e.message),
  );
  for (const name of ["grad_norm", "grasp", "jacov", "epe_nas", "l2_norm", "params"]) {
    assert.ok(Number.isFinite((await getProxy(name)(plain, [b])).value), name);
  }
  await assert.rejects(
    () => getProxy("grasp")(path, []),
    (e) => e instanceof RangeError && /without a batch/.test(e.message),
  );
  tf.dispose([b.x, b.y]);
  sn.dispose();
});

Deno.test("grasp's second-order machinery: adjoint gradients, a symmetric Hessian, tfjs state restored", () => {
  withSecondOrder(() => {}); // registers the missing gradients
  const rng = createRng(12);
  const rand = (shape: number[]) =>
    tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
  const dot = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.sum(tf.mul(a, b)).dataSync()[0]);
  // Conv2DBackpropFilter(x, dy) is linear in dy: its registered dy-gradient must be its adjoint
  const x = rand([2, 6, 6, 3]), dy = rand([2, 3, 3, 4]), v = rand([3, 3, 3, 4]);
  const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [1, 1], [
    1,
    1,
  ], [0, 0]];
  const filt = (d: tf.Tensor) =>
    tf.engine().runKernel("Conv2DBackpropFilter", { x, dy: d }, {
      strides: [2, 2],
      pad,
      dataFormat: "NHWC",
      filterShape: [3, 3, 3, 4],
    }) as tf.Tensor;
  const adj = tf.grad((d: tf.Tensor) => tf.sum(tf.mul(filt(d), v)))(dy);
  close(dot(adj, dy), dot(filt(dy), v), "Conv2DBackpropFilter adjoint (dy)");
  const adjX = tf.grad((xx: tf.Tensor) =>
    tf.sum(tf.mul(
      tf.engine().runKernel("Conv2DBackpropFilter", { x: xx, dy }, {
        strides: [2, 2],
        pad,
        dataFormat: "NHWC",
        filterShape: [3, 3, 3, 4],
      }) as tf.Tensor,
      v,
    ))
  )(x);
  close(dot(adjX, x), dot(filt(dy), v), "Conv2DBackpropFilter adjoint (x)");
  // AvgPoolGrad is linear in dy: its registered gradient must be its adjoint ('same' padding too)
  const input = rand([2, 5, 5, 3]), g = rand([2, 5, 5, 3]), u = rand([2, 5, 5, 3]);
  const pool = (d: tf.Tensor) =>
    tf.engine().runKernel("AvgPoolGrad", { dy: d, input }, {
      filterSize: 3,
      strides: 1,
      pad: "same",
    }) as tf.Tensor;
  const adjPool = tf.grad((d: tf.Tensor) => tf.sum(tf.mul(pool(d), u)))(g);
  close(dot(adjPool, g), dot(pool(g), u), "AvgPoolGrad adjoint");
  tf.dispose([x, dy, v, adj, adjX, input, g, u, adjPool]);

  // ⟨u, Hv⟩ = ⟨v, Hu⟩ on a path with BN, strided/1×1/3×3 convs, pools and skips
  const sn = new Nb201Supernet(CFG, createRng(13));
  const net = sn.path(ALL_OPS);
  const b = batch(14);
  const vars = selectParams(net, "conv-linear-weights").map((p) => p.variable);
  const U = vars.map((w) => rand(w.shape)), V = vars.map((w) => rand(w.shape));
  const hu = hessianVectorProduct(net, b, vars, U), hv = hessianVectorProduct(net, b, vars, V);
  const uhv = V.reduce((s, _, i) => s + dot(U[i], hv[i]), 0),
    vhu = U.reduce((s, _, i) => s + dot(V[i], hu[i]), 0);
  close(uhv, vhu, "Hessian symmetry", 1e-4 * Math.max(Math.abs(uhv), 1e-3));
  assert.ok(Math.abs(uhv) > 1e-3, `⟨u, Hv⟩ = ${uhv}`);
  tf.dispose([...U, ...V, ...hu, ...hv, b.x, b.y]);
  sn.dispose();

  // the engine, the kernel registry and the stock gradients are back
  const engine = tf.engine() as unknown as Record<string, unknown>;
  assert.equal(Object.hasOwn(engine, "customGrad"), false);
  const fused = tf.getKernel(BN_TRAIN_KERNEL, tf.getBackend());
  const exp = tf.getGradient("Exp");
  withSecondOrder(() => assert.notEqual(tf.getGradient("Exp"), exp));
  assert.equal(tf.getGradient("Exp"), exp);
  assert.equal(tf.getKernel(BN_TRAIN_KERNEL, tf.getBackend()), fused);
  assert.throws(() =>
    withSecondOrder(() => {
      throw new Error("boom");
    }), /boom/);
  assert.equal(tf.getGradient("Exp"), exp);
  assert.equal(Object.hasOwn(engine, "customGrad"), false);
});

function close(got: number, want: number, what: string, tol = 1e-5 * Math.max(1, Math.abs(want))): void {
  assert.ok(Math.abs(got - want) <= tol, `${what}: ${got} vs ${want}`);
}

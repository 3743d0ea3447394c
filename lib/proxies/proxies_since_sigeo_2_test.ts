/**
 * VKDNW and TE-NAS (NTK condition number, linear regions): hand-computed values on one-layer nets,
 * the tfjs proxies against the float64 reference on the tiny MLP and conv net, the population
 * rankings, and a smoke run on the smallest NB201 path and a small NASRec model (finite values, no
 * leaked tensor, the net unchanged).
 */
import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { initBackend } from "../backend.ts";
import { createRng } from "../rng.ts";
import { BatchNorm, Conv2d, Linear } from "../nn/layers.ts";
import { ParamStore } from "../nn/param.ts";
import type { Batch, ForwardOptions, Net, TapPoint } from "../nn/net.ts";
import { Nb201Supernet } from "../spaces/nb201/network.ts";
import { standalone } from "../spaces/nasrec/supernet.ts";
import { sampleArch as sampleNasrec } from "../spaces/nasrec/space.ts";
import { disposeBatch, toBatch } from "../nn/recsys_batch.ts";
import {
  covarianceFactor,
  decileEntropy,
  denseRanks,
  pandasRanks,
  vkdnwAggregate,
  vkdnwFisher,
  vkdnwProxy,
  vkdnwSingle,
} from "./vkdnw.ts";
import { nanToNum, teNasLrProxy, teNasNtkProxy, teNasRanking } from "./te_nas.ts";
import { getProxy } from "./registry.ts";
import { readPaperTable } from "../report/paper.ts";
import {
  assignReference,
  close,
  CONV,
  type Loss,
  makeBatches,
  MLP,
  scaledParams,
  toTf,
  twinLoss,
} from "./testing/tf_twins.ts";
import type { RefParam, TinyNetSpec } from "./testing/tiny_nets.ts";
import { teNasLrRef, teNasNtkRef, vkdnwRef } from "./testing/proxies_since_sigeo_2_ref.ts";

await initBackend({ quiet: true });

/** The tiny nets with taps; BN ε configurable (ε = 0 makes eval-mode BN with fresh stats the identity). */
function twin(spec: TinyNetSpec, ref: RefParam[], loss: Loss, eps = 1e-5): Net & { dispose(): void } {
  const store = new ParamStore(createRng(0));
  const at = (o: ForwardOptions, kind: TapPoint["kind"], name: string, t: tf.Tensor) =>
    o.tap ? o.tap({ kind, name }, t) : t;
  let fwd: (x: tf.Tensor, o: ForwardOptions) => tf.Tensor;
  if (spec.arch === "mlp") {
    const fc1 = new Linear(store, "fc1", spec.inputs, spec.hidden);
    const fc2 = new Linear(store, "fc2", spec.hidden, spec.hidden);
    const fc3 = new Linear(store, "fc3", spec.hidden, spec.outputs);
    fwd = (x, o) =>
      fc3.apply(
        tf.relu(at(o, "relu-input", "r2", fc2.apply(tf.relu(at(o, "relu-input", "r1", fc1.apply(x)))))),
      );
  } else {
    const conv1 = new Conv2d(store, "conv1", spec.channels, spec.filters1, 3, 1, false);
    const bn1 = new BatchNorm(store, "bn1", spec.filters1, { eps });
    const conv2 = new Conv2d(store, "conv2", spec.filters1, spec.filters2, 3, 2, false);
    const fc = new Linear(store, "fc", spec.filters2, spec.outputs);
    fwd = (x, o) => {
      const h1 = tf.relu(
        at(o, "relu-input", "r1", bn1.apply(conv1.apply(x as tf.Tensor4D), o.training)),
      ) as tf.Tensor4D;
      return fc.apply(tf.mean(tf.relu(at(o, "relu-input", "r2", conv2.apply(h1))), [1, 2]));
    };
  }
  assignReference(store, ref);
  return {
    params: () => store.params(),
    forward: (x, o) => tf.tidy(() => fwd(x, o)),
    loss: twinLoss(loss),
    state: () => [...store.buffers().values()],
    supports: ["tap"],
    dispose: () => store.dispose(),
  };
}

/** z = x W with W given ([din, dout], no bias), a `relu-input` tap on z. */
function linearNet(w: number[][]): Net & { dispose(): void } {
  const store = new ParamStore(createRng(0));
  const v = store.add("fc", "linear", "weight", [w.length, w[0].length], { kind: "constant", value: 0 });
  const t = tf.tensor2d(w);
  v.assign(t);
  t.dispose();
  return {
    params: () => store.params(),
    forward: (x, o) =>
      tf.tidy(() => (o.tap
        ? o.tap({ kind: "relu-input", name: "fc" }, tf.matMul(x as tf.Tensor2D, v))
        : tf.matMul(x as tf.Tensor2D, v))
      ),
    loss: twinLoss("softmax-ce"),
    supports: ["tap"],
    dispose: () => store.dispose(),
  };
}

function values(net: Net): number[][] {
  return [...net.params().map((p) => p.variable), ...(net.state?.() ?? [])].map((v) =>
    Array.from(v.dataSync())
  );
}

Deno.test("covarianceFactor() is the official Cholesky factor: hand values for p = (½, ½) and LLᵀ = diag p − ppᵀ", () => {
  // q = (½, 0); d = (√(½·½/1), √(½·0/½)) = (½, 0); L21 = −p2/q1·d1 = −½ → L = [[½, 0], [−½, 0]]
  assert.deepEqual(Array.from(covarianceFactor([0.5, 0.5])), [0.5, 0, -0.5, 0]);
  const p = [0.2, 0.5, 0.3], L = covarianceFactor(p);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += L[i * 3 + k] * L[j * 3 + k];
      assert.ok(Math.abs(s - ((i === j ? p[i] : 0) - p[i] * p[j])) < 1e-15, `(${i},${j})`);
    }
  }
});

Deno.test("decileEntropy(): hand values (equal λ → ln 9; λ = 0…10 → Σ k/45·ln(45/k); all zero → 0)", () => {
  // deciles of 0,1,…,10 sit at positions 1…9 exactly: 1…9, Σ = 45; Σ_k (k/45)·ln(45/k) =
  // 2.0498407203926647, less ~1e-9 from the 1e-10 guards in t and in the log
  close(
    decileEntropy(Array.from({ length: 11 }, (_, i) => 10 - i)).entropy,
    2.0498407203926647,
    "0…10",
    1e-8,
  );
  close(decileEntropy([3, 3, 3]).entropy, Math.log(9), "equal", 1e-9);
  assert.equal(decileEntropy([0, 0, 0, 0]).entropy, 0);
  assert.ok(Number.isNaN(decileEntropy([1, NaN]).entropy));
});

Deno.test("vkdnwProxy() on z = xW, W = 0 (1×2): F = mean x²·(L11² + L21²) = 2.5·½ = 1.25 (twice the textbook Jᵀ Σ J)", async () => {
  // one tensor, its element W00: J_n = (x_n, 0); z = 0 → p = (½, ½) → L = [[½,0],[−½,0]];
  // (LJ)ᵀ(LJ) = x²(¼ + ¼); mean over x = (1, 2): 2.5·½ = 1.25 (textbook diag p − ppᵀ: 0.625)
  assert.deepEqual(
    Array.from(
      vkdnwFisher(
        [Float64Array.of(1, 0), Float64Array.of(2, 0)],
        [new Float64Array(2), new Float64Array(2)],
        1,
      ),
    ),
    [1.25],
  );
  const net = linearNet([[0, 0]]);
  const b: Batch = { x: tf.tensor2d([[1], [2]]), y: tf.tensor1d([0, 1]) };
  const s = await vkdnwProxy(net, [b], { input: "batch" });
  assert.equal(s.terms!.lambda_5, 1.25);
  // a single eigenvalue: t = 1.25/(9·1.25 + 1e-10), H = −9 t ln(t + 1e-10) = 2.1972245764…
  close(s.terms!.entropy, 2.1972245764255773, "H", 1e-9);
  assert.equal(s.terms!.dim, 1);
  close(s.value, vkdnwSingle(1, 2.1972245764255773), "value", 1e-9);
  tf.dispose([b.x, b.y]);
  net.dispose();
});

Deno.test("te_nas_ntk on z = x·w: Θ = [[1,1],[1,2]] for x = (1,0), (1,1) → κ = (3+√5)/(3−√5) = 6.8541…", async () => {
  // g_i = ∂z_i/∂w = x_i; Θ_ij = x_i·x_j; eigenvalues (3 ± √5)/2
  const net = linearNet([[0.3], [-0.7]]);
  const b: Batch = { x: tf.tensor2d([[1, 0], [1, 1]]), y: tf.tensor1d([0, 0]) };
  const s = await teNasNtkProxy(net, [b]);
  close(s.value, -6.854101966249686, "−κ", 1e-9);
  assert.equal(s.terms!.condition, -s.value);
  tf.dispose([b.x, b.y]);
  net.dispose();
});

Deno.test("te_nas_lr on h = x·I₂: patterns 11, 11, 01, 10, 00 → 4 linear regions", async () => {
  const net = linearNet([[1, 0], [0, 1]]);
  const b: Batch = {
    x: tf.tensor2d([[1, 1], [2, 3], [-1, 1], [1, -1], [-2, -2]]),
    y: tf.tensor1d([0, 0, 0, 0, 0]),
  };
  assert.equal((await teNasLrProxy(net, [b], { input: "batch" })).value, 4);
  tf.dispose([b.x, b.y]);
  net.dispose();
});

Deno.test("nanToNum() is numpy's nan_to_num(nan=1e5)", () => {
  assert.equal(nanToNum(NaN), 100000);
  assert.equal(nanToNum(Infinity), Number.MAX_VALUE);
  assert.equal(nanToNum(-Infinity), -Number.MAX_VALUE);
  assert.equal(nanToNum(2.5), 2.5);
});

for (const [label, spec] of [["MLP", MLP], ["conv net", CONV]] as const) {
  Deno.test(`vkdnw, te_nas_ntk and te_nas_lr equal the float64 reference on the tiny ${label}`, async () => {
    const ref = scaledParams(spec, 21);
    const [b0] = makeBatches(spec, "softmax-ce", 8, 1, 22);
    const tb = toTf(spec, b0, "softmax-ce");
    // VKDNW: eval-mode BN with fresh statistics and ε = 0 is the reference's identity (γ = 1, β = 0)
    const evalNet = twin(spec, ref, "softmax-ce", 0);
    const before = values(evalNet);
    for (const maxTensors of [128, 3]) {
      const got = await vkdnwProxy(evalNet, [tb], { input: "batch", maxTensors });
      const want = vkdnwRef(spec, ref, b0, { maxTensors });
      close(got.terms!.entropy, want.entropy, `vkdnw entropy (${maxTensors} tensors)`, 1e-5);
      close(got.value, want.value, `vkdnw value (${maxTensors} tensors)`, 1e-5);
    }
    assert.deepEqual(values(evalNet), before);
    evalNet.dispose();
    const net = twin(spec, ref, "softmax-ce");
    const kappa = teNasNtkRef(spec, ref, b0);
    // κ is a ratio of eigenvalues of a float32 Gram matrix: the small one carries float32 rounding
    close(-(await teNasNtkProxy(net, [tb])).value, kappa, "te_nas ntk κ", 1e-4);
    assert.equal(
      (await teNasLrProxy(net, [tb], { input: "batch" })).value,
      teNasLrRef(spec, ref, b0.x, b0.n),
    );
    tf.dispose([tb.x, tb.y]);
    net.dispose();
  });
}

Deno.test("the rankings: dense/average ranks, TE-NAS rank-sum, VKDNW_agg (hand values)", () => {
  assert.deepEqual(pandasRanks([3, 1, 3, 2]), [3.5, 1, 3.5, 2]);
  assert.deepEqual(denseRanks([3, 1, 3, 2]), [3, 1, 3, 2]);
  assert.deepEqual(pandasRanks([2, NaN, 1]).map(String), ["2", "NaN", "1"]);
  // ntk −κ: (−10, −2, −5) → ranks (1, 3, 2); lr (4, 4, 9) → (1.5, 1.5, 3)
  assert.deepEqual(teNasRanking([-10, -2, -5], [4, 4, 9]), [2.5, 4.5, 5]);
  // ℵ + H/(1 + ln 9) orders as the dense rank of (ℵ, H): (5, 2.1) < (6, 0) < (6, 0.3)
  assert.ok(vkdnwSingle(5, Math.log(9)) < vkdnwSingle(6, 0) && vkdnwSingle(6, 0) < vkdnwSingle(6, 0.3));
  // two nets; jacov NaN → the minimum (so tied): net 0 = ln1+ln2+ln1+ln1.5+ln2, net 1 = ln2+ln1+ln2+ln1.5+ln1
  const agg = vkdnwAggregate({
    vkdnw: [1, 2],
    expressivity: [5, 4],
    trainability: [0, 1],
    jacov: [NaN, -3],
    flops: [9, 8],
  });
  close(agg[0], Math.log(2) + Math.log(1.5) + Math.log(2), "agg 0", 1e-12);
  close(agg[1], Math.log(2) + Math.log(2) + Math.log(1.5), "agg 1", 1e-12);
  assert.throws(
    () => vkdnwAggregate({ vkdnw: [1], expressivity: [], trainability: [1], jacov: [1], flops: [1] }),
    /expressivity/,
  );
});

Deno.test("vkdnw, te_nas_ntk, te_nas_lr score the smallest NB201 path and a NASRec model: finite, no leak, net unchanged", async () => {
  const names = ["vkdnw", "te_nas_ntk", "te_nas_lr"];
  const sn = new Nb201Supernet({ C: 4, N: 1, classes: 10 }, createRng(1));
  const rng = createRng(2);
  const b: Batch = {
    x: tf.tensor4d(Float32Array.from({ length: 8 * 8 * 8 * 3 }, () => rng.normal()), [8, 8, 8, 3]),
    y: tf.tensor1d(Array.from({ length: 8 }, () => rng.int(10)), "int32"),
  };
  const path = sn.path([3, 2, 4, 1, 3, 2]);
  for (const n of names) await getProxy(n)(path, [b]); // first calls register kernels/gradients
  const before = sn.allParams().map((p) => Array.from(p.variable.dataSync()));
  let tensors = tf.memory().numTensors;
  for (const n of names) {
    const v = (await getProxy(n)(path, [b])).value;
    assert.ok(Number.isFinite(v), `NB201 ${n}: ${v}`);
  }
  assert.equal(tf.memory().numTensors, tensors);
  assert.deepEqual(sn.allParams().map((p) => Array.from(p.variable.dataSync())), before);
  tf.dispose([b.x, b.y]);
  sn.dispose();

  const layout = { name: "toy", numDense: 5, tableSizes: [7, 11, 5, 3] };
  const arch = sampleNasrec("autoctr", createRng(3), { numBlocks: 2 });
  const net = standalone(arch, layout, createRng(4));
  const r = createRng(5);
  const rb = toBatch({
    n: 6,
    numDense: 5,
    numSparse: 4,
    dense: Float32Array.from({ length: 30 }, () => r.normal()),
    sparse: Int32Array.from({ length: 24 }, (_, i) => r.int(layout.tableSizes[i % 4])),
    labels: Float32Array.from({ length: 6 }, () => r.int(2)),
  });
  const asNet = net as unknown as Net, batches = [rb as unknown as Batch];
  for (const n of names) await getProxy(n)(asNet, batches);
  tensors = tf.memory().numTensors;
  for (const n of names) {
    const v = (await getProxy(n)(asNet, batches)).value;
    assert.ok(Number.isFinite(v), `NASRec ${n}: ${v}`);
  }
  assert.equal(tf.memory().numTensors, tensors);
  disposeBatch(rb);
  net.dispose();
});

Deno.test("data/paper/proxies_since_sigeo_2.csv: VKDNW Table 1 values read back", () => {
  const df = readPaperTable("proxies_since_sigeo_2");
  assert.equal(df.height, 12); // vkdnw_single, vkdnw_agg, ℵ, te_nas × 3 datasets
  const rows = df.toRecords() as Record<string, unknown>[];
  const at = (proxy: string, dataset: string) =>
    rows.find((r) => r.proxy === proxy && r.dataset === dataset)!;
  assert.deepEqual([at("vkdnw_single", "cifar10").spearman, at("vkdnw_single", "cifar10").kendall], [
    0.815,
    0.618,
  ]);
  assert.deepEqual([at("vkdnw_agg", "ImageNet16-120").spearman, at("vkdnw_agg", "ImageNet16-120").kendall], [
    0.906,
    0.743,
  ]);
  assert.deepEqual([at("te_nas", "cifar100").spearman, at("te_nas", "cifar100").kendall], [0.723, 0.537]);
});

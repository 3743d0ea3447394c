import assert from "node:assert/strict";
import {
  backwardFrom,
  cloneParams,
  concatBatches,
  type ConvNetSpec,
  forward,
  hessianVectorProduct,
  lossAndGradients,
  type LossKind,
  lossValue,
  lossWithGradient,
  type MlpSpec,
  paramLayout,
  type RefParam,
  samePadding,
  tapNames,
  tapShapes,
  type TinyNetSpec,
} from "./tiny_nets.ts";
import { close, fdGradient, randomBatch, randomParams, relErr } from "./test_util.ts";

const MLP: MlpSpec = { arch: "mlp", inputs: 4, hidden: 5, outputs: 3 };
const CONV: ConvNetSpec = {
  arch: "conv",
  height: 5,
  width: 4,
  channels: 2,
  filters1: 3,
  filters2: 4,
  outputs: 3,
};
const CONV_SYM: ConvNetSpec = { ...CONV, height: 4, padding: "symmetric" };

const cases: [string, TinyNetSpec, LossKind][] = [
  ["mlp, softmax-ce", MLP, "softmax-ce"],
  ["mlp, sigmoid-bce", MLP, "sigmoid-bce"],
  ["conv (tf-same), softmax-ce", CONV, "softmax-ce"],
  ["conv (tf-same), sigmoid-bce", CONV, "sigmoid-bce"],
  ["conv (symmetric), softmax-ce", CONV_SYM, "softmax-ce"],
];

for (const [label, spec, loss] of cases) {
  Deno.test(`parameter gradients match central differences: ${label}`, () => {
    const params = randomParams(spec, 11);
    const batch = randomBatch(spec, 3, loss, 5);
    const g = lossAndGradients(spec, params, batch, loss).grads;
    const fd = fdGradient(params, () => lossValue(spec, params, batch, loss));
    const err = relErr(g, fd);
    assert.ok(err < 1e-6, `relative error ${err}`);
    assert.ok(g.every((v) => v.some((e) => e !== 0)), "every parameter gets a gradient");
  });

  Deno.test(`input gradient matches central differences: ${label}`, () => {
    const params = randomParams(spec, 12);
    const batch = randomBatch(spec, 2, loss, 6);
    const dx = lossAndGradients(spec, params, batch, loss).dx;
    const xp: RefParam = { name: "x", layer: "x", kind: "linear", role: "weight", shape: [], value: batch.x };
    const fd = fdGradient([xp], () => lossValue(spec, params, batch, loss));
    const err = relErr([dx], fd);
    assert.ok(err < 1e-6, `relative error ${err}`);
  });

  Deno.test(`Hessian-vector product matches differences of gradients: ${label}`, () => {
    const params = randomParams(spec, 13);
    const batch = randomBatch(spec, 3, loss, 7);
    const v = randomParams(spec, 99).map((p) => p.value);
    const { hv } = hessianVectorProduct(spec, params, batch, loss, v);
    const h = 1e-5;
    const shifted = (sign: number) => {
      const p = cloneParams(params);
      p.forEach((q, i) => q.value.forEach((_, j) => (q.value[j] += sign * h * v[i][j])));
      return lossAndGradients(spec, p, batch, loss).grads;
    };
    const up = shifted(1), down = shifted(-1);
    const fd = up.map((u, i) => u.map((e, j) => (e - down[i][j]) / (2 * h)));
    const err = relErr(hv, fd);
    assert.ok(err < 1e-6, `relative error ${err}`);
  });
}

Deno.test("TF 'same' padding: sizes and top/left padding by hand", () => {
  assert.deepEqual(samePadding(4, 2, "tf-same"), [2, 0]); // total (2−1)·2+3−4 = 1 → top 0, bottom 1
  assert.deepEqual(samePadding(5, 2, "tf-same"), [3, 1]); // total 2·2+3−5 = 2 → 1 and 1
  assert.deepEqual(samePadding(5, 1, "tf-same"), [5, 1]);
  assert.deepEqual(samePadding(4, 2, "symmetric"), [2, 1]);
  assert.deepEqual(samePadding(5, 2, "symmetric"), [3, 1]);
});

/** Conv net whose conv1 copies its single input channel (centre tap 1) and conv2 sums 3×3 windows. */
function windowSumNet(h: number, w: number, padding: "tf-same" | "symmetric"): [ConvNetSpec, RefParam[]] {
  const spec: ConvNetSpec = {
    arch: "conv",
    height: h,
    width: w,
    channels: 1,
    filters1: 1,
    filters2: 1,
    outputs: 1,
    padding,
  };
  const values = [
    Float64Array.from({ length: 9 }, (_, i) => (i === 4 ? 1 : 0)),
    Float64Array.of(1),
    Float64Array.of(0),
    new Float64Array(9).fill(1),
    Float64Array.of(2),
    Float64Array.of(0.5),
  ];
  return [spec, paramLayout(spec).map((m, i) => ({ ...m, value: values[i] }))];
}

Deno.test("conv net forward by hand: stride-2 TF 'same' pads bottom/right only", () => {
  const [spec, params] = windowSumNet(4, 4, "tf-same");
  const x = Float64Array.from({ length: 16 }, (_, i) => i + 1); // rows 1..4, 5..8, 9..12, 13..16
  const { taps, logits } = forward(spec, params, x, 1, { bnIdentity: true });
  assert.deepEqual([...taps.get("conv1")!], [...x]);
  // windows start at rows/cols 0 and 2: (0,0) = 1+2+3+5+6+7+9+10+11 = 54; (0,1) = 3+4+7+8+11+12 = 45;
  // (1,0) = 9+10+11+13+14+15 = 72; (1,1) = 11+12+15+16 = 54
  assert.deepEqual([...taps.get("conv2")!], [54, 45, 72, 54]);
  assert.deepEqual([...taps.get("gap")!], [225 / 4]);
  assert.deepEqual([...logits], [2 * 225 / 4 + 0.5]);
  // symmetric padding centres the windows on rows/cols 0 and 2 instead
  const [sspec, sparams] = windowSumNet(4, 4, "symmetric");
  const s = forward(sspec, sparams, x, 1, { bnIdentity: true }).taps.get("conv2")!;
  // (0,0) = 1+2+5+6 = 14; (0,1) = 2+3+4+6+7+8 = 30; (1,0) = 5+6+9+10+13+14 = 57; (1,1) = 6+7+8+10+11+12+14+15+16 = 99
  assert.deepEqual([...s], [14, 30, 57, 99]);
});

Deno.test("batch norm forward by hand: batch statistics, biased variance, eps 1e-5", () => {
  const [spec, params] = windowSumNet(1, 2, "tf-same");
  params[1].value[0] = 2; // γ
  params[2].value[0] = 0.5; // β
  // one example [1, 3]: mean 2, biased variance 1 → x̂ = ∓1/√(1 + 1e-5)
  const { taps } = forward(spec, params, Float64Array.of(1, 3), 1);
  const r = 1 / Math.sqrt(1 + 1e-5);
  const bn = taps.get("bn1")!;
  assert.ok(close(bn[0], -2 * r + 0.5, 1e-15) && close(bn[1], 2 * r + 0.5, 1e-15), `${bn}`);
  assert.deepEqual([...taps.get("relu1")!], [0, bn[1]]);
  // statistics span the batch: two examples [1, 3] and [5, 7] → mean 4, variance 5
  const two = forward(spec, params, Float64Array.of(1, 3, 5, 7), 2).taps.get("bn1")!;
  assert.ok(close(two[0], (2 * -3) / Math.sqrt(5 + 1e-5) + 0.5, 1e-15));
});

Deno.test("losses by hand: log k at zero logits, gradients softmax − onehot and σ − t over n·k", () => {
  const ce = lossWithGradient("softmax-ce", new Float64Array(6), Float64Array.of(0, 2), 2, 3);
  assert.ok(close(ce.loss, Math.log(3), 1e-15));
  assert.deepEqual(
    [...ce.dLogits].map((v) => +v.toFixed(12)),
    [-1 / 3, 1 / 6, 1 / 6, 1 / 6, 1 / 6, -1 / 3].map((v) => +v.toFixed(12)),
  );
  const bce = lossWithGradient(
    "sigmoid-bce",
    Float64Array.of(0, 0, 2, -1),
    Float64Array.of(1, 0, 1, 1),
    2,
    2,
  );
  const sp = (z: number) => Math.log1p(Math.exp(z));
  assert.ok(close(bce.loss, (Math.log(2) * 2 + sp(-2) + sp(1)) / 4, 1e-15));
  assert.ok(close(bce.dLogits[2], (1 / (1 + Math.exp(-2)) - 1) / 4, 1e-15));
  assert.throws(
    () => lossWithGradient("softmax-ce", new Float64Array(3), Float64Array.of(3), 1, 3),
    RangeError,
  );
  assert.throws(
    () => lossWithGradient("sigmoid-bce", new Float64Array(3), Float64Array.of(1), 1, 3),
    TypeError,
  );
});

Deno.test("taps: names, shapes and per-example gradients wrt the logits", () => {
  const params = randomParams(CONV, 3);
  const batch = randomBatch(CONV, 2, "softmax-ce", 3);
  const r = lossAndGradients(CONV, params, batch, "softmax-ce");
  assert.deepEqual([...r.taps.keys()], tapNames(CONV));
  const shapes = tapShapes(CONV);
  assert.deepEqual(shapes.conv1, [5, 4, 3]);
  assert.deepEqual(shapes.conv2, [3, 2, 4]);
  for (const [name, v] of r.taps) {
    assert.equal(v.length, 2 * shapes[name].reduce((a, b) => a * b, 1), name);
    assert.equal(r.dTaps.get(name)!.length, v.length, name);
  }
  assert.equal(r.taps.get("fc"), r.logits);
  // backwardFrom with the loss's logit gradient reproduces the loss's parameter gradients
  const d = lossWithGradient("softmax-ce", r.logits, batch.y, 2, 3).dLogits;
  const again = backwardFrom(CONV, params, batch.x, 2, d);
  assert.equal(relErr(again.grads, r.grads), 0);
  assert.ok(Number.isNaN(again.loss));
});

Deno.test("bnIdentity skips the normalisation", () => {
  const params = randomParams(CONV, 4);
  const batch = randomBatch(CONV, 2, "softmax-ce", 4);
  const t = forward(CONV, params, batch.x, 2, { bnIdentity: true }).taps;
  assert.equal(t.get("bn1"), t.get("conv1"));
  const g = lossAndGradients(CONV, params, batch, "softmax-ce", { bnIdentity: true }).grads;
  assert.ok(g[1].every((v) => v === 0) && g[2].every((v) => v === 0));
});

Deno.test("bad shapes and batch sizes are TypeErrors/RangeErrors", () => {
  const params = randomParams(MLP, 1);
  assert.throws(() => forward(MLP, params, new Float64Array(5), 1), TypeError);
  assert.throws(() => forward(MLP, params, new Float64Array(0), 0), RangeError);
  assert.throws(() => forward(MLP, params.slice(1), new Float64Array(4), 1), TypeError);
  assert.throws(() => forward(CONV, params, new Float64Array(40), 1), TypeError);
});

Deno.test("concatBatches joins inputs and labels in order", () => {
  const a = randomBatch(MLP, 2, "softmax-ce", 1), b = randomBatch(MLP, 1, "softmax-ce", 2);
  const c = concatBatches([a, b]);
  assert.equal(c.n, 3);
  assert.deepEqual([...c.x], [...a.x, ...b.x]);
  assert.deepEqual([...c.y], [...a.y, ...b.y]);
  assert.throws(() => concatBatches([]), RangeError);
});

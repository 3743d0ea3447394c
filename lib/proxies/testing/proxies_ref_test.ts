import assert from "node:assert/strict";
import { createRng } from "../../rng.ts";
import {
  epeNasRef,
  fisherRef,
  flopsRef,
  gradNormRef,
  graspRef,
  jacovRef,
  l2NormRef,
  nwotRef,
  paramsRef,
  plainRef,
  recsysScoringLr,
  sigeoCvRef,
  sigeoFisherRef,
  sigeoRecsysRef,
  sigeoRef,
  snipRef,
  synflowDirectRef,
  synflowRef,
  weightIndices,
  zenFromDraws,
  zenRef,
  zicoLayerSum,
  zicoRef,
} from "./proxies_ref.ts";
import {
  backwardFrom,
  cloneParams,
  type ConvNetSpec,
  forward,
  lossAndGradients,
  lossValue,
  type MlpSpec,
  paramLayout,
  type RefBatch,
  type RefParam,
  type TinyNetSpec,
} from "./tiny_nets.ts";
import * as linalg from "./linalg_ref.ts";
import { close, fdGradient, randomBatch, randomParams, relErr } from "./test_util.ts";

/** Parameters of `spec` from plain arrays, in layout order. */
function make(spec: TinyNetSpec, values: number[][]): RefParam[] {
  return paramLayout(spec).map((m, i) => ({ ...m, value: Float64Array.from(values[i]) }));
}

const f64 = (...v: number[]) => Float64Array.from(v);
const MLP2: MlpSpec = { arch: "mlp", inputs: 2, hidden: 2, outputs: 2 };
/** fc1 = fc2 = identity, fc3 = 0: with positive inputs a2 = x and only fc3 sees a gradient at first. */
const handParams = () => make(MLP2, [[1, 0, 0, 1], [0, 0], [1, 0, 0, 1], [0, 0], [0, 0, 0, 0], [0, 0]]);
const handBatches: RefBatch[] = [{ n: 1, x: f64(1, 2), y: f64(0) }, { n: 1, x: f64(3, 1), y: f64(0) }];

const CONV: ConvNetSpec = {
  arch: "conv",
  height: 5,
  width: 4,
  channels: 2,
  filters1: 3,
  filters2: 4,
  outputs: 3,
};
const MLP: MlpSpec = { arch: "mlp", inputs: 4, hidden: 5, outputs: 3 };

// ---------------------------------------------------------------- ZiCo

Deno.test("zicoLayerSum(): numpy std, torch std and the first-non-zero bug by hand", () => {
  // element 0: g = (1, 3): mean|g| 2, std 1 → 2; element 1: (−1, 1): 1/1 → 1; element 2: std 0 → dropped
  const g = [f64(1, -1, 0), f64(3, 1, 0)];
  assert.equal(zicoLayerSum(g), 3);
  assert.ok(close(zicoLayerSum(g, { ddof: 1 }), 3 / Math.SQRT2, 1e-15));
  assert.equal(zicoLayerSum(g, { firstNonzeroOnly: true }), 2);
  assert.equal(zicoLayerSum([f64(0, 5), f64(0, 5)]), 0);
  assert.throws(() => zicoLayerSum([f64(0, 5), f64(0, 5)], { firstNonzeroOnly: true }), RangeError);
});

Deno.test("zicoRef() by hand: a 2×2 final layer and 2 batches", () => {
  // With fc3 = 0 only fc3's weight gets a gradient; a2 = x; ∂L/∂z = (p − onehot) = (−½, ½) for label 0.
  // batch 1, x = (1, 2): g = x ⊗ (−½, ½) = [−½, ½, −1, 1]; batch 2, x = (3, 1): [−3/2, 3/2, −½, ½].
  // per element mean|g|/std: (−½, −3/2) → 1/½ = 2; (½, 3/2) → 2; (−1, −½) → ¾/¼ = 3; (1, ½) → 3.
  // fc1, fc2: zero gradients, zero std → S = 0, skipped. ZiCo = log(2 + 2 + 3 + 3) = log 10.
  assert.ok(close(zicoRef(MLP2, handParams(), handBatches), Math.log(10), 1e-15));
});

Deno.test("zicoRef() equals the layer sums of independently collected gradients (conv net)", () => {
  const params = randomParams(CONV, 1);
  const batches = [0, 1, 2, 3].map((s) => randomBatch(CONV, 3, "softmax-ce", s));
  const grads = batches.map((b) => lossAndGradients(CONV, params, b, "softmax-ce").grads);
  const want = [0, 3, 4].reduce((s, l) => s + Math.log(zicoLayerSum(grads.map((g) => g[l]))), 0);
  assert.ok(close(zicoRef(CONV, params, batches), want, 1e-14));
  assert.deepEqual(weightIndices(params), [0, 3, 4]);
  assert.throws(() => zicoRef(CONV, params, batches.slice(0, 1)), RangeError);
});

// ---------------------------------------------------------------- SiGeo cv

Deno.test("sigeoCvRef() by hand: gradients before each SGD(lr 1) step, θ after the last", () => {
  // Batch 1 (as in the ZiCo case) moves fc3 to W3 = [[½, −½], [1, −1]], b3 = (½, −½); fc1, fc2 unchanged.
  // Batch 2, x = (3, 1): logits (3, −3), s = σ(−6), ∂L/∂z = (−s, s):
  //   g(fc3) = [[−3s, 3s], [−s, s]]; ∂L/∂a2 = (−s, −2s) → g(fc2) = g(fc1) = [[−3s, −6s], [−s, −2s]].
  // ZiCo: fc1, fc2 have g = (0, v) → ratio 1 per element → S = 4 each;
  //   fc3: (−½, −3s), (½, 3s) → (½+3s)/(½−3s); (−1, −s), (1, s) → (1+s)/(1−s).
  // θ after step 2: W1 = W2 = [[1+3s, 6s], [s, 1+2s]], W3 = [[½+3s, −½−3s], [1+s, −1−s]];
  //   |⟨Σg, θ⟩|: fc1 = fc2 = 5s + 50s², fc3 = 2(½+3s)² + 2(1+s)².
  // loss = CE of (3, −3) with label 0 = log(1 + e⁻⁶).
  const s = 1 / (1 + Math.exp(6));
  const zico = 2 * Math.log(4) + Math.log(2 * (0.5 + 3 * s) / (0.5 - 3 * s) + 2 * (1 + s) / (1 - s));
  const fr = 2 * Math.log(2 * (5 * s + 50 * s * s) + 2 * (0.5 + 3 * s) ** 2 + 2 * (1 + s) ** 2 + 1e-5);
  const loss = Math.log1p(Math.exp(-6));
  const params = handParams();
  const r = sigeoCvRef(MLP2, params, handBatches);
  assert.ok(close(r.terms.zico, zico, 1e-14), `${r.terms.zico} vs ${zico}`);
  assert.ok(close(r.terms.fr, fr, 1e-14), `${r.terms.fr} vs ${fr}`);
  assert.ok(close(r.terms.loss, loss, 1e-14));
  assert.ok(close(r.value, zico + fr, 1e-14));
  const warm = sigeoCvRef(MLP2, params, handBatches, { warmedUp: true });
  assert.ok(close(warm.value, zico + 50 * fr - loss, 1e-14));
  const custom = sigeoCvRef(MLP2, params, handBatches, { lambdas: [2, 3, 4] });
  assert.ok(close(custom.value, 2 * zico + 3 * fr - 4 * loss, 1e-14));
  assert.deepEqual(params, handParams(), "the input parameters are unchanged");
});

Deno.test("sigeo presets leave the input parameters unchanged (conv net)", () => {
  const params = randomParams(CONV, 2);
  const before = cloneParams(params);
  const ce = [0, 1, 2, 3].map((s) => randomBatch(CONV, 2, "softmax-ce", s));
  const bce = [0, 1, 2, 3].map((s) => randomBatch(CONV, 2, "sigmoid-bce", s));
  const cv = sigeoCvRef(CONV, params, ce);
  assert.deepEqual(params, before);
  sigeoRecsysRef(CONV, params, bce, { finalLayerOnly: false });
  sigeoFisherRef(CONV, params, ce);
  assert.deepEqual(params, before);
  assert.ok(Number.isFinite(cv.value));
  // steps matter: the cv ZiCo term differs from ZiCo at fixed weights
  assert.ok(Math.abs(cv.terms.zico - zicoRef(CONV, params, ce)) > 1e-6);
  assert.deepEqual(sigeoRef("cv", CONV, params, ce), cv);
  assert.throws(() => sigeoRef("nope" as "cv", CONV, params, ce), RangeError);
});

// ---------------------------------------------------------------- SiGeo recsys

/**
 * NasRec-SiGeo on the final layer alone, written as logistic regression on a2 = x (fc1, fc2 are
 * identities and frozen): clipped gradients, Adagrad(ε 1e-2) with the scoring learning rates.
 */
function recsysByHand(batches: { x: [number, number]; t: number }[], firstOnly: boolean) {
  const theta = [0, 0, 0]; // w1, w2, b
  const state = [0, 0, 0];
  const grads: number[][] = [];
  let loss = NaN;
  batches.forEach(({ x, t }, b) => {
    const z = theta[0] * x[0] + theta[1] * x[1] + theta[2];
    loss = Math.max(z, 0) - z * t + Math.log1p(Math.exp(-Math.abs(z)));
    const dz = 1 / (1 + Math.exp(-z)) - t;
    let g = [x[0] * dz, x[1] * dz, dz];
    const norm = Math.hypot(...g);
    g = g.map((v) => v * Math.min(1, 5 / (norm + 1e-6)));
    grads.push(g);
    const lr = b === 0 ? 1e-8 : 1e-8 + (0.04 - 1e-8) * (b - 1) / 50;
    g.forEach((v, j) => {
      state[j] += v * v;
      theta[j] -= lr * v / (Math.sqrt(state[j]) + 1e-2);
    });
  });
  const B = grads.length;
  const ratio = (j: number) => {
    const col = grads.map((g) => g[j]);
    const mean = col.reduce((a, v) => a + v, 0) / B;
    const std = Math.sqrt(col.reduce((a, v) => a + (v - mean) ** 2, 0) / (B - 1));
    return col.reduce((a, v) => a + Math.abs(v), 0) / B / std;
  };
  const zico = Math.log(firstOnly ? ratio(0) : ratio(0) + ratio(1)) + Math.log(ratio(2));
  const acc = [0, 1, 2].reduce((a, j) => a + grads.reduce((s, g) => s + g[j], 0) * theta[j], 0);
  return { zico, fr: Math.log(Math.abs(acc) + 1e-10), loss };
}

Deno.test("sigeoRecsysRef() matches a logistic-regression transcription (final layer, clipping, Adagrad)", () => {
  const spec: MlpSpec = { arch: "mlp", inputs: 2, hidden: 2, outputs: 1 };
  const params = make(spec, [[1, 0, 0, 1], [0, 0], [1, 0, 0, 1], [0, 0], [0, 0], [0]]);
  // batch 1 has ‖g‖ = ‖(−3, −4, −½)‖ ≈ 5.02 > 5, so it is clipped
  const data: { x: [number, number]; t: number }[] = [
    { x: [6, 8], t: 1 },
    { x: [1, 2], t: 0 },
    { x: [2, 1], t: 1 },
    { x: [4, 3], t: 0 },
  ];
  const batches = data.map(({ x, t }) => ({ n: 1, x: f64(...x), y: f64(t) }));
  for (const bug of [true, false]) {
    const want = recsysByHand(data, bug);
    const r = sigeoRecsysRef(spec, params, batches, { firstNonzeroIndexingBug: bug });
    assert.ok(close(r.terms.zico, want.zico, 1e-12), `bug ${bug}: ${r.terms.zico} vs ${want.zico}`);
    assert.ok(close(r.terms.fr, want.fr, 1e-12), `bug ${bug}: ${r.terms.fr} vs ${want.fr}`);
    assert.ok(close(r.terms.loss, want.loss, 1e-14));
    assert.ok(close(r.value, want.zico + want.fr, 1e-12));
  }
  const withLoss = sigeoRecsysRef(spec, params, batches, { lambdas: [1, 1, 1] });
  assert.ok(close(withLoss.value, withLoss.terms.zico + withLoss.terms.fr - withLoss.terms.loss, 1e-14));
});

Deno.test("recsysScoringLr(): min lr for batches 0 and 1, then the linear warm-up", () => {
  assert.equal(recsysScoringLr(0), 1e-8);
  assert.equal(recsysScoringLr(1), 1e-8);
  assert.ok(close(recsysScoringLr(2), 1e-8 + (0.04 - 1e-8) / 50, 1e-15));
  assert.ok(close(recsysScoringLr(3), 1e-8 + 2 * (0.04 - 1e-8) / 50, 1e-15));
});

Deno.test("recsys switches: first-non-zero bug changes only the ZiCo term; finalLayerOnly picks the keys", () => {
  const params = randomParams(MLP, 5);
  const batches = [0, 1, 2, 3].map((s) => randomBatch(MLP, 4, "sigmoid-bce", 10 + s));
  const on = sigeoRecsysRef(MLP, params, batches);
  const off = sigeoRecsysRef(MLP, params, batches, { firstNonzeroIndexingBug: false });
  assert.equal(on.terms.fr, off.terms.fr);
  assert.equal(on.terms.loss, off.terms.loss);
  assert.ok(off.terms.zico > on.terms.zico + 0.1, `${off.terms.zico} vs ${on.terms.zico}`);
  // With lr = 0 and no clipping the weights never move, so each variant is ZiCo/FR at θ over its keys.
  const frozen = { lr: () => 0, clipNorm: Infinity, firstNonzeroIndexingBug: false };
  const grads = batches.map((b) => lossAndGradients(MLP, params, b, "sigmoid-bce").grads);
  const expect = (keys: number[]) => {
    let zico = 0, acc = 0;
    for (const k of keys) {
      zico += Math.log(zicoLayerSum(grads.map((g) => g[k]), { ddof: 1 }));
      for (const g of grads) for (let j = 0; j < g[k].length; j++) acc += g[k][j] * params[k].value[j];
    }
    return { zico, fr: Math.log(Math.abs(acc) + 1e-10) };
  };
  for (const [finalLayerOnly, keys] of [[true, [4, 5]], [false, [0, 1, 2, 3, 4, 5]]] as const) {
    const r = sigeoRecsysRef(MLP, params, batches, { ...frozen, finalLayerOnly });
    const e = expect([...keys]);
    assert.ok(close(r.terms.zico, e.zico, 1e-12), `final ${finalLayerOnly}: ${r.terms.zico} vs ${e.zico}`);
    assert.ok(close(r.terms.fr, e.fr, 1e-12), `final ${finalLayerOnly}`);
  }
  // and with the default schedule, training every parameter changes the value
  assert.notEqual(sigeoRecsysRef(MLP, params, batches, { finalLayerOnly: false }).value, on.value);
});

// ---------------------------------------------------------------- SiGeo fisher

Deno.test("sigeoFisherRef(): ZiCo at fixed θ and log of the mean squared projection", () => {
  const params = randomParams(MLP, 6);
  const batches = [0, 1, 2].map((s) => randomBatch(MLP, 3, "softmax-ce", 20 + s));
  const r = sigeoFisherRef(MLP, params, batches);
  assert.ok(close(r.terms.zico, zicoRef(MLP, params, batches), 1e-14));
  const proj = batches.map((b) => {
    const g = lossAndGradients(MLP, params, b, "softmax-ce").grads;
    return [0, 2, 4].reduce((s, l) => s + g[l].reduce((a, v, j) => a + v * params[l].value[j], 0), 0);
  });
  const fr = Math.log(proj.reduce((s, v) => s + v * v, 0) / 3 + 1e-10);
  assert.ok(close(r.terms.fr, fr, 1e-13));
  assert.ok(close(r.terms.loss, lossValue(MLP, params, batches[2], "softmax-ce"), 1e-15));
  assert.ok(close(r.value, r.terms.zico + r.terms.fr, 1e-14));
});

// ---------------------------------------------------------------- gradient baselines

Deno.test("grad_norm, plain, snip by hand (fc1 = fc2 = I, fc3 after one SGD step)", () => {
  // W3 = [[½, −½], [1, −1]], b3 = (½, −½), x = (3, 1), label 0 → gradients as in the cv case:
  // g1 = g2 = [[−3s, −6s], [−s, −2s]], g3 = [[−3s, 3s], [−s, s]].
  const p = make(MLP2, [[1, 0, 0, 1], [0, 0], [1, 0, 0, 1], [0, 0], [0.5, -0.5, 1, -1], [0.5, -0.5]]);
  const b = handBatches[1];
  const s = 1 / (1 + Math.exp(6));
  assert.ok(close(gradNormRef(MLP2, p, b), (2 * Math.sqrt(50) + Math.sqrt(20)) * s, 1e-13));
  // Σ g⊙W: fc1 = fc2 = −3s − 2s; fc3 = −3s/2 − 3s/2 − s − s
  assert.ok(close(plainRef(MLP2, p, b), -15 * s, 1e-13));
  assert.ok(close(snipRef(MLP2, p, b), 15 * s, 1e-13));
  // first batch at the start: only fc3 has a gradient, [−½, ½, −1, 1]
  assert.ok(close(gradNormRef(MLP2, handParams(), handBatches[0]), Math.sqrt(2.5), 1e-15));
});

Deno.test("grasp = −Σ W ⊙ Hg, checked against differences of gradients along (g on weights, 0 elsewhere)", () => {
  for (const [spec, seed] of [[MLP, 7], [CONV, 8]] as const) {
    const params = randomParams(spec, seed);
    const batch = randomBatch(spec, 3, "softmax-ce", seed);
    const w = weightIndices(params);
    const g = lossAndGradients(spec, params, batch, "softmax-ce").grads;
    const h = 1e-5;
    const shifted = (sign: number) => {
      const p = cloneParams(params);
      for (const l of w) p[l].value.forEach((_, j) => (p[l].value[j] += sign * h * g[l][j]));
      return lossAndGradients(spec, p, batch, "softmax-ce").grads;
    };
    const up = shifted(1), down = shifted(-1);
    let want = 0;
    for (const l of w) up[l].forEach((u, j) => (want -= params[l].value[j] * (u - down[l][j]) / (2 * h)));
    const got = graspRef(spec, params, batch);
    assert.ok(close(got, want, 1e-7), `${spec.arch}: ${got} vs ${want}`);
  }
});

Deno.test("fisher by hand: ½·mean_n (Σ a·∂L/∂a)² per output channel, times fan-in", () => {
  // fc1: [3→1] with W = (1, 0, 0)ᵀ, fc2 = 1, fc3 = (1, 0), biases 0; x = (2, 0, 0), label 1.
  // logits (2, 0), q = σ(2): ∂L/∂z3 = (q, −q); z3 = (2, 0) → s = (2q, 0), F = (2q², 0), fan-in 1.
  // ∂L/∂z2 = q, z2 = 2 → F = 2q²; ∂L/∂z1 = q, z1 = 2 → F = 2q², fan-in 3. Total 10q².
  const spec: MlpSpec = { arch: "mlp", inputs: 3, hidden: 1, outputs: 2 };
  const p = make(spec, [[1, 0, 0], [0], [1], [0], [1, 0], [0, 0]]);
  const q = 1 / (1 + Math.exp(-2));
  assert.ok(close(fisherRef(spec, p, { n: 1, x: f64(2, 0, 0), y: f64(1) }), 10 * q * q, 1e-14));
  // two copies of the example: ∂L/∂a halves, s_n = q → F = q²/2 per layer → (3 + 1 + 1)·q²/2
  const two = fisherRef(spec, p, { n: 2, x: f64(2, 0, 0, 2, 0, 0), y: f64(1, 1) });
  assert.ok(close(two, 2.5 * q * q, 1e-14));
});

Deno.test("fisher on the conv net: spatial sums of a·∂L/∂a at conv1 (before BN), conv2 and fc", () => {
  const params = randomParams(CONV, 9);
  const batch = randomBatch(CONV, 3, "softmax-ce", 9);
  const r = lossAndGradients(CONV, params, batch, "softmax-ce");
  // [tap, positions per example, channels, fan-in]: conv1 5×4, 3 ch, 3·3·2; conv2 3×2, 4 ch, 3·3·3; fc 1, 3 ch, 4
  const layers: [string, number, number, number][] = [["conv1", 20, 3, 18], ["conv2", 6, 4, 27], [
    "fc",
    1,
    3,
    4,
  ]];
  let want = 0;
  for (const [tap, positions, channels, fanIn] of layers) {
    const a = r.taps.get(tap)!, da = r.dTaps.get(tap)!;
    for (let c = 0; c < channels; c++) {
      let f = 0;
      for (let n = 0; n < 3; n++) {
        let s = 0;
        for (let pos = 0; pos < positions; pos++) {
          s += a[(n * positions + pos) * channels + c] * da[(n * positions + pos) * channels + c];
        }
        f += 0.5 * s * s / 3;
      }
      want += fanIn * f;
    }
  }
  assert.ok(close(fisherRef(CONV, params, batch), want, 1e-13));
  // the hook is before BN: using bn1's output instead would give a different value
  assert.notEqual(r.taps.get("conv1"), r.taps.get("bn1"));
});

// ---------------------------------------------------------------- jacov, EPE-NAS, NASWOT

/** fc1 = fc2 = I, fc3 = [[1, 2], [3, −1]]: linear on positive inputs, Jacobian row (3, 2) for every example. */
const linearParams = () => make(MLP2, [[1, 0, 0, 1], [0, 0], [1, 0, 0, 1], [0, 0], [1, 2, 3, -1], [0, 0]]);

Deno.test("jacov by hand: identical Jacobian rows → eigenvalues (n, 0, …, 0)", () => {
  const batch = { n: 3, x: f64(1, 2, 3, 1, 2, 2), y: f64(0, 1, 0) };
  const k = 1e-5;
  const want = -(Math.log(3 + k) + 1 / (3 + k) + 2 * (Math.log(k) + 1 / k));
  assert.ok(close(jacovRef(MLP2, linearParams(), batch), want, 1e-9));
});

Deno.test("jacov's Jacobian is ∂(Σ outputs)/∂x through batch-coupled BN (central differences)", () => {
  const params = randomParams(CONV, 10);
  const batch = randomBatch(CONV, 3, "softmax-ce", 10);
  const xp: RefParam = { name: "x", layer: "x", kind: "linear", role: "weight", shape: [], value: batch.x };
  const fd = fdGradient([xp], () => forward(CONV, params, batch.x, 3).logits.reduce((a, v) => a + v, 0));
  const jac = backwardFrom(CONV, params, batch.x, 3, new Float64Array(9).fill(1)).dx;
  assert.ok(relErr([jac], fd) < 1e-6, `${relErr([jac], fd)}`);
  // score from the FD Jacobian through the same formula
  const score = jacovRef(CONV, params, batch);
  assert.ok(Number.isFinite(score));
  const { corrcoef, symmetricEigenvalues } = linalg;
  const eig = symmetricEigenvalues(corrcoef(fd[0], 3, 40), 3);
  const want = -eig.reduce((s, v) => s + Math.log(v + 1e-5) + 1 / (v + 1e-5), 0);
  assert.ok(close(score, want, 1e-6), `${score} vs ${want}`);
});

Deno.test("EPE-NAS by hand: identical rows, ≤100 and >100 classes", () => {
  const L = Math.log(1 + 1e-5);
  const batch = { n: 3, x: f64(1, 2, 3, 1, 2, 2), y: f64(0, 0, 1) };
  // class 0: 2×2 correlation of ones → 4L; class 1: one example → corrcoef = 1 → L
  assert.ok(close(epeNasRef(MLP2, linearParams(), batch), 5 * L, 1e-9));
  // BCE targets are arg-maxed: rows (0,1), (0,1), (1,0) → classes 1, 1, 0
  const bce = { n: 3, x: batch.x, y: f64(0, 1, 0, 1, 1, 0) };
  assert.ok(close(epeNasRef(MLP2, linearParams(), bce, { loss: "sigmoid-bce" }), 5 * L, 1e-9));
  // 101 outputs: s_c /= rows; one-example classes skipped; Σ_{c,c'} |s_c − s_c'| / #classes
  const wide: MlpSpec = { arch: "mlp", inputs: 2, hidden: 2, outputs: 101 };
  const w3 = Array.from({ length: 202 }, (_, i) => ((i * 7) % 5) - 2);
  const p = make(wide, [[1, 0, 0, 1], [0, 0], [1, 0, 0, 1], [0, 0], w3, new Array(101).fill(0)]);
  const x = f64(1, 2, 2, 1, 1, 1, 3, 1, 1, 3, 2, 2);
  const many = { n: 6, x, y: f64(0, 0, 1, 1, 1, 7) };
  // class 0: 4L/2 = 2L; class 1: 9L/3 = 3L; class 7 skipped → (|2L − 3L| + |3L − 2L|)/2 = L
  assert.ok(close(epeNasRef(wide, p, many), L, 1e-9));
});

Deno.test("NASWOT by hand: K counts agreeing ReLU codes, log|det K|", () => {
  // x1 = (1, 1) → codes (1, 1) in both layers; x2 = (1, −1) → (1, 0): K = [[4, 2], [2, 4]], det 12
  const batch = { n: 2, x: f64(1, 1, 1, -1), y: f64(0, 0) };
  assert.ok(close(nwotRef(MLP2, handParams(), batch), Math.log(12), 1e-15));
  // identical examples → singular K
  assert.equal(nwotRef(MLP2, handParams(), { n: 2, x: f64(1, 1, 1, 1), y: f64(0, 0) }), -Infinity);
  const params = randomParams(CONV, 11);
  const v = nwotRef(CONV, params, randomBatch(CONV, 4, "softmax-ce", 11));
  // K_ii = number of ReLU units = 5·4·3 + 3·2·4 = 84, so log det K ≤ 4·log 84 (Hadamard)
  assert.ok(Number.isFinite(v) && v <= 4 * Math.log(84) + 1e-12, `${v}`);
});

// ---------------------------------------------------------------- synflow

Deno.test("synflow by hand on a 1-1-1 MLP: 24", () => {
  const spec: MlpSpec = { arch: "mlp", inputs: 1, hidden: 1, outputs: 1 };
  // |θ|: z1 = 2 + 1 = 3, z2 = 9, R = 9 + ½; |W3|·a2 = 9, W2·a1·|W3| = 9, W1·x·W2·|W3| = 6
  const p = make(spec, [[2], [1], [3], [0], [-1], [0.5]]);
  assert.equal(synflowDirectRef(spec, p), 24);
  assert.ok(close(synflowRef(spec, p), Math.log(24), 1e-15));
});

Deno.test("synflow in log space equals log of the direct computation, and does not overflow", () => {
  const specs: TinyNetSpec[] = [MLP, CONV, { ...CONV, height: 4, padding: "symmetric" }];
  for (const spec of specs) {
    const params = randomParams(spec, 12);
    assert.ok(close(synflowRef(spec, params), Math.log(synflowDirectRef(spec, params)), 1e-13), spec.arch);
    // with zero biases the score is homogeneous of degree 3 in the weight scale
    const scaled = cloneParams(params);
    for (const p of scaled) p.value.forEach((v, j) => (p.value[j] = p.role === "bias" ? 0 : v * 1e150));
    const unscaled = cloneParams(params);
    for (const p of unscaled) if (p.role === "bias") p.value.fill(0);
    assert.equal(synflowDirectRef(spec, scaled), Infinity);
    const want = synflowRef(spec, unscaled) + 3 * Math.log(1e150);
    assert.ok(close(synflowRef(spec, scaled), want, 1e-13), `${spec.arch}`);
  }
  // a dead unit (zero weights and bias into it) carries no gradient in either form
  const dead = randomParams(MLP, 13);
  for (let i = 0; i < 4; i++) dead[0].value[i * 5 + 2] = 0;
  dead[1].value[2] = 0;
  assert.ok(close(synflowRef(MLP, dead), Math.log(synflowDirectRef(MLP, dead)), 1e-13));
});

// ---------------------------------------------------------------- zen

Deno.test("zen: log Δ + BN term; scaling conv2 by c adds log c; momentum 0 leaves log Δ", () => {
  const rng = createRng(21);
  const params = randomParams(CONV, 21);
  const d = 5 * 4 * 2;
  const x = Float64Array.from({ length: 3 * d }, () => rng.normal());
  const noise = Float64Array.from({ length: 3 * d }, () => rng.normal());
  const base = zenFromDraws(CONV, params, x, noise, 3);
  const scaled = cloneParams(params);
  scaled[3].value.forEach((v, j) => (scaled[3].value[j] = 7 * v));
  assert.ok(close(zenFromDraws(CONV, scaled, x, noise, 3), base + Math.log(7), 1e-13));
  // momentum 0: running var stays 1 → score = log mean_n Σ |f(x) − f(x + 0.01ε)|
  const fa = forward(CONV, params, x, 3).taps.get("relu2")!;
  const fb = forward(CONV, params, x.map((v, i) => v + 0.01 * noise[i]), 3).taps.get("relu2")!;
  const delta = fa.reduce((s, v, i) => s + Math.abs(v - fb[i]), 0) / 3;
  assert.ok(close(zenFromDraws(CONV, params, x, noise, 3, { momentum: 0 }), Math.log(delta), 1e-14));
  assert.equal(zenFromDraws(CONV, params, x, noise, 3, { mixupGamma: 0 }), -Infinity);
  // seeded draws are reproducible
  assert.equal(zenRef(CONV, 3, createRng(5)), zenRef(CONV, 3, createRng(5)));
  assert.notEqual(zenRef(CONV, 3, createRng(5)), zenRef(CONV, 3, createRng(6)));
  assert.throws(() => zenRef(MLP, 3, createRng(5)), TypeError);
});

// ---------------------------------------------------------------- l2_norm, params, flops

Deno.test("l2_norm, params and flops by hand", () => {
  assert.ok(close(l2NormRef(linearParams()), 2 * Math.SQRT2 + Math.sqrt(15), 1e-15));
  // MLP 4-5-3: 20 + 5 + 25 + 5 + 15 + 3 = 73 parameters; conv: 54 + 3 + 3 + 108 + 12 + 3 = 183
  assert.ok(close(paramsRef(MLP), 73e-6, 1e-15));
  assert.ok(close(paramsRef(CONV), 183e-6, 1e-15));
  // MLP: 20 + 5 (ReLU) + 25 + 5 + 15 = 70
  assert.ok(close(flopsRef(MLP), 70e-6, 1e-15));
  // conv 5×4×2: conv1 9·2·3·20 = 1080, BN 2·60 = 120, ReLU 60, conv2 (3×2) 9·3·4·6 = 648, ReLU 24,
  // AdaptiveAvgPool 4·(3+1)·(2+1) = 48, fc 4·3 = 12 → 1992
  assert.ok(close(flopsRef(CONV), 1992e-6, 1e-15));
});

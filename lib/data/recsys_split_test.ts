import assert from "node:assert/strict";
import { createRng } from "../rng.ts";
import {
  nasrecSplit,
  NumpyRandomState,
  shuffleRows,
  sklearnStratifiedFolds,
  stratifiedFolds,
  stratifiedSplit,
  warmupPrefix,
} from "./recsys_split.ts";

/** 1003 labels, 257 positive, in a fixed pseudo-random order. */
function labels(): { n: number; labels: Float32Array } {
  const rng = createRng(77);
  const y = new Float32Array(1003);
  for (const i of rng.shuffle(Array.from({ length: 1003 }, (_, i) => i)).slice(0, 257)) y[i] = 1;
  return { n: 1003, labels: y };
}

Deno.test("stratifiedSplit: 8/1/1, every fold holds ⌊n_c/10⌋ or ⌈n_c/10⌉ of each class", () => {
  const d = labels();
  const folds = stratifiedFolds(d, 2018);
  for (const cls of [0, 1]) {
    const nc = cls ? 257 : 746;
    const count = new Array(10).fill(0);
    for (let i = 0; i < d.n; i++) if (d.labels[i] === cls) count[folds[i]]++;
    assert.equal(count.reduce((a, b) => a + b, 0), nc);
    for (const c of count) assert.ok(c === Math.floor(nc / 10) || c === Math.ceil(nc / 10), `${count}`);
  }
  const s = stratifiedSplit(d, 2018);
  const all = [...s.train, ...s.val, ...s.test].sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: d.n }, (_, i) => i)); // a partition
  for (const part of [s.train, s.val, s.test]) {
    for (let k = 1; k < part.length; k++) assert.ok(part[k] > part[k - 1]); // file order
  }
  // 746 negatives: folds 0–5 get 75, 6–9 get 74; 257 positives: fold 0–6 get 26, 7–9 get 25.
  assert.equal(s.val.length, 74 + 25);
  assert.equal(s.test.length, 74 + 25);
  assert.equal(s.train.length, 1003 - 2 * 99);
  const pos = (rows: Int32Array) => rows.reduce((a, i) => a + d.labels[i], 0);
  assert.equal(pos(s.val), 25);
  assert.equal(pos(s.test), 25);
});

Deno.test("stratifiedSplit: deterministic per seed, different across seeds", () => {
  const d = labels();
  const a = stratifiedSplit(d, 2018), b = stratifiedSplit(d, 2018), c = stratifiedSplit(d, 2019);
  assert.deepEqual(a, b);
  assert.notDeepEqual(Array.from(a.val), Array.from(c.val));
  // Regression pin (seed 2018; unchanged since the first implementation): a change here changes
  // every experiment's split.
  assert.deepEqual(Array.from(a.val.subarray(0, 8)), [13, 16, 19, 48, 51, 64, 79, 82]);
  assert.deepEqual(Array.from(a.test.subarray(0, 8)), [4, 8, 9, 11, 18, 28, 55, 62]);
});

Deno.test("warmupPrefix: prefixes of the shuffled training split, nested across fractions", () => {
  const d = labels();
  const s = stratifiedSplit(d, 2018);
  const shuffled = shuffleRows(s.train, 5);
  assert.deepEqual([...shuffled].sort((x, y) => x - y), Array.from(s.train));
  assert.notDeepEqual(Array.from(shuffled), Array.from(s.train));
  const p1 = warmupPrefix(shuffled, 0.01),
    p10 = warmupPrefix(shuffled, 0.1),
    p100 = warmupPrefix(shuffled, 1);
  assert.equal(p1.length, Math.floor(0.01 * s.train.length));
  assert.equal(p10.length, Math.floor(0.1 * s.train.length));
  assert.deepEqual(Array.from(p10.subarray(0, p1.length)), Array.from(p1));
  assert.deepEqual(Array.from(p100), Array.from(shuffled));
  assert.equal(warmupPrefix(shuffled, 0).length, 0);
  assert.equal(warmupPrefix(new Int32Array(100), 0.29).length, 29); // 0.29 · 100 = 28.999… in floats
  // With a seed, it shuffles first: the same as shuffleRows + prefix.
  assert.deepEqual(warmupPrefix(s.train, 0.1, 5), p10);
  assert.throws(() => warmupPrefix(shuffled, 1.5), RangeError);
  assert.throws(() => warmupPrefix(shuffled, NaN), RangeError);
});

// Test vectors computed with numpy 2.4 (np.random.RandomState) and scikit-learn's
// StratifiedKFold._make_test_folds algorithm (≥ 0.22) run on it.
const Y103 =
  "1010000001100100000001010110011100101000100010000000111100000000010100110100000001001000010100000100001";
const FOLDS103 =
  "0692048763220189412550787891352452144981665355352313053797895761072402370948942476766896121019630148308";

Deno.test("NumpyRandomState: MT19937 outputs and shuffle match numpy's RandomState(2018)", () => {
  const r = new NumpyRandomState(2018);
  assert.deepEqual([0, 1, 2, 3, 4].map(() => r.nextUint32()), [
    3789661434,
    3977046630,
    448084194,
    4050209545,
    3895575445,
  ]);
  const a = new NumpyRandomState(2018).shuffle(Int32Array.from({ length: 20 }, (_, i) => i));
  assert.deepEqual(Array.from(a), [5, 3, 8, 4, 13, 0, 1, 18, 10, 16, 14, 12, 11, 7, 15, 17, 19, 9, 2, 6]);
  assert.throws(() => new NumpyRandomState(-1), RangeError);
});

Deno.test("sklearnStratifiedFolds / nasrecSplit: scikit-learn's StratifiedKFold(10, shuffle, 2018) rows", async () => {
  const y = Y103.split("").map(Number);
  assert.equal(sklearnStratifiedFolds(y).join(""), FOLDS103);
  // Classes are numbered by first appearance, so flipping every label gives the same folds.
  assert.equal(sklearnStratifiedFolds(y.map((v) => 1 - v)).join(""), FOLDS103);
  // 100 000 labels drawn as numpy's RandomState(7).random_sample(100000) < 0.25.
  const g = new NumpyRandomState(7);
  const big = Float32Array.from({ length: 100000 }, () => (g.next() < 0.25 ? 1 : 0));
  const folds = sklearnStratifiedFolds(big);
  assert.deepEqual(Array.from(folds.subarray(0, 20)), [
    8,
    1,
    2,
    9,
    5,
    2,
    3,
    5,
    0,
    2,
    7,
    0,
    3,
    7,
    5,
    1,
    0,
    6,
    9,
    9,
  ]);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", folds.slice().buffer));
  assert.equal(
    Array.from(digest.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join(""),
    "1615ccff59cf3562",
  );
  // The split: folds 0–7 / 8 / 9, and the Criteo/KDD shift.
  const d = { n: 103, labels: Float32Array.from(y) };
  const s = nasrecSplit(d);
  assert.deepEqual(Array.from(s.val), [...FOLDS103].flatMap((f, i) => (f === "8" ? [i] : [])));
  assert.deepEqual(Array.from(s.test), [...FOLDS103].flatMap((f, i) => (f === "9" ? [i] : [])));
  assert.equal(s.train.length + s.val.length + s.test.length, 103);
  const shifted = nasrecSplit(d, { dropFirstRow: true });
  assert.deepEqual(
    Array.from(shifted.val),
    [...FOLDS103].flatMap((f, i) => (f === "8" && i < 102 ? [i + 1] : [])),
  );
  assert.equal(shifted.train.length + shifted.val.length + shifted.test.length, 102);
  assert.ok(!shifted.train.includes(0) && !shifted.val.includes(0) && !shifted.test.includes(0));
  assert.throws(() => sklearnStratifiedFolds([0, 1, 0]), RangeError);
});

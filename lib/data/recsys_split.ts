/**
 * NASRec's splits (docs/nasrec.md §6): a seeded stratified 10-fold assignment by
 * label — folds 0–7 train, 8 validation, 9 test — rows kept in file order within each split.
 * Warm-up levels are prefixes of the *shuffled* training split ({@link shuffleRows} once, then
 * {@link warmupPrefix}), so 1 % ⊂ 5 % ⊂ 10 % … and every level sees the same first rows.
 *
 * Two assignments:
 * - {@link stratifiedSplit}: each class shuffled with this library's PCG32 and dealt round-robin
 *   into 10 folds (every fold holds ⌊n_c/10⌋ or ⌈n_c/10⌉ rows of class c): the same sizes and class
 *   balance as NASRec's split, not the same rows. The library default.
 * - {@link nasrecSplit}: NASRec's exact rows — scikit-learn's `StratifiedKFold(n_splits=10,
 *   shuffle=True, random_state=2018)` fold assignment (the ≥ 0.22 algorithm), replayed with numpy's
 *   legacy `RandomState` (MT19937 and its bounded-integer shuffle), checked against numpy. Optionally
 *   with the shift of NASRec's Criteo/KDD split scripts, which read labels from every line but skip
 *   the first line when writing (row r ≥ 1 gets the fold computed for label r − 1; row 0 is
 *   dropped). That MT19937 replays a foreign generator to reproduce published splits; the
 *   library's own random choices still go through `lib/rng.ts`.
 *
 * @module
 */
import { createRng, type Rng } from "../rng.ts";
import type { RecsysData } from "./recsys.ts";

/** Row indices of the three splits (ascending). */
export interface RecsysSplit {
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
}

/** In-place Fisher–Yates with the same draws as `Rng.shuffle` (so results match it). */
function shuffleInPlace(a: Int32Array, rng: Rng): Int32Array {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}

/** Fold (0–9) of every row: each class shuffled with `seed`, then dealt round-robin. */
export function stratifiedFolds(d: Pick<RecsysData, "n" | "labels">, seed: number): Int8Array {
  const rng = createRng(seed, 0x5911);
  const fold = new Int8Array(d.n);
  let pos = 0;
  for (let i = 0; i < d.n; i++) if (d.labels[i] >= 0.5) pos++;
  for (const cls of [0, 1]) {
    const rows = new Int32Array(cls === 1 ? pos : d.n - pos);
    let k = 0;
    for (let i = 0; i < d.n; i++) if ((d.labels[i] >= 0.5 ? 1 : 0) === cls) rows[k++] = i;
    shuffleInPlace(rows, rng);
    for (let r = 0; r < rows.length; r++) fold[rows[r]] = r % 10;
  }
  return fold;
}

/** Stratified 8/1/1 split of `d` by label with `seed` (deterministic). */
export function stratifiedSplit(d: Pick<RecsysData, "n" | "labels">, seed: number): RecsysSplit {
  const fold = stratifiedFolds(d, seed);
  const counts = new Int32Array(10);
  for (let i = 0; i < d.n; i++) counts[fold[i]]++;
  let nTrain = 0;
  for (let f = 0; f < 8; f++) nTrain += counts[f];
  const train = new Int32Array(nTrain), val = new Int32Array(counts[8]), test = new Int32Array(counts[9]);
  let a = 0, b = 0, c = 0;
  for (let i = 0; i < d.n; i++) {
    const f = fold[i];
    if (f < 8) train[a++] = i;
    else if (f === 8) val[b++] = i;
    else test[c++] = i;
  }
  return { train, val, test };
}

/** `rows` in a seeded shuffled order (a new array). */
export function shuffleRows(rows: Int32Array, seed: number): Int32Array {
  return shuffleInPlace(rows.slice(), createRng(seed, 0x3a11));
}

/**
 * The warm-up rows for fraction p: the first ⌊p·n⌋ rows of `train`. Pass the shuffled training
 * split ({@link shuffleRows}), or give `seed` to shuffle here; either way the levels are nested.
 */
export function warmupPrefix(train: Int32Array, p: number, seed?: number): Int32Array {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`Expected a warm-up fraction in [0, 1]: got ${p}`);
  const order = seed === undefined ? train : shuffleRows(train, seed);
  return order.slice(0, Math.floor(p * train.length + 1e-9)); // 0.29 · 100 is 28.999…
}

// ---------------------------------------------------------------------------------------------
// NASRec's exact split: sklearn StratifiedKFold on numpy's legacy RandomState

/** numpy's legacy `RandomState(seed)`: MT19937 seeded by `init_genrand`, 32-bit draws. */
export class NumpyRandomState {
  #mt = new Uint32Array(624);
  #i = 624;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`Expected a numpy seed in [0, 2³²): got ${seed}`);
    }
    const mt = this.#mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const p = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, p) + i) >>> 0;
    }
  }

  #twist(): void {
    const mt = this.#mt;
    for (let k = 0; k < 624; k++) {
      const y = (mt[k] & 0x80000000) | (mt[(k + 1) % 624] & 0x7fffffff);
      mt[k] = mt[(k + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.#i = 0;
  }

  /** The next 32-bit output (numpy `next_uint32`). */
  nextUint32(): number {
    if (this.#i >= 624) this.#twist();
    let y = this.#mt[this.#i++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** A double in [0, 1) (numpy `random_sample`). */
  next(): number {
    const a = this.nextUint32() >>> 5, b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** An integer in [0, max] by masked rejection (numpy `random_interval`, max < 2³²). */
  interval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let v: number;
    while ((v = (this.nextUint32() & mask) >>> 0) > max);
    return v;
  }

  /** Shuffle in place as `RandomState.shuffle` does a 1-D array. */
  shuffle<T extends { length: number; [i: number]: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.interval(i);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }
}

/**
 * scikit-learn's `StratifiedKFold(n_splits, shuffle=True, random_state=seed)` test fold of every
 * row for 0/1 labels: classes numbered by first appearance, per-class fold counts from dealing the
 * sorted labels round-robin, each class's fold list shuffled by one shared RandomState and
 * assigned to that class's rows in order.
 */
export function sklearnStratifiedFolds(labels: ArrayLike<number>, nSplits = 10, seed = 2018): Int8Array {
  const n = labels.length;
  if (!Number.isInteger(nSplits) || nSplits < 2 || nSplits > 127) {
    throw new RangeError(`Expected 2 ≤ nSplits ≤ 127: got ${nSplits}`);
  }
  const first = n > 0 && labels[0] >= 0.5 ? 1 : 0;
  const enc = (i: number) => ((labels[i] >= 0.5 ? 1 : 0) === first ? 0 : 1);
  const counts = [0, 0];
  for (let i = 0; i < n; i++) counts[enc(i)]++;
  const nClasses = counts[1] > 0 ? 2 : 1;
  if (counts.slice(0, nClasses).every((c) => c < nSplits)) {
    throw new RangeError(
      `Expected at least ${nSplits} rows in some class to make ${nSplits} folds: got ${counts}`,
    );
  }
  // Positions p ≡ i (mod nSplits) in [0, x).
  const below = (x: number, i: number) => (x > i ? Math.floor((x - i - 1) / nSplits) + 1 : 0);
  const rng = new NumpyRandomState(seed);
  const folds = new Int8Array(n);
  let lo = 0;
  for (let k = 0; k < nClasses; k++) {
    const hi = lo + counts[k];
    const list = new Int8Array(counts[k]);
    let t = 0;
    for (let i = 0; i < nSplits; i++) {
      for (let c = below(hi, i) - below(lo, i); c > 0; c--) list[t++] = i;
    }
    rng.shuffle(list);
    t = 0;
    for (let r = 0; r < n; r++) if (enc(r) === k) folds[r] = list[t++];
    lo = hi;
  }
  return folds;
}

/**
 * NASRec's exact 8/1/1 split: folds 0–7 train, 8 validation, 9 test of
 * {@link sklearnStratifiedFolds} with seed 2018. `dropFirstRow` replays the Criteo/KDD scripts'
 * shift (row r ≥ 1 takes the fold of label r − 1, row 0 belongs to no split); NASRec's Avazu script
 * has no shift (its header is skipped in both passes).
 */
export function nasrecSplit(
  d: Pick<RecsysData, "n" | "labels">,
  opts: { seed?: number; dropFirstRow?: boolean } = {},
): RecsysSplit {
  const folds = sklearnStratifiedFolds(d.labels, 10, opts.seed ?? 2018);
  const shift = opts.dropFirstRow ? 1 : 0;
  const parts: number[][] = [[], [], []];
  for (let r = shift; r < d.n; r++) {
    const f = folds[r - shift];
    parts[f < 8 ? 0 : f === 8 ? 1 : 2].push(r);
  }
  return {
    train: Int32Array.from(parts[0]),
    val: Int32Array.from(parts[1]),
    test: Int32Array.from(parts[2]),
  };
}

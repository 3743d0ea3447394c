/**
 * NASRec's splits (reference-implementations.md §4.3): a seeded stratified 10-fold assignment by
 * label — folds 0–7 train, 8 validation, 9 test — rows kept in file order within each split.
 * Warm-up levels are prefixes of the *shuffled* training split, so 1 % ⊂ 5 % ⊂ 10 % …
 *
 * @module
 */
import { createRng } from "../rng.ts";
import type { RecsysData } from "./recsys.ts";

/** Row indices of the three splits. */
export interface RecsysSplit {
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
}

/** Stratified 8/1/1 split of `d` by label with `seed` (deterministic). */
export function stratifiedSplit(d: RecsysData, seed: number): RecsysSplit {
  const rng = createRng(seed, 0x5911);
  const fold = new Int8Array(d.n);
  for (const cls of [0, 1]) {
    const rows: number[] = [];
    for (let i = 0; i < d.n; i++) if ((d.labels[i] >= 0.5 ? 1 : 0) === cls) rows.push(i);
    rng.shuffle(rows).forEach((r, k) => (fold[r] = k % 10));
  }
  const pick = (ok: (f: number) => boolean) => {
    const out: number[] = [];
    for (let i = 0; i < d.n; i++) if (ok(fold[i])) out.push(i);
    return Int32Array.from(out);
  };
  return { train: pick((f) => f < 8), val: pick((f) => f === 8), test: pick((f) => f === 9) };
}

/** The first ⌊p·n⌋ rows of the training split in a seeded shuffled order (nested in p). */
export function warmupPrefix(train: Int32Array, p: number, seed: number): Int32Array {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`Expected a warm-up fraction in [0, 1]: got ${p}`);
  const order = createRng(seed, 0x3a11).shuffle(Array.from(train));
  return Int32Array.from(order.slice(0, Math.floor(p * train.length)));
}

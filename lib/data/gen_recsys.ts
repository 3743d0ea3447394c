/**
 * Generated Criteo-format files with a planted signal, for tests and the `smoke` scale: the click
 * probability depends on a dense feature, on single categoricals, and on *products* of pairs of
 * categorical effects — interactions that dot-product / FM-style blocks can learn and a linear
 * model cannot, so a better architecture reaches a lower log loss.
 *
 * @module
 */
import { createRng } from "../rng.ts";
import { writeFileAtomic } from "../io.ts";

/** Options of {@linkcode generateCriteoText}. */
export interface GenCriteoOptions {
  rows: number;
  seed: number;
  /** distinct values of the noise fields (6 … 25) @default {40} */
  vocab?: number;
  /** distinct values of the six signal fields (0 … 5): small, so their pairs are learnable @default {8} */
  signalVocab?: number;
}

/** The text of a generated Criteo `train.txt` (40 tab-separated fields per line). */
export function generateCriteoText(opts: GenCriteoOptions): string {
  const vocab = opts.vocab ?? 40, sv = opts.signalVocab ?? 8;
  const world = createRng(1234, 0xc41);
  // Hidden per-value effects of the first 6 fields; fields 6.. are noise.
  const effect = Array.from({ length: 6 }, () => Array.from({ length: vocab }, () => world.normal()));
  const hexes = Array.from(
    { length: 26 },
    () => Array.from({ length: vocab }, () => world.nextUint32().toString(16).padStart(8, "0")),
  );
  const rng = createRng(opts.seed, 0xc42);
  const lines: string[] = [];
  for (let r = 0; r < opts.rows; r++) {
    const ints = Array.from({ length: 13 }, (_, j) => {
      if (rng.next() < 0.1) return ""; // missing
      const v = Math.floor(Math.exp(2.5 * rng.next())) - (j === 1 ? 2 : 0);
      return String(v);
    });
    const cats = Array.from({ length: 26 }, (_, f) => rng.int(f < 6 ? sv : vocab));
    const i0 = ints[0] === "" ? 0 : Math.log(Math.max(Number(ints[0]), 0) + 1);
    const z = -1.1 + 0.5 * (i0 - 1) + 0.6 * effect[0][cats[0]] +
      1.2 * effect[1][cats[1]] * effect[2][cats[2]] + 1.0 * effect[3][cats[3]] * effect[4][cats[4]] +
      0.4 * effect[5][cats[5]];
    const label = rng.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    const catText = cats.map((c, f) => (rng.next() < 0.05 ? "" : hexes[f][c]));
    lines.push([String(label), ...ints, ...catText].join("\t"));
  }
  return lines.join("\n") + "\n";
}

/** Write a generated Criteo `train.txt` at `path` (atomically). */
export async function writeCriteoFile(path: string, opts: GenCriteoOptions): Promise<void> {
  await writeFileAtomic(path, generateCriteoText(opts));
}

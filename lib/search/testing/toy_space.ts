/**
 * Toy search spaces for the search tests: bit strings with a known score, so tests can tell a
 * search that optimises from one that does not without any network.
 */
import type { Rng } from "../../rng.ts";
import type { SearchSpace } from "../space.ts";

export type Bits = number[];

/** Hidden optimum of the 16-bit space: score = matching bits (16 = best). */
const TARGET = [1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1];

export function toyScore(a: Bits): number {
  return a.reduce((s, b, i) => s + (b === TARGET[i] ? 1 : 0), 0);
}

/** NASRec's mutation count ⌊(G − g)/max(20, ⌊G/5⌋)⌋ + 1, here in bit flips. */
export function toyMutations(generation: number, generations: number): number {
  return Math.floor((generations - generation) / Math.max(20, Math.floor(generations / 5))) + 1;
}

/** `n`-bit strings; mutation flips toyMutations(g, G) random bits. */
export function bitSpace(n: number): SearchSpace<Bits> {
  return {
    name: `bits${n}`,
    sample: (rng: Rng) => Array.from({ length: n }, () => rng.int(2)),
    mutate: (a, rng, ctx) => {
      const out = a.slice();
      for (let t = 0, k = toyMutations(ctx.generation, ctx.generations); t < k; t++) out[rng.int(n)] ^= 1;
      return out;
    },
    key: (a) => a.join(""),
    toJSON: (a) => a.join(""),
    fromJSON: (v) => {
      if (typeof v !== "string" || !new RegExp(`^[01]{${n}}$`).test(v)) {
        throw new SyntaxError(`Expected a string of ${n} bits, got ${JSON.stringify(v)}`);
      }
      return [...v].map(Number);
    },
  };
}

/** The 16-bit space scored by {@link toyScore}. */
export const toySpace: SearchSpace<Bits> = bitSpace(16);

/** A toy search space for the search tests: 16-bit strings, score = a known function. */
import type { Rng } from "../../rng.ts";
import type { SearchSpace } from "../space.ts";

export type Bits = number[];

/** Hidden optimum: the target pattern; score = matching bits (16 = best). */
const TARGET = [1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1];

export function toyScore(a: Bits): number {
  return a.reduce((s, b, i) => s + (b === TARGET[i] ? 1 : 0), 0);
}

export const toySpace: SearchSpace<Bits> = {
  name: "toy",
  sample: (rng: Rng) => Array.from({ length: 16 }, () => rng.int(2)),
  mutate: (a, rng, ctx) => {
    const out = a.slice();
    const n = Math.floor((ctx.generations - ctx.generation) / Math.max(20, Math.floor(ctx.generations / 5))) +
      1;
    for (let t = 0; t < n; t++) out[rng.int(16)] ^= 1;
    return out;
  },
  key: (a) => a.join(""),
  toJSON: (a) => a.join(""),
};

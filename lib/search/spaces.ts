/**
 * The project's two search spaces as {@link SearchSpace}s: NAS-Bench-201 (connected cells,
 * one-edge mutations) and NASRec (any-path macro + single-path micro sampling, NASRec's mutation
 * with a count decaying over the generations). History JSON: NB201's arch string; NASRec's
 * published-config JSON (`{micro, macro}`), so a history entry loads like a published config.
 *
 * @module
 */
import type { SearchSpace } from "./space.ts";
import {
  archKey as nb201Key,
  formatArch,
  mutateArch as nb201Mutate,
  sampleArch as nb201Sample,
} from "../spaces/nb201/space.ts";
import {
  archKey as nasrecKey,
  mutateArchN,
  mutationCount,
  type NasrecArch,
  type NasrecSpaceName,
  sampleArch as nasrecSample,
} from "../spaces/nasrec/space.ts";
import { nasrecConfigToJson } from "../spaces/nasrec/configs.ts";

/** NAS-Bench-201 (arch as the op-index tuple); samples only connected cells. */
export const nb201SearchSpace: SearchSpace<number[]> = {
  name: "nb201",
  sample: (rng) => nb201Sample(rng, { connectedOnly: true }),
  mutate: (a, rng) => nb201Mutate(a, rng),
  key: (a) => nb201Key(a),
  toJSON: (a) => formatArch(a),
};

/** NASRec-Small ("autoctr") or NASRec-Full ("xlarge") as NASRec's searcher explores it. */
export function nasrecSearchSpace(space: NasrecSpaceName): SearchSpace<NasrecArch> {
  return {
    name: `nasrec-${space}`,
    sample: (rng) => nasrecSample(space, rng, { anyPath: "uniform" }),
    mutate: (a, rng, ctx) => mutateArchN(a, rng, mutationCount(ctx.generation, ctx.generations)),
    key: nasrecKey,
    toJSON: (a) => nasrecConfigToJson({ arch: a, useLayerNorm: true, extra: {} }),
  };
}

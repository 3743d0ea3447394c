/**
 * Experiment scales: `smoke` (generated data, minutes on 2 CPU cores; CI), `small` (real data on
 * a laptop CPU within about an hour), `paper` (the paper's settings; a GPU machine).
 *
 * @module
 */
import { env } from "../env.ts";

/** The three scales of every experiment. */
export type Scale = "smoke" | "small" | "paper";

/** The scale named by `value`, else `SIGEO_SCALE`, else `smoke`. */
export function resolveScale(value?: string): Scale {
  const v = value ?? env("SIGEO_SCALE") ?? "smoke";
  if (v !== "smoke" && v !== "small" && v !== "paper") {
    throw new RangeError(`Cannot use scale '${v}': expected smoke, small or paper`);
  }
  return v;
}

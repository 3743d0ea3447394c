/**
 * `--plan` for the experiments without a cost model of their own: the resolved configuration and
 * each phase's wall time, taken from the newest completed run of the same experiment and scale in
 * the results folder (this machine's own measurement, `manifest.json` → `seconds`), else from the
 * reference seconds the experiment's config records (measured on the project's 2-core machine).
 * Runs nothing and writes nothing.
 *
 * @module
 */
import { env } from "../env.ts";
import type { Scale } from "./scale.ts";
import type { Plan, RunContext } from "./types.ts";

const RESULTS = new URL("../../results", import.meta.url).pathname;

/** Phase seconds of the newest completed run of `experiment` at `scale` under `root`, if any. */
export async function lastRunSeconds(
  root: string,
  experiment: string,
  scale: Scale,
): Promise<{ seconds: Record<string, number>; dir: string; finished: string } | undefined> {
  const base = `${root}/${experiment}/${scale}`;
  let best: { seconds: Record<string, number>; dir: string; finished: string } | undefined;
  try {
    for await (const e of Deno.readDir(base)) {
      if (!e.isDirectory) continue;
      const dir = `${base}/${e.name}`;
      let m: {
        status?: string;
        finished?: string | null;
        seconds?: Record<string, number>;
        config?: unknown;
      };
      try {
        m = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
      } catch {
        continue; // not a run folder, or one still being written
      }
      if (m.status !== "completed" || !m.finished || !m.seconds) continue;
      if (!best || m.finished > best.finished) best = { seconds: m.seconds, dir, finished: m.finished };
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return best;
}

/**
 * The plan of `experiment` at `ctx.scale` for its resolved `config`: phase seconds from the last
 * completed run here when there is one, else `reference` (seconds per phase at this scale, with
 * where they were measured), else no estimate (a notice says so).
 */
export async function planFromRuns(
  experiment: string,
  ctx: RunContext,
  config: Record<string, unknown>,
  reference: { phases: Record<string, number>; basis: string } | undefined,
  notices: string[] = [],
): Promise<Plan> {
  const root = ctx.resultsRoot ?? env("SIGEO_RESULTS") ?? RESULTS;
  const last = await lastRunSeconds(root, experiment, ctx.scale);
  let phases: Record<string, number> = {}, basis: string;
  if (last) {
    phases = Object.fromEntries(Object.entries(last.seconds).filter(([k]) => k !== "total"));
    basis = `the last completed ${ctx.scale} run on this machine: ${last.dir} (finished ${last.finished})`;
  } else if (reference) {
    phases = { ...reference.phases };
    basis = reference.basis;
  } else {
    basis = "none: no completed run at this scale in the results folder, and no reference measurement";
    notices = [...notices, `no time estimate for ${experiment} at ${ctx.scale} scale`];
  }
  const total = Object.values(phases).reduce((a, b) => a + b, 0);
  return { experiment, scale: ctx.scale, config, estimate: { phases, total, basis }, notices };
}

/** Phase seconds measured at some scales, for `--plan` before any run here has finished. */
export type ReferenceSeconds = Partial<Record<Scale, { phases: Record<string, number>; basis: string }>>;

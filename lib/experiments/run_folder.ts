/**
 * The life of a run folder (`results/<experiment>/<scale>/<run-id>/`): opened (or resumed) with
 * the experiment's config, the experiment's body run inside it, the real data it read checksummed
 * into the manifest, its tables written as CSV/Markdown/LaTeX and its figures as standalone HTML,
 * then the manifest completed with the phase timings.
 *
 * @module
 */
import { initBackend } from "../backend.ts";
import { env } from "../env.ts";
import { writeFigureHtml } from "../report/plotly.ts";
import { writeTable } from "../report/table.ts";
import { type Manifest, RunDir, sha256File } from "../report/manifest.ts";
import type { ExperimentOutput, Report, RunContext } from "./types.ts";

const RESULTS = new URL("../../results", import.meta.url).pathname;

/** What an experiment's body returns: its report, its phase timings and its evaluation count. */
export interface RunBodyOutput extends Report {
  /** seconds per phase (a resumed body counts what it replays) */
  seconds: Record<string, number>;
  evaluations?: number;
}

/** The plain files directly in `dir`, sorted (none when it is not a folder). */
export async function filesIn(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) if (e.isFile) out.push(`${dir.replace(/\/$/, "")}/${e.name}`);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory)) throw e;
  }
  return out.sort();
}

/**
 * Run `body` in the run folder of experiment `name` at `ctx.scale` and write what it returns.
 * The folder is `ctx.runId`'s (else `SIGEO_RUN_ID`'s, as a notebook run fixes it up front), else a
 * new one, under `ctx.resultsRoot` (else `SIGEO_RESULTS`, else the project's `results/`); an
 * existing folder resumes, and a different `config` there is refused (see RunDir).
 */
export async function runInFolder(
  name: string,
  ctx: RunContext,
  config: unknown,
  body: (dir: string, manifest: Manifest) => Promise<RunBodyOutput>,
): Promise<ExperimentOutput> {
  const t0 = performance.now();
  await initBackend({ quiet: true });
  const run = await RunDir.open({
    root: ctx.resultsRoot ?? env("SIGEO_RESULTS") ?? RESULTS,
    experiment: name,
    scale: ctx.scale,
    runId: ctx.runId ?? env("SIGEO_RUN_ID"),
    config,
    notes: ctx.scale === "smoke"
      ? [
        `smoke scale: ${
          ctx.dataDir ? `data from ${ctx.dataDir}` : "generated data"
        }, small budgets; numbers are a smoke test`,
      ]
      : [],
  });
  const dir = run.path;
  const out = await body(dir, run.manifest);
  // the real data a run read: the files of --data DIR (not its sub-folders) and the truth file
  // (a NATS-Bench truth folder: its meta file; its 15 625 per-arch files are not hashed)
  const truth = ctx.truthPath && (await Deno.stat(ctx.truthPath)).isDirectory
    ? (await filesIn(ctx.truthPath)).filter((f) => f.endsWith("/meta.pickle.pbz2"))
    : ctx.truthPath
    ? [ctx.truthPath]
    : [];
  for (const f of [...(ctx.dataDir ? await filesIn(ctx.dataDir) : []), ...truth]) {
    if (!run.manifest.data.some((x) => x.path === f)) run.manifest.data.push(await sha256File(f));
  }
  for (const [k, rows] of Object.entries(out.tables)) {
    await writeTable(dir, k, rows, {
      caption: `${name}: ${k} (${ctx.scale} scale)`,
      label: `tab:${name}-${k}`,
    });
  }
  for (const [k, fig] of Object.entries(out.figures)) await writeFigureHtml(`${dir}/${k}.html`, fig);
  const seconds = (performance.now() - t0) / 1000;
  // `total` adds up the attempts of a resumed folder
  const total = (run.manifest.seconds.total ?? 0) + seconds;
  run.manifest.seconds = { ...run.manifest.seconds, ...out.seconds, total };
  run.manifest.evaluations = out.evaluations ?? null;
  await run.finish();
  return {
    experiment: name,
    scale: ctx.scale,
    dir,
    tables: out.tables,
    figures: out.figures,
    summary: out.summary,
    seconds,
  };
}

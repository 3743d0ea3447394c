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
import { type Figure, inJupyter, writeFigureHtml, writePlotlyLibrary } from "../report/plotly.ts";
import { writeTable } from "../report/table.ts";
import { type DataFile, type Manifest, RunDir, sha256File } from "../report/manifest.ts";
import type { ExperimentOutput, Report, RunContext } from "./types.ts";

const RESULTS = new URL("../../results", import.meta.url).pathname;

/** What an experiment's body returns: its report, its phase timings and its evaluation count. */
export interface RunBodyOutput extends Report {
  /** this attempt's wall seconds per phase, added to the manifest's sums over attempts */
  seconds: Record<string, number>;
  /**
   * the run's costs in seconds as its own records sum them over every attempt (histories,
   * checkpoints); they replace the manifest's `costs`
   */
  costs?: Record<string, number>;
  evaluations?: number;
  /** checksums of data generated in memory (files read are checksummed by the run folder) */
  data?: DataFile[];
  /** how the random streams derive from the config's seeds (data, init, sampling, batches) */
  seeds?: Record<string, number | string>;
}

/** A figure whose title says it comes from a smoke run on `data` (unless it already says smoke). */
export function smokeTitled(fig: Figure, data = "generated data"): Figure {
  const t = fig.layout?.title;
  const text = typeof t === "string" ? t : (t as { text?: string } | undefined)?.text ?? "";
  if (/smoke/i.test(text)) return fig;
  const label = text ? `${text} <sup>(smoke scale: ${data})</sup>` : `smoke scale: ${data}`;
  const title = typeof t === "object" && t !== null ? { ...t, text: label } : { text: label };
  return { ...fig, layout: { ...fig.layout, title } };
}

/** Every `seed` in a config, named by where it is (`seed`, `[0].seed`, `cv.seed`, …). */
export function seedsOf(config: unknown, at = ""): Record<string, number> {
  const out: Record<string, number> = {};
  if (Array.isArray(config)) config.forEach((v, i) => Object.assign(out, seedsOf(v, `${at}[${i}]`)));
  else if (config !== null && typeof config === "object") {
    for (const [k, v] of Object.entries(config)) {
      const path = at ? `${at}.${k}` : k;
      if (/seed$/i.test(k) && typeof v === "number") out[path] = v;
      else Object.assign(out, seedsOf(v, path));
    }
  }
  return out;
}

/**
 * Mark the run `interrupted` on SIGINT/SIGTERM and exit (130/143), so a stopped run never keeps
 * "running". Not in a Jupyter kernel, where SIGINT interrupts a cell and the kernel lives on.
 * Returns the function that removes the listeners.
 */
function onStopSignals(run: RunDir, t0: number): () => void {
  if (inJupyter() || Deno.build.os === "windows") {
    return () => {};
  }
  const listeners: [Deno.Signal, () => void][] = [];
  for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    const fn = () => {
      run.stop("interrupted", sig, (performance.now() - t0) / 1000).finally(() => Deno.exit(code));
    };
    try {
      Deno.addSignalListener(sig, fn);
      listeners.push([sig, fn]);
    } catch {
      // signals unavailable (no permission): a stopped run is then found "running" on resume
    }
  }
  return () => listeners.forEach(([sig, fn]) => Deno.removeSignalListener(sig, fn));
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
    seeds: seedsOf(config),
    notes: ctx.scale === "smoke"
      ? [
        `smoke scale: ${
          ctx.dataDir ? `data from ${ctx.dataDir}` : "generated data"
        }, small budgets; numbers are a smoke test`,
      ]
      : ctx.dataDir
      ? [`${ctx.scale} scale: data from ${ctx.dataDir}`]
      : [],
  });
  const dir = run.path;
  const removeListeners = onStopSignals(run, t0);
  let out: RunBodyOutput;
  try {
    out = await body(dir, run.manifest);
  } catch (e) {
    await run.stop("failed", e instanceof Error ? e.message : String(e), (performance.now() - t0) / 1000);
    throw e;
  } finally {
    removeListeners();
  }
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
  const smokeData = ctx.dataDir ? `data from ${ctx.dataDir}` : "generated data";
  const smoke = ctx.scale === "smoke" ? `, ${smokeData}: a smoke test, not the paper's numbers` : "";
  for (const [k, rows] of Object.entries(out.tables)) {
    await writeTable(dir, k, rows, {
      caption: `${name}: ${k} (${ctx.scale} scale${smoke})`,
      label: `tab:${name}-${k}`,
      // a CSV has no caption: at smoke, a first column says so in every row
      ...(ctx.scale === "smoke"
        ? { csvColumn: ["run_scale", `smoke (${smokeData})`] as [string, string] }
        : {}),
    });
  }
  // one copy of the Plotly library per run folder, shared by its figures
  if (Object.keys(out.figures).length > 0) await writePlotlyLibrary(`${dir}/plotly.min.js`);
  for (const [k, fig] of Object.entries(out.figures)) {
    await writeFigureHtml(
      `${dir}/${k}.html`,
      ctx.scale === "smoke" ? smokeTitled(fig, smokeData) : fig,
      undefined,
      "plotly.min.js",
    );
  }
  const seconds = (performance.now() - t0) / 1000;
  // phase seconds (and `total`) add up over the attempts of a resumed folder
  const attempt = run.attempt;
  for (const [k, v] of Object.entries({ ...out.seconds, total: seconds })) {
    run.manifest.seconds[k] = (run.manifest.seconds[k] ?? 0) + v;
    if (attempt) attempt.seconds[k] = (attempt.seconds[k] ?? 0) + v;
  }
  if (out.costs) run.manifest.costs = out.costs;
  Object.assign(run.manifest.seeds, out.seeds ?? {});
  for (const d of out.data ?? []) {
    if (!run.manifest.data.some((x) => x.path === d.path)) run.manifest.data.push(d);
  }
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

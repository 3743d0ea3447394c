/**
 * Every experiment as one function that runs it at a scale and writes its run folder
 * (`results/<experiment>/<scale>/<run-id>/`: manifest.json, tables as CSV/Markdown/LaTeX, figures
 * as standalone HTML). The notebooks and `deno task reproduce` both call these, so a notebook and
 * the terminal produce the same files; notebooks additionally display the returned tables and
 * figures inline.
 *
 * @module
 */
import { initBackend } from "../backend.ts";
import type { Figure } from "../report/plotly.ts";
import { lineChart, scatterChart, writeFigureHtml } from "../report/plotly.ts";
import { type Cell, paperVsOurs, writeTable } from "../report/table.ts";
import { readPaperTable } from "../report/paper.ts";
import { progressCallback } from "../report/progress.ts";
import { type Manifest, RunDir, sha256File } from "../report/manifest.ts";
import type { Scale } from "./scale.ts";
import { quickstartConfig, runQuickstart } from "./quickstart.ts";
import { runTheoryCheck, theoryCheckConfig } from "./theory_check.ts";
import { nb201CorrelationConfig, type Nb201ImageDataset, runNb201Correlation } from "./nb201_correlation.ts";
import { cvAblationConfig, runCvAblations } from "./cv_ablations.ts";
import { recsysAblationConfig, runRecsysAblations } from "./recsys_ablations.ts";
import { parseNames } from "./names.ts";
import { runNb201SupernetStudy, supernetStudyConfig } from "./nb201_supernet_study.ts";
import { type CorrelationRow, flattenCorrelation } from "./correlation_study.ts";
import {
  NASREC_SPACE_TITLES,
  RECSYS_DATASETS,
  recsysSearchConfig,
  type RecsysSearchResult,
  runRecsysSearch,
} from "./recsys_search.ts";
import {
  costFigures,
  findDataFile,
  paperFigures,
  parseDatasets,
  parseSpaces,
  resultsTable,
  vsPaperTable,
} from "./recsys_table.ts";
import { nb201SearchConfig, runNb201Search } from "./nb201_search.ts";

/** How an experiment is run. */
export interface RunContext {
  scale: Scale;
  /** folder with the experiment's real data (dataset files); generated data when absent */
  dataDir?: string;
  /** recommender datasets, comma-separated ("criteo,avazu,kdd2012"; default all) */
  datasets?: string;
  /** NASRec spaces, comma-separated ("small,full"; default both) */
  spaces?: string;
  /** ground-truth file for the CV study (NATS-Bench / NAS-Bench-Suite-Zero / CSV) */
  truthPath?: string;
  /** results root @default {"results" next to the project} */
  resultsRoot?: string;
  /** reuse a run folder to resume */
  runId?: string;
  log?: (line: string) => void;
  progress?: (done: number, total: number) => void;
}

/** What a run returns (and wrote). */
export interface ExperimentOutput {
  experiment: string;
  scale: Scale;
  dir: string;
  /** named tables (records), also written as CSV/Markdown/LaTeX */
  tables: Record<string, Record<string, Cell>[]>;
  /** named figures, also written as HTML */
  figures: Record<string, Figure>;
  /** lines a terminal prints at the end */
  summary: string[];
  seconds: number;
}

/** One experiment of the registry. */
export interface Experiment {
  name: string;
  /** the notebook that runs it (absent: terminal only) */
  notebook?: string;
  title: string;
  run(ctx: RunContext): Promise<ExperimentOutput>;
}

const RESULTS = new URL("../../results", import.meta.url).pathname;
/** Parsed real recommender data, shared by runs (git-ignored, see data/README.md). */
const RECSYS_CACHE = new URL("../../data/cache/recsys", import.meta.url).pathname;

const NB201_DATASETS: readonly Nb201ImageDataset[] = ["cifar10", "cifar100", "ImageNet16-120"];

/** The NB201 datasets of `--dataset` / `SIGEO_NB201_DATASETS` (default: all three; see names.ts). */
export function parseNb201Datasets(
  value: string | undefined,
  log?: (line: string) => void,
): Nb201ImageDataset[] {
  return parseNames(
    value,
    NB201_DATASETS,
    {
      cifar10: "cifar10",
      "cifar-10": "cifar10",
      cifar100: "cifar100",
      "cifar-100": "cifar100",
      "imagenet16-120": "ImageNet16-120",
      imagenet16: "ImageNet16-120",
    },
    "NAS-Bench-201 dataset",
    log,
  );
}

/** An environment variable, or undefined where unset or not permitted. */
function env(k: string): string | undefined {
  try {
    return Deno.env.get(k) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Progress as plain lines (each 10 %, with rate and ETA): what a notebook cell or a log file shows
 * well, where a redrawn terminal bar would not.
 */
export function lineProgress(
  label: string,
  print: (line: string) => void = console.log,
): (done: number, total: number) => void {
  return progressCallback(label, { mode: "lines", write: (text) => print(text.trimEnd()) });
}

/** The plain files directly in `dir`, sorted (none when it is not a folder). */
async function filesIn(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) if (e.isFile) out.push(`${dir.replace(/\/$/, "")}/${e.name}`);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory)) throw e;
  }
  return out.sort();
}

async function withRun(
  name: string,
  ctx: RunContext,
  config: unknown,
  body: (dir: string, manifest: Manifest) => Promise<
    Omit<ExperimentOutput, "experiment" | "scale" | "dir" | "seconds"> & {
      seconds: Record<string, number>;
      evaluations?: number;
    }
  >,
): Promise<ExperimentOutput> {
  const t0 = performance.now();
  await initBackend({ quiet: true });
  // A notebook run fixes its folder up front (notebook_runs.ts) through the environment. An
  // existing run id resumes that folder (a different config is refused, see RunDir).
  const run = await RunDir.open({
    root: ctx.resultsRoot ?? env("SIGEO_RESULTS") ?? RESULTS,
    experiment: name,
    scale: ctx.scale,
    runId: ctx.runId ?? env("SIGEO_RUN_ID"),
    config,
    notes: ctx.scale === "smoke"
      ? ["smoke scale: generated data, small budgets; numbers are a smoke test"]
      : [],
  });
  const dir = run.path;
  const out = await body(dir, run.manifest);
  // the real data a run read: the files of --data DIR (not its sub-folders) and the truth file
  for (
    const f of [...(ctx.dataDir ? await filesIn(ctx.dataDir) : []), ...(ctx.truthPath ? [ctx.truthPath] : [])]
  ) {
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
  // the body reports its phases (a resumed body counts what it replays); `total` adds up attempts
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

/** Spearman (with its interval) per level, one series per proxy. */
export function correlationFigure(
  rows: readonly CorrelationRow[],
  title: string,
  proxies?: string[],
): Figure {
  const levels = [...new Set(rows.map((r) => r.level))];
  const names = proxies ?? [...new Set(rows.map((r) => r.proxy))];
  return lineChart({
    x: levels,
    series: names.map((p) => {
      const get = (l: string) => rows.find((r) => r.proxy === p && r.level === l);
      return {
        name: p,
        y: levels.map((l) => get(l)?.spearman.value ?? NaN),
        error: {
          low: levels.map((l) => get(l)?.spearman.low ?? NaN),
          high: levels.map((l) => get(l)?.spearman.high ?? NaN),
        },
      };
    }),
    title,
    xTitle: "warm-up level",
    yTitle: "Spearman ρ with ground truth",
  });
}

const round = (v: number, d = 4) => (Number.isFinite(v) ? +v.toFixed(d) : v);

/** The experiments, by name. */
export const EXPERIMENTS: Record<string, Experiment> = {
  quickstart: {
    name: "quickstart",
    notebook: "00-quickstart.ipynb",
    title: "Score a handful of NB201 cells; ranking quality vs warm-up",
    run: (ctx) => {
      const cfg = quickstartConfig(ctx.scale);
      return withRun("quickstart", ctx, cfg, async (dir) => {
        const r = await runQuickstart(cfg, { dir, log: ctx.log, progress: ctx.progress });
        const scores = r.scores.map((s) => ({
          cell: s.note,
          proxy: s.proxy,
          score: round(s.value),
          zico: round(s.terms.zico ?? NaN),
          fr: round(s.terms.fr ?? NaN),
          loss: round(s.terms.loss ?? NaN),
          seconds: round(s.seconds, 2),
        }));
        const corr = flattenCorrelation(r.study.table);
        return {
          tables: { scores, correlation: corr },
          figures: {
            correlation: correlationFigure(r.study.table, "Ranking quality vs warm-up (quickstart)"),
          },
          summary: r.study.table.map((t) =>
            `${t.proxy.padEnd(8)} warm-up ${t.level.padStart(4)}: Spearman ${t.spearman.value.toFixed(2)}`
          ),
          seconds: { scoring: r.seconds },
        };
      });
    },
  },
  "theory-check": {
    name: "theory-check",
    notebook: "01-theory-check.ipynb",
    title: "Paper §5.2: loss, Fisher–Rao norm and mean |gradient| vs final test loss",
    run: (ctx) => {
      const cfg = { ...theoryCheckConfig(ctx.scale), dataDir: ctx.dataDir };
      return withRun("theory-check", ctx, cfg, async () => {
        const r = await runTheoryCheck(cfg, { log: ctx.log, progress: ctx.progress });
        const runs = r.runs.flatMap((run) =>
          Object.entries(run.measures).map(([level, m]) => ({
            run: run.run,
            width: run.width,
            level,
            loss: round(m.loss),
            fr: round(m.fr),
            mag: round(m.mag),
            test_loss: round(run.testLoss),
          }))
        );
        const ours = flattenCorrelation(r.table).map((x) => ({ ...x, quantity: x.proxy }));
        const vsPaper = paperVsOurs(
          readPaperTable("theory_check"),
          ours,
          ["quantity", "level"],
          "spearman",
          ctx.scale,
        );
        return {
          tables: { correlation: flattenCorrelation(r.table), vs_paper: vsPaper, runs },
          figures: { correlation: correlationFigure(r.table, "Correlation with final test loss vs warm-up") },
          summary: r.table.filter((t) => t.level === "100%" || t.level === "10%").map((t) =>
            `${t.proxy.padEnd(16)} at ${t.level.padStart(4)}: Spearman ${t.spearman.value.toFixed(2)}`
          ),
          seconds: { training: r.seconds },
        };
      });
    },
  },
  "nb201-correlation": {
    name: "nb201-correlation",
    notebook: "02-nb201-correlation.ipynb",
    title:
      "Paper §5.3: ZiCo vs SiGeo rank correlation vs warm-up on NAS-Bench-201 (CIFAR-10, CIFAR-100, ImageNet16-120)",
    run: (ctx) => {
      const datasets = parseNb201Datasets(ctx.datasets ?? env("SIGEO_NB201_DATASETS"), ctx.log);
      const cfgs = datasets.map((d) => ({
        ...nb201CorrelationConfig(ctx.scale, d),
        dataDir: ctx.dataDir,
        truthPath: ctx.truthPath,
      }));
      return withRun("nb201-correlation", ctx, cfgs, async (dir) => {
        const paperAll = (readPaperTable("cv_correlation").toRecords() as Record<string, Cell>[])
          .filter((x) => x.space === "nb201");
        const correlation: Record<string, Cell>[] = [], vsPaper: Record<string, Cell>[] = [];
        const figures: Record<string, Figure> = {};
        const summary: string[] = [];
        const seconds: Record<string, number> = {};
        let evaluations = 0;
        for (const [i, cfg] of cfgs.entries()) {
          const d = cfg.dataset;
          const progress = ctx.progress &&
            ((done: number, total: number) => ctx.progress!(i * total + done, cfgs.length * total));
          const r = await runNb201Correlation(cfg, { dir: `${dir}/${d}`, log: ctx.log, progress });
          const flat: Record<string, Cell>[] = flattenCorrelation(r.table).map((x) => ({ dataset: d, ...x }));
          correlation.push(...flat);
          const ours = flat.filter((x) => cfg.proxies.includes(String(x.proxy)));
          vsPaper.push(
            ...paperVsOurs(
              paperAll.filter((x) => x.dataset === d),
              ours,
              ["dataset", "proxy", "level"],
              "spearman",
              ctx.scale,
            ),
          );
          figures[`correlation_${d}`] = correlationFigure(
            r.table.filter((t) => cfg.proxies.includes(t.proxy)),
            `ZiCo vs SiGeo on NB201-${d} (${ctx.scale}; ${r.truthSource})`,
          );
          summary.push(
            `${d}: ground truth ${r.truthSource}`,
            ...r.table.filter((t) => cfg.proxies.includes(t.proxy)).map((t) =>
              `  ${t.proxy.padEnd(10)} ${t.level.padStart(4)}: Spearman ${
                t.spearman.value.toFixed(2)
              } Kendall ${t.kendall.value.toFixed(2)}`
            ),
          );
          Object.assign(seconds, {
            [`${d}_truth`]: r.seconds.truth,
            [`${d}_warmup`]: r.seconds.warmup,
            [`${d}_scoring`]: r.seconds.scoring,
          });
          evaluations += r.scores.length;
        }
        // Part 2 (first dataset): the same candidates on one warmed-up weight-sharing supernet,
        // with the one-shot baseline.
        const first = cfgs[0];
        const sn = await runNb201SupernetStudy(supernetStudyConfig(first, ctx.scale), {
          dir: `${dir}/${first.dataset}/supernet`,
          truthFile: first.truthPath ? undefined : `${dir}/${first.dataset}/truth.csv`,
          log: ctx.log,
        });
        figures.supernet = correlationFigure(
          sn.table,
          `NB201-${first.dataset} supernet warm-up: proxies vs one-shot (${ctx.scale})`,
        );
        return {
          tables: {
            correlation,
            vs_paper: vsPaper,
            supernet_correlation: flattenCorrelation(sn.table).map((x) => ({ dataset: first.dataset, ...x })),
          },
          figures,
          summary,
          seconds: { ...seconds, supernet_warmup: sn.seconds.warmup, supernet_scoring: sn.seconds.scoring },
          evaluations: evaluations + sn.scores.length,
        };
      });
    },
  },
  "nb201-search": {
    name: "nb201-search",
    title:
      "The full sub-one-shot pipeline on NB201: supernet warm-up, SiGeo evolution, top-k retrained, test accuracy",
    run: (ctx) => {
      const cfg = { ...nb201SearchConfig(ctx.scale), dataDir: ctx.dataDir };
      return withRun("nb201-search", ctx, cfg, async (dir) => {
        const r = await runNb201Search(cfg, { dir, log: ctx.log });
        const history = r.history.history.records.map((h) => ({
          index: h.index,
          arch: String(h.arch),
          sigeo: round(h.score),
          generation: h.generation,
        }));
        return {
          tables: {
            result: [{
              best: r.best,
              val_accuracy: round(r.valAccuracy),
              test_accuracy: round(r.testAccuracy),
              evaluations: history.length,
            }],
            history,
          },
          figures: {},
          summary: [
            `best ${r.best}: validation ${(100 * r.valAccuracy).toFixed(1)}%, test ${
              (100 * r.testAccuracy).toFixed(1)
            }%`,
          ],
          seconds: { warmup: r.seconds.warmup, search: r.seconds.search, final: r.seconds.final },
          evaluations: history.length,
        };
      });
    },
  },
  "recsys-search": {
    name: "recsys-search",
    notebook: "03-recsys-search.ipynb",
    title:
      "Paper §5.4: sub-one-shot search on Criteo, Avazu, KDD 2012 (NASRec-Small/Full): log loss vs search cost",
    run: async (ctx) => {
      const datasets = parseDatasets(ctx.datasets ?? env("SIGEO_DATASETS"), ctx.log);
      const spaces = parseSpaces(ctx.spaces ?? env("SIGEO_SPACES"), ctx.log);
      const dataFiles: Record<string, string | undefined> = {};
      for (const d of datasets) {
        dataFiles[d] = ctx.dataDir ? await findDataFile(ctx.dataDir, d) : undefined;
        if (!dataFiles[d] && ctx.scale === "paper") {
          throw new Error(
            `Cannot run recsys-search on ${d} at paper scale without its data: put ${
              RECSYS_DATASETS[d].files.join(" or ")
            } in --data DIR/${d}/ (see data/README.md)`,
          );
        }
      }
      const configs = datasets.flatMap((d) =>
        spaces.map((s) => ({
          ...recsysSearchConfig(ctx.scale, d, s),
          dataFile: dataFiles[d],
          cacheDir: dataFiles[d] ? RECSYS_CACHE : undefined,
        }))
      );
      return withRun("recsys-search", ctx, configs, async (dir, manifest) => {
        const runs: RecsysSearchResult[] = [];
        for (const [i, cfg] of configs.entries()) {
          const sub = `${dir}/${cfg.dataset}-${cfg.space}`;
          ctx.log?.(`${cfg.dataset} / ${NASREC_SPACE_TITLES[cfg.space]}`);
          // one bar over every run's final-stage steps
          const progress = ctx.progress &&
            ((done: number, total: number) => ctx.progress!(i * total + done, configs.length * total));
          runs.push(await runRecsysSearch(cfg, { dir: sub, log: ctx.log, progress }));
          for (const f of runs.at(-1)!.files) {
            if (!manifest.data.some((x) => x.path === f)) manifest.data.push(await sha256File(f));
          }
        }
        return {
          tables: { results: resultsTable(runs), vs_paper: vsPaperTable(runs, ctx.scale) },
          figures: { ...costFigures(runs, ctx.scale), ...paperFigures(datasets) },
          summary: runs.flatMap((r) => [
            `${r.config.dataset} / ${
              NASREC_SPACE_TITLES[r.config.space]
            }: ${r.data}; constant-CTR test log loss ${r.constantLogloss.toFixed(4)}`,
            ...r.methods.map((m) =>
              `  ${m.method.padEnd(9)} (${m.warmup.padStart(4)}): test log loss ${
                m.test_logloss.toFixed(4)
              }, AUC ${m.test_auc.toFixed(4)}, search ${m.searchSeconds.toFixed(1)} s`
            ),
          ]),
          seconds: Object.fromEntries(
            runs.flatMap((r) =>
              r.methods.flatMap((m) => [
                [`${r.config.dataset}-${r.config.space}_search_${m.method}`, m.searchSeconds],
                [`${r.config.dataset}-${r.config.space}_final_${m.method}`, m.finalSeconds],
              ])
            ),
          ),
          evaluations: runs.reduce((a, r) => a + r.methods.reduce((b, m) => b + m.evaluations, 0), 0),
        };
      });
    },
  },
  ablations: {
    name: "ablations",
    notebook: "04-ablations.ipynb",
    title:
      "Beyond the paper: λ, scoring batches, std convention; RecSys: final-layer vs all-layer gradients, warm-up fraction",
    run: (ctx) => {
      const cfg = cvAblationConfig(ctx.scale);
      const recsysCfg = recsysAblationConfig(ctx.scale);
      return withRun("ablations", ctx, { cv: cfg, recsys: recsysCfg }, async (dir) => {
        const r = await runCvAblations(cfg, { dir, log: ctx.log });
        const rs = await runRecsysAblations(recsysCfg, {
          dir: `${dir}/recsys`,
          log: ctx.log,
          progress: ctx.progress,
        });
        const recsys = flattenCorrelation(rs.table).map((x) => ({ variant: x.proxy, ...x }));
        const flat = <T extends CorrelationRow>(rows: T[], extra: (r: T) => Record<string, Cell>) =>
          rows.map((row) => ({ ...extra(row), ...flattenCorrelation([row])[0] }));
        const lambda = flat(r.lambda, (x) => ({ lambdas: x.lambdas }));
        const batches = flat(r.batches, (x) => ({ batches: x.batches, batch_size: x.batchSize }));
        const std = flat(r.std, (x) => ({ ddof: x.ddof }));
        const best = [...r.lambda].filter((x) =>
          Number.isFinite(x.spearman.value)
        ).sort((a, b) => b.spearman.value - a.spearman.value)[0];
        return {
          tables: { lambda, batches, std, recsys },
          figures: {
            recsys: correlationFigure(
              rs.table,
              `RecSys (${rs.data}): Spearman with the trained-from-scratch ranking vs warm-up`,
            ),
            lambda: scatterChart({
              points: r.lambda.map((x) => ({
                x: Number.parseFloat(x.level),
                y: x.spearman.value,
                group: x.lambdas,
              })),
              title: "SiGeo λ ablation: Spearman vs warm-up",
              xTitle: "warm-up (%)",
              yTitle: "Spearman ρ",
            }),
          },
          summary: [
            `best λ: (${best?.lambdas}) at ${best?.level}: Spearman ${best?.spearman.value.toFixed(2)}`,
            ...rs.table.filter((x) =>
              x.proxy.startsWith("sigeo")
            ).map((x) => `RecSys ${x.proxy} at ${x.level}: Spearman ${x.spearman.value.toFixed(2)}`),
          ],
          seconds: { cv: r.seconds, recsys: rs.seconds },
        };
      });
    },
  },
};

/**
 * Plotly figures as plain JSON, shown inline in Jupyter and written as standalone HTML.
 *
 * Figures stay data (`{data, layout}`): no DOM on the server side (toolchain-findings.md §3).
 * - In Jupyter, {@linkcode show} publishes a bundle with `application/vnd.plotly.v1+json`
 *   (JupyterLab, VS Code) *and* `text/html` (classic notebook, nbconvert's HTML export, which has
 *   no Plotly renderer). The `text/html` of the first figure of a notebook session carries the
 *   plotly.js library inline (4.8 MB, from the pinned `plotly.js-dist-min` package); later figures
 *   only call `Plotly.newPlot`, so the library is loaded once per notebook.
 * - {@linkcode writeFigureHtml} writes a self-contained page (library inlined; opens offline).
 * - {@linkcode exportStatic} renders PNG/SVG through headless Chromium when it is installed
 *   (an optional dependency): a clear error says how to get it otherwise.
 *
 * @module
 */
import { writeFileAtomic } from "../io.ts";

/** A Plotly figure: traces, layout, config — JSON only. */
export interface Figure {
  data: Record<string, unknown>[];
  layout?: Record<string, unknown>;
  config?: Record<string, unknown>;
}

let libraryText: string | null = null;
let libraryShown = false;
let figureCount = 0;

/** The plotly.js bundle's text (read once from the pinned npm package). */
export async function plotlyLibrary(): Promise<string> {
  if (libraryText !== null) return libraryText;
  const url = import.meta.resolve("plotly.js-dist-min");
  const path = url.startsWith("file://") ? new URL(url).pathname : url;
  const file = path.endsWith(".js") ? path : `${path.replace(/\/$/, "")}/plotly.min.js`;
  try {
    libraryText = await Deno.readTextFile(file);
  } catch (e) {
    throw new Error(
      `Cannot read plotly.js from ${file} (${
        (e as Error).message
      }): run \`deno install\` in the project first`,
    );
  }
  return libraryText;
}

function title(fig: Figure): string {
  const t = fig.layout?.title;
  if (typeof t === "string") return t;
  if (t && typeof t === "object" && typeof (t as { text?: unknown }).text === "string") {
    return (t as { text: string }).text;
  }
  return "figure";
}

/** JSON safe inside a `<script>` element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === "number" && !Number.isFinite(x) ? null : x))
    .replaceAll("<", "\\u003c");
}

/** The `<div>` + `Plotly.newPlot` call of a figure (expects `window.Plotly`). */
export function figureDiv(fig: Figure, id = `sigeo-fig-${++figureCount}`): string {
  const config = { responsive: true, displaylogo: false, ...fig.config };
  return `<div id="${id}" style="width:100%;max-width:900px;height:${
    Number(fig.layout?.height ?? 420)
  }px"></div>\n<script>Plotly.newPlot(${JSON.stringify(id)}, ${scriptJson(fig.data)}, ${
    scriptJson(fig.layout ?? {})
  }, ${scriptJson(config)});</script>`;
}

/**
 * The Jupyter display bundle of a figure. `includeLibrary` inlines plotly.js in the `text/html`
 * part (the first figure of a notebook).
 */
export async function plotlyBundle(fig: Figure, includeLibrary: boolean): Promise<Record<string, unknown>> {
  const lib = includeLibrary ? `<script>${await plotlyLibrary()}</script>\n` : "";
  return {
    "application/vnd.plotly.v1+json": { data: fig.data, layout: fig.layout ?? {}, config: fig.config ?? {} },
    "text/html": lib + figureDiv(fig),
    "text/plain": `Plotly figure: ${title(fig)}`,
  };
}

/** Whether this code runs inside the Deno Jupyter kernel. */
export function inJupyter(): boolean {
  try {
    // deno-lint-ignore no-explicit-any
    return typeof (Deno as any).jupyter?.display === "function";
  } catch {
    return false; // outside `deno jupyter`, touching Deno.jupyter throws
  }
}

/**
 * Show a figure inline when running in Jupyter (no-op elsewhere). Waits briefly after publishing:
 * the Deno kernel may report idle before its last outputs (toolchain-findings.md §1.6).
 */
export async function show(fig: Figure): Promise<void> {
  if (!inJupyter()) return;
  const bundle = await plotlyBundle(fig, !libraryShown);
  libraryShown = true;
  // deno-lint-ignore no-explicit-any
  await (Deno as any).jupyter.display(bundle, { raw: true });
  await new Promise((r) => setTimeout(r, 30));
}

/** A self-contained HTML page of one or more figures (library inlined), written atomically. */
export async function writeFigureHtml(
  path: string,
  figs: Figure | Figure[],
  pageTitle?: string,
): Promise<void> {
  const list = Array.isArray(figs) ? figs : [figs];
  const name = pageTitle ?? title(list[0]);
  const html = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${name.replace(/</g, "&lt;")}</title>
<script>${await plotlyLibrary()}</script></head>
<body style="font-family:sans-serif">
${list.map((f, i) => figureDiv(f, `fig-${i + 1}`)).join("\n")}
</body></html>
`;
  await writeFileAtomic(path, html);
}

/** The Chromium binary on PATH, or null. */
export async function findChromium(): Promise<string | null> {
  for (const name of ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]) {
    try {
      const out = await new Deno.Command("which", { args: [name], stdout: "piped", stderr: "null" }).output();
      if (out.success) return new TextDecoder().decode(out.stdout).trim();
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * A PNG screenshot of an HTML figure page through headless Chromium (optional dependency).
 * Throws an Error saying how to install it when absent.
 */
export async function exportStatic(
  htmlPath: string,
  pngPath: string,
  opts: { width?: number; height?: number; chromium?: string | null } = {},
): Promise<void> {
  const bin = opts.chromium === undefined ? await findChromium() : opts.chromium;
  if (!bin) {
    throw new Error(
      "Cannot export a static image: no Chromium found on PATH (optional; `apt-get install chromium` on Debian/Ubuntu). The HTML figure is written regardless",
    );
  }
  const profile = await Deno.makeTempDir({ prefix: "sigeo-chromium-" });
  try {
    const abs = await Deno.realPath(htmlPath);
    const tmp = `${pngPath}.tmp-${Deno.pid}.png`;
    const out = await new Deno.Command(bin, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        `--user-data-dir=${profile}`,
        `--window-size=${opts.width ?? 900},${opts.height ?? 500}`,
        "--hide-scrollbars",
        "--virtual-time-budget=5000",
        `--screenshot=${tmp}`,
        `file://${abs}`,
      ],
      stdout: "null",
      stderr: "piped",
      env: { XDG_CONFIG_HOME: profile, XDG_CACHE_HOME: profile },
    }).output();
    if (!out.success) {
      throw new Error(
        `Chromium failed to render ${htmlPath}: ${new TextDecoder().decode(out.stderr).slice(-500)}`,
      );
    }
    await Deno.rename(tmp, pngPath);
  } finally {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

/** One series of a line chart. */
export interface Series {
  name: string;
  y: number[];
  /** symmetric error bars, or [low, high] bounds */
  error?: number[] | { low: number[]; high: number[] };
  dash?: "solid" | "dash" | "dot";
}

/** A line chart of several series over shared x values (categories or numbers). */
export function lineChart(opts: {
  x: (number | string)[];
  series: Series[];
  title: string;
  xTitle: string;
  yTitle: string;
  yRange?: [number, number];
}): Figure {
  return {
    data: opts.series.map((s) => {
      const trace: Record<string, unknown> = {
        type: "scatter",
        mode: "lines+markers",
        name: s.name,
        x: opts.x,
        y: s.y,
        line: { dash: s.dash ?? "solid" },
      };
      if (Array.isArray(s.error)) trace.error_y = { type: "data", array: s.error, visible: true };
      else if (s.error) {
        const { low, high } = s.error;
        trace.error_y = {
          type: "data",
          symmetric: false,
          array: high.map((h, i) => h - s.y[i]),
          arrayminus: s.y.map((v, i) => v - low[i]),
          visible: true,
        };
      }
      return trace;
    }),
    layout: {
      title: { text: opts.title },
      xaxis: { title: { text: opts.xTitle } },
      yaxis: { title: { text: opts.yTitle }, ...(opts.yRange ? { range: opts.yRange } : {}) },
      legend: { orientation: "h", y: -0.2 },
      margin: { t: 50, r: 20 },
    },
  };
}

/** A scatter chart of labelled points, one trace per group. */
export function scatterChart(opts: {
  points: { x: number; y: number; label?: string; group?: string }[];
  title: string;
  xTitle: string;
  yTitle: string;
  logX?: boolean;
}): Figure {
  const groups = [...new Set(opts.points.map((p) => p.group ?? ""))];
  return {
    data: groups.map((g) => {
      const pts = opts.points.filter((p) => (p.group ?? "") === g);
      return {
        type: "scatter",
        mode: pts.some((p) => p.label) ? "markers+text" : "markers",
        name: g || "points",
        x: pts.map((p) => p.x),
        y: pts.map((p) => p.y),
        text: pts.map((p) => p.label ?? ""),
        textposition: "top center",
        marker: { size: 9 },
      };
    }),
    layout: {
      title: { text: opts.title },
      xaxis: { title: { text: opts.xTitle }, ...(opts.logX ? { type: "log" } : {}) },
      yaxis: { title: { text: opts.yTitle } },
      margin: { t: 50, r: 20 },
    },
  };
}

/**
 * Plotly figures as plain JSON, shown inline in Jupyter and written as standalone HTML.
 *
 * Figures stay data (`{data, layout}`): plotly.js needs a DOM, so it never runs on the server
 * side (docs/notebooks.md "Figures"); the browser (or headless Chromium) draws them.
 *
 * **In Jupyter**, {@linkcode display} (alias {@linkcode show}) publishes one bundle with
 * - `application/vnd.plotly.v1+json`: the figure JSON, drawn by JupyterLab/VS Code's own Plotly
 *   renderer when they have one;
 * - `text/html`: a `<div>` plus a script calling `Plotly.newPlot`, for the classic notebook and for
 *   nbconvert's HTML export, which have no Plotly renderer;
 * - `text/plain`: the title, for terminals.
 *
 * How plotly.js gets into the page, once per notebook: the `text/html` of the **first** figure
 * shown in a kernel session starts with a `<script>` holding the whole library (4.8 MB, read from
 * the pinned `plotly.js-dist-min` package under `node_modules`, so it works offline and the saved
 * notebook / its HTML export are self-contained). Every later figure only *references* the
 * library: its script waits (up to 10 s) for `window.Plotly`, set by that first output, and then
 * draws. If the first figure's output is gone from the page (cleared, or the notebook reopened with
 * only later outputs), the later figures say so in place of the chart; call
 * {@linkcode resetPlotlyLibrary} and show a figure again to re-embed the library. A kernel restart
 * resets this automatically (module state).
 *
 * **Files**: {@linkcode writeFigureHtml} writes a self-contained page (library inlined).
 * **Static images**: {@linkcode exportImage} renders exact-size SVG/PNG with Plotly's own
 * `toImage` in headless Chromium, and {@linkcode exportStatic} screenshots an HTML page, when a
 * Chromium is installed (optional; {@linkcode findChromium}); otherwise they throw an Error that
 * says how to install one.
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

/** JSON safe inside a `<script>` element (NaN/±Inf become null, as Plotly expects gaps). */
function scriptJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === "number" && !Number.isFinite(x) ? null : x))
    .replaceAll("<", "\\u003c");
}

/**
 * The `<div>` + script drawing a figure with `window.Plotly`. The script waits for the library
 * (loaded by an earlier output or the page head) and says so in the div if it never comes.
 */
export function figureDiv(fig: Figure, id = `sigeo-fig-${++figureCount}`): string {
  // the mode bar only on hover, so it never sits on the title
  const config = { responsive: true, displaylogo: false, displayModeBar: "hover", ...fig.config };
  const height = Number(fig.layout?.height ?? 420);
  const sid = JSON.stringify(id);
  return `<div id="${id}" style="width:100%;max-width:900px;height:${height}px"></div>
<script>(function draw(tries) {
  if (window.Plotly) { Plotly.newPlot(${sid}, ${scriptJson(fig.data)}, ${scriptJson(fig.layout ?? {})}, ${
    scriptJson(config)
  }); return; }
  if (tries < 200) { setTimeout(function () { draw(tries + 1); }, 50); return; }
  document.getElementById(${sid}).textContent = "plotly.js is not loaded on this page: re-run the notebook, or call resetPlotlyLibrary() and show the figure again";
})(0);</script>`;
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

/** Make the next displayed figure embed plotly.js again (e.g. after clearing its outputs). */
export function resetPlotlyLibrary(): void {
  libraryShown = false;
}

/**
 * Show a figure inline when running in Jupyter (a no-op elsewhere, so experiment code can call it
 * unconditionally). Waits briefly after publishing: the Deno kernel may report idle before its
 * last outputs, and plain `nbconvert --execute` would drop them (docs/notebooks.md).
 */
export async function display(fig: Figure): Promise<void> {
  if (!inJupyter()) return;
  const bundle = await plotlyBundle(fig, !libraryShown);
  libraryShown = true;
  // deno-lint-ignore no-explicit-any
  await (Deno as any).jupyter.display(bundle, { raw: true });
  await new Promise((r) => setTimeout(r, 30));
}

/** Same as {@linkcode display} (the notebooks' name for it). */
export const show: (fig: Figure) => Promise<void> = display;

/**
 * An HTML page of one or more figures, written atomically: self-contained (library inlined), or,
 * with `librarySrc`, loading the library from that relative path — the run folders share one
 * copy (written by {@linkcode writePlotlyLibrary}) instead of ~4.8 MB per figure.
 */
export async function writeFigureHtml(
  path: string,
  figs: Figure | Figure[],
  pageTitle?: string,
  librarySrc?: string,
): Promise<void> {
  const list = Array.isArray(figs) ? figs : [figs];
  const name = pageTitle ?? title(list[0]);
  const lib = librarySrc
    ? `<script src="${librarySrc.replace(/[<>"&]/g, "")}"></script>`
    : `<script>${await plotlyLibrary()}</script>`;
  const html = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${name.replace(/</g, "&lt;")}</title>
${lib}</head>
<body style="font-family:sans-serif">
${list.map((f, i) => figureDiv(f, `fig-${i + 1}`)).join("\n")}
</body></html>
`;
  await writeFileAtomic(path, html);
}

/** Write the Plotly library to `path` (atomically), for pages made with `librarySrc`. */
export async function writePlotlyLibrary(path: string): Promise<void> {
  await writeFileAtomic(path, await plotlyLibrary());
}

/** Browser names looked up on PATH, in order. */
export const CHROMIUM_NAMES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

/**
 * The Chromium binary to use for static export, or null: `SIGEO_CHROMIUM` when set, else the first
 * of {@linkcode CHROMIUM_NAMES} that is an executable file on `path` (default: `$PATH`).
 */
export async function findChromium(path?: string): Promise<string | null> {
  const forced = path === undefined ? Deno.env.get("SIGEO_CHROMIUM") : undefined;
  if (forced) return forced;
  const dirs = (path ?? Deno.env.get("PATH") ?? "").split(":").filter((d) => d !== "");
  for (const name of CHROMIUM_NAMES) {
    for (const dir of dirs) {
      try {
        const st = await Deno.stat(`${dir}/${name}`);
        if (st.isFile && ((st.mode ?? 0o111) & 0o111) !== 0) return `${dir}/${name}`;
      } catch {
        // not in this folder
      }
    }
  }
  return null;
}

const NO_CHROMIUM =
  "no Chromium found on PATH (optional; `apt-get install chromium` on Debian/Ubuntu, or set SIGEO_CHROMIUM to a Chrome/Chromium binary). The HTML figure is written regardless";

/** Flags for a quiet, stateless headless Chromium (root needs --no-sandbox). */
function chromiumArgs(profile: string): string[] {
  return [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    `--user-data-dir=${profile}`,
    "--hide-scrollbars",
  ];
}

async function runChromium(bin: string, args: string[], what: string): Promise<string> {
  const profile = await Deno.makeTempDir({ prefix: "sigeo-chromium-" });
  try {
    const out = await new Deno.Command(bin, {
      args: [...chromiumArgs(profile), ...args],
      stdout: "piped",
      stderr: "piped",
      env: { XDG_CONFIG_HOME: profile, XDG_CACHE_HOME: profile },
    }).output();
    if (!out.success) {
      throw new Error(
        `Chromium (${bin}) failed to render ${what}: ${new TextDecoder().decode(out.stderr).slice(-500)}`,
      );
    }
    return new TextDecoder().decode(out.stdout);
  } finally {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
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
  if (!bin) throw new Error(`Cannot export a static image: ${NO_CHROMIUM}`);
  const abs = await Deno.realPath(htmlPath);
  const tmp = `${pngPath}.tmp-${Deno.pid}.png`;
  await runChromium(bin, [
    `--window-size=${opts.width ?? 900},${opts.height ?? 500}`,
    "--virtual-time-budget=5000",
    `--screenshot=${tmp}`,
    `file://${abs}`,
  ], htmlPath);
  await Deno.rename(tmp, pngPath);
}

/** Options of {@linkcode exportImage}. */
export interface ImageOptions {
  /** @default {"svg"} */
  format?: "svg" | "png";
  /** pixels @default {700} */
  width?: number;
  /** pixels @default {450} */
  height?: number;
  /** PNG pixel ratio @default {1} */
  scale?: number;
  /** a Chromium binary, or null for "none" (default: {@linkcode findChromium}) */
  chromium?: string | null;
}

/**
 * The page {@linkcode exportImage} loads: draws the figure as a static plot, renders it with
 * `Plotly.toImage`, and writes the data URL (or "ERROR …") into `<pre id="out">` for `--dump-dom`.
 */
export function imagePage(
  fig: Figure,
  library: string,
  opts: Required<Pick<ImageOptions, "format" | "width" | "height" | "scale">>,
): string {
  const image = { format: opts.format, width: opts.width, height: opts.height, scale: opts.scale };
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><script>${library}</script></head>
<body><div id="fig" style="width:${opts.width}px;height:${opts.height}px"></div><pre id="out"></pre>
<script>
Plotly.newPlot("fig", ${scriptJson(fig.data)}, ${
    scriptJson({ ...fig.layout, width: opts.width, height: opts.height })
  }, { staticPlot: true })
  .then(function (gd) { return Plotly.toImage(gd, ${scriptJson(image)}); })
  .then(function (url) { document.getElementById("out").textContent = url; })
  .catch(function (e) { document.getElementById("out").textContent = "ERROR " + e; });
</script></body></html>
`;
}

/** The image bytes in the `<pre id="out">` of a dumped {@linkcode imagePage}. */
export function imageFromDom(dom: string, format: "svg" | "png"): Uint8Array {
  const m = /<pre id="out">([^<]*)<\/pre>/.exec(dom);
  const text = (m?.[1] ?? "").replaceAll("&amp;", "&");
  if (format === "svg" && text.startsWith("data:image/svg+xml,")) {
    return new TextEncoder().encode(decodeURIComponent(text.slice("data:image/svg+xml,".length)));
  }
  const b64 = `data:image/${format};base64,`;
  if (text.startsWith(b64)) return Uint8Array.from(atob(text.slice(b64.length)), (c) => c.charCodeAt(0));
  throw new Error(
    `Chromium did not render the ${format.toUpperCase()}: ${
      text ? text.slice(0, 200) : "no image in its output"
    }`,
  );
}

/**
 * Write a figure as an exact-size SVG or PNG, rendered by Plotly itself in headless Chromium
 * (`--dump-dom`; about 3–4 s). Throws an Error saying how to get Chromium when none is found.
 */
export async function exportImage(fig: Figure, path: string, opts: ImageOptions = {}): Promise<void> {
  const format = opts.format ?? "svg";
  const bin = opts.chromium === undefined ? await findChromium() : opts.chromium;
  if (!bin) throw new Error(`Cannot export ${path} as ${format.toUpperCase()}: ${NO_CHROMIUM}`);
  const dir = await Deno.makeTempDir({ prefix: "sigeo-image-" });
  try {
    const page = `${dir}/figure.html`;
    const size = { format, width: opts.width ?? 700, height: opts.height ?? 450, scale: opts.scale ?? 1 };
    await Deno.writeTextFile(page, imagePage(fig, await plotlyLibrary(), size));
    const dom = await runChromium(bin, ["--virtual-time-budget=10000", "--dump-dom", `file://${page}`], path);
    await writeFileAtomic(path, imageFromDom(dom, format));
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** One series of a line chart. */
export interface Series {
  name: string;
  y: number[];
  /** x values of this series (default: the chart's shared `x`) */
  x?: (number | string)[];
  /** symmetric error bars, or [low, high] bounds */
  error?: number[] | { low: number[]; high: number[] };
  dash?: "solid" | "dash" | "dot";
}

/** A title left-aligned at the top, clear of the mode bar (top right, shown on hover). */
function chartTitle(text: string) {
  return { text, x: 0, xref: "paper", xanchor: "left", y: 0.97, yanchor: "top" };
}

/** A line chart of several series over shared x values (categories or numbers) or their own. */
export function lineChart(opts: {
  x?: (number | string)[];
  series: Series[];
  title: string;
  xTitle: string;
  yTitle: string;
  yRange?: [number, number];
}): Figure {
  return {
    data: opts.series.map((s) => {
      const x = s.x ?? opts.x;
      if (!x) {
        throw new TypeError(
          `Cannot draw series "${s.name}": no x values (give the chart's x or the series' x)`,
        );
      }
      if (x.length !== s.y.length) {
        throw new RangeError(
          `Cannot draw series "${s.name}": ${x.length} x values but ${s.y.length} y values`,
        );
      }
      const trace: Record<string, unknown> = {
        type: "scatter",
        mode: "lines+markers",
        name: s.name,
        x,
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
      title: chartTitle(opts.title),
      xaxis: { title: { text: opts.xTitle } },
      yaxis: { title: { text: opts.yTitle }, ...(opts.yRange ? { range: opts.yRange } : {}) },
      legend: { orientation: "h", y: -0.2 },
      margin: { t: 70, r: 30 },
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
        // labels may reach past the axes (and the margin leaves room), never cut off
        cliponaxis: false,
        marker: { size: 9 },
      };
    }),
    layout: {
      title: chartTitle(opts.title),
      xaxis: { title: { text: opts.xTitle }, ...(opts.logX ? { type: "log" } : {}) },
      yaxis: { title: { text: opts.yTitle } },
      margin: { t: 70, r: opts.points.some((p) => p.label) ? 100 : 30, l: 70 },
    },
  };
}

/**
 * Result tables as Markdown (GitHub pipe tables) and LaTeX (booktabs), from Polars DataFrames or
 * plain records — what a paper or a README pastes. Numbers are formatted per column; NaN is
 * written as "NaN" (never blank), so a failed proxy is visible in every table.
 *
 * @module
 */
import pl from "nodejs-polars";
import { writeFileAtomic } from "../io.ts";

/** A value of a table cell (Polars Int64 columns may give bigints). */
export type Cell = string | number | bigint | boolean | null | undefined;

/** Horizontal alignment of a column. */
export type Align = "left" | "right" | "center";

/** Formatting of a table. */
export interface TableFormat {
  /** decimals per column (numbers only) @default {4 for non-integers} */
  decimals?: Record<string, number>;
  /** a formatter per column; wins over `decimals` (e.g. {@linkcode signedFormat} for differences) */
  format?: Record<string, (v: Cell) => string>;
  /** alignment per column (default: numeric columns right, others left) */
  align?: Record<string, Align>;
  /** header text per column (default: the column name) */
  headers?: Record<string, string>;
  /** columns to show, in order (default: all) */
  columns?: string[];
  /** text of a missing (null) cell, e.g. "–" @default {""} */
  missing?: string;
}

/** Records of a DataFrame (or records as given). */
export function toRecords(data: pl.DataFrame | readonly Record<string, Cell>[]): Record<string, Cell>[] {
  if (Array.isArray(data)) return data as Record<string, Cell>[];
  return (data as pl.DataFrame).toRecords() as Record<string, Cell>[];
}

function columnsOf(rows: Record<string, Cell>[], fmt: TableFormat): string[] {
  if (fmt.columns) return fmt.columns;
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  return cols;
}

/** The text of one cell. */
export function formatCell(v: Cell, decimals?: number): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "bigint") return String(v);
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "NaN";
    if (!Number.isFinite(v)) return v > 0 ? "Inf" : "-Inf";
    if (decimals !== undefined) return v.toFixed(decimals);
    return Number.isInteger(v) ? String(v) : v.toFixed(4);
  }
  return String(v);
}

/**
 * A formatter writing an explicit sign ("+0.0012", "-0.0300"), for differences; a value that
 * rounds to zero is written unsigned ("0.0000"), NaN and missing cells as {@linkcode formatCell}
 * writes them.
 */
export function signedFormat(decimals: number): (v: Cell) => string {
  return (v) => {
    const text = formatCell(v, decimals);
    if (typeof v !== "number" || !Number.isFinite(v) || !/[1-9]/.test(text)) {
      return text.replace(/^-(?=[0.]+$)/, "");
    }
    return v > 0 ? `+${text}` : text;
  };
}

const isNum = (v: Cell) => typeof v === "number" || typeof v === "bigint";

function isNumericColumn(rows: Record<string, Cell>[], c: string): boolean {
  return rows.some((r) => isNum(r[c])) && rows.every((r) => r[c] == null || isNum(r[c]));
}

function alignments(rows: Record<string, Cell>[], cols: string[], fmt: TableFormat): Align[] {
  return cols.map((c) => fmt.align?.[c] ?? (isNumericColumn(rows, c) ? "right" : "left"));
}

function cellText(r: Record<string, Cell>, c: string, fmt: TableFormat): string {
  const v = r[c];
  if (v === null || v === undefined) return fmt.missing ?? "";
  const custom = fmt.format?.[c];
  return custom ? custom(v) : formatCell(v, fmt.decimals?.[c]);
}

/**
 * A GitHub-flavoured Markdown table, padded so that the text reads as a table too; numeric
 * columns right-aligned unless `align` says otherwise.
 */
export function toMarkdown(
  data: pl.DataFrame | readonly Record<string, Cell>[],
  fmt: TableFormat = {},
): string {
  const rows = toRecords(data);
  const cols = columnsOf(rows, fmt);
  const esc = (s: string) => s.replaceAll("|", "\\|");
  const head = cols.map((c) => esc(fmt.headers?.[c] ?? c));
  const body = rows.map((r) => cols.map((c) => esc(cellText(r, c, fmt))));
  const align = alignments(rows, cols, fmt);
  const widths = cols.map((_, i) => Math.max(3, head[i].length, ...body.map((b) => b[i].length)));
  const pad = (s: string, i: number) => {
    if (align[i] === "right") return s.padStart(widths[i]);
    if (align[i] === "left") return s.padEnd(widths[i]);
    return s.padStart(s.length + Math.floor((widths[i] - s.length) / 2)).padEnd(widths[i]);
  };
  const line = (cells: string[]) => `| ${cells.map(pad).join(" | ")} |`;
  const ruleOf = (w: number, a: Align) =>
    a === "right" ? "-".repeat(w - 1) + ":" : a === "center" ? ":" + "-".repeat(w - 2) + ":" : "-".repeat(w);
  const rule = `| ${widths.map((w, i) => ruleOf(w, align[i])).join(" | ")} |`;
  return [line(head), rule, ...body.map(line)].join("\n") + "\n";
}

/** Escape LaTeX's special characters in text. */
export function latexEscape(s: string): string {
  return s.replace(/[\\{}&%$#_^~]/g, (ch) => {
    switch (ch) {
      case "\\":
        return "\\textbackslash{}";
      case "^":
        return "\\textasciicircum{}";
      case "~":
        return "\\textasciitilde{}";
      default:
        return `\\${ch}`;
    }
  });
}

/** Options of {@linkcode toLatex}. */
export interface LatexOptions extends TableFormat {
  caption?: string;
  label?: string;
}

/**
 * A booktabs `table` environment (\toprule, \midrule, \bottomrule; needs `\usepackage{booktabs}`);
 * numeric columns `r` unless `align` says otherwise. Text is escaped, the label is not.
 */
export function toLatex(
  data: pl.DataFrame | readonly Record<string, Cell>[],
  opts: LatexOptions = {},
): string {
  const rows = toRecords(data);
  const cols = columnsOf(rows, opts);
  const align = alignments(rows, cols, opts).map((a) => a[0]).join("");
  const line = (cells: string[]) => `    ${cells.join(" & ")} \\\\`;
  const out = ["\\begin{table}[t]", "  \\centering"];
  if (opts.caption) out.push(`  \\caption{${latexEscape(opts.caption)}}`);
  if (opts.label) out.push(`  \\label{${opts.label}}`);
  out.push(`  \\begin{tabular}{${align}}`, "    \\toprule");
  out.push(line(cols.map((c) => latexEscape(opts.headers?.[c] ?? c))));
  out.push("    \\midrule");
  for (const r of rows) out.push(line(cols.map((c) => latexEscape(cellText(r, c, opts)))));
  out.push("    \\bottomrule", "  \\end{tabular}", "\\end{table}");
  return out.join("\n") + "\n";
}

/**
 * Paper vs ours: the paper's value and ours side by side, joined on the `on` columns, with
 * `diff = ours − paper` and a `scale` column saying which scale produced "ours" (smoke-scale
 * numbers come from generated data and must never pass for a reproduction). `value` names the
 * value column of both sides, or `{paper, ours}` when they differ. A `digitised` column of the
 * paper (read off a figure, so approximate) is carried over. Rows without a partner are kept,
 * with a missing (null) value: nothing silently disappears, and a missing value never looks like
 * a failed (NaN) score. Paper rows come first, in the paper's order.
 */
export function paperVsOurs(
  paper: pl.DataFrame | readonly Record<string, Cell>[],
  ours: pl.DataFrame | readonly Record<string, Cell>[],
  on: string[],
  value: string | { paper: string; ours: string },
  scale: string,
): Record<string, Cell>[] {
  const v = typeof value === "string" ? { paper: value, ours: value } : value;
  const P = toRecords(paper), O = toRecords(ours);
  for (const [side, rows, col] of [["paper", P, v.paper], ["ours", O, v.ours]] as const) {
    for (const c of [...on, col]) {
      if (rows.length > 0 && !(c in rows[0])) {
        throw new TypeError(`Cannot compare paper with ours: the ${side} table has no column "${c}"`);
      }
    }
  }
  const key = (r: Record<string, Cell>) => on.map((k) => String(r[k])).join("\u0000");
  const index = (rows: Record<string, Cell>[], side: string) => {
    const m = new Map<string, Record<string, Cell>>();
    for (const r of rows) {
      const k = key(r);
      if (m.has(k)) {
        throw new RangeError(
          `Cannot compare paper with ours: the ${side} table has two rows for ${
            on.map((c) => `${c}=${r[c]}`).join(", ")
          }`,
        );
      }
      m.set(k, r);
    }
    return m;
  };
  index(P, "paper");
  const mine = index(O, "ours");
  const withDigitised = P.length > 0 && "digitised" in P[0];
  const num = (x: Cell) => (typeof x === "number" ? x : typeof x === "bigint" ? Number(x) : null);
  const row = (
    keys: Record<string, Cell>,
    p: Record<string, Cell> | undefined,
    o: Record<string, Cell> | undefined,
  ) => {
    const pv = p ? num(p[v.paper]) : null, ov = o ? num(o[v.ours]) : null;
    const out: Record<string, Cell> = Object.fromEntries(on.map((c) => [c, keys[c]]));
    out.paper = pv;
    out.ours = ov;
    out.diff = pv === null || ov === null ? null : ov - pv;
    if (withDigitised) out.digitised = p ? (p.digitised as Cell) ?? null : null;
    out.scale = scale;
    return out;
  };
  const seen = new Set<string>();
  const out = P.map((p) => {
    seen.add(key(p));
    return row(p, p, mine.get(key(p)));
  });
  for (const o of O) if (!seen.has(key(o))) out.push(row(o, undefined, o));
  return out;
}

/**
 * The caption of a paper-vs-ours table: what it shows, at which scale "ours" was run, and what
 * `diff` means; a smoke-scale run says it checks the pipeline, not the paper.
 */
export function paperVsOursCaption(what: string, scale: string): string {
  const note = scale === "smoke"
    ? ", generated data: a check of the pipeline, not of the paper's numbers"
    : "";
  return `${what}: paper vs ours (ours at ${scale} scale${note}); diff = ours - paper`;
}

/** Options of {@linkcode writeTable}. */
export interface WriteTableOptions extends LatexOptions {
  /**
   * a constant first column of the CSV only, e.g. `["run_scale", "smoke (generated data)"]`: a CSV has
   * no caption, and a column is what every CSV reader keeps (comment lines are not)
   */
  csvColumn?: [name: string, value: string];
}

/** Write `name.csv`, `name.md` and `name.tex` of a table into `dir` (each atomically). */
export async function writeTable(
  dir: string,
  name: string,
  data: pl.DataFrame | readonly Record<string, Cell>[],
  opts: WriteTableOptions = {},
): Promise<string[]> {
  const rows = toRecords(data);
  let df = Array.isArray(data) ? recordsToFrame(rows) : data as pl.DataFrame;
  if (opts.csvColumn) {
    const [col, value] = opts.csvColumn;
    if (df.columns.includes(col)) {
      throw new RangeError(`Cannot add CSV column '${col}' to ${name}: it exists`);
    }
    df = df.withColumn(pl.lit(value).alias(col)).select(col, ...df.columns);
  }
  const files = [`${dir}/${name}.csv`, `${dir}/${name}.md`, `${dir}/${name}.tex`];
  await writeFileAtomic(files[0], df.writeCSV().toString());
  // the caption heads the Markdown too (Pandoc's `Table:` line), e.g. to say a run was a smoke test
  await writeFileAtomic(
    files[1],
    (opts.caption ? `Table: ${opts.caption}\n\n` : "") + toMarkdown(rows, opts),
  );
  await writeFileAtomic(files[2], toLatex(rows, opts));
  return files;
}

/** A Polars DataFrame from records (columns in first-seen order; missing cells null). */
export function recordsToFrame(rows: readonly Record<string, Cell>[]): pl.DataFrame {
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  const data: Record<string, Cell[]> = {};
  for (const c of cols) data[c] = rows.map((r) => r[c] ?? null);
  const df = pl.DataFrame(data);
  // a column of whole numbers is an integer column (CSV `3`, not `3.0`)
  const ints = cols.filter((c) =>
    data[c].some((v) => typeof v === "number") &&
    data[c].every((v) => v === null || (typeof v === "number" && Number.isSafeInteger(v)))
  );
  return ints.length ? df.withColumns(...ints.map((c) => pl.col(c).cast(pl.Int64))) : df;
}

/** `v` rounded to `digits` decimals for a table cell; NaN and ±Infinity are kept as they are. */
export function round(v: number, digits = 4): number {
  return Number.isFinite(v) ? +v.toFixed(digits) : v;
}

/**
 * Decimals a column's numbers mean, from its name: correlations (ρ, τ, Spearman, Kendall,
 * Pearson, their interval bounds) 3, losses, AUCs and accuracies 4; other columns as
 * {@linkcode formatCell} writes them (integers whole, else 4 decimals).
 */
export function meaningfulDecimals(column: string): number | undefined {
  if (/rho|tau|spearman|kendall|pearson|corr|ρ|τ/i.test(column)) return 3;
  if (/loss|auc|acc/i.test(column)) return 4;
  return undefined;
}

const escapeHtml = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

/**
 * A table for a notebook cell: shown as HTML (long labels wrap, so it fits the page) and Markdown,
 * its numbers rounded to their meaning ({@linkcode meaningfulDecimals}) unless `fmt` says
 * otherwise. Full precision stays in the run folder's CSV.
 */
export function notebookTable(
  data: pl.DataFrame | readonly Record<string, Cell>[],
  fmt: TableFormat = {},
): { [k: symbol]: () => Record<string, string> } {
  const rows = toRecords(data);
  const cols = columnsOf(rows, fmt);
  const decimals: Record<string, number> = {};
  for (const c of cols) {
    const d = fmt.decimals?.[c] ?? meaningfulDecimals(c);
    if (d !== undefined) decimals[c] = d;
  }
  const f: TableFormat = { ...fmt, decimals };
  const align = alignments(rows, cols, f);
  const cell = (tag: string, text: string, i: number) =>
    `<${tag} style="text-align:${align[i]};white-space:normal;overflow-wrap:anywhere;max-width:16em">${
      escapeHtml(text)
    }</${tag}>`;
  const html = `<table style="table-layout:auto;max-width:100%;font-size:0.9em">` +
    `<thead><tr>${cols.map((c, i) => cell("th", f.headers?.[c] ?? c, i)).join("")}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${cols.map((c, i) => cell("td", cellText(r, c, f), i)).join("")}</tr>`).join("") +
    `</tbody></table>`;
  const md = toMarkdown(rows, f);
  return {
    [Symbol.for("Jupyter.display")]: () => ({ "text/html": html, "text/markdown": md, "text/plain": md }),
  };
}

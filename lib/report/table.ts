/**
 * Result tables as Markdown (GitHub pipe tables) and LaTeX (booktabs), from Polars DataFrames or
 * plain records — what a paper or a README pastes. Numbers are formatted per column; NaN is
 * written as "NaN" (never blank), so a failed proxy is visible in every table.
 *
 * @module
 */
import pl from "nodejs-polars";
import { writeFileAtomic } from "../io.ts";

/** A value of a table cell. */
export type Cell = string | number | boolean | null | undefined;

/** Formatting of a table. */
export interface TableFormat {
  /** decimals per column (numbers only) @default {4 for non-integers} */
  decimals?: Record<string, number>;
  /** header text per column (default: the column name) */
  headers?: Record<string, string>;
  /** columns to show, in order (default: all) */
  columns?: string[];
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
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "NaN";
    if (!Number.isFinite(v)) return v > 0 ? "Inf" : "-Inf";
    if (decimals !== undefined) return v.toFixed(decimals);
    return Number.isInteger(v) ? String(v) : v.toFixed(4);
  }
  return String(v);
}

function isNumericColumn(rows: Record<string, Cell>[], c: string): boolean {
  return rows.some((r) => typeof r[c] === "number") &&
    rows.every((r) => r[c] == null || typeof r[c] === "number");
}

/** A GitHub-flavoured Markdown table; numeric columns right-aligned. */
export function toMarkdown(
  data: pl.DataFrame | readonly Record<string, Cell>[],
  fmt: TableFormat = {},
): string {
  const rows = toRecords(data);
  const cols = columnsOf(rows, fmt);
  const esc = (s: string) => s.replaceAll("|", "\\|");
  const head = cols.map((c) => esc(fmt.headers?.[c] ?? c));
  const body = rows.map((r) => cols.map((c) => esc(formatCell(r[c], fmt.decimals?.[c]))));
  const numeric = cols.map((c) => isNumericColumn(rows, c));
  const widths = cols.map((_, i) => Math.max(3, head[i].length, ...body.map((b) => b[i].length)));
  const pad = (s: string, i: number) => (numeric[i] ? s.padStart(widths[i]) : s.padEnd(widths[i]));
  const line = (cells: string[]) => `| ${cells.map(pad).join(" | ")} |`;
  const rule = `| ${
    widths.map((w, i) => (numeric[i] ? "-".repeat(w - 1) + ":" : "-".repeat(w))).join(" | ")
  } |`;
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

/** A booktabs `table` environment (\toprule, \midrule, \bottomrule); numeric columns `r`. */
export function toLatex(
  data: pl.DataFrame | readonly Record<string, Cell>[],
  opts: LatexOptions = {},
): string {
  const rows = toRecords(data);
  const cols = columnsOf(rows, opts);
  const align = cols.map((c) => (isNumericColumn(rows, c) ? "r" : "l")).join("");
  const line = (cells: string[]) => `    ${cells.join(" & ")} \\\\`;
  const out = ["\\begin{table}[t]", "  \\centering"];
  if (opts.caption) out.push(`  \\caption{${latexEscape(opts.caption)}}`);
  if (opts.label) out.push(`  \\label{${opts.label}}`);
  out.push(`  \\begin{tabular}{${align}}`, "    \\toprule");
  out.push(line(cols.map((c) => latexEscape(opts.headers?.[c] ?? c))));
  out.push("    \\midrule");
  for (const r of rows) out.push(line(cols.map((c) => latexEscape(formatCell(r[c], opts.decimals?.[c])))));
  out.push("    \\bottomrule", "  \\end{tabular}", "\\end{table}");
  return out.join("\n") + "\n";
}

/**
 * Paper vs ours: joins the paper's values to ours on `on` columns and adds `diff = ours − paper`.
 * Rows of either side without a partner are kept (with NaN), so nothing silently disappears; the
 * `scale` column says which scale produced "ours".
 */
export function paperVsOurs(
  paper: readonly Record<string, Cell>[],
  ours: readonly Record<string, Cell>[],
  on: string[],
  value: { paper: string; ours: string },
  scale: string,
): Record<string, Cell>[] {
  const key = (r: Record<string, Cell>) => on.map((k) => String(r[k])).join("\u0000");
  const mine = new Map(ours.map((r) => [key(r), r]));
  const seen = new Set<string>();
  const out: Record<string, Cell>[] = [];
  const num = (v: Cell) => (typeof v === "number" ? v : NaN);
  for (const p of paper) {
    const k = key(p);
    seen.add(k);
    const o = mine.get(k);
    const pv = num(p[value.paper]), ov = num(o?.[value.ours]);
    out.push({ ...Object.fromEntries(on.map((c) => [c, p[c]])), paper: pv, ours: ov, diff: ov - pv, scale });
  }
  for (const o of ours) {
    if (seen.has(key(o))) continue;
    const ov = num(o[value.ours]);
    out.push({ ...Object.fromEntries(on.map((c) => [c, o[c]])), paper: NaN, ours: ov, diff: NaN, scale });
  }
  return out;
}

/** Write `name.csv`, `name.md` and `name.tex` of a table into `dir` (each atomically). */
export async function writeTable(
  dir: string,
  name: string,
  data: pl.DataFrame | readonly Record<string, Cell>[],
  opts: LatexOptions = {},
): Promise<string[]> {
  const rows = toRecords(data);
  const df = Array.isArray(data) ? recordsToFrame(rows) : data as pl.DataFrame;
  const files = [`${dir}/${name}.csv`, `${dir}/${name}.md`, `${dir}/${name}.tex`];
  await writeFileAtomic(files[0], df.writeCSV().toString());
  await writeFileAtomic(files[1], toMarkdown(rows, opts));
  await writeFileAtomic(files[2], toLatex(rows, opts));
  return files;
}

/** A Polars DataFrame from records (columns in first-seen order; missing cells null). */
export function recordsToFrame(rows: readonly Record<string, Cell>[]): pl.DataFrame {
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  const data: Record<string, Cell[]> = {};
  for (const c of cols) data[c] = rows.map((r) => r[c] ?? null);
  return pl.DataFrame(data);
}

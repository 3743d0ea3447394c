/**
 * The paper's published numbers (`data/paper/*.csv`) as Polars DataFrames, for paper-vs-ours
 * tables and figures. Every row says where its number comes from (`source`) and whether it was
 * read off a figure (`digitised`, ±1 pixel) rather than printed; `data/paper/README.md` describes
 * each file.
 *
 * The files are small and hand-edited, so they are parsed here (not by Polars' type inference)
 * to give typed columns and an error naming the file and line when an edit breaks one: a column
 * whose non-empty cells are all numbers is Float64, `digitised` is Bool, every other column is
 * String, and an empty cell is null.
 *
 * @module
 */
import pl from "nodejs-polars";

/** The folder holding the published tables. */
export const PAPER_DIR: URL = new URL("../../data/paper/", import.meta.url);

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const NAME = /^[a-z0-9_]+$/;

/** Names of the published tables (CSV files without extension), sorted. */
export function listPaperTables(dir: URL = PAPER_DIR): string[] {
  const names: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    if (e.isFile && e.name.endsWith(".csv")) names.push(e.name.slice(0, -4));
  }
  return names.sort();
}

/** Split one CSV line into fields (RFC 4180 quoting; no line breaks inside fields). */
function splitCsvLine(line: string, where: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (true) {
    if (line[i] === '"') {
      let text = "";
      i++;
      while (true) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new SyntaxError(`${where}: unterminated quoted field`);
        text += line.slice(i, q);
        if (line[q + 1] === '"') {
          text += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      if (i < line.length && line[i] !== ",") {
        throw new SyntaxError(`${where}: expected a comma after a quoted field, found "${line[i]}"`);
      }
      out.push(text);
    } else {
      const c = line.indexOf(",", i);
      const end = c < 0 ? line.length : c;
      const text = line.slice(i, end);
      if (text.includes('"')) throw new SyntaxError(`${where}: a quote inside an unquoted field`);
      out.push(text);
      i = end;
    }
    if (i >= line.length) return out;
    i++; // the comma
  }
}

/**
 * Parse a published table's CSV text into a typed DataFrame. `file` names the source in error
 * messages. Requires a non-empty `source` and a `digitised` of `true`/`false` in every row.
 */
export function parsePaperCsv(text: string, file: string): pl.DataFrame {
  const lines = text.split("\n").map((l) => l.replace(/\r$/, ""));
  const header = splitCsvLine(lines[0] ?? "", `${file}:1`);
  if (header.length === 1 && header[0] === "") throw new SyntaxError(`${file}:1: expected a header line`);
  for (const col of ["source", "digitised"]) {
    if (!header.includes(col)) {
      throw new SyntaxError(`${file}:1: expected a "${col}" column, found ${header.join(",")}`);
    }
  }
  const dup = header.find((h, i) => header.indexOf(h) !== i);
  if (dup !== undefined) throw new SyntaxError(`${file}:1: column "${dup}" appears twice`);
  const rows: string[][] = [];
  for (let n = 1; n < lines.length; n++) {
    if (lines[n].trim() === "") continue;
    const where = `${file}:${n + 1}`;
    const fields = splitCsvLine(lines[n], where);
    if (fields.length !== header.length) {
      throw new SyntaxError(`${where}: expected ${header.length} fields, found ${fields.length}`);
    }
    const rec = Object.fromEntries(header.map((h, i) => [h, fields[i]]));
    if (rec.digitised !== "true" && rec.digitised !== "false") {
      throw new SyntaxError(`${where}: expected digitised to be true or false, found "${rec.digitised}"`);
    }
    if (rec.source.trim() === "") throw new SyntaxError(`${where}: expected a non-empty source`);
    rows.push(fields);
  }
  return pl.DataFrame(header.map((name, c) => {
    const cells = rows.map((r) => r[c]);
    if (name === "digitised") return pl.Series(name, cells.map((v) => v === "true"), pl.Bool);
    const filled = cells.filter((v) => v !== "");
    if (filled.length > 0 && filled.every((v) => NUMBER.test(v))) {
      return pl.Series(name, cells.map((v) => (v === "" ? null : Number(v))), pl.Float64);
    }
    return pl.Series(name, cells.map((v) => (v === "" ? null : v)), pl.Utf8);
  }));
}

/**
 * A published table by name (`data/paper/<name>.csv`), e.g. `readPaperTable("cv_correlation")`.
 * Throws a RangeError listing the available tables for an unknown name.
 */
export function readPaperTable(name: string, dir: URL = PAPER_DIR): pl.DataFrame {
  const known = listPaperTables(dir);
  if (!NAME.test(name) || !known.includes(name)) {
    throw new RangeError(`Unknown paper table "${name}": expected one of ${known.join(", ")}`);
  }
  const url = new URL(`${name}.csv`, dir);
  return parsePaperCsv(Deno.readTextFileSync(url), url.pathname);
}

/**
 * Compile the notebooks' TypeScript sources (`notebooks/<name>.ts`) into `notebooks/<name>.ipynb`.
 *
 * A source is one TypeScript module in the percent format (as jupytext writes it), so `deno fmt`,
 * `deno lint` and `deno check` cover the notebooks' code like any other file; a Deno-kernel
 * notebook shares one scope across its cells, as the cells of one module do:
 *
 * ```ts
 * // Lines before the first marker are the file's header: comments, not copied.
 *
 * // %% [markdown]
 * // # A title
 * //
 * // Markdown text, each line behind `// ` (an empty markdown line is `//`).
 *
 * // %% tags=["parameters"]
 * const scale = "smoke"; // a code cell; tags go into the cell's metadata (papermill's "parameters")
 *
 * // %%
 * recordsToFrame(out.tables.scores); // a final expression is what the cell displays
 * ```
 *
 * Blank lines around a cell are dropped; blank lines inside a code cell are kept. The output is
 * deterministic: Jupyter's layout (1-space indent, trailing newline), the Deno kernelspec, no
 * outputs, and cell ids `c00`, `c01`, … by position.
 *
 * Usage:
 *   deno task notebooks:build             # write every notebooks/*.ipynb from its source
 *   deno task notebooks:build --check     # exit 1 naming each notebook that differs from its source
 *
 * @module
 */
import { writeFileAtomic } from "../lib/io.ts";

/** One cell of a notebook source. */
export interface SourceCell {
  kind: "markdown" | "code";
  /** the cell's text, without the `// ` of markdown lines and without surrounding blank lines */
  source: string;
  /** cell tags, e.g. `["parameters"]` */
  tags: string[];
}

const MARKER = /^\/\/ %%(.*)$/;
const MARKER_REST = /^(?: \[markdown\])?(?: tags=(\[.*\]))?$/;

function fail(path: string, line: number, what: string): never {
  throw new SyntaxError(`Cannot read notebook source ${path}:${line}: ${what}`);
}

function parseTags(text: string | undefined, path: string, line: number): string[] {
  if (text === undefined) return [];
  let tags: unknown;
  try {
    tags = JSON.parse(text);
  } catch {
    fail(path, line, `expected tags as a JSON array of strings, e.g. tags=["parameters"]: got ${text}`);
  }
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === "string")) {
    fail(path, line, `expected tags as a JSON array of strings, e.g. tags=["parameters"]: got ${text}`);
  }
  return tags;
}

/** Drop leading and trailing blank lines of a cell's lines (with their line numbers). */
function trimBlank(lines: { text: string; line: number }[]): { text: string; line: number }[] {
  let a = 0, b = lines.length;
  while (a < b && lines[a].text.trim() === "") a++;
  while (b > a && lines[b - 1].text.trim() === "") b--;
  return lines.slice(a, b);
}

/**
 * The cells of a percent-format notebook source; `path` only names the file in errors.
 *
 * @throws {SyntaxError} on code before the first marker, a malformed marker, a markdown line
 *   that is not a `//` comment, or an empty cell
 */
export function parseNotebookSource(text: string, path = "<source>"): SourceCell[] {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const cells: SourceCell[] = [];
  let current: {
    kind: SourceCell["kind"];
    tags: string[];
    line: number;
    body: { text: string; line: number }[];
  } | null = null;
  const close = () => {
    if (!current) return;
    const body = trimBlank(current.body);
    if (body.length === 0) fail(path, current.line, `empty ${current.kind} cell`);
    const out = current.kind === "code" ? body.map((l) => l.text) : body.map((l) => {
      if (l.text === "//") return "";
      if (l.text.startsWith("// ")) return l.text.slice(3);
      return fail(path, l.line, `expected a markdown line to start with "// " (or be "//"): got ${l.text}`);
    });
    cells.push({ kind: current.kind, source: out.join("\n"), tags: current.tags });
  };
  lines.forEach((text, i) => {
    const line = i + 1;
    const marker = MARKER.exec(text);
    if (marker) {
      const rest = MARKER_REST.exec(marker[1]);
      if (!rest) {
        fail(path, line, `expected "// %%", "// %% [markdown]" and optional tags=[...]: got ${text}`);
      }
      close();
      current = {
        kind: marker[1].startsWith(" [markdown]") ? "markdown" : "code",
        tags: parseTags(rest[1], path, line),
        line,
        body: [],
      };
    } else if (current) {
      current.body.push({ text, line });
    } else if (text.trim() !== "" && !text.startsWith("//")) {
      fail(path, line, `expected only comments before the first "// %%" marker: got ${text}`);
    }
  });
  close();
  if (cells.length === 0) fail(path, 1, `no cells: expected "// %%" or "// %% [markdown]" markers`);
  return cells;
}

/** Notebook-level metadata of every notebook: the Deno kernel (`deno jupyter --install`). */
export const NOTEBOOK_METADATA = {
  kernelspec: { name: "deno", display_name: "Deno", language: "typescript" },
  language_info: { name: "typescript", file_extension: ".ts", mimetype: "text/x.typescript" },
} as const;

/** Jupyter's list-of-lines form: every line keeps its newline except the last. */
function sourceLines(source: string): string[] {
  const lines = source.split("\n");
  return lines.map((l, i) => (i < lines.length - 1 ? l + "\n" : l));
}

/** The `.ipynb` text (nbformat 4.5, no outputs) of a list of cells. */
export function renderNotebook(cells: SourceCell[]): string {
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: NOTEBOOK_METADATA,
    cells: cells.map((c, i) => {
      const head = {
        cell_type: c.kind,
        id: `c${String(i).padStart(2, "0")}`,
        metadata: c.tags.length > 0 ? { tags: c.tags } : {},
        source: sourceLines(c.source),
      };
      return c.kind === "code" ? { ...head, outputs: [], execution_count: null } : head;
    }),
  };
  return JSON.stringify(nb, null, 1) + "\n";
}

/** The notebooks folder of this project. */
export const NOTEBOOK_DIR = new URL("../notebooks/", import.meta.url).pathname;

/** A notebook source: any `.ts` file of the folder except tests. */
function isSource(name: string): boolean {
  return name.endsWith(".ts") && !name.endsWith("_test.ts");
}

/** Names (without extension) of the folder's sources and notebooks. */
export async function listNotebooks(dir: string): Promise<{ sources: string[]; notebooks: string[] }> {
  const sources: string[] = [], notebooks: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (!e.isFile) continue;
    if (isSource(e.name)) sources.push(e.name.slice(0, -3));
    else if (e.name.endsWith(".ipynb")) notebooks.push(e.name.slice(0, -6));
  }
  return { sources: sources.sort(), notebooks: notebooks.sort() };
}

/** What {@linkcode buildNotebooks} found or did. */
export interface BuildReport {
  /** notebooks whose committed file differs from (or, when writing, was rewritten from) its source */
  changed: string[];
  /** notebooks without a source (never written or deleted: a source must be added by hand) */
  orphans: string[];
}

/**
 * Compile every source of `dir` into its notebook; with `check`, write nothing and report which
 * notebooks differ from their source (a missing notebook counts as differing).
 */
export async function buildNotebooks(dir: string, opts: { check?: boolean } = {}): Promise<BuildReport> {
  const { sources, notebooks } = await listNotebooks(dir);
  const changed: string[] = [];
  for (const name of sources) {
    const want = renderNotebook(
      parseNotebookSource(await Deno.readTextFile(`${dir}/${name}.ts`), `${name}.ts`),
    );
    let have: string | null = null;
    try {
      have = await Deno.readTextFile(`${dir}/${name}.ipynb`);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    if (have === want) continue;
    changed.push(`${name}.ipynb`);
    if (!opts.check) await writeFileAtomic(`${dir}/${name}.ipynb`, want);
  }
  const orphans = notebooks.filter((n) => !sources.includes(n)).map((n) => `${n}.ipynb`);
  return { changed, orphans };
}

if (import.meta.main) {
  const check = Deno.args.includes("--check");
  const unknown = Deno.args.filter((a) => a !== "--check");
  if (unknown.length > 0) {
    console.error(`usage: build_notebooks.ts [--check]: unknown argument ${unknown[0]}`);
    Deno.exit(2);
  }
  const { changed, orphans } = await buildNotebooks(NOTEBOOK_DIR, { check });
  for (const o of orphans) console.error(`${o}: no source notebooks/${o.replace(/\.ipynb$/, ".ts")}`);
  if (check) {
    for (const c of changed) {
      console.error(`${c}: differs from its source; run \`deno task notebooks:build\``);
    }
    if (changed.length > 0 || orphans.length > 0) Deno.exit(1);
  } else {
    for (const c of changed) console.log(`wrote notebooks/${c}`);
    if (orphans.length > 0) Deno.exit(1);
  }
}

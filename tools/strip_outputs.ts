/**
 * Strip outputs from notebooks before committing them, or check that none are left.
 *
 * Committed notebooks carry no outputs (the d2l convention, docs/notebooks.md): diffs stay readable,
 * a 4.8 MB plotly.js output never lands in git, and CI, not a laptop, produces the executed copy
 * (`deno task notebooks` writes it into results/). Stripping removes each code cell's outputs,
 * its execution count and nbclient's `metadata.execution` timings; everything else (sources,
 * ids, tags, notebook metadata) is kept byte-for-byte in meaning.
 *
 * Usage:
 *   deno run -A tools/strip_outputs.ts notebooks/*.ipynb          # strip in place
 *   deno run -A tools/strip_outputs.ts --check notebooks/*.ipynb  # exit 1 listing dirty notebooks
 *
 * @module
 */
import { writeFileAtomic } from "../lib/io.ts";

/** The parts of a notebook this tool reads (nbformat 4). */
export interface NotebookJson {
  cells: {
    cell_type: string;
    outputs?: unknown[];
    execution_count?: number | null;
    metadata?: Record<string, unknown>;
    [k: string]: unknown;
  }[];
  [k: string]: unknown;
}

function parse(text: string, path: string): NotebookJson {
  let nb: unknown;
  try {
    nb = JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(`Cannot read notebook ${path}: ${(e as Error).message}`);
  }
  if (!nb || typeof nb !== "object" || !Array.isArray((nb as NotebookJson).cells)) {
    throw new TypeError(`Cannot read notebook ${path}: expected an nbformat 4 object with a "cells" array`);
  }
  return nb as NotebookJson;
}

/** Indices of the code cells that carry outputs, an execution count or execution timings. */
export function dirtyCells(nb: NotebookJson): number[] {
  return nb.cells.flatMap((c, i) =>
    c.cell_type === "code" &&
      ((c.outputs?.length ?? 0) > 0 || c.execution_count != null || c.metadata?.execution !== undefined)
      ? [i]
      : []
  );
}

/** A copy of the notebook without outputs, execution counts or execution timings. */
export function stripOutputs(nb: NotebookJson): NotebookJson {
  return {
    ...nb,
    cells: nb.cells.map((c) => {
      if (c.cell_type !== "code") return c;
      const { execution: _, ...metadata } = c.metadata ?? {};
      return { ...c, metadata, outputs: [], execution_count: null };
    }),
  };
}

/**
 * Strip one notebook file in place (atomically); returns whether it changed. The file is
 * written in Jupyter's layout (1-space indent, trailing newline).
 */
export async function stripFile(path: string): Promise<boolean> {
  const nb = parse(await Deno.readTextFile(path), path);
  if (dirtyCells(nb).length === 0) return false;
  await writeFileAtomic(path, JSON.stringify(stripOutputs(nb), null, 1) + "\n");
  return true;
}

/** `path: cells i, j` for each notebook that carries outputs. */
export async function checkFiles(paths: string[]): Promise<string[]> {
  const bad: string[] = [];
  for (const p of paths) {
    const cells = dirtyCells(parse(await Deno.readTextFile(p), p));
    if (cells.length > 0) bad.push(`${p}: cells ${cells.join(", ")} carry outputs`);
  }
  return bad;
}

if (import.meta.main) {
  const check = Deno.args.includes("--check");
  const paths = Deno.args.filter((a) => a !== "--check");
  if (paths.length === 0) {
    console.error("usage: strip_outputs.ts [--check] NOTEBOOK.ipynb...");
    Deno.exit(2);
  }
  if (check) {
    const bad = await checkFiles(paths);
    for (const b of bad) console.error(b);
    if (bad.length > 0) {
      console.error("run `deno run -A tools/strip_outputs.ts` on them before committing");
      Deno.exit(1);
    }
  } else {
    for (const p of paths) if (await stripFile(p)) console.log(`stripped ${p}`);
  }
}

/**
 * Every notebook, executed headless through Jupyter with the Deno kernel at `smoke` scale: no cell
 * may fail, every cell that shows something must have its output, figures must carry both the
 * Plotly JSON and the HTML, and the results folder must hold the manifest and the HTML export.
 * Skips when Jupyter (Debian's nbclient) is not installed.
 */
import assert from "node:assert/strict";
import { EXPERIMENTS } from "../lib/experiments/registry.ts";
import { runNotebookExperiment } from "../lib/experiments/notebook_runs.ts";
import { cellsWithOutputs, jupyterAvailable } from "../lib/report/notebooks.ts";

const available = await jupyterAvailable();
const dir = new URL(".", import.meta.url).pathname;

interface Cell {
  cell_type: string;
  source: string[] | string;
  outputs?: { output_type: string; data?: Record<string, unknown>; text?: unknown }[];
}

Deno.test("committed notebooks carry no outputs and use the Deno kernel", async () => {
  for (const e of Object.values(EXPERIMENTS)) {
    if (!e.notebook) continue;
    const path = `${dir}${e.notebook}`;
    assert.deepEqual(await cellsWithOutputs(path), [], `${e.notebook} has outputs`);
    const nb = JSON.parse(await Deno.readTextFile(path));
    assert.equal(nb.metadata.kernelspec.name, "deno");
  }
});

for (const e of Object.values(EXPERIMENTS)) {
  if (!e.notebook) continue;
  const notebook = e.notebook;
  Deno.test({
    name: `notebook ${notebook} runs headless at smoke scale with every output`,
    ignore: !available,
    fn: async () => {
      const root = await Deno.makeTempDir({ prefix: "sigeo-nb-" });
      try {
        const { run, dir: out } = await runNotebookExperiment(notebook, {
          scale: "smoke",
          resultsRoot: root,
        });
        const nb = JSON.parse(await Deno.readTextFile(run.executed)) as { cells: Cell[] };
        nb.cells.forEach((c, i) => {
          if (c.cell_type !== "code") return;
          const src = [c.source].flat().join("");
          const importsOnly = src.split("\n").every((l) =>
            !l.trim() || l.startsWith("import ") || l.startsWith("//")
          );
          if (!importsOnly) assert.ok((c.outputs ?? []).length > 0, `${notebook} cell ${i} has no output`);
          if (/await show\(/.test(src)) {
            const kinds = (c.outputs ?? []).flatMap((o) => Object.keys(o.data ?? {}));
            assert.ok(
              kinds.includes("application/vnd.plotly.v1+json") && kinds.includes("text/html"),
              `cell ${i}`,
            );
          }
          for (const o of c.outputs ?? []) assert.notEqual(o.output_type, "error", `${notebook} cell ${i}`);
        });
        const manifest = JSON.parse(await Deno.readTextFile(`${out}/manifest.json`));
        assert.equal(manifest.status, "completed");
        assert.equal(manifest.scale, "smoke");
        assert.ok((await Deno.stat(`${out}/${notebook.replace(".ipynb", ".html")}`)).size > 10_000);
        console.log(
          `${notebook}: ${run.seconds.toFixed(1)} s, ${
            run.cells.reduce((s, c) => s + c.outputs, 0)
          } outputs, ${run.corrupt_messages} corrupt iopub messages skipped, ${run.attempts} attempt(s)`,
        );
      } finally {
        await Deno.remove(root, { recursive: true });
      }
    },
  });
}

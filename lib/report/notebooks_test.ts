import assert from "node:assert/strict";
import { cellsWithOutputs, jupyterAvailable, runNotebook } from "./notebooks.ts";

const available = await jupyterAvailable();

function notebook(cells: string[]): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
    cells: cells.map((source, i) => ({
      cell_type: "code",
      id: `c${i}`,
      metadata: {},
      source,
      outputs: [],
      execution_count: null,
    })),
  });
}

Deno.test({
  name: "runNotebook: every output of 40 cells kept (displays, logs and late last-expression results)",
  ignore: !available,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const cells = Array.from({ length: 40 }, (_, i) =>
        [
          `await Deno.jupyter.display({ "text/plain": "d${i}a" }, { raw: true });`,
          `await Deno.jupyter.display({ "text/plain": "d${i}b" }, { raw: true });`,
          `console.log("log ${i}");`,
          `({ cell: ${i} })`,
        ].join("\n"));
      await Deno.writeTextFile(`${dir}/probe.ipynb`, notebook(cells));
      const run = await runNotebook(`${dir}/probe.ipynb`, { outDir: `${dir}/out` });
      assert.equal(run.cells.length, 40);
      const nb = JSON.parse(await Deno.readTextFile(run.executed));
      nb.cells.forEach(
        (c: { outputs: { output_type: string; data?: Record<string, string | string[]> }[] }, i: number) => {
          const kinds = c.outputs.map((o) => o.output_type);
          assert.deepEqual(
            kinds,
            ["display_data", "display_data", "stream", "execute_result"],
            `cell ${i}: ${kinds}`,
          );
          const text = (o: { data?: Record<string, string | string[]> }) =>
            [o.data!["text/plain"]].flat().join("");
          assert.equal(text(c.outputs[1]), `d${i}b`);
          assert.match(text(c.outputs[3]), new RegExp(`cell: ${i}`));
        },
      );
      assert.ok(run.html && (await Deno.stat(run.html)).size > 1000);
      assert.deepEqual(await cellsWithOutputs(run.executed), Array.from({ length: 40 }, (_, i) => i));
      assert.deepEqual(await cellsWithOutputs(`${dir}/probe.ipynb`), []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "runNotebook: a failing cell fails the run, naming the cell",
  ignore: !available,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/bad.ipynb`, notebook(["1 + 1", 'throw new Error("boom")', "2"]));
      await assert.rejects(
        () => runNotebook(`${dir}/bad.ipynb`, { outDir: dir, noHtml: true }),
        /bad\.ipynb failed at cell 1/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

import assert from "node:assert/strict";
import { checkFiles, dirtyCells, type NotebookJson, stripFile, stripOutputs } from "./strip_outputs.ts";

const executed: NotebookJson = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { kernelspec: { name: "deno" } },
  cells: [
    { cell_type: "markdown", id: "m", metadata: {}, source: "# t" },
    {
      cell_type: "code",
      id: "a",
      metadata: { tags: ["parameters"], execution: { "iopub.status.busy": "x" } },
      source: "1",
      outputs: [{ output_type: "execute_result", data: { "text/plain": "1" } }],
      execution_count: 1,
    },
    { cell_type: "code", id: "b", metadata: {}, source: "", outputs: [], execution_count: null },
    { cell_type: "code", id: "c", metadata: {}, source: "2", outputs: [], execution_count: 2 },
  ],
};

Deno.test("stripOutputs: outputs, counts and timings gone; sources, ids, tags kept", () => {
  assert.deepEqual(dirtyCells(executed), [1, 3]);
  const clean = stripOutputs(executed);
  assert.deepEqual(dirtyCells(clean), []);
  assert.deepEqual(clean.cells[1], {
    cell_type: "code",
    id: "a",
    metadata: { tags: ["parameters"] },
    source: "1",
    outputs: [],
    execution_count: null,
  });
  assert.deepEqual(clean.cells[0], executed.cells[0]);
  assert.deepEqual(clean.metadata, executed.metadata);
  assert.equal(executed.cells[1].outputs!.length, 1, "input not mutated");
});

Deno.test("stripFile and checkFiles on files; bad files named", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const p = `${dir}/n.ipynb`;
    await Deno.writeTextFile(p, JSON.stringify(executed));
    assert.deepEqual(await checkFiles([p]), [`${p}: cells 1, 3 carry outputs`]);
    assert.equal(await stripFile(p), true);
    assert.equal(await stripFile(p), false);
    assert.deepEqual(await checkFiles([p]), []);
    assert.ok((await Deno.readTextFile(p)).endsWith("}\n"));
    await Deno.writeTextFile(`${dir}/bad.ipynb`, "{ not json");
    await assert.rejects(() => checkFiles([`${dir}/bad.ipynb`]), {
      name: "SyntaxError",
      message: /bad\.ipynb/,
    });
    await Deno.writeTextFile(`${dir}/odd.ipynb`, "[]");
    await assert.rejects(
      () => stripFile(`${dir}/odd.ipynb`),
      /expected an nbformat 4 object with a "cells" array/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("committed notebooks (notebooks/*.ipynb) carry no outputs", async () => {
  const dir = new URL("../notebooks/", import.meta.url).pathname;
  const paths = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".ipynb")).map((e) => dir + e.name);
  assert.deepEqual(await checkFiles(paths), []);
});

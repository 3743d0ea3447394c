import assert from "node:assert/strict";
import {
  buildNotebooks,
  listNotebooks,
  NOTEBOOK_DIR,
  parseNotebookSource,
  renderNotebook,
  type SourceCell,
} from "./build_notebooks.ts";

const md = (source: string, tags: string[] = []): SourceCell => ({ kind: "markdown", source, tags });
const code = (source: string, tags: string[] = []): SourceCell => ({ kind: "code", source, tags });

Deno.test("parseNotebookSource() reads markdown and code cells, dropping the header and surrounding blanks", () => {
  const text = [
    "// A header comment, not a cell.",
    "",
    "// %% [markdown]",
    "// # Title",
    "//",
    "// Two `lines`.",
    "",
    "// %%",
    "",
    "const a = 1;",
    "",
    "",
    "const b = a + 1; // kept",
    "b;",
    "",
    "",
    "// %%",
    "  // indented comment stays code",
    "",
  ].join("\n");
  assert.deepEqual(parseNotebookSource(text), [
    md("# Title\n\nTwo `lines`."),
    code("const a = 1;\n\n\nconst b = a + 1; // kept\nb;"),
    code("  // indented comment stays code"),
  ]);
});

Deno.test("parseNotebookSource() reads tags into the cell", () => {
  const text = '// %% tags=["parameters"]\nconst x = 1;\n// %% [markdown] tags=["a", "b"]\n// hi\n';
  assert.deepEqual(parseNotebookSource(text), [code("const x = 1;", ["parameters"]), md("hi", ["a", "b"])]);
});

Deno.test("parseNotebookSource() accepts CRLF line ends", () => {
  assert.deepEqual(parseNotebookSource("// %%\r\nx;\r\n\r\n// %% [markdown]\r\n// y\r\n"), [
    code("x;"),
    md("y"),
  ]);
});

Deno.test("parseNotebookSource() rejects malformed sources with the file and line", () => {
  assert.throws(
    () => parseNotebookSource("const x = 1;\n// %%\nx;\n", "a.ts"),
    new SyntaxError(
      'Cannot read notebook source a.ts:1: expected only comments before the first "// %%" marker: got const x = 1;',
    ),
  );
  assert.throws(
    () => parseNotebookSource("// %% [markdown]\n// fine\nnot a comment\n", "a.ts"),
    new SyntaxError(
      'Cannot read notebook source a.ts:3: expected a markdown line to start with "// " (or be "//"): got not a comment',
    ),
  );
  assert.throws(
    () => parseNotebookSource("// %% [markdown]\n// a\n\n// b\n", "a.ts"),
    /a\.ts:3: expected a markdown line to start with "\/\/ "/,
  );
  assert.throws(
    () => parseNotebookSource("// %%\nx;\n// %%\n\n// %% [markdown]\n// y\n", "a.ts"),
    new SyntaxError("Cannot read notebook source a.ts:3: empty code cell"),
  );
  assert.throws(
    () => parseNotebookSource("// %% [code]\nx;\n", "a.ts"),
    new SyntaxError(
      'Cannot read notebook source a.ts:1: expected "// %%", "// %% [markdown]" and optional tags=[...]: got // %% [code]',
    ),
  );
  assert.throws(
    () => parseNotebookSource('// %% tags=["a", 1]\nx;\n', "a.ts"),
    /a\.ts:1: expected tags as a JSON array/,
  );
  assert.throws(() => parseNotebookSource("// %% tags=[parameters]\nx;\n", "a.ts"), /a\.ts:1: expected tags/);
  assert.throws(() => parseNotebookSource("// only a header\n", "a.ts"), /a\.ts:1: no cells/);
});

Deno.test("renderNotebook() writes nbformat 4.5 JSON in Jupyter's layout with ids by position", () => {
  const text = renderNotebook([md("# T\n\nx"), code("a;\nb;", ["parameters"])]);
  assert.ok(text.endsWith("}\n"));
  assert.ok(text.includes('\n "nbformat": 4,\n "nbformat_minor": 5,\n'), "1-space indent");
  assert.deepEqual(JSON.parse(text), {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: "deno", display_name: "Deno", language: "typescript" },
      language_info: { name: "typescript", file_extension: ".ts", mimetype: "text/x.typescript" },
    },
    cells: [
      { cell_type: "markdown", id: "c00", metadata: {}, source: ["# T\n", "\n", "x"] },
      {
        cell_type: "code",
        id: "c01",
        metadata: { tags: ["parameters"] },
        source: ["a;\n", "b;"],
        outputs: [],
        execution_count: null,
      },
    ],
  });
  assert.equal(renderNotebook([md("# T\n\nx"), code("a;\nb;", ["parameters"])]), text, "deterministic");
});

Deno.test("every committed notebook is what its source compiles to, and each has a source", async () => {
  const { sources, notebooks } = await listNotebooks(NOTEBOOK_DIR);
  assert.ok(sources.length >= 5, `expected the project's notebook sources in ${NOTEBOOK_DIR}`);
  assert.deepEqual(notebooks, sources, "every notebooks/<name>.ts has a <name>.ipynb and vice versa");
  assert.deepEqual(await buildNotebooks(NOTEBOOK_DIR, { check: true }), { changed: [], orphans: [] });
});

Deno.test("buildNotebooks() writes stale and missing notebooks and reports orphans", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sigeo-nbsrc-" });
  try {
    await Deno.writeTextFile(`${dir}/a.ts`, "// %%\nx;\n");
    await Deno.writeTextFile(`${dir}/a_test.ts`, "not a source");
    await Deno.writeTextFile(`${dir}/b.ts`, "// %% [markdown]\n// b\n");
    await Deno.writeTextFile(`${dir}/b.ipynb`, "stale");
    await Deno.writeTextFile(`${dir}/c.ipynb`, "{}");
    const want = { changed: ["a.ipynb", "b.ipynb"], orphans: ["c.ipynb"] };
    assert.deepEqual(await buildNotebooks(dir, { check: true }), want);
    assert.equal(await Deno.readTextFile(`${dir}/b.ipynb`), "stale", "--check writes nothing");
    assert.deepEqual(await buildNotebooks(dir), want);
    assert.equal(await Deno.readTextFile(`${dir}/b.ipynb`), renderNotebook([md("b")]));
    assert.deepEqual(await buildNotebooks(dir, { check: true }), { changed: [], orphans: ["c.ipynb"] });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

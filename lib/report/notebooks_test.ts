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

type Output = {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
};
const joined = (v: string | string[] | undefined) => [v ?? ""].flat().join("");

Deno.test({
  name:
    "runNotebook: all 264 outputs of 12 cells kept (awaited and un-awaited display bundles, logs, 1 MB late results)",
  ignore: !available,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      // Un-awaited displays and 1 MB last-expression results are the outputs the Deno kernel
      // most often publishes after idle; plain nbconvert lost 31 and 130 of these 264 in two runs.
      const cells = Array.from({ length: 12 }, (_, i) =>
        [
          ...Array.from({ length: 20 }, (_, j) =>
            `${
              j % 2 ? "" : "await "
            }Deno.jupyter.display({ "text/plain": "d${i}-${j}", "text/html": "<b>d${i}-${j}</b>" }, { raw: true });`),
          `console.log("log ${i}");`,
          i % 3 === 2 ? `Deno.jupyter.html\`\${"x".repeat(1_000_000)}${i}\`` : `({ cell: ${i} })`,
        ].join("\n"));
      await Deno.writeTextFile(`${dir}/probe.ipynb`, notebook(cells));
      const run = await runNotebook(`${dir}/probe.ipynb`, { outDir: `${dir}/out`, timeoutS: 120 });
      assert.equal(run.cells.length, 12);
      assert.equal(run.cells.reduce((n, c) => n + c.outputs, 0), 264);
      assert.ok(run.cells.every((c) => c.seconds > 0 && c.errors === 0));
      const nb = JSON.parse(await Deno.readTextFile(run.executed)) as { cells: { outputs: Output[] }[] };
      nb.cells.forEach((c, i) => {
        assert.equal(c.outputs.length, 22, `cell ${i}: ${c.outputs.map((o) => o.output_type)}`);
        const shown = c.outputs.filter((o) => o.output_type === "display_data");
        assert.deepEqual(
          shown.map((o) => joined(o.data!["text/plain"])),
          Array.from({ length: 20 }, (_, j) => `d${i}-${j}`),
        );
        assert.deepEqual(
          shown.map((o) => Object.keys(o.data!).sort()),
          Array(20).fill(["text/html", "text/plain"]),
        );
        assert.equal(
          c.outputs.filter((o) => o.output_type === "stream").map((o) => joined(o.text)).join(""),
          `log ${i}\n`,
        );
        const last = c.outputs.at(-1)!;
        assert.equal(last.output_type, "execute_result", `cell ${i}`);
        if (i % 3 === 2) assert.equal(joined(last.data!["text/html"]), "x".repeat(1_000_000) + i);
        else assert.match(joined(last.data!["text/plain"]), new RegExp(`cell: ${i}`));
      });
      assert.ok(run.html && (await Deno.stat(run.html)).size > 4_000_000);
      assert.deepEqual(await cellsWithOutputs(run.executed), Array.from({ length: 12 }, (_, i) => i));
      assert.deepEqual(await cellsWithOutputs(`${dir}/probe.ipynb`), []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "runNotebook: past timeoutS the run is stopped with a clear error",
  ignore: !available,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(
        `${dir}/slow.ipynb`,
        notebook(["1", "await new Promise((r) => setTimeout(r, 60_000))"]),
      );
      const t0 = performance.now();
      await assert.rejects(
        () => runNotebook(`${dir}/slow.ipynb`, { outDir: dir, noHtml: true, timeoutS: 3 }),
        /slow\.ipynb did not finish within 3 s/,
      );
      assert.ok(performance.now() - t0 < 15_000);
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

/** A stand-in for tools/run_notebook.py that plays a script of outcomes, one per attempt. */
const FAKE_RUNNER = `import json, os, sys
out = sys.argv[2]
os.makedirs(out, exist_ok=True)
plan = json.load(open(os.path.join(out, "plan.json")))
n = len([f for f in os.listdir(out) if f.startswith("attempt")])
open(os.path.join(out, "attempt%d" % n), "w").close()
step = plan[n]
if step == "fault":
    sys.stderr.write("ValueError: b'<IDS|MSG>' is not in list\\n")
    sys.exit(1)
report = {"notebook": sys.argv[1], "executed": "x", "html": None, "seconds": 1, "late_outputs": 0,
          "corrupt_messages": 1 if step == "corrupt" else 0, "cells": [],
          "error": "cell 3: boom" if step == "cell-error" else None}
print(json.dumps(report))
sys.exit(1 if step == "cell-error" else 0)
`;

Deno.test({
  name:
    "runNotebook: a kernel messaging fault or a skipped message reruns the notebook (3 runs at most); cell errors do not",
  ignore: !available,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const runner = `${dir}/fake_runner.py`;
      await Deno.writeTextFile(runner, FAKE_RUNNER);
      const attempt = async (plan: string[]) => {
        const out = await Deno.makeTempDir({ dir });
        await Deno.writeTextFile(`${out}/plan.json`, JSON.stringify(plan));
        const attempts = () => [...Deno.readDirSync(out)].filter((e) => e.name.startsWith("attempt")).length;
        try {
          return { run: await runNotebook(`${dir}/nb.ipynb`, { outDir: out, runner }), attempts: attempts() };
        } catch (e) {
          return { error: (e as Error).message, attempts: attempts() };
        }
      };
      const ok = await attempt(["ok"]);
      assert.equal(ok.run?.attempts, 1);
      assert.equal(ok.attempts, 1);
      const fault = await attempt(["fault", "ok"]);
      assert.equal(fault.run?.attempts, 2);
      assert.equal(fault.run?.corrupt_messages, 1);
      const corrupt = await attempt(["corrupt", "ok"]);
      assert.equal(corrupt.run?.attempts, 2);
      assert.equal(corrupt.run?.corrupt_messages, 1);
      const twice = await attempt(["fault", "corrupt", "ok"]);
      assert.equal(twice.run?.attempts, 3);
      assert.equal(twice.run?.corrupt_messages, 2);
      const thrice = await attempt(["fault", "fault", "fault"]);
      assert.match(thrice.error!, /printed no report[\s\S]*IDS\|MSG/);
      assert.equal(thrice.attempts, 3);
      const stillCorrupt = await attempt(["corrupt", "corrupt", "corrupt"]);
      assert.equal(stillCorrupt.run?.attempts, 3);
      assert.equal(stillCorrupt.run?.corrupt_messages, 3);
      const cell = await attempt(["cell-error", "ok"]);
      assert.match(cell.error!, /failed at cell 3: boom/);
      assert.equal(cell.attempts, 1);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

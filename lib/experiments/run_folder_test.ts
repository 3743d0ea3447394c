import assert from "node:assert/strict";
import { filesIn, runInFolder } from "./run_folder.ts";
import type { RunContext } from "./types.ts";
import { lineChart } from "../report/plotly.ts";

Deno.test("runInFolder: tables, figures, data checksums and phase seconds land in a completed run folder; a resume adds up, a new config is refused", async () => {
  const root = await Deno.makeTempDir({ prefix: "sigeo-run-folder-" });
  try {
    const data = `${root}/data`;
    await Deno.mkdir(`${data}/sub`, { recursive: true });
    await Deno.writeTextFile(`${data}/a.txt`, "abc");
    await Deno.writeTextFile(`${data}/sub/ignored.txt`, "not read");
    const ctx: RunContext = { scale: "smoke", resultsRoot: root, runId: "t1", dataDir: data };
    let bodyDir = "";
    const out = await runInFolder("demo-exp", ctx, { k: 1 }, async (dir, manifest) => {
      bodyDir = dir;
      assert.equal(manifest.status, "running");
      await Promise.resolve();
      return {
        tables: { scores: [{ arch: "x", value: 0.5 }, { arch: "y", value: -1 }] },
        figures: {
          curve: lineChart({
            x: [0, 1],
            series: [{ name: "s", y: [1, 2] }],
            title: "t",
            xTitle: "x",
            yTitle: "y",
          }),
        },
        summary: ["one line"],
        seconds: { scoring: 1.5 },
        evaluations: 2,
      };
    });
    assert.equal(out.dir, `${root}/demo-exp/smoke/t1`);
    assert.equal(bodyDir, out.dir);
    assert.deepEqual(out.summary, ["one line"]);
    assert.equal(out.experiment, "demo-exp");
    assert.equal(await Deno.readTextFile(`${out.dir}/scores.csv`), "arch,value\nx,0.5\ny,-1.0\n");
    for (const f of ["scores.md", "scores.tex", "curve.html", "manifest.json"]) {
      assert.ok((await Deno.stat(`${out.dir}/${f}`)).isFile, f);
    }
    const m = JSON.parse(await Deno.readTextFile(`${out.dir}/manifest.json`));
    assert.equal(m.status, "completed");
    assert.deepEqual(m.config, { k: 1 });
    assert.equal(m.evaluations, 2);
    assert.equal(m.seconds.scoring, 1.5);
    assert.ok(m.seconds.total >= 0);
    // only the files directly in --data, with sha256("abc")
    assert.deepEqual(m.data.map((d: { path: string }) => d.path), [`${data}/a.txt`]);
    assert.equal(m.data[0].sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert.deepEqual(m.notes, [`smoke scale: data from ${data}, small budgets; numbers are a smoke test`]);
    // a resume of the same folder: total seconds add up over the attempts
    const again = await runInFolder(
      "demo-exp",
      ctx,
      { k: 1 },
      () => Promise.resolve({ tables: {}, figures: {}, summary: [], seconds: { scoring: 2 } }),
    );
    const m2 = JSON.parse(await Deno.readTextFile(`${again.dir}/manifest.json`));
    assert.equal(m2.seconds.scoring, 2);
    assert.ok(m2.seconds.total >= m.seconds.total);
    assert.equal(m2.evaluations, null);
    await assert.rejects(
      () =>
        runInFolder(
          "demo-exp",
          ctx,
          { k: 2 },
          () => Promise.resolve({ tables: {}, figures: {}, summary: [], seconds: {} }),
        ),
      /different config/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("filesIn: plain files only, sorted; none for a missing folder or a file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/b`, "");
    await Deno.writeTextFile(`${dir}/a`, "");
    await Deno.mkdir(`${dir}/c`);
    assert.deepEqual(await filesIn(`${dir}/`), [`${dir}/a`, `${dir}/b`]);
    assert.deepEqual(await filesIn(`${dir}/nope`), []);
    assert.deepEqual(await filesIn(`${dir}/a`), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

import assert from "node:assert/strict";
import { filesIn, runInFolder, seedsOf } from "./run_folder.ts";
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
        // vs: a paper-vs-ours table has a `scale` column of its own
        tables: {
          scores: [{ arch: "x", value: 0.5 }, { arch: "y", value: -1 }],
          vs: [{ m: "a", scale: "smoke" }],
        },
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
        data: [{ path: "generated:demo", bytes: 3, sha256: "ba7816bf" }],
        seeds: { "data (generated)": 7 },
      };
    });
    assert.equal(out.dir, `${root}/demo-exp/smoke/t1`);
    assert.equal(bodyDir, out.dir);
    assert.deepEqual(out.summary, ["one line"]);
    assert.equal(out.experiment, "demo-exp");
    // a CSV has no caption: at smoke its first column says so in every row, naming the data
    assert.equal(
      await Deno.readTextFile(`${out.dir}/scores.csv`),
      `run_scale,arch,value\nsmoke (data from ${data}),x,0.5\nsmoke (data from ${data}),y,-1.0\n`,
    );
    assert.equal(
      await Deno.readTextFile(`${out.dir}/vs.csv`),
      `run_scale,m,scale\nsmoke (data from ${data}),a,smoke\n`,
    );
    for (const f of ["scores.md", "scores.tex", "curve.html", "manifest.json"]) {
      assert.ok((await Deno.stat(`${out.dir}/${f}`)).isFile, f);
    }
    // a smoke run says so in its tables and figures; the figures share one Plotly file
    assert.match(
      await Deno.readTextFile(`${out.dir}/scores.md`),
      /^Table: demo-exp: scores \(smoke scale, data from \/.*\/data: a smoke test/,
    );
    assert.ok((await Deno.readTextFile(`${out.dir}/scores.tex`)).includes(`smoke scale, data from ${data}`));
    const html = await Deno.readTextFile(`${out.dir}/curve.html`);
    assert.ok(
      html.includes(`<script src="plotly.min.js"></script>`) && html.length < 100_000,
      `${html.length}`,
    );
    assert.ok(
      html.includes(`"text":"t \\u003csup>(smoke scale: data from ${data})\\u003c/sup>"`),
      html.slice(-600),
    );
    assert.ok((await Deno.stat(`${out.dir}/plotly.min.js`)).size > 1e6);
    const m = JSON.parse(await Deno.readTextFile(`${out.dir}/manifest.json`));
    assert.equal(m.status, "completed");
    assert.deepEqual(m.config, { k: 1 });
    assert.equal(m.evaluations, 2);
    assert.equal(m.seconds.scoring, 1.5);
    assert.ok(m.seconds.total >= 0);
    // only the files directly in --data, with sha256("abc"), then the body's generated data
    assert.deepEqual(m.data.map((d: { path: string }) => d.path), [`${data}/a.txt`, "generated:demo"]);
    assert.deepEqual(m.data[1], { path: "generated:demo", bytes: 3, sha256: "ba7816bf" });
    assert.equal(m.seeds["data (generated)"], 7);
    assert.equal(m.data[0].sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert.deepEqual(m.notes, [`smoke scale: data from ${data}, small budgets; numbers are a smoke test`]);
    assert.equal(m.attempts.length, 1);
    assert.equal(m.attempts[0].status, "completed");
    assert.equal(m.attempts[0].pid, Deno.pid);
    // a resume of the same folder: phase seconds and total add up over the attempts
    const again = await runInFolder(
      "demo-exp",
      ctx,
      { k: 1 },
      () => Promise.resolve({ tables: {}, figures: {}, summary: [], seconds: { scoring: 2 } }),
    );
    const m2 = JSON.parse(await Deno.readTextFile(`${again.dir}/manifest.json`));
    assert.equal(m2.seconds.scoring, 3.5);
    assert.deepEqual(m2.attempts.map((a: { seconds: { scoring: number } }) => a.seconds.scoring), [1.5, 2]);
    assert.ok(m2.seconds.total >= m.seconds.total);
    assert.equal(m2.seconds.total, m2.attempts[0].seconds.total + m2.attempts[1].seconds.total);
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

Deno.test("runInFolder: a body that throws leaves status 'failed' with its error; a folder left 'running' by a dead process is resumed as an interrupted attempt", async () => {
  const root = await Deno.makeTempDir({ prefix: "sigeo-run-folder-" });
  try {
    const ctx: RunContext = { scale: "smoke", resultsRoot: root, runId: "f1" };
    await assert.rejects(
      () => runInFolder("demo-exp", ctx, {}, () => Promise.reject(new Error("out of memory"))),
      /out of memory/,
    );
    const path = `${root}/demo-exp/smoke/f1/manifest.json`;
    const m = JSON.parse(await Deno.readTextFile(path));
    assert.equal(m.status, "failed");
    assert.equal(m.error, "out of memory");
    assert.equal(m.attempts[0].status, "failed");
    assert.ok(m.attempts[0].ended);
    // as a SIGKILL leaves it: still "running", its process gone
    m.status = "running";
    Object.assign(m.attempts[0], { status: "running", ended: null, pid: 2 ** 22 + 1, seconds: {} });
    await Deno.writeTextFile(path, JSON.stringify(m));
    await runInFolder(
      "demo-exp",
      ctx,
      {},
      () => Promise.resolve({ tables: {}, figures: {}, summary: [], seconds: { a: 1 } }),
    );
    const m2 = JSON.parse(await Deno.readTextFile(path));
    assert.equal(m2.status, "completed");
    assert.equal(m2.error, undefined);
    assert.deepEqual(m2.attempts.map((a: { status: string }) => a.status), ["interrupted", "completed"]);
    assert.match(m2.attempts[0].error, /killed/);
    assert.ok(m2.attempts[0].seconds.total >= 0);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("runInFolder: SIGTERM marks the run 'interrupted' and exits 143", async () => {
  if (Deno.build.os === "windows") return;
  const root = await Deno.makeTempDir({ prefix: "sigeo-run-folder-" });
  try {
    const mod = new URL("./run_folder.ts", import.meta.url).href;
    const code = `import { runInFolder } from "${mod}";
      await runInFolder("demo-exp", { scale: "smoke", resultsRoot: "${root}", runId: "s1" }, {}, () => {
        console.log("started");
        return new Promise(() => setInterval(() => {}, 1000));
      });`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", "--frozen", code],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("started")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 143);
    await reader.cancel();
    const m = JSON.parse(await Deno.readTextFile(`${root}/demo-exp/smoke/s1/manifest.json`));
    assert.equal(m.status, "interrupted");
    assert.equal(m.error, "SIGTERM");
    assert.equal(m.attempts[0].status, "interrupted");
    assert.ok(m.seconds.total > 0);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("seedsOf: every seed of a config, named by its place", () => {
  assert.deepEqual(seedsOf([{ seed: 1, a: { dataSeed: 2 } }, { seed: 3 }]), {
    "[0].seed": 1,
    "[0].a.dataSeed": 2,
    "[1].seed": 3,
  });
  assert.deepEqual(seedsOf({ cv: { seed: 9000 }, n: 3 }), { "cv.seed": 9000 });
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

Deno.test("runInFolder: beyond smoke the manifest's note names the data folder used", async () => {
  const root = await Deno.makeTempDir({ prefix: "sigeo-run-folder-" });
  try {
    const body = () => Promise.resolve({ tables: {}, figures: {}, summary: [], seconds: {} });
    const out = await runInFolder("demo-exp", { scale: "small", resultsRoot: root, dataDir: root }, {}, body);
    const m = JSON.parse(await Deno.readTextFile(`${out.dir}/manifest.json`));
    assert.deepEqual(m.notes, [`small scale: data from ${root}`]);
    const none = await runInFolder("demo-exp", { scale: "paper", resultsRoot: root }, {}, body);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${none.dir}/manifest.json`)).notes, []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

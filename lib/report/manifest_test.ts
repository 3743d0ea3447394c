import assert from "node:assert/strict";
import { initBackend } from "../backend.ts";
import { createRunDir, finishManifest, gpuDays, newRunId, sha256File, startManifest } from "./manifest.ts";

await initBackend({ quiet: true });

Deno.test("manifest: run folder, checksums, versions, git, timings; GPU days only on a GPU", async () => {
  const root = await Deno.makeTempDir();
  try {
    assert.equal(newRunId(new Date("2026-11-28T21:05:09.123Z")), "20261128-210509");
    const dir = await createRunDir(root, "nb201-correlation", "smoke", "r1");
    assert.equal(dir, `${root}/nb201-correlation/smoke/r1`);
    await assert.rejects(() => createRunDir(root, "x", "smoke", "../evil"), /run id/);
    await Deno.writeTextFile(`${dir}/data.txt`, "abc");
    const f = await sha256File(`${dir}/data.txt`);
    assert.equal(f.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"); // SHA-256("abc")
    const m = await startManifest({
      experiment: "e",
      scale: "smoke",
      runId: "r1",
      config: { a: 1 },
      seeds: { s: 9 },
      dataFiles: [`${dir}/data.txt`],
    });
    assert.equal(m.status, "running");
    assert.equal(m.libraries["nodejs-polars"], "0.25.2");
    assert.equal(m.backend?.name !== undefined, true);
    assert.match(m.git.commit ?? "none", /^[0-9a-f]{40}$|^none$/);
    const done = await finishManifest(dir, m, { warmup: 1.5, scoring: 2 }, 12);
    const back = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
    assert.equal(back.status, "completed");
    assert.equal(back.evaluations, 12);
    assert.equal(back.data[0].bytes, 3);
    assert.equal(done.gpuDays, null); // CPU backend
    assert.equal(gpuDays(86400 / 2, { ...m.backend!, name: "webgpu" }), 0.5);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

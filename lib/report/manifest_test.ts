import assert from "node:assert/strict";
import { initBackend } from "../backend.ts";
import {
  createRunDir,
  finishManifest,
  gpuDays,
  isGpuBackend,
  newRunId,
  RunDir,
  sha256File,
  startManifest,
} from "./manifest.ts";

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

Deno.test("isGpuBackend / gpuDays: WebGPU and CUDA TensorFlow only; native TensorFlow on a CPU is not a GPU", async () => {
  const cpu = await initBackend({ quiet: true });
  assert.equal(isGpuBackend(null), false);
  assert.equal(isGpuBackend({ ...cpu, name: "wasm" }), false);
  assert.equal(
    isGpuBackend({ ...cpu, name: "tensorflow", package: "@tensorflow/tfjs-node", device: "cpu" }),
    false,
  );
  assert.equal(
    isGpuBackend({ ...cpu, name: "tensorflow", package: "@tensorflow/tfjs-node-gpu", device: "cuda" }),
    true,
  );
  assert.equal(
    gpuDays(3600, { ...cpu, name: "tensorflow", package: "@tensorflow/tfjs-node", device: "cpu" }),
    null,
  );
  assert.equal(gpuDays(8640, { ...cpu, name: "webgpu", device: "NVIDIA H200" }), 0.1);
  // a software adapter (Mesa's lavapipe) runs WebGPU on the CPU: no GPU days
  const lavapipe = {
    description: "llvmpipe (LLVM 15.0.6, 256 bits)",
    vendor: "65541",
    architecture: "",
    software: true,
    maxStorageBufferBindingSize: 134217728,
    maxBufferSize: 2147483647,
  };
  assert.equal(gpuDays(8640, { ...cpu, name: "webgpu", device: "llvmpipe", adapter: lavapipe }), null);
});

Deno.test("RunDir: folder, manifest on disk while running, phase seconds, evaluations, atomic writes, resume", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${root}/train.txt`, "abc");
    const init = {
      root,
      experiment: "recsys-search",
      scale: "smoke",
      runId: "r7",
      config: { population: 8, seed: 3 },
      seeds: { search: 3 },
      dataFiles: [`${root}/train.txt`],
    };
    const run = await RunDir.open(init);
    assert.equal(run.path, `${root}/recsys-search/smoke/r7`);
    const read = async () => JSON.parse(await Deno.readTextFile(`${run.path}/manifest.json`));
    let m = await read();
    assert.equal(m.status, "running");
    assert.deepEqual(m.seeds, { search: 3 });
    assert.equal(m.data[0].sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert.equal(m.runtime.deno, Deno.version.deno);
    const value = await run.phase("warmup", async () => {
      await new Promise((r) => setTimeout(r, 60));
      return 42;
    });
    assert.equal(value, 42);
    m = await read(); // written after the phase, before the run ends
    assert.ok(m.seconds.warmup >= 0.05 && m.seconds.warmup < 5, `warmup ${m.seconds.warmup}`);
    await assert.rejects(() => run.phase("search", () => Promise.reject(new Error("boom"))), /boom/);
    assert.ok((await read()).seconds.search >= 0); // a failed phase's time still counts
    await run.addSeconds("search", 2);
    await run.setEvaluations(18);
    assert.equal(run.file("history.jsonl"), `${run.path}/history.jsonl`);
    assert.throws(() => run.file("../x"), RangeError);
    assert.throws(() => run.file("/etc/passwd"), RangeError);

    // killed here; the same run id resumes: earlier phases kept, new time added
    const again = await RunDir.open(init);
    assert.equal(again.manifest.resumes, 1);
    assert.equal(again.manifest.started, m.started);
    assert.equal(again.manifest.evaluations, 18);
    await again.addSeconds("search", 1);
    const done = await again.finish();
    const search = done.seconds.search;
    assert.ok(search >= 3 && search < 4, `search ${search}`);
    m = await read();
    assert.equal(m.status, "completed");
    assert.equal(m.evaluations, 18);
    assert.equal(m.gpuDays, gpuDays(done.seconds.warmup + search, done.backend));
    assert.match(m.notes.at(-1), /^resumed /);
    const left = [...Deno.readDirSync(run.path)].map((e) => e.name);
    assert.deepEqual(left, ["manifest.json"]); // no temp files behind
    await assert.rejects(
      () => RunDir.open({ ...init, config: { population: 9, seed: 3 } }),
      /different config/,
    );
    await Deno.writeTextFile(`${root}/train.txt`, "abd");
    await assert.rejects(() => RunDir.open(init), /data file .*train\.txt changed/);
    const fresh = await RunDir.open({ ...init, runId: undefined });
    assert.match(fresh.path, /\/recsys-search\/smoke\/\d{8}-\d{6}$/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

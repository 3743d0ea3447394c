/**
 * WebGPU against wasm: every proxy on a small NB201 cell and a small NASRec net, two NB201
 * training steps, two NASRec steps with sparse embedding updates, the per-architecture warm-up,
 * and no leaks over 50 scorings. Each backend runs `webgpu_workloads.ts` in its own process (tfjs
 * holds one backend's kernels per process). On a machine without any WebGPU adapter (Debian
 * without a GPU: `apt-get install mesa-vulkan-drivers` gives the software one) the tests are
 * skipped with that message. Tolerances and why: docs/backends.md "WebGPU".
 */
import assert from "node:assert/strict";
import { withRuntimeDir } from "../backend.ts";
import type { ProxyOutcome, WorkloadResult } from "../proxies/testing/webgpu_workloads.ts";

/** Relative tolerance of proxy values and terms, and of parameters (to the largest |value|). */
export const TOLERANCE = 1e-4;
/**
 * Proxies whose scoring takes SGD steps at learning rate 1 (NASLib-SiGeo's `sigeo-cv`, both λ
 * presets): float32 rounding differences of the first backward pass grow through the steps, so
 * only 1e-2 holds (measured: 5e-3 on the ZiCo term). docs/backends.md "WebGPU".
 */
export const STEPPED_PROXIES: Record<string, number> = { "sigeo-cv": 1e-2, "sigeo-cv-warm": 1e-2 };

async function hasAdapter(): Promise<boolean> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) return false;
  return await withRuntimeDir(async () => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const none = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 10_000)));
    try {
      return (await Promise.race([gpu.requestAdapter().catch(() => null), none])) !== null;
    } finally {
      clearTimeout(timer);
    }
  });
}

const adapter = await hasAdapter();
const SKIP = "no WebGPU adapter (Debian/Ubuntu: apt-get install mesa-vulkan-drivers)";

/** Run the workloads on `backend` in a subprocess. */
async function run(backend: "wasm" | "webgpu"): Promise<WorkloadResult> {
  const dir = await Deno.makeTempDir({ prefix: "sigeo-webgpu-eq-" });
  try {
    const out = `${dir}/result.json`;
    const script = new URL("../proxies/testing/webgpu_workloads.ts", import.meta.url).pathname;
    const cmd = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", "--frozen", script, "--backend", backend, "--out", out],
      env: { SIGEO_QUIET: "1", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    });
    const r = await cmd.output();
    if (!r.success) {
      throw new Error(
        `workloads on ${backend} failed (${r.code}):\n${new TextDecoder().decode(r.stderr).slice(-3000)}`,
      );
    }
    return JSON.parse(await Deno.readTextFile(out));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** |a − b| / max(|a|, |b|); 0 when equal (NaN = NaN, ±∞ = ±∞). */
export function relDiff(a: number | null, b: number | null): number {
  // JSON writes NaN and ±∞ as null
  if (a === null || b === null) return a === b ? 0 : Infinity;
  if (a === b) return 0;
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
}

/** Largest |a − b| over all tensors, over the largest |a| (the kernel equivalence tests' measure). */
export function paramDiff(a: number[][], b: number[][]): number {
  assert.equal(a.length, b.length);
  let scale = 1e-12, err = 0;
  a.forEach((t, i) => {
    assert.equal(t.length, b[i].length);
    t.forEach((v, j) => {
      scale = Math.max(scale, Math.abs(v));
      const w = b[i][j];
      if (v === null || w === null) err = v === w ? err : Infinity;
      else err = Math.max(err, Math.abs(v - w));
    });
  });
  return err / scale;
}

function compareProxies(
  want: Record<string, ProxyOutcome>,
  got: Record<string, ProxyOutcome>,
  model: string,
) {
  assert.deepEqual(Object.keys(got), Object.keys(want));
  const report: string[] = [];
  for (const [name, w] of Object.entries(want)) {
    const g = got[name];
    if ("error" in w || "error" in g) {
      assert.deepEqual(g, w, `${model} ${name}: the same outcome on both backends`);
      continue;
    }
    const tol = STEPPED_PROXIES[name] ?? TOLERANCE;
    const e = relDiff(g.value, w.value);
    report.push(`${name} ${e.toExponential(1)}`);
    assert.ok(e <= tol, `${model} ${name}: value ${g.value} vs wasm ${w.value} (rel ${e} > ${tol})`);
    for (const [term, v] of Object.entries(w.terms)) {
      const et = relDiff(g.terms[term], v);
      assert.ok(et <= tol, `${model} ${name}.${term}: ${g.terms[term]} vs wasm ${v} (rel ${et} > ${tol})`);
    }
  }
  console.log(`${model}: relative differences ${report.join(", ")}`);
}

let results: Promise<[WorkloadResult, WorkloadResult]> | null = null;
/** Both runs, once for all tests (lavapipe takes a few minutes). */
function both(): Promise<[WorkloadResult, WorkloadResult]> {
  results ??= Promise.all([run("wasm"), run("webgpu")]);
  return results;
}

const opts = { ignore: !adapter, sanitizeResources: false, sanitizeOps: false };
const label = (s: string) => (adapter ? s : `${s} (skipped: ${SKIP})`);

Deno.test({
  ...opts,
  name: label(
    "webgpu: every proxy on a small NB201 cell equals wasm (1e-4 relative; 1e-2 for lr-1 SiGeo steps)",
  ),
  fn: async () => {
    const [wasm, gpu] = await both();
    assert.equal(gpu.backend, "webgpu");
    assert.ok(gpu.device, "the adapter is recorded");
    compareProxies(wasm.nb201Proxies, gpu.nb201Proxies, "NB201");
  },
});

Deno.test({
  ...opts,
  name: label("webgpu: every proxy on a small NASRec net equals wasm (or fails the same way)"),
  fn: async () => {
    const [wasm, gpu] = await both();
    compareProxies(wasm.nasrecProxies, gpu.nasrecProxies, "NASRec");
  },
});

Deno.test({
  ...opts,
  name: label(
    "webgpu: NB201 SGD steps, NASRec steps with sparse embedding updates and the warm-up equal wasm",
  ),
  fn: async () => {
    const [wasm, gpu] = await both();
    for (const key of ["nb201Step", "nasrecStep", "warmup"] as const) {
      const w = wasm[key], g = gpu[key];
      const lw = "loss" in w ? [w.loss] : w.losses, lg = "loss" in g ? [g.loss] : g.losses;
      lw.forEach((l, i) => assert.ok(relDiff(lg[i], l) <= TOLERANCE, `${key} loss ${lg[i]} vs ${l}`));
      const e = paramDiff(w.params, g.params);
      console.log(`${key}: parameters differ by ${e.toExponential(1)} of the largest`);
      assert.ok(e <= TOLERANCE, `${key}: parameters differ by ${e} of the largest`);
    }
  },
});

Deno.test({
  ...opts,
  name: label("webgpu: warmupSupernet checkpoints (momentum slots on the device) and resumes as on wasm"),
  fn: async () => {
    const [wasm, gpu] = await both();
    for (const r of [wasm.resume, gpu.resume]) {
      assert.ok(r.resumedFrom > 0, "the resumed run starts from a checkpoint");
      // the same backend replays the same steps: a resumed run equals the uninterrupted one
      assert.ok(paramDiff(r.params, r.resumedParams) <= 1e-6, "resumed vs uninterrupted");
    }
    const e = paramDiff(wasm.resume.params, gpu.resume.params);
    console.log(`resume: parameters differ by ${e.toExponential(1)} of the largest`);
    assert.ok(e <= TOLERANCE, `resume: parameters differ by ${e} of the largest`);
  },
});

Deno.test({
  ...opts,
  name: label("webgpu: 50 scorings leave numTensors and GPU bytes unchanged"),
  fn: async () => {
    const [, gpu] = await both();
    const l = gpu.leak;
    assert.equal(l.tensorsAfter, l.tensorsBefore, `${l.proxy}: tensors`);
    assert.equal(l.bytesAfter, l.bytesBefore, `${l.proxy}: GPU bytes in use`);
  },
});

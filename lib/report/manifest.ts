/**
 * Run folders and their manifests: `results/<experiment>/<scale>/<run-id>/manifest.json` says what
 * produced the numbers beside it — config, seeds, backend (name, threads, BLAS, versions),
 * library versions, data checksums, git commit, wall time per phase, and the search cost.
 *
 * The GPU-day figure the paper plots is only filled in when the run was on a GPU backend; a CPU
 * run reports its wall seconds and leaves `gpuDays` null rather than inventing an equivalent.
 *
 * @module
 */
import { type BackendInfo, backendInfo } from "../backend.ts";
import { writeFileAtomic } from "../io.ts";

/** A data file a run read, with its checksum. */
export interface DataFile {
  path: string;
  bytes: number;
  sha256: string;
}

/** The manifest of a run. */
export interface Manifest {
  experiment: string;
  scale: string;
  runId: string;
  /** "completed", or "running" while in progress (a killed run keeps "running") */
  status: "running" | "completed";
  started: string;
  finished: string | null;
  config: unknown;
  seeds: Record<string, number>;
  backend: BackendInfo | null;
  /** npm packages pinned in deno.json */
  libraries: Record<string, string>;
  data: DataFile[];
  git: { commit: string | null; dirty: boolean | null };
  /** wall seconds per phase (warm-up, scoring, search, final training, …) */
  seconds: Record<string, number>;
  /** candidate evaluations, when the run searched */
  evaluations: number | null;
  /** search cost in GPU days, only for runs on a GPU backend */
  gpuDays: number | null;
  notes: string[];
}

/** A fresh run id: UTC time to the second (sortable). */
export function newRunId(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

/** Create (or reuse, to resume) `root/experiment/scale/runId`; returns its path. */
export async function createRunDir(
  root: string,
  experiment: string,
  scale: string,
  runId = newRunId(),
): Promise<string> {
  if (!/^[\w.-]+$/.test(runId)) {
    throw new RangeError(`Cannot use run id '${runId}': letters, digits, . _ - only`);
  }
  const dir = `${root}/${experiment}/${scale}/${runId}`;
  await Deno.mkdir(dir, { recursive: true });
  return dir;
}

/**
 * SHA-256 of a file. Files over 256 MiB (the raw recommender sets are 6–30 GB) are fingerprinted
 * by the SHA-256 of their size, first MiB and last MiB instead, marked `sha256-head-tail` in the
 * `sha256` field's prefix, so a manifest never waits minutes on hashing.
 */
export async function sha256File(path: string): Promise<DataFile> {
  const size = (await Deno.stat(path)).size;
  const hex = (b: ArrayBuffer) =>
    Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");
  if (size <= 256 * 2 ** 20) {
    const data = await Deno.readFile(path);
    return { path, bytes: data.length, sha256: hex(await crypto.subtle.digest("SHA-256", data)) };
  }
  const f = await Deno.open(path);
  try {
    const mib = 2 ** 20, buf = new Uint8Array(2 * mib + 8);
    new DataView(buf.buffer).setFloat64(2 * mib, size);
    let off = 0;
    while (off < mib) off += (await f.read(buf.subarray(off, mib))) ?? mib;
    await f.seek(size - mib, Deno.SeekMode.Start);
    off = 0;
    while (off < mib) off += (await f.read(buf.subarray(mib + off, 2 * mib))) ?? mib;
    return {
      path,
      bytes: size,
      sha256: `sha256-head-tail:${hex(await crypto.subtle.digest("SHA-256", buf))}`,
    };
  } finally {
    f.close();
  }
}

/** The git commit of the project and whether the tree has changes (null when git is unavailable). */
export async function gitState(): Promise<Manifest["git"]> {
  const root = new URL("../../", import.meta.url).pathname;
  try {
    const head = await new Deno.Command("git", {
      args: ["-C", root, "rev-parse", "HEAD"],
      stdout: "piped",
      stderr: "null",
    })
      .output();
    if (!head.success) return { commit: null, dirty: null };
    const st = await new Deno.Command("git", {
      args: ["-C", root, "status", "--porcelain", "--untracked-files=no"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return {
      commit: new TextDecoder().decode(head.stdout).trim(),
      dirty: st.success ? new TextDecoder().decode(st.stdout).trim().length > 0 : null,
    };
  } catch {
    return { commit: null, dirty: null };
  }
}

/** npm package versions pinned in the project's deno.json imports. */
export async function pinnedLibraries(): Promise<Record<string, string>> {
  try {
    const cfg = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(cfg.imports ?? {})) {
      const m = /^npm:(.+)@([^@]+)$/.exec(String(v));
      if (m) out[k] = m[2];
    }
    return out;
  } catch {
    return {};
  }
}

/** GPU days of a wall time, or null when the backend is not a GPU. */
export function gpuDays(seconds: number, backend: BackendInfo | null): number | null {
  const gpu = backend && (backend.name === "webgpu" || (backend.name === "tensorflow" && backend.device));
  return gpu ? seconds / 86400 : null;
}

/** A manifest for a new run (status "running"); complete it with {@linkcode finishManifest}. */
export async function startManifest(init: {
  experiment: string;
  scale: string;
  runId: string;
  config: unknown;
  seeds?: Record<string, number>;
  dataFiles?: string[];
  notes?: string[];
}): Promise<Manifest> {
  let backend: BackendInfo | null = null;
  try {
    backend = backendInfo();
  } catch {
    backend = null;
  }
  return {
    experiment: init.experiment,
    scale: init.scale,
    runId: init.runId,
    status: "running",
    started: new Date().toISOString(),
    finished: null,
    config: init.config,
    seeds: init.seeds ?? {},
    backend,
    libraries: await pinnedLibraries(),
    data: await Promise.all((init.dataFiles ?? []).map(sha256File)),
    git: await gitState(),
    seconds: {},
    evaluations: null,
    gpuDays: null,
    notes: init.notes ?? [],
  };
}

/** Write the manifest into the run folder (atomically). */
export async function writeManifest(dir: string, m: Manifest): Promise<void> {
  await writeFileAtomic(`${dir}/manifest.json`, JSON.stringify(m, null, 2) + "\n");
}

/** Mark a manifest completed with its timings and write it. */
export async function finishManifest(
  dir: string,
  m: Manifest,
  seconds: Record<string, number>,
  evaluations: number | null = null,
): Promise<Manifest> {
  const total = Object.values(seconds).reduce((a, b) => a + b, 0);
  const done: Manifest = {
    ...m,
    status: "completed",
    finished: new Date().toISOString(),
    seconds,
    evaluations,
    gpuDays: gpuDays(seconds.total ?? total, m.backend),
  };
  await writeManifest(dir, done);
  return done;
}

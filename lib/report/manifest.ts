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

/** One process that worked in a run folder (a resumed run has several). */
export interface Attempt {
  pid: number;
  hostname: string;
  started: string;
  /** when it ended; for a killed attempt, the last time it wrote the manifest */
  ended: string | null;
  status: "running" | "completed" | "failed" | "interrupted";
  /** the error of a failed attempt, the signal of an interrupted one */
  error?: string;
  /** this attempt's wall seconds per phase (`total`: its whole wall time) */
  seconds: Record<string, number>;
}

/** The manifest of a run. */
export interface Manifest {
  experiment: string;
  scale: string;
  runId: string;
  /**
   * "running" while in progress; "completed"; "failed" (with `error`); "interrupted" (SIGINT or
   * SIGTERM). A process killed by SIGKILL cannot write: its manifest keeps "running", and the
   * next {@linkcode RunDir.open} of the folder marks that attempt "interrupted" (a "running"
   * manifest whose last attempt's pid is gone is a killed run).
   */
  status: "running" | "completed" | "failed" | "interrupted";
  /** the error message of a failed run */
  error?: string;
  started: string;
  finished: string | null;
  config: unknown;
  /** every seed in the config, and how the run derives its random streams from them */
  seeds: Record<string, number | string>;
  backend: BackendInfo | null;
  /** npm packages pinned in deno.json */
  libraries: Record<string, string>;
  data: DataFile[];
  git: { commit: string | null; dirty: boolean | null };
  /** wall seconds per phase (warm-up, scoring, search, final training, …), summed over attempts */
  seconds: Record<string, number>;
  /**
   * the run's costs in seconds (e.g. a search method's cost) as the run's own records sum them
   * (histories, checkpoints): facts of the run, the same however many attempts it took
   */
  costs?: Record<string, number>;
  /** every process that worked on the run, in order */
  attempts?: Attempt[];
  /** candidate evaluations, when the run searched */
  evaluations: number | null;
  /** search cost in GPU days, only for runs on a GPU backend */
  gpuDays: number | null;
  notes: string[];
  /** the Deno runtime (also known when no tfjs backend was initialised) */
  runtime?: { deno: string; v8: string; typescript: string; os: string; arch: string };
  /** times the run was resumed in its folder (see {@linkcode RunDir}) */
  resumes?: number;
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

/**
 * The checksum of data a run generated in memory (`name` says what, e.g. `generated:cifar10/train`):
 * the SHA-256 of its byte arrays in order, so a manifest pins generated data as it pins files.
 */
export async function sha256Bytes(name: string, parts: readonly Uint8Array[]): Promise<DataFile> {
  const bytes = parts.reduce((a, p) => a + p.byteLength, 0);
  const all = new Uint8Array(bytes);
  let off = 0;
  for (const p of parts) {
    all.set(p, off);
    off += p.byteLength;
  }
  const d = await crypto.subtle.digest("SHA-256", all);
  const hex = Array.from(new Uint8Array(d), (x) => x.toString(16).padStart(2, "0")).join("");
  return { path: name, bytes, sha256: hex };
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

/** Whether a backend computes on a GPU: WebGPU on a hardware adapter, or native TensorFlow built for CUDA. */
export function isGpuBackend(backend: BackendInfo | null): boolean {
  if (!backend) return false;
  if (backend.name === "webgpu") return backend.adapter?.software !== true;
  return backend.name === "tensorflow" && (backend.package.endsWith("-gpu") || backend.device === "cuda");
}

/** GPU days of a wall time, or null when the backend is not a GPU (no invented CPU equivalent). */
export function gpuDays(seconds: number, backend: BackendInfo | null): number | null {
  return isGpuBackend(backend) ? seconds / 86400 : null;
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
    runtime: { ...Deno.version, os: Deno.build.os, arch: Deno.build.arch },
    attempts: [newAttempt()],
  };
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "";
  }
}

function newAttempt(): Attempt {
  return {
    pid: Deno.pid,
    hostname: hostname(),
    started: new Date().toISOString(),
    ended: null,
    status: "running",
    seconds: {},
  };
}

/** Whether process `pid` on this host is alive and a Deno process (Linux /proc; false elsewhere). */
async function denoAlive(pid: number): Promise<boolean> {
  try {
    const cmd = await Deno.readTextFile(`/proc/${pid}/cmdline`);
    return /deno/.test(cmd);
  } catch {
    return false;
  }
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
  const attempts = m.attempts?.map((a, i, all) =>
    i === all.length - 1 ? { ...a, status: "completed" as const, ended: new Date().toISOString() } : a
  );
  const done: Manifest = {
    ...m,
    ...(attempts ? { attempts } : {}),
    status: "completed",
    finished: new Date().toISOString(),
    seconds,
    evaluations,
    gpuDays: gpuDays(seconds.total ?? total, m.backend),
  };
  await writeManifest(dir, done);
  return done;
}

/** Where run folders go unless told: `SIGEO_RESULTS`, else the project's `results/`. */
export function defaultResultsRoot(): string {
  try {
    const env = Deno.env.get("SIGEO_RESULTS");
    if (env) return env;
  } catch {
    // no env permission
  }
  return new URL("../../results", import.meta.url).pathname;
}

/** What {@linkcode RunDir.open} needs. */
export interface RunDirInit {
  /** @default {defaultResultsRoot()} */
  root?: string;
  experiment: string;
  scale: string;
  /** an existing id resumes that run @default {newRunId()} */
  runId?: string;
  config: unknown;
  seeds?: Record<string, number>;
  /** files the run reads, checksummed into the manifest */
  dataFiles?: string[];
  notes?: string[];
}

/**
 * A run folder `root/<experiment>/<scale>/<run-id>/` and its manifest, kept on disk as the run
 * goes: written ("running") when opened and again after each phase, so a killed run leaves a
 * manifest saying how far it got. Opening an existing run id resumes it: the earlier phases'
 * seconds are kept and new ones added (the cost of a run is all the compute it took, killed
 * attempts' finished phases included), each process is listed in `attempts`, and a different
 * config or changed data file is refused, as is a folder another live process is running.
 */
export class RunDir {
  private constructor(readonly path: string, public manifest: Manifest) {}

  /** Create (or resume) a run folder and write its first manifest. */
  static async open(init: RunDirInit): Promise<RunDir> {
    const path = await createRunDir(
      init.root ?? defaultResultsRoot(),
      init.experiment,
      init.scale,
      init.runId,
    );
    const fresh = await startManifest({ ...init, runId: path.split("/").at(-1)! });
    let old: Manifest | null = null;
    try {
      old = JSON.parse(await Deno.readTextFile(`${path}/manifest.json`));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) {
        throw new SyntaxError(
          `Cannot resume run ${path}: its manifest.json is unreadable (${(e as Error).message})`,
        );
      }
    }
    let m = fresh;
    if (old) {
      if (JSON.stringify(old.config) !== JSON.stringify(fresh.config)) {
        throw new RangeError(`Cannot resume run ${path}: its manifest.json has a different config`);
      }
      for (const d of fresh.data) {
        const was = (old.data ?? []).find((o) => o.path === d.path);
        if (was && was.sha256 !== d.sha256) {
          throw new RangeError(
            `Cannot resume run ${path}: data file ${d.path} changed since the run started`,
          );
        }
      }
      const attempts: Attempt[] = old.attempts ??
        [{
          pid: -1,
          hostname: "",
          started: old.started,
          ended: old.finished,
          status: old.status,
          seconds: {},
        }];
      const last = attempts.at(-1)!;
      if (old.status === "running" && last.status === "running") {
        if (last.hostname === hostname() && last.pid !== Deno.pid && await denoAlive(last.pid)) {
          throw new Error(`Cannot resume run ${path}: process ${last.pid} is still running it`);
        }
        // killed without a word (SIGKILL, power loss): it ended when it last wrote the manifest
        const mtime = (await Deno.stat(`${path}/manifest.json`)).mtime ?? new Date();
        last.status = "interrupted";
        last.error = "killed (found still 'running' when the run was resumed)";
        last.ended = mtime.toISOString();
        last.seconds.total ??= Math.max(0, (mtime.getTime() - Date.parse(last.started)) / 1000);
      }
      const seconds = { ...(old.seconds ?? {}) };
      if (last.status === "interrupted" && old.status === "running") {
        seconds.total = (seconds.total ?? 0) + (last.seconds.total ?? 0);
      }
      m = {
        ...fresh,
        started: old.started,
        seconds,
        ...(old.costs ? { costs: old.costs } : {}),
        evaluations: old.evaluations ?? null,
        resumes: (old.resumes ?? 0) + 1,
        notes: [...(old.notes ?? []), `resumed ${fresh.started}`],
        attempts: [...attempts, ...fresh.attempts!],
      };
    }
    const dir = new RunDir(path, m);
    await dir.write();
    return dir;
  }

  /** A path inside the run folder (no absolute paths, no `..`). */
  file(name: string): string {
    if (name === "" || name.startsWith("/") || name.split("/").some((p) => p === ".." || p === "")) {
      throw new RangeError(`Cannot use '${name}' as a file of run ${this.path}: expected a relative path`);
    }
    return `${this.path}/${name}`;
  }

  /** Run `fn` as the phase `name`: its wall seconds are added to the manifest, which is rewritten. */
  async phase<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      await this.addSeconds(name, (performance.now() - t0) / 1000);
    }
  }

  /**
   * Add seconds to a phase (for time measured elsewhere) and rewrite the manifest: to the run's
   * phase seconds (summed over attempts) and to this attempt's.
   */
  async addSeconds(name: string, seconds: number): Promise<void> {
    if (!(seconds >= 0)) throw new RangeError(`Expected seconds >= 0 for phase '${name}', got ${seconds}`);
    this.manifest.seconds[name] = (this.manifest.seconds[name] ?? 0) + seconds;
    const a = this.attempt;
    if (a) a.seconds[name] = (a.seconds[name] ?? 0) + seconds;
    await this.write();
  }

  /** This process's attempt. */
  get attempt(): Attempt | undefined {
    return this.manifest.attempts?.at(-1);
  }

  /**
   * End the run as `failed` (an error; its message kept) or `interrupted` (a signal), with this
   * attempt's wall seconds so far in `total`, and write the manifest.
   */
  async stop(status: "failed" | "interrupted", why: string, attemptSeconds: number): Promise<void> {
    this.manifest.status = status;
    this.manifest.error = why;
    this.manifest.finished = new Date().toISOString();
    this.manifest.seconds.total = (this.manifest.seconds.total ?? 0) + attemptSeconds;
    const a = this.attempt;
    if (a) Object.assign(a, { status, error: why, ended: this.manifest.finished });
    if (a) a.seconds.total = (a.seconds.total ?? 0) + attemptSeconds;
    await this.write();
  }

  /** Set the number of candidate evaluations (a search's history length) and rewrite. */
  async setEvaluations(n: number): Promise<void> {
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(`Expected evaluations to be an integer >= 0, got ${n}`);
    }
    this.manifest.evaluations = n;
    await this.write();
  }

  /** Add a note line and rewrite. */
  async note(line: string): Promise<void> {
    this.manifest.notes.push(line);
    await this.write();
  }

  /** Write the manifest as it stands (atomically). */
  async write(): Promise<void> {
    await writeManifest(this.path, this.manifest);
  }

  /** Mark the run completed: GPU days (GPU backends only) over the sum of the phases. */
  async finish(): Promise<Manifest> {
    delete this.manifest.error;
    this.manifest = await finishManifest(
      this.path,
      this.manifest,
      this.manifest.seconds,
      this.manifest.evaluations,
    );
    return this.manifest;
  }
}

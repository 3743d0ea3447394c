/**
 * Running the project's notebooks headless, from Deno: the test suite, `deno task reproduce`
 * and CI all go through {@linkcode runNotebook}.
 *
 * It drives `tools/run_notebook.py` (Debian's nbclient, subclassed to keep outputs the Deno kernel
 * publishes after reporting idle; docs/notebooks.md) with a **project-pinned kernel**: a
 * kernelspec written to a private `JUPYTER_PATH` that starts *this* Deno binary, so a run never
 * depends on which `deno jupyter --install` a user did last. Users opening notebooks in
 * JupyterLab/Notebook use the `deno` kernel that `deno jupyter --install` registers.
 *
 * @module
 */
import { writeFileAtomic } from "../io.ts";

/** Per-cell facts of one run. */
export interface CellRun {
  cell: number;
  seconds: number;
  outputs: number;
  errors: number;
}

/** What a notebook run produced. */
export interface NotebookRun {
  notebook: string;
  executed: string;
  html: string | null;
  seconds: number;
  /** outputs that arrived after their cell's idle (kept; counted for the record) */
  late_outputs: number;
  /**
   * iopub messages skipped because they did not verify (bad HMAC signature, no `<IDS|MSG>`
   * delimiter): a rare Deno 2.9.6 kernel fault, summed over the attempts
   */
  corrupt_messages: number;
  /** 1, or more when earlier attempts met such a fault and the notebook was run again (at most 3) */
  attempts: number;
  cells: CellRun[];
}

const RUNNER = new URL("../../tools/run_notebook.py", import.meta.url).pathname;
const KERNEL = "sigeo-deno";
let python: Promise<string | null> | null = null;

/**
 * The Python that has nbclient, nbconvert and nbformat: `SIGEO_PYTHON` when set, else Debian's
 * `/usr/bin/python3` (a pyenv/venv `python3` earlier on PATH usually lacks them), else `python3`.
 */
export function findPython(): Promise<string | null> {
  python ??= (async () => {
    const forced = Deno.env.get("SIGEO_PYTHON");
    for (const bin of forced ? [forced] : ["/usr/bin/python3", "python3"]) {
      try {
        const out = await new Deno.Command(bin, {
          args: ["-c", "import nbclient, nbconvert, nbformat"],
          stdout: "null",
          stderr: "null",
        }).output();
        if (out.success) return bin;
      } catch {
        // not installed
      }
    }
    return null;
  })();
  return python;
}

/** Whether Jupyter (nbclient + nbconvert) can run notebooks here. */
export async function jupyterAvailable(): Promise<boolean> {
  return (await findPython()) !== null;
}

/** A private Jupyter data folder holding a kernelspec that runs this Deno binary. */
export async function pinnedKernelPath(): Promise<string> {
  const home = Deno.env.get("HOME") ?? "/tmp";
  const root = `${home}/.cache/sigeo/jupyter`;
  const dir = `${root}/kernels/${KERNEL}`;
  await Deno.mkdir(dir, { recursive: true });
  const spec = {
    argv: [Deno.execPath(), "jupyter", "--kernel", "--conn", "{connection_file}"],
    display_name: "Deno (SiGeo, pinned)",
    language: "typescript",
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
  };
  await writeFileAtomic(`${dir}/kernel.json`, JSON.stringify(spec, null, 1) + "\n");
  return root;
}

/** Options of {@linkcode runNotebook}. */
export interface RunNotebookOptions {
  /** where the executed notebook and its HTML export go */
  outDir: string;
  /** extra environment (e.g. SIGEO_SCALE) */
  env?: Record<string, string>;
  /** seconds per cell @default {3600} */
  cellTimeoutS?: number;
  /** skip the HTML export @default {false} */
  noHtml?: boolean;
  /**
   * seconds for the whole run; past it the runner gets SIGTERM (nbclient then shuts the kernel
   * down) and, 10 s later, SIGKILL @default {no limit}
   */
  timeoutS?: number;
  /** the runner script (tests substitute one) @default {tools/run_notebook.py} */
  runner?: string;
}

/** Runs of one notebook at most, when the kernel garbles messages (see {@linkcode runNotebook}). */
const MAX_ATTEMPTS = 3;

/** A failure of the kernel's messaging (not of the notebook): worth another attempt. */
const KERNEL_FAULT = /Invalid Signature|<IDS\|MSG>|Duplicate Signature/;

/**
 * Execute a notebook headless with every output kept; throws an Error naming the notebook and
 * the failing cell when a cell raises.
 *
 * The Deno 2.9.6 kernel very rarely publishes an iopub message that does not verify (seen as
 * `Invalid Signature` or a missing `<IDS|MSG>` delimiter, ~1 in 10 notebook runs under load). The
 * runner skips and counts such messages; because a skipped message may have been an output, a run
 * that met one — or died of one — is run again in a fresh kernel, up to 3 runs in all (the
 * experiments resume from their run folder, so a rerun mostly replays); the last run's result
 * counts. A last run that still met one is returned as it is: the caller's output checks decide.
 */
export async function runNotebook(path: string, opts: RunNotebookOptions): Promise<NotebookRun> {
  let corrupt = 0;
  for (let attempt = 1;; attempt++) {
    const last = attempt === MAX_ATTEMPTS;
    try {
      const run = await runNotebookOnce(path, opts);
      corrupt += run.corrupt_messages;
      if (run.corrupt_messages === 0 || last) return { ...run, corrupt_messages: corrupt, attempts: attempt };
    } catch (e) {
      if (last || !KERNEL_FAULT.test((e as Error).message)) throw e;
      corrupt += 1;
    }
  }
}

async function runNotebookOnce(path: string, opts: RunNotebookOptions): Promise<NotebookRun> {
  const py = await findPython();
  if (!py) {
    throw new Error(
      `Cannot run notebook ${path}: no python3 with nbclient, nbconvert and nbformat (Debian: apt-get install python3-nbclient jupyter-nbconvert; or set SIGEO_PYTHON)`,
    );
  }
  const jupyterPath = await pinnedKernelPath();
  const args = [
    opts.runner ?? RUNNER,
    path,
    opts.outDir,
    "--kernel",
    KERNEL,
    "--timeout",
    String(opts.cellTimeoutS ?? 3600),
    ...(opts.noHtml ? ["--no-html"] : []),
  ];
  const child = new Deno.Command(py, {
    args,
    env: {
      ...opts.env,
      JUPYTER_PATH: jupyterPath,
      NO_COLOR: "1",
      PYDEVD_DISABLE_FILE_VALIDATION: "1",
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  let hardKill: ReturnType<typeof setTimeout> | undefined;
  const kill = (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch {
      // already exited
    }
  };
  const timer = opts.timeoutS === undefined ? undefined : setTimeout(() => {
    timedOut = true;
    kill("SIGTERM");
    hardKill = setTimeout(() => kill("SIGKILL"), 10_000);
  }, opts.timeoutS * 1000);
  const out = await child.output();
  clearTimeout(timer);
  clearTimeout(hardKill);
  if (timedOut) throw new Error(`Notebook ${path} did not finish within ${opts.timeoutS} s: stopped`);
  const stdout = new TextDecoder().decode(out.stdout).trim();
  const line = stdout.split("\n").filter((l) => l.startsWith("{")).at(-1);
  if (!line) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-15).join("\n");
    throw new Error(`Cannot run notebook ${path}: the runner printed no report\n${err}`);
  }
  const report = JSON.parse(line) as NotebookRun & { error: string | null };
  report.corrupt_messages ??= 0;
  if (!out.success || report.error) {
    throw new Error(`Notebook ${path} failed at ${report.error ?? "an unknown cell"}`);
  }
  return report;
}

/** Code cells of a notebook file that carry outputs or execution counts (committed notebooks must not). */
export async function cellsWithOutputs(path: string): Promise<number[]> {
  const nb = JSON.parse(await Deno.readTextFile(path)) as {
    cells: { cell_type: string; outputs?: unknown[]; execution_count?: number | null }[];
  };
  return nb.cells.flatMap((c, i) =>
    c.cell_type === "code" && ((c.outputs?.length ?? 0) > 0 || c.execution_count != null) ? [i] : []
  );
}

/**
 * Progress bars for long loops (warm-up steps, candidate evaluations) with rate and ETA.
 *
 * Where the output goes decides how it is drawn:
 * - a terminal: one line on stderr, redrawn in place (`\r`), at most every `intervalMs`;
 * - the Deno Jupyter kernel: one display, updated in place through `Deno.jupyter.display` with a
 *   `display_id` (a `<progress>` bar and the same text), at most every `intervalMs`;
 * - anything else (a log file, CI, a pipe): plain lines at each 10 % and at most every `linesMs`,
 *   because `\r` redraws turn into megabytes of noise there;
 * - silent: counts only.
 * `SIGEO_PROGRESS=tty|jupyter|lines|silent` overrides the choice. Replayed steps (a resumed
 * search's recorded candidates) advance the bar but not the rate, so the ETA stays honest.
 *
 * @module
 */

/** How a bar is drawn. */
export type ProgressMode = "tty" | "jupyter" | "lines" | "silent";

/** Settings of {@linkcode Progress}. */
export interface ProgressOptions {
  label?: string;
  /** steps in all; NaN or absent = unknown (count and rate only) */
  total?: number;
  /** @default {"auto"} (environment, then Jupyter, then terminal, else lines) */
  mode?: ProgressMode | "auto";
  /** same as mode "silent" */
  silent?: boolean;
  /** minimum milliseconds between redraws (tty, jupyter) @default {250} */
  intervalMs?: number;
  /** lines mode: a line at least this often (besides each 10 %) @default {30000} */
  linesMs?: number;
  /** text sink for tty and lines @default {stderr} */
  write?: (text: string) => void;
  /** Jupyter sink @default {Deno.jupyter.display} */
  display?: (
    bundle: Record<string, string>,
    opts: { raw: true; display_id: string; update?: boolean },
  ) => unknown;
  /** clock in milliseconds @default {performance.now} */
  now?: () => number;
  /** the clock reading the bar counts its elapsed time and rate from @default {now() at creation} */
  start?: number;
  /** terminal width for tty lines @default {the console's, else 100} */
  columns?: number;
}

/** Seconds as a short duration: `42s`, `3m05s`, `2h07m`, `3d04h`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d${pad(Math.floor((s % 86400) / 3600))}h`;
}

/** A rate as text: `12.3/s`, or `4.0 s/it` when slower than one per second. */
export function formatRate(perSecond: number): string {
  if (!(perSecond > 0) || !Number.isFinite(perSecond)) return "–/s";
  if (perSecond >= 1) return `${perSecond >= 100 ? perSecond.toFixed(0) : perSecond.toPrecision(3)}/s`;
  const s = 1 / perSecond;
  return `${s >= 100 ? s.toFixed(0) : s.toPrecision(3)} s/it`;
}

function envMode(): ProgressMode | undefined {
  try {
    const v = Deno.env.get("SIGEO_PROGRESS")?.toLowerCase();
    if (v === "off" || v === "none" || v === "0") return "silent";
    if (v === "tty" || v === "jupyter" || v === "lines" || v === "silent") return v;
  } catch {
    // no env permission: choose from the surroundings
  }
  return undefined;
}

/** `Deno.jupyter`, typed loosely: it exists only inside `deno jupyter` (elsewhere reading it throws). */
function jupyter(): { display(obj: unknown, opts: unknown): Promise<void> } | undefined {
  return (Deno as unknown as { jupyter?: { display(obj: unknown, opts: unknown): Promise<void> } }).jupyter;
}

/** Whether this code runs inside the Deno Jupyter kernel. */
export function inJupyter(): boolean {
  try {
    return typeof jupyter()?.display === "function";
  } catch {
    return false; // outside `deno jupyter`, touching Deno.jupyter throws
  }
}

/** The mode "auto" resolves to here. */
export function detectMode(): ProgressMode {
  const env = envMode();
  if (env) return env;
  if (inJupyter()) return "jupyter";
  try {
    if (Deno.stderr.isTerminal()) return "tty";
  } catch {
    // not a terminal
  }
  return "lines";
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

let displayIds = 0;

/** A progress bar; see the module doc for where it draws. */
export class Progress {
  readonly mode: ProgressMode;
  readonly label: string;
  #total: number;
  #done = 0;
  /** steps that were actually worked (not replayed): the rate's numerator */
  #worked = 0;
  #replayed = 0;
  #note = "";
  #finished = false;
  readonly #start: number;
  #lastDraw = -Infinity;
  #lastTenth = -1;
  readonly #now: () => number;
  readonly #write: (text: string) => void;
  readonly #interval: number;
  readonly #linesMs: number;
  readonly #columns: number;
  readonly #displayId = `sigeo-progress-${Deno.pid}-${++displayIds}`;
  #displayed = false;
  #chain: Promise<unknown> = Promise.resolve();
  readonly #display: NonNullable<ProgressOptions["display"]> | null;

  constructor(opts: ProgressOptions = {}) {
    this.mode = opts.silent ? "silent" : !opts.mode || opts.mode === "auto" ? detectMode() : opts.mode;
    this.label = opts.label ?? "progress";
    this.#total = opts.total ?? NaN;
    this.#now = opts.now ?? (() => performance.now());
    this.#start = opts.start ?? this.#now();
    this.#write = opts.write ?? ((t) => Deno.stderr.writeSync(new TextEncoder().encode(t)));
    this.#interval = opts.intervalMs ?? 250;
    this.#linesMs = opts.linesMs ?? 30_000;
    let cols = opts.columns;
    if (cols === undefined) {
      try {
        cols = Deno.consoleSize().columns;
      } catch {
        cols = 100;
      }
    }
    this.#columns = Math.max(20, cols);
    this.#display = opts.display ?? (this.mode === "jupyter" ? (b, o) => jupyter()!.display(b, o) : null);
  }

  get done(): number {
    return this.#done;
  }
  get total(): number {
    return this.#total;
  }

  /** Steps per second of real work (replayed steps excluded); NaN before any. */
  rate(): number {
    if (this.#worked === 0) return NaN;
    const secs = (this.#now() - this.#start) / 1000;
    return secs > 0 ? this.#worked / secs : NaN;
  }

  /** Seconds left at the current rate; NaN when unknown. */
  eta(): number {
    const left = this.#total - this.#done;
    if (!(left >= 0)) return NaN;
    return left === 0 ? 0 : left / this.rate();
  }

  /** Change the expected total (NaN = unknown). */
  setTotal(total: number): void {
    this.#total = total;
  }

  /** Advance `n` steps; `replayed` steps (resumed from a record) do not count toward the rate. */
  advance(n = 1, opts: { replayed?: boolean; note?: string } = {}): void {
    this.#done += n;
    if (opts.replayed) this.#replayed += n;
    else this.#worked += n;
    if (opts.note !== undefined) this.#note = opts.note;
    this.#maybeDraw();
  }

  /** One step. */
  tick(note?: string): void {
    this.advance(1, { note });
  }

  /** The bar's text, e.g. `search [#####.....] 50/100 50% 4.00/s ETA 12s (10 replayed) best 3`. */
  text(): string {
    const parts = [this.label];
    const known = Number.isFinite(this.#total) && this.#total > 0;
    if (known) {
      const f = Math.min(1, this.#done / this.#total);
      const w = 20, fill = Math.round(f * w);
      parts.push(`[${"#".repeat(fill)}${".".repeat(w - fill)}]`, `${this.#done}/${this.#total}`);
      parts.push(`${Math.floor(100 * f)}%`);
    } else parts.push(`${this.#done}`);
    parts.push(formatRate(this.rate()));
    const elapsed = (this.#now() - this.#start) / 1000;
    if (this.#finished) parts.push(`in ${formatDuration(elapsed)}`);
    else if (known) parts.push(`ETA ${formatDuration(this.eta())}`);
    else parts.push(`${formatDuration(elapsed)} elapsed`);
    if (this.#replayed > 0) parts.push(`(${this.#replayed} replayed)`);
    if (this.#note) parts.push(this.#note);
    return parts.join(" ");
  }

  /**
   * Draw the final state (and end the terminal line). Resolves once a Jupyter display has been
   * sent, plus a short wait: the Deno kernel may report idle before its last outputs and
   * headless runs would drop them (docs/notebooks.md).
   */
  async finish(note?: string): Promise<void> {
    if (!this.#finished) {
      if (note !== undefined) this.#note = note;
      this.#finished = true;
      this.#draw(true);
    }
    await this.flush();
    if (this.mode === "jupyter") await new Promise((r) => setTimeout(r, 30));
  }

  /** Wait for pending Jupyter updates. */
  async flush(): Promise<void> {
    await this.#chain;
  }

  #maybeDraw(): void {
    if (this.mode === "silent" || this.#finished) return;
    const t = this.#now();
    if (this.mode === "lines") {
      const tenth = Number.isFinite(this.#total) && this.#total > 0
        ? Math.floor((10 * this.#done) / this.#total)
        : -1;
      if ((tenth > this.#lastTenth) || t - this.#lastDraw >= this.#linesMs) {
        this.#lastTenth = Math.max(tenth, this.#lastTenth);
        this.#draw(false);
      }
      return;
    }
    if (t - this.#lastDraw >= this.#interval) this.#draw(false);
  }

  #draw(final: boolean): void {
    this.#lastDraw = this.#now();
    const text = this.text();
    if (this.mode === "silent") return;
    if (this.mode === "lines") this.#write(text + "\n");
    else if (this.mode === "tty") {
      const line = text.length >= this.#columns ? text.slice(0, this.#columns - 2) + "…" : text;
      this.#write(`\r${line}\x1b[K${final ? "\n" : ""}`);
    } else if (this.#display) {
      const f = Number.isFinite(this.#total) && this.#total > 0
        ? Math.min(1, this.#done / this.#total)
        : null;
      const bar = f === null
        ? "<progress></progress>"
        : `<progress value="${f.toFixed(4)}" max="1"></progress>`;
      const bundle = {
        "text/plain": text,
        "text/html": `<div style="font-family:monospace">${bar} ${escapeHtml(text)}</div>`,
      };
      const update = this.#displayed;
      this.#displayed = true;
      const show = this.#display;
      const opts = { raw: true as const, display_id: this.#displayId, ...(update ? { update: true } : {}) };
      // in order, one at a time; a failed display must not stop the computation it reports on
      this.#chain = this.#chain.then(() => show(bundle, opts)).catch(() => {});
    }
  }
}

/** A new {@linkcode Progress}. */
export function progress(opts: ProgressOptions = {}): Progress {
  return new Progress(opts);
}

/**
 * A `(done, total)` callback — how experiments report progress — drawn as one {@link Progress}
 * bar; the bar finishes when `done` reaches `total`. Its clock starts when the callback is made
 * (when the experiment is started), not at the first report, so the final line's elapsed time is
 * the run's and the rate is never that of a first burst (e.g. 2 706/s with "ETA 0s").
 */
export function progressCallback(
  label: string,
  opts: Omit<ProgressOptions, "label" | "total"> = {},
): (done: number, total: number) => void {
  let bar: Progress | null = null;
  const start = opts.start ?? (opts.now ?? (() => performance.now()))();
  return (done, total) => {
    bar ??= new Progress({ ...opts, label, total, start });
    if (bar.total !== total) bar.setTotal(total);
    if (done > bar.done) bar.advance(done - bar.done);
    if (done >= total) void bar.finish();
  };
}

/**
 * Progress for a notebook cell: one line updated in place in the Jupyter kernel (a display with a
 * `display_id`), a redrawn line in a terminal, plain lines in a log — whichever runs it
 * (`SIGEO_PROGRESS` overrides), the final line with the whole elapsed time.
 */
export function cellProgress(label: string): (done: number, total: number) => void {
  return progressCallback(label, { mode: "auto" });
}

/**
 * Progress as plain lines (each 10 %, with rate and ETA): what a log file shows well, where a
 * redrawn terminal bar would not.
 */
export function lineProgress(
  label: string,
  print: (line: string) => void = console.log,
): (done: number, total: number) => void {
  return progressCallback(label, { mode: "lines", write: (text) => print(text.trimEnd()) });
}

/**
 * One bar per phase of a run (warm-up segment, each search, final training): `bar(label)` opens a
 * {@link Progress} labelled `prefix: label` when the phase starts — its clock starts there, so the
 * rate and ETA are the phase's own and its final line gives the phase's true elapsed time. In
 * Jupyter each phase is one display updated in place; in a terminal one redrawn line, ended when
 * the phase finishes.
 */
export function phaseProgress(
  prefix: string,
  opts: Omit<ProgressOptions, "label" | "total" | "start"> = {},
): (label: string) => Progress {
  return (label) => new Progress({ ...opts, label: `${prefix}: ${label}` });
}

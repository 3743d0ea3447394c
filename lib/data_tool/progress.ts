/**
 * A byte-count progress line for downloads: done/total, percent, rate and ETA. On a terminal the
 * line is redrawn in place (`\r`) at most every 250 ms; elsewhere (a log, CI) a plain line is
 * written at each 10 % so logs stay short.
 *
 * @module
 */
import { formatDuration } from "../report/progress.ts";

/** Bytes as `812 B`, `45.2 MB`, `1.07 GB` (decimal units, as the dataset pages quote sizes). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${Math.round(n)} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = n / 1000, u = 0;
  while (v >= 1000 && u < units.length - 1) (v /= 1000, u++);
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[u]}`;
}

/**
 * One progress line: `name  45.2 MB / 162 MB  28%  3.10 MB/s  ETA 38s`. `start` bytes were
 * already on disk (a resumed download): the rate counts only the bytes fetched in `seconds`.
 */
export function progressLine(
  name: string,
  done: number,
  total: number | undefined,
  seconds: number,
  start = 0,
): string {
  const rate = seconds > 0 ? (done - start) / seconds : 0;
  const parts = [name, total ? `${formatBytes(done)} / ${formatBytes(total)}` : formatBytes(done)];
  if (total) parts.push(`${Math.floor((100 * done) / total)}%`);
  parts.push(rate > 0 ? `${formatBytes(rate)}/s` : "–/s");
  if (total && rate > 0 && done < total) parts.push(`ETA ${formatDuration((total - done) / rate)}`);
  if (start > 0) parts.push(`(resumed at ${formatBytes(start)})`);
  return parts.join("  ");
}

/** Settings of {@link byteProgress}. */
export interface ByteProgressOptions {
  /** @default {stderr is a terminal} */
  tty?: boolean;
  /** @default {write to stderr} */
  write?: (text: string) => void;
  /** @default {performance.now} */
  now?: () => number;
  /** bytes already there when counting starts (a resumed download) */
  start?: number;
}

/** A progress reporter: `update(done, total)` as bytes arrive, `end(done, total)` once. */
export interface ByteProgress {
  update(done: number, total?: number): void;
  end(done: number, total?: number): void;
}

/** A {@link ByteProgress} drawing {@link progressLine}s. */
export function byteProgress(name: string, opts: ByteProgressOptions = {}): ByteProgress {
  const now = opts.now ?? (() => performance.now());
  const write = opts.write ?? ((t: string) => Deno.stderr.writeSync(new TextEncoder().encode(t)));
  let tty = opts.tty;
  if (tty === undefined) {
    try {
      tty = Deno.stderr.isTerminal();
    } catch {
      tty = false;
    }
  }
  const t0 = now(), start = opts.start ?? 0;
  let lastDraw = -Infinity, lastDecile = -1;
  const line = (done: number, total?: number) => progressLine(name, done, total, (now() - t0) / 1000, start);
  return {
    update(done, total) {
      if (tty) {
        if (now() - lastDraw < 250) return;
        lastDraw = now();
        write(`\r${line(done, total)}\x1b[K`);
      } else if (total) {
        const decile = Math.floor((10 * done) / total);
        if (decile > lastDecile && decile < 10) {
          lastDecile = decile;
          write(line(done, total) + "\n");
        }
      }
    },
    end(done, total) {
      const text = line(done, total);
      write(tty ? `\r${text}\x1b[K\n` : text + "\n");
    },
  };
}

/**
 * Download one file with resume and MD5 verification, never leaving a partial file under the
 * final name.
 *
 * Bytes go to `<dest>.part`. A `.part` left by an interrupted run is resumed with an HTTP `Range`
 * request (and hashed first, so the MD5 covers the whole file); a server that ignores the range
 * (status 200) restarts it from zero. Only when the whole file's MD5 equals the published one is
 * `.part` renamed to `dest`. A file whose MD5 is wrong is deleted: resuming from a corrupt prefix
 * could never succeed, so the next run must start over (the error says so). A connection that
 * ends early keeps `.part`, and the error says to rerun to resume.
 *
 * @module
 */
import { Md5, md5File } from "./md5.ts";
import { type ByteProgress, formatBytes } from "./progress.ts";

/** Settings of {@link downloadFile}. */
export interface DownloadOptions {
  /** the published MD5 (hex) */
  md5: string;
  /** gets a reporter once the size is known (`start` = bytes resumed) */
  progress?: (start: number) => ByteProgress;
  /** @default {globalThis.fetch} */
  fetch?: typeof fetch;
}

/** What {@link downloadFile} did. */
export interface DownloadResult {
  path: string;
  bytes: number;
  /** bytes that were already in `.part` */
  resumedFrom: number;
  /** dest was already there with the right MD5 */
  already: boolean;
}

/** The download stopped before the end; `.part` is kept for a resume. */
export class DownloadInterrupted extends Error {
  constructor(message: string, readonly partPath: string, readonly bytes: number) {
    super(message);
    this.name = "DownloadInterrupted";
  }
}

/** The downloaded bytes do not have the published MD5 (the `.part` was deleted). */
export class ChecksumMismatch extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ChecksumMismatch";
  }
}

async function sizeOf(path: string): Promise<number | null> {
  try {
    const s = await Deno.stat(path);
    return s.isFile ? s.size : null;
  } catch {
    return null;
  }
}

/** Fetch `url` into `dest` (see the module doc). */
export async function downloadFile(
  url: string,
  dest: string,
  opts: DownloadOptions,
): Promise<DownloadResult> {
  const want = opts.md5.toLowerCase();
  const doFetch = opts.fetch ?? fetch;
  const existing = await sizeOf(dest);
  if (existing !== null) {
    const got = await md5File(dest);
    if (got === want) return { path: dest, bytes: existing, resumedFrom: 0, already: true };
    throw new ChecksumMismatch(
      `${dest} already exists but its MD5 is ${got}, expected ${want}: remove it (or move it away) and rerun`,
    );
  }
  const part = `${dest}.part`;
  let start = (await sizeOf(part)) ?? 0;
  const hash = new Md5();
  if (start > 0) {
    // hash what is there, so the MD5 covers the whole file
    const f = await Deno.open(part, { read: true });
    try {
      const buf = new Uint8Array(1 << 22);
      for (;;) {
        const n = await f.read(buf);
        if (n === null) break;
        hash.update(buf.subarray(0, n));
      }
    } finally {
      f.close();
    }
  }
  let res: Response;
  try {
    res = await doFetch(url, start > 0 ? { headers: { Range: `bytes=${start}-` } } : {});
  } catch (e) {
    throw new DownloadInterrupted(
      `Cannot download ${url}: ${(e as Error).message}` +
        (start > 0 ? ` (${formatBytes(start)} kept in ${part}; rerun to resume)` : ""),
      part,
      start,
    );
  }
  let total: number | undefined;
  let append = start > 0;
  if (res.status === 416 && start > 0) {
    // nothing left to fetch: the .part may already be complete
    await res.body?.cancel();
    return await finish(hash, part, dest, want, url, start, start);
  }
  if (res.status === 206) {
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get("content-range") ?? "");
    if (!m || Number(m[1]) !== start) {
      await res.body?.cancel();
      throw new Error(
        `Cannot resume ${url}: asked for bytes from ${start}, the server answered '${
          res.headers.get("content-range")
        }'`,
      );
    }
    if (m[3] !== "*") total = Number(m[3]);
  } else if (res.ok) {
    if (start > 0) {
      // the server ignored the range: start over
      append = false;
      start = 0;
      hash.reset();
    }
    const len = res.headers.get("content-length");
    if (len !== null) total = Number(len);
  } else {
    await res.body?.cancel();
    throw new Error(`Cannot download ${url}: HTTP ${res.status} ${res.statusText}`);
  }
  if (!res.body) throw new Error(`Cannot download ${url}: empty response`);
  const progress = opts.progress?.(start);
  const out = await Deno.open(part, { write: true, create: true, append, truncate: !append });
  let done = start;
  try {
    const reader = res.body.getReader();
    for (;;) {
      const { value, done: end } = await reader.read();
      if (end) break;
      let off = 0;
      while (off < value.length) off += await out.write(value.subarray(off));
      hash.update(value);
      done += value.length;
      progress?.update(done, total);
    }
    await out.syncData();
  } catch (e) {
    out.close();
    throw new DownloadInterrupted(
      `Download of ${url} stopped at ${formatBytes(done)}${total ? ` of ${formatBytes(total)}` : ""} ` +
        `(${(e as Error).message}); the ${done} bytes are kept in ${part}: rerun the same command to resume`,
      part,
      done,
    );
  }
  out.close();
  if (total !== undefined && done < total) {
    throw new DownloadInterrupted(
      `Download of ${url} ended early at ${formatBytes(done)} of ${formatBytes(total)}; ` +
        `the ${done} bytes are kept in ${part}: rerun the same command to resume`,
      part,
      done,
    );
  }
  progress?.end(done, total);
  return await finish(hash, part, dest, want, url, done, start);
}

async function finish(
  hash: Md5,
  part: string,
  dest: string,
  want: string,
  url: string,
  bytes: number,
  resumedFrom: number,
): Promise<DownloadResult> {
  const got = hash.hex();
  if (got !== want) {
    await Deno.remove(part).catch(() => {});
    throw new ChecksumMismatch(
      `Downloaded ${url} (${bytes} bytes) has MD5 ${got}, expected the published ${want}: the file is ` +
        `corrupt or not the official one; it was deleted (a resume could not repair it), so rerun to ` +
        `download it again, or check the mirror`,
    );
  }
  await Deno.rename(part, dest);
  return { path: dest, bytes, resumedFrom, already: false };
}

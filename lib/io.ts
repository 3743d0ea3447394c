/**
 * Files are never half-written: every output goes to a temporary name in the same folder and is
 * renamed into place (docs/architecture.md "Reliability rules"), so an interrupted run leaves either the old
 * file or the new one.
 *
 * @module
 */

/** Write bytes or text to `path` via a temporary file in the same folder and a rename. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/**
 * Append records to a JSON-lines log and flush them to disk, for results that must survive a
 * kill: each record is one line, written with a single `write` and `fdatasync`ed. JSON has no
 * NaN/Infinity, so non-finite numbers are written as the strings "NaN", "Infinity", "-Infinity"
 * and read back as numbers by {@linkcode readJsonl}.
 */
export async function appendJsonl(path: string, records: readonly unknown[]): Promise<void> {
  if (records.length === 0) return;
  const text = records.map((r) => JSON.stringify(r, nonFiniteToString)).join("\n") + "\n";
  await dropTornTail(path);
  const f = await Deno.open(path, { append: true, create: true });
  try {
    const bytes = new TextEncoder().encode(text);
    let off = 0;
    while (off < bytes.length) off += await f.write(bytes.subarray(off));
    await f.syncData();
  } finally {
    f.close();
  }
}

/** Write records as a whole JSON-lines file, atomically (non-finite numbers as {@linkcode appendJsonl} writes them). */
export async function writeJsonl(path: string, records: readonly unknown[]): Promise<void> {
  await writeFileAtomic(path, records.map((r) => JSON.stringify(r, nonFiniteToString) + "\n").join(""));
}

/**
 * Read a JSON-lines log written by {@linkcode appendJsonl}; a missing file is empty. A torn last
 * line (a kill in mid-write) is dropped; a bad line elsewhere is an error naming the line.
 */
export async function readJsonl<T>(path: string): Promise<T[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  const lines = text.split("\n");
  const complete = text.endsWith("\n");
  const out: T[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === "") continue;
    try {
      out.push(JSON.parse(line, stringToNonFinite));
    } catch {
      if (i === lines.length - 1 && !complete) break; // torn tail
      throw new SyntaxError(`Cannot read ${path} line ${i + 1}: expected one JSON record per line`);
    }
  }
  return out;
}

/** Cut a record torn by a kill (no final newline) so the next append starts on a fresh line. */
async function dropTornTail(path: string): Promise<void> {
  let f: Deno.FsFile;
  try {
    f = await Deno.open(path, { read: true, write: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw e;
  }
  try {
    const size = (await f.stat()).size;
    if (size === 0) return;
    const last = new Uint8Array(1);
    await f.seek(size - 1, Deno.SeekMode.Start);
    await f.read(last);
    if (last[0] === 10) return;
    const bytes = await Deno.readFile(path);
    await f.truncate(bytes.lastIndexOf(10) + 1);
  } finally {
    f.close();
  }
}

function nonFiniteToString(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isFinite(value) ? String(value) : value;
}

function stringToNonFinite(_key: string, value: unknown): unknown {
  if (value === "NaN") return NaN;
  if (value === "Infinity") return Infinity;
  if (value === "-Infinity") return -Infinity;
  return value;
}

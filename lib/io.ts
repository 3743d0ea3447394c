/**
 * Files are never half-written: every output goes to a temporary name in the same folder and is
 * renamed into place (DESIGN.md "Reliability rules"), so an interrupted run leaves either the old
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

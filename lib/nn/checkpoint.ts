/**
 * Checkpoints: named float32 tensors (parameters, BN buffers, optimizer slots) and a JSON
 * `meta` object in one file, written atomically.
 *
 * Layout (little-endian): the 8 bytes `SIGEOCK1`, a uint32 header length, a UTF-8 JSON header
 * `{meta, tensors: [{name, shape, offset}]}`, then the float32 data, each tensor starting at
 * `offset` bytes after the header (4-byte aligned). Simple enough to read from Python with
 * `numpy.frombuffer`; names are the library's `Param.name` / buffer names, so a checkpoint loads
 * into any network built with the same layout.
 *
 * @module
 */
import * as tf from "../tf.ts";
import { writeFileAtomic } from "../io.ts";

const MAGIC = "SIGEOCK1";

/** One named array. */
export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** Encode arrays and meta into the checkpoint layout. */
export function encodeCheckpoint(arrays: NamedArray[], meta: unknown = {}): Uint8Array {
  let offset = 0;
  const entries = arrays.map((a) => {
    const size = a.shape.reduce((x, y) => x * y, 1);
    if (size !== a.data.length) {
      throw new RangeError(
        `Cannot save '${a.name}': shape [${a.shape}] does not match ${a.data.length} values`,
      );
    }
    const e = { name: a.name, shape: a.shape, offset };
    offset += 4 * size;
    return e;
  });
  const names = new Set<string>();
  for (const a of arrays) {
    if (names.has(a.name)) throw new RangeError(`Cannot save two arrays named '${a.name}'`);
    names.add(a.name);
  }
  let header = new TextEncoder().encode(JSON.stringify({ meta, tensors: entries }));
  const pad = (4 - ((12 + header.length) % 4)) % 4;
  if (pad) header = new TextEncoder().encode(JSON.stringify({ meta, tensors: entries }) + " ".repeat(pad));
  const out = new Uint8Array(12 + header.length + offset);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 12);
  const base = 12 + header.length;
  arrays.forEach((a, i) => {
    out.set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), base + entries[i].offset);
  });
  return out;
}

/** Decode a checkpoint; `file` names it in errors. */
export function decodeCheckpoint(
  bytes: Uint8Array,
  file = "<checkpoint>",
): { meta: unknown; arrays: NamedArray[] } {
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new SyntaxError(`Cannot read checkpoint ${file}: expected the ${MAGIC} magic bytes`);
  }
  const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  if (12 + len > bytes.length) throw new SyntaxError(`Cannot read checkpoint ${file}: truncated header`);
  let header: { meta: unknown; tensors: { name: string; shape: number[]; offset: number }[] };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + len)));
  } catch (e) {
    throw new SyntaxError(`Cannot read checkpoint ${file}: bad JSON header (${(e as Error).message})`);
  }
  const base = 12 + len;
  const arrays = header.tensors.map((t) => {
    const size = t.shape.reduce((x, y) => x * y, 1);
    const start = base + t.offset;
    if (start + 4 * size > bytes.length) {
      throw new SyntaxError(
        `Cannot read checkpoint ${file}: tensor '${t.name}' runs past the end of the file`,
      );
    }
    const data = new Float32Array(size);
    new Uint8Array(data.buffer).set(bytes.subarray(start, start + 4 * size));
    return { name: t.name, shape: t.shape, data };
  });
  return { meta: header.meta, arrays };
}

/**
 * Snapshot variables by name (values copied out of the backend), read back asynchronously: WebGPU
 * has no synchronous readback.
 */
export async function snapshotVariables(vars: ReadonlyMap<string, tf.Variable>): Promise<NamedArray[]> {
  const entries = [...vars];
  const read = await Promise.all(entries.map(([, v]) => v.data()));
  return entries.map(([name, v], i) => ({
    name,
    shape: v.shape.slice(),
    data: Float32Array.from(read[i] as Float32Array),
  }));
}

/**
 * Assign arrays to variables by name. Every variable must be present with the same shape (a
 * partial load would silently mix two networks); extra arrays are ignored only when
 * `allowExtra`.
 */
export function restoreVariables(
  vars: ReadonlyMap<string, tf.Variable>,
  arrays: NamedArray[],
  opts: { allowExtra?: boolean; file?: string } = {},
): void {
  const byName = new Map(arrays.map((a) => [a.name, a]));
  const where = opts.file ? ` from ${opts.file}` : "";
  for (const [name, v] of vars) {
    const a = byName.get(name);
    if (!a) throw new RangeError(`Cannot restore '${name}'${where}: not in the checkpoint`);
    if (a.shape.join(",") !== v.shape.join(",")) {
      throw new RangeError(`Cannot restore '${name}'${where}: shape [${a.shape}] vs variable [${v.shape}]`);
    }
  }
  if (!opts.allowExtra) {
    for (const a of arrays) {
      if (!vars.has(a.name)) throw new RangeError(`Cannot restore${where}: unexpected array '${a.name}'`);
    }
  }
  for (const [name, v] of vars) {
    const a = byName.get(name)!;
    const t = tf.tensor(a.data, a.shape);
    v.assign(t);
    t.dispose();
  }
}

/** Write a checkpoint file atomically. */
export async function saveCheckpoint(path: string, arrays: NamedArray[], meta: unknown = {}): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(arrays, meta));
}

/** Read a checkpoint file. */
export async function loadCheckpoint(path: string): Promise<{ meta: unknown; arrays: NamedArray[] }> {
  return decodeCheckpoint(await Deno.readFile(path), path);
}

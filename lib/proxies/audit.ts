/**
 * Audit bundle: the exact inputs and outputs of one scoring, so that anyone can recompute the score
 * with the official PyTorch code (docs/proxies.md, "Checking the implementations").
 *
 * Layout of `DIR/`:
 * - `params/NNN_<name>.npy` — every parameter of the scored network, float32, in tfjs layout
 *   (conv weights [kh, kw, in, out]: transpose to PyTorch's [out, in, kh, kw] with
 *   `w.transpose(3, 2, 0, 1)`; linear weights [in, out]: PyTorch's is the transpose);
 * - `batches/BBB_x.npy`, `batches/BBB_y.npy` — the scoring batches (images NHWC);
 * - `manifest.json` — proxy name and options, for each parameter its file, name, layer, layer
 *   kind and role, the batch files, the score with every term, seconds, and the backend.
 *
 * A recommender net ({@link RecsysNet}: batches of dense features and sparse ids) writes format
 * `sigeo-audit/2`, which differs in three places:
 * - an embedding table is written as the rows the batches touch, not the whole table (a Criteo
 *   table has up to 500,000 rows): `params/NNN_<name>.npy` holds those rows [k, dim] and
 *   `params/NNN_<name>.ids.npy` their table row numbers (int32, ascending, distinct); the
 *   manifest entry keeps the table's `shape` and adds `ids`, `rowsShape` and `field`;
 * - batches are `batches/BBB_dense.npy` [n, numDense] float32, `BBB_sparse.npy` [n, fields]
 *   int32 (column f indexes table f), `BBB_y.npy` [n, 1] float32;
 * - `features/BBB.npy` — the input of the final linear layer on batch BBB (the `features` tap),
 *   all a final-layer-only SiGeo scoring sees: `tools/torch_sigeo_recsys.py` recomputes its terms
 *   from these, the head's weight and bias, and the labels.
 *
 * Every file is written atomically; the manifest is written last, so a bundle with a manifest is
 * complete. {@link readAuditBundle} reads a bundle back.
 *
 * @module
 */
import * as tf from "../tf.ts";
import type { Batch, Net } from "../nn/net.ts";
import type { RecsysInput, RecsysNet } from "../nn/recsys_batch.ts";
import type { ProxyScore } from "./proxy.ts";
import { decodeNpy, encodeNpy, type NpyArray } from "../data/npy.ts";
import { writeFileAtomic } from "../io.ts";

/** What the manifest says besides the files. */
export interface AuditInfo {
  proxy: string;
  options: Record<string, unknown>;
  score: ProxyScore;
  /** anything else worth recording (backend info, arch, seed) */
  extra?: Record<string, unknown>;
}

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, "_");
}

async function writeTensor(
  path: string,
  t: { data(): Promise<ArrayLike<number>>; shape: number[]; dtype: string },
) {
  const read = await t.data(); // asynchronous: WebGPU has no synchronous readback in Deno
  const values = t.dtype === "int32" ? Int32Array.from(read) : Float32Array.from(read);
  await writeFileAtomic(path, encodeNpy(values, t.shape));
}

function isRecsysInput(x: unknown): x is RecsysInput {
  return typeof x === "object" && x !== null && "dense" in x && "sparse" in x;
}

/** The distinct ids of column `f` over every batch's sparse tensor, ascending. */
async function touchedIds(batches: Batch<RecsysInput>[], f: number): Promise<Int32Array> {
  const seen = new Set<number>();
  for (const b of batches) {
    const [n, F] = b.x.sparse.shape;
    const v = await b.x.sparse.data() as Int32Array;
    for (let r = 0; r < n; r++) seen.add(v[r * F + f]);
  }
  return Int32Array.from([...seen].sort((a, b) => a - b));
}

/**
 * The tensor each batch produces at the net's `features` tap (NASRec: the final linear layer's
 * input), from a training-mode forward as the scoring runs; the caller disposes them.
 */
export function featureTaps<X>(net: Net<X>, batches: Batch<X>[]): tf.Tensor[] {
  if (!net.supports?.includes("tap")) throw new TypeError("Cannot record features: the net has no taps");
  return batches.map((b) => {
    let got: tf.Tensor | null = null;
    const logits = net.forward(b.x, {
      training: true,
      tap: (point, t) => {
        if (point.kind === "features") got = tf.keep(t.clone());
        return t;
      },
    });
    logits.dispose();
    if (!got) throw new TypeError("Cannot record features: the forward pass has no 'features' tap");
    return got;
  });
}

/**
 * Write the bundle of one scoring of `net` on `batches` to `dir` (created if needed). Image
 * batches give format 1; a {@link RecsysNet} with recommender batches gives format 2 (touched
 * embedding rows only, and `features` when given, one tensor per batch).
 */
export async function writeAuditBundle<X>(
  dir: string,
  net: Net<X>,
  batches: Batch<X>[],
  info: AuditInfo & { features?: tf.Tensor[] },
): Promise<string> {
  await Deno.mkdir(`${dir}/params`, { recursive: true });
  await Deno.mkdir(`${dir}/batches`, { recursive: true });
  const recsys = batches.length > 0 && isRecsysInput(batches[0].x);
  const rb = batches as unknown as Batch<RecsysInput>[];
  const tables = recsys ? ((net as unknown as RecsysNet).embedding?.tables ?? []) : [];
  const params = [];
  for (const [i, p] of net.params().entries()) {
    const file = `params/${String(i).padStart(3, "0")}_${safe(p.name)}.npy`;
    const entry = { file, name: p.name, layer: p.layer, kind: p.kind, role: p.role, shape: p.variable.shape };
    const field = tables.indexOf(p.variable);
    if (field < 0) {
      await writeTensor(`${dir}/${file}`, p.variable);
      params.push(entry);
      continue;
    }
    const ids = await touchedIds(rb, field);
    const idsFile = file.replace(/\.npy$/, ".ids.npy");
    const rows = tf.tidy(() => tf.gather(p.variable, tf.tensor1d(ids, "int32")));
    try {
      await writeTensor(`${dir}/${file}`, rows);
    } finally {
      rows.dispose();
    }
    await writeFileAtomic(`${dir}/${idsFile}`, encodeNpy(ids, [ids.length]));
    params.push({ ...entry, ids: idsFile, rowsShape: [ids.length, p.variable.shape[1]], field });
  }
  const batchFiles = [];
  for (const [b, batch] of batches.entries()) {
    const at = (what: string) => `batches/${String(b).padStart(3, "0")}_${what}.npy`;
    if (recsys) {
      const x = (batch as unknown as Batch<RecsysInput>).x;
      await writeTensor(`${dir}/${at("dense")}`, x.dense);
      await writeTensor(`${dir}/${at("sparse")}`, x.sparse);
      await writeTensor(`${dir}/${at("y")}`, batch.y);
      batchFiles.push({
        dense: at("dense"),
        sparse: at("sparse"),
        y: at("y"),
        denseShape: x.dense.shape,
        sparseShape: x.sparse.shape,
        yShape: batch.y.shape,
      });
    } else {
      const x = batch.x as unknown as tf.Tensor;
      await writeTensor(`${dir}/${at("x")}`, x);
      await writeTensor(`${dir}/${at("y")}`, batch.y);
      batchFiles.push({ x: at("x"), y: at("y"), xShape: x.shape, yShape: batch.y.shape });
    }
  }
  const features = [];
  if (info.features) {
    if (info.features.length !== batches.length) {
      throw new RangeError(
        `Expected one features tensor per batch (${batches.length}), got ${info.features.length}`,
      );
    }
    await Deno.mkdir(`${dir}/features`, { recursive: true });
    for (const [b, t] of info.features.entries()) {
      const file = `features/${String(b).padStart(3, "0")}.npy`;
      await writeTensor(`${dir}/${file}`, t);
      features.push({ file, shape: t.shape });
    }
  }
  const manifest = {
    format: recsys ? "sigeo-audit/2" : "sigeo-audit/1",
    proxy: info.proxy,
    options: info.options,
    score: info.score,
    params,
    batches: batchFiles,
    ...(features.length ? { features } : {}),
    layout: recsys
      ? "tfjs: linear [in,out]; embedding tables as touched rows [k,dim] with their ids; dense [n,numDense], sparse [n,fields] int32, y [n,1]"
      : "tfjs: conv [kh,kw,in,out], linear [in,out], images NHWC",
    ...info.extra,
  };
  await writeFileAtomic(`${dir}/manifest.json`, JSON.stringify(manifest, null, 2) + "\n");
  return dir;
}

/** One parameter of a bundle read back: its values and, for an embedding table, the row ids. */
export interface AuditParam {
  name: string;
  layer: string;
  kind: string;
  role: string;
  /** the parameter's shape in the net (a table's full [rows, dim]) */
  shape: number[];
  /** the values in the file: the whole parameter, or a table's touched rows [k, dim] */
  values: NpyArray;
  /** an embedding table's row numbers of `values` (format 2) */
  ids?: Int32Array;
}

/** A bundle read back by {@link readAuditBundle}. */
export interface AuditBundle {
  // deno-lint-ignore no-explicit-any
  manifest: Record<string, any>;
  params: AuditParam[];
  /** per batch its arrays by name (`x`, `y`, or `dense`, `sparse`, `y`) */
  batches: Record<string, NpyArray>[];
  /** format 2: the features of each batch, when recorded */
  features: NpyArray[];
}

async function readNpy(dir: string, file: string, shape?: readonly number[]): Promise<NpyArray> {
  const path = `${dir}/${file}`;
  const a = decodeNpy(await Deno.readFile(path), path);
  if (shape && (a.shape.length !== shape.length || a.shape.some((d, i) => d !== shape[i]))) {
    throw new TypeError(`${path}: expected shape [${shape}], the manifest says; the file has [${a.shape}]`);
  }
  return a;
}

/**
 * Read a bundle back: every array the manifest lists, each checked against the shape the manifest
 * records (an error names the file). Format 1 and 2.
 */
export async function readAuditBundle(dir: string): Promise<AuditBundle> {
  const manifest = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
  if (manifest.format !== "sigeo-audit/1" && manifest.format !== "sigeo-audit/2") {
    throw new TypeError(
      `${dir}/manifest.json: unknown format '${manifest.format}', expected sigeo-audit/1 or /2`,
    );
  }
  const params: AuditParam[] = [];
  for (const p of manifest.params) {
    const values = await readNpy(dir, p.file, p.ids ? p.rowsShape : p.shape);
    const out: AuditParam = {
      name: p.name,
      layer: p.layer,
      kind: p.kind,
      role: p.role,
      shape: p.shape,
      values,
    };
    if (p.ids) {
      const ids = await readNpy(dir, p.ids, [p.rowsShape[0]]);
      if (!(ids.data instanceof Int32Array)) throw new TypeError(`${dir}/${p.ids}: expected int32 row ids`);
      out.ids = ids.data;
    }
    params.push(out);
  }
  const batches: Record<string, NpyArray>[] = [];
  for (const b of manifest.batches) {
    const arrays: Record<string, NpyArray> = {};
    for (const k of ["x", "dense", "sparse", "y"]) {
      if (b[k]) arrays[k] = await readNpy(dir, b[k], b[`${k}Shape`]);
    }
    batches.push(arrays);
  }
  const features: NpyArray[] = [];
  for (const f of manifest.features ?? []) features.push(await readNpy(dir, f.file, f.shape));
  return { manifest, params, batches, features };
}

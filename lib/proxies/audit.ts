/**
 * Audit bundle: the exact inputs and outputs of one scoring, so that anyone can recompute the score
 * with the official PyTorch code.
 *
 * Layout of `DIR/`:
 * - `params/NNN_<name>.npy` — every parameter of the scored network, float32, in tfjs layout
 *   (conv weights [kh, kw, in, out]: transpose to PyTorch's [out, in, kh, kw] with
 *   `w.transpose(3, 2, 0, 1)`; linear weights [in, out]: PyTorch's is the transpose);
 * - `batches/BBB_x.npy`, `batches/BBB_y.npy` — the scoring batches (images NHWC);
 * - `manifest.json` — proxy name and options, for each parameter its file, name, layer, layer
 *   kind and role, the batch files, the score with every term, seconds, and the backend.
 *
 * Every file is written atomically; the manifest is written last, so a bundle with a manifest is
 * complete.
 *
 * @module
 */
import type { Batch, Net } from "../nn/net.ts";
import type { ProxyScore } from "./proxy.ts";
import { encodeNpy } from "../data/npy.ts";
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

/** Write the bundle of one scoring of `net` on `batches` to `dir` (created if needed). */
export async function writeAuditBundle(
  dir: string,
  net: Net,
  batches: Batch[],
  info: AuditInfo,
): Promise<string> {
  await Deno.mkdir(`${dir}/params`, { recursive: true });
  await Deno.mkdir(`${dir}/batches`, { recursive: true });
  const params = [];
  for (const [i, p] of net.params().entries()) {
    const file = `params/${String(i).padStart(3, "0")}_${safe(p.name)}.npy`;
    await writeTensor(`${dir}/${file}`, p.variable);
    params.push({ file, name: p.name, layer: p.layer, kind: p.kind, role: p.role, shape: p.variable.shape });
  }
  const batchFiles = [];
  for (const [b, batch] of batches.entries()) {
    const x = `batches/${String(b).padStart(3, "0")}_x.npy`,
      y = `batches/${String(b).padStart(3, "0")}_y.npy`;
    await writeTensor(`${dir}/${x}`, batch.x);
    await writeTensor(`${dir}/${y}`, batch.y);
    batchFiles.push({ x, y, xShape: batch.x.shape, yShape: batch.y.shape });
  }
  const manifest = {
    format: "sigeo-audit/1",
    proxy: info.proxy,
    options: info.options,
    score: info.score,
    params,
    batches: batchFiles,
    layout: "tfjs: conv [kh,kw,in,out], linear [in,out], images NHWC",
    ...info.extra,
  };
  await writeFileAtomic(`${dir}/manifest.json`, JSON.stringify(manifest, null, 2) + "\n");
  return dir;
}

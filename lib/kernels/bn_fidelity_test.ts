/**
 * Training-step gradients of a deep NAS-Bench-201 cell on real CIFAR-10 images against the float64
 * network of lib/proxies/testing/nb201_ref.ts, layer by layer, on whatever kernels the active
 * backend has (wasm + BLAS + native convolutions here). The bar is PyTorch float32's own error on
 * the full net (C=16, N=5, 64 images; issue 16): median per-layer relative gradient error ≤ 2.2e-3
 * and grad_norm ≤ 4.8e-5 relative. The net is reduced (C=8, N=2, 16 images cropped to 16×16) so
 * that the float64 pass takes about a second. Before the fused batch-norm kernels were taken off
 * the default path this gave 4.6e-3 and 2.4e-4; now about 1e-6 and 5e-8.
 */
import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { initBackend } from "../backend.ts";
import { createRng } from "../rng.ts";
import { readCifarBin } from "../data/cifar.ts";
import { NB201_NORMALIZATION, normalizeImages } from "../data/images.ts";
import { archOps, Nb201Network } from "../spaces/nb201/network.ts";
import { refParamsOf } from "../proxies/testing/tf_twins.ts";
import { nb201LossAndGradients } from "../proxies/testing/nb201_ref.ts";

await initBackend({ quiet: true });

const DATA = new URL("../../../shared/data/cifar10/cifar10_test_batch_first500.bin", import.meta.url);
const REFERENCE =
  "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|";

async function realCrops(n: number, px: number): Promise<{ x: Float32Array; y: Int32Array } | null> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(DATA);
  } catch {
    return null;
  }
  const set = readCifarBin(bytes, { dataset: "cifar10" });
  const full = normalizeImages(set.images.subarray(0, n * 32 * 32 * 3), NB201_NORMALIZATION.cifar10);
  const x = new Float32Array(n * px * px * 3), o = (32 - px) / 2;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < px; i++) {
      for (let j = 0; j < px; j++) {
        for (let c = 0; c < 3; c++) {
          x[((b * px + i) * px + j) * 3 + c] = full[((b * 32 + i + o) * 32 + j + o) * 3 + c];
        }
      }
    }
  }
  return { x, y: set.labels.slice(0, n) };
}

Deno.test("a deep NB201 cell's gradients on real images are as close to float64 as PyTorch float32's", async (t) => {
  const [n, px, C, N] = [16, 16, 8, 2];
  const data = await realCrops(n, px);
  if (!data) {
    await t.step({ name: "skipped: ../shared/data/cifar10 absent", ignore: true, fn: () => {} });
    return;
  }
  const net = new Nb201Network(REFERENCE, { C, N, classes: 10 }, createRng(0));
  const want = nb201LossAndGradients(
    { arch: "nb201", ops: archOps(REFERENCE), C, N, classes: 10, height: px, width: px },
    refParamsOf(net),
    { n, x: Float64Array.from(data.x), y: Float64Array.from(data.y) },
  );
  const xt = tf.tensor4d(data.x, [n, px, px, 3]), yt = tf.tensor1d(data.y, "int32");
  const vars = net.params().map((p) => p.variable);
  const { value, grads } = tf.variableGrads(() => net.loss(net.forward(xt, { training: true }), yt), vars);
  assert.ok(Math.abs(value.dataSync()[0] - want.loss) < 1e-5 * want.loss);
  const errors: number[] = [];
  let norm32 = 0, norm64 = 0;
  net.params().forEach((p, i) => {
    if (p.role !== "weight" || (p.kind !== "conv" && p.kind !== "linear")) return;
    const got = grads[p.variable.name].dataSync(), ref = want.grads[i];
    let d = 0, s = 0, g2 = 0;
    for (let j = 0; j < got.length; j++) {
      d += (got[j] - ref[j]) ** 2;
      s += ref[j] ** 2;
      g2 += got[j] ** 2;
    }
    errors.push(Math.sqrt(d / s));
    norm32 += Math.sqrt(g2);
    norm64 += Math.sqrt(s);
  });
  errors.sort((a, b) => a - b);
  const median = errors[errors.length >> 1], gradNorm = Math.abs(norm32 - norm64) / norm64;
  assert.equal(errors.length, 38);
  assert.ok(median <= 2.2e-3, `median per-layer gradient error ${median} > 2.2e-3 (PyTorch float32)`);
  assert.ok(gradNorm <= 4.8e-5, `grad_norm error ${gradNorm} > 4.8e-5 (PyTorch float32)`);
  tf.dispose([xt, yt, value, ...Object.values(grads)]);
  net.dispose();
});

import assert from "node:assert/strict";
import { backend_util } from "../tf.ts";
import {
  conv2dBackpropFilter,
  conv2dBackpropInput,
  conv2dForward,
  type ConvGeometry,
  geometryFromInfo,
} from "./conv.ts";
import { naiveGemm } from "./gemm.ts";
import { loadBlas } from "./blas.ts";
import { createRng } from "../rng.ts";

/** Geometry from tfjs' own convInfo (so padding rules are exactly tfjs'). */
export function geometry(
  x: [number, number, number, number],
  f: [number, number, number, number],
  stride: number,
  pad: "same" | "valid" | number,
  dil = 1,
): ConvGeometry {
  return geometryFromInfo(backend_util.computeConv2DInfo(x, f, [stride, stride], [dil, dil], pad));
}

/** Direct float64 convolution and its gradients by definition (no GEMM). */
function reference(g: ConvGeometry, x: Float32Array, w: Float32Array, dy: Float32Array) {
  const y = new Float64Array(g.batch * g.outH * g.outW * g.outC);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  for (let b = 0; b < g.batch; b++) {
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++) {
        for (let kh = 0; kh < g.kH; kh++) {
          const ih = oh * g.strideH - g.padTop + kh * g.dilH;
          if (ih < 0 || ih >= g.inH) continue;
          for (let kw = 0; kw < g.kW; kw++) {
            const iw = ow * g.strideW - g.padLeft + kw * g.dilW;
            if (iw < 0 || iw >= g.inW) continue;
            for (let ci = 0; ci < g.inC; ci++) {
              const xi = ((b * g.inH + ih) * g.inW + iw) * g.inC + ci;
              for (let co = 0; co < g.outC; co++) {
                const wi = ((kh * g.kW + kw) * g.inC + ci) * g.outC + co;
                const yi = ((b * g.outH + oh) * g.outW + ow) * g.outC + co;
                y[yi] += x[xi] * w[wi];
                dx[xi] += dy[yi] * w[wi];
                dw[wi] += dy[yi] * x[xi];
              }
            }
          }
        }
      }
    }
  }
  return { y, dx, dw };
}

function maxRelErr(got: Float32Array, want: Float64Array): number {
  let scale = 1e-12, err = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
  return err / scale;
}

const CASES: Array<[string, ConvGeometry]> = [
  ["3x3 s1 same", geometry([2, 6, 5, 3], [3, 3, 3, 4], 1, "same")],
  ["3x3 s1 valid", geometry([2, 6, 5, 3], [3, 3, 3, 4], 1, "valid")],
  ["1x1 s1 same", geometry([2, 4, 4, 5], [1, 1, 5, 3], 1, "same")],
  ["3x3 s2 same", geometry([2, 8, 8, 3], [3, 3, 3, 4], 2, "same")],
  ["3x3 s2 same odd", geometry([2, 9, 7, 3], [3, 3, 3, 4], 2, "same")],
  ["3x3 s2 valid", geometry([2, 9, 9, 2], [3, 3, 2, 5], 2, "valid")],
  ["1x1 s2 valid", geometry([2, 8, 8, 3], [1, 1, 3, 2], 2, "valid")],
  ["4x2 s3 same", geometry([1, 10, 7, 2], [4, 2, 2, 5], 3, "same")],
  ["3x3 s1 explicit pad 2", geometry([1, 5, 5, 2], [3, 3, 2, 3], 1, 2)],
  ["3x3 s1 dilation 2", geometry([2, 7, 7, 2], [3, 3, 2, 3], 1, "same", 2)],
  ["5x5 s1 same", geometry([1, 6, 6, 3], [5, 5, 3, 2], 1, "same")],
];

const blas = loadBlas();
const engines = [naiveGemm, ...(blas ? [{ name: "blas", zeroCopy: true, sgemm: blas.sgemm }] : [])];

for (const gemm of engines) {
  for (const [name, g] of CASES) {
    Deno.test(`conv2d ${name} forward and gradients equal the direct float64 definition (${gemm.name})`, () => {
      const rng = createRng(11);
      const rnd = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
      const x = rnd(g.batch * g.inH * g.inW * g.inC);
      const w = rnd(g.kH * g.kW * g.inC * g.outC);
      const dy = rnd(g.batch * g.outH * g.outW * g.outC);
      const ref = reference(g, x, w, dy);
      const y = new Float32Array(ref.y.length).fill(NaN);
      const dx = new Float32Array(ref.dx.length).fill(NaN);
      const dw = new Float32Array(ref.dw.length).fill(NaN);
      conv2dForward(gemm, x, w, y, g);
      conv2dBackpropInput(gemm, dy, w, dx, g);
      conv2dBackpropFilter(gemm, x, dy, dw, g);
      assert.ok(maxRelErr(y, ref.y) < 1e-5, `forward ${maxRelErr(y, ref.y)}`);
      assert.ok(maxRelErr(dx, ref.dx) < 1e-5, `dx ${maxRelErr(dx, ref.dx)}`);
      assert.ok(maxRelErr(dw, ref.dw) < 1e-5, `dw ${maxRelErr(dw, ref.dw)}`);
    });
  }
}

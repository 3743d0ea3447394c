import assert from "node:assert/strict";
import { conv2dBackpropFilter, conv2dBackpropInput, conv2dForward, type ConvGeometry } from "./conv.ts";
import { naiveGemm } from "./gemm.ts";
import { loadBlas } from "./blas.ts";
import { createRng } from "../rng.ts";
import { directConvReference, geometry, maxRelErr } from "./testing/conv_reference.ts";

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
      const ref = directConvReference(g, x, w, dy);
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

import assert from "node:assert/strict";
import { loadNativeConv } from "./native_conv.ts";
import type { ConvGeometry } from "./conv.ts";
import { directConvReference, geometry, maxRelErr, randomConvArrays } from "./testing/conv_reference.ts";
import {
  denseGeometry,
  stridedBackpropFilter,
  stridedBackpropInput,
  stridedEligible,
  stridedForward,
} from "./strided.ts";

const native = loadNativeConv();

/** Stride-2 geometries: NB201's reduction conv (smaller), odd sizes, 1×1, valid, dilation, stride (2,1). */
const CASES: Array<[string, ConvGeometry]> = [
  ["3x3 pad 1, 16 -> 32 (NB201 reduction block)", geometry([2, 8, 8, 16], [3, 3, 16, 32], 2, 1)],
  ["3x3 pad 1, odd input 9x7, 5 -> 19", geometry([3, 9, 7, 5], [3, 3, 5, 19], 2, 1)],
  ["1x1 valid, 32 -> 64", geometry([2, 6, 6, 32], [1, 1, 32, 64], 2, "valid")],
  ["3x3 valid, 3 -> 16", geometry([1, 11, 10, 3], [3, 3, 3, 16], 2, "valid")],
  ["3x3 same (asymmetric padding), 4 -> 4", geometry([2, 8, 8, 4], [3, 3, 4, 4], 2, "same")],
  ["3x3 dilation 2, pad 2", geometry([1, 10, 10, 3], [3, 3, 3, 5], 2, 2, 2)],
  ["3x3 pad 1, stride 2 rows 1 columns", {
    ...geometry([2, 8, 8, 3], [3, 3, 3, 4], 1, 1),
    strideH: 2,
    outH: 4,
  }],
];

for (const [name, g] of CASES) {
  Deno.test({
    name: `strided conv ${name}: forward and both gradients equal the float64 definition`,
    ignore: native === null,
    fn() {
      assert.ok(stridedEligible(g));
      // twice: the second call reuses the spread buffer, whose zeros must have survived
      for (const seed of [3, 4]) {
        const { x, w, dy } = randomConvArrays(g, seed);
        const ref = directConvReference(g, x, w, dy);
        const y = new Float32Array(ref.y.length).fill(NaN);
        const dx = new Float32Array(ref.dx.length).fill(NaN);
        const dw = new Float32Array(ref.dw.length).fill(NaN);
        assert.ok(stridedForward(native!, x, w, y, g));
        assert.ok(stridedBackpropInput(native!, dy, w, dx, g));
        assert.ok(stridedBackpropFilter(native!, x, dy, dw, g));
        assert.ok(maxRelErr(y, ref.y) <= 1e-5, `forward ${maxRelErr(y, ref.y)}`);
        assert.ok(maxRelErr(dx, ref.dx) <= 1e-5, `dx ${maxRelErr(dx, ref.dx)}`);
        assert.ok(maxRelErr(dw, ref.dw) <= 1e-5, `dw ${maxRelErr(dw, ref.dw)}`);
      }
    },
  });
}

Deno.test("denseGeometry() holds every strided output at (oh·s, ow·s) of a stride-1 grid", () => {
  const g = geometry([64, 32, 32, 16], [3, 3, 16, 32], 2, 1);
  const d = denseGeometry(g);
  assert.deepEqual([g.outH, g.outW, d.outH, d.outW, d.strideH, d.strideW], [16, 16, 31, 31, 1, 1]);
  assert.deepEqual([d.padTop, d.padLeft, d.padBottom, d.padRight], [1, 1, 0, 0]);
});

Deno.test("stride 1 and stride 3 are not taken (the stride-1 kernels and im2col keep them)", () => {
  assert.equal(stridedEligible(geometry([1, 8, 8, 4], [3, 3, 4, 4], 1, 1)), false);
  assert.equal(stridedEligible(geometry([1, 9, 9, 4], [3, 3, 4, 4], 3, 1)), false);
  if (native) {
    const g = geometry([1, 9, 9, 4], [3, 3, 4, 4], 3, 1);
    const { x, w } = randomConvArrays(g, 1);
    assert.equal(
      stridedForward(native, x, w, new Float32Array(g.batch * g.outH * g.outW * g.outC), g),
      false,
    );
  }
});

import assert from "node:assert/strict";
import { loadNativeConv } from "./native.ts";
import type { ConvGeometry } from "./conv.ts";
import { createRng } from "../rng.ts";
import { directConvReference, geometry, maxRelErr } from "./_conv_reference.ts";

const native = await loadNativeConv();

const CASES: Array<[string, ConvGeometry]> = [
  ["3x3 same, 16 channels (register-blocked path)", geometry([2, 6, 7, 16], [3, 3, 16, 16], 1, "same")],
  ["3x3 same, 32 channels", geometry([2, 5, 5, 32], [3, 3, 32, 32], 1, "same")],
  ["3x3 same, 64 channels", geometry([1, 4, 5, 64], [3, 3, 64, 64], 1, "same")],
  ["3x3 valid, odd channels (generic path)", geometry([2, 6, 5, 3], [3, 3, 3, 5], 1, "valid")],
  ["1x1", geometry([2, 4, 4, 5], [1, 1, 5, 3], 1, "same")],
  ["5x5 same", geometry([1, 6, 6, 3], [5, 5, 3, 2], 1, "same")],
  ["3x3 dilation 2", geometry([2, 7, 7, 2], [3, 3, 2, 3], 1, "same", 2)],
  ["3x3 explicit padding 2", geometry([1, 5, 5, 2], [3, 3, 2, 3], 1, 2)],
];

for (const [name, g] of CASES) {
  Deno.test({
    name: `native stride-1 conv ${name}: forward and gradients equal the float64 definition`,
    ignore: native === null,
    fn() {
      const rng = createRng(3);
      const rnd = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
      const x = rnd(g.batch * g.inH * g.inW * g.inC), w = rnd(g.kH * g.kW * g.inC * g.outC);
      const dy = rnd(g.batch * g.outH * g.outW * g.outC);
      const ref = directConvReference(g, x, w, dy);
      const y = new Float32Array(ref.y.length).fill(NaN);
      const dx = new Float32Array(ref.dx.length).fill(NaN);
      const dw = new Float32Array(ref.dw.length).fill(NaN);
      assert.ok(native!.forward(x, w, y, g));
      assert.ok(native!.backpropInput(dy, w, dx, g));
      assert.ok(native!.backpropFilter(x, dy, dw, g));
      assert.ok(maxRelErr(y, ref.y) < 1e-5, `forward ${maxRelErr(y, ref.y)}`);
      assert.ok(maxRelErr(dx, ref.dx) < 1e-5, `dx ${maxRelErr(dx, ref.dx)}`);
      assert.ok(maxRelErr(dw, ref.dw) < 1e-5, `dw ${maxRelErr(dw, ref.dw)}`);
    },
  });
}

Deno.test({
  name: "native kernels decline strided convolutions (the caller falls back)",
  ignore: native === null,
  fn() {
    const g = geometry([1, 4, 4, 2], [3, 3, 2, 2], 2, "same");
    assert.equal(native!.forward(new Float32Array(32), new Float32Array(36), new Float32Array(8), g), false);
  },
});

Deno.test("loadNativeConv() returns null when the source does not compile", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bad = `${dir}/bad.c`;
    await Deno.writeTextFile(bad, "this is not C;\n");
    assert.equal(await loadNativeConv({ source: new URL(`file://${bad}`), cacheDir: dir }), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

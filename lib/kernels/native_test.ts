import assert from "node:assert/strict";
import { loadNativeConv } from "./native.ts";
import { geometry } from "./conv_test.ts";
import type { ConvGeometry } from "./conv.ts";
import { createRng } from "../rng.ts";

const native = await loadNativeConv();

/** Direct float64 convolution and both gradients by definition. */
function reference(g: ConvGeometry, x: Float32Array, w: Float32Array, dy: Float32Array) {
  const y = new Float64Array(g.batch * g.outH * g.outW * g.outC);
  const dx = new Float64Array(x.length), dw = new Float64Array(w.length);
  for (let b = 0; b < g.batch; b++) {
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++) {
        for (let kh = 0; kh < g.kH; kh++) {
          const ih = oh - g.padTop + kh * g.dilH;
          if (ih < 0 || ih >= g.inH) continue;
          for (let kw = 0; kw < g.kW; kw++) {
            const iw = ow - g.padLeft + kw * g.dilW;
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

function relErr(got: Float32Array, want: Float64Array): number {
  let scale = 1e-12, err = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    err = Math.max(err, Math.abs(got[i] - want[i]));
  }
  return err / scale;
}

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
      const ref = reference(g, x, w, dy);
      const y = new Float32Array(ref.y.length).fill(NaN);
      const dx = new Float32Array(ref.dx.length).fill(NaN);
      const dw = new Float32Array(ref.dw.length).fill(NaN);
      assert.ok(native!.forward(x, w, y, g));
      assert.ok(native!.backpropInput(dy, w, dx, g));
      assert.ok(native!.backpropFilter(x, dy, dw, g));
      assert.ok(relErr(y, ref.y) < 1e-5, `forward ${relErr(y, ref.y)}`);
      assert.ok(relErr(dx, ref.dx) < 1e-5, `dx ${relErr(dx, ref.dx)}`);
      assert.ok(relErr(dw, ref.dw) < 1e-5, `dw ${relErr(dw, ref.dw)}`);
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

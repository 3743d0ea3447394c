/**
 * Test helper: a direct float64 convolution (NHWC, HWIO, any stride/padding/dilation) and both
 * gradients, by definition — the independent reference of the kernel tests.
 *
 * @module
 */
import { backend_util } from "../../tf.ts";
import { type ConvGeometry, geometryFromInfo } from "../conv.ts";
import { createRng } from "../../rng.ts";

/** y = conv(x, w), dx and dw for the upstream gradient dy, in float64. */
export function directConvReference(g: ConvGeometry, x: Float32Array, w: Float32Array, dy: Float32Array) {
  const y = new Float64Array(g.batch * g.outH * g.outW * g.outC);
  const dx = new Float64Array(x.length), dw = new Float64Array(w.length);
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

/** max |got − want| / max |want|. */
export function maxRelErr(got: Float32Array, want: Float64Array): number {
  let scale = 1e-12, err = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    err = Math.max(err, Math.abs(got[i] - want[i]));
  }
  return err / scale;
}

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

/** Seeded standard-normal input, filter and output gradient of the shapes `g` gives. */
export function randomConvArrays(
  g: ConvGeometry,
  seed: number,
): { x: Float32Array; w: Float32Array; dy: Float32Array } {
  const rng = createRng(seed);
  const rnd = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  return {
    x: rnd(g.batch * g.inH * g.inW * g.inC),
    w: rnd(g.kH * g.kW * g.inC * g.outC),
    dy: rnd(g.batch * g.outH * g.outW * g.outC),
  };
}

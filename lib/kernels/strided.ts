/**
 * Stride-2 convolutions on the native stride-1 kernels ({@link ./native_conv.ts}).
 *
 * Why: the im2col path of {@link ./conv.ts} builds its column matrix in JavaScript, which made
 * each stride-2 convolution of NAS-Bench-201's reduction blocks cost about as much as 8 stride-1
 * cell convolutions (measured on the loaded 2-core machine, 16→32 channels at 32×32, batch 64:
 * 34 ms forward, 42 ms input gradient, 11 ms filter gradient, against 2.0, 2.5 and 6.0 ms for a
 * 16→16 stride-1 conv at 32×32).
 *
 * How (exact, no approximation): a convolution with stride s is the stride-1 convolution with the
 * same filter and padding, sampled at every s-th output position. So
 * - forward: the stride-1 output on the grid of (outH−1)·s+1 × (outW−1)·s+1 positions, subsampled;
 * - input and filter gradients: the stride-1 gradients for the output gradient spread onto that
 *   grid with zeros between its values (the zeros add exact zeros to every sum).
 * The stride-1 grid costs s² times the multiply-adds of the strided conv, which the direct
 * kernels' speed more than repays for s = 2 (see docs/backends.md); larger strides keep im2col.
 *
 * @module
 */
import type { ConvGeometry } from "./conv.ts";
import type { NativeConv } from "./native_conv.ts";

/** Largest stride run this way (the stride-1 grid costs stride² times the work). */
export const MAX_NATIVE_STRIDE = 2;

/** Whether {@linkcode stridedForward} and the gradients take this geometry. */
export function stridedEligible(g: ConvGeometry): boolean {
  const s = Math.max(g.strideH, g.strideW);
  return s > 1 && s <= MAX_NATIVE_STRIDE && g.outH > 0 && g.outW > 0;
}

/** The stride-1 geometry whose output grid holds every output of `g` at (oh·sH, ow·sW). */
export function denseGeometry(g: ConvGeometry): ConvGeometry {
  const outH = (g.outH - 1) * g.strideH + 1, outW = (g.outW - 1) * g.strideW + 1;
  return {
    ...g,
    strideH: 1,
    strideW: 1,
    outH,
    outW,
    padBottom: outH + (g.kH - 1) * g.dilH - g.inH - g.padTop,
    padRight: outW + (g.kW - 1) * g.dilW - g.inW - g.padLeft,
  };
}

let denseOut = new Float32Array(0);

/**
 * Output gradients spread onto the dense grid, one buffer per geometry: only the positions
 * (oh·sH, ow·sW) are ever written, so the zeros between them stay zero from one call to the next.
 */
const spread = new Map<string, Float32Array>();
const MAX_SPREAD_BUFFERS = 8;

function spreadBuffer(g: ConvGeometry, d: ConvGeometry): Float32Array {
  const key = [g.batch, g.outH, g.outW, g.outC, g.strideH, g.strideW].join(",");
  let buf = spread.get(key);
  if (!buf) {
    if (spread.size >= MAX_SPREAD_BUFFERS) spread.clear();
    buf = new Float32Array(g.batch * d.outH * d.outW * g.outC);
    spread.set(key, buf);
  }
  return buf;
}

/** dy [batch,outH,outW,outC] onto the dense grid of `d` (zeros elsewhere). */
function spreadGradient(dy: Float32Array, g: ConvGeometry, d: ConvGeometry): Float32Array {
  const out = spreadBuffer(g, d);
  const c = g.outC;
  for (let b = 0; b < g.batch; b++) {
    for (let oh = 0; oh < g.outH; oh++) {
      let src = ((b * g.outH + oh) * g.outW) * c;
      let dst = ((b * d.outH + oh * g.strideH) * d.outW) * c;
      const step = g.strideW * c;
      for (let ow = 0; ow < g.outW; ow++, src += c, dst += step) {
        for (let k = 0; k < c; k++) out[dst + k] = dy[src + k];
      }
    }
  }
  return out;
}

/** y = conv(x, w) with stride 2 as the subsampled stride-1 output; false when the kernel declines. */
export function stridedForward(
  native: NativeConv,
  x: Float32Array,
  w: Float32Array,
  y: Float32Array,
  g: ConvGeometry,
): boolean {
  if (!stridedEligible(g)) return false;
  const d = denseGeometry(g);
  const size = g.batch * d.outH * d.outW * g.outC;
  if (denseOut.length < size) denseOut = new Float32Array(Math.ceil(size * 1.25));
  const full = denseOut.subarray(0, size);
  if (!native.forward(x, w, full, d)) return false;
  const c = g.outC;
  for (let b = 0; b < g.batch; b++) {
    for (let oh = 0; oh < g.outH; oh++) {
      let src = ((b * d.outH + oh * g.strideH) * d.outW) * c;
      let dst = ((b * g.outH + oh) * g.outW) * c;
      const step = g.strideW * c;
      for (let ow = 0; ow < g.outW; ow++, src += step, dst += c) {
        for (let k = 0; k < c; k++) y[dst + k] = full[src + k];
      }
    }
  }
  return true;
}

/** dx of a stride-2 conv: the stride-1 input gradient of the spread dy; false when declined. */
export function stridedBackpropInput(
  native: NativeConv,
  dy: Float32Array,
  w: Float32Array,
  dx: Float32Array,
  g: ConvGeometry,
): boolean {
  if (!stridedEligible(g)) return false;
  const d = denseGeometry(g);
  return native.backpropInput(spreadGradient(dy, g, d), w, dx, d);
}

/** dw of a stride-2 conv: the stride-1 filter gradient of x and the spread dy; false when declined. */
export function stridedBackpropFilter(
  native: NativeConv,
  x: Float32Array,
  dy: Float32Array,
  dw: Float32Array,
  g: ConvGeometry,
): boolean {
  if (!stridedEligible(g)) return false;
  const d = denseGeometry(g);
  return native.backpropFilter(x, spreadGradient(dy, g, d), dw, d);
}

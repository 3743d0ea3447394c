/**
 * 2-D convolution (NHWC input, HWIO filter) forward and both gradients, as sgemm calls.
 *
 * Stride-1 convolutions (every conv of NAS-Bench-201 cells and most of any CNN) use a *shifted
 * grid* formulation that needs no im2col: the input is zero-padded and flattened to rows of
 * `inC` floats; for each filter tap (kh, kw) the rows shifted by `kh·dil·Wp + kw·dil` are one
 * matrix, so the output is the sum of KH·KW plain GEMMs over the whole padded grid (a few rows on
 * the border are computed and dropped). Memory traffic is one padded copy instead of a KH·KW-times
 * larger im2col matrix. Strided and dilated-with-stride convolutions use im2col (they are rare and
 * small: the reduction blocks).
 *
 * All functions are pure: they read and write the arrays they are given and allocate only
 * JavaScript scratch memory.
 *
 * @module
 */
import type { Gemm } from "./gemm.ts";

/** The geometry of one convolution, in tfjs' `Conv2DInfo` terms (NHWC, filter [kH,kW,inC,outC]). */
export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  dilH: number;
  dilW: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
}

/** The fields of tfjs' `backend_util.Conv2DInfo` that a geometry is made of. */
export interface Conv2DInfoLike {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padInfo: { top: number; left: number; bottom: number; right: number };
}

/** The geometry of a tfjs convolution (so padding follows tfjs' own arithmetic). */
export function geometryFromInfo(info: Conv2DInfoLike): ConvGeometry {
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    kH: info.filterHeight,
    kW: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    dilH: info.dilationHeight,
    dilW: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
    padBottom: info.padInfo.bottom,
    padRight: info.padInfo.right,
  };
}

/** Largest im2col block, in floats, before the batch is processed in chunks (64 MiB). */
const IM2COL_MAX_FLOATS = 16 * 1024 * 1024;

/**
 * Rows of the grid processed per batch of GEMMs. The tap GEMMs are thin (K = inC); in chunks of
 * about 2^18 / (inC·outC) rows they stay on OpenBLAS' small-matrix path (no packing) and the
 * KH·KW taps of a chunk reuse it from cache. Measured on the reference machine: 1.5–4× faster than
 * one call over the whole grid, and steady whether OpenBLAS runs 1 or 2 threads.
 * `setConvChunk` overrides the rule for experiments (null restores it).
 */
let chunkOverride: number | null = null;
export function setConvChunk(rows: number | null): void {
  chunkOverride = rows;
}
function rowChunk(inC: number, outC: number): number {
  if (chunkOverride !== null) return chunkOverride;
  return Math.min(4096, Math.max(128, Math.floor(262144 / (inC * outC))));
}

/**
 * Grow-only scratch buffers, one per slot: a fresh multi-megabyte `Float32Array` per call costs
 * page faults and zeroing on every convolution. The kernels are synchronous and not re-entrant,
 * so two slots suffice. Contents are unspecified; callers zero what they need.
 */
const scratchBuffers: Float32Array[] = [new Float32Array(0), new Float32Array(0)];
function scratch(slot: 0 | 1, size: number): Float32Array {
  if (scratchBuffers[slot].length < size) scratchBuffers[slot] = new Float32Array(Math.ceil(size * 1.25));
  return scratchBuffers[slot].subarray(0, size);
}

function useGrid(g: ConvGeometry): boolean {
  return g.strideH === 1 && g.strideW === 1;
}

interface Grid {
  hp: number;
  wp: number;
  /** rows of the padded grid */
  p: number;
  /** rows for which every tap stays inside the grid */
  m: number;
}

function gridOf(g: ConvGeometry): Grid {
  const hp = g.inH + g.padTop + g.padBottom;
  const wp = g.inW + g.padLeft + g.padRight;
  const p = g.batch * hp * wp;
  const maxOff = (g.kH - 1) * g.dilH * wp + (g.kW - 1) * g.dilW;
  const expectH = hp - (g.kH - 1) * g.dilH;
  const expectW = wp - (g.kW - 1) * g.dilW;
  if (expectH < g.outH || expectW < g.outW) {
    throw new RangeError(
      `Cannot run a stride-1 convolution as the padded input ${hp}x${wp} is too small for output ${g.outH}x${g.outW}`,
    );
  }
  return { hp, wp, p, m: Math.max(0, p - maxOff) };
}

/** The input zero-padded to the grid, or the input itself when there is no padding. */
function padInput(x: Float32Array, g: ConvGeometry, grid: Grid): Float32Array {
  if (g.padTop === 0 && g.padLeft === 0 && g.padBottom === 0 && g.padRight === 0) return x;
  const c = g.inC;
  const xp = scratch(0, grid.p * c);
  zeroBorders(xp, g.batch, grid.hp, grid.wp, c, g.padTop, g.padLeft, g.inH, g.inW);
  const rowLen = g.inW * c;
  for (let b = 0; b < g.batch; b++) {
    for (let h = 0; h < g.inH; h++) {
      const src = (b * g.inH + h) * rowLen;
      const dst = ((b * grid.hp + h + g.padTop) * grid.wp + g.padLeft) * c;
      xp.set(x.subarray(src, src + rowLen), dst);
    }
  }
  return xp;
}

/** Zero every grid cell outside the [top, top+h) × [left, left+w) window of each image. */
function zeroBorders(
  a: Float32Array,
  batch: number,
  hp: number,
  wp: number,
  c: number,
  top: number,
  left: number,
  h: number,
  w: number,
): void {
  const right = left + w;
  for (let b = 0; b < batch; b++) {
    const img = b * hp * wp * c;
    a.fill(0, img, img + top * wp * c);
    for (let r = top; r < top + h; r++) {
      const row = img + r * wp * c;
      if (left > 0) a.fill(0, row, row + left * c);
      if (right < wp) a.fill(0, row + right * c, row + wp * c);
    }
    a.fill(0, img + (top + h) * wp * c, img + hp * wp * c);
  }
}

/** dy placed on the grid (zeros elsewhere), or dy itself when the grid is exactly the output. */
function dyOnGrid(dy: Float32Array, g: ConvGeometry, grid: Grid): Float32Array {
  if (grid.hp === g.outH && grid.wp === g.outW) return dy;
  const c = g.outC;
  const out = scratch(1, grid.p * c);
  zeroBorders(out, g.batch, grid.hp, grid.wp, c, 0, 0, g.outH, g.outW);
  const rowLen = g.outW * c;
  for (let b = 0; b < g.batch; b++) {
    for (let h = 0; h < g.outH; h++) {
      const src = (b * g.outH + h) * rowLen;
      out.set(dy.subarray(src, src + rowLen), (b * grid.hp + h) * grid.wp * c);
    }
  }
  return out;
}

/** Output y [batch,outH,outW,outC] of x [batch,inH,inW,inC] with filter w [kH,kW,inC,outC]. */
export function conv2dForward(
  gemm: Gemm,
  x: Float32Array,
  w: Float32Array,
  y: Float32Array,
  g: ConvGeometry,
): void {
  if (!useGrid(g)) return im2colForward(gemm, x, w, y, g);
  const grid = gridOf(g);
  const xp = padInput(x, g, grid);
  const direct = grid.hp === g.outH && grid.wp === g.outW;
  const yg = direct ? y : scratch(1, grid.m * g.outC);
  const blk = g.inC * g.outC;
  const step = rowChunk(g.inC, g.outC);
  for (let r0 = 0; r0 < grid.m; r0 += step) {
    const rows = Math.min(step, grid.m - r0);
    for (let kh = 0; kh < g.kH; kh++) {
      for (let kw = 0; kw < g.kW; kw++) {
        const off = kh * g.dilH * grid.wp + kw * g.dilW;
        const t = kh * g.kW + kw;
        gemm.sgemm(
          false,
          false,
          rows,
          g.outC,
          g.inC,
          1,
          xp.subarray((r0 + off) * g.inC),
          g.inC,
          w.subarray(t * blk, (t + 1) * blk),
          g.outC,
          t === 0 ? 0 : 1,
          yg.subarray(r0 * g.outC),
          g.outC,
        );
      }
    }
  }
  if (direct) return;
  const rowLen = g.outW * g.outC;
  for (let b = 0; b < g.batch; b++) {
    for (let h = 0; h < g.outH; h++) {
      const src = (b * grid.hp + h) * grid.wp * g.outC;
      y.set(yg.subarray(src, src + rowLen), (b * g.outH + h) * rowLen);
    }
  }
}

/** dx [batch,inH,inW,inC] from dy [batch,outH,outW,outC] and w. */
export function conv2dBackpropInput(
  gemm: Gemm,
  dy: Float32Array,
  w: Float32Array,
  dx: Float32Array,
  g: ConvGeometry,
): void {
  if (!useGrid(g)) return im2colBackpropInput(gemm, dy, w, dx, g);
  const grid = gridOf(g);
  const dyg = dyOnGrid(dy, g, grid);
  const noPad = g.padTop === 0 && g.padLeft === 0 && g.padBottom === 0 && g.padRight === 0;
  const dxg = noPad ? dx : scratch(0, grid.p * g.inC);
  dxg.fill(0);
  const blk = g.inC * g.outC;
  const step = rowChunk(g.inC, g.outC);
  for (let r0 = 0; r0 < grid.m; r0 += step) {
    const rows = Math.min(step, grid.m - r0);
    for (let kh = 0; kh < g.kH; kh++) {
      for (let kw = 0; kw < g.kW; kw++) {
        const off = kh * g.dilH * grid.wp + kw * g.dilW;
        const t = kh * g.kW + kw;
        gemm.sgemm(
          false,
          true,
          rows,
          g.inC,
          g.outC,
          1,
          dyg.subarray(r0 * g.outC),
          g.outC,
          w.subarray(t * blk, (t + 1) * blk),
          g.outC,
          1,
          dxg.subarray((r0 + off) * g.inC),
          g.inC,
        );
      }
    }
  }
  if (noPad) return;
  const rowLen = g.inW * g.inC;
  for (let b = 0; b < g.batch; b++) {
    for (let h = 0; h < g.inH; h++) {
      const src = ((b * grid.hp + h + g.padTop) * grid.wp + g.padLeft) * g.inC;
      dx.set(dxg.subarray(src, src + rowLen), (b * g.inH + h) * rowLen);
    }
  }
}

/** dw [kH,kW,inC,outC] from x and dy. */
export function conv2dBackpropFilter(
  gemm: Gemm,
  x: Float32Array,
  dy: Float32Array,
  dw: Float32Array,
  g: ConvGeometry,
): void {
  if (!useGrid(g)) return im2colBackpropFilter(gemm, x, dy, dw, g);
  const grid = gridOf(g);
  const xp = padInput(x, g, grid);
  const dyg = dyOnGrid(dy, g, grid);
  const blk = g.inC * g.outC;
  const step = rowChunk(g.inC, g.outC);
  for (let r0 = 0; r0 < grid.m; r0 += step) {
    const rows = Math.min(step, grid.m - r0);
    for (let kh = 0; kh < g.kH; kh++) {
      for (let kw = 0; kw < g.kW; kw++) {
        const off = kh * g.dilH * grid.wp + kw * g.dilW;
        const t = kh * g.kW + kw;
        gemm.sgemm(
          true,
          false,
          g.inC,
          g.outC,
          rows,
          1,
          xp.subarray((r0 + off) * g.inC),
          g.inC,
          dyg.subarray(r0 * g.outC),
          g.outC,
          r0 === 0 ? 0 : 1,
          dw.subarray(t * blk, (t + 1) * blk),
          g.outC,
        );
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// im2col path (strided convolutions)

function batchChunk(g: ConvGeometry): number {
  const perItem = g.outH * g.outW * g.kH * g.kW * g.inC;
  return Math.max(1, Math.min(g.batch, Math.floor(IM2COL_MAX_FLOATS / Math.max(1, perItem))));
}

/** col[r, (kh,kw,ci)] for items b0..b0+nb of the batch. */
function im2col(x: Float32Array, g: ConvGeometry, b0: number, nb: number, col: Float32Array): void {
  const kcols = g.kH * g.kW * g.inC;
  const c = g.inC;
  let r = 0;
  for (let b = b0; b < b0 + nb; b++) {
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++, r++) {
        const rowBase = r * kcols;
        for (let kh = 0; kh < g.kH; kh++) {
          const ih = oh * g.strideH - g.padTop + kh * g.dilH;
          for (let kw = 0; kw < g.kW; kw++) {
            const iw = ow * g.strideW - g.padLeft + kw * g.dilW;
            const dst = rowBase + (kh * g.kW + kw) * c;
            if (ih < 0 || ih >= g.inH || iw < 0 || iw >= g.inW) {
              col.fill(0, dst, dst + c);
            } else {
              const src = ((b * g.inH + ih) * g.inW + iw) * c;
              col.set(x.subarray(src, src + c), dst);
            }
          }
        }
      }
    }
  }
}

function im2colForward(gemm: Gemm, x: Float32Array, w: Float32Array, y: Float32Array, g: ConvGeometry): void {
  const kcols = g.kH * g.kW * g.inC;
  const chunk = batchChunk(g);
  const rowsPerItem = g.outH * g.outW;
  const col = new Float32Array(chunk * rowsPerItem * kcols);
  for (let b0 = 0; b0 < g.batch; b0 += chunk) {
    const nb = Math.min(chunk, g.batch - b0);
    im2col(x, g, b0, nb, col);
    const rows = nb * rowsPerItem;
    gemm.sgemm(
      false,
      false,
      rows,
      g.outC,
      kcols,
      1,
      col,
      kcols,
      w,
      g.outC,
      0,
      y.subarray(b0 * rowsPerItem * g.outC),
      g.outC,
    );
  }
}

function im2colBackpropFilter(
  gemm: Gemm,
  x: Float32Array,
  dy: Float32Array,
  dw: Float32Array,
  g: ConvGeometry,
): void {
  const kcols = g.kH * g.kW * g.inC;
  const chunk = batchChunk(g);
  const rowsPerItem = g.outH * g.outW;
  const col = new Float32Array(chunk * rowsPerItem * kcols);
  for (let b0 = 0; b0 < g.batch; b0 += chunk) {
    const nb = Math.min(chunk, g.batch - b0);
    im2col(x, g, b0, nb, col);
    const rows = nb * rowsPerItem;
    gemm.sgemm(
      true,
      false,
      kcols,
      g.outC,
      rows,
      1,
      col,
      kcols,
      dy.subarray(b0 * rowsPerItem * g.outC),
      g.outC,
      b0 === 0 ? 0 : 1,
      dw,
      g.outC,
    );
  }
}

function im2colBackpropInput(
  gemm: Gemm,
  dy: Float32Array,
  w: Float32Array,
  dx: Float32Array,
  g: ConvGeometry,
): void {
  const kcols = g.kH * g.kW * g.inC;
  const chunk = batchChunk(g);
  const rowsPerItem = g.outH * g.outW;
  const dcol = new Float32Array(chunk * rowsPerItem * kcols);
  dx.fill(0);
  const c = g.inC;
  for (let b0 = 0; b0 < g.batch; b0 += chunk) {
    const nb = Math.min(chunk, g.batch - b0);
    const rows = nb * rowsPerItem;
    gemm.sgemm(
      false,
      true,
      rows,
      kcols,
      g.outC,
      1,
      dy.subarray(b0 * rowsPerItem * g.outC),
      g.outC,
      w,
      g.outC,
      0,
      dcol,
      kcols,
    );
    // col2im: scatter-add each tap's row segment back into dx
    let r = 0;
    for (let b = b0; b < b0 + nb; b++) {
      for (let oh = 0; oh < g.outH; oh++) {
        for (let ow = 0; ow < g.outW; ow++, r++) {
          const rowBase = r * kcols;
          for (let kh = 0; kh < g.kH; kh++) {
            const ih = oh * g.strideH - g.padTop + kh * g.dilH;
            if (ih < 0 || ih >= g.inH) continue;
            for (let kw = 0; kw < g.kW; kw++) {
              const iw = ow * g.strideW - g.padLeft + kw * g.dilW;
              if (iw < 0 || iw >= g.inW) continue;
              const src = rowBase + (kh * g.kW + kw) * c;
              const dst = ((b * g.inH + ih) * g.inW + iw) * c;
              for (let ci = 0; ci < c; ci++) dx[dst + ci] += dcol[src + ci];
            }
          }
        }
      }
    }
  }
}

/**
 * NAS-Bench-201's `avg_pool_3x3`: PyTorch `AvgPool2d(3, stride=1, padding=1,
 * count_include_pad=False)` — each output is the mean of the in-bounds inputs of its 3×3 window
 * (4 at a corner, 6 on an edge, 9 inside).
 *
 * Why not `tf.avgPool(x, 3, 1, "same")` alone: its forward pass excludes the padding, but the
 * gradient registered for it (AvgPoolGrad on cpu and wasm, tfjs 4.x) divides by 9 everywhere, so
 * border gradients come out 4/9 or 6/9 of their true value. Here the window sum is taken as a
 * `valid` pool over the zero-padded input (whose gradient is exact) and divided by the window's
 * in-bounds count, so autodiff gives the right gradient.
 *
 * @module
 */
import * as tf from "../tf.ts";

const counts = new Map<string, Float32Array>();

/** In-bounds cells of each 3×3 window of an H×W map, as [1, H, W, 1] values. */
function windowCounts(h: number, w: number): Float32Array {
  const key = `${h}x${w}`;
  let c = counts.get(key);
  if (!c) {
    c = new Float32Array(h * w);
    for (let i = 0; i < h; i++) {
      const rows = (i > 0 ? 1 : 0) + 1 + (i < h - 1 ? 1 : 0);
      for (let j = 0; j < w; j++) c[i * w + j] = rows * ((j > 0 ? 1 : 0) + 1 + (j < w - 1 ? 1 : 0));
    }
    counts.set(key, c);
  }
  return c;
}

/** 3×3 average pooling, stride 1, padding 1, padding excluded from the mean (NHWC). */
export function avgPool3x3(x: tf.Tensor4D): tf.Tensor4D {
  const [, h, w] = x.shape;
  return tf.tidy(() => {
    const padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
    const sum = tf.mul(tf.avgPool(padded, 3, 1, "valid"), 9);
    return tf.div(sum, tf.tensor4d(windowCounts(h, w), [1, h, w, 1])) as tf.Tensor4D;
  });
}

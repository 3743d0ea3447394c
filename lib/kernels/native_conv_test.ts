import assert from "node:assert/strict";
import { loadNativeConv } from "./native_conv.ts";
import type { ConvGeometry } from "./conv.ts";
import { createRng } from "../rng.ts";
import { directConvReference, geometry, maxRelErr, randomConvArrays } from "./testing/conv_reference.ts";

const native = loadNativeConv();

/** Geometries of conv_test.ts (stride 1) plus every kernel and border path of conv.c. */
const CASES: Array<[string, ConvGeometry]> = [
  ["3x3 same", geometry([2, 6, 5, 3], [3, 3, 3, 4], 1, "same")],
  ["3x3 valid", geometry([2, 6, 5, 3], [3, 3, 3, 4], 1, "valid")],
  ["1x1 same", geometry([2, 4, 4, 5], [1, 1, 5, 3], 1, "same")],
  ["3x3 explicit padding 2", geometry([1, 5, 5, 2], [3, 3, 2, 3], 1, 2)],
  ["3x3 dilation 2", geometry([2, 7, 7, 2], [3, 3, 2, 3], 1, "same", 2)],
  ["5x5 same", geometry([1, 6, 6, 3], [5, 5, 3, 2], 1, "same")],
  ["4x2 same (asymmetric padding)", geometry([1, 10, 7, 2], [4, 2, 2, 5], 1, "same")],
  ["3x3 same, 16 channels (fixed-size kernels)", geometry([2, 6, 19, 16], [3, 3, 16, 16], 1, "same")],
  ["3x3 same, 32 channels", geometry([2, 5, 11, 32], [3, 3, 32, 32], 1, "same")],
  ["3x3 same, 64 channels", geometry([1, 4, 9, 64], [3, 3, 64, 64], 1, "same")],
  ["1x1, 64 channels", geometry([2, 3, 8, 64], [1, 1, 64, 64], 1, "same")],
  ["3x3 same, width below the pixel block", geometry([2, 3, 3, 16], [3, 3, 16, 16], 1, "same")],
  [
    "3x3 same, 48 -> 112 channels (chunks and run-time strides)",
    geometry([1, 5, 9, 48], [3, 3, 48, 112], 1, "same"),
  ],
  ["3x3 same, 21 -> 37 channels (remainders)", geometry([2, 4, 10, 21], [3, 3, 21, 37], 1, "same")],
  ["3x2 dilation 2x3, padding 3/1 rows 0/4 columns", explicitGeometry()],
];

/** A geometry tfjs' "same"/"valid"/number padding cannot express (computed by hand). */
function explicitGeometry(): ConvGeometry {
  const [inH, inW, kH, kW, dilH, dilW, padTop, padBottom, padLeft, padRight] = [
    12,
    13,
    3,
    2,
    2,
    3,
    3,
    1,
    0,
    4,
  ];
  return {
    batch: 1,
    inH,
    inW,
    inC: 7,
    outH: inH + padTop + padBottom - (kH - 1) * dilH,
    outW: inW + padLeft + padRight - (kW - 1) * dilW,
    outC: 21,
    kH,
    kW,
    strideH: 1,
    strideW: 1,
    dilH,
    dilW,
    padTop,
    padLeft,
    padBottom,
    padRight,
  };
}

for (const [name, g] of CASES) {
  Deno.test({
    name: `native conv ${name}: forward and both gradients equal the float64 definition`,
    ignore: native === null,
    fn() {
      const { x, w, dy } = randomConvArrays(g, 7);
      const ref = directConvReference(g, x, w, dy);
      const y = new Float32Array(ref.y.length).fill(NaN);
      const dx = new Float32Array(ref.dx.length).fill(NaN);
      const dw = new Float32Array(ref.dw.length).fill(NaN);
      assert.ok(native!.forward(x, w, y, g));
      assert.ok(native!.backpropInput(dy, w, dx, g));
      assert.ok(native!.backpropFilter(x, dy, dw, g));
      assert.ok(maxRelErr(y, ref.y) <= 1e-5, `forward ${maxRelErr(y, ref.y)}`);
      assert.ok(maxRelErr(dx, ref.dx) <= 1e-5, `dx ${maxRelErr(dx, ref.dx)}`);
      assert.ok(maxRelErr(dw, ref.dw) <= 1e-5, `dw ${maxRelErr(dw, ref.dw)}`);
    },
  });
}

Deno.test({
  name: "native conv on a large batch (both threads) equals the float64 definition",
  ignore: native === null,
  fn() {
    const g = geometry([16, 8, 8, 32], [3, 3, 32, 32], 1, "same");
    const { x, w, dy } = randomConvArrays(g, 11);
    const ref = directConvReference(g, x, w, dy);
    const y = new Float32Array(ref.y.length),
      dx = new Float32Array(ref.dx.length),
      dw = new Float32Array(w.length);
    assert.ok(native!.forward(x, w, y, g) && native!.backpropInput(dy, w, dx, g));
    assert.ok(native!.backpropFilter(x, dy, dw, g));
    assert.ok(maxRelErr(y, ref.y) <= 1e-5 && maxRelErr(dx, ref.dx) <= 1e-5 && maxRelErr(dw, ref.dw) <= 1e-5);
  },
});

Deno.test({
  name: "native filter gradient is bit-for-bit repeatable (partial sums in a fixed order)",
  ignore: native === null,
  fn() {
    const g = geometry([32, 8, 8, 16], [3, 3, 16, 16], 1, "same");
    const { x, dy } = randomConvArrays(g, 13);
    const first = new Float32Array(g.kH * g.kW * g.inC * g.outC);
    assert.ok(native!.backpropFilter(x, dy, first, g));
    for (let i = 0; i < 20; i++) {
      const again = new Float32Array(first.length);
      assert.ok(native!.backpropFilter(x, dy, again, g));
      assert.deepEqual(again, first);
    }
  },
});

Deno.test({
  name: "native conv reads and writes views in place (offsets respected, neighbours untouched)",
  ignore: native === null,
  fn() {
    const g = geometry([1, 4, 4, 16], [3, 3, 16, 16], 1, "same");
    const { x, w } = randomConvArrays(g, 5);
    const ref = directConvReference(g, x, w, new Float32Array(g.batch * g.outH * g.outW * g.outC));
    const heap = new Float32Array(x.length + w.length + ref.y.length + 6).fill(-7);
    const xv = heap.subarray(1, 1 + x.length), wv = heap.subarray(2 + x.length, 2 + x.length + w.length);
    const yStart = 3 + x.length + w.length, yv = heap.subarray(yStart, yStart + ref.y.length);
    xv.set(x);
    wv.set(w);
    assert.ok(native!.forward(xv, wv, yv, g));
    assert.ok(maxRelErr(yv, ref.y) <= 1e-5);
    for (const i of [0, 1 + x.length, 2 + x.length + w.length, yStart + ref.y.length]) {
      assert.equal(heap[i], -7);
    }
  },
});

Deno.test({
  name: "native conv declines strided convolutions and rejects short arrays",
  ignore: native === null,
  fn() {
    const s2 = geometry([1, 4, 4, 2], [3, 3, 2, 2], 2, "same");
    const y = new Float32Array(8).fill(5);
    assert.equal(native!.forward(new Float32Array(32), new Float32Array(36), y, s2), false);
    assert.deepEqual([...y], new Array(8).fill(5));
    const g = geometry([1, 4, 4, 2], [3, 3, 2, 2], 1, "same");
    assert.throws(
      () => native!.forward(new Float32Array(32), new Float32Array(35), new Float32Array(32), g),
      RangeError,
    );
  },
});

Deno.test({
  name: "native conv library reports how it was built",
  ignore: native === null,
  fn() {
    assert.ok(native!.flags.includes("-O3") && native!.flags.includes("-shared"));
    assert.equal(native!.openmp, native!.flags.includes("-fopenmp"));
    assert.ok(native!.threads >= 1);
    assert.ok([4, 8, 16].includes(native!.vectorLength));
    assert.ok(Deno.statSync(native!.path).isFile);
  },
});

Deno.test("loadNativeConv() returns null when the source does not compile", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const bad = `${dir}/bad.c`;
    Deno.writeTextFileSync(bad, "this is not C;\n");
    assert.equal(loadNativeConv({ source: new URL(`file://${bad}`), cacheDir: dir }), null);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["bad.c"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("loadNativeConv() returns null without a compiler", () => {
  const dir = Deno.makeTempDirSync();
  try {
    assert.equal(loadNativeConv({ cacheDir: dir, compilers: ["sigeo-no-such-compiler"] }), null);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("loadNativeConv() returns null with SIGEO_NATIVE=none", () => {
  const before = Deno.env.get("SIGEO_NATIVE");
  Deno.env.set("SIGEO_NATIVE", "none");
  try {
    assert.equal(loadNativeConv({ cacheDir: "/nonexistent-sigeo-cache" }), null);
  } finally {
    if (before === undefined) Deno.env.delete("SIGEO_NATIVE");
    else Deno.env.set("SIGEO_NATIVE", before);
  }
});

Deno.test({
  name: "loadNativeConv() builds into an empty cache folder once and reuses the library",
  ignore: native === null,
  fn() {
    const dir = Deno.makeTempDirSync();
    try {
      const a = loadNativeConv({ cacheDir: dir });
      assert.ok(a !== null);
      const files = [...Deno.readDirSync(dir)].map((e) => e.name);
      assert.equal(files.length, 1);
      assert.match(files[0], /^sigeo-conv-[0-9a-f]{24}\.(so|dylib|dll)$/);
      const mtime = Deno.statSync(a.path).mtime?.getTime();
      const b = loadNativeConv({ cacheDir: dir });
      assert.equal(b?.path, a.path);
      assert.equal(Deno.statSync(a.path).mtime?.getTime(), mtime);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

/** Random float32 values in [-scale, scale) from a seeded stream. */
function randomFloats(n: number, seed: number, scale = 1): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * scale);
}

/** Bitwise equality of two float32 arrays (the first differing index in the message). */
function assertSameBits(a: Float32Array, b: Float32Array, what: string): void {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  const i = ua.findIndex((x, k) => x !== ub[k]);
  assert.equal(i, -1, `${what}: element ${i} differs (${a[i]} vs ${b[i]})`);
}

// 70,001 elements: more than one 4,096-element block, enough work for every thread, a ragged end.
const OPT_N = 70_001;

Deno.test({
  name: "native adam() gives the bits of the JavaScript loop of lib/train/optim.ts over 3 steps",
  ignore: native === null,
  fn() {
    const p = randomFloats(OPT_N, 1), m = new Float32Array(OPT_N), v = new Float32Array(OPT_N);
    const pj = p.slice(), mj = m.slice(), vj = v.slice();
    const [lr, beta1, beta2, eps, weightDecay] = [1e-3, 0.9, 0.999, 1e-8, 0.01];
    for (let step = 1; step <= 3; step++) {
      const g = randomFloats(OPT_N, 10 + step, 0.1);
      const c1 = 1 - beta1 ** step, c2 = 1 - beta2 ** step;
      native!.adam(p, g, m, v, { lr, beta1, beta2, eps, weightDecay, c1, c2 });
      for (let i = 0; i < OPT_N; i++) {
        const d = g[i] + weightDecay * pj[i];
        mj[i] = beta1 * mj[i] + (1 - beta1) * d;
        vj[i] = beta2 * vj[i] + (1 - beta2) * d * d;
        pj[i] -= lr * (mj[i] / c1) / (Math.sqrt(vj[i] / c2) + eps);
      }
    }
    assertSameBits(m, mj, "m");
    assertSameBits(v, vj, "v");
    assertSameBits(p, pj, "p");
    // and the step moved the parameters by about lr (Adam's normalised step)
    const moved = Math.abs(p[7] - randomFloats(8, 1)[7]);
    assert.ok(moved > 1e-4 && moved < 4e-3, `moved ${moved}`);
  },
});

Deno.test({
  name: "native sgd() gives the bits of the JavaScript loop (Nesterov, plain momentum, none)",
  ignore: native === null,
  fn() {
    for (const [momentum, nesterov] of [[0.9, true], [0.9, false], [0, false]] as const) {
      const p = randomFloats(OPT_N, 2), pj = p.slice();
      const buf = momentum ? new Float32Array(OPT_N) : null, bj = new Float32Array(OPT_N);
      const [lr, weightDecay] = [0.1, 5e-4];
      for (let step = 0; step < 3; step++) {
        const g = randomFloats(OPT_N, 20 + step, 0.1);
        native!.sgd(p, g, buf, { lr, momentum, weightDecay, first: step === 0, nesterov });
        for (let i = 0; i < OPT_N; i++) {
          let d = g[i] + weightDecay * pj[i];
          if (momentum) {
            bj[i] = step === 0 ? d : momentum * bj[i] + d;
            d = nesterov ? d + momentum * bj[i] : bj[i];
          }
          pj[i] -= lr * d;
        }
      }
      assertSameBits(p, pj, `p (momentum ${momentum}, nesterov ${nesterov})`);
      if (buf) assertSameBits(buf, bj, `buf (momentum ${momentum}, nesterov ${nesterov})`);
    }
  },
});

Deno.test({
  name: "native adam() and sgd() refuse slots of another length",
  ignore: native === null,
  fn() {
    const a = new Float32Array(4), b = new Float32Array(3);
    const o = { lr: 1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, c1: 0.1, c2: 0.001 };
    assert.throws(() => native!.adam(a, a, a, b, o), /adam: an argument has 3 floats, the parameters 4/);
    assert.throws(
      () => native!.sgd(a, b, null, { lr: 1, momentum: 0, weightDecay: 0, first: true, nesterov: false }),
      /sgd: an argument has 3 floats/,
    );
  },
});

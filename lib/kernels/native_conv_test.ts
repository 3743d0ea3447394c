import assert from "node:assert/strict";
import { loadNativeConv } from "./native_conv.ts";
import type { ConvGeometry } from "./conv.ts";
import { createRng } from "../rng.ts";
import { directConvReference, geometry, maxRelErr } from "./testing/conv_reference.ts";

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

function randomArrays(g: ConvGeometry, seed: number) {
  const rng = createRng(seed);
  const rnd = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  return {
    x: rnd(g.batch * g.inH * g.inW * g.inC),
    w: rnd(g.kH * g.kW * g.inC * g.outC),
    dy: rnd(g.batch * g.outH * g.outW * g.outC),
  };
}

for (const [name, g] of CASES) {
  Deno.test({
    name: `native conv ${name}: forward and both gradients equal the float64 definition`,
    ignore: native === null,
    fn() {
      const { x, w, dy } = randomArrays(g, 7);
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
    const { x, w, dy } = randomArrays(g, 11);
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
    const { x, dy } = randomArrays(g, 13);
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
    const { x, w } = randomArrays(g, 5);
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

import assert from "node:assert/strict";
import { batchMatMul, planMatMul } from "./matmul.ts";
import { naiveGemm } from "./gemm.ts";
import { loadBlas } from "./blas.ts";

Deno.test("batchMatMul() computes a hand-checked 2x3 @ 3x2 product with every transpose flag", () => {
  const a = [[1, 2, 3], [4, 5, 6]];
  const b = [[7, 8], [9, 10], [11, 12]];
  const want = [58, 64, 139, 154];
  const flat = (m: number[][]) => Float32Array.from(m.flat());
  const tr = (m: number[][]) => m[0].map((_, j) => m.map((r) => r[j]));
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
    const aa = ta ? tr(a) : a, bb = tb ? tr(b) : b;
    const plan = planMatMul([aa.length, aa[0].length], [bb.length, bb[0].length], ta, tb);
    const out = new Float32Array(4);
    batchMatMul(naiveGemm, plan, flat(aa), flat(bb), ta, tb, out);
    assert.deepEqual([...out], want, `transposeA=${ta} transposeB=${tb}`);
  }
});

Deno.test("planMatMul() broadcasts batch dimensions like NumPy", () => {
  const plan = planMatMul([2, 1, 3, 4], [3, 4, 5], false, false);
  assert.deepEqual(plan.outShape, [2, 3, 3, 5]);
  assert.deepEqual([...plan.aIndex], [0, 0, 0, 1, 1, 1]);
  assert.deepEqual([...plan.bIndex], [0, 1, 2, 0, 1, 2]);
  assert.throws(() => planMatMul([2, 3, 4], [3, 4, 5], false, false), /broadcast/);
  assert.throws(() => planMatMul([3, 4], [5, 6], false, false), /inner sizes 4 and 5 differ/);
});

const blas = loadBlas();
Deno.test({
  name: "batchMatMul() on the system BLAS equals the naive loop for broadcast and transposed operands",
  ignore: blas === null,
  fn() {
    const gemm = { name: "blas", zeroCopy: true, sgemm: blas!.sgemm };
    let seed = 1;
    const rnd = (n: number) =>
      Float32Array.from(
        { length: n },
        () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5,
      );
    for (
      const [as, bs, ta, tb] of [
        [[4, 7, 5], [5, 3], false, false],
        [[4, 5, 7], [3, 5], true, true],
        [[2, 1, 6, 5], [3, 6, 4], true, false],
        [[9, 8], [9, 8], false, true],
      ] as Array<[number[], number[], boolean, boolean]>
    ) {
      const plan = planMatMul(as, bs, ta, tb);
      const a = rnd(as.reduce((s, v) => s * v)), b = rnd(bs.reduce((s, v) => s * v));
      const size = plan.outShape.reduce((s, v) => s * v);
      const got = new Float32Array(size), want = new Float32Array(size);
      batchMatMul(gemm, plan, a, b, ta, tb, got);
      batchMatMul(naiveGemm, plan, a, b, ta, tb, want);
      for (let i = 0; i < size; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-5, `${as} ${bs} at ${i}`);
    }
  },
});

import assert from "node:assert/strict";
import { loadBlas } from "./blas.ts";

const blas = loadBlas();
const openblas = blas !== null && blas.config.startsWith("OpenBLAS");

Deno.test({
  name:
    "loadBlas() names OpenBLAS's kernel family, the one in its config and the one OPENBLAS_CORETYPE forces",
  ignore: !openblas,
  fn() {
    assert.ok(blas!.core, "openblas_get_corename() gave a name");
    // the config string lists the same family, e.g. "OpenBLAS 0.3.21 ... DYNAMIC_ARCH NO_AFFINITY Haswell ..."
    assert.ok(blas!.config.toLowerCase().split(" ").includes(blas!.core!.toLowerCase()), blas!.config);
    const forced = Deno.env.get("OPENBLAS_CORETYPE");
    if (forced) assert.equal(blas!.core!.toLowerCase(), forced.toLowerCase());
  },
});

Deno.test({
  name:
    "the system sgemm agrees with a float64 product on sizes off its blocks and an MLP layer, every transpose",
  ignore: blas === null,
  fn() {
    let seed = 7;
    const rnd = (n: number) =>
      Float32Array.from(
        { length: n },
        () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5,
      );
    for (const [m, n, k] of [[67, 45, 300], [256, 64, 1024], [33, 17, 1]]) {
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
        const a = rnd(m * k), b = rnd(k * n), c = rnd(m * n), c0 = c.slice();
        const lda = ta ? m : k, ldb = tb ? k : n;
        blas!.sgemm(ta, tb, m, n, k, 0.5, a, lda, b, ldb, 2, c, n); // C = 0.5·op(A)·op(B) + 2·C
        let worst = 0;
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let p = 0; p < k; p++) {
              s += (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
            }
            worst = Math.max(worst, Math.abs(c[i * n + j] - (0.5 * s + 2 * c0[i * n + j])));
          }
        }
        // float32 sums of k products below 1/4 in magnitude: well under k·2⁻²⁴
        assert.ok(worst < 1e-6 * Math.max(k, 16), `${m}x${n}x${k} transA=${ta} transB=${tb}: error ${worst}`);
      }
    }
  },
});

import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { initBackend } from "../../backend.ts";
import { createRng } from "../../rng.ts";
import { archOps, Nb201Network } from "../../spaces/nb201/network.ts";
import { zenProxy } from "../zen.ts";
import { refParamsOf } from "./tf_twins.ts";
import { zenNb201Ref } from "./nb201_zen_ref.ts";
import type { Nb201RefSpec } from "./nb201_ref.ts";

await initBackend({ quiet: true });

/** Node 1 receives only `none`: edge 2's conv 3×3 runs on zeros. */
const DEAD = "|none~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|";
const C = 2, N = 1, px = 4, n = 2;
const SPEC: Nb201RefSpec = { arch: "nb201", ops: archOps(DEAD), C, N, classes: 10, height: px, width: px };

function layout() {
  const net = new Nb201Network(DEAD, { C, N, classes: 10 }, createRng(1));
  const params = refParamsOf(net);
  net.dispose();
  return params;
}

Deno.test("zen on NB201 in float64: the stem BN's running variance by hand from the seeded draws", () => {
  const params = layout();
  const r = zenNb201Ref(SPEC, params, n, { seed: 4 });
  // the draws: every conv/linear weight (the stem's 3·3·3·C first), then x, then ε
  const rng = createRng(4);
  const weights = params.filter((p) => p.kind !== "norm" && p.role === "weight");
  assert.equal(weights[0].name, "stem.conv/weight");
  const draws = weights.map((p) => Float64Array.from(p.value, () => Math.fround(rng.normal())));
  const size = n * px * px * 3;
  const clean = Float64Array.from({ length: size }, () => rng.normal());
  const x = clean.map((v) => Math.fround(v));
  const mixed = clean.map((v) => Math.fround(v + 0.01 * rng.normal()));
  // conv 3×3, stride 1, padding 1, weight [kh, kw, cin, cout]; unbiased variance over n·px·px
  const variance = (input: Float64Array) =>
    Array.from({ length: C }, (_, o) => {
      const out: number[] = [];
      for (let b = 0; b < n; b++) {
        for (let i = 0; i < px; i++) {
          for (let j = 0; j < px; j++) {
            let s = 0;
            for (let di = 0; di < 3; di++) {
              for (let dj = 0; dj < 3; dj++) {
                const u = i + di - 1, v = j + dj - 1;
                if (u < 0 || u >= px || v < 0 || v >= px) continue;
                for (let c = 0; c < 3; c++) {
                  s += input[((b * px + u) * px + v) * 3 + c] * draws[0][((di * 3 + dj) * 3 + c) * C + o];
                }
              }
            }
            out.push(s);
          }
        }
      }
      const mean = out.reduce((a, e) => a + e, 0) / out.length;
      return out.reduce((a, e) => a + (e - mean) ** 2, 0) / (out.length - 1);
    });
  const va = variance(x), vb = variance(mixed);
  const want = va.reduce((a, e, ch) => a + (0.9 * (0.9 + 0.1 * e) + 0.1 * vb[ch]) / C, 0);
  const got = r.runningVar.get("stem.bn")!;
  assert.ok(Math.abs(got - want) <= 1e-13 * want, `stem.bn: ${got} vs ${want}`);
  // the conv on the dead node's zeros: batch variance 0 twice, rv = 0.9²
  assert.ok(Math.abs(r.runningVar.get("cells.0.e2.nor_conv_3x3.bn")! - 0.81) < 1e-15);
  // every BN layer, the value its terms' sum; momentum 0 leaves rv = 1 (no BN term); γ = 0 gives Δ = 0
  assert.equal(r.bnLayers, params.filter((p) => p.kind === "norm" && p.role === "weight").length);
  assert.equal(r.value, r.delta + r.bn);
  const still = zenNb201Ref(SPEC, params, n, { seed: 4, momentum: 0 });
  assert.deepEqual([still.bn, still.delta], [0, r.delta]);
  assert.equal(zenNb201Ref(SPEC, params, n, { seed: 4, mixupGamma: 0 }).delta, -Infinity);
  assert.notEqual(zenNb201Ref(SPEC, params, n, { seed: 5 }).value, r.value);
});

Deno.test("zen on NB201: the tfjs proxy agrees with the float64 definition (same draws), terms too", async () => {
  const net = new Nb201Network(DEAD, { C: 4, N: 1, classes: 10 }, createRng(2));
  const spec = { ...SPEC, C: 4, height: 8, width: 8 };
  const x = tf.zeros([3, 8, 8, 3]), y = tf.tensor1d([0, 1, 2], "int32");
  const got = await zenProxy(net, [{ x, y }], { seed: 7 });
  const want = zenNb201Ref(spec, refParamsOf(net), 3, { seed: 7 });
  assert.equal(got.terms!.bnLayers, want.bnLayers);
  for (const k of ["delta", "bn"] as const) {
    assert.ok(
      Math.abs(got.terms![k] - want[k]) <= 1e-5 * Math.abs(want[k]),
      `${k}: ${got.terms![k]} vs ${want[k]}`,
    );
  }
  assert.ok(Math.abs(got.value - want.value) <= 1e-5 * Math.abs(want.value));
  tf.dispose([x, y]);
  net.dispose();
});

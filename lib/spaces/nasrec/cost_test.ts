import assert from "node:assert/strict";
import { createRng } from "../../rng.ts";
import { readNasrecConfig } from "./configs.ts";
import { nasrecCost } from "./cost.ts";
import { type DatasetLayout, NASREC_AVAZU, NASREC_CRITEO, NASREC_KDD } from "../../data/recsys_layouts.ts";
import { fullPathArch, type NasrecArch, type NasrecBlock, sampleArch } from "./space.ts";

const CONFIG_DIR = new URL("../../../../shared/data/nasrec/configs/", import.meta.url);
const RESULTS = new URL("../nasrec_readme_results.csv", CONFIG_DIR);
const haveData = (() => {
  try {
    return Deno.statSync(RESULTS).isFile && Deno.statSync(CONFIG_DIR).isDirectory;
  } catch {
    return false;
  }
})();

const block = (
  dense: number[],
  sparse: number[],
  left: number,
  right: number,
  active: number[],
  d: number,
  s: number,
  x: boolean,
  fm: boolean,
): NasrecBlock => ({
  macro: { denseIdx: dense, sparseIdx: sparse, denseLeftIdx: [left], denseRightIdx: [right] },
  micro: { activeNodes: active, denseInDims: d, sparseInDims: s, denseSparseInteract: x, deepFm: fm },
});

const layerNamed = (c: ReturnType<typeof nasrecCost>, name: string) => {
  const l = c.blocks.flatMap((b) => b.layers).find((x) => x.name === name);
  assert.ok(l, `no layer '${name}'`);
  return l;
};

/**
 * NASRec-Small, 2 blocks, on 3 dense features and 3 sparse fields (tables 10, 20, 30).
 *
 * Block 0: dense [0] (3 wide), sparse [0] (3 tokens); dot-product + linear-3d, D = 32, S = 16,
 * interaction and deep-FM on.
 *   dot-product: dense 3→16 (48 MACs); p = round(√64) = 8, tokens 3→8 on 16 rows (384);
 *     T is 9×16: T·Tᵀ 9·16·9 = 1296; tril pairs 36 → 32 (1152)
 *   linear-3d: tokens 3→16 on 16 rows (768)
 *   interaction: 32→128 (4096), +8 tokens → 24 tokens; deep-FM: 16→32 (512)
 * Block 1: dense [0, 1] (3 + 32 = 35), sparse [1] (24 tokens); linear-2d + linear-3d, D = 16, S = 32.
 *   linear-2d 35→16 (560); linear-3d 24→32 on 16 rows (12288)
 * Head: 16 + 16·32 = 528 inputs (528).
 * MACs: 48+384+1296+1152+768+4096+512 + 560+12288 + 528 = 21632.
 *
 * Without LayerNorm every projection has a bias. Params:
 *   block 0: (48+16) + (24+8) + (1152+32) + (48+16) + (4096+128) + (512+32) = 6112
 *   block 1: (560+16) + (768+32) = 1376; head 529 → 8017.
 * With LayerNorm: no projection bias, plus LayerNorms (2·width params, 5·rows·width FLOPs):
 *   block 0: 48+32(LN16) + 24+16(LN8 on 16 rows: 640) + 1152+64(LN32: 160) + 48+32(LN16 on 16 rows: 1280)
 *            + 4096+256(LN128: 640) + 512+64(LN32: 160) + the dense-proj LN (80) = 6344 params, 2960 FLOPs
 *   block 1: 560+32(LN16: 80) + 768+64(LN32 on 16 rows: 2560) = 1424 params, 2640 FLOPs
 *   → params 6344 + 1424 + 529 = 8297, FLOPs 21632 + 5600 = 27232.
 */
const SMALL: NasrecArch = {
  space: "autoctr",
  blocks: [
    block([0], [0], 0, 0, [1, 2], 32, 16, true, true),
    block([0, 1], [1], 0, 1, [0, 2], 16, 32, false, false),
  ],
};
const TINY3: DatasetLayout = { name: "tiny3", numDense: 3, tableSizes: [10, 20, 30] };

Deno.test("hand-computed NASRec-Small case, without and with LayerNorm", () => {
  const c = nasrecCost(SMALL, TINY3);
  assert.equal(c.embeddingParams, 60 * 16);
  assert.equal(c.params, 8017);
  assert.equal(c.totalParams, 8017 + 960);
  assert.equal(c.macs, 21632);
  assert.equal(c.normFlops, 0);
  assert.equal(c.flops, 21632);
  assert.equal(c.executedFlops, 21632);
  assert.deepEqual(
    c.blocks.map((b) => [b.denseIn, b.sparseIn, b.denseOut, b.sparseOut, b.params, b.flops]),
    [[3, 3, 32, 24, 6112, 8256], [35, 24, 16, 32, 1376, 12848]],
  );
  assert.equal(layerNamed(c, "block 0 dot-product T·Tᵀ").macs, 1296);
  assert.equal(layerNamed(c, "block 0 dot-product out-proj").params, 36 * 32 + 32);
  assert.deepEqual([c.head.params, c.head.macs], [529, 528]);

  const l = nasrecCost(SMALL, TINY3, { useLayerNorm: true });
  assert.equal(l.params, 8297);
  assert.equal(l.macs, 21632);
  assert.equal(l.normFlops, 5600);
  assert.equal(l.flops, 27232);
  assert.deepEqual(l.blocks.map((b) => [b.params, b.flops]), [[6344, 8256 + 2960], [1424, 12848 + 2640]]);
});

/**
 * NASRec-Full, 3 blocks, on 2 dense features and 2 sparse fields (tables 5, 5), no LayerNorm.
 *
 * Block 0: dense/sparse/left/right [0]; sigmoid-gating + transformer, D = 16, S = 16, deep-FM on.
 *   sigmoid-gating: padded width M = 2: self-linear 2→2 (4 MACs, 6 params), proj 2→16 (32, 48)
 *   transformer: tokens 2→16 on 16 rows (512 MACs, 48 params);
 *     MHA(16, 8 heads) on 16 tokens: in-proj 16·16·48 = 12288, scores+values 2·8·16·16·2 = 8192,
 *     out-proj 16·16·16 = 4096 → 24576 MACs, 1088 params;
 *     two LayerNorm(16) on 16 tokens: 5·256 = 1280 FLOPs and 32 params each;
 *     FFN 16→16→16 on 16 tokens: 4096 MACs and 272 params each
 *   deep-FM with D = 16: the projection is dropped (no LayerNorm either): nothing
 *   → 35876 FLOPs, 1798 params
 * Block 1: dense [1], sparse [0], left [0] (2 wide), right [1] (16 wide); sum + linear-3d, D = 16,
 *   S = 16, interaction on.
 *   sum: padded width 16 = D, so no projection: nothing. linear-3d 2→16 on 16 rows (512, 48).
 *   interaction 16→128 (2048, 2176).
 *   Nobody reads block 1: all its FLOPs (2560) are dead; params (2224) still count.
 * Block 2: dense [1] (block 0, 16 wide), sparse [0]; linear-2d + linear-3d, D = 32, S = 16.
 *   linear-2d 16→32 (512, 544); linear-3d 2→16 on 16 rows (512, 48).
 *   It reads block 0's dense output only, but block 0's deep-FM needs its transformer output, so
 *   the transformer is live.
 * Head: 32 + 16·16 = 288 (288 MACs, 289 params).
 * FLOPs = 35876 + 1024 + 288 = 37188 (2560 of them LayerNorm); executed = 37188 + 2560 = 39748.
 * Params = 1798 + 2224 + 592 + 289 = 4903.
 */
const FULL3: NasrecArch = {
  space: "xlarge",
  blocks: [
    block([0], [0], 0, 0, [2, 4], 16, 16, false, true),
    block([1], [0], 0, 1, [3, 5], 16, 16, true, false),
    block([1], [0], 0, 0, [0, 5], 32, 16, false, false),
  ],
};
const TINY2: DatasetLayout = { name: "tiny2", numDense: 2, tableSizes: [5, 5] };

Deno.test("hand-computed NASRec-Full case with attention, gating, sum and a dead block", () => {
  const c = nasrecCost(FULL3, TINY2);
  assert.equal(c.embeddingParams, 160);
  assert.equal(c.params, 4903);
  assert.equal(c.flops, 37188);
  assert.equal(c.normFlops, 2560);
  assert.equal(c.macs, 37188 - 2560);
  assert.equal(c.executedFlops, 39748);
  assert.deepEqual(
    c.blocks.map((b) => [b.denseLive, b.sparseLive, b.params, b.flops]),
    [[true, false, 1798, 35876], [false, false, 2224, 0], [true, true, 592, 1024]],
  );
  assert.deepEqual(c.blocks.map((b) => [b.leftIn, b.rightIn]), [[2, 2], [2, 16], [2, 2]]);
  assert.equal(layerNamed(c, "block 0 transformer mha").macs, 24576);
  assert.equal(layerNamed(c, "block 0 transformer mha").params, 1088);
  assert.equal(layerNamed(c, "block 1 interact proj").live, false);
  assert.ok(!c.blocks[1].layers.some((l) => l.name.includes("sum")), "sum at matching width has no layers");
  assert.ok(!c.blocks[0].layers.some((l) => l.name.includes("deep-fm")), "deep-FM at D = 16 has no layers");

  // With LayerNorm on, NASRec keeps deep-FM's LayerNorm(16) module although it never runs.
  const l = nasrecCost(FULL3, TINY2, { useLayerNorm: true });
  const fmLn = layerNamed(l, "block 0 deep-fm ln (unused)");
  assert.deepEqual([fmLn.params, fmLn.normFlops], [32, 0]);
  // Sum at matching width still runs its LayerNorm(16): 5·16 FLOPs, 32 params (dead here).
  assert.deepEqual([layerNamed(l, "block 1 sum ln").normFlops, layerNamed(l, "block 1 sum ln").live], [
    80,
    false,
  ]);
});

Deno.test("liveness: interaction keeps dense nodes alive when only the sparse output is read", () => {
  // Block 0's sparse output (with its interaction tokens) is read by block 1; its dense output is not.
  const arch: NasrecArch = {
    space: "autoctr",
    blocks: [
      block([0], [0], 0, 0, [0, 2], 64, 16, true, true),
      block([0], [1], 0, 0, [0, 2], 16, 16, false, false),
    ],
  };
  const c = nasrecCost(arch, TINY2);
  assert.deepEqual([c.blocks[0].denseLive, c.blocks[0].sparseLive], [false, true]);
  const live = Object.fromEntries(c.blocks[0].layers.map((l) => [l.name, l.live]));
  assert.deepEqual(live, {
    "block 0 linear-2d": true, // feeds the interaction
    "block 0 linear-3d": true,
    "block 0 interact proj": true,
    "block 0 deep-fm proj": false, // only adds to the unread dense output
  });
});

Deno.test({
  name: "published NASRecNet configs: FLOPs within 1.2% of NASRec's README (fvcore count)",
  ignore: !haveData,
  fn: async () => {
    const rows = (await Deno.readTextFile(RESULTS)).trim().split("\n").slice(1).map((l) => l.split(","));
    const published = new Map(rows.map((r) => [`${r[1]} ${r[2]}`, Number(r[5])]));
    const layouts: Record<string, [DatasetLayout, string]> = {
      criteo: [NASREC_CRITEO, "Criteo"],
      avazu: [NASREC_AVAZU, "Avazu"],
      kdd: [NASREC_KDD, "KDD-Cup'12"],
    };
    // Our live FLOPs, executed FLOPs and non-embedding params (no LayerNorm, as main_train.py).
    const ours: Record<string, [number, number, number]> = {
      "criteo autoctr": [2207808, 2415376, 1779720],
      "criteo xlarge": [1466217, 3182393, 2217268],
      "avazu autoctr": [3085600, 3183904, 2838609],
      "avazu xlarge": [1877056, 3803584, 3179072],
      "kdd autoctr": [3482848, 3613920, 2606511],
      "kdd xlarge": [1100233, 1201609, 438461],
    };
    for (const [key, want] of Object.entries(ours)) {
      const [ds, space] = key.split(" ");
      const cfg = await readNasrecConfig(new URL(`ea_${ds}_kaggle_${space}_best_1shot.json`, CONFIG_DIR));
      const [layout, csvName] = layouts[ds];
      const c = nasrecCost(cfg.arch, layout);
      assert.deepEqual([c.flops, c.executedFlops, c.params], want, key);
      const pub = published.get(`${csvName} ${space === "xlarge" ? "NASRec-Full" : "NASRec-Small"}`)!;
      assert.ok(pub > 1, key);
      const rel = c.flops / 1e6 / pub - 1;
      assert.ok(rel >= 0 && rel < 0.012, `${key}: ours ${c.flops / 1e6} M vs published ${pub} M`);
    }
    assert.equal(nasrecCost(sampleArch("autoctr", createRng(0)), NASREC_CRITEO).embeddingParams, 540201616);
    assert.equal(NASREC_AVAZU.tableSizes.length, 23);
    assert.equal(NASREC_KDD.tableSizes.length, 10);
  },
});

Deno.test("random and full-path archs: live FLOPs never exceed executed FLOPs", () => {
  const rng = createRng(4);
  for (let t = 0; t < 200; t++) {
    const arch = sampleArch(t % 2 ? "xlarge" : "autoctr", rng);
    const c = nasrecCost(arch, NASREC_KDD);
    assert.ok(c.flops > 0 && c.flops <= c.executedFlops);
    assert.equal(c.blocks[6].denseLive && c.blocks[6].sparseLive, true);
    assert.equal(c.params, c.blocks.reduce((a, b) => a + b.params, 0) + c.head.params);
  }
  // Full path: every block reads every earlier output, so nothing is dead.
  const f = nasrecCost(fullPathArch("xlarge"), NASREC_CRITEO, { useLayerNorm: true });
  assert.equal(f.flops, f.executedFlops);
  assert.deepEqual(f.blocks.map((b) => b.sparseOut), [72, 72, 72, 72, 72, 72, 72]);
  assert.deepEqual(f.blocks.map((b) => b.denseIn), [
    13,
    13 + 1024,
    13 + 2048,
    13 + 3072,
    13 + 4096,
    13 + 5120,
    13 + 6144,
  ]);
  assert.throws(
    () => nasrecCost(fullPathArch("xlarge"), { name: "bad", numDense: 0, tableSizes: [1] }),
    RangeError,
  );
  assert.throws(
    () => nasrecCost(fullPathArch("xlarge"), { name: "bad", numDense: 1, tableSizes: [] }),
    /bad: expected/,
  );
});

import assert from "node:assert/strict";
import {
  formatNasrecConfig,
  nasrecConfigToJson,
  parseNasrecConfig,
  readNasrecConfig,
  writeNasrecConfig,
} from "./configs.ts";
import { archKey, blockNodes } from "./space.ts";

const CONFIG_DIR = new URL("../../../../shared/data/nasrec/configs/", import.meta.url);
const FILES = ["criteo", "avazu", "kdd"].flatMap((d) =>
  ["autoctr", "xlarge"].map((s) => `ea_${d}_kaggle_${s}_best_1shot.json`)
);
const haveData = (() => {
  try {
    return FILES.every((f) => Deno.statSync(new URL(f, CONFIG_DIR)).isFile);
  } catch {
    return false;
  }
})();

/** A small valid 2-block config (NASRec-Small) to derive broken variants from. */
const GOOD = {
  micro: [
    { active_nodes: [0, 2], dense_in_dims: 64, sparse_in_dims: 16, dense_sparse_interact: 1, deep_fm: 0 },
    { active_nodes: [1, 2], dense_in_dims: 32, sparse_in_dims: 32, dense_sparse_interact: 0, deep_fm: 1 },
  ],
  macro: [
    { dense_idx: [0], sparse_idx: [0], dense_left_idx: [0], dense_right_idx: [0] },
    { dense_idx: [1, 0], sparse_idx: [0, 1], dense_left_idx: [1], dense_right_idx: [0] },
  ],
  num_blocks: 2,
  use_layernorm: 1,
  config: "autoctr",
  test_loss: 0.5,
};

Deno.test({
  name: "the six published configs load and round-trip to the same JSON",
  ignore: !haveData,
  fn: async () => {
    for (const f of FILES) {
      const url = new URL(f, CONFIG_DIR);
      const text = await Deno.readTextFile(url);
      const cfg = await readNasrecConfig(url);
      assert.equal(cfg.arch.space, f.includes("xlarge") ? "xlarge" : "autoctr", f);
      assert.equal(cfg.arch.blocks.length, 7, f);
      assert.equal(cfg.useLayerNorm, true, f);
      assert.deepEqual(Object.keys(cfg.extra), ["test_loss"], f);
      assert.deepEqual(nasrecConfigToJson(cfg), JSON.parse(text), f);
      assert.deepEqual(JSON.parse(formatNasrecConfig(cfg)), JSON.parse(text), f);
      // Every block is single-path: one dense and one sparse node.
      cfg.arch.blocks.forEach((_, i) => {
        const n = blockNodes(cfg.arch, i);
        assert.equal(n.dense.length + n.sparse.length, 2, `${f} block ${i}`);
      });
    }
    const c = await readNasrecConfig(new URL("ea_criteo_kaggle_xlarge_best_1shot.json", CONFIG_DIR));
    assert.deepEqual(c.arch.blocks[0].micro, {
      activeNodes: [2, 4],
      denseInDims: 128,
      sparseInDims: 64,
      denseSparseInteract: true,
      deepFm: false,
    });
    assert.deepEqual(blockNodes(c.arch, 0), { dense: ["sigmoid-gating"], sparse: ["transformer"] });
    assert.deepEqual(c.arch.blocks[6].macro, {
      denseIdx: [0, 3, 2],
      sparseIdx: [3, 1],
      denseLeftIdx: [6],
      denseRightIdx: [1],
    });
    assert.equal(c.extra.test_loss, 0.4511473774909973);
    assert.equal(archKey(c.arch).split("|")[7], "0,2,3;1,3;6;1;0,4;128;48;0;1");
  },
});

Deno.test("parseNasrecConfig reads 0/1 switches, keeps list order and extra fields", () => {
  const cfg = parseNasrecConfig(JSON.stringify(GOOD), "good.json");
  assert.deepEqual(cfg.arch.blocks[1].macro.denseIdx, [1, 0]);
  assert.equal(cfg.arch.blocks[0].micro.denseSparseInteract, true);
  assert.equal(cfg.arch.blocks[1].micro.deepFm, true);
  assert.deepEqual(cfg.extra, { test_loss: 0.5 });
  assert.deepEqual(nasrecConfigToJson(cfg), GOOD);
  // Without "config" the caller names the space.
  const { config: _c, ...noSpace } = GOOD;
  assert.equal(
    parseNasrecConfig(JSON.stringify(noSpace), "n.json", { space: "autoctr" }).arch.space,
    "autoctr",
  );
});

Deno.test("bad configs fail with errors naming the file, block and key", () => {
  const variant = (patch: (o: typeof GOOD) => unknown) => JSON.stringify(patch(structuredClone(GOOD)));
  const cases: Array<[string, ErrorConstructor, RegExp]> = [
    ["{not json", SyntaxError, /^bad\.json: not valid JSON/],
    ["[1, 2]", TypeError, /^bad\.json: expected a JSON object/],
    [variant(({ macro: _m, ...o }) => o), TypeError, /^bad\.json: expected "micro" and "macro" to be arrays/],
    [variant((o) => ({ ...o, macro: o.macro.slice(0, 1) })), RangeError, /same non-zero length, got 2 and 1/],
    [variant((o) => ({ ...o, num_blocks: 7 })), RangeError, /num_blocks is 7 but there are 2 blocks/],
    [variant((o) => ({ ...o, config: "large" })), RangeError, /^bad\.json: config: unknown space 'large'/],
    [variant(({ config: _c, ...o }) => o), TypeError, /^bad\.json: no "config" field/],
    [variant((o) => ({ ...o, use_layernorm: 2 })), TypeError, /use_layernorm: expected 0 or 1/],
    [
      variant((o) => (o.macro[1].sparse_idx = [0, 2], o)),
      RangeError,
      /^bad\.json: block 1 sparse_idx: expected indices in 0\.\.1, got \[0,2\]/,
    ],
    [
      variant((o) => (o.macro[1].dense_idx = [0, 0], o)),
      RangeError,
      /^bad\.json: block 1 dense_idx: .*distinct/,
    ],
    [
      variant((o) => (o.macro[0].dense_left_idx = ["0"] as never, o)),
      TypeError,
      /block 0 dense_left_idx: .*integers/,
    ],
    [
      variant((o) => (delete (o.macro[1] as Record<string, unknown>).dense_right_idx, o)),
      TypeError,
      /block 1 dense_right_idx: missing/,
    ],
    [
      variant((o) => ((o.macro[0] as Record<string, unknown>).extra = 1, o)),
      TypeError,
      /block 0 macro: unknown key 'extra'/,
    ],
    [
      variant((o) => (o.micro[1].active_nodes = [0, 1], o)),
      RangeError,
      /block 1 active_nodes: .*sparse node/,
    ],
    [
      variant((o) => (o.micro[0].dense_in_dims = 100, o)),
      RangeError,
      /block 0 dense_in_dims: expected one of 16/,
    ],
    [variant((o) => (o.micro[1].sparse_in_dims = 8, o)), RangeError, /block 1 sparse_in_dims/],
    [variant((o) => (o.micro[0].deep_fm = 2, o)), TypeError, /block 0 deep_fm: expected 0 or 1, got 2/],
    [
      variant((o) => (o.micro[1].dense_sparse_interact = "1" as never, o)),
      TypeError,
      /block 1 dense_sparse_interact/,
    ],
  ];
  for (const [text, type, re] of cases) {
    assert.throws(() => parseNasrecConfig(text, "bad.json"), (e: Error) => {
      assert.ok(e instanceof type, `${re}: got ${e.constructor.name}: ${e.message}`);
      assert.match(e.message, re);
      return true;
    });
  }
  assert.throws(
    () => parseNasrecConfig(JSON.stringify(GOOD), "x.json", { space: "xlarge" }),
    /x\.json: config is 'autoctr' but space 'xlarge' was requested/,
  );
});

Deno.test("writeNasrecConfig writes atomically and reads back the same config", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cfg = parseNasrecConfig(JSON.stringify(GOOD), "good.json");
    const path = `${dir}/arch.json`;
    await writeNasrecConfig(path, cfg);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["arch.json"]);
    const back = await readNasrecConfig(path);
    assert.deepEqual(back, cfg);
    await assert.rejects(() => readNasrecConfig(`${dir}/missing.json`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

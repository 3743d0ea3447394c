import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { initBackend } from "../../backend.ts";
import { createRng } from "../../rng.ts";
import { countParams } from "../../nn/param.ts";
import { readNasrecConfig } from "./configs.ts";
import { nasrecCost } from "./cost.ts";
import { type DatasetLayout, NASREC_CRITEO } from "../../data/recsys_layouts.ts";
import { disposeBatch, type RecsysRows, toBatch } from "../../nn/recsys_batch.ts";
import {
  copyPathWeights,
  fullPathProbability,
  NasrecSupernet,
  sampleWarmupArch,
  standalone,
} from "./supernet.ts";
import {
  archKey,
  fullPathArch,
  getSpace,
  type NasrecArch,
  type NasrecSpaceName,
  sampleArch,
} from "./space.ts";

await initBackend({ quiet: true });

const CONFIG = new URL(
  "../../../../shared/data/nasrec/configs/ea_criteo_kaggle_autoctr_best_1shot.json",
  import.meta.url,
);
const haveConfig = (() => {
  try {
    return Deno.statSync(CONFIG).isFile;
  } catch {
    return false;
  }
})();

const layout: DatasetLayout = { name: "toy", numDense: 5, tableSizes: [7, 11, 5, 3] };

function rows(n: number, lay: DatasetLayout, seed: number): RecsysRows {
  const rng = createRng(seed), F = lay.tableSizes.length;
  return {
    n,
    numDense: lay.numDense,
    numSparse: F,
    dense: Float32Array.from({ length: n * lay.numDense }, () => rng.normal()),
    sparse: Int32Array.from({ length: n * F }, (_, i) => rng.int(lay.tableSizes[i % F])),
    labels: Float32Array.from({ length: n }, () => rng.int(2)),
  };
}

/** Make a sampled arch one whose supernet path has a standalone equivalent (see copyPathWeights). */
function equivalent(a: NasrecArch): NasrecArch {
  const spec = getSpace(a.space);
  return {
    space: a.space,
    blocks: a.blocks.map((b) => {
      const nodes = b.micro.activeNodes.map((k) => spec.nodeNames[k]);
      return {
        macro: nodes.includes("sum") ? { ...b.macro, denseRightIdx: b.macro.denseLeftIdx } : b.macro,
        micro: {
          ...b.micro,
          denseInDims: nodes.includes("dot-product") ? 1024 : b.micro.denseInDims,
          sparseInDims: nodes.includes("transformer") ? 64 : b.micro.sparseInDims,
        },
      };
    }),
  };
}

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

Deno.test("a supernet path and the standalone net with copied weights give the same logits (both spaces, LN off and on)", () => {
  const b = toBatch(rows(8, layout, 1));
  let checked = 0;
  for (const space of ["autoctr", "xlarge"] as NasrecSpaceName[]) {
    const sn = new NasrecSupernet({ space, layout, rng: createRng(2), numBlocks: 3, layerNorm: false });
    for (let k = 0; k < 5; k++) {
      const arch = equivalent(sampleArch(space, createRng(10 + k), { numBlocks: 3 }));
      const net = standalone(arch, layout, createRng(3), { skipIdentity: false });
      const before = maxDiff(
        sn.path(arch).forward(b.x, { training: false }),
        net.forward(b.x, { training: false }),
      );
      const rep = copyPathWeights(sn, arch, net);
      assert.deepEqual(rep.inexact, []);
      assert.equal(rep.copied.length, net.params().length);
      const zs = sn.path(arch).forward(b.x, { training: false }), zn = net.forward(b.x, { training: false });
      const diff = maxDiff(zs, zn);
      assert.ok(diff <= 1e-5, `${space} arch ${k}: max |Δlogit| ${diff}`);
      assert.ok(before > 1e-3, `${space} arch ${k}: differs before the copy (${before})`);
      tf.dispose([zs, zn]);
      net.dispose();
      checked++;
    }
    sn.dispose();
  }
  // LayerNorm on: equal at full widths (LN normalises over the same units)
  const sn = new NasrecSupernet({ space: "xlarge", layout, rng: createRng(4), numBlocks: 2 });
  const full = sn.fullPath();
  const arch: NasrecArch = {
    space: "xlarge",
    blocks: [
      {
        macro: { denseIdx: [0], sparseIdx: [0], denseLeftIdx: [0], denseRightIdx: [0] },
        micro: { ...full.blocks[0].micro, activeNodes: [2, 4] },
      },
      {
        macro: { denseIdx: [0, 1], sparseIdx: [1], denseLeftIdx: [1], denseRightIdx: [0] },
        micro: { ...full.blocks[1].micro, activeNodes: [1, 5] },
      },
    ],
  };
  const net = standalone(arch, layout, createRng(5), { layerNorm: true });
  assert.deepEqual(copyPathWeights(sn, arch, net).inexact, []);
  const diff = maxDiff(
    sn.path(arch).forward(b.x, { training: false }),
    net.forward(b.x, { training: false }),
  );
  assert.ok(diff <= 1e-5, `LN on, full widths: ${diff}`);
  net.dispose();
  // … and reported inexact below them
  const narrow: NasrecArch = {
    ...arch,
    blocks: [
      { ...arch.blocks[0], micro: { ...arch.blocks[0].micro, denseInDims: 64, sparseInDims: 32 } },
      arch.blocks[1],
    ],
  };
  const net2 = standalone(narrow, layout, createRng(5), { layerNorm: true });
  const rep = copyPathWeights(sn, narrow, net2);
  assert.ok(
    rep.inexact.some((s) =>
      s.startsWith("block0.sigmoid-gating.ln: LayerNorm over 64 of the supernet's 1024")
    ),
    rep.inexact.join("; "),
  );
  assert.ok(
    rep.inexact.some((s) => s.startsWith("block0.transformer: 32 of 64 tokens")),
    rep.inexact.join("; "),
  );
  net2.dispose();
  sn.dispose();
  disposeBatch(b);
  assert.equal(checked, 10);
});

Deno.test("copyPathWeights refuses paths without a standalone equivalent, naming the layer", () => {
  const sn = new NasrecSupernet({
    space: "xlarge",
    layout,
    rng: createRng(2),
    numBlocks: 2,
    layerNorm: false,
  });
  const base = sn.fullPath();
  const one = (active: number[], d: number, interact = false, left = [0], right = [0]): NasrecArch => ({
    space: "xlarge",
    blocks: [
      {
        macro: { denseIdx: [0], sparseIdx: [0], denseLeftIdx: [0], denseRightIdx: [0] },
        micro: { ...base.blocks[0].micro, activeNodes: [0, 5] },
      },
      {
        macro: { denseIdx: [1], sparseIdx: [1], denseLeftIdx: left, denseRightIdx: right },
        micro: {
          activeNodes: active,
          denseInDims: d,
          sparseInDims: 16,
          denseSparseInteract: interact,
          deepFm: false,
        },
      },
    ],
  });
  const tryCopy = (arch: NasrecArch, skip = false) => {
    const net = standalone(arch, layout, createRng(1), { skipIdentity: skip });
    try {
      return copyPathWeights(sn, arch, net);
    } finally {
      net.dispose();
    }
  };
  assert.throws(
    () => tryCopy(one([1, 5], 256)),
    /Cannot copy 'block1.dot-product.token-proj\/weight'.*full dense width/,
  );
  assert.throws(
    () => tryCopy(one([3, 5], 256, false, [0], [1])),
    /block1: a sum of different left and right inputs/,
  );
  // NASRec's lazy rule: the standalone drops the 128 → 8×16 projection that the supernet applies
  assert.throws(() => tryCopy(one([0, 5], 128, true), true), /standalone net has no 'block1.interact'/);
  assert.deepEqual(tryCopy(one([0, 5], 128, true), false).inexact, []);
  sn.dispose();
});

Deno.test("standalone nets have exactly the parameters of NASRec's cost model (cost.ts), LN on and off", () => {
  let n = 0;
  for (const space of ["autoctr", "xlarge"] as NasrecSpaceName[]) {
    for (let k = 0; k < 6; k++) {
      const arch = sampleArch(space, createRng(100 + k), { numBlocks: 4 });
      for (const ln of [false, true]) {
        const net = standalone(arch, layout, createRng(1), { layerNorm: ln });
        const cost = nasrecCost(arch, layout, { useLayerNorm: ln });
        // cost.ts counts the LayerNorm NASRec's deep-FM keeps (unused) when it skips its 16 → 16 projection
        const unusedLn = ln
          ? 32 * arch.blocks.filter((b) => b.micro.deepFm && b.micro.denseInDims === 16).length
          : 0;
        const dense = net.params().filter((p) => p.kind !== "embedding");
        const emb = net.params().filter((p) => p.kind === "embedding");
        assert.equal(countParams(dense), cost.params - unusedLn, `${archKey(arch)} ln=${ln}`);
        assert.equal(countParams(emb), cost.embeddingParams);
        assert.ok(emb.every((p) => p.role === "embedding"));
        net.dispose();
        n++;
      }
    }
  }
  assert.equal(n, 24);
});

Deno.test({
  name:
    "NASRec-Small best Criteo config (published JSON): standalone builds with cost.ts's parameter count and runs",
  ignore: !haveConfig,
  fn: async () => {
    const cfg = await readNasrecConfig(CONFIG);
    const capped: DatasetLayout = {
      ...NASREC_CRITEO,
      tableSizes: NASREC_CRITEO.tableSizes.map((s) => Math.min(s, 1000)),
    };
    const net = standalone(cfg.arch, capped, createRng(1));
    const cost = nasrecCost(cfg.arch, capped);
    assert.equal(countParams(net.params().filter((p) => p.kind !== "embedding")), cost.params);
    const b = toBatch(rows(4, capped, 2));
    const z = net.forward(b.x, { training: false });
    assert.deepEqual(z.shape, [4, 1]);
    assert.ok(Array.from(z.dataSync()).every(Number.isFinite));
    tf.dispose(z);
    disposeBatch(b);
    net.dispose();
  },
});

Deno.test("a path lists only the modules it uses; a training step changes those and no other supernet weight", () => {
  const sn = new NasrecSupernet({ space: "autoctr", layout, rng: createRng(2), numBlocks: 2 });
  const arch: NasrecArch = {
    space: "autoctr",
    blocks: [
      {
        macro: { denseIdx: [0], sparseIdx: [0], denseLeftIdx: [0], denseRightIdx: [0] },
        micro: {
          activeNodes: [0, 2],
          denseInDims: 64,
          sparseInDims: 16,
          denseSparseInteract: false,
          deepFm: true,
        },
      },
      {
        macro: { denseIdx: [1], sparseIdx: [0, 1], denseLeftIdx: [0], denseRightIdx: [0] },
        micro: {
          activeNodes: [1, 2],
          denseInDims: 1024,
          sparseInDims: 32,
          denseSparseInteract: true,
          deepFm: false,
        },
      },
    ],
  };
  const path = sn.path(arch);
  const layers = [...new Set(path.params().map((p) => p.layer))].filter((l) => !l.startsWith("embedding"));
  assert.deepEqual(layers, [
    "block0.linear-2d",
    "block0.linear-2d.ln",
    "block0.linear-2d.ln.beta",
    "block0.linear-3d",
    "block0.linear-3d.ln",
    "block0.linear-3d.ln.beta",
    "block0.deep-fm",
    "block0.deep-fm.ln",
    "block0.deep-fm.ln.beta",
    "block1.dot-product.dense-proj",
    "block1.dot-product.dense-proj.ln",
    "block1.dot-product.dense-proj.ln.beta",
    "block1.dot-product.token-proj",
    "block1.dot-product.token-proj.ln",
    "block1.dot-product.token-proj.ln.beta",
    "block1.dot-product.out-proj",
    "block1.dot-product.ln",
    "block1.dot-product.ln.beta",
    "block1.linear-3d",
    "block1.linear-3d.ln",
    "block1.linear-3d.ln.beta",
    "block1.interact",
    "block1.interact.ln",
    "block1.interact.ln.beta",
    "head",
  ]);
  assert.deepEqual(path.supports, ["tap", "bypassNorm"]);
  const b = toBatch(rows(16, layout, 3));
  const before = new Map(sn.params().map((p) => [p.name, Float32Array.from(p.variable.dataSync())]));
  const used = new Set(path.params().map((p) => p.name));
  const { value, grads } = tf.variableGrads(
    () => path.loss(path.forward(b.x, { training: true }), b.y),
    path.params().map((p) => p.variable),
  );
  for (const p of sn.params()) {
    const g = grads[p.variable.name];
    if (g) p.variable.assign(tf.tidy(() => tf.sub(p.variable, tf.mul(g, 0.1))));
  }
  tf.dispose([value, ...Object.values(grads)]);
  for (const p of sn.params()) {
    const changed = p.variable.dataSync().some((x, i) => x !== before.get(p.name)![i]);
    if (!used.has(p.name)) assert.ok(!changed, `${p.name} changed`);
  }
  // block0's linear-2d output is masked to 64 of 1024 units after its LayerNorm: LN weights of the
  // masked units get no gradient (the linear weights do, through the LN statistics, as in NASRec)
  const g = sn.store.get("block0.linear-2d.ln/norm")!.variable.dataSync();
  const g0 = before.get("block0.linear-2d.ln/norm")!;
  assert.ok(g.slice(64).every((x, i) => x === g0[64 + i]));
  assert.ok(g.slice(0, 64).some((x, i) => x !== g0[i]));
  disposeBatch(b);
  sn.dispose();
});

Deno.test("warm-up sampling: full-path probability decays 1 → 0 over the supernet steps (NASRec's counter)", () => {
  assert.equal(fullPathProbability(0, 100), 0);
  assert.equal(fullPathProbability(1, 100), 0.99);
  assert.equal(fullPathProbability(75, 100), 0.25);
  assert.equal(fullPathProbability(100, 100), 0);
  const isFullMacro = (a: NasrecArch) =>
    a.blocks.every((b, i) =>
      b.macro.denseIdx.length === i + 1 && b.macro.sparseIdx.length === i + 1 &&
      b.macro.denseLeftIdx.length === i + 1
    );
  const isFullMicro = (a: NasrecArch, i: number) => a.blocks[i].micro.activeNodes.length === 3;
  const rng = createRng(5);
  let macro = 0, micro = 0;
  const N = 400;
  for (let t = 0; t < N; t++) {
    const a = sampleWarmupArch("autoctr", rng, { step: 75, supernetSteps: 100, numBlocks: 3 });
    if (isFullMacro(a)) macro++;
    for (let i = 0; i < 3; i++) if (isFullMicro(a, i)) micro++;
  }
  // p = 0.25: full macro in ~25 % of draws (binomial sd ≈ 2.2 %), each block's micro independently
  assert.ok(Math.abs(macro / N - 0.25) < 0.08, `macro ${macro / N}`);
  assert.ok(Math.abs(micro / (3 * N) - 0.25) < 0.06, `micro ${micro / (3 * N)}`);
  const first = sampleWarmupArch("autoctr", createRng(1), { step: 0, supernetSteps: 100, numBlocks: 3 });
  assert.ok(!isFullMicro(first, 0) && !isFullMicro(first, 1) && !isFullMicro(first, 2));
  const early = sampleWarmupArch("autoctr", createRng(1), { step: 1, supernetSteps: 1e9, numBlocks: 3 });
  assert.equal(archKey(early), archKey(fullPathArch("autoctr", 3)));
});

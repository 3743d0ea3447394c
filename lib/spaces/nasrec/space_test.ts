import assert from "node:assert/strict";
import { createRng, type Rng } from "../../rng.ts";
import {
  archKey,
  archsEqual,
  blockNodes,
  checkArch,
  fullPathArch,
  functionalKey,
  mutateArch,
  mutateArchN,
  mutationCount,
  NASREC_FULL,
  NASREC_SMALL,
  type NasrecArch,
  type NasrecBlock,
  parseArchKey,
  sampleArch,
  sampleInputCount,
  sampleMacro,
} from "./space.ts";

/** An Rng that replays scripted draws, so a mutation's decision path can be checked exactly. */
function scriptedRng(ints: number[], nexts: number[]): Rng & { left(): number } {
  const rng: Rng & { left(): number } = {
    nextUint32: () => {
      throw new Error("not scripted");
    },
    next: () => {
      if (nexts.length === 0) throw new Error("next() called more often than scripted");
      return nexts.shift()!;
    },
    int: (n: number) => {
      if (ints.length === 0) throw new Error(`int(${n}) called more often than scripted`);
      const v = ints.shift()!;
      assert.ok(v >= 0 && v < n, `scripted int ${v} out of [0, ${n})`);
      return v;
    },
    normal: () => 0,
    choice: <T>(items: readonly T[]) => items[rng.int(items.length)],
    shuffle: <T>(items: readonly T[]) => items.slice().reverse(), // deterministic stand-in
    fork: () => rng,
    left: () => ints.length + nexts.length,
  };
  return rng;
}

const block = (
  dense: number[],
  sparse: number[],
  left: number,
  right: number,
  active: number[],
  d: number,
  s: number,
  x = false,
  fm = false,
): NasrecBlock => ({
  macro: { denseIdx: dense, sparseIdx: sparse, denseLeftIdx: [left], denseRightIdx: [right] },
  micro: { activeNodes: active, denseInDims: d, sparseInDims: s, denseSparseInteract: x, deepFm: fm },
});

/** A fixed 7-block NASRec-Full arch used by several tests. */
const FULL7: NasrecArch = {
  space: "xlarge",
  blocks: [
    block([0], [0], 0, 0, [2, 4], 128, 64, true),
    block([0], [0], 0, 1, [1, 5], 32, 64),
    block([1, 2], [2, 1, 0], 1, 2, [1, 5], 768, 32, false, true),
    block([0, 3], [0, 2, 1, 3], 2, 0, [2, 5], 768, 48, true),
    block([4, 0, 3, 2], [2, 3, 0, 1], 3, 1, [0, 5], 16, 16, false, true),
    block([4, 0, 5, 3], [4, 1], 2, 3, [0, 4], 768, 16, true),
    block([0, 3, 2], [3, 1], 6, 1, [0, 4], 128, 48, false, true),
  ],
};

Deno.test("the two spaces list NASRec's nodes, node roles and widths", () => {
  assert.deepEqual(NASREC_FULL.nodeNames, [
    "linear-2d",
    "dot-product",
    "sigmoid-gating",
    "sum",
    "transformer",
    "linear-3d",
  ]);
  assert.deepEqual([NASREC_FULL.denseNodes, NASREC_FULL.sparseNodes], [[0, 1, 2, 3], [4, 5]]);
  assert.deepEqual(NASREC_SMALL.nodeNames, ["linear-2d", "dot-product", "linear-3d"]);
  assert.deepEqual([NASREC_SMALL.denseNodes, NASREC_SMALL.sparseNodes], [[0, 1], [2]]);
  for (const s of [NASREC_FULL, NASREC_SMALL]) {
    assert.deepEqual(s.denseDims, [16, 32, 64, 128, 256, 512, 768, 1024]);
    assert.deepEqual(s.sparseDims, [16, 32, 48, 64]);
  }
  assert.deepEqual(blockNodes(FULL7, 0), { dense: ["sigmoid-gating"], sparse: ["transformer"] });
});

Deno.test("checkArch accepts a valid arch and names block and key of each defect", () => {
  checkArch(FULL7);
  const bad = (b: number, patch: (x: NasrecBlock) => NasrecBlock): NasrecArch => ({
    space: "xlarge",
    blocks: FULL7.blocks.map((x, i) => (i === b ? patch(x) : x)),
  });
  const cases: Array<[NasrecArch, ErrorConstructor, RegExp]> = [
    [
      bad(2, (x) => ({ ...x, macro: { ...x.macro, denseIdx: [3] } })),
      RangeError,
      /block 2 dense_idx: .*0\.\.2/,
    ],
    [
      bad(3, (x) => ({ ...x, macro: { ...x.macro, sparseIdx: [1, 1] } })),
      RangeError,
      /block 3 sparse_idx: .*distinct/,
    ],
    [bad(1, (x) => ({ ...x, macro: { ...x.macro, denseLeftIdx: [] } })), TypeError, /block 1 dense_left_idx/],
    [
      bad(4, (x) => ({ ...x, macro: { ...x.macro, denseRightIdx: [0.5] } })),
      TypeError,
      /block 4 dense_right_idx/,
    ],
    [
      bad(0, (x) => ({ ...x, micro: { ...x.micro, activeNodes: [0, 1] } })),
      RangeError,
      /block 0 active_nodes: .*sparse/,
    ],
    [
      bad(0, (x) => ({ ...x, micro: { ...x.micro, activeNodes: [5] } })),
      RangeError,
      /block 0 active_nodes: .*dense/,
    ],
    [
      bad(0, (x) => ({ ...x, micro: { ...x.micro, activeNodes: [0, 6] } })),
      RangeError,
      /active_nodes: .*0\.\.5/,
    ],
    [bad(5, (x) => ({ ...x, micro: { ...x.micro, denseInDims: 100 } })), RangeError, /block 5 dense_in_dims/],
    [
      bad(6, (x) => ({ ...x, micro: { ...x.micro, sparseInDims: 128 } })),
      RangeError,
      /block 6 sparse_in_dims/,
    ],
  ];
  for (const [arch, type, re] of cases) {
    assert.throws(() => checkArch(arch, "x.json"), (e: Error) => {
      assert.ok(e instanceof type, `${e.constructor.name}: ${e.message}`);
      assert.match(e.message, /^x\.json: /);
      assert.match(e.message, re);
      return true;
    });
  }
  assert.throws(() => checkArch({ ...FULL7, space: "large" as "xlarge" }), /unknown space 'large'/);
  assert.throws(() => checkArch({ space: "autoctr", blocks: FULL7.blocks }), /active_nodes: .*0\.\.2/);
});

Deno.test("sampleInputCount follows NASRec's uniform and binomial-0.5 rules", () => {
  const rng = createRng(3);
  const N = 40000;
  // n = 1: always one input in both modes.
  for (let t = 0; t < 50; t++) {
    assert.equal(sampleInputCount(1, "uniform", rng), 1);
    assert.equal(sampleInputCount(1, "binomial-0.5", rng), 1);
  }
  const hist = (n: number, mode: "uniform" | "binomial-0.5") => {
    const h = [0, 0, 0, 0, 0];
    for (let t = 0; t < N; t++) h[sampleInputCount(n, mode, rng)]++;
    return h.map((c) => c / N);
  };
  const close = (got: number[], want: number[]) =>
    got.forEach((g, k) => assert.ok(Math.abs(g - want[k]) < 0.01, `${got} vs ${want}`));
  // uniform: 1 + randint(min(n, 4)).
  close(hist(2, "uniform"), [0, 1 / 2, 1 / 2, 0, 0]);
  close(hist(7, "uniform"), [0, 1 / 4, 1 / 4, 1 / 4, 1 / 4]);
  // binomial-0.5: 1 + Binomial(min(n − 1, 3), ½).
  close(hist(3, "binomial-0.5"), [0, 1 / 4, 1 / 2, 1 / 4, 0]);
  close(hist(7, "binomial-0.5"), [0, 1 / 8, 3 / 8, 3 / 8, 1 / 8]);
  assert.throws(() => sampleInputCount(0, "uniform", rng), RangeError);
  assert.throws(() => sampleInputCount(2, "normal" as "uniform", rng), /Unknown any-path choice/);
});

Deno.test("sampleMacro draws distinct inputs uniformly and left/right independently", () => {
  const rng = createRng(11);
  const N = 20000, i = 5, n = 6;
  const denseHits = new Array(n).fill(0);
  let same = 0;
  for (let t = 0; t < N; t++) {
    const m = sampleMacro(i, rng, "uniform");
    assert.equal(new Set(m.denseIdx).size, m.denseIdx.length);
    assert.ok(m.denseIdx.length >= 1 && m.denseIdx.length <= 4);
    assert.equal(m.denseLeftIdx.length, 1);
    assert.equal(m.denseRightIdx.length, 1);
    for (const j of m.denseIdx) denseHits[j]++;
    if (m.denseLeftIdx[0] === m.denseRightIdx[0]) same++;
  }
  // E[count] = 2.5 for uniform over 1..4, spread evenly over 6 inputs: P(j chosen) = 2.5 / 6.
  for (const h of denseHits) assert.ok(Math.abs(h / N - 2.5 / 6) < 0.015, `${denseHits}`);
  assert.ok(Math.abs(same / N - 1 / n) < 0.01, `left = right in ${same / N}`);
});

Deno.test("sampleArch is seeded, valid, single-path in micro and uniform over widths and switches", () => {
  const a = sampleArch(NASREC_FULL, createRng(7));
  assert.equal(archKey(a), archKey(sampleArch("xlarge", createRng(7))));
  assert.notEqual(archKey(a), archKey(sampleArch("xlarge", createRng(8))));
  const rng = createRng(1);
  const N = 3000;
  const dims = new Map<number, number>(), nodes = new Map<number, number>();
  let interact = 0, fm = 0;
  for (let t = 0; t < N; t++) {
    const arch = sampleArch(t % 2 ? "xlarge" : "autoctr", rng, {
      anyPath: t % 3 ? "uniform" : "binomial-0.5",
    });
    checkArch(arch);
    assert.equal(arch.blocks.length, 7);
    for (const [i, b] of arch.blocks.entries()) {
      const nd = blockNodes(arch, i);
      assert.equal(nd.dense.length, 1);
      assert.equal(nd.sparse.length, 1);
      if (arch.space === "xlarge") {
        dims.set(b.micro.denseInDims, (dims.get(b.micro.denseInDims) ?? 0) + 1);
        nodes.set(b.micro.activeNodes[0], (nodes.get(b.micro.activeNodes[0]) ?? 0) + 1);
      }
      interact += b.micro.denseSparseInteract ? 1 : 0;
      fm += b.micro.deepFm ? 1 : 0;
    }
  }
  const perSpace = (N / 2) * 7;
  for (const d of NASREC_FULL.denseDims) assert.ok(Math.abs(dims.get(d)! / perSpace - 1 / 8) < 0.015);
  for (const n of [0, 1, 2, 3]) assert.ok(Math.abs(nodes.get(n)! / perSpace - 1 / 4) < 0.02);
  assert.ok(Math.abs(interact / (N * 7) - 0.5) < 0.015);
  assert.ok(Math.abs(fm / (N * 7) - 0.5) < 0.015);
  assert.equal(sampleArch("autoctr", createRng(2), { numBlocks: 3 }).blocks.length, 3);
  assert.throws(() => sampleArch("autoctr", createRng(2), { numBlocks: 0 }), RangeError);
});

Deno.test("fullPathArch turns on every input, node and switch at the largest widths", () => {
  const f = fullPathArch("autoctr");
  checkArch(f);
  assert.equal(f.blocks.length, 7);
  assert.deepEqual(f.blocks[3].macro, {
    denseIdx: [0, 1, 2, 3],
    sparseIdx: [0, 1, 2, 3],
    denseLeftIdx: [0, 1, 2, 3],
    denseRightIdx: [0, 1, 2, 3],
  });
  assert.deepEqual(f.blocks[6].micro, {
    activeNodes: [0, 1, 2],
    denseInDims: 1024,
    sparseInDims: 64,
    denseSparseInteract: true,
    deepFm: true,
  });
  assert.deepEqual(fullPathArch(NASREC_FULL, 2).blocks[1].micro.activeNodes, [0, 1, 2, 3, 4, 5]);
});

Deno.test("mutateArch follows NASRec's decision path exactly (scripted draws)", () => {
  // Macro: block 3, next() 0.7 > 0.5 → macro, key 1 (sparse_idx), count 1 + 2 = 3,
  // shuffle (reversed here) of 0..3 → [3, 2, 1, 0], first 3.
  const before = archKey(FULL7);
  let rng = scriptedRng([3, 1, 2], [0.7]);
  let m = mutateArch(FULL7, rng);
  assert.equal(rng.left(), 0);
  assert.deepEqual(m.blocks[3].macro.sparseIdx, [3, 2, 1]);
  assert.deepEqual({ ...m.blocks[3].macro, sparseIdx: null }, { ...FULL7.blocks[3].macro, sparseIdx: null });
  m.blocks.forEach((b, i) => i !== 3 && assert.equal(b, FULL7.blocks[i]));
  // Macro, key 3 (dense_right_idx): one new input drawn from 0..5 for block 5.
  rng = scriptedRng([5, 3, 4], [0.9]);
  m = mutateArch(FULL7, rng);
  assert.deepEqual(m.blocks[5].macro.denseRightIdx, [4]);
  // Exactly 0.5 is micro (NASRec: macro iff random() > 0.5). Micro draws a full single-path choice
  // (dense node 2 → sigmoid-gating, sparse node 0 → transformer, dims 7 → 1024, 0 → 16, 1, 1) and
  // keeps key 0 (active_nodes): both nodes change together.
  rng = scriptedRng([1, 2, 0, 7, 0, 1, 1, 0], [0.5]);
  m = mutateArch(FULL7, rng);
  assert.equal(rng.left(), 0);
  assert.deepEqual(m.blocks[1].micro, { ...FULL7.blocks[1].micro, activeNodes: [2, 4] });
  // Micro key 2 (sparse_in_dims) keeps everything else.
  rng = scriptedRng([6, 0, 1, 0, 1, 0, 0, 2], [0.1]);
  m = mutateArch(FULL7, rng);
  assert.deepEqual(m.blocks[6].micro, { ...FULL7.blocks[6].micro, sparseInDims: 32 });
  assert.equal(archKey(FULL7), before); // the parent is never modified
});

Deno.test("mutateArch changes at most one field of one block and reaches every field", () => {
  const rng = createRng(5);
  const touched = new Set<string>();
  let unchanged = 0;
  const N = 3000;
  for (let t = 0; t < N; t++) {
    const parent = sampleArch("xlarge", rng);
    const child = mutateArch(parent, rng);
    checkArch(child);
    const diffs: string[] = [];
    child.blocks.forEach((b, i) => {
      for (const k of Object.keys(b.macro) as Array<keyof typeof b.macro>) {
        if (JSON.stringify(b.macro[k]) !== JSON.stringify(parent.blocks[i].macro[k])) diffs.push(`${i}.${k}`);
      }
      for (const k of Object.keys(b.micro) as Array<keyof typeof b.micro>) {
        if (JSON.stringify(b.micro[k]) !== JSON.stringify(parent.blocks[i].micro[k])) diffs.push(`${i}.${k}`);
      }
    });
    assert.ok(diffs.length <= 1, diffs.join(" "));
    if (diffs.length === 0) unchanged++;
    else touched.add(diffs[0].split(".")[1]);
  }
  assert.equal(touched.size, 9, [...touched].join(" "));
  // Redraws can repeat the old value (NASRec does not prevent it); most mutations still change.
  assert.ok(unchanged > 0 && unchanged < N / 2, `${unchanged}`);
  const many = mutateArchN(FULL7, createRng(9), 6);
  checkArch(many);
  assert.equal(archKey(mutateArchN(FULL7, createRng(9), 0)), archKey(FULL7));
  assert.throws(() => mutateArchN(FULL7, rng, -1), RangeError);
});

Deno.test("mutationCount decays as floor((G − g) / max(20, G div 5)) + 1", () => {
  assert.equal(mutationCount(0, 240), 6);
  assert.equal(mutationCount(47, 240), 5); // 193 div 48 = 4
  assert.equal(mutationCount(48, 240), 5);
  assert.equal(mutationCount(49, 240), 4);
  assert.equal(mutationCount(239, 240), 1);
  assert.equal(mutationCount(0, 50), 3); // divisor max(20, 10) = 20
  assert.equal(mutationCount(30, 50), 2);
  assert.equal(mutationCount(31, 50), 1);
  assert.equal(mutationCount(0, 10), 1); // under 20 generations: always 1
  assert.throws(() => mutationCount(240, 240), RangeError);
  assert.throws(() => mutationCount(0, 0), RangeError);
});

Deno.test("archKey treats index sets as sets and every other field exactly", () => {
  const perm: NasrecArch = {
    space: "xlarge",
    blocks: FULL7.blocks.map((b) => ({
      macro: {
        denseIdx: [...b.macro.denseIdx].reverse(),
        sparseIdx: [...b.macro.sparseIdx].reverse(),
        denseLeftIdx: b.macro.denseLeftIdx,
        denseRightIdx: b.macro.denseRightIdx,
      },
      micro: { ...b.micro, activeNodes: [...b.micro.activeNodes].reverse() },
    })),
  };
  assert.ok(archsEqual(perm, FULL7));
  assert.equal(archKey(FULL7).split("|")[5], "0,2,3,4;0,1,2,3;3;1;0,5;16;16;0;1");
  assert.match(archKey(FULL7), /^xlarge\|0;0;0;0;2,4;128;64;1;0\|/);
  // Every field matters.
  const edits: Array<(b: NasrecBlock) => NasrecBlock> = [
    (b) => ({ ...b, macro: { ...b.macro, denseIdx: [0, 1, 2] } }),
    (b) => ({ ...b, macro: { ...b.macro, sparseIdx: [0] } }),
    (b) => ({ ...b, macro: { ...b.macro, denseLeftIdx: [0] } }),
    (b) => ({ ...b, macro: { ...b.macro, denseRightIdx: [0] } }),
    (b) => ({ ...b, micro: { ...b.micro, activeNodes: [0, 5] } }),
    (b) => ({ ...b, micro: { ...b.micro, denseInDims: 32 } }),
    (b) => ({ ...b, micro: { ...b.micro, sparseInDims: 64 } }),
    (b) => ({ ...b, micro: { ...b.micro, denseSparseInteract: true } }),
    (b) => ({ ...b, micro: { ...b.micro, deepFm: false } }),
  ];
  const keys = new Set([archKey(FULL7)]);
  for (const edit of edits) {
    keys.add(archKey({ space: "xlarge", blocks: FULL7.blocks.map((b, i) => (i === 2 ? edit(b) : b)) }));
  }
  assert.equal(keys.size, edits.length + 1);
});

Deno.test("functionalKey ignores left/right only where no binary dense node reads them", () => {
  const small: NasrecArch = {
    space: "autoctr",
    blocks: [block([0], [0], 0, 0, [0, 2], 64, 16), block([1], [0, 1], 0, 1, [1, 2], 32, 32)],
  };
  const moved: NasrecArch = {
    space: "autoctr",
    blocks: [small.blocks[0], block([1], [0, 1], 1, 1, [1, 2], 32, 32)],
  };
  assert.notEqual(archKey(small), archKey(moved));
  assert.equal(functionalKey(small), functionalKey(moved));
  // In NASRec-Full block 0 of FULL7 runs sigmoid-gating, so its left/right matter.
  const full2: NasrecArch = {
    space: "xlarge",
    blocks: [FULL7.blocks[0], FULL7.blocks[1]],
  };
  const full2b: NasrecArch = {
    space: "xlarge",
    blocks: [FULL7.blocks[0], {
      ...FULL7.blocks[1],
      macro: { ...FULL7.blocks[1].macro, denseRightIdx: [0] },
    }],
  };
  assert.equal(functionalKey(full2), functionalKey(full2b)); // block 1 is dot-product: unread
  const full2c: NasrecArch = {
    space: "xlarge",
    blocks: [
      FULL7.blocks[0],
      { ...FULL7.blocks[1], micro: { ...FULL7.blocks[1].micro, activeNodes: [3, 5] } },
    ],
  };
  const full2d: NasrecArch = {
    space: "xlarge",
    blocks: [full2c.blocks[0], {
      ...full2c.blocks[1],
      macro: { ...full2c.blocks[1].macro, denseRightIdx: [0] },
    }],
  };
  assert.notEqual(functionalKey(full2c), functionalKey(full2d)); // sum reads them
});

Deno.test("parseArchKey inverts archKey; bad keys name the block and the field", () => {
  for (const seed of [1, 2, 3]) {
    for (const space of ["autoctr", "xlarge"] as const) {
      const a = sampleArch(space, createRng(seed));
      const back = parseArchKey(archKey(a));
      assert.equal(archKey(back), archKey(a));
      assert.equal(back.blocks.length, a.blocks.length);
    }
  }
  assert.equal(archKey(parseArchKey(archKey(FULL7))), archKey(FULL7));
  const one = "autoctr|0;0;0;0;0,2;256;48;1;0";
  assert.deepEqual(parseArchKey(one).blocks[0].micro, {
    activeNodes: [0, 2],
    denseInDims: 256,
    sparseInDims: 48,
    denseSparseInteract: true,
    deepFm: false,
  });
  assert.throws(() => parseArchKey("small|0;0;0;0;0,2;256;48;1;0"), /expected 'xlarge\|…' or 'autoctr\|…'/);
  assert.throws(() => parseArchKey("autoctr"), /at least one block/);
  assert.throws(() => parseArchKey("autoctr|0;0;0;0;0,2;256;48;1"), /block 0 has 8 ';'-separated fields/);
  assert.throws(
    () => parseArchKey("autoctr|0;0;0;0;0,2;250;48;1;0"),
    /block 0 dense_in_dims: expected one of 16/,
  );
  assert.throws(
    () => parseArchKey("autoctr|0;0;0;0;0,x;256;48;1;0"),
    /block 0 active_nodes: expected an integer/,
  );
  assert.throws(
    () => parseArchKey("autoctr|0;0;0;0;0,2;256;48;2;0"),
    /dense_sparse_interact: expected 0 or 1/,
  );
  assert.throws(
    () => parseArchKey(`${one}|0;0,2;0;0;0,2;16;16;0;0`),
    /block 1 sparse_idx: expected indices in 0..1/,
  );
  assert.throws(() => parseArchKey("autoctr|0;0;0;0;0,1;256;48;1;0"), /expected at least one sparse node/);
});

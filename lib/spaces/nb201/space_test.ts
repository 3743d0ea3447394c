import assert from "node:assert/strict";
import { createRng } from "../../rng.ts";
import {
  activeEdges,
  allArchs,
  archFromIndex,
  archIndex,
  archKey,
  formatArch,
  fromNaslib,
  isDisconnected,
  mutateArch,
  NASLIB_OP_CLASSES,
  NASLIB_OPS,
  naslibKey,
  NB201_OPS,
  parseArch,
  parseNaslibKey,
  sampleArch,
  toNaslib,
} from "./space.ts";

const BEST =
  "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|";

Deno.test("parseArch reads ops in edge order and formatArch writes them back", () => {
  assert.deepEqual(parseArch(BEST), [3, 3, 3, 1, 3, 3]);
  const s = "|avg_pool_3x3~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|none~1|nor_conv_3x3~2|";
  assert.deepEqual(parseArch(s), [4, 0, 2, 1, 0, 3]);
  assert.equal(formatArch([4, 0, 2, 1, 0, 3]), s);
  assert.equal(archKey(parseArch(BEST)), BEST);
});

Deno.test("parseArch rejects malformed strings with a SyntaxError", () => {
  const bad = [
    "",
    "|none~0|+|none~0|none~1|",
    "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|+|none~0|",
    "|none~1|+|none~0|none~1|+|none~0|none~1|none~2|",
    "|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|",
    "|none~0|+|none~0|none~1|+|none~0|none~2|none~1|",
    " |none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
    "|none~0|+|none~0|none~1|+|none~0|none~1|none~2",
    "|none|+|none~0|none~1|+|none~0|none~1|none~2|",
    "|none~0||+|none~0|none~1|+|none~0|none~1|none~2|",
  ];
  for (const s of bad) assert.throws(() => parseArch(s), SyntaxError, s);
  assert.throws(() => parseArch("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|"), /unknown op 'conv'/);
});

Deno.test("formatArch validates the tuple", () => {
  assert.throws(() => formatArch([0, 0, 0, 0, 0]), TypeError);
  assert.throws(() => formatArch([0, 0, 0, 0, 0, 5]), RangeError);
  assert.throws(() => formatArch([0, 0, 0, 0, 0, 1.5]), RangeError);
});

Deno.test("NASLib conversion follows NASLib's op and edge order", () => {
  // NASLib: OP_NAMES_NB201 = [skip, none, conv3, conv1, pool], edges (1,2),(1,3),(1,4),(2,3),(2,4),(3,4).
  assert.deepEqual(NASLIB_OPS, ["skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3"]);
  assert.equal(NASLIB_OP_CLASSES[0], "Identity");
  // BEST: node1←0 conv3, node2←0 conv3, node2←1 conv3, node3←0 skip, node3←1 conv3, node3←2 conv3.
  // NASLib order: (1,2)=n1←0 conv3=2, (1,3)=n2←0 conv3=2, (1,4)=n3←0 skip=0, (2,3)=n2←1 conv3=2,
  // (2,4)=n3←1 conv3=2, (3,4)=n3←2 conv3=2.
  assert.deepEqual(toNaslib(parseArch(BEST)), [2, 2, 0, 2, 2, 2]);
  const s = "|avg_pool_3x3~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|none~1|nor_conv_3x3~2|";
  // (1,2)=pool=4, (1,3)=n2←0 none=1, (1,4)=n3←0 skip=0, (2,3)=n2←1 conv1=3, (2,4)=none=1, (3,4)=conv3=2
  assert.deepEqual(toNaslib(parseArch(s)), [4, 1, 0, 3, 1, 2]);
  assert.equal(naslibKey(parseArch(s)), "(4, 1, 0, 3, 1, 2)");
  assert.equal(formatArch(parseNaslibKey("(4, 1, 0, 3, 1, 2)")), s);
  assert.equal(formatArch(parseNaslibKey("[4,1,0,3,1,2]")), s);
  assert.throws(() => parseNaslibKey("(4, 1, 0, 3, 1)"), SyntaxError);
  assert.throws(() => parseNaslibKey("(4, 1, 0, 3, 1, 5)"), SyntaxError);
});

Deno.test("enumeration covers 15,625 distinct archs and all conversions round-trip", () => {
  const all = allArchs();
  assert.equal(all.length, 15625);
  const keys = new Set<string>(), nas = new Set<string>();
  all.forEach((a, i) => {
    assert.equal(archIndex(a), i);
    const k = formatArch(a);
    keys.add(k);
    assert.deepEqual(parseArch(k), a);
    const n = naslibKey(a);
    nas.add(n);
    assert.deepEqual(fromNaslib(toNaslib(a)), a);
    assert.deepEqual(parseNaslibKey(n), a);
  });
  assert.equal(keys.size, 15625);
  assert.equal(nas.size, 15625);
  assert.deepEqual(archFromIndex(0), [0, 0, 0, 0, 0, 0]);
  assert.deepEqual(archFromIndex(15624), [4, 4, 4, 4, 4, 4]);
  assert.deepEqual(archFromIndex(5 * 5 * 5 * 5 * 5 + 2), [1, 0, 0, 0, 0, 2]);
  assert.throws(() => archFromIndex(15625), RangeError);
});

/** Independent check: the 4 input→output paths as edge lists. */
const PATHS = [[3], [0, 4], [1, 5], [0, 2, 5]];

Deno.test("isDisconnected matches path enumeration (341 disconnected archs)", () => {
  let count = 0;
  for (const a of allArchs()) {
    const expected = PATHS.every((p) => p.some((e) => a[e] === 0));
    assert.equal(isDisconnected(a), expected);
    if (expected) count++;
  }
  assert.equal(count, 341);
});

Deno.test("activeEdges are the edges on some all-non-none path", () => {
  for (const a of allArchs()) {
    const expected = new Set<number>();
    for (const p of PATHS) if (p.every((e) => a[e] !== 0)) p.forEach((e) => expected.add(e));
    assert.deepEqual(activeEdges(a), [...expected].sort((x, y) => x - y));
  }
  // node1 has a conv in but nothing out: edge 0 is inactive.
  assert.deepEqual(
    activeEdges(parseArch("|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|")),
    [3],
  );
});

Deno.test("sampleArch is seeded, covers ops uniformly and can skip disconnected archs", () => {
  const a = createRng(7), b = createRng(7);
  const counts = new Array(5).fill(0);
  for (let i = 0; i < 3000; i++) {
    const x = sampleArch(a);
    assert.deepEqual(sampleArch(b), x);
    x.forEach((v) => counts[v]++);
  }
  // 18,000 draws, expected 3600 each; 5 sigma ≈ 270
  for (const c of counts) assert.ok(Math.abs(c - 3600) < 270, `op count ${c}`);
  const r = createRng(1);
  for (let i = 0; i < 2000; i++) assert.equal(isDisconnected(sampleArch(r, { connectedOnly: true })), false);
});

Deno.test("mutateArch changes exactly one edge to a different op, all 24 neighbours reachable", () => {
  const rng = createRng(3);
  const base = parseArch(BEST);
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const m = mutateArch(base, rng);
    const diff = m.map((v, e) => (v !== base[e] ? e : -1)).filter((e) => e >= 0);
    assert.equal(diff.length, 1);
    seen.add(formatArch(m));
  }
  assert.equal(seen.size, 24);
  assert.deepEqual(base, [3, 3, 3, 1, 3, 3]); // input untouched
  assert.equal(NB201_OPS.length, 5);
});

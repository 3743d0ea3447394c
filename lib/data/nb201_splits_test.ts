import assert from "node:assert/strict";
import { checkHalves, loadOfficialSplits, nb201Split, parseSplitFile, seededHalves } from "./nb201_splits.ts";

// Same layout as AutoDL-Projects configs/nas-benchmark/cifar100-test-split.txt (aligned keys, string ints)
const OFFICIAL_STYLE = `{
  "xvalid"             : ["int"   , ["1", "3", "4", "5"]],
  "xtest"              : ["int"   , ["0", "2", "6", "7"]]
}`;

Deno.test("parseSplitFile reads the AutoDL-Projects [type, values] format", () => {
  const s = parseSplitFile(OFFICIAL_STYLE, "cifar100-test-split.txt");
  assert.deepEqual([...s.xvalid], [1, 3, 4, 5]);
  assert.deepEqual([...s.xtest], [0, 2, 6, 7]);
  const mixed = parseSplitFile('{"train": ["int", [0, "2"]], "name": ["str", "x"]}');
  assert.deepEqual(Object.keys(mixed), ["train"]);
  assert.deepEqual([...mixed.train], [0, 2]);
  assert.throws(() => parseSplitFile("{", "f.txt"), /f\.txt: not JSON/);
  assert.throws(() => parseSplitFile('{"a": [1, 2, 3]}', "f.txt"), /'a' is not a \[type, value\] pair/);
  assert.throws(() => parseSplitFile('{"a": ["int", ["1", "x"]]}', "f.txt"), /'a' entry 1 is "x"/);
  assert.throws(() => parseSplitFile('{"a": ["int", ["-1"]]}'), SyntaxError);
});

Deno.test("checkHalves rejects overlap, out-of-range and incomplete cover", () => {
  const a = Int32Array.from([0, 2]), b = Int32Array.from([1, 3]);
  checkHalves(a, b, 4, "x");
  assert.throws(() => checkHalves(a, Int32Array.from([1, 2]), 4, "x"), /index 2 appears twice/);
  assert.throws(() => checkHalves(a, Int32Array.from([1, 4]), 4, "x"), /second half has 4/);
  assert.throws(() => checkHalves(a, Int32Array.from([1]), 4, "x"), /cover 4 items/);
});

Deno.test("seededHalves: disjoint cover, stratified, deterministic", () => {
  const n = 1003;
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 7) % 10);
  const [a, b] = seededHalves(n, 5, labels);
  checkHalves(a, b, n, "halves");
  assert.ok(Math.abs(a.length - b.length) <= 1);
  for (const h of [a, b]) for (let i = 1; i < h.length; i++) assert.ok(h[i] > h[i - 1], "sorted");
  const per = (h: Int32Array) => {
    const c = new Array(10).fill(0);
    h.forEach((i) => c[labels[i]]++);
    return c;
  };
  const pa = per(a), pb = per(b);
  for (let c = 0; c < 10; c++) assert.ok(Math.abs(pa[c] - pb[c]) <= 1, `class ${c}: ${pa[c]} vs ${pb[c]}`);
  assert.deepEqual(seededHalves(n, 5, labels), [a, b]);
  assert.notDeepEqual(seededHalves(n, 6, labels)[0], a);
  const [u, v] = seededHalves(10, 0);
  assert.equal(u.length + v.length, 10);
  assert.throws(() => seededHalves(3, 0, [0, 1]), RangeError);
});

Deno.test("nb201Split sizes per dataset (seeded equivalent)", () => {
  const c10 = nb201Split("cifar10-valid", { trainN: 50000, testN: 10000 });
  assert.equal(c10.source, "seeded");
  assert.equal(c10.seed, 0);
  assert.deepEqual([c10.train.indices.length, c10.valid.indices.length, c10.test.indices.length], [
    25000,
    25000,
    10000,
  ]);
  assert.deepEqual([c10.train.from, c10.valid.from, c10.test.from], ["train", "train", "test"]);
  checkHalves(c10.train.indices, c10.valid.indices, 50000, "cifar10-valid");

  const full = nb201Split("cifar10", { trainN: 50000, testN: 10000 });
  assert.equal(full.train.indices.length, 50000);
  assert.equal(full.test.indices.length, 10000);
  assert.equal(full.valid, full.test);

  const labels = Int32Array.from({ length: 10000 }, (_, i) => i % 100);
  const c100 = nb201Split("cifar100", { trainN: 50000, testN: 10000, labels, seed: 3 });
  assert.deepEqual([c100.train.indices.length, c100.valid.indices.length, c100.test.indices.length], [
    50000,
    5000,
    5000,
  ]);
  assert.deepEqual([c100.valid.from, c100.test.from], ["test", "test"]);
  assert.equal(c100.seed, 3);

  const in16 = nb201Split("ImageNet16-120", { trainN: 151700, testN: 6000 });
  assert.deepEqual([in16.train.indices.length, in16.valid.indices.length, in16.test.indices.length], [
    151700,
    3000,
    3000,
  ]);
  assert.throws(() => nb201Split("cifar10-valid", { trainN: -1, testN: 0 }), RangeError);
});

Deno.test("nb201Split uses official halves when given, and checks them", () => {
  const official = parseSplitFile(OFFICIAL_STYLE);
  const s = nb201Split("cifar100", { trainN: 20, testN: 8, official });
  assert.equal(s.source, "official");
  assert.equal(s.seed, undefined);
  assert.deepEqual([...s.valid.indices], [1, 3, 4, 5]);
  assert.deepEqual([...s.test.indices], [0, 2, 6, 7]);
  assert.throws(() => nb201Split("cifar100", { trainN: 20, testN: 9, official }), /cover 9 items/);
  assert.throws(
    () => nb201Split("cifar10-valid", { trainN: 8, testN: 8, official }),
    /keys 'train' and 'valid'/,
  );
});

Deno.test("loadOfficialSplits returns null when absent and parses the file when present", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(await loadOfficialSplits(dir, "cifar100"), null);
    assert.equal(await loadOfficialSplits(dir, "cifar10"), null);
    await Deno.writeTextFile(`${dir}/cifar100-test-split.txt`, OFFICIAL_STYLE);
    const got = await loadOfficialSplits(dir, "cifar100");
    assert.deepEqual([...got!.xtest], [0, 2, 6, 7]);
    await Deno.writeTextFile(`${dir}/cifar-split.txt`, "not json");
    await assert.rejects(() => loadOfficialSplits(dir, "cifar10-valid"), /cifar-split\.txt: not JSON/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

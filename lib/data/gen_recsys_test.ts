import assert from "node:assert/strict";
import {
  avazuRows,
  criteoRows,
  generateAvazuText,
  generateCriteoText,
  type GeneratedRow,
  generateKdd2012Text,
  kddRows,
  writeLinesAtomic,
} from "./gen_recsys.ts";

/** Mean log loss of predicted probabilities against the sampled labels. */
function logLoss(rows: GeneratedRow[], pred: (r: GeneratedRow) => number): number {
  let s = 0;
  for (const r of rows) {
    const p = Math.min(Math.max(pred(r), 1e-12), 1 - 1e-12);
    s -= r.label ? Math.log(p) : Math.log(1 - p);
  }
  return s / rows.length;
}

const generators = [
  ["criteo", criteoRows, 40],
  ["avazu", avazuRows, 24],
  ["kdd2012", kddRows, 12],
] as const;

for (const [name, rows, fields] of generators) {
  Deno.test(`${name} generator: seeded, ${fields} fields, a planted signal with pairwise interactions`, () => {
    const a = [...rows({ rows: 20000, seed: 3 })];
    const again = [...rows({ rows: 50, seed: 3 })];
    const other = [...rows({ rows: 50, seed: 4 })];
    assert.deepEqual(again.map((r) => r.line), a.slice(0, 50).map((r) => r.line));
    assert.notDeepEqual(other.map((r) => r.line), again.map((r) => r.line));
    for (const r of a.slice(0, 200)) {
      assert.equal(r.line.split(name === "avazu" ? "," : "\t").length, fields);
      assert.ok(r.p > 0 && r.p < 1 && r.pMain > 0 && r.pMain < 1);
    }
    const rate = a.reduce((s, r) => s + r.label, 0) / a.length;
    assert.ok(rate > 0.08 && rate < 0.6, `positive rate ${rate}`);
    // The sampled labels follow the truth: it beats the constant rate and the same model with
    // the pair products dropped. Gaps are many standard errors on 20k rows.
    const full = logLoss(a, (r) => r.p), main = logLoss(a, (r) => r.pMain), constant = logLoss(a, () => rate);
    assert.ok(full < constant - 0.03, `${name}: full ${full} vs constant ${constant}`);
    assert.ok(full < main - 0.03, `${name}: full ${full} vs main-only ${main}`);
  });
}

Deno.test("generator texts: trailing newline, empty when no rows, option checks", () => {
  assert.equal(generateCriteoText({ rows: 0, seed: 1 }), "");
  assert.ok(generateCriteoText({ rows: 2, seed: 1 }).endsWith("\n"));
  assert.equal(generateCriteoText({ rows: 2, seed: 1 }).split("\n").length, 3);
  assert.ok(generateAvazuText({ rows: 1, seed: 1 }).startsWith("id,click,hour,C1,banner_pos,"));
  const k = generateKdd2012Text({ rows: 3, seed: 1, users: 20 });
  assert.equal(k.training.split("\n").length, 4);
  assert.ok(k.userProfile.split("\n").every((l) => l === "" || /^\d+\t[0-2]\t[1-6]$/.test(l)));
  assert.throws(() => generateCriteoText({ rows: -1, seed: 1 }), RangeError);
  assert.throws(() => generateCriteoText({ rows: 1, seed: 1, vocab: 4, signalVocab: 8 }), RangeError);
  // Avazu ids are 64-bit decimals, most beyond 2^53 (the case the reader must hash exactly).
  const ids = [...avazuRows({ rows: 200, seed: 2 })].map((r) => BigInt(r.line.split(",")[0]));
  assert.ok(ids.filter((x) => x > 2n ** 53n).length > 190);
});

Deno.test("writeLinesAtomic: streamed, renamed into place, nothing left on failure", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeLinesAtomic(`${dir}/a.txt`, ["x", "y"]);
    assert.equal(await Deno.readTextFile(`${dir}/a.txt`), "x\ny\n");
    const failing = function* () {
      yield "z".repeat(2 << 20); // flushed to the temporary file first
      throw new Error("generator failed");
    };
    await assert.rejects(() => writeLinesAtomic(`${dir}/a.txt`, failing()), /generator failed/);
    assert.equal(await Deno.readTextFile(`${dir}/a.txt`), "x\ny\n");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["a.txt"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

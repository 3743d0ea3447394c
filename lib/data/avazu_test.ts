import assert from "node:assert/strict";
import { NASREC_AVAZU } from "./recsys_layouts.ts";
import { AVAZU_COLUMNS, AVAZU_SPARSE_FIELDS, readAvazu } from "./avazu.ts";
import { generateAvazuText, writeAvazuFile } from "./gen_recsys.ts";
import type { RecsysData } from "./recsys.ts";

const SAMPLE = new URL("../../../shared/data/avazu/avazu_train_head1000.csv", import.meta.url).pathname;
const hasSample = await Deno.stat(SAMPLE).then(() => true, () => false);

/** NASRec's Avazu rewrite + hashing of one value, independently (strings + BigInt). */
function refIndex(v: string, size: number): number {
  const P = 2147483647n;
  const x = /^-?\d+$/.test(v) ? BigInt(v) : BigInt("0x" + v);
  return Number((((x % P) + P) % P) % BigInt(size - 1)) + 1;
}

function assertRowsMatch(data: RecsysData, lines: string[]) {
  assert.equal(data.n, lines.length);
  for (let i = 0; i < lines.length; i++) {
    const f = lines[i].split(",");
    assert.equal(data.labels[i], Number(f[1]), `row ${i + 1} label`);
    assert.equal(data.dense[i], 0);
    const want = [f[0], ...f.slice(2)].map((v, j) => refIndex(v, data.tableSizes[j]));
    assert.deepEqual(Array.from(data.sparse.subarray(i * 23, i * 23 + 23)), want, `row ${i + 1}`);
  }
}

Deno.test("Avazu layout: 23 sparse fields in NASRec's table order", () => {
  assert.equal(AVAZU_COLUMNS.length, 24);
  assert.equal(AVAZU_SPARSE_FIELDS.length, NASREC_AVAZU.tableSizes.length);
  assert.deepEqual(AVAZU_SPARSE_FIELDS.slice(0, 4), ["id", "hour", "C1", "banner_pos"]);
});

Deno.test({
  name: "readAvazu: the real sample, every row; 64-bit ids and decimal-first values checked by hand",
  ignore: !hasSample,
  fn: async () => {
    const { data, skipped } = await readAvazu(SAMPLE);
    assert.equal(data.n, 1000);
    assert.equal(skipped, 0);
    assert.equal(data.numDense, 1);
    assert.equal(data.numSparse, 23);
    assert.deepEqual(data.tableSizes, NASREC_AVAZU.tableSizes);
    const lines = (await Deno.readTextFile(SAMPLE)).split("\n").filter((l) => l !== "").slice(1);
    assertRowsMatch(data, lines);
    // Row 1 (file line 2), computed with Python: int(v, 10) or int(v, 16), % (2^31 − 1), % (N − 1) + 1.
    // id 1000009418151094273 (> 2^53) → 6281; hour 14102100 → 181; C20 = -1 → 20.
    assert.deepEqual(
      Array.from(data.sparse.subarray(0, 23)),
      [
        6281,
        181,
        5,
        1,
        3033,
        6129,
        26,
        8304,
        518,
        27,
        2514932,
        6110898,
        7771,
        2,
        3,
        2577,
        1,
        6,
        418,
        1,
        36,
        7,
        20,
      ],
    );
    // Row 2: id 10000169349117863715 > 2^63; ≡ 1232789817 mod (2^31 − 1).
    assert.equal(data.sparse[23], (1232789817 % 9999) + 1);
    // File line 15: device_model "04258293" is all digits, so NASRec reads it as decimal 4258293.
    const row = 13, deviceModel = AVAZU_SPARSE_FIELDS.indexOf("device_model");
    assert.equal(lines[row].split(",")[13], "04258293");
    assert.equal(data.sparse[row * 23 + deviceModel], (4258293 % 8251) + 1);
    assert.notEqual(data.sparse[row * 23 + deviceModel], (0x04258293 % 8251) + 1);
    const labels = lines.map((l) => Number(l.split(",")[1]));
    assert.equal(data.labels.reduce((s, y) => s + y, 0), labels.reduce((s, y) => s + y, 0));
  },
});

Deno.test("readAvazu: header, malformed rows (file, line, format), skip and count", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const header = AVAZU_COLUMNS.join(",");
    const good = ["18446744073709551615", "1", "14102100", ...Array(21).fill("1fbe01fe")].join(",");
    await Deno.writeTextFile(`${dir}/nohead.csv`, good + "\n");
    await assert.rejects(
      () => readAvazu(`${dir}/nohead.csv`),
      /nohead\.csv line 1: expected the header 'id,click,hour/,
    );
    const rows = [
      good,
      good.replace(",1,", ",2,"), // bad click
      good + ",7", // 25 fields
      good.replace("14102100", ""), // empty value
      good.replace("14102100", "14.5"), // neither decimal nor hex
    ];
    await Deno.writeTextFile(`${dir}/a.csv`, "\uFEFF" + [header, ...rows].join("\r\n") + "\r\n");
    await assert.rejects(
      () => readAvazu(`${dir}/a.csv`),
      (e: Error) =>
        e instanceof SyntaxError &&
        e.message.startsWith(`Cannot read Avazu file ${dir}/a.csv line 3: expected click 0 or 1, got '2'`) &&
        e.message.includes("(expected 24 comma-separated fields"),
    );
    const cases: [number, string][] = [
      [2, "got 25"],
      [3, "field hour: expected a decimal or hexadecimal value, got ''"],
      [4, "field hour: expected a decimal or hexadecimal value, got '14\\.5'"],
    ];
    for (const [k, what] of cases) {
      await Deno.writeTextFile(`${dir}/b.csv`, [header, good, rows[k]].join("\n"));
      await assert.rejects(() => readAvazu(`${dir}/b.csv`), new RegExp(`line 3: .*${what}`));
    }
    const r = await readAvazu(`${dir}/a.csv`, { onBadRow: "skip" });
    assert.equal(r.skipped, 4);
    assert.equal(r.data.n, 1);
    // 2^64 − 1 ≡ 3 (mod 2^31 − 1) → 3 % 9999 + 1
    assert.equal(r.data.sparse[0], 4);
    assert.equal(r.data.sparse[1], (14102100 % 240) + 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readAvazu: generated file round-trips row by row (capped tables, limit)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeAvazuFile(`${dir}/train.csv`, { rows: 2000, seed: 4 });
    const text = await Deno.readTextFile(`${dir}/train.csv`);
    assert.equal(text, generateAvazuText({ rows: 2000, seed: 4 }));
    const lines = text.trimEnd().split("\n").slice(1);
    const { data } = await readAvazu(`${dir}/train.csv`, { maxRows: 5000 });
    assert.equal(data.tableSizes[0], 5000);
    assert.equal(data.tableSizes[11], 5000);
    assertRowsMatch(data, lines);
    const lim = await readAvazu(`${dir}/train.csv`, { maxRows: 5000, limit: 100 });
    assertRowsMatch(lim.data, lines.slice(0, 100));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

import assert from "node:assert/strict";
import { createRng } from "../rng.ts";
import {
  batchesOf,
  checkRecsysData,
  decOrHexModBytes,
  denseLog,
  hashDecimalOrHex,
  hashHex,
  hexModBytes,
  parseIntBytes,
  positiveRate,
  type RecsysData,
  resolveTableSizes,
  type RowParser,
  scanRecsysFile,
  takeRows,
} from "./recsys.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

/** Python's int(v, 10) (or int(v, 16)) % (2³¹ − 1), computed with BigInt: an independent reference. */
function refModP(v: string): number {
  const P = 2147483647n;
  let x: bigint;
  if (/^[+-]?\d+$/.test(v)) x = BigInt(v);
  else if (/^[+-]?[0-9a-fA-F]+$/.test(v)) {
    x = BigInt("0x" + v.replace(/^[+-]/, ""));
    if (v.startsWith("-")) x = -x;
  } else return -1;
  return Number(((x % P) + P) % P);
}

function tiny(): RecsysData {
  return {
    dataset: "t",
    n: 3,
    numDense: 2,
    numSparse: 1,
    dense: Float32Array.from([1, 2, 3, 4, 5, 6]),
    sparse: Int32Array.from([7, 8, 9]),
    labels: Float32Array.from([0, 1, 1]),
    tableSizes: [10],
  };
}

Deno.test("takeRows / batchesOf / positiveRate / checkRecsysData", () => {
  const d = tiny();
  const t = takeRows(d, [2, 0]);
  assert.deepEqual(Array.from(t.dense), [5, 6, 1, 2]);
  assert.deepEqual(Array.from(t.sparse), [9, 7]);
  assert.deepEqual(Array.from(t.labels), [1, 0]);
  assert.throws(() => takeRows(d, [3]), RangeError);
  const bs = [...batchesOf(d, 2)];
  assert.deepEqual(bs.map((b) => b.n), [2, 1]);
  assert.deepEqual([...batchesOf(d, 2, { dropLast: true })].map((b) => b.n), [2]);
  const sh = [...batchesOf(d, 3, { shuffle: createRng(1) })][0];
  assert.deepEqual(Array.from(sh.sparse).sort(), [7, 8, 9]);
  assert.throws(() => [...batchesOf(d, 0)], RangeError);
  assert.ok(Math.abs(positiveRate(d) - 2 / 3) < 1e-12);
  checkRecsysData(d);
  assert.throws(
    () => checkRecsysData({ ...d, sparse: Int32Array.from([7, 8, 10]) }),
    /field 0 in \[0, 10\): got 10/,
  );
  assert.throws(() => checkRecsysData({ ...d, labels: Float32Array.from([0, 2, 1]) }), RangeError);
  assert.throws(() => checkRecsysData({ ...d, dense: new Float32Array(5) }), TypeError);
});

Deno.test("hashing: exact on 64-bit and longer ids (checked against BigInt), NASRec's rules", () => {
  const rng = createRng(9);
  for (let i = 0; i < 300; i++) {
    const big = ((BigInt(rng.nextUint32()) << 32n) | BigInt(rng.nextUint32())).toString();
    const b = bytes(big);
    assert.equal(decOrHexModBytes(b, 0, b.length), refModP(big), big);
    const h = rng.nextUint32().toString(16) + rng.nextUint32().toString(16);
    const hb = bytes(h);
    assert.equal(decOrHexModBytes(hb, 0, hb.length), refModP(h), h);
    const m = 2 + rng.int(20_000_000);
    assert.equal(hexModBytes(hb, 0, hb.length, m), Number(BigInt("0x" + h) % BigInt(m)), `${h} mod ${m}`);
  }
  // Long values cross the internal reduction points (2⁴⁸ / 2⁴⁹) several times.
  for (let len = 1; len <= 60; len += 7) {
    const dec = Array.from({ length: len }, () => String(rng.int(10))).join("");
    const hx = Array.from({ length: len }, () => rng.int(16).toString(16)).join("") + "a";
    assert.equal(decOrHexModBytes(bytes(dec), 0, len), refModP(dec), dec);
    assert.equal(decOrHexModBytes(bytes("-" + dec), 0, len + 1), refModP("-" + dec), "-" + dec);
    assert.equal(decOrHexModBytes(bytes(hx), 0, hx.length), refModP(hx), hx);
  }
  // Hand-checked: 2^64 − 1 = 18446744073709551615 ≡ 2^64 mod (2^31 − 1) − 1; 2^64 = 2^(31·2 + 2) ≡ 4.
  assert.equal(decOrHexModBytes(bytes("18446744073709551615"), 0, 20), 3);
  // Python's non-negative modulo: -1 % (2^31 − 1) = 2147483646 (Avazu's C20 = -1).
  assert.equal(decOrHexModBytes(bytes("-1"), 0, 2), 2147483646);
  assert.equal(hashDecimalOrHex("-1", 173), (2147483646 % 172) + 1);
  // Decimal first: "04258293" is 4258293, not 0x04258293; "1fbe01fe" is hex.
  assert.equal(hashDecimalOrHex("04258293", 8252), (4258293 % 8251) + 1);
  assert.equal(hashDecimalOrHex("1fbe01fe", 4738), (0x1fbe01fe % 4737) + 1);
  assert.equal(hashDecimalOrHex("", 10), -1);
  assert.equal(hashDecimalOrHex("xyz", 10), -1);
  // Criteo: hex mod (N − 1) + 1, empty → 0, uppercase accepted.
  assert.equal(hashHex("05db9164", 1461), 165);
  assert.equal(hashHex("05DB9164", 1461), 165);
  assert.equal(hashHex("", 1461), 0);
  assert.equal(hashHex("0g", 1461), -1);
  assert.equal(hashHex("ffffffffffffffffffff", 1000), Number((2n ** 80n - 1n) % 999n) + 1);
});

Deno.test("dense parsing and NASRec's log transform", () => {
  assert.equal(parseIntBytes(bytes(""), 0, 0), 0);
  assert.equal(parseIntBytes(bytes("-12"), 0, 3), -12);
  assert.ok(Number.isNaN(parseIntBytes(bytes("1.5"), 0, 3)));
  assert.ok(Number.isNaN(parseIntBytes(bytes("-"), 0, 1)));
  assert.equal(denseLog(-5), 0);
  assert.equal(denseLog(0), 0);
  assert.equal(denseLog(2), Math.fround(Math.log(3)));
  assert.equal(denseLog(123456), Math.log(123457));
});

Deno.test("resolveTableSizes: defaults, cap, explicit sizes, checks", () => {
  assert.deepEqual(resolveTableSizes([5, 2000], {}, "x"), [5, 2000]);
  assert.deepEqual(resolveTableSizes([5, 2000], { maxRows: 1000 }, "x"), [5, 1000]);
  assert.deepEqual(resolveTableSizes([5, 2000], { tableSizes: [3, 4] }, "x"), [3, 4]);
  assert.throws(() => resolveTableSizes([5, 2000], { tableSizes: [3] }, "x"), TypeError);
  assert.throws(() => resolveTableSizes([5, 2000], { tableSizes: [1, 4] }, "x"), RangeError);
  assert.throws(() => resolveTableSizes([5, 2000], { maxRows: 1 }, "x"), RangeError);
});

/** A toy format: "label,value" with value an integer. */
const toy: RowParser = {
  numDense: 1,
  numSparse: 0,
  format: "label,integer",
  parse(buf, s, e, dense, dOff) {
    const comma = buf.indexOf(44, s);
    if (comma < 0 || comma >= e) return "expected a comma";
    const x = parseIntBytes(buf, comma + 1, e);
    if (Number.isNaN(x)) return "expected an integer";
    dense[dOff] = x;
    return buf[s] - 48;
  },
};

async function scanAll(path: string, opts: Partial<Parameters<typeof scanRecsysFile>[2]> = {}) {
  const values: number[] = [], labels: number[] = [], blocks: number[] = [];
  const r = await scanRecsysFile(path, toy, { what: "toy file", ...opts }, (b) => {
    blocks.push(b.n);
    values.push(...b.dense.subarray(0, b.n));
    labels.push(...b.labels.subarray(0, b.n));
  });
  return { r, values, labels, blocks };
}

Deno.test("scanRecsysFile: \\r\\n, no final newline, blank lines, long lines, blocks, limit, progress, errors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const lines = Array.from({ length: 1000 }, (_, i) => `${i % 2},${i}`);
    await Deno.writeTextFile(`${dir}/a.txt`, lines.join("\r\n") + "\r\n\r\n");
    // Tiny chunks force lines across chunk boundaries and a buffer that must grow.
    const a = await scanAll(`${dir}/a.txt`, { chunkBytes: 7, blockRows: 64 });
    assert.deepEqual(a.values, lines.map((_, i) => i));
    assert.deepEqual(a.labels, lines.map((_, i) => i % 2));
    assert.deepEqual(a.blocks, [...Array(15).fill(64), 1000 - 15 * 64]);
    assert.equal(a.r.rows, 1000);
    assert.equal(a.r.bytes, (await Deno.stat(`${dir}/a.txt`)).size);
    await Deno.writeTextFile(`${dir}/b.txt`, "1,5\n\n0,6\r\n1,7");
    assert.deepEqual((await scanAll(`${dir}/b.txt`)).values, [5, 6, 7]);
    const long = "1," + "0".repeat(300) + "7";
    await Deno.writeTextFile(`${dir}/c.txt`, `0,1\n${long}\n1,2`);
    assert.deepEqual((await scanAll(`${dir}/c.txt`, { chunkBytes: 16 })).values, [1, 7, 2]);
    const lim = await scanAll(`${dir}/a.txt`, { limit: 10, chunkBytes: 64 });
    assert.deepEqual(lim.values, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await assert.rejects(() => scanAll(`${dir}/a.txt`, { limit: 2.5 }), RangeError);
    assert.deepEqual((await scanAll(`${dir}/a.txt`, { limit: 0 })).values, []);
    const seen: number[] = [];
    await scanAll(`${dir}/a.txt`, { progressEvery: 300, onProgress: (p) => seen.push(p.rows) });
    assert.deepEqual(seen, [300, 600, 900, 1000]);
    await Deno.writeTextFile(`${dir}/bad.txt`, "1,5\n0,x\n1,7\n");
    await assert.rejects(
      () => scanAll(`${dir}/bad.txt`),
      (e: Error) =>
        e instanceof SyntaxError &&
        e.message ===
          `Cannot read toy file ${dir}/bad.txt line 2: expected an integer (expected label,integer)`,
    );
    const sk = await scanAll(`${dir}/bad.txt`, { onBadRow: "skip" });
    assert.deepEqual(sk.values, [5, 7]);
    assert.equal(sk.r.skipped, 1);
    let header = "";
    const h = await scanAll(`${dir}/b.txt`, { header: (l) => (header = l) });
    assert.equal(header, "1,5");
    assert.deepEqual(h.values, [6, 7]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

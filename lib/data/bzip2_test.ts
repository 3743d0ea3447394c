import assert from "node:assert/strict";
import { bunzip2, bzip2Compress, hasBzip2Cli, isBzip2, readBzip2File } from "./bzip2.ts";
import { createRng } from "../rng.ts";

const cli = await hasBzip2Cli();
const enc = new TextEncoder();

/** `printf 'hello world\n' | bzip2 -9`, captured once so the decoder is tested without the CLI. */
const HELLO = new Uint8Array([
  0x42,
  0x5a,
  0x68,
  0x39,
  0x31,
  0x41,
  0x59,
  0x26,
  0x53,
  0x59,
  0x4e,
  0xec,
  0xe8,
  0x36,
  0x00,
  0x00,
  0x02,
  0x51,
  0x80,
  0x00,
  0x10,
  0x40,
  0x00,
  0x06,
  0x44,
  0x90,
  0x80,
  0x20,
  0x00,
  0x31,
  0x06,
  0x4c,
  0x41,
  0x01,
  0xa7,
  0xa9,
  0xa5,
  0x80,
  0xbb,
  0x94,
  0x31,
  0xf8,
  0xbb,
  0x92,
  0x29,
  0xc2,
  0x84,
  0x82,
  0x77,
  0x67,
  0x41,
  0xb0,
]);
/** `bzip2 -9 < /dev/null`: header, end-of-stream marker, combined CRC 0. */
const EMPTY = new Uint8Array([0x42, 0x5a, 0x68, 0x39, 0x17, 0x72, 0x45, 0x38, 0x50, 0x90, 0, 0, 0, 0]);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function randomBytes(n: number, seed: number): Uint8Array {
  const rng = createRng(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 4) {
    const v = rng.nextUint32();
    for (let k = 0; k < 4 && i + k < n; k++) out[i + k] = (v >>> (8 * k)) & 255;
  }
  return out;
}

/** Text-like data full of runs: exercises the 4-byte run-length stage (runs of 4, 5, 255, 256, 300). */
function repetitiveBytes(n: number, seed: number): Uint8Array {
  const rng = createRng(seed);
  const words = [
    "alpha ",
    "beta ",
    "gamma\n",
    "\0\0\0\0",
    "\xff".repeat(5),
    "x".repeat(255),
    "y".repeat(300),
  ];
  const parts: string[] = [];
  let len = 0;
  while (len < n) {
    const w = rng.choice(words);
    parts.push(w);
    len += w.length;
  }
  const s = parts.join("").slice(0, n);
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

Deno.test("bunzip2: embedded streams (no CLI needed)", () => {
  assert.equal(new TextDecoder().decode(bunzip2(HELLO)), "hello world\n");
  assert.equal(bunzip2(EMPTY).length, 0);
  assert.equal(new TextDecoder().decode(bunzip2(concat(HELLO, EMPTY, HELLO))), "hello world\nhello world\n");
  assert.ok(isBzip2(HELLO));
  assert.ok(!isBzip2(enc.encode("BZh0")));
});

Deno.test("bunzip2: corrupt, truncated, trailing and unsupported input give clear errors", () => {
  assert.throws(() => bunzip2(new Uint8Array(0), { file: "e.bz2" }), /e\.bz2.*empty input/);
  assert.throws(() => bunzip2(enc.encode("PK\x03\x04 not bzip2")), /not a bzip2 stream/);
  // a flipped bit in the data: CRC or Huffman check fails, never silent garbage
  for (const at of [20, 30, 40, 45]) {
    const bad = HELLO.slice();
    bad[at] ^= 0x10;
    assert.throws(() => bunzip2(bad, { file: "bad.bz2" }), (e: Error) => {
      assert.ok(e instanceof SyntaxError, `byte ${at}: ${e}`);
      assert.match(e.message, /^Cannot decompress bzip2 bad\.bz2 near byte \d+: /);
      return true;
    });
  }
  const badCrc = HELLO.slice();
  badCrc[12] ^= 1; // stored block CRC
  assert.throws(() => bunzip2(badCrc), /CRC mismatch in block 0: stored 0x4eece936/);
  const badStreamCrc = HELLO.slice();
  badStreamCrc[HELLO.length - 2] ^= 1;
  assert.throws(() => bunzip2(badStreamCrc), /stream CRC mismatch/);
  for (const n of [4, 10, 20, HELLO.length - 1]) {
    assert.throws(() => bunzip2(HELLO.subarray(0, n)), /truncated|end-of-stream marker/, `cut at ${n}`);
  }
  assert.throws(() => bunzip2(HELLO.subarray(0, 3)), /not a bzip2 stream/);
  assert.throws(() => bunzip2(concat(HELLO, enc.encode("junk"))), /4 bytes after the end of bzip2 stream 1/);
  const randomised = HELLO.slice();
  randomised[14] |= 0x80; // the bit after magic + CRC
  assert.throws(
    () => bunzip2(randomised),
    (e: Error) => e instanceof TypeError && /randomised/.test(e.message),
  );
  assert.throws(() => bunzip2(HELLO, { maxOutputBytes: 5 }), RangeError);
});

Deno.test({
  name: "bunzip2 ≡ system bzip2: empty, text, 1 MB random and repetitive, multi-block, multi-stream",
  ignore: !cli,
  fn: async () => {
    const cases: [string, Uint8Array, number][] = [
      ["empty", new Uint8Array(0), 9],
      ["text", enc.encode("The quick brown fox jumps over the lazy dog.\n".repeat(3)), 9],
      ["one byte", new Uint8Array([0]), 9],
      ["all byte values", Uint8Array.from({ length: 512 }, (_, i) => i & 255), 9],
      ["1 MB random", randomBytes(1 << 20, 1), 9],
      ["1 MB repetitive", repetitiveBytes(1 << 20, 2), 9],
      ["300 kB random, 100k blocks", randomBytes(300_000, 3), 1],
      ["1 MB zeros", new Uint8Array(1 << 20), 9],
    ];
    const timings: string[] = [];
    for (const [name, data, level] of cases) {
      const z = await bzip2Compress(data, level);
      const t0 = performance.now();
      const back = bunzip2(z, { file: name });
      const ms = performance.now() - t0;
      assert.equal(back.length, data.length, name);
      assert.ok(back.every((b, i) => b === data[i]), `${name}: bytes differ`);
      if (data.length >= 1 << 20) {
        timings.push(`${name}: ${(data.length / 1e6 / (ms / 1000)).toFixed(1)} MB/s`);
      }
    }
    console.log(`bunzip2 speed (output MB/s, includes JIT warm-up): ${timings.join("; ")}`);
    // several streams back to back, as `cat a.bz2 b.bz2` makes
    const parts = [
      enc.encode("first\n"),
      randomBytes(150_000, 4),
      new Uint8Array(0),
      repetitiveBytes(1000, 5),
    ];
    const zs = await Promise.all(parts.map((p, i) => bzip2Compress(p, i + 1)));
    assert.deepEqual(bunzip2(concat(...zs)), concat(...parts));
  },
});

Deno.test({
  name: "readBzip2File: reads a file and names it in errors",
  ignore: !cli,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const data = repetitiveBytes(5000, 6);
      await Deno.writeFile(`${dir}/a.bz2`, await bzip2Compress(data));
      assert.deepEqual(await readBzip2File(`${dir}/a.bz2`), data);
      await Deno.writeFile(`${dir}/b.bz2`, data);
      await assert.rejects(() => readBzip2File(`${dir}/b.bz2`), /b\.bz2.*not a bzip2 stream/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

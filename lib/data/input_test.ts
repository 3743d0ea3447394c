import assert from "node:assert/strict";
import { bzip2Compress, hasBzip2Cli } from "./bzip2.ts";
import { generateCriteoText } from "./gen_recsys.ts";
import {
  compressedBytesMessage,
  escapeBytes,
  findInput,
  openInput,
  readInput,
  readTextInput,
  sniffCompression,
} from "./input.ts";
import { createRng } from "../rng.ts";

const enc = new TextEncoder();
const cli = await hasBzip2Cli();

/** `bzip2 -9` of generateCriteoText({ rows: 3, seed: 7 }) (generated data), so bzip2 is tested without the CLI. */
const CRITEO3_BZ2 = Uint8Array.from(
  atob(
    "QlpoOTFBWSZTWadj0K0AAFJJAAAwf+A/AEACHd2KFbhFPU9GmR5FGIqfoZM0TFIRTyM0TTFAip+BMBEjAONTmWd+4zyVWAxCBSeTsA0HATaC52smHnn45+UIe7baFCSzq+qr3GAB0nZl75x+EmEsvBVUwVAYRhZe0T33jfmEaxObGyz6Sl9dHaFfR87VjoDXYeEDE06fdIMA9W64PLbiYoz6urakHhAiRzZDay4CEZLJvc7TltJzFQE5pWl9IA0e0n3dBgBBnOTj56DjE7tJyPej9CsfAHy6SbdC5I8EaQzFbA7FoawX4aZXem0OPWIdXi+MuvnOwI5bigF+FU476FeDFTloBz7s4ghNl0jTHaXmu9C2dxE2SV1N1CG7jPNjc9OPGg6apJRrZlqmLLhgjQG1HquGkIpDS/LZDIh1aeOAfcvnU3esbvPDHDJHpZ74qqQiSjx9SycFux3vblZaoLnfHqB2CdAvChgEWnTKMVdSOK/KN82I4Q7U1i2OxTJYDRpxQUOlxVtz1hF5gao8YNSbsY9NCQI7EDsavhM+/bJRNXVr08XYiEdb0l0nxy5U6SgMLNFoHM8lpFy1+08nG1Tou5IpwoSFOx6FaA==",
  ),
  (c) => c.charCodeAt(0),
);

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const s = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(s).arrayBuffer());
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sigeo-input-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("escapeBytes: printable text as is, other bytes as \\xNN, cut with …", () => {
  assert.equal(escapeBytes(new Uint8Array([0x1f, 0x8b, 0x08, 0x00])), "\\x1f\\x8b\\x08\\x00");
  assert.equal(escapeBytes(enc.encode("\uFEFF0")), "\\xef\\xbb\\xbf0");
  assert.equal(escapeBytes(enc.encode("a\tb\r\n\\")), "a\\tb\\r\\n\\\\");
  assert.equal(escapeBytes(enc.encode("café ünï 東京")), "café ünï 東京");
  // invalid UTF-8: a lone lead byte, an overlong form, a truncated sequence at the end
  assert.equal(
    escapeBytes(new Uint8Array([0xc3, 0x28, 0xc0, 0xaf, 0xe6, 0x9d])),
    "\\xc3(\\xc0\\xaf\\xe6\\x9d",
  );
  assert.equal(escapeBytes(enc.encode("x".repeat(100))), "x".repeat(40) + "…");
  assert.equal(escapeBytes(enc.encode("0123456789"), 2, 5), "234");
  assert.equal(escapeBytes(new Uint8Array(30).fill(0xff), 0, 30, 12), "\\xff\\xff\\xff…");
  // a C1 control and U+2028 are not printed raw
  assert.equal(escapeBytes(enc.encode("\u0085\u2028")), "\\xc2\\x85\\xe2\\x80\\xa8");
});

Deno.test("sniffCompression and compressedBytesMessage recognise gzip, bzip2 and archives", async () => {
  assert.equal(sniffCompression(await gzip(enc.encode("x"))), "gzip");
  assert.equal(sniffCompression(CRITEO3_BZ2), "bzip2");
  assert.equal(sniffCompression(enc.encode("BZh0")), "none");
  assert.equal(sniffCompression(enc.encode("0\t1")), "none");
  assert.match(compressedBytesMessage(CRITEO3_BZ2, "f")!, /bzip2-compressed \(first bytes BZh9\)/);
  assert.match(
    compressedBytesMessage(new Uint8Array([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0]), "f.xz")!,
    /xz -dk f\.xz/,
  );
  assert.equal(compressedBytesMessage(enc.encode("plain"), "f"), null);
});

Deno.test("readInput: plain, gzip and bzip2 files give the same bytes, detected by content", async () => {
  const text = enc.encode(generateCriteoText({ rows: 3, seed: 7 }));
  await withDir(async (dir) => {
    await Deno.writeFile(`${dir}/plain`, text);
    await Deno.writeFile(`${dir}/gz-named-txt.txt`, await gzip(text));
    await Deno.writeFile(`${dir}/bz`, CRITEO3_BZ2);
    for (const [name, c] of [["plain", "none"], ["gz-named-txt.txt", "gzip"], ["bz", "bzip2"]] as const) {
      const r = await readInput(`${dir}/${name}`, { what: "test file", text: true });
      assert.equal(r.compression, c);
      assert.equal(r.bomSkipped, false);
      assert.deepEqual(r.bytes, text, name);
    }
    // streamed reads in odd-sized pieces see the same bytes
    const input = await openInput(`${dir}/gz-named-txt.txt`, { what: "test file" });
    const got: number[] = [];
    const buf = new Uint8Array(7);
    for (let n; (n = await input.read(buf)) !== null;) got.push(...buf.subarray(0, n));
    input.close();
    assert.deepEqual(Uint8Array.from(got), text);
    assert.equal(input.filePosition, (await Deno.stat(`${dir}/gz-named-txt.txt`)).size);
  });
});

Deno.test("readInput: a byte-order mark is skipped in text (and reported), kept in binary", async () => {
  await withDir(async (dir) => {
    await Deno.writeFile(`${dir}/bom.txt`, enc.encode("\uFEFF0\t1\n"));
    const t = await readInput(`${dir}/bom.txt`, { what: "test file", text: true });
    assert.equal(t.bomSkipped, true);
    assert.equal(new TextDecoder().decode(t.bytes), "0\t1\n");
    assert.equal(await readTextInput(`${dir}/bom.txt`, { what: "test file" }), "0\t1\n");
    const b = await readInput(`${dir}/bom.txt`, { what: "test file" });
    assert.equal(b.bomSkipped, false);
    assert.equal(b.bytes.length, 7);
    // a mark inside gzip is skipped too
    await Deno.writeFile(`${dir}/bom.gz`, await gzip(enc.encode("\uFEFFabc")));
    const g = await readInput(`${dir}/bom.gz`, { what: "test file", text: true });
    assert.deepEqual([g.compression, g.bomSkipped, new TextDecoder().decode(g.bytes)], ["gzip", true, "abc"]);
  });
});

Deno.test("readInput: empty files and empty decompressed data are errors naming the file", async () => {
  await withDir(async (dir) => {
    await Deno.writeFile(`${dir}/empty`, new Uint8Array(0));
    await assert.rejects(readInput(`${dir}/empty`, { what: "X file" }), {
      name: "SyntaxError",
      message: `Cannot read X file ${dir}/empty: the file is empty`,
    });
    assert.equal((await readInput(`${dir}/empty`, { what: "X file", allowEmpty: true })).bytes.length, 0);
    await Deno.writeFile(`${dir}/bom-only`, enc.encode("\uFEFF"));
    await assert.rejects(
      readInput(`${dir}/bom-only`, { what: "X file", text: true }),
      /only a byte-order mark/,
    );
    await Deno.writeFile(`${dir}/empty.gz`, await gzip(new Uint8Array(0)));
    await assert.rejects(
      readInput(`${dir}/empty.gz`, { what: "X file" }),
      /empty\.gz: the file decompresses \(gzip\) to no data/,
    );
  });
});

Deno.test("readInput: other compressions and archives are refused with the command that unpacks them", async () => {
  await withDir(async (dir) => {
    const tar = new Uint8Array(1024);
    tar.set(enc.encode("train.txt"), 0);
    tar.set(enc.encode("ustar\u000000"), 257);
    const cases: [string, Uint8Array, RegExp][] = [
      [
        "a.xz",
        new Uint8Array([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0, 1, 2]),
        /xz-compressed .*run `xz -dk .*a\.xz`/,
      ],
      ["a.zip", new Uint8Array([0x50, 0x4b, 3, 4, 20, 0]), /a zip archive .*`unzip .*a\.zip`/],
      ["a.7z", new Uint8Array([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0, 4]), /a 7z archive .*`7z x .*a\.7z`/],
      ["a.zst", new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0]), /zstd-compressed .*`zstd -dk .*a\.zst`/],
      ["a.tar", tar, /a tar archive, not a data file: run `tar -xf .*a\.tar`/],
      ["a.tar.gz", await gzip(tar), /tar archive \(gzip-compressed\).*`tar -xzf .*a\.tar\.gz`/],
    ];
    for (const [name, bytes, re] of cases) {
      await Deno.writeFile(`${dir}/${name}`, bytes);
      await assert.rejects(readInput(`${dir}/${name}`, { what: "Criteo file" }), (e: Error) => {
        assert.equal(e.name, "SyntaxError");
        assert.ok(e.message.startsWith(`Cannot read Criteo file ${dir}/${name}: it is `), e.message);
        assert.match(e.message, re);
        return true;
      });
    }
  });
});

Deno.test("readInput: corrupt, truncated and multi-member gzip give clear errors", async () => {
  const text = enc.encode(generateCriteoText({ rows: 50, seed: 1 }));
  const gz = await gzip(text);
  await withDir(async (dir) => {
    await Deno.writeFile(`${dir}/cut.gz`, gz.subarray(0, gz.length - 20));
    await assert.rejects(
      readInput(`${dir}/cut.gz`, { what: "X file" }),
      /^SyntaxError: Cannot decompress X file .*cut\.gz: the gzip data is truncated or corrupt/,
    );
    const two = new Uint8Array(gz.length * 2);
    two.set(gz);
    two.set(gz, gz.length);
    await Deno.writeFile(`${dir}/two.gz`, two);
    await assert.rejects(
      readInput(`${dir}/two.gz`, { what: "X file" }),
      /bytes follow the first gzip member .*gzip -dc .*two\.gz/,
    );
  });
});

Deno.test("readInput: bzip2 is streamed block by block (multi-block, multi-stream input via the CLI)", {
  ignore: !cli,
}, async () => {
  const rng = createRng(3, 1);
  // ~2.5 MB of low-entropy text: three blocks at level 1
  const lines = Array.from(
    { length: 40000 },
    (_, i) => `${i}\t${rng.int(1000)}\t${"ab".repeat(rng.int(20))}`,
  );
  const text = enc.encode(lines.join("\n") + "\n");
  const bz = await bzip2Compress(text, 1);
  const two = new Uint8Array(bz.length + CRITEO3_BZ2.length);
  two.set(bz);
  two.set(CRITEO3_BZ2, bz.length);
  await withDir(async (dir) => {
    await Deno.writeFile(`${dir}/big.bz2`, two);
    const r = await readInput(`${dir}/big.bz2`, { what: "X file" });
    const c3 = enc.encode(generateCriteoText({ rows: 3, seed: 7 }));
    assert.equal(r.bytes.length, text.length + c3.length);
    assert.deepEqual(r.bytes.subarray(0, text.length), text);
    assert.deepEqual(r.bytes.subarray(text.length), c3);
    await Deno.writeFile(`${dir}/cut.bz2`, bz.subarray(0, bz.length - 100));
    await assert.rejects(
      readInput(`${dir}/cut.bz2`, { what: "X file" }),
      /Cannot decompress bzip2 .*cut\.bz2 near byte \d+: unexpected end of data/,
    );
  });
});

Deno.test("findInput: the plain name, then .gz, then .bz2", async () => {
  await withDir(async (dir) => {
    assert.equal(await findInput(`${dir}/f`), null);
    await Deno.writeFile(`${dir}/f.bz2`, CRITEO3_BZ2);
    assert.equal(await findInput(`${dir}/f`), `${dir}/f.bz2`);
    await Deno.writeFile(`${dir}/f.gz`, new Uint8Array(1));
    assert.equal(await findInput(`${dir}/f`), `${dir}/f.gz`);
    await Deno.writeFile(`${dir}/f`, new Uint8Array(1));
    assert.equal(await findInput(`${dir}/f`), `${dir}/f`);
  });
});

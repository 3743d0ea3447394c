/**
 * The recommender readers on inputs as users have them: compressed files, byte-order marks,
 * empty and foreign files (real samples from ../shared/data when present, generated files always).
 */
import assert from "node:assert/strict";
import { readAvazu } from "./avazu.ts";
import { bzip2Compress, hasBzip2Cli } from "./bzip2.ts";
import { readCriteo } from "./criteo.ts";
import { encodeCifarBin, generateImages } from "./gen_images.ts";
import { generateAvazuText, generateCriteoText, generateKdd2012Text } from "./gen_recsys.ts";
import { readKdd2012 } from "./kdd2012.ts";
import type { RecsysData } from "./recsys.ts";

const enc = new TextEncoder();
const cli = await hasBzip2Cli();
const SHARED = new URL("../../../shared/data/", import.meta.url).pathname;
const sample = (p: string) => Deno.stat(`${SHARED}${p}`).then((s) => s.isFile, () => false);

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const s = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(s).arrayBuffer());
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sigeo-recsys-input-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function assertSame(a: RecsysData, b: RecsysData) {
  assert.equal(a.n, b.n);
  assert.deepEqual(a.dense, b.dense);
  assert.deepEqual(a.sparse, b.sparse);
  assert.deepEqual(a.labels, b.labels);
}

Deno.test("recsys readers: gzip and bzip2 files read directly, detected by content; CRLF + BOM counted", async () => {
  const criteo = enc.encode(generateCriteoText({ rows: 500, seed: 4 }));
  const avazu = enc.encode(generateAvazuText({ rows: 500, seed: 4 }));
  const kdd = generateKdd2012Text({ rows: 300, seed: 4, users: 50 });
  await withDir(async (dir) => {
    await Deno.writeFile(`${dir}/c.txt`, criteo);
    await Deno.writeFile(`${dir}/c.data`, await gzip(criteo)); // the name says nothing
    await Deno.writeFile(`${dir}/a.csv`, avazu);
    await Deno.writeFile(`${dir}/a.csv.gz`, await gzip(avazu));
    await Deno.writeTextFile(`${dir}/t.txt`, kdd.training);
    await Deno.writeFile(`${dir}/t.txt.gz`, await gzip(enc.encode(kdd.training)));
    await Deno.writeTextFile(`${dir}/p.txt`, kdd.userProfile);
    await Deno.writeFile(`${dir}/p.txt.gz`, await gzip(enc.encode("\uFEFF" + kdd.userProfile)));
    const o = { maxRows: 1000 };
    const c0 = await readCriteo(`${dir}/c.txt`, o), c1 = await readCriteo(`${dir}/c.data`, o);
    assert.deepEqual([c0.compression, c1.compression, c1.bomSkipped], ["none", "gzip", 0]);
    assert.equal(c1.data.n, 500);
    assertSame(c1.data, c0.data);
    assert.equal(c1.bytes, (await Deno.stat(`${dir}/c.data`)).size);
    const a0 = await readAvazu(`${dir}/a.csv`, o), a1 = await readAvazu(`${dir}/a.csv.gz`, o);
    assert.equal(a1.compression, "gzip");
    assertSame(a1.data, a0.data);
    const k0 = await readKdd2012({ training: `${dir}/t.txt`, userProfile: `${dir}/p.txt` }, o);
    const k1 = await readKdd2012({ training: `${dir}/t.txt.gz`, userProfile: `${dir}/p.txt.gz` }, o);
    assert.deepEqual([k1.compression, k1.bomSkipped, k1.profileBomSkipped, k1.users], [
      "gzip",
      1,
      1,
      k0.users,
    ]);
    assertSame(k1.data, k0.data);
    // a BOM and CRLF endings (as a Windows editor saves) read the same rows
    const crlf = "\uFEFF" + new TextDecoder().decode(criteo).replaceAll("\n", "\r\n");
    await Deno.writeTextFile(`${dir}/bom.txt`, crlf);
    const b = await readCriteo(`${dir}/bom.txt`, o);
    assert.equal(b.bomSkipped, 1);
    assertSame(b.data, c0.data);
    await Deno.writeTextFile(`${dir}/bom.csv`, "\uFEFF" + new TextDecoder().decode(avazu));
    const ab = await readAvazu(`${dir}/bom.csv`, o);
    assert.equal(ab.bomSkipped, 1);
    assertSame(ab.data, a0.data);
    if (cli) {
      await Deno.writeFile(`${dir}/c.bz2`, await bzip2Compress(criteo));
      const c2 = await readCriteo(`${dir}/c.bz2`, o);
      assert.equal(c2.compression, "bzip2");
      assertSame(c2.data, c0.data);
    }
  });
});

Deno.test({
  name: "recsys readers: the real samples read the same compressed (../shared/data)",
  ignore: !(await sample("criteo/criteo_paddlerec_part0_100.txt")) ||
    !(await sample("avazu/avazu_train_head1000.csv")),
  fn: async () => {
    await withDir(async (dir) => {
      const c = await Deno.readFile(`${SHARED}criteo/criteo_paddlerec_part0_100.txt`);
      await Deno.writeFile(`${dir}/train.txt.gz`, await gzip(c));
      const plain = await readCriteo(`${SHARED}criteo/criteo_paddlerec_part0_100.txt`);
      const gz = await readCriteo(`${dir}/train.txt.gz`);
      assert.deepEqual([plain.data.n, plain.skipped, gz.compression], [100, 0, "gzip"]);
      assertSame(gz.data, plain.data);
      const a = await Deno.readFile(`${SHARED}avazu/avazu_train_head1000.csv`);
      await Deno.writeFile(`${dir}/train.gz`, await gzip(a));
      const ap = await readAvazu(`${SHARED}avazu/avazu_train_head1000.csv`);
      const ag = await readAvazu(`${dir}/train.gz`);
      assert.equal(ap.data.n, 1000);
      assertSame(ag.data, ap.data);
      // the real Avazu file given to the Criteo reader, and the real Criteo file to Avazu's
      await assert.rejects(
        () => readCriteo(`${SHARED}avazu/avazu_train_head1000.csv`, { onBadRow: "skip" }),
        /^SyntaxError: Cannot read Criteo file .*avazu_train_head1000\.csv line 1: .*; the line looks like an Avazu train\.csv header, not a Criteo file/,
      );
      await assert.rejects(
        () => readAvazu(`${SHARED}criteo/criteo_paddlerec_part0_100.txt`),
        /line 1: expected the header 'id,click,hour,.*got '0\\t.*; the line looks like a Criteo train\.txt row/,
      );
    });
  },
});

Deno.test("recsys readers: empty, blank, header-only and all-malformed files are errors naming the file", async () => {
  await withDir(async (dir) => {
    const cases: [string, string | Uint8Array, RegExp][] = [
      ["empty.txt", "", /empty\.txt: the file is empty$/],
      ["bom.txt", "\uFEFF", /bom\.txt: the file holds only a byte-order mark$/],
      ["blank.txt", "\n\r\n\n", /blank\.txt: the file has no records \(only blank lines\)$/],
      ["empty.gz", await gzip(new Uint8Array(0)), /empty\.gz: the file decompresses \(gzip\) to no data$/],
    ];
    for (const [name, content, re] of cases) {
      if (typeof content === "string") await Deno.writeTextFile(`${dir}/${name}`, content);
      else await Deno.writeFile(`${dir}/${name}`, content);
      // (Avazu's reader wants a header on line 1: a blank line 1 fails that check instead)
      for (const read of name === "blank.txt" ? [readCriteo] : [readCriteo, readAvazu]) {
        await assert.rejects(() => read(`${dir}/${name}`), (e: Error) => {
          assert.equal(e.name, "SyntaxError");
          assert.match(e.message, new RegExp(`^Cannot read (Criteo|Avazu) file ${dir}/`));
          assert.match(e.message, re);
          return true;
        });
      }
      await assert.rejects(() => readKdd2012({ training: `${dir}/${name}` }), re);
    }
    await Deno.writeTextFile(`${dir}/head.csv`, generateAvazuText({ rows: 0, seed: 1 }));
    await assert.rejects(
      () => readAvazu(`${dir}/head.csv`),
      /head\.csv: the file has a header line but no records$/,
    );
    await Deno.writeTextFile(`${dir}/bad.txt`, "2\tx\n3\ty\n");
    await assert.rejects(
      () => readCriteo(`${dir}/bad.txt`, { onBadRow: "skip" }),
      /bad\.txt: no valid records, all 2 rows are malformed \(first at line 1: expected label 0 or 1, got .2.; expected 40 tab-separated fields: label/,
    );
    // limit 0 asks for nothing: not an error
    assert.equal((await readCriteo(`${dir}/empty.txt`, { limit: 0 })).data.n, 0);
  });
});

Deno.test("recsys readers: another dataset's file is named from its first record; binary shown escaped", async () => {
  const criteo = generateCriteoText({ rows: 5, seed: 1 });
  const avazu = generateAvazuText({ rows: 5, seed: 1 });
  const kdd = generateKdd2012Text({ rows: 5, seed: 1, users: 5 });
  const criteoTest = criteo.split("\n").map((l) => l.slice(l.indexOf("\t") + 1)).join("\n");
  await withDir(async (dir) => {
    const files: Record<string, string | Uint8Array> = {
      "criteo.txt": criteo,
      "criteo-test.txt": criteoTest,
      "avazu.csv": avazu,
      "avazu-noheader.csv": avazu.slice(avazu.indexOf("\n") + 1),
      "training.txt": kdd.training,
      "profile.txt": kdd.userProfile,
      "cifar.bin": encodeCifarBin(
        generateImages({ n: 2, height: 32, width: 32, classes: 10, seed: 1 }),
        "cifar10",
      ),
    };
    for (const [name, c] of Object.entries(files)) {
      if (typeof c === "string") await Deno.writeTextFile(`${dir}/${name}`, c);
      else await Deno.writeFile(`${dir}/${name}`, c);
    }
    const expect: [(p: string) => Promise<unknown>, string, RegExp][] = [
      [
        (p) => readCriteo(p),
        "avazu.csv",
        /line 1: .*looks like an Avazu train\.csv header, not a Criteo file/,
      ],
      [(p) => readCriteo(p), "avazu-noheader.csv", /looks like an Avazu train\.csv row \(24 comma-separated/],
      [
        (p) => readCriteo(p, { onBadRow: "skip" }),
        "criteo-test.txt",
        /line 1: expected .*; the line looks like a Criteo test\.txt row \(39 fields: no label column\), not a Criteo file/,
      ],
      [(p) => readCriteo(p), "training.txt", /looks like a KDD Cup 2012 training\.txt row/],
      [(p) => readCriteo(p), "profile.txt", /looks like a KDD Cup 2012 userid_profile\.txt row/],
      [
        (p) => readKdd2012({ training: p }),
        "criteo.txt",
        /Cannot read KDD 2012 file .* line 1: expected 12 tab-separated fields, got 40; the line looks like a Criteo train\.txt row/,
      ],
      [
        (p) => readKdd2012({ training: p }),
        "profile.txt",
        /looks like a KDD Cup 2012 userid_profile\.txt row/,
      ],
      [
        (p) => readKdd2012({ training: `${dir}/training.txt`, userProfile: p }),
        "training.txt",
        /Cannot read KDD 2012 profile .*training\.txt line 1: .*looks like a KDD Cup 2012 training\.txt row/,
      ],
      [(p) => readAvazu(p), "criteo.txt", /expected the header .* looks like a Criteo train\.txt row/],
      [(p) => readCriteo(p), "cifar.bin", /looks like binary data, not text \(\\x0/],
    ];
    for (const [read, name, re] of expect) {
      await assert.rejects(() => read(`${dir}/${name}`), (e: Error) => {
        assert.equal(e.name, "SyntaxError", e.message);
        assert.ok(e.message.includes(`${dir}/${name}`), e.message);
        assert.match(e.message, re);
        // deno-lint-ignore no-control-regex
        assert.doesNotMatch(e.message, /[\x00-\x08\x0e-\x1f\x7f]/, "no raw control bytes");
        return true;
      });
    }
  });
});

Deno.test("recsys readers: the issue's faults — gzip mislabelled as text, an invisible BOM, foreign compressions", async () => {
  const criteo = enc.encode(generateCriteoText({ rows: 20, seed: 9 }));
  await withDir(async (dir) => {
    await Deno.writeFile(`${dir}/train.txt`, await gzip(criteo)); // gzip under a .txt name
    assert.equal((await readCriteo(`${dir}/train.txt`)).data.n, 20);
    await Deno.writeFile(`${dir}/bom.txt`, new Uint8Array([0xef, 0xbb, 0xbf, ...criteo]));
    assert.equal((await readCriteo(`${dir}/bom.txt`)).bomSkipped, 1);
    await Deno.writeFile(`${dir}/train.txt.xz`, new Uint8Array([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0, 0, 4]));
    await assert.rejects(
      () => readCriteo(`${dir}/train.txt.xz`),
      /^SyntaxError: Cannot read Criteo file .*train\.txt\.xz: it is xz-compressed \(first bytes \\xfd7zXZ\\x00\), which this reader does not unpack: run `xz -dk .*train\.txt\.xz`/,
    );
    // a field with binary garbage is escaped in the message
    await Deno.writeFile(
      `${dir}/junk.txt`,
      new Uint8Array([...enc.encode("1\t"), 0x1f, 0x8b, 0xff, ...enc.encode("\t".repeat(38) + "\n")]),
    );
    await assert.rejects(
      () => readCriteo(`${dir}/junk.txt`),
      /field I1: expected an integer, got '\\x1f\\x8b\\xff'/,
    );
  });
});

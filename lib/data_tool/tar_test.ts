import assert from "node:assert/strict";
import { extractTar, gzip, readTar, safeMemberName, type TarInput, writeTar } from "./tar.ts";
import { md5Hex } from "./md5.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const streamOf = (b: Uint8Array) => new Blob([b as Uint8Array<ArrayBuffer>]).stream();

async function readAll(bytes: Uint8Array, file = "t.tar") {
  const out: { name: string; type: string; data: Uint8Array }[] = [];
  for await (const m of readTar(streamOf(bytes), file)) {
    const parts: Uint8Array[] = [];
    for await (const c of m.body()) parts.push(c.slice());
    const data = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) (data.set(p, o), o += p.length);
    out.push({ name: m.name, type: m.type, data });
  }
  return out;
}

const MEMBERS: TarInput[] = [
  { name: "top" },
  { name: "top/a.bin", data: Uint8Array.from({ length: 3073 * 3 }, (_, i) => (i * 31) & 255) },
  { name: "top/empty.txt", data: new Uint8Array(0) },
  { name: "top/exact512", data: new Uint8Array(512).fill(9) },
  { name: `top/${"d".repeat(90)}/${"n".repeat(60)}.txt`, data: enc("long name via the ustar prefix\n") },
];

Deno.test("tar: writeTar → readTar round trip (sizes 0, 512, 9219, a prefixed long name)", async () => {
  const tar = writeTar(MEMBERS);
  assert.equal(tar.length % 512, 0);
  const got = await readAll(tar);
  assert.deepEqual(got.map((m) => m.name), MEMBERS.map((m) => m.name));
  assert.deepEqual(got.map((m) => m.type), ["directory", "file", "file", "file", "file"]);
  for (let i = 1; i < MEMBERS.length; i++) assert.deepEqual(got[i].data, MEMBERS[i].data);
});

Deno.test("tar: unread bodies are skipped", async () => {
  const names: string[] = [];
  for await (const m of readTar(streamOf(writeTar(MEMBERS)))) names.push(m.name);
  assert.equal(names.length, MEMBERS.length);
});

Deno.test("tar: a damaged header and an archive cut short are named errors", async () => {
  const tar = writeTar(MEMBERS);
  const bad = tar.slice();
  bad[512 + 3] ^= 0x20; // the second header's name
  await assert.rejects(readAll(bad, "x.tar"), /x\.tar: header at byte 512: checksum/);
  // cut inside the body of top/a.bin (data from byte 1024, 9219 bytes)
  await assert.rejects(
    readAll(tar.subarray(0, 1024 + 5000), "x.tar"),
    /member top\/a\.bin is cut short \(5000 of 9219/,
  );
  await assert.rejects(readAll(tar.subarray(0, 700), "x.tar"), /cut short inside the header at byte 512/);
});

Deno.test("tar: GNU long names and pax paths", async () => {
  // hand-built: an 'L' member carrying the name, then a file whose header name is truncated
  const long = "dir/" + "x".repeat(150) + ".bin";
  const data = enc("payload");
  const base = writeTar([{ name: "placeholder", data }]);
  const mk = (flag: string, body: Uint8Array, name: string) => {
    const t = writeTar([{ name, data: body }]).slice(0, 512 + Math.ceil(body.length / 512) * 512);
    t[156] = flag.charCodeAt(0);
    t.fill(32, 148, 156);
    const sum = t.subarray(0, 512).reduce((a, b) => a + b, 0);
    t.set(enc(sum.toString(8).padStart(6, "0") + "\0 "), 148);
    return t;
  };
  const gnu = new Uint8Array([...mk("L", enc(long + "\0"), "././@LongLink"), ...base]);
  assert.deepEqual((await readAll(gnu)).map((m) => m.name), [long]);
  const rec = (k: string, v: string) => {
    const body = ` ${k}=${v}\n`;
    let n = body.length + 1;
    while (String(n).length + body.length !== n) n++;
    return `${n}${body}`;
  };
  const paxed = new Uint8Array([
    ...mk("x", enc(rec("path", long) + rec("mtime", "1.5")), "PaxHeader"),
    ...base,
  ]);
  const got = await readAll(paxed);
  assert.deepEqual(got.map((m) => [m.name, new TextDecoder().decode(m.data)]), [[long, "payload"]]);
});

Deno.test("tar: names that would escape the folder are refused", async () => {
  for (const n of ["../evil", "a/../../b", "/etc/passwd", "C:/x", "a\\b", ""]) {
    assert.equal(safeMemberName(n), false, n);
  }
  for (const n of ["a", "a/b.bin", "./a", "a..b"]) assert.equal(safeMemberName(n), true, n);
  const dir = await Deno.makeTempDir();
  try {
    const tar = writeTar([{ name: "ok.txt", data: enc("1") }, { name: "../evil.txt", data: enc("2") }]);
    await assert.rejects(
      extractTar(streamOf(tar), `${dir}/out`, { file: "e.tar" }),
      /e\.tar: member '\.\.\/evil\.txt'/,
    );
    await assert.rejects(Deno.stat(`${dir}/evil.txt`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const hasTar = await new Deno.Command("tar", { args: ["--version"], stdout: "null", stderr: "null" }).output()
  .then((o) => o.success, () => false);

Deno.test({
  name: "tar: reads a .tar.gz made by the system tar, and the system tar reads ours",
  ignore: !hasTar,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.mkdir(`${dir}/src/cifar-10-batches-bin`, { recursive: true });
      const a = Uint8Array.from({ length: 3073 * 7 }, (_, i) => (i * 17 + 3) & 255);
      await Deno.writeFile(`${dir}/src/cifar-10-batches-bin/data_batch_1.bin`, a);
      await Deno.writeTextFile(`${dir}/src/cifar-10-batches-bin/batches.meta.txt`, "airplane\n");
      const made = await new Deno.Command("tar", {
        args: ["-czf", `${dir}/sys.tar.gz`, "-C", `${dir}/src`, "cifar-10-batches-bin"],
      }).output();
      assert.ok(made.success);
      const f = await Deno.open(`${dir}/sys.tar.gz`);
      const res = await extractTar(f.readable.pipeThrough(new DecompressionStream("gzip")), `${dir}/out`);
      assert.deepEqual(res.files.sort(), [
        "cifar-10-batches-bin/batches.meta.txt",
        "cifar-10-batches-bin/data_batch_1.bin",
      ]);
      assert.equal(
        md5Hex(await Deno.readFile(`${dir}/out/cifar-10-batches-bin/data_batch_1.bin`)),
        md5Hex(a),
      );
      // and the other way round
      await Deno.writeFile(`${dir}/ours.tar.gz`, await gzip(writeTar(MEMBERS)));
      const list = await new Deno.Command("tar", { args: ["-tzf", `${dir}/ours.tar.gz`] }).output();
      assert.ok(list.success);
      const names = new TextDecoder().decode(list.stdout).trim().split("\n").map((s) => s.replace(/\/$/, ""));
      assert.deepEqual(names, MEMBERS.map((m) => m.name));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

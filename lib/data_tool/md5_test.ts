import assert from "node:assert/strict";
import { Md5, md5File, md5Hex } from "./md5.ts";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("md5: the RFC 1321 test suite", () => {
  const vectors: [string, string][] = [
    ["", "d41d8cd98f00b204e9800998ecf8427e"],
    ["a", "0cc175b9c0f1b6a831c399e269772661"],
    ["abc", "900150983cd24fb0d6963f7d28e17f72"],
    ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
    ["abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"],
    ["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"],
    [
      "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
      "57edf4a22be3c955ac49da2e2107b67a",
    ],
  ];
  for (const [s, want] of vectors) assert.equal(md5Hex(enc(s)), want, JSON.stringify(s));
});

Deno.test("md5: padding edges (55, 56, 63, 64, 65 bytes) and a million 'a's", () => {
  // values from GNU md5sum
  assert.equal(md5Hex(new Uint8Array(55).fill(97)), "ef1772b6dff9a122358552954ad0df65");
  assert.equal(md5Hex(new Uint8Array(56).fill(97)), "3b0c8ac703f828b04c6c197006d17218");
  assert.equal(md5Hex(new Uint8Array(63).fill(97)), "b06521f39153d618550606be297466d5");
  assert.equal(md5Hex(new Uint8Array(64).fill(97)), "014842d480b571495a4a0363793f7367");
  assert.equal(md5Hex(new Uint8Array(65).fill(97)), "c743a45e0d2e6a95cb859adae0248435");
  assert.equal(md5Hex(new Uint8Array(1_000_000).fill(97)), "7707d6ae4e027c70eea2a935c2296f21");
});

Deno.test("md5: any split into updates gives the one-shot digest", () => {
  const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 131 + 7) & 255);
  const want = md5Hex(data);
  for (const cuts of [[1], [63], [64], [65], [3, 70, 200], [999]]) {
    const h = new Md5();
    let prev = 0;
    for (const c of [...cuts, data.length]) {
      h.update(data.subarray(prev, c));
      prev = c;
    }
    assert.equal(h.hex(), want, `cuts ${cuts}`);
  }
  const h = new Md5();
  h.hex();
  assert.throws(() => h.update(new Uint8Array(1)), /after digest/);
  assert.equal(h.reset().update(new TextEncoder().encode("abc")).hex(), "900150983cd24fb0d6963f7d28e17f72");
});

Deno.test("md5: a file, streamed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = Uint8Array.from({ length: (1 << 22) + 1234 }, (_, i) => (i * 7) & 255);
    await Deno.writeFile(`${dir}/f`, data);
    assert.equal(await md5File(`${dir}/f`), md5Hex(data));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const shared = new URL("../../../shared/data/cifar10/batches.meta", import.meta.url);
const hasShared = await Deno.stat(shared).then(() => true, () => false);

Deno.test({
  name: "md5: the real CIFAR-10 batches.meta has torchvision's published MD5",
  ignore: !hasShared,
  fn: async () => {
    assert.equal(await md5File(shared.pathname), "5ff9c542aee3614f3951f8cda6e48888");
  },
});

/**
 * Fuzzing every file reader with seeded mutations of real records (../shared/data samples when
 * present, generated files in the same formats otherwise): each case must end in the reader's own
 * error (naming the file) or a valid result, within a time bound, and a failed cache build must
 * leave no partial cache. Short by default (a few hundred cases per reader); `SIGEO_FUZZ=long`
 * runs thousands per reader with multi-megabyte lines (see data/README.md).
 */
import assert from "node:assert/strict";
import { readTruth, writeTruth } from "../benchmarks/nb201_truth.ts";
import { createRng } from "../rng.ts";
import { readAvazu } from "./avazu.ts";
import { bzip2Compress, hasBzip2Cli } from "./bzip2.ts";
import { readCifarBin, readCifarPython } from "./cifar.ts";
import { readCriteo } from "./criteo.ts";
import { fuzzReader, type FuzzReport, type FuzzTarget } from "./fuzz.ts";
import { encodeCifarBin, encodeCifarPython, encodeImageNet16, generateImages } from "./gen_images.ts";
import { generateAvazuText, generateCriteoText, generateKdd2012Text } from "./gen_recsys.ts";
import { readImageNet16Batch } from "./imagenet16.ts";
import { readInput } from "./input.ts";
import { readKdd2012 } from "./kdd2012.ts";
import { decodeIdx, encodeIdx, generateMnist } from "./mnist.ts";
import { buildRecsysCache } from "./recsys_cache.ts";

const LONG = Deno.env.get("SIGEO_FUZZ") === "long";
const CASES = LONG ? 2000 : 120;
const BIG = LONG ? 2_000_000 : 150_000;
const enc = new TextEncoder();
const cli = await hasBzip2Cli();
const SHARED = new URL("../../../shared/data/", import.meta.url).pathname;
const sample = (p: string) => Deno.readFile(`${SHARED}${p}`).catch(() => null);

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const s = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(s).arrayBuffer());
}

const TEXT_SEPS = [9, 10, 13, 44];

async function targets(dir: string): Promise<FuzzTarget[]> {
  const criteo = await sample("criteo/criteo_paddlerec_part0_100.txt") ??
    enc.encode(generateCriteoText({ rows: 100, seed: 11 }));
  const avazuFull = await sample("avazu/avazu_train_head1000.csv") ??
    enc.encode(generateAvazuText({ rows: 100, seed: 11 }));
  // the header and ~100 rows: enough records, small enough to read thousands of times
  let cut = 0;
  for (let k = 0; k < 101 && cut >= 0; k++) cut = avazuFull.indexOf(10, cut + 1);
  const avazu = cut > 0 ? avazuFull.subarray(0, cut + 1) : avazuFull;
  const kdd = generateKdd2012Text({ rows: 60, seed: 11, users: 20 });
  const kddTraining = await sample("kdd2012/kdd12t2_training_head11.txt") ?? enc.encode(kdd.training);
  const kddProfile = await sample("kdd2012/kdd12t2_userid_profile_head11.txt") ?? enc.encode(kdd.userProfile);
  const goodTraining = `${dir}/good-training.txt`, goodProfile = `${dir}/good-profile.txt`;
  await Deno.writeFile(goodTraining, kddTraining);
  await Deno.writeFile(goodProfile, kddProfile);
  const cifar10 = (await sample("cifar10/cifar10_test_batch_first500.bin"))?.subarray(0, 8 * 3073) ??
    encodeCifarBin(generateImages({ n: 8, classes: 10, seed: 2 }), "cifar10");
  const cifar100 = (await sample("cifar100/cifar100_test_first20.bin"))?.subarray(0, 8 * 3074) ??
    encodeCifarBin(generateImages({ n: 8, classes: 100, seed: 2 }), "cifar100");
  const cifarPy = encodeCifarPython(generateImages({ n: 4, classes: 10, seed: 3 }), "cifar10", "b");
  const inet = encodeImageNet16(generateImages({ n: 4, height: 16, width: 16, classes: 120, seed: 3 }));
  const mnist = generateMnist(6, 4);
  const idx = encodeIdx([mnist.n, mnist.rows, mnist.cols], mnist.images);
  const truthRecords = [
    "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|",
    "|skip_connect~0|+|nor_conv_1x1~0|none~1|+|nor_conv_3x3~0|avg_pool_3x3~1|skip_connect~2|",
  ].flatMap((arch, i) => [
    { arch, dataset: "cifar10", metric: "val_accuracy", value: 90 + i },
    { arch, dataset: "cifar100", metric: "synflow", value: 1.5e3 * (i + 1) },
  ]);
  await writeTruth(`${dir}/t.csv`, truthRecords);
  await writeTruth(`${dir}/t.json`, truthRecords);
  const truthCsv = await Deno.readFile(`${dir}/t.csv`), truthJson = await Deno.readFile(`${dir}/t.json`);

  // Criteo through the cache builder on every 4th case: a failure must leave no partial cache.
  const cacheDir = `${dir}/cache`;
  await Deno.mkdir(cacheDir);
  const cacheEntries = () => [...Deno.readDirSync(cacheDir)].map((e) => e.name);
  let before = 0;
  const bytesOf = async (p: string, what: string) => (await readInput(p, { what })).bytes;
  const list: FuzzTarget[] = [
    {
      name: "criteo",
      base: criteo,
      separators: TEXT_SEPS,
      read: (p, c) => {
        before = cacheEntries().length;
        if (c % 4 === 0) return buildRecsysCache({ dataset: "criteo", path: p }, { cacheDir, maxRows: 1000 });
        return readCriteo(p, { maxRows: 1000, onBadRow: c % 2 ? "skip" : "error" });
      },
      after: (_p, ok) => {
        const now = cacheEntries();
        if (now.some((e) => e.startsWith(".tmp"))) throw new Error(`partial cache left: ${now}`);
        if (!ok && now.length !== before) throw new Error(`a failed build left a cache: ${now}`);
        return Promise.resolve();
      },
    },
    {
      name: "criteo-gzip",
      base: criteo,
      separators: TEXT_SEPS,
      encode: async (b) => {
        const z = await gzip(b);
        // half the cases damage the compressed bytes themselves
        if (b.length % 2 === 0 && z.length > 20) z[10 + (b.length % (z.length - 20))] ^= 0x5a;
        return z;
      },
      read: (p, c) => readCriteo(p, { maxRows: 1000, onBadRow: c % 2 ? "skip" : "error" }),
    },
    {
      name: "avazu",
      base: avazu,
      separators: TEXT_SEPS,
      read: (p, c) => readAvazu(p, { maxRows: 1000, onBadRow: c % 2 ? "skip" : "error" }),
    },
    {
      name: "kdd2012-training",
      base: kddTraining,
      separators: TEXT_SEPS,
      read: (p, c) =>
        readKdd2012({ training: p, userProfile: goodProfile }, {
          maxRows: 1000,
          onBadRow: c % 2 ? "skip" : "error",
        }),
    },
    {
      name: "kdd2012-profile",
      base: kddProfile,
      separators: TEXT_SEPS,
      read: (p, c) =>
        readKdd2012({ training: goodTraining, userProfile: p }, {
          maxRows: 1000,
          onBadRow: c % 2 ? "skip" : "error",
        }),
    },
    {
      name: "cifar10-bin",
      base: cifar10,
      separators: [],
      read: async (p) =>
        readCifarBin(await bytesOf(p, "CIFAR-10 binary file"), { dataset: "cifar10", file: p }),
    },
    {
      name: "cifar100-bin",
      base: cifar100,
      separators: [],
      read: async (p) =>
        readCifarBin(await bytesOf(p, "CIFAR-100 binary file"), { dataset: "cifar100", file: p }),
    },
    {
      name: "cifar10-python",
      base: cifarPy,
      separators: [0x2e, 0x71, 0x55, 0x58, 0x4b],
      read: async (p) =>
        readCifarPython(await bytesOf(p, "CIFAR python file"), { dataset: "cifar10", file: p }),
    },
    {
      name: "imagenet16",
      base: inet,
      separators: [0x2e, 0x71, 0x55, 0x58, 0x4b],
      read: async (p) => readImageNet16Batch(await bytesOf(p, "ImageNet16 file"), p),
    },
    {
      name: "mnist-idx",
      base: idx,
      separators: [0, 0x08],
      read: async (p) => decodeIdx(await bytesOf(p, "MNIST file"), p),
    },
    {
      name: "nb201-truth-csv",
      base: truthCsv,
      separators: TEXT_SEPS,
      suffix: ".csv",
      read: (p) => readTruth(p),
    },
    {
      name: "nb201-truth-json",
      base: truthJson,
      separators: [0x22, 0x2c, 0x3a, 0x7b, 0x7d, 0x5b, 0x5d],
      suffix: ".json",
      read: (p) => readTruth(p),
    },
  ];
  if (cli) {
    list.push({
      name: "avazu-bzip2",
      base: avazu,
      separators: TEXT_SEPS,
      encode: async (b) => {
        const z = await bzip2Compress(b);
        if (b.length % 2 === 0 && z.length > 20) z[10 + (b.length % (z.length - 20))] ^= 0x21;
        return z;
      },
      read: (p) => readAvazu(p, { maxRows: 1000 }),
    });
  }
  return list;
}

Deno.test(`fuzz: every reader ends each of ${CASES} seeded mutations in its own error or a valid result`, async () => {
  const dir = await Deno.makeTempDir({ prefix: "sigeo-fuzz-" });
  try {
    const reports: FuzzReport[] = [];
    const list = await targets(dir);
    for (const [i, t] of list.entries()) {
      const r = await fuzzReader(t, { cases: CASES, rng: createRng(2024, i + 1), dir, bigBytes: BIG });
      reports.push(r);
      if (LONG) {
        console.log(
          `${r.name}: ${r.valid} valid, ${r.errors} errors, ${r.crashes.length} crashes, max ${
            r.maxMs.toFixed(0)
          } ms`,
        );
      }
    }
    const table = reports.map((r) =>
      `${r.name.padEnd(18)} ${String(r.cases).padStart(5)} cases: ${String(r.valid).padStart(5)} valid, ` +
      `${String(r.errors).padStart(5)} errors ${JSON.stringify(r.errorTypes)}; max ${r.maxMs.toFixed(0)} ms`
    );
    console.log(`fuzz (${LONG ? "long" : "short"}):\n  ${table.join("\n  ")}`);
    const crashes = reports.flatMap((r) =>
      r.crashes.map((c) => `${r.name} case ${c.caseNo} [${c.kinds}]: ${c.error}`)
    );
    assert.deepEqual(crashes.slice(0, 20), [], `${crashes.length} crashes`);
    for (const r of reports) {
      assert.ok(r.errors > 0, `${r.name}: no mutation was refused — the fuzzing is not reaching the parser`);
      assert.ok(r.maxMs < (LONG ? 30_000 : 10_000), `${r.name}: slowest case ${r.maxMs.toFixed(0)} ms`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

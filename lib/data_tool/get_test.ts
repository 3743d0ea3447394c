import assert from "node:assert/strict";
import { getDataset } from "./get.ts";
import { ChecksumMismatch, downloadFile, DownloadInterrupted } from "./download.ts";
import { type DatasetSource, findSource } from "./sources.ts";
import { gzip, writeTar } from "./tar.ts";
import { md5Hex } from "./md5.ts";
import { writeCifarTree } from "../data/gen_images.ts";
import { loadCifar } from "../data/cifar.ts";
import { encodeIdx, generateMnist, loadMnist } from "../data/mnist.ts";

interface Route {
  bytes: Uint8Array;
  /** the first request sends this many bytes, then the connection breaks */
  cutAt?: number;
  /** answer 200 with the whole file even to a Range request */
  ignoreRange?: boolean;
}

/** A local HTTP server for the tests: 127.0.0.1, port 0; records every request's path and Range. */
function startServer(routes: Record<string, Route>) {
  const log: { path: string; range: string | null }[] = [];
  const cut = new Set<string>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    const range = req.headers.get("range");
    log.push({ path, range });
    const r = routes[path];
    if (!r) return new Response("not found", { status: 404 });
    const m = range && !r.ignoreRange ? /^bytes=(\d+)-$/.exec(range) : null;
    const from = m ? Number(m[1]) : 0;
    if (from >= r.bytes.length && m) return new Response(null, { status: 416 });
    const body = r.bytes.subarray(from);
    const headers: Record<string, string> = { "content-type": "application/octet-stream" };
    if (m) headers["content-range"] = `bytes ${from}-${r.bytes.length - 1}/${r.bytes.length}`;
    if (r.cutAt !== undefined && !cut.has(path)) {
      cut.add(path);
      const part = body.subarray(0, r.cutAt);
      let sent = false;
      const stream = new ReadableStream<Uint8Array>({
        async pull(c) {
          if (!sent) {
            sent = true;
            c.enqueue(part.slice());
            await new Promise((res) => setTimeout(res, 50));
          } else c.error(new Error("cut"));
        },
      });
      return new Response(stream, { status: m ? 206 : 200, headers });
    }
    headers["content-length"] = String(body.length);
    return new Response(body.slice(), { status: m ? 206 : 200, headers });
  });
  const addr = server.addr as Deno.NetAddr;
  return { url: `http://127.0.0.1:${addr.port}/`, log, close: () => server.shutdown() };
}

async function exists(p: string) {
  return await Deno.stat(p).then(() => true, () => false);
}

/** A generated CIFAR-10 binary archive laid out like the official one. */
async function cifarArchive(tmp: string): Promise<Uint8Array> {
  const dir = await writeCifarTree(`${tmp}/gen`, {
    dataset: "cifar10",
    format: "bin",
    trainN: 50,
    testN: 10,
    seed: 3,
  });
  const members = [{ name: "cifar-10-batches-bin" }] as { name: string; data?: Uint8Array }[];
  for (
    const f of [
      "batches.meta.txt",
      "data_batch_1.bin",
      "data_batch_2.bin",
      "data_batch_3.bin",
      "data_batch_4.bin",
      "data_batch_5.bin",
      "test_batch.bin",
    ]
  ) {
    members.push({ name: `cifar-10-batches-bin/${f}`, data: await Deno.readFile(`${dir}/${f}`) });
  }
  members.push({ name: "cifar-10-batches-bin/readme.html", data: new TextEncoder().encode("<html></html>") });
  return await gzip(writeTar(members));
}

function withMd5(id: string, files: Record<string, Uint8Array>): DatasetSource {
  const s = findSource(id)!;
  return {
    ...s,
    download: {
      ...s.download!,
      files: s.download!.files.map((f) => ({ name: f.name, md5: md5Hex(files[f.name]) })),
    },
  };
}

Deno.test("get: downloads a CIFAR-10 archive from a local server, verifies it and unpacks it where loadCifar reads", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const tgz = await cifarArchive(tmp);
    const srv = startServer({ "/cifar-10-binary.tar.gz": { bytes: tgz } });
    try {
      const root = `${tmp}/raw`;
      const src = withMd5("cifar10", { "cifar-10-binary.tar.gz": tgz });
      const logs: string[] = [];
      const r = await getDataset(src, { root, mirror: srv.url, progress: false, log: (l) => logs.push(l) });
      assert.equal(r.folder, `${root}/cifar-10-batches-bin`);
      assert.deepEqual(await Deno.readFile(`${root}/cifar-10-binary.tar.gz`), tgz);
      const train = await loadCifar(root, { dataset: "cifar10", split: "train" });
      const test = await loadCifar(root, { dataset: "cifar10", split: "test" });
      assert.equal(train.n, 50);
      assert.equal(test.n, 10);
      assert.equal(train.labelNames?.[0], "airplane");
      // same bytes as generated
      assert.deepEqual(
        await Deno.readFile(`${root}/cifar-10-batches-bin/test_batch.bin`),
        await Deno.readFile(`${tmp}/gen/cifar-10-batches-bin/test_batch.bin`),
      );
      // no temporary folder or .part left behind
      const names = [];
      for await (const e of Deno.readDir(root)) names.push(e.name);
      assert.deepEqual(names.sort(), ["cifar-10-batches-bin", "cifar-10-binary.tar.gz"]);
      // a second run downloads nothing
      const before = srv.log.length;
      await getDataset(src, { root, mirror: srv.url, progress: false, log: (l) => logs.push(l) });
      assert.equal(srv.log.length, before);
      assert.match(logs.at(-1)!, /already extracted/);
    } finally {
      await srv.close();
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("get: MNIST's four .gz files land in data/raw/mnist and read with loadMnist", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const tr = generateMnist(30, 1), te = generateMnist(10, 2);
    const files: Record<string, Uint8Array> = {
      "train-images-idx3-ubyte.gz": await gzip(encodeIdx([30, 28, 28], tr.images)),
      "train-labels-idx1-ubyte.gz": await gzip(encodeIdx([30], tr.labels)),
      "t10k-images-idx3-ubyte.gz": await gzip(encodeIdx([10, 28, 28], te.images)),
      "t10k-labels-idx1-ubyte.gz": await gzip(encodeIdx([10], te.labels)),
    };
    const srv = startServer(
      Object.fromEntries(Object.entries(files).map(([k, v]) => [`/mnist/${k}`, { bytes: v }])),
    );
    try {
      const r = await getDataset(withMd5("mnist", files), {
        root: `${tmp}/raw`,
        mirror: `${srv.url}mnist`,
        progress: false,
        log: () => {},
      });
      const set = await loadMnist(r.folder, "train");
      assert.equal(set.n, 30);
      assert.deepEqual(set.labels, tr.labels);
      assert.equal((await loadMnist(r.folder, "test")).n, 10);
    } finally {
      await srv.close();
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("download: a cut-short transfer keeps a .part, and the rerun resumes it with a Range request", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const bytes = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 2654435761) >>> 24);
    const srv = startServer({ "/f.bin": { bytes, cutAt: 120_000 } });
    try {
      const dest = `${tmp}/f.bin`;
      const md5 = md5Hex(bytes);
      await assert.rejects(downloadFile(`${srv.url}f.bin`, dest, { md5 }), (e: Error) => {
        assert.ok(e instanceof DownloadInterrupted, e.message);
        assert.match(e.message, /rerun the same command to resume/);
        return true;
      });
      assert.equal(await exists(dest), false, "nothing under the final name");
      assert.equal((await Deno.stat(`${dest}.part`)).size, 120_000);
      const r = await downloadFile(`${srv.url}f.bin`, dest, { md5 });
      assert.equal(r.resumedFrom, 120_000);
      assert.deepEqual(srv.log.map((l) => l.range), [null, "bytes=120000-"]);
      assert.deepEqual(await Deno.readFile(dest), bytes);
      assert.equal(await exists(`${dest}.part`), false);
    } finally {
      await srv.close();
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("download: a server that ignores Range restarts the file from zero", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const bytes = Uint8Array.from({ length: 50_000 }, (_, i) => i & 255);
    const srv = startServer({ "/g.bin": { bytes, ignoreRange: true } });
    try {
      await Deno.writeFile(`${tmp}/g.bin.part`, new Uint8Array(1000).fill(0xee)); // stale junk
      const r = await downloadFile(`${srv.url}g.bin`, `${tmp}/g.bin`, { md5: md5Hex(bytes) });
      assert.equal(srv.log[0].range, "bytes=1000-");
      assert.equal(r.bytes, 50_000);
      assert.deepEqual(await Deno.readFile(`${tmp}/g.bin`), bytes);
    } finally {
      await srv.close();
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("download: a corrupted archive fails its MD5 and leaves neither the final file nor a .part", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const good = await cifarArchive(tmp);
    const bad = good.slice();
    bad[bad.length >> 1] ^= 0xff;
    const srv = startServer({ "/cifar-10-binary.tar.gz": { bytes: bad } });
    try {
      const root = `${tmp}/raw`;
      const src = withMd5("cifar10", { "cifar-10-binary.tar.gz": good });
      await assert.rejects(
        getDataset(src, { root, mirror: srv.url, progress: false, log: () => {} }),
        (e: Error) => {
          assert.ok(e instanceof ChecksumMismatch);
          assert.match(e.message, new RegExp(`MD5 ${md5Hex(bad)}, expected the published ${md5Hex(good)}`));
          return true;
        },
      );
      assert.equal(await exists(`${root}/cifar-10-binary.tar.gz`), false);
      assert.equal(await exists(`${root}/cifar-10-binary.tar.gz.part`), false);
      assert.equal(await exists(`${root}/cifar-10-batches-bin`), false);
      // the real table: a generated archive is not the official one
      await assert.rejects(
        getDataset(findSource("cifar10")!, { root, mirror: srv.url, progress: false, log: () => {} }),
        /expected the published c32a1d4ab5d03f1284b67883e8d87530/,
      );
    } finally {
      await srv.close();
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("get: an archive that verifies but is cut inside the tar leaves no dataset folder", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const tar = writeTar([{ name: "cifar-10-batches-bin/data_batch_1.bin", data: new Uint8Array(3073 * 4) }]);
    const tgz = await gzip(tar.subarray(0, 512 + 5000));
    const srv = startServer({ "/cifar-10-binary.tar.gz": { bytes: tgz } });
    try {
      const root = `${tmp}/raw`;
      await assert.rejects(
        getDataset(withMd5("cifar10", { "cifar-10-binary.tar.gz": tgz }), {
          root,
          mirror: srv.url,
          progress: false,
          log: () => {},
        }),
        /Cannot extract .*cifar-10-binary\.tar\.gz: .*data_batch_1\.bin is cut short/,
      );
      const names = [];
      for await (const e of Deno.readDir(root)) names.push(e.name);
      assert.deepEqual(names, ["cifar-10-binary.tar.gz"]);
    } finally {
      await srv.close();
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

import assert from "node:assert/strict";
import { writeCriteoFile } from "./data/gen_recsys.ts";

const CLI = new URL("./data_cli.ts", import.meta.url).pathname;

async function run(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--frozen", CLI, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("data CLI: get through SIGEO_DATA_MIRROR refuses a non-official archive (exit 1, nothing left); check exit codes; where", async () => {
  const tmp = await Deno.makeTempDir();
  const body = new TextEncoder().encode("not the CIFAR archive");
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => new Response(body));
  try {
    const port = (server.addr as Deno.NetAddr).port;
    const g = await run(["get", "cifar10", "--root", `${tmp}/raw`], {
      SIGEO_DATA_MIRROR: `http://127.0.0.1:${port}/`,
    });
    assert.equal(g.code, 1, g.stderr);
    assert.match(g.stderr, /expected the published c32a1d4ab5d03f1284b67883e8d87530/);
    const left = [];
    for await (const e of Deno.readDir(`${tmp}/raw`)) left.push(e.name);
    assert.deepEqual(left, []);
    const gated = await run(["get", "avazu"]);
    assert.equal(gated.code, 2);
    assert.match(gated.stderr, /needs a login or a form[\s\S]*kaggle\.com\/c\/avazu-ctr-prediction/);
    await Deno.mkdir(`${tmp}/criteo`);
    await writeCriteoFile(`${tmp}/criteo/train.txt`, { rows: 10, seed: 1 });
    const ok = await run(["check", `${tmp}/criteo`]);
    assert.equal(ok.code, 0, ok.stdout);
    assert.match(ok.stdout, /Criteo file, 10 rows/);
    await Deno.writeTextFile(`${tmp}/criteo/train.txt`, "0\t1\n", { append: true });
    const bad = await run(["check", `${tmp}/criteo`]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /FAULT {2}.*train\.txt line 11: last record/);
    const w = await run(["where", "criteo"]);
    assert.equal(w.code, 0);
    assert.match(w.stdout, /criteo\/train\.txt/);
  } finally {
    await server.shutdown();
    await Deno.remove(tmp, { recursive: true });
  }
});

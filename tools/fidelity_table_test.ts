/**
 * tools/fidelity_table.ts's options: `--proxies` keeps the rows named (registry names with a
 * float64 definition), and a bad name or option is a usage error (exit 2) before any measuring.
 */
import assert from "node:assert/strict";
import { parse } from "./fidelity_table.ts";

const TOOL = new URL("./fidelity_table.ts", import.meta.url).pathname;

Deno.test("fidelity_table: --proxies keeps the rows named; defaults otherwise", () => {
  const { cfg, json, names } = parse(["--proxies", "zen,meco", "--seed", "3"]);
  assert.deepEqual(names, ["zen", "meco"]);
  assert.deepEqual(cfg, { C: 8, N: 2, n: 16, batches: 4, px: 16, seed: 3 });
  assert.equal(json, false);
  assert.equal(parse([]).names, undefined);
  assert.throws(() => parse(["--proxies", "zen,flops"]), /--proxies .*got 'flops'/);
  assert.throws(() => parse(["--proxies"]), /--proxies/);
});

Deno.test("fidelity_table: an unknown proxy is a usage error, exit 2", async () => {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", TOOL, "--proxies", "sigeo-recsys"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(r.stderr);
  assert.equal(r.code, 2, err);
  assert.match(err, /got 'sigeo-recsys'\nusage: deno run -A --frozen tools\/fidelity_table\.ts/);
});

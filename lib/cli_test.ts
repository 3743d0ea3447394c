/**
 * The command line as a user runs it: `reproduce all` at smoke scale writes one completed run
 * folder per experiment; bad arguments exit with status 2 and the usage.
 */
import assert from "node:assert/strict";
import { EXPERIMENTS } from "./experiments/registry.ts";

const CLI = new URL("./cli.ts", import.meta.url).pathname;

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", CLI, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: r.code, out: new TextDecoder().decode(r.stdout), err: new TextDecoder().decode(r.stderr) };
}

Deno.test("cli: unknown experiment and missing arguments exit 2 with the usage", async () => {
  const a = await cli(["reproduce", "nope"]);
  assert.equal(a.code, 2);
  assert.match(a.err, /Unknown experiment 'nope'/);
  const b = await cli(["score"]);
  assert.equal(b.code, 2);
  assert.match(b.err, /score needs at least one --arch, or --model/);
});

Deno.test("cli: reproduce all --scale smoke writes a completed run folder per experiment", async () => {
  const root = await Deno.makeTempDir({ prefix: "sigeo-cli-" });
  try {
    const r = await cli(["reproduce", "all", "--scale", "smoke", "--results", root]);
    assert.equal(r.code, 0, r.err.slice(-2000));
    for (const name of Object.keys(EXPERIMENTS)) {
      const runs = [...Deno.readDirSync(`${root}/${name}/smoke`)];
      assert.equal(runs.length, 1, name);
      const m = JSON.parse(await Deno.readTextFile(`${root}/${name}/smoke/${runs[0].name}/manifest.json`));
      assert.equal(m.status, "completed", name);
      assert.match(r.out, new RegExp(`== ${name} \\(scale: smoke`));
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

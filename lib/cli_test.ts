/**
 * The command line as a user runs it: `reproduce all` at smoke scale writes one completed run
 * folder per experiment; bad arguments exit with status 2 and the usage.
 */
import assert from "node:assert/strict";
import { EXPERIMENTS } from "./experiments/registry.ts";
import { FORWARDED_FLAGS, NOT_FORWARDED } from "./experiments/workers.ts";
import { FLAGS } from "./cli.ts";

const CLI = new URL("./cli.ts", import.meta.url).pathname;

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", CLI, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: r.code, out: new TextDecoder().decode(r.stdout), err: new TextDecoder().decode(r.stderr) };
}

Deno.test("cli: every flag is either forwarded to --workers children or listed as not forwarded", () => {
  const forwarded: readonly string[] = FORWARDED_FLAGS;
  for (const k of Object.keys(FLAGS)) {
    assert.ok(forwarded.includes(k) !== k in NOT_FORWARDED, `--${k}: forwarded or not, exactly one`);
  }
  for (const k of [...forwarded, ...Object.keys(NOT_FORWARDED)]) assert.ok(k in FLAGS, `--${k} is a flag`);
});

Deno.test("cli: unknown experiment and missing arguments exit 2 with the usage", async () => {
  const a = await cli(["reproduce", "nope"]);
  assert.equal(a.code, 2);
  assert.match(a.err, /Unknown experiment 'nope'/);
  const b = await cli(["score"]);
  assert.equal(b.code, 2);
  assert.match(b.err, /score needs at least one --arch, or --model/);
});

Deno.test("cli: bad flags exit 2 with a usage line naming the flag and the expected form, no stack trace", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["reproduce", "nb201-correlation", "--datasets", "criteo"],
      /^Unknown option --datasets: expected one of /,
    ],
    [
      ["score", "--arch", "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", "--batches", "abc"],
      /^--batches 'abc' is not an integer: expected an integer ≥ 1$/,
    ],
    [
      ["score", "--arch", "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", "--C", "4x"],
      /^--C '4x' is not an integer/,
    ],
    [
      ["reproduce", "recsys-search", "--space", "smal"],
      /^--space has unknown 'smal': expected a comma-separated list of autoctr, xlarge, small/,
    ],
    [
      ["reproduce", "quickstart", "--scale", "big"],
      /^--scale 'big' is not known: expected one of smoke, small, paper$/,
    ],
    [
      ["reproduce", "quickstart", "--data", "/nonexistent-sigeo-dir"],
      /^--data '\/nonexistent-sigeo-dir' does not exist: expected an existing folder$/,
    ],
    [["reproduce", "quickstart", "--scale"], /^--scale needs a value: expected one of smoke, small, paper$/],
    [["score", "--arch", "|conv~0|"], /^--arch '\|conv~0\|' is not valid \(Cannot parse NB201 arch/],
    [
      ["reproduce", "nb201-correlation", "--shard", "2/2"],
      /^--shard '2\/2' is not valid \(--shard 2\/2: need 0 ≤ i < n/,
    ],
    [
      ["reproduce", "theory-check", "--shard", "0/2"],
      /^--shard\/--workers split one experiment of nb201-correlation, quickstart, ablations, nb201-search, recsys-search; got theory-check$/,
    ],
    [
      ["reproduce", "nb201-correlation", "--shard", "0/2", "--workers", "2"],
      /^--shard and --workers exclude each other/,
    ],
    [["merge"], /^merge needs the shard run folders\.$/],
  ];
  for (const [args, message] of cases) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
    const [first, ...rest] = r.err.split("\n");
    assert.match(first, message, args.join(" "));
    assert.match(rest.join("\n"), /^Usage:/, args.join(" "));
    assert.doesNotMatch(r.err, /^\s+at /m, "no stack trace");
  }
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

/**
 * The command line as a user runs it: `reproduce all` at smoke scale writes one completed run
 * folder per experiment; bad arguments exit with status 2 and the usage.
 */
import assert from "node:assert/strict";
import { EXPERIMENTS } from "./experiments/registry.ts";
import { FORWARDED_FLAGS, NOT_FORWARDED } from "./experiments/workers.ts";
import { FLAGS, reportFatal } from "./cli.ts";

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
      /^--data '\/nonexistent-sigeo-dir' does not exist: expected an existing file or folder$/,
    ],
    [["reproduce", "quickstart", "--scale"], /^--scale needs a value: expected one of smoke, small, paper$/],
    [["score", "--arch", "|conv~0|"], /^--arch '\|conv~0\|' is not valid \(Cannot parse NB201 arch/],
    [
      ["reproduce", "nb201-correlation", "--shard", "2/2"],
      /^--shard '2\/2' is not valid \(--shard 2\/2: need 0 ≤ i < n/,
    ],
    [
      ["reproduce", "training-check", "--shard", "0/2"],
      /^--shard\/--workers split one experiment of nb201-correlation, quickstart, ablations, theory-check, nb201-search, recsys-search; got training-check$/,
    ],
    [
      ["reproduce", "nb201-correlation", "--shard", "0/2", "--workers", "2"],
      /^--shard and --workers exclude each other/,
    ],
    [["merge"], /^merge needs the shard run folders\.$/],
    [
      ["reproduce", "quickstart", "--data", CLI],
      /^--data '.*cli\.ts' is not a folder: expected an existing folder$/,
    ],
    [
      ["score", "--arch", "autoctr|0;0;0;0;0,2;256;48;1;0"],
      /^--arch 'autoctr.*' is a NASRec arch key: add --space/,
    ],
    [
      ["score", "--space", "nasrec-small", "--arch", "autoctr|0;0;0;0;0,2;250;48;1;0"],
      /^--arch 'autoctr\|0;0;0;0;0,2;250;48;1;0' is not valid \(NASRec arch key: block 0 dense_in_dims: expected one of 16/,
    ],
    [
      ["score", "--space", "nasrec-small", "--arch", "autoctr|0;0;0;0;0,2;256;48"],
      /^--arch '.*' is not valid \(NASRec arch key: block 0 has 7 ';'-separated fields, expected 9/,
    ],
    [
      ["score", "--space", "nasrec-small", "--arch", "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"],
      /^--arch '\|none~0\|.*' is an NB201 cell: with --space give a NASRec arch key$/,
    ],
    [
      ["score", "--space", "nasrec-full", "--arch", "autoctr|0;0;0;0;0,2;256;48;1;0"],
      /^--arch 'autoctr\|.*' is not a xlarge architecture \(--space nasrec-full\)$/,
    ],
    [
      ["score", "--space", "nasrec-tiny", "--arch", "autoctr|0;0;0;0;0,2;256;48;1;0"],
      /^--space has unknown 'nasrec-tiny': expected a comma-separated list of autoctr, xlarge/,
    ],
    [
      ["score", "--space", "small,full", "--arch", "autoctr|0;0;0;0;0,2;256;48;1;0"],
      /^score --space takes one space, got 'small,full'$/,
    ],
    [
      ["score", "--space", "small", "--dataset", "cifar10", "--arch", "autoctr|0;0;0;0;0,2;256;48;1;0"],
      /^No recommender dataset in 'cifar10': expected criteo, avazu, kdd2012/,
    ],
    [["score", "--space", "small"], /^score needs at least one --arch, or --model\.$/],
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

Deno.test("cli: a run's fatal error is its message, no stack unless SIGEO_DEBUG=1", () => {
  const e = new SyntaxError("Cannot parse t.json cifar10/(9): expected '(i, i, i, i, i, i)'");
  assert.equal(
    reportFatal(e, false),
    "error: SyntaxError: Cannot parse t.json cifar10/(9): expected '(i, i, i, i, i, i)'\n(SIGEO_DEBUG=1 shows the stack trace)",
  );
  assert.match(reportFatal(new Error("plain"), false), /^error: plain\n/);
  assert.match(reportFatal(e, true), /^error: SyntaxError: Cannot parse[^\n]*\n\s+at /);
});

Deno.test("cli: reproduce all --plan --json prints one plan per experiment as JSON and creates no run folder", async () => {
  const results = await Deno.makeTempDir();
  try {
    const r = await cli(["reproduce", "all", "--scale", "smoke", "--plan", "--json", "--results", results]);
    assert.equal(r.code, 0, r.err);
    const plans = JSON.parse(r.out) as { experiment: string; scale: string; estimate: { total: number } }[];
    assert.deepEqual(plans.map((p) => p.experiment), Object.keys(EXPERIMENTS));
    for (const p of plans) assert.ok(p.scale === "smoke" && p.estimate.total > 0, JSON.stringify(p.estimate));
    assert.deepEqual([...Deno.readDirSync(results)], []);
    // the terminal form: phases in minutes, nothing run
    const t = await cli(["reproduce", "recsys-search", "--scale", "smoke", "--plan", "--results", results]);
    assert.equal(t.code, 0, t.err);
    assert.match(t.out, /== recsys-search \(scale: smoke\) plan: nothing is run/);
    assert.match(t.out, /criteo-autoctr_warmup\s+[\d.]+ min/);
    assert.deepEqual([...Deno.readDirSync(results)], []);
  } finally {
    await Deno.remove(results, { recursive: true });
  }
});

Deno.test("cli: a small run or plan without its real data exits 2 with the reason and the usage, no stack trace", async () => {
  for (const extra of [["--plan"], ["--results", "/nonexistent-results"]]) {
    const r = await cli(["reproduce", "recsys-search", "--scale", "small", ...extra]);
    assert.equal(r.code, 2, r.err);
    assert.match(
      r.err,
      /^recsys-search at small scale runs on the real Criteo, Avazu and KDD Cup 2012 files: pass --data DIR/,
    );
    assert.match(r.err, /`deno task data where criteo`/);
    assert.match(r.err, /\nUsage:|\nusage:/i);
    assert.doesNotMatch(r.err, /^\s+at /m);
  }
});

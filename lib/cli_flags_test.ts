import assert from "node:assert/strict";
import { checkFlag, FlagError, type FlagSpec, parseFlags } from "./cli_flags.ts";

const SPECS: Record<string, FlagSpec> = {
  help: { type: "boolean", short: "h" },
  scale: { type: "enum", values: ["smoke", "small", "paper"] },
  batches: { type: "integer", min: 1 },
  lr: { type: "number", min: 0 },
  dataset: { type: "list", values: ["cifar10", "criteo"], caseless: true, all: true },
  proxies: { type: "list", values: ["zico", "snip"] },
  data: { type: "path", exists: "dir" },
  model: { type: "path", exists: "file" },
  json: { type: "output" },
  id: { type: "string", pattern: /^\w+$/, form: "letters and digits" },
  arch: { type: "string", multiple: true },
  even: {
    type: "custom",
    form: "an even number",
    check: (v) => {
      if (Number(v) % 2) throw new Error("odd");
    },
  },
};

/** The FlagError message `fn` throws. */
function msg(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof FlagError, String(e));
    return e.message;
  }
  throw new Error("expected a FlagError");
}

const fails = (argv: string[], message: RegExp) =>
  assert.throws(() => parseFlags(argv, SPECS), (e) => e instanceof FlagError && message.test(e.message));

Deno.test("parseFlags: positionals, --k v, --k=v, short aliases, repeats, and -- ending the options", () => {
  const r = parseFlags(
    ["reproduce", "all", "--scale", "small", "--batches=8", "-h", "--arch", "a", "--arch", "b", "--", "--x"],
    SPECS,
  );
  assert.deepEqual(r.positionals, ["reproduce", "all", "--x"]);
  assert.deepEqual(r.values, { scale: "small", batches: 8, help: true, arch: ["a", "b"] });
});

Deno.test("parseFlags: unknown options, missing values and repeated single flags name the flag", () => {
  fails(["--datasets", "criteo"], /^Unknown option --datasets: expected one of --help, --scale/);
  fails(["-x"], /^Unknown option -x/);
  fails(["--scale"], /^--scale needs a value: expected one of smoke, small, paper$/);
  fails(["--batches", "--scale", "smoke"], /^--batches needs a value: expected an integer ≥ 1$/);
  fails(["--scale", "smoke", "--scale", "small"], /^--scale is given twice/);
  fails(["--help=yes"], /^--help takes no value/);
});

Deno.test("checkFlag integer: digits only, within range", () => {
  const spec = SPECS.batches;
  assert.equal(checkFlag("batches", spec, "4"), 4);
  assert.equal(checkFlag("batches", spec, "+12"), 12);
  for (const bad of ["abc", "4x", "1.5", "", "1e3", "0x10"]) {
    assert.match(
      msg(() => checkFlag("batches", spec, bad)),
      new RegExp(`^--batches '${bad}' is not an integer: expected an integer ≥ 1$`),
    );
  }
  assert.match(
    msg(() => checkFlag("batches", spec, "0")),
    /^--batches 0 is too small: expected an integer ≥ 1$/,
  );
});

Deno.test("checkFlag number: finite decimals, within range", () => {
  assert.equal(checkFlag("lr", SPECS.lr, "0.05"), 0.05);
  assert.equal(checkFlag("lr", SPECS.lr, "1e-3"), 0.001);
  for (const bad of ["fast", "", "NaN", "Infinity", "0.1.2"]) {
    assert.match(
      msg(() => checkFlag("lr", SPECS.lr, bad)),
      /^--lr '.*' is not a number: expected a number ≥ 0$/,
    );
  }
  assert.match(msg(() => checkFlag("lr", SPECS.lr, "-1")), /^--lr -1 is too small/);
});

Deno.test("checkFlag enum and list: known names only (lists: case-insensitive, 'all' allowed)", () => {
  assert.equal(checkFlag("scale", SPECS.scale, "paper"), "paper");
  assert.match(
    msg(() => checkFlag("scale", SPECS.scale, "big")),
    /^--scale 'big' is not known: expected one of smoke, small, paper$/,
  );
  assert.equal(checkFlag("dataset", SPECS.dataset, "CIFAR10, criteo"), "CIFAR10, criteo");
  assert.equal(checkFlag("dataset", SPECS.dataset, "all"), "all");
  assert.match(
    msg(() => checkFlag("dataset", SPECS.dataset, "criteo,smal,x")),
    /^--dataset has unknown 'smal', 'x': expected a comma-separated list of cifar10, criteo \(or all\)$/,
  );
  assert.match(msg(() => checkFlag("dataset", SPECS.dataset, ",")), /^--dataset is empty/);
  // a list without `caseless` / `all` takes its names exactly
  assert.equal(checkFlag("proxies", SPECS.proxies, "zico,snip"), "zico,snip");
  assert.match(msg(() => checkFlag("proxies", SPECS.proxies, "ZICO")), /^--proxies has unknown 'ZICO'/);
  assert.match(
    msg(() => checkFlag("proxies", SPECS.proxies, "all")),
    /^--proxies has unknown 'all': expected a comma-separated list of zico, snip$/,
  );
});

Deno.test("checkFlag paths: existing folder or file; outputs need an existing parent folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/f.json`, "{}");
    assert.equal(checkFlag("data", SPECS.data, dir), dir);
    assert.match(
      msg(() => checkFlag("data", SPECS.data, `${dir}/none`)),
      /^--data '.*none' does not exist: expected an existing folder$/,
    );
    assert.match(msg(() => checkFlag("data", SPECS.data, `${dir}/f.json`)), /is not a folder/);
    assert.equal(checkFlag("model", SPECS.model, `${dir}/f.json`), `${dir}/f.json`);
    assert.match(
      msg(() => checkFlag("model", SPECS.model, dir)),
      /^--model '.*' is not a file: expected an existing file$/,
    );
    assert.equal(checkFlag("json", SPECS.json, `${dir}/out.json`), `${dir}/out.json`);
    assert.equal(checkFlag("json", SPECS.json, "out.json"), "out.json");
    assert.match(
      msg(() => checkFlag("json", SPECS.json, `${dir}/no/out.json`)),
      /^--json '.*': folder '.*\/no' does not exist/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkFlag string pattern and custom checks say what was expected", () => {
  assert.equal(checkFlag("id", SPECS.id, "run_1"), "run_1");
  assert.match(
    msg(() => checkFlag("id", SPECS.id, "a/b")),
    /^--id 'a\/b' is not valid: expected letters and digits$/,
  );
  assert.equal(checkFlag("even", SPECS.even, "4"), "4");
  assert.match(
    msg(() => checkFlag("even", SPECS.even, "3")),
    /^--even '3' is not valid \(odd\): expected an even number$/,
  );
});

/**
 * The command line's flags, each with the form its value must have, checked before anything runs:
 * an unknown option, a missing value or a value of the wrong form is a {@link FlagError} naming
 * the flag and the expected form (the CLI prints it with the usage and exits with status 2).
 *
 * @module
 */

/** What a flag's value must look like. */
export type FlagType =
  | { type: "boolean" }
  | { type: "string"; pattern?: RegExp; form?: string }
  | { type: "integer"; min?: number }
  | { type: "number"; min?: number }
  | { type: "enum"; values: readonly string[] }
  /**
   * comma-separated names, each one of `values`; `caseless`: matched lower-cased; `all`: the word
   * "all" stands for every name
   */
  | { type: "list"; values: readonly string[]; caseless?: boolean; all?: boolean }
  /** an existing file, folder, or either */
  | { type: "path"; exists: "file" | "dir" | "any" }
  /** an output path: its parent folder must exist */
  | { type: "output" }
  /** any check of its own: returns the value or throws an Error saying what is wrong */
  | { type: "custom"; form: string; check: (value: string) => unknown };

/** One flag: its type, and whether it may repeat (values gathered in order). */
export type FlagSpec = FlagType & { multiple?: boolean; short?: string };

/** A bad command line: the message names the flag and the expected form. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FlagError";
  }
}

/** The parsed flags (strings as given, integers/numbers as numbers) and the positionals. */
export interface ParsedFlags {
  values: Record<string, string | number | boolean | (string | number)[]>;
  positionals: string[];
}

/** The expected form of a flag's value, for messages. */
export function formOf(spec: FlagType): string {
  switch (spec.type) {
    case "boolean":
      return "no value";
    case "string":
      return spec.form ?? "a value";
    case "integer":
      return spec.min === undefined ? "an integer" : `an integer ≥ ${spec.min}`;
    case "number":
      return spec.min === undefined ? "a number" : `a number ≥ ${spec.min}`;
    case "enum":
      return `one of ${spec.values.join(", ")}`;
    case "list":
      return `a comma-separated list of ${spec.values.join(", ")}${spec.all ? " (or all)" : ""}`;
    case "path":
      return spec.exists === "file"
        ? "an existing file"
        : spec.exists === "dir"
        ? "an existing folder"
        : "an existing file or folder";
    case "output":
      return "a path in an existing folder";
    case "custom":
      return spec.form;
  }
}

function statOf(path: string): Deno.FileInfo | null {
  try {
    return Deno.statSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return null;
    throw e;
  }
}

/** `raw` checked against `spec` (and converted for numbers); a FlagError names `--name`. */
export function checkFlag(name: string, spec: FlagType, raw: string): string | number {
  const bad = (why: string) => new FlagError(`--${name} ${why}: expected ${formOf(spec)}`);
  switch (spec.type) {
    case "boolean":
      throw bad(`takes no value, got '${raw}'`);
    case "string":
      if (spec.pattern && !spec.pattern.test(raw)) throw bad(`'${raw}' is not valid`);
      return raw;
    case "integer": {
      const v = /^[+-]?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(v)) throw bad(`'${raw}' is not an integer`);
      if (spec.min !== undefined && v < spec.min) throw bad(`${v} is too small`);
      return v;
    }
    case "number": {
      const v = raw.trim() === "" ? NaN : Number(raw);
      if (!Number.isFinite(v)) throw bad(`'${raw}' is not a number`);
      if (spec.min !== undefined && v < spec.min) throw bad(`${v} is too small`);
      return v;
    }
    case "enum":
      if (!spec.values.includes(raw)) throw bad(`'${raw}' is not known`);
      return raw;
    case "list": {
      const fold = (v: string) => (spec.caseless ? v.toLowerCase() : v);
      const known = new Set(spec.values.map(fold));
      const items = raw.split(",").map((s) => s.trim()).filter(Boolean);
      if (items.length === 0) throw bad("is empty");
      const unknown = items.filter((s) => !(spec.all && fold(s) === "all") && !known.has(fold(s)));
      if (unknown.length) throw bad(`has unknown ${unknown.map((s) => `'${s}'`).join(", ")}`);
      return raw;
    }
    case "path": {
      const st = statOf(raw);
      if (!st) throw bad(`'${raw}' does not exist`);
      if (spec.exists === "file" && !st.isFile) throw bad(`'${raw}' is not a file`);
      if (spec.exists === "dir" && !st.isDirectory) throw bad(`'${raw}' is not a folder`);
      return raw;
    }
    case "output": {
      const parent = raw.includes("/") ? raw.replace(/\/[^/]*\/?$/, "") || "/" : ".";
      if (!statOf(parent)?.isDirectory) throw bad(`'${raw}': folder '${parent}' does not exist`);
      return raw;
    }
    case "custom":
      try {
        spec.check(raw);
      } catch (e) {
        throw bad(`'${raw}' is not valid (${e instanceof Error ? e.message : String(e)})`);
      }
      return raw;
  }
}

/**
 * Parse `argv` against `specs` (keys are the long names): `--name value`, `--name=value`, a short
 * alias `-h`, and `--` ending the options. Every value is checked with {@link checkFlag}.
 */
export function parseFlags(argv: readonly string[], specs: Readonly<Record<string, FlagSpec>>): ParsedFlags {
  const values: ParsedFlags["values"] = {};
  const positionals: string[] = [];
  const byShort = new Map(
    Object.entries(specs).flatMap(([k, s]) => (s.short ? [[s.short, k] as const] : [])),
  );
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith("--");
    const eq = arg.indexOf("=");
    const key = long ? arg.slice(2, eq > 0 ? eq : undefined) : byShort.get(arg.slice(1)) ?? "";
    const spec = specs[key];
    if (!spec) {
      const shown = long ? `--${key}` : arg;
      throw new FlagError(
        `Unknown option ${shown}: expected one of ${Object.keys(specs).map((k) => `--${k}`).join(", ")}`,
      );
    }
    let raw: string | undefined;
    if (long && eq > 0) raw = arg.slice(eq + 1);
    if (spec.type === "boolean") {
      if (raw !== undefined) checkFlag(key, spec, raw);
      values[key] = true;
      continue;
    }
    if (raw === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("--") && next.length > 2)) {
        throw new FlagError(`--${key} needs a value: expected ${formOf(spec)}`);
      }
      raw = next;
      i++;
    }
    const v = checkFlag(key, spec, raw);
    if (spec.multiple) values[key] = [...((values[key] as (string | number)[] | undefined) ?? []), v];
    else if (key in values) throw new FlagError(`--${key} is given twice: expected it once`);
    else values[key] = v;
  }
  return { values, positionals };
}

/**
 * The experiments' layout: one folder per experiment with its config, computation, report and registry
 * entry (`experiment.ts`) modules, and
 * no experiment importing another — what two experiments share lives in `pipelines/` or beside
 * the registry.
 */
import assert from "node:assert/strict";
import { EXPERIMENTS } from "./registry.ts";
import { importSpecifiers } from "../testing/imports.ts";

const ROOT = new URL("./", import.meta.url).pathname;

/** The folders of lib/experiments/ that hold one experiment each. */
function experimentFolders(): string[] {
  return [...Deno.readDirSync(ROOT)].filter((e) => e.isDirectory && e.name !== "pipelines").map((e) => e.name)
    .sort();
}

/** The .ts files under `dir`, relative to ROOT. */
function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(`${ROOT}${dir}`)) {
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...tsFiles(rel));
    else if (e.name.endsWith(".ts")) out.push(rel);
  }
  return out;
}

/** The relative module specifiers a source text imports or re-exports (static and dynamic). */
export function importsOf(source: string): string[] {
  return importSpecifiers(source).filter((s) => s.startsWith("."));
}

/**
 * The imports from one experiment folder into another: `files` maps a path relative to
 * lib/experiments/ to its source; `folders` are the experiment folders.
 */
export function crossImports(files: Readonly<Record<string, string>>, folders: readonly string[]): string[] {
  const bad: string[] = [];
  for (const [file, source] of Object.entries(files)) {
    const own = file.split("/")[0];
    if (!folders.includes(own)) continue;
    for (const spec of importsOf(source)) {
      const target = new URL(spec, `file:///x/${file}`).pathname.slice(3); // relative to lib/experiments/
      const into = target.split("/")[0];
      if (into !== own && folders.includes(into)) bad.push(`${file} imports ${spec}`);
    }
  }
  return bad;
}

Deno.test("layout: the import check finds every form of import between experiment folders", () => {
  const folders = ["a", "b"];
  assert.deepEqual(
    crossImports({
      "a/run.ts": 'import { x } from "../b/run.ts";\nimport type { T } from "./config.ts";',
      "a/report.ts": 'export { y } from "../b/report.ts";',
      "a/run_test.ts": 'const m = await import("../b/config.ts");',
      "b/run.ts": 'import {\n  z,\n} from "../pipelines/shared.ts";\nimport { s } from "../scale.ts";',
    }, folders),
    [
      "a/run.ts imports ../b/run.ts",
      "a/report.ts imports ../b/report.ts",
      "a/run_test.ts imports ../b/config.ts",
    ],
  );
});

Deno.test("layout: no experiment folder imports another one", () => {
  const folders = experimentFolders();
  const files: Record<string, string> = {};
  for (const f of tsFiles("")) files[f] = Deno.readTextFileSync(`${ROOT}${f}`);
  assert.deepEqual(crossImports(files, folders), []);
  // nor do the shared modules depend on an experiment (only the registry names them)
  const shared = Object.entries(files).filter(([f]) =>
    !folders.includes(f.split("/")[0]) && f !== "registry.ts"
  );
  for (const [f, src] of shared) {
    for (const spec of importsOf(src)) {
      const into = new URL(spec, `file:///x/${f}`).pathname.slice(3).split("/")[0];
      if (f.endsWith("_test.ts") && f.split("/").length === 1) continue; // top-level tests may drive experiments
      assert.ok(!folders.includes(into), `${f} imports ${spec}`);
    }
  }
});

Deno.test("layout: every experiment folder has config.ts and report.ts, every registry entry a folder with experiment.ts", () => {
  const folders = experimentFolders();
  for (const d of folders) {
    for (const f of ["config.ts", "report.ts"]) {
      assert.ok(Deno.statSync(`${ROOT}${d}/${f}`).isFile, `${d}/${f}`);
    }
  }
  for (const name of Object.keys(EXPERIMENTS)) {
    const folder = name.replaceAll("-", "_");
    assert.ok(folders.includes(folder), `no folder for experiment ${name}`);
    assert.ok(Deno.statSync(`${ROOT}${folder}/experiment.ts`).isFile, `${folder}/experiment.ts`);
  }
});

/**
 * The layering of `lib/`, checked on the source: every `.ts` file's imports (`import`, `import type`,
 * `export … from`, and `import("…")` with a literal specifier) are read, and
 *
 * 1. a library file imports only its own folder or a folder of a *lower* layer of {@link LAYERS};
 * 2. no import cycle exists anywhere in `lib/`, type-only imports included;
 * 3. library code never imports tests or test support.
 *
 * **Test support.** Code that only tests use (fixture writers, float64 reference implementations, toy
 * search spaces) lives in a `testing/` folder beside the code it serves, e.g. `lib/proxies/testing/`,
 * `lib/benchmarks/testing/`. It obeys the layers like library code; only `*_test.ts` files and other
 * `testing/` files may import it. Tests (`*_test.ts`) are exempt from rule 1: a test may check its
 * module together with higher-level pieces (kernels through `nn` layers, training on a real supernet),
 * and since nothing imports a test, a test can neither form a cycle nor pull a layer upwards.
 *
 * @module
 */
import assert from "node:assert/strict";
import { importSpecifiers } from "./testing/imports.ts";

/**
 * The layers, lowest first. A folder (`name/`) or top-level file of `lib/` may import its own folder and
 * anything in an earlier row; two entries of the same row do not import each other.
 */
const LAYERS: { units: string[]; why: string }[] = [
  {
    units: ["tf.ts", "rng.ts", "io.ts", "env.ts"],
    why:
      "foundation: the tfjs re-export, the seeded RNG, atomic file writes and environment reading; they import " +
      "nothing of lib/",
  },
  {
    units: ["testing/"],
    why: "test support for tests across lib/ (the import parser): imports nothing of lib/",
  },
  { units: ["kernels/"], why: "CPU/WASM kernels registered into tfjs: they need only tfjs" },
  { units: ["backend.ts"], why: "chooses the tfjs backend and registers the kernels" },
  {
    units: ["report/"],
    why: "tables, plots, manifests and the notebook runner: pure output every layer above may write",
  },
  {
    units: ["data/"],
    why: "dataset readers and generators: files to typed arrays, no networks; vocabulary sizes live here",
  },
  {
    units: ["nn/"],
    why: "the Net and batch contracts (the recommender batch included), layers and parameters",
  },
  {
    units: ["spaces/", "train/"],
    why:
      "NB201 and NASRec networks and cost models built from nn/; training loops over any Net, so neither " +
      "needs the other",
  },
  {
    units: ["proxies/", "benchmarks/"],
    why: "proxies over any Net (SiGeo takes optimizer steps from train/); NB201 ground truth keyed by the " +
      "space's arch strings",
  },
  { units: ["search/"], why: "search strategies over a space interface, adapters to the spaces" },
  { units: ["experiments/"], why: "the paper's runs: everything below wired together" },
  {
    units: ["data_tool/"],
    why:
      "`deno task data get|where|check`: downloads and folder checks through every reader, ground truth included",
  },
  {
    units: ["bench_nasrec.ts"],
    why: "NASRec training throughput (spaces/ nets trained by train/), run by bench.ts",
  },
  {
    units: ["bench_torch.ts"],
    why: "the bench against PyTorch: runs bench.ts and tools/torch_reference.py as child processes",
  },
  {
    units: ["cli_flags.ts"],
    why: "the command line's flag checks, kept apart from cli.ts so they are tested without running anything",
  },
  {
    units: ["cli.ts", "bench.ts", "data_cli.ts"],
    why: "entry points: the command line, the timing script and the data command",
  },
];

const LIB = new URL("./", import.meta.url);

/** Every `.ts` file under `lib/`, as paths relative to it. */
function libFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(new URL(dir, LIB))) {
      if (e.isDirectory) walk(`${dir}${e.name}/`);
      else if (e.isFile && e.name.endsWith(".ts")) out.push(`${dir}${e.name}`);
    }
  };
  walk("");
  return out.sort();
}

/** file → the lib files it imports (relative specifiers only; packages are outside the layering). */
function importGraph(files: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const deps = importSpecifiers(Deno.readTextFileSync(new URL(f, LIB)))
      .filter((s) => s.startsWith("./") || s.startsWith("../"))
      .map((s) => new URL(s, new URL(f, LIB)).href.slice(LIB.href.length));
    graph.set(f, [...new Set(deps)]);
  }
  return graph;
}

/** The layer unit of a lib path: its top folder (`spaces/`) or, at the top level, the file. */
function unitOf(path: string): string {
  const slash = path.indexOf("/");
  return slash < 0 ? path : path.slice(0, slash + 1);
}

const isTest = (f: string) => f.endsWith("_test.ts");
const isTestSupport = (f: string) => f.split("/").slice(0, -1).includes("testing");

/** The layering breaches of a graph, one line each. */
export function layerViolations(graph: Map<string, string[]>): string[] {
  const rank = new Map<string, number>();
  LAYERS.forEach((l, i) => l.units.forEach((u) => rank.set(u, i)));
  const out: string[] = [];
  for (const [file, deps] of graph) {
    const from = unitOf(file);
    if (!rank.has(from) && !isTest(file)) {
      out.push(`${file}: '${from}' is in no layer of LAYERS (add it where it belongs)`);
    }
    for (const dep of deps) {
      const to = unitOf(dep);
      if (!graph.has(dep)) out.push(`${file} imports ${dep}, which is not a .ts file under lib/`);
      if (!isTest(file) && !isTestSupport(file) && (isTest(dep) || isTestSupport(dep))) {
        out.push(`${file} (library code) imports test code ${dep}`);
      }
      if (isTest(file) || from === to || !rank.has(from) || !rank.has(to)) continue;
      if (rank.get(to)! >= rank.get(from)!) {
        out.push(
          `${file} imports ${dep}: '${from}' (layer ${rank.get(from)}) may not import '${to}' (layer ${
            rank.get(to)
          })`,
        );
      }
    }
  }
  return out;
}

/** One cycle per strongly connected component of more than one file (or a self-import), as a chain. */
export function importCycles(graph: Map<string, string[]>): string[][] {
  // Tarjan's algorithm, then a path back to the start inside each component.
  const index = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], onStack = new Set<string>();
  const components: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return components.map((comp) => {
    const inComp = new Set(comp), start = comp[0];
    const prev = new Map<string, string>();
    const queue = [start];
    while (queue.length) {
      const v = queue.shift()!;
      for (const w of graph.get(v) ?? []) {
        if (w === start) {
          const chain = [start];
          for (let u = v; u !== start; u = prev.get(u)!) chain.splice(1, 0, u);
          return [...chain, start];
        }
        if (inComp.has(w) && !prev.has(w)) {
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
    return comp; // unreachable: a component always holds a cycle through its first node
  });
}

Deno.test("importSpecifiers: every static form, literal dynamic imports, nothing from comments or strings", () => {
  const src = [
    `import assert from "node:assert/strict";`,
    `import type { A } from "./a.ts";`,
    `import {`,
    `  b,`,
    `  type C,`,
    `} from '../b.ts';`,
    `import "./side.ts";`,
    `export { d } from "./d.ts";`,
    `export * from "./e.ts";`,
    `export type { F } from "./f.ts";`,
    `// import { no } from "./comment.ts";`,
    `/* export * from "./block.ts"; */`,
    "const code = `",
    `import { no } from "./template.ts";`,
    "${JSON.stringify(`x`)}`;",
    `const s = "import { no } from './string.ts'";`,
    `const re = /"import/;`,
    `const half = 1 / 2, other = 3 / 4;`,
    `export const g = 1;`,
    `const lazy = await import("./lazy.ts"), dyn = await import(name);`,
  ].join("\n");
  assert.deepEqual(importSpecifiers(src), [
    "node:assert/strict",
    "./a.ts",
    "../b.ts",
    "./side.ts",
    "./d.ts",
    "./e.ts",
    "./f.ts",
    "./lazy.ts",
  ]);
});

Deno.test("layerViolations and importCycles catch a wrong-way import, test code in a library and a cycle", () => {
  const graph = new Map<string, string[]>([
    ["data/a.ts", ["spaces/b.ts", "rng.ts"]], // data may not import spaces
    ["spaces/b.ts", ["data/a.ts", "spaces/testing/fix.ts"]], // allowed; a testing/ file from library code is not
    ["spaces/testing/fix.ts", ["spaces/b.ts"]],
    ["spaces/b_test.ts", ["experiments/x.ts"]], // tests may import anything
    ["experiments/x.ts", ["experiments/x.ts"]], // a self-import is a cycle
    ["rng.ts", []],
    ["weird/y.ts", []],
  ]);
  assert.deepEqual(layerViolations(graph), [
    "data/a.ts imports spaces/b.ts: 'data/' (layer 5) may not import 'spaces/' (layer 7)",
    "spaces/b.ts (library code) imports test code spaces/testing/fix.ts",
    "weird/y.ts: 'weird/' is in no layer of LAYERS (add it where it belongs)",
  ]);
  assert.deepEqual(importCycles(graph), [
    ["data/a.ts", "spaces/b.ts", "data/a.ts"],
    ["experiments/x.ts", "experiments/x.ts"],
  ]);
});

Deno.test("lib/ imports point down the layers only and hold no cycle", () => {
  const files = libFiles();
  assert.ok(files.length > 100, `expected the lib/ sources, found ${files.length} files`);
  const graph = importGraph(files);
  const violations = layerViolations(graph);
  const cycles = importCycles(graph).map((c) => c.join(" → "));
  assert.deepEqual(
    { violations, cycles },
    { violations: [], cycles: [] },
    [...violations, ...cycles.map((c) => `cycle: ${c}`)].join("\n"),
  );
});

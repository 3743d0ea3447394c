/**
 * The repository must explain itself: a user's clone has only what is committed, so no source,
 * script or page may point at files outside it (the folder beside the clone where the project's
 * private notes lived, the notes' file names, absolute paths of the machines it was written on),
 * and every citation of a `docs/*.md` page — and every relative Markdown link — must resolve,
 * down to the cited section when one is named (`docs/<page>.md §2.1`, `docs/<page>.md "Heading"`,
 * `<page>.md#slug`).
 *
 * One exception, by the project's rule: the optional folder of real data samples beside the clone
 * (`../shared/data/…`), which tests read when it exists and skip cleanly when it does not.
 *
 * Each offence is printed as `file:line: what`.
 *
 * @module
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

/** What is scanned: these folders (recursively) and files, relative to the repository root. */
export const SCANNED_DIRS = ["lib", "tools", "notebooks", "docs"] as const;
export const SCANNED_FILES = ["README.md", "data/README.md", "data/paper/README.md"] as const;
const EXTENSIONS = [".ts", ".py", ".md", ".ipynb", ".c"];
const SKIPPED_DIRS = new Set(["node_modules", "results", ".git"]);

// Built from pieces so that this file does not match its own patterns.
const SHARED = "sha" + "red";
const NOTE_NAMES = [
  "DES" + "IGN.md",
  "STY" + "LE.md",
  "sigeo-" + "paper.md",
  "reference-" + "implementations",
  "toolchain" + "[- ]findings",
  "research" + " notes",
  "(?<![\\w-])research" + "/",
];
/** Patterns that name a place outside the repository, with the reason printed. */
const OUTSIDE: Array<{ re: RegExp; why: string }> = [
  // the folder beside the clone (at any depth of `..`), unless it is the optional data-samples folder
  { re: new RegExp(`(?:\\.\\./)+${SHARED}(?!/data\\b)`), why: "path outside the repository" },
  {
    re: new RegExp(`(?<![\\w.])/${"wo" + "rk"}/`),
    why: "absolute path of the machine the code was written on",
  },
  { re: new RegExp(`(?:${NOTE_NAMES.join("|")})`, "i"), why: "cites notes that are not in the repository" },
];

/** One reference that fails. */
export interface Offence {
  file: string;
  line: number;
  message: string;
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");
}

/** The headings of a Markdown text outside code fences: their text, anchors and section numbers. */
export function headings(md: string): { texts: string[]; anchors: Set<string>; numbers: Set<string> } {
  const texts: string[] = [];
  const anchors = new Set<string>();
  const numbers = new Set<string>();
  const seen = new Map<string, number>();
  let fence = false;
  for (const line of md.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    const m = fence ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const text = m[1];
    const plain = text.replace(/`/g, "").toLowerCase();
    texts.push(plain, plain.replace(/^\d+(?:\.\d+)*\.?\s+/, ""));
    const base = slug(text);
    const k = seen.get(base) ?? 0;
    seen.set(base, k + 1);
    anchors.add(k === 0 ? base : `${base}-${k}`);
    const num = /^(\d+(?:\.\d+)*)\.?\s/.exec(text);
    if (num) numbers.add(num[1]);
  }
  return { texts, anchors, numbers };
}

/** Reads a repository file as text, or null when it does not exist. */
export type ReadFile = (repoPath: string) => string | null;

/** `a/b/../c` → `a/c`; null when it climbs above the root. */
function normalize(path: string): string | null {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length === 0) return null;
      out.pop();
    } else out.push(part);
  }
  return out.join("/");
}

function dirOf(repoPath: string): string {
  const i = repoPath.lastIndexOf("/");
  return i < 0 ? "" : repoPath.slice(0, i);
}

/**
 * The offences of one file (`file` relative to the repository root): references outside the
 * repository, citations of missing `docs/*.md` pages or sections, and (Markdown) relative links
 * to missing files or anchors.
 */
export function findOffences(file: string, text: string, read: ReadFile): Offence[] {
  const out: Offence[] = [];
  const lines = text.split("\n");
  const isMd = file.endsWith(".md");
  let fence = false;
  const docsCache = new Map<string, ReturnType<typeof headings> | null>();
  const docHeadings = (p: string) => {
    if (!docsCache.has(p)) {
      const t = read(p);
      docsCache.set(p, t === null ? null : headings(t));
    }
    return docsCache.get(p)!;
  };
  lines.forEach((line, i) => {
    const at = (message: string) => out.push({ file, line: i + 1, message });
    for (const { re, why } of OUTSIDE) {
      const m = re.exec(line);
      if (m) at(`${why}: '${m[0]}'`);
    }
    // citations of the project's docs pages, with an optional section after them
    for (
      const m of line.matchAll(
        /(?<![\w/.-])docs\/([\w-]+\.md)(#[\w-]+)?((?:\s+§\s*\d+(?:\.\d+)*)?(?:\s+"[^"]+")?)/g,
      )
    ) {
      const page = `docs/${m[1]}`;
      const h = docHeadings(page);
      if (!h) {
        at(`cites ${page}, which does not exist`);
        continue;
      }
      if (m[2] && !h.anchors.has(m[2].slice(1))) at(`cites ${page}${m[2]}: no such heading`);
      const sec = /§\s*(\d+(?:\.\d+)*)/.exec(m[3]);
      if (sec && !h.numbers.has(sec[1])) at(`cites ${page} §${sec[1]}: no such numbered section`);
      const named = /"([^"]+)"/.exec(m[3]);
      if (named && !h.texts.some((t) => t.startsWith(named[1].toLowerCase()))) {
        at(`cites ${page} "${named[1]}": no heading starts so`);
      }
    }
    if (!isMd) return;
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    if (fence) return;
    const prose = line.replace(/`[^`]*`/g, "");
    for (const m of prose.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)) {
      const target = m[1];
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
      const [pathPart, anchor] = target.split("#", 2);
      const resolved = pathPart === "" ? file : normalize(`${dirOf(file)}/${pathPart}`);
      if (resolved === null) {
        at(`link '${target}' leaves the repository`);
        continue;
      }
      const body = pathPart === "" ? text : read(resolved.replace(/\/$/, "") || ".");
      if (body === null) {
        at(`link '${target}': ${resolved} does not exist`);
        continue;
      }
      if (anchor !== undefined && resolved.endsWith(".md") && !headings(body).anchors.has(anchor)) {
        at(`link '${target}': no heading with anchor #${anchor} in ${resolved}`);
      }
    }
  });
  return out;
}

/** Every scanned file of the repository, relative to the root, sorted. */
export function scannedFiles(root = ROOT): string[] {
  const files: string[] = [];
  const walk = (rel: string) => {
    for (const e of Deno.readDirSync(`${root}/${rel}`)) {
      const p = `${rel}/${e.name}`;
      if (e.isDirectory && !SKIPPED_DIRS.has(e.name)) walk(p);
      else if (e.isFile && EXTENSIONS.some((x) => e.name.endsWith(x))) files.push(p);
    }
  };
  for (const d of SCANNED_DIRS) {
    if (Deno.statSync(`${root}/${d}`).isDirectory) walk(d);
  }
  for (const f of SCANNED_FILES) {
    try {
      if (Deno.statSync(`${root}/${f}`).isFile) files.push(f);
    } catch { /* absent: nothing to scan */ }
  }
  return files.sort();
}

/** Reads files of `root` (a folder reads as an empty text, so links to folders resolve). */
export function repoReader(root = ROOT): ReadFile {
  return (p) => {
    try {
      const st = Deno.statSync(`${root}/${p}`);
      return st.isDirectory ? "" : Deno.readTextFileSync(`${root}/${p}`);
    } catch {
      return null;
    }
  };
}

// ------------------------------------------------------------------ tests of the checker itself

// The examples are assembled from pieces too, so that the repository scan below does not flag them.
const D = "do" + "cs/";
const UP = "../../../";
const PAGES: Record<string, string> = {
  [`${D}a.md`]:
    "# Title\n\n## 1. First part\n\n### 1.2 Sub `code` part\n\n## Named heading\n\n```\n## 9. not a heading\n```\n",
  [`${D}README.md`]: "[a](a.md) [first](a.md#1-first-part) [bad](a.md#9-not-a-heading) [gone](b.md)",
  "lib/x.ts": "",
};
const fake: ReadFile = (p) => PAGES[p] ?? (p === "docs" || p === "lib" ? "" : null);

Deno.test("docs refs: paths outside the repository and the notes' names are offences, the samples folder is not", () => {
  const text = [
    `const a = new URL("${UP}${SHARED}/data/criteo/x.txt", import.meta.url);`, // allowed: samples
    ` * see ${UP}${SHARED}/bench/x.py`,
    ` * (${NOTE_NAMES[0]} "Backends")`,
    ` * (research${" "}notes §6.1)`,
    ` * /wo${"rk"}/${SHARED}/x`,
    ` * (toolchain${" "}findings §4a) and toolchain${"-"}findings.md §1.6`,
    ` * reproducible-research toolkit, /home/user/wo${"rk"}/x is fine`,
  ].join("\n");
  const found = findOffences("lib/x.ts", text, fake).map((o) => `${o.line}: ${o.message.split(":")[0]}`);
  assert.deepEqual(found, [
    "2: path outside the repository",
    "3: cites notes that are not in the repository",
    "4: cites notes that are not in the repository",
    "5: absolute path of the machine the code was written on",
    "6: cites notes that are not in the repository",
  ]);
});

Deno.test("docs refs: citations of docs pages must name an existing page and section", () => {
  const text = [
    ` * (${D}a.md §1.2)`, // ok
    ` * (${D}a.md §1, ${D}missing.md)`, // missing page
    ` * (${D}a.md §9)`, // no such section (the fenced one does not count)
    ` * (${D}a.md "Named heading")`, // ok
    ` * (${D}a.md "Sub code")`, // ok: a prefix, backticks ignored
    ` * (${D}a.md "Other")`, // no such heading
    ` * ${D}a.md#1-first-part ${D}a.md#nope`,
  ].join("\n");
  const found = findOffences("lib/x.ts", text, fake).map((o) => `${o.line}: ${o.message}`);
  assert.deepEqual(found, [
    `2: cites ${D}missing.md, which does not exist`,
    `3: cites ${D}a.md §9: no such numbered section`,
    `6: cites ${D}a.md "Other": no heading starts so`,
    `7: cites ${D}a.md#nope: no such heading`,
  ]);
});

Deno.test("docs refs: relative Markdown links must resolve, anchors included", () => {
  const found = findOffences(`${D}README.md`, PAGES[`${D}README.md`], fake).map((o) => o.message);
  assert.deepEqual(found, [
    `link 'a.md#9-not-a-heading': no heading with anchor #9-not-a-heading in ${D}a.md`,
    `link 'b.md': ${D}b.md does not exist`,
  ]);
  const more =
    "# Title\n[up](../lib/x.ts) [out](../../x.md) [web](https://example.org/a.md) [self](#title) " +
    "[other](#nope) `[no](nope.md)`";
  assert.deepEqual(findOffences(`${D}c.md`, more, fake).map((o) => `${o.line}: ${o.message}`), [
    "2: link '../../x.md' leaves the repository",
    `2: link '#nope': no heading with anchor #nope in ${D}c.md`,
  ]);
});

Deno.test("docs refs: GitHub anchors", () => {
  assert.equal(
    slug("2.1 `cv` — NASLib-SiGeo (the paper's CV tables)"),
    "21-cv--naslib-sigeo-the-papers-cv-tables",
  );
  assert.equal(slug("4. Our scoring protocol (paper §5.3)"), "4-our-scoring-protocol-paper-53");
  assert.deepEqual([...headings("# A\n# A\n").anchors], ["a", "a-1"]);
});

// ------------------------------------------------------------------ the repository

Deno.test("docs refs: no file of the repository points outside it, every docs citation and link resolves", () => {
  const read = repoReader();
  const files = scannedFiles();
  assert.ok(files.includes("lib/docs_refs_test.ts") && files.some((f) => f.startsWith("docs/")));
  const offences = files.flatMap((f) => findOffences(f, read(f) ?? "", read));
  const report = offences.map((o) => `${o.file}:${o.line}: ${o.message}`);
  if (report.length > 0) console.error(report.join("\n"));
  assert.equal(report.length, 0, `${report.length} reference(s) to fix:\n${report.join("\n")}`);
});

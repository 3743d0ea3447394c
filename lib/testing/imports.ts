/**
 * The import specifiers of a TypeScript source, for the tests that check how lib/ is layered
 * (lib/layering_test.ts) and that experiments do not import each other (lib/experiments/layout_test.ts).
 *
 * @module
 */
/** The import specifiers of a TypeScript source, with comments and template literals skipped. */
export function importSpecifiers(src: string): string[] {
  // Blank what cannot hold an import (comments, templates, regexes) so that text like
  // `import x from "y"` inside a comment or a generated-code template is not taken for one.
  let code = "";
  const strings: string[] = [];
  let last = ""; // the last significant character kept, to tell a regex from a division
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i], d = src[i + 1];
    if (c === "/" && d === "/") {
      while (i < n && src[i] !== "\n") i++;
    } else if (c === "/" && d === "*") {
      const e = src.indexOf("*/", i + 2);
      i = e < 0 ? n : e + 2;
      code += " ";
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && src[j] !== c && src[j] !== "\n") j += src[j] === "\\" ? 2 : 1;
      code += `"${strings.length}"`; // a token: text inside a string is never taken for an import
      strings.push(src.slice(i + 1, j));
      i = j + 1;
      last = c;
    } else if (c === "`") {
      i = skipTemplate(src, i);
      code += '""';
      last = '"';
    } else if (
      c === "/" && ("(,=:[!&|?{};+-*%<>~^".includes(last) || /\b(return|typeof|case)$/.test(code.slice(-8)))
    ) {
      let j = i + 1, inClass = false;
      while (j < n && src[j] !== "\n" && (inClass || src[j] !== "/")) {
        if (src[j] === "\\") j++;
        else if (src[j] === "[") inClass = true;
        else if (src[j] === "]") inClass = false;
        j++;
      }
      code += "/r/";
      i = j + 1;
      last = "/";
    } else {
      code += c;
      if (!/\s/.test(c)) last = c;
      i++;
    }
  }
  const out: string[] = [];
  const statement = /(?:^|[;}\n])\s*(?:import|export)\b(?:[^;"'()]*?\bfrom)?\s*(["'])([^"'\n]+)\1/g;
  for (const m of code.matchAll(statement)) out.push(strings[Number(m[2])]);
  for (const m of code.matchAll(/\bimport\s*\(\s*(["'])([^"'\n]+)\1\s*\)/g)) out.push(strings[Number(m[2])]);
  return out;
}

/** The index just after the template literal opening at `start` (`${…}` nesting and strings inside). */
function skipTemplate(src: string, start: number): number {
  let j = start + 1;
  while (j < src.length && src[j] !== "`") {
    if (src[j] === "\\") j += 2;
    else if (src[j] === "$" && src[j + 1] === "{") {
      let depth = 1;
      j += 2;
      while (j < src.length && depth > 0) {
        const ch = src[j];
        if (ch === "{") depth++;
        else if (ch === "}") depth--;
        else if (ch === "`") j = skipTemplate(src, j) - 1;
        else if (ch === '"' || ch === "'") {
          j++;
          while (j < src.length && src[j] !== ch) j += src[j] === "\\" ? 2 : 1;
        }
        j++;
      }
    } else j++;
  }
  return j + 1;
}

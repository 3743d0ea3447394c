/**
 * `deno task data where NAME`: where to get a dataset, what access it needs and where its files
 * go, from the table in `sources.ts`.
 *
 * @module
 */
import { type DatasetSource, findSource, SOURCES } from "./sources.ts";

/** The text for one dataset; `root` is the data folder shown in the layout. */
export function whereText(source: DatasetSource, root = "data/raw"): string {
  const out = [`${source.title} (${source.id})`, "", "Get it from:"];
  for (const p of source.pages) out.push(`  ${p}`);
  out.push(`Access: ${source.access}`);
  if (source.download) {
    out.push(
      `Automatic: deno task data get ${source.id}   (downloads ${
        source.download.files.map((f) => f.name).join(", ")
      }` +
        ` from ${source.download.baseUrl}, verifies MD5; --mirror URL or SIGEO_DATA_MIRROR to use a mirror)`,
    );
  }
  out.push("", `Expected layout under ${root}/:`);
  for (const l of source.layout) out.push(`  ${l}`);
  const sums = Object.entries(source.fileMd5);
  if (sums.length) {
    out.push("", "Published MD5 sums:");
    for (const [name, md5] of sums) out.push(`  ${md5}  ${name}`);
  } else out.push("", "No published checksums: check validates presence, row counts and record format.");
  out.push("", `Reader: ${source.reader}`, `Then: deno task data check ${root}/${source.folder}`);
  return out.join("\n");
}

/** Text for `where NAME`, or a list of the names when NAME is unknown (with ok = false). */
export function whereCommand(name: string | undefined, root?: string): { ok: boolean; text: string } {
  const s = name ? findSource(name) : undefined;
  if (s) return { ok: true, text: whereText(s, root) };
  const list = SOURCES.map((x) => `  ${x.id.padEnd(16)} ${x.title}${x.download ? "  [get]" : ""}`).join("\n");
  return {
    ok: false,
    text: `${name ? `Unknown dataset '${name}'. ` : ""}Datasets (aliases accepted):\n${list}`,
  };
}

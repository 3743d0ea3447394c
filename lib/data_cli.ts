/**
 * `deno task data get|where|check`: fetch the freely downloadable datasets, say where the others
 * come from, and validate a filled data folder. See data/README.md.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { findSource, SOURCES } from "./data_tool/sources.ts";
import { getDataset } from "./data_tool/get.ts";
import { whereCommand } from "./data_tool/where.ts";
import { checkFolder, formatReport } from "./data_tool/check.ts";

const USAGE = `Usage:
  deno task data get cifar10|cifar100|mnist [--root data/raw] [--mirror URL]
      download the official files (resumable), verify their MD5s, unpack into --root
      (a mirror: --mirror URL or SIGEO_DATA_MIRROR; the file names are appended to it)
  deno task data where NAME      where to get NAME, access needed, expected layout
      (${SOURCES.map((s) => s.id).join(", ")})
  deno task data check DIR [--full] [--partial] [--no-md5]
      validate a folder: files present, record counts, published MD5s, first/last records;
      exit 1 with the faults (--full: every row of the recommender files; --partial: standard
      files with fewer records than the full dataset are noted, not faults)`;

/** Run the command; returns the exit code. */
export async function dataMain(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        root: { type: "string" },
        mirror: { type: "string" },
        full: { type: "boolean" },
        "no-md5": { type: "boolean" },
        partial: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (command === "where") {
    const r = whereCommand(rest[0], values.root);
    (r.ok ? console.log : console.error)(r.text);
    return r.ok ? 0 : 2;
  }
  if (command === "get") {
    if (rest.length === 0) {
      console.error(USAGE);
      return 2;
    }
    for (const name of rest) {
      const s = findSource(name);
      if (!s) {
        console.error(whereCommand(name).text);
        return 2;
      }
      if (!s.download) {
        console.error(`${s.title} needs a login or a form, so it is not downloaded automatically.\n`);
        console.error(whereCommand(name, values.root).text);
        return 2;
      }
      try {
        const r = await getDataset(s, { root: values.root, mirror: values.mirror });
        console.log(`${s.title}: ready in ${r.folder}`);
      } catch (e) {
        console.error(`Error: ${(e as Error).message}`);
        return 1;
      }
    }
    return 0;
  }
  if (command === "check") {
    if (rest.length === 0) {
      console.error(USAGE);
      return 2;
    }
    let faults = 0;
    for (const dir of rest) {
      const r = await checkFolder(dir.replace(/\/+$/, "") || "/", {
        full: values.full,
        noMd5: values["no-md5"],
      });
      console.log(formatReport(r));
      faults += r.faults.length;
    }
    return faults ? 1 : 0;
  }
  console.error(`Unknown command '${command}'\n${USAGE}`);
  return 2;
}

if (import.meta.main) Deno.exit(await dataMain(Deno.args));

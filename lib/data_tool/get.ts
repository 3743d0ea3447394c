/**
 * `deno task data get NAME`: fetch a freely downloadable dataset's official files into
 * `data/raw/`, verify their published MD5s and unpack them where the readers look.
 *
 * CIFAR: `data/raw/cifar-10-binary.tar.gz` is downloaded (see `download.ts`: resumable, verified,
 * never left half-written under its name), then extracted into a temporary folder inside
 * `data/raw/` and its `cifar-10-batches-bin/` renamed into place in one step, so a failed
 * extraction leaves no half-filled dataset folder. The archive is kept (so `check` can verify it
 * again). MNIST: the four `.gz` IDX files go to `data/raw/mnist/` as they are (the reader reads
 * `.gz`).
 *
 * @module
 */
import { downloadFile } from "./download.ts";
import { extractTar, openArchiveStream } from "./tar.ts";
import { byteProgress } from "./progress.ts";
import { baseUrl, type DatasetSource } from "./sources.ts";

/** Settings of {@link getDataset}. */
export interface GetOptions {
  /** @default {"data/raw"} */
  root?: string;
  /** base URL replacing the official one (else `SIGEO_DATA_MIRROR`) */
  mirror?: string;
  /** progress lines @default {true} */
  progress?: boolean;
  /** messages @default {console.log} */
  log?: (line: string) => void;
  fetch?: typeof fetch;
}

/** What {@link getDataset} produced. */
export interface GetResult {
  /** the folder the reader reads */
  folder: string;
  files: string[];
}

async function isDir(path: string): Promise<boolean> {
  return await Deno.stat(path).then((s) => s.isDirectory, () => false);
}

/** Download, verify and unpack `source` (which must have a `download` entry). */
export async function getDataset(source: DatasetSource, opts: GetOptions = {}): Promise<GetResult> {
  const dl = source.download;
  if (!dl) {
    throw new RangeError(
      `${source.title} cannot be downloaded automatically (${source.access}): see 'deno task data where ${source.id}'`,
    );
  }
  const root = opts.root ?? "data/raw";
  const log = opts.log ?? ((l: string) => console.log(l));
  const base = baseUrl(source, opts.mirror);
  const folder = `${root}/${source.folder}`;
  const fileDir = dl.extract === "none" ? folder : root;
  await Deno.mkdir(fileDir, { recursive: true });
  const files: string[] = [];
  for (const f of dl.files) {
    const dest = `${fileDir}/${f.name}`;
    const r = await downloadFile(base + f.name, dest, {
      md5: f.md5,
      fetch: opts.fetch,
      progress: opts.progress === false ? undefined : (start) => byteProgress(f.name, { start }),
    });
    log(
      r.already
        ? `${dest}: already there, MD5 ${f.md5} verified`
        : `${dest}: ${r.bytes} bytes, MD5 ${f.md5} verified${
          r.resumedFrom ? ` (resumed at byte ${r.resumedFrom})` : ""
        }`,
    );
    files.push(dest);
  }
  if (dl.extract === "tar.gz") {
    if (await isDir(folder)) {
      log(`${folder}: already extracted (left as it is; 'deno task data check ${folder}' validates it)`);
    } else {
      const archive = files[0];
      const tmp = `${root}/.extract-${source.id}-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
      try {
        let stream: ReadableStream<Uint8Array>;
        try {
          stream = await openArchiveStream(archive, true);
          const { skipped } = await extractTar(stream, tmp, { file: archive });
          if (skipped.length) log(`skipped (not plain files): ${skipped.join(", ")}`);
        } catch (e) {
          throw new Error(`Cannot extract ${archive}: ${(e as Error).message}`);
        }
        if (!(await isDir(`${tmp}/${source.folder}`))) {
          throw new Error(`Cannot extract ${archive}: it has no ${source.folder}/ folder`);
        }
        await Deno.rename(`${tmp}/${source.folder}`, folder);
      } finally {
        await Deno.remove(tmp, { recursive: true }).catch(() => {});
      }
      log(`${folder}: extracted`);
    }
  }
  return { folder, files };
}

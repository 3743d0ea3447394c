/**
 * `deno task data check DIR`: validate a folder filled by hand (or by `get`) before a long run.
 *
 * Every file in DIR (and in its dataset sub-folders, two levels down) is recognised by its
 * standard name, or — for samples with other names — by its content, then checked with the
 * project's own readers: files present, record counts against the full dataset's, the published
 * MD5 where one exists, and the format of the records (all records for the image files, which are
 * small; the first and last line for the multi-GB recommender files, every line with `full`).
 * Each fault names the file and the record. Files with non-standard names are reported as
 * samples/partial data, not as faults; a standard layout with a file missing or a wrong count is a
 * fault, because the loaders would fail or silently train on less.
 *
 * @module
 */
import {
  CIFAR_RECORD_BYTES,
  type CifarDataset,
  readCifarBin,
  readCifarMeta,
  readCifarPython,
  readLabelNamesText,
} from "../data/cifar.ts";
import { decodeIdx, loadMnist } from "../data/mnist.ts";
import { readImageNet16Batch } from "../data/imagenet16.ts";
import { prepareCriteo } from "../data/criteo.ts";
import { prepareAvazu } from "../data/avazu.ts";
import { kdd2012Parser, readUserProfiles, UserProfiles } from "../data/kdd2012.ts";
import { type PreparedScan, resolveTableSizes, scanRecsysFile } from "../data/recsys.ts";
import { NASREC_KDD } from "../data/recsys_layouts.ts";
import { readTruth } from "../benchmarks/nb201_truth.ts";
import { readNatsTss, readNatsTssMeta } from "../benchmarks/nats_bench.ts";
import { md5File } from "./md5.ts";
import { publishedMd5, SOURCES } from "./sources.ts";

/** One problem found. */
export interface Fault {
  file: string;
  /** e.g. `record 499`, `line 1`, or absent for the whole file */
  record?: string;
  message: string;
}

/** What a check found. */
export interface CheckReport {
  dir: string;
  /** one line per file checked */
  lines: string[];
  /** observations that are not faults (samples, partial data, unknown files) */
  notes: string[];
  faults: Fault[];
}

/** Settings of {@link checkFolder}. */
export interface CheckOptions {
  /** parse every line of the recommender files (slow on the full data) @default {false} */
  full?: boolean;
  /** skip MD5 sums (they read every byte) @default {false} */
  noMd5?: boolean;
  /**
   * a deliberate subset: standard files with fewer records than the full dataset's are noted,
   * not faults (a missing file of the layout stays a fault: the loaders need every file)
   * @default {false}
   */
  partial?: boolean;
}

const CIFAR10_BIN = [1, 2, 3, 4, 5].map((k) => `data_batch_${k}.bin`).concat("test_batch.bin");
const CIFAR10_PY = [1, 2, 3, 4, 5].map((k) => `data_batch_${k}`).concat("test_batch");
const CIFAR100_BIN = ["train.bin", "test.bin"];
const CIFAR100_PY = ["train", "test"];
const MNIST = [
  "train-images-idx3-ubyte",
  "train-labels-idx1-ubyte",
  "t10k-images-idx3-ubyte",
  "t10k-labels-idx1-ubyte",
];
const IMAGENET16 = Array.from({ length: 10 }, (_, i) => `train_data_batch_${i + 1}`).concat("val_data");
const FULL_RECORDS: Record<string, number> = Object.assign({}, ...SOURCES.map((s) => s.records ?? {}));
const FULL_ROWS: Record<string, number> = Object.assign({}, ...SOURCES.map((s) => s.fullRows ?? {}));
const NAME: Record<CifarDataset, string> = { cifar10: "CIFAR-10", cifar100: "CIFAR-100" };

const base = (p: string) => p.slice(p.lastIndexOf("/") + 1);
const dirOf = (p: string) => p.slice(0, p.lastIndexOf("/"));
const msg = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function listFiles(dir: string, depth: number): Promise<string[]> {
  const out: string[] = [];
  const entries: Deno.DirEntry[] = [];
  for await (const e of Deno.readDir(dir)) entries.push(e);
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    if (e.name.startsWith(".")) continue;
    const p = `${dir}/${e.name}`;
    if (e.isFile) out.push(p);
    else if (e.isDirectory && depth > 0) out.push(...await listFiles(p, depth - 1));
  }
  return out;
}

async function head(path: string, n: number): Promise<Uint8Array> {
  const f = await Deno.open(path, { read: true });
  try {
    const buf = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const k = await f.read(buf.subarray(got));
      if (k === null) break;
      got += k;
    }
    return buf.subarray(0, got);
  } finally {
    f.close();
  }
}

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const s = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new DecompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(s).arrayBuffer());
}

/** Check a folder (see the module doc). */
export async function checkFolder(dir: string, opts: CheckOptions = {}): Promise<CheckReport> {
  const report: CheckReport = { dir, lines: [], notes: [], faults: [] };
  const info = await Deno.stat(dir).catch(() => null);
  if (!info?.isDirectory) {
    report.faults.push({ file: dir, message: "not a folder" });
    return report;
  }
  const files = await listFiles(dir, 2);
  if (files.length === 0) report.faults.push({ file: dir, message: "the folder is empty" });
  const ctx = new Ctx(report, opts);
  const done = new Set<string>();
  for (const f of files) {
    if (done.has(f)) continue;
    done.add(f);
    try {
      await ctx.file(f);
    } catch (e) {
      ctx.fault(f, undefined, `cannot be read: ${msg(e)}`);
    }
  }
  await ctx.completeness();
  return report;
}

class Ctx {
  /** standard-named files seen, by folder and layout */
  seen = new Map<string, Set<string>>();
  natsDirs = new Set<string>();
  /** standard files accepted as a subset (`partial`) */
  partialFiles = new Set<string>();
  constructor(readonly r: CheckReport, readonly opts: CheckOptions) {}

  fault(file: string, record: string | undefined, message: string): void {
    this.r.faults.push(record === undefined ? { file, message } : { file, record, message });
  }
  /** A standard file with a record count other than the full dataset's. */
  count(file: string, n: number, full: number, what: string): void {
    if (n === full) return;
    if (this.opts.partial) {
      this.partialFiles.add(file);
      this.note(`${file}: partial: ${n} ${what}, the full file has ${full}`);
    } else {this.fault(
        file,
        undefined,
        `has ${n} ${what}, expected ${full} (the full file; --partial accepts a subset)`,
      );}
  }
  ok(file: string, text: string): void {
    this.r.lines.push(`ok     ${file}: ${text}`);
  }
  note(text: string): void {
    this.r.notes.push(text);
  }
  mark(layout: string, file: string): void {
    const key = `${layout}\u0000${dirOf(file)}`;
    if (!this.seen.has(key)) this.seen.set(key, new Set());
    this.seen.get(key)!.add(base(file));
  }

  /** Published MD5: a fault when it differs. Returns a short text for the ok line. */
  async md5(file: string, name = base(file)): Promise<string> {
    const pub = publishedMd5(name);
    // a subset noted as partial cannot have the official sum: nothing to verify
    if (!pub || this.opts.noMd5 || this.partialFiles.has(file)) return "";
    const got = await md5File(file);
    if (got !== pub.md5) {
      this.fault(
        file,
        undefined,
        `MD5 ${got} differs from the published ${pub.md5} (${pub.dataset}): not the official file, or damaged`,
      );
      return "";
    }
    return `, MD5 matches the published ${pub.md5}`;
  }

  async file(f: string): Promise<void> {
    const name = base(f);
    const parent = base(dirOf(f));
    if (
      /\.(tar\.gz|tgz|tar|zip)$/.test(name) || (name.endsWith(".gz") && !MNIST.includes(name.slice(0, -3)))
    ) {
      const m = await this.md5(f);
      if (m) this.ok(f, `archive${m}`);
      else if (!publishedMd5(name)) this.note(`${f}: archive with no published MD5 (not checked)`);
      return;
    }
    if (CIFAR10_BIN.includes(name)) return await this.cifarBin(f, "cifar10", true);
    if (CIFAR100_BIN.includes(name)) return await this.cifarBin(f, "cifar100", true);
    if (name.endsWith(".bin")) return await this.sniffBin(f);
    const first = await head(f, 1 << 16);
    const pickle = first[0] === 0x80;
    if (CIFAR10_PY.includes(name) && pickle) return await this.cifarPy(f, "cifar10");
    if (CIFAR100_PY.includes(name) && pickle) return await this.cifarPy(f, "cifar100");
    if ((name === "batches.meta" || name === "meta") && pickle) return await this.cifarMeta(f);
    if (name === "batches.meta.txt") return await this.names(f, 10);
    if (name === "fine_label_names.txt") return await this.names(f, 100);
    if (name === "coarse_label_names.txt") return await this.names(f, 20);
    if (MNIST.includes(name.replace(/\.gz$/, ""))) return await this.mnist(f);
    if (IMAGENET16.includes(name) && pickle) return await this.imagenet16(f);
    if (name.endsWith(".pbz2")) {
      if (!this.natsDirs.has(dirOf(f))) {
        this.natsDirs.add(dirOf(f));
        await this.nats(dirOf(f));
      }
      return;
    }
    const truthy = /zc_nasbench201|truth|nb201|nats/i;
    if ((name.endsWith(".json") || name.endsWith(".csv")) && (truthy.test(name) || truthy.test(parent))) {
      return await this.truth(f);
    }
    if (name.endsWith(".json")) {
      const t = new TextDecoder().decode(first);
      this.note(
        /"micro"/.test(t) && /"macro"/.test(t)
          ? `${f}: a NASRec architecture config (not data); not checked`
          : `${f}: a JSON file not named like NB201 ground truth (zc_nasbench201.json); ignored`,
      );
      return;
    }
    const text = new TextDecoder().decode(first.subarray(0, Math.max(0, first.indexOf(10)) || first.length));
    const line1 = text.replace(/\r$/, "").replace(/^\uFEFF/, "");
    const tabs = line1.split("\t").length;
    if (line1.startsWith("id,click,hour,")) {
      return await this.recsys(f, "avazu", name !== "train.csv" && name !== "train");
    }
    if (name === "training.txt" || (tabs === 12 && !line1.includes(","))) {
      return await this.recsys(f, "kdd2012", name !== "training.txt");
    }
    if (name === "userid_profile.txt" || (tabs === 3 && /profile/i.test(name))) {
      return await this.profile(f, name !== "userid_profile.txt");
    }
    if (name === "train.txt" || tabs === 40) return await this.recsys(f, "criteo", name !== "train.txt");
    if (tabs === 2 && /tokensid/i.test(name)) {
      this.note(`${f}: a KDD 2012 token file (id, '|'-separated tokens); the project does not read it`);
      return;
    }
    this.note(`${f}: not a file of a known dataset; ignored`);
  }

  async cifarBin(f: string, dataset: CifarDataset, standard: boolean): Promise<void> {
    if (standard) this.mark(`${dataset}-bin`, f);
    const bytes = await Deno.readFile(f);
    const rec = CIFAR_RECORD_BYTES[dataset];
    const n = Math.floor(bytes.length / rec);
    if (bytes.length % rec !== 0) {
      this.fault(
        f,
        `record ${n}`,
        `incomplete: the file has ${bytes.length} bytes, ${bytes.length % rec} past the last whole ` +
          `${rec}-byte ${NAME[dataset]} record (truncated copy?)`,
      );
    }
    if (n === 0) return;
    let set;
    try {
      set = readCifarBin(bytes.subarray(0, n * rec), { dataset, file: f });
    } catch (e) {
      const m = /record (\d+)/.exec(msg(e));
      this.fault(f, m ? `record ${m[1]}` : undefined, msg(e));
      return;
    }
    const full = FULL_RECORDS[base(f)];
    const labels = `labels of records 0 and ${n - 1}: ${set.labels[0]}, ${set.labels[n - 1]}`;
    if (standard && full !== undefined && bytes.length % rec === 0) this.count(f, n, full, "records");
    const m = await this.md5(f);
    if (standard) this.ok(f, `${NAME[dataset]} binary, ${n} records × ${rec} bytes, ${labels}${m}`);
    else {
      this.ok(f, `${NAME[dataset]} binary records (${n} × ${rec} bytes, ${labels})`);
      const per = dataset === "cifar10" ? "10,000 per batch file" : "50,000 train / 10,000 test";
      const which = /test/i.test(base(f)) ? " test" : /train|data_batch/i.test(base(f)) ? " training" : "";
      this.note(
        `${f}: sample/partial ${
          NAME[dataset]
        }${which} data: ${n} records (the official files hold ${per}); ` +
          `not a standard file name, so the loaders will not pick it up`,
      );
    }
  }

  async sniffBin(f: string): Promise<void> {
    const size = (await Deno.stat(f)).size;
    const fits = (["cifar10", "cifar100"] as const).filter((d) =>
      size > 0 && size % CIFAR_RECORD_BYTES[d] === 0
    );
    const hint: CifarDataset | undefined = /100/.test(f)
      ? "cifar100"
      : /cifar-?10(?!0)/i.test(f)
      ? "cifar10"
      : undefined;
    const ds = fits.length === 1 ? fits[0] : hint ?? fits[0];
    if (!ds) {
      this.note(
        `${f}: a .bin file whose size (${size} bytes) is not a whole number of CIFAR records; ignored`,
      );
      if (hint) {
        this.fault(
          f,
          `record ${Math.floor(size / CIFAR_RECORD_BYTES[hint])}`,
          `incomplete ${NAME[hint]} record: ${size} bytes is not a multiple of ${CIFAR_RECORD_BYTES[hint]}`,
        );
      }
      return;
    }
    await this.cifarBin(f, ds, false);
  }

  async cifarPy(f: string, dataset: CifarDataset): Promise<void> {
    this.mark(`${dataset}-py`, f);
    try {
      const set = readCifarPython(await Deno.readFile(f), { dataset, file: f });
      const full = FULL_RECORDS[base(f)];
      if (full !== undefined) this.count(f, set.n, full, "images");
      this.ok(f, `${NAME[dataset]} python batch, ${set.n} images${await this.md5(f)}`);
    } catch (e) {
      const m = /entry (\d+)/.exec(msg(e));
      this.fault(f, m ? `record ${m[1]}` : undefined, msg(e));
    }
  }

  async cifarMeta(f: string): Promise<void> {
    try {
      const { fine, coarse } = readCifarMeta(await Deno.readFile(f), f);
      const want = coarse ? 100 : 10;
      if (fine.length !== want) this.fault(f, undefined, `has ${fine.length} label names, expected ${want}`);
      this.ok(
        f,
        `label names (${fine.length}${coarse ? ` fine, ${coarse.length} coarse` : ""}: ${
          fine.slice(0, 3).join(", ")
        }, …)${await this.md5(f)}`,
      );
    } catch (e) {
      this.fault(f, undefined, msg(e));
    }
  }

  async names(f: string, want: number): Promise<void> {
    const names = readLabelNamesText(await Deno.readTextFile(f));
    if (names.length !== want) this.fault(f, undefined, `has ${names.length} label names, expected ${want}`);
    else this.ok(f, `${want} label names (${names.slice(0, 3).join(", ")}, …)`);
  }

  async mnist(f: string): Promise<void> {
    this.mark("mnist", f);
    const name = base(f).replace(/\.gz$/, "");
    let bytes: Uint8Array = await Deno.readFile(f);
    if (f.endsWith(".gz")) {
      try {
        bytes = await gunzip(bytes);
      } catch (e) {
        this.fault(f, undefined, `not a valid gzip file (${msg(e)}): truncated or damaged download`);
        return;
      }
    }
    try {
      const { dims, data } = decodeIdx(bytes, f);
      const images = name.includes("images");
      if (images && (dims.length !== 3 || dims[1] !== 28 || dims[2] !== 28)) {
        this.fault(f, undefined, `expected images [N, 28, 28], got [${dims}]`);
        return;
      }
      if (!images) {
        const bad = data.findIndex((v) => v > 9);
        if (bad >= 0) {
          this.fault(f, `record ${bad}`, `label ${data[bad]} is not a digit`);
          return;
        }
      }
      const full = FULL_RECORDS[name];
      this.count(f, dims[0], full, "records");
      const m = f.endsWith(".gz") ? await this.md5(f) : "";
      this.ok(f, `MNIST IDX, ${dims[0]} ${images ? "images 28×28" : "labels 0..9"}${m}`);
    } catch (e) {
      this.fault(f, undefined, msg(e));
    }
  }

  async imagenet16(f: string): Promise<void> {
    this.mark("imagenet16", f);
    try {
      const b = readImageNet16Batch(await Deno.readFile(f), f);
      let kept = 0;
      for (let i = 0; i < b.n; i++) if (b.labels[i] <= 120) kept++;
      const full = FULL_RECORDS[base(f)];
      if (full !== undefined) this.count(f, b.n, full, "images");
      this.ok(f, `ImageNet16 pickle, ${b.n} images (${kept} in classes 1..120)${await this.md5(f)}`);
    } catch (e) {
      const m = /record (\d+)/.exec(msg(e));
      this.fault(f, m ? `record ${m[1]}` : undefined, msg(e));
    }
  }

  async truth(f: string): Promise<void> {
    try {
      const t = await readTruth(f);
      const counts = t.datasets().map((d) => `${d}: ${t.values(d, t.metrics(d)[0] ?? "").size} archs`);
      this.ok(f, `NB201 ground truth (${counts.join(", ")})`);
    } catch (e) {
      this.fault(f, undefined, msg(e));
    }
  }

  async nats(dir: string): Promise<void> {
    try {
      const meta = await readNatsTssMeta(dir);
      const idx: number[] = [];
      for await (const e of Deno.readDir(dir)) {
        const m = /^(\d+)\.pickle\.pbz2$/.exec(e.name);
        if (m) idx.push(Number(m[1]));
      }
      idx.sort((a, b) => a - b);
      if (meta.length !== 15625) {
        this.fault(`${dir}/meta.pickle.pbz2`, undefined, `lists ${meta.length} archs, expected 15625`);
      }
      if (idx.length !== meta.length) {
        const have = new Set(idx);
        const missing = meta.map((_, i) => i).filter((i) => !have.has(i));
        this.fault(
          dir,
          undefined,
          `${idx.length} per-arch files for ${meta.length} archs (missing e.g. ${
            missing.slice(0, 3).map((i) => String(i).padStart(6, "0") + ".pickle.pbz2").join(", ")
          })`,
        );
      }
      if (idx.length) await readNatsTss(dir, { archs: [idx[0], idx[idx.length - 1]] });
      this.ok(
        dir,
        `NATS-Bench tss folder, ${meta.length} archs in meta, ${idx.length} per-arch files (first and last read)`,
      );
    } catch (e) {
      this.fault(dir, undefined, msg(e));
    }
  }

  /** First and last data line through the project's row parser; line count by newlines (or every line when `full`). */
  async recsys(f: string, dataset: "criteo" | "avazu" | "kdd2012", sample: boolean): Promise<void> {
    const prep: PreparedScan = dataset === "criteo"
      ? prepareCriteo(f)
      : dataset === "avazu"
      ? prepareAvazu(f)
      : {
        dataset,
        path: f,
        parser: kdd2012Parser(resolveTableSizes(NASREC_KDD.tableSizes, {}, "KDD 2012"), new UserProfiles()),
        tableSizes: [],
        scan: { what: "KDD 2012 file" },
      };
    const { lines, first, last } = await this.edges(f, prep.scan.header !== undefined);
    if (prep.scan.header) {
      try {
        prep.scan.header(first.header ?? "");
      } catch (e) {
        this.fault(f, "line 1", msg(e));
        return;
      }
    }
    const rows = lines - (prep.scan.header ? 1 : 0);
    if (rows <= 0) {
      this.fault(f, undefined, "has no data rows");
      return;
    }
    const d = new Float32Array(prep.parser.numDense), s = new Int32Array(prep.parser.numSparse);
    let ok = true;
    for (const [what, line, no] of [["first", first.line, first.no], ["last", last.line, last.no]] as const) {
      const got = prep.parser.parse(line, 0, line.length, d, 0, s, 0);
      if (typeof got === "string") {
        this.fault(f, `line ${no}`, `${what} record: ${got} (expected ${prep.parser.format})`);
        ok = false;
      }
    }
    if (ok && this.opts.full) {
      try {
        await scanRecsysFile(f, prep.parser, prep.scan, () => {});
      } catch (e) {
        const m = /line (\d+)/.exec(msg(e));
        this.fault(f, m ? `line ${m[1]}` : undefined, msg(e));
        ok = false;
      }
    }
    const label = { criteo: "Criteo", avazu: "Avazu", kdd2012: "KDD 2012 training" }[dataset];
    if (ok) {
      this.ok(
        f,
        `${label} file, ${rows} rows (${this.opts.full ? "every row" : "first and last row"} parsed)`,
      );
    }
    const full = FULL_ROWS[base(f)];
    if (sample || (full !== undefined && rows !== full)) {
      this.note(
        `${f}: ${rows} rows${full ? `, the full file has ${full}` : ""}${
          sample ? " (sample/partial; not a standard file name)" : " (partial)"
        }`,
      );
    }
  }

  async profile(f: string, sample: boolean): Promise<void> {
    const { lines, first, last } = await this.edges(f, false);
    const tmp = await Deno.makeTempFile({ suffix: ".txt" });
    try {
      const enc = new Uint8Array(first.line.length + last.line.length + 2);
      enc.set(first.line, 0);
      enc[first.line.length] = 10;
      enc.set(last.line, first.line.length + 1);
      enc[enc.length - 1] = 10;
      await Deno.writeFile(tmp, enc);
      await readUserProfiles(tmp);
      this.ok(f, `KDD 2012 user profile, ${lines} rows (first and last row parsed)`);
      if (sample) {
        this.note(`${f}: sample/partial KDD 2012 profile (${lines} rows; not a standard file name)`);
      }
    } catch (e) {
      const m = /line (\d+)/.exec(msg(e));
      const no = m ? (m[1] === "1" ? first.no : last.no) : undefined;
      this.fault(f, no ? `line ${no}` : undefined, msg(e).replace(tmp, f).replace(/line \d+/, `line ${no}`));
    } finally {
      await Deno.remove(tmp).catch(() => {});
    }
  }

  /** Line count (non-blank lines), the first data line and the last line, streamed. */
  async edges(f: string, hasHeader: boolean) {
    const file = await Deno.open(f, { read: true });
    let lines = 0, lineNo = 0;
    let header: string | undefined;
    let firstLine: Uint8Array | null = null, firstNo = 0;
    let lastLine: Uint8Array = new Uint8Array(0), lastNo = 0;
    try {
      const buf = new Uint8Array(1 << 22);
      let carry = new Uint8Array(0);
      const take = (line: Uint8Array) => {
        lineNo++;
        const l = line.length && line[line.length - 1] === 13 ? line.subarray(0, line.length - 1) : line;
        if (hasHeader && lineNo === 1) {
          header = new TextDecoder().decode(l);
          lines++;
          return;
        }
        if (l.length === 0) return;
        lines++;
        if (!firstLine) (firstLine = l.slice(), firstNo = lineNo);
        lastLine = l;
        lastNo = lineNo;
      };
      for (;;) {
        const got = await file.read(buf);
        if (got === null) break;
        let chunk = buf.subarray(0, got);
        if (carry.length) {
          const c = new Uint8Array(carry.length + got);
          c.set(carry);
          c.set(chunk, carry.length);
          chunk = c;
        }
        let pos = 0, nl: number;
        while ((nl = chunk.indexOf(10, pos)) >= 0) {
          take(chunk.subarray(pos, nl));
          pos = nl + 1;
        }
        lastLine = lastLine.slice();
        carry = chunk.slice(pos);
      }
      if (carry.length) take(carry);
      lastLine = lastLine.slice();
    } finally {
      file.close();
    }
    return {
      lines,
      first: { line: firstLine ?? new Uint8Array(0), no: firstNo, header },
      last: { line: lastLine, no: lastNo },
    };
  }

  /** Standard layouts with a file missing. */
  async completeness(): Promise<void> {
    const need: Record<string, { files: string[]; what: string }> = {
      "cifar10-bin": {
        files: CIFAR10_BIN,
        what: "CIFAR-10 binary (loadCifar needs all five training batches and the test batch)",
      },
      "cifar100-bin": { files: CIFAR100_BIN, what: "CIFAR-100 binary" },
      "cifar10-py": { files: CIFAR10_PY, what: "CIFAR-10 python version" },
      "cifar100-py": { files: CIFAR100_PY, what: "CIFAR-100 python version" },
      imagenet16: {
        files: IMAGENET16,
        what: "ImageNet16 (loadImageNet16 needs all ten training batches and val_data)",
      },
      mnist: { files: MNIST, what: "MNIST" },
    };
    for (const [key, names] of this.seen) {
      const [layout, dir] = key.split("\u0000");
      const n = need[layout];
      for (const f of n.files) {
        const ok = names.has(f) || (layout === "mnist" && names.has(`${f}.gz`));
        if (!ok) {
          this.fault(
            `${dir}/${f}${layout === "mnist" ? "(.gz)" : ""}`,
            undefined,
            `missing: part of the ${n.what} layout`,
          );
        }
      }
      const clean = !this.r.faults.some((f) => dirOf(f.file) === dir);
      if (layout === "mnist" && clean && MNIST.every((f) => names.has(f) || names.has(`${f}.gz`))) {
        for (const split of ["train", "test"] as const) {
          await loadMnist(dir, split).catch((e) => this.fault(dir, undefined, `MNIST ${split}: ${msg(e)}`));
        }
      }
    }
  }
}

/** The report as text: files, notes, faults and a verdict. */
export function formatReport(r: CheckReport): string {
  const out = [`check ${r.dir}`, ...r.lines];
  for (const n of r.notes) out.push(`note   ${n}`);
  for (const f of r.faults) out.push(`FAULT  ${f.file}${f.record ? ` ${f.record}` : ""}: ${f.message}`);
  out.push(
    r.faults.length
      ? `${r.faults.length} fault(s)`
      : `no faults${
        r.notes.some((n) => n.includes("sample/partial") || n.includes("(partial)"))
          ? " (sample/partial data: fine for tests, not the full dataset)"
          : ""
      }`,
  );
  return out.join("\n");
}

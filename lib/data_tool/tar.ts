/**
 * A minimal tar reader and writer: enough for the official dataset archives (ustar / GNU tar as
 * written by common `tar` tools) and for tests that build such archives.
 *
 * Reading is streamed: headers and file bodies come from a `ReadableStream` (e.g. a `.tar.gz`
 * through `DecompressionStream("gzip")`), so a 180 MB archive is never held in memory. Supported:
 * regular files and directories, the ustar `prefix` field, GNU long names (`L`), pax headers
 * (`x`: `path` and `size`; global `g` ignored), octal and base-256 sizes. Each header's checksum is
 * verified. Links and devices are reported as `other` and not extracted. Extraction refuses
 * absolute names and `..` components, so an archive cannot write outside its folder.
 *
 * @module
 */

/** One archive member. */
export interface TarEntry {
  /** path inside the archive, `/`-separated, without a trailing slash */
  name: string;
  type: "file" | "directory" | "other";
  /** the raw typeflag character */
  typeflag: string;
  size: number;
  /** seconds since the epoch */
  mtime: number;
}

/** A member with its body; read `body` before asking for the next entry (or it is skipped). */
export interface TarMember extends TarEntry {
  body(): AsyncGenerator<Uint8Array>;
}

/** Reads exact byte counts from a stream. */
class ByteReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #buf: Uint8Array = new Uint8Array(0);
  #pos = 0;
  /** bytes consumed so far */
  offset = 0;
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }
  /** Up to `max` bytes (at least 1), or null at the end of the stream. */
  async chunk(max: number): Promise<Uint8Array | null> {
    while (this.#pos >= this.#buf.length) {
      const { value, done } = await this.#reader.read();
      if (done) return null;
      this.#buf = value;
      this.#pos = 0;
    }
    const n = Math.min(max, this.#buf.length - this.#pos);
    const out = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    this.offset += n;
    return out;
  }
  /** Exactly `n` bytes, or fewer if the stream ends first. */
  async exact(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const c = await this.chunk(n - got);
      if (!c) return out.subarray(0, got);
      out.set(c, got);
      got += c.length;
    }
    return out;
  }
  cancel(): Promise<void> {
    return this.#reader.cancel().catch(() => {});
  }
}

const dec = new TextDecoder();

function cstr(b: Uint8Array, s: number, len: number): string {
  const f = b.subarray(s, s + len);
  const z = f.indexOf(0);
  return dec.decode(z >= 0 ? f.subarray(0, z) : f);
}

/** An octal field (NUL/space padded) or a GNU base-256 number (high bit of the first byte set). */
function numField(b: Uint8Array, s: number, len: number, what: string): number {
  if (b[s] & 0x80) {
    let v = b[s] & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + b[s + i];
    return v;
  }
  const t = cstr(b, s, len).trim();
  if (t === "") return 0;
  if (!/^[0-7]+$/.test(t)) throw new SyntaxError(`${what}: expected an octal number, got '${t}'`);
  return parseInt(t, 8);
}

/** Parse pax extended-header records `"<len> key=value\n"`. */
function paxRecords(data: Uint8Array, where: string): Map<string, string> {
  const out = new Map<string, string>();
  let p = 0;
  while (p < data.length) {
    let sp = p;
    while (sp < data.length && data[sp] !== 32) sp++;
    const len = Number(dec.decode(data.subarray(p, sp)));
    if (!Number.isInteger(len) || len <= 0 || p + len > data.length) {
      throw new SyntaxError(`${where}: malformed pax record at byte ${p}`);
    }
    const rec = dec.decode(data.subarray(sp + 1, p + len - 1));
    const eq = rec.indexOf("=");
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    p += len;
  }
  return out;
}

/**
 * Stream the members of a tar archive. `file` names the archive in errors. A truncated archive or
 * a damaged header is an error naming the member and byte offset.
 */
export async function* readTar(
  stream: ReadableStream<Uint8Array>,
  file = "<tar>",
): AsyncGenerator<TarMember> {
  const r = new ByteReader(stream);
  let longName: string | null = null;
  let pax = new Map<string, string>();
  try {
    for (;;) {
      const at = r.offset;
      const h = await r.exact(512);
      if (h.length === 0) return; // no end-of-archive blocks: tolerated, as GNU tar does
      if (h.length < 512) {
        throw new SyntaxError(`Cannot read tar archive ${file}: cut short inside the header at byte ${at}`);
      }
      if (h.every((x) => x === 0)) return; // end-of-archive marker
      const where = `Cannot read tar archive ${file}: header at byte ${at}`;
      let sum = 0, signed = 0;
      for (let i = 0; i < 512; i++) {
        const v = i >= 148 && i < 156 ? 32 : h[i];
        sum += v;
        signed += v > 127 ? v - 256 : v;
      }
      const stored = numField(h, 148, 8, where);
      if (stored !== sum && stored !== signed) {
        throw new SyntaxError(
          `${where}: checksum ${stored} does not match ${sum} (damaged or not a tar archive)`,
        );
      }
      const typeflag = h[156] === 0 ? "0" : String.fromCharCode(h[156]);
      let size = numField(h, 124, 12, where);
      const magic = cstr(h, 257, 6);
      let name = cstr(h, 0, 100);
      if (magic.startsWith("ustar")) {
        const prefix = cstr(h, 345, 155);
        if (prefix && magic === "ustar") name = `${prefix}/${name}`;
      }
      if (typeflag === "L" || typeflag === "x" || typeflag === "g" || typeflag === "K") {
        const data = await r.exact(size);
        if (data.length < size) {
          throw new SyntaxError(
            `${where}: cut short inside an extended header (${data.length} of ${size} bytes)`,
          );
        }
        await r.exact((512 - (size % 512)) % 512);
        if (typeflag === "L") longName = cstr(data, 0, data.length);
        else if (typeflag === "x") pax = paxRecords(data, where);
        continue;
      }
      if (longName !== null) name = longName;
      if (pax.has("path")) name = pax.get("path")!;
      if (pax.has("size")) size = Number(pax.get("size"));
      longName = null;
      pax = new Map();
      name = name.replace(/\/+$/, "");
      const type = typeflag === "0" || typeflag === "7" ? "file" : typeflag === "5" ? "directory" : "other";
      if (typeflag === "1" || typeflag === "2") size = 0; // links carry no data
      let left = size;
      const start = r.offset;
      const body = async function* (): AsyncGenerator<Uint8Array> {
        while (left > 0) {
          const c = await r.chunk(left);
          if (!c) {
            throw new SyntaxError(
              `Cannot read tar archive ${file}: member ${name} is cut short (${
                size - left
              } of ${size} bytes, ` +
                `archive ends at byte ${r.offset}; data started at byte ${start})`,
            );
          }
          left -= c.length;
          yield c;
        }
      };
      yield { name, type, typeflag, size, mtime: numField(h, 136, 12, where), body };
      for await (const _ of body()) { /* skip what the consumer did not read */ }
      const pad = (512 - (size % 512)) % 512;
      if ((await r.exact(pad)).length < pad) {
        throw new SyntaxError(`Cannot read tar archive ${file}: cut short after member ${name}`);
      }
    }
  } finally {
    await r.cancel();
  }
}

/** Whether an archive member name is a safe relative path (no absolute path, no `..`). */
export function safeMemberName(name: string): boolean {
  if (name === "" || name.startsWith("/") || /^[A-Za-z]:/.test(name) || name.includes("\\")) return false;
  return name.split("/").every((part) => part !== "..");
}

/**
 * Extract the files and folders of an archive stream under `dest` (created). Links and devices
 * are skipped and returned in `skipped`. Returns the member names written.
 */
export async function extractTar(
  stream: ReadableStream<Uint8Array>,
  dest: string,
  opts: { file?: string; onBytes?: (n: number) => void } = {},
): Promise<{ files: string[]; skipped: string[] }> {
  const file = opts.file ?? "<tar>";
  const files: string[] = [], skipped: string[] = [];
  await Deno.mkdir(dest, { recursive: true });
  for await (const m of readTar(stream, file)) {
    if (m.name === "" || m.name === ".") continue;
    if (!safeMemberName(m.name)) {
      throw new SyntaxError(`Cannot extract ${file}: member '${m.name}' would be written outside the folder`);
    }
    const path = `${dest}/${m.name}`;
    if (m.type === "directory") {
      await Deno.mkdir(path, { recursive: true });
      continue;
    }
    if (m.type === "other") {
      skipped.push(`${m.name} (type ${m.typeflag})`);
      continue;
    }
    const slash = path.lastIndexOf("/");
    await Deno.mkdir(path.slice(0, slash), { recursive: true });
    const out = await Deno.open(path, { write: true, create: true, truncate: true });
    try {
      for await (const c of m.body()) {
        let off = 0;
        while (off < c.length) off += await out.write(c.subarray(off));
        opts.onBytes?.(c.length);
      }
    } finally {
      out.close();
    }
    files.push(m.name);
  }
  return { files, skipped };
}

/** A member to write with {@link writeTar}. */
export interface TarInput {
  name: string;
  /** file content; absent for a directory */
  data?: Uint8Array;
  /** seconds since the epoch @default {0} */
  mtime?: number;
}

function octal(h: Uint8Array, s: number, len: number, v: number): void {
  const t = v.toString(8).padStart(len - 1, "0");
  if (t.length > len - 1) throw new RangeError(`Cannot write tar: value ${v} does not fit ${len} bytes`);
  for (let i = 0; i < t.length; i++) h[s + i] = t.charCodeAt(i);
  h[s + len - 1] = 0;
}

/** A ustar archive of the given members (directories end their name with `/` or have no data). */
export function writeTar(members: readonly TarInput[]): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const m of members) {
    const dir = m.data === undefined;
    let name = m.name.replace(/\/+$/, "") + (dir ? "/" : "");
    let prefix = "";
    if (enc.encode(name).length > 100) {
      const cut = name.lastIndexOf("/", name.length - 2);
      prefix = name.slice(0, cut);
      name = name.slice(cut + 1);
      if (cut < 0 || enc.encode(name).length > 100 || enc.encode(prefix).length > 155) {
        throw new RangeError(`Cannot write tar: name '${m.name}' is too long for ustar`);
      }
    }
    const h = new Uint8Array(512);
    h.set(enc.encode(name), 0);
    octal(h, 100, 8, dir ? 0o755 : 0o644);
    octal(h, 108, 8, 0);
    octal(h, 116, 8, 0);
    octal(h, 124, 12, m.data?.length ?? 0);
    octal(h, 136, 12, m.mtime ?? 0);
    h[156] = dir ? 53 : 48;
    h.set(enc.encode("ustar\u000000"), 257);
    h.set(enc.encode(prefix), 345);
    h.fill(32, 148, 156);
    const sum = h.reduce((a, b) => a + b, 0);
    octal(h, 148, 7, sum);
    h[155] = 32;
    parts.push(h);
    if (m.data) {
      parts.push(m.data);
      const pad = (512 - (m.data.length % 512)) % 512;
      if (pad) parts.push(new Uint8Array(pad));
    }
  }
  parts.push(new Uint8Array(1024));
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Gzip bytes (CompressionStream), e.g. to build a `.tar.gz` in tests. */
export async function gzip(data: Uint8Array): Promise<Uint8Array> {
  const s = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(s).arrayBuffer());
}

/** A file's bytes as a stream, gunzipped when `gz`. */
export async function openArchiveStream(path: string, gz: boolean): Promise<ReadableStream<Uint8Array>> {
  const f = await Deno.open(path, { read: true });
  return gz ? f.readable.pipeThrough(new DecompressionStream("gzip")) : f.readable;
}

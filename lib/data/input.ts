/**
 * Opening a data file as users have it: every reader (recommender text files, CIFAR, ImageNet16,
 * MNIST, NB201 ground truth) goes through here, so compression, byte-order marks and readable
 * error messages are handled once.
 *
 * - Compression is recognised by the first bytes, not the name: gzip (`1f 8b`, decompressed with
 *   the runtime's `DecompressionStream`) and bzip2 (`BZh1`–`BZh9`, with `bzip2.ts`) are read
 *   directly and streamed; xz, zip, 7z, zstd, Unix compress and tar archives are refused with the
 *   command that unpacks them (a tar inside gzip/bzip2 too: Criteo's `dac.tar.gz`).
 * - Text inputs: a leading UTF-8 byte-order mark is skipped and reported (`bomSkipped`).
 * - {@link escapeBytes} renders bytes for messages: printable text as is, anything else as
 *   `\xNN` escapes, cut at a readable length — so a binary file never puts garbage in an error.
 *
 * @module
 */
import { bunzip2Stream } from "./bzip2.ts";

/** How a file's bytes are stored. */
export type Compression = "none" | "gzip" | "bzip2";

/** A recognised format this module does not decompress, and how to unpack it. */
interface Foreign {
  name: string;
  magic: number[];
  unpack: (path: string) => string;
}

const FOREIGN: readonly Foreign[] = [
  { name: "xz-compressed", magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], unpack: (p) => `xz -dk ${p}` },
  { name: "a zip archive", magic: [0x50, 0x4b, 0x03, 0x04], unpack: (p) => `unzip ${p}` },
  { name: "an empty zip archive", magic: [0x50, 0x4b, 0x05, 0x06], unpack: (p) => `unzip -l ${p}` },
  { name: "a 7z archive", magic: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], unpack: (p) => `7z x ${p}` },
  { name: "zstd-compressed", magic: [0x28, 0xb5, 0x2f, 0xfd], unpack: (p) => `zstd -dk ${p}` },
  {
    name: "compressed with Unix compress (.Z)",
    magic: [0x1f, 0x9d],
    unpack: (p) => `uncompress -c ${p} > OUT`,
  },
];

const GZIP = [0x1f, 0x8b];
const BOM = [0xef, 0xbb, 0xbf];
/** Bytes looked at to recognise a format (a tar header's `ustar` sits at 257). */
const SNIFF_BYTES = 512;

const startsWith = (b: Uint8Array, magic: readonly number[], at = 0) =>
  b.length >= at + magic.length && magic.every((x, i) => b[at + i] === x);

/** Whether the bytes start a POSIX/GNU tar archive (`ustar` magic at offset 257). */
export function isTar(head: Uint8Array): boolean {
  return startsWith(head, [0x75, 0x73, 0x74, 0x61, 0x72], 257);
}

/** The compression of a file from its first bytes: one this module reads, or null (plain). */
export function sniffCompression(head: Uint8Array): Compression {
  if (startsWith(head, GZIP)) return "gzip";
  if (
    head.length >= 4 && head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68 && head[3] >= 0x31 &&
    head[3] <= 0x39
  ) {
    return "bzip2";
  }
  return "none";
}

/**
 * Why the first bytes cannot be read as data (a compression or archive this module does not
 * unpack), with the command that unpacks them; null when they can be.
 */
export function refuseFormat(head: Uint8Array, path: string, inside: Compression = "none"): string | null {
  if (inside === "none") {
    for (const f of FOREIGN) {
      if (startsWith(head, f.magic)) {
        return `it is ${f.name} (first bytes ${escapeBytes(head, 0, f.magic.length)}), which this reader ` +
          `does not unpack: run \`${f.unpack(path)}\` and point the reader at the result`;
      }
    }
  }
  if (isTar(head)) {
    const flag = inside === "gzip" ? "z" : inside === "bzip2" ? "j" : "";
    return `it is a tar archive${inside === "none" ? "" : ` (${inside}-compressed)`}, not a data file: ` +
      `run \`tar -x${flag}f ${path}\` and point the reader at the extracted file`;
  }
  return null;
}

/** Escapes of the ASCII control characters that have a short form. */
const SHORT: Record<number, string> = { 9: "\\t", 10: "\\n", 13: "\\r", 92: "\\\\" };

/**
 * Bytes buf[s, e) as readable text for an error message: printable ASCII and well-formed,
 * printable UTF-8 as they are; tab, CR, LF and backslash as `\t \r \n \\`; every other byte
 * (controls, a byte-order mark, invalid UTF-8, binary data) as `\xNN`. At most `max` characters
 * of output, then `…`.
 */
export function escapeBytes(buf: Uint8Array, s = 0, e = buf.length, max = 40): string {
  let out = "", shown = 0, i = s;
  const hex = (b: number) => `\\x${b.toString(16).padStart(2, "0")}`;
  while (i < e) {
    if (shown >= max) return `${out}…`;
    const b = buf[i];
    let piece: string, len = 1;
    if (b >= 0x20 && b < 0x7f && b !== 92) piece = String.fromCharCode(b);
    else if (SHORT[b]) piece = SHORT[b];
    else if (b >= 0xc2 && b <= 0xf4) {
      // a UTF-8 sequence: shown only when complete, minimal and a printable character
      const n = b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
      let cp = b & (0xff >> (n + 1)), ok = i + n <= e;
      for (let k = 1; ok && k < n; k++) {
        const c = buf[i + k];
        ok = (c & 0xc0) === 0x80;
        cp = (cp << 6) | (c & 0x3f);
      }
      ok = ok && cp >= [0, 0, 0x80, 0x800, 0x10000][n] && cp <= 0x10ffff && !(cp >= 0xd800 && cp < 0xe000);
      const ch = ok ? String.fromCodePoint(cp) : "";
      if (ok && /^[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]$/u.test(ch)) {
        piece = ch;
        len = n;
      } else piece = hex(b);
    } else piece = hex(b);
    out += piece;
    shown += piece.length;
    i += len;
  }
  return out;
}

/** Options of {@link openInput}. */
export interface OpenInputOptions {
  /** e.g. "Criteo file": starts error messages */
  what: string;
  /** a text format: skip a leading UTF-8 byte-order mark */
  text?: boolean;
}

/** An opened input: decompressed bytes, read like a file. */
export interface Input {
  path: string;
  compression: Compression;
  /** whether a leading UTF-8 byte-order mark was skipped */
  bomSkipped: boolean;
  /** size of the file on disk */
  fileBytes: number;
  /** bytes of the file (compressed, if it is) consumed so far, for progress */
  readonly filePosition: number;
  /** Read decompressed bytes into `into`: the count, or null at the end (as `Deno.FsFile.read`). */
  read(into: Uint8Array): Promise<number | null>;
  close(): void;
}

/** Messages of the runtime's gzip decoder, said for a user. */
function gzipError(e: unknown, path: string, what: string): SyntaxError {
  const msg = e instanceof Error ? e.message : String(e);
  let why = `corrupt gzip data (${msg})`;
  if (/failed to write whole buffer/.test(msg)) {
    why = "bytes follow the first gzip member (a multi-member .gz as pigz or bgzip write, or trailing " +
      `data), which this reader does not read: run \`gzip -dc ${path} > OUT\` and read OUT`;
  } else if (/checksum|unexpected end|truncat/i.test(msg)) {
    why = `the gzip data is truncated or corrupt (${msg})`;
  }
  return new SyntaxError(`Cannot decompress ${what} ${path}: ${why}`);
}

/**
 * Open `path` for streaming: recognises the compression from the first bytes, refuses formats
 * it cannot read (naming the unpack command) and, for text, skips a byte-order mark.
 */
export async function openInput(path: string, opts: OpenInputOptions): Promise<Input> {
  const file = await Deno.open(path, { read: true });
  let closed = false;
  let stop = () => {};
  const close = () => {
    if (closed) return;
    closed = true;
    stop();
    file.close();
  };
  try {
    const fileBytes = (await file.stat()).size;
    // the head: up to SNIFF_BYTES, fewer only at the end of the file
    const head = new Uint8Array(SNIFF_BYTES);
    let headLen = 0;
    while (headLen < SNIFF_BYTES) {
      const got = await file.read(head.subarray(headLen));
      if (got === null) break;
      headLen += got;
    }
    let filePosition = headLen;
    const first = head.subarray(0, headLen);
    const compression = sniffCompression(first);
    if (compression === "none") {
      const refused = refuseFormat(first, path);
      if (refused) throw new SyntaxError(`Cannot read ${opts.what} ${path}: ${refused}`);
    }

    // raw file chunks (the head first), for the decompressors
    const fileChunks = async function* (): AsyncGenerator<Uint8Array<ArrayBuffer>> {
      if (headLen > 0) yield first.slice();
      for (;;) {
        const buf = new Uint8Array(1 << 20);
        const got = await file.read(buf);
        if (got === null) return;
        filePosition += got;
        yield buf.subarray(0, got);
      }
    };

    // decompressed bytes, pulled in pieces; `pending` holds what the caller has not taken yet
    let pending: Uint8Array = new Uint8Array(0), pendingPos = 0;
    let pull: () => Promise<Uint8Array | null>;
    if (compression === "none") {
      pending = first;
      pull = async () => {
        const buf = new Uint8Array(1 << 20);
        const got = await file.read(buf);
        if (got === null) return null;
        filePosition += got;
        return buf.subarray(0, got);
      };
    } else if (compression === "gzip") {
      const reader = ReadableStream.from(fileChunks()).pipeThrough(new DecompressionStream("gzip"))
        .getReader();
      stop = () => void reader.cancel().catch(() => {});
      pull = async () => {
        try {
          const r = await reader.read();
          return r.done ? null : r.value;
        } catch (e) {
          throw gzipError(e, path, opts.what);
        }
      };
    } else {
      const blocks = bunzip2Stream(fileChunks(), { file: path });
      stop = () => void blocks.return(undefined).catch(() => {});
      pull = async () => {
        const r = await blocks.next();
        return r.done ? null : r.value;
      };
    }

    // the decompressed head: an archive inside the compression, and the byte-order mark
    let ended = false;
    if (compression !== "none") {
      const parts: Uint8Array[] = [];
      let n = 0;
      while (n < SNIFF_BYTES) {
        const c = await pull();
        if (c === null) {
          ended = true;
          break;
        }
        parts.push(c);
        n += c.length;
      }
      pending = new Uint8Array(n);
      let o = 0;
      for (const c of parts) {
        pending.set(c, o);
        o += c.length;
      }
      const refused = refuseFormat(pending, path, compression);
      if (refused) throw new SyntaxError(`Cannot read ${opts.what} ${path}: ${refused}`);
    }
    let bomSkipped = false;
    if (opts.text && startsWith(pending, BOM)) {
      pendingPos = 3;
      bomSkipped = true;
    }

    return {
      path,
      compression,
      bomSkipped,
      fileBytes,
      get filePosition() {
        return filePosition;
      },
      async read(into: Uint8Array): Promise<number | null> {
        if (into.length === 0) return 0;
        while (pendingPos >= pending.length) {
          if (ended) return null;
          if (compression === "none") {
            const got = await file.read(into);
            if (got !== null) filePosition += got;
            return got;
          }
          const c = await pull();
          if (c === null) {
            ended = true;
            return null;
          }
          pending = c;
          pendingPos = 0;
        }
        const n = Math.min(into.length, pending.length - pendingPos);
        into.set(pending.subarray(pendingPos, pendingPos + n));
        pendingPos += n;
        return n;
      },
      close,
    };
  } catch (e) {
    close();
    throw e;
  }
}

/** A whole input in memory (decompressed). */
export interface InputBytes {
  bytes: Uint8Array;
  path: string;
  compression: Compression;
  bomSkipped: boolean;
}

/**
 * Read a whole input (decompressed, a text's byte-order mark skipped). An empty result is an error
 * naming the file unless `allowEmpty`.
 */
export async function readInput(
  path: string,
  opts: OpenInputOptions & { allowEmpty?: boolean },
): Promise<InputBytes> {
  const input = await openInput(path, opts);
  try {
    const parts: Uint8Array[] = [];
    let n = 0;
    for (;;) {
      const want = input.compression === "none" ? Math.max(input.fileBytes - n, 0) + 1 : 1 << 22;
      const buf = new Uint8Array(Math.min(Math.max(want, 1 << 16), 1 << 26));
      let len = 0, got: number | null = 0;
      while (len < buf.length && (got = await input.read(buf.subarray(len))) !== null) len += got;
      if (len > 0) parts.push(len === buf.length ? buf : buf.subarray(0, len));
      n += len;
      if (got === null) break;
    }
    let bytes: Uint8Array;
    if (parts.length === 1) bytes = parts[0];
    else {
      bytes = new Uint8Array(n);
      let o = 0;
      for (const p of parts) {
        bytes.set(p, o);
        o += p.length;
      }
    }
    if (bytes.length === 0 && !opts.allowEmpty) {
      const why = input.compression === "none"
        ? input.bomSkipped ? "the file holds only a byte-order mark" : "the file is empty"
        : `the file decompresses (${input.compression}) to no data`;
      throw new SyntaxError(`Cannot read ${opts.what} ${path}: ${why}`);
    }
    return { bytes, path, compression: input.compression, bomSkipped: input.bomSkipped };
  } finally {
    input.close();
  }
}

/** A whole text input, decoded as UTF-8 (byte-order mark skipped). */
export async function readTextInput(
  path: string,
  opts: Omit<OpenInputOptions, "text"> & { allowEmpty?: boolean },
): Promise<string> {
  return new TextDecoder().decode((await readInput(path, { ...opts, text: true })).bytes);
}

/** The first of `base`, `base.gz`, `base.bz2` that is a file, or null. */
export async function findInput(base: string): Promise<string | null> {
  for (const p of [base, `${base}.gz`, `${base}.bz2`]) {
    try {
      if ((await Deno.stat(p)).isFile) return p;
    } catch { /* try the next */ }
  }
  return null;
}

/**
 * A sync parser's guard against being handed compressed or archived bytes (they need the async
 * {@link readInput}): a message naming the file and what to do, or null.
 */
export function compressedBytesMessage(bytes: Uint8Array, file: string): string | null {
  const c = sniffCompression(bytes);
  if (c !== "none") {
    return `the bytes are ${c}-compressed (first bytes ${escapeBytes(bytes, 0, 4)}): read the file with ` +
      `readInput (lib/data/input.ts) or the loader, which decompress it`;
  }
  return refuseFormat(bytes.subarray(0, SNIFF_BYTES), file);
}

/**
 * A pure-TypeScript bzip2 decompressor, so NATS-Bench's `.pickle.pbz2` files (and any other
 * `.bz2`) can be read without native code or a Python round trip.
 *
 * Supported: every block size (`BZh1`–`BZh9`), streams of many blocks, several streams
 * concatenated (as `cat a.bz2 b.bz2` or pbzip2 produce), block and stream CRCs checked.
 * Rejected with a clear error: "randomised" blocks (written only by bzip2 < 0.9.5, 1998),
 * truncated or corrupt data, and bytes after the last stream that do not start another one.
 *
 * Format (bit-exact, MSB first): `BZh<level>`, then blocks, each 0x314159265359 + CRC +
 * randomised bit + BWT origin + symbol map + Huffman tables/selectors + MTF/RLE2 symbols;
 * then 0x177245385090 + combined CRC, padded to a byte. Decoding undoes Huffman → MTF/RUNA-RUNB →
 * Burrows-Wheeler → the initial 4-byte run-length coding, in that order.
 *
 * {@link bzip2Compress} shells out to the system `bzip2` CLI; it exists for fixtures and tests,
 * not for the library's readers.
 *
 * @module
 */

const BLOCK_MAGIC_HI = 0x314159, BLOCK_MAGIC_LO = 0x265359;
const EOS_MAGIC_HI = 0x177245, EOS_MAGIC_LO = 0x385090;
const GROUP_SIZE = 50;
const MAX_GROUPS = 6;
const MAX_CODE_LEN = 20;
/** bzip2 1.0.8 reads but ignores selectors past this count (CVE-2019-12900 fix). */
const MAX_SELECTORS = 18002;
/** Bits resolved by one table lookup; longer codes fall back to the canonical walk. */
const FAST_BITS = 10;

/** CRC-32 as bzip2 uses it: polynomial 0x04c11db7, MSB first (not the zlib bit order). */
const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c;
  }
  return t;
})();

/** Options of {@link bunzip2}. */
export interface Bunzip2Options {
  /** name used in error messages @default {"<bzip2>"} */
  file?: string;
  /** refuse to produce more than this many bytes (guards against decompression bombs) @default {2 ** 31} */
  maxOutputBytes?: number;
}

/** True when the bytes start like a bzip2 stream (`BZh1`–`BZh9`). */
export function isBzip2(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x42 && bytes[1] === 0x5a && bytes[2] === 0x68 &&
    bytes[3] >= 0x31 && bytes[3] <= 0x39;
}

/** Huffman decoding tables of one coding group. */
interface HuffTable {
  /** FAST_BITS-bit prefix → (symbol << 5 | length), or 0 when the code is longer */
  fast: Int32Array;
  /** largest left-aligned code of each length, as a MAX_CODE_LEN-bit number; -1 when none */
  limit: Int32Array;
  /** index into `perm` of the first code of each length, minus that code's value */
  base: Int32Array;
  /** symbols sorted by (length, symbol) */
  perm: Uint16Array;
  minLen: number;
  maxLen: number;
}

/** Bit reader and block decoder over one input buffer (all streams). */
class Decoder {
  #pos = 0;
  #buf = 0;
  #count = 0;
  #out: Uint8Array;
  #outLen = 0;
  /** BWT vector; allocated for the largest block size seen */
  #tt = new Uint32Array(0);
  /** input held now; streamed input drops consumed bytes between blocks ({@link feed}) */
  data: Uint8Array;
  /** offset in the whole input of data[0] */
  #base = 0;
  /** whether `data` ends the input (always for a whole buffer) */
  #eof: boolean;
  /** streamed: each block's output is returned on its own instead of accumulated */
  readonly #streamed: boolean;
  #total = 0;
  #inStream = false;
  #streams = 0;
  #blockNo = 0;
  #combined = 0;
  #maxBlock = 0;

  constructor(data: Uint8Array, readonly file: string, readonly maxOut: number, streamed = false) {
    this.data = data;
    this.#eof = !streamed;
    this.#streamed = streamed;
    this.#out = new Uint8Array(Math.min(Math.max(data.length * 4, 1 << 16), maxOut + 256));
  }

  /** Byte offset of the next unread bit (for messages). */
  get #at(): number {
    return this.#base + this.#pos - (this.#count >> 3);
  }

  /** Whole input bytes not yet consumed. */
  available(): number {
    return this.data.length - this.#pos;
  }

  /** Append streamed input (between blocks only), dropping what has been consumed. */
  feed(chunks: Uint8Array[], eof: boolean): void {
    this.#eof = eof;
    if (chunks.length === 0) return;
    const keep = this.data.subarray(this.#pos);
    const next = new Uint8Array(keep.length + chunks.reduce((s, c) => s + c.length, 0));
    next.set(keep);
    let o = keep.length;
    for (const c of chunks) {
      next.set(c, o);
      o += c.length;
    }
    this.#base += this.#pos;
    this.#pos = 0;
    this.data = next;
  }

  #fail(msg: string, Kind: ErrorConstructor = SyntaxError): never {
    throw new Kind(`Cannot decompress bzip2 ${this.file} near byte ${this.#at}: ${msg}`);
  }

  /** Make at least `n` (≤ 24) bits available; past the end, pads with zeros that {@link #bits} refuses. */
  #fill(n: number): void {
    while (this.#count < n) {
      const b = this.#pos < this.data.length ? this.data[this.#pos] : 0;
      this.#pos++;
      this.#buf = (this.#buf << 8) | b;
      this.#count += 8;
    }
  }
  /** True if bits beyond the end of input have been consumed. */
  #overrun(): boolean {
    return this.#pos * 8 - this.#count > this.data.length * 8;
  }
  /** Store the hot loop's local copy of the bit reader. */
  #sync(buf: number, count: number, pos: number): void {
    this.#buf = buf;
    this.#count = count;
    this.#pos = pos;
  }
  /** Input ran out: the end of a file, or (streamed, with a block's worth buffered) corruption. */
  #ranOut(): never {
    this.#fail(
      this.#eof
        ? "unexpected end of data (truncated file)"
        : "a block longer than bzip2 allows (corrupt data)",
    );
  }
  #bits(n: number): number {
    this.#fill(n);
    this.#count -= n;
    if (this.#overrun()) this.#ranOut();
    return (this.#buf >>> this.#count) & ((1 << n) - 1);
  }
  #bit(): number {
    return this.#bits(1);
  }

  run(): Uint8Array {
    while (this.next() !== null);
    return this.#out.slice(0, this.#outLen);
  }

  /**
   * Decode up to the next block's output (streamed: that block's bytes; whole buffer: an empty
   * array, the output accumulating for {@link run}), or null at the end of the input. Streamed,
   * the caller keeps at least one maximal compressed block buffered ahead (or the end of input).
   */
  next(): Uint8Array | null {
    const d = this.data;
    for (;;) {
      if (!this.#inStream) {
        if (this.#pos >= this.data.length) {
          if (this.#streams === 0) this.#fail("empty input (expected a 'BZh' stream header)");
          return null;
        }
        if (!isBzip2(this.data.subarray(this.#pos))) {
          if (this.#streams === 0) this.#fail("not a bzip2 stream (expected header 'BZh1'…'BZh9')");
          this.#fail(
            `${
              this.#eof ? `${this.data.length - this.#pos} bytes` : "the bytes"
            } after the end of bzip2 stream ${this.#streams} do not start another stream`,
          );
        }
        const level = this.data[this.#pos + 3] - 0x30;
        this.#pos += 4;
        this.#maxBlock = level * 100000;
        if (this.#tt.length < this.#maxBlock) this.#tt = new Uint32Array(this.#maxBlock);
        this.#combined = 0;
        this.#blockNo = 0;
        this.#inStream = true;
      }
      const hi = this.#bits(24), lo = this.#bits(24);
      if (hi === BLOCK_MAGIC_HI && lo === BLOCK_MAGIC_LO) {
        const want = this.#bits(16) * 65536 + this.#bits(16);
        const block = this.#blockNo++;
        if (this.#streamed) this.#outLen = 0;
        const got = this.#block(this.#maxBlock, block);
        if (got !== want) {
          this.#fail(
            `CRC mismatch in block ${block}: stored 0x${hex(want)}, computed 0x${hex(got)} (corrupt data)`,
          );
        }
        this.#combined = (((this.#combined << 1) | (this.#combined >>> 31)) ^ got) >>> 0;
        if (!this.#streamed) return d.subarray(0, 0);
        this.#total += this.#outLen;
        if (this.#total > this.maxOut) {
          this.#fail(`output exceeds maxOutputBytes = ${this.maxOut}`, RangeError);
        }
        return this.#out.slice(0, this.#outLen);
      } else if (hi === EOS_MAGIC_HI && lo === EOS_MAGIC_LO) {
        const want = this.#bits(16) * 65536 + this.#bits(16);
        if (want !== this.#combined) {
          this.#fail(`stream CRC mismatch: stored 0x${hex(want)}, computed 0x${hex(this.#combined)}`);
        }
        this.#count -= this.#count & 7; // pad to a byte boundary
        // hand the remaining whole bytes back to the byte cursor
        this.#pos -= this.#count >> 3;
        this.#count = 0;
        this.#buf = 0;
        this.#inStream = false;
        this.#streams++;
      } else {
        this.#fail(`expected a block or end-of-stream marker, found 0x${hex(hi, 6)}${hex(lo, 6)}`);
      }
    }
  }

  /** Decode one block into the output; returns its CRC. */
  #block(maxBlock: number, blockNo: number): number {
    const what = `block ${blockNo}`;
    if (this.#bit()) {
      this.#fail(
        `${what} is "randomised" (written by bzip2 older than 0.9.5); such blocks are not supported`,
        TypeError,
      );
    }
    const origPtr = this.#bits(24);

    // symbol map: 16 ranges of 16 bytes
    const seqToUnseq = new Uint8Array(256);
    let nInUse = 0;
    const ranges = this.#bits(16);
    for (let i = 0; i < 16; i++) {
      if (!(ranges & (0x8000 >> i))) continue;
      const used = this.#bits(16);
      for (let j = 0; j < 16; j++) if (used & (0x8000 >> j)) seqToUnseq[nInUse++] = i * 16 + j;
    }
    if (nInUse === 0) this.#fail(`${what} uses no byte values`);
    const alphaSize = nInUse + 2;

    const nGroups = this.#bits(3);
    if (nGroups < 2 || nGroups > MAX_GROUPS) {
      this.#fail(`${what} has ${nGroups} Huffman groups (expected 2–6)`);
    }
    const nSelectors = this.#bits(15);
    if (nSelectors < 1) this.#fail(`${what} has no selectors`);
    const selectors = new Uint8Array(Math.min(nSelectors, MAX_SELECTORS));
    const groupMtf = [0, 1, 2, 3, 4, 5];
    for (let i = 0; i < nSelectors; i++) {
      let j = 0;
      while (this.#bit()) {
        if (++j >= nGroups) this.#fail(`${what} selector ${i} is ≥ ${nGroups} groups`);
      }
      const g = groupMtf[j];
      for (let k = j; k > 0; k--) groupMtf[k] = groupMtf[k - 1];
      groupMtf[0] = g;
      if (i < MAX_SELECTORS) selectors[i] = g;
    }

    const tables: HuffTable[] = [];
    const lens = new Uint8Array(alphaSize);
    for (let t = 0; t < nGroups; t++) {
      let len = this.#bits(5);
      for (let s = 0; s < alphaSize; s++) {
        for (;;) {
          if (len < 1 || len > MAX_CODE_LEN) {
            this.#fail(`${what} group ${t} has a code length ${len} (expected 1–20)`);
          }
          if (!this.#bit()) break;
          len += this.#bit() ? -1 : 1;
        }
        lens[s] = len;
      }
      tables.push(this.#table(lens, `${what} group ${t}`));
    }

    // Huffman → MTF / RUNA-RUNB → byte counts and tt[] (low 8 bits)
    const tt = this.#tt;
    const counts = new Int32Array(256);
    const mtf = new Uint8Array(256);
    for (let i = 0; i < 256; i++) mtf[i] = i;
    const eob = nInUse + 1;
    let nblock = 0, runLen = 0, runBit = 0;
    let groupIdx = -1, groupLeft = 0;
    let tab = tables[0];
    const data = this.data;
    let buf = this.#buf, count = this.#count, pos = this.#pos;
    for (;;) {
      if (groupLeft === 0) {
        if (++groupIdx >= selectors.length) this.#fail(`${what} runs past its ${selectors.length} selectors`);
        groupLeft = GROUP_SIZE;
        tab = tables[selectors[groupIdx]];
        this.#sync(buf, count, pos);
        if (this.#overrun()) this.#ranOut();
      }
      groupLeft--;
      // inline fill to MAX_CODE_LEN bits
      while (count < MAX_CODE_LEN) {
        buf = (buf << 8) | (pos < data.length ? data[pos] : 0);
        pos++;
        count += 8;
      }
      const peek = (buf >>> (count - MAX_CODE_LEN)) & 0xfffff;
      let sym: number, len: number;
      const f = tab.fast[peek >>> (MAX_CODE_LEN - FAST_BITS)];
      if (f !== 0) {
        sym = f >>> 5;
        len = f & 31;
      } else {
        len = tab.minLen;
        while (len <= tab.maxLen && (peek >>> (MAX_CODE_LEN - len)) > tab.limit[len]) len++;
        if (len > tab.maxLen) {
          this.#sync(buf, count, pos);
          this.#fail(`${what} has a bit pattern that is no Huffman code (corrupt data)`);
        }
        sym = tab.perm[tab.base[len] + (peek >>> (MAX_CODE_LEN - len))];
      }
      count -= len;

      if (sym <= 1) { // RUNA (0) / RUNB (1): bijective base-2 digits of a run of mtf[0]
        if (runBit > 21) this.#fail(`${what} has an impossibly long run`);
        runLen += (sym + 1) << runBit;
        runBit++;
        continue;
      }
      if (runLen > 0) {
        if (nblock + runLen > maxBlock) this.#fail(`${what} is longer than the ${maxBlock}-byte block size`);
        const b = seqToUnseq[mtf[0]];
        counts[b] += runLen;
        tt.fill(b, nblock, nblock + runLen);
        nblock += runLen;
        runLen = 0;
        runBit = 0;
      }
      if (sym === eob) break;
      if (sym > eob) this.#fail(`${what} has symbol ${sym} above its end-of-block ${eob}`);
      if (nblock >= maxBlock) this.#fail(`${what} is longer than the ${maxBlock}-byte block size`);
      const n = sym - 1;
      const v = mtf[n];
      if (n < 16) { for (let k = n; k > 0; k--) mtf[k] = mtf[k - 1]; }
      else mtf.copyWithin(1, 0, n);
      mtf[0] = v;
      const b = seqToUnseq[v];
      counts[b]++;
      tt[nblock++] = b;
    }
    this.#sync(buf, count, pos);
    if (this.#overrun()) this.#ranOut();
    if (origPtr >= nblock) this.#fail(`${what} has BWT origin ${origPtr} outside its ${nblock} bytes`);

    // inverse Burrows-Wheeler: tt[i] >> 8 links each position to the next
    const cftab = new Int32Array(256);
    for (let i = 0, sum = 0; i < 256; i++) {
      cftab[i] = sum;
      sum += counts[i];
    }
    for (let i = 0; i < nblock; i++) {
      const b = tt[i] & 0xff;
      tt[cftab[b]++] |= i << 8;
    }

    // walk the BWT chain, undo the initial run-length coding, CRC the output
    let out = this.#out, o = this.#outLen;
    let crc = -1, last = -1, same = 0;
    let t = tt[origPtr] >>> 8;
    for (let k = 0; k < nblock; k++) {
      t = tt[t];
      const c = t & 0xff;
      t >>>= 8;
      if (o + 256 > out.length) out = this.#grow(o, o + 256);
      if (same === 4) { // c is the count of extra copies of `last`
        for (let r = 0; r < c; r++) {
          out[o++] = last;
          crc = (crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ last) & 0xff];
        }
        same = 0;
        last = -1;
        continue;
      }
      if (c === last) same++;
      else {
        last = c;
        same = 1;
      }
      out[o++] = c;
      crc = (crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ c) & 0xff];
    }
    if (o > this.maxOut) this.#fail(`output exceeds maxOutputBytes = ${this.maxOut}`, RangeError);
    this.#outLen = o;
    return ~crc >>> 0;
  }

  /** A larger output buffer holding the first `used` bytes written so far. */
  #grow(used: number, need: number): Uint8Array {
    if (need > this.maxOut + 256) this.#fail(`output exceeds maxOutputBytes = ${this.maxOut}`, RangeError);
    const next = new Uint8Array(Math.min(Math.max(need, this.#out.length * 2), this.maxOut + 256));
    next.set(this.#out.subarray(0, used));
    this.#out = next;
    return next;
  }

  /** Canonical Huffman decoding tables from code lengths (codes in (length, symbol) order). */
  #table(lens: Uint8Array, what: string): HuffTable {
    const n = lens.length;
    let minLen = 32, maxLen = 0;
    const lenCount = new Int32Array(MAX_CODE_LEN + 2);
    for (let s = 0; s < n; s++) {
      lenCount[lens[s]]++;
      if (lens[s] < minLen) minLen = lens[s];
      if (lens[s] > maxLen) maxLen = lens[s];
    }
    const perm = new Uint16Array(n);
    const limit = new Int32Array(MAX_CODE_LEN + 1).fill(-1);
    const base = new Int32Array(MAX_CODE_LEN + 1);
    const fast = new Int32Array(1 << FAST_BITS);
    let p = 0, code = 0;
    for (let len = minLen; len <= maxLen; len++) {
      const first = code;
      base[len] = p - first;
      for (let s = 0; s < n; s++) {
        if (lens[s] !== len) continue;
        perm[p++] = s;
        if (len <= FAST_BITS) {
          const shift = FAST_BITS - len;
          fast.fill((s << 5) | len, code << shift, (code + 1) << shift);
        }
        code++;
      }
      if (code > 1 << len) this.#fail(`${what} has over-subscribed Huffman code lengths`);
      limit[len] = code - 1;
      code <<= 1;
    }
    return { fast, limit, base, perm, minLen, maxLen };
  }
}

function hex(v: number, width = 8): string {
  return (v >>> 0).toString(16).padStart(width, "0");
}

/** Decompress bzip2 data (one or more concatenated streams). Errors name the file and byte offset. */
export function bunzip2(bytes: Uint8Array, opts: Bunzip2Options = {}): Uint8Array {
  const max = opts.maxOutputBytes ?? 2 ** 31;
  if (!(max >= 0)) throw new RangeError(`Expected maxOutputBytes ≥ 0: got ${max}`);
  return new Decoder(bytes, opts.file ?? "<bzip2>", max).run();
}

/**
 * Input kept buffered ahead of each block when streaming: more than the largest compressed block
 * (900 000 symbols of at most 20 bits, plus tables), so a valid block never runs out mid-way.
 */
const STREAM_LOOKAHEAD = 3 << 20;

/**
 * Decompress streamed bzip2 data block by block: yields each block's output (≤ 900 kB before the
 * run-length stage, a few MB at most) while holding only about 3 MiB of input. Same checks and
 * messages as {@link bunzip2}; `maxOutputBytes` bounds the total.
 */
export async function* bunzip2Stream(
  chunks: AsyncIterable<Uint8Array>,
  opts: Bunzip2Options = {},
): AsyncGenerator<Uint8Array> {
  const max = opts.maxOutputBytes ?? Infinity;
  if (!(max >= 0)) throw new RangeError(`Expected maxOutputBytes ≥ 0: got ${max}`);
  const dec = new Decoder(new Uint8Array(0), opts.file ?? "<bzip2>", max, true);
  const it = chunks[Symbol.asyncIterator]();
  let eof = false;
  try {
    for (;;) {
      if (!eof && dec.available() < STREAM_LOOKAHEAD) {
        const got: Uint8Array[] = [];
        let have = dec.available();
        while (!eof && have < STREAM_LOOKAHEAD) {
          const r = await it.next();
          if (r.done) eof = true;
          else {
            got.push(r.value);
            have += r.value.length;
          }
        }
        dec.feed(got, eof);
      }
      const out = dec.next();
      if (out === null) return;
      if (out.length > 0) yield out;
    }
  } finally {
    if (!eof) await it.return?.();
  }
}

/** Read and decompress a `.bz2` / `.pbz2` file. */
export async function readBzip2File(
  path: string,
  opts: Omit<Bunzip2Options, "file"> = {},
): Promise<Uint8Array> {
  return bunzip2(await Deno.readFile(path), { ...opts, file: path });
}

/** Whether the system `bzip2` CLI can be run (for fixtures and tests). */
export async function hasBzip2Cli(): Promise<boolean> {
  try {
    const r = await new Deno.Command("bzip2", { args: ["--help"], stdout: "null", stderr: "null" }).output();
    return r.success;
  } catch {
    return false;
  }
}

/**
 * Compress with the system `bzip2` CLI (`bzip2 -c -<level>`). Only for writing fixtures: the
 * library reads bzip2 with {@link bunzip2} and never needs the CLI.
 */
export async function bzip2Compress(bytes: Uint8Array, level = 9): Promise<Uint8Array> {
  if (!Number.isInteger(level) || level < 1 || level > 9) {
    throw new RangeError(`Expected a bzip2 level in 1..9: got ${level}`);
  }
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("bzip2", {
      args: ["-c", `-${level}`],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    throw new TypeError(
      `Cannot compress: the system 'bzip2' command is not available (${(e as Error).message}); ` +
        `install bzip2 (e.g. apt-get install bzip2) to write .pbz2 fixtures`,
    );
  }
  const writer = child.stdin.getWriter();
  const [, r] = await Promise.all([writer.write(bytes).then(() => writer.close()), child.output()]);
  if (!r.success) {
    throw new TypeError(
      `Cannot compress: 'bzip2' exited with ${r.code}: ${new TextDecoder().decode(r.stderr)}`,
    );
  }
  return r.stdout;
}

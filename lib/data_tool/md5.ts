/**
 * Streaming MD5 (RFC 1321), because the official dataset archives publish MD5 sums and Web Crypto
 * offers no MD5. Used to verify downloads and filled folders; not for anything security-related.
 *
 * @module
 */

/** Per-round left-rotation amounts. */
const S = new Uint8Array([
  7,
  12,
  17,
  22,
  7,
  12,
  17,
  22,
  7,
  12,
  17,
  22,
  7,
  12,
  17,
  22,
  5,
  9,
  14,
  20,
  5,
  9,
  14,
  20,
  5,
  9,
  14,
  20,
  5,
  9,
  14,
  20,
  4,
  11,
  16,
  23,
  4,
  11,
  16,
  23,
  4,
  11,
  16,
  23,
  4,
  11,
  16,
  23,
  6,
  10,
  15,
  21,
  6,
  10,
  15,
  21,
  6,
  10,
  15,
  21,
  6,
  10,
  15,
  21,
]);
/** K[i] = floor(|sin(i + 1)| · 2³²). */
const K = Int32Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000) | 0);

/** Incremental MD5: `update` any number of times, then `hex()` (once). */
export class Md5 {
  #h = new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476]);
  #block = new Uint8Array(64);
  #view = new DataView(this.#block.buffer);
  #fill = 0;
  #bytes = 0;
  #done = false;
  #x = new Int32Array(16);

  /** Start over, as a new hash. */
  reset(): this {
    this.#h.set([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476]);
    this.#fill = 0;
    this.#bytes = 0;
    this.#done = false;
    return this;
  }

  /** Add bytes. */
  update(data: Uint8Array): this {
    if (this.#done) throw new Error("Md5.update after digest");
    this.#bytes += data.length;
    let i = 0;
    if (this.#fill > 0) {
      const take = Math.min(64 - this.#fill, data.length);
      this.#block.set(data.subarray(0, take), this.#fill);
      this.#fill += take;
      i = take;
      if (this.#fill < 64) return this;
      this.#compress(this.#view, 0);
      this.#fill = 0;
    }
    if (data.length - i >= 64) {
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      for (; i + 64 <= data.length; i += 64) this.#compress(view, i);
    }
    if (i < data.length) {
      this.#block.set(data.subarray(i), 0);
      this.#fill = data.length - i;
    }
    return this;
  }

  /** The 16-byte digest (ends the hash). */
  digest(): Uint8Array {
    if (this.#done) throw new Error("Md5.digest called twice");
    const bits = this.#bytes * 8;
    const pad = new Uint8Array(((this.#fill < 56 ? 56 : 120) - this.#fill) + 8);
    pad[0] = 0x80;
    const pv = new DataView(pad.buffer);
    pv.setUint32(pad.length - 8, bits >>> 0, true);
    pv.setUint32(pad.length - 4, Math.floor(bits / 0x100000000), true);
    this.update(pad);
    this.#done = true;
    const out = new Uint8Array(16);
    const ov = new DataView(out.buffer);
    for (let k = 0; k < 4; k++) ov.setInt32(4 * k, this.#h[k], true);
    return out;
  }

  /** The digest as 32 lowercase hex digits (ends the hash). */
  hex(): string {
    return Array.from(this.digest(), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  #compress(view: DataView, off: number): void {
    const x = this.#x;
    for (let j = 0; j < 16; j++) x[j] = view.getInt32(off + 4 * j, true);
    const h = this.#h;
    let a = h[0], b = h[1], c = h[2], d = h[3];
    for (let i = 0; i < 64; i++) {
      let f: number, g: number;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) & 15;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) & 15;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) & 15;
      }
      const t = (a + f + K[i] + x[g]) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + ((t << S[i]) | (t >>> (32 - S[i])))) | 0;
    }
    h[0] = (h[0] + a) | 0;
    h[1] = (h[1] + b) | 0;
    h[2] = (h[2] + c) | 0;
    h[3] = (h[3] + d) | 0;
  }
}

/** MD5 of bytes, as hex. */
export function md5Hex(data: Uint8Array): string {
  return new Md5().update(data).hex();
}

/** MD5 of a file, streamed in 4 MiB reads; `onBytes` sees the running count. */
export async function md5File(path: string, onBytes?: (done: number) => void): Promise<string> {
  const f = await Deno.open(path, { read: true });
  try {
    const h = new Md5();
    const buf = new Uint8Array(1 << 22);
    let done = 0;
    for (;;) {
      const got = await f.read(buf);
      if (got === null) break;
      h.update(buf.subarray(0, got));
      done += got;
      onBytes?.(done);
    }
    return h.hex();
  } finally {
    f.close();
  }
}

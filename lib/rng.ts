/**
 * Seeded pseudo-random numbers for every random choice in the library.
 *
 * Randomness is passed in (never taken from `Math.random`), so that the same seed gives the same
 * architectures, batches and splits on every machine. The generator is PCG32 (XSH-RR output, 64-bit
 * LCG state), computed with BigInt-free 32-bit halves so it is fast and exact in JavaScript.
 *
 * @module
 */

/** A seeded stream of random numbers. */
export interface Rng {
  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number;
  /** A uniform float in [0, 1) with 53 random bits. */
  next(): number;
  /** A uniform integer in [0, n). */
  int(n: number): number;
  /** A standard normal sample (Box-Muller; caches the second value). */
  normal(): number;
  /** A uniformly chosen element of a non-empty array. */
  choice<T>(items: readonly T[]): T;
  /** A shuffled copy of the array (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[];
  /** An independent child stream, derived deterministically from this stream's next outputs. */
  fork(): Rng;
}

const MUL_HI = 0x5851f42d;
const MUL_LO = 0x4c957f2d;

/** Multiply two unsigned 64-bit numbers given as 32-bit halves, modulo 2^64. */
function mul64(aHi: number, aLo: number, bHi: number, bLo: number): [number, number] {
  const a0 = aLo & 0xffff, a1 = aLo >>> 16, b0 = bLo & 0xffff, b1 = bLo >>> 16;
  const lo00 = a0 * b0;
  const mid = a1 * b0 + a0 * b1 + (lo00 >>> 16);
  const lo = ((mid & 0xffff) << 16 | (lo00 & 0xffff)) >>> 0;
  const carry = Math.floor(mid / 65536) + a1 * b1;
  const hi = (carry + Math.imul(aHi, bLo) + Math.imul(aLo, bHi)) >>> 0;
  return [hi, lo];
}

/** Add two unsigned 64-bit numbers given as 32-bit halves, modulo 2^64. */
function add64(aHi: number, aLo: number, bHi: number, bLo: number): [number, number] {
  const lo = (aLo + bLo) >>> 0;
  const hi = (aHi + bHi + (lo < aLo ? 1 : 0)) >>> 0;
  return [hi, lo];
}

class Pcg32 implements Rng {
  #hi = 0;
  #lo = 0;
  readonly #incHi: number;
  readonly #incLo: number;
  #spare: number | null = null;

  constructor(seedHi: number, seedLo: number, streamHi: number, streamLo: number) {
    // inc must be odd: (stream << 1) | 1
    this.#incHi = ((streamHi << 1) | (streamLo >>> 31)) >>> 0;
    this.#incLo = ((streamLo << 1) | 1) >>> 0;
    this.#step();
    [this.#hi, this.#lo] = add64(this.#hi, this.#lo, seedHi >>> 0, seedLo >>> 0);
    this.#step();
  }

  #step(): void {
    const [h, l] = mul64(this.#hi, this.#lo, MUL_HI, MUL_LO);
    [this.#hi, this.#lo] = add64(h, l, this.#incHi, this.#incLo);
  }

  nextUint32(): number {
    const oldHi = this.#hi, oldLo = this.#lo;
    this.#step();
    // xorshifted = ((old >> 18) ^ old) >> 27, truncated to 32 bits
    const sHi = oldHi >>> 18;
    const sLo = ((oldLo >>> 18) | (oldHi << 14)) >>> 0;
    const xHi = (sHi ^ oldHi) >>> 0, xLo = (sLo ^ oldLo) >>> 0;
    const xorshifted = ((xLo >>> 27) | (xHi << 5)) >>> 0;
    const rot = oldHi >>> 27;
    return ((xorshifted >>> rot) | (xorshifted << ((32 - rot) & 31))) >>> 0;
  }

  next(): number {
    const a = this.nextUint32() >>> 5, b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) {
      throw new RangeError(
        `Cannot draw an integer in [0, n) as n must be a positive integer: current value is ${n}`,
      );
    }
    if (n <= 0x100000000) {
      // Lemire-style rejection to avoid modulo bias.
      const limit = 0x100000000 - (0x100000000 % n);
      let x = this.nextUint32();
      while (x >= limit) x = this.nextUint32();
      return x % n;
    }
    return Math.floor(this.next() * n);
  }

  normal(): number {
    if (this.#spare !== null) {
      const s = this.#spare;
      this.#spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  choice<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("Cannot choose from an empty array");
    return items[this.int(items.length)];
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return out;
  }

  fork(): Rng {
    return new Pcg32(this.nextUint32(), this.nextUint32(), this.nextUint32(), this.nextUint32());
  }
}

/**
 * A PCG32 stream for a seed (any safe integer) and an optional stream id.
 *
 * @example
 * ```ts
 * const rng = createRng(42);
 * rng.int(10); // always the same for seed 42
 * ```
 */
export function createRng(seed: number, stream = 0): Rng {
  if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(stream)) {
    throw new RangeError(
      `Cannot seed the generator as seed and stream must be safe integers: got ${seed}, ${stream}`,
    );
  }
  const split = (v: number): [number, number] => {
    const neg = v < 0;
    const a = Math.abs(v);
    let hi = Math.floor(a / 0x100000000) >>> 0, lo = a >>> 0;
    if (neg) { // two's complement
      lo = (~lo + 1) >>> 0;
      hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
    }
    return [hi, lo];
  };
  const [sh, sl] = split(seed);
  const [th, tl] = split(stream);
  return new Pcg32(sh, sl, th, tl);
}

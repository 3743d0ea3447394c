/**
 * A small, safe Python pickle reader (protocols 2–5) and a protocol-2/3 writer, enough for the
 * dataset files of CIFAR-10/100 (python version) and downsampled ImageNet16.
 *
 * Only data is rebuilt, never code: the few globals these files use are rebuilt by hand
 * (`numpy.core.multiarray._reconstruct` + `numpy.dtype` + BUILD for arrays, protocol-5
 * `numpy.core.numeric._frombuffer`, numpy scalars, `_codecs.encode` for Python-3 bytes at
 * protocol 2, sets, `collections.OrderedDict`); any other global is an error naming it.
 *
 * Python values map to JavaScript as:
 * - None → `null`, bool → boolean, float → number;
 * - int → number when it is a safe integer, else bigint;
 * - str → string; Python-2 `str` (BINSTRING) → string with one char per byte (like
 *   `pickle.load(f, encoding="latin1")`); bytes / bytearray → Uint8Array;
 * - list → array; tuple → frozen array; set / frozenset → Set;
 * - dict → Map; bytes keys become latin-1 strings and tuple keys their Python repr, so that
 *   `d.get("data")` works for files written by Python 2 and 3 alike;
 * - numpy arrays → {@link NdArray} in C order (Fortran-ordered data is transposed).
 *
 * @module
 */

/** A numpy array rebuilt from a pickle, always C-ordered. */
export class NdArray {
  constructor(
    /** numpy dtype name: uint8, int8, uint16, int16, uint32, int32, uint64, int64, float32, float64, bool */
    public dtype: string,
    public shape: number[],
    public data: TypedArray,
  ) {}
  /** Number of elements. */
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
}

/** Typed arrays an {@link NdArray} can hold. */
export type TypedArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

/** A value read from a pickle (see the module doc for the mapping). */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | ReadonlyArray<PyValue>
  | Map<PyKey, PyValue>
  | Set<PyKey>
  | NdArray;
/** Keys of a {@link PyValue} dict or set. */
export type PyKey = string | number | bigint | boolean | null;

/** numpy dtype: element type code and byte order. */
interface NpDtype {
  readonly kind: "dtype";
  code: string;
  order: string;
}
/** An ndarray made by `_reconstruct`, waiting for its BUILD state. */
interface PendingArray {
  readonly kind: "pending";
  array?: NdArray;
}
/** A resolved global (callable). */
interface PyGlobal {
  readonly kind: "global";
  readonly name: string;
  readonly call: (args: unknown[]) => unknown;
}

const DTYPES: Record<string, { name: string; size: number; make: (b: ArrayBuffer) => TypedArray }> = {
  b1: { name: "bool", size: 1, make: (b) => new Uint8Array(b) },
  u1: { name: "uint8", size: 1, make: (b) => new Uint8Array(b) },
  i1: { name: "int8", size: 1, make: (b) => new Int8Array(b) },
  u2: { name: "uint16", size: 2, make: (b) => new Uint16Array(b) },
  i2: { name: "int16", size: 2, make: (b) => new Int16Array(b) },
  u4: { name: "uint32", size: 4, make: (b) => new Uint32Array(b) },
  i4: { name: "int32", size: 4, make: (b) => new Int32Array(b) },
  u8: { name: "uint64", size: 8, make: (b) => new BigUint64Array(b) },
  i8: { name: "int64", size: 8, make: (b) => new BigInt64Array(b) },
  f4: { name: "float32", size: 4, make: (b) => new Float32Array(b) },
  f8: { name: "float64", size: 8, make: (b) => new Float64Array(b) },
};
const DTYPE_CODE: Record<string, string> = Object.fromEntries(
  Object.entries(DTYPES).map(([code, d]) => [d.name, code]),
);

/** One char per byte, exactly (TextDecoder's "latin1" is windows-1252, which differs at 0x80–0x9f). */
export function latin1Decode(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += 8192) {
    parts.push(String.fromCharCode.apply(null, bytes.subarray(i, i + 8192) as unknown as number[]));
  }
  return parts.join("");
}

/** Inverse of {@link latin1Decode}; throws if a char is above U+00FF. */
export function latin1Encode(text: string, what = "string"): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 255) throw new RangeError(`Cannot encode ${what} as latin-1: char U+${c.toString(16)} at ${i}`);
    out[i] = c;
  }
  return out;
}

function isTuple(v: unknown): v is ReadonlyArray<unknown> {
  return Array.isArray(v) && Object.isFrozen(v);
}

function pyRepr(v: unknown): string {
  if (v === null) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "string") return `'${v.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  if (v instanceof Uint8Array) return `b${pyRepr(latin1Decode(v))}`;
  if (isTuple(v)) return v.length === 1 ? `(${pyRepr(v[0])},)` : `(${v.map(pyRepr).join(", ")})`;
  return String(v);
}

/** Options of {@link readPickle}. */
export interface ReadPickleOptions {
  /** file name used in error messages @default {"<pickle>"} */
  file?: string;
  /** extra globals: `"module.name"` → function of the REDUCE/NEWOBJ arguments */
  globals?: Record<string, (args: unknown[]) => unknown>;
}

/**
 * Parse a whole pickle and return its value. Errors name the file, byte offset and opcode; a
 * malformed pickle that trips anything else (a wrongly typed argument to a known global, say) is
 * reported the same way, never as a bare internal error.
 */
export function readPickle(bytes: Uint8Array, opts: ReadPickleOptions = {}): PyValue {
  const u = new Unpickler(bytes, opts.file ?? "<pickle>", opts.globals ?? {});
  try {
    return u.load() as PyValue;
  } catch (e) {
    if (e instanceof Error && e.message.startsWith("Cannot read pickle ")) throw e;
    return u.malformed(e);
  }
}

const utf8 = new TextDecoder("utf-8");

class Unpickler {
  #pos = 0;
  #stack: unknown[] = [];
  #marks: unknown[][] = [];
  #memo = new Map<number, unknown>();
  #op = 0;
  #opAt = 0;
  readonly #view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
    readonly extra: Record<string, (args: unknown[]) => unknown>,
  ) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  #fail(msg: string, Kind: ErrorConstructor = SyntaxError): never {
    const op = `opcode 0x${this.#op.toString(16).padStart(2, "0")}`;
    throw new Kind(`Cannot read pickle ${this.file} at byte ${this.#opAt} (${op}): ${msg}`);
  }

  /** An error from inside a step, reported at the opcode that caused it. */
  malformed(e: unknown): never {
    const why = e instanceof Error ? e.message : String(e);
    return this.#fail(`malformed pickle (${why.slice(0, 120)})`);
  }

  #need(n: number): number {
    if (n < 0 || this.#pos + n > this.bytes.length) {
      this.#fail(`truncated: needs ${n} more bytes at ${this.#pos}, file has ${this.bytes.length}`);
    }
    const p = this.#pos;
    this.#pos += n;
    return p;
  }
  #u8(): number {
    return this.bytes[this.#need(1)];
  }
  #u16(): number {
    return this.#view.getUint16(this.#need(2), true);
  }
  #u32(): number {
    return this.#view.getUint32(this.#need(4), true);
  }
  #i32(): number {
    return this.#view.getInt32(this.#need(4), true);
  }
  #u64(): number {
    const p = this.#need(8);
    const v = this.#view.getBigUint64(p, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.#fail(`length ${v} too large`);
    return Number(v);
  }
  #take(n: number): Uint8Array {
    const p = this.#need(n);
    return this.bytes.subarray(p, p + n);
  }
  #line(): string {
    const end = this.bytes.indexOf(0x0a, this.#pos);
    if (end < 0) this.#fail("truncated: missing end of line");
    const s = latin1Decode(this.bytes.subarray(this.#pos, end));
    this.#pos = end + 1;
    return s;
  }

  /** Push after evaluating the argument (which may replace the stack via #popMark). */
  #push(v: unknown): void {
    this.#stack.push(v);
  }
  #pop(): unknown {
    if (this.#stack.length === 0) this.#fail("stack underflow");
    return this.#stack.pop();
  }
  #top(): unknown {
    if (this.#stack.length === 0) this.#fail("stack underflow");
    return this.#stack[this.#stack.length - 1];
  }
  #popMark(): unknown[] {
    const items = this.#stack;
    const prev = this.#marks.pop();
    if (!prev) this.#fail("no MARK on the stack");
    this.#stack = prev;
    return items;
  }

  #long(b: Uint8Array): number | bigint {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  #key(k: unknown): PyKey {
    if (k === null || ["string", "number", "bigint", "boolean"].includes(typeof k)) return k as PyKey;
    if (k instanceof Uint8Array) return latin1Decode(k);
    if (isTuple(k)) return pyRepr(k);
    return this.#fail(`unhashable dict key of type ${Object.prototype.toString.call(k)}`, TypeError);
  }

  #setItems(target: unknown, kv: unknown[]): void {
    if (!(target instanceof Map)) this.#fail("SETITEM(S) target is not a dict", TypeError);
    if (kv.length % 2) this.#fail("SETITEMS with an odd number of items");
    for (let i = 0; i < kv.length; i += 2) target.set(this.#key(kv[i]), kv[i + 1]);
  }

  #global(module: string, name: string): PyGlobal {
    const full = `${module}.${name}`;
    const extra = this.extra[full];
    if (extra) return { kind: "global", name: full, call: extra };
    const mod = module.replace(/^numpy\._core\./, "numpy.core.");
    const key = `${mod}.${name}`;
    const g = (call: (args: unknown[]) => unknown): PyGlobal => ({ kind: "global", name: full, call });
    switch (key) {
      case "numpy.core.multiarray._reconstruct":
        return g(() => ({ kind: "pending" }) satisfies PendingArray);
      case "numpy.ndarray":
        return g(() => this.#fail("numpy.ndarray called directly is not supported", TypeError));
      case "numpy.dtype":
        return g((args) => {
          const code = this.#str(args[0], "dtype code");
          return { kind: "dtype", code, order: "|" } satisfies NpDtype;
        });
      case "numpy.core.multiarray.scalar":
        return g((args) => this.#scalar(args));
      case "numpy.core.numeric._frombuffer":
        return g((args) => this.#frombuffer(args));
      case "_codecs.encode":
        return g((args) => {
          const enc = args.length > 1 ? String(args[1]).toLowerCase().replace(/[-_]/g, "") : "utf8";
          const s = this.#str(args[0], "_codecs.encode argument");
          if (enc === "latin1" || enc === "iso88591") return this.#latin1(s, "_codecs.encode argument");
          if (enc === "utf8") return new TextEncoder().encode(s);
          return this.#fail(`_codecs.encode with encoding '${args[1]}' is not supported`);
        });
      case "builtins.bytearray":
      case "__builtin__.bytearray":
        return g((args) => {
          if (args.length === 0) return new Uint8Array(0);
          if (args[0] instanceof Uint8Array) return args[0].slice();
          return this.#latin1(this.#str(args[0], "bytearray argument"), "bytearray argument");
        });
      case "builtins.bytes":
      case "__builtin__.bytes":
        return g((args) => (args.length === 0 ? new Uint8Array(0) : this.#bytes(args[0], "bytes argument")));
      case "builtins.set":
      case "__builtin__.set":
      case "builtins.frozenset":
      case "__builtin__.frozenset":
        return g((args) => new Set(((args[0] ?? []) as unknown[]).map((k) => this.#key(k))));
      case "collections.OrderedDict":
        return g((args) => {
          const m = new Map<PyKey, unknown>();
          for (const kv of (args[0] ?? []) as unknown[][]) m.set(this.#key(kv[0]), kv[1]);
          return m;
        });
    }
    return this.#fail(`unsupported Python global '${full}' (only data pickles are read)`, TypeError);
  }

  #str(v: unknown, what: string): string {
    if (typeof v === "string") return v;
    if (v instanceof Uint8Array) return latin1Decode(v);
    return this.#fail(`expected a string for ${what}`, TypeError);
  }
  #bytes(v: unknown, what: string): Uint8Array {
    if (v instanceof Uint8Array) return v;
    if (typeof v === "string") return this.#latin1(v, what);
    return this.#fail(`expected bytes for ${what}`, TypeError);
  }
  /** A str holding bytes (Python 2 pickles, numpy's latin-1 round trip); chars above U+00FF are malformed. */
  #latin1(v: string, what: string): Uint8Array {
    for (let i = 0; i < v.length; i++) {
      if (v.charCodeAt(i) > 255) {
        this.#fail(`${what} holds char U+${v.charCodeAt(i).toString(16)} at ${i}, not a latin-1 byte string`);
      }
    }
    return latin1Encode(v, what);
  }
  #dtype(v: unknown): { name: string; size: number; make: (b: ArrayBuffer) => TypedArray; big: boolean } {
    const d = v as NpDtype;
    if (!d || d.kind !== "dtype") this.#fail("expected a numpy dtype", TypeError);
    const code = d.code.replace(/^[<>|=]/, "");
    const info = DTYPES[code];
    if (!info) this.#fail(`numpy dtype '${d.code}' is not supported`, TypeError);
    const order = /^[<>|=]/.test(d.code) ? d.code[0] : d.order;
    return { ...info, big: order === ">" };
  }
  #typed(raw: Uint8Array, dtype: unknown, count: number): { name: string; data: TypedArray } {
    const dt = this.#dtype(dtype);
    if (raw.length !== count * dt.size) {
      this.#fail(`array data has ${raw.length} bytes, expected ${count} × ${dt.size}`, RangeError);
    }
    if (dt.size === 1 && dt.name !== "int8") return { name: dt.name, data: raw.slice() };
    const copy = raw.slice();
    if (dt.big) {
      for (let i = 0; i < copy.length; i += dt.size) copy.subarray(i, i + dt.size).reverse();
    }
    return { name: dt.name, data: dt.make(copy.buffer) };
  }
  #shape(v: unknown): number[] {
    const arr = Array.isArray(v) ? v : [v];
    return arr.map((d) => {
      if (typeof d !== "number" || !Number.isInteger(d) || d < 0) {
        this.#fail(`bad array dimension ${d}`, TypeError);
      }
      return d;
    });
  }
  #build(shape: number[], dtype: unknown, fortran: boolean, raw: Uint8Array): NdArray {
    const count = shape.reduce((a, b) => a * b, 1);
    const { name, data } = this.#typed(raw, dtype, count);
    return new NdArray(name, shape, fortran && shape.length > 1 ? fortranToC(data, shape) : data);
  }
  #scalar(args: unknown[]): number | bigint | boolean {
    const raw = this.#bytes(args[1], "numpy scalar data");
    const { name, data } = this.#typed(raw, args[0], 1);
    const v = data[0];
    if (name === "bool") return v !== 0;
    if (typeof v === "bigint") {
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
    return v;
  }
  #frombuffer(args: unknown[]): NdArray {
    const [buf, dtype, shape, order] = args;
    return this.#build(this.#shape(shape), dtype, order === "F", this.#bytes(buf, "array buffer"));
  }
  #applyBuild(obj: unknown, state: unknown): void {
    const o = obj as { kind?: string };
    if (o && o.kind === "dtype") {
      const s = state as unknown[];
      if (Array.isArray(s) && typeof s[1] === "string") (o as NpDtype).order = s[1];
      return;
    }
    if (o && o.kind === "pending") {
      const s = state as unknown[];
      if (!Array.isArray(s) || (s.length !== 5 && s.length !== 4)) {
        this.#fail("ndarray state must be (version, shape, dtype, is_fortran, data)", TypeError);
      }
      const [shape, dtype, fortran, raw] = s.length === 5 ? s.slice(1) : s;
      if (Array.isArray(raw)) this.#fail("numpy object arrays are not supported", TypeError);
      (o as PendingArray).array = this.#build(
        this.#shape(shape),
        dtype,
        Boolean(fortran),
        this.#bytes(raw, "array data"),
      );
      return;
    }
    if (obj instanceof Map && state instanceof Map) {
      for (const [k, v] of state) obj.set(k, v);
      return;
    }
    this.#fail("BUILD on an object that is neither an ndarray nor a dtype", TypeError);
  }

  /** Replace placeholders by their final values (pending arrays) throughout the result. */
  #finish(v: unknown, seen = new Set<unknown>()): unknown {
    const o = v as { kind?: string };
    if (o && typeof o === "object" && o.kind === "pending") {
      const arr = (o as PendingArray).array;
      if (!arr) this.#fail("ndarray without BUILD state", TypeError);
      return arr;
    }
    if (o && typeof o === "object" && (o.kind === "dtype" || o.kind === "global")) {
      this.#fail(
        `a bare ${o.kind === "dtype" ? "numpy dtype" : "global"} is not a supported value`,
        TypeError,
      );
    }
    if (seen.has(v)) return v;
    if (Array.isArray(v)) {
      seen.add(v);
      const frozen = Object.isFrozen(v);
      const out = v.map((x) => this.#finish(x, seen));
      return frozen ? Object.freeze(out) : out;
    }
    if (v instanceof Map) {
      seen.add(v);
      for (const [k, x] of v) v.set(k, this.#finish(x, seen));
    }
    return v;
  }

  #call(fn: unknown, args: unknown): unknown {
    const g = fn as PyGlobal;
    if (!g || g.kind !== "global") this.#fail("REDUCE on a value that is not a global", TypeError);
    if (!Array.isArray(args)) this.#fail(`arguments of ${g.name} are not a tuple`, TypeError);
    return g.call(args);
  }

  load(): unknown {
    const b = this.bytes;
    if (b.length === 0) this.#fail("empty file");
    for (;;) {
      this.#opAt = this.#pos;
      const op = this.#op = this.#u8();
      switch (op) {
        case 0x80: { // PROTO
          const v = this.#u8();
          if (v > 5) this.#fail(`unsupported pickle protocol ${v}`);
          break;
        }
        case 0x95: // FRAME
          this.#u64();
          break;
        case 0x2e: { // STOP
          const v = this.#pop();
          return this.#finish(v);
        }
        case 0x28: // MARK
          this.#marks.push(this.#stack);
          this.#stack = [];
          break;
        case 0x30: // POP
          this.#pop();
          break;
        case 0x31: // POP_MARK
          this.#popMark();
          break;
        case 0x32: // DUP
          this.#push(this.#top());
          break;
        case 0x4e: // NONE
          this.#push(null);
          break;
        case 0x88: // NEWTRUE
          this.#push(true);
          break;
        case 0x89: // NEWFALSE
          this.#push(false);
          break;
        case 0x4a: // BININT
          this.#push(this.#i32());
          break;
        case 0x4b: // BININT1
          this.#push(this.#u8());
          break;
        case 0x4d: // BININT2
          this.#push(this.#u16());
          break;
        case 0x8a: // LONG1
          this.#push(this.#long(this.#take(this.#u8())));
          break;
        case 0x8b: { // LONG4
          const n = this.#i32();
          if (n < 0) this.#fail("negative LONG4 length");
          this.#push(this.#long(this.#take(n)));
          break;
        }
        case 0x49: { // INT (text)
          const s = this.#line();
          if (s === "00") this.#push(false);
          else if (s === "01") this.#push(true);
          else if (/^[-+]?\d+$/.test(s)) this.#push(this.#long(bigToBytes(BigInt(s))));
          else this.#fail(`bad INT '${s}'`);
          break;
        }
        case 0x4c: { // LONG (text)
          const s = this.#line().replace(/L$/, "");
          if (!/^[-+]?\d+$/.test(s)) this.#fail(`bad LONG '${s}'`);
          this.#push(this.#long(bigToBytes(BigInt(s))));
          break;
        }
        case 0x46: { // FLOAT (text)
          const s = this.#line();
          const v = Number(s);
          if (Number.isNaN(v) && !/nan/i.test(s)) this.#fail(`bad FLOAT '${s}'`);
          this.#push(v);
          break;
        }
        case 0x47: // BINFLOAT
          this.#push(this.#view.getFloat64(this.#need(8), false));
          break;
        case 0x55: // SHORT_BINSTRING
          this.#push(latin1Decode(this.#take(this.#u8())));
          break;
        case 0x54: { // BINSTRING
          const n = this.#i32();
          if (n < 0) this.#fail("negative BINSTRING length");
          this.#push(latin1Decode(this.#take(n)));
          break;
        }
        case 0x43: // SHORT_BINBYTES
          this.#push(this.#take(this.#u8()).slice());
          break;
        case 0x42: // BINBYTES
          this.#push(this.#take(this.#u32()).slice());
          break;
        case 0x8e: // BINBYTES8
          this.#push(this.#take(this.#u64()).slice());
          break;
        case 0x96: // BYTEARRAY8
          this.#push(this.#take(this.#u64()).slice());
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.#push(utf8.decode(this.#take(this.#u8())));
          break;
        case 0x58: // BINUNICODE
          this.#push(utf8.decode(this.#take(this.#u32())));
          break;
        case 0x8d: // BINUNICODE8
          this.#push(utf8.decode(this.#take(this.#u64())));
          break;
        case 0x29: // EMPTY_TUPLE
          this.#push(Object.freeze([]));
          break;
        case 0x85: // TUPLE1
          this.#push(Object.freeze([this.#pop()]));
          break;
        case 0x86: { // TUPLE2
          const b2 = this.#pop(), a2 = this.#pop();
          this.#push(Object.freeze([a2, b2]));
          break;
        }
        case 0x87: { // TUPLE3
          const c3 = this.#pop(), b3 = this.#pop(), a3 = this.#pop();
          this.#push(Object.freeze([a3, b3, c3]));
          break;
        }
        case 0x74: // TUPLE
          this.#push(Object.freeze(this.#popMark()));
          break;
        case 0x5d: // EMPTY_LIST
          this.#push([]);
          break;
        case 0x6c: // LIST
          this.#push(this.#popMark());
          break;
        case 0x61: { // APPEND
          const v = this.#pop();
          const list = this.#top();
          if (!Array.isArray(list) || Object.isFrozen(list)) {
            this.#fail("APPEND target is not a list", TypeError);
          }
          list.push(v);
          break;
        }
        case 0x65: { // APPENDS
          const items = this.#popMark();
          const list = this.#top();
          if (!Array.isArray(list) || Object.isFrozen(list)) {
            this.#fail("APPENDS target is not a list", TypeError);
          }
          for (const v of items) list.push(v);
          break;
        }
        case 0x7d: // EMPTY_DICT
          this.#push(new Map());
          break;
        case 0x64: { // DICT
          const kv = this.#popMark();
          const m = new Map<PyKey, unknown>();
          this.#setItems(m, kv);
          this.#push(m);
          break;
        }
        case 0x73: { // SETITEM
          const v = this.#pop(), k = this.#pop();
          this.#setItems(this.#top(), [k, v]);
          break;
        }
        case 0x75: { // SETITEMS
          const kv = this.#popMark();
          this.#setItems(this.#top(), kv);
          break;
        }
        case 0x8f: // EMPTY_SET
          this.#push(new Set());
          break;
        case 0x90: { // ADDITEMS
          const items = this.#popMark();
          const s = this.#top();
          if (!(s instanceof Set)) this.#fail("ADDITEMS target is not a set", TypeError);
          for (const k of items) s.add(this.#key(k));
          break;
        }
        case 0x91: // FROZENSET
          this.#push(new Set(this.#popMark().map((k) => this.#key(k))));
          break;
        case 0x70: // PUT
          this.#memo.set(Number(this.#line()), this.#top());
          break;
        case 0x71: // BINPUT
          this.#memo.set(this.#u8(), this.#top());
          break;
        case 0x72: // LONG_BINPUT
          this.#memo.set(this.#u32(), this.#top());
          break;
        case 0x94: // MEMOIZE
          this.#memo.set(this.#memo.size, this.#top());
          break;
        case 0x67: // GET
        case 0x68: // BINGET
        case 0x6a: { // LONG_BINGET
          const idx = op === 0x67 ? Number(this.#line()) : op === 0x68 ? this.#u8() : this.#u32();
          if (!this.#memo.has(idx)) this.#fail(`memo key ${idx} not defined`);
          this.#push(this.#memo.get(idx));
          break;
        }
        case 0x63: { // GLOBAL
          const module = this.#line(), name = this.#line();
          this.#push(this.#global(module, name));
          break;
        }
        case 0x93: { // STACK_GLOBAL
          const name = this.#pop(), module = this.#pop();
          if (typeof name !== "string" || typeof module !== "string") {
            this.#fail("STACK_GLOBAL needs two strings", TypeError);
          }
          this.#push(this.#global(module, name));
          break;
        }
        case 0x52: { // REDUCE
          const args = this.#pop(), fn = this.#pop();
          this.#push(this.#call(fn, args));
          break;
        }
        case 0x81: { // NEWOBJ
          const args = this.#pop(), cls = this.#pop();
          this.#push(this.#call(cls, args));
          break;
        }
        case 0x92: { // NEWOBJ_EX
          const kwargs = this.#pop(), args = this.#pop(), cls = this.#pop();
          if (kwargs instanceof Map && kwargs.size > 0) {
            this.#fail("NEWOBJ_EX with keyword arguments", TypeError);
          }
          this.#push(this.#call(cls, args));
          break;
        }
        case 0x62: { // BUILD
          const state = this.#pop();
          this.#applyBuild(this.#top(), state);
          break;
        }
        case 0x97: // NEXT_BUFFER
        case 0x98: // READONLY_BUFFER
          this.#fail("out-of-band buffers (protocol 5 buffer_callback) are not supported", TypeError);
          break;
        default: {
          const names: Record<number, string> = {
            0x50: "PERSID",
            0x51: "BINPERSID",
            0x69: "INST",
            0x6f: "OBJ",
            0x82: "EXT1",
            0x83: "EXT2",
            0x84: "EXT4",
            0x53: "STRING",
            0x56: "UNICODE",
          };
          if (names[op]) this.#fail(`opcode ${names[op]} is not supported`, TypeError);
          this.#fail(
            this.#opAt === 0
              ? "not a pickle (unknown first opcode)"
              : "unknown opcode (corrupt or truncated file)",
          );
        }
      }
    }
  }
}

function bigToBytes(v: bigint): Uint8Array {
  // two's complement little-endian, minimal length + sign byte
  const out: number[] = [];
  let x = v;
  for (let i = 0; i < 64; i++) {
    out.push(Number(x & 0xffn));
    x >>= 8n;
    if ((x === 0n && !(out[out.length - 1] & 0x80)) || (x === -1n && out[out.length - 1] & 0x80)) break;
  }
  return new Uint8Array(out);
}

/** Reorder Fortran-ordered (column-major) elements into C order. */
function fortranToC(data: TypedArray, shape: number[]): TypedArray {
  const n = data.length, k = shape.length;
  const out = new (data.constructor as { new (n: number): TypedArray })(n);
  const fStride = new Array<number>(k);
  let s = 1;
  for (let d = 0; d < k; d++) {
    fStride[d] = s;
    s *= shape[d];
  }
  const idx = new Array<number>(k).fill(0);
  for (let c = 0; c < n; c++) {
    let f = 0;
    for (let d = 0; d < k; d++) f += idx[d] * fStride[d];
    (out as unknown as ArrayLike<unknown> & Record<number, unknown>)[c] = data[f];
    for (let d = k - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

// ---------------------------------------------------------------- writer

/** A value {@link writePickle} can encode. Frozen arrays are written as tuples. */
export type PickleInput =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | NdArray
  | ReadonlyArray<PickleInput>
  | Map<string | number, PickleInput>
  | { [key: string]: PickleInput };

/** A tuple for {@link writePickle} (a frozen array). */
export function pyTuple(...items: PickleInput[]): ReadonlyArray<PickleInput> {
  return Object.freeze(items);
}

/** Options of {@link writePickle}. */
export interface WritePickleOptions {
  /** 2 (as CIFAR's files) or 3 (bytes as BINBYTES) @default {2} */
  protocol?: 2 | 3;
  /**
   * how strings and bytes are written at protocol 2: "py2" as Python 2's cPickle does (str and
   * array data as BINSTRING, like the CIFAR python files), "py3" as Python 3 does (str as
   * BINUNICODE, bytes via `_codecs.encode`). @default {"py2"}
   */
  style?: "py2" | "py3";
}

class ByteSink {
  #chunks: Uint8Array[] = [];
  #cur = new Uint8Array(1 << 16);
  #len = 0;
  #total = 0;
  byte(...v: number[]): void {
    for (const x of v) {
      if (this.#len === this.#cur.length) this.#flush();
      this.#cur[this.#len++] = x;
    }
  }
  bytes(b: Uint8Array): void {
    if (b.length > 4096) {
      this.#flush();
      this.#chunks.push(b);
      this.#total += b.length;
      return;
    }
    for (let i = 0; i < b.length; i++) this.byte(b[i]);
  }
  u32(v: number): void {
    this.byte(v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255);
  }
  ascii(s: string): void {
    for (let i = 0; i < s.length; i++) this.byte(s.charCodeAt(i));
  }
  #flush(): void {
    if (this.#len > 0) {
      this.#chunks.push(this.#cur.slice(0, this.#len));
      this.#total += this.#len;
    }
    this.#len = 0;
  }
  result(): Uint8Array {
    this.#flush();
    const out = new Uint8Array(this.#total);
    let o = 0;
    for (const c of this.#chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

/** Encode a value as a pickle readable by Python's `pickle.load` (and by {@link readPickle}). */
export function writePickle(value: PickleInput, opts: WritePickleOptions = {}): Uint8Array {
  const protocol = opts.protocol ?? 2;
  const style = opts.style ?? "py2";
  const out = new ByteSink();
  const enc = new TextEncoder();

  const unicode = (s: string) => {
    const b = enc.encode(s);
    out.byte(0x58);
    out.u32(b.length);
    out.bytes(b);
  };
  const str = (s: string) => {
    let wide = false;
    for (let i = 0; i < s.length && !wide; i++) wide = s.charCodeAt(i) > 255;
    if (style === "py3" || wide) return unicode(s);
    byteString(latin1Encode(s));
  };
  const byteString = (b: Uint8Array) => {
    if (b.length < 256) out.byte(0x55, b.length);
    else {
      out.byte(0x54);
      out.u32(b.length);
    }
    out.bytes(b);
  };
  const bytes = (b: Uint8Array) => {
    if (protocol >= 3) {
      if (b.length < 256) out.byte(0x43, b.length);
      else {
        out.byte(0x42);
        out.u32(b.length);
      }
      out.bytes(b);
    } else if (style === "py2") byteString(b);
    else {
      out.byte(0x63);
      out.ascii("_codecs\nencode\n");
      unicode(latin1Decode(b));
      unicode("latin1");
      out.byte(0x86, 0x52); // TUPLE2 REDUCE
    }
  };
  const long = (v: bigint) => {
    const b = bigToBytes(v);
    out.byte(0x8a, b.length);
    out.bytes(b);
  };
  const int = (v: number) => {
    if (v >= 0 && v < 256) out.byte(0x4b, v);
    else if (v >= 0 && v < 65536) out.byte(0x4d, v & 255, v >>> 8);
    else if (v >= -0x80000000 && v <= 0x7fffffff) {
      out.byte(0x4a);
      out.u32(v >>> 0);
    } else long(BigInt(v));
  };
  const float = (v: number) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, false);
    out.byte(0x47);
    out.bytes(b);
  };
  const tuple = (items: ReadonlyArray<PickleInput>) => {
    if (items.length === 0) return out.byte(0x29);
    if (items.length <= 3) {
      items.forEach(write);
      return out.byte(0x84 + items.length);
    }
    out.byte(0x28);
    items.forEach(write);
    out.byte(0x74);
  };
  const ndarray = (a: NdArray) => {
    const code = DTYPE_CODE[a.dtype];
    if (!code) throw new TypeError(`Cannot pickle an ndarray of dtype ${a.dtype}`);
    if (a.data.length !== a.size) {
      throw new RangeError(
        `Cannot pickle an ndarray: shape ${a.shape} has ${a.size} elements, data ${a.data.length}`,
      );
    }
    out.byte(0x63);
    out.ascii("numpy.core.multiarray\n_reconstruct\n");
    out.byte(0x63);
    out.ascii("numpy\nndarray\n");
    out.byte(0x4b, 0, 0x85); // (0,)
    bytes(new Uint8Array([0x62])); // b'b'
    out.byte(0x87, 0x52, 0x28); // TUPLE3 REDUCE MARK
    int(1);
    tuple(a.shape);
    out.byte(0x63);
    out.ascii("numpy\ndtype\n");
    str(code);
    out.byte(0x89, 0x88, 0x87, 0x52, 0x28); // False True TUPLE3 REDUCE MARK
    int(3);
    str(code === "u1" || code === "i1" || code === "b1" ? "|" : "<");
    out.byte(0x4e, 0x4e, 0x4e);
    int(-1);
    int(-1);
    int(0);
    out.byte(0x74, 0x62, 0x89); // TUPLE BUILD False
    bytes(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength));
    out.byte(0x74, 0x62); // TUPLE BUILD
  };
  const write = (v: PickleInput): void => {
    if (v === null) out.byte(0x4e);
    else if (v === true) out.byte(0x88);
    else if (v === false) out.byte(0x89);
    else if (typeof v === "number") Number.isInteger(v) && !Object.is(v, -0) ? int(v) : float(v);
    else if (typeof v === "bigint") long(v);
    else if (typeof v === "string") str(v);
    else if (v instanceof Uint8Array) bytes(v);
    else if (v instanceof NdArray) ndarray(v);
    else if (Array.isArray(v)) {
      if (Object.isFrozen(v)) return tuple(v);
      out.byte(0x5d);
      for (let i = 0; i < v.length; i += 1000) {
        out.byte(0x28);
        for (const x of v.slice(i, i + 1000)) write(x);
        out.byte(0x65);
      }
    } else if (typeof v === "object") {
      const entries = v instanceof Map ? [...v.entries()] : Object.entries(v);
      out.byte(0x7d);
      for (let i = 0; i < entries.length; i += 1000) {
        out.byte(0x28);
        for (const [k, x] of entries.slice(i, i + 1000)) {
          write(k);
          write(x as PickleInput);
        }
        out.byte(0x75);
      }
    } else throw new TypeError(`Cannot pickle a value of type ${typeof v}`);
  };

  out.byte(0x80, protocol);
  write(value);
  out.byte(0x2e);
  return out.result();
}

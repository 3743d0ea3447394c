/**
 * NumPy `.npy` files (format version 1.0), float32/int32 little-endian, C order — so every tensor
 * of an audit bundle opens with `numpy.load` and can be fed to the official PyTorch code.
 *
 * @module
 */

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** An array with its shape. */
export interface NpyArray {
  data: Float32Array | Int32Array;
  shape: number[];
}

/** The bytes of a `.npy` file holding `data` with `shape`. */
export function encodeNpy(data: Float32Array | Int32Array, shape: readonly number[]): Uint8Array {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) {
    throw new RangeError(`Cannot write ${data.length} values as shape [${shape}] (${size} values)`);
  }
  const descr = data instanceof Float32Array ? "<f4" : "<i4";
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = MAGIC.length + 2 + 2 + header.length + 1;
  header += " ".repeat((64 - (unpadded % 64)) % 64) + "\n";
  const out = new Uint8Array(MAGIC.length + 4 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  out.set(body, 10 + header.length); // little-endian host (x86, ARM)
  return out;
}

/** Parse a `.npy` file written as above (float32 or int32, C order). */
export function decodeNpy(bytes: Uint8Array, file = "<npy>"): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new SyntaxError(`Cannot read ${file}: not a .npy file (bad magic)`);
  }
  const headerLen = new DataView(bytes.buffer, bytes.byteOffset).getUint16(8, true);
  const header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) {
    throw new SyntaxError(`Cannot read ${file}: bad header '${header.trim()}'`);
  }
  if (fortran === "True") throw new TypeError(`Cannot read ${file}: Fortran order is not supported`);
  const shape = shapeText.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  const size = shape.reduce((a, b) => a * b, 1);
  const start = 10 + headerLen;
  const body = bytes.slice(start, start + size * 4);
  if (body.length !== size * 4) {
    throw new RangeError(`Cannot read ${file}: expected ${size * 4} data bytes, found ${body.length}`);
  }
  if (descr === "<f4") return { data: new Float32Array(body.buffer), shape };
  if (descr === "<i4") return { data: new Int32Array(body.buffer), shape };
  throw new TypeError(`Cannot read ${file}: dtype ${descr} is not supported (float32 or int32 expected)`);
}

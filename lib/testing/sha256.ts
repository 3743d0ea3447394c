/**
 * SHA-256 (hex) of the concatenated bytes, with WebCrypto: the tests' own hash of generated data,
 * independent of `report/manifest.ts`'s `sha256Bytes` that the manifests use.
 *
 * @module
 */

/** Hex SHA-256 of `parts` joined in order. */
export async function sha256Hex(...parts: Uint8Array[]): Promise<string> {
  const all = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.byteLength;
  }
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(d, (x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * params (NASLib via tensorwatch): the number of trainable parameters, in millions. For a
 * supernet path, the parameters the path uses. Data-free.
 *
 * @module
 */
import type { Batch, Net } from "../nn/net.ts";
import type { ProxyScore } from "./proxy.ts";

/** The parameter count of `net` in millions (batches unused). */
export function paramsProxy(net: Net, _batches: Batch[] = []): Promise<ProxyScore> {
  const t0 = performance.now();
  const value = net.params().reduce((s, p) => s + p.variable.size, 0) / 1e6;
  // a promise like every proxy (the others read tensors back asynchronously)
  return Promise.resolve({ value, seconds: (performance.now() - t0) / 1000 });
}

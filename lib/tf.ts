/**
 * The library's single tfjs entry point.
 *
 * `@tensorflow/tfjs-core` alone registers no gradient functions; the `@tensorflow/tfjs` bundle
 * registers all of them (and tfjs-layers, for user models) into the same, shared tfjs-core. This is
 * the one module of the library with an import side effect, and it is tfjs' own.
 *
 * @module
 */
import "@tensorflow/tfjs";
export * from "@tensorflow/tfjs-core";

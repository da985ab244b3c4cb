export * from "./index.js";

/** What `init` accepts: a compiled module, where to fetch the wasm, its bytes, or a promise of one. */
export type InitInput =
  | WebAssembly.Module
  | URL
  | string
  | Request
  | Response
  | BufferSource
  | Promise<WebAssembly.Module | Response | BufferSource>;

/** Instantiates the wasm once; call and await it before using anything else from this entry. */
export function init(moduleOrUrlOrBytes?: InitInput): Promise<void>;

// No automatic initialisation: call `await init(x)` once before anything else, where x is a
// WebAssembly.Module, a URL/Request/Response, the wasm bytes, or a promise of one of those.
// Without an argument it fetches switchyard_bg.wasm next to this file.
import initWasm from "./switchyard.js";

export async function init(moduleOrUrlOrBytes) {
  await initWasm(moduleOrUrlOrBytes === undefined ? undefined : { module_or_path: moduleOrUrlOrBytes });
}

export * from "./facade.js";
export { default } from "./facade.js";

// No automatic initialisation: call `await init(x)` once before anything else, where x is a
// WebAssembly.Module, a URL/Request/Response, the wasm bytes, or a promise of one of those.
// Without an argument it fetches switchyard_bg.wasm next to this file.
import initWasm from "./switchyard.js";
import { initialising } from "./facade.js";

export async function init(moduleOrUrlOrBytes) {
  const done = initWasm(moduleOrUrlOrBytes === undefined ? undefined : { module_or_path: moduleOrUrlOrBytes });
  initialising(done);
  await done;
}

export * from "./facade.js";
export { default } from "./facade.js";

// Cloudflare Workers (workerd, wrangler, miniflare): compiling wasm from bytes is refused there,
// so the bundler hands us an already compiled WebAssembly.Module. No node:* imports here.
import wasm from "./switchyard_bg.wasm";
import { initSync } from "./switchyard.js";

initSync({ module: wasm });

export * from "./facade.js";
export { default } from "./facade.js";

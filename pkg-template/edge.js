// Vercel Edge (edge-light): like workerd, but Vercel's bundler wants the `?module` suffix to hand
// over a compiled WebAssembly.Module.
import wasm from "./switchyard_bg.wasm?module";
import { initSync } from "./switchyard.js";

initSync({ module: wasm });

export * from "./facade.js";
export { default } from "./facade.js";

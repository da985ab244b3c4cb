// Browsers, web workers, bundlers (Vite, webpack, esbuild and Rollup all understand the
// `new URL("./x.wasm", import.meta.url)` asset pattern). Needs the wasm served as application/wasm
// for streaming compilation.
import init from "./switchyard.js";

await init({ module_or_path: new URL("./switchyard_bg.wasm", import.meta.url) });

export * from "./facade.js";
export { default } from "./facade.js";

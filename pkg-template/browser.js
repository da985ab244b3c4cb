// Browsers, web workers, bundlers (Vite, webpack, esbuild and Rollup all understand the
// `new URL("./x.wasm", import.meta.url)` asset pattern). Needs the wasm served as application/wasm
// for streaming compilation. No top-level await: a service worker whose module awaits at the top
// never starts, and a worker would miss messages posted while it waited. connect() waits for the
// wasm; `await ready()` does too, for code that calls version() first.
import init from "./switchyard.js";
import { initialising } from "./facade.js";

initialising(init({ module_or_path: new URL("./switchyard_bg.wasm", import.meta.url) }));

export * from "./facade.js";
export { default } from "./facade.js";

// Deno: fetch() of the file: URL next to this module; run with --allow-read (for npm: and
// node_modules imports alike). connect() waits for the wasm (no top-level await).
import init from "./switchyard.js";
import { initialising } from "./facade.js";

initialising(init({ module_or_path: new URL("./switchyard_bg.wasm", import.meta.url) }));

export * from "./facade.js";
export { default } from "./facade.js";

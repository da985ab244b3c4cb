// Source of node.cjs, Node's one instance of the package: require() loads it, and node.mjs (for
// `import`) re-exports it, so both share one wasm instance. scripts/build.sh bundles this file,
// the wasm-bindgen glue and facade.js into one CommonJS file with esbuild; this source is not
// shipped. Node 20 cannot require() ESM and CommonJS cannot await: the wasm is compiled
// synchronously.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { initSync } from "./switchyard.js";
import { useLocks } from "./link.js";
import { nodeLocks } from "./node-locks.js";

initSync({ module: new WebAssembly.Module(readFileSync(join(__dirname, "switchyard_bg.wasm"))) });
// Node 20 has no Web Locks: worker_threads share a bus (scope "origin") through this table.
if (!globalThis.navigator?.locks) useLocks(nodeLocks());

export * from "./facade.js";
export { default } from "./facade.js";

// Node, ESM: a thin wrapper over node.cjs, so that `import` and `require()` in one process get
// the same module instance, hence one wasm instance and one broker per bus name (no dual-package
// hazard). node.cjs loads the wasm synchronously from the file next to it.
import cjs from "./node.cjs";

export * from "./node.cjs";
export default cjs.default;

// Source of classic.js (`switchyard/classic`): the browser entry as one classic script, for
// contexts that cannot load modules — `importScripts()` in a classic service worker (Firefox 140
// ESR evaluates no module service worker) or a classic worker, or a plain <script> in a page.
// scripts/build.sh bundles it with esbuild into an IIFE that defines `self.switchyard`: the same
// exports as browser.js (connect, ready, version, the error classes, …, and `default`).
//
// The wasm comes from `self.switchyardWasm` if the script that imports this one set it first (a
// URL or string, a Request or Response, a WebAssembly.Module, the bytes, or a promise of one of
// those); else from switchyard_bg.wasm next to this file. Loading starts when the script runs and
// nothing waits for it at the top: connect() (or `await switchyard.ready()`) waits.
import init from "./switchyard.js";
import { codedError } from "./link.js";
import { initialising } from "./facade.js";

export * from "./facade.js";
export { default } from "./facade.js";

initialising(wasmSource().then((source) => init({ module_or_path: source })));

async function wasmSource() {
  const given = globalThis.switchyardWasm;
  if (given !== undefined && given !== null) return given;
  const script = thisScriptUrl();
  if (!script) {
    throw codedError(Error, "Error",
      "switchyard/classic cannot tell its own URL here, so it cannot find switchyard_bg.wasm next to it: " +
      "set self.switchyardWasm to the wasm's URL (or a WebAssembly.Module) before importScripts()",
      "SWITCHYARD_WASM_URL_UNKNOWN");
  }
  return new URL("switchyard_bg.wasm", script);
}

// A classic script's own URL: document.currentScript in a page; in a worker (importScripts has no
// currentScript) the URL in the top frame of a stack trace taken here, which is this file's in
// every engine's format ("    at f (URL:1:2)", "f@URL:1:2"). Only the top frame: the ones below
// may be the importing script's.
function thisScriptUrl() {
  const current = globalThis.document?.currentScript;
  if (current?.src) return current.src;
  const top = String(new Error().stack ?? "").split("\n").find((line) => /:\d+:\d+\)?\s*$/.test(line)) ?? "";
  return /((?:blob:)?[a-z][a-z0-9+.-]*:\/\/[^\s()]+?):\d+:\d+\)?\s*$/i.exec(top)?.[1] ?? null;
}

// Types of `switchyard/classic` (classic.js): a classic script that defines the global
// `switchyard`, for importScripts() in a classic service worker or worker, or a <script> tag.
// In such a script, `/// <reference types="switchyard/classic" />` brings in these globals.
import type * as api from "./index.js";
import type { InitInput } from "./slim.js";

declare global {
  /** The package, as the browser entry exports it (`switchyard.connect(…)`, `switchyard.ready()`, …). */
  var switchyard: typeof api;
  /**
   * Where classic.js loads the wasm from, if set before the script runs (e.g. before
   * importScripts()): a URL, a Request or Response, a WebAssembly.Module, the bytes, or a promise
   * of one. Unset: switchyard_bg.wasm next to classic.js.
   */
  var switchyardWasm: InitInput | undefined;
}

export {};

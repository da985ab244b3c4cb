// Runs api/queue.js the way Vercel runs an Edge Function, locally, with Vercel's npm
// `edge-runtime`: bundled first (esbuild, conditions `edge-light, worker, browser`), since
// edge-runtime evaluates scripts, not modules; `import wasm from "….wasm?module"` becomes the
// WebAssembly.Module compiled in the edge realm (Vercel's bundler hands over a compiled module
// too); the default export answers the realm's `fetch` events. Used by serve.mjs and
// tests/edge/vercel-example.mjs.
import { readFileSync } from "node:fs";
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const WASM_GLOBAL = "__SWITCHYARD_WASM_MODULE__";

/** Bundles api/queue.js into `outDir`/function.js, resolving "switchyard" from `nodeModules`. */
export async function buildFunction(outDir, nodeModules) {
  const esbuild = await import("esbuild");
  mkdirSync(outDir, { recursive: true });
  const wasmModule = {
    name: "wasm-module",
    setup(build) {
      build.onResolve({ filter: /\.wasm\?module$/ }, (a) => ({ path: resolve(a.resolveDir, a.path.replace(/\?module$/, "")), namespace: "wasm-module" }));
      build.onLoad({ filter: /.*/, namespace: "wasm-module" }, () => ({ contents: `export default globalThis.${WASM_GLOBAL};`, loader: "js" }));
    },
  };
  await esbuild.build({
    stdin: {
      contents: `import handler from ${JSON.stringify(join(here, "api/queue.js"))};
addEventListener("fetch", (event) => event.respondWith(handler(event.request)));`,
      resolveDir: here,
      loader: "js",
    },
    outfile: join(outDir, "function.js"),
    bundle: true,
    format: "iife",
    platform: "neutral",
    mainFields: ["module", "main"],
    conditions: ["edge-light", "worker", "browser"],
    nodePaths: [nodeModules],
    plugins: [wasmModule],
    logLevel: "silent",
  });
  return { script: join(outDir, "function.js"), wasm: join(nodeModules, "switchyard/switchyard_bg.wasm") };
}

/** Serves the bundled function on http://127.0.0.1:`port` (0: any free port); resolves to { url, close() }. */
export async function serveFunction({ script, wasm }, { port = 0 } = {}) {
  const { EdgeRuntime, runServer } = await import("edge-runtime");
  const bytes = new Uint8Array(readFileSync(wasm));
  const runtime = new EdgeRuntime({
    extend(context) {
      context.__wasmBytes = bytes;
      return context;
    },
  });
  runtime.evaluate(`globalThis.${WASM_GLOBAL} = new WebAssembly.Module(__wasmBytes); delete globalThis.__wasmBytes;`);
  runtime.evaluate(readFileSync(script, "utf8"));
  const server = await runServer({ runtime, host: "127.0.0.1", port });
  return { url: new URL("/api/queue", server.url).href, close: () => server.close() };
}

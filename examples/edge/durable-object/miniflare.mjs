// Bundles worker.js the way wrangler does (esbuild, `workerd, worker, browser` conditions, the
// .wasm kept as a CompiledWasm module) and gives the Miniflare options that run it with its
// Durable Object persisted to a directory. Used by serve.mjs and by tests/edge/durable-object.mjs.
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../../..");

/** Bundles worker.js into `outDir`, resolving "switchyard" from `nodeModules`. */
export async function buildWorker(outDir, nodeModules) {
  const esbuild = await import("esbuild");
  mkdirSync(outDir, { recursive: true });
  const pkg = join(nodeModules, "switchyard");
  // Until the package exports "./store-durable-object", take the adapter from pkg-template/.
  const adapterFallback = {
    name: "store-durable-object",
    setup(build) {
      build.onResolve({ filter: /^switchyard\/store-durable-object$/ }, () => {
        const packed = join(pkg, "store-durable-object.js");
        return { path: existsSync(packed) ? packed : join(repo, "pkg-template/store-durable-object.js") };
      });
    },
  };
  await esbuild.build({
    entryPoints: [join(here, "worker.js")],
    outfile: join(outDir, "worker.js"),
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    external: ["*.wasm"],
    nodePaths: [nodeModules],
    plugins: [adapterFallback],
    logLevel: "silent",
  });
  copyFileSync(join(pkg, "switchyard_bg.wasm"), join(outDir, "switchyard_bg.wasm"));
}

/** Miniflare options for the bundled worker in `outDir`, persisting Durable Objects to `persistDir`. */
export function miniflareOptions(outDir, persistDir, extra = {}) {
  return {
    host: "127.0.0.1",
    modules: true,
    scriptPath: join(outDir, "worker.js"),
    modulesRoot: outDir,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2026-04-01",
    cf: false,
    durableObjects: { BROKER: "Broker" },
    durableObjectsPersist: persistDir,
    ...extra,
  };
}

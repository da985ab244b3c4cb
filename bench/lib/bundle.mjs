// esbuild (the root devDependency) for the bench programs: browser ESM bundles of the
// alternatives, for the pages (pubsub.mjs) and for their minified sizes (sizes.mjs).
import { build } from "esbuild";
import { benchDir } from "./options.mjs";

/**
 * Bundles `contents` (an ES module's source, resolved from bench/) into `outfile` for browsers;
 * `minify` as a user's production build would. `external` lists imports left out.
 */
export async function bundle(contents, outfile, { minify = false, external = [] } = {}) {
  await build({
    stdin: { contents, resolveDir: benchDir, loader: "js" },
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify,
    external,
    outfile,
    logLevel: "warning",
    logOverride: { "empty-import-meta": "silent" },
    define: { "process.env.NODE_ENV": '"production"' },
  });
}

// Workload 4, size: what a browser user loads for switchyard (the wasm, and the JS — glue, facade,
// stores — bundled and minified by esbuild) beside the alternatives' minified bundles, raw / gzip /
// brotli. The compression is scripts/sizes.mjs's (gzip -9, brotli 11), run on every file here.
//   node bench/sizes.mjs [--smoke] [--node-modules DIR]      (--smoke: the same, it is quick)
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundle } from "./lib/bundle.mjs";
import { benchDir, benchOptions, root } from "./lib/options.mjs";
import { table } from "./lib/stats.js";

const opts = benchOptions();
const sy = join(opts.nodeModules, "switchyard");
const version = (name) => JSON.parse(readFileSync(join(benchDir, "node_modules", name, "package.json"), "utf8")).version;

// [label, file name, module source bundled from bench/]; each bundle keeps the whole public API.
const ALTERNATIVES = [
  [`mitt ${version("mitt")}`, "mitt.min.js", 'export { default } from "mitt";'],
  [`postal ${version("postal2")} (with lodash)`, "postal2.min.js", 'export { default } from "postal2";'],
  [`postal ${version("postal")}`, "postal3.min.js", 'export * from "postal";'],
  [`broadcast-channel ${version("broadcast-channel")}`, "broadcast-channel.min.js", 'export * from "broadcast-channel";'],
  [`dexie ${version("dexie")}`, "dexie.min.js", 'export { default } from "dexie";'],
];

const out = mkdtempSync(join(tmpdir(), "switchyard-bench-sizes-"));
let rows;
try {
  // The browser entry and all it imports; the wasm stays a separate file (new URL(…)).
  await bundle(`export * from ${JSON.stringify(join(sy, "browser.js"))};`, join(out, "switchyard.min.js"), { minify: true });
  for (const [, file, source] of ALTERNATIVES) await bundle(source, join(out, file), { minify: true });
  const files = [join(sy, "switchyard_bg.wasm"), join(out, "switchyard.min.js"), ...ALTERNATIVES.map(([, f]) => join(out, f))];
  const printed = execFileSync(process.execPath, [join(root, "scripts/sizes.mjs"), ...files], { encoding: "utf8" });
  rows = new Map(
    [...printed.matchAll(/^(\S+)\s+([\d.]+) KB\s+([\d.]+) KB\s+([\d.]+) KB$/gm)].map((m) => [m[1], m.slice(2, 5).map(Number)]),
  );
} finally {
  rmSync(out, { recursive: true, force: true });
}

const kb = (x) => `${x.toFixed(1)} KB`;
const wasm = rows.get("switchyard_bg.wasm");
const js = rows.get("switchyard.min.js");
const total = wasm.map((x, i) => x + js[i]);
console.log(`\n## Size: what a browser loads\n`);
console.log(
  `switchyard ${opts.pkg.version}: the release wasm as packed, and the browser entry bundled with esbuild (--bundle --minify, ` +
    `everything it imports: wasm-bindgen glue, facade, stores). Alternatives: their npm packages bundled the same way. ` +
    `gzip -9 and brotli 11 (scripts/sizes.mjs). Target (issue #8): under 80 KB gzip for switchyard in total.\n`,
);
console.log(
  table(["what", "raw", "gzip", "brotli", "gzip ÷ switchyard total"], [
    ["switchyard wasm", ...wasm.map(kb), ""],
    ["switchyard JS (glue + facade, min)", ...js.map(kb), ""],
    ["**switchyard total**", ...total.map((x) => `**${kb(x)}**`), "1.00×"],
    ...ALTERNATIVES.map(([label, file]) => {
      const r = rows.get(file);
      return [label, ...r.map(kb), `${(r[1] / total[1]).toFixed(2)}×`];
    }),
  ]),
);

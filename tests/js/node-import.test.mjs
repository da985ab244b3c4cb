// The packed package in Node through `import`: the exports map must pick node.mjs, which wraps
// node.cjs, so the wasm is initialised before anything is used and `import` and `require()`
// share one instance.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import test from "node:test";
import * as entry from "switchyard";
import { version } from "switchyard";

const require = createRequire(import.meta.url);
const pkg = require("switchyard/package.json");

test("import resolves to the node entry", () => {
  assert.match(import.meta.resolve("switchyard"), /\/node_modules\/switchyard\/node\.mjs$/);
});

test("the entry re-exports everything the facade exports, default included", async () => {
  const facade = await import(new URL("./facade.js", import.meta.resolve("switchyard")));
  assert.deepEqual(Object.keys(entry).sort(), Object.keys(facade).sort());
});

test("import and require() get the same instance (no dual-package hazard)", () => {
  const required = require("switchyard");
  for (const name of Object.keys(entry)) assert.equal(entry[name], required[name], name);
});

test("the wasm reports the version the package was built with", () => {
  assert.match(pkg.version, /^\d+\.\d+\.\d+/);
  assert.notEqual(pkg.version, "0.0.0-set-by-build");
  assert.equal(version(), pkg.version);
});

test("switchyard/slim needs an explicit init, then works", () => {
  // A fresh process, so the automatic init of the main entry cannot have happened.
  const script = `
    import { readFileSync } from "node:fs";
    import { createRequire } from "node:module";
    import { init, version } from "switchyard/slim";
    let threwBeforeInit = false;
    try { version(); } catch { threwBeforeInit = true; }
    const wasm = createRequire(import.meta.url).resolve("switchyard/switchyard_bg.wasm");
    await init(readFileSync(wasm));
    console.log(JSON.stringify({ threwBeforeInit, after: version() }));`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.deepEqual(JSON.parse(out), { threwBeforeInit: true, after: pkg.version });
});

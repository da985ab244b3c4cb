// The packed package in Node through require(): the exports map must pick node.cjs, which loads
// the wasm synchronously (a CommonJS module cannot await).
const assert = require("node:assert/strict");
const test = require("node:test");

test("require resolves to the CommonJS entry", () => {
  assert.match(require.resolve("switchyard"), /[\\/]node_modules[\\/]switchyard[\\/]node\.cjs$/);
});

test("require() gets the facade's exports, default included", async () => {
  const { pathToFileURL } = require("node:url");
  const facadeUrl = pathToFileURL(require.resolve("switchyard").replace(/node\.cjs$/, "facade.js"));
  const facade = await import(facadeUrl);
  assert.deepEqual(Object.keys(require("switchyard")).sort(), Object.keys(facade).sort());
});

test("require()d package reports the version it was built with", () => {
  const { version } = require("switchyard");
  assert.equal(version(), require("switchyard/package.json").version);
});

// Every exported async function is one test; see run.mjs for what it receives.
import assert from "node:assert/strict";

export async function pageAndModuleWorkerLoadThePackage({ context, baseUrl, pkg }) {
  const page = await context.newPage();
  const warnings = [];
  const wasmTypes = [];
  page.on("console", (message) => message.type() === "warning" && warnings.push(message.text()));
  page.on("response", (response) => {
    if (response.url().endsWith(".wasm")) wasmTypes.push(response.headers()["content-type"]);
  });

  await page.goto(`${baseUrl}/pages/smoke.html`);
  const result = await (await page.waitForFunction(() => window.smoke)).jsonValue();

  assert.deepEqual(result, { page: pkg.version, worker: pkg.version });
  // One fetch from the page, one from the worker, both streamable (no MIME fallback warning).
  assert.deepEqual(wasmTypes, ["application/wasm", "application/wasm"]);
  assert.deepEqual(warnings, []);
}

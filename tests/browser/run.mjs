// Page-level tests against the installed package, in one browser engine per run (engines.mjs):
//   node tests/browser/run.mjs [--engine chromium|firefox|webkit] [--node-modules DIR] [NAME_FILTER...]
// Serves this directory (pages under /pages/) and DIR (default build/scratch/node_modules, where
// `make test` installs the packed tarball) under /node_modules/ with scripts/serve.mjs.
// Tests: every async function exported by tests/browser/*.spec.mjs. Each gets a fresh browser
// context and receives { browser, context, baseUrl, pkg, engine, notIn, launchWithProfile } (pkg:
// the installed package.json; engine: "chromium" | "firefox" | "webkit"; launchWithProfile(dir):
// another browser with its profile on disk in dir, see engines.mjs). In WebKit,
// browser/context/page are the subset webkit.mjs implements. A test fails if it throws, times out, or any of its pages logs
// an error or throws uncaught, or runs longer than its limit (TEST_TIMEOUT_MS below, or the
// test function's own `timeoutMs` property). A test that cannot run in this engine calls notIn(reason): it is
// reported as "n/a" with the reason and counted apart, never as passed.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ENGINES, launch } from "./engines.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const root = resolve(here, "../..");
const { values, positionals: filters } = parseArgs({
  allowPositionals: true,
  options: {
    engine: { type: "string", default: "chromium" },
    "node-modules": { type: "string", default: join(root, "build/scratch/node_modules") },
  },
});
const engine = values.engine;
if (!ENGINES.includes(engine)) throw new Error(`--engine must be one of ${ENGINES.join(", ")}, not '${engine}'`);
// WebDriver classic runs one command at a time per session (webkit.mjs), so a test with several
// tabs takes up to twice as long there as over CDP or BiDi.
const TEST_TIMEOUT_MS = engine === "webkit" ? 60_000 : 30_000;
const nodeModules = resolve(values["node-modules"]);
const pkg = JSON.parse(readFileSync(join(nodeModules, "switchyard/package.json"), "utf8"));

// The server picks a free port and prints its URL; it is stopped by its pid at the end.
const server = spawn(
  process.execPath,
  [join(root, "scripts/serve.mjs"), here, "--port", "0", "--mount", `/node_modules/=${nodeModules}`],
  { stdio: ["ignore", "pipe", "inherit"] },
);
const servedUrl = await new Promise((ok, fail) => {
  server.stdout.on("data", (chunk) => {
    const match = /serving (http\S+?)\/?$/m.exec(String(chunk));
    if (match) ok(match[1]);
  });
  server.on("exit", (code) => fail(new Error(`scripts/serve.mjs exited with ${code}`)));
});

let launched;
try {
  launched = await launch(engine, servedUrl);
} catch (error) {
  server.kill("SIGTERM"); // by pid
  throw error;
}
const { browser, baseUrl, launchWithProfile } = launched;

class NotInEngine extends Error {}
const notIn = (reason) => {
  throw new NotInEngine(reason);
};

const tests = [];
for (const file of readdirSync(here).filter((f) => f.endsWith(".spec.mjs")).sort()) {
  const module = await import(join(here, file));
  for (const [name, fn] of Object.entries(module)) {
    const title = `${file} › ${name}`;
    if (typeof fn === "function" && (!filters.length || filters.some((f) => title.includes(f)))) {
      tests.push({ title, fn, timeoutMs: fn.timeoutMs ?? TEST_TIMEOUT_MS });
    }
  }
}

let passed = 0;
let failed = 0;
let notRun = 0;
try {
  for (const { title, fn, timeoutMs } of tests) {
    const started = Date.now();
    const context = await browser.newContext();
    context.setDefaultTimeout(TEST_TIMEOUT_MS / 2);
    const pageErrors = [];
    context.on("page", (page) => {
      page.on("pageerror", (error) => pageErrors.push(`uncaught: ${error.message}`));
      page.on("console", (m) => m.type() === "error" && pageErrors.push(`console.error: ${m.text()}`));
    });
    let timer;
    try {
      await Promise.race([
        fn({ browser, context, baseUrl, pkg, engine, notIn, launchWithProfile }),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      if (pageErrors.length) throw new Error(`errors in the page:\n  ${pageErrors.join("\n  ")}`);
      passed++;
      console.log(`ok    ${title} (${Date.now() - started} ms)`);
    } catch (error) {
      if (error instanceof NotInEngine) {
        notRun++;
        console.log(`n/a   ${title}: cannot run in ${engine}: ${error.message}`);
        continue;
      }
      failed++;
      console.log(`FAIL  ${title} (${Date.now() - started} ms)\n${error?.stack ?? error}`);
    } finally {
      clearTimeout(timer);
      await context.close();
    }
  }
} finally {
  await launched.close();
  server.kill("SIGTERM"); // by pid
}

console.log(`${engine}: ${passed} passed, ${failed} failed, ${notRun} cannot run in ${engine} (n/a above)`);
process.exitCode = failed || !passed ? 1 : 0;

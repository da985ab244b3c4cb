// Page-level tests in headless Chromium, driven by playwright-core, against the installed package.
//   node tests/browser/run.mjs [--node-modules DIR] [NAME_FILTER...]
// Serves this directory (pages under /pages/) and DIR (default build/scratch/node_modules, where
// `make test` installs the packed tarball) under /node_modules/ with scripts/serve.mjs.
// Tests: every async function exported by tests/browser/*.spec.mjs. Each gets a fresh browser
// context and receives { browser, context, baseUrl, pkg } (pkg: the installed package.json).
// A test fails if it throws, times out, or any of its pages logs an error or throws uncaught.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

const here = fileURLToPath(new URL(".", import.meta.url));
const root = resolve(here, "../..");
const { values, positionals: filters } = parseArgs({
  allowPositionals: true,
  options: { "node-modules": { type: "string", default: join(root, "build/scratch/node_modules") } },
});
const nodeModules = resolve(values["node-modules"]);
const pkg = JSON.parse(readFileSync(join(nodeModules, "switchyard/package.json"), "utf8"));
const TEST_TIMEOUT_MS = 30_000;

// The server picks a free port and prints its URL; it is stopped by its pid at the end.
const server = spawn(
  process.execPath,
  [join(root, "scripts/serve.mjs"), here, "--port", "0", "--mount", `/node_modules/=${nodeModules}`],
  { stdio: ["ignore", "pipe", "inherit"] },
);
const baseUrl = await new Promise((ok, fail) => {
  server.stdout.on("data", (chunk) => {
    const match = /serving (http\S+?)\/?$/m.exec(String(chunk));
    if (match) ok(match[1]);
  });
  server.on("exit", (code) => fail(new Error(`scripts/serve.mjs exited with ${code}`)));
});

// Playwright gives every launch a fresh temporary --user-data-dir and deletes it on close.
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
  ],
});

const tests = [];
for (const file of readdirSync(here).filter((f) => f.endsWith(".spec.mjs")).sort()) {
  const module = await import(join(here, file));
  for (const [name, fn] of Object.entries(module)) {
    const title = `${file} › ${name}`;
    if (typeof fn === "function" && (!filters.length || filters.some((f) => title.includes(f)))) {
      tests.push({ title, fn });
    }
  }
}

let passed = 0;
let failed = 0;
try {
  for (const { title, fn } of tests) {
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
        fn({ browser, context, baseUrl, pkg }),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${TEST_TIMEOUT_MS} ms`)), TEST_TIMEOUT_MS);
        }),
      ]);
      if (pageErrors.length) throw new Error(`errors in the page:\n  ${pageErrors.join("\n  ")}`);
      passed++;
      console.log(`ok    ${title} (${Date.now() - started} ms)`);
    } catch (error) {
      failed++;
      console.log(`FAIL  ${title} (${Date.now() - started} ms)\n${error?.stack ?? error}`);
    } finally {
      clearTimeout(timer);
      await context.close();
    }
  }
} finally {
  await browser.close();
  server.kill("SIGTERM"); // by pid
}

console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed || !tests.length ? 1 : 0;

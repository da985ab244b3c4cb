// Headless Chromium for the bench programs: a static server on 127.0.0.1 for bench/ (pages under
// /pages/) and the installed package (under /node_modules/), and a browser context on it. Shared
// by every browser bench (durable.mjs, pubsub.mjs, and a cross-context bench: several pages of
// one context share BroadcastChannel and Web Locks, and `context.newPage()` opens another tab).
// Uses playwright-core from the root node_modules with Debian's /usr/bin/chromium (or $CHROMIUM),
// the launch flags of tests/browser/run.mjs, and never downloads a browser.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { benchDir, root } from "./options.mjs";

export const LAUNCH_ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--no-first-run", "--disable-quic",
];

/**
 * Starts scripts/serve.mjs on a free port of 127.0.0.1 serving bench/, with the package under
 * /node_modules/ and `mounts` ({ "/prefix/": dir }) besides. Returns { url, stop }.
 */
export async function startServer(nodeModules, mounts = {}) {
  const mountArgs = Object.entries({ "/node_modules/": nodeModules, ...mounts }).flatMap(([p, d]) => ["--mount", `${p}=${d}`]);
  const server = spawn(process.execPath, [join(root, "scripts/serve.mjs"), benchDir, "--port", "0", ...mountArgs], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise((ok, fail) => {
    server.stdout.on("data", (chunk) => {
      const match = /serving (http\S+?)\/?$/m.exec(String(chunk));
      if (match) ok(match[1]);
    });
    server.on("exit", (code) => fail(new Error(`scripts/serve.mjs exited with ${code}`)));
  });
  return { url, stop: () => server.kill("SIGTERM") }; // by pid
}

/**
 * Launches Chromium. `persistent: true` runs in a profile in a temporary directory (IndexedDB on
 * disk), removed by close(); otherwise an ordinary (off-the-record) context. Returns
 * { context, close }.
 */
export async function launchBrowser({ persistent = false } = {}) {
  const launch = { executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: LAUNCH_ARGS };
  if (!persistent) {
    const browser = await chromium.launch(launch);
    const context = await browser.newContext();
    return { context, close: () => browser.close() };
  }
  const profile = mkdtempSync(join(tmpdir(), "switchyard-bench-"));
  const context = await chromium.launchPersistentContext(profile, launch);
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}

/**
 * Server + browser + one page at `path` (which sets `window.bench` once ready), for `fn(page,
 * context)`; everything is stopped afterwards, also on failure. Resolves to { result, version }.
 */
export async function withBenchPage({ nodeModules, path, persistent = false, mounts }, fn) {
  const server = await startServer(nodeModules, mounts);
  let browser;
  try {
    browser = await launchBrowser({ persistent });
    const page = await browser.context.newPage();
    page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
    await page.goto(`${server.url}${path}`);
    await page.waitForFunction(() => window.bench);
    const version = /Chrome\/(\S+)/.exec(await page.evaluate(() => navigator.userAgent))?.[1] ?? "?";
    return { result: await fn(page, browser.context), version };
  } finally {
    await browser?.close();
    server.stop();
  }
}

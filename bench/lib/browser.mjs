// The browsers of the bench programs: a static server on 127.0.0.1 for bench/ (pages under
// /pages/) and the installed package (under /node_modules/), and a browser context on it. Shared
// by every browser bench (durable.mjs, pubsub.mjs, cross.mjs: several pages of one context share
// BroadcastChannel and Web Locks, and `context.newPage()` opens another tab).
// Chromium: playwright-core from the root node_modules with Debian's /usr/bin/chromium (or
// $CHROMIUM), the launch flags of tests/browser/run.mjs, never downloading a browser.
// Firefox ESR and WebKitGTK (withEngine): the page tests' adapters, tests/browser/engines.mjs
// (Firefox through Playwright over WebDriver BiDi, WebKitGTK's MiniBrowser through WebDriver
// classic, which needs an X display: bench/run.mjs starts the programs under `xvfb-run -a`).
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { ENGINES, launch as launchEngine } from "../../tests/browser/engines.mjs";
import { benchDir, progress, root } from "./options.mjs";

export { ENGINES };

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

/** The `--engines` option (parseArgs spec) of the programs that run in every engine. */
export const enginesOption = { engines: { type: "string", default: ENGINES.join(",") } };

/** "chromium,firefox" → ["chromium", "firefox"]; exits with a hint on an unknown name. */
export function parseEngines(list) {
  const engines = list.split(",").map((e) => e.trim()).filter(Boolean);
  const unknown = engines.filter((e) => !ENGINES.includes(e));
  if (unknown.length || !engines.length) {
    console.error(`--engines: a comma-separated list of ${ENGINES.join(", ")} (not '${list}')`);
    process.exit(2);
  }
  return engines;
}

const tryRun = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "";
  }
};

/** The engine's name and version as a table heading shows it, e.g. "Firefox 140.10.2esr headless". */
export function engineVersion(engine) {
  switch (engine) {
    case "chromium":
      return `${/Chromium \S+/.exec(tryRun(process.env.CHROMIUM ?? "/usr/bin/chromium", ["--version"]))?.[0] ?? "Chromium"} headless`;
    case "firefox":
      return `${/Firefox \S+/.exec(tryRun(process.env.FIREFOX ?? "/usr/bin/firefox-esr", ["--version"]))?.[0] ?? "Firefox ESR"} headless`;
    case "webkit": {
      const v = tryRun("dpkg-query", ["-W", "-f=${Version}", "libwebkit2gtk-4.1-0"]).replace(/-.*/, "");
      return `WebKitGTK ${v || "?"} under Xvfb`;
    }
    default:
      return engine;
  }
}

/**
 * Where IndexedDB keeps its data in the context withEngine() gives, for the tables.
 * Chromium: a persistent profile on disk when `persistent`, else an off-the-record context
 * (memory). Firefox: Playwright's temporary profile on disk. WebKitGTK: MiniBrowser in
 * --automation mode keeps IndexedDB in memory (TOOLCHAIN.md).
 */
export function storageOf(engine, persistent) {
  if (engine === "chromium") return persistent ? "IndexedDB on disk (persistent profile)" : "IndexedDB in memory (off-the-record context)";
  if (engine === "firefox") return "IndexedDB on disk (Playwright's temporary profile)";
  return persistent
    ? "IndexedDB on disk (tests/browser/webkit-shell.py, a WebKitGTK browser with its data directory on disk: MiniBrowser keeps none under automation)"
    : "IndexedDB in memory (MiniBrowser in --automation mode keeps no data on disk)";
}

/**
 * Server + one browser context of `engine` (Chromium with the flags above, persistent when
 * `persistent`; Firefox and WebKitGTK through tests/browser/engines.mjs). Runs
 * `fn({ newPage(path) })`, where newPage opens another tab (WebKitGTK: another window) at `path`
 * and waits for `window.bench`; everything is stopped afterwards, also on failure. Throws when
 * the engine cannot start (the reason is in the message).
 */
export async function withEngine(engine, { nodeModules, mounts, persistent = false }, fn) {
  if (engine === "webkit" && !process.env.DISPLAY) {
    throw new Error("no X display: WebKitGTK's MiniBrowser needs one (run under `xvfb-run -a`, as bench/run.mjs does)");
  }
  const server = await startServer(nodeModules, mounts);
  let close = async () => {};
  try {
    let context;
    let baseUrl = server.url;
    if (engine === "chromium") {
      ({ context, close } = await launchBrowser({ persistent }));
    } else {
      const launched = await launchEngine(engine, server.url);
      close = launched.close;
      baseUrl = launched.baseUrl;
      if (engine === "webkit" && persistent) {
        // A browser whose website data is on disk, as Safari's is (removed afterwards).
        const dir = mkdtempSync(join(tmpdir(), "switchyard-bench-webkit-"));
        context = await launched.launchWithProfile(dir);
        const closeBrowser = close;
        close = async () => {
          await context.close();
          await closeBrowser();
          rmSync(dir, { recursive: true, force: true });
        };
      } else {
        context = await launched.browser.newContext();
      }
    }
    const newPage = async (path) => {
      const page = await context.newPage();
      page.on("pageerror", (e) => console.error(`page error (${engine}): ${e.message}`));
      await page.goto(`${baseUrl}${path}`);
      await page.waitForFunction(() => window.bench, undefined, { timeout: 60_000 });
      return page;
    };
    return await fn({ newPage });
  } finally {
    await close().catch((e) => console.error(`closing ${engine}: ${e.message}`));
    server.stop();
  }
}

/**
 * Runs `measure(engine)`; if the engine cannot run the pages, says so (on the progress line and
 * as a line in `out`, the table's place) and returns null.
 */
export async function measureOrSay(engine, measure, out) {
  try {
    return await measure(engine);
  } catch (e) {
    const reason = String(e.message ?? e).split("\n")[0];
    progress(`\n${engine}: could not run: ${reason}\n`);
    out.push(`Not measured in ${engineVersion(engine)}: the engine could not run the pages (${reason}).`);
    return null;
  }
}

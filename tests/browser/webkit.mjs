// WebKitGTK for the page tests: MiniBrowser driven over WebDriver classic (selenium-webdriver
// against WebKitWebDriver), behind the part of Playwright's browser/context/page API the specs use:
//   browser.newContext(), browser.close(); browser.newContext({ dataDir }) runs webkit-shell.py
//   instead of MiniBrowser, with its website data on disk in dataDir (see there)
//   context.newPage(), context.on("page", fn), context.setDefaultTimeout(ms), context.close()
//   page.goto(url), page.evaluate(fnOrString, arg), page.waitForFunction(fn, arg, { timeout })
//   (its result has jsonValue()), page.waitForTimeout(ms), page.close(), page.on("console" |
//   "pageerror" | "response", fn)
//   and for the demo: context.route(glob, handler) (route.fulfill/continue), page.waitForSelector,
//   click, fill, check, selectOption, textContent, getAttribute, $eval, $$eval,
//   locator(s).count() and .screenshot(), setViewportSize and screenshot (viewport only)
// Anything else throws, naming what is missing, so a spec never passes by doing less here.
//
// One context is one WebKitWebDriver process with one session (the driver allows one session per
// process), so contexts share nothing, as in Playwright. Pages are windows, not tabs: WebKit
// throttles timers in background tabs to about one a second.
// Console messages and uncaught errors: WebDriver classic has no events, and MiniBrowser ignores
// --enable-write-console-messages-to-stdout in --automation mode. So pages are served through a
// small proxy (`tapConsole`) that puts a classic script first in every HTML document; it reports
// console calls, "error" and "unhandledrejection" to the proxy by synchronous XHR, tagged with the
// page's id (set in sessionStorage when the adapter opens the window, see NAME_PATH), so each page
// gets its own messages, in order, before the page runs on. Messages from workers are not seen.
// Responses come from the same proxy, which cannot tell windows apart: every open page gets every
// response (url(), status(), headers()), workers' fetches included.
// Needs an X display (the Makefile runs this under xvfb-run); everything listens on 127.0.0.1.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer as createHttpServer, request } from "node:http";
import { createServer } from "node:net";
import { Builder, By } from "selenium-webdriver";

let pageIds = 0;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** MiniBrowser ships in libwebkit2gtk's private directory: /usr/lib/<multiarch>/webkit2gtk-4.x/. */
function findMiniBrowser() {
  if (process.env.MINIBROWSER) return process.env.MINIBROWSER;
  const list = (dir) => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };
  const dirs = ["/usr/lib", "/usr/libexec", ...list("/usr/lib").map((name) => `/usr/lib/${name}`)];
  for (const dir of dirs) {
    for (const name of list(dir).filter((n) => /^webkit2?gtk-[\d.]+$/.test(n)).sort().reverse()) {
      if (existsSync(`${dir}/${name}/MiniBrowser`)) return `${dir}/${name}/MiniBrowser`;
    }
  }
  throw new Error("MiniBrowser not found (install webkit2gtk-driver, or set MINIBROWSER)");
}

// Runs in the page: starts evaluating `source` (a function's text, called with `arg`, or an
// expression) and answers { value } or { error } if it settles within 20 ms, or { pending: true }:
// the outcome then waits in window.__switchyardEval[id] for EVALUATED. A WebDriver session runs
// one command at a time, so a long evaluation must not hold it: another page may have to act
// before this one's promise can settle (a consumer waiting for a publish from another tab).
const EVALUATE = `
  const [source, isFunction, arg, id, done] = arguments;
  const slots = (window.__switchyardEval ??= {});
  let settled = null;
  (async () => (isFunction ? (0, eval)("(" + source + ")")(arg) : (0, eval)(source)))().then(
    (value) => (settled = { value: value === undefined ? null : value }),
    (error) => (settled = { error: String(error) + (error && error.stack ? "\\n" + error.stack : "") }),
  ).then(() => {
    if (slots[id]) slots[id] = settled;
    else done(settled);
  });
  setTimeout(() => {
    if (settled) return;
    slots[id] = { pending: true };
    done({ pending: true });
  }, 20);`;
const EVALUATED = `
  const [id] = arguments;
  const slot = window.__switchyardEval?.[id];
  if (!slot) return { error: "the page navigated or closed while evaluating" };
  if (!slot.pending) delete window.__switchyardEval[id];
  return slot;`;
let evaluations = 0;

const TAP_PATH = "/__switchyard/console-tap.js";
const REPORT_PATH = "/__switchyard/console";
const NAME_PATH = "/__switchyard/name-page";
// Each record goes to the proxy by a synchronous XHR before the console call returns, so the test
// has it before the page's next statement runs (and so before the page can be closed after it).
// The page is named by the adapter in sessionStorage, which survives same-origin navigations.
const TAP = `(() => {
  const page = sessionStorage.getItem("__switchyardPage");
  if (!page) return;
  const report = (type, text) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "${REPORT_PATH}", false);
    xhr.send(JSON.stringify({ page, type, text }));
  };
  for (const [method, type] of [["log", "log"], ["info", "info"], ["debug", "debug"], ["warn", "warning"], ["error", "error"]]) {
    const original = console[method];
    console[method] = function (...args) {
      report(type, args.map(String).join(" "));
      return original.apply(this, args);
    };
  }
  addEventListener("error", (event) => report("pageerror", String(event.error?.message ?? event.message)));
  addEventListener("unhandledrejection", (event) => report("pageerror", String(event.reason?.message ?? event.reason)));
})();
`;

/**
 * A proxy on 127.0.0.1 in front of `target` that puts the console tap first in every HTML page.
 * Returns { url, close, responses, consoles } (responses: a Set of listeners for every response;
 * consoles: page id -> listener for that page's console records).
 */
export async function tapConsole(target) {
  const upstream = new URL(target);
  const responses = new Set();
  const consoles = new Map();
  const routes = new Set(); // { match(url), handler(route) } from context.route()
  let origin;
  const seen = (req, status, headers) => {
    const response = { url: () => new URL(req.url, origin).href, status: () => status, headers: () => ({ ...headers }) };
    for (const fn of responses) fn(response);
  };
  // Sends a response, with the console tap first in an HTML document.
  const deliver = (req, res, status, headers, body) => {
    seen(req, status, headers);
    if (String(headers["content-type"]).startsWith("text/html")) {
      const html = body.toString("utf8");
      const at = /^<!doctype[^>]*>/i.exec(html)?.[0].length ?? 0;
      body = Buffer.from(html.slice(0, at) + `<script src="${TAP_PATH}"></script>` + html.slice(at));
    }
    res.writeHead(status, { ...headers, "content-length": body.length }).end(body);
  };
  const forward = (req, res) => {
    const up = request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      const chunks = [];
      answer.on("data", (c) => chunks.push(c));
      answer.on("end", () => deliver(req, res, answer.statusCode, answer.headers, Buffer.concat(chunks)));
    });
    up.on("error", (error) => res.writeHead(502).end(String(error)));
    req.pipe(up);
  };
  const server = createHttpServer((req, res) => {
    if (req.url === TAP_PATH) {
      res.writeHead(200, { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-store" }).end(TAP);
      return;
    }
    if (req.url.startsWith(NAME_PATH)) {
      const page = new URL(req.url, origin).searchParams.get("page");
      const html = `<!doctype html><script>sessionStorage.setItem("__switchyardPage", ${JSON.stringify(page)})</script>`;
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" }).end(html);
      return;
    }
    if (req.url === REPORT_PATH && req.method === "POST") {
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        const { page, type, text } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        consoles.get(page)?.({ type, text });
        res.writeHead(204).end();
      });
      return;
    }
    const url = new URL(req.url, origin).href;
    const route = [...routes].find((r) => r.match(url));
    if (!route) return forward(req, res);
    route.handler({
      request: () => ({ url: () => url, method: () => req.method }),
      continue: async () => forward(req, res),
      fulfill: async ({ status = 200, body, path, headers = {}, contentType } = {}) => {
        const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
        lower["content-type"] ??= contentType ?? (path ? MIME[extname(path)] ?? "application/octet-stream" : "text/plain");
        deliver(req, res, status, lower, path ? await readFile(path) : Buffer.from(body ?? ""));
      },
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
  return {
    url: origin,
    responses,
    consoles,
    routes,
    /** A fresh page id and the URL that names a window with it (open it before anything else). */
    namePage: () => {
      const id = `page-${++pageIds}`;
      return { id, url: `${origin}${NAME_PATH}?page=${id}` };
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".wasm": "application/wasm",
};

/** Playwright's URL glob: `**` any characters, `*` any but "/". */
function globToRegExp(glob) {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${escaped.replace(/\*\*/g, "\u0000").replace(/\*/g, "[^/]*").replace(/\u0000/g, ".*")}$`);
}

class Page {
  #context;
  #handle;
  #listeners = { console: [], pageerror: [], response: [] };
  closed = false;

  constructor(context, handle) {
    this.#context = context;
    this.#handle = handle;
  }

  _response(response) {
    if (!this.closed) for (const fn of this.#listeners.response) fn(response);
  }

  on(event, fn) {
    if (!(event in this.#listeners)) throw new Error(`page.on("${event}") is not available in WebKit over WebDriver classic`);
    this.#listeners[event].push(fn);
    return this;
  }

  /** One record from the page's console tap. */
  _console({ type, text }) {
    if (this.closed) return;
    if (type === "pageerror") for (const fn of this.#listeners.pageerror) fn(new Error(text));
    else for (const fn of this.#listeners.console) fn({ type: () => type, text: () => text });
  }

  #run(fn) {
    if (this.closed) return Promise.reject(new Error("the page is closed"));
    return this.#context._serial(async (driver) => {
      await driver.switchTo().window(this.#handle);
      return fn(driver);
    });
  }

  async goto(url) {
    return this.#run((driver) => driver.get(url));
  }

  async evaluate(fnOrSource, arg) {
    const isFunction = typeof fnOrSource === "function";
    const source = isFunction ? fnOrSource.toString() : String(fnOrSource);
    const id = ++evaluations;
    let result = await this.#run((driver) => driver.executeAsyncScript(EVALUATE, source, isFunction, arg ?? null, id));
    for (let wait = 5; result?.pending; wait = Math.min(wait * 2, 100)) {
      await sleep(wait);
      result = await this.#run((driver) => driver.executeScript(EVALUATED, id));
    }
    if (result?.error !== undefined) throw new Error(`evaluate failed in the page: ${result.error}`);
    return result?.value ?? null;
  }

  async waitForFunction(fn, arg, { timeout = this.#context._defaultTimeout, polling = 100 } = {}) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const value = await this.evaluate(fn, arg);
      if (value) return { jsonValue: async () => value };
      if (Date.now() > deadline) throw new Error(`page.waitForFunction: timed out after ${timeout} ms`);
      await sleep(polling);
    }
  }

  waitForTimeout(ms) {
    return sleep(ms);
  }

  // The DOM helpers the demo spec uses, as Playwright does them: each waits for its element.

  /** state "visible" (default): attached with a non-empty box and not visibility:hidden. */
  async waitForSelector(selector, { state = "visible", timeout } = {}) {
    const present = ([selector, state]) => {
      const element = document.querySelector(selector);
      if (!element) return false;
      if (state === "attached") return true;
      const box = element.getBoundingClientRect();
      return box.width > 0 && box.height > 0 && getComputedStyle(element).visibility !== "hidden";
    };
    await this.waitForFunction(present, [selector, state], { timeout });
  }

  async textContent(selector) {
    await this.waitForSelector(selector, { state: "attached" });
    return this.evaluate((selector) => document.querySelector(selector)?.textContent ?? null, selector);
  }

  $$eval(selector, fn, arg) {
    const run = ([selector, source, arg]) => (0, eval)(`(${source})`)([...document.querySelectorAll(selector)], arg);
    return this.evaluate(run, [selector, fn.toString(), arg ?? null]);
  }

  async $eval(selector, fn, arg) {
    await this.waitForSelector(selector, { state: "attached" });
    const run = ([selector, source, arg]) => (0, eval)(`(${source})`)(document.querySelector(selector), arg);
    return this.evaluate(run, [selector, fn.toString(), arg ?? null]);
  }

  async getAttribute(selector, name) {
    await this.waitForSelector(selector, { state: "attached" });
    return this.evaluate(([selector, name]) => document.querySelector(selector).getAttribute(name), [selector, name]);
  }

  async check(selector) {
    await this.waitForSelector(selector);
    const checked = await this.evaluate((selector) => document.querySelector(selector).checked, selector);
    if (!checked) await this.click(selector);
  }

  locator(selector) {
    return {
      count: () => this.evaluate((selector) => document.querySelectorAll(selector).length, selector),
      /** The element's own screenshot (WebDriver's element screenshot). */
      screenshot: async ({ path } = {}) => {
        await this.waitForSelector(selector);
        const png = Buffer.from(await this.#run((driver) => driver.findElement(By.css(selector)).takeScreenshot(true)), "base64");
        if (path) writeFileSync(path, png);
        return png;
      },
    };
  }

  /**
   * A real WebDriver click (scrolled into view, checked to be interactable). Retried while the
   * element is not interactable or another element would take the click (a layout still
   * settling), up to the default timeout, as Playwright waits for an element to be actionable.
   */
  async click(selector) {
    await this.waitForSelector(selector);
    const end = Date.now() + this.#context._defaultTimeout;
    for (;;) {
      try {
        return await this.#run((driver) => driver.findElement(By.css(selector)).click());
      } catch (e) {
        const transient = e?.name === "ElementNotInteractableError" || e?.name === "ElementClickInterceptedError";
        if (!transient || Date.now() > end) throw e;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  async fill(selector, value) {
    await this.waitForSelector(selector);
    await this.evaluate(([selector, value]) => {
      const element = document.querySelector(selector);
      element.focus();
      element.value = value;
      element.dispatchEvent(new Event("input", { bubbles: true }));
      element.dispatchEvent(new Event("change", { bubbles: true }));
    }, [selector, value]);
  }

  /** Waits, as Playwright does, until the option (by value or label) is in the select. */
  async selectOption(selector, value) {
    const hasOption = ([selector, value]) =>
      [...(document.querySelector(selector)?.options ?? [])].some((o) => o.value === value || o.label === value);
    await this.waitForFunction(hasOption, [selector, value]).catch(() => {
      throw new Error(`selectOption: no option '${value}' in ${selector}`);
    });
    return this.evaluate(([selector, value]) => {
      const select = document.querySelector(selector);
      const option = [...select.options].find((o) => o.value === value || o.label === value);
      select.value = option.value;
      select.dispatchEvent(new Event("input", { bubbles: true }));
      select.dispatchEvent(new Event("change", { bubbles: true }));
      return [option.value];
    }, [selector, value]);
  }

  /** The window is sized so that the viewport (innerWidth × innerHeight) is the size asked for. */
  async setViewportSize({ width, height }) {
    for (let attempt = 0; attempt < 3; attempt++) {
      const [w, h] = await this.evaluate(() => [innerWidth, innerHeight]);
      if (w === width && h === height) return;
      await this.#run(async (driver) => {
        const rect = await driver.manage().window().getRect();
        await driver.manage().window().setRect({ width: rect.width + width - w, height: rect.height + height - h });
      });
    }
  }

  /** The viewport only: WebDriver classic has no full-page screenshot (`fullPage` is ignored). */
  async screenshot({ path } = {}) {
    const png = Buffer.from(await this.#run((driver) => driver.takeScreenshot()), "base64");
    if (path) writeFileSync(path, png);
    return png;
  }

  async close() {
    if (this.closed) return;
    await this.#run((driver) => driver.close());
    this.closed = true;
    this.#context._closed(this);
  }
}

class Context {
  #driver;
  #process;
  #parking;
  #queue = Promise.resolve();
  #pages = new Set();
  #onPage = [];
  #stopResponses = () => {};
  #proxy;
  #routes = [];
  #dataDir;
  _defaultTimeout = 30_000;

  static async create({ driverPath, miniBrowser, proxy, dataDir }) {
    const { responses } = proxy;
    const port = await freePort();
    const child = spawn(driverPath, [`--port=${port}`, "--host=127.0.0.1"], { stdio: ["ignore", "pipe", "pipe"] });
    const context = new Context();
    context.#process = child;
    context.#dataDir = dataDir;
    context.#proxy = proxy;
    const onResponse = (response) => {
      for (const page of context.#pages) page._response(response);
    };
    responses.add(onResponse);
    context.#stopResponses = () => responses.delete(onResponse);
    const onOutput = (chunk) => process.env.SWITCHYARD_WEBKIT_DEBUG && process.stderr.write(chunk);
    child.stdout.on("data", onOutput);
    child.stderr.on("data", onOutput);
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          const response = await fetch(`http://127.0.0.1:${port}/status`);
          if (response.ok) break;
        } catch (error) {
          if (attempt > 100 || child.exitCode !== null) throw new Error(`WebKitWebDriver did not start: ${error}`);
        }
        await sleep(50);
      }
      context.#driver = await new Builder()
        .usingServer(`http://127.0.0.1:${port}`)
        .withCapabilities(
          dataDir
            ? {
                browserName: "switchyard-webkit-shell",
                "webkitgtk:browserOptions": { binary: WEBKIT_SHELL, args: ["--automation", `--data-dir=${dataDir}`] },
              }
            : { browserName: "MiniBrowser", "webkitgtk:browserOptions": { binary: miniBrowser, args: ["--automation"] } },
        )
        .build();
      await context.#driver.manage().setTimeouts({ script: 120_000, pageLoad: 60_000 });
      // The first window stays open and unused, so closing the last page never ends the session.
      context.#parking = await context.#driver.getWindowHandle();
    } catch (error) {
      child.kill("SIGTERM"); // by pid
      throw error;
    }
    return context;
  }

  /** WebDriver classic has one current window per session: one command at a time. */
  _serial(fn) {
    const run = this.#queue.then(() => fn(this.#driver));
    this.#queue = run.catch(() => {});
    return run;
  }

  _closed(page) {
    page._forget?.();
    this.#pages.delete(page);
  }

  /** Requests matching a URL glob go to `handler` (fulfill() or continue()), in the shared proxy. */
  async route(glob, handler) {
    const regex = globToRegExp(glob);
    const route = { match: (url) => regex.test(url), handler };
    this.#proxy.routes.add(route);
    this.#routes.push(route);
  }

  on(event, fn) {
    if (event !== "page") throw new Error(`context.on("${event}") is not available in WebKit over WebDriver classic`);
    this.#onPage.push(fn);
    return this;
  }

  setDefaultTimeout(ms) {
    this._defaultTimeout = ms;
  }

  async newPage() {
    const handle = await this._serial(async (driver) => {
      await driver.switchTo().window(this.#parking); // the current window may have been closed
      await driver.switchTo().newWindow("window");
      return driver.getWindowHandle();
    });
    const page = new Page(this, handle);
    this.#pages.add(page);
    const { id, url } = this.#proxy.namePage();
    this.#proxy.consoles.set(id, (record) => page._console(record));
    page._forget = () => this.#proxy.consoles.delete(id);
    await page.goto(url);
    for (const fn of this.#onPage) fn(page);
    return page;
  }

  async close() {
    this.#stopResponses();
    for (const route of this.#routes) this.#proxy.routes.delete(route);
    for (const page of [...this.#pages]) {
      page.closed = true;
      this._closed(page);
    }
    // WebKitWebDriver ends the browser with SIGKILL; its network process, which holds IndexedDB,
    // ends by itself a moment later (and may still write its cache). A context on a data
    // directory waits for every process of its browser, so that the next browser started on that
    // directory never meets the old one's.
    const browserProcesses = this.#dataDir ? descendants(this.#process.pid) : [];
    let timer;
    try {
      await Promise.race([this.#driver?.quit(), new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
    } finally {
      clearTimeout(timer);
      if (this.#process.exitCode === null && this.#process.signalCode === null) {
        const exited = new Promise((resolve) => this.#process.once("exit", resolve));
        this.#process.kill("SIGTERM"); // by pid
        await exited;
      }
      await ended(browserProcesses, 10_000);
    }
  }
}

/** The pids of the processes below `pid` (Linux /proc). */
function descendants(pid) {
  const children = new Map();
  for (const entry of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  const found = [];
  for (let queue = [pid]; queue.length; ) {
    for (const child of children.get(queue.shift()) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Resolves once none of `pids` runs any more (gone, or a zombie); kills what still runs after
 * `timeout` ms. */
async function ended(pids, timeout) {
  const running = (pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
    } catch {
      return false;
    }
  };
  for (const deadline = Date.now() + timeout; pids.some(running) && Date.now() < deadline; ) await sleep(20);
  for (const pid of pids.filter(running)) {
    try {
      process.kill(pid, "SIGKILL"); // by pid: a process of the browser this context started
    } catch {
      // ended meanwhile
    }
  }
}

// MiniBrowser under --automation keeps website data in memory only (its source picks an ephemeral
// data manager in automation mode), so a browser restart starts from nothing there.
const WEBKIT_SHELL = fileURLToPath(new URL("./webkit-shell.py", import.meta.url));

/** A Playwright-like browser whose contexts are WebKitGTK sessions; `proxy` from tapConsole(). */
export async function launchWebKit(proxy) {
  const driverPath = process.env.WEBKITDRIVER ?? "/usr/bin/WebKitWebDriver";
  const miniBrowser = findMiniBrowser();
  const contexts = new Set();
  return {
    async newContext({ dataDir } = {}) {
      const context = await Context.create({ driverPath, miniBrowser, proxy, dataDir });
      contexts.add(context);
      const close = context.close.bind(context);
      context.close = async () => {
        contexts.delete(context);
        await close();
      };
      return context;
    },
    async close() {
      await Promise.all([...contexts].map((c) => c.close()));
    },
  };
}

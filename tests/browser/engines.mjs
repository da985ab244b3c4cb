// The browser engines the page tests run in, each behind Playwright's browser/context/page API:
//   chromium  Debian's Chromium through playwright-core (CDP)
//   firefox   Debian's Firefox ESR through Playwright over WebDriver BiDi (channel "moz-firefox").
//             Debian ships 140 ESR, which lacks the BiDi command network.addDataCollector that
//             playwright-core 1.56 and later send at launch ("unknown command"), so Firefox runs
//             on playwright-core 1.55.1 (the root devDependency alias playwright-core-bidi-firefox),
//             where the BiDi Firefox launcher is `_bidiFirefox`. Chromium stays on 1.64.1.
//   webkit    WebKitGTK's MiniBrowser through WebDriver classic (./webkit.mjs), which offers only
//             the subset listed there; needs an X display (xvfb-run)
// launch(engine, baseUrl) resolves to { browser, baseUrl, close, launchWithProfile }; baseUrl is
// that of a proxy in front of the static server (tapConsole() in webkit.mjs), through which every
// engine's pages report their console messages. launchWithProfile(dir) starts another browser of
// the engine whose profile (website data: IndexedDB, …) lives on disk in `dir` and outlives it:
// it resolves to a context (newPage() etc., as browser.newContext() gives) whose close() quits
// that browser; launching again on the same `dir` is a browser restart (restart.spec.mjs).
// WebKitGTK's MiniBrowser keeps website data in memory under automation, so there the browser is
// webkit-shell.py (see there).
//
// Chromium's and Firefox's console messages come from that tap too, not from CDP or WebDriver
// BiDi: both drop messages a page logs while page.close() is under way (the crash spec's consumer
// announced "acking …", acked, and the test never saw the line, so it counted those messages
// lost: 1 run in 5 in Chromium, 1 in 2 in Firefox). The tap reports each message by synchronous
// XHR before console.log returns, so none is lost. It sees the page's own messages, not its
// workers' (uncaught errors still come from Playwright's "pageerror").
import { chromium } from "playwright-core";
import playwrightForFirefox from "playwright-core-bidi-firefox";
import { launchWebKit, tapConsole } from "./webkit.mjs";

export const ENGINES = ["chromium", "firefox", "webkit"];

export async function launch(engine, baseUrl) {
  switch (engine) {
    case "chromium": {
      const proxy = await tapConsole(baseUrl);
      // Playwright gives every launch a fresh temporary --user-data-dir and deletes it on close.
      const browser = await chromium.launch(CHROMIUM);
      const withProfile = async (dir) => consoleFromTap(await chromium.launchPersistentContext(dir, CHROMIUM), proxy);
      return tapped(browser, proxy, withProfile);
    }
    case "firefox": {
      const proxy = await tapConsole(baseUrl);
      const firefox = playwrightForFirefox._bidiFirefox;
      const browser = await firefox.launch(FIREFOX);
      const withProfile = async (dir) => consoleFromTap(await firefox.launchPersistentContext(dir, FIREFOX), proxy);
      return tapped(browser, proxy, withProfile);
    }
    case "webkit": {
      const proxy = await tapConsole(baseUrl);
      const browser = await launchWebKit(proxy);
      return {
        browser,
        baseUrl: proxy.url,
        close: async () => {
          await browser.close();
          await proxy.close();
        },
        launchWithProfile: (dir) => browser.newContext({ dataDir: dir }),
      };
    }
    default:
      throw new Error(`unknown engine '${engine}' (one of ${ENGINES.join(", ")})`);
  }
}

const CHROMIUM = {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
  ],
};
const FIREFOX = { channel: "moz-firefox", executablePath: process.env.FIREFOX ?? "/usr/bin/firefox-esr", headless: true };

/** A Playwright browser whose contexts take console messages from the tap; see consoleFromTap. */
function tapped(browser, proxy, launchWithProfile) {
  return {
    launchWithProfile,
    browser: {
      newContext: async (options) => consoleFromTap(await browser.newContext(options), proxy),
      close: () => browser.close(),
    },
    baseUrl: proxy.url,
    close: async () => {
      await browser.close();
      await proxy.close();
    },
  };
}

/**
 * A Playwright context whose pages take "console" events from the console tap (see above); all
 * else is Playwright's. Pages opened by the page itself (popups) are not covered.
 */
function consoleFromTap(context, proxy) {
  const onPage = [];
  const wrap = (page) => {
    const listeners = [];
    const { id, url } = proxy.namePage();
    proxy.consoles.set(id, ({ type, text }) => {
      if (type !== "pageerror") for (const fn of listeners) fn({ type: () => type, text: () => text });
    });
    page.once("close", () => proxy.consoles.delete(id));
    const wrapped = new Proxy(page, {
      get(target, property) {
        if (property === "on") {
          return (event, fn) => {
            if (event === "console") listeners.push(fn);
            else target.on(event, fn);
            return wrapped;
          };
        }
        const value = Reflect.get(target, property);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    return { wrapped, url };
  };
  return new Proxy(context, {
    get(target, property) {
      if (property === "on") {
        return (event, fn) => {
          if (event === "page") onPage.push(fn);
          else target.on(event, fn);
        };
      }
      if (property === "newPage") {
        return async () => {
          const { wrapped, url } = wrap(await target.newPage());
          await wrapped.goto(url);
          for (const fn of onPage) fn(wrapped);
          return wrapped;
        };
      }
      const value = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

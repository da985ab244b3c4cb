// The browser engines the page tests run in, each behind Playwright's browser/context/page API:
//   chromium  Debian's Chromium through playwright-core (CDP)
//   firefox   Debian's Firefox ESR through Playwright over WebDriver BiDi (channel "moz-firefox").
//             Debian ships 140 ESR, which lacks the BiDi command network.addDataCollector that
//             playwright-core 1.56 and later send at launch ("unknown command"), so Firefox runs
//             on playwright-core 1.55.1 (the root devDependency alias playwright-core-bidi-firefox),
//             where the BiDi Firefox launcher is `_bidiFirefox`. Chromium stays on 1.64.1.
//   webkit    WebKitGTK's MiniBrowser through WebDriver classic (./webkit.mjs), which offers only
//             the subset listed there; needs an X display (xvfb-run)
// launch(engine, baseUrl) resolves to { browser, baseUrl, close }: the URL may change (WebKit
// reads console messages through a proxy in front of the static server).
import { chromium } from "playwright-core";
import playwrightForFirefox from "playwright-core-bidi-firefox";
import { launchWebKit, tapConsole } from "./webkit.mjs";

export const ENGINES = ["chromium", "firefox", "webkit"];

export async function launch(engine, baseUrl) {
  switch (engine) {
    case "chromium": {
      // Playwright gives every launch a fresh temporary --user-data-dir and deletes it on close.
      const browser = await chromium.launch({
        executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
        headless: true,
        args: [
          "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
          "--disable-sync", "--no-first-run", "--disable-quic",
        ],
      });
      return { browser, baseUrl, close: () => browser.close() };
    }
    case "firefox": {
      const browser = await playwrightForFirefox._bidiFirefox.launch({
        channel: "moz-firefox",
        executablePath: process.env.FIREFOX ?? "/usr/bin/firefox-esr",
        headless: true,
      });
      return { browser, baseUrl, close: () => browser.close() };
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
      };
    }
    default:
      throw new Error(`unknown engine '${engine}' (one of ${ENGINES.join(", ")})`);
  }
}

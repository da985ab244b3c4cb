// Crashing one page's renderer needs Chromium's CDP `Page.crash`. The nearest equivalent,
// killing the page's content process by its pid, is not possible in the other two engines, so a
// "crash" variant of a test is n/a there (crash.spec.mjs, link.spec.mjs).
const NO_CRASH = {
  firefox:
    "no per-page renderer crash: WebDriver BiDi has no crash command and does not say which " +
    "content process hosts a page (tabs of a site share up to 4), and Playwright launches Firefox " +
    "with MOZ_CRASHREPORTER_SHUTDOWN, so any content process dying quits the whole browser",
  webkit: "killing the WebKitWebProcess ends the WebDriver session",
};

/** Ends a test as n/a when `how` is "crash" outside Chromium; `more[engine]` adds to the reason. */
export function crashable({ engine = "chromium", notIn }, how, more = {}) {
  if (how === "crash" && engine !== "chromium") notIn(NO_CRASH[engine] + (more[engine] ?? ""));
}

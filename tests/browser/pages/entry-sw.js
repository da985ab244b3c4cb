// A service worker importing the package by its `worker`/`browser` entry, as a user would.
import { ready, version } from "/node_modules/switchyard/browser.js";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("message", async (event) => {
  await ready();
  event.ports[0].postMessage({ ok: version() });
});

// The smallest module service worker with a static import: does this browser evaluate one?
// (persistence.spec.mjs asks before its service-worker tests in Firefox; see there.)
import { answer } from "./module-sw-probe-dep.js";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("message", (event) => event.ports[0].postMessage({ ok: answer }));

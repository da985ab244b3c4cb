// A dedicated or shared module worker written the obvious way: import the package (by its file
// path: workers have no import maps), then install the handlers.
import { ready, version } from "/node_modules/switchyard/browser.js";

if (typeof SharedWorkerGlobalScope === "function" && self instanceof SharedWorkerGlobalScope) {
  self.onconnect = async (event) => {
    await ready();
    event.ports[0].postMessage({ ok: version() });
  };
} else {
  self.onmessage = async () => {
    await ready();
    postMessage({ ok: version() });
  };
}

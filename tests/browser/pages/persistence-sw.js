// persistence-body.js in a module service worker. Service workers reject module graphs with
// top-level await ("ServiceWorker cannot be started"), and the package's `browser`/`worker` entry
// initialises the wasm with one, so this loads `switchyard/slim` and initialises it here.
import * as sy from "/node_modules/switchyard/slim.js";
import "./persistence-body.js";

const { persistenceBody } = self.switchyardPersistence;

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("message", (event) => {
  const [port] = event.ports;
  event.waitUntil(
    (async () => {
      try {
        await sy.init();
        port.postMessage({ ok: await persistenceBody(sy, event.data) });
      } catch (error) {
        port.postMessage({ error: String(error?.stack ?? error) });
      }
    })(),
  );
});

// persistence-body.js in a dedicated or a shared module worker. Module workers have no import
// maps, so the package is imported by its file path (the entry a worker gets from `exports`).
// The handlers are installed before the package loads, and the package is imported dynamically:
// its entry initialises the wasm with a top-level await, and a worker whose handlers wait on one
// loses what arrives meanwhile (the message posted right after `new Worker`, or a shared
// worker's `connect` event; see entry-worker.js and persistence.spec.mjs).
const loaded = Promise.all([import("/node_modules/switchyard/browser.js"), import("./persistence-body.js")]);

async function answer(port, job) {
  try {
    const [sy] = await loaded;
    const { persistenceBody } = self.switchyardPersistence; // persistence-body.js is a classic script
    port.postMessage({ ok: await persistenceBody(sy, job) });
  } catch (error) {
    port.postMessage({ error: String(error?.stack ?? error) });
  }
}

if (typeof SharedWorkerGlobalScope === "function" && self instanceof SharedWorkerGlobalScope) {
  self.onconnect = (event) => {
    const [port] = event.ports;
    port.onmessage = (message) => answer(port, message.data);
  };
} else {
  self.onmessage = (message) => answer(self, message.data);
}

// A CLASSIC service worker (registered without { type: "module" }) that loads switchyard the one
// way such a worker can: importScripts() of `switchyard/classic`, which defines self.switchyard
// and loads switchyard_bg.wasm from next to itself. Commands arrive as { cmd, args } with a
// MessagePort, answered there with { ok } or { error }:
//   hello         what this worker is and what the classic entry gave it (kind, exports, version)
//   persistence   persistence-body.js, the checks every other context runs (args: { db })
//   anything else a classic-agent.js command: this worker's side of the origin-bus exchange
importScripts("/node_modules/switchyard/classic.js", "./persistence-body.js", "./classic-agent.js");

const agent = self.classicAgent(self.switchyard, "classic service worker");

async function run(cmd, args) {
  switch (cmd) {
    case "hello":
      await self.switchyard.ready();
      return {
        kind: typeof ServiceWorkerGlobalScope === "function" && self instanceof ServiceWorkerGlobalScope ? "service worker" : "other",
        exports: Object.keys(self.switchyard).sort(),
        version: self.switchyard.version(),
      };
    case "persistence":
      return self.switchyardPersistence.persistenceBody(self.switchyard, args);
    default:
      return agent.call(cmd, args);
  }
}

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("message", (event) => {
  const [port] = event.ports;
  const { cmd, args } = event.data;
  event.waitUntil(
    run(cmd, args).then(
      (ok) => port.postMessage({ ok: ok === undefined ? null : ok }),
      (error) => port.postMessage({ error: `${error?.name} [${error?.code}] ${error?.message}\n${error?.stack ?? ""}` }),
    ),
  );
});

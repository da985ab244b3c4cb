// Type-checked (never run): the globals `switchyard/classic` defines for a classic script, as a
// classic service worker sees them after importScripts().
/// <reference types="switchyard/classic" />

self.switchyardWasm = new URL("/node_modules/switchyard/switchyard_bg.wasm", self.location.href);
self.switchyardWasm = fetch("/switchyard_bg.wasm");

async function classicWorker(): Promise<string> {
  await switchyard.ready();
  const conn = await switchyard.connect("switchyard://jobs");
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue("tasks");
  ch.sendToQueue("tasks", new TextEncoder().encode("x"), { persistent: true });
  await ch.waitForConfirms();
  // @ts-expect-error connect() takes a URL string or options, not a number
  await switchyard.connect(42);
  const err: typeof switchyard.IllegalOperationError = switchyard.IllegalOperationError;
  void err;
  return switchyard.version();
}

const unset: typeof switchyardWasm = undefined; // unset: the wasm next to classic.js
void unset;

export { classicWorker };

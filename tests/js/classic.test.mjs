// `switchyard/classic` (classic.js) from the packed package: one classic script that defines the
// global `switchyard`. Browsers load it with importScripts() or <script> (tests/browser/
// classic.spec.mjs runs it in a classic service worker in every engine); here it runs as a
// classic script in a fresh V8 context of this process (node:vm), which has no fetch of its
// own: the wasm comes in through `switchyardWasm`, or the entry must say it cannot find it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import test from "node:test";
import vm from "node:vm";

const classicUrl = import.meta.resolve("switchyard/classic");
const source = readFileSync(fileURLToPath(classicUrl), "utf8");
const wasm = readFileSync(fileURLToPath(new URL("./switchyard_bg.wasm", classicUrl)));

/** A context with what a worker offers that the script needs; `extra` becomes its globals. */
function load(filename, extra = {}) {
  const context = vm.createContext({ TextEncoder, TextDecoder, URL, WebAssembly, setTimeout, clearTimeout, queueMicrotask, console, structuredClone, ...extra });
  vm.runInContext(source, context, { filename });
  return context;
}

test("classic.js is one classic script (no import or export) defining the global switchyard", async () => {
  assert.doesNotThrow(() => new vm.Script(source), "parses as a classic script");
  const context = load(classicUrl, { switchyardWasm: wasm });
  const slim = await import("switchyard/slim");
  const expected = Object.keys(slim).filter((name) => name !== "init").sort();
  assert.deepEqual(Object.keys(context.switchyard).sort(), expected, "the exports of the browser entry (slim's, less its init)");
});

test("with switchyardWasm set first, the bus works: publish, consume, ack", async () => {
  const { switchyard } = load(classicUrl, { switchyardWasm: wasm });
  await switchyard.ready();
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL("./package.json", classicUrl)), "utf8"));
  assert.equal(switchyard.version(), pkg.version);
  const conn = await switchyard.connect();
  const ch = await conn.createChannel();
  await ch.assertQueue("q");
  for (let i = 0; i < 3; i++) ch.sendToQueue("q", new TextEncoder().encode(`m${i}`));
  const got = [];
  await new Promise((resolve) =>
    ch.consume("q", (msg) => {
      got.push(new TextDecoder().decode(msg.content));
      ch.ack(msg);
      if (got.length === 3) resolve();
    }),
  );
  assert.deepEqual(got, ["m0", "m1", "m2"]);
  assert.equal((await ch.checkQueue("q")).messageCount, 0);
  await conn.close();
});

test("without switchyardWasm, it fetches switchyard_bg.wasm from next to its own URL", async () => {
  const fetched = [];
  const fetch = async (url) => {
    fetched.push(String(url));
    return new Response(readFileSync(fileURLToPath(url)), { headers: { "Content-Type": "application/wasm" } });
  };
  const { switchyard } = load(classicUrl, { fetch, Response, Request });
  await switchyard.ready();
  assert.deepEqual(fetched, [new URL("./switchyard_bg.wasm", classicUrl).href]);
});

test("without switchyardWasm and without a URL of its own, ready() rejects with a coded error", async () => {
  const { switchyard } = load("classic.js"); // a file name, not a URL: no stack frame names a URL
  await assert.rejects(switchyard.ready(), (error) => {
    assert.equal(error.code, "SWITCHYARD_WASM_URL_UNKNOWN");
    assert.match(error.message, /switchyardWasm/);
    return true;
  });
});

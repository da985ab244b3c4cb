// Persistence in every browser context that can hold a bus: the same body
// (pages/persistence-body.js) in a page, a dedicated worker, a shared worker and a service
// worker, each against its own IndexedDB database, compared with the same expected outcome.
import assert from "node:assert/strict";
import "./pages/persistence-body.js"; // a classic script: defines globalThis.switchyardPersistence

const { expected } = globalThis.switchyardPersistence;

let counter = 0;
const dbName = (where) => `persist-${where}-${process.pid}-${++counter}`;

async function runIn(where, { context, baseUrl }) {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/pages/persistence.html?in=${where}&db=${dbName(where)}`);
  const result = await (await page.waitForFunction(() => window.result)).jsonValue();
  await page.close();
  return result;
}

async function check(where, args) {
  const result = await runIn(where, args);
  assert.equal(result.error, undefined, `persistence body failed in ${where}: ${result.error}`);
  assert.deepEqual(result.ok, expected);
}

export async function persistenceInPage(args) {
  await check("page", args);
}

export async function persistenceInDedicatedWorker(args) {
  await check("worker", args);
}

export async function persistenceInSharedWorker(args) {
  await check("shared", args);
}

// Firefox before 147 (Debian's 140 ESR) evaluates no module service worker: register() rejects
// with "TypeError: ServiceWorker script … threw an exception during script evaluation". A probe
// asks the browser itself, so these tests run by themselves once Firefox can; in Chromium and
// WebKit they always run. A classic service worker runs switchyard through `switchyard/classic`
// in every engine, Firefox 140 included: classic.spec.mjs (with this same persistence body).
async function moduleServiceWorkers(args) {
  if (args.engine !== "firefox") return;
  const probe = await runIn("module-sw-probe", args);
  if (probe.error) args.notIn(`this Firefox evaluates no module service worker (${probe.error.split("\n")[0]})`);
  assert.deepEqual(probe, { ok: "module service worker evaluated" });
}

// Runs with `switchyard/slim` (see pages/persistence-sw.js for why).
export async function persistenceInServiceWorker(args) {
  await moduleServiceWorkers(args);
  await check("service", args);
}

// DESIGN.md lists service workers; the `worker` and `browser` export conditions resolve to
// browser.js, whose top-level `await init(…)` a service worker refuses to evaluate.
export async function serviceWorkerLoadsThePackageEntry(args) {
  await moduleServiceWorkers(args);
  const result = await runIn("service-entry", args);
  assert.deepEqual(result, { ok: args.pkg.version }, "a module service worker can import switchyard's worker entry");
}

// The entry's top-level await delays the module's handlers; the HTML spec delivers a worker's
// messages (and a shared worker's `connect`) as soon as the module has *started*, so what
// arrives meanwhile goes to no handler and is lost.
export async function workerImportingThePackageGetsTheFirstMessage(args) {
  const result = await runIn("worker-entry", args);
  assert.deepEqual(result, { ok: args.pkg.version }, "a module worker importing switchyard receives a message posted right after new Worker()");
}

export async function sharedWorkerImportingThePackageGetsConnections(args) {
  const result = await runIn("shared-entry", args);
  assert.deepEqual(result, { ok: args.pkg.version }, "a module shared worker importing switchyard receives its connect event");
}

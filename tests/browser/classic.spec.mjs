// `switchyard/classic` (the package as one classic script, for importScripts()) in a CLASSIC
// service worker — the only kind Firefox 140 ESR evaluates — in every engine: the entry loads
// and exports what the ESM browser entry does; the persistence checks every other context runs
// (pages/persistence-body.js) pass there; and the service worker joins the origin bus of a tab
// that uses the ESM entry, each consuming (with acks) what the other publishes, whichever leads.
// Pages: pages/classic.html (the tab), pages/classic-sw.js, pages/classic-agent.js.
import assert from "node:assert/strict";
import "./pages/persistence-body.js"; // a classic script: defines globalThis.switchyardPersistence

const { expected } = globalThis.switchyardPersistence;
let counter = 0;
const unique = (what) => `classic-${what}-${process.pid}-${++counter}`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it answers truthy; fails naming `what()` after `timeout` ms. */
async function until(check, { what, timeout = 15_000, every = 50 }) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${await what()}`);
    await sleep(every);
  }
}

/** The tab (classic.html) and its classic service worker, started and active. */
async function open({ context, baseUrl }) {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/pages/classic.html?id=${unique("sw")}`);
  await page.waitForFunction(() => window.ready === true);
  assert.equal(await page.evaluate(() => window.sw.start()), "activated", "the classic service worker is active");
  const over = (side) => ({
    label: side,
    call: (cmd, args = {}) => page.evaluate(([side, cmd, args]) => window[side].call(cmd, args), [side, cmd, args]),
  });
  return { page, tab: over("tab"), sw: over("sw") };
}

export async function classicServiceWorkerLoadsTheClassicEntry(args) {
  const { page, sw } = await open(args);
  const hello = await sw.call("hello");
  assert.equal(hello.kind, "service worker");
  assert.deepEqual(hello.exports, await page.evaluate(() => window.entryExports), "self.switchyard has the ESM browser entry's exports");
  assert.equal(hello.version, args.pkg.version, "the wasm loaded from next to classic.js");
}

export async function persistenceInClassicServiceWorker(args) {
  const { sw } = await open(args);
  assert.deepEqual(await sw.call("persistence", { db: unique("db") }), expected);
}

// `first` connects first, so it leads (holds the Web Lock); the other forwards to it.
async function tabAndServiceWorkerExchange(args, first) {
  const { tab, sw } = await open(args);
  const bus = unique("bus");
  const [leader, follower] = first === "sw" ? [sw, tab] : [tab, sw];
  const leading = await leader.call("connect", { bus });
  const following = await follower.call("connect", { bus });
  assert.deepEqual([leading.scope, leading.leader], ["origin", true], `${leader.label} leads: ${JSON.stringify(leading)}`);
  assert.deepEqual([following.scope, following.leader, following.leaderId], ["origin", false, leading.contextId],
    `${follower.label} follows ${leader.label}: ${JSON.stringify(following)}`);

  const N = 300;
  const bodies = (from) => Array.from({ length: N }, (_, i) => `${from} #${i}`);
  const toSw = bodies("from the tab");
  const toTab = bodies("from the service worker");
  await follower.call("declare", { queues: ["to-sw", "to-tab"] });
  await sw.call("consume", { queue: "to-sw" });
  await tab.call("consume", { queue: "to-tab" });
  const started = Date.now();
  const confirmed = await Promise.all([tab.call("publish", { queue: "to-sw", bodies: toSw }), sw.call("publish", { queue: "to-tab", bodies: toTab })]);
  assert.deepEqual(confirmed, [N, N], "every publish confirmed");
  const counts = async () => [(await sw.call("received", { queue: "to-sw" })).length, (await tab.call("received", { queue: "to-tab" })).length];
  await until(async () => (await counts()).every((n) => n >= N), { what: async () => `${N} deliveries each way, got ${await counts()}` });
  const took = Date.now() - started;

  assert.deepEqual(await sw.call("received", { queue: "to-sw" }), toSw.map((b) => [b, false]), "the service worker got the tab's messages, in order, once");
  assert.deepEqual(await tab.call("received", { queue: "to-tab" }), toTab.map((b) => [b, false]), "the tab got the service worker's messages, in order, once");
  const drained = async () => (await leader.call("stats")).filter((s) => s.queue.startsWith("to-")).map((s) => [s.queue, s.messages, s.unacked, s.acked]);
  const want = [["to-sw", 0, 0, N], ["to-tab", 0, 0, N]];
  let last;
  await until(async () => JSON.stringify((last = await drained()).sort()) === JSON.stringify(want), { what: async () => `every message acked: ${JSON.stringify(last)}` });
  const contexts = await follower.call("contexts");
  assert.deepEqual(contexts, first === "sw" ? [["service worker", 1], ["tab", 1]] : [["tab", 1], ["service worker", 1]],
    "[kind, consumers] per context, the leader first");
  assert.deepEqual([await tab.call("events"), await sw.call("events")], [[], []], "no channel or connection errors");
  await follower.call("close");
  await leader.call("close");
  console.log(`      ${first === "sw" ? "service worker" : "tab"} leading: ${N} messages each way, published, consumed and acked in ${took} ms`);
}

export async function classicServiceWorkerFollowsATabOnTheOriginBus(args) {
  await tabAndServiceWorkerExchange(args, "tab");
}

export async function classicServiceWorkerLeadsTheOriginBus(args) {
  await tabAndServiceWorkerExchange(args, "sw");
}

// Crash tests: a page holding a durable bus dies mid-stream (page.close(), or its renderer is
// crashed through CDP `Page.crash`), and a new page of the same browser context restores from
// IndexedDB (in Firefox and WebKit the crash variants cannot run; see crashable()). Publisher side: every message the dead page saw confirmed comes back, once, in
// order. Consumer side: what the dead consumer had not acked comes back flagged redelivered, and
// nothing confirmed is lost. The kill points are random: SWITCHYARD_CRASH_SEED=N picks the same
// ones again (SWITCHYARD_CRASH_DEBUG=1 prints the id ranges each side saw).
import assert from "node:assert/strict";
import { crashable } from "./no-crash.mjs";

const seed = Number(process.env.SWITCHYARD_CRASH_SEED) || Date.now() % 2 ** 31;
let state = seed;
// mulberry32: a small seeded PRNG, so a failing run can be repeated.
function random() {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
}
const randomInt = (min, max) => min + Math.floor(random() * (max - min + 1));
let buses = 0;
const busName = (what) => `crash-${what}-${process.pid}-${++buses}`;
const PUBLISHED = 10_000;
const FILLED = 3_000;

// What a crash.js page reported on its console: sets of ids per kind ("confirmed", …).
function watch(page, onProgress = () => {}) {
  const seen = { confirmed: new Set(), received: new Set(), acking: new Set(), nacked: [] };
  seen.feed = (text) => {
    const [kind, list] = text.split(" ");
    if (kind === "nacked") seen.nacked.push(list);
    else if (seen[kind] instanceof Set) for (const id of list.split(",")) seen[kind].add(Number(id));
    onProgress(seen);
  };
  page.on("console", (message) => seen.feed(message.text()));
  return seen;
}

// What WebKit adds to the reason a crash cannot run there (see no-crash.mjs).
const NO_RESTORE = { webkit: ", and MiniBrowser in automation mode keeps IndexedDB in memory only, so no page is left to restore from the database" };

// Kills a page: "close" closes it (no unload handlers), "crash" crashes its renderer.
async function kill(page, how, cdp) {
  if (how === "close") return page.close();
  const crashed = page.waitForEvent("crash", { timeout: 10_000 });
  cdp.send("Page.crash").catch(() => {}); // never answers: the renderer is gone
  await crashed;
  await page.close();
}

const result = async (page) => (await page.waitForFunction(() => window.result, null, { timeout: 25_000 })).jsonValue();

// Opens crash.html with `query` and kills the page once `seen[kind]` holds `target` ids.
async function runAndKill({ context, baseUrl }, query, kind, target, how) {
  const page = await context.newPage();
  const cdp = how === "crash" ? await context.newCDPSession(page) : null;
  let killing;
  let seen;
  const killed = new Promise((resolve) => {
    seen = watch(page, () => {
      if (killing || seen[kind].size < target) return;
      const t0 = Date.now();
      killing = kill(page, how, cdp).then(() => Object.assign(seen, { killMs: Date.now() - t0 }));
      resolve(killing);
    });
  });
  await page.goto(`${baseUrl}/pages/crash.html?${query}`);
  const finished = result(page).then(
    (r) => ({ finished: r }),
    () => new Promise(() => {}), // the page died: the kill wins the race
  );
  const outcome = await Promise.race([killed, finished]);
  assert.ok(outcome instanceof Object && !("finished" in outcome), `the page finished before ${target} ${kind}: ${JSON.stringify(outcome.finished ?? outcome).slice(0, 300)}`);
  return outcome;
}

// A new page of the same context gets every message back: [[id, redelivered, bodyOk]…].
async function drainAll({ context, baseUrl }, bus) {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/pages/crash.html?role=drain&bus=${bus}`);
  const r = await result(page);
  await page.close();
  assert.equal(r.error, undefined, `drain failed: ${r.error}`);
  const ids = r.got.map(([id]) => id);
  assert.ok(r.got.every(([, , bodyOk]) => bodyOk), "every body matches its messageId");
  for (let i = 1; i < ids.length; i++) {
    assert.ok(ids[i] > ids[i - 1], `publish order kept, each message once: ${ids[i - 1]} then ${ids[i]} at position ${i}`);
  }
  assert.equal(r.leftInStore, 0, "what the new page acked is gone from the database");
  return { ...r, ids: new Set(ids), redelivered: new Set(r.got.filter(([, re]) => re).map(([id]) => id)) };
}

// [1,2,3,7,9,10] -> "1-3,7,9-10"
function ranges(ids) {
  const sorted = [...ids].sort((a, b) => a - b);
  const out = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    out.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return out.join(",");
}
const missing = (wanted, present) => [...wanted].filter((id) => !present.has(id));
const range = (n) => new Set(Array.from({ length: n }, (_, i) => i));

async function publisherKilled(how, args) {
  crashable(args, how, NO_RESTORE);
  const bus = busName(`pub-${how}`);
  const target = randomInt(1_000, 9_000);
  const started = Date.now();
  const seen = await runAndKill(args, `role=publish&bus=${bus}&n=${PUBLISHED}`, "confirmed", target, how);
  assert.ok(seen.confirmed.size < PUBLISHED, `the publisher was killed mid-stream (${seen.confirmed.size} of ${PUBLISHED} confirmed)`);
  const back = await drainAll(args, bus);

  console.log(
    `      publisher ${how} (seed ${seed}): killed once the test had seen ${target} confirms (the kill took ` +
      `${seen.killMs} ms); ${seen.confirmed.size} confirms seen in all, ${back.ids.size} messages back ` +
      `(${back.redelivered.size} flagged redelivered), ${back.ids.size - seen.confirmed.size} present but not seen ` +
      `confirmed; lock retries ${back.lockedRetries}; ${Date.now() - started} ms`,
  );
  assert.deepEqual(seen.nacked, [], "no publish was nacked");
  assert.equal(ranges(missing(seen.confirmed, back.ids)), "", "every confirmed message is back");
  assert.ok([...back.ids].every((id) => id >= 0 && id < PUBLISHED), "only published ids come back");
}

async function consumerKilled(how, args) {
  crashable(args, how, NO_RESTORE);
  const bus = busName(`con-${how}`);
  const started = Date.now();
  const fill = await args.context.newPage();
  const filled = watch(fill);
  await fill.goto(`${args.baseUrl}/pages/crash.html?role=publish&bus=${bus}&n=${FILLED}`);
  assert.deepEqual(await result(fill), { published: FILLED });
  await fill.close();
  assert.deepEqual(filled.confirmed, range(FILLED), "the filler saw every publish confirmed");

  // Acking every 5 ms with a prefetch of 10 keeps the consumer busy for seconds.
  const target = randomInt(FILLED / 10, FILLED / 2);
  const query = `role=consume&bus=${bus}&n=${FILLED}&prefetch=10&ackEvery=5`;
  const seen = await runAndKill(args, query, "received", target, how);
  assert.ok(seen.acking.size < FILLED, `the consumer was killed mid-stream (it acked ${seen.acking.size} of ${FILLED})`);
  const back = await drainAll(args, bus);

  const unacked = [...seen.received].filter((id) => !seen.acking.has(id));
  const ackedBack = [...seen.acking].filter((id) => back.ids.has(id));
  // RabbitMQ: "if the redelivered flag is not set then it is guaranteed that the message has not
  // been seen before": whatever the dead consumer received and comes back must be flagged.
  const unflagged = [...seen.received].filter((id) => back.ids.has(id) && !back.redelivered.has(id));
  console.log(
    `      consumer ${how} (seed ${seed}): killed once the test had seen ${target} deliveries (the kill took ` +
      `${seen.killMs} ms); it received ${seen.received.size}, acked at most ${seen.acking.size}; ${back.ids.size} back ` +
      `(${back.redelivered.size} flagged redelivered): ${unacked.length} unacked at the kill, ${ackedBack.length} acked ` +
      `but back (ack not yet written), ${unflagged.length} delivered before but not flagged; lock retries ` +
      `${back.lockedRetries}; ${Date.now() - started} ms`,
  );
  if (process.env.SWITCHYARD_CRASH_DEBUG) {
    const lines = { received: seen.received, acking: seen.acking, back: back.ids, flagged: back.redelivered };
    for (const [what, ids] of Object.entries(lines)) console.log(`        ${what}: ${ranges(ids)}`);
  }
  const lost = missing(filled.confirmed, back.ids).filter((id) => !seen.acking.has(id));
  assert.equal(ranges(lost), "", "every confirmed message the dead consumer did not ack is back");
  assert.equal(ranges(unflagged), "", "messages the dead consumer received come back flagged redelivered");
}

export async function publisherPageClosedMidStream(args) {
  await publisherKilled("close", args);
}

export async function publisherRendererCrashedMidStream(args) {
  await publisherKilled("crash", args);
}

export async function consumerPageClosedMidStream(args) {
  await consumerKilled("close", args);
}

export async function consumerRendererCrashedMidStream(args) {
  await consumerKilled("crash", args);
}

// The smallest case of the above, without randomness: the store stops writing after the publishes
// are confirmed, then the page asks for a message. Its delivery cannot be recorded, so the page
// must not get it; after the restart it comes back unflagged (nobody saw it), in order.
// Each of the four publishes or consumes a few thousand persistent messages, kills a page and
// restarts the bus: 12–29 s on a 2-core machine under load, so they get twice the default limit.
for (const t of [publisherPageClosedMidStream, publisherRendererCrashedMidStream, consumerPageClosedMidStream, consumerRendererCrashedMidStream]) {
  t.timeoutMs = 60_000;
}

export async function aDeliveryIsHandedOutOnlyOnceItsRecordIsWritten(args) {
  const bus = busName("stall");
  const page = await args.context.newPage();
  await page.goto(`${args.baseUrl}/pages/crash.html?role=stall&bus=${bus}`);
  assert.deepEqual(await result(page), { received: null }, "get() waits for the store to record the delivery");
  await page.close();
  const back = await drainAll(args, bus);
  assert.deepEqual(back.got, [[0, false, true], [1, false, true], [2, false, true]], "[id, redelivered, body ok] after the restart: nobody saw #0");
}

// One side of the crash tests (tests/browser/crash.spec.mjs), chosen by the query string:
//   ?role=publish&bus=B&n=N   publishes N persistent messages with confirms to the durable queue
//                             "crash" (ids 0..N-1 in messageId, "#id" as the body), at most
//                             `window` unconfirmed at a time, `per` per task;
//   ?role=consume&bus=B&n=N   consumes it with manual acks and prefetch P, acking what arrived
//                             every `ackEvery` ms, until N are acked;
//   ?role=stall&bus=B         publishes 3, then stops writing its store and gets one;
//   ?role=drain&bus=B         gets everything (acking it) and reports [id, redelivered, body ok].
// Progress goes to the test as console lines: "confirmed 1,2,3" and "received …" after the fact
// (what the test saw is a subset of what happened, even when the page dies), "acking …" before
// the fact (a superset). The end result is window.result.
import { connect, indexedDBStore } from "/node_modules/switchyard/browser.js";
import "./persistence-body.js"; // a classic script: defines switchyardPersistence

const { rawRecords } = globalThis.switchyardPersistence;

const params = new URLSearchParams(location.search);
const option = (name, fallback) => Number(params.get(name) ?? fallback);
const role = params.get("role");
const bus = params.get("bus");
const QUEUE = "crash";
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Ids reported together, at most every 10 ms: a console line per delivery would leave the test
// (which handles each line over CDP) far behind the page.
function reporter(kind) {
  let ids = [];
  return (id) => {
    if (ids.length === 0) {
      setTimeout(() => {
        console.log(`${kind} ${ids.join(",")}`);
        ids = [];
      }, 10);
    }
    ids.push(id);
  };
}

// The previous page's lock on the store is released when its renderer is gone, which the browser
// may notice a moment after the test saw the page close.
async function open() {
  for (let attempt = 0; ; attempt++) {
    try {
      return { conn: await connect(`switchyard://${bus}`, { storage: "indexeddb" }), lockedRetries: attempt };
    } catch (error) {
      if (error?.code !== "SWITCHYARD_STORAGE_LOCKED" || attempt >= 100) throw error;
      await sleep(50);
    }
  }
}

async function publish() {
  const n = option("n", 10_000);
  const per = option("per", 50);
  const maxOutstanding = option("window", 400);
  const { conn } = await open();
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue(QUEUE, { durable: true });
  const confirmed = reporter("confirmed");
  let outstanding = 0;
  let wake;
  const settled = (id) => (err) => {
    if (err) console.log(`nacked ${id} ${err.code}`);
    else confirmed(id);
    outstanding--;
    wake?.();
  };
  for (let id = 0; id < n; ) {
    while (outstanding >= maxOutstanding) await new Promise((resolve) => (wake = resolve));
    for (const end = Math.min(n, id + per); id < end; id++, outstanding++) {
      ch.sendToQueue(QUEUE, encoder.encode(`#${id}`), { persistent: true, messageId: String(id) }, settled(id));
    }
    await sleep(0);
  }
  await ch.waitForConfirms();
  await sleep(50); // let the last "confirmed" line out before the result ends the page
  return { published: n };
}

async function consume() {
  const { conn, lockedRetries } = await open();
  const ch = await conn.createChannel();
  await ch.prefetch(option("prefetch", 20));
  const received = reporter("received");
  const n = option("n", Infinity);
  const ackEvery = option("ackEvery", 5);
  let pending = [];
  let count = 0;
  let done;
  const all = new Promise((resolve) => (done = resolve));
  // Acks go out in groups every `ackEvery` ms, each group announced *before* it is acked: the
  // test then knows a superset of what was acked, and a subset of what was received (the test's
  // console tap gets each line before console.log returns; see tests/browser/engines.mjs).
  let busy = false;
  const ackPending = async () => {
    if (busy || pending.length === 0) return;
    busy = true;
    const batch = pending;
    pending = [];
    const line = `acking ${batch.map((m) => m.properties.messageId).join(",")}`;
    console.log(line);
    for (const msg of batch) ch.ack(msg);
    count += batch.length;
    busy = false;
    if (count === n) done();
  };
  const timer = setInterval(ackPending, ackEvery);
  await ch.consume(QUEUE, (msg) => {
    received(Number(msg.properties.messageId));
    pending.push(msg);
  });
  await all;
  clearInterval(timer);
  return { acked: count, lockedRetries };
}

// Deterministic: the page "dies" right after a delivery, before the batch recording it commits
// (its store stops writing, as a page killed at that moment would).
async function stall() {
  const disk = indexedDBStore(bus);
  let dying = false;
  const store = { load: () => disk.load(), close: () => disk.close(), apply: (ops) => (dying ? new Promise(() => {}) : disk.apply(ops)) };
  const conn = await connect(`switchyard://${bus}`, { storage: store });
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue(QUEUE, { durable: true });
  for (let id = 0; id < 3; id++) ch.sendToQueue(QUEUE, encoder.encode(`#${id}`), { persistent: true, messageId: String(id) });
  await ch.waitForConfirms();
  dying = true;
  // The store no longer writes: the delivery cannot be recorded, so get() must not hand the
  // message out (a consumer never sees a message whose delivery a crash could forget).
  const msg = await Promise.race([ch.get(QUEUE), sleep(300).then(() => null)]);
  return { received: msg && [Number(msg.properties.messageId), msg.fields.redelivered] };
}

async function drain() {
  const { conn, lockedRetries } = await open();
  const ch = await conn.createConfirmChannel();
  const got = [];
  for (let msg = await ch.get(QUEUE); msg; msg = await ch.get(QUEUE)) {
    const id = Number(msg.properties.messageId);
    got.push([id, msg.fields.redelivered, decoder.decode(msg.content) === `#${id}`]);
    ch.ack(msg);
  }
  // Once this is confirmed the acks above are written (batches commit in order).
  await ch.assertQueue("fence", { durable: true });
  ch.sendToQueue("fence", encoder.encode("fence"), { persistent: true });
  await ch.waitForConfirms();
  const left = await rawRecords(bus, "messages", IDBKeyRange.bound([QUEUE, -Infinity], [QUEUE, Infinity]));
  await conn.close();
  return { got, lockedRetries, leftInStore: left.length };
}

const roles = { publish, consume, stall, drain };
try {
  window.result = await roles[role]();
} catch (error) {
  window.result = { error: String(error?.stack ?? error) };
}

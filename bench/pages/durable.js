// The measured workloads of bench/durable.mjs, run in a page. Each cell uses its own database
// (deleted afterwards) and returns { n, ms, rate, latency } (latency: median ms from a round's
// first publish to its last confirm, or per message for the producer workloads).
// /alt/durable-alts.js is the esbuild bundle of the released npm packages Dexie and
// broadcast-channel that durable.mjs builds.
import { connect, indexedDBStore } from "/node_modules/switchyard/browser.js";
import { BroadcastChannel as BroadcastChannelLib, Dexie } from "/alt/durable-alts.js";
import { median, timerResolution } from "../lib/stats.js";

export { timerResolution };

const BODY = new Uint8Array(100).fill(0x78);
let seq = 0;
const uniqueName = (what) => `bench-${what}-${Date.now()}-${++seq}`;
const result = (n, ms, latencies) => ({ n, ms, rate: n / (ms / 1000), latency: median(latencies) });
// A macrotask without setTimeout's 4 ms clamp for nested timers: a message on one MessageChannel,
// kept for the page's life (a channel per call leaks ports: WebKitGTK's messages then grew slower
// with every cell, 300 tasks taking 50 s after a few thousand channels).
const ticks = new MessageChannel();
const ticking = [];
ticks.port1.onmessage = () => ticking.shift()();
const nextTask = () =>
  new Promise((resolve) => {
    ticking.push(resolve);
    ticks.port2.postMessage(0);
  });
const txDone = (tx) =>
  new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error);
  });
const deleteDb = (name) =>
  new Promise((resolve) => {
    const req = indexedDB.deleteDatabase(name);
    req.onsuccess = req.onerror = req.onblocked = () => resolve();
  });

// ----- switchyard ---------------------------------------------------------------------------

// flush "microtask": the adapter as is (the driver hands a batch over when the task's
// synchronous work ends). flush "timeout": every batch waits one setTimeout(0) before it is
// written, as a driver flushing on a timer would.
async function openSwitchyard(durability, flush) {
  const name = uniqueName("sy");
  const disk = indexedDBStore(name, { durability });
  const delayed = (ops) => new Promise((resolve) => setTimeout(resolve, 0)).then(() => disk.apply(ops));
  const store = { load: () => disk.load(), close: () => disk.close(), apply: flush === "timeout" ? delayed : (ops) => disk.apply(ops) };
  const conn = await connect(`switchyard://${name}`, { storage: store });
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue("q", { durable: true });
  ch.sendToQueue("q", BODY, { persistent: true }); // warm-up: the queue's record and one message
  await ch.waitForConfirms();
  const close = async () => {
    await ch.purgeQueue("q");
    await conn.close();
    await disk.close();
    await deleteDb(`switchyard:${name}`);
  };
  return { ch, close, conn };
}

/** Publishes about `n` persistent messages (whole rounds), `batch` per task, awaiting each round's confirms. */
export async function switchyardRounds({ n, batch, durability, flush = "microtask" }) {
  const { ch, close } = await openSwitchyard(durability, flush);
  const latencies = [];
  const rounds = Math.max(1, Math.round(n / batch));
  const t0 = performance.now();
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    for (let j = 0; j < batch; j++) ch.sendToQueue("q", BODY, { persistent: true });
    await ch.waitForConfirms();
    latencies.push(performance.now() - start);
  }
  const ms = performance.now() - t0;
  await close();
  return result(rounds * batch, ms, latencies);
}

/**
 * Consumed and acked: `n` persistent messages are put in the queue first (not timed), then one
 * consumer with `prefetch` takes and acks them one by one; timed until the channel's close has
 * resolved, which is when the store has written every ack (the messages are gone from disk).
 * Latency: median ms from a delivery to the next (per message).
 */
export async function switchyardConsume({ n, prefetch, durability }) {
  const { ch, close, conn } = await openSwitchyard(durability, "microtask");
  await ch.purgeQueue("q");
  for (let i = 0; i < n; i += 500) {
    for (let j = i; j < Math.min(n, i + 500); j++) ch.sendToQueue("q", BODY, { persistent: true });
    await ch.waitForConfirms();
  }
  const consumer = await conn.createChannel();
  await consumer.prefetch(prefetch);
  const gaps = [];
  let got = 0;
  let last;
  let allAcked;
  const done = new Promise((resolve) => (allAcked = resolve));
  const t0 = performance.now();
  await consumer.consume("q", (m) => {
    const now = performance.now();
    if (last !== undefined) gaps.push(now - last);
    last = now;
    consumer.ack(m);
    if (++got === n) allAcked();
  });
  await done;
  await consumer.close();
  const ms = performance.now() - t0;
  await close();
  return result(n, ms, gaps);
}

/** The same from raw IndexedDB: `n` records written first (not timed), then read and deleted `perTx` per readwrite transaction, in key order. */
export async function rawTakeAndDelete({ n, perTx, durability }) {
  const { db, close } = await openRaw();
  for (let i = 0; i < n; i += 500) {
    const tx = db.transaction("messages", "readwrite", { durability });
    for (let id = i; id < Math.min(n, i + 500); id++) tx.objectStore("messages").put(record(id));
    await txDone(tx);
  }
  const latencies = [];
  let taken = 0;
  const t0 = performance.now();
  while (taken < n) {
    const start = performance.now();
    const tx = db.transaction("messages", "readwrite", { durability });
    const store = tx.objectStore("messages");
    const rows = await new Promise((resolve, reject) => {
      const req = store.getAll(null, perTx);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    for (const r of rows) store.delete([r.queue, r.id]);
    await txDone(tx);
    taken += rows.length;
    if (rows.length === 0) throw new Error(`only ${taken} of ${n} records found`);
    latencies.push((performance.now() - start) / rows.length);
  }
  const ms = performance.now() - t0;
  await close();
  return result(n, ms, latencies);
}

// `producers` independent publishers, each publishing one message per task and awaiting its
// confirm before the next: what group commit is for.
async function producersLoop(n, producers, publishOne) {
  const latencies = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: producers }, async () => {
      while (next < n) {
        next++;
        await nextTask();
        const start = performance.now();
        await publishOne();
        latencies.push(performance.now() - start);
      }
    }),
  );
  return result(n, performance.now() - t0, latencies);
}

export async function switchyardProducers({ n, producers, durability, flush = "microtask" }) {
  const { ch, close } = await openSwitchyard(durability, flush);
  const publishOne = () =>
    new Promise((resolve, reject) => ch.sendToQueue("q", BODY, { persistent: true }, (err) => (err ? reject(err) : resolve())));
  const r = await producersLoop(n, producers, publishOne);
  await close();
  return r;
}

// ----- raw IndexedDB ------------------------------------------------------------------------

// A record shaped like switchyard's stored messages.
const record = (id) => ({
  queue: "q", id, exchange: "", routingKey: "q", properties: { deliveryMode: 2 }, body: BODY, bcc: [],
  enqueuedAt: Date.now(), expiresAt: null, deliveryCount: 0, notBefore: null,
});

async function openRaw() {
  const name = uniqueName("raw");
  const db = await new Promise((resolve, reject) => {
    const req = indexedDB.open(name, 1);
    req.onupgradeneeded = () => req.result.createObjectStore("messages", { keyPath: ["queue", "id"] });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const close = async () => {
    db.close();
    await deleteDb(name);
  };
  return { db, close };
}

/** Writes `n` records, `perTx` per readwrite transaction, each transaction awaited. */
export async function rawTransactions({ n, perTx, durability }) {
  const { db, close } = await openRaw();
  const latencies = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i += perTx) {
    const start = performance.now();
    const tx = db.transaction("messages", "readwrite", { durability });
    const store = tx.objectStore("messages");
    for (let id = i; id < i + perTx; id++) store.put(record(id));
    await txDone(tx);
    latencies.push(performance.now() - start);
  }
  const ms = performance.now() - t0;
  await close();
  return result(n, ms, latencies);
}

// Group commit in plain JS, the policy switchyard's driver follows: writes wait in a pending
// batch; one transaction at a time; a batch is flushed at the end of the current microtask
// checkpoint ("microtask") or on the next setTimeout(0) ("timeout"), and while it is written the
// next one grows.
function groupCommitter(db, durability, flush) {
  let pending = [];
  let scheduled = false;
  let writing = false;
  const schedule = () => {
    if (scheduled || writing || pending.length === 0) return;
    scheduled = true;
    if (flush === "microtask") queueMicrotask(write);
    else setTimeout(write, 0);
  };
  const write = () => {
    scheduled = false;
    const batch = pending;
    pending = [];
    writing = true;
    const tx = db.transaction("messages", "readwrite", { durability });
    const store = tx.objectStore("messages");
    for (const { value } of batch) store.put(value);
    txDone(tx).then(
      () => batch.forEach((w) => w.resolve()),
      (err) => batch.forEach((w) => w.reject(err)),
    ).finally(() => {
      writing = false;
      schedule();
    });
  };
  return (value) =>
    new Promise((resolve, reject) => {
      pending.push({ value, resolve, reject });
      schedule();
    });
}

export async function rawGroupCommitProducers({ n, producers, durability, flush }) {
  const { db, close } = await openRaw();
  const put = groupCommitter(db, durability, flush);
  let id = 0;
  const r = await producersLoop(n, producers, () => put(record(id++)));
  await close();
  return r;
}

// ----- Dexie --------------------------------------------------------------------------------

/**
 * Writes `n` records through Dexie: `perCall` 1 is `table.add(record)`, more is
 * `table.bulkAdd(records)`; each call is one transaction, awaited before the next. Dexie passes
 * `durability` to IndexedDB as its `chromeTransactionDurability` option.
 */
export async function dexieWrites({ n, perCall, durability }) {
  const name = uniqueName("dexie");
  const db = new Dexie(name, { chromeTransactionDurability: durability });
  db.version(1).stores({ messages: "[queue+id]" });
  await db.open();
  const latencies = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i += perCall) {
    const start = performance.now();
    if (perCall === 1) await db.messages.add(record(i));
    else await db.messages.bulkAdd(Array.from({ length: perCall }, (_, j) => record(i + j)));
    latencies.push(performance.now() - start);
  }
  const ms = performance.now() - t0;
  db.close();
  await Dexie.delete(name);
  return result(n, ms, latencies);
}

// ----- broadcast-channel, "idb" method ------------------------------------------------------

/**
 * Posts `n` messages (the record as the message) on an npm broadcast-channel of type "idb":
 * each postMessage writes one record in a transaction of its own (durability "relaxed",
 * hard-coded in the package) and resolves once it completed; the package chains the writes, one
 * at a time. `perTask` messages are posted in one task, then all awaited.
 */
export async function broadcastChannelIdb({ n, perTask }) {
  const name = uniqueName("bcidb");
  const bc = new BroadcastChannelLib(name, { type: "idb" });
  await bc.postMessage(record(-1)); // warm-up: opens the database
  const latencies = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i += perTask) {
    const start = performance.now();
    const writes = [];
    for (let id = i; id < i + perTask; id++) writes.push(bc.postMessage(record(id)));
    await Promise.all(writes);
    latencies.push(performance.now() - start);
  }
  const ms = performance.now() - t0;
  await bc.close();
  await deleteDb(`pubkey.broadcast-channel-0-${name}`);
  return result(n, ms, latencies);
}

/** What this engine reports as a readwrite transaction's `durability` when asked for `durability`. */
export async function probeDurability({ durability }) {
  const { db, close } = await openRaw();
  const tx = db.transaction("messages", "readwrite", { durability });
  const reported = tx.durability ?? "(no durability attribute)";
  await txDone(tx);
  await close();
  return reported;
}

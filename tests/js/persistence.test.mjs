// Persistence through store adapters in Node: a Map-backed adapter and IndexedDB (over the npm
// fake-indexeddb polyfill, as Node has no IndexedDB). A "restart" is a second bus restoring
// from the same store. The same checks run in browser contexts (tests/browser/persistence).
import "fake-indexeddb/auto";
import assert from "node:assert/strict";
import { connect, switchyard, test, uniq, sleep, closeQuietly } from "./helpers.mjs";

const { mapStore, indexedDBStore } = switchyard;
const text = (m) => Buffer.from(m.content).toString();

async function openBus(storage) {
  const conn = await connect(`switchyard://${uniq("store")}`, { storage });
  const ch = await conn.createConfirmChannel();
  return { conn, ch };
}

// Wraps an adapter to know when every batch handed to it has been written (a restart before
// that redelivers what was acked meanwhile: at-least-once, correct, but not what these tests
// want to compare).
function tracked(store) {
  let writing = 0;
  return {
    ...store,
    tables: store.tables,
    async apply(ops) {
      writing += 1;
      try {
        return await store.apply(ops);
      } finally {
        writing -= 1;
      }
    },
    async idle() {
      for (let quiet = 0; quiet < 3; quiet = writing === 0 ? quiet + 1 : 0) await sleep(5);
    },
  };
}

async function fillAndRestart(t, makeStore) {
  const store = tracked(makeStore());
  const { conn, ch } = await openBus(store);
  t.after(() => closeQuietly(conn));
  await ch.assertExchange("work", "direct");
  await ch.assertQueue("jobs", { deadLetterExchange: "dlx" });
  await ch.assertQueue("scratch", { durable: false });
  await ch.bindQueue("jobs", "work", "job");
  for (let i = 0; i < 20; i++) ch.publish("work", "job", Buffer.from(`m${i}`), { persistent: true, headers: { n: i } });
  ch.publish("work", "job", Buffer.from("transient"));
  ch.sendToQueue("scratch", Buffer.from("in a transient queue"), { persistent: true });
  await ch.waitForConfirms();
  // Consume and ack the first 15; hold the 16th unacked.
  for (let i = 0; i < 15; i++) ch.ack(await ch.get("jobs"));
  const held = await ch.get("jobs");
  assert.equal(text(held), "m15");
  await ch.waitForConfirms();
  await store.idle();

  const restarted = await openBus(store);
  t.after(() => closeQuietly(restarted.conn));
  const r = restarted.ch;
  const probe = await restarted.conn.createChannel();
  await assert.rejects(probe.checkQueue("scratch"), { code: 404 }, "non-durable queues are not restored");
  const got = [];
  for (let m = await r.get("jobs", { noAck: true }); m; m = await r.get("jobs", { noAck: true })) got.push(m);
  assert.deepEqual(got.map(text), ["m15", "m16", "m17", "m18", "m19"], "acked messages are gone; the rest in order");
  assert.deepEqual(got.map((m) => m.fields.redelivered), [true, false, false, false, false]);
  assert.equal(got[1].properties.headers.n, 16);
  assert.equal(got[1].properties.deliveryMode, 2);
  // Topology came back: routing through the restored exchange and binding works.
  r.publish("work", "job", Buffer.from("after restart"));
  await sleep(10);
  assert.equal(text(await r.get("jobs", { noAck: true })), "after restart");
  return store;
}

test("a Map store restores durable topology and persistent messages, in order, redelivered where delivered", async (t) => {
  const store = await fillAndRestart(t, mapStore);
  assert.equal(store.tables.messages.size, 0, "the store holds the queue depth, not the history");
});

test("an IndexedDB store (fake-indexeddb in Node) restores the same", async (t) => {
  const name = uniq("idb");
  await fillAndRestart(t, () => indexedDBStore(name));
});

test("confirms of persistent messages resolve only once the store has written them", async (t) => {
  let release;
  const gate = new Promise((r) => (release = r));
  const inner = mapStore();
  const slow = { ...inner, async apply(ops) { await gate; return inner.apply(ops); } };
  const { conn, ch } = await openBus(slow);
  t.after(() => closeQuietly(conn));
  await ch.assertQueue("q").catch(() => {});
  const confirmed = [];
  ch.sendToQueue("q", Buffer.from("durable"), { persistent: true }, (err) => confirmed.push(err ?? "ack"));
  ch.sendToQueue("q", Buffer.from("transient"), {}, (err) => confirmed.push(err ?? "ack-transient"));
  await sleep(30);
  assert.deepEqual(confirmed, ["ack-transient"], "the persistent one waits for the store");
  release();
  await ch.waitForConfirms();
  assert.deepEqual(confirmed, ["ack-transient", "ack"]);
});

test("a failing store nacks the batch's confirms with the store's error code, and the bus keeps working", async (t) => {
  const inner = mapStore();
  let fail = false;
  const flaky = {
    ...inner,
    async apply(ops) {
      if (fail) {
        const e = new Error("disk full");
        e.code = "SWITCHYARD_QUOTA_EXCEEDED";
        throw e;
      }
      return inner.apply(ops);
    },
  };
  const { conn, ch } = await openBus(flaky);
  t.after(() => closeQuietly(conn));
  await ch.assertQueue("q");
  await ch.waitForConfirms();
  fail = true;
  const storeErrors = [];
  conn.on("storeError", (e) => storeErrors.push(e.code));
  const errs = [];
  ch.sendToQueue("q", Buffer.from("x"), { persistent: true }, (err) => errs.push(err));
  await assert.rejects(ch.waitForConfirms(), /nacked/);
  assert.equal(errs[0].code, "SWITCHYARD_QUOTA_EXCEEDED");
  assert.deepEqual(storeErrors, ["SWITCHYARD_QUOTA_EXCEEDED"]);
  fail = false;
  ch.sendToQueue("q", Buffer.from("y"), { persistent: true });
  await ch.waitForConfirms();
  assert.equal((await ch.checkQueue("q")).messageCount, 1, "the nacked publish was taken back; the next one is there");
});

test("storage that cannot be loaded is a clear error naming the fallback, never a silent downgrade", async () => {
  const broken = { load: async () => { throw new Error("nope"); }, apply: async () => {}, close: async () => {} };
  await assert.rejects(connect(`switchyard://${uniq("bad")}`, { storage: broken }), { code: "SWITCHYARD_STORAGE_UNAVAILABLE" });
  await assert.rejects(connect(`switchyard://${uniq("bad")}`, { storage: { load() {} } }), TypeError);
});

test("per-queue durability: a batch of a relaxed queue's messages is written relaxed, everything else strict", async (t) => {
  const seen = [];
  const original = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (stores, mode, options) {
    if (mode === "readwrite") seen.push(options?.durability);
    return original.call(this, stores, mode, options);
  };
  t.after(() => (IDBDatabase.prototype.transaction = original));
  const { conn, ch } = await openBus(indexedDBStore(uniq("durability")));
  t.after(() => closeQuietly(conn));
  await ch.assertQueue("careful");
  await ch.assertQueue("fast", { durability: "relaxed" });
  await ch.waitForConfirms();
  await sleep(20);
  seen.length = 0;
  ch.sendToQueue("fast", Buffer.from("a"), { persistent: true });
  await ch.waitForConfirms();
  ch.sendToQueue("careful", Buffer.from("b"), { persistent: true });
  await ch.waitForConfirms();
  ch.sendToQueue("fast", Buffer.from("c"), { persistent: true });
  ch.sendToQueue("careful", Buffer.from("d"), { persistent: true });
  await ch.waitForConfirms();
  assert.deepEqual(seen, ["relaxed", "strict", "strict"], "a batch mixing both is strict");
  const probe = await conn.createChannel();
  await assert.rejects(probe.assertQueue("fast", { durability: "strict" }), { code: 406 }, "redeclaring with another durability is inequivalent");
  await assert.rejects((await conn.createChannel()).assertQueue("odd", { durability: "sometimes" }), { code: 406 });
});

test("another context upgrading the database: the store steps aside, then reopens and keeps working", async (t) => {
  const name = uniq("upgrade");
  const { conn, ch } = await openBus(indexedDBStore(name));
  t.after(() => closeQuietly(conn));
  await ch.assertQueue("q");
  ch.sendToQueue("q", Buffer.from("before"), { persistent: true });
  await ch.waitForConfirms();
  // Another tab opens a newer version (its upgrade waits until this store has closed).
  const upgraded = await new Promise((resolve, reject) => {
    const req = indexedDB.open(`switchyard:${name}`, 2);
    req.onupgradeneeded = () => req.result.createObjectStore("something-new");
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error("blocked: the store did not step aside"));
  });
  upgraded.close();
  ch.sendToQueue("q", Buffer.from("after"), { persistent: true });
  await ch.waitForConfirms();
  const raw = await new Promise((resolve, reject) => {
    const req = indexedDB.open(`switchyard:${name}`);
    req.onsuccess = () => {
      const tx = req.result.transaction("messages", "readonly").objectStore("messages").getAll();
      tx.onsuccess = () => (req.result.close(), resolve(tx.result));
      tx.onerror = () => reject(tx.error);
    };
    req.onerror = () => reject(req.error);
  });
  assert.deepEqual(raw.map((m) => Buffer.from(m.body).toString()), ["before", "after"]);
});

test("IndexedDB out of quota mid-batch: the whole batch is rolled back, its confirms nacked with SWITCHYARD_QUOTA_EXCEEDED, earlier data intact", async (t) => {
  const name = uniq("quota");
  const { conn, ch } = await openBus(indexedDBStore(name));
  t.after(() => closeQuietly(conn));
  await ch.assertQueue("q");
  ch.sendToQueue("q", Buffer.from("kept"), { persistent: true });
  await ch.waitForConfirms();
  // The quota runs out at the second record of the next batch (as a browser raises it).
  const put = IDBObjectStore.prototype.put;
  let puts = 0;
  IDBObjectStore.prototype.put = function (...args) {
    if (this.name === "messages" && ++puts === 2) throw new DOMException("quota", "QuotaExceededError");
    return put.apply(this, args);
  };
  t.after(() => (IDBObjectStore.prototype.put = put));
  const errors = [];
  for (const body of ["a", "b", "c"]) ch.sendToQueue("q", Buffer.from(body), { persistent: true }, (err) => errors.push(err?.code));
  await assert.rejects(ch.waitForConfirms(), /nacked/);
  assert.deepEqual(errors, ["SWITCHYARD_QUOTA_EXCEEDED", "SWITCHYARD_QUOTA_EXCEEDED", "SWITCHYARD_QUOTA_EXCEEDED"]);
  IDBObjectStore.prototype.put = put;
  const raw = await new Promise((resolve, reject) => {
    const req = indexedDB.open(`switchyard:${name}`);
    req.onsuccess = () => {
      const all = req.result.transaction("messages", "readonly").objectStore("messages").getAll();
      all.onsuccess = () => (req.result.close(), resolve(all.result));
      all.onerror = () => reject(all.error);
    };
    req.onerror = () => reject(req.error);
  });
  assert.deepEqual(raw.map((m) => Buffer.from(m.body).toString()), ["kept"], "nothing of the failed batch was written");
  ch.sendToQueue("q", Buffer.from("later"), { persistent: true });
  await ch.waitForConfirms();
  assert.equal((await ch.checkQueue("q")).messageCount, 2, "the nacked publishes were taken back; kept and later are there");
});

test("close() resolves once the store has written what came before it (an ack is not lost to a close)", async () => {
  const store = mapStore();
  const slow = { ...store, tables: store.tables, apply: async (ops) => (await sleep(30), store.apply(ops)) };
  const { conn, ch } = await openBus(slow);
  await ch.assertQueue("jobs", { durable: true });
  for (let i = 0; i < 3; i++) ch.sendToQueue("jobs", Buffer.from(`job ${i}`), { persistent: true });
  await ch.waitForConfirms();
  assert.equal(store.tables.messages.size, 3);
  const m = await ch.get("jobs");
  ch.ack(m);
  await ch.close();
  assert.equal(store.tables.messages.size, 2, "the ack is written when channel.close() resolves");
  const ch2 = await conn.createChannel();
  const m2 = await ch2.get("jobs");
  ch2.ack(m2);
  await conn.close();
  assert.equal(store.tables.messages.size, 1, "the ack is written when connection.close() resolves");
});

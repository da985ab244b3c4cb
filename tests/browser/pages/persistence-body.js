// The persistence checks, written once and run in a page, a dedicated worker, a shared worker and
// a service worker (tests/browser/persistence.spec.mjs). The package comes in as an argument:
// each context loads it its own way (a service worker cannot load the `browser` entry, see
// persistence-sw.js). Returns what it observed; the spec compares it with what must happen.
//
// A "restart" inside one context: bus A persists into database D through indexedDBStore(D) and is
// then abandoned as a dying page would leave it (its connection stays open, a message stays
// unacked); closing A's store releases the Web Lock that makes A the only writer of D; bus B
// (`connect("switchyard://D", { storage: "indexeddb" })`) then restores from D.
//
// A classic script, so that a classic service worker can importScripts() it too (classic-sw.js);
// modules import it for its effect. It defines globalThis.switchyardPersistence =
// { persistenceBody, expected, rawRecords }.
(() => {

  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const bytes = (s) => encoder.encode(s);
  const text = (content) => (content instanceof Uint8Array ? decoder.decode(content) : String(content));

  /** Every record of one object store of database `switchyard:NAME`, read with raw IndexedDB. */
  /** The records of one object store; with `withKeys`, as [key, value] pairs. */
  async function rawRecords(name, storeName, range, withKeys = false) {
    const db = await new Promise((resolve, reject) => {
      const req = indexedDB.open(`switchyard:${name}`);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
      // The database must already exist (made by the store): never create an empty one here.
      req.onupgradeneeded = () => req.transaction.abort();
    });
    try {
      const store = db.transaction(storeName, "readonly").objectStore(storeName);
      const all = (req) =>
        new Promise((resolve, reject) => {
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(req.error);
        });
      const values = await all(store.getAll(range));
      if (!withKeys) return values;
      const keys = await all(store.getAllKeys(range));
      return keys.map((k, i) => [k, values[i]]);
    } finally {
      db.close();
    }
  }

  /** A stored message as "queue:body:deliveryCount". */
  const stored = (r) => `${r.queue}:${text(r.body)}:${r.deliveryCount}`;

  /** Resolves to the error code a promise rejects with, or to `ok`'s result. */
  const outcome = (promise, ok = () => "ok") => promise.then(ok, (e) => e?.code ?? String(e));

  async function persistenceBody(sy, { db }) {
    const { connect, indexedDBStore } = sy;
    const out = {};

    // ----- before: bus A writes database D -----
    const storeA = indexedDBStore(db);
    const connA = await connect(`switchyard://${db}-a`, { storage: storeA });
    const a = await connA.createConfirmChannel();
    await a.assertExchange("work", "direct");
    await a.assertQueue("jobs", { deadLetterExchange: "dlx" });
    await a.assertQueue("scratch", { durable: false });
    await a.assertQueue("fence");
    await a.bindQueue("jobs", "work", "job");
    const confirms = [];
    for (let i = 0; i < 20; i++) {
      a.publish("work", "job", bytes(`m${i}`), { persistent: true, headers: { n: i } }, (err) =>
        confirms.push(err ? `nack m${i}: ${err.code}` : `m${i}`),
      );
    }
    a.publish("work", "job", bytes("transient")); // not persistent: gone after the restart
    a.sendToQueue("scratch", bytes("in a transient queue"), { persistent: true });
    await a.waitForConfirms();
    out.confirms = confirms;

    for (let i = 0; i < 15; i++) a.ack(await a.get("jobs"));
    const held = await a.get("jobs"); // delivered, never acked
    out.held = [text(held.content), held.fields.redelivered];
    // Batches are written one after another, so once this publish is confirmed, the acks and the
    // delivery above are in the database too.
    a.sendToQueue("fence", bytes("fence 1"), { persistent: true });
    await a.waitForConfirms();
    // Delivery counts live in their own object store (a blind write per delivery), keyed like messages.
    const deliveries = new Map((await rawRecords(db, "deliveries", undefined, true)).map(([k, v]) => [k.join("/"), v]));
    out.storedBeforeRestart = (await rawRecords(db, "messages"))
      .map((r) => ({ ...r, ...deliveries.get(`${r.queue}/${r.id}`) }))
      .map(stored);
    out.storedQueues = (await rawRecords(db, "queues")).map((q) => `${q.name}:${JSON.stringify(q.arguments)}`);
    out.secondWriter = await outcome(connect(`switchyard://${db}-second`, { storage: indexedDBStore(db) }), (c) => (c.close(), "connected"));

    // ----- the restart -----
    await storeA.close();
    const connB = await connect(`switchyard://${db}`, { storage: "indexeddb" });
    const b = await connB.createConfirmChannel();
    const probe = async (fn) => {
      const ch = await connB.createChannel();
      ch.on("error", () => {});
      return outcome(fn(ch));
    };
    out.scratchQueue = await probe((ch) => ch.checkQueue("scratch"));
    out.jobsDepth = (await b.checkQueue("jobs")).messageCount;
    const got = [];
    for (let m = await b.get("jobs", { noAck: true }); m; m = await b.get("jobs", { noAck: true })) {
      got.push([text(m.content), m.fields.redelivered, m.properties.headers.n, m.properties.deliveryMode]);
    }
    out.restored = got;
    out.fenceRestored = [];
    for (let m = await b.get("fence", { noAck: true }); m; m = await b.get("fence", { noAck: true })) out.fenceRestored.push(text(m.content));

    // The topology came back: queue arguments, the durable exchange and its binding.
    out.sameArguments = await probe((ch) => ch.assertQueue("jobs", { deadLetterExchange: "dlx" }));
    out.otherArguments = await probe((ch) => ch.assertQueue("jobs", { deadLetterExchange: "elsewhere" }));
    out.exchange = await probe((ch) => ch.checkExchange("work"));
    b.publish("work", "job", bytes("routed after restart"));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const routed = await b.get("jobs", { noAck: true });
    out.routed = routed && text(routed.content);

    // What was consumed is gone from the database; the restarted bus is now its only writer.
    b.sendToQueue("fence", bytes("fence 2"), { persistent: true });
    await b.waitForConfirms();
    out.storedAtEnd = (await rawRecords(db, "messages")).map(stored);
    out.writerAfterRestart = await outcome(connect(`switchyard://${db}-third`, { storage: indexedDBStore(db) }), (c) => (c.close(), "connected"));
    await connB.close();
    return out;
  }

  /** What persistenceBody must return, in every context. */
  const expected = {
    confirms: Array.from({ length: 20 }, (_, i) => `m${i}`),
    held: ["m15", false],
    storedBeforeRestart: ["fence:fence 1:0", "jobs:m15:1", "jobs:m16:0", "jobs:m17:0", "jobs:m18:0", "jobs:m19:0"],
    storedQueues: ['fence:{}', 'jobs:{"x-dead-letter-exchange":"dlx"}'],
    secondWriter: "SWITCHYARD_STORAGE_LOCKED",
    scratchQueue: 404,
    jobsDepth: 5,
    restored: [["m15", true, 15, 2], ["m16", false, 16, 2], ["m17", false, 17, 2], ["m18", false, 18, 2], ["m19", false, 19, 2]],
    fenceRestored: ["fence 1"],
    sameArguments: "ok",
    otherArguments: 406,
    exchange: "ok",
    routed: "routed after restart",
    storedAtEnd: ["fence:fence 2:0"],
    writerAfterRestart: "SWITCHYARD_STORAGE_LOCKED",
  };

  globalThis.switchyardPersistence = { persistenceBody, expected, rawRecords };
})();

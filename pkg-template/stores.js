// Store adapters: where a bus persists its durable exchanges, queues, bindings and persistent
// messages. An adapter is `{ load(), apply(ops), close() }`:
//   load()     resolves to the snapshot to restore from: { exchanges, queues, bindings, messages,
//              delayed } (or null for an empty store);
//   apply(ops) writes one batch of operations atomically and resolves when it is durable (the
//              publisher confirms of the batch wait for it); rejecting fails the whole batch;
//   close()    releases the store.
// The operations are plain objects; their shapes are documented in src/bindings/records.rs.

import { bindingKey, storeError, strip } from "./records.js";

const messageKey = (m) => `${m.queue}\u0000${m.id}`;

/** A store in `Map`s: for tests, and the reference for what applying a batch means. */
export function mapStore() {
  const tables = { exchanges: new Map(), queues: new Map(), bindings: new Map(), messages: new Map(), delayed: new Map() };
  const apply = (op) => {
    switch (op.op) {
      case "putExchange": return tables.exchanges.set(op.name, strip(op));
      case "deleteExchange": return tables.exchanges.delete(op.name);
      case "putQueue": return tables.queues.set(op.name, strip(op));
      case "deleteQueue":
        tables.queues.delete(op.name);
        for (const [k, m] of tables.messages) if (m.queue === op.name) tables.messages.delete(k);
        return;
      case "putBinding": return tables.bindings.set(bindingKey(op), strip(op));
      case "deleteBinding": return tables.bindings.delete(bindingKey(op));
      case "putMessage": return tables.messages.set(messageKey(op), strip(op));
      case "updateMessage": {
        const m = tables.messages.get(messageKey(op));
        if (m) Object.assign(m, { deliveryCount: op.deliveryCount, notBefore: op.notBefore });
        return;
      }
      case "deleteMessage": return tables.messages.delete(messageKey(op));
      case "putDelayed": return tables.delayed.set(op.id, strip(op));
      case "deleteDelayed": return tables.delayed.delete(op.id);
      default: throw storeError(`unknown store operation '${op.op}'`, "SWITCHYARD_STORE_FAILED");
    }
  };
  return {
    tables,
    async load() {
      const all = (t) => [...tables[t].values()].map((r) => structuredClone(r));
      return { exchanges: all("exchanges"), queues: all("queues"), bindings: all("bindings"), messages: all("messages"), delayed: all("delayed") };
    },
    async apply(ops) {
      // Copy first (as a database would), so a batch is all or nothing.
      const copies = ops.map((op) => structuredClone(op));
      copies.forEach(apply);
    },
    async close() {},
  };
}

// `deliveries` keeps each message's delivery count and not-before time apart from the message,
// so that recording a delivery is a blind write (no read-modify-write of the message record).
const STORES = ["exchanges", "queues", "bindings", "messages", "delayed", "deliveries"];

const request = (r) =>
  new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });

/**
 * A store in IndexedDB (database `switchyard:NAME`). Every batch is one readwrite transaction,
 * resolved on its `complete` event. `durability`: "strict" (the default: the browser flushes to
 * disk before `complete`) or "relaxed" (`complete` once the OS has the data: faster, may lose the
 * last batches on a power cut, not on a tab or browser crash).
 */
export function indexedDBStore(name, { durability = "strict", waitForLock = 0 } = {}) {
  if (durability !== "strict" && durability !== "relaxed") {
    throw storeError(`indexedDBStore: durability must be "strict" or "relaxed"`, "SWITCHYARD_INVALID_ARGUMENT");
  }
  const idb = globalThis.indexedDB;
  // Queues declared with `durability: "strict"` or `"relaxed"` (argument x-durability); others
  // take the store's default. A batch is written relaxed only if everything in it may be.
  const queueDurability = new Map();
  const noteQueue = (q) => {
    const d = q.arguments?.["x-durability"];
    if (d === "strict" || d === "relaxed") queueDurability.set(q.name, d);
    else queueDurability.delete(q.name);
  };
  const batchDurability = (ops) => {
    for (const op of ops) if (op.op === "putQueue") noteQueue(op);
    const of = (op) => (op.op.endsWith("Message") ? queueDurability.get(op.queue) ?? durability : durability);
    return ops.some((op) => of(op) === "strict") ? "strict" : "relaxed";
  };
  let db;
  let lock; // releases the Web Lock that makes this context the store's only writer
  let closed = false;
  let opened = false;

  async function open() {
    if (closed) {
      throw storeError(`the store of bus '${name}' is closed`, "SWITCHYARD_STORE_CLOSED");
    }
    if (db) return db;
    if (!idb) {
      throw storeError(
        'IndexedDB is not available here (Node, or a private browsing mode that disables it); use { storage: "memory" } or a store adapter',
        "SWITCHYARD_STORAGE_UNAVAILABLE",
      );
    }
    // The first open creates the schema (version 1). A reopen after another context upgraded
    // the database (a `versionchange`) takes whatever version it now has.
    const req = opened ? idb.open(`switchyard:${name}`) : idb.open(`switchyard:${name}`, 1);
    opened = true;
    req.onupgradeneeded = () => {
      const d = req.result;
      if (d.objectStoreNames.contains("messages")) return;
      d.createObjectStore("exchanges", { keyPath: "name" });
      d.createObjectStore("queues", { keyPath: "name" });
      d.createObjectStore("bindings");
      d.createObjectStore("messages", { keyPath: ["queue", "id"] });
      d.createObjectStore("delayed", { keyPath: "id" });
      d.createObjectStore("deliveries");
    };
    db = await request(req);
    // Another context upgrading or deleting the database: step aside; the next batch reopens.
    const mine = db;
    mine.onversionchange = () => {
      mine.close();
      if (db === mine) db = undefined;
    };
    return db;
  }

  // The error a failed batch rejects with: quota is its own code, the cause is kept.
  function failure(err) {
    const quota = err?.name === "QuotaExceededError";
    return storeError(
      quota ? "IndexedDB is out of quota: the batch was not written" : `IndexedDB could not write the batch: ${err?.message ?? "aborted"}`,
      quota ? "SWITCHYARD_QUOTA_EXCEEDED" : "SWITCHYARD_STORE_FAILED",
      err,
    );
  }

  function write(d, ops) {
    const tx = d.transaction(STORES, "readwrite", { durability: batchDurability(ops) });
    const done = new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(failure(tx.error));
    });
    const s = Object.fromEntries(STORES.map((n) => [n, tx.objectStore(n)]));
    try {
      for (const op of ops) put(s, op);
    } catch (err) {
      // A request that throws (a quota or clone error raised at once) must not leave the
      // requests before it to commit: the batch is all or nothing.
      done.catch(() => {});
      try {
        tx.abort();
      } catch {
        // already finished
      }
      return Promise.reject(err?.code?.startsWith?.("SWITCHYARD_") ? err : failure(err));
    }
    return done;
  }

  // Records are stored as the operation objects themselves (their `op` field is harmless and
  // ignored on load): no copy per record.
  function put(s, op) {
    switch (op.op) {
      case "putExchange": s.exchanges.put(op); break;
      case "deleteExchange": s.exchanges.delete(op.name); break;
      case "putQueue": s.queues.put(op); break;
      case "deleteQueue": {
        const range = IDBKeyRange.bound([op.name, -Infinity], [op.name, Infinity]);
        s.queues.delete(op.name);
        s.messages.delete(range);
        s.deliveries.delete(range);
        break;
      }
      case "putBinding": s.bindings.put(op, bindingKey(op)); break;
      case "deleteBinding": s.bindings.delete(bindingKey(op)); break;
      case "putMessage": s.messages.put(op); break;
      case "updateMessage":
        s.deliveries.put({ deliveryCount: op.deliveryCount, notBefore: op.notBefore }, [op.queue, op.id]);
        break;
      case "deleteMessage":
        s.messages.delete([op.queue, op.id]);
        s.deliveries.delete([op.queue, op.id]);
        break;
      case "putDelayed": s.delayed.put(op); break;
      case "deleteDelayed": s.delayed.delete(op.id); break;
      default: throw storeError(`unknown store operation '${op.op}'`, "SWITCHYARD_STORE_FAILED");
    }
  }

  return {
    name,
    durability,
    async load() {
      // One writer per database: a second context with the same bus would otherwise redeliver
      // the same messages. (The origin-wide bus makes the leader that writer.)
      const locks = globalThis.navigator?.locks;
      if (locks && !lock) {
        lock = await new Promise((resolve, reject) => {
          // The origin bus's new leader waits a little for the old leader's lock to go.
          const how = waitForLock > 0 ? { signal: AbortSignal.timeout(waitForLock) } : { ifAvailable: true };
          locks
            .request(`switchyard:${name}:store`, how, (held) => {
              if (!held) {
                resolve(null);
                return;
              }
              return new Promise((release) => resolve(release));
            })
            .catch((err) => (err?.name === "TimeoutError" || err?.name === "AbortError" ? resolve(null) : reject(err)));
        });
        if (!lock) {
          throw storeError(
            `bus '${name}' is already persisted by another tab or worker of this origin that opened it with { scope: "local" }; share that bus with the origin-wide scope (the default), or use { storage: "memory" } here`,
            "SWITCHYARD_STORAGE_LOCKED",
          );
        }
      }
      const d = await open();
      const tx = d.transaction(STORES, "readonly");
      const all = (n) => request(tx.objectStore(n).getAll());
      const deliveryKeys = request(tx.objectStore("deliveries").getAllKeys());
      const [exchanges, queues, bindings, messages, delayed, deliveries] = await Promise.all(STORES.map(all));
      queues.forEach(noteQueue);
      const updates = new Map((await deliveryKeys).map((k, i) => [messageKey({ queue: k[0], id: k[1] }), deliveries[i]]));
      for (const m of messages) Object.assign(m, updates.get(messageKey(m)));
      return { exchanges, queues, bindings, messages, delayed };
    },
    async apply(ops) {
      return write(await open(), ops);
    },
    async close() {
      closed = true;
      db?.close();
      db = undefined;
      lock?.();
      lock = undefined;
    },
  };
}

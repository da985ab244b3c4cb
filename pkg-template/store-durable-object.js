// A store adapter over a Cloudflare Durable Object's storage (`state.storage` / `ctx.storage`):
// a bus hosted in a Durable Object persists its durable exchanges, queues, bindings and
// persistent messages there. The contract is the one in stores.js: `{ load(), apply(ops),
// close() }`, op shapes in src/bindings/records.rs.
//
//   import { connect } from "switchyard";
//   import { durableObjectStore } from "switchyard/store-durable-object";
//   export class Broker {
//     constructor(ctx) { this.ready = connect("switchyard://broker", { storage: durableObjectStore(ctx.storage) }); }
//   }
//
// Every batch is ONE `storage.transaction()`: all of it is written or none, and the publisher
// confirms of the batch are sent once it commits. Keys are `PREFIX` + a table letter, so one
// Durable Object can hold several buses (distinct prefixes) and data of its own:
//   PREFIX x:NAME             exchange            PREFIX q:NAME        queue
//   PREFIX b:[binding JSON]   binding             PREFIX y:ID          delayed publish
//   PREFIX m:QUEUE\0ID        message             PREFIX d:QUEUE\0ID   delivery count / not-before
// (ID zero-padded, so a queue's messages list in publish order). The delivery record is kept
// apart from the message so that recording a delivery is a blind write (no read of the body).
// Limits are Cloudflare's: a value is at most 128 KiB on KV-backed Durable Objects (2 MB on
// SQLite-backed ones), so keep `maxMessageBytes` below that; a write that fails rejects the batch
// and its messages are nacked (`storeError` on the connection).
//
// Timers: a Durable Object only runs while it handles a request or an alarm. TTLs and delays of
// a hosted bus fire when the object next runs; set an alarm (`ctx.storage.setAlarm`) for the next
// due time if they must fire with no traffic.

import { bindingKey, storeError, strip } from "./records.js";

const pad = (id) => String(id).padStart(20, "0");

/**
 * A store in Durable Object storage. `storage` is the object's `state.storage`; `prefix`
 * (default "switchyard:") namespaces the keys.
 */
export function durableObjectStore(storage, { prefix = "switchyard:" } = {}) {
  if (!storage || typeof storage.transaction !== "function" || typeof storage.list !== "function") {
    throw storeError("durableObjectStore: pass the Durable Object's state.storage", "SWITCHYARD_INVALID_ARGUMENT");
  }
  const k = {
    exchange: (name) => `${prefix}x:${name}`,
    queue: (name) => `${prefix}q:${name}`,
    binding: (b) => `${prefix}b:${bindingKey(b)}`,
    messages: (queue) => `${prefix}m:${queue}\u0000`,
    message: (queue, id) => `${prefix}m:${queue}\u0000${pad(id)}`,
    deliveries: (queue) => `${prefix}d:${queue}\u0000`,
    delivery: (queue, id) => `${prefix}d:${queue}\u0000${pad(id)}`,
    delayed: (id) => `${prefix}y:${pad(id)}`,
  };
  let closed = false;

  async function write(txn, ops) {
    for (const op of ops) {
      switch (op.op) {
        case "putExchange": await txn.put(k.exchange(op.name), strip(op)); break;
        case "deleteExchange": await txn.delete(k.exchange(op.name)); break;
        case "putQueue": await txn.put(k.queue(op.name), strip(op)); break;
        case "deleteQueue": {
          await txn.delete(k.queue(op.name));
          for (const p of [k.messages(op.name), k.deliveries(op.name)]) {
            const keys = [...(await txn.list({ prefix: p })).keys()];
            // delete() takes at most 128 keys at a time.
            for (let i = 0; i < keys.length; i += 128) await txn.delete(keys.slice(i, i + 128));
          }
          break;
        }
        case "putBinding": await txn.put(k.binding(op), strip(op)); break;
        case "deleteBinding": await txn.delete(k.binding(op)); break;
        case "putMessage": await txn.put(k.message(op.queue, op.id), strip(op)); break;
        case "updateMessage":
          await txn.put(k.delivery(op.queue, op.id), { deliveryCount: op.deliveryCount, notBefore: op.notBefore });
          break;
        case "deleteMessage": await txn.delete([k.message(op.queue, op.id), k.delivery(op.queue, op.id)]); break;
        case "putDelayed": await txn.put(k.delayed(op.id), strip(op)); break;
        case "deleteDelayed": await txn.delete(k.delayed(op.id)); break;
        default: throw storeError(`unknown store operation '${op.op}'`, "SWITCHYARD_STORE_FAILED");
      }
    }
  }

  const values = async (p) => [...(await storage.list({ prefix: `${prefix}${p}` })).values()];

  return {
    prefix,
    async load() {
      if (closed) throw storeError("the store is closed", "SWITCHYARD_STORE_CLOSED");
      const [exchanges, queues, bindings, messages, delayed, deliveries] = await Promise.all([
        values("x:"),
        values("q:"),
        values("b:"),
        values("m:"),
        values("y:"),
        storage.list({ prefix: `${prefix}d:` }),
      ]);
      for (const m of messages) Object.assign(m, deliveries.get(k.delivery(m.queue, m.id)));
      return { exchanges, queues, bindings, messages, delayed };
    },
    async apply(ops) {
      if (closed) throw storeError("the store is closed", "SWITCHYARD_STORE_CLOSED");
      try {
        await storage.transaction((txn) => write(txn, ops));
      } catch (err) {
        if (err?.name === "StoreError") throw err;
        throw storeError(`Durable Object storage could not write the batch: ${err?.message ?? err}`, "SWITCHYARD_STORE_FAILED", err);
      }
    },
    async close() {
      closed = true;
    },
  };
}

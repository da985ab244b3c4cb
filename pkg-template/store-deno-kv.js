// A store adapter over Deno KV (`await Deno.openKv(path)`; Deno 2 needs `--unstable-kv`). The
// contract is the one in stores.js: `{ load(), apply(ops), close() }`, op shapes in
// src/bindings/records.rs.
//
//   import { connect } from "switchyard";
//   import { denoKvStore } from "switchyard/store-deno-kv";
//   const kv = await Deno.openKv("./broker.kv");
//   const conn = await connect("switchyard://orders", { storage: denoKvStore(kv, ["orders"]) });
//
// Keys, under `prefix` (a KV key prefix array; a string is taken as [string]):
//   [...prefix, "x", name]  exchange         [...prefix, "q", name]      queue
//   [...prefix, "b", json]  binding          [...prefix, "y", id]        delayed publish
//   [...prefix, "m", queue, id] message      [...prefix, "d", queue, id] delivery count / not-before
// The delivery record is apart from the message so that recording a delivery is a blind write.
//
// Batches: each batch is written with `kv.atomic()` … `.commit()`. Deno KV limits one atomic
// operation (1000 mutations and 800 KiB of keys + values in Deno 2; values at most 64 KiB each): a
// batch over those limits is split into several atomic commits, written in order. Such a batch
// is then NOT all-or-nothing: a crash between two commits keeps the first part. Nothing is lost
// that was confirmed (the batch's confirms wait for its last commit, and a failed commit nacks
// the whole batch), but a message in the committed part may come back after a restart although
// its publisher saw a nack (at-least-once), and a deleteQueue that spans commits may be left half
// done. Keep messages under 64 KiB (`maxMessageBytes`): a bigger one fails its batch.
// Deno KV with a local path has one writer per process; do not open one file from two processes.

import { bindingKey, storeError, strip } from "./records.js";

const MAX_MUTATIONS = 1000;
const MAX_BYTES = 800 * 1024;


// A generous size estimate of a key or value (KV counts its own encoding).
function sizeOf(v) {
  if (v === null || v === undefined) return 1;
  if (ArrayBuffer.isView(v)) return v.byteLength + 8;
  if (v instanceof ArrayBuffer) return v.byteLength + 8;
  if (typeof v === "string") return v.length * 3 + 8;
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return 9;
  if (Array.isArray(v)) return v.reduce((n, x) => n + sizeOf(x), 8);
  if (typeof v === "object") return Object.entries(v).reduce((n, [k, x]) => n + k.length + sizeOf(x), 8);
  return 16;
}

/** A store in Deno KV. `kv` is a `Deno.Kv`; `prefix` namespaces the keys (default ["switchyard"]). */
export function denoKvStore(kv, prefix = ["switchyard"]) {
  if (!kv || typeof kv.atomic !== "function" || typeof kv.list !== "function") {
    throw storeError("denoKvStore: pass a Deno.Kv (await Deno.openKv(path))", "SWITCHYARD_INVALID_ARGUMENT");
  }
  const p = Array.isArray(prefix) ? prefix : [prefix];
  const key = (...parts) => [...p, ...parts];
  let closed = false;

  const listKeys = async (selector) => {
    const keys = [];
    for await (const e of kv.list({ prefix: selector })) keys.push(e.key);
    return keys;
  };

  // The batch as mutations: ["set", key, value] / ["delete", key].
  async function mutations(ops) {
    const out = [];
    for (const op of ops) {
      switch (op.op) {
        case "putExchange": out.push(["set", key("x", op.name), strip(op)]); break;
        case "deleteExchange": out.push(["delete", key("x", op.name)]); break;
        case "putQueue": out.push(["set", key("q", op.name), strip(op)]); break;
        case "deleteQueue": {
          out.push(["delete", key("q", op.name)]);
          for (const k of await listKeys(key("m", op.name))) out.push(["delete", k]);
          for (const k of await listKeys(key("d", op.name))) out.push(["delete", k]);
          break;
        }
        case "putBinding": out.push(["set", key("b", bindingKey(op)), strip(op)]); break;
        case "deleteBinding": out.push(["delete", key("b", bindingKey(op))]); break;
        case "putMessage": out.push(["set", key("m", op.queue, op.id), strip(op)]); break;
        case "updateMessage":
          out.push(["set", key("d", op.queue, op.id), { deliveryCount: op.deliveryCount, notBefore: op.notBefore }]);
          break;
        case "deleteMessage":
          out.push(["delete", key("m", op.queue, op.id)], ["delete", key("d", op.queue, op.id)]);
          break;
        case "putDelayed": out.push(["set", key("y", op.id), strip(op)]); break;
        case "deleteDelayed": out.push(["delete", key("y", op.id)]); break;
        default: throw storeError(`unknown store operation '${op.op}'`, "SWITCHYARD_STORE_FAILED");
      }
    }
    return out;
  }

  async function commit(chunk) {
    const atomic = kv.atomic();
    for (const [kind, k, v] of chunk) {
      if (kind === "set") atomic.set(k, v);
      else atomic.delete(k);
    }
    const res = await atomic.commit();
    if (!res?.ok) throw storeError("Deno KV refused the batch", "SWITCHYARD_STORE_FAILED");
  }

  const values = async (table) => {
    const out = [];
    for await (const e of kv.list({ prefix: key(table) })) out.push(e.value);
    return out;
  };

  return {
    prefix: p,
    async load() {
      if (closed) throw storeError("the store is closed", "SWITCHYARD_STORE_CLOSED");
      const [exchanges, queues, bindings, messages, delayed] = await Promise.all(["x", "q", "b", "m", "y"].map(values));
      const deliveries = new Map();
      for await (const e of kv.list({ prefix: key("d") })) deliveries.set(JSON.stringify(e.key.slice(p.length + 1).map(String)), e.value);
      for (const m of messages) Object.assign(m, deliveries.get(JSON.stringify([String(m.queue), String(m.id)])));
      return { exchanges, queues, bindings, messages, delayed };
    },
    async apply(ops) {
      if (closed) throw storeError("the store is closed", "SWITCHYARD_STORE_CLOSED");
      try {
        const all = await mutations(ops);
        let chunk = [];
        let bytes = 0;
        for (const m of all) {
          const size = sizeOf(m[1]) + sizeOf(m[2]);
          if (chunk.length > 0 && (chunk.length >= MAX_MUTATIONS || bytes + size > MAX_BYTES)) {
            await commit(chunk);
            chunk = [];
            bytes = 0;
          }
          chunk.push(m);
          bytes += size;
        }
        if (chunk.length > 0) await commit(chunk);
      } catch (err) {
        if (err?.name === "StoreError") throw err;
        throw storeError(`Deno KV could not write the batch: ${err?.message ?? err}`, "SWITCHYARD_STORE_FAILED", err);
      }
    },
    async close() {
      closed = true;
    },
  };
}

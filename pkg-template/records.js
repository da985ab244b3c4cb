// Store records between the wasm and store adapters. The wasm hands over a *tape* (a flat array:
// a tag, then that operation's fields in order; see src/bindings/records.rs) and reads a
// snapshot back as a tape of put operations. Adapters only ever see the objects made here.

const FIELDS = [
  ["putExchange", "name", "type", "durable", "autoDelete", "internal", "arguments"],
  ["deleteExchange", "name"],
  ["putQueue", "name", "durable", "exclusive", "autoDelete", "arguments"],
  ["deleteQueue", "name"],
  ["putBinding", "source", "destination", "destinationType", "routingKey", "arguments"],
  ["deleteBinding", "source", "destination", "destinationType", "routingKey", "arguments"],
  ["putMessage", "queue", "id", "exchange", "routingKey", "properties", "body", "bcc", "enqueuedAt", "expiresAt", "deliveryCount", "notBefore"],
  ["updateMessage", "queue", "id", "deliveryCount", "notBefore"],
  ["deleteMessage", "queue", "id"],
  ["putDelayed", "id", "due", "mandatory", "exchange", "routingKey", "properties", "body", "bcc"],
  ["deleteDelayed", "id"],
];
const TAG = Object.fromEntries(FIELDS.map(([op], tag) => [op, tag]));

// Message properties cross the boundary as an array in this order (src/bindings/convert.rs).
const PROPERTIES = [
  "contentType", "contentEncoding", "headers", "deliveryMode", "priority", "correlationId", "replyTo",
  "expiration", "messageId", "timestamp", "type", "userId", "appId", "clusterId",
];

/** Properties as amqplib shows them (every name present, `headers` an object) from the array form. */
export function propertiesFromArray(a) {
  if (a === undefined) {
    return {
      contentType: undefined, contentEncoding: undefined, headers: {}, deliveryMode: undefined, priority: undefined,
      correlationId: undefined, replyTo: undefined, expiration: undefined, messageId: undefined, timestamp: undefined,
      type: undefined, userId: undefined, appId: undefined, clusterId: undefined,
    };
  }
  return {
    contentType: a[0], contentEncoding: a[1], headers: a[2] ?? {}, deliveryMode: a[3], priority: a[4],
    correlationId: a[5], replyTo: a[6], expiration: a[7], messageId: a[8], timestamp: a[9],
    type: a[10], userId: a[11], appId: a[12], clusterId: a[13],
  };
}

const propertiesToArray = (p) => (p === undefined || p === null ? undefined : PROPERTIES.map((k) => p[k]));

/** A batch tape from the wasm as operation objects `{ op, …fields }`. */
export function decodeOps(tape) {
  const ops = [];
  for (let i = 0; i < tape.length; ) {
    const [op, ...fields] = FIELDS[tape[i++]];
    const o = { op };
    for (const f of fields) o[f] = tape[i++];
    if ("properties" in o) o.properties = o.properties === undefined ? undefined : propertiesFromArray(o.properties);
    ops.push(o);
  }
  return ops;
}

/** A snapshot `{ exchanges, queues, bindings, messages, delayed }` as a tape for the wasm. */
export function encodeSnapshot(snapshot) {
  if (snapshot === undefined || snapshot === null) return null;
  const tape = [];
  const put = (op, records) => {
    const [, ...fields] = FIELDS[TAG[op]];
    for (const r of records ?? []) {
      tape.push(TAG[op]);
      for (const f of fields) tape.push(f === "properties" ? propertiesToArray(r[f]) : r[f]);
    }
  };
  put("putExchange", snapshot.exchanges);
  put("putQueue", snapshot.queues);
  put("putBinding", snapshot.bindings);
  put("putMessage", snapshot.messages);
  put("putDelayed", snapshot.delayed);
  return tape;
}

// ----- shared by the store adapters (stores.js, store-durable-object.js, store-deno-kv.js) -----

/** The identity of a binding record, as every adapter keys it. */
export const bindingKey = (b) => JSON.stringify([b.source, b.destinationType, b.destination, b.routingKey, b.arguments]);

/** A put operation's record without its `op` field. */
export const strip = ({ op, ...record }) => record;

/** An adapter's error: name "StoreError", a `SWITCHYARD_…` code, the underlying cause. */
export function storeError(message, code, cause) {
  const e = new Error(message, { cause });
  e.name = "StoreError";
  e.code = code;
  return e;
}

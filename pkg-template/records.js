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

/** A batch tape from the wasm as operation objects `{ op, …fields }`. */
export function decodeOps(tape) {
  const ops = [];
  for (let i = 0; i < tape.length; ) {
    const [op, ...fields] = FIELDS[tape[i++]];
    const o = { op };
    for (const f of fields) o[f] = tape[i++];
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
      for (const f of fields) tape.push(r[f]);
    }
  };
  put("putExchange", snapshot.exchanges);
  put("putQueue", snapshot.queues);
  put("putBinding", snapshot.bindings);
  put("putMessage", snapshot.messages);
  put("putDelayed", snapshot.delayed);
  return tape;
}

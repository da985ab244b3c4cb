// Content types (Buffer, Uint8Array, strings, structured values) and re-entrant consumers
// (a callback that publishes, acks, consumes and closes its own channel).
import assert from "node:assert/strict";
import {
  assertChannelWorks, channel, collect, drain, isBadInput, isChannelClosed, open, sleep, test, text, until, uniq,
} from "./helpers.mjs";

async function roundTrip(t, content, options) {
  const { ch } = await open(t);
  const q = uniq("content");
  await ch.assertQueue(q, { durable: false });
  ch.sendToQueue(q, content, options);
  const [viaConsume] = await collect(ch, q, 1);
  ch.sendToQueue(q, content, options);
  await sleep(20);
  const viaGet = await ch.get(q, { noAck: true });
  return [viaConsume.content, viaGet.content];
}

test("Buffer in → Buffer out, byte for byte (consume and get)", async (t) => {
  const body = Buffer.from([0, 1, 2, 250, 255, 0x68, 0x69]);
  for (const out of await roundTrip(t, body)) {
    assert.ok(Buffer.isBuffer(out), "delivered as a Buffer in Node");
    assert.deepEqual([...out], [...body]);
  }
});

test("an empty Buffer is delivered as an empty Buffer", async (t) => {
  for (const out of await roundTrip(t, Buffer.alloc(0))) {
    assert.ok(Buffer.isBuffer(out));
    assert.equal(out.length, 0);
  }
});

test("a Uint8Array (bytes) is delivered as bytes: a Buffer in Node", async (t) => {
  const body = new TextEncoder().encode("héllo");
  for (const out of await roundTrip(t, body)) {
    assert.ok(out instanceof Uint8Array);
    assert.ok(Buffer.isBuffer(out), "Node gets bytes as Buffer, as from amqplib");
    assert.equal(Buffer.from(out).toString("utf8"), "héllo");
  }
});

test("a view into a larger buffer delivers only the viewed bytes", async (t) => {
  const backing = Buffer.from("xxhello-worldxx");
  const view = backing.subarray(2, 13);
  for (const out of await roundTrip(t, view)) assert.equal(Buffer.from(out).toString(), "hello-world");
});

test("other typed arrays, a DataView and an ArrayBuffer are delivered as their bytes, copied at publish", async (t) => {
  const i16 = new Int16Array([1, 2, 258]);
  const backing = new Uint8Array([9, 8, 7, 6]);
  const dv = new DataView(backing.buffer, 1, 2);
  const ab = new Uint8Array([1, 2, 3]).buffer;
  const cases = [
    [i16, [1, 0, 2, 0, 2, 1]],
    [dv, [8, 7]],
    [new Float64Array([1.5]), [0, 0, 0, 0, 0, 0, 248, 63]],
    [ab, [1, 2, 3]],
  ];
  for (const [content, bytes] of cases) {
    for (const out of await roundTrip(t, content)) {
      assert.ok(Buffer.isBuffer(out), `${content.constructor.name}: delivered as a Buffer`);
      assert.deepEqual([...out], bytes, content.constructor.name);
    }
  }
  const { ch } = await open(t);
  const q = uniq("views");
  await ch.assertQueue(q, { durable: false });
  ch.sendToQueue(q, i16);
  ch.sendToQueue(q, dv);
  i16[0] = 99;
  backing[1] = 99;
  await sleep(20);
  assert.deepEqual([...(await ch.get(q, { noAck: true })).content], [1, 0, 2, 0, 2, 1], "the Int16Array as it was published");
  assert.deepEqual([...(await ch.get(q, { noAck: true })).content], [8, 7], "the DataView's bytes as they were published");
});

test("a string in → the same string out", async (t) => {
  for (const out of await roundTrip(t, "plain text ✓")) {
    assert.equal(typeof out, "string");
    assert.equal(out, "plain text ✓");
  }
});

test("a plain object in → an equal object out", async (t) => {
  const order = { id: 7, items: ["a", "b"], nested: { ok: true, n: null }, when: new Date(0) };
  for (const out of await roundTrip(t, order, { contentType: "application/x-structured" })) {
    assert.deepEqual(out, order);
  }
});

test("numbers, arrays and Maps travel as themselves", async (t) => {
  const { ch } = await open(t);
  const q = uniq("values");
  await ch.assertQueue(q, { durable: false });
  const values = [42, [1, "two", { three: 3 }], new Map([["k", 1]]), true];
  for (const v of values) ch.sendToQueue(q, v);
  const got = await collect(ch, q, values.length);
  assert.deepEqual(got.map((m) => m.content), values);
});

test("a published object mutated afterwards does not change the queued message", async (t) => {
  const { ch } = await open(t);
  const q = uniq("mutate");
  await ch.assertQueue(q, { durable: false });
  const buf = Buffer.from("before");
  ch.sendToQueue(q, buf);
  buf.write("AFTER!");
  await sleep(20);
  const m = await ch.get(q, { noAck: true });
  assert.equal(text(m), "before", "bytes are copied at publish, as on a network");
});

test("two queues of one fanout get independent copies of the bytes", async (t) => {
  const { ch } = await open(t);
  const ex = uniq("fan");
  await ch.assertExchange(ex, "fanout", { durable: false });
  const [q1, q2] = [uniq("q1"), uniq("q2")];
  for (const q of [q1, q2]) {
    await ch.assertQueue(q, { durable: false });
    await ch.bindQueue(q, ex, "");
  }
  ch.publish(ex, "", Buffer.from("shared"));
  const [m1] = await collect(ch, q1, 1);
  m1.content[0] = 0x53; // 'S': the consumer scribbles on its copy
  const [m2] = await collect(ch, q2, 1);
  assert.equal(text(m2), "shared");
});

test("non-cloneable content is a TypeError that leaves the channel open", async (t) => {
  const { ch } = await open(t);
  const q = uniq("bad");
  await ch.assertQueue(q, { durable: false });
  const notCloneable = isBadInput(TypeError, "SWITCHYARD_NOT_CLONEABLE");
  assert.throws(() => ch.sendToQueue(q, () => "fn"), notCloneable);
  assert.throws(() => ch.sendToQueue(q, Symbol("s")), notCloneable);
  assert.throws(() => ch.sendToQueue(q, { handler() {} }), notCloneable);
  assert.throws(() => ch.publish("", q, { nested: [Symbol("deep")] }), notCloneable);
  await sleep(20);
  assert.equal((await ch.checkQueue(q)).messageCount, 0, "nothing was enqueued");
  assert.deepEqual(ch.errorsSeen, []);
  await assertChannelWorks(ch);
});

test("maxMessageBytes: a larger body is a RangeError; the limit itself is fine", async (t) => {
  const { ch } = await open(t, { connectOptions: { maxMessageBytes: 16 } });
  const q = uniq("limit");
  await ch.assertQueue(q, { durable: false });
  assert.equal(ch.sendToQueue(q, Buffer.alloc(16, 1)), true);
  assert.throws(() => ch.sendToQueue(q, Buffer.alloc(17, 1)), isBadInput(RangeError, "SWITCHYARD_TOO_LARGE"));
  assert.throws(() => ch.sendToQueue(q, "x".repeat(100)), isBadInput(RangeError, "SWITCHYARD_TOO_LARGE"));
  const [m] = await collect(ch, q, 1, { settle: 30 });
  assert.equal(m.content.length, 16);
  await assertChannelWorks(ch);
});

test("re-entrant: a consumer callback publishes, acks and gets inside the callback", async (t) => {
  const { ch } = await open(t);
  const input = uniq("in");
  const output = uniq("out");
  await ch.assertQueue(input, { durable: false });
  await ch.assertQueue(output, { durable: false });
  const peeks = [];
  await ch.consume(input, (msg) => {
    if (!msg) return;
    ch.sendToQueue(output, Buffer.from(`echo:${text(msg)}`), { correlationId: msg.properties.messageId });
    ch.ack(msg);
    ch.get(output, { noAck: false }).then((m) => {
      peeks.push(m && text(m));
      if (m) ch.reject(m, true);
    });
  });
  for (let i = 0; i < 5; i++) ch.sendToQueue(input, Buffer.from(String(i)), { messageId: `id-${i}` });
  await until(() => peeks.length === 5, { what: "five callbacks" });
  await sleep(20);
  const out = [];
  for (let m = await ch.get(output, { noAck: true }); m; m = await ch.get(output, { noAck: true })) out.push(m);
  assert.deepEqual(out.map(text), ["echo:0", "echo:1", "echo:2", "echo:3", "echo:4"]);
  assert.deepEqual(out.map((m) => m.properties.correlationId), ["id-0", "id-1", "id-2", "id-3", "id-4"]);
  const stats = await ch.stats(input);
  assert.deepEqual([stats.messages, stats.unacked, stats.acked], [0, 0, 5]);
  assert.deepEqual(ch.errorsSeen, []);
});

test("re-entrant: a consumer callback that closes its own channel", async (t) => {
  const { conn, ch } = await open(t);
  const q = uniq("closer");
  await ch.assertQueue(q, { durable: false });
  await ch.prefetch(1);
  const seen = [];
  let closing;
  await ch.consume(q, (msg) => {
    if (!msg) return;
    seen.push(text(msg));
    ch.ack(msg);
    ch.sendToQueue(q, Buffer.from("written before close"));
    closing = ch.close();
  });
  for (const b of ["m1", "m2", "m3"]) ch.sendToQueue(q, Buffer.from(b));
  await until(() => closing !== undefined, { what: "the callback to close the channel" });
  await closing;
  await sleep(30);
  assert.deepEqual(seen, ["m1"], "no callback after the channel closed");
  assert.throws(() => ch.sendToQueue(q, Buffer.from("x")), isChannelClosed);
  const ch2 = await channel(conn);
  const rest = await drain(ch2, q);
  assert.deepEqual(rest, ["m2", "m3", "written before close"]);
});

test("re-entrant: a consumer callback that starts another consumer and cancels itself", async (t) => {
  const { ch } = await open(t);
  const a = uniq("a");
  const b = uniq("b");
  await ch.assertQueue(a, { durable: false });
  await ch.assertQueue(b, { durable: false });
  const log = [];
  const first = await ch.consume(a, (msg) => {
    if (!msg) return;
    log.push(`a:${text(msg)}`);
    ch.cancel(first.consumerTag).then(() => {
      ch.consume(b, (m) => m && log.push(`b:${text(m)}`), { noAck: true }).then(() => ch.sendToQueue(b, Buffer.from("2")));
    });
  }, { noAck: true });
  ch.sendToQueue(a, Buffer.from("1"));
  await until(() => log.length === 2, { what: "both consumers" });
  ch.sendToQueue(a, Buffer.from("not consumed"));
  await sleep(30);
  assert.deepEqual(log, ["a:1", "b:2"]);
  assert.equal((await ch.checkQueue(a)).messageCount, 1);
});

// Consuming: message shape, prefetch, round robin, ack/nack/reject/ackAll/nackAll, requeue and
// redelivered, recover, get with messageCount, cancel, server cancel (null), consumer options.
import assert from "node:assert/strict";
import {
  assertChannelError, channel, collect, drain, open, sendAll, sleep, test, text, until, uniq,
} from "./helpers.mjs";

async function queueWith(ch, bodies, options = { durable: false }) {
  const q = uniq("q");
  await ch.assertQueue(q, options);
  sendAll(ch, q, bodies);
  return q;
}

test("a delivered message has amqplib's shape: content, fields, properties", async (t) => {
  const { ch } = await open(t);
  const q = uniq("shape");
  await ch.assertQueue(q, { durable: false });
  const { consumerTag } = await ch.consume(q, () => {}, { consumerTag: "my-tag", noAck: true });
  assert.equal(consumerTag, "my-tag");
  await ch.cancel(consumerTag);
  const props = {
    contentType: "application/json", contentEncoding: "utf-8", headers: { a: 1, b: "two", c: true, d: [1, 2], e: { f: null } },
    priority: 3, correlationId: "corr", replyTo: "replies", expiration: "60000", messageId: "id-1",
    timestamp: 1700000000, type: "kind", userId: "guest", appId: "tests",
  };
  ch.sendToQueue(q, Buffer.from("full"), { ...props, persistent: true });
  ch.sendToQueue(q, Buffer.from("bare"));
  const [full, bare] = await collect(ch, q, 2, { options: { consumerTag: "tag-2" } });
  assert.deepEqual(full.fields, { consumerTag: "tag-2", deliveryTag: 1, redelivered: false, exchange: "", routingKey: q });
  assert.deepEqual(full.properties, { ...props, deliveryMode: 2, clusterId: undefined });
  assert.equal(bare.fields.deliveryTag, 2, "delivery tags count up per channel");
  assert.deepEqual(bare.properties, {
    contentType: undefined, contentEncoding: undefined, headers: {}, deliveryMode: undefined, priority: undefined,
    correlationId: undefined, replyTo: undefined, expiration: undefined, messageId: undefined, timestamp: undefined,
    type: undefined, userId: undefined, appId: undefined, clusterId: undefined,
  });
});

test("deliveryMode: persistent true → 2, false → 1, numeric and boolean deliveryMode as amqplib", async (t) => {
  const { ch } = await open(t);
  const q = uniq("mode");
  await ch.assertQueue(q, { durable: false });
  ch.sendToQueue(q, Buffer.from("a"), { persistent: true });
  ch.sendToQueue(q, Buffer.from("b"), { persistent: false });
  ch.sendToQueue(q, Buffer.from("c"), { deliveryMode: 2 });
  ch.sendToQueue(q, Buffer.from("d"), { deliveryMode: true });
  const msgs = await collect(ch, q, 4);
  assert.deepEqual(msgs.map((m) => m.properties.deliveryMode), [2, 1, 2, 2]);
});

test("a server-generated consumer tag is amq.ctag-… and unique", async (t) => {
  const { ch } = await open(t);
  const q = await queueWith(ch, []);
  const a = await ch.consume(q, () => {});
  const b = await ch.consume(q, () => {});
  assert.match(a.consumerTag, /^amq\.ctag-/);
  assert.notEqual(a.consumerTag, b.consumerTag);
});

test("prefetch(1): the next message comes only after the previous one is acked", async (t) => {
  const { ch } = await open(t);
  assert.deepEqual(await ch.prefetch(1), {});
  const q = await queueWith(ch, ["1", "2", "3"]);
  const got = [];
  await ch.consume(q, (m) => m && got.push(m), { noAck: false });
  await until(() => got.length === 1, { what: "the first delivery" });
  await sleep(50);
  assert.equal(got.length, 1, "no second delivery while the first is unacked");
  assert.equal((await ch.stats(q)).unacked, 1);
  ch.ack(got[0]);
  await until(() => got.length === 2, { what: "the second delivery" });
  ch.ack(got[1]);
  await until(() => got.length === 3, { what: "the third delivery" });
  ch.ack(got[2]);
  assert.deepEqual(got.map(text), ["1", "2", "3"]);
});

test("prefetch(0) removes the limit; prefetch applies to consumers created after it", async (t) => {
  const { ch } = await open(t);
  await ch.prefetch(2);
  const q = await queueWith(ch, ["1", "2", "3", "4", "5"]);
  const limited = [];
  const tag = (await ch.consume(q, (m) => m && limited.push(m))).consumerTag;
  await until(() => limited.length === 2, { what: "two deliveries" });
  await sleep(50);
  assert.equal(limited.length, 2);
  await ch.cancel(tag);
  await ch.recover();
  await ch.prefetch(0);
  const unlimited = [];
  await ch.consume(q, (m) => m && unlimited.push(m));
  await until(() => unlimited.length === 5, { what: "all five" });
});

test("round robin: two consumers on one queue alternate", async (t) => {
  const { ch } = await open(t);
  const q = await queueWith(ch, []);
  const a = [];
  const b = [];
  await ch.consume(q, (m) => m && a.push(text(m)), { noAck: true });
  await ch.consume(q, (m) => m && b.push(text(m)), { noAck: true });
  sendAll(ch, q, ["0", "1", "2", "3", "4", "5"]);
  await until(() => a.length + b.length === 6, { what: "six deliveries" });
  assert.deepEqual(a, ["0", "2", "4"]);
  assert.deepEqual(b, ["1", "3", "5"]);
});

test("consumer priority: the higher-priority consumer gets the messages", async (t) => {
  const { ch } = await open(t);
  const q = await queueWith(ch, []);
  const low = [];
  const high = [];
  await ch.consume(q, (m) => m && low.push(text(m)), { noAck: true, priority: 1 });
  await ch.consume(q, (m) => m && high.push(text(m)), { noAck: true, arguments: { "x-priority": 10 } });
  sendAll(ch, q, ["a", "b", "c"]);
  await until(() => high.length === 3, { what: "three deliveries to the high-priority consumer" });
  assert.deepEqual(low, []);
});

test("nack with requeue puts the message back at its place, redelivered", async (t) => {
  const { ch } = await open(t);
  const q = await queueWith(ch, ["first", "second"]);
  await sleep(20);
  const m = await ch.get(q);
  assert.equal(text(m), "first");
  assert.equal(m.fields.redelivered, false);
  ch.nack(m);
  await sleep(20);
  const again = await ch.get(q, { noAck: true });
  assert.equal(text(again), "first", "requeued to its original position");
  assert.equal(again.fields.redelivered, true);
  const next = await ch.get(q, { noAck: true });
  assert.equal(text(next), "second");
  assert.equal(next.fields.redelivered, false);
});

test("reject defaults to requeue; reject/nack with requeue false discards (no DLX)", async (t) => {
  const { ch } = await open(t);
  const q = await queueWith(ch, ["a", "b", "c"]);
  await sleep(20);
  const a = await ch.get(q);
  ch.reject(a);
  await sleep(20);
  const a2 = await ch.get(q);
  assert.equal(text(a2), "a");
  assert.equal(a2.fields.redelivered, true);
  ch.reject(a2, false);
  const b = await ch.get(q);
  ch.nack(b, false, false);
  await sleep(20);
  assert.deepEqual(await drain(ch, q), ["c"]);
  const stats = await ch.stats(q);
  assert.equal(stats.unacked, 0);
  assert.equal(stats.dropped, 2);
});

test("ack(msg, true) acknowledges everything up to it; other channels then see nothing", async (t) => {
  const { conn, ch } = await open(t);
  const q = await queueWith(ch, ["1", "2", "3", "4"]);
  const msgs = await collect(ch, q, 4, { options: { noAck: false } });
  ch.ack(msgs[2], true);
  await sleep(20);
  assert.equal((await ch.stats(q)).unacked, 1);
  await ch.close();
  const ch2 = await channel(conn);
  const left = await collect(ch2, q, 1, { settle: 30 });
  assert.equal(text(left[0]), "4");
  assert.equal(left[0].fields.redelivered, true);
});

test("nack(msg, true, true) requeues everything up to it, in order", async (t) => {
  const { ch } = await open(t);
  const q = await queueWith(ch, ["1", "2", "3"]);
  const msgs = await collect(ch, q, 3, { options: { noAck: false } });
  ch.nack(msgs[1], true, true);
  ch.ack(msgs[2]);
  await sleep(20);
  const again = await collect(ch, q, 2, { settle: 30 });
  assert.deepEqual(again.map(text), ["1", "2"]);
  assert.deepEqual(again.map((m) => m.fields.redelivered), [true, true]);
});

test("ackAll and nackAll settle every outstanding delivery on the channel", async (t) => {
  const { ch } = await open(t);
  const q = await queueWith(ch, ["1", "2", "3"]);
  await collect(ch, q, 3, { options: { noAck: false } });
  ch.ackAll();
  await sleep(20);
  assert.equal((await ch.stats(q)).unacked, 0);
  sendAll(ch, q, ["4", "5"]);
  await collect(ch, q, 2, { options: { noAck: false } });
  ch.nackAll();
  await sleep(20);
  const back = await collect(ch, q, 2);
  assert.deepEqual(back.map(text), ["4", "5"]);
  assert.ok(back.every((m) => m.fields.redelivered));
  sendAll(ch, q, ["6"]);
  await collect(ch, q, 1, { options: { noAck: false } });
  ch.nackAll(false);
  await sleep(20);
  assert.deepEqual(await drain(ch, q), [], "nackAll(false) discards");
});

test("recover() redelivers the channel's unacked messages with redelivered set", async (t) => {
  const { ch } = await open(t);
  const q = await queueWith(ch, ["x", "y"]);
  const seen = [];
  await ch.consume(q, (m) => m && seen.push(m), { noAck: false });
  await until(() => seen.length === 2, { what: "two deliveries" });
  assert.deepEqual(await ch.recover(), {});
  await until(() => seen.length === 4, { what: "two redeliveries" });
  assert.deepEqual(seen.slice(2).map((m) => [text(m), m.fields.redelivered]), [["x", true], ["y", true]]);
  ch.ackAll();
});

test("closing a channel requeues its unacked messages for other consumers", async (t) => {
  const { conn, ch } = await open(t);
  const q = await queueWith(ch, ["a", "b"]);
  await collect(ch, q, 2, { options: { noAck: false } });
  await ch.close();
  const ch2 = await channel(conn);
  const again = await collect(ch2, q, 2);
  assert.deepEqual(again.map((m) => [text(m), m.fields.redelivered]), [["a", true], ["b", true]]);
});

test("get: messageCount is what is left; false when empty; noAck false needs an ack", async (t) => {
  const { ch } = await open(t);
  const q = await queueWith(ch, ["1", "2", "3"]);
  await sleep(20);
  const first = await ch.get(q, { noAck: false });
  assert.equal(text(first), "1");
  assert.deepEqual(first.fields, { deliveryTag: 1, redelivered: false, exchange: "", routingKey: q, messageCount: 2 });
  ch.ack(first);
  assert.equal((await ch.get(q, { noAck: true })).fields.messageCount, 1);
  assert.equal((await ch.get(q)).fields.messageCount, 0);
  assert.equal(await ch.get(q), false);
  assert.equal((await ch.stats(q)).unacked, 1);
});

test("cancel stops deliveries; the queue keeps later messages", async (t) => {
  const { ch } = await open(t);
  const q = await queueWith(ch, []);
  const got = [];
  const { consumerTag } = await ch.consume(q, (m) => m && got.push(text(m)), { noAck: true });
  ch.sendToQueue(q, Buffer.from("before"));
  await until(() => got.length === 1, { what: "a delivery" });
  assert.deepEqual(await ch.cancel(consumerTag), { consumerTag }, "amqplib resolves basic.cancel-ok's fields");
  ch.sendToQueue(q, Buffer.from("after"));
  await sleep(50);
  assert.deepEqual(got, ["before"]);
  assert.deepEqual(await drain(ch, q), ["after"]);
});

test("a consumer gets null when its queue is deleted (server cancel)", async (t) => {
  const { conn, ch } = await open(t);
  const q = await queueWith(ch, []);
  const calls = [];
  await ch.consume(q, (m) => calls.push(m === null ? null : text(m)), { noAck: true });
  ch.sendToQueue(q, Buffer.from("one"));
  await until(() => calls.length === 1, { what: "a delivery" });
  const other = await channel(conn);
  await other.deleteQueue(q);
  await until(() => calls.length === 2, { what: "the null cancel notification" });
  assert.deepEqual(calls, ["one", null]);
  assert.deepEqual(ch.errorsSeen, [], "a server cancel does not close the channel");
  await sleep(30);
  assert.equal(calls.length, 2);
});

test("noAck consumers leave nothing unacked; acking their message is a 406", async (t) => {
  const { ch } = await open(t);
  const q = await queueWith(ch, ["n"]);
  const [m] = await collect(ch, q, 1);
  assert.equal((await ch.stats(q)).unacked, 0);
  await assertChannelError(ch, () => ch.ack(m), 406, "PRECONDITION-FAILED",
    `PRECONDITION_FAILED - unknown delivery tag ${m.fields.deliveryTag}`);
});

test("exclusive consumer: a second consumer is refused with 403", async (t) => {
  const { conn, ch } = await open(t);
  const q = await queueWith(ch, []);
  await ch.consume(q, () => {}, { exclusive: true });
  const ch2 = await channel(conn);
  await assertChannelError(ch2, ch2.consume(q, () => {}), 403, "ACCESS-REFUSED",
    `ACCESS_REFUSED - queue '${q}' in vhost '/' in exclusive use`);
});

test("consuming from a missing queue is a 404 that closes the channel", async (t) => {
  const { ch } = await open(t);
  const q = uniq("missing");
  await assertChannelError(ch, ch.consume(q, () => {}), 404, "NOT-FOUND", `NOT_FOUND - no queue '${q}' in vhost '/'`);
});

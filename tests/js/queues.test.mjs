// Queues: declare/check/delete/purge, server-named, exclusive, autoDelete, and every
// assertQueue option mapped to its x-argument (checked by behaviour, not by inspection).
import assert from "node:assert/strict";
import {
  assertChannelError, channel, collect, connect, closeQuietly, drain, open, sendAll, sleep, test, text, until, uniq,
} from "./helpers.mjs";

test("assertQueue returns {queue, messageCount, consumerCount}; checkQueue agrees", async (t) => {
  const { ch } = await open(t);
  const q = uniq("q");
  assert.deepEqual(await ch.assertQueue(q, { durable: false }), { queue: q, messageCount: 0, consumerCount: 0 });
  sendAll(ch, q, ["a", "b"]);
  await ch.consume(q, () => {}, { noAck: false, consumerTag: "holder" });
  await sleep(20);
  // Both messages are now delivered and unacked: none is ready.
  const ok = await ch.checkQueue(q);
  assert.equal(ok.queue, q);
  assert.equal(ok.consumerCount, 1);
  assert.equal(ok.messageCount, 0, "delivered messages are not ready messages");
  const again = await ch.assertQueue(q, { durable: false });
  assert.equal(again.consumerCount, 1);
});

test("server-named queues: '' or no name gives a fresh amq.gen-… name", async (t) => {
  const { ch } = await open(t);
  const a = await ch.assertQueue("", { exclusive: true });
  const b = await ch.assertQueue(undefined, { exclusive: true });
  const c = await ch.assertQueue();
  for (const ok of [a, b, c]) assert.match(ok.queue, /^amq\.gen-[\w-]+$/);
  assert.equal(new Set([a.queue, b.queue, c.queue]).size, 3);
  ch.sendToQueue(a.queue, Buffer.from("to a generated name"));
  assert.equal(text((await collect(ch, a.queue, 1))[0]), "to a generated name");
});

test("purgeQueue and deleteQueue report the ready messages they removed", async (t) => {
  const { ch } = await open(t);
  const q = uniq("q");
  await ch.assertQueue(q, { durable: false });
  sendAll(ch, q, ["1", "2", "3"]);
  await sleep(20);
  assert.deepEqual(await ch.purgeQueue(q), { messageCount: 3 });
  sendAll(ch, q, ["4", "5"]);
  await sleep(20);
  assert.deepEqual(await ch.deleteQueue(q), { messageCount: 2 });
  await assertChannelError(ch, ch.checkQueue(q), 404, "NOT-FOUND", `NOT_FOUND - no queue '${q}' in vhost '/'`);
});

test("deleteQueue ifEmpty / ifUnused refuse with 406", async (t) => {
  const { conn, ch } = await open(t);
  const q = uniq("q");
  await ch.assertQueue(q, { durable: false });
  ch.sendToQueue(q, Buffer.from("x"));
  await sleep(20);
  await assertChannelError(ch, ch.deleteQueue(q, { ifEmpty: true }), 406, "PRECONDITION-FAILED",
    `PRECONDITION_FAILED - queue '${q}' in vhost '/' not empty`);
  const ch2 = await channel(conn);
  await ch2.consume(q, () => {}, { noAck: true });
  const ch3 = await channel(conn);
  await assertChannelError(ch3, ch3.deleteQueue(q, { ifUnused: true }), 406, "PRECONDITION-FAILED",
    `PRECONDITION_FAILED - queue '${q}' in vhost '/' in use`);
});

test("redeclaring with different properties fails with 406 inequivalent arg", async (t) => {
  const { conn, ch } = await open(t);
  const q = uniq("q");
  await ch.assertQueue(q, { durable: true });
  await assertChannelError(ch, ch.assertQueue(q, { durable: false }), 406, "PRECONDITION-FAILED",
    `PRECONDITION_FAILED - inequivalent arg 'durable' for queue '${q}' in vhost '/'`);
  const ch2 = await channel(conn);
  await ch2.assertQueue(q, { durable: true });
  await assertChannelError(ch2, ch2.assertQueue(q, { durable: true, messageTtl: 1000 }), 406, "PRECONDITION-FAILED",
    `PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue '${q}' in vhost '/'`);
});

test("exclusive: other connections get 405 RESOURCE_LOCKED; closing the owner deletes it", async (t) => {
  const bus = `switchyard://${uniq("bus")}`;
  const owner = await open(t, { bus });
  const other = await open(t, { bus });
  const q = uniq("excl");
  await owner.ch.assertQueue(q, { exclusive: true });
  const locked = `RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '${q}' in vhost '/'`;
  await assertChannelError(other.ch, other.ch.consume(q, () => {}), 405, "RESOURCE-LOCKED", locked);
  const ch2 = await channel(other.conn);
  await assertChannelError(ch2, ch2.assertQueue(q, { exclusive: true }), 405, "RESOURCE-LOCKED", locked);
  await owner.conn.close();
  const ch3 = await channel(other.conn);
  await assertChannelError(ch3, ch3.checkQueue(q), 404, "NOT-FOUND", `NOT_FOUND - no queue '${q}' in vhost '/'`);
});

test("autoDelete: the queue goes when its last consumer is cancelled, not before", async (t) => {
  const { conn, ch } = await open(t);
  const q = uniq("auto");
  await ch.assertQueue(q, { durable: false, autoDelete: true });
  await sleep(30);
  assert.equal((await ch.checkQueue(q)).queue, q, "no consumer yet: still there");
  const a = await ch.consume(q, () => {}, { noAck: true });
  const b = await ch.consume(q, () => {}, { noAck: true });
  await ch.cancel(a.consumerTag);
  assert.equal((await ch.checkQueue(q)).consumerCount, 1);
  await ch.cancel(b.consumerTag);
  const ch2 = await channel(conn);
  await assertChannelError(ch2, ch2.checkQueue(q), 404, "NOT-FOUND", `NOT_FOUND - no queue '${q}' in vhost '/'`);
});

test("messageTtl: messages older than the TTL are gone; newer ones stay", async (t) => {
  const { ch } = await open(t);
  const q = uniq("ttl");
  await ch.assertQueue(q, { durable: false, messageTtl: 40 });
  ch.sendToQueue(q, Buffer.from("old"));
  await sleep(150);
  ch.sendToQueue(q, Buffer.from("new"));
  assert.deepEqual(await drain(ch, q), ["new"]);
  assert.equal((await ch.stats(q)).messages, 0);
});

test("per-message expiration (number or string) expires only that message", async (t) => {
  const { ch } = await open(t);
  const q = uniq("exp");
  await ch.assertQueue(q, { durable: false });
  ch.sendToQueue(q, Buffer.from("short"), { expiration: 40 });
  ch.sendToQueue(q, Buffer.from("short-str"), { expiration: "40" });
  ch.sendToQueue(q, Buffer.from("long"), { expiration: 60_000 });
  ch.sendToQueue(q, Buffer.from("forever"));
  await sleep(150);
  const left = [];
  for (let m = await ch.get(q, { noAck: true }); m; m = await ch.get(q, { noAck: true })) left.push(m);
  assert.deepEqual(left.map(text), ["long", "forever"]);
  assert.equal(left[0].properties.expiration, "60000", "expiration is delivered as a string");
  assert.equal(left[1].properties.expiration, undefined);
});

test("expires: an unused queue is deleted after the given time", async (t) => {
  const { conn, ch } = await open(t);
  const q = uniq("expires");
  await ch.assertQueue(q, { durable: false, expires: 60 });
  assert.equal((await ch.checkQueue(q)).queue, q);
  await sleep(250);
  await assertChannelError(ch, ch.checkQueue(q), 404, "NOT-FOUND", `NOT_FOUND - no queue '${q}' in vhost '/'`);
  const ch2 = await channel(conn);
  const used = uniq("expires-used");
  await ch2.assertQueue(used, { durable: false, expires: 60 });
  await ch2.consume(used, () => {}, { noAck: true });
  await sleep(250);
  assert.equal((await ch2.checkQueue(used)).consumerCount, 1, "a queue with a consumer is in use");
});

test("maxLength with the default overflow drops from the head", async (t) => {
  const { ch } = await open(t);
  const q = uniq("maxlen");
  await ch.assertQueue(q, { durable: false, maxLength: 2 });
  sendAll(ch, q, ["1", "2", "3", "4"]);
  await sleep(20);
  assert.equal((await ch.checkQueue(q)).messageCount, 2);
  assert.deepEqual(await drain(ch, q), ["3", "4"]);
});

test("maxLength through arguments (x-max-length) behaves the same", async (t) => {
  const { ch } = await open(t);
  const q = uniq("maxlen-arg");
  await ch.assertQueue(q, { durable: false, arguments: { "x-max-length": 1 } });
  sendAll(ch, q, ["1", "2"]);
  await sleep(20);
  assert.deepEqual(await drain(ch, q), ["2"]);
});

test("maxLengthBytes limits the ready body bytes", async (t) => {
  const { ch } = await open(t);
  const q = uniq("maxbytes");
  await ch.assertQueue(q, { durable: false, maxLengthBytes: 10 });
  sendAll(ch, q, ["aaaa", "bbbb", "cccc", "dddd"]);
  await sleep(20);
  const stats = await ch.stats(q);
  assert.equal(stats.messages, 2);
  assert.equal(stats.bytes, 8);
  assert.deepEqual(await drain(ch, q), ["cccc", "dddd"]);
});

test("overflow reject-publish keeps the old messages and refuses new ones", async (t) => {
  const { ch } = await open(t);
  const q = uniq("reject");
  await ch.assertQueue(q, { durable: false, maxLength: 2, overflow: "reject-publish" });
  sendAll(ch, q, ["1", "2", "3"]);
  await sleep(20);
  assert.deepEqual(await drain(ch, q), ["1", "2"]);
  assert.deepEqual(ch.errorsSeen, [], "a refused publish does not close the channel");
});

test("overflow reject-publish-dlx dead-letters the refused message (reason maxlen)", async (t) => {
  const { ch } = await open(t);
  const q = uniq("reject-dlx");
  const dead = uniq("dead");
  await ch.assertQueue(dead, { durable: false });
  await ch.assertQueue(q, {
    durable: false, maxLength: 1, overflow: "reject-publish-dlx", deadLetterExchange: "", deadLetterRoutingKey: dead,
  });
  sendAll(ch, q, ["kept", "refused"]);
  const [msg] = await collect(ch, dead, 1);
  assert.equal(text(msg), "refused");
  assert.equal(msg.properties.headers["x-death"][0].reason, "maxlen");
  assert.deepEqual(await drain(ch, q), ["kept"]);
});

test("maxPriority: higher priority first, FIFO within a priority, above max counts as max", async (t) => {
  const { ch } = await open(t);
  const q = uniq("prio");
  await ch.assertQueue(q, { durable: false, maxPriority: 5 });
  ch.sendToQueue(q, Buffer.from("p0-a"));
  ch.sendToQueue(q, Buffer.from("p1"), { priority: 1 });
  ch.sendToQueue(q, Buffer.from("p9-as-5"), { priority: 9 });
  ch.sendToQueue(q, Buffer.from("p5"), { priority: 5 });
  ch.sendToQueue(q, Buffer.from("p0-b"), { priority: 0 });
  ch.sendToQueue(q, Buffer.from("p3"), { priority: 3 });
  await sleep(20);
  const got = [];
  for (let m = await ch.get(q, { noAck: true }); m; m = await ch.get(q, { noAck: true })) got.push(m);
  assert.deepEqual(got.map(text), ["p9-as-5", "p5", "p3", "p1", "p0-a", "p0-b"]);
  assert.equal(got[0].properties.priority, 9, "the property is delivered as published");
});

test("a queue without maxPriority ignores message priorities", async (t) => {
  const { ch } = await open(t);
  const q = uniq("noprio");
  await ch.assertQueue(q, { durable: false });
  ch.sendToQueue(q, Buffer.from("low"), { priority: 1 });
  ch.sendToQueue(q, Buffer.from("high"), { priority: 9 });
  await sleep(20);
  assert.deepEqual(await drain(ch, q), ["low", "high"]);
});

test("singleActiveConsumer: one consumer gets everything until it goes, then the next", async (t) => {
  const { ch } = await open(t);
  const q = uniq("sac");
  await ch.assertQueue(q, { durable: false, singleActiveConsumer: true });
  const a = [];
  const b = [];
  const first = await ch.consume(q, (m) => m && a.push(text(m)), { noAck: true });
  await ch.consume(q, (m) => m && b.push(text(m)), { noAck: true });
  sendAll(ch, q, ["1", "2", "3", "4"]);
  await until(() => a.length === 4, { what: "4 messages to the active consumer" });
  assert.deepEqual(b, []);
  await ch.cancel(first.consumerTag);
  sendAll(ch, q, ["5", "6"]);
  await until(() => b.length === 2, { what: "the next consumer to take over" });
  assert.deepEqual([a, b], [["1", "2", "3", "4"], ["5", "6"]]);
});

test("deliveryLimit: a message returned more than N times is dead-lettered (delivery_limit)", async (t) => {
  const { ch } = await open(t);
  const q = uniq("limit");
  const dead = uniq("dead");
  await ch.assertQueue(dead, { durable: false });
  await ch.assertQueue(q, { durable: false, deliveryLimit: 2, deadLetterExchange: "", deadLetterRoutingKey: dead });
  let deliveries = 0;
  await ch.consume(q, (m) => {
    if (!m) return;
    deliveries++;
    ch.nack(m, false, true);
  });
  ch.sendToQueue(q, Buffer.from("poison"));
  const [msg] = await collect(ch, dead, 1);
  assert.equal(text(msg), "poison");
  assert.equal(deliveries, 3, "delivered once plus two redeliveries");
  assert.equal(msg.properties.headers["x-death"][0].reason, "delivery_limit");
});

test("queueMode is accepted and changes nothing", async (t) => {
  const { ch } = await open(t);
  const q = uniq("lazy");
  await ch.assertQueue(q, { durable: false, queueMode: "lazy" });
  ch.sendToQueue(q, Buffer.from("x"));
  assert.equal(text((await collect(ch, q, 1))[0]), "x");
});

test("durable queues and persistent messages work on the memory store", async (t) => {
  const { ch } = await open(t);
  const q = uniq("durable");
  await ch.assertQueue(q, { durable: true });
  ch.sendToQueue(q, Buffer.from("p"), { persistent: true });
  const [msg] = await collect(ch, q, 1);
  assert.equal(msg.properties.deliveryMode, 2);
});

test("a queue name with the amq. prefix is refused with 403", async (t) => {
  const { ch } = await open(t);
  await assertChannelError(ch, ch.assertQueue("amq.mine"), 403, "ACCESS-REFUSED",
    "ACCESS_REFUSED - queue name 'amq.mine' contains reserved prefix 'amq.*'");
});

test("connections to one bus see one set of queues", async (t) => {
  const bus = `switchyard://${uniq("bus")}`;
  const a = await open(t, { bus });
  const b = await connect(bus);
  t.after(() => closeQuietly(b));
  const q = uniq("q");
  await a.ch.assertQueue(q, { durable: false });
  const bch = await channel(b);
  bch.sendToQueue(q, Buffer.from("cross-connection"));
  assert.equal(text((await collect(a.ch, q, 1))[0]), "cross-connection");
});

// Channel errors (AMQP reply codes close the channel, as amqplib reports them) and bad input
// from JS (TypeError/RangeError with a string code, channel left open). Each case ends with
// proof that the connection (and, for bad input, the channel) still publishes and consumes.
import assert from "node:assert/strict";
import {
  assertChannelError, assertChannelWorks, assertConnectionWorks, channel, collect, connect, closeQuietly,
  isBadInput, isChannelClosed, open, sleep, test, until, uniq,
} from "./helpers.mjs";

// --- channel errors ---------------------------------------------------------------------------

test("404 from an RPC: rejected, then 'error' and 'close'; later calls fail 'Channel closed'", async (t) => {
  const { conn, ch } = await open(t);
  const q = uniq("missing");
  await assertChannelError(ch, ch.checkQueue(q), 404, "NOT-FOUND", `NOT_FOUND - no queue '${q}' in vhost '/'`);
  assert.throws(() => ch.sendToQueue("x", Buffer.from("x")), isChannelClosed);
  assert.throws(() => ch.publish("", "x", Buffer.from("x")), isChannelClosed);
  assert.throws(() => ch.ackAll(), isChannelClosed);
  await assert.rejects(ch.assertQueue("x"), isChannelClosed);
  await assert.rejects(ch.consume("x", () => {}), isChannelClosed);
  await assert.rejects(ch.get("x"), isChannelClosed);
  await assert.rejects(ch.prefetch(1), isChannelClosed);
  await assert.rejects(ch.close(), isChannelClosed);
  assert.equal(ch.errorsSeen.length, 1, "'error' is emitted once");
  await assertConnectionWorks(conn);
});

test("404 from publish to a missing exchange: publish returns, the channel then closes", async (t) => {
  const { conn, ch } = await open(t);
  const ex = uniq("nope");
  await assertChannelError(ch, () => assert.equal(ch.publish(ex, "k", Buffer.from("x")), true), 404, "NOT-FOUND",
    `NOT_FOUND - no exchange '${ex}' in vhost '/'`);
  await assertConnectionWorks(conn);
});

test("404 from bindQueue to a missing exchange and checkExchange", async (t) => {
  const { conn, ch } = await open(t);
  const q = uniq("q");
  await ch.assertQueue(q, { durable: false });
  const ex = uniq("nope");
  await assertChannelError(ch, ch.bindQueue(q, ex, ""), 404, "NOT-FOUND", `NOT_FOUND - no exchange '${ex}' in vhost '/'`);
  const ch2 = await channel(conn);
  await assertChannelError(ch2, ch2.checkExchange(ex), 404, "NOT-FOUND", `NOT_FOUND - no exchange '${ex}' in vhost '/'`);
  await assertConnectionWorks(conn);
});

test("406 from redeclaring an exchange with another type", async (t) => {
  const { conn, ch } = await open(t);
  const ex = uniq("ex");
  await ch.assertExchange(ex, "fanout", { durable: false });
  await assertChannelError(ch, ch.assertExchange(ex, "direct", { durable: false }), 406, "PRECONDITION-FAILED",
    `PRECONDITION_FAILED - inequivalent arg 'type' for exchange '${ex}' in vhost '/'`);
  await assertConnectionWorks(conn);
});

test("406 from acking an unknown delivery tag: 'error' then 'close' (ack itself returns)", async (t) => {
  const { conn, ch } = await open(t);
  const q = uniq("q");
  await ch.assertQueue(q, { durable: false });
  ch.sendToQueue(q, Buffer.from("x"));
  await sleep(20);
  const m = await ch.get(q);
  ch.ack(m);
  await assertChannelError(ch, () => assert.equal(ch.ack(m), undefined), 406, "PRECONDITION-FAILED",
    `PRECONDITION_FAILED - unknown delivery tag ${m.fields.deliveryTag}`);
  await assertConnectionWorks(conn);
});

test("406 from a message acked on another channel", async (t) => {
  const { conn, ch } = await open(t);
  const q = uniq("q");
  await ch.assertQueue(q, { durable: false });
  ch.sendToQueue(q, Buffer.from("x"));
  const [m] = await collect(ch, q, 1, { options: { noAck: false } });
  const other = await channel(conn);
  await assertChannelError(other, () => other.ack(m), 406, "PRECONDITION-FAILED", "PRECONDITION_FAILED - unknown delivery tag");
  ch.ack(m);
  await sleep(20);
  assert.deepEqual(ch.errorsSeen, [], "the right channel can still ack it");
  await assertConnectionWorks(conn);
});

test("406 from an invalid x-argument value", async (t) => {
  const { conn, ch } = await open(t);
  const q = uniq("q");
  await assertChannelError(ch, ch.assertQueue(q, { arguments: { "x-max-length": "ten" } }), 406, "PRECONDITION-FAILED",
    `PRECONDITION_FAILED - invalid arg 'x-max-length' for queue '${q}' in vhost '/'`);
  await assertConnectionWorks(conn);
});

test("406 from an unknown overflow value, as RabbitMQ answers an invalid x-overflow", async (t) => {
  const { conn, ch } = await open(t);
  const q = uniq("q");
  await assertChannelError(ch, ch.assertQueue(q, { overflow: "drop-tail" }), 406, "PRECONDITION-FAILED",
    `PRECONDITION_FAILED - invalid arg 'x-overflow' for queue '${q}' in vhost '/'`);
  await assertConnectionWorks(conn);
});

test("405 from another connection's exclusive queue; 403 from a reserved name", async (t) => {
  const bus = `switchyard://${uniq("bus")}`;
  const owner = await open(t, { bus });
  const { conn, ch } = await open(t, { bus });
  const q = uniq("mine");
  await owner.ch.assertQueue(q, { exclusive: true });
  await assertChannelError(ch, ch.purgeQueue(q), 405, "RESOURCE-LOCKED",
    `RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '${q}' in vhost '/'`);
  const ch2 = await channel(conn);
  await assertChannelError(ch2, ch2.deleteExchange("amq.direct"), 403, "ACCESS-REFUSED", "ACCESS_REFUSED - ");
  await assertConnectionWorks(conn);
  await assertConnectionWorks(owner.conn);
});

test("a channel error closes only that channel: its siblings and consumers carry on", async (t) => {
  const { conn, ch } = await open(t);
  const q = uniq("q");
  await ch.assertQueue(q, { durable: false });
  const got = [];
  await ch.consume(q, (m) => m && got.push(m.content.toString()), { noAck: true });
  const doomed = await channel(conn);
  await assertChannelError(doomed, doomed.checkQueue(uniq("missing")), 404, "NOT-FOUND", "NOT_FOUND - no queue");
  ch.sendToQueue(q, Buffer.from("after the sibling died"));
  await until(() => got.length === 1, { what: "the delivery" });
  assert.deepEqual(got, ["after the sibling died"]);
});

test("a channel error requeues that channel's unacked messages", async (t) => {
  const { conn, ch } = await open(t);
  const q = uniq("q");
  await ch.assertQueue(q, { durable: false });
  ch.sendToQueue(q, Buffer.from("held"));
  await collect(ch, q, 1, { options: { noAck: false } });
  await assertChannelError(ch, ch.checkQueue(uniq("missing")), 404, "NOT-FOUND", "NOT_FOUND - no queue");
  const ch2 = await channel(conn);
  const [again] = await collect(ch2, q, 1);
  assert.equal(again.fields.redelivered, true);
});

test("an unknown exchange type is a TypeError, not a channel error", async (t) => {
  const { ch } = await open(t);
  await assert.rejects(ch.assertExchange(uniq("ex"), "x-delayed-message"), isBadInput(TypeError));
  await assert.rejects(ch.assertExchange(uniq("ex"), "Direct"), isBadInput(TypeError));
  await sleep(20);
  assert.deepEqual(ch.errorsSeen, []);
  await assertChannelWorks(ch);
});

// --- bad input ---------------------------------------------------------------------------------

/** Each case: [description, call(ch, q), Type, code]; `sync` cases throw, the others reject. */
const SYNC_CASES = [
  ["sendToQueue with a non-string queue", (ch) => ch.sendToQueue(123, Buffer.from("x")), TypeError],
  ["publish without content", (ch, q) => ch.publish("", q), TypeError],
  ["sendToQueue with undefined content", (ch, q) => ch.sendToQueue(q, undefined), TypeError],
  ["publish with a non-string routing key", (ch) => ch.publish("", { key: 1 }, Buffer.from("x")), TypeError],
  ["publish with an unknown option", (ch, q) => ch.publish("", q, Buffer.from("x"), { persistant: true }), TypeError, "SWITCHYARD_UNKNOWN_OPTION"],
  ["publish with options that are not an object", (ch, q) => ch.publish("", q, Buffer.from("x"), "persistent"), TypeError],
  ["priority above 255", (ch, q) => ch.sendToQueue(q, Buffer.from("x"), { priority: 256 }), RangeError],
  ["negative priority", (ch, q) => ch.sendToQueue(q, Buffer.from("x"), { priority: -1 }), RangeError],
  ["a string priority", (ch, q) => ch.sendToQueue(q, Buffer.from("x"), { priority: "high" }), TypeError],
  ["negative expiration", (ch, q) => ch.sendToQueue(q, Buffer.from("x"), { expiration: -5 }), RangeError],
  ["negative delay", (ch, q) => ch.sendToQueue(q, Buffer.from("x"), { delay: -1 }), RangeError],
  ["headers that are not an object", (ch, q) => ch.sendToQueue(q, Buffer.from("x"), { headers: "h" }), TypeError],
  ["ack without a message", (ch) => ch.ack(undefined), TypeError],
  ["nack with a non-message", (ch) => ch.nack({ some: "thing" }), TypeError],
  ["reject with a number", (ch) => ch.reject(7), TypeError],
  ["nackWithDelay with a negative delay", (ch, q, m) => ch.nackWithDelay(m, -1), RangeError],
  ["nackWithDelay without a delay", (ch, q, m) => ch.nackWithDelay(m), TypeError],
];

const ASYNC_CASES = [
  ["assertQueue with a string durable", (ch) => ch.assertQueue(uniq("q"), { durable: "yes" }), TypeError],
  ["assertQueue with an unknown option", (ch) => ch.assertQueue(uniq("q"), { autodelete: true }), TypeError, "SWITCHYARD_UNKNOWN_OPTION"],
  ["assertQueue with a negative messageTtl", (ch) => ch.assertQueue(uniq("q"), { messageTtl: -5 }), RangeError],
  ["assertQueue with maxPriority 256", (ch) => ch.assertQueue(uniq("q"), { maxPriority: 256 }), RangeError],
  ["assertQueue with a non-string name", (ch) => ch.assertQueue(42), TypeError],
  ["checkQueue without a name", (ch) => ch.checkQueue(), TypeError],
  ["assertExchange without a type", (ch) => ch.assertExchange(uniq("ex")), TypeError],
  ["bindQueue without a pattern", (ch, q) => ch.bindQueue(q, "amq.direct"), TypeError],
  ["deleteQueue with an unknown option", (ch, q) => ch.deleteQueue(q, { force: true }), TypeError, "SWITCHYARD_UNKNOWN_OPTION"],
  ["consume without a callback", (ch, q) => ch.consume(q), TypeError],
  ["consume with a non-function callback", (ch, q) => ch.consume(q, "onMessage"), TypeError],
  ["consume with a string noAck", (ch, q) => ch.consume(q, () => {}, { noAck: "yes" }), TypeError],
  ["consume with a signal that is not an AbortSignal", (ch, q) => ch.consume(q, () => {}, { signal: {} }), TypeError],
  ["get with an unknown option", (ch, q) => ch.get(q, { exclusive: true }), TypeError, "SWITCHYARD_UNKNOWN_OPTION"],
  ["prefetch(-1)", (ch) => ch.prefetch(-1), RangeError],
  ["prefetch(65536)", (ch) => ch.prefetch(65536), RangeError],
  ["prefetch('10')", (ch) => ch.prefetch("10"), TypeError],
  ["cancel without a tag", (ch) => ch.cancel(), TypeError],
  ["stats without a queue", (ch) => ch.stats(), TypeError],
];

/** A channel, a queue with one unacked message `m` (for the ack-family cases). */
async function fixture(t) {
  const { conn, ch } = await open(t);
  const q = uniq("bad-input");
  await ch.assertQueue(q, { durable: false });
  ch.sendToQueue(q, Buffer.from("held"));
  await sleep(20);
  const m = await ch.get(q);
  assert.ok(m, "fixture message");
  return { conn, ch, q, m };
}

for (const [what, call, Type, code = "SWITCHYARD_INVALID_ARGUMENT"] of SYNC_CASES) {
  test(`bad input (sync throw): ${what} → ${Type.name} ${code}; the channel stays open`, async (t) => {
    const { ch, q, m } = await fixture(t);
    assert.throws(() => call(ch, q, m), isBadInput(Type, code));
    ch.ack(m);
    await assertChannelWorks(ch);
    assert.deepEqual(ch.errorsSeen, []);
  });
}

for (const [what, call, Type, code = "SWITCHYARD_INVALID_ARGUMENT"] of ASYNC_CASES) {
  test(`bad input (rejects): ${what} → ${Type.name} ${code}; the channel stays open`, async (t) => {
    const { ch, q, m } = await fixture(t);
    let result;
    assert.doesNotThrow(() => {
      result = call(ch, q, m);
    }, "a promise method reports bad input by rejecting, not throwing");
    assert.ok(result instanceof Promise, "returns a promise");
    await assert.rejects(result, isBadInput(Type, code));
    ch.ack(m);
    await assertChannelWorks(ch);
    assert.deepEqual(ch.errorsSeen, []);
  });
}

test("after a burst of bad input the connection still publishes and consumes", async (t) => {
  const conn = await connect(`switchyard://${uniq("bus")}`);
  t.after(() => closeQuietly(conn));
  const ch = await channel(conn);
  for (let i = 0; i < 50; i++) {
    assert.throws(() => ch.sendToQueue(i, Buffer.from("x")), TypeError);
    await assert.rejects(ch.prefetch(-i - 1), RangeError);
  }
  await assertChannelWorks(ch);
  await assertConnectionWorks(conn);
});

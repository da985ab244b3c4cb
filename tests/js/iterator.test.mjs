// Switchyard additions: channel.messages() (async iterator), AbortSignal on consume, stats().
import assert from "node:assert/strict";
import { collect, open, sendAll, sleep, test, text, until, uniq } from "./helpers.mjs";

async function queueWith(ch, bodies) {
  const q = uniq("q");
  await ch.assertQueue(q, { durable: false });
  sendAll(ch, q, bodies);
  return q;
}

test("messages(): for await yields messages in order; break cancels the consumer", async (t) => {
  const { ch } = await open(t);
  const q = await queueWith(ch, ["1", "2", "3", "4", "5"]);
  const got = [];
  for await (const msg of ch.messages(q)) {
    got.push(text(msg));
    ch.ack(msg);
    if (got.length === 3) break;
  }
  assert.deepEqual(got, ["1", "2", "3"]);
  await until(async () => (await ch.stats(q)).consumers === 0, { what: "the consumer to be cancelled" });
  await sleep(20);
  const stats = await ch.stats(q);
  assert.equal(stats.messages + stats.unacked, 2, "the rest stay in the queue (ready or, if prefetched, unacked)");
  ch.ackAll();
});

test("messages(): messages published later arrive; noAck option is honoured", async (t) => {
  const { ch } = await open(t);
  const q = await queueWith(ch, []);
  setTimeout(() => sendAll(ch, q, ["late-1", "late-2"]), 30);
  const got = [];
  for await (const msg of ch.messages(q, { noAck: true })) {
    got.push(text(msg));
    assert.equal(msg.fields.redelivered, false);
    assert.equal(typeof msg.fields.consumerTag, "string");
    if (got.length === 2) break;
  }
  assert.deepEqual(got, ["late-1", "late-2"]);
  assert.equal((await ch.stats(q)).unacked, 0);
});

test("messages(): aborting the signal ends the loop and cancels the consumer", async (t) => {
  const { ch } = await open(t);
  const q = await queueWith(ch, ["a"]);
  const controller = new AbortController();
  const got = [];
  let ended = "normally";
  try {
    for await (const msg of ch.messages(q, { signal: controller.signal, noAck: true })) {
      got.push(text(msg));
      setTimeout(() => controller.abort(), 10);
    }
  } catch (err) {
    assert.equal(err.name, "AbortError", `an abort ends the loop normally or with an AbortError, not ${err}`);
    ended = "with AbortError";
  }
  assert.deepEqual(got, ["a"], `loop ended ${ended}`);
  await until(async () => (await ch.stats(q)).consumers === 0, { what: "the consumer to be cancelled" });
  ch.sendToQueue(q, Buffer.from("after abort"));
  await sleep(20);
  assert.equal((await ch.stats(q)).messages, 1, "nobody consumes after the abort");
});

test("messages(): iterators on two queues run side by side", async (t) => {
  const { ch } = await open(t);
  const a = await queueWith(ch, ["a1", "a2"]);
  const b = await queueWith(ch, ["b1", "b2"]);
  const take = async (q) => {
    const out = [];
    for await (const msg of ch.messages(q, { noAck: true })) {
      out.push(text(msg));
      if (out.length === 2) break;
    }
    return out;
  };
  assert.deepEqual(await Promise.all([take(a), take(b)]), [["a1", "a2"], ["b1", "b2"]]);
});

test("messages(): the iterator ends when its queue is deleted", async (t) => {
  const { conn, ch } = await open(t);
  const q = await queueWith(ch, ["only"]);
  const other = await conn.createChannel();
  const got = [];
  for await (const msg of ch.messages(q, { noAck: true })) {
    got.push(text(msg));
    await other.deleteQueue(q);
  }
  assert.deepEqual(got, ["only"], "the loop ends by itself after the server cancel");
});

test("consume({signal}): aborting cancels the consumer; no deliveries after", async (t) => {
  const { ch } = await open(t);
  const q = await queueWith(ch, []);
  const controller = new AbortController();
  const got = [];
  await ch.consume(q, (m) => m && got.push(text(m)), { noAck: true, signal: controller.signal });
  ch.sendToQueue(q, Buffer.from("before"));
  await until(() => got.length === 1, { what: "a delivery" });
  controller.abort();
  await until(async () => (await ch.checkQueue(q)).consumerCount === 0, { what: "the consumer to go" });
  ch.sendToQueue(q, Buffer.from("after"));
  await sleep(40);
  assert.deepEqual(got, ["before"]);
  assert.equal((await ch.checkQueue(q)).messageCount, 1);
});

test("consume({signal}) with an already-aborted signal starts no consumer", async (t) => {
  const { ch } = await open(t);
  const q = await queueWith(ch, ["x"]);
  const got = [];
  try {
    await ch.consume(q, (m) => m && got.push(m), { noAck: true, signal: AbortSignal.abort() });
  } catch (err) {
    assert.equal(err.name, "AbortError");
  }
  await sleep(30);
  assert.deepEqual(got, []);
  assert.equal((await ch.checkQueue(q)).consumerCount, 0);
});

test("stats(): depth, bytes, unacked, consumers and the counters follow what happened", async (t) => {
  const { ch } = await open(t);
  const dead = uniq("dead");
  await ch.assertQueue(dead, { durable: false });
  const q = uniq("counted");
  await ch.assertQueue(q, { durable: false, deadLetterExchange: "", deadLetterRoutingKey: dead });
  const empty = await ch.stats(q);
  assert.deepEqual(empty, {
    queue: q, messages: 0, bytes: 0, unacked: 0, delayed: 0, consumers: 0,
    published: 0, delivered: 0, redelivered: 0, acked: 0, deadLettered: 0, dropped: 0,
  });
  sendAll(ch, q, ["aaaa", "bb", "c", "dddddd"]);
  await sleep(20);
  let s = await ch.stats(q);
  assert.deepEqual([s.messages, s.bytes, s.published], [4, 13, 4]);

  await ch.prefetch(2);
  const [m1, m2] = await collect(ch, q, 2, { options: { noAck: false } });
  ch.ack(m1);
  ch.reject(m2, false);
  await sleep(20);
  s = await ch.stats(q);
  assert.deepEqual([s.messages, s.bytes, s.unacked, s.delivered, s.acked, s.deadLettered], [2, 7, 0, 2, 1, 1]);

  const tag = (await ch.consume(q, () => {}, { noAck: false })).consumerTag;
  await sleep(20);
  s = await ch.stats(q);
  assert.deepEqual([s.consumers, s.unacked, s.messages, s.bytes, s.delivered], [1, 2, 0, 0, 4]);
  await ch.recover();
  await sleep(20);
  s = await ch.stats(q);
  assert.deepEqual([s.unacked, s.redelivered, s.delivered], [2, 2, 6], "recover redelivers to the same consumer");
  await ch.cancel(tag);
  ch.ackAll();
  await sleep(20);
  s = await ch.stats(q);
  assert.deepEqual([s.consumers, s.unacked, s.acked, s.dropped], [0, 0, 3, 0]);
  assert.equal((await ch.stats(dead)).messages, 1);
});

test("stats() of a missing queue rejects with SWITCHYARD_NOT_FOUND and closes nothing", async (t) => {
  const { ch } = await open(t);
  await assert.rejects(ch.stats(uniq("missing")), (err) => err.code === "SWITCHYARD_NOT_FOUND");
  await ch.assertQueue("still-open", { durable: false });
});

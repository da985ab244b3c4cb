// TTL and dead-lettering with x-death headers; switchyard's publish `delay` and nackWithDelay.
// Timeouts are small and real (30–80 ms); waits are generous for a slow shared machine.
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { collect, open, sleep, test, text, until, uniq } from "./helpers.mjs";

/** Splits an x-death entry into its `time` and the rest, checking `time` is a recent timestamp
 * (amqplib's tagged form, or a bare number of seconds: the form itself has its own test). */
function withoutTime(death) {
  const { time, ...rest } = death;
  const seconds = typeof time === "number" ? time : time?.value;
  assert.equal(typeof seconds, "number", `time ${JSON.stringify(time)} is a timestamp`);
  assert.ok(Math.abs(seconds - Date.now() / 1000) < 30, `time ${seconds} is seconds since the epoch, about now`);
  return rest;
}

async function deadQueue(ch) {
  const dead = uniq("dead");
  await ch.assertQueue(dead, { durable: false });
  return dead;
}

test("reject / nack without requeue dead-letter with reason 'rejected' and the DLX routing key", async (t) => {
  const { ch } = await open(t);
  const dlx = uniq("dlx");
  await ch.assertExchange(dlx, "direct", { durable: false });
  const dead = await deadQueue(ch);
  await ch.bindQueue(dead, dlx, "dead-key");
  const work = uniq("work");
  await ch.assertQueue(work, { durable: false, deadLetterExchange: dlx, deadLetterRoutingKey: "dead-key" });
  ch.sendToQueue(work, Buffer.from("r1"), { messageId: "m-1", headers: { keep: "yes" } });
  ch.sendToQueue(work, Buffer.from("n1"));
  const [r1, n1] = await collect(ch, work, 2, { options: { noAck: false } });
  ch.reject(r1, false);
  ch.nack(n1, false, false);
  const got = await collect(ch, dead, 2);
  assert.deepEqual(got.map(text), ["r1", "n1"]);
  const [m] = got;
  assert.equal(m.fields.exchange, dlx);
  assert.equal(m.fields.routingKey, "dead-key");
  assert.equal(m.fields.redelivered, false);
  assert.equal(m.properties.messageId, "m-1");
  const h = m.properties.headers;
  assert.equal(h.keep, "yes", "the original headers are kept");
  assert.equal(h["x-death"].length, 1);
  assert.deepEqual(withoutTime(h["x-death"][0]), {
    count: 1, reason: "rejected", queue: work, exchange: "", "routing-keys": [work],
  });
  assert.equal(h["x-first-death-reason"], "rejected");
  assert.equal(h["x-first-death-queue"], work);
  assert.equal(h["x-first-death-exchange"], "");
  assert.equal(h["x-last-death-reason"], "rejected");
  assert.equal(h["x-last-death-queue"], work);
  const stats = await ch.stats(work);
  assert.equal(stats.deadLettered, 2);
});

test("x-death time is an AMQP timestamp as amqplib decodes it: {'!': 'timestamp', value: seconds}", async (t) => {
  const { ch } = await open(t);
  const dead = await deadQueue(ch);
  const work = uniq("work");
  await ch.assertQueue(work, { durable: false, deadLetterExchange: "", deadLetterRoutingKey: dead });
  ch.sendToQueue(work, Buffer.from("x"));
  const [m] = await collect(ch, work, 1, { options: { noAck: false } });
  ch.reject(m, false);
  const [d] = await collect(ch, dead, 1);
  const { time } = d.properties.headers["x-death"][0];
  assert.deepEqual(Object.keys(time ?? {}).sort(), ["!", "value"], `got ${JSON.stringify(time)}`);
  assert.equal(time["!"], "timestamp");
  assert.equal(time.value, Math.floor(time.value), "whole seconds");
  assert.ok(Math.abs(time.value - Date.now() / 1000) < 30);
});

test("without deadLetterRoutingKey the message keeps its routing key and exchange in x-death", async (t) => {
  const { ch } = await open(t);
  const orders = uniq("orders");
  const dlx = uniq("dlx");
  await ch.assertExchange(orders, "topic", { durable: false });
  await ch.assertExchange(dlx, "fanout", { durable: false });
  const dead = await deadQueue(ch);
  await ch.bindQueue(dead, dlx, "");
  const work = uniq("work");
  await ch.assertQueue(work, { durable: false, deadLetterExchange: dlx });
  await ch.bindQueue(work, orders, "orders.*");
  ch.publish(orders, "orders.eu", Buffer.from("o"));
  const [m] = await collect(ch, work, 1, { options: { noAck: false } });
  ch.reject(m, false);
  const [d] = await collect(ch, dead, 1);
  assert.equal(d.fields.routingKey, "orders.eu");
  assert.deepEqual(withoutTime(d.properties.headers["x-death"][0]), {
    count: 1, reason: "rejected", queue: work, exchange: orders, "routing-keys": ["orders.eu"],
  });
});

test("queue TTL expiry dead-letters with reason 'expired'", async (t) => {
  const { ch } = await open(t);
  const dead = await deadQueue(ch);
  const wait = uniq("wait");
  await ch.assertQueue(wait, { durable: false, messageTtl: 50, deadLetterExchange: "", deadLetterRoutingKey: dead });
  const started = performance.now();
  ch.sendToQueue(wait, Buffer.from("late"));
  const [d] = await collect(ch, dead, 1);
  assert.ok(performance.now() - started >= 45, "not before the TTL");
  assert.equal(text(d), "late");
  assert.deepEqual(withoutTime(d.properties.headers["x-death"][0]), {
    count: 1, reason: "expired", queue: wait, exchange: "", "routing-keys": [wait],
  });
  assert.equal(d.properties.headers["x-first-death-reason"], "expired");
});

test("per-message TTL expiry records original-expiration and clears the expiration", async (t) => {
  const { ch } = await open(t);
  const dead = await deadQueue(ch);
  const wait = uniq("wait");
  await ch.assertQueue(wait, { durable: false, deadLetterExchange: "", deadLetterRoutingKey: dead });
  ch.sendToQueue(wait, Buffer.from("short-lived"), { expiration: 40 });
  const [d] = await collect(ch, dead, 1);
  assert.equal(d.properties.expiration, undefined, "a dead-lettered message does not expire again");
  assert.deepEqual(withoutTime(d.properties.headers["x-death"][0]), {
    count: 1, reason: "expired", queue: wait, exchange: "", "routing-keys": [wait], "original-expiration": "40",
  });
});

test("maxLength drop-head dead-letters the dropped head with reason 'maxlen'", async (t) => {
  const { ch } = await open(t);
  const dead = await deadQueue(ch);
  const q = uniq("bounded");
  await ch.assertQueue(q, { durable: false, maxLength: 2, deadLetterExchange: "", deadLetterRoutingKey: dead });
  for (const b of ["1", "2", "3", "4"]) ch.sendToQueue(q, Buffer.from(b));
  const got = await collect(ch, dead, 2);
  assert.deepEqual(got.map(text), ["1", "2"]);
  assert.equal(got[0].properties.headers["x-death"][0].reason, "maxlen");
  assert.equal((await ch.checkQueue(q)).messageCount, 2);
});

test("a retry loop counts deaths per (queue, reason), newest entry first", async (t) => {
  const { ch } = await open(t);
  const work = uniq("work");
  const retry = uniq("retry");
  await ch.assertQueue(work, { durable: false, deadLetterExchange: "", deadLetterRoutingKey: retry });
  await ch.assertQueue(retry, { durable: false, messageTtl: 30, deadLetterExchange: "", deadLetterRoutingKey: work });
  const seen = [];
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  await ch.consume(work, (m) => {
    if (!m) return;
    seen.push(m);
    if (seen.length < 3) ch.reject(m, false);
    else {
      ch.ack(m);
      done();
    }
  });
  ch.sendToQueue(work, Buffer.from("job"));
  await Promise.race([finished, sleep(8_000).then(() => assert.fail(`only ${seen.length} deliveries`))]);
  assert.equal(seen[0].properties.headers["x-death"], undefined, "the first delivery has no x-death");
  const third = seen[2].properties.headers;
  assert.deepEqual(third["x-death"].map(withoutTime), [
    { count: 2, reason: "expired", queue: retry, exchange: "", "routing-keys": [retry] },
    { count: 2, reason: "rejected", queue: work, exchange: "", "routing-keys": [work] },
  ]);
  assert.equal(third["x-first-death-queue"], work);
  assert.equal(third["x-first-death-reason"], "rejected");
  assert.equal(third["x-last-death-queue"], retry);
  assert.equal(third["x-last-death-reason"], "expired");
  assert.deepEqual(seen.map((m) => m.fields.redelivered), [false, false, false], "dead-lettered copies are new");
});

test("dead-lettering to a missing exchange drops the message quietly", async (t) => {
  const { ch } = await open(t);
  const q = uniq("q");
  await ch.assertQueue(q, { durable: false, deadLetterExchange: uniq("no-such-dlx") });
  ch.sendToQueue(q, Buffer.from("x"));
  const [m] = await collect(ch, q, 1, { options: { noAck: false } });
  ch.reject(m, false);
  await sleep(30);
  assert.equal((await ch.checkQueue(q)).messageCount, 0);
  assert.deepEqual(ch.errorsSeen, []);
});

test("publish option delay: the message is routed only after the delay", async (t) => {
  const { ch } = await open(t);
  const q = uniq("delayed");
  await ch.assertQueue(q, { durable: false });
  const started = performance.now();
  const arrivals = [];
  await ch.consume(q, (m) => m && arrivals.push([text(m), performance.now() - started]), { noAck: true });
  ch.sendToQueue(q, Buffer.from("slow"), { delay: 80 });
  ch.sendToQueue(q, Buffer.from("now"));
  ch.sendToQueue(q, Buffer.from("soon"), { delay: 40 });
  await until(() => arrivals.length === 3, { what: "three arrivals" });
  assert.deepEqual(arrivals.map(([body]) => body), ["now", "soon", "slow"]);
  assert.ok(arrivals[1][1] >= 35, `'soon' after ~40 ms, got ${arrivals[1][1]}`);
  assert.ok(arrivals[2][1] >= 75, `'slow' after ~80 ms, got ${arrivals[2][1]}`);
});

test("a delayed message is not in the queue before its time", async (t) => {
  const { ch } = await open(t);
  const q = uniq("delayed");
  await ch.assertQueue(q, { durable: false });
  ch.sendToQueue(q, Buffer.from("later"), { delay: 60, messageId: "d-1", headers: { h: 1 } });
  await sleep(10);
  assert.equal(await ch.get(q), false);
  const m = await until(() => ch.get(q, { noAck: true }), { what: "the delayed message" });
  assert.equal(text(m), "later");
  assert.equal(m.properties.messageId, "d-1");
  assert.equal(m.properties.headers.h, 1);
});

test("a delayed mandatory message with no route is returned after the delay", async (t) => {
  const { ch } = await open(t);
  const returned = [];
  const started = performance.now();
  ch.on("return", (m) => returned.push([text(m), performance.now() - started]));
  ch.sendToQueue(uniq("nobody"), Buffer.from("r"), { delay: 40, mandatory: true });
  await until(() => returned.length === 1, { what: "the return" });
  assert.ok(returned[0][1] >= 35);
});

test("nackWithDelay: the message comes back redelivered after the delay, held as 'delayed'", async (t) => {
  const { ch } = await open(t);
  const q = uniq("backoff");
  await ch.assertQueue(q, { durable: false });
  const deliveries = [];
  let nackedAt = 0;
  await ch.consume(q, (m) => {
    if (!m) return;
    deliveries.push([text(m), m.fields.redelivered, performance.now()]);
    if (deliveries.length === 1) {
      nackedAt = performance.now();
      ch.nackWithDelay(m, 400); // long enough that a loaded machine still sees it held
    } else {
      ch.ack(m);
    }
  });
  ch.sendToQueue(q, Buffer.from("retry me"));
  await until(() => deliveries.length === 1, { what: "the first delivery" });
  await sleep(5);
  const held = await ch.stats(q);
  assert.equal(held.delayed, 1);
  assert.equal(held.messages, 0);
  assert.equal(held.unacked, 0);
  await until(() => deliveries.length === 2, { what: "the redelivery" });
  assert.deepEqual(deliveries.map(([b, r]) => [b, r]), [["retry me", false], ["retry me", true]]);
  assert.ok(deliveries[1][2] - nackedAt >= 395, `redelivered after ~400 ms, got ${deliveries[1][2] - nackedAt}`);
  await sleep(10);
  const after = await ch.stats(q);
  assert.equal(after.delayed, 0);
  assert.equal(after.redelivered, 1);
});

test("nackWithDelay with allUpTo delays every outstanding delivery up to it, order kept", async (t) => {
  const { ch } = await open(t);
  const q = uniq("backoff-all");
  await ch.assertQueue(q, { durable: false });
  for (const b of ["a", "b", "c"]) ch.sendToQueue(q, Buffer.from(b));
  await sleep(20);
  const a = await ch.get(q);
  const b = await ch.get(q);
  ch.nackWithDelay(b, 40, true);
  await sleep(10);
  const c = await ch.get(q, { noAck: true });
  assert.equal(text(c), "c", "the delayed ones are not ready yet");
  await sleep(100);
  const back = [await ch.get(q, { noAck: true }), await ch.get(q, { noAck: true })];
  assert.deepEqual(back.map((m) => [text(m), m.fields.redelivered]), [["a", true], ["b", true]]);
  assert.equal(text(a), "a");
});

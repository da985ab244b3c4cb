// Publisher confirms: per-publish callbacks, waitForConfirms, nacks from reject-publish overflow.
import assert from "node:assert/strict";
import { collect, nextEvent, open, sleep, test, text, until, uniq } from "./helpers.mjs";

test("every publish gets its callback once, in publish order, with null for an ack", async (t) => {
  const { ch } = await open(t, { confirm: true });
  const q = uniq("q");
  await ch.assertQueue(q, { durable: false });
  const calls = [];
  for (let i = 0; i < 20; i++) {
    const ok = ch.sendToQueue(q, Buffer.from(`m${i}`), {}, (err) => calls.push([i, err]));
    assert.equal(ok, true);
  }
  assert.deepEqual(calls, [], "confirm callbacks are asynchronous");
  await until(() => calls.length === 20, { what: "20 confirms" });
  assert.deepEqual(calls, Array.from({ length: 20 }, (_, i) => [i, null]));
  assert.equal((await collect(ch, q, 20)).length, 20);
});

test("publish (not just sendToQueue) takes a callback; options may be omitted with undefined", async (t) => {
  const { ch } = await open(t, { confirm: true });
  const ex = uniq("fanout");
  await ch.assertExchange(ex, "fanout", { durable: false });
  const confirmed = new Promise((resolve) => ch.publish(ex, "", Buffer.from("x"), undefined, resolve));
  assert.equal(await confirmed, null);
});

test("waitForConfirms resolves once everything published so far is confirmed", async (t) => {
  const { ch } = await open(t, { confirm: true });
  const q = uniq("q");
  await ch.assertQueue(q, { durable: false });
  let acked = 0;
  for (let i = 0; i < 200; i++) ch.sendToQueue(q, Buffer.from(String(i)), {}, () => acked++);
  await ch.waitForConfirms();
  assert.equal(acked, 200);
  await ch.waitForConfirms(); // nothing outstanding: resolves at once
  assert.equal((await ch.checkQueue(q)).messageCount, 200);
});

test("unroutable messages are confirmed too; a mandatory one is returned before its ack", async (t) => {
  const { ch } = await open(t, { confirm: true });
  const ex = uniq("direct");
  await ch.assertExchange(ex, "direct", { durable: false });
  const order = [];
  ch.on("return", () => order.push("return"));
  ch.publish(ex, "nowhere", Buffer.from("a"), { mandatory: true }, (err) => order.push(err === null ? "ack" : "nack"));
  ch.publish(ex, "nowhere", Buffer.from("b"), {}, (err) => order.push(err === null ? "ack" : "nack"));
  await ch.waitForConfirms();
  await sleep(10);
  assert.deepEqual(order, ["return", "ack", "ack"]);
});

test("reject-publish overflow: the refused publish is nacked, waitForConfirms rejects", async (t) => {
  const { ch } = await open(t, { confirm: true });
  const q = uniq("full");
  await ch.assertQueue(q, { durable: false, maxLength: 1, overflow: "reject-publish" });
  const results = [];
  ch.sendToQueue(q, Buffer.from("fits"), {}, (err) => results.push(err));
  ch.sendToQueue(q, Buffer.from("refused"), {}, (err) => results.push(err));
  await assert.rejects(ch.waitForConfirms(), (err) => {
    assert.ok(err instanceof Error);
    assert.equal(err.message, "message nacked");
    return true;
  });
  assert.equal(results.length, 2);
  assert.equal(results[0], null);
  assert.ok(results[1] instanceof Error);
  assert.equal(results[1].message, "message nacked");
  assert.deepEqual(ch.errorsSeen, [], "a nack does not close the channel");
  // Room again: the next publish is acked and the next wait resolves.
  await ch.purgeQueue(q);
  const again = new Promise((resolve) => ch.sendToQueue(q, Buffer.from("later"), {}, resolve));
  assert.equal(await again, null);
  await ch.waitForConfirms();
  const got = await ch.get(q, { noAck: true });
  assert.equal(text(got), "later");
});

test("reject-publish-dlx: the nacked message is also dead-lettered", async (t) => {
  const { ch } = await open(t, { confirm: true });
  const q = uniq("full");
  const dead = uniq("dead");
  await ch.assertQueue(dead, { durable: false });
  await ch.assertQueue(q, {
    durable: false, maxLength: 1, overflow: "reject-publish-dlx", deadLetterExchange: "", deadLetterRoutingKey: dead,
  });
  const results = [];
  ch.sendToQueue(q, Buffer.from("fits"), {}, (err) => results.push(err?.message ?? "ack"));
  ch.sendToQueue(q, Buffer.from("over"), {}, (err) => results.push(err?.message ?? "ack"));
  await assert.rejects(ch.waitForConfirms());
  assert.deepEqual(results, ["ack", "message nacked"]);
  const [msg] = await collect(ch, dead, 1);
  assert.equal(text(msg), "over");
});

test("a nack reaches only the publish it belongs to among many", async (t) => {
  const { ch } = await open(t, { confirm: true });
  const roomy = uniq("roomy");
  const full = uniq("full");
  await ch.assertQueue(roomy, { durable: false });
  await ch.assertQueue(full, { durable: false, maxLength: 0, overflow: "reject-publish" });
  const results = [];
  for (let i = 0; i < 10; i++) {
    const q = i === 6 ? full : roomy;
    ch.sendToQueue(q, Buffer.from(String(i)), {}, (err) => results.push(err ? i : null));
  }
  await assert.rejects(ch.waitForConfirms());
  await until(() => results.length === 10, { what: "ten confirms" });
  assert.deepEqual(results.filter((r) => r !== null), [6]);
});

test("persistent messages to a durable queue are confirmed", async (t) => {
  const { ch } = await open(t, { confirm: true });
  const q = uniq("durable");
  await ch.assertQueue(q, { durable: true });
  const err = await new Promise((resolve) => ch.sendToQueue(q, Buffer.from("p"), { persistent: true }, resolve));
  assert.equal(err, null);
  await ch.waitForConfirms();
});

test("a confirm channel is a full channel: consume, get, ack work on it", async (t) => {
  const { ch } = await open(t, { confirm: true });
  const q = uniq("q");
  await ch.assertQueue(q, { durable: false });
  ch.sendToQueue(q, Buffer.from("a"));
  ch.sendToQueue(q, Buffer.from("b"));
  await ch.waitForConfirms();
  const m = await ch.get(q);
  ch.ack(m);
  const [b] = await collect(ch, q, 1);
  assert.deepEqual([text(m), text(b)], ["a", "b"]);
});

test("closing a confirm channel with a publish error pending: waitForConfirms rejects", async (t) => {
  const { ch } = await open(t, { confirm: true });
  const closed = nextEvent(ch, "close");
  const results = [];
  ch.publish(uniq("no-such-exchange"), "", Buffer.from("x"), {}, (err) => results.push(err));
  await closed;
  await sleep(10);
  assert.equal(ch.errorsSeen[0]?.code, 404);
  assert.equal(results.length, 1, "the pending callback is called once");
  assert.ok(results[0] instanceof Error, "with an error (amqplib: 'channel closed')");
  await assert.rejects(Promise.resolve().then(() => ch.waitForConfirms()));
});

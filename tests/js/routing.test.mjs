// Routing: the default exchange, amq.* exchanges, direct, fanout, topic, headers,
// exchange-to-exchange bindings, alternate exchanges, mandatory + 'return', CC/BCC.
import assert from "node:assert/strict";
import { assertChannelError, collect, drain, nextEvent, open, sendAll, sleep, test, text, uniq } from "./helpers.mjs";

/** Declares non-durable queues named `${prefix}.${suffix}` and returns their names. */
async function queues(ch, prefix, ...suffixes) {
  const names = suffixes.map((s) => `${prefix}.${s}`);
  for (const q of names) await ch.assertQueue(q, { durable: false });
  return names;
}

test("default exchange: sendToQueue routes by queue name and reports exchange ''", async (t) => {
  const { ch } = await open(t);
  const q = uniq("q");
  await ch.assertQueue(q, { durable: false });
  assert.equal(ch.sendToQueue(q, Buffer.from("one")), true);
  assert.equal(ch.publish("", q, Buffer.from("two")), true);
  ch.sendToQueue(uniq("nobody"), Buffer.from("dropped silently"));
  const msgs = await collect(ch, q, 2, { settle: 30 });
  assert.deepEqual(msgs.map(text), ["one", "two"]);
  for (const m of msgs) {
    assert.equal(m.fields.exchange, "");
    assert.equal(m.fields.routingKey, q);
  }
  assert.deepEqual(ch.errorsSeen, []);
});

test("the amq.* exchanges exist; a new amq.* name is refused with 403", async (t) => {
  const { ch } = await open(t);
  for (const name of ["amq.direct", "amq.fanout", "amq.topic", "amq.headers", "amq.match"]) {
    assert.deepEqual(await ch.checkExchange(name), {});
  }
  await assertChannelError(ch, ch.assertExchange("amq.custom", "direct"), 403, "ACCESS-REFUSED",
    "ACCESS_REFUSED - exchange name 'amq.custom' contains reserved prefix 'amq.*'");
});

test("direct exchange: exact routing-key match, to every bound queue", async (t) => {
  const { ch } = await open(t);
  const ex = uniq("direct");
  assert.deepEqual(await ch.assertExchange(ex, "direct", { durable: false }), { exchange: ex });
  const [errors, all] = await queues(ch, ex, "errors", "all");
  assert.deepEqual(await ch.bindQueue(errors, ex, "error"), {});
  for (const key of ["info", "warning", "error"]) await ch.bindQueue(all, ex, key);
  for (const key of ["info", "error", "debug", "warning"]) ch.publish(ex, key, Buffer.from(key));
  await sleep(30);
  assert.deepEqual(await drain(ch, errors), ["error"]);
  assert.deepEqual(await drain(ch, all), ["info", "error", "warning"]);
});

test("fanout exchange: every bound queue gets every message, routing key ignored", async (t) => {
  const { ch } = await open(t);
  const ex = uniq("fanout");
  await ch.assertExchange(ex, "fanout", { durable: false });
  const names = await queues(ch, ex, "a", "b", "c");
  for (const q of names) await ch.bindQueue(q, ex, "");
  ch.publish(ex, "anything", Buffer.from("m1"));
  ch.publish(ex, "", Buffer.from("m2"));
  await sleep(30);
  for (const q of names) assert.deepEqual(await drain(ch, q), ["m1", "m2"]);
});

test("topic exchange: '*' matches one word, '#' zero or more (the tutorial's table)", async (t) => {
  const { ch } = await open(t);
  const ex = uniq("topic");
  await ch.assertExchange(ex, "topic", { durable: false });
  const [q1, q2, all, ab] = await queues(ch, ex, "q1", "q2", "all", "ab");
  await ch.bindQueue(q1, ex, "*.orange.*");
  await ch.bindQueue(q2, ex, "*.*.rabbit");
  await ch.bindQueue(q2, ex, "lazy.#");
  await ch.bindQueue(all, ex, "#");
  await ch.bindQueue(ab, ex, "a.#.b");
  const keys = [
    "quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox", "lazy.brown.fox",
    "lazy.pink.rabbit", "quick.brown.fox", "orange", "quick.orange.new.rabbit",
    "lazy.orange.new.rabbit", "a.b", "a.x.y.b", "", "lazy",
  ];
  for (const key of keys) ch.publish(ex, key, Buffer.from(key || "(empty)"));
  await sleep(30);
  assert.deepEqual(await drain(ch, q1), ["quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox"]);
  assert.deepEqual(await drain(ch, q2), [
    "quick.orange.rabbit", "lazy.orange.elephant", "lazy.brown.fox", "lazy.pink.rabbit",
    "lazy.orange.new.rabbit", "lazy",
  ], "a message matching two bindings of one queue arrives once");
  assert.deepEqual(await drain(ch, all), keys.map((k) => k || "(empty)"));
  assert.deepEqual(await drain(ch, ab), ["a.b", "a.x.y.b"]);
});

test("headers exchange: x-match all (the default) and any, on header values", async (t) => {
  const { ch } = await open(t);
  const ex = uniq("headers");
  await ch.assertExchange(ex, "headers", { durable: false });
  const [allQ, anyQ, defaultQ] = await queues(ch, ex, "all", "any", "default");
  await ch.bindQueue(allQ, ex, "", { "x-match": "all", format: "pdf", type: "report" });
  await ch.bindQueue(anyQ, ex, "", { "x-match": "any", format: "pdf", type: "report" });
  await ch.bindQueue(defaultQ, ex, "", { format: "zip" });
  ch.publish(ex, "", Buffer.from("pdf-report"), { headers: { format: "pdf", type: "report", extra: 1 } });
  ch.publish(ex, "", Buffer.from("pdf-log"), { headers: { format: "pdf", type: "log" } });
  ch.publish(ex, "", Buffer.from("zip"), { headers: { format: "zip" } });
  ch.publish(ex, "", Buffer.from("none"));
  await sleep(30);
  assert.deepEqual(await drain(ch, allQ), ["pdf-report"]);
  assert.deepEqual(await drain(ch, anyQ), ["pdf-report", "pdf-log"]);
  assert.deepEqual(await drain(ch, defaultQ), ["zip"]);
});

test("exchange-to-exchange bindings route onward; unbindExchange stops them", async (t) => {
  const { ch } = await open(t);
  const src = uniq("src");
  const dst = uniq("dst");
  await ch.assertExchange(src, "topic", { durable: false });
  await ch.assertExchange(dst, "fanout", { durable: false, internal: true });
  const [q] = await queues(ch, dst, "q");
  await ch.bindQueue(q, dst, "");
  assert.deepEqual(await ch.bindExchange(dst, src, "orders.#"), {});
  ch.publish(src, "orders.created", Buffer.from("via binding"));
  ch.publish(src, "users.created", Buffer.from("not matched"));
  const [msg] = await collect(ch, q, 1, { settle: 30 });
  assert.equal(text(msg), "via binding");
  assert.equal(msg.fields.exchange, src, "the delivery names the exchange it was published to");
  assert.equal(msg.fields.routingKey, "orders.created");
  assert.deepEqual(await ch.unbindExchange(dst, src, "orders.#"), {});
  ch.publish(src, "orders.created", Buffer.from("after unbind"));
  ch.sendToQueue(q, Buffer.from("direct"));
  await sleep(30);
  assert.deepEqual(await drain(ch, q), ["direct"]);
});

test("unbindQueue removes exactly that binding", async (t) => {
  const { ch } = await open(t);
  const ex = uniq("direct");
  await ch.assertExchange(ex, "direct", { durable: false });
  const [q] = await queues(ch, ex, "q");
  await ch.bindQueue(q, ex, "a");
  await ch.bindQueue(q, ex, "b");
  assert.deepEqual(await ch.unbindQueue(q, ex, "a"), {});
  ch.publish(ex, "a", Buffer.from("a"));
  ch.publish(ex, "b", Buffer.from("b"));
  await sleep(30);
  assert.deepEqual(await drain(ch, q), ["b"]);
});

test("alternate exchange: unroutable messages go there (and are not returned)", async (t) => {
  const { ch } = await open(t);
  const ae = uniq("ae");
  const main = uniq("main");
  await ch.assertExchange(ae, "fanout", { durable: false });
  await ch.assertExchange(main, "direct", { durable: false, alternateExchange: ae });
  const [routed, unrouted] = await queues(ch, main, "routed", "unrouted");
  await ch.bindQueue(routed, main, "known");
  await ch.bindQueue(unrouted, ae, "");
  const returns = [];
  ch.on("return", (m) => returns.push(m));
  ch.publish(main, "known", Buffer.from("k"));
  ch.publish(main, "unknown", Buffer.from("u"), { mandatory: true });
  const [msg] = await collect(ch, unrouted, 1, { settle: 30 });
  assert.equal(text(msg), "u");
  assert.equal(msg.fields.exchange, main);
  assert.equal(msg.fields.routingKey, "unknown");
  assert.deepEqual(await drain(ch, routed), ["k"]);
  assert.equal(returns.length, 0, "a message the alternate exchange took is routed, not returned");
});

test("mandatory: an unroutable message comes back as a 'return' event with 312 NO_ROUTE", async (t) => {
  const { ch } = await open(t);
  const ex = uniq("direct");
  await ch.assertExchange(ex, "direct", { durable: false });
  const returned = nextEvent(ch, "return");
  ch.publish(ex, "nowhere", Buffer.from("lost"), {
    mandatory: true, messageId: "m-1", headers: { tag: "x" }, contentType: "text/plain",
  });
  ch.publish(ex, "nowhere", Buffer.from("not mandatory"));
  const [msg] = await returned;
  assert.equal(text(msg), "lost");
  assert.deepEqual(msg.fields, { replyCode: 312, replyText: "NO_ROUTE", exchange: ex, routingKey: "nowhere" });
  assert.equal(msg.properties.messageId, "m-1");
  assert.equal(msg.properties.contentType, "text/plain");
  assert.deepEqual(msg.properties.headers, { tag: "x" });
  let more = 0;
  ch.on("return", () => more++);
  await sleep(50);
  assert.equal(more, 0, "only mandatory messages are returned");
  assert.deepEqual(ch.errorsSeen, [], "a return does not close the channel");
});

test("mandatory to the default exchange with no such queue is returned", async (t) => {
  const { ch } = await open(t);
  const returned = nextEvent(ch, "return");
  const q = uniq("missing");
  ch.sendToQueue(q, Buffer.from("x"), { mandatory: true });
  const [msg] = await returned;
  assert.equal(msg.fields.replyCode, 312);
  assert.equal(msg.fields.exchange, "");
  assert.equal(msg.fields.routingKey, q);
});

test("CC and BCC add routing keys; CC stays in the headers, BCC is removed", async (t) => {
  const { ch } = await open(t);
  const [main, cc, bcc] = await queues(ch, uniq("cc"), "main", "cc", "bcc");
  ch.sendToQueue(main, Buffer.from("copy"), { CC: cc, BCC: [bcc], headers: { keep: "me" } });
  await sleep(30);
  for (const q of [main, cc, bcc]) {
    const msg = await ch.get(q, { noAck: true });
    assert.ok(msg, `a copy in ${q}`);
    assert.equal(text(msg), "copy");
    assert.equal(msg.fields.routingKey, main);
    assert.deepEqual(msg.properties.headers, { keep: "me", CC: [cc] });
  }
});

test("binding to the default exchange is refused with 403", async (t) => {
  const { ch } = await open(t);
  const q = uniq("q");
  await ch.assertQueue(q, { durable: false });
  await assertChannelError(ch, ch.bindQueue(q, "", q), 403, "ACCESS-REFUSED",
    "ACCESS_REFUSED - operation not permitted on the default exchange");
});

test("publishing to an internal exchange is refused with 403", async (t) => {
  const { ch } = await open(t);
  const ex = uniq("internal");
  await ch.assertExchange(ex, "fanout", { durable: false, internal: true });
  await assertChannelError(ch, () => ch.publish(ex, "", Buffer.from("x")), 403, "ACCESS-REFUSED",
    `ACCESS_REFUSED - cannot publish to internal exchange '${ex}' in vhost '/'`);
});

test("deleteExchange removes it and its bindings; ifUnused protects a bound one", async (t) => {
  const { conn, ch } = await open(t);
  const ex = uniq("gone");
  await ch.assertExchange(ex, "fanout", { durable: false });
  const [q] = await queues(ch, ex, "q");
  await ch.bindQueue(q, ex, "");
  await assertChannelError(ch, ch.deleteExchange(ex, { ifUnused: true }), 406, "PRECONDITION-FAILED",
    `PRECONDITION_FAILED - exchange '${ex}' in vhost '/' in use`);
  const ch2 = await conn.createChannel();
  ch2.on("error", () => {});
  assert.deepEqual(await ch2.deleteExchange(ex), {});
  await assert.rejects(ch2.checkExchange(ex), (err) => err.code === 404);
});

test("sendAll helper sanity: bodies arrive in publish order", async (t) => {
  const { ch } = await open(t);
  const q = uniq("order");
  await ch.assertQueue(q, { durable: false });
  const bodies = Array.from({ length: 50 }, (_, i) => `m${i}`);
  sendAll(ch, q, bodies);
  const msgs = await collect(ch, q, 50);
  assert.deepEqual(msgs.map(text), bodies);
});

// The API surface: exports, connect() and its URLs/options, connections, channels, events.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import {
  assertConnectionWorks,
  channel,
  closeQuietly,
  collect,
  connect,
  isBadInput,
  isChannelClosed,
  nextEvent,
  open,
  sleep,
  switchyard,
  test,
  text,
  uniq,
} from "./helpers.mjs";

const require = createRequire(import.meta.url);

test("the package exports connect (named and on the default export) and version", () => {
  assert.equal(typeof switchyard.connect, "function");
  assert.equal(typeof switchyard.default?.connect, "function");
  assert.equal(switchyard.default.connect, switchyard.connect);
  assert.equal(typeof switchyard.version(), "string");
});

test("require('switchyard') offers the same connect()", async () => {
  const cjs = require("switchyard");
  assert.equal(typeof cjs.connect, "function");
  const conn = await cjs.connect(`switchyard://${uniq("cjs")}`);
  try {
    await assertConnectionWorks(conn);
  } finally {
    await conn.close();
  }
});

test("require() and import in one realm share one bus (no dual-package split)", async (t) => {
  const bus = `switchyard://${uniq("dual")}`;
  const { ch } = await open(t, { bus });
  const q = uniq("q");
  await ch.assertQueue(q, { durable: false });
  const other = await require("switchyard").connect(bus);
  t.after(() => closeQuietly(other));
  const och = await channel(other);
  const ok = await och.checkQueue(q);
  assert.equal(ok.queue, q);
  och.sendToQueue(q, Buffer.from("from cjs"));
  const [msg] = await collect(ch, q, 1);
  assert.equal(text(msg), "from cjs");
});

test("connect() with no URL, amqp:// and amqps:// URLs all reach the default bus", async (t) => {
  const a = await connect();
  const b = await connect("amqp://localhost");
  const c = await connect("amqps://guest:guest@rabbit.example:5671/%2F");
  t.after(() => Promise.all([a, b, c].map(closeQuietly)));
  const q = uniq("default-bus");
  const cha = await channel(a);
  await cha.assertQueue(q, { durable: false });
  for (const conn of [b, c]) {
    const ch = await channel(conn);
    assert.equal((await ch.checkQueue(q)).queue, q);
    ch.sendToQueue(q, Buffer.from("hi"));
    await ch.close();
  }
  const msgs = await collect(cha, q, 2);
  assert.deepEqual(msgs.map(text), ["hi", "hi"]);
  await cha.deleteQueue(q);
});

test("named buses are separate brokers; the same name shares one", async (t) => {
  const name = `switchyard://${uniq("named")}`;
  const { ch } = await open(t, { bus: name });
  const same = await open(t, { bus: name });
  const other = await open(t);
  const q = uniq("q");
  await ch.assertQueue(q, { durable: false });
  assert.equal((await same.ch.checkQueue(q)).messageCount, 0);
  other.ch.on("error", () => {});
  await assert.rejects(other.ch.checkQueue(q), (err) => err.code === 404);
});

test("connect() options: memory storage works; other storage is unavailable in Node", async (t) => {
  const bus = `switchyard://${uniq("opts")}`;
  const conn = await connect(bus, { storage: "memory", scope: "local", maxMessageBytes: 1024 });
  t.after(() => closeQuietly(conn));
  await assertConnectionWorks(conn);
  await assert.rejects(connect(`switchyard://${uniq("idb")}`, { storage: "indexeddb" }), (err) => {
    assert.ok(err instanceof Error);
    assert.equal(err.code, "SWITCHYARD_STORAGE_UNAVAILABLE");
    return true;
  });
});

test("connect() rejects bad arguments with typed errors", async () => {
  await assert.rejects(connect(`switchyard://${uniq()}`, { heartbeat: 10 }), isBadInput(TypeError, "SWITCHYARD_UNKNOWN_OPTION"));
  await assert.rejects(connect(`switchyard://${uniq()}`, { scope: "galaxy" }), isBadInput(TypeError));
  await assert.rejects(connect(`switchyard://${uniq()}`, { maxMessageBytes: -1 }), isBadInput(RangeError));
  await assert.rejects(connect(42), isBadInput(TypeError));
  await assert.rejects(connect("http://localhost:15672/"), isBadInput(TypeError));
});

test("createChannel and createConfirmChannel give working channels; close resolves", async (t) => {
  const conn = await connect(`switchyard://${uniq()}`);
  t.after(() => closeQuietly(conn));
  const ch = await conn.createChannel();
  const cch = await conn.createConfirmChannel();
  assert.equal(typeof ch.publish, "function");
  assert.equal(typeof cch.waitForConfirms, "function");
  assert.equal(typeof ch.waitForConfirms, "undefined", "a plain channel has no waitForConfirms");
  const closed = nextEvent(ch, "close");
  assert.equal(await ch.close(), undefined);
  await closed;
  await cch.close();
  assert.equal(await conn.close(), undefined);
});

test("events: on/once/off/addListener/removeListener/emit behave like EventEmitter", async (t) => {
  const { ch } = await open(t);
  const calls = [];
  const a = (x) => calls.push(`a:${x}`);
  const b = (x) => calls.push(`b:${x}`);
  assert.equal(ch.on("drain", a), ch, "on() chains");
  ch.addListener("drain", b);
  ch.once("drain", (x) => calls.push(`once:${x}`));
  assert.equal(ch.emit("drain", 1), true);
  ch.emit("drain", 2);
  ch.off("drain", a);
  ch.removeListener("drain", b);
  assert.equal(ch.emit("drain", 3), false, "emit() is false with no listeners left");
  assert.deepEqual(calls, ["a:1", "b:1", "once:1", "a:2", "b:2"]);
});

test("publish returns true; delivery happens after the publishing code, not inside it", async (t) => {
  const { ch } = await open(t);
  const q = uniq("async");
  await ch.assertQueue(q, { durable: false });
  const seen = [];
  let arrived;
  const done = new Promise((resolve) => (arrived = resolve));
  await ch.consume(q, (msg) => {
    seen.push(text(msg));
    arrived();
  }, { noAck: true });
  assert.equal(ch.sendToQueue(q, Buffer.from("m")), true);
  assert.deepEqual(seen, [], "not delivered synchronously inside sendToQueue");
  await done;
  assert.deepEqual(seen, ["m"]);
});

test("connection.close() closes its channels (each emits 'close') and the connection emits 'close'", async () => {
  const conn = await connect(`switchyard://${uniq()}`);
  const ch1 = await channel(conn);
  const ch2 = await channel(conn, { confirm: true });
  const events = [];
  ch1.on("close", () => events.push("ch1"));
  ch2.on("close", () => events.push("ch2"));
  conn.on("close", () => events.push("conn"));
  await conn.close();
  await sleep(20);
  assert.deepEqual(events.sort(), ["ch1", "ch2", "conn"]);
  assert.deepEqual(ch1.errorsSeen, [], "a clean close is not an error");
});

test("after connection.close(): connection calls reject 'Connection closed', channel calls fail", async () => {
  const conn = await connect(`switchyard://${uniq()}`);
  const ch = await channel(conn);
  await conn.close();
  await assert.rejects(conn.createChannel(), (err) => {
    assert.equal(err.name, "IllegalOperationError");
    assert.equal(err.message, "Connection closed");
    assert.equal(err.code, "SWITCHYARD_CONNECTION_CLOSED");
    return true;
  });
  await assert.rejects(conn.createConfirmChannel(), (err) => err.code === "SWITCHYARD_CONNECTION_CLOSED");
  assert.throws(() => ch.sendToQueue("q", Buffer.from("x")), (err) => err.name === "IllegalOperationError");
  await assert.rejects(ch.assertQueue("q"), (err) => err.name === "IllegalOperationError");
});

test("closing a channel twice: the second close rejects 'Channel closed'", async (t) => {
  const { ch } = await open(t);
  await ch.close();
  await assert.rejects(ch.close(), isChannelClosed);
});

test("closing a connection deletes its exclusive queues and requeues its unacked messages", async (t) => {
  const bus = `switchyard://${uniq("bus")}`;
  const watcher = await open(t, { bus });
  const owner = await connect(bus);
  const och = await channel(owner);
  const { queue: exclusive } = await och.assertQueue("", { exclusive: true });
  const shared = uniq("shared");
  await och.assertQueue(shared, { durable: false });
  och.sendToQueue(shared, Buffer.from("held"));
  const [held] = await collect(och, shared, 1, { options: { noAck: false } });
  assert.equal(held.fields.redelivered, false);
  await owner.close();

  await assert.rejects(watcher.ch.checkQueue(exclusive), (err) => err.code === 404);
  const ch2 = await channel(watcher.conn);
  const [again] = await collect(ch2, shared, 1);
  assert.equal(text(again), "held");
  assert.equal(again.fields.redelivered, true);
});

test("several channels on one connection work independently", async (t) => {
  const { conn, ch } = await open(t);
  const other = await channel(conn);
  const q = uniq("q");
  await ch.assertQueue(q, { durable: false });
  other.sendToQueue(q, Buffer.from("across channels"));
  const [msg] = await collect(ch, q, 1);
  assert.equal(text(msg), "across channels");
  await other.close();
  ch.sendToQueue(q, Buffer.from("still open"));
  assert.equal(text((await collect(ch, q, 1))[0]), "still open");
});

test("connection.nextDeadline() is the bus's next timer: a delay, a TTL, or null", async (t) => {
  const conn = await connect(`switchyard://${uniq("deadline")}`);
  t.after(() => conn.close());
  const ch = await conn.createChannel();
  assert.equal(await conn.nextDeadline(), null);
  await ch.assertQueue("later", { durable: false });
  const before = Date.now();
  ch.sendToQueue("later", Buffer.from("x"), { delay: 60_000 });
  const due = await conn.nextDeadline();
  assert.ok(due instanceof Date);
  assert.ok(due.getTime() >= before + 60_000 && due.getTime() <= Date.now() + 60_000, `${due.toISOString()}`);
  await ch.assertQueue("short", { durable: false, messageTtl: 1000 });
  ch.sendToQueue("short", Buffer.from("y"));
  const sooner = await conn.nextDeadline();
  assert.ok(sooner.getTime() <= Date.now() + 1000 && sooner < due, "the TTL comes first");
  await ch.purgeQueue("short");
  await ch.deleteQueue("later");
});

test("connection.topology() and connection.stats() describe the bus live", async (t) => {
  const conn = await connect(`switchyard://${uniq("topo")}`);
  t.after(() => conn.close());
  const ch = await conn.createChannel();
  const before = await conn.topology();
  assert.ok(before.exchanges.some((x) => x.name === "amq.topic" && x.type === "topic"));
  await ch.assertExchange("logs", "topic", { durable: false });
  await ch.assertQueue("errors", { durable: false, messageTtl: 1000 });
  await ch.bindQueue("errors", "logs", "*.error");
  const after = await conn.topology();
  assert.notEqual(after.version, before.version, "version changes with the topology");
  assert.deepEqual(after.bindings.filter((b) => b.source === "logs"), [
    { source: "logs", destination: "errors", destinationType: "queue", key: "*.error", arguments: {} },
  ]);
  assert.equal(after.queues.find((q) => q.name === "errors").arguments["x-message-ttl"], 1000);
  ch.publish("logs", "db.error", Buffer.from("x"));
  await new Promise((r) => setTimeout(r, 10));
  assert.equal((await conn.stats()).find((s) => s.queue === "errors").messages, 1);
});

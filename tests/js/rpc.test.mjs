// Request/reply: direct reply-to (amq.rabbitmq.reply-to) and the tutorial's exclusive-queue RPC.
import assert from "node:assert/strict";
import { assertChannelError, channel, open, test, text, until, uniq } from "./helpers.mjs";

const REPLY_TO = "amq.rabbitmq.reply-to";

/** An RPC server on `queue` that answers with the upper-cased body; returns the requests seen. */
async function startServer(ch, queue) {
  const seen = [];
  await ch.assertQueue(queue, { durable: false });
  await ch.prefetch(1);
  await ch.consume(queue, (msg) => {
    if (!msg) return;
    seen.push(msg);
    ch.sendToQueue(msg.properties.replyTo, Buffer.from(text(msg).toUpperCase()), {
      correlationId: msg.properties.correlationId,
    });
    ch.ack(msg);
  });
  return seen;
}

test("direct reply-to: replies reach the requesting channel, matched by correlationId", async (t) => {
  const { conn, ch: server } = await open(t);
  const rpcQueue = uniq("rpc");
  const seen = await startServer(server, rpcQueue);

  const client = await channel(conn);
  const replies = new Map();
  await client.consume(REPLY_TO, (msg) => {
    if (msg) replies.set(msg.properties.correlationId, msg);
  }, { noAck: true });
  for (const word of ["alpha", "beta", "gamma"]) {
    client.sendToQueue(rpcQueue, Buffer.from(word), { replyTo: REPLY_TO, correlationId: `c-${word}` });
  }
  await until(() => replies.size === 3, { what: "three replies" });
  assert.deepEqual([...replies].map(([id, m]) => [id, text(m)]), [
    ["c-alpha", "ALPHA"], ["c-beta", "BETA"], ["c-gamma", "GAMMA"],
  ]);
  const replyTo = seen[0].properties.replyTo;
  assert.match(replyTo, /^amq\.rabbitmq\.reply-to\.[\w.+/=-]+$/, "the server sees a per-channel reply address");
  assert.ok(seen.every((m) => m.properties.replyTo === replyTo), "one address per requesting channel");
  const reply = replies.get("c-alpha");
  assert.equal(reply.fields.exchange, "");
  assert.equal(reply.fields.routingKey, replyTo);
});

test("direct reply-to works across connections on one bus", async (t) => {
  const bus = `switchyard://${uniq("bus")}`;
  const server = await open(t, { bus });
  const client = await open(t, { bus });
  const rpcQueue = uniq("rpc");
  await startServer(server.ch, rpcQueue);
  const answer = new Promise((resolve) => {
    client.ch.consume(REPLY_TO, (msg) => msg && resolve(msg), { noAck: true }).then(() => {
      client.ch.sendToQueue(rpcQueue, Buffer.from("ping"), { replyTo: REPLY_TO, correlationId: "1" });
    });
  });
  const msg = await answer;
  assert.equal(text(msg), "PING");
  assert.equal(msg.properties.correlationId, "1");
});

test("two clients on one connection each get only their own replies", async (t) => {
  const { conn, ch: server } = await open(t);
  const rpcQueue = uniq("rpc");
  await startServer(server, rpcQueue);
  const got = { a: [], b: [] };
  for (const name of ["a", "b"]) {
    const ch = await channel(conn);
    await ch.consume(REPLY_TO, (msg) => msg && got[name].push(text(msg)), { noAck: true });
    ch.sendToQueue(rpcQueue, Buffer.from(`from-${name}`), { replyTo: REPLY_TO, correlationId: name });
  }
  await until(() => got.a.length + got.b.length === 2, { what: "two replies" });
  assert.deepEqual(got, { a: ["FROM-A"], b: ["FROM-B"] });
});

test("publishing with replyTo reply-to but no reply consumer is a 406", async (t) => {
  const { ch } = await open(t);
  const q = uniq("rpc");
  await ch.assertQueue(q, { durable: false });
  await assertChannelError(ch, () => ch.sendToQueue(q, Buffer.from("x"), { replyTo: REPLY_TO }), 406, "PRECONDITION-FAILED",
    "PRECONDITION_FAILED - fast reply consumer does not exist");
});

test("the tutorial's RPC: an exclusive server-named reply queue and a correlationId", async (t) => {
  const { conn, ch: server } = await open(t);
  const rpcQueue = uniq("rpc_queue");
  const seen = await startServer(server, rpcQueue);
  const client = await channel(conn);
  const { queue: replyQueue } = await client.assertQueue("", { exclusive: true });
  const correlationId = crypto.randomUUID();
  const reply = new Promise((resolve) => {
    client.consume(replyQueue, (msg) => {
      if (msg && msg.properties.correlationId === correlationId) resolve(text(msg));
    }, { noAck: true });
  });
  client.sendToQueue(rpcQueue, Buffer.from("fib(30)"), { correlationId, replyTo: replyQueue });
  assert.equal(await reply, "FIB(30)");
  assert.equal(seen[0].properties.replyTo, replyQueue);
});

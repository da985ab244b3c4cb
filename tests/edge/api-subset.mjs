// The shared API subset run in every runtime (workerd, Deno, Vercel edge-runtime, Node ESM/CJS).
// Plain ESM with no imports and no runtime APIs beyond ECMAScript + TextEncoder/TextDecoder and
// setTimeout, so the same file runs unchanged in each: `run(connect)` resolves to a list of
// `{ name, ok, detail }`; it never throws (a failing check is reported, the next one still runs).

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s) => enc.encode(s);
const text = (m) => dec.decode(m.content);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let counter = 0;
const uniq = (p) => `${p}-${Date.now().toString(36)}-${++counter}`;

function check(cond, message) {
  if (!cond) throw new Error(message);
}
function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

/** Resolves to `n` messages consumed from `queue` (within `ms`), the consumer cancelled after. */
async function collect(ch, queue, n, { noAck = true, ms = 5000 } = {}) {
  const got = [];
  let done;
  const all = new Promise((r) => (done = r));
  const { consumerTag } = await ch.consume(
    queue,
    (m) => {
      got.push(m);
      if (got.length === n) done();
    },
    { noAck },
  );
  const timer = sleep(ms).then(() => "timeout");
  const outcome = await Promise.race([all, timer]);
  await ch.cancel(consumerTag);
  if (outcome === "timeout") throw new Error(`got ${got.length} of ${n} messages from ${queue} within ${ms} ms`);
  return got;
}

/** Polls `fn` until it returns a truthy value or the deadline passes. */
async function until(fn, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

const checks = [
  [
    "routing: direct, topic and fanout",
    async (conn) => {
      const ch = await conn.createChannel();
      const direct = uniq("direct");
      const topic = uniq("topic");
      const fanout = uniq("fanout");
      await ch.assertExchange(direct, "direct", { durable: false });
      await ch.assertExchange(topic, "topic", { durable: false });
      await ch.assertExchange(fanout, "fanout", { durable: false });
      const q = {};
      for (const k of ["red", "blue", "eu", "all", "f1", "f2"]) {
        q[k] = (await ch.assertQueue("", { exclusive: true })).queue;
      }
      await ch.bindQueue(q.red, direct, "red");
      await ch.bindQueue(q.blue, direct, "blue");
      await ch.bindQueue(q.eu, topic, "orders.eu.*");
      await ch.bindQueue(q.all, topic, "orders.#");
      await ch.bindQueue(q.f1, fanout, "");
      await ch.bindQueue(q.f2, fanout, "");
      ch.publish(direct, "red", bytes("r"));
      ch.publish(direct, "blue", bytes("b"));
      ch.publish(direct, "green", bytes("nobody"));
      ch.publish(topic, "orders.eu.paris", bytes("t1"));
      ch.publish(topic, "orders.us", bytes("t2"));
      ch.publish(fanout, "whatever", bytes("f"));
      eq((await collect(ch, q.red, 1)).map(text), ["r"], "direct red");
      eq((await collect(ch, q.blue, 1)).map(text), ["b"], "direct blue");
      eq((await collect(ch, q.eu, 1)).map(text), ["t1"], "topic orders.eu.*");
      eq((await collect(ch, q.all, 2)).map(text), ["t1", "t2"], "topic orders.#");
      eq((await collect(ch, q.f1, 1)).map(text), ["f"], "fanout 1");
      eq((await collect(ch, q.f2, 1)).map(text), ["f"], "fanout 2");
      eq(await ch.get(q.red), false, "direct red is empty after one delivery");
      await ch.close();
      return "6 queues, 3 exchange types";
    },
  ],
  [
    "acks, nack with requeue, redelivered",
    async (conn) => {
      const ch = await conn.createChannel();
      const q = (await ch.assertQueue("", { exclusive: true })).queue;
      ch.sendToQueue(q, bytes("a"));
      ch.sendToQueue(q, bytes("b"));
      const [a, b] = await collect(ch, q, 2, { noAck: false });
      eq([a.fields.redelivered, b.fields.redelivered], [false, false], "first delivery not redelivered");
      ch.ack(a);
      ch.nack(b, false, true);
      const [again] = await collect(ch, q, 1, { noAck: false });
      eq([text(again), again.fields.redelivered], ["b", true], "requeued message");
      ch.ack(again);
      await until(async () => (await ch.checkQueue(q)).messageCount === 0, 2000, "queue empty");
      await ch.close();
      return "ack, nack(requeue) → redelivered: true";
    },
  ],
  [
    "TTL with dead-lettering",
    async (conn) => {
      const ch = await conn.createChannel();
      const dlx = uniq("dlx");
      await ch.assertExchange(dlx, "fanout", { durable: false });
      const dead = (await ch.assertQueue("", { exclusive: true })).queue;
      await ch.bindQueue(dead, dlx, "");
      const work = uniq("work");
      await ch.assertQueue(work, { durable: false, exclusive: true, messageTtl: 30, deadLetterExchange: dlx });
      const t0 = Date.now();
      ch.sendToQueue(work, bytes("queue-ttl"));
      ch.sendToQueue(work, bytes("msg-ttl"), { expiration: "10" });
      const m = await until(() => ch.get(dead, { noAck: true }), 5000, "a dead-lettered message");
      const second = await until(() => ch.get(dead, { noAck: true }), 5000, "a second dead-lettered message");
      const waited = Date.now() - t0;
      const got = [text(m), text(second)].sort();
      eq(got, ["msg-ttl", "queue-ttl"], "dead-lettered bodies");
      const death = m.properties.headers["x-death"]?.[0];
      eq([death?.reason, death?.queue], ["expired", work], "x-death reason and queue");
      check(waited >= 10, `expired too early (${waited} ms)`);
      eq((await ch.checkQueue(work)).messageCount, 0, "work queue empty");
      await ch.close();
      return `expired and dead-lettered after ${waited} ms`;
    },
  ],
  [
    "publisher confirms",
    async (conn) => {
      const ch = await conn.createConfirmChannel();
      const q = (await ch.assertQueue("", { exclusive: true })).queue;
      const acked = [];
      for (let i = 0; i < 20; i++) {
        ch.sendToQueue(q, bytes(`c${i}`), {}, (err) => acked.push(err === null ? "ack" : `nack: ${err}`));
      }
      await ch.waitForConfirms();
      eq(acked.length, 20, "callbacks");
      check(acked.every((a) => a === "ack"), `every publish acked: ${acked.join(", ")}`);
      eq((await ch.checkQueue(q)).messageCount, 20, "messages in the queue");
      await ch.close();
      return "20 confirmed";
    },
  ],
  [
    "channel error 404 closes the channel",
    async (conn) => {
      const ch = await conn.createChannel();
      const log = [];
      let errorCode;
      const closed = new Promise((r) => ch.on("close", () => (log.push("close"), r())));
      ch.on("error", (e) => (log.push("error"), (errorCode = e.code)));
      const missing = uniq("missing");
      let rejected;
      try {
        await ch.checkQueue(missing);
      } catch (e) {
        rejected = e;
      }
      check(rejected instanceof Error, "checkQueue of a missing queue rejects");
      eq(rejected.code, 404, "rejection code");
      check(/NOT_FOUND - no queue/.test(rejected.message), `message: ${rejected.message}`);
      await Promise.race([closed, sleep(5000).then(() => Promise.reject(new Error("no 'close' within 5 s")))]);
      eq(log, ["error", "close"], "events");
      eq(errorCode, 404, "'error' event code");
      let after;
      try {
        await ch.assertQueue("");
      } catch (e) {
        after = e;
      }
      eq([after?.name, after?.code], ["IllegalOperationError", "SWITCHYARD_CHANNEL_CLOSED"], "later call");
      const ch2 = await conn.createChannel();
      await ch2.assertQueue("", { exclusive: true });
      await ch2.close();
      return "404, error then close; the connection still works";
    },
  ],
  [
    "bad input is a TypeError with a code",
    async (conn) => {
      const ch = await conn.createChannel();
      const q = (await ch.assertQueue("", { exclusive: true })).queue;
      const cases = [
        ["publish without content", () => ch.publish("", q)],
        ["sendToQueue with a non-string queue", () => ch.sendToQueue(123, bytes("x"))],
        ["publish with an unknown option", () => ch.publish("", q, bytes("x"), { persistant: true }), "SWITCHYARD_UNKNOWN_OPTION"],
        ["assertExchange with an unknown type", () => ch.assertExchange(uniq("ex"), "Direct")],
      ];
      for (const [what, fn, code = "SWITCHYARD_INVALID_ARGUMENT"] of cases) {
        let err;
        try {
          await fn();
        } catch (e) {
          err = e;
        }
        check(err instanceof TypeError, `${what}: expected a TypeError, got ${err?.name}: ${err?.message}`);
        eq(err.code, code, `${what}: code`);
      }
      // The channel is still open after bad input.
      ch.sendToQueue(q, bytes("still open"));
      eq((await collect(ch, q, 1)).map(text), ["still open"], "channel still works");
      await ch.close();
      return `${cases.length} cases`;
    },
  ],
];

/** Runs every check on its own connection to a fresh bus; resolves to `[{ name, ok, detail }]`. */
export async function run(connect, { bus = uniq("edge") } = {}) {
  const results = [];
  // connect() itself rejects bad input with a coded TypeError.
  try {
    let err;
    try {
      await connect("http://nope");
    } catch (e) {
      err = e;
    }
    check(err instanceof TypeError, `expected a TypeError, got ${err?.name}: ${err?.message}`);
    eq(err.code, "SWITCHYARD_INVALID_ARGUMENT", "code");
    results.push({ name: "connect: bad URL is a TypeError", ok: true, detail: err.message });
  } catch (e) {
    results.push({ name: "connect: bad URL is a TypeError", ok: false, detail: String(e?.stack ?? e) });
  }
  for (const [name, fn] of checks) {
    let conn;
    try {
      conn = await connect(`switchyard://${bus}`);
      conn.on("error", () => {});
      const detail = await fn(conn);
      results.push({ name, ok: true, detail: detail ?? "" });
    } catch (e) {
      results.push({ name, ok: false, detail: String(e?.stack ?? e) });
    } finally {
      await conn?.close().catch(() => {});
    }
  }
  return results;
}

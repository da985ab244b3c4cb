// Type-checked (never run) against the installed package's index.d.ts: `make test-types`.
// Realistic use of the whole public API compiles; each `@ts-expect-error` line is a misuse the
// types must reject (tsc fails if such a line compiles).
import amqp, {
  Channel as ChannelClass,
  ConfirmChannel as ConfirmChannelClass,
  Connection as ConnectionClass,
  connect,
  version,
  type AmqpError,
  type Bytes,
  type Channel,
  type ConfirmChannel,
  type Connection,
  type ConsumeMessage,
  type GetMessage,
  type IllegalOperationError,
  type Message,
  type Options,
  type QueueStats,
  type Replies,
  type ReturnMessage,
  type StoreAdapter,
  type SwitchyardError,
  type XDeath,
} from "switchyard";

// --- connect -----------------------------------------------------------------------------------
const conn: Connection = await connect();
await connect("amqp://localhost");
await connect("amqps://user:pass@example.com/vhost");
await connect("switchyard://orders", { storage: "memory", scope: "local", maxMessageBytes: 1 << 20 });
await amqp.connect("switchyard://orders");
await connect({ protocol: "amqp", hostname: "localhost", port: 5672, username: "guest", password: "guest", vhost: "/" });
const busName: string = conn.bus;
const topo = await conn.topology();
const firstQueue: string | undefined = topo.queues[0]?.name;
const totalDepth: number = (await conn.stats()).reduce((n, s) => n + s.messages, 0);
const due: Date | null = await conn.nextDeadline();
console.log(due?.getTime());
const link = conn.linkState();
const others: string[] = (await conn.contexts()).filter((c) => !c.leader).map((c) => `${c.kind} ${c.consumers.length}`);
console.log(others);
const leads: boolean = link.leader;
const where: "origin" | "local" = link.scope;
conn.on("failover", (info) => console.log(info.leaderId, info.errors.length, leads, where));
conn.on("leaderLost", ({ leaderId, at }) => console.log(leaderId.length + at));
const v: string = amqp.version() + version();
// amqplib's URL object defaults its protocol to amqp.
await connect({ hostname: "localhost" });
// @ts-expect-error the protocol is amqp or amqps
await connect({ protocol: "http", hostname: "localhost" });
const adapter: StoreAdapter = {
  async load() { return undefined; },
  async apply(_batch) {},
  async close() {},
};
await connect(undefined, { storage: adapter, scope: "local" });
// @ts-expect-error storage is "memory" | "indexeddb" | an adapter
await connect(undefined, { storage: "disk" });
// @ts-expect-error scope is "origin" | "local"
await connect(undefined, { scope: "global" });
// @ts-expect-error maxMessageBytes is a number
await connect(undefined, { maxMessageBytes: "1mb" });
// @ts-expect-error unknown connect option
await connect(undefined, { heartbeat: 10 });
// @ts-expect-error the URL is a string
await connect(5672);

conn.on("error", (err: Error) => console.error(err.message));
conn.once("close", () => {});
conn.on("close", (err?: Error) => console.log(err?.message));
conn.off("close", () => {});
// @ts-expect-error a connection has no 'return' event
conn.on("return", () => {});

const ch: Channel = await conn.createChannel();
const cch: ConfirmChannel = await conn.createConfirmChannel();
// The classes are exported for instanceof checks, but only connect()/createChannel() make them.
const kinds: boolean[] = [
  conn instanceof ConnectionClass, ch instanceof ChannelClass, cch instanceof ConfirmChannelClass,
  cch instanceof amqp.Channel, conn instanceof amqp.Connection, ch instanceof amqp.ConfirmChannel,
];
// @ts-expect-error channels come from connection.createChannel()
new ChannelClass();
// @ts-expect-error connections come from connect()
new amqp.Connection();

// --- channel events ----------------------------------------------------------------------------
ch.on("error", (err) => {
  const code: number = err.code;
  console.error(code, err.message);
});
ch.on("close", () => {});
ch.on("drain", () => {});
ch.on("return", (msg: ReturnMessage) => {
  const code: number = msg.fields.replyCode;
  const text: string = msg.fields.replyText;
  const key: string = msg.fields.routingKey;
  console.log(code, text, key, msg.properties.messageId);
});
ch.addListener("close", () => {});
ch.removeListener("close", () => {});
ch.removeAllListeners("error");
const emitted: boolean = ch.emit("drain");
const listeners: number = ch.listenerCount("error") + ch.listeners("return").length;
// @ts-expect-error misspelled event name
ch.on("eror", () => {});
// @ts-expect-error 'close' listeners get no arguments
ch.on("close", (reason: string) => console.log(reason));

// --- queues ------------------------------------------------------------------------------------
const qok: Replies.AssertQueue = await ch.assertQueue("jobs", {
  durable: true,
  exclusive: false,
  autoDelete: false,
  arguments: { "x-queue-type": "classic", "x-max-length": 1000 },
  messageTtl: 60_000,
  expires: 3_600_000,
  deadLetterExchange: "dlx",
  deadLetterRoutingKey: "jobs.dead",
  maxLength: 10_000,
  maxLengthBytes: 1 << 24,
  maxPriority: 10,
  overflow: "reject-publish-dlx",
  queueMode: "lazy",
  singleActiveConsumer: true,
  deliveryLimit: 5,
});
const counts: [string, number, number] = [qok.queue, qok.messageCount, qok.consumerCount];
const { queue: serverNamed } = await ch.assertQueue("", { exclusive: true });
await ch.assertQueue();
await ch.assertQueue("drops", { overflow: "drop-head" });
await ch.checkQueue("jobs");
const purged: Replies.PurgeQueue = await ch.purgeQueue("jobs");
const deleted: Replies.DeleteQueue = await ch.deleteQueue("jobs", { ifUnused: true, ifEmpty: false });
console.log(purged.messageCount + deleted.messageCount);
await ch.bindQueue(serverNamed, "amq.topic", "orders.*");
await ch.bindQueue(serverNamed, "amq.headers", "", { "x-match": "any", region: "eu" });
await ch.unbindQueue(serverNamed, "amq.topic", "orders.*", {});
// @ts-expect-error durable is a boolean
await ch.assertQueue("q", { durable: "yes" });
// @ts-expect-error messageTtl is a number
await ch.assertQueue("q", { messageTtl: "1m" });
// @ts-expect-error not an x-overflow value
await ch.assertQueue("q", { overflow: "drop-tail" });
// @ts-expect-error unknown option (typo of autoDelete)
await ch.assertQueue("q", { autodelete: true });
// @ts-expect-error checkQueue needs a queue name
await ch.checkQueue();
// @ts-expect-error bindQueue needs a pattern
await ch.bindQueue("q", "amq.direct");

// --- exchanges ---------------------------------------------------------------------------------
const eok: Replies.AssertExchange = await ch.assertExchange("logs", "fanout", { durable: false });
const exchangeName: string = eok.exchange;
await ch.assertExchange("orders", "topic", {
  durable: true,
  internal: false,
  autoDelete: false,
  alternateExchange: "unrouted",
  arguments: { "x-note": "typed" },
});
await ch.assertExchange("direct_logs", "direct");
await ch.assertExchange("by-headers", "headers");
await ch.checkExchange("logs");
await ch.bindExchange("logs", "orders", "#");
await ch.unbindExchange("logs", "orders", "#", {});
await ch.deleteExchange("logs", { ifUnused: false });
// @ts-expect-error unknown exchange type
await ch.assertExchange("x", "x-delayed-message");
// @ts-expect-error the exchange type is required
await ch.assertExchange("x");
// @ts-expect-error internal is a boolean
await ch.assertExchange("x", "direct", { internal: 1 });
// @ts-expect-error alternateExchange is an exchange name
await ch.assertExchange("x", "direct", { alternateExchange: true });

// --- publishing --------------------------------------------------------------------------------
const publishOptions: Options.Publish = {
  expiration: 5000,
  userId: "guest",
  CC: ["audit"],
  BCC: "shadow",
  mandatory: true,
  persistent: true,
  deliveryMode: 2,
  contentType: "application/json",
  contentEncoding: "utf-8",
  headers: { "x-retry": 1, tags: ["a", "b"], nested: { ok: true } },
  priority: 5,
  correlationId: "c-1",
  replyTo: "amq.rabbitmq.reply-to",
  messageId: "m-1",
  timestamp: Math.floor(Date.now() / 1000),
  type: "order.created",
  appId: "shop",
  delay: 250,
};
const wrote: boolean = ch.publish("orders", "orders.created", new TextEncoder().encode("{}"), publishOptions);
ch.publish("", "jobs", new Uint8Array([1, 2, 3]));
ch.publish("", "jobs", new ArrayBuffer(8));
ch.sendToQueue("jobs", "a string body");
ch.sendToQueue("jobs", { id: 1, items: ["x"] }, { expiration: "1000" });
ch.sendToQueue("jobs", [1, 2, 3]);
ch.sendToQueue("jobs", new Map([["k", 1]]));
ch.sendToQueue("jobs", 42, { deliveryMode: true });
// @ts-expect-error a function is not structured-cloneable
ch.sendToQueue("jobs", () => "body");
// @ts-expect-error a symbol is not structured-cloneable
ch.sendToQueue("jobs", Symbol("body"));
// @ts-expect-error content is required
ch.sendToQueue("jobs");
// @ts-expect-error priority is a number
ch.publish("", "jobs", "x", { priority: "high" });
// @ts-expect-error persistent is a boolean
ch.publish("", "jobs", "x", { persistent: "yes" });
// @ts-expect-error CC is a string or string[]
ch.publish("", "jobs", "x", { CC: 7 });
// @ts-expect-error delay is milliseconds (a number)
ch.publish("", "jobs", "x", { delay: "1s" });
// @ts-expect-error unknown publish option
ch.publish("", "jobs", "x", { persistant: true });
// @ts-expect-error a plain channel takes no confirm callback
ch.publish("", "jobs", "x", {}, () => {});

// --- consuming ---------------------------------------------------------------------------------
await ch.prefetch(10);
await ch.prefetch(1, true);
await ch.qos(5);
const cok: Replies.Consume = await ch.consume(
  "jobs",
  (msg) => {
    if (msg === null) return; // cancelled by the broker
    const body: string = new TextDecoder().decode(msg.content);
    const tag: number = msg.fields.deliveryTag;
    const ctag: string = msg.fields.consumerTag;
    const again: boolean = msg.fields.redelivered;
    const props = msg.properties;
    const deaths: XDeath[] | undefined = props.headers["x-death"];
    const firstReason: string | undefined = deaths?.[0]?.reason;
    const when: number | undefined = deaths?.[0]?.time.value;
    const corr: string | undefined = props.correlationId;
    const ts: number | undefined = props.timestamp;
    console.log(body, tag, ctag, again, firstReason, when, corr, ts, props.contentType);
    ch.ack(msg);
  },
  {
    consumerTag: "worker-1",
    noLocal: false,
    noAck: false,
    exclusive: false,
    priority: 5,
    arguments: { "x-priority": 5 },
    signal: AbortSignal.timeout(60_000),
  },
);
const cancelled: Replies.Cancel = await ch.cancel(cok.consumerTag);
console.log(cancelled.consumerTag);
// An async handler is fine.
await ch.consume("jobs", async (msg) => {
  if (msg) ch.nack(msg, false, false);
});
// Structured content, typed by the caller.
interface Order { id: number; items: string[] }
await ch.consume<Order>("orders", (msg) => {
  if (msg) console.log(msg.content.id, msg.content.items.length);
}, { noAck: true });
// @ts-expect-error the handler may get null: check before use
await ch.consume("jobs", (msg) => console.log(msg.content));
// @ts-expect-error noAck is a boolean
await ch.consume("jobs", () => {}, { noAck: "true" });
// @ts-expect-error signal is an AbortSignal
await ch.consume("jobs", () => {}, { signal: new AbortController() });
// @ts-expect-error the handler is required
await ch.consume("jobs");

const got: GetMessage | false = await ch.get("jobs", { noAck: false });
if (got !== false) {
  const left: number = got.fields.messageCount;
  console.log(left);
  ch.ack(got, true);
  ch.reject(got, false);
  ch.nack(got);
  ch.nackWithDelay(got, 1000);
  ch.nackWithDelay(got, 1000, true);
  // @ts-expect-error the delay is required
  ch.nackWithDelay(got);
  // @ts-expect-error allUpTo is a boolean
  ch.ack(got, 1);
}
ch.ackAll();
ch.nackAll();
ch.nackAll(false);
await ch.recover();
// @ts-expect-error ack needs the message, not its tag
ch.ack(1);
// @ts-expect-error prefetch needs a count
await ch.prefetch();
// @ts-expect-error get has no consumer options
await ch.get("jobs", { exclusive: true });

// --- switchyard additions: messages(), AbortSignal, stats() ------------------------------------
const controller = new AbortController();
for await (const msg of ch.messages("jobs", { signal: controller.signal, noAck: false })) {
  const m: ConsumeMessage = msg;
  ch.ack(m);
  if (m.fields.redelivered) break;
}
for await (const msg of ch.messages<string>("strings", { noAck: true })) {
  const s: string = msg.content;
  console.log(s.toUpperCase());
}
const stats: QueueStats = await ch.stats("jobs");
const depth: number = stats.messages + stats.unacked + stats.delayed + stats.bytes;
const totals: number = stats.published + stats.delivered + stats.redelivered + stats.acked + stats.deadLettered + stats.dropped;
console.log(stats.queue, stats.consumers, depth, totals);
// @ts-expect-error stats needs a queue name
await ch.stats();
// @ts-expect-error messages() yields messages, never null
for await (const msg of ch.messages("jobs")) { const n: null = msg; console.log(n); }

// --- confirm channels --------------------------------------------------------------------------
cch.publish("orders", "orders.created", "x", { persistent: true }, (err, ok) => {
  if (err !== null) console.error("nacked:", err.message);
  else console.log("confirmed", ok);
});
cch.sendToQueue("jobs", new Uint8Array(1), {}, (err) => {
  if (err) throw err;
});
cch.sendToQueue("jobs", "no callback is fine");
await cch.waitForConfirms();
// @ts-expect-error the callback gets an Error or null, not a boolean
cch.publish("", "jobs", "x", {}, (err: boolean) => console.log(err));
// @ts-expect-error waitForConfirms takes no callback
await cch.waitForConfirms(() => {});
// A confirm channel is a channel.
const asChannel: Channel = cch;
// @ts-expect-error a plain channel is not a confirm channel
const asConfirm: ConfirmChannel = ch;

// --- errors ------------------------------------------------------------------------------------
try {
  await ch.checkQueue("missing");
} catch (e) {
  const err = e as AmqpError;
  if (err.code === 404) console.log("no such queue:", err.message);
}
try {
  ch.publish("", "q", "x");
} catch (e) {
  const err = e as IllegalOperationError | SwitchyardError;
  const code: string = err.code;
  if (err.name === "IllegalOperationError") console.log(code);
}

// --- amqplib-style generic helpers still type-check --------------------------------------------
function bodyText(msg: Message): string {
  const bytes: Bytes = msg.content;
  return new TextDecoder().decode(bytes);
}
async function drainOne(channel: Channel, queue: string): Promise<string | null> {
  const msg = await channel.get(queue);
  return msg ? bodyText(msg) : null;
}
await drainOne(ch, "jobs");

await ch.close();
await cch.close();
await conn.close();

export { counts, exchangeName, wrote, emitted, listeners, asChannel, asConfirm, busName, v, kinds };

// Store adapters for edge runtimes, from their own entry points.
import { durableObjectStore } from "switchyard/store-durable-object";
import { denoKvStore } from "switchyard/store-deno-kv";
const doStore: StoreAdapter = durableObjectStore({}, { prefix: "bus:" });
const kvStore: StoreAdapter = denoKvStore({}, ["bus"]);
await connect("switchyard://edge", { storage: doStore });
void kvStore;

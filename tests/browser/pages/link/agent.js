// One participant of an origin-wide bus, driven by named commands (tests/browser/link.spec.mjs).
// The same module runs in a page (context.html) and in a dedicated or shared module worker
// (agent-worker.js), so a test runs the same step in whichever context it likes and reads back
// what that context observed. It imports the package by its file path (workers have no import
// maps; the page's import map resolves "switchyard" to the same module).
//
// Work messages carry their id in properties.messageId and "#id" as the body. A consumer keeps
// every delivery as [id, redelivered, receivedAtMs, bodyOk] and every id it acked; a publisher
// keeps [id, confirmedAtMs] per confirm, the ids whose confirm was rejected with
// SWITCHYARD_LEADER_LOST (and republishes them), and any other rejection.
import * as switchyard from "/node_modules/switchyard/browser.js";

const REPLY_TO = "amq.rabbitmq.reply-to";
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const text = (content) => (content instanceof Uint8Array ? decoder.decode(content) : String(content));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A plain, cloneable description of an error (it crosses postMessage and page.evaluate). */
export function errorInfo(error) {
  return { name: error?.name, code: error?.code, message: String(error?.message ?? error), stack: String(error?.stack ?? "") };
}

/** An agent for bus `bus`; `label` names it in reports ("tab-1", "worker", …). */
export function createAgent({ bus, label }) {
  const agent = {
    bus,
    label,
    lib: switchyard,
    conn: null,
    failovers: [], // { at, leaderId, leader } per "failover" event
    leadersLost: [], // { at, leaderId } per "leaderLost" event
    events: [], // anything unexpected: channel/connection errors and closes
    consumers: new Map(),
    publishers: new Map(),
    call(cmd, args = {}) {
      const command = commands[cmd];
      if (!command) return Promise.reject(new Error(`agent ${label}: unknown command '${cmd}'`));
      return command(agent, args);
    },
  };
  return agent;
}

// Records a channel's errors, and its closing unless the agent closed it (see closeOwn).
function watchChannel(agent, ch, what) {
  ch.on("error", (e) => agent.events.push(`${what}: channel error ${e?.code} ${e?.message}`));
  ch.on("close", () => ch.closedOnPurpose || agent.events.push(`${what}: channel closed`));
  return ch;
}

function closeOwn(ch) {
  ch.closedOnPurpose = true;
  return ch.close();
}

const commands = {
  ping: async (agent) => agent.label,

  /** connect(`switchyard://BUS`, options): the link state of the new connection. */
  async connect(agent, { options } = {}) {
    const conn = await agent.lib.connect(`switchyard://${agent.bus}`, options);
    conn.on("failover", (e) => {
      // `errors`: what could not be re-created on the new leader, if the event lists any.
      const errors = (e?.errors ?? []).map((err) => `${err?.code} ${err?.message ?? err}`);
      agent.failovers.push({ at: Date.now(), leaderId: e?.leaderId, leader: e?.leader, errors });
    });
    conn.on("leaderLost", (e) => agent.leadersLost.push({ at: e?.at, leaderId: e?.leaderId }));
    conn.on("error", (e) => agent.events.push(`connection error ${e?.code} ${e?.message}`));
    conn.on("close", () => agent.events.push("connection closed"));
    agent.conn = conn;
    return { label: agent.label, ...conn.linkState() };
  },

  /** The connection's link state, the failovers it saw and anything unexpected. */
  async state(agent) {
    return { label: agent.label, ...agent.conn.linkState(), failovers: agent.failovers, leadersLost: agent.leadersLost, events: agent.events };
  },

  stats: async (agent) => agent.conn.stats(),
  topology: async (agent) => agent.conn.topology(),

  /**
   * Consumes the durable queue `queue` with manual acks and `prefetch`: each delivery is acked
   * at once (ackEvery 0), or in groups every `ackEvery` ms, or never (ack false); `queueArgs`
   * are the queue's `arguments`. With
   * `announce`, for a context that will be killed, what arrives also goes to the console in lines
   * "received ID,ID…" ("IDr" if flagged redelivered) every 10 ms: after the fact, so what the test
   * saw is a subset of what arrived.
   */
  async consume(agent, { queue, queueArgs, prefetch = 20, ackEvery = 0, ack = true, name = queue, announce = false }) {
    const ch = watchChannel(agent, await agent.conn.createChannel(), `consumer ${name}`);
    await ch.assertQueue(queue, { durable: true, arguments: queueArgs });
    await ch.prefetch(prefetch);
    const c = { received: [], acked: [], cancelled: false };
    agent.consumers.set(name, c);
    let pending = [];
    let announced = [];
    const announceReceived = (id) => {
      if (announced.length === 0) {
        setTimeout(() => {
          console.log(`received ${announced.join(",")}`);
          announced = [];
        }, 10);
      }
      announced.push(id);
    };
    const ackOne = (msg) => {
      try {
        ch.ack(msg);
        c.acked.push(Number(msg.properties.messageId));
      } catch (e) {
        agent.events.push(`consumer ${name}: ack threw ${e?.code} ${e?.message}`);
      }
    };
    if (ack && ackEvery > 0) {
      setInterval(() => {
        const group = pending;
        pending = [];
        group.forEach(ackOne);
      }, ackEvery);
    }
    await ch.consume(queue, (msg) => {
      if (msg === null) {
        c.cancelled = true;
        return;
      }
      const id = Number(msg.properties.messageId);
      c.received.push([id, msg.fields.redelivered, Date.now(), text(msg.content) === `#${id}`]);
      if (announce) announceReceived(msg.fields.redelivered ? `${id}r` : `${id}`);
      if (!ack) return;
      if (ackEvery > 0) pending.push(msg);
      else ackOne(msg);
    });
    return name;
  },

  /**
   * Publishes ids from..to as persistent messages to the durable queue `queue` on a confirm
   * channel, at most `window` unconfirmed, `per` per task with `pauseMs` between tasks.
   * Returns once the channel is open; the publishing goes on in the background (see progress).
   */
  async publish(agent, { queue, queueArgs, from = 1, to, per = 50, window = 400, pauseMs = 0, name = "publisher" }) {
    const ch = watchChannel(agent, await agent.conn.createConfirmChannel(), name);
    await ch.assertQueue(queue, { durable: true, arguments: queueArgs });
    const p = { confirmed: [], lost: [], nacked: [], published: 0, done: false, error: null, doneAt: null };
    agent.publishers.set(name, p);
    const todo = [];
    for (let id = to; id >= from; id--) todo.push(id); // popped from the end: ascending ids
    let outstanding = 0;
    let wake = () => {};
    const settled = (id) => (err) => {
      outstanding--;
      if (!err) p.confirmed.push([id, Date.now()]);
      else if (err.code === "SWITCHYARD_LEADER_LOST") {
        p.lost.push(id);
        todo.push(id);
      } else p.nacked.push([id, err.code, err.message]);
      wake();
    };
    const run = async () => {
      while (todo.length > 0 || outstanding > 0) {
        if (todo.length === 0 || outstanding >= window) {
          await new Promise((resolve) => (wake = resolve));
          continue;
        }
        for (let i = 0; i < per && todo.length > 0 && outstanding < window; i++) {
          const id = todo.pop();
          outstanding++;
          p.published++;
          ch.sendToQueue(queue, encoder.encode(`#${id}`), { persistent: true, messageId: String(id) }, settled(id));
        }
        await sleep(pauseMs);
      }
      p.done = true;
      p.doneAt = Date.now();
    };
    run().catch((e) => (p.error = errorInfo(e)));
    return name;
  },

  /** Counts only (cheap to poll). */
  async progress(agent) {
    const out = { consumers: {}, publishers: {} };
    for (const [name, c] of agent.consumers) out.consumers[name] = { received: c.received.length, acked: c.acked.length };
    for (const [name, p] of agent.publishers) {
      out.publishers[name] = { confirmed: p.confirmed.length, lost: p.lost.length, nacked: p.nacked.length, done: p.done, error: p.error };
    }
    return out;
  },

  /** Everything observed: consumers, publishers, failovers, unexpected events. */
  async report(agent) {
    return {
      label: agent.label,
      consumers: Object.fromEntries(agent.consumers),
      publishers: Object.fromEntries(agent.publishers),
      failovers: agent.failovers,
      events: agent.events,
    };
  },

  /**
   * Declares topic exchange `exchange` and queue `queue` bound with `keys`, and consumes it
   * (manual ack): the consumer named `queue` then keeps [routingKey, body, exchange, redelivered].
   */
  async topic(agent, { exchange, queue, keys }) {
    const ch = watchChannel(agent, await agent.conn.createChannel(), `topic ${queue}`);
    await ch.assertExchange(exchange, "topic", { durable: false });
    await ch.assertQueue(queue, { durable: false });
    for (const key of keys) await ch.bindQueue(queue, exchange, key);
    const c = { received: [], acked: [], cancelled: false };
    agent.consumers.set(queue, c);
    await ch.consume(queue, (msg) => {
      if (msg === null) return void (c.cancelled = true);
      c.received.push([msg.fields.routingKey, text(msg.content), msg.fields.exchange, msg.fields.redelivered]);
      ch.ack(msg);
    });
    return queue;
  },

  /** Publishes one message per key to `exchange` (body "KEY from LABEL") and waits for the confirms. */
  async publishKeys(agent, { exchange, keys }) {
    const ch = watchChannel(agent, await agent.conn.createConfirmChannel(), "publishKeys");
    for (const key of keys) ch.publish(exchange, key, encoder.encode(`${key} from ${agent.label}`));
    await ch.waitForConfirms();
    await closeOwn(ch);
    return keys.length;
  },

  /** An RPC server on `queue`: answers "BODY by LABEL" (upper-cased) to replyTo with the correlationId. */
  async rpcServer(agent, { queue }) {
    const ch = watchChannel(agent, await agent.conn.createChannel(), `rpc server ${queue}`);
    await ch.assertQueue(queue, { durable: false });
    await ch.prefetch(1);
    const c = { received: [], acked: [], cancelled: false };
    agent.consumers.set(queue, c);
    await ch.consume(queue, (msg) => {
      if (msg === null) return void (c.cancelled = true);
      const { replyTo, correlationId } = msg.properties;
      c.received.push([text(msg.content), replyTo, correlationId]);
      ch.sendToQueue(replyTo, encoder.encode(`${text(msg.content).toUpperCase()} by ${agent.label}`), { correlationId });
      ch.ack(msg);
    });
    return queue;
  },

  /** Calls the RPC server on `queue` once per word over direct reply-to; the replies in arrival order. */
  async rpcCall(agent, { queue, words, timeoutMs = 5_000 }) {
    const ch = watchChannel(agent, await agent.conn.createChannel(), "rpc client");
    const replies = [];
    let wake = () => {};
    await ch.consume(REPLY_TO, (msg) => {
      if (msg === null) return;
      replies.push([msg.properties.correlationId, text(msg.content), msg.fields.exchange, msg.fields.routingKey]);
      wake();
    }, { noAck: true });
    for (const word of words) ch.sendToQueue(queue, encoder.encode(word), { replyTo: REPLY_TO, correlationId: `c-${word}` });
    const deadline = Date.now() + timeoutMs;
    while (replies.length < words.length && Date.now() < deadline) {
      await Promise.race([new Promise((resolve) => (wake = resolve)), sleep(50)]);
    }
    await closeOwn(ch);
    return replies;
  },
};

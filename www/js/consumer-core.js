// One consumer's behaviour, without any DOM, so that it runs the same in this page and in a
// dedicated worker (worker.js): its own channel (so its prefetch and failures are its own), a
// simulated processing time and, in manual-ack mode, ack / nack / reject / retry per message.
// Its view (consumers.js) draws what snapshot() returns: tallies and the log rows that changed,
// with `redelivered` and `x-death`.
//
// Processing is serial, as in a worker process: a message waits in the consumer ("delivered") until
// the previous one is done. With auto-ack (noAck) the broker hands over everything at once and
// prefetch does not apply, which the log makes visible.
import { bodyText, encode } from "./dom.js";
import { Tracked } from "./channels.js";
import { ledgerId } from "./ledger.js";

export const LOG_ROWS = 30;
const RETRY_MS = 1000;

export const ACTIONS = {
  ack: { label: "ack", state: "acked", call: (ch, m) => ch.ack(m), code: "ch.ack(msg)" },
  requeue: { label: "nack ↻", state: "requeued", call: (ch, m) => ch.nack(m, false, true), code: "ch.nack(msg, false, true)", title: "nack and requeue: it comes back, redelivered" },
  reject: { label: "reject", state: "rejected", call: (ch, m) => ch.nack(m, false, false), code: "ch.nack(msg, false, false)", title: "nack without requeue: dead-lettered if the queue has a dead-letter exchange, else dropped" },
  retry: { label: "retry 1 s", state: "retry in 1 s", call: (ch, m) => ch.nackWithDelay(m, RETRY_MS), code: `ch.nackWithDelay(msg, ${RETRY_MS})`, title: `nackWithDelay: back in the queue, redelivered, after ${RETRY_MS} ms` },
};
const TALLY = { ack: "acked", requeue: "requeued", reject: "rejected", retry: "retried" };

/** The RPC server's answer: fib(n) for a number, as in RabbitMQ's tutorial 6; else an echo. */
function answer(body) {
  const n = Number(body.trim());
  if (Number.isInteger(n) && n >= 0 && n <= 1000) {
    let [a, b] = [0n, 1n];
    for (let i = 0; i < n; i++) [a, b] = [b, a + b];
    return `fib(${n}) = ${a}`;
  }
  return `re: ${body}`;
}

/** What the settings of a consumer read as, one line. */
export function summary(o) {
  const parts = [o.noAck ? "auto-ack (noAck)" : `prefetch ${o.prefetch} · manual ack`, `${o.processMs} ms/msg`];
  if (o.reply) parts.push("replies to replyTo");
  if (!o.noAck) {
    parts.push(o.after === "hand" ? "you ack" : "then ack");
    if (o.failPct > 0) parts.push(`${o.failPct}% fail → ${ACTIONS[o.onFail].code.replace("ch.", "")}`);
  }
  return parts.join(" · ");
}

/** The options a consumer runs with (plain data: they cross postMessage to a worker). */
export function normalise(o) {
  return {
    label: o.label,
    tag: o.tag ?? o.label,
    queue: o.queue,
    prefetch: o.prefetch ?? 10,
    noAck: !!o.noAck,
    processMs: o.processMs ?? 200,
    after: o.after ?? "ack",
    reply: !!o.reply,
    failPct: o.failPct ?? 0,
    onFail: o.onFail ?? "reject",
  };
}

export class ConsumerCore {
  /**
   * o: normalise()d options. conn: a switchyard Connection. errors: { report, follow } (the error
   * panel, or its stand-in in a worker). onChange(): something snapshot() shows changed.
   * ledger: a ledgerReporter() (ledger.js), told of each persistent message acked or rejected.
   */
  constructor(o, { conn, errors, onChange, ledger }) {
    Object.assign(this, o);
    this.conn = conn;
    this.errors = errors;
    this.onChange = onChange;
    this.ledger = ledger;
    this.stopped = null;
    this.entries = [];
    this.inbox = [];
    this.unsettled = new Set();
    this.busy = false;
    this.delays = [];
    this.tally = { received: 0, acked: 0, requeued: 0, rejected: 0, retried: 0, replied: 0, redelivered: 0 };
  }

  async start() {
    const ch = await this.conn.createChannel();
    this.tracked = new Tracked(ch, this.tag, this.errors, () => this.#stop("its channel was closed by the broker (see Errors)", "back to the queue"));
    const opts = `{ noAck: ${this.noAck}, consumerTag: ${JSON.stringify(this.tag)} }`;
    try {
      if (!this.noAck) await this.tracked.run(`ch.prefetch(${this.prefetch})`, (c) => c.prefetch(this.prefetch));
      const ok = await this.tracked.run(`ch.consume(${JSON.stringify(this.queue)}, onMessage, ${opts})`, (c) =>
        c.consume(this.queue, (m) => this.#onMessage(m), { noAck: this.noAck, consumerTag: this.tag }),
      );
      this.consumerTag = ok.consumerTag;
    } catch (err) {
      this.tracked.close();
      throw err;
    }
    this.onChange();
  }

  #onMessage(msg) {
    if (msg === null) {
      this.#stop("cancelled by the broker: its queue was deleted", "gone with the queue");
      this.tracked.close();
      return;
    }
    const { fields, properties } = msg;
    const sent = properties.timestamp;
    const delay = typeof sent === "number" ? Date.now() - sent : undefined;
    if (delay !== undefined) this.delays.push(delay);
    if (fields.redelivered) this.tally.redelivered++;
    const id = ledgerId(msg);
    if (id && this.noAck) this.ledger?.acked(id, this.queue); // acked by the broker on delivery
    const entry = {
      n: ++this.tally.received,
      msg,
      body: bodyText(msg.content),
      key: fields.routingKey,
      id,
      redelivered: fields.redelivered,
      deaths: (properties.headers?.["x-death"] ?? []).map((d) => `${d.reason} ×${d.count} · ${d.queue}`),
      delay,
      leader: this.conn.linkState().leaderId,
      state: "delivered",
      settled: this.noAck,
      dirty: true,
    };
    this.entries.unshift(entry);
    if (!entry.settled) this.unsettled.add(entry);
    this.inbox.push(entry);
    this.#pump();
    this.onChange();
  }

  #pump() {
    if (this.busy || this.stopped) return;
    let entry = this.inbox.shift();
    while (entry && entry.settled && !this.noAck) entry = this.inbox.shift(); // acted on by hand already
    if (!entry) return;
    this.busy = true;
    entry.state = "processing";
    entry.dirty = true;
    setTimeout(() => {
      this.busy = false;
      this.#done(entry);
      this.#pump();
      this.onChange();
    }, this.processMs);
  }

  #done(entry) {
    if (this.stopped) return;
    if (this.noAck) {
      entry.state = this.#maybeReply(entry) ? "replied" : "done";
      entry.dirty = true;
      return;
    }
    if (entry.settled) return; // acted on by hand, or lost with a leader, while it was processing
    if (this.failPct > 0 && Math.random() * 100 < this.failPct) {
      entry.failed = true;
      return this.#settle(entry, this.onFail);
    }
    if (this.after === "hand") {
      entry.state = "waiting for you";
      entry.dirty = true;
      return;
    }
    this.#maybeReply(entry);
    this.#settle(entry, "ack");
  }

  #maybeReply(entry) {
    const { replyTo, correlationId } = entry.msg.properties;
    if (!this.reply || !replyTo) return false;
    const text = answer(entry.body);
    try {
      this.tracked.lastOp = `ch.sendToQueue(${JSON.stringify(replyTo)}, …, { correlationId: ${JSON.stringify(correlationId)} })`;
      this.tracked.ch.sendToQueue(replyTo, encode(text), { correlationId });
      this.tally.replied++;
      entry.reply = text;
      return true;
    } catch (err) {
      this.tracked.fail(err, this.tracked.lastOp);
      return false;
    }
  }

  /** ack / requeue / reject / retry message number n (a button in its log row). */
  settle(n, action) {
    const entry = this.entries.find((x) => x.n === n);
    if (entry) this.#settle(entry, action);
  }

  #settle(entry, action) {
    if (entry.settled || this.stopped) return;
    const a = ACTIONS[action];
    // Told before the ack leaves: an ack lost with a leader means a redelivery, counted once.
    if (entry.id && action === "ack") this.ledger?.acked(entry.id, this.queue);
    if (entry.id && action === "reject") this.ledger?.rejected(entry.id, this.queue);
    try {
      this.tracked.lastOp = a.code;
      a.call(this.tracked.ch, entry.msg);
    } catch (err) {
      this.tracked.fail(err, a.code);
      return;
    }
    entry.settled = true;
    this.unsettled.delete(entry);
    entry.state = a.state;
    entry.dirty = true;
    this.tally[TALLY[action]]++;
    this.onChange();
  }

  /**
   * The bus moved to a new leader: what this consumer held from the old one was requeued there
   * (durable messages come back from IndexedDB, redelivered); acking it now would be a no-op.
   */
  failover(leaderId) {
    for (const e of this.unsettled) {
      if (e.leader === leaderId) continue;
      e.state = "requeued by failover";
      e.settled = true;
      e.dirty = true;
      this.unsettled.delete(e);
    }
    this.inbox = this.inbox.filter((e) => !e.settled || this.noAck);
    this.onChange();
  }

  #stop(reason, fate) {
    if (this.stopped) return;
    this.stopped = reason;
    for (const e of this.unsettled) {
      e.state = fate;
      e.settled = true;
      e.dirty = true;
    }
    this.unsettled.clear();
    this.inbox = [];
    this.onChange();
  }

  close() {
    this.stopped ??= "stopped";
    return this.tracked?.close();
  }

  /**
   * What the view draws, as plain data: tallies, and the log rows that changed since the last
   * snapshot (newest first, at most LOG_ROWS; rows numbered below `oldest` are gone). `delays`:
   * publish → deliver times measured since the last snapshot, for the metrics.
   */
  snapshot() {
    const kept = this.entries.slice(0, LOG_ROWS);
    this.entries.length = kept.length;
    const rows = [];
    for (const e of kept) {
      if (!e.dirty) continue;
      e.dirty = false;
      const buttons = !this.noAck && !e.settled && !this.stopped && (this.after === "hand" || e.state !== "delivered");
      rows.push({ n: e.n, body: e.body, state: e.state, failed: !!e.failed, redelivered: e.redelivered, deaths: e.deaths, delay: e.delay, reply: e.reply, buttons });
    }
    const delays = this.delays;
    this.delays = [];
    return {
      tally: { ...this.tally },
      unsettled: this.unsettled.size,
      waiting: this.inbox.length,
      stopped: this.stopped,
      rows,
      oldest: kept.at(-1)?.n ?? 0,
      delays,
    };
  }
}

// Consumers that run in this page, each on its own channel (so its prefetch and its failures are
// its own), with a simulated processing time and, in manual-ack mode, ack / nack / reject / retry
// per message. Each keeps a log that shows `redelivered` and `x-death`.
//
// Processing is serial, as in a worker process: a message waits in the consumer ("delivered") until
// the previous one is done. With auto-ack (noAck) the broker hands over everything at once and
// prefetch does not apply, which the log makes visible.
import { h, $, bodyText, encode, duration, perFrame } from "./dom.js";
import { Tracked } from "./channels.js";

const LOG_ROWS = 30;
const RETRY_MS = 1000;
let counter = 0;

const ACTIONS = {
  ack: { label: "ack", state: "acked", call: (ch, m) => ch.ack(m), code: "ch.ack(msg)" },
  requeue: { label: "nack ↻", state: "requeued", call: (ch, m) => ch.nack(m, false, true), code: "ch.nack(msg, false, true)", title: "nack and requeue: it comes back, redelivered" },
  reject: { label: "reject", state: "rejected", call: (ch, m) => ch.nack(m, false, false), code: "ch.nack(msg, false, false)", title: "nack without requeue: dead-lettered if the queue has a dead-letter exchange, else dropped" },
  retry: { label: "retry 1 s", state: "retry in 1 s", call: (ch, m) => ch.nackWithDelay(m, RETRY_MS), code: `ch.nackWithDelay(msg, ${RETRY_MS})`, title: `nackWithDelay: back in the queue, redelivered, after ${RETRY_MS} ms` },
};

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

class Consumer {
  constructor(manager, o) {
    this.manager = manager;
    this.id = ++counter;
    this.label = o.label ?? `C${this.id}`;
    this.queue = o.queue;
    this.prefetch = o.prefetch ?? 10;
    this.noAck = !!o.noAck;
    this.processMs = o.processMs ?? 200;
    this.after = o.after ?? "ack";
    this.reply = !!o.reply;
    this.failPct = o.failPct ?? 0;
    this.onFail = o.onFail ?? "reject";
    this.stopped = null;
    this.entries = [];
    this.inbox = [];
    this.unsettled = new Set();
    this.busy = false;
    this.tally = { received: 0, acked: 0, requeued: 0, rejected: 0, retried: 0, replied: 0 };
    this.render = perFrame(() => this.#draw());
    this.rows = h("ol", { class: "log" });
    this.tallies = h("p", { class: "tallies" });
    this.status = h("p", { class: "consumer-status" });
    this.card = h(
      "article",
      { class: "consumer-card", "data-consumer": this.label },
      h(
        "header",
        {},
        h("span", { class: "pill" }, this.label),
        h("code", { class: "queue-name" }, this.queue),
        (this.stopButton = h("button", { type: "button", class: "small ghost", title: "Closes its channel: its unacknowledged messages go back to the queue", onclick: () => manager.remove(this) }, "Stop")),
      ),
      h("p", { class: "settings" }, this.#summary()),
      this.tallies,
      this.status,
      this.rows,
    );
    this.rows.addEventListener("click", (e) => {
      const button = e.target.closest("button[data-action]");
      const entry = button && this.entries.find((x) => x.n === Number(button.closest("li").dataset.n));
      if (entry) this.#settle(entry, button.dataset.action);
    });
  }

  #summary() {
    const parts = [this.noAck ? "auto-ack (noAck)" : `prefetch ${this.prefetch} · manual ack`, `${this.processMs} ms/msg`];
    if (this.reply) parts.push("replies to replyTo");
    if (!this.noAck) {
      parts.push(this.after === "hand" ? "you ack" : "then ack");
      if (this.failPct > 0) parts.push(`${this.failPct}% fail → ${ACTIONS[this.onFail].code.replace("ch.", "")}`);
    }
    return parts.join(" · ");
  }

  async start() {
    const { conn, errors } = this.manager;
    const ch = await conn.createChannel();
    this.tracked = new Tracked(ch, this.label, errors, () => this.#stop("its channel was closed by the broker (see Errors)", "back to the queue"));
    const opts = this.noAck ? "{ noAck: true }" : "{ noAck: false }";
    try {
      if (!this.noAck) await this.tracked.run(`ch.prefetch(${this.prefetch})`, (c) => c.prefetch(this.prefetch));
      const ok = await this.tracked.run(`ch.consume(${JSON.stringify(this.queue)}, onMessage, ${opts})`, (c) => c.consume(this.queue, (m) => this.#onMessage(m), { noAck: this.noAck }));
      this.consumerTag = ok.consumerTag;
    } catch (err) {
      this.tracked.close();
      throw err;
    }
    this.#draw();
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
    if (delay !== undefined) this.manager.metrics.recordDelay(this.queue, delay);
    const deaths = (properties.headers?.["x-death"] ?? []).map((d) => `${d.reason} ×${d.count} · ${d.queue}`);
    const entry = {
      n: ++this.tally.received,
      msg,
      body: bodyText(msg.content),
      key: fields.routingKey,
      redelivered: fields.redelivered,
      deaths,
      delay,
      state: "delivered",
      settled: this.noAck,
      dirty: true,
    };
    this.entries.unshift(entry);
    if (!entry.settled) this.unsettled.add(entry);
    this.inbox.push(entry);
    this.#pump();
    this.render();
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
      this.render();
    }, this.processMs);
  }

  #done(entry) {
    if (this.stopped) return;
    if (this.noAck) {
      entry.state = this.#maybeReply(entry) ? "replied" : "done";
      entry.dirty = true;
      return;
    }
    if (entry.settled) return; // acted on by hand while it was processing
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

  #settle(entry, action) {
    if (entry.settled || this.stopped) return;
    const a = ACTIONS[action];
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
    this.tally[{ ack: "acked", requeue: "requeued", reject: "rejected", retry: "retried" }[action]]++;
    this.render();
  }

  #stop(reason, fate) {
    if (this.stopped) return;
    this.stopped = reason;
    this.stopButton.textContent = "Remove";
    for (const e of this.unsettled) {
      e.state = fate;
      e.settled = true;
      e.dirty = true;
    }
    this.unsettled.clear();
    this.inbox = [];
    this.card.classList.add("stopped");
    this.render();
    this.manager.changed();
  }

  close() {
    this.stopped ??= "stopped";
    return this.tracked?.close();
  }

  #draw() {
    const t = this.tally;
    const inFlight = this.unsettled.size;
    this.tallies.replaceChildren(
      h("b", {}, String(t.received)),
      " received · ",
      h("b", {}, String(t.acked)),
      this.noAck ? " auto-acked on delivery" : " acked",
      t.requeued ? ` · ${t.requeued} requeued` : "",
      t.rejected ? ` · ${t.rejected} rejected` : "",
      t.retried ? ` · ${t.retried} retried` : "",
      t.replied ? ` · ${t.replied} replied` : "",
      !this.noAck ? ` · ${inFlight} unacked` : ` · ${this.inbox.length} waiting here`,
    );
    this.status.textContent = this.stopped ?? "";
    // Keyed rows, newest first: new ones are prepended, changed ones redrawn, old ones dropped.
    for (const e of [...this.entries.slice(0, LOG_ROWS)].reverse()) {
      if (!e.el) {
        e.el = h("li", { "data-n": e.n });
        this.rows.prepend(e.el);
      }
      if (e.dirty) this.#row(e);
    }
    for (const e of this.entries.splice(LOG_ROWS)) e.el?.remove();
  }

  #row(e) {
    e.dirty = false;
    e.el.className = `msg state-${e.state.split(" ")[0]}`;
    e.el.dataset.state = e.state;
    // Buttons on every unacked message when acking is left to you, else on the one in hand.
    const buttons =
      !this.noAck && !e.settled && !this.stopped && (this.after === "hand" || e.state !== "delivered")
        ? h("span", { class: "actions" }, ...Object.entries(ACTIONS).map(([k, a]) => h("button", { type: "button", class: `tiny ${k}`, "data-action": k, title: a.title ?? a.code }, a.label)))
        : null;
    e.el.replaceChildren(
      ...[
        h("span", { class: "n" }, `#${e.n}`),
        h("code", { class: "body", title: e.body }, e.body),
        h("span", { class: "state" }, e.failed ? `failed → ${e.state}` : e.state),
        h(
          "span",
          { class: "badges" },
          e.redelivered && h("span", { class: "badge redelivered", title: "fields.redelivered" }, "redelivered"),
          ...e.deaths.map((d) => h("span", { class: "badge death", title: "properties.headers['x-death']" }, d)),
          e.delay !== undefined && h("span", { class: "badge delay", title: "publish → deliver (properties.timestamp)" }, duration(e.delay)),
          e.reply && h("span", { class: "badge reply", title: "sent to replyTo" }, `↩ ${e.reply}`),
        ),
        buttons,
      ].filter(Boolean),
    );
  }
}

export class Consumers {
  #all = [];
  #list;
  #onChange;

  constructor(root, { conn, errors, metrics, onChange }) {
    this.conn = conn;
    this.errors = errors;
    this.metrics = metrics;
    this.#onChange = onChange;
    this.#list = $(".consumer-list", root);
    const form = $("form.add-consumer", root);
    const sync = () => form.classList.toggle("auto-ack", form.elements.ack.value === "auto");
    form.elements.ack.forEach((r) => r.addEventListener("change", sync));
    sync();
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const f = form.elements;
      this.add({
        queue: f.queue.value,
        prefetch: Number(f.prefetch.value),
        noAck: f.ack.value === "auto",
        processMs: Number(f.processMs.value) || 0,
        after: f.after.value,
        reply: f.reply.checked,
        failPct: Number(f.failPct.value) || 0,
        onFail: f.onFail.value,
      }).catch(() => {});
    });
    this.#form = form;
    this.#drawEmpty();
  }

  #form;

  /** The consumers of this page (the source lists them for the diagram). */
  list() {
    return this.#all;
  }

  /** Starts a consumer in this page; see Consumer for the options. Errors go to the panel. */
  async add(options) {
    const c = new Consumer(this, options);
    await c.start();
    this.#all.push(c);
    this.#list.append(c.card);
    this.changed();
    return c;
  }

  async remove(c) {
    this.#all = this.#all.filter((x) => x !== c);
    c.card.remove();
    await c.close();
    this.changed();
  }

  /** Stops them all; the next one is C1 again. */
  async removeAll() {
    await Promise.all([...this.#all].map((c) => this.remove(c)));
    counter = 0;
  }

  changed() {
    this.#drawEmpty();
    this.#onChange();
  }

  /** Keeps the queue menu of the form in step with the topology. */
  setQueues(names) {
    const select = this.#form.elements.queue;
    const current = select.value;
    const wanted = names.join("\u0000");
    if (select.dataset.names === wanted) return;
    select.dataset.names = wanted;
    select.replaceChildren(...names.map((n) => h("option", { value: n }, n)));
    if (names.includes(current)) select.value = current;
    this.#form.querySelector("button[type=submit]").disabled = names.length === 0;
  }

  #drawEmpty() {
    const empty = this.#list.querySelector(".empty");
    if (this.#all.length) empty?.remove();
    else if (!empty) this.#list.append(h("p", { class: "empty" }, "No consumers in this page yet."));
  }
}

// The consumers this tab started: in this tab, in its dedicated worker, or in the origin's shared
// or service worker (worker-host.js). All run the same ConsumerCore (consumer-core.js) and are
// drawn by the same card from its snapshots: in this tab the card reads the core once per frame,
// for a worker the snapshots arrive by postMessage. Each card has a log that shows `redelivered` and `x-death`, and ack / nack /
// requeue buttons per message in manual-ack mode.
import { h, $, duration, perFrame } from "./dom.js";
import { ConsumerCore, ACTIONS, summary, normalise } from "./consumer-core.js";

let counter = 0;

/** Where a consumer can run: its card's badge and tooltip. */
const WHERE = {
  tab: { badge: "this tab", title: () => "runs in this tab" },
  worker: { badge: "⚙ worker", title: (name) => `runs in ${name}, a dedicated worker of this tab` },
  shared: { badge: "⚙ shared worker", title: () => "runs in the origin's shared worker (one for every tab); stops when this tab goes" },
  service: { badge: "⚙ service worker", title: () => "runs in the origin's service worker (one for every tab); stops when this tab goes" },
};

/** A consumer's card: settings, tallies, status and log, redrawn from snapshots. */
class Card {
  #rows = new Map(); // n -> li
  #log = h("ol", { class: "log" });
  #tallies = h("p", { class: "tallies" });
  #status = h("p", { class: "consumer-status" });

  constructor(consumer, { settle, stop }) {
    this.consumer = consumer;
    const o = consumer.options;
    this.stopButton = h("button", { type: "button", class: "small ghost", title: "Closes its channel: its unacknowledged messages go back to the queue", onclick: stop }, "Stop");
    this.el = h(
      "article",
      { class: `consumer-card in-${consumer.where}`, "data-consumer": o.label, "data-where": consumer.where },
      h(
        "header",
        {},
        h("span", { class: "pill" }, o.label),
        h("code", { class: "queue-name" }, o.queue),
        h("span", { class: `where ${consumer.where}`, title: WHERE[consumer.where].title(consumer.whereName) }, WHERE[consumer.where].badge),
        this.stopButton,
      ),
      h("p", { class: "settings" }, summary(o)),
      this.#tallies,
      this.#status,
      this.#log,
    );
    this.#log.addEventListener("click", (e) => {
      const button = e.target.closest("button[data-action]");
      if (button) settle(Number(button.closest("li").dataset.n), button.dataset.action);
    });
  }

  update(snap) {
    const { noAck } = this.consumer.options;
    const t = snap.tally;
    this.#tallies.replaceChildren(
      h("b", {}, String(t.received)),
      " received · ",
      h("b", {}, String(t.acked)),
      noAck ? " auto-acked on delivery" : " acked",
      t.redelivered ? ` · ${t.redelivered} redelivered` : "",
      t.requeued ? ` · ${t.requeued} requeued` : "",
      t.rejected ? ` · ${t.rejected} rejected` : "",
      t.retried ? ` · ${t.retried} retried` : "",
      t.replied ? ` · ${t.replied} replied` : "",
      !noAck ? ` · ${snap.unsettled} unacked` : ` · ${snap.waiting} waiting here`,
    );
    this.#status.textContent = snap.stopped ?? "";
    if (snap.stopped) {
      this.el.classList.add("stopped");
      this.stopButton.textContent = "Remove";
    }
    // Keyed rows, newest first: new ones are prepended, changed ones redrawn, old ones dropped.
    for (const row of [...snap.rows].reverse()) {
      let li = this.#rows.get(row.n);
      if (!li) {
        li = h("li", { "data-n": row.n });
        this.#rows.set(row.n, li);
        this.#log.prepend(li);
      }
      this.#row(li, row);
    }
    for (const [n, li] of this.#rows) {
      if (n >= snap.oldest) continue;
      li.remove();
      this.#rows.delete(n);
    }
  }

  #row(li, e) {
    li.className = `msg state-${e.state.split(" ")[0]}`;
    li.dataset.state = e.state;
    li.replaceChildren(
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
        e.buttons && h("span", { class: "actions" }, ...Object.entries(ACTIONS).map(([k, a]) => h("button", { type: "button", class: `tiny ${k}`, "data-action": k, title: a.title ?? a.code }, a.label))),
      ].filter(Boolean),
    );
  }
}

/** A consumer running in this tab. */
class InPage {
  where = "tab";

  constructor(manager, options) {
    this.options = options;
    this.card = new Card(this, { settle: (n, a) => this.core.settle(n, a), stop: () => manager.remove(this) });
    const draw = perFrame(() => manager.draw(this, this.core.snapshot()));
    this.core = new ConsumerCore(options, { conn: manager.conn, errors: manager.errors, onChange: draw, ledger: manager.ledger });
  }

  start() {
    return this.core.start();
  }

  failover(leaderId) {
    this.core.failover(leaderId);
  }

  close() {
    return this.core.close();
  }
}

/** A consumer running in a worker: this tab's dedicated worker, or the shared or service worker. */
class InWorker {
  constructor(manager, options, where) {
    this.where = where;
    this.options = options;
    this.host = manager.hosts[where];
    this.whereName = this.host.name;
    this.id = `${options.label}#${++counter}`;
    this.card = new Card(this, { settle: (n, a) => this.host.settle(this.id, n, a), stop: () => manager.remove(this) });
    this.onSnap = (snap) => manager.draw(this, snap);
  }

  start() {
    return this.host.add(this.id, this.options, { onSnap: this.onSnap });
  }

  failover() {} // the worker has its own connection, and its own failover event

  close() {
    return this.host.remove(this.id).catch(() => {});
  }
}

export class Consumers {
  #all = [];
  #list;
  #onChange;
  #form;
  #labels = 0;

  /**
   * name: this tab's name (consumer tags start with it); hosts: its WorkerHost for each kind of
   * worker ({ worker, shared, service }); ledger: the ledger's reporter, for consumers in the tab.
   */
  constructor(root, { conn, errors, metrics, name, hosts, onChange, ledger }) {
    this.conn = conn;
    this.errors = errors;
    this.metrics = metrics;
    this.name = name;
    this.hosts = hosts;
    this.ledger = ledger;
    this.#onChange = onChange;
    this.#list = $(".consumer-list", root);
    const form = (this.#form = $("form.add-consumer", root));
    const sync = () => form.classList.toggle("auto-ack", form.elements.ack.value === "auto");
    form.elements.ack.forEach((r) => r.addEventListener("change", sync));
    sync();
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const f = form.elements;
      this.add({
        queue: f.queue.value,
        where: f.where.value,
        prefetch: Number(f.prefetch.value),
        noAck: f.ack.value === "auto",
        processMs: Number(f.processMs.value) || 0,
        after: f.after.value,
        reply: f.reply.checked,
        failPct: Number(f.failPct.value) || 0,
        onFail: f.onFail.value,
      }).catch(() => {});
    });
    conn.on("failover", ({ leaderId }) => {
      for (const c of this.#all) c.failover(leaderId);
    });
    this.#drawEmpty();
  }

  /** The consumers of this tab (in the tab and in its worker). */
  list() {
    return this.#all;
  }

  /**
   * Starts a consumer: options as ConsumerCore's, plus `where` ("tab", "worker", "shared" or
   * "service") and an optional `label`. Its consumer tag says whose it is, to every tab:
   * "<tab> · <label>", "<tab> worker · <label>", "shared · <tab> · <label>" or
   * "service · <tab> · <label>". Errors go to the panel.
   */
  async add({ where = "tab", ...o }) {
    const label = o.label ?? `C${++this.#labels}`;
    const tag = where === "tab" ? `${this.name} · ${label}` : where === "worker" ? `${this.hosts.worker.name} · ${label}` : `${where} · ${this.name} · ${label}`;
    const options = normalise({ ...o, label, tag });
    const c = where === "tab" ? new InPage(this, options) : new InWorker(this, options, where);
    try {
      await c.start();
    } catch (err) {
      if (where === "service" && !this.hosts.service.contextId) this.#unavailable(where, err);
      throw err;
    }
    this.#all.push(c);
    this.#list.append(c.card.el);
    this.changed();
    return c;
  }

  /** Draws a snapshot of consumer c; hands its measured delays to the metrics. */
  draw(c, snap) {
    for (const ms of snap.delays) this.metrics.recordDelay(c.options.queue, ms);
    c.card.update(snap);
    if (snap.stopped && !c.stopped) {
      c.stopped = snap.stopped;
      this.changed();
    }
  }

  async remove(c) {
    this.#all = this.#all.filter((x) => x !== c);
    c.card.el.remove();
    await c.close();
    this.changed();
  }

  /** Stops them all; the next one is C1 again. */
  async removeAll() {
    await Promise.all([...this.#all].map((c) => this.remove(c)));
    this.#labels = 0;
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

  /** A kind of worker that could not start here: its option says why. */
  #unavailable(where, err) {
    const option = this.#form.elements.where.querySelector(`option[value="${where}"]`);
    if (!option) return;
    option.disabled = true;
    option.textContent += " (n/a here)";
    option.title = err?.message ?? String(err);
    if (this.#form.elements.where.value === where) this.#form.elements.where.value = "tab";
  }

  #drawEmpty() {
    const empty = this.#list.querySelector(".empty");
    if (this.#all.length) empty?.remove();
    else if (!empty) this.#list.append(h("p", { class: "empty" }, "No consumers in this tab yet."));
  }
}

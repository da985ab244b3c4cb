// The ledger: was any durable message lost? Every tab shows the same sum, across tabs, workers and
// failovers:
//
//   confirmed  =  acked  +  dropped  +  discarded  +  in queues  +  lost
//
// - confirmed: persistent messages the publish form sent whose confirm came back (the page's
//   channel is a ConfirmChannel; a persistent message is confirmed once it is in IndexedDB).
// - acked: those acked by a consumer (or delivered to a noAck one), in any tab or worker.
// - dropped: those a consumer rejected on a queue without a dead-letter exchange (its choice).
// - discarded: messages purged, or deleted with their queue, from this demo's inspector.
// - in queues: ready + unacked + delayed of every queue, from conn.stats() (asked of the leader).
//
// Publishers and consumers report message ids on a BroadcastChannel of the demo's own (not the
// bus's), which reaches every tab and worker of the origin; tabs keep the sets, dedupe by id (a
// redelivered message is acked twice, counted once) and hand them to a tab that opens later. The
// demo stamps each persistent message with messageId "ledger:…"; only those count.
//
// "in queues" counts every message, so the sum is exact when the queues hold only ledger messages,
// each in one queue. Queues holding more (transient messages, fanout copies, messages from before
// any open tab) make confirmed − the rest negative: the page says so rather than call it lost.
// Reports and samples travel separately, so for a moment a message can be in two terms or none:
// "lost" is the smallest excess over the last second (and 4 samples), a real loss stays.
//
// No DOM at the top level: consumer-core.js imports the reporter in workers.
import { h } from "./dom.js";

const CHANNEL = "switchyard-demo:ledger";
const SETTLE_MS = 1000;
const SETTLE_SAMPLES = 4;
export const LEDGER_PREFIX = "ledger:";

/** The ledger id of a delivered message: a persistent message the demo stamped, else null. */
export function ledgerId(msg) {
  const { deliveryMode, messageId } = msg.properties;
  return deliveryMode === 2 && typeof messageId === "string" && messageId.startsWith(LEDGER_PREFIX) ? messageId : null;
}

/** What consumers (any tab or worker) and publishers report. Posting only: no state. */
export function ledgerReporter() {
  const port = typeof BroadcastChannel === "function" ? new BroadcastChannel(CHANNEL) : null;
  const post = (m) => port?.postMessage(m);
  return {
    /** Called before ch.ack(): if the ack is lost with a leader, it is redelivered (counted once). */
    acked: (id, queue) => post({ t: "acked", id, queue }),
    rejected: (id, queue) => post({ t: "rejected", id, queue }),
    confirmed: (id, epoch) => post({ t: "confirmed", id, epoch }),
    unknown: (id, epoch) => post({ t: "unknown", id, epoch }),
    discarded: (key, n, epoch) => post({ t: "discarded", key, n, epoch }),
    post,
  };
}

const n = (x) => h("b", { class: "num" }, String(x));

/** The tab's ledger: the sets, their sum against every stats sample, and its view. */
export class Ledger {
  epoch = 0;
  #confirmed = new Set();
  #unknown = new Set();
  #acked = new Set();
  #rejected = new Map(); // id -> queue
  #discarded = new Map(); // key -> count
  #port = typeof BroadcastChannel === "function" ? new BroadcastChannel(CHANNEL) : null;
  #history = []; // [t, excess]
  #root;
  #keys = 0;

  /** root: the element it draws in; prefix: unique to this tab (its bus context id). */
  constructor(root, { prefix }) {
    this.#root = root;
    this.prefix = `${LEDGER_PREFIX}${prefix}:`;
    this.report = ledgerReporter();
    if (this.#port) {
      this.#port.onmessage = ({ data: m }) => this.#receive(m);
      this.#port.postMessage({ t: "sync?" });
    }
    this.#draw(null);
  }

  #receive(m) {
    switch (m?.t) {
      case "sync?":
        this.#port.postMessage({
          t: "state",
          epoch: this.epoch,
          confirmed: [...this.#confirmed],
          unknown: [...this.#unknown],
          acked: [...this.#acked],
          rejected: [...this.#rejected],
          discarded: [...this.#discarded],
        });
        break;
      case "state":
        if (!this.#epoch(m.epoch)) break;
        for (const id of m.confirmed) this.#confirmed.add(id);
        for (const id of m.unknown) this.#unknown.add(id);
        for (const id of m.acked) this.#acked.add(id);
        for (const [id, q] of m.rejected) this.#rejected.set(id, q);
        for (const [k, c] of m.discarded) this.#discarded.set(k, c);
        break;
      case "reset":
        this.#epoch(m.epoch);
        break;
      case "confirmed":
        if (this.#epoch(m.epoch)) this.#confirmed.add(m.id);
        break;
      case "unknown":
        if (this.#epoch(m.epoch)) this.#unknown.add(m.id);
        break;
      case "discarded":
        if (this.#epoch(m.epoch)) this.#discarded.set(m.key, m.n);
        break;
      case "acked":
        this.#acked.add(m.id);
        break;
      case "rejected":
        this.#rejected.set(m.id, m.queue);
        break;
    }
  }

  /** Whether a report of `epoch` counts; a newer epoch (a reset elsewhere) clears the ledger. */
  #epoch(epoch) {
    if (epoch < this.epoch) return false;
    if (epoch > this.epoch) this.#clear(epoch);
    return true;
  }

  #clear(epoch) {
    this.epoch = epoch;
    for (const set of [this.#confirmed, this.#unknown, this.#acked, this.#rejected, this.#discarded]) set.clear();
    this.#history = [];
  }

  /** Starts over in every tab (a preset deleted every queue). */
  reset() {
    this.#clear(this.epoch + 1);
    this.report.post({ t: "reset", epoch: this.epoch });
  }

  /** A new ledger id for a persistent message this tab publishes. */
  nextId(seq) {
    return `${this.prefix}${seq}`;
  }

  /**
   * The confirm callback of a persistent publish. An error is either the leader's death before it
   * confirmed (the message may or may not be stored: counted apart) or the channel's (e.g. 404 on
   * a missing exchange, in the error panel: nothing was stored).
   */
  onConfirm(id) {
    const epoch = this.epoch;
    return (err) => {
      if (!err) this.report.confirmed(id, epoch);
      else if (err.code === "SWITCHYARD_LEADER_LOST") this.report.unknown(id, epoch);
    };
  }

  /** `count` messages purged or deleted with a queue by this tab. */
  discarded(count) {
    if (count > 0) this.report.discarded(`${this.prefix}${++this.#keys}`, count, this.epoch);
  }

  /** The sum against one stats sample; topology tells which queues dead-letter. */
  sample(t, stats, topology) {
    const dlx = new Set((topology?.queues ?? []).filter((q) => typeof q.arguments?.["x-dead-letter-exchange"] === "string").map((q) => q.name));
    let acked = 0;
    let dropped = 0;
    for (const id of this.#confirmed) {
      if (this.#acked.has(id)) acked++;
      else if (this.#rejected.has(id) && !dlx.has(this.#rejected.get(id))) dropped++;
    }
    let arrived = 0;
    for (const id of this.#unknown) if (this.#acked.has(id) && !this.#confirmed.has(id)) arrived++;
    const discarded = [...this.#discarded.values()].reduce((a, b) => a + b, 0);
    const inQueues = stats.reduce((a, st) => a + st.messages + st.unacked + st.delayed, 0);
    const confirmed = this.#confirmed.size;
    const excess = confirmed - acked - dropped - discarded - inQueues;
    this.#history.push([t, excess]);
    while (this.#history.length > SETTLE_SAMPLES && this.#history[0][0] < t - SETTLE_MS) this.#history.shift();
    const lost = Math.max(0, Math.min(...this.#history.map(([, e]) => e)));
    this.#draw({ confirmed, acked, dropped, discarded, inQueues, excess, lost, unknown: this.#unknown.size - arrived, arrived });
  }

  #draw(v) {
    const root = this.#root;
    if (!v) {
      root.replaceChildren(h("p", { class: "ledger-note" }, "Waiting for the bus…"));
      return;
    }
    Object.assign(root.dataset, { confirmed: v.confirmed, acked: v.acked, inQueues: v.inQueues, dropped: v.dropped, discarded: v.discarded, excess: v.excess, lost: v.lost });
    root.classList.toggle("has-loss", v.lost > 0);
    const cell = (cls, label, value, title) => h("div", { class: `cell ${cls}`, title }, h("span", { class: "value" }, String(value)), h("span", { class: "cell-label" }, label));
    const notes = [];
    if (v.dropped) notes.push(["+ ", n(v.dropped), " dropped: rejected by a consumer on a queue without a dead-letter exchange"]);
    if (v.discarded) notes.push(["+ ", n(v.discarded), " purged, or deleted with their queue, from this demo"]);
    if (v.unknown || v.arrived) notes.push([n(v.unknown + v.arrived), " not confirmed: the leader died first (outcome unknown, not counted)", v.arrived ? [", ", n(v.arrived), " of them delivered anyway"] : ""]);
    if (v.excess < 0 && v.lost === 0 && v.confirmed > 0) notes.push(["queues hold ", n(-v.excess), " more than the ledger: transient messages, copies in several queues, or not yet confirmed"]);
    root.replaceChildren(
      h("h3", {}, "Persistent messages ", h("span", { class: "where" }, "every tab and worker, by message id")),
      h(
        "div",
        { class: "ledger-sum" },
        cell("confirmed", "confirmed", v.confirmed, "persistent messages confirmed to a publisher (stored in IndexedDB)"),
        h("span", { class: "op" }, "="),
        cell("acked", "acked", v.acked, "acked by a consumer in some tab or worker (redeliveries counted once)"),
        h("span", { class: "op" }, "+"),
        cell("queued", "in queues", v.inQueues, "ready + unacked + delayed, in every queue (conn.stats())"),
        h("span", { class: "op" }, "+"),
        cell(`lost ${v.lost ? "bad" : "good"}`, "lost", v.lost, "confirmed, yet neither acked, dropped nor in a queue (for more than a second)"),
      ),
      ...notes.map((parts) => h("p", { class: "ledger-note" }, ...parts.flat())),
    );
    if (v.confirmed === 0 && !notes.length) {
      root.append(h("p", { class: "ledger-note" }, "Publish with ", h("i", {}, "persistent"), " checked (the work-queue preset does), then close the leader tab mid-stream."));
    }
  }
}

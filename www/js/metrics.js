// Live metrics per queue: depth, unacked and rates from the broker's counters (conn.stats()
// sampled every 250 ms), beside the queueing model of the classic message-queue explanation:
//
//   depth(t)      = depth(t₀) + ∫ (λ − μ) dt     λ: measured publish rate, μ: measured deliver rate
//   expected wait = depth ÷ μ                    next to the publish→deliver delay measured at
//                                                each delivery (the `timestamp` property)
//
// Rates are counter differences over the last 2 s. The model line starts from the measured depth
// 60 s ago (the left edge) and integrates the measured rates: where it parts from the measured
// depth, something the model leaves out happened (requeues, expiry, dead-lettering, drops).
//
// The history is the page's own, so it survives a failover: the new leader's counters start from
// zero (a leader change, or a counter going backwards, is taken as a restart, and the page adds
// what the counters had reached before it), the plots carry on, and a dashed line marks the
// moment. A queue missing from a few samples (re-declared by a recovering tab) keeps its history.
import { h, duration, perFrame, short } from "./dom.js";
import { Plot } from "./plot.js";

const SPAN_MS = 60_000;
const RATE_MS = 2_000;
const GONE_MS = 2_000; // missing from the samples this long: deleted
const COUNTERS = ["published", "delivered", "acked"];

export class Metrics {
  #root;
  #queues = new Map();
  #now = 0;
  #leader = null;
  #markers = []; // failover times, drawn on every plot
  #render = perFrame(() => this.#draw());

  constructor(root) {
    this.#root = root;
    this.#draw();
  }

  /** A delivery of `queue` that spent `ms` between publish and delivery. */
  recordDelay(queue, ms) {
    const q = this.#queues.get(queue);
    if (q && Number.isFinite(ms)) q.delays.push([performance.now(), Math.max(0, ms)]);
  }

  /**
   * One sample of conn.stats() taken at time t (performance.now()); leaderId: the leader that
   * answered (its counters start over when it changes).
   */
  sample(t, stats, leaderId) {
    this.#now = t;
    const failover = leaderId != null && this.#leader != null && leaderId !== this.#leader;
    if (leaderId != null) this.#leader = leaderId;
    if (failover) this.#markers.push(t);
    this.#markers = this.#markers.filter((m) => m > t - SPAN_MS);
    for (const st of stats) {
      const q = this.#queues.get(st.queue) ?? this.#newQueue(st.queue);
      // Counters that start over (a new leader, or the queue deleted and declared again) carry on
      // from where they were.
      if (q.raw && (failover || COUNTERS.some((k) => st[k] < q.raw[k]))) for (const k of COUNTERS) q.offset[k] += q.raw[k];
      q.raw = Object.fromEntries(COUNTERS.map((k) => [k, st[k]]));
      q.seen = t;
      this.#add(q, t, st);
    }
    for (const [name, q] of this.#queues) {
      if (t - q.seen > GONE_MS) {
        q.card.remove();
        this.#queues.delete(name);
      }
    }
    this.#render();
  }

  #newQueue(name) {
    const depth = new Plot({
      name: "depth",
      title: "Depth (messages)",
      series: [
        { key: "ready", label: "ready", color: "var(--c-depth)" },
        { key: "unacked", label: "unacked", color: "var(--c-unacked)" },
        { key: "model", label: "model", color: "var(--c-model)", dash: "4 3" },
      ],
    });
    const rates = new Plot({
      name: "rates",
      title: "Rates (msg/s)",
      series: [
        { key: "pub", label: "publish", color: "var(--c-publish)" },
        { key: "del", label: "deliver", color: "var(--c-deliver)" },
        { key: "ack", label: "ack", color: "var(--c-ack)", dash: "2 2" },
      ],
    });
    const wait = new Plot({
      name: "wait",
      title: "Wait",
      format: duration,
      floor: 100,
      series: [
        { key: "expected", label: "depth÷μ", color: "var(--c-model)", dash: "4 3" },
        { key: "measured", label: "measured", color: "var(--c-deliver)" },
      ],
    });
    const head = h("p", { class: "model-line" });
    const counts = h("span", { class: "counts" });
    const card = h(
      "article",
      { class: "queue-metrics", "data-queue": name },
      h("header", {}, h("h3", {}, h("code", {}, name)), counts),
      h("div", { class: "plots" }, depth.el, rates.el, wait.el),
      head,
    );
    const q = { name, samples: [], delays: [], card, counts, head, plots: { depth, rates, wait }, raw: null, offset: { published: 0, delivered: 0, acked: 0 }, seen: 0 };
    this.#queues.set(name, q);
    return q;
  }

  #add(q, t, st) {
    const o = q.offset;
    const s = { t, ready: st.messages, unacked: st.unacked, consumers: st.consumers, published: st.published + o.published, delivered: st.delivered + o.delivered, acked: st.acked + o.acked, delayed: st.delayed };
    // A fixed window (before the first sample, the counters are taken to have been flat), so
    // that the rates integrate back to the counts.
    const past = q.samples.findLast((p) => p.t <= t - RATE_MS) ?? q.samples[0];
    if (past && t > past.t) {
      const dt = Math.max(t - past.t, RATE_MS) / 1000;
      s.pub = (s.published - past.published) / dt;
      s.del = (s.delivered - past.delivered) / dt;
      s.ack = (s.acked - past.acked) / dt;
    } else {
      s.pub = s.del = s.ack = null;
    }
    s.expected = s.ready === 0 ? 0 : s.del > 0 ? (s.ready / s.del) * 1000 : s.del === 0 ? Infinity : null;
    q.delays = q.delays.filter(([at]) => at > t - RATE_MS);
    s.measured = q.delays.length ? q.delays.reduce((a, [, ms]) => a + ms, 0) / q.delays.length : null;
    q.samples.push(s);
    while (q.samples.length && q.samples[0].t < t - SPAN_MS - RATE_MS) q.samples.shift();
  }

  #draw() {
    if (!this.#queues.size) {
      this.#root.replaceChildren(h("p", { class: "empty" }, "No queues yet. Pick a preset above, or declare a queue."));
      return;
    }
    this.#root.querySelector(".empty")?.remove();
    const names = [...this.#queues.keys()].sort();
    names.forEach((name, i) => {
      const q = this.#queues.get(name);
      if (this.#root.children[i] !== q.card) this.#root.insertBefore(q.card, this.#root.children[i] ?? null);
      this.#drawQueue(q);
    });
  }

  #drawQueue(q) {
    const t1 = this.#now;
    // The x axis grows with the history, from 15 s up to the last minute.
    const span = Math.min(SPAN_MS, Math.max(15_000, t1 - q.samples[0].t));
    const series = (key) => q.samples.map((p) => [p.t, p[key]]);
    // The model: the measured depth at the left edge, then the integral of λ − μ, with the
    // rates of each sampling interval (so that only what the model leaves out shows).
    const model = [];
    let m = null;
    let prev;
    for (const p of q.samples) {
      if (p.t < t1 - span) continue;
      if (m === null) m = p.ready;
      else m = Math.max(0, m + (p.published - prev.published) - (p.delivered - prev.delivered));
      model.push([p.t, m]);
      prev = p;
    }
    const markers = this.#markers;
    q.plots.depth.update({ ready: series("ready"), unacked: series("unacked"), model }, t1, span, markers);
    q.plots.rates.update({ pub: series("pub"), del: series("del"), ack: series("ack") }, t1, span, markers);
    q.plots.wait.update({ expected: series("expected"), measured: series("measured") }, t1, span, markers);

    const last = q.samples.at(-1);
    if (!last) return;
    q.counts.textContent = `${last.ready} ready · ${last.unacked} unacked${last.delayed ? ` · ${last.delayed} delayed` : ""} · ${last.consumers} consumer${last.consumers === 1 ? "" : "s"}`;
    if (last.pub === null) {
      q.head.textContent = "measuring…";
      return;
    }
    const growth = last.pub - last.del;
    const trend =
      Math.abs(growth) < 0.05
        ? "depth steady"
        : growth > 0
          ? `depth grows ${short(growth)}/s`
          : last.ready > 0
            ? `drains in ~${duration((last.ready / -growth) * 1000)}`
            : "keeping up";
    q.head.replaceChildren(
      h("span", {}, "λ ", h("b", {}, `${short(last.pub)}/s`), " in, μ ", h("b", {}, `${short(last.del)}/s`), " out → ", trend),
      h(
        "span",
        {},
        "expected wait ",
        h("b", {}, duration(last.expected)),
        ", measured ",
        h("b", {}, last.measured === null ? "–" : duration(last.measured)),
      ),
    );
  }

  /** Forgets every queue's history (presets start from a clean slate). */
  reset() {
    for (const q of this.#queues.values()) q.card.remove();
    this.#queues.clear();
    this.#markers = [];
    this.#draw();
  }
}

// The worker's side of consumers that run in a worker of any kind (worker.js, shared-worker.js,
// service-worker.js): the same ConsumerCore as in a page, on the worker's own connection to the
// same origin-wide bus, so the worker is one more context on the bus (with its own lease: when it
// ends, its unacked messages go back to the queue). Tabs talk to it over a port each
// (worker-host.js is the other side); a shared or service worker serves several tabs at once.
//
// Module workers do not see the page's import map: the package is imported by its path, as an app
// would import it from a bundle or a CDN. No top-level await (service workers refuse it, and a
// worker would miss what arrives meanwhile): connect() is a promise the handlers wait for.
//
// Tab → worker: { t: "owner", lock } { t: "add", id, options } { t: "settle", id, n, action } { t: "remove", id }
// Worker → tab: { t: "ready", contextId } { t: "fatal", err } { t: "added", id } { t: "failed", id, err }
//   { t: "snap", id, snap } { t: "removed", id } { t: "failover", leaderId } { t: "error", ref, err, op, notes }
//   { t: "follow", ref, err, note }
import { connect } from "/node_modules/switchyard/browser.js";
import { ConsumerCore } from "./consumer-core.js";
import { ledgerReporter } from "./ledger.js";

/** An error as plain data: postMessage keeps an Error's message but not its `code`. */
const plain = (err) => ({ name: err?.name ?? typeof err, code: err?.code, message: err?.message ?? String(err) });

export class ConsumerHost {
  #conn;
  #tabs = new Set();
  #ledger = ledgerReporter();

  constructor(bus) {
    this.#conn = connect(bus);
    this.#conn.then(
      (conn) =>
        conn.on("failover", ({ leaderId }) => {
          for (const tab of this.#tabs) {
            for (const c of tab.consumers.values()) c.failover(leaderId);
            tab.post({ t: "failover", leaderId });
          }
        }),
      () => {},
    );
  }

  /** A tab's port (anything with postMessage); returns what to call with each of its messages. */
  attach(port) {
    const post = (m) => port.postMessage(m);
    let refs = 0;
    // The error panel lives in the tab: reports and their follow-ups are forwarded by reference.
    const errors = {
      report(err, op, ...notes) {
        const ref = ++refs;
        post({ t: "error", ref, err: plain(err), op, notes: notes.filter(Boolean) });
        return ref;
      },
      follow(ref, { err, note }) {
        post({ t: "follow", ref, err: err && plain(err), note });
      },
    };
    const tab = { post, errors, consumers: new Map() };
    this.#tabs.add(tab);
    this.#conn.then(
      (conn) => post({ t: "ready", contextId: conn.linkState().contextId }),
      (err) => post({ t: "fatal", err: plain(err) }),
    );
    return (m) => this.#receive(tab, m);
  }

  async #receive(tab, m) {
    if (m.t === "owner") return this.#whenGone(tab, m.lock);
    const conn = await this.#conn;
    if (m.t === "add") {
      const c = new ConsumerCore(m.options, { conn, errors: tab.errors, onChange: scheduler(tab, m.id), ledger: this.#ledger });
      try {
        await c.start();
      } catch (err) {
        tab.post({ t: "failed", id: m.id, err: plain(err), reported: !!err.reported });
        return;
      }
      tab.consumers.set(m.id, c);
      tab.post({ t: "added", id: m.id, consumerTag: c.consumerTag });
      tab.post({ t: "snap", id: m.id, snap: c.snapshot() });
    } else if (m.t === "settle") {
      tab.consumers.get(m.id)?.settle(m.n, m.action);
    } else if (m.t === "remove") {
      const c = tab.consumers.get(m.id);
      tab.consumers.delete(m.id);
      await c?.close();
      tab.post({ t: "removed", id: m.id });
    }
  }

  /**
   * A shared or service worker outlives the tab that started a consumer in it: the tab holds a
   * Web Lock while it lives (bus.js), so waiting for that lock is waiting for the tab to go; then
   * its consumers stop (their unacked messages go back to the queue).
   */
  #whenGone(tab, lock) {
    navigator.locks?.request(lock, async () => {
      this.#tabs.delete(tab);
      for (const c of tab.consumers.values()) await c.close();
      tab.consumers.clear();
    });
  }
}

// Snapshots go to the tab at most every 50 ms per consumer.
function scheduler(tab, id) {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    setTimeout(() => {
      queued = false;
      const c = tab.consumers.get(id);
      if (c) tab.post({ t: "snap", id, snap: c.snapshot() });
    }, 50);
  };
}

/** The bus a worker's script URL names (?bus=…), as worker-host.js starts it. */
export const busOf = (url) => new URL(url).searchParams.get("bus") ?? "switchyard://demo";

// A dedicated worker that runs consumers for the page that started it (worker-host.js): the same
// ConsumerCore as in the page, on the worker's own connection to the same origin-wide bus, so the
// worker is one more context on the bus (with its own lease: when its page closes, its unacked
// messages go back to the queue).
//
// Module workers do not see the page's import map: the package is imported by its path, as an app
// would import it from a bundle or a CDN.
//
// Page → worker: { t: "add", id, options } { t: "settle", id, n, action } { t: "remove", id }
// Worker → page: { t: "ready", contextId } { t: "fatal", err } { t: "added", id } { t: "failed", id, err }
//   { t: "snap", id, snap } { t: "removed", id } { t: "failover", leaderId } { t: "error", ref, err, op, notes }
//   { t: "follow", ref, err, note }
import { connect } from "/node_modules/switchyard/browser.js";
import { ConsumerCore } from "./consumer-core.js";

const BUS = new URL(location.href).searchParams.get("bus") ?? "switchyard://demo";
const post = (m) => self.postMessage(m);

/** An error as plain data: postMessage keeps an Error's message but not its `code`. */
const plain = (err) => ({ name: err?.name ?? typeof err, code: err?.code, message: err?.message ?? String(err) });

// The error panel lives in the page: reports and their follow-ups are forwarded by reference.
let refs = 0;
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

const consumers = new Map();
let conn;
try {
  conn = await connect(BUS);
} catch (err) {
  post({ t: "fatal", err: plain(err) });
  throw err;
}
conn.on("failover", ({ leaderId }) => {
  for (const c of consumers.values()) c.failover(leaderId);
  post({ t: "failover", leaderId });
});

// Snapshots go to the page at most every 50 ms per consumer.
function scheduler(id) {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    setTimeout(() => {
      queued = false;
      const c = consumers.get(id);
      if (c) post({ t: "snap", id, snap: c.snapshot() });
    }, 50);
  };
}

self.onmessage = async ({ data: m }) => {
  if (m.t === "add") {
    const c = new ConsumerCore(m.options, { conn, errors, onChange: scheduler(m.id) });
    try {
      await c.start();
    } catch (err) {
      post({ t: "failed", id: m.id, err: plain(err), reported: !!err.reported });
      return;
    }
    consumers.set(m.id, c);
    post({ t: "added", id: m.id, consumerTag: c.consumerTag });
    post({ t: "snap", id: m.id, snap: c.snapshot() });
  } else if (m.t === "settle") {
    consumers.get(m.id)?.settle(m.n, m.action);
  } else if (m.t === "remove") {
    const c = consumers.get(m.id);
    consumers.delete(m.id);
    await c?.close();
    post({ t: "removed", id: m.id });
  }
};

post({ t: "ready", contextId: conn.linkState().contextId });

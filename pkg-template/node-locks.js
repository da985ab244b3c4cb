// Web Locks for Node's worker_threads, which Node 20 lacks: the subset the origin-wide bus uses
// (`request(name, [{ ifAvailable, signal }], callback)`, exclusive locks granted in request
// order), so that the threads of one process share a bus as a browser's tabs and workers do.
//
// The main thread keeps the lock table. Other threads ask it over the BroadcastChannel
// `switchyard:locks`; a thread's locks and queued requests go when the thread exits, which the
// main thread sees through `process.on("worker")` for the workers it starts. So: import the
// package in the main thread before starting the workers (nested workers, started by workers,
// are not watched).
//
// Messages: { t: "req", thread, id, name, ifAvailable } { t: "rel" | "abort", thread, id } from
// a thread; { t: "grant" | "no" | "queued", thread, id } from the main thread. A worker whose
// request gets no answer at all (no main thread with the package) fails with a clear error.
import { BroadcastChannel, isMainThread, threadId } from "node:worker_threads";

const CHANNEL = "switchyard:locks";
const NO_TABLE_MS = 5000;
const abortError = () => Object.assign(new Error("the lock request was aborted"), { name: "AbortError" });

// The table, in the main thread. `grant(thread, id)` / `refuse(thread, id)` tell the requester.
class LockTable {
  constructor(grant, refuse, queued) {
    this.grant = grant;
    this.refuse = refuse;
    this.queued = queued;
    this.held = new Map(); // name -> { thread, id }
    this.waiting = new Map(); // name -> [{ thread, id }]
  }

  request(thread, id, name, ifAvailable) {
    if (!this.held.has(name)) {
      this.held.set(name, { thread, id });
      this.grant(thread, id);
    } else if (ifAvailable) {
      this.refuse(thread, id);
    } else {
      if (!this.waiting.has(name)) this.waiting.set(name, []);
      this.waiting.get(name).push({ thread, id, name });
      this.queued(thread, id);
    }
  }

  release(thread, id) {
    for (const [name, h] of this.held) {
      if (h.thread === thread && h.id === id) {
        this.held.delete(name);
        this.next(name);
        return;
      }
    }
    this.abort(thread, id);
  }

  abort(thread, id) {
    for (const [name, list] of this.waiting) {
      const i = list.findIndex((w) => w.thread === thread && w.id === id);
      if (i >= 0) {
        list.splice(i, 1);
        if (list.length === 0) this.waiting.delete(name);
        return true;
      }
    }
    return false;
  }

  next(name) {
    const list = this.waiting.get(name);
    if (!list?.length) return;
    const w = list.shift();
    if (list.length === 0) this.waiting.delete(name);
    this.held.set(name, w);
    this.grant(w.thread, w.id);
  }

  // A thread ended: what it held is released, what it waited for forgotten.
  gone(thread) {
    for (const [name, list] of [...this.waiting]) {
      const rest = list.filter((w) => w.thread !== thread);
      if (rest.length) this.waiting.set(name, rest);
      else this.waiting.delete(name);
    }
    for (const [name, h] of [...this.held]) {
      if (h.thread === thread) {
        this.held.delete(name);
        this.next(name);
      }
    }
  }
}

/** The lock manager of this thread (one per thread). */
export function nodeLocks() {
  const pending = new Map(); // id -> { granted(yes) }
  let nextId = 1;
  const port = new BroadcastChannel(CHANNEL);
  port.unref();
  let send;
  if (isMainThread) {
    const answer = (t) => (thread, id) => {
      if (thread !== threadId) port.postMessage({ t, thread, id });
      else if (t !== "queued") pending.get(id)?.granted(t === "grant");
    };
    const table = new LockTable(answer("grant"), answer("no"), answer("queued"));
    process.on("worker", (worker) => {
      const thread = worker.threadId;
      worker.once("exit", () => table.gone(thread));
    });
    port.onmessage = ({ data: m }) => {
      if (m?.t === "req") table.request(m.thread, m.id, m.name, m.ifAvailable);
      else if (m?.t === "rel") table.release(m.thread, m.id);
      else if (m?.t === "abort") table.abort(m.thread, m.id);
    };
    send = (m) => {
      if (m.t === "req") table.request(threadId, m.id, m.name, m.ifAvailable);
      else if (m.t === "rel") table.release(threadId, m.id);
      else table.abort(threadId, m.id);
    };
  } else {
    // A request keeps the thread alive until the table answers it (granted, refused or queued).
    let unanswered = 0;
    const answered = (p) => {
      if (!p.timer) return;
      clearTimeout(p.timer);
      p.timer = null;
      if (--unanswered === 0) port.unref();
    };
    port.onmessage = ({ data: m }) => {
      if (m?.thread !== threadId) return;
      const p = pending.get(m.id);
      if (!p) return;
      answered(p);
      if (m.t === "grant" || m.t === "no") p.granted(m.t === "grant");
    };
    send = (m) => {
      port.postMessage({ ...m, thread: threadId });
      if (m.t !== "req") return;
      const p = pending.get(m.id);
      if (unanswered++ === 0) port.ref();
      p.timer = setTimeout(() => {
        answered(p);
        pending.delete(m.id);
        p.fail(
          Object.assign(
            new Error("switchyard: no lock table answered: in Node, import switchyard in the main thread before starting the workers that share a bus (scope \"origin\")"),
            { code: "SWITCHYARD_SCOPE_UNAVAILABLE" },
          ),
        );
      }, NO_TABLE_MS);
      p.timer.unref();
    };
  }

  return {
    kind: isMainThread ? "main thread" : "worker thread",
    label: `thread ${threadId}`,
    request(name, options, callback) {
      if (typeof options === "function") [options, callback] = [{}, options];
      const { ifAvailable = false, signal } = options ?? {};
      if (signal?.aborted) return Promise.reject(abortError());
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const onAbort = () => {
          pending.delete(id);
          send({ t: "abort", id });
          reject(abortError());
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        pending.set(id, {
          fail: reject,
          granted(yes) {
            pending.delete(id);
            signal?.removeEventListener("abort", onAbort);
            let result;
            try {
              result = Promise.resolve(callback(yes ? { name, mode: "exclusive" } : null));
            } catch (err) {
              result = Promise.reject(err);
            }
            result.finally(() => yes && send({ t: "rel", id })).then(resolve, reject);
          },
        });
        send({ t: "req", id, name, ifAvailable });
      });
    },
  };
}

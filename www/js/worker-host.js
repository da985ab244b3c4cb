// The page's side of its dedicated worker (worker.js): started on first use, it runs the consumers
// the page asks it to and sends back their snapshots, errors and failovers.
const WORKER_URL = new URL("./worker.js", import.meta.url);

export class WorkerHost {
  #worker;
  #ready;
  #waiting = new Map(); // id -> { resolve, reject }
  #handles = new Map(); // id -> { onSnap, onFailover }
  #errorRefs = new Map();

  /** name: what the worker is called (the bus sees it as a "dedicated worker"). */
  constructor({ name, bus, errors, onReady }) {
    this.name = name;
    this.bus = bus;
    this.errors = errors;
    this.onReady = onReady;
    this.contextId = null;
  }

  /** Starts the worker if it is not running; resolves once it is connected to the bus. */
  start() {
    if (this.#ready) return this.#ready;
    this.#ready = new Promise((resolve, reject) => {
      const url = new URL(WORKER_URL);
      url.searchParams.set("bus", this.bus);
      const w = (this.#worker = new Worker(url, { type: "module", name: this.name }));
      w.onerror = (e) => {
        e.preventDefault();
        const err = { name: "Error", message: `the worker failed to load: ${e.message || "see the browser console"}` };
        this.errors.report(err, `new Worker(${JSON.stringify(url.pathname)}, { type: "module" })`);
        reject(err);
      };
      w.onmessage = ({ data: m }) => {
        if (m.t === "ready") {
          this.contextId = m.contextId;
          this.onReady?.(m.contextId);
          resolve(this);
        } else if (m.t === "fatal") {
          this.errors.report(m.err, `connect(…) in ${this.name}`);
          reject(m.err);
        } else this.#receive(m);
      };
    });
    return this.#ready;
  }

  #receive(m) {
    if (m.t === "added" || m.t === "failed" || m.t === "removed") {
      const w = this.#waiting.get(m.id);
      this.#waiting.delete(m.id);
      if (m.t === "failed") {
        const err = Object.assign(new Error(m.err.message), m.err, { reported: true });
        w?.reject(err);
      } else w?.resolve(m);
    } else if (m.t === "snap") {
      this.#handles.get(m.id)?.onSnap(m.snap);
    } else if (m.t === "failover") {
      for (const h of this.#handles.values()) h.onFailover?.(m.leaderId);
    } else if (m.t === "error") {
      this.#errorRefs.set(m.ref, this.errors.report(m.err, m.op, ...m.notes, `In ${this.name}.`));
    } else if (m.t === "follow") {
      const entry = this.#errorRefs.get(m.ref);
      if (entry) this.errors.follow(entry, { err: m.err, note: m.note });
    }
  }

  #ask(m) {
    return new Promise((resolve, reject) => {
      this.#waiting.set(m.id, { resolve, reject });
      this.#worker.postMessage(m);
    });
  }

  /** Starts a consumer in the worker; handle: { onSnap(snap), onFailover(leaderId) }. */
  async add(id, options, handle) {
    await this.start();
    this.#handles.set(id, handle);
    try {
      return await this.#ask({ t: "add", id, options });
    } catch (err) {
      this.#handles.delete(id);
      throw err;
    }
  }

  settle(id, n, action) {
    this.#worker.postMessage({ t: "settle", id, n, action });
  }

  async remove(id) {
    await this.#ask({ t: "remove", id });
    this.#handles.delete(id);
  }
}

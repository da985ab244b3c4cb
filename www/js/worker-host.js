// A tab's side of a worker that runs consumers (consumer-host.js is the other side), one class for
// the three kinds:
//   "worker"   this tab's dedicated worker (new Worker), started on first use, gone with the tab
//   "shared"   the origin's shared worker (new SharedWorker, same name from every tab)
//   "service"  the origin's service worker, registered with a scope nothing loads; the tab hands
//              it a MessagePort and pings it so the browser does not stop it while idle
// Each is started on first use and resolves once the worker is connected to the bus.
const SCRIPTS = { worker: "./worker.js", shared: "./shared-worker.js", service: "./service-worker.js" };
const PING_MS = 10_000;

export class WorkerHost {
  #port;
  #ready;
  #waiting = new Map(); // id -> { resolve, reject }
  #handles = new Map(); // id -> { onSnap, onFailover }
  #errorRefs = new Map();

  /**
   * kind: "worker" | "shared" | "service"; name: what the page calls it; owner: the Web Lock this
   * tab holds while it lives (a shared or service worker stops this tab's consumers when it is free).
   */
  constructor({ kind = "worker", name, bus, errors, owner, onReady }) {
    this.kind = kind;
    this.name = name;
    this.bus = bus;
    this.errors = errors;
    this.owner = owner;
    this.onReady = onReady;
    this.contextId = null;
  }

  /** What the code that starts it reads as (for the error panel). */
  get code() {
    const path = JSON.stringify(SCRIPTS[this.kind].slice(2));
    if (this.kind === "shared") return `new SharedWorker(${path}, { type: "module" })`;
    if (this.kind === "service") return `navigator.serviceWorker.register(${path}, { type: "module" })`;
    return `new Worker(${path}, { type: "module" })`;
  }

  /** Starts the worker if it is not running; resolves once it is connected to the bus. */
  start() {
    this.#ready ??= new Promise((resolve, reject) => {
      const fail = (err) => {
        this.#ready = undefined; // a later attempt may work
        reject(err);
      };
      this.#open(fail).then((port) => {
        this.#port = port;
        port.onmessage = ({ data: m }) => {
          if (m.t === "ready") {
            this.contextId = m.contextId;
            this.onReady?.(m.contextId);
            resolve(this);
          } else if (m.t === "fatal") {
            this.errors.report(m.err, `connect(…) in ${this.name}`);
            fail(m.err);
          } else this.#receive(m);
        };
        if (this.kind !== "worker") port.postMessage({ t: "owner", lock: this.owner });
      }, fail);
    });
    return this.#ready;
  }

  /** The worker, as something with postMessage and onmessage; onLoadError(err) if it fails later. */
  async #open(onLoadError) {
    const url = new URL(SCRIPTS[this.kind], import.meta.url);
    url.searchParams.set("bus", this.bus);
    const failed = (message) => {
      const err = { name: "Error", message };
      this.errors.report(err, this.code);
      return err;
    };
    if (this.kind === "service") {
      if (!navigator.serviceWorker) throw failed("this page has no navigator.serviceWorker (service workers need a secure context)");
      let worker;
      try {
        const reg = await navigator.serviceWorker.register(url, { type: "module", scope: new URL("./service-worker-scope/", url).pathname, updateViaCache: "none" });
        worker = await activated(reg);
      } catch (e) {
        throw failed(`the service worker did not start: ${e?.message ?? e} (a browser without module service workers fails here)`);
      }
      const channel = new MessageChannel();
      worker.postMessage({ t: "port" }, [channel.port2]);
      setInterval(() => worker.postMessage({ t: "ping" }), PING_MS);
      return channel.port1;
    }
    const w = this.kind === "shared" ? new SharedWorker(url, { type: "module", name: this.name }) : new Worker(url, { type: "module", name: this.name });
    w.onerror = (e) => {
      e.preventDefault?.();
      onLoadError(failed(`the worker failed to load: ${e.message || "see the browser console"}`));
    };
    return this.kind === "shared" ? w.port : w;
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
      this.#port.postMessage(m);
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
    this.#port.postMessage({ t: "settle", id, n, action });
  }

  async remove(id) {
    await this.#ask({ t: "remove", id });
    this.#handles.delete(id);
  }
}

/** The registration's worker once it is activated. */
function activated(reg) {
  const worker = reg.installing ?? reg.waiting ?? reg.active;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (worker.state === "activated") resolve(worker);
      else if (worker.state === "redundant") reject(new Error("the service worker became redundant"));
    };
    worker.addEventListener("statechange", check);
    check();
  });
}

// The origin-wide bus (DESIGN.md §1, "link"): every tab, iframe and worker of an origin that
// connects to switchyard://NAME shares one broker.
//
// - Leader: the context holding the Web Lock `switchyard:NAME:leader` runs the broker (a Host over
//   the facade's BusState). Every context queues for that lock, so when the leader dies the next
//   one in line takes over, restores the durable state from IndexedDB and announces itself.
// - Leases: each context holds `switchyard:NAME:ctx:ID` for its lifetime. The leader queues for
//   each follower's lease and the followers for the leader's: a released lease is how a death is
//   noticed (no heartbeats). A dead follower's connections are closed as RabbitMQ closes a lost
//   connection (unacked messages requeued, consumers cancelled, exclusive queues deleted).
// - Frames: on BroadcastChannels `switchyard:NAME:up` (hellos to whoever leads),
//   `…:up:LEADER` (contexts → that leader: no other context receives, nor deserializes, them),
//   `…:to:ID` (leader → one context) and `…:all` (leader announcements). Every posted message is an object whose `v`
//   is the protocol version; a message of another version is never interpreted: a hello of an
//   unknown version is answered with a `refused` message (whose shape is fixed for every
//   version), anything else is ignored.
// - Failover: a follower keeps what it needs to re-create its side on a new leader (connections,
//   channels, confirm mode, prefetch, consumers, and the topology it declared — as RabbitMQ
//   clients' automatic recovery does), re-sends the calls that were not answered and the
//   publishes the old leader never received, and rejects the confirms of publishes the old leader
//   received but did not confirm (code SWITCHYARD_LEADER_LOST: their outcome is unknown).
//
// Messages (all plain objects, structured-cloned by BroadcastChannel):
//   { v, t: "hello", from, storage, kind, label }           context → leader (on `up`)
//   { v, t: "welcome", leader, storage, maxMessageBytes }   leader → context
//   { v, t: "leader", leader }                              leader → everyone (on `all`)
//   { v, t: "f", from, n, f: [frame…] }                     context → leader (on `up:LEADER`);
//                                                           n: the last frame's number
//   { v, t: "f", from, rx, f: [frame…] }                    leader → context; rx: last frame done
//   { v: 1, t: "refused", code, reason }                    leader → context (any version)
// Frames are arrays; ids of connections and channels are the context's own.
//   context → leader: ["oc", conn] ["cc", conn] ["och", conn, ch] ["cs", ch]
//     ["p", ch, seq, exchange, routingKey, content, options] ["a", ch, tag, multiple]
//     ["n", ch, tag, multiple, requeue] ["nd", ch, tag, multiple, delayMs]
//     ["call", callNo, ch, method, args] ["rec", conn, ops]
//   leader → context: ["r", callNo, ok, valueOrError] ["rr", conn, errors]
//     ["d", ch, consumerTag, deliveryTag, redelivered, exchange, routingKey, content, properties]
//     ["rt", ch, replyCode, replyText, exchange, routingKey, content, properties]
//     ["c", ch, seq, ack, error] ["x", ch, consumerTag] ["chc", ch, error] ["cnc", conn, error]
//     ["se", error] ["pe", ch, error]

import { Bus } from "./switchyard.js";

/** The version of the frame protocol. */
export const PROTOCOL = 2;

const name = (bus, what) => `switchyard:${bus}:${what}`;

/** What kind of context this is: "tab", "frame", "dedicated worker", "shared worker", … */
export function contextKind() {
  const g = globalThis;
  if (lockManager?.kind) return lockManager.kind;
  if (typeof g.ServiceWorkerGlobalScope === "function" && g instanceof g.ServiceWorkerGlobalScope) return "service worker";
  if (typeof g.SharedWorkerGlobalScope === "function" && g instanceof g.SharedWorkerGlobalScope) return "shared worker";
  if (typeof g.DedicatedWorkerGlobalScope === "function" && g instanceof g.DedicatedWorkerGlobalScope) return "dedicated worker";
  if (typeof g.window === "object") return g.window !== g.window.top ? "frame" : "tab";
  return "main thread";
}

// A page's title, a worker's name (`new Worker(url, { name })`) or else its script's path.
const contextLabel = () =>
  globalThis.document?.title || globalThis.name || globalThis.location?.pathname || lockManager?.label || "";

// The Web Locks API: the platform's, or one a runtime entry provides (Node's worker_threads).
let lockManager = null;
/** Used by runtime entries that bring their own lock manager (see node-locks.js); its `kind`
 * and `label`, if any, name this context in Connection#contexts(). */
export function useLocks(manager) {
  lockManager = manager;
}
const locks = () => lockManager ?? globalThis.navigator?.locks;

// A BroadcastChannel that does not keep a Node or Deno process alive by itself (an open
// connection does, see the facade).
function channel(channelName) {
  const c = new BroadcastChannel(channelName);
  c.unref?.();
  return c;
}

/** What this context lacks for the origin-wide bus (empty when it has everything). */
export function originMissing() {
  const missing = [];
  if (!locks()) missing.push("Web Locks (navigator.locks)");
  if (typeof globalThis.BroadcastChannel !== "function") missing.push("BroadcastChannel");
  return missing;
}

/** An error of class `Ctor` with `name` and a stable `code` (the facade's errors too). */
export function codedError(Ctor, errName, message, code) {
  const e = new Ctor(message);
  e.name = errName;
  e.code = code;
  return e;
}

/** Continues with a broker call's result: now if it has one, later if it is a promise (a call
 * forwarded to the origin bus's leader). */
export const after = (v, fn) => (v instanceof Promise ? v.then(fn) : fn(v));

// A publish's bytes, copied when published: a follower's frames leave at the end of the task,
// and the publisher may reuse its buffer before then (a leader's broker copies them at once).
function ownBytes(content) {
  if (content instanceof ArrayBuffer) return content.slice(0);
  if (!ArrayBuffer.isView(content)) return content;
  return new Uint8Array(content.buffer, content.byteOffset, content.byteLength).slice();
}

// Posts an envelope of frames. If something in it cannot be cloned, posts the frames one by one
// and hands each that cannot go to `unsendable(frame, error)`, rather than lose the batch.
function postFrames(port, envelope, unsendable) {
  try {
    port.postMessage(envelope);
  } catch {
    for (const f of envelope.f) {
      try {
        port.postMessage({ ...envelope, f: [f] });
      } catch (err) {
        unsendable(f, err);
      }
    }
  }
}

// Errors cross contexts as plain objects: structured clone keeps an Error's message but not its
// `code`.
function errorInfo(e) {
  if (e === null || e === undefined) return null;
  const kind = e instanceof TypeError ? 1 : e instanceof RangeError ? 2 : 0;
  return { kind, name: e.name ?? "Error", message: e.message ?? String(e), code: e.code };
}

function errorFrom(info) {
  if (!info) return null;
  const e = new (info.kind === 1 ? TypeError : info.kind === 2 ? RangeError : Error)(info.message);
  e.name = info.name;
  if (info.code !== undefined) e.code = info.code;
  return e;
}

const channelGone = () => codedError(Error, "IllegalOperationError", "Channel closed", "SWITCHYARD_CHANNEL_CLOSED");

// What a context may call on the leader's broker: methods taking a channel first, and methods of
// the whole bus. Nothing else is ever invoked from a frame.
const CHANNEL_CALLS = new Set([
  "assertExchange", "deleteExchange", "bindExchange", "assertQueue", "deleteQueue", "purgeQueue",
  "bindQueue", "consume", "cancel", "get", "prefetch", "recover", "closeChannel",
]);
const BUS_CALLS = new Set(["stats", "allStats", "topology", "topologyVersion", "ping", "contexts", "nextDeadline"]);
const RECOVERY_CALLS = new Set(["assertExchange", "bindExchange", "assertQueue", "redeclareQueue", "bindQueue"]);

// ----- leader side ----------------------------------------------------------------------------

// A hidden tab's timers are throttled (Chrome: once a second, then once a minute after five
// minutes hidden); a dedicated worker's are not, and its messages reach the tab at once. While a
// leader tab is hidden, a worker ticks the broker's timers (TTL, delays, queue expiry).
const TICK_MS = 100;
const CLOCK = "let t;onmessage=(e)=>{clearInterval(t);if(e.data>0)t=setInterval(()=>postMessage(0),e.data)}";

function hiddenTabClock(tick) {
  const doc = globalThis.document;
  if (!doc || typeof Worker !== "function" || typeof Blob !== "function" || !globalThis.URL?.createObjectURL) return;
  let worker;
  const update = () => {
    if (!doc.hidden) return worker?.postMessage(0);
    if (worker === undefined) {
      try {
        worker = new Worker(URL.createObjectURL(new Blob([CLOCK], { type: "text/javascript" })));
        worker.onmessage = tick;
        worker.onerror = () => (worker = null); // e.g. a Content-Security-Policy without blob: workers
      } catch {
        worker = null;
      }
    }
    worker?.postMessage(TICK_MS);
  };
  doc.addEventListener("visibilitychange", update);
  update();
}

/** Runs the broker for every context of the bus (in the leader). */
export class Host {
  constructor(bus, state, selfId, storage, signal) {
    this.bus = bus;
    this.signal = signal;
    this.state = state;
    this.id = selfId;
    this.storage = storage;
    this.sessions = new Map();
    state.onStoreError = (err) => {
      for (const s of this.sessions.values()) s.emit(["se", errorInfo(err)]);
    };
  }

  /** The session of the leader's own context: frames executed and events delivered in place. */
  selfSession(client) {
    const s = new Session(this, this.id, null, client);
    s.info = { kind: contextKind(), label: contextLabel() };
    this.sessions.set(this.id, s);
    return s;
  }

  listen() {
    this.up = channel(name(this.bus, "up"));
    this.up.onmessage = (event) => this.receive(event.data);
    this.frames = channel(name(this.bus, `up:${this.id}`));
    this.frames.onmessage = (event) => this.receive(event.data);
    hiddenTabClock(() => this.state.bus.tick());
  }

  receive(m) {
    if (m === null || typeof m !== "object" || typeof m.from !== "string" || m.from === this.id) return;
    if (m.v !== PROTOCOL) {
      if (m.t === "hello") {
        const port = channel(name(this.bus, `to:${m.from}`));
        port.postMessage({
          v: 1,
          t: "refused",
          code: "SWITCHYARD_PROTOCOL_MISMATCH",
          reason: `bus '${this.bus}' is led by a context speaking switchyard link protocol ${PROTOCOL}; this context speaks ${String(m.v)} (reload every tab and worker of the origin onto one version of the package)`,
        });
        port.close();
      }
      return;
    }
    if (m.t === "hello") this.hello(m);
    else if (m.t === "f" && Array.isArray(m.f)) this.sessions.get(m.from)?.receive(m);
  }

  hello({ from, kind, label }) {
    let s = this.sessions.get(from);
    if (!s) {
      s = new Session(this, from, channel(name(this.bus, `to:${from}`)), null);
      s.info = { kind: String(kind ?? "context"), label: String(label ?? "") };
      this.sessions.set(from, s);
      // Granted when the context ends: then its connections are lost connections.
      locks().request(name(this.bus, `ctx:${from}`), { signal: this.signal }, () => this.drop(from)).catch(() => {});
    }
    s.post({ v: PROTOCOL, t: "welcome", leader: this.id, storage: this.storage, maxMessageBytes: this.state.maxMessageBytes });
  }

  /** The contexts on the bus, the leader first, each with its consumers. */
  contexts() {
    return [...this.sessions.values()].map((s) => ({
      id: s.id,
      kind: s.info.kind,
      label: s.info.label,
      leader: s.id === this.id,
      connections: s.conns.size,
      consumers: [...s.consumers.values()].map(({ queue, consumerTag }) => ({ queue, consumerTag })),
    }));
  }

  drop(from) {
    const s = this.sessions.get(from);
    if (!s) return;
    this.sessions.delete(from);
    s.closeAll();
    s.port?.close();
  }

  // This context leaves the bus (its last connection closed, in Node or Deno): the others fail
  // over to the next leader.
  close() {
    this.up?.close();
    this.frames?.close();
    for (const s of this.sessions.values()) s.port?.close();
    this.sessions.clear();
    this.state.adapter?.close();
  }
}

// One context's side of the broker: its ids mapped to the broker's, its events sent back.
class Session {
  constructor(host, id, port, client) {
    this.host = host;
    this.id = id;
    this.port = port;
    this.client = client;
    this.conns = new Map(); // context's connection id -> broker's
    this.chans = new Map(); // context's channel id -> { b, conn, seqs }
    this.out = [];
    this.rx = 0;
    this.scheduled = false;
    this.consumers = new Map(); // `${ch} ${tag}` -> { queue, consumerTag, ch }
    this.info = { kind: "context", label: "" };
  }

  post(m) {
    this.port.postMessage(m);
  }

  emit(frame) {
    if (this.client) return this.client.onFrame(frame);
    this.out.push(frame);
    this.schedule();
  }

  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      if (!this.host.sessions.has(this.id)) return;
      const envelope = { v: PROTOCOL, t: "f", from: this.host.id, rx: this.rx, f: this.out };
      this.out = [];
      // Only bodies can fail to clone here: the follower hears why its delivery cannot come.
      postFrames(this.port, envelope, (f, err) => this.post({ ...envelope, f: [["pe", f[1], errorInfo(err)]] }));
    });
  }

  // A batch from a follower: executed in order; every batch gets an answer carrying `rx`.
  receive(m) {
    for (const f of m.f) {
      try {
        this.exec(f);
      } catch (err) {
        this.emit(["pe", f[1], errorInfo(err)]);
      }
    }
    this.rx = m.n;
    this.schedule();
  }

  // Executes a frame. For the leader's own context it returns what the broker returned (or
  // throws), as an in-process call does; for a follower, a call's result goes back as "r".
  exec(f) {
    const bus = this.host.state.bus;
    switch (f[0]) {
      case "p": {
        const r = this.chans.get(f[1]);
        if (!r) return 0;
        let seq;
        try {
          seq = bus.publish(r.b, f[3], f[4], f[5], f[6]);
        } catch (err) {
          if (err?.name === "AmqpError") return 0; // the channel's close event follows
          throw err;
        }
        if (r.seqs && seq > 0) r.seqs.set(seq, f[2]);
        return f[2];
      }
      case "a": {
        const r = this.chans.get(f[1]);
        if (r) bus.ack(r.b, f[2], f[3]);
        return undefined;
      }
      case "n": {
        const r = this.chans.get(f[1]);
        if (r) bus.nack(r.b, f[2], f[3], f[4]);
        return undefined;
      }
      case "nd": {
        const r = this.chans.get(f[1]);
        if (r) bus.nackDelayed(r.b, f[2], f[3], f[4]);
        return undefined;
      }
      case "call":
        return this.client ? this.call(f[2], f[3], f[4]) : this.answer(f);
      case "oc": {
        const b = bus.openConnection();
        this.conns.set(f[1], b);
        this.host.state.connections.set(b, {
          _closedByServer: (err) => {
            this.forgetConnection(f[1]);
            this.emit(["cnc", f[1], errorInfo(err)]);
          },
        });
        return undefined;
      }
      case "cc": {
        const b = this.conns.get(f[1]);
        if (b === undefined) return undefined;
        this.forgetConnection(f[1]);
        bus.closeConnection(b);
        return undefined;
      }
      case "och": {
        const conn = this.conns.get(f[1]);
        if (conn === undefined) return undefined;
        const r = { b: bus.openChannel(conn), conn: f[1], seqs: null };
        this.chans.set(f[2], r);
        this.host.state.channels.set(r.b, this.endpoint(f[2], r));
        return undefined;
      }
      case "cs": {
        const r = this.chans.get(f[1]);
        if (!r) return undefined;
        r.seqs = new Map();
        bus.confirmSelect(r.b);
        return undefined;
      }
      case "rec": {
        const errors = this.recover(f[1], f[2]);
        if (this.client) return errors;
        this.emit(["rr", f[1], errors]);
        return undefined;
      }
      default:
        throw codedError(TypeError, "TypeError", `unknown link frame '${String(f[0])}'`, "SWITCHYARD_PROTOCOL_MISMATCH");
    }
  }

  call(ch, method, args) {
    const bus = this.host.state.bus;
    if (BUS_CALLS.has(method)) {
      if (method === "ping") return true;
      if (method === "contexts") return this.host.contexts();
      return bus[method](...args);
    }
    if (!CHANNEL_CALLS.has(method)) {
      throw codedError(TypeError, "TypeError", `unknown link call '${String(method)}'`, "SWITCHYARD_PROTOCOL_MISMATCH");
    }
    const r = this.chans.get(ch);
    if (!r) throw channelGone();
    const value = bus[method](r.b, ...args);
    if (method === "closeChannel") this.forgetChannel(ch);
    else if (method === "consume") this.consumers.set(`${ch} ${value}`, { queue: args[0], consumerTag: value, ch });
    else if (method === "cancel") this.consumers.delete(`${ch} ${args[0]}`);
    return value;
  }

  // A follower's call: answered once its effects are durable where the in-process call waits
  // for that too (`get` from a durable queue).
  answer(f) {
    let value;
    try {
      value = this.call(f[2], f[3], f[4]);
    } catch (err) {
      this.emit(["r", f[1], false, errorInfo(err)]);
      return;
    }
    const caughtUp = f[3] === "get" && value !== false ? this.host.state.storeCaughtUp() : undefined;
    if (!caughtUp) this.emit(["r", f[1], true, value]);
    else caughtUp.then(() => this.emit(["r", f[1], true, value]));
  }

  // The topology a context declared, declared again on a hidden channel of its connection
  // (after a failover). Failures are reported, not fatal.
  recover(conn, ops) {
    const bus = this.host.state.bus;
    const b = this.conns.get(conn);
    const errors = [];
    if (b === undefined || !Array.isArray(ops)) return errors;
    let ch = null;
    for (const [method, args] of ops) {
      if (!RECOVERY_CALLS.has(method)) continue;
      ch ??= bus.openChannel(b);
      try {
        bus[method](ch, ...args);
      } catch (err) {
        errors.push(errorInfo(err));
        if (err?.name === "AmqpError") ch = null; // the broker closed the hidden channel
      }
    }
    if (ch !== null) bus.closeChannel(ch);
    return errors;
  }

  endpoint(ch, r) {
    return {
      _onDeliver: (consumerTag, deliveryTag, redelivered, exchange, routingKey, content, properties) =>
        this.emit(["d", ch, consumerTag, deliveryTag, redelivered, exchange, routingKey, content, properties]),
      _onReturn: (replyCode, replyText, exchange, routingKey, content, properties) =>
        this.emit(["rt", ch, replyCode, replyText, exchange, routingKey, content, properties]),
      _confirm: (seq, ack, reason) => {
        const local = r.seqs?.get(seq);
        if (local === undefined) return;
        r.seqs.delete(seq);
        this.emit(["c", ch, local, ack, errorInfo(reason)]);
      },
      _cancelled: (consumerTag) => {
        this.consumers.delete(`${ch} ${consumerTag}`);
        this.emit(["x", ch, consumerTag]);
      },
      _closedByServer: (err) => {
        this.forgetChannel(ch);
        this.emit(["chc", ch, errorInfo(err)]);
      },
    };
  }

  forgetChannel(ch) {
    const r = this.chans.get(ch);
    if (!r) return;
    this.chans.delete(ch);
    this.host.state.channels.delete(r.b);
    for (const [k, c] of this.consumers) if (c.ch === ch) this.consumers.delete(k);
  }

  forgetConnection(conn) {
    const b = this.conns.get(conn);
    if (b === undefined) return;
    this.conns.delete(conn);
    this.host.state.connections.delete(b);
    for (const [ch, r] of this.chans) if (r.conn === conn) this.forgetChannel(ch);
  }

  // The context is gone: a lost connection for each of its connections.
  closeAll() {
    const bus = this.host.state.bus;
    for (const [conn, b] of [...this.conns]) {
      this.forgetConnection(conn);
      try {
        bus.closeConnection(b);
      } catch {
        // already closed by the broker
      }
    }
  }
}

// ----- every context ----------------------------------------------------------------------------

const sameBinding = (a, b) => a[0] === b[0] && a[1] === b[1] && (a[2] ?? "") === (b[2] ?? "");

/**
 * One context's membership of an origin-wide bus: the `state` its Connections and Channels talk
 * to (a `bus` with the wasm Bus's methods, over this context's own ids), forwarding to the
 * leader or, when this context leads, to the broker in place.
 */
export class LinkClient {
  constructor(bus, storage, maxMessageBytes, openLeader) {
    this.name = bus;
    this.storage = storage;
    this.requestedMaxMessageBytes = maxMessageBytes;
    this.openLeader = openLeader;
    this.id = globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    this.channels = new Map(); // facade objects by this context's ids
    this.connections = new Map();
    this.storeError = null;
    this.nextId = 1;
    this.connRecs = new Map(); // conn -> { topology: [[method, args]…] }
    this.chanRecs = new Map(); // ch -> { conn, confirm, prefetch, consumers, tagBase, maxTag, seq }
    this.leader = false;
    this.leaderId = null;
    this.leaderStorage = undefined;
    this.maxMessageBytes = undefined;
    this.live = false;
    this.everWelcomed = false; // a leader welcomed it once: a later leader means a failover
    this.session = null;
    this.host = null;
    this.pending = []; // frames waiting for a leader
    this.sent = []; // [n, frame] not yet acknowledged by rx
    this.n = 0;
    this.rx = 0;
    this.out = [];
    this.flushing = false;
    this.calls = new Map();
    this.nextCall = 1;
    this.recoveryErrors = new Map();
    this.bus = new ClientBus(this);
    // Leaving the bus: aborts the queued lock requests, releases the held ones.
    this.leaving = new AbortController();
    this.held = [];
  }

  // A lock callback's result that holds the lock until this context leaves the bus.
  hold() {
    return new Promise((release) => this.held.push(release));
  }

  /** Leaves the bus: in Node and Deno once the realm's last connection closed, so that the
   * process can exit (pending lock requests and open channels would keep it alive). */
  leave() {
    if (this.left) return;
    this.left = true;
    this.live = false;
    this.leaving.abort();
    for (const release of this.held) release();
    this.host?.close();
    for (const port of [this.me, this.all, this.up, this.toLeader]) port?.close();
  }

  /** Joins the bus: resolves once a leader (possibly this context) has welcomed it. */
  async start() {
    await new Promise((resolve, reject) => {
      locks().request(name(this.name, `ctx:${this.id}`), () => (resolve(), this.hold())).catch(reject);
    });
    this.welcomed = new Promise((resolve, reject) => {
      this.resolveWelcome = resolve;
      this.rejectWelcome = reject;
    });
    this.me = channel(name(this.name, `to:${this.id}`));
    this.me.onmessage = (event) => this.fromLeader(event.data);
    this.all = channel(name(this.name, "all"));
    this.all.onmessage = (event) => this.announced(event.data);
    this.up = channel(name(this.name, "up"));
    locks()
      .request(name(this.name, "leader"), { signal: this.leaving.signal }, () => this.lead())
      .catch((err) => this.left || this.fail(err));
    this.hello();
    await this.welcomed;
  }

  linkState() {
    return { scope: "origin", contextId: this.id, leaderId: this.leaderId, leader: this.leader };
  }

  hello() {
    this.up.postMessage({ v: PROTOCOL, t: "hello", from: this.id, storage: this.storage, kind: contextKind(), label: contextLabel() });
  }

  fail(err) {
    this.failed = err;
    this.live = false;
    for (const port of [this.me, this.all, this.up, this.toLeader]) port?.close();
    this.rejectWelcome?.(err);
    for (const conn of [...this.connections.values()]) conn._closedByServer(err);
    this.onFailed?.(err);
  }

  // The leader lock was granted: this context runs the broker from now until it ends.
  async lead() {
    if (this.leaderId !== null) this.leaderLost(this.leaderId);
    const failover = this.everWelcomed;
    let state;
    try {
      state = await this.openLeader(this.name, this.storage, this.requestedMaxMessageBytes);
    } catch (err) {
      this.fail(err);
      return undefined; // releases the lock for the next context
    }
    if (this.left) {
      state.adapter?.close();
      return undefined;
    }
    this.host = new Host(this.name, state, this.id, this.storage, this.leaving.signal);
    this.session = this.host.selfSession(this);
    this.leader = true;
    this.leaderId = this.id;
    this.leaderStorage = this.storage;
    this.maxMessageBytes = state.maxMessageBytes;
    this.live = true;
    this.resume(failover);
    this.host.listen();
    this.all.postMessage({ v: PROTOCOL, t: "leader", leader: this.id });
    this.resolveWelcome();
    return this.hold();
  }

  announced(m) {
    if (m?.v !== PROTOCOL || m.t !== "leader" || this.leader || m.leader === this.leaderId) return;
    // A new leader: the old one is gone (its lease's release may still be on its way).
    if (this.leaderId !== null) this.leaderLost(this.leaderId);
    this.hello();
  }

  fromLeader(m) {
    if (m === null || typeof m !== "object") return;
    if (m.t === "refused") {
      const err = codedError(Error, "Error", `connect: ${m.reason}`, m.code ?? "SWITCHYARD_PROTOCOL_MISMATCH");
      if (this.live || this.leaderId !== null) this.fail(err);
      else this.rejectWelcome(err);
      return;
    }
    if (m.v !== PROTOCOL || this.leader) return;
    if (m.t === "welcome") this.welcome(m);
    else if (m.t === "f" && m.from === this.leaderId && this.live) {
      this.acknowledged(m.rx);
      for (const f of m.f) this.onFrame(f);
    }
  }

  welcome(m) {
    if (m.leader === this.leaderId && this.live) return;
    if (this.leaderId !== null) this.leaderLost(this.leaderId);
    const failover = this.everWelcomed;
    this.leaderId = m.leader;
    this.leaderStorage = m.storage;
    this.maxMessageBytes = m.maxMessageBytes;
    this.toLeader?.close();
    this.toLeader = channel(name(this.name, `up:${m.leader}`));
    this.n = 0;
    this.rx = 0;
    this.sent = [];
    this.live = true;
    const leader = m.leader;
    locks().request(name(this.name, `ctx:${leader}`), { signal: this.leaving.signal }, () => this.leaderLost(leader)).catch(() => {});
    this.resume(failover);
    this.everWelcomed = true;
    this.resolveWelcome();
  }

  acknowledged(rx) {
    if (typeof rx !== "number" || rx <= this.rx) return;
    this.rx = rx;
    let i = 0;
    while (i < this.sent.length && this.sent[i][0] <= rx) i++;
    if (i) this.sent.splice(0, i);
  }

  // The leader died (its lease was released, or a new leader announced itself).
  leaderLost(leader) {
    if (leader !== this.leaderId || this.leader) return;
    this.leaderId = null;
    this.live = false;
    this.everWelcomed = true;
    // Calls not answered are asked again; publishes the leader never received are sent again;
    // acks, nacks and structure are re-created from the records.
    const again = [];
    const resent = new Map();
    for (const [n, f] of this.sent) {
      if (f[0] === "call" ? this.calls.has(f[1]) : f[0] === "p" && n > this.rx) {
        again.push(f);
        if (f[0] === "p" && f[2] > 0) {
          if (!resent.has(f[1])) resent.set(f[1], new Set());
          resent.get(f[1]).add(f[2]);
        }
      }
    }
    this.out = []; // its frames are in `sent` too
    this.sent = [];
    for (const f of this.pending) {
      if (f[0] === "p" && f[2] > 0) {
        if (!resent.has(f[1])) resent.set(f[1], new Set());
        resent.get(f[1]).add(f[2]);
      }
    }
    this.pending = again.concat(this.pending);
    for (const [ch, r] of this.chanRecs) {
      r.tagBase = r.maxTag;
      this.channels.get(ch)?._leaderLost?.(resent.get(ch) ?? new Set());
    }
    const at = Date.now();
    for (const conn of this.connections.values()) conn.emit("leaderLost", { leaderId: leader, at });
  }

  // A (new) leader: re-create this context's connections, channels, topology and consumers
  // there, then send what waited.
  resume(failover) {
    const frames = [];
    if (failover) {
      for (const [conn, rec] of this.connRecs) {
        frames.push(["oc", conn]);
        if (rec.topology.length) frames.push(["rec", conn, rec.topology]);
      }
      for (const [ch, r] of this.chanRecs) {
        frames.push(["och", r.conn, ch]);
        if (r.confirm) frames.push(["cs", ch]);
        for (const [count, global] of r.prefetch.values()) frames.push(["call", 0, ch, "prefetch", [count, global]]);
        for (const [tag, c] of r.consumers) frames.push(["call", 0, ch, "consume", [c.queue, { ...c.options, consumerTag: tag }]]);
      }
    }
    const structural = new Set(["oc", "cc", "och", "cs"]);
    for (const f of this.pending) if (!failover || !structural.has(f[0])) frames.push(f);
    this.pending = [];
    this.recoveryErrors = new Map();
    const done = () => {
      if (!failover) return;
      for (const [id, conn] of this.connections) {
        conn.emit("failover", { leaderId: this.leaderId, leader: this.leader, errors: this.recoveryErrors.get(id) ?? [] });
      }
    };
    if (this.leader) {
      for (const f of frames) this.direct(f);
      queueMicrotask(done);
    } else {
      for (const f of frames) this.post(f);
      if (failover) this.call(null, "ping", []).then(done, () => {});
    }
  }

  // A frame executed by this context's own broker (after a failover onto this context).
  direct(f) {
    if (f[0] === "rec") {
      const errors = this.session.exec(f);
      if (errors.length) this.recoveryErrors.set(f[1], errors.map(errorFrom));
      return;
    }
    if (f[0] !== "call") {
      try {
        this.session.exec(f);
      } catch (err) {
        this.onFrame(["pe", f[1], errorInfo(err)]);
      }
      return;
    }
    const waiting = this.calls.get(f[1]);
    this.calls.delete(f[1]);
    try {
      const value = this.session.exec(f);
      waiting?.resolve(value);
    } catch (err) {
      waiting?.reject(err);
    }
  }

  send(f) {
    if (this.leader) return this.session.exec(f);
    if (this.live) this.post(f);
    else this.pending.push(f);
    return undefined;
  }

  post(f) {
    this.sent.push([++this.n, f]);
    this.out.push(f);
    if (this.flushing) return;
    this.flushing = true;
    queueMicrotask(() => {
      this.flushing = false;
      if (!this.live || this.out.length === 0) return;
      const frames = this.out;
      this.out = [];
      // A call that cannot go is rejected; anything else is reported.
      postFrames(this.toLeader, { v: PROTOCOL, t: "f", from: this.id, n: this.n, f: frames }, (f, err) => {
        const e = codedError(TypeError, "TypeError", `arguments that cannot be cloned cannot reach the bus's leader: ${err?.message ?? err}`, "SWITCHYARD_NOT_CLONEABLE");
        const waiting = f[0] === "call" && this.calls.get(f[1]);
        if (waiting) {
          this.calls.delete(f[1]);
          waiting.reject(e);
        } else {
          this.onFrame(["pe", f[1], errorInfo(e)]);
        }
      });
    });
  }

  call(ch, method, args) {
    if (this.leader) return this.session.call(ch, method, args);
    const no = this.nextCall++;
    const f = ["call", no, ch, method, args];
    return new Promise((resolve, reject) => {
      this.calls.set(no, { resolve, reject });
      this.send(f);
    });
  }

  storeCaughtUp() {
    return this.leader ? this.host.state.storeCaughtUp() : undefined;
  }

  // What the leader sends (or, in the leader, what its broker emits for this context).
  onFrame(f) {
    switch (f[0]) {
      case "r": {
        const waiting = this.calls.get(f[1]);
        if (!waiting) return;
        this.calls.delete(f[1]);
        if (f[2]) waiting.resolve(f[3]);
        else waiting.reject(errorFrom(f[3]));
        return;
      }
      case "d": {
        const r = this.chanRecs.get(f[1]);
        if (!r) return;
        const tag = f[3] + r.tagBase;
        if (tag > r.maxTag) r.maxTag = tag;
        this.channels.get(f[1])?._onDeliver(f[2], tag, f[4], f[5], f[6], f[7], f[8]);
        return;
      }
      case "rt":
        this.channels.get(f[1])?._onReturn(f[2], f[3], f[4], f[5], f[6], f[7]);
        return;
      case "c":
        this.channels.get(f[1])?._confirm(f[2], f[3], errorFrom(f[4]));
        return;
      case "x":
        this.chanRecs.get(f[1])?.consumers.delete(f[2]);
        this.channels.get(f[1])?._cancelled(f[2]);
        return;
      case "chc":
        this.chanRecs.delete(f[1]);
        this.channels.get(f[1])?._closedByServer(errorFrom(f[2]));
        return;
      case "cnc":
        this.forgetConnection(f[1]);
        this.connections.get(f[1])?._closedByServer(errorFrom(f[2]));
        return;
      case "se": {
        const err = errorFrom(f[1]);
        this.storeError = err;
        for (const conn of this.connections.values()) conn.emit("storeError", err);
        return;
      }
      case "pe": {
        const err = errorFrom(f[2]);
        queueMicrotask(() => {
          throw err;
        });
        return;
      }
      case "rr":
        if (f[2].length) this.recoveryErrors.set(f[1], f[2].map(errorFrom));
        return;
      default:
    }
  }

  forgetConnection(conn) {
    this.connRecs.delete(conn);
    for (const [ch, r] of this.chanRecs) if (r.conn === conn) this.chanRecs.delete(ch);
  }

  // Topology a connection declared, kept to declare again on a new leader.
  record(ch, method, args) {
    const conn = this.chanRecs.get(ch)?.conn;
    const rec = this.connRecs.get(conn);
    if (!rec) return;
    const t = rec.topology;
    const drop = (pred) => {
      rec.topology = rec.topology.filter((e) => !pred(e));
    };
    switch (method) {
      case "assertExchange":
      case "assertQueue":
      case "redeclareQueue":
        if (!t.some((e) => e[0] === method && e[1][0] === args[0])) t.push([method, args]);
        return;
      case "bindExchange":
      case "bindQueue":
        if (!t.some((e) => e[0] === method && sameBinding(e[1], args))) t.push([method, args]);
        return;
      case "unbindExchange":
        return drop((e) => e[0] === "bindExchange" && sameBinding(e[1], args));
      case "unbindQueue":
        return drop((e) => e[0] === "bindQueue" && sameBinding(e[1], args));
      case "deleteExchange":
        return drop(
          (e) =>
            (e[0] === "assertExchange" && e[1][0] === args[0]) ||
            (e[0] === "bindExchange" && (e[1][0] === args[0] || e[1][1] === args[0])) ||
            (e[0] === "bindQueue" && e[1][1] === args[0]),
        );
      case "deleteQueue":
        return drop((e) => (e[0] === "assertQueue" || e[0] === "redeclareQueue" || e[0] === "bindQueue") && e[1][0] === args[0]);
      default:
    }
  }
}

const badTag = () =>
  codedError(RangeError, "RangeError", "deliveryTag must be a non-negative integer", "SWITCHYARD_INVALID_ARGUMENT");

// The wasm Bus's methods over a context's own ids (see facade.js for what each does).
class ClientBus {
  constructor(client) {
    this.c = client;
  }

  openConnection() {
    const id = this.c.nextId++;
    this.c.connRecs.set(id, { topology: [] });
    this.c.send(["oc", id]);
    return id;
  }

  closeConnection(conn) {
    this.c.forgetConnection(conn);
    this.c.send(["cc", conn]);
  }

  openChannel(conn) {
    const id = this.c.nextId++;
    this.c.chanRecs.set(id, { conn, confirm: false, prefetch: new Map(), consumers: new Map(), tagBase: 0, maxTag: 0, seq: 0 });
    this.c.send(["och", conn, id]);
    return id;
  }

  confirmSelect(ch) {
    const r = this.c.chanRecs.get(ch);
    if (r) r.confirm = true;
    this.c.send(["cs", ch]);
  }

  closeChannel(ch) {
    return after(this.c.call(ch, "closeChannel", []), () => {
      this.c.chanRecs.delete(ch);
    });
  }

  #topology(ch, method, args, recorded = method, recordedArgs = args) {
    return after(this.c.call(ch, method, args), (value) => {
      this.c.record(ch, recorded, recordedArgs);
      return value;
    });
  }

  assertExchange(ch, exchange, type, options, passive) {
    if (passive) return this.c.call(ch, "assertExchange", [exchange, type, options, true]);
    return this.#topology(ch, "assertExchange", [exchange, type, options, false]);
  }

  deleteExchange(ch, exchange, options) {
    return this.#topology(ch, "deleteExchange", [exchange, options]);
  }

  bindExchange(ch, destination, source, pattern, args, unbind) {
    return this.#topology(ch, "bindExchange", [destination, source, pattern, args, unbind], unbind ? "unbindExchange" : "bindExchange", [destination, source, pattern, args, false]);
  }

  assertQueue(ch, queue, options, passive) {
    const value = this.c.call(ch, "assertQueue", [queue, options, passive]);
    if (passive) return value;
    return after(value, (ok) => {
      if (queue === undefined || queue === null || queue === "") this.c.record(ch, "redeclareQueue", [ok.queue, options]);
      else this.c.record(ch, "assertQueue", [queue, options, false]);
      return ok;
    });
  }

  deleteQueue(ch, queue, options) {
    return this.#topology(ch, "deleteQueue", [queue, options]);
  }

  purgeQueue(ch, queue) {
    return this.c.call(ch, "purgeQueue", [queue]);
  }

  bindQueue(ch, queue, source, pattern, args, unbind) {
    return this.#topology(ch, "bindQueue", [queue, source, pattern, args, unbind], unbind ? "unbindQueue" : "bindQueue", [queue, source, pattern, args, false]);
  }

  publish(ch, exchange, routingKey, content, options) {
    const c = this.c;
    const r = c.chanRecs.get(ch);
    if (!c.leader) {
      Bus.checkPublish(exchange, routingKey, content, options, c.maxMessageBytes);
      // Headers are the one option that can hold any value; they travel by structured clone.
      if (options?.headers && typeof structuredClone === "function") {
        try {
          structuredClone(options.headers);
        } catch (err) {
          throw codedError(TypeError, "TypeError", `publish: headers must be structured-cloneable to reach the bus's leader (${err?.message ?? err})`, "SWITCHYARD_NOT_CLONEABLE");
        }
      }
    }
    if (!r) return c.leader ? c.session.exec(["p", ch, 0, exchange, routingKey, content, options]) : 0;
    const seq = r.confirm ? r.seq + 1 : 0;
    if (c.leader) {
      // In place: a publish the broker refuses closes the channel, and then has no number.
      const done = c.session.exec(["p", ch, seq, exchange, routingKey, content, options]);
      if (!done && r.confirm) return -1;
    } else {
      c.send(["p", ch, seq, exchange, routingKey, ownBytes(content), options]);
    }
    if (r.confirm) r.seq = seq;
    return seq;
  }

  consume(ch, queue, options) {
    return after(this.c.call(ch, "consume", [queue, options]), (tag) => {
      const { consumerTag: _, ...rest } = options ?? {};
      this.c.chanRecs.get(ch)?.consumers.set(tag, { queue, options: rest });
      return tag;
    });
  }

  cancel(ch, consumerTag) {
    return after(this.c.call(ch, "cancel", [consumerTag]), (value) => {
      this.c.chanRecs.get(ch)?.consumers.delete(consumerTag);
      return value;
    });
  }

  get(ch, queue, options) {
    return after(this.c.call(ch, "get", [queue, options]), (got) => {
      const r = this.c.chanRecs.get(ch);
      if (got === false || !r) return got;
      got[1] += r.tagBase;
      if (got[1] > r.maxTag) r.maxTag = got[1];
      return got;
    });
  }

  // Tags of deliveries from a dead leader are stale: their messages were requeued with it.
  #settle(frame, ch, tag) {
    if (!(Number.isInteger(tag) && tag >= 0)) throw badTag();
    const r = this.c.chanRecs.get(ch);
    if (!r) return;
    if (tag !== 0) {
      tag -= r.tagBase;
      if (tag <= 0) return;
    }
    frame[2] = tag;
    this.c.send(frame);
  }

  ack(ch, tag, multiple) {
    this.#settle(["a", ch, 0, multiple], ch, tag);
  }

  nack(ch, tag, multiple, requeue) {
    this.#settle(["n", ch, 0, multiple, requeue], ch, tag);
  }

  nackDelayed(ch, tag, multiple, delayMs) {
    this.#settle(["nd", ch, 0, multiple, delayMs], ch, tag);
  }

  prefetch(ch, count, global) {
    return after(this.c.call(ch, "prefetch", [count, global]), (value) => {
      this.c.chanRecs.get(ch)?.prefetch.set(!!global, [count, global]);
      return value;
    });
  }

  recover(ch) {
    return this.c.call(ch, "recover", []);
  }

  stats(queue) {
    return this.c.call(null, "stats", [queue]);
  }

  allStats() {
    return this.c.call(null, "allStats", []);
  }

  topologyVersion() {
    return this.c.call(null, "topologyVersion", []);
  }

  topology() {
    return this.c.call(null, "topology", []);
  }

  contexts() {
    return this.c.call(null, "contexts", []);
  }

  nextDeadline() {
    return this.c.call(null, "nextDeadline", []);
  }
}

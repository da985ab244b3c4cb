// switchyard's public API: amqplib's promise API (connect, Connection, Channel, ConfirmChannel)
// over the wasm `Bus`. This file is the package facade; every runtime entry initialises the wasm
// and re-exports it. Validation of names and options happens in Rust (src/bindings); what is
// here is the object model: events, promises, consumers, confirms.

import { Bus, version as wasmVersion } from "./switchyard.js";
import { indexedDBStore, mapStore } from "./stores.js";
import { decodeOps, encodeSnapshot, propertiesFromArray } from "./records.js";
import { LinkClient, after, codedError, contextKind, originMissing } from "./link.js";

export { indexedDBStore, mapStore };

// The entries that load the wasm asynchronously (browsers, workers, Deno) do it without a
// top-level await — a service worker whose module awaits at the top never starts, and a worker
// would miss messages posted while it waited — and hand the promise here; connect() waits for it.
let wasmReady = Promise.resolve();
let wasmLoaded = true;
/** Resolves once the wasm is initialised (connect() waits for it by itself). */
export const ready = () => wasmReady;
/** Used by the package entries: the promise of the wasm's initialisation. */
export function initialising(promise) {
  wasmLoaded = false;
  wasmReady = promise.then(() => {
    wasmLoaded = true;
  });
  wasmReady.catch(() => {});
}

/** The package version, from the wasm (after `await ready()` where the wasm loads asynchronously). */
export function version() {
  if (!wasmLoaded) {
    throw codedError(Error, "Error", "switchyard is still loading its wasm: await ready() (or connect()) first", "SWITCHYARD_NOT_READY");
  }
  return wasmVersion();
}

// ----- errors ----------------------------------------------------------------------------

/** A call on a closed channel or connection, as amqplib's `IllegalOperationError`. */
export class IllegalOperationError extends Error {
  constructor(message, code) {
    super(message);
    this.name = "IllegalOperationError";
    this.code = code;
  }
}

const channelClosedError = () => new IllegalOperationError("Channel closed", "SWITCHYARD_CHANNEL_CLOSED");
const connectionClosedError = () => new IllegalOperationError("Connection closed", "SWITCHYARD_CONNECTION_CLOSED");

/** amqplib's `credentials`: accepted so RabbitMQ code runs unchanged; a bus needs none. */
export const credentials = {
  plain: (username, password) => ({ mechanism: "PLAIN", username, password }),
  amqplain: (username, password) => ({ mechanism: "AMQPLAIN", username, password }),
  external: () => ({ mechanism: "EXTERNAL" }),
};
const invalid = (message) => codedError(TypeError, "TypeError", message, "SWITCHYARD_INVALID_ARGUMENT");

// An exception thrown by user code inside a callback surfaces as an uncaught exception, as it
// would from a socket handler with amqplib, without breaking delivery to other consumers.
function reportAsync(err) {
  queueMicrotask(() => {
    throw err;
  });
}

// ----- a small EventEmitter (the same surface as Node's, for every runtime) ---------------

class Emitter {
  #listeners = new Map();

  on(event, fn) {
    if (typeof fn !== "function") throw invalid("listener must be a function");
    const list = this.#listeners.get(event);
    if (list) list.push(fn);
    else this.#listeners.set(event, [fn]);
    return this;
  }

  addListener(event, fn) {
    return this.on(event, fn);
  }

  once(event, fn) {
    const wrapper = (...args) => {
      this.off(event, wrapper);
      fn.apply(this, args);
    };
    wrapper.listener = fn;
    return this.on(event, wrapper);
  }

  off(event, fn) {
    const list = this.#listeners.get(event);
    if (!list) return this;
    const i = list.findIndex((l) => l === fn || l.listener === fn);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#listeners.delete(event);
    return this;
  }

  removeListener(event, fn) {
    return this.off(event, fn);
  }

  removeAllListeners(event) {
    if (event === undefined) this.#listeners.clear();
    else this.#listeners.delete(event);
    return this;
  }

  listenerCount(event) {
    return this.#listeners.get(event)?.length ?? 0;
  }

  listeners(event) {
    return (this.#listeners.get(event) ?? []).map((l) => l.listener ?? l);
  }

  emit(event, ...args) {
    const list = this.#listeners.get(event);
    if (!list) return false;
    for (const fn of [...list]) {
      try {
        fn.apply(this, args);
      } catch (err) {
        reportAsync(err);
      }
    }
    return true;
  }
}

// ----- the bus: one broker per name per realm ---------------------------------------------

// Node and Deno exit when nothing is pending; an open connection keeps the process alive, as an
// amqplib socket does.
const needsKeepAlive = !!(globalThis.process?.versions?.node || globalThis.Deno);
let keepAliveCount = 0;
let keepAliveTimer;
function keepAlive(delta) {
  if (!needsKeepAlive) return;
  keepAliveCount += delta;
  if (keepAliveCount > 0 && keepAliveTimer === undefined) {
    keepAliveTimer = setInterval(() => {}, 1 << 30);
  } else if (keepAliveCount === 0 && keepAliveTimer !== undefined) {
    clearInterval(keepAliveTimer);
    keepAliveTimer = undefined;
  }
}

const buses = new Map();

// The broker hands over message properties as an array (`undefined` for the defaults); every
// delivery gets its own object, as with amqplib.
const props = propertiesFromArray;

// The reason given to a confirm callback for a nack.
const nackReason = (storeError) =>
  codedError(Error, "Error", storeError ? `message nacked: ${storeError.message}` : "message nacked", storeError?.code ?? "SWITCHYARD_NACKED");

// Receives the broker's events (src/driver): routes each to its channel or connection — the
// facade's own objects (scope "local") or the link's sessions (the leader of an origin-wide bus).
// Its methods never throw.
class BusState {
  constructor(name, options, storage, adapter, snapshot) {
    this.name = name;
    this.storage = storage;
    this.maxMessageBytes = options?.maxMessageBytes;
    this.adapter = adapter;
    this.storeError = null;
    this.commitWaiters = [];
    this.channels = new Map();
    this.connections = new Map();
    const salt = Math.floor(Math.random() * 2 ** 52);
    this.bus = new Bus(this, options, salt, adapter ? encodeSnapshot(snapshot) : undefined);
  }

  // One batch of durable changes: written by the adapter, then reported back so that the
  // confirms waiting on it are sent (acks) or nacked.
  persist(batch, tape) {
    let written;
    try {
      written = Promise.resolve(this.adapter.apply(decodeOps(tape)));
    } catch (err) {
      written = Promise.reject(err);
    }
    written.then(
      () => {
        this.storeError = null;
        this.bus.storeDone(batch, true);
        this.wakeCommitWaiters();
      },
      (err) => {
        this.storeError = err;
        this.bus.storeDone(batch, false);
        this.wakeCommitWaiters();
        this.onStoreError(err);
      },
    );
  }

  // Resolves once the store has written everything emitted so far (what `get` hands out of a
  // durable queue must be recorded as delivered before the caller sees it).
  storeCaughtUp() {
    if (!this.adapter) return undefined;
    const need = this.bus.storeEmitted();
    if (this.bus.storeCommitted() >= need) return undefined;
    return new Promise((resolve) => this.commitWaiters.push({ need, resolve }));
  }

  wakeCommitWaiters() {
    const committed = this.bus.storeCommitted();
    this.commitWaiters = this.commitWaiters.filter((w) => (w.need <= committed ? (w.resolve(), false) : true));
  }

  onStoreError(err) {
    for (const conn of this.connections.values()) conn.emit("storeError", err);
  }

  // Bytes stay in the wasm memory until here (`content` undefined): copied out at once, before
  // anything can call into the wasm again.
  bytes(ptr, len) {
    const src = new Uint8Array((this.memory ??= Bus.memory()).buffer, ptr, len);
    if (!NodeBuffer) return src.slice();
    const copy = NodeBuffer.allocUnsafe(len); // from Node's pool: no ArrayBuffer per delivery
    copy.set(src);
    return copy;
  }

  deliver(channel, consumerTag, deliveryTag, redelivered, exchange, routingKey, content, properties, ptr, len) {
    if (content === undefined) content = this.bytes(ptr, len);
    this.channels.get(channel)?._onDeliver(consumerTag, deliveryTag, redelivered, exchange, routingKey, content, properties);
  }

  returned(channel, replyCode, replyText, exchange, routingKey, content, properties, ptr, len) {
    if (content === undefined) content = this.bytes(ptr, len);
    this.channels.get(channel)?._onReturn(replyCode, replyText, exchange, routingKey, content, properties);
  }

  confirm(channel, seq, ack) {
    this.channels.get(channel)?._confirm(seq, ack, ack ? null : nackReason(this.storeError));
  }

  cancelled(channel, consumerTag) {
    this.channels.get(channel)?._cancelled(consumerTag);
  }

  channelClosed(channel, error) {
    this.channels.get(channel)?._closedByServer(error);
  }

  connectionClosed(connection, error) {
    this.connections.get(connection)?._closedByServer(error);
  }
}

const CONNECT_OPTIONS = ["storage", "scope", "maxMessageBytes"];

function busName(url) {
  if (url === undefined || url === null || url === "") return "default";
  if (typeof url === "object" && url !== null && !(url instanceof URL)) {
    // amqplib's URL object: { protocol = "amqp", hostname, port, vhost, … }.
    url = `${url.protocol ?? "amqp"}://${url.hostname ?? ""}/${url.vhost ?? ""}`;
  } else if (url instanceof URL) {
    url = url.href;
  }
  if (typeof url !== "string") throw invalid("connect: url must be a string such as 'switchyard://orders'");
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(url);
  if (!m) throw invalid(`connect: '${url}' is not a URL; use 'switchyard://NAME'`);
  const scheme = m[1].toLowerCase();
  if (scheme === "switchyard") return decodeURIComponent(m[2].replace(/\/+$/, "")) || "default";
  // amqp:// URLs are accepted so RabbitMQ code runs unchanged: they all name the default bus.
  if (scheme === "amqp" || scheme === "amqps") return "default";
  throw invalid(`connect: unsupported URL scheme '${scheme}:' (use switchyard://NAME)`);
}

// Browsers and their workers share one bus per origin by default, persisted in IndexedDB; other
// runtimes (Node, Deno, edge isolates) get a bus per realm in memory unless told otherwise.
const browserLike = () => !globalThis.process?.versions?.node && !globalThis.Deno && (typeof window === "object" || typeof WorkerGlobalScope === "function");
const links = new Map();

/**
 * Opens a connection to a bus. `url` names the bus (`switchyard://NAME`; `amqp://…` URLs name
 * the default bus). With scope "origin" (the default in browsers and workers) every tab and
 * worker of the origin that connects to NAME shares one broker; with scope "local" every
 * connection to NAME in this JavaScript realm does.
 */
export async function connect(url, options) {
  await wasmReady;
  const name = busName(url);
  if (options !== undefined && options !== null) {
    if (typeof options !== "object") throw invalid("connect: options must be an object");
    for (const key of Object.keys(options)) {
      if (!CONNECT_OPTIONS.includes(key)) {
        throw codedError(TypeError, "TypeError", `connect: unknown option '${key}' (known: ${CONNECT_OPTIONS.join(", ")})`, "SWITCHYARD_UNKNOWN_OPTION");
      }
    }
  }
  const explicitStorage = options?.storage;
  const adapter = typeof explicitStorage === "object" && explicitStorage !== null;
  const { storage = globalThis.indexedDB && browserLike() ? "indexeddb" : "memory", maxMessageBytes } = options ?? {};
  const { scope = !adapter && browserLike() && originMissing().length === 0 ? "origin" : "local" } = options ?? {};
  if (!adapter && storage !== "memory" && storage !== "indexeddb") {
    throw invalid(`connect: storage must be "memory", "indexeddb" or a store adapter object, got ${String(storage)}`);
  }
  if (scope !== "local" && scope !== "origin") {
    throw invalid(`connect: scope must be "origin" or "local", got ${String(scope)}`);
  }
  if (maxMessageBytes !== undefined && !(Number.isInteger(maxMessageBytes) && maxMessageBytes > 0)) {
    throw codedError(RangeError, "RangeError", "connect: maxMessageBytes must be a positive integer", "SWITCHYARD_INVALID_ARGUMENT");
  }
  if (adapter && !["load", "apply", "close"].every((m) => typeof storage[m] === "function")) {
    throw invalid("connect: a store adapter needs load(), apply(ops) and close() methods");
  }
  if (scope === "origin") return connectOrigin(name, storage, explicitStorage !== undefined, maxMessageBytes, adapter);
  let pending = buses.get(name);
  if (!pending) {
    pending = createBus(name, storage, maxMessageBytes);
    buses.set(name, pending);
    pending.catch(() => buses.delete(name));
  }
  const state = await pending;
  if (explicitStorage !== undefined && state.storage !== storage) {
    throw storageMismatch(name, "in this context");
  }
  return open(state);
}

const storageMismatch = (name, where) =>
  codedError(Error, "Error", `connect: bus '${name}' is already open ${where} with other storage`, "SWITCHYARD_STORAGE_MISMATCH");

function open(state) {
  const id = state.bus.openConnection();
  const conn = new Connection(state, id);
  state.connections.set(id, conn);
  return conn;
}

async function connectOrigin(name, storage, explicitStorage, maxMessageBytes, adapter) {
  const missing = originMissing();
  if (missing.length) {
    throw codedError(
      Error,
      "Error",
      `connect: scope "origin" needs ${missing.join(" and ")}, which this runtime lacks; use { scope: "local" } for a bus private to this context`,
      "SWITCHYARD_SCOPE_UNAVAILABLE",
    );
  }
  if (adapter) {
    throw invalid('connect: a store adapter object serves one context; use it with { scope: "local" } (the origin-wide bus persists with storage "indexeddb" or "memory")');
  }
  let pending = links.get(name);
  if (!pending) {
    const client = new LinkClient(name, storage, maxMessageBytes, (bus, s, max) => createBus(bus, s, max, true));
    const forget = () => links.get(name) === pending && links.delete(name);
    client.onFailed = forget;
    // In Node and Deno a realm leaves the bus with its last connection, so the process can exit
    // (in browsers a context stays on the bus, and keeps leading it, until it ends).
    if (needsKeepAlive) {
      client.onIdle = () => {
        forget();
        client.leave();
      };
    }
    pending = client.start().then(() => client);
    links.set(name, pending);
    pending.catch(() => links.get(name) === pending && links.delete(name));
  }
  keepAlive(1); // Node and Deno: joining waits on messages only
  let client;
  try {
    client = await pending;
  } finally {
    keepAlive(-1);
  }
  if (client.left) return connectOrigin(name, storage, explicitStorage, maxMessageBytes, adapter); // left meanwhile
  if (explicitStorage && client.leaderStorage !== storage) {
    throw storageMismatch(name, `on this origin (its leader uses "${client.leaderStorage}")`);
  }
  return open(client);
}

async function createBus(name, storage, maxMessageBytes, leader = false) {
  const options = maxMessageBytes === undefined ? undefined : { maxMessageBytes };
  if (storage === "memory") return new BusState(name, options, storage);
  const adapter = storage === "indexeddb" ? indexedDBStore(name, leader ? { waitForLock: LEADER_STORE_WAIT_MS } : undefined) : storage;
  let snapshot;
  try {
    snapshot = await adapter.load();
  } catch (err) {
    if (typeof err?.code === "string" && err.code.startsWith("SWITCHYARD_")) throw err;
    throw codedError(Error, "Error", `connect: the store could not be loaded: ${err?.message ?? err}`, "SWITCHYARD_STORAGE_UNAVAILABLE");
  }
  return new BusState(name, options, storage, adapter, snapshot);
}

// A new leader waits this long for the store lock of the leader it replaces (released as that
// context goes away, not always at the same instant as the leader lock).
const LEADER_STORE_WAIT_MS = 10_000;

// ----- Connection ------------------------------------------------------------------------

export class Connection extends Emitter {
  #state;
  #id;
  #channels = new Set();
  #closed = false;

  constructor(state, id) {
    super();
    this.#state = state;
    this.#id = id;
    keepAlive(1);
  }

  /** The bus this connection belongs to. */
  get bus() {
    return this.#state.name;
  }

  /**
   * The bus's exchanges, queues and bindings, for live views (a switchyard addition):
   * `{ version, exchanges: [{name, type, durable, autoDelete, internal, arguments}], queues:
   * [{name, durable, exclusive, autoDelete, arguments}], bindings: [{source, destination,
   * destinationType, key, arguments}] }`. `version` changes whenever any of them (or the set of
   * consumers) changes.
   */
  async topology() {
    if (this.#closed) throw connectionClosedError();
    const bus = this.#state.bus;
    const [version, topology] = await Promise.all([bus.topologyVersion(), bus.topology()]);
    return { version, ...topology };
  }

  /** Counters of every queue (a switchyard addition; see Channel#stats). */
  async stats() {
    if (this.#closed) throw connectionClosedError();
    return this.#state.bus.allStats();
  }

  /**
   * When the bus's next timer (a TTL, a delay, a queue's expiry) is due, as a `Date`, or `null`
   * (a switchyard addition): a host that may be evicted between requests, such as a Durable
   * Object, sets an alarm for it; timers run whenever the bus's code runs after that time.
   */
  async nextDeadline() {
    if (this.#closed) throw connectionClosedError();
    const t = await this.#state.bus.nextDeadline();
    return t === undefined || t === null ? null : new Date(t);
  }

  /**
   * The contexts (tabs, frames, workers) connected to the bus, the leader first, each with its
   * consumers (a switchyard addition): `[{ id, kind, label, leader, connections, consumers:
   * [{ queue, consumerTag }] }]`. A bus of scope "local" has one context, this one.
   */
  async contexts() {
    if (this.#closed) throw connectionClosedError();
    if (this.#state.bus.contexts) return this.#state.bus.contexts();
    const consumers = [];
    for (const ch of this.#state.channels.values()) {
      for (const consumerTag of ch._consumers.keys()) consumers.push({ queue: ch._queues.get(consumerTag), consumerTag });
    }
    return [{ id: null, kind: contextKind(), label: "", leader: true, connections: this.#state.connections.size, consumers }];
  }

  /**
   * Where this connection's broker runs (a switchyard addition): `{ scope, contextId, leaderId,
   * leader }`. On an origin-wide bus, `leader` tells whether this context runs the broker; the
   * connection emits `leaderLost` ({ leaderId, at }) when the leader ends and `failover`
   * ({ leaderId, leader, errors }) once it is re-established on a new leader.
   */
  linkState() {
    return this.#state.linkState?.() ?? { scope: "local", contextId: null, leaderId: null, leader: true };
  }

  async createChannel() {
    return this.#open(Channel);
  }

  async createConfirmChannel() {
    const ch = this.#open(ConfirmChannel);
    this.#state.bus.confirmSelect(ch._id);
    return ch;
  }

  #open(Kind) {
    if (this.#closed) throw connectionClosedError();
    const id = this.#state.bus.openChannel(this.#id);
    const ch = new Kind(this.#state, id, this);
    this.#channels.add(ch);
    this.#state.channels.set(id, ch);
    return ch;
  }

  _forget(ch) {
    this.#channels.delete(ch);
  }

  async close() {
    if (this.#closed) throw connectionClosedError();
    this.#finish(null);
    this.#state.bus.closeConnection(this.#id);
    // Acks and publishes made before the close are in the store when it resolves (so closing
    // the store next, or exiting, loses nothing).
    await this.#state.storeCaughtUp();
    if (this.#state.connections.size === 0) this.#state.onIdle?.();
  }

  #finish(error) {
    this.#closed = true;
    this.#state.connections.delete(this.#id);
    for (const ch of [...this.#channels]) ch._closedLocally(error);
    keepAlive(-1);
    if (error) this.emit("error", error);
    this.emit("close", error ?? undefined);
  }

  _closedByServer(error) {
    if (this.#closed) return;
    this.#finish(error);
    if (this.#state.connections.size === 0) this.#state.onIdle?.();
  }
}

// ----- Channel ---------------------------------------------------------------------------

const empty = () => ({});

function tagOf(message, what) {
  const tag = message?.fields?.deliveryTag;
  if (typeof tag !== "number") throw invalid(`${what}: expected a message received from this channel`);
  return tag;
}

// Bytes are copied when published (into the broker's wasm memory, or by the link on their way
// to the bus's leader) and again for each delivery, as a network would: a publisher may reuse its
// buffer, and each consumer owns what it receives. What arrives here is already that delivery's
// own copy; Node gets it as a Buffer (a view of the same memory), as from amqplib, other runtimes
// as a Uint8Array. Any other value is delivered as that value, not copied.
const NodeBuffer = globalThis.Buffer;
const isBytes = (c) => ArrayBuffer.isView(c) || c instanceof ArrayBuffer;
const delivered = NodeBuffer
  ? (c) => (c instanceof Uint8Array && !(c instanceof NodeBuffer) ? NodeBuffer.from(c.buffer, c.byteOffset, c.byteLength) : c)
  : (c) => c;

// Checks content (bytes are the broker's to copy).
function checkContent(content) {
  if (content === undefined) throw invalid("publish: content is required");
  if (typeof content === "function" || typeof content === "symbol") return content; // Rust reports these
  if (typeof content !== "object" || content === null) return content;
  if (isBytes(content)) return content;
  if (typeof structuredClone === "function") {
    try {
      structuredClone(content);
    } catch (e) {
      throw codedError(TypeError, "TypeError", `publish: content is not structured-cloneable (${e?.message ?? e})`, "SWITCHYARD_NOT_CLONEABLE");
    }
  }
  return content;
}

export class Channel extends Emitter {
  constructor(state, id, connection) {
    super();
    this._state = state;
    this._id = id;
    this.connection = connection;
    this._closed = false;
    this._consumers = new Map();
    this._queues = new Map(); // consumer tag -> queue name
    this._consuming = 0; // consume calls waiting for the origin bus's leader
    this._early = null; // consumer tag -> deliveries that arrived before its consume's answer
    this._errorSurfaced = false;
  }

  _check() {
    if (this._closed) throw channelClosedError();
  }

  // A broker call that returns a promise: bad input and broker errors reject it. In-process the
  // call runs now; on an origin-wide bus whose leader is another context, `fn` gets a promise.
  _rpc(fn) {
    const surfaced = (err) => {
      if (err?.name === "AmqpError") this._errorSurfaced = true;
      throw err;
    };
    return new Promise((resolve) => {
      this._check();
      let value;
      try {
        value = fn(this._state.bus, this._id);
      } catch (err) {
        surfaced(err);
      }
      resolve(value instanceof Promise ? value.catch(surfaced) : value);
    });
  }

  // ----- topology -----

  assertExchange(exchange, type, options) {
    return this._rpc((bus, id) => after(bus.assertExchange(id, exchange, type, options, false), () => ({ exchange })));
  }

  checkExchange(exchange) {
    return this._rpc((bus, id) => after(bus.assertExchange(id, exchange, undefined, undefined, true), empty));
  }

  deleteExchange(exchange, options) {
    return this._rpc((bus, id) => after(bus.deleteExchange(id, exchange, options), empty));
  }

  bindExchange(destination, source, pattern, args) {
    return this._rpc((bus, id) => after(bus.bindExchange(id, destination, source, pattern, args, false), empty));
  }

  unbindExchange(destination, source, pattern, args) {
    return this._rpc((bus, id) => after(bus.bindExchange(id, destination, source, pattern, args, true), empty));
  }

  assertQueue(queue, options) {
    return this._rpc((bus, id) => bus.assertQueue(id, queue, options, false));
  }

  checkQueue(queue) {
    return this._rpc((bus, id) => bus.assertQueue(id, queue, undefined, true));
  }

  deleteQueue(queue, options) {
    return this._rpc((bus, id) => after(bus.deleteQueue(id, queue, options), (messageCount) => ({ messageCount })));
  }

  purgeQueue(queue) {
    return this._rpc((bus, id) => after(bus.purgeQueue(id, queue), (messageCount) => ({ messageCount })));
  }

  bindQueue(queue, source, pattern, args) {
    return this._rpc((bus, id) => after(bus.bindQueue(id, queue, source, pattern, args, false), empty));
  }

  unbindQueue(queue, source, pattern, args) {
    return this._rpc((bus, id) => after(bus.bindQueue(id, queue, source, pattern, args, true), empty));
  }

  // ----- publishing -----

  // Returns the confirm sequence number, or -1 if the broker closed the channel (the error
  // arrives as the channel's 'error' event, as amqplib reports a failed publish).
  _publish(exchange, routingKey, content, options) {
    this._check();
    content = checkContent(content);
    try {
      return this._state.bus.publish(this._id, exchange, routingKey, content, options);
    } catch (err) {
      if (err?.name !== "AmqpError") throw err;
      return -1;
    }
  }

  publish(exchange, routingKey, content, options) {
    this._publish(exchange, routingKey, content, options);
    return true;
  }

  sendToQueue(queue, content, options) {
    return this.publish("", queue, content, options);
  }

  // ----- consuming -----

  consume(queue, onMessage, options) {
    return this._rpc((bus, id) => {
      if (typeof onMessage !== "function") throw invalid("consume: onMessage must be a function");
      let signal;
      if (options && typeof options === "object" && "signal" in options) {
        ({ signal, ...options } = options);
        if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalid("consume: signal must be an AbortSignal");
        signal?.throwIfAborted();
      }
      const started = bus.consume(id, queue, options);
      if (started instanceof Promise) {
        // Forwarded to the leader: deliveries may arrive with the answer, before the tag is known.
        this._consuming++;
        started.catch(() => this._consumeSettled());
      }
      return after(started, (consumerTag) => {
        this._consumers.set(consumerTag, onMessage);
        this._queues.set(consumerTag, queue);
        if (started instanceof Promise) this._consumeSettled(consumerTag);
        signal?.addEventListener(
          "abort",
          () => {
            if (!this._closed && this._consumers.has(consumerTag)) this.cancel(consumerTag).catch(() => {});
          },
          { once: true },
        );
        return { consumerTag };
      });
    });
  }

  _onDeliver(consumerTag, deliveryTag, redelivered, exchange, routingKey, content, properties) {
    const fields = { consumerTag, deliveryTag, redelivered, exchange, routingKey };
    this._deliver(consumerTag, { content: delivered(content), fields, properties: props(properties) });
  }

  _onReturn(replyCode, replyText, exchange, routingKey, content, properties) {
    const fields = { replyCode, replyText, exchange, routingKey };
    this.emit("return", { content: delivered(content), fields, properties: props(properties) });
  }

  _deliver(consumerTag, msg) {
    const fn = this._consumers.get(consumerTag);
    if (!fn) {
      if (this._consuming > 0) {
        this._early ??= new Map();
        if (!this._early.has(consumerTag)) this._early.set(consumerTag, []);
        this._early.get(consumerTag).push(msg);
      }
      return;
    }
    try {
      fn(msg);
    } catch (err) {
      reportAsync(err);
    }
  }

  // A forwarded consume was answered (with its tag) or failed: what arrived early is delivered.
  _consumeSettled(consumerTag) {
    this._consuming--;
    const early = this._early?.get(consumerTag);
    if (early) {
      this._early.delete(consumerTag);
      for (const msg of early) this._deliver(consumerTag, msg);
    }
    if (this._consuming === 0) this._early = null;
  }

  _cancelled(consumerTag) {
    const fn = this._consumers.get(consumerTag);
    this._consumers.delete(consumerTag);
    if (fn) {
      try {
        fn(null);
      } catch (err) {
        reportAsync(err);
      }
    }
  }

  cancel(consumerTag) {
    return this._rpc((bus, id) =>
      after(bus.cancel(id, consumerTag), () => {
        const fn = this._consumers.get(consumerTag);
        this._consumers.delete(consumerTag);
        fn?._onCancel?.();
        return { consumerTag };
      }),
    );
  }

  async get(queue, options) {
    const r = await this._rpc((bus, id) => bus.get(id, queue, options));
    if (r === false) return false;
    await this._state.storeCaughtUp();
    const [content, deliveryTag, redelivered, exchange, routingKey, messageCount, properties] = r;
    return { content: delivered(content), fields: { deliveryTag, redelivered, exchange, routingKey, messageCount }, properties: props(properties) };
  }

  /**
   * Consumes `queue` as an async iterator (a switchyard addition). Leaving the loop, or aborting
   * `options.signal`, cancels the consumer; closing the channel ends the loop.
   */
  messages(queue, options = {}) {
    const channel = this;
    const buffered = [];
    let wake;
    let done = false;
    let tag;
    const finish = () => {
      done = true;
      wake?.();
    };
    const onMessage = (msg) => {
      if (msg === null) return finish();
      buffered.push(msg);
      wake?.();
    };
    onMessage._onCancel = finish;
    const started = this.consume(queue, onMessage, options).then((ok) => (tag = ok.consumerTag));
    this.once("close", finish);
    options?.signal?.addEventListener("abort", finish, { once: true });
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      async next() {
        await started;
        while (buffered.length === 0 && !done) await new Promise((r) => (wake = r));
        wake = undefined;
        if (buffered.length > 0) return { value: buffered.shift(), done: false };
        return { value: undefined, done: true };
      },
      async return() {
        await started.catch(() => {});
        done = true;
        if (!channel._closed && tag !== undefined && channel._consumers.has(tag)) await channel.cancel(tag);
        return { value: undefined, done: true };
      },
    };
  }

  // ----- acknowledgements -----

  ack(message, allUpTo = false) {
    this._check();
    this._state.bus.ack(this._id, tagOf(message, "ack"), !!allUpTo);
  }

  ackAll() {
    this._check();
    this._state.bus.ack(this._id, 0, true);
  }

  nack(message, allUpTo = false, requeue = true) {
    this._check();
    this._state.bus.nack(this._id, tagOf(message, "nack"), !!allUpTo, requeue !== false);
  }

  nackAll(requeue = true) {
    this._check();
    this._state.bus.nack(this._id, 0, true, requeue !== false);
  }

  reject(message, requeue = true) {
    this._check();
    this._state.bus.nack(this._id, tagOf(message, "reject"), false, requeue !== false);
  }

  /** Requeues `message` after `delayMs` (a switchyard addition for retry backoff). */
  nackWithDelay(message, delayMs, allUpTo = false) {
    this._check();
    if (typeof delayMs !== "number") throw invalid("nackWithDelay: delayMs must be a number");
    this._state.bus.nackDelayed(this._id, tagOf(message, "nackWithDelay"), !!allUpTo, delayMs);
  }

  prefetch(count, global) {
    return this._rpc((bus, id) => after(bus.prefetch(id, count, global), empty));
  }

  qos(count, global) {
    return this.prefetch(count, global);
  }

  recover() {
    return this._rpc((bus, id) => after(bus.recover(id), empty));
  }

  /** Counters of a queue (a switchyard addition). */
  stats(queue) {
    return this._rpc((bus) =>
      after(bus.stats(queue), (s) => {
        if (s === undefined) {
          // Not an AMQP error: asking for counters closes nothing.
          throw codedError(Error, "Error", `stats: no queue '${queue}' in vhost '/'`, "SWITCHYARD_NOT_FOUND");
        }
        return s;
      }),
    );
  }

  // ----- closing -----

  async close() {
    await this._rpc((bus, id) => after(bus.closeChannel(id), () => this._closedLocally(null)));
    await this._state.storeCaughtUp();
  }

  _closedLocally(error) {
    if (this._closed) return;
    this._closed = true;
    this._state.channels.delete(this._id);
    this.connection._forget(this);
    this._failPending(error ?? channelClosedError());
    this._consumers.clear();
    this.emit("close");
  }

  _closedByServer(error) {
    if (this._closed) return;
    this._closed = true;
    this._state.channels.delete(this._id);
    this.connection._forget(this);
    this._failPending(error);
    this._consumers.clear();
    if (this.listenerCount("error") > 0) this.emit("error", error);
    else if (!this._errorSurfaced) reportAsync(error);
    this.emit("close");
  }

  _confirm() {}

  _failPending() {}

  _leaderLost() {}
}

// ----- ConfirmChannel --------------------------------------------------------------------

export class ConfirmChannel extends Channel {
  constructor(state, id, connection) {
    super(state, id, connection);
    this._unconfirmed = new Map(); // seq -> callback or null
    this._waiters = [];
    this._failedPublishes = [];
  }

  publish(exchange, routingKey, content, options, callback) {
    if (callback !== undefined && typeof callback !== "function") throw invalid("publish: callback must be a function");
    const seq = this._publish(exchange, routingKey, content, options);
    if (seq > 0) this._unconfirmed.set(seq, callback ?? null);
    else if (callback) this._failedPublishes.push(callback);
    return true;
  }

  sendToQueue(queue, content, options, callback) {
    return this.publish("", queue, content, options, callback);
  }

  _confirm(seq, ack, reason) {
    if (!this._unconfirmed.has(seq)) return;
    const cb = this._unconfirmed.get(seq);
    this._unconfirmed.delete(seq);
    const err = ack ? null : (reason ?? nackReason(null));
    if (cb) {
      try {
        cb(err, undefined);
      } catch (e) {
        reportAsync(e);
      }
    }
    this._waiters = this._waiters.filter((w) => {
      if (!w.seqs.delete(seq)) return true;
      if (!ack) w.nacked ??= err;
      if (w.seqs.size > 0) return true;
      if (w.nacked) {
        w.reject(w.nacked.code === "SWITCHYARD_LEADER_LOST" ? w.nacked : codedError(Error, "Error", "message nacked", "SWITCHYARD_NACKED"));
      }
      else w.resolve();
      return false;
    });
  }

  _failPending(error) {
    const callbacks = [...this._unconfirmed.values(), ...this._failedPublishes];
    this._unconfirmed.clear();
    this._failedPublishes = [];
    for (const cb of callbacks) {
      if (!cb) continue;
      try {
        cb(error, undefined);
      } catch (e) {
        reportAsync(e);
      }
    }
    for (const w of this._waiters) w.reject(error);
    this._waiters = [];
  }

  // The origin bus's leader died: publishes it received but did not confirm have an unknown
  // outcome (those it never received are sent to the next leader, `resent`).
  _leaderLost(resent) {
    for (const seq of [...this._unconfirmed.keys()]) {
      if (resent.has(seq)) continue;
      const reason = codedError(
        Error,
        "Error",
        "the bus's leader context ended before confirming this message; it may or may not have been stored (publish it again if it must arrive)",
        "SWITCHYARD_LEADER_LOST",
      );
      this._confirm(seq, false, reason);
    }
  }

  /** Resolves when every publish so far is confirmed; rejects if any was nacked. */
  waitForConfirms() {
    if (this._closed) return Promise.reject(channelClosedError());
    if (this._unconfirmed.size === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this._waiters.push({ seqs: new Set(this._unconfirmed.keys()), nacked: null, resolve, reject });
    });
  }
}

export default {
  connect,
  ready,
  version,
  credentials,
  IllegalOperationError,
  Connection,
  Channel,
  ConfirmChannel,
  indexedDBStore,
  mapStore,
};

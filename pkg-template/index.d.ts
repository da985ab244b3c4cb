// Types of the switchyard package: amqplib's promise API (connect → Connection → Channel /
// ConfirmChannel), plus switchyard's additions (publish `delay`, nackWithDelay, messages(),
// AbortSignal, stats()). Hand-written; the names of options, replies and message fields are
// amqplib's, so code typed against `amqplib` moves over by changing its import.
//
// No dependency on @types/node: message bodies are typed as `Bytes`, which is Node's `Buffer`
// when @types/node is loaded and `Uint8Array` otherwise (what the package delivers in each).

// ---------------------------------------------------------------------------------------------
// Values

/** A message body as delivered: `Buffer` in Node (with @types/node loaded), else `Uint8Array`. */
export type Bytes = typeof globalThis extends { Buffer: { alloc(size: number): infer B } } ? B : Uint8Array;

/** Any object that is not a function (functions cannot be structured-cloned). */
export type CloneableObject =
  | (object & { readonly apply?: never; readonly call?: never; readonly bind?: never })
  | { readonly [key: string]: unknown };

/**
 * What `publish`/`sendToQueue` accept as content: bytes (Buffer, Uint8Array, any typed array,
 * ArrayBuffer) as in amqplib, or any other structured-cloneable value (string, number, plain
 * object, array, Map, Date, …), which is delivered as that value. Functions and symbols are
 * rejected (TypeError, code "SWITCHYARD_NOT_CLONEABLE").
 */
export type Content = string | number | boolean | bigint | CloneableObject;

/** A value in an AMQP field table (`arguments`, `headers`). */
export type FieldValue = unknown;

/** An AMQP field table: queue/exchange/binding/consumer `arguments`, message `headers`. */
export interface FieldTable {
  [key: string]: FieldValue;
}

/** The exchange types switchyard implements (RabbitMQ's built-in four). */
export type ExchangeType = "direct" | "fanout" | "topic" | "headers";

/** What happens when a queue with `maxLength`/`maxLengthBytes` is full. */
export type Overflow = "drop-head" | "reject-publish" | "reject-publish-dlx";

// ---------------------------------------------------------------------------------------------
// Options (amqplib's `Options` namespace, with switchyard's additions marked)

export namespace Options {
  /** Second argument of `connect()` (switchyard; amqplib's is socket options). */
  interface Connect {
    /** Where durable state lives: "indexeddb" (the default in browsers and workers), "memory"
     * (the default elsewhere), or a store adapter (any runtime; scope "local"). */
    storage?: "memory" | "indexeddb" | StoreAdapter;
    /** "origin" (the default in browsers and workers): one bus shared by every tab and worker
     * of the origin; "local" (the default elsewhere): this context only. */
    scope?: "origin" | "local";
    /** Largest accepted message body in bytes; larger publishes throw RangeError
     * (code "SWITCHYARD_TOO_LARGE"). */
    maxMessageBytes?: number;
  }

  interface AssertQueue {
    /** Scoped to this connection and deleted when it closes. Default false. */
    exclusive?: boolean;
    /** Survives a restart of the bus (with persistent storage). Default true. */
    durable?: boolean;
    /** Deleted when its last consumer is cancelled. Default false. */
    autoDelete?: boolean;
    /** Extra `x-…` arguments; the options below override them. */
    arguments?: FieldTable;
    /** `x-message-ttl`: milliseconds a message may wait in the queue. */
    messageTtl?: number;
    /** `x-expires`: milliseconds of disuse after which the queue is deleted. */
    expires?: number;
    /** `x-dead-letter-exchange`. */
    deadLetterExchange?: string;
    /** `x-dead-letter-routing-key`. */
    deadLetterRoutingKey?: string;
    /** `x-max-length`: the most ready messages. */
    maxLength?: number;
    /** `x-max-length-bytes` (switchyard option; amqplib takes it only in `arguments`). */
    maxLengthBytes?: number;
    /** `x-max-priority`: 1–255. */
    maxPriority?: number;
    /** `x-overflow`. */
    overflow?: Overflow;
    /** `x-queue-mode`: accepted and ignored. */
    queueMode?: "default" | "lazy";
    /** `x-single-active-consumer` (switchyard option; amqplib: `arguments`). */
    singleActiveConsumer?: boolean;
    /** `x-delivery-limit` (switchyard option; amqplib: `arguments`). */
    deliveryLimit?: number;
    /** IndexedDB durability of this queue's messages (switchyard; argument `x-durability`):
     * "strict" (flushed to disk before a confirm) or "relaxed" (handed to the OS). Default: the
     * store's. */
    durability?: "strict" | "relaxed";
  }

  interface DeleteQueue {
    ifUnused?: boolean;
    ifEmpty?: boolean;
  }

  interface AssertExchange {
    durable?: boolean;
    internal?: boolean;
    autoDelete?: boolean;
    /** `alternate-exchange`: where messages this exchange cannot route go. */
    alternateExchange?: string;
    arguments?: FieldTable;
  }

  interface DeleteExchange {
    ifUnused?: boolean;
  }

  interface Publish {
    /** Per-message TTL in milliseconds (a number or its decimal string). */
    expiration?: string | number;
    userId?: string;
    /** Extra routing keys (kept in the `CC` header). */
    CC?: string | string[];
    /** Extra routing keys (removed from the headers before delivery). */
    BCC?: string | string[];
    /** Return the message with a 'return' event if it reaches no queue. */
    mandatory?: boolean;
    /** deliveryMode 2 when true, 1 when false. */
    persistent?: boolean;
    deliveryMode?: boolean | number;
    contentType?: string;
    contentEncoding?: string;
    headers?: FieldTable;
    /** 0–255; effective up to the queue's `maxPriority`. */
    priority?: number;
    correlationId?: string;
    replyTo?: string;
    messageId?: string;
    timestamp?: number;
    type?: string;
    appId?: string;
    /** Switchyard: route the message only after this many milliseconds. */
    delay?: number;
  }

  interface Consume {
    consumerTag?: string;
    noLocal?: boolean;
    noAck?: boolean;
    exclusive?: boolean;
    /** `x-priority`: higher-priority consumers get messages first. */
    priority?: number;
    arguments?: FieldTable;
    /** Switchyard: aborting it cancels the consumer. */
    signal?: AbortSignal;
  }

  /** Options of the `messages()` async iterator (switchyard). */
  interface Messages extends Consume {}

  interface Get {
    noAck?: boolean;
  }
}

// Flat aliases, for code that prefers them to the namespace.
export type ConnectOptions = Options.Connect;
export type AssertQueueOptions = Options.AssertQueue;
export type AssertExchangeOptions = Options.AssertExchange;
export type PublishOptions = Options.Publish;
export type ConsumeOptions = Options.Consume;

/** One durable change, as a store adapter receives it (shapes: src/bindings/records.rs). */
export interface StoreOp {
  op:
    | "putExchange" | "deleteExchange" | "putQueue" | "deleteQueue" | "putBinding" | "deleteBinding"
    | "putMessage" | "updateMessage" | "deleteMessage" | "putDelayed" | "deleteDelayed";
  [field: string]: unknown;
}

/** What a store hands back to restore a bus from. */
export interface StoreSnapshot {
  exchanges: object[];
  queues: object[];
  bindings: object[];
  messages: object[];
  delayed: object[];
}

/** A storage backend for the bus (IndexedDB, a Map, Durable Object storage, Deno KV, …). */
export interface StoreAdapter {
  /** The state stored so far (null when empty). */
  load(): Promise<StoreSnapshot | null | undefined>;
  /** Persists one batch of operations atomically; confirms of the batch wait for it. */
  apply(ops: StoreOp[]): Promise<void>;
  /** Releases the backend. */
  close(): Promise<void>;
}

/** The IndexedDB store (database `switchyard:NAME`), one readwrite transaction per batch. */
export function indexedDBStore(
  name: string,
  options?: {
    durability?: "strict" | "relaxed";
    /** Milliseconds to wait for another context's hold on this store (default 0: fail at once). */
    waitForLock?: number;
  },
): StoreAdapter;

/** A store kept in Maps (tests, examples). */
export function mapStore(): StoreAdapter;

// ---------------------------------------------------------------------------------------------
// Replies (amqplib's `Replies` namespace)

export namespace Replies {
  interface Empty {}
  interface AssertQueue {
    queue: string;
    messageCount: number;
    consumerCount: number;
  }
  interface PurgeQueue {
    messageCount: number;
  }
  interface DeleteQueue {
    messageCount: number;
  }
  interface AssertExchange {
    exchange: string;
  }
  interface Consume {
    consumerTag: string;
  }
  interface Cancel {
    consumerTag: string;
  }
}

/** What `stats(queue)` resolves to (switchyard). */
export interface QueueStats {
  queue: string;
  /** Ready messages. */
  messages: number;
  /** Body bytes of ready messages. */
  bytes: number;
  /** Delivered, not yet acknowledged. */
  unacked: number;
  /** Held back by `nackWithDelay`. */
  delayed: number;
  consumers: number;
  /** Counters since the queue was declared. */
  published: number;
  delivered: number;
  redelivered: number;
  acked: number;
  deadLettered: number;
  dropped: number;
}

// ---------------------------------------------------------------------------------------------
// Messages

/** One entry of the `x-death` header, newest first. */
export interface XDeath {
  count: number;
  reason: "rejected" | "expired" | "maxlen" | "delivery_limit";
  queue: string;
  /** Seconds since the epoch, tagged as amqplib decodes AMQP timestamps. */
  time: { "!": "timestamp"; value: number };
  exchange: string;
  "routing-keys": string[];
  "original-expiration"?: string;
}

/** Received headers: whatever was published, plus dead-lettering headers. */
export interface MessagePropertyHeaders {
  "x-death"?: XDeath[];
  "x-first-death-exchange"?: string;
  "x-first-death-queue"?: string;
  "x-first-death-reason"?: string;
  "x-last-death-exchange"?: string;
  "x-last-death-queue"?: string;
  "x-last-death-reason"?: string;
  CC?: string[];
  [key: string]: any;
}

/** Message properties; the ones the publisher did not set are undefined. */
export interface MessageProperties {
  contentType: string | undefined;
  contentEncoding: string | undefined;
  /** Always an object ({} when the message has no headers). */
  headers: MessagePropertyHeaders;
  deliveryMode: number | undefined;
  priority: number | undefined;
  correlationId: string | undefined;
  replyTo: string | undefined;
  expiration: string | undefined;
  messageId: string | undefined;
  timestamp: number | undefined;
  type: string | undefined;
  userId: string | undefined;
  appId: string | undefined;
  clusterId: string | undefined;
}

export interface CommonMessageFields {
  deliveryTag: number;
  redelivered: boolean;
  exchange: string;
  routingKey: string;
}

export interface MessageFields extends CommonMessageFields {
  messageCount?: number;
  consumerTag?: string;
}

export interface ConsumeMessageFields extends CommonMessageFields {
  consumerTag: string;
}

export interface GetMessageFields extends CommonMessageFields {
  /** Messages left in the queue. */
  messageCount: number;
}

export interface ReturnMessageFields {
  replyCode: number;
  replyText: string;
  exchange: string;
  routingKey: string;
}

/** A message. `C` is the content type: bytes unless a structured value was published. */
export interface Message<C = Bytes> {
  content: C;
  fields: MessageFields;
  properties: MessageProperties;
}

export interface ConsumeMessage<C = Bytes> extends Message<C> {
  fields: ConsumeMessageFields;
}

export interface GetMessage<C = Bytes> extends Message<C> {
  fields: GetMessageFields;
}

/** A mandatory message that reached no queue, as the 'return' event hands it over. */
export interface ReturnMessage<C = Bytes> {
  content: C;
  fields: ReturnMessageFields;
  properties: MessageProperties;
}

// ---------------------------------------------------------------------------------------------
// Errors (shapes of what is thrown or rejected; not exported as values)

/** A channel or connection closed by the broker: `code` is the AMQP reply code (404, 406, …). */
export interface AmqpError extends Error {
  code: number;
  classId?: number;
  methodId?: number;
}

/** The stable `code`s of switchyard's own errors. */
export type SwitchyardErrorCode =
  | "SWITCHYARD_CHANNEL_CLOSED"
  | "SWITCHYARD_CONNECTION_CLOSED"
  | "SWITCHYARD_INVALID_ARGUMENT"
  | "SWITCHYARD_UNKNOWN_OPTION"
  | "SWITCHYARD_NOT_CLONEABLE"
  | "SWITCHYARD_TOO_LARGE"
  | "SWITCHYARD_STORAGE_UNAVAILABLE"
  | "SWITCHYARD_STORAGE_LOCKED"
  | "SWITCHYARD_STORAGE_MISMATCH"
  | "SWITCHYARD_QUOTA_EXCEEDED"
  | "SWITCHYARD_STORE_FAILED"
  | "SWITCHYARD_NACKED"
  | "SWITCHYARD_NOT_READY"
  | "SWITCHYARD_NOT_FOUND"
  | "SWITCHYARD_STORE_CLOSED"
  | "SWITCHYARD_SCOPE_UNAVAILABLE";

/** Bad input (TypeError/RangeError) and other switchyard errors. */
export interface SwitchyardError extends Error {
  code: SwitchyardErrorCode;
}

/** A call on a closed channel or connection ("Channel closed", "Connection closed"). */
export class IllegalOperationError extends Error {
  name: "IllegalOperationError";
  code: "SWITCHYARD_CHANNEL_CLOSED" | "SWITCHYARD_CONNECTION_CLOSED";
}

// ---------------------------------------------------------------------------------------------
// Events

/** The EventEmitter subset connections and channels offer, typed per event. */
export interface Emitter<Events extends { [E in keyof Events]: unknown[] }> {
  on<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): this;
  addListener<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): this;
  once<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): this;
  off<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): this;
  removeListener<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): this;
  removeAllListeners(event?: keyof Events): this;
  emit<E extends keyof Events>(event: E, ...args: Events[E]): boolean;
  listenerCount(event: keyof Events): number;
  listeners<E extends keyof Events>(event: E): Array<(...args: Events[E]) => void>;
}

export interface ConnectionEvents {
  /** The error is there when the broker closed the connection (as amqplib passes it). */
  close: [error?: Error];
  error: [error: Error];
  /** A batch could not be persisted (its confirms were nacked); the bus keeps working. */
  storeError: [error: SwitchyardError];
  /** Origin-wide bus: the connection was re-established on a new leader (consumers, prefetch
   * and the topology it declared were re-created there). */
  failover: [info: FailoverInfo];
  /** Origin-wide bus: the leader context ended (`at`: Date.now() when this context noticed);
   * calls wait for the next leader, and `failover` follows once the connection is re-created. */
  leaderLost: [info: { leaderId: string; at: number }];
}

export interface ChannelEvents {
  close: [];
  error: [error: AmqpError];
  return: [message: ReturnMessage<any>];
  drain: [];
}

// ---------------------------------------------------------------------------------------------
// Connection, Channel, ConfirmChannel

// Classes (for `instanceof`), created only by connect()/createChannel(); their event methods
// come from the merged Emitter interfaces below.

/** A connection to a bus (amqplib calls it ChannelModel). */
export declare class Connection {
  protected constructor();
  /** The name of the bus this connection belongs to ("default" for amqp:// URLs). */
  readonly bus: string;
  /** The bus's exchanges, queues and bindings now (switchyard; asked of the bus's leader). */
  topology(): Promise<Topology>;
  /** Counters of every queue now (switchyard; asked of the bus's leader). */
  stats(): Promise<QueueStats[]>;
  /** When the bus's next timer (TTL, delay, queue expiry) is due, or null (switchyard): a
   * Durable Object hosting a bus sets an alarm for it. */
  nextDeadline(): Promise<Date | null>;
  /** The tabs and workers on the bus, the leader first, with their consumers (switchyard). */
  contexts(): Promise<ContextInfo[]>;
  /** Where this connection's broker runs (switchyard). */
  linkState(): LinkState;
  createChannel(): Promise<Channel>;
  createConfirmChannel(): Promise<ConfirmChannel>;
  /** Closes its channels and deletes its exclusive queues. */
  close(): Promise<void>;
}

export interface Connection extends Emitter<ConnectionEvents> {}

/** One context on a bus, as Connection#contexts() lists it. */
export interface ContextInfo {
  /** Its id (null for a bus of scope "local"). */
  id: string | null;
  /** "tab", "frame", "dedicated worker", "shared worker", "service worker", "main thread" (Node, Deno) or "worker thread" (Node). */
  kind: string;
  /** The page's title or the worker's path. */
  label: string;
  leader: boolean;
  connections: number;
  consumers: { queue: string; consumerTag: string }[];
}

/** What Connection#linkState() returns. */
export interface LinkState {
  /** "origin": one broker for every tab and worker of the origin; "local": this context's own. */
  scope: "origin" | "local";
  /** This context's id on an origin-wide bus (null for scope "local"). */
  contextId: string | null;
  /** The id of the context running the broker (null while a new leader is being elected). */
  leaderId: string | null;
  /** Whether the broker runs in this context. */
  leader: boolean;
}

/** What the `failover` event of a Connection carries. */
export interface FailoverInfo {
  leaderId: string;
  leader: boolean;
  /** Declarations of this connection that could not be made again on the new leader. */
  errors: Error[];
}

/** What Connection#topology() returns. */
export interface Topology {
  version: number;
  exchanges: { name: string; type: ExchangeType; durable: boolean; autoDelete: boolean; internal: boolean; arguments: Record<string, unknown> }[];
  queues: { name: string; durable: boolean; exclusive: boolean; autoDelete: boolean; arguments: Record<string, unknown> }[];
  bindings: { source: string; destination: string; destinationType: "queue" | "exchange"; key: string; arguments: Record<string, unknown> }[];
}

/** amqplib's name for what `connect()` resolves to. */
export type ChannelModel = Connection;

/** A message handler: `null` when the broker cancels the consumer (e.g. its queue was deleted). */
export type OnMessage<C = Bytes> = (message: ConsumeMessage<C> | null) => void;

export declare class Channel {
  protected constructor();
  close(): Promise<void>;

  /** Declares a queue; an empty or missing name asks for a server-named one (`amq.gen-…`). */
  assertQueue(queue?: string, options?: Options.AssertQueue): Promise<Replies.AssertQueue>;
  checkQueue(queue: string): Promise<Replies.AssertQueue>;
  deleteQueue(queue: string, options?: Options.DeleteQueue): Promise<Replies.DeleteQueue>;
  purgeQueue(queue: string): Promise<Replies.PurgeQueue>;
  bindQueue(queue: string, source: string, pattern: string, args?: FieldTable): Promise<Replies.Empty>;
  unbindQueue(queue: string, source: string, pattern: string, args?: FieldTable): Promise<Replies.Empty>;

  assertExchange(exchange: string, type: ExchangeType, options?: Options.AssertExchange): Promise<Replies.AssertExchange>;
  checkExchange(exchange: string): Promise<Replies.Empty>;
  deleteExchange(exchange: string, options?: Options.DeleteExchange): Promise<Replies.Empty>;
  bindExchange(destination: string, source: string, pattern: string, args?: FieldTable): Promise<Replies.Empty>;
  unbindExchange(destination: string, source: string, pattern: string, args?: FieldTable): Promise<Replies.Empty>;

  /** Publishes; returns whether more may be written before 'drain'. */
  publish(exchange: string, routingKey: string, content: Content, options?: Options.Publish): boolean;
  sendToQueue(queue: string, content: Content, options?: Options.Publish): boolean;

  /** Starts a consumer. `C` types the content (bytes unless structured values are published). */
  consume<C = Bytes>(queue: string, onMessage: OnMessage<C>, options?: Options.Consume): Promise<Replies.Consume>;
  /** Resolves with the cancelled tag, as amqplib resolves basic.cancel-ok. */
  cancel(consumerTag: string): Promise<Replies.Cancel>;
  /** One message, or false when the queue is empty. */
  get<C = Bytes>(queue: string, options?: Options.Get): Promise<GetMessage<C> | false>;

  ack(message: Message<unknown>, allUpTo?: boolean): void;
  ackAll(): void;
  /** `requeue` defaults to true. */
  nack(message: Message<unknown>, allUpTo?: boolean, requeue?: boolean): void;
  nackAll(requeue?: boolean): void;
  /** `requeue` defaults to true. */
  reject(message: Message<unknown>, requeue?: boolean): void;

  /** 0–65535 unacknowledged messages per consumer (per channel with `global`). */
  prefetch(count: number, global?: boolean): Promise<Replies.Empty>;
  /** amqplib's other name for prefetch. */
  qos(count: number, global?: boolean): Promise<Replies.Empty>;
  recover(): Promise<Replies.Empty>;

  // Switchyard additions.

  /** Negative-acknowledges; the message(s) come back, redelivered, after `delayMs`. */
  nackWithDelay(message: Message<unknown>, delayMs: number, allUpTo?: boolean): void;
  /** A consumer as an async iterator; leaving the loop or aborting `options.signal` cancels it. */
  messages<C = Bytes>(queue: string, options?: Options.Messages): AsyncIterableIterator<ConsumeMessage<C>>;
  /** Depth, bytes, unacked, consumers and counters of a queue. */
  stats(queue: string): Promise<QueueStats>;
}
export interface Channel extends Emitter<ChannelEvents> {}

/** Called once per publish on a confirm channel: `err` is null on ack, an Error on nack. */
export type ConfirmCallback = (err: Error | null, ok?: Replies.Empty) => void;

export declare class ConfirmChannel extends Channel {
  publish(exchange: string, routingKey: string, content: Content, options?: Options.Publish, callback?: ConfirmCallback): boolean;
  sendToQueue(queue: string, content: Content, options?: Options.Publish, callback?: ConfirmCallback): boolean;
  /** Resolves when every publish so far is confirmed; rejects if one was nacked. */
  waitForConfirms(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Entry points

/**
 * Connects to a bus. `url`: undefined (the default bus), "switchyard://NAME" (a named bus), or an
 * "amqp://…"/"amqps://…" URL (accepted so code written for RabbitMQ runs; it names the default
 * bus). Every connect() to the same bus name in one JS realm shares one broker.
 */
export function connect(url?: string | ConnectUrlObject, options?: Options.Connect): Promise<Connection>;

/** amqplib's object form of the URL; like an amqp:// string it names the default bus. */
export interface ConnectUrlObject {
  protocol?: "amqp" | "amqps";
  hostname?: string;
  port?: number;
  username?: string;
  password?: string;
  locale?: string;
  frameMax?: number;
  heartbeat?: number;
  vhost?: string;
}

/** The package version (also what the wasm reports). In browsers, workers and Deno the wasm
 * loads asynchronously: call it after `await ready()` (or after any `connect()`). */
export function version(): string;

/** Resolves once the wasm is initialised; `connect()` waits for it by itself. */
export function ready(): Promise<void>;

/** amqplib's `credentials`, accepted and ignored (a bus has no login). */
export const credentials: {
  plain(username: string, password: string): object;
  amqplain(username: string, password: string): object;
  external(): object;
};

declare const switchyard: {
  connect: typeof connect;
  ready: typeof ready;
  version: typeof version;
  credentials: typeof credentials;
  IllegalOperationError: typeof IllegalOperationError;
  indexedDBStore: typeof indexedDBStore;
  mapStore: typeof mapStore;
  Connection: typeof Connection;
  Channel: typeof Channel;
  ConfirmChannel: typeof ConfirmChannel;
};
export default switchyard;

// Shared helpers for the node:test suites in this directory. They import "switchyard" as a user
// would (the packed package installed next to these files by `make test-js`).
//
// Until the package exports connect(), every test fails with one clear message instead of the
// whole file failing to link. Every test gets its own bus ("switchyard://<unique>") unless it
// says otherwise, so tests in one file never see each other's queues.
import assert from "node:assert/strict";
import { after, test as nodeTest } from "node:test";
import * as switchyard from "switchyard";

export { switchyard };

const MISSING = "switchyard does not export connect() yet (the facade has not landed)";

/** The package's connect(), or a stand-in that rejects with a clear message. */
export const connect =
  typeof switchyard.connect === "function"
    ? switchyard.connect
    : async () => {
        throw new Error(MISSING);
      };

/** Generous per-test limit: the CI machine is a slow, shared 2-core box. */
export const TEST_TIMEOUT_MS = 20_000;

/** node:test's test() with a default timeout, so a missing delivery fails instead of hanging. */
export function test(name, options, fn) {
  if (typeof options === "function") [options, fn] = [{}, options];
  return nodeTest(name, { timeout: TEST_TIMEOUT_MS, ...options }, fn);
}

// A broker that keeps the event loop alive after every connection closed is a bug: the file's
// process would never exit and `node --test` would hang. Fail loudly instead.
after(() => {
  setTimeout(() => {
    console.error("switchyard kept the process alive 10 s after the last test (a timer or channel was not released)");
    process.exit(1);
  }, 10_000).unref();
});

let counter = 0;
/** A name unique in this process: `${prefix}-${pid}-${n}`. */
export function uniq(prefix = "t") {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Closes a connection or channel, ignoring "already closed". */
export async function closeQuietly(closable) {
  try {
    await closable?.close();
  } catch {
    // already closed
  }
}

/**
 * Opens a connection to a fresh bus (or `options.bus`) and one channel (a confirm channel with
 * `options.confirm`); both are closed after the test. Channel 'error' events are recorded in
 * `ch.errorsSeen` so an unexpected channel error fails an assertion rather than the process.
 */
export async function open(t, { bus = `switchyard://${uniq("bus")}`, confirm = false, connectOptions } = {}) {
  const conn = await connect(bus, connectOptions);
  t.after(() => closeQuietly(conn));
  const ch = await channel(conn, { confirm });
  return { conn, ch, bus };
}

/** A new channel on `conn` that records its 'error' events in `ch.errorsSeen`. */
export async function channel(conn, { confirm = false } = {}) {
  const ch = confirm ? await conn.createConfirmChannel() : await conn.createChannel();
  ch.errorsSeen = [];
  ch.on("error", (err) => ch.errorsSeen.push(err));
  return ch;
}

/** The body of a message as a string, whatever the content type delivered. */
export function text(msg) {
  const c = msg.content;
  if (typeof c === "string") return c;
  if (c instanceof Uint8Array) return Buffer.from(c.buffer, c.byteOffset, c.byteLength).toString("utf8");
  return JSON.stringify(c);
}

/**
 * Consumes `queue` until `count` messages arrived, then cancels and returns them. Rejects after
 * `timeout` ms with what did arrive. With `settle` > 0, waits that long after the last one and
 * fails if more arrive. `ack: true` acks each message (noAck is off then); `onMessage` sees each.
 */
export async function collect(ch, queue, count, { timeout = 5_000, settle = 0, ack = false, onMessage, options = {} } = {}) {
  const got = [];
  let done;
  const reached = new Promise((resolve) => (done = resolve));
  const { consumerTag } = await ch.consume(
    queue,
    (msg) => {
      if (msg === null) return;
      got.push(msg);
      if (ack) ch.ack(msg);
      onMessage?.(msg);
      if (got.length === count) done();
    },
    { noAck: !ack, ...options },
  );
  if (count === 0) done();
  let timer;
  const expired = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`collect(${queue}): ${got.length} of ${count} messages in ${timeout} ms: [${got.map(text)}]`)),
      timeout,
    );
  });
  try {
    await Promise.race([reached, expired]);
  } finally {
    clearTimeout(timer);
  }
  if (settle > 0) await sleep(settle);
  await ch.cancel(consumerTag);
  assert.equal(got.length, count, `collect(${queue}): expected ${count} messages, got [${got.map(text)}]`);
  return got;
}

/** Polls `fn` until it returns a truthy value (returned), or fails after `timeout` ms. */
export async function until(fn, { timeout = 5_000, interval = 10, what = "condition" } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(interval);
  }
}

/** Resolves with the arguments of the next `event` on `emitter`, or rejects after `timeout`. */
export function nextEvent(emitter, event, timeout = 5_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' event in ${timeout} ms`)), timeout);
    emitter.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

/** Records the order of 'error' and 'close' on a channel or connection: `log` is e.g. ["error", "close"]. */
export function watchClose(emitter) {
  const log = [];
  const errors = [];
  emitter.on("error", (err) => {
    log.push("error");
    errors.push(err);
  });
  const closed = new Promise((resolve) => emitter.once("close", () => (log.push("close"), resolve())));
  return { log, errors, closed };
}

/** amqplib's "<code> (<NAME>) with message \"<text>…" for a reply code (text may be a prefix). */
export function amqpMessage(code, name, text) {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`${code} \\(${name}\\) with message "${escaped}`);
}

/**
 * Asserts that `promise` rejects with AMQP reply `code` whose message contains the amqplib-style
 * text, and that the channel then emits 'error' (same code) followed by 'close' once.
 */
export async function assertChannelError(ch, promiseOrFn, code, name, replyText) {
  const watch = watchClose(ch);
  const expected = amqpMessage(code, name, replyText);
  if (typeof promiseOrFn === "function") {
    // ack/nack/publish: nothing to reject; the channel error is the outcome.
    promiseOrFn();
  } else {
    await assert.rejects(promiseOrFn, (err) => {
      assert.ok(err instanceof Error, "rejects with an Error");
      assert.equal(err.code, code);
      assert.match(err.message, expected);
      return true;
    });
  }
  await Promise.race([watch.closed, sleep(5_000).then(() => assert.fail(`channel did not close after ${code}`))]);
  assert.deepEqual(watch.log, ["error", "close"], "the channel emits 'error' then 'close'");
  assert.equal(watch.errors[0].code, code);
  assert.match(watch.errors[0].message, /^Channel closed by server: /);
  assert.match(watch.errors[0].message, expected);
}

/** Asserts `err` is the "Channel closed" IllegalOperationError. */
export function isChannelClosed(err) {
  assert.equal(err.name, "IllegalOperationError");
  assert.equal(err.message, "Channel closed");
  assert.equal(err.code, "SWITCHYARD_CHANNEL_CLOSED");
  return true;
}

/** Asserts `err` is a bad-input error: `Type` (TypeError/RangeError) with string `code`. */
export function isBadInput(Type, code = "SWITCHYARD_INVALID_ARGUMENT") {
  return (err) => {
    assert.ok(err instanceof Type, `expected a ${Type.name}, got ${err?.name}: ${err?.message}`);
    assert.equal(err.code, code);
    return true;
  };
}

/** Proves a channel still works: declares a fresh queue, publishes, and gets the body back. */
export async function assertChannelWorks(ch) {
  const { queue } = await ch.assertQueue("", { exclusive: true });
  const body = `alive-${uniq()}`;
  assert.equal(ch.sendToQueue(queue, Buffer.from(body)), true);
  const [msg] = await collect(ch, queue, 1);
  assert.equal(text(msg), body);
  await ch.deleteQueue(queue);
}

/** Proves a connection still works: a new channel publishes and consumes, then closes. */
export async function assertConnectionWorks(conn) {
  const ch = await channel(conn);
  await assertChannelWorks(ch);
  await ch.close();
}

/** Publishes `bodies` (strings) to `queue` on the default exchange. */
export function sendAll(ch, queue, bodies, options) {
  for (const body of bodies) assert.equal(ch.sendToQueue(queue, Buffer.from(body), options), true);
}

/** Gets every ready message of `queue` (noAck) and returns their bodies. */
export async function drain(ch, queue) {
  const bodies = [];
  for (let msg = await ch.get(queue, { noAck: true }); msg; msg = await ch.get(queue, { noAck: true })) {
    bodies.push(text(msg));
  }
  return bodies;
}

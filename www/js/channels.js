// Channels as the demo uses them, and what happens when one fails.
//
// A channel error (404 NOT_FOUND, 406 PRECONDITION_FAILED, …) closes the channel, as RabbitMQ
// does: the failed call rejects (or, for publish, nothing is thrown) and the channel emits 'error'
// then 'close'. One failure therefore arrives as up to two errors; `Tracked` gathers them into
// one entry of the error panel. Bad input (TypeError / RangeError with a SWITCHYARD_… code) is
// thrown by the call and leaves the channel open.
//
// `PageChannel` is the page's own channel (publish form, declarations, presets): a ConfirmChannel,
// so that the ledger (ledger.js) learns which persistent messages were stored. When the broker
// closes it, it opens a new one and says so.

let opened = 0;

const closesChannel = (err) => typeof err?.code === "number";

/** One channel, with its failures reported to the error panel. */
export class Tracked {
  #record;

  constructor(ch, label, errors, onServerClose) {
    this.ch = ch;
    this.number = ++opened;
    this.label = `${label}, channel ${this.number}`;
    this.errors = errors;
    this.lastOp = "";
    this.closedByUs = false;
    this.closed = false;
    ch.on("error", (err) => this.#gather(err, "event"));
    ch.on("close", () => {
      this.closed = true;
      if (!this.closedByUs) onServerClose?.(this);
    });
  }

  /**
   * Reports an error from a call on this channel. Channel-closing errors wait a tick for the
   * channel's 'error' event, so that both show up as one entry.
   */
  fail(err, op) {
    if (closesChannel(err)) return this.#gather(err, "rejected", op);
    const stays = typeof err?.code === "string" && err.code.startsWith("SWITCHYARD_") && err.name !== "IllegalOperationError";
    return this.errors.report(
      err,
      op,
      err?.name === "DemoFormError"
        ? "From the demo's form, before calling switchyard."
        : stays
          ? `Thrown by the call itself; ${this.label} stays open.`
          : "",
    );
  }

  /** Runs fn(channel), reporting what it throws or rejects with; rethrows. */
  async run(op, fn) {
    this.lastOp = op;
    try {
      return await fn(this.ch);
    } catch (err) {
      this.fail(err, op);
      err.reported = true;
      throw err;
    }
  }

  close() {
    this.closedByUs = true;
    return this.closed ? Promise.resolve() : this.ch.close().catch(() => {});
  }

  #gather(err, how, op) {
    let record = this.#record;
    if (!record) {
      record = this.#record = { items: [], op: op ?? this.lastOp };
      setTimeout(() => this.#finish(record), 0);
    }
    if (op) record.op = op;
    record.items.push({ err, how });
  }

  #finish(record) {
    this.#record = undefined;
    const primary = record.items.find((i) => i.how === "rejected") ?? record.items[0];
    const entry = this.errors.report(primary.err, record.op);
    for (const item of record.items) if (item !== primary) this.errors.follow(entry, { err: item.err });
    const what = primary.how === "rejected" ? "The promise rejected, and the" : "ch.publish() returned true; the";
    this.errors.follow(entry, {
      note: this.closed
        ? `${what} broker closed ${this.label} (as RabbitMQ does after a channel error): 'error', then 'close'. ${this.afterClose ?? ""}`
        : `${this.label} is still open.`,
    });
  }
}

/** The page's own channel: reopened, with a note in the error panel, whenever the broker closes it. */
export class PageChannel {
  #conn;
  #errors;
  #current;
  #opening;
  #listeners = [];

  constructor(conn, errors) {
    this.#conn = conn;
    this.#errors = errors;
  }

  async open() {
    this.#opening = this.#conn.createConfirmChannel().then((ch) => {
      this.#current = new Tracked(ch, "the page's channel", this.#errors, (dead) => {
        this.open().then((next) => (dead.afterClose = `The demo opened channel ${next.number} to carry on.`));
      });
      this.#opening = undefined;
      for (const fn of this.#listeners) fn(this.#current);
      return this.#current;
    });
    return this.#opening;
  }

  /** Called with the new Tracked channel each time one opens. */
  onOpen(fn) {
    this.#listeners.push(fn);
  }

  /** The open channel, waiting for a reopen in progress. */
  async tracked() {
    return this.#opening ?? this.#current;
  }

  /** The open channel now, or undefined while one is being reopened (for synchronous publishes). */
  get now() {
    return this.#opening || this.#current?.closed ? undefined : this.#current;
  }

  /** Runs fn(channel) on the page's channel; errors go to the panel and are rethrown. */
  async run(op, fn) {
    return (await this.tracked()).run(op, fn);
  }
}

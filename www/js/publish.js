// The publish form: any exchange, routing key, headers (key=value lines), properties and a body,
// once, N times, or as a steady load of N messages per second. Each message is stamped with
// `timestamp: Date.now()` so consumers can measure publish → deliver. Values go to switchyard as
// typed: what it rejects is shown as the error it throws.
//
// A persistent message also gets a messageId of the ledger's ("ledger:…", see ledger.js): the
// page's channel is a ConfirmChannel, and the confirm callback tells the ledger of every tab.
//
// With "reply to me", the message carries replyTo "amq.rabbitmq.reply-to" (direct reply-to) and
// a correlationId; the page's channel consumes the replies and lists them under the form.
import { h, $, bodyText, encode, parseLines, duration } from "./dom.js";

const REPLY_TO = "amq.rabbitmq.reply-to";
const numberish = (v) => (v !== "" && !Number.isNaN(Number(v)) ? Number(v) : v);

/** `{ persistent: true, priority: 5 }` as a reader would write it. */
function literal(o) {
  const parts = Object.entries(o).map(([k, v]) => `${k}: ${typeof v === "object" ? literal(v) : JSON.stringify(v)}`);
  return parts.length ? `{ ${parts.join(", ")} }` : "{}";
}

export class Publisher {
  #form;
  #channel;
  #seq = 0;
  #sent = 0;
  #load = null;
  #pending = new Map();
  #replies = [];
  #replyList;
  #loadStatus;

  constructor(root, { channel, ledger }) {
    this.#channel = channel;
    this.ledger = ledger;
    this.#form = $("form.publish-form", root);
    this.#replyList = $(".replies", root);
    this.#loadStatus = $(".load-status", root);
    this.#form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.publish(Math.max(1, Math.floor(Number(this.#form.elements.count.value) || 1)));
    });
    $(".load-toggle", root).addEventListener("click", () => (this.#load ? this.stopLoad() : this.startLoad()));
  }

  /** Fills the form (presets): { exchange, routingKey, headers, persistent, priority, expiration, delay, replyTo, body }. */
  set(values) {
    const f = this.#form.elements;
    const defaults = { exchange: "", routingKey: "", headers: "", persistent: false, priority: "", expiration: "", delay: "", replyTo: false, body: "hello {n}" };
    for (const [k, v] of Object.entries({ ...defaults, ...values })) {
      if (typeof v === "boolean") f[k].checked = v;
      else f[k].value = k === "headers" && typeof v === "object" ? Object.entries(v).map(([a, b]) => `${a}=${b}`).join("\n") : String(v);
    }
  }

  /** Suggestions for the exchange and routing-key fields, from the topology. */
  setChoices(topology) {
    const exchanges = topology.exchanges.map((x) => x.name).filter(Boolean);
    const keys = new Set([...topology.queues.map((q) => q.name), ...topology.bindings.map((b) => b.key).filter((k) => k && !/[*#]/.test(k))]);
    $("#exchange-names").replaceChildren(...exchanges.map((n) => h("option", { value: n })));
    $("#routing-keys").replaceChildren(...[...keys].map((n) => h("option", { value: n })));
  }

  /** What the form says: [exchange, routingKey, bodyTemplate, options]; DemoFormError if unreadable. */
  #read() {
    const f = this.#form.elements;
    const options = {};
    if (f.persistent.checked) options.persistent = true;
    const headers = parseLines(f.headers.value, "headers");
    if (Object.keys(headers).length) options.headers = headers;
    for (const k of ["priority", "expiration", "delay"]) {
      const v = f[k].value.trim();
      if (v !== "") options[k] = k === "expiration" ? v : numberish(v);
    }
    return [f.exchange.value.trim(), f.routingKey.value.trim(), f.body.value, options, f.replyTo.checked];
  }

  async #replyConsumer(tracked) {
    // Direct reply-to: consume the pseudo-queue, with noAck, on the channel that publishes.
    tracked.replies ??= tracked.run(`ch.consume("${REPLY_TO}", onReply, { noAck: true })`, (ch) => ch.consume(REPLY_TO, (m) => m && this.#onReply(m), { noAck: true }));
    return tracked.replies;
  }

  #onReply(msg) {
    const corr = msg.properties.correlationId;
    const sentAt = this.#pending.get(corr);
    this.#pending.delete(corr);
    this.#replies.unshift({ corr, text: bodyText(msg.content), rtt: sentAt === undefined ? undefined : performance.now() - sentAt });
    this.#replies.length = Math.min(this.#replies.length, 5);
    this.#replyList.replaceChildren(
      h("h3", {}, "Replies ", h("small", {}, `(consumed from ${REPLY_TO})`)),
      ...this.#replies.map((r) => h("p", { class: "reply" }, h("code", {}, `#${r.corr}`), " ", h("span", {}, r.text), " ", h("small", {}, duration(r.rtt)))),
    );
  }

  clearReplies() {
    this.#replies = [];
    this.#pending.clear();
    this.#replyList.replaceChildren();
  }

  /** Publishes `count` messages from the form on the page's channel. */
  async publish(count) {
    const tracked = await this.#channel.tracked();
    let form;
    try {
      form = this.#read();
    } catch (err) {
      tracked.fail(err, "reading the publish form");
      return false;
    }
    if (form[4]) {
      try {
        await this.#replyConsumer(tracked);
      } catch {
        return false;
      }
    }
    return this.#send(tracked, form, count);
  }

  // Publishes synchronously, as a user's loop would. Returns false after the first error.
  #send(tracked, [exchange, key, template, options, wantsReply], count) {
    for (let i = 0; i < count; i++) {
      const n = ++this.#seq;
      const body = template.replaceAll("{n}", String(n));
      const opts = wantsReply ? { ...options, replyTo: REPLY_TO, correlationId: String(n) } : { ...options };
      const id = opts.persistent && this.ledger ? this.ledger.nextId(n) : undefined;
      const op = `ch.publish(${JSON.stringify(exchange)}, ${JSON.stringify(key)}, ${JSON.stringify(body)}, ${literal(opts)})`;
      tracked.lastOp = op;
      try {
        tracked.ch.publish(exchange, key, encode(body), { ...opts, timestamp: Date.now(), ...(id && { messageId: id }) }, id ? this.ledger.onConfirm(id) : undefined);
      } catch (err) {
        tracked.fail(err, op);
        return false;
      }
      if (wantsReply) this.#pending.set(String(n), performance.now());
      this.#sent++;
    }
    this.#showLoad();
    return true;
  }

  get loading() {
    return !!this.#load;
  }

  /** Publishes the form's message `rate` times per second until stopLoad(). */
  async startLoad() {
    const rate = Number(this.#form.elements.rate.value);
    const tracked = await this.#channel.tracked();
    if (!(rate > 0)) {
      tracked.fail(Object.assign(new RangeError("load: messages per second must be a positive number"), { name: "DemoFormError" }), "the load control");
      return;
    }
    let form;
    try {
      form = this.#read();
      if (form[4]) await this.#replyConsumer(tracked);
    } catch (err) {
      if (!err.reported) tracked.fail(err, "reading the publish form");
      return;
    }
    const load = { rate, tracked, credit: 0, last: performance.now(), started: this.#sent };
    load.timer = setInterval(() => {
      // The form is read once; a closed channel (e.g. 404 on a missing exchange) stops the load.
      if (this.#channel.now !== load.tracked) return this.stopLoad("stopped: its channel was closed");
      const now = performance.now();
      load.credit = Math.min(load.credit + (rate * (now - load.last)) / 1000, rate);
      load.last = now;
      const k = Math.floor(load.credit);
      load.credit -= k;
      if (k && !this.#send(load.tracked, form, k)) this.stopLoad("stopped by an error");
    }, 50);
    this.#load = load;
    this.#form.closest("section").classList.add("loading");
    $(".load-toggle").textContent = "Stop load";
    this.#showLoad();
  }

  stopLoad(why = "") {
    if (!this.#load) return;
    clearInterval(this.#load.timer);
    this.#load = null;
    this.#form.closest("section").classList.remove("loading");
    $(".load-toggle").textContent = "Start load";
    this.#showLoad(why);
  }

  #showLoad(why = "") {
    this.#loadStatus.textContent = this.#load ? `${this.#load.rate}/s · ${this.#sent} sent` : `${this.#sent} sent${why ? ` · load ${why}` : ""}`;
  }
}

// A bus hosted in a Durable Object, persisting through its storage. HTTP:
//   POST /jobs[?delay=MS]  publishes the request body as a persistent message (held back MS
//                          milliseconds first, a switchyard addition); answers 201 once confirmed,
//                          i.e. once the message is in Durable Object storage.
//   GET  /jobs             consumes one message (200 with the body, header x-redelivered), or 204
//                          when the queue is empty.
//   GET  /jobs (WebSocket upgrade)[?prefetch=N]  a consumer: the Durable Object pushes each
//                          message as a text frame {"tag", "body", "redelivered"}; the client
//                          answers {"ack": tag} (or {"nack": tag}, which requeues it). At most N
//                          (default 10) unacknowledged per socket; the ones a socket leaves
//                          unacknowledged when it closes go back to the queue, redelivered.
//   GET  /alarms           what the last alarms found (read from storage; does not open the bus).
// Every request goes to the same Durable Object ("default"), which keeps one bus in memory and
// restores it from storage when the object starts again.
//
// Timers. A Durable Object runs only while it handles a request, a WebSocket event or an alarm;
// the bus's timers (the `delay` here, and TTLs or queue expiry if you declare them) run on
// setTimeout inside it. So after every event the object sets its alarm for the bus's next
// deadline (`await conn.nextDeadline()`), or deletes it when there is none; `alarm()` opens the
// bus, restoring it from storage if the object was evicted, and lets the due timers run.
//
// WebSockets use the hibernation API (`ctx.acceptWebSocket`): a socket stays connected while the
// object is evicted, and its events start the object again. A delivery's tag belongs to one life
// of the object: an ack for a tag from before an eviction is ignored (that message was restored
// from storage and is delivered again, redelivered), so clients must tolerate a redelivery.
import { connect } from "switchyard";
import { durableObjectStore } from "switchyard/store-durable-object";

const QUEUE = "jobs";
const ALARM_LOG = "example:alarms";
const decoder = new TextDecoder();
const json = (ws, value) => ws.send(JSON.stringify(value));

export class Broker {
  constructor(ctx) {
    this.ctx = ctx;
    this.opened = undefined;
    /** Socket id (its attachment) → { channel, deliveries: Map(tag → message) }. */
    this.consumers = new Map();
  }

  /** Opens the bus (restoring it from storage) and re-attaches hibernated sockets. */
  open() {
    this.opened ??= (async () => {
      const conn = await connect(`switchyard://broker-${this.ctx.id}`, { storage: durableObjectStore(this.ctx.storage) });
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue(QUEUE, { durable: true });
      const bus = { conn, ch };
      for (const ws of this.ctx.getWebSockets()) await this.attach(bus, ws);
      return bus;
    })().catch((err) => {
      this.opened = undefined;
      throw err;
    });
    return this.opened;
  }

  /** A consumer for one socket, on a channel of its own (closing it requeues what it holds). */
  async attach({ conn }, ws) {
    const { id, prefetch } = ws.deserializeAttachment();
    if (this.consumers.has(id)) return;
    const channel = await conn.createChannel();
    const deliveries = new Map();
    this.consumers.set(id, { channel, deliveries });
    await channel.prefetch(prefetch);
    await channel.consume(QUEUE, (m) => {
      deliveries.set(m.fields.deliveryTag, m);
      json(ws, { tag: m.fields.deliveryTag, body: decoder.decode(m.content), redelivered: m.fields.redelivered });
    });
  }

  /** Sets the object's alarm for the bus's next timer, or deletes it when there is none. */
  async schedule({ conn }) {
    const next = await conn.nextDeadline();
    const current = await this.ctx.storage.getAlarm();
    if (next && current !== next.getTime()) await this.ctx.storage.setAlarm(next);
    else if (!next && current !== null) await this.ctx.storage.deleteAlarm();
    return next;
  }

  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/alarms") return Response.json((await this.ctx.storage.get(ALARM_LOG)) ?? []);
    const bus = await this.open();
    try {
      return await this.handle(request, url, bus);
    } finally {
      await this.schedule(bus);
    }
  }

  async handle(request, url, bus) {
    const { ch } = bus;
    if (request.method === "GET" && request.headers.get("Upgrade")?.toLowerCase() === "websocket") {
      const prefetch = Number(url.searchParams.get("prefetch") ?? 10);
      if (!Number.isInteger(prefetch) || prefetch < 1) return new Response("prefetch must be a positive integer\n", { status: 400 });
      const [client, server] = Object.values(new WebSocketPair());
      this.ctx.acceptWebSocket(server);
      server.serializeAttachment({ id: crypto.randomUUID(), prefetch });
      await this.attach(bus, server);
      return new Response(null, { status: 101, webSocket: client });
    }
    if (request.method === "POST") {
      const delay = Number(url.searchParams.get("delay") ?? 0);
      if (!Number.isFinite(delay) || delay < 0) return new Response("delay must be a number of milliseconds\n", { status: 400 });
      ch.sendToQueue(QUEUE, new Uint8Array(await request.arrayBuffer()), { persistent: true, ...(delay ? { delay } : {}) });
      await ch.waitForConfirms();
      return new Response("confirmed\n", { status: 201 });
    }
    if (request.method === "GET") {
      // A get with noAck from a durable queue resolves once its removal is in storage.
      const m = await ch.get(QUEUE, { noAck: true });
      return m ? new Response(m.content, { headers: { "x-redelivered": String(m.fields.redelivered) } }) : new Response(null, { status: 204 });
    }
    return new Response("POST or GET /jobs\n", { status: 405 });
  }

  async webSocketMessage(ws, data) {
    const bus = await this.open();
    try {
      const consumer = this.consumers.get(ws.deserializeAttachment().id);
      let frame;
      try {
        frame = JSON.parse(typeof data === "string" ? data : decoder.decode(data));
      } catch {
        return json(ws, { error: "expected JSON: {\"ack\": tag} or {\"nack\": tag}" });
      }
      const tag = frame.ack ?? frame.nack;
      const m = consumer?.deliveries.get(tag);
      if (!m) return; // not (or no longer) held by this life of the object: it comes back redelivered
      consumer.deliveries.delete(tag);
      if (frame.ack !== undefined) consumer.channel.ack(m);
      else consumer.channel.nack(m, false, true);
    } finally {
      await this.schedule(bus);
    }
  }

  async webSocketClose(ws, code) {
    const bus = await this.open();
    const { id } = ws.deserializeAttachment();
    const consumer = this.consumers.get(id);
    this.consumers.delete(id);
    await consumer?.channel.close(); // its unacknowledged messages go back to the queue
    try {
      ws.close(code === 1005 ? 1000 : code, "bye");
    } catch {} // already closed
    await this.schedule(bus);
  }

  webSocketError(ws) {
    return this.webSocketClose(ws, 1011);
  }

  /** Runs when the bus's next timer is due, whether or not the object was evicted meanwhile. */
  async alarm() {
    const bus = await this.open();
    const { conn, ch } = bus;
    // Restored timers are armed on setTimeout when the bus opens: let the due ones run.
    for (let i = 0; i < 100; i++) {
      const next = await conn.nextDeadline();
      if (!next || next.getTime() > Date.now()) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const { messageCount } = await ch.checkQueue(QUEUE);
    const log = (await this.ctx.storage.get(ALARM_LOG)) ?? [];
    const next = await this.schedule(bus);
    log.push({ at: new Date().toISOString(), ready: messageCount, consumers: this.consumers.size, next: next?.toISOString() ?? null });
    await this.ctx.storage.put(ALARM_LOG, log.slice(-10));
  }
}

export default {
  fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname !== "/jobs" && pathname !== "/alarms") return new Response("POST or GET /jobs, GET /alarms\n", { status: 404 });
    return env.BROKER.get(env.BROKER.idFromName("default")).fetch(request);
  },
};

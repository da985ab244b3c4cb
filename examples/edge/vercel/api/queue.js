// A Vercel Edge Function (`export const config = { runtime: "edge" }`) hosting a bus in its
// isolate: memory storage, one bus per isolate, kept between the requests a warm isolate serves
// and empty again after a cold start (a durable bus belongs in a Durable Object or behind a store
// adapter). HTTP, on /api/queue:
//   POST ?key=ROUTING_KEY[&delay=MS]   publishes the body to the topic exchange "events"
//                                      (held back MS milliseconds first); 202 once confirmed.
//   GET  ?name=QUEUE[&wait=MS]         consumes one message: 200 with the body and headers
//                                      x-routing-key and x-waited-ms, or 204 if none came within MS.
//   GET                                the queues' counters (stats()) as JSON.
// Queues: "audit" gets every event ("#"), "eu-orders" gets "order.eu.*", "us-orders" "order.us.*".
// Timers (the delay here, TTLs) run on setTimeout, so they fire while the isolate is running, i.e.
// during a request: a consumer waiting in one request receives a delayed message when it is due.
import { connect } from "switchyard";

export const config = { runtime: "edge" };

const QUEUES = { audit: "#", "eu-orders": "order.eu.*", "us-orders": "order.us.*" };

let bus;
function open() {
  bus ??= (async () => {
    const conn = await connect("switchyard://events");
    const ch = await conn.createConfirmChannel();
    await ch.assertExchange("events", "topic", { durable: false });
    for (const [queue, pattern] of Object.entries(QUEUES)) {
      await ch.assertQueue(queue, { durable: false });
      await ch.bindQueue(queue, "events", pattern);
    }
    return { conn, ch };
  })();
  return bus;
}

/** The next message of `queue`, waiting up to `waitMs` for one (a long poll). */
async function receive({ conn, ch }, queue, waitMs) {
  const now = await ch.get(queue, { noAck: true });
  if (now || waitMs <= 0) return now;
  const waiter = await conn.createChannel();
  await waiter.prefetch(1); // so that no second message is taken before the consumer is cancelled
  let timer;
  const message = await new Promise((resolve) => {
    timer = setTimeout(() => resolve(false), waitMs);
    waiter.consume(queue, async (m) => {
      await waiter.cancel(m.fields.consumerTag);
      waiter.ack(m);
      resolve(m);
    });
  });
  clearTimeout(timer);
  await waiter.close(); // a message delivered after the timeout goes back to the queue
  return message;
}

export default async function handler(request) {
  const url = new URL(request.url);
  if (url.pathname !== "/api/queue") return new Response("not found\n", { status: 404 });
  const b = await open();
  if (request.method === "POST") {
    const key = url.searchParams.get("key");
    const delay = Number(url.searchParams.get("delay") ?? 0);
    if (!key || !Number.isFinite(delay) || delay < 0) return new Response("?key=ROUTING_KEY[&delay=MS]\n", { status: 400 });
    b.ch.publish("events", key, new Uint8Array(await request.arrayBuffer()), delay ? { delay } : {});
    await b.ch.waitForConfirms();
    return new Response("confirmed\n", { status: 202 });
  }
  if (request.method !== "GET") return new Response("POST or GET\n", { status: 405 });
  const name = url.searchParams.get("name");
  if (name === null) return Response.json(await b.conn.stats());
  if (!(name in QUEUES)) return new Response(`no queue '${name}'\n`, { status: 404 });
  const started = Date.now();
  const m = await receive(b, name, Number(url.searchParams.get("wait") ?? 0));
  if (!m) return new Response(null, { status: 204 });
  return new Response(m.content, { headers: { "x-routing-key": m.fields.routingKey, "x-waited-ms": String(Date.now() - started) } });
}

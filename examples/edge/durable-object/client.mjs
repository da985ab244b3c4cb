// A WebSocket consumer of the Durable Object's queue "jobs" (worker.js): prints each message's
// body and acks it.
//   node examples/edge/durable-object/client.mjs [URL] [--prefetch N] [--count N]
// URL defaults to ws://127.0.0.1:8787/jobs (`serve.mjs`); with --count it exits after N messages.
// Uses the global WebSocket (browsers, Deno, Node ≥ 22), else undici's (Node 20).
import { parseArgs } from "node:util";

/**
 * Consumes `url` (ws://…/jobs) with `prefetch`. `onMessage({ tag, body, redelivered })` is called
 * for each delivery; when it returns (or its promise resolves) true-ish or undefined the message
 * is acked, when it returns false it is nacked (requeued). Resolves to { socket, close() } once
 * the socket is open.
 */
export async function consume(url, { prefetch = 10, onMessage }) {
  const WebSocketImpl = globalThis.WebSocket ?? (await import("undici")).WebSocket;
  const target = new URL(url);
  target.searchParams.set("prefetch", String(prefetch));
  const socket = new WebSocketImpl(target);
  socket.addEventListener("message", async (event) => {
    const delivery = JSON.parse(event.data);
    if (delivery.error) throw new Error(delivery.error);
    const ok = (await onMessage(delivery)) ?? true;
    if (socket.readyState === 1) socket.send(JSON.stringify(ok ? { ack: delivery.tag } : { nack: delivery.tag }));
  });
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", () => reject(new Error(`WebSocket ${target} failed to open`)), { once: true });
  });
  const closed = new Promise((resolve) => socket.addEventListener("close", resolve, { once: true }));
  return {
    socket,
    closed,
    close() {
      socket.close(1000, "done");
      return closed;
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { prefetch: { type: "string", default: "10" }, count: { type: "string" } },
  });
  const url = positionals[0] ?? "ws://127.0.0.1:8787/jobs";
  const count = values.count === undefined ? Infinity : Number(values.count);
  let received = 0;
  const consumer = await consume(url, {
    prefetch: Number(values.prefetch),
    onMessage({ body, redelivered }) {
      console.log(` [x] Received '${body}'${redelivered ? " (redelivered)" : ""}`);
      if (++received >= count) setTimeout(() => consumer.close(), 50); // after the ack is sent
    },
  });
  console.log(` [*] Consuming ${url}. To exit press CTRL+C`);
  process.once("SIGINT", () => consumer.close());
  await consumer.closed;
}

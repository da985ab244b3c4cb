// A bus hosted in a Durable Object, persisting through its storage. HTTP:
//   POST /jobs   publishes the request body as a persistent message; answers 201 once confirmed
//                (the message is in Durable Object storage).
//   GET  /jobs   consumes one message (200 with the body), or 204 when the queue is empty.
// Every request goes to the same Durable Object ("default"), which keeps one bus in memory and
// restores it from storage when the object restarts.
import { connect } from "switchyard";
import { durableObjectStore } from "switchyard/store-durable-object";

export class Broker {
  constructor(ctx) {
    this.ctx = ctx;
    this.opened = undefined;
  }

  open() {
    this.opened ??= (async () => {
      const storage = durableObjectStore(this.ctx.storage);
      const conn = await connect(`switchyard://broker-${this.ctx.id}`, { storage });
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue("jobs", { durable: true });
      return ch;
    })().catch((err) => {
      this.opened = undefined;
      throw err;
    });
    return this.opened;
  }

  async fetch(request) {
    const ch = await this.open();
    if (request.method === "POST") {
      ch.sendToQueue("jobs", new Uint8Array(await request.arrayBuffer()), { persistent: true });
      await ch.waitForConfirms();
      return new Response("confirmed\n", { status: 201 });
    }
    if (request.method === "GET") {
      // A get with noAck from a durable queue resolves once its removal is in storage.
      const m = await ch.get("jobs", { noAck: true });
      return m ? new Response(m.content) : new Response(null, { status: 204 });
    }
    return new Response("POST or GET /jobs\n", { status: 405 });
  }
}

export default {
  fetch(request, env) {
    if (new URL(request.url).pathname !== "/jobs") return new Response("POST or GET /jobs\n", { status: 404 });
    return env.BROKER.get(env.BROKER.idFromName("default")).fetch(request);
  },
};

// A worker thread on a process-wide bus (tests/js/threads.test.mjs): connects with scope
// "origin" and runs the commands the test posts, answering each { id, cmd, args } with
// { id, ok, value } and reporting deliveries as { event: "delivery", … }.
import { parentPort, workerData } from "node:worker_threads";
import { connect } from "switchyard";

const conn = await connect(`switchyard://${workerData.bus}`, { scope: "origin" });
const ch = await conn.createChannel();
const held = [];
conn.on("failover", (e) => parentPort.postMessage({ event: "failover", leader: e.leader, errors: e.errors.length }));

const commands = {
  state: () => conn.linkState(),
  contexts: () => conn.contexts(),
  async consume({ queue, prefetch, hold }) {
    await ch.assertQueue(queue, { durable: false });
    await ch.prefetch(prefetch);
    await ch.consume(queue, (m) => {
      parentPort.postMessage({ event: "delivery", body: m.content.toString(), redelivered: m.fields.redelivered, buffer: Buffer.isBuffer(m.content) });
      if (hold) held.push(m);
      else ch.ack(m);
    });
  },
  async publish({ queue, count, from, reuse }) {
    const cch = await conn.createConfirmChannel();
    await cch.assertQueue(queue, { durable: false });
    // reuse: one buffer for every message, overwritten right after each publish (and all of it
    // scribbled over before the frames leave at the end of the task), as a network client may.
    const buf = Buffer.alloc(16);
    for (let i = 0; i < count; i++) {
      if (!reuse) {
        cch.sendToQueue(queue, Buffer.from(String(from + i)));
        continue;
      }
      const n = buf.write(String(from + i));
      cch.sendToQueue(queue, buf.subarray(0, n));
      buf.fill(0x58);
    }
    await cch.waitForConfirms();
    await cch.close();
  },
  async stats({ queue }) {
    return (await conn.stats()).find((s) => s.queue === queue);
  },
};

parentPort.on("message", async ({ id, cmd, args }) => {
  try {
    parentPort.postMessage({ id, ok: true, value: await commands[cmd](args) });
  } catch (err) {
    parentPort.postMessage({ id, ok: false, value: `${err?.code} ${err?.message}` });
  }
});
parentPort.postMessage({ event: "ready", state: conn.linkState() });

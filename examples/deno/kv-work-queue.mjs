// A work queue that survives restarts: a bus in Deno, persisted in Deno KV through the
// `switchyard/store-deno-kv` adapter. Each run is one short process; the queue lives in the KV file.
//   deno run --unstable-kv --allow-read --allow-write kv-work-queue.mjs [--kv FILE] COMMAND
//     produce N     publishes "job 1" … "job N" (persistent, confirmed: in KV when it prints)
//     work [N]      takes jobs one at a time (at most N; default all), acks each once done
//     crash         takes one job and exits without acking it, as a killed worker would
//     status        prints how many jobs wait
// FILE defaults to ./work-queue.kv. After `crash`, the next `work` gets that job again,
// marked redelivered. (`deno.json` next to this file lets Deno resolve "switchyard" from
// node_modules: {"nodeModulesDir": "manual"}.)
import { connect } from "switchyard";
import { denoKvStore } from "switchyard/store-deno-kv";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({ args: Deno.args, allowPositionals: true, options: { kv: { type: "string", default: "work-queue.kv" } } });
const [command = "status", arg] = positionals;

const kv = await Deno.openKv(values.kv);
const connection = await connect("switchyard://work", { storage: denoKvStore(kv, ["work"]) });
const channel = await connection.createConfirmChannel();
await channel.assertQueue("tasks", { durable: true });
const encoder = new TextEncoder();
const decoder = new TextDecoder();

switch (command) {
  case "produce": {
    const n = Number(arg ?? 1);
    for (let i = 1; i <= n; i++) channel.sendToQueue("tasks", encoder.encode(`job ${i}`), { persistent: true });
    await channel.waitForConfirms(); // every publish is committed to KV
    console.log(` [x] Sent ${n} jobs`);
    break;
  }
  case "work": {
    // A worker that drains the queue and exits: get, work, ack, until empty (or N done).
    const max = Number(arg ?? Infinity);
    let done = 0;
    while (done < max) {
      const message = await channel.get("tasks", { noAck: false });
      if (!message) break;
      const body = decoder.decode(message.content);
      console.log(` [x] Received '${body}'${message.fields.redelivered ? " (redelivered)" : ""}`);
      await new Promise((resolve) => setTimeout(resolve, 10)); // the work
      channel.ack(message);
      done++;
    }
    console.log(` [x] Done ${done} jobs`);
    break;
  }
  case "crash": {
    const message = await channel.get("tasks", { noAck: false });
    if (message) {
      console.log(` [x] Received '${decoder.decode(message.content)}'`);
      console.log(" [!] Exiting without ack");
      Deno.exit(1); // no ack, no close: as a killed process; the job stays in KV
    }
    break;
  }
  case "status":
    break;
  default:
    console.error(`unknown command '${command}': produce N | work [N] | crash | status`);
    Deno.exit(2);
}
const { messageCount } = await channel.checkQueue("tasks");
console.log(` [*] Jobs waiting: ${messageCount}`);
await channel.close();
await connection.close();
// `kv` is left open: Deno exits once KV has committed the last batch. (connection.close() does
// not wait for the store's pending writes, so a kv.close() here could drop the last acks.)

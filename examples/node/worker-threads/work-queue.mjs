// A work queue across Node worker_threads: the main thread publishes tasks to the queue "tasks",
// three worker threads consume it as competing consumers (prefetch 2, ack after the work) and
// publish each result to the queue "results", which the main thread consumes. All four threads
// share one bus because each connects with `{ scope: "origin" }` (in Node the default is "local":
// a bus per thread). When every result is in, the main thread publishes "stop" to a fanout
// exchange; each worker closes its connection, which ends its thread, and the process exits.
//   node examples/node/worker-threads/work-queue.mjs [TASKS] [WORKERS]
import { isMainThread, Worker, workerData } from "node:worker_threads";
// Imported in the main thread before any worker starts: Node 20 has no Web Locks, and the
// package's stand-in lock table lives in the main thread.
import amqp from "switchyard";

const BUS = "amqp://localhost/work-queue"; // any name; every thread must use the same one
const options = { scope: "origin" };

// --- a worker thread ---------------------------------------------------------------------------
async function worker(id) {
  const connection = await amqp.connect(BUS, options);
  const channel = await connection.createChannel();
  await channel.assertQueue("tasks", { durable: false });
  await channel.assertQueue("results", { durable: false });
  await channel.prefetch(2); // at most two unacknowledged tasks per worker

  // Stop when the main thread says so: leave the bus, which ends this thread.
  await channel.assertExchange("control", "fanout", { durable: false });
  const { queue } = await channel.assertQueue("", { exclusive: true });
  await channel.bindQueue(queue, "control", "");
  await channel.consume(queue, async () => {
    console.log(` [worker ${id}] done ${done} tasks, at most ${maxUnacked} unacknowledged at once`);
    await connection.close();
  }, { noAck: true });

  let done = 0;
  let unacked = 0;
  let maxUnacked = 0;
  await channel.consume("tasks", (message) => {
    maxUnacked = Math.max(maxUnacked, ++unacked);
    const n = Number(message.content.toString());
    // "Work": 10–30 ms, then the result, then the ack.
    setTimeout(() => {
      channel.sendToQueue("results", Buffer.from(JSON.stringify({ task: n, square: n * n, worker: id })));
      channel.ack(message);
      unacked--;
      done++;
    }, 10 + (n % 3) * 10);
  });
  console.log(` [worker ${id}] waiting for tasks`);
}

// --- the main thread ---------------------------------------------------------------------------
async function main(tasks, workers) {
  const connection = await amqp.connect(BUS, options);
  const channel = await connection.createConfirmChannel();
  await channel.assertQueue("tasks", { durable: false });
  await channel.assertQueue("results", { durable: false });
  await channel.assertExchange("control", "fanout", { durable: false });

  const threads = Array.from({ length: workers }, (_, i) => new Worker(new URL(import.meta.url), { workerData: { id: i + 1 } }));
  const exited = threads.map((t) => new Promise((resolve) => t.once("exit", resolve)));
  // Publish once every worker consumes, so that the tasks spread over all of them.
  while ((await channel.checkQueue("tasks")).consumerCount < workers) await new Promise((r) => setTimeout(r, 10));

  const results = new Map();
  const perWorker = new Map();
  const allIn = new Promise((resolve) => {
    channel.consume("results", (message) => {
      const { task, square, worker } = JSON.parse(message.content.toString());
      results.set(task, square);
      perWorker.set(worker, (perWorker.get(worker) ?? 0) + 1);
      console.log(` [main] task ${task} -> ${square} (worker ${worker})`);
      channel.ack(message);
      if (results.size === tasks) resolve();
    });
  });

  for (let n = 1; n <= tasks; n++) channel.sendToQueue("tasks", Buffer.from(String(n)));
  await channel.waitForConfirms();
  console.log(` [main] sent ${tasks} tasks to ${workers} workers`);
  await allIn;

  const everyOnce = [...results.keys()].sort((a, b) => a - b).every((task, i) => task === i + 1 && results.get(task) === task * task);
  const spread = [...perWorker.entries()].sort(([a], [b]) => a - b).map(([w, n]) => `worker ${w}: ${n}`).join(", ");
  console.log(` [main] ${results.size} results, ${everyOnce ? "every task once" : "TASKS MISSING OR REPEATED"}; ${spread}`);

  channel.publish("control", "", Buffer.from("stop"));
  await channel.waitForConfirms();
  await Promise.all(exited);
  console.log(` [main] ${workers} workers exited`);
  await connection.close();
}

if (isMainThread) await main(Number(process.argv[2] ?? 30), Number(process.argv[3] ?? 3));
else await worker(workerData.id);

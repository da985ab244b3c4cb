// Workload 6, scaling: how switchyard's publish cost grows with the number of queues (1 → 10,000),
// of consumers on a queue (1 → 1,000) and with the queue's depth (0 → 1,000,000). Node. Prints a
// table; in a full run also bench/scaling.png (lib/plot.mjs renders it in headless Chromium).
//   node bench/scaling.mjs [--smoke] [--runs N] [--node-modules DIR]
// queues: Q queues bound to a topic exchange with a key each; M publishes round-robin over the
// keys (each message lands in one queue), no consumers. consumers: C no-ack consumers on one
// queue, M sendToQueue, timed until all M are delivered. depth: one queue holding D messages, M
// more sendToQueue. Each run ends once the driver has flushed (a macrotask later).
import { join } from "node:path";
import { benchDir, benchOptions, nodeEntry, progress } from "./lib/options.mjs";
import { fmt, range, summary, table } from "./lib/stats.js";

const opts = benchOptions();
const M = opts.smoke ? 200 : 10_000;
const AXES = opts.smoke
  ? { queues: [1, 10], consumers: [1, 10], depth: [0, 1_000] }
  : { queues: [1, 10, 100, 1_000, 10_000], consumers: [1, 10, 100, 1_000], depth: [0, 1_000, 10_000, 100_000, 1_000_000] };
const { connect } = await import(nodeEntry(opts.nodeModules));
const BODY = new Uint8Array(16).fill(0x78);
const tick = () => new Promise((r) => setTimeout(r, 0));
let buses = 0;

// Sets one point up and returns { run(): ms for M messages, close() }.
async function setup(axis, size) {
  const conn = await connect(`switchyard://bench-scaling-${++buses}`, { scope: "local", storage: "memory" });
  const ch = await conn.createChannel();
  const close = () => conn.close();
  if (axis === "queues") {
    await ch.assertExchange("x", "topic", { durable: false });
    const queues = [];
    for (let i = 0; i < size; i++) {
      const { queue } = await ch.assertQueue(`q${i}`);
      await ch.bindQueue(queue, "x", `k.${i}`);
      queues.push(queue);
    }
    const run = async () => {
      const t0 = performance.now();
      for (let i = 0; i < M; i++) ch.publish("x", `k.${i % size}`, BODY);
      await tick();
      const ms = performance.now() - t0;
      for (const q of queues) await ch.purgeQueue(q);
      return ms;
    };
    return { run, close };
  }
  await ch.assertQueue("q");
  if (axis === "consumers") {
    let count = 0;
    let done;
    for (let i = 0; i < size; i++) await ch.consume("q", () => ++count === M && done(), { noAck: true });
    const run = async () => {
      count = 0;
      const all = new Promise((r) => (done = r));
      const t0 = performance.now();
      for (let i = 0; i < M; i++) ch.sendToQueue("q", BODY);
      await all;
      return performance.now() - t0;
    };
    return { run, close };
  }
  for (let i = 0; i < size; i++) ch.sendToQueue("q", BODY);
  await tick();
  const run = async () => {
    const t0 = performance.now();
    for (let i = 0; i < M; i++) ch.sendToQueue("q", BODY);
    await tick();
    return performance.now() - t0;
  };
  return { run, close };
}

const results = [];
for (const [axis, sizes] of Object.entries(AXES)) {
  for (const size of sizes) {
    const point = await setup(axis, size);
    await point.run(); // warm-up
    const us = [];
    for (let r = 0; r < opts.runs; r++) us.push(((await point.run()) * 1000) / M);
    await point.close();
    results.push({ axis, size, us: summary(us) });
    progress(".");
  }
}
progress("\n");

const LABELS = { queues: "queues (one bound key each)", consumers: "no-ack consumers on one queue", depth: "messages already in the queue" };
console.log(`\n## Scaling: publish cost\n`);
console.log(
  `switchyard ${opts.pkg.version} in Node ${process.versions.node}, ${M.toLocaleString("en-US")} messages of 16 bytes per run, ` +
    `${opts.runs} run${opts.runs > 1 ? "s" : ""} per point after a warm-up (median, min–max). µs per message includes delivery on the consumers axis.\n`,
);
const first = Object.fromEntries(results.filter((r, i) => results.findIndex((x) => x.axis === r.axis) === i).map((r) => [r.axis, r.us.med]));
console.log(
  table(
    ["axis", "size", "µs per message", "messages/s", "× size 1 (or 0)"],
    results.map(({ axis, size, us }) => [LABELS[axis], size.toLocaleString("en-US"), range(us), fmt(1e6 / us.med), `${(us.med / first[axis]).toFixed(2)}×`]),
  ),
);
if (!opts.smoke) {
  const { plotPng } = await import("./lib/plot.mjs");
  const panels = Object.keys(AXES).map((axis) => ({
    title: `publish cost vs ${axis}`,
    xLabel: axis,
    yLabel: "µs per message",
    points: results.filter((r) => r.axis === axis).map((r) => [r.size, r.us.med]),
  }));
  await plotPng(panels, join(benchDir, "scaling.png"));
  console.log(`\n![publish cost vs queues, consumers and depth](scaling.png)`);
}

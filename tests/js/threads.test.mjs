// worker_threads of one process share a bus with scope "origin" (Node 20 has no Web Locks: the
// package's lock table in the main thread stands in for them, see pkg-template/node-locks.js).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { Worker } from "node:worker_threads";
import { connect, sleep, test, uniq } from "./helpers.mjs";

const AGENT = new URL("./threads/agent.mjs", import.meta.url);

// A worker thread running threads/agent.mjs: call(cmd, args), and what it reported.
function agent(bus) {
  const worker = new Worker(AGENT, { workerData: { bus } });
  const waiting = new Map();
  const deliveries = [];
  const failovers = [];
  let next = 0;
  let onReady;
  const ready = new Promise((resolve, reject) => {
    onReady = resolve;
    worker.once("error", reject);
  });
  worker.on("message", (m) => {
    if (m.event === "ready") onReady(m.state);
    else if (m.event === "delivery") deliveries.push(m);
    else if (m.event === "failover") failovers.push(m);
    else {
      waiting.get(m.id)?.[m.ok ? 0 : 1](m.ok ? m.value : new Error(m.value));
      waiting.delete(m.id);
    }
  });
  return {
    worker,
    ready,
    deliveries,
    failovers,
    call: (cmd, args) =>
      new Promise((resolve, reject) => {
        const id = ++next;
        waiting.set(id, [resolve, reject]);
        worker.postMessage({ id, cmd, args });
      }),
  };
}

async function until(check, what, ms = 10_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test("worker threads and the main thread share one bus: competing consumers get each message once", async (t) => {
  const bus = uniq("threads");
  const conn = await connect(`switchyard://${bus}`, { scope: "origin" });
  const workers = [agent(bus), agent(bus)];
  t.after(async () => {
    await Promise.all(workers.map((w) => w.worker.terminate()));
    await conn.close();
  });
  const states = await Promise.all(workers.map((w) => w.ready));
  assert.equal(conn.linkState().leader, true, "the main thread connected first and leads");
  for (const s of states) assert.deepEqual([s.scope, s.leader, s.leaderId], ["origin", false, conn.linkState().contextId]);

  await Promise.all(workers.map((w) => w.call("consume", { queue: "work", prefetch: 5 })));
  const contexts = await conn.contexts();
  assert.deepEqual(contexts.map((c) => [c.kind, c.leader, c.consumers.length]), [
    ["main thread", true, 0],
    ["worker thread", false, 1],
    ["worker thread", false, 1],
  ]);

  const ch = await conn.createConfirmChannel();
  for (let i = 0; i < 200; i++) ch.sendToQueue("work", Buffer.from(String(i)));
  await ch.waitForConfirms();
  await until(() => workers[0].deliveries.length + workers[1].deliveries.length === 200, "200 deliveries");
  const bodies = [...workers[0].deliveries, ...workers[1].deliveries].map((d) => Number(d.body)).sort((a, b) => a - b);
  assert.deepEqual(bodies, [...Array(200).keys()], "each message exactly once");
  assert.ok(workers.every((w) => w.deliveries.length > 0), "both workers got work");
  assert.ok([...workers[0].deliveries, ...workers[1].deliveries].every((d) => d.buffer && !d.redelivered), "Buffers, not redelivered");
  await until(async () => (await conn.stats()).find((s) => s.queue === "work").acked === 200, "200 acks");
});

test("a worker thread may reuse its buffer right after publishing: the bus received the bytes as they were", async (t) => {
  const bus = uniq("threads");
  const conn = await connect(`switchyard://${bus}`, { scope: "origin" });
  const publisher = agent(bus);
  t.after(async () => {
    await publisher.worker.terminate();
    await conn.close();
  });
  assert.equal((await publisher.ready).leader, false, "the worker is a follower: its publishes travel as frames");
  await publisher.call("publish", { queue: "reused", count: 50, from: 100, reuse: true });
  const ch = await conn.createChannel();
  const bodies = [];
  for (let m; (m = await ch.get("reused", { noAck: true })); ) bodies.push(m.content.toString());
  assert.deepEqual(bodies, Array.from({ length: 50 }, (_, i) => String(100 + i)));
});

test("a terminated worker thread's unacked messages are redelivered to another thread", async (t) => {
  const bus = uniq("threads");
  const conn = await connect(`switchyard://${bus}`, { scope: "origin" });
  const [keeper, holder] = [agent(bus), agent(bus)];
  t.after(async () => {
    await keeper.worker.terminate();
    await conn.close();
  });
  await Promise.all([keeper.ready, holder.ready]);
  await holder.call("consume", { queue: "jobs", prefetch: 5, hold: true });
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue("jobs", { durable: false });
  for (let i = 0; i < 5; i++) ch.sendToQueue("jobs", Buffer.from(`job ${i}`));
  await ch.waitForConfirms();
  await until(() => holder.deliveries.length === 5, "the holder to get 5");
  await keeper.call("consume", { queue: "jobs", prefetch: 10 });
  assert.equal(keeper.deliveries.length, 0, "nothing for the keeper while the holder holds them");

  await holder.worker.terminate();
  await until(() => keeper.deliveries.length === 5, "5 redeliveries to the keeper");
  assert.deepEqual(keeper.deliveries.map((d) => [d.body, d.redelivered]), [0, 1, 2, 3, 4].map((i) => [`job ${i}`, true]));
  const stats = (await conn.stats()).find((s) => s.queue === "jobs");
  assert.deepEqual([stats.consumers, stats.redelivered], [1, 5]);
});

test("when the leading worker thread ends, another thread leads and the bus carries on", async (t) => {
  const bus = uniq("threads");
  // The main thread imports the package (it keeps the lock table) but does not connect: the
  // first worker to connect leads.
  const first = agent(bus);
  const firstState = await first.ready;
  assert.equal(firstState.leader, true);
  const [second, third] = [agent(bus), agent(bus)];
  t.after(async () => {
    await second.worker.terminate();
    await third.worker.terminate();
  });
  await Promise.all([second.ready, third.ready]);
  await third.call("consume", { queue: "after", prefetch: 10 });

  await first.worker.terminate();
  await until(() => second.failovers.length === 1 && third.failovers.length === 1, "a failover in both survivors");
  const leaders = [second.failovers[0].leader, third.failovers[0].leader];
  assert.equal(leaders.filter(Boolean).length, 1, `one new leader: ${leaders}`);
  assert.deepEqual([second.failovers[0].errors, third.failovers[0].errors], [0, 0]);

  // The consumer was re-registered on the new leader: a publish from the other thread reaches it.
  await second.call("publish", { queue: "after", count: 3, from: 10 });
  await until(() => third.deliveries.length === 3, "3 deliveries after the failover");
  assert.deepEqual(third.deliveries.map((d) => d.body), ["10", "11", "12"]);
  assert.equal((await second.call("state")).leaderId, (await third.call("state")).leaderId);
});

test("a worker thread whose main thread never loaded the package gets a clear error", async () => {
  // A child process whose main thread only starts the worker.
  const script = `
    const { Worker } = require("node:worker_threads");
    const w = new Worker(\`
      import("switchyard").then(({ connect }) => connect("switchyard://lonely", { scope: "origin" }))
        .then(() => console.log("connected"), (e) => console.log(e.code))\`, { eval: true });`;
  const out = await new Promise((resolve, reject) =>
    execFile(process.execPath, ["-e", script], { cwd: process.cwd(), timeout: 20_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
  );
  assert.equal(out.trim(), "SWITCHYARD_SCOPE_UNAVAILABLE");
});

// One bus per origin (issue #5): tabs, dedicated workers and shared workers of one browser context
// that connect to "switchyard://NAME" share one broker. Each context is a pages/link/context.html
// tab, or an agent-worker.js worker that tab started; the test drives them with the commands of
// pages/link/agent.js and reads back what each observed (ids, redelivered flags, link state).
// Every test has its own bus name. Failover and redelivery times are printed, never asserted
// against a bound: a timing fails no test.
import assert from "node:assert/strict";
import { crashable } from "./no-crash.mjs";

let buses = 0;
const busName = (what) => `link-${what}-${process.pid}-${++buses}`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Polls `check` (async, returns truthy when done) every `every` ms; fails with `what()` after `timeout`. */
async function until(check, { what, timeout = 15_000, every = 50 }) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${typeof what === "function" ? await what() : what}`);
    await sleep(every);
  }
}

// One switchyard context: a tab (worker null) or a worker that tab started.
class Ctx {
  constructor(page, label, worker = null) {
    Object.assign(this, { page, label, worker });
  }

  call(cmd, args = {}) {
    return this.page.evaluate(([worker, cmd, args]) => (worker ? window.sy.in(worker, cmd, args) : window.sy.call(cmd, args)), [this.worker, cmd, args]);
  }
}

async function openTab({ context, baseUrl }, bus, label) {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/pages/link/context.html?bus=${encodeURIComponent(bus)}&label=${encodeURIComponent(label)}`);
  await page.waitForFunction(() => window.syReady === true);
  return new Ctx(page, label);
}

/** Starts a "dedicated" or "shared" module worker from `tab`. */
async function spawn(tab, kind, label) {
  assert.equal(await tab.page.evaluate(([kind, label]) => window.sy.spawn(kind, label), [kind, label]), label);
  return new Ctx(tab.page, label, label);
}

/** Connects every context, in order (the first one to connect takes the leader lock). */
async function connectAll(ctxs, options) {
  const states = [];
  for (const ctx of ctxs) states.push(await ctx.call("connect", { options }));
  return states;
}

const queueStats = async (ctx, queue) => (await ctx.call("stats")).find((s) => s.queue === queue);

/**
 * Waits until `queue`'s stats (read in `ctx`) show `expected` for its keys: acks from other
 * contexts may still be on their way to the leader when the test reads them.
 */
async function statsReach(ctx, queue, expected, message) {
  const pick = async () => {
    const s = (await queueStats(ctx, queue)) ?? {};
    return Object.fromEntries(Object.keys(expected).map((k) => [k, s[k]]));
  };
  let last;
  await until(async () => {
    last = await pick();
    return JSON.stringify(last) === JSON.stringify(expected);
  }, { what: async () => `stats of ${queue}: ${JSON.stringify(last)}`, timeout: 5_000 }).catch(() => {});
  assert.deepEqual(last, expected, message);
}

/** Every delivery of every consumer of `ctxs`, as [id, redelivered, at, bodyOk, label]. */
async function deliveries(ctxs) {
  const out = [];
  for (const ctx of ctxs) {
    const r = await ctx.call("report");
    for (const c of Object.values(r.consumers)) for (const d of c.received) out.push([...d, ctx.label]);
  }
  return out;
}

// [1,2,3,7,9,10] -> "1-3,7,9-10"
function ranges(ids) {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const out = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    out.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return out.join(",");
}

// ----- 1. work queue across 3 tabs, a dedicated worker and a shared worker ----------------

export async function workQueueAcrossTabsAndWorkersEachMessageOnce(args) {
  const bus = busName("work");
  const N = 5_000;
  const queue = "work";
  const tabs = [];
  for (let i = 1; i <= 3; i++) tabs.push(await openTab(args, bus, `tab-${i}`));
  const worker = await spawn(tabs[1], "dedicated", "worker");
  const shared = await spawn(tabs[2], "shared", "shared");
  const all = [...tabs, worker, shared];
  const states = await connectAll(all);

  assert.equal(new Set(states.map((s) => s.contextId)).size, 5, "every context has its own contextId");
  assert.ok(states.every((s) => s.scope === "origin"), `the default scope in a browser is "origin": ${JSON.stringify(states)}`);
  const leaders = states.filter((s) => s.leader);
  assert.equal(leaders.length, 1, `exactly one leader: ${JSON.stringify(states)}`);
  assert.ok(states.every((s) => s.leaderId === leaders[0].contextId), `every context names the same leader: ${JSON.stringify(states)}`);

  // The publisher is a follower tab (tab-1, the first to connect, leads): every publish crosses.
  const publisher = tabs[1];
  assert.equal(states[1].leader, false);
  for (const ctx of all) await ctx.call("consume", { queue, prefetch: 50 });
  const started = Date.now();
  await publisher.call("publish", { queue, from: 1, to: N });

  const progress = async () => Promise.all(all.map((ctx) => ctx.call("progress")));
  await until(async () => {
    const p = await progress();
    const acked = p.reduce((sum, x) => sum + x.consumers[queue].acked, 0);
    return p[1].publishers.publisher.done && acked >= N;
  }, { what: async () => `every message acked: ${JSON.stringify(await progress())}`, timeout: 20_000 });
  const took = Date.now() - started;
  await sleep(300); // a duplicate would show up by now

  const reports = await Promise.all(all.map((ctx) => ctx.call("report")));
  const pub = reports[1].publishers.publisher;
  assert.equal(pub.error, null);
  assert.deepEqual(pub.nacked, [], "no publish was nacked");
  assert.deepEqual(pub.lost, [], "no leader was lost");
  assert.equal(pub.confirmed.length, N, "every publish confirmed once");

  const perContext = reports.map((r) => [r.label, r.consumers[queue]]);
  const acked = perContext.flatMap(([, c]) => c.acked);
  const received = perContext.flatMap(([, c]) => c.received);
  const counts = new Map();
  for (const id of acked) counts.set(id, (counts.get(id) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
  assert.equal(ranges(twice), "", "no id acked twice");
  assert.equal(ranges(acked), `1-${N}`, "the acked ids across all contexts are exactly 1..N");
  assert.equal(acked.length, N);
  assert.equal(received.length, N, "each message delivered once");
  assert.deepEqual(received.filter(([, redelivered]) => redelivered), [], "nothing redelivered");
  assert.ok(received.every(([, , , bodyOk]) => bodyOk), "every body is '#id'");
  const busy = perContext.filter(([, c]) => c.acked.length > 0).map(([label, c]) => `${label}: ${c.acked.length}`);
  assert.ok(busy.length > 1, `more than one context got work: ${busy.join(", ")}`);
  for (const r of reports) assert.deepEqual(r.events, [], `${r.label}: no channel or connection errors`);

  await statsReach(tabs[2], queue, { messages: 0, unacked: 0, consumers: 5, published: N, acked: N, redelivered: 0 });
  console.log(`      ${N} persistent messages published and acked from a follower tab across 5 contexts in ${took} ms (${Math.round((N * 1000) / took)} msgs/s); split ${busy.join(", ")}`);
}

// ----- 2, 3. the leader tab dies mid-stream ------------------------------------------------

// Kills a tab: "close" closes it; "crash" crashes its renderer through CDP (Chromium only: the
// session ends with the page, its answer never comes).
async function kill(tab, how, cdp) {
  if (how === "crash") {
    cdp.send("Page.crash").catch(() => {});
    return;
  }
  await tab.page.close();
}

/** What a tab consuming with `announce` reported on its console: [id, redelivered] per delivery. */
function watchAnnounced(page) {
  const received = [];
  page.on("console", (message) => {
    const [kind, list] = message.text().split(" ");
    if (kind === "received") for (const item of list.split(",")) received.push([Number.parseInt(item, 10), item.endsWith("r")]);
  });
  return received;
}

async function leaderKilled(how, args) {
  crashable(args, how);
  const bus = busName(`leader-${how}`);
  const N = 3_000;
  const queue = "jobs";
  // The leader is the first tab to connect. It consumes too, holding HELD messages it never acks,
  // and tells the test which on its console (it cannot be asked once dead). The publisher is a
  // follower tab; the other consumers are a tab, a dedicated worker and a shared worker it starts.
  const HELD = 20;
  const leader = await openTab(args, bus, "leader");
  const held = watchAnnounced(leader.page);
  const cdp = how === "crash" ? await args.context.newCDPSession(leader.page) : null;
  const [leaderState] = await connectAll([leader]);
  const publisher = await openTab(args, bus, "publisher");
  const consumerTab = await openTab(args, bus, "consumer-tab");
  const worker = await spawn(consumerTab, "dedicated", "worker");
  const shared = await spawn(consumerTab, "shared", "shared");
  const consumers = [consumerTab, worker, shared];
  const survivors = [publisher, ...consumers];
  const before = await connectAll(survivors);
  assert.equal(leaderState.leader, true, `the first context to connect leads: ${JSON.stringify(leaderState)}`);
  for (const s of before) {
    assert.deepEqual([s.leader, s.leaderId], [false, leaderState.contextId], `${s.label} follows the leader tab`);
  }

  await leader.call("consume", { queue, prefetch: HELD, ack: false, announce: true });
  for (const ctx of consumers) await ctx.call("consume", { queue, prefetch: 20, ackEvery: 5 });
  await publisher.call("publish", { queue, from: 1, to: N, per: 10, pauseMs: 5, window: 200 });
  const confirmed = async () => (await publisher.call("progress")).publishers.publisher.confirmed;
  const confirmedAtKill = await until(async () => {
    const n = await confirmed();
    return n >= N / 5 && held.length === HELD && n;
  }, { what: () => `the first confirms, and ${HELD} messages held by the leader (${held.length})`, every: 20 });

  const killedAt = Date.now();
  await kill(leader, how, cdp);
  const failovers = await until(async () => {
    const states = await Promise.all(survivors.map((ctx) => ctx.call("state")));
    return states.every((s) => s.failovers.length > 0) && states;
  }, { what: "a failover event in every surviving context", timeout: 15_000, every: 20 });
  if (how === "crash") await leader.page.close().catch(() => {});

  await until(async () => {
    const p = (await publisher.call("progress")).publishers.publisher;
    return p.done || p.error;
  }, { what: "the publisher to finish after the failover", timeout: 20_000 });
  const pub = (await publisher.call("report")).publishers.publisher;
  assert.equal(pub.error, null, `the publisher kept going: ${JSON.stringify(pub.error)}`);
  assert.deepEqual(pub.nacked, [], "confirms are acked or rejected with SWITCHYARD_LEADER_LOST, nothing else");
  const confirmedIds = pub.confirmed.map(([id]) => id);
  assert.equal(ranges(confirmedIds), `1-${N}`, "every id confirmed in the end (rejected ones republished)");
  const publishCount = new Map(range(1, N).map((id) => [id, 1]));
  for (const id of pub.lost) publishCount.set(id, publishCount.get(id) + 1);

  // Every confirmed id is consumed by a survivor (the leader acked none); the queue drains.
  let seen = [];
  const missing = () => {
    const ids = new Set(seen.map(([id]) => id));
    return confirmedIds.filter((id) => !ids.has(id));
  };
  await until(async () => {
    seen = await deliveries(consumers);
    return missing().length === 0;
  }, { what: () => `every confirmed id consumed; missing ${ranges(missing())}`, timeout: 15_000 });
  await statsReach(publisher, queue, { messages: 0, unacked: 0, consumers: 3 }, "the queue drains; the three consumers are registered on the new leader");
  seen = await deliveries(consumers);

  // The new leader: one of the survivors, named by all of them and by their failover events.
  const after = await Promise.all(survivors.map((ctx) => ctx.call("state")));
  const newLeaders = after.filter((s) => s.leader);
  assert.equal(newLeaders.length, 1, `exactly one survivor leads: ${JSON.stringify(after)}`);
  const newLeaderId = newLeaders[0].contextId;
  assert.notEqual(newLeaderId, leaderState.contextId);
  for (const s of after) {
    assert.equal(s.scope, "origin");
    assert.equal(s.leaderId, newLeaderId, `${s.label} names the new leader`);
    assert.equal(s.failovers.length, 1, `${s.label}: one failover event: ${JSON.stringify(s.failovers)}`);
    assert.deepEqual([s.failovers[0].leaderId, s.failovers[0].leader], [newLeaderId, s.contextId === newLeaderId], `${s.label}: the failover event names the new leader`);
    assert.deepEqual(s.failovers[0].errors, [], `${s.label}: everything re-created on the new leader`);
    assert.deepEqual(s.leadersLost.map((e) => e.leaderId), [leaderState.contextId], `${s.label}: one leaderLost naming the dead leader`);
    assert.ok(s.leadersLost[0].at <= s.failovers[0].at, `${s.label}: leaderLost before failover`);
    assert.deepEqual(s.events, [], `${s.label}: no channel or connection closed`);
  }

  // What the dead leader held comes back flagged redelivered.
  const heldIds = held.map(([id]) => id);
  const flaggedBack = new Set(seen.filter(([, redelivered]) => redelivered).map(([id]) => id));
  assert.equal(ranges(heldIds.filter((id) => !flaggedBack.has(id))), "", `the dead leader's unacked messages (${ranges(heldIds)}) come back flagged redelivered`);

  // Duplicates only as redeliveries (or as a republished copy of a rejected publish), counting
  // what the dead leader's own consumer received.
  assert.ok(seen.every(([id, , , bodyOk]) => bodyOk && id >= 1 && id <= N), "only published ids, each body '#id'");
  const fresh = new Map();
  for (const [id, redelivered] of [...seen, ...held]) if (!redelivered) fresh.set(id, (fresh.get(id) ?? 0) + 1);
  const unflagged = [...fresh].filter(([id, n]) => n > publishCount.get(id)).map(([id]) => id);
  assert.equal(ranges(unflagged), "", "an id delivered more often than published is flagged redelivered");
  const resumed = seen.filter(([, , at]) => at > killedAt).length;
  assert.ok(resumed > 0 && pub.confirmed.some(([, at]) => at > killedAt), "publishing and consumption resumed after the kill");

  const times = failovers.map((s) => `${s.label} ${s.failovers[0].at - killedAt}`);
  const counts = new Map();
  for (const [id] of seen) counts.set(id, (counts.get(id) ?? 0) + 1);
  console.log(
    `      leader ${how}${cdp ? " (CDP Page.crash)" : ""}: killed after ${confirmedAtKill} of ${N} confirms; failover event ms after the kill: ` +
      `${times.join(", ")}; new leader ${newLeaders[0].label}; ${pub.lost.length} confirms rejected with SWITCHYARD_LEADER_LOST and republished; ` +
      `${seen.filter(([, r]) => r).length} deliveries to survivors flagged redelivered, ${[...counts.values()].filter((n) => n > 1).length} ids delivered to survivors more than once; ` +
      `the dead leader held ${ranges(heldIds)}; ` +
      `${resumed} deliveries after the kill`,
  );
}

export async function leaderTabClosedMidStreamFollowerTakesOver(args) {
  await leaderKilled("close", args);
}

export async function leaderTabCrashedMidStreamFollowerTakesOver(args) {
  await leaderKilled("crash", args);
}

// What survives the leader besides durable messages: each connection's recorded topology
// (a transient exchange, queue and binding) and its prefetch are re-created on the new leader.
export async function topologyAndPrefetchAreReplayedOnTheNewLeader(args) {
  const bus = busName("replay");
  const leader = await openTab(args, bus, "leader");
  const follower = await openTab(args, bus, "follower");
  const publisher = await openTab(args, bus, "publisher");
  await connectAll([leader, follower, publisher]);
  const exchange = "live";
  await follower.call("topic", { exchange, queue: "live-q", keys: ["k.#"] }); // transient: durable false
  await publisher.call("publish", { queue: "capped", from: 1, to: 10, name: "capped" });
  await until(async () => (await publisher.call("progress")).publishers.capped.done, { what: "10 publishes confirmed" });
  await follower.call("consume", { queue: "capped", prefetch: 3, ack: false });
  await publisher.call("publishKeys", { exchange, keys: ["k.1"] });
  const live = async () => (await follower.call("report")).consumers;
  await until(async () => {
    const c = await live();
    return c["live-q"].received.length === 1 && c.capped.received.length === 3;
  }, { what: async () => `the first deliveries: ${JSON.stringify(await live())}` });

  const killedAt = Date.now();
  await leader.page.close();
  const states = await until(async () => {
    const all = await Promise.all([follower, publisher].map((ctx) => ctx.call("state")));
    return all.every((s) => s.failovers.length > 0) && all;
  }, { what: "the failover events" });
  for (const s of states) assert.deepEqual(s.failovers[0].errors, [], `${s.label}: everything re-created on the new leader`);

  await publisher.call("publishKeys", { exchange, keys: ["k.2", "x.3"] });
  await until(async () => {
    const c = await live();
    return c["live-q"].received.length >= 2 && c.capped.received.length >= 6;
  }, { what: async () => `the deliveries after the failover: ${JSON.stringify(await live())}` });
  await sleep(200); // nothing more arrives
  const c = await live();
  assert.deepEqual(
    c["live-q"].received.map(([key, body]) => [key, body]),
    [["k.1", "k.1 from publisher"], ["k.2", "k.2 from publisher"]],
    "the transient exchange, queue and binding route on the new leader",
  );
  assert.deepEqual(
    c.capped.received.map(([id, r]) => [id, r]),
    [[1, false], [2, false], [3, false], [1, true], [2, true], [3, true]],
    "prefetch 3 holds on the new leader: the three unacked come back flagged, and no more",
  );
  await statsReach(publisher, "capped", { messages: 7, unacked: 3, consumers: 1 });
  for (const s of await Promise.all([follower, publisher].map((ctx) => ctx.call("state")))) assert.deepEqual(s.events, [], `${s.label}: no channel or connection closed`);
  console.log(`      topology replayed: failover events ${states.map((s) => `${s.label} ${s.failovers[0].at - killedAt} ms`).join(", ")} after page.close()`);
}

// ----- 4. a consumer context dies holding unacked messages ---------------------------------

// The holder (a tab, or a dedicated worker of its own tab) takes HELD messages and never acks;
// a dedicated worker of the leader tab gets the rest. Then the holder dies: "close" closes its
// tab, "terminate" terminates the worker.
async function holderDies(how, args) {
  const bus = busName(`unacked-${how}`);
  const queue = "held";
  const N = 30;
  const HELD = 10;
  const leader = await openTab(args, bus, "leader");
  const holderTab = await openTab(args, bus, "holder-tab");
  const holder = how === "terminate" ? await spawn(holderTab, "dedicated", "holder") : holderTab;
  const worker = await spawn(leader, "dedicated", "worker");
  await connectAll([leader, holder, worker]);
  await leader.call("publish", { queue, from: 1, to: N });
  await until(async () => (await leader.call("progress")).publishers.publisher.done, { what: "the publishes confirmed" });

  await holder.call("consume", { queue, prefetch: HELD, ack: false });
  await until(async () => (await holder.call("progress")).consumers[queue].received === HELD, { what: `${HELD} deliveries to the holder` });
  await worker.call("consume", { queue, prefetch: 5 });
  await until(async () => (await worker.call("progress")).consumers[queue].acked === N - HELD, { what: "the worker to ack the rest" });
  const held = (await holder.call("report")).consumers[queue].received;
  assert.deepEqual(held.map(([id, r]) => [id, r]), range(1, HELD).map((id) => [id, false]), "the holder got the first ids, fresh");
  await statsReach(leader, queue, { messages: 0, unacked: HELD, consumers: 2 }, "before: the holder's messages are unacked");

  const killedAt = Date.now();
  if (how === "terminate") await holderTab.page.evaluate((name) => window.sy.terminate(name), holder.worker);
  else await holderTab.page.close();
  await until(async () => (await worker.call("progress")).consumers[queue].acked === N, { what: "the held messages redelivered to the worker" });
  await sleep(200); // nothing more arrives
  const final = (await worker.call("report")).consumers[queue];
  const firstRedelivery = final.received[N - HELD][2] - killedAt;
  assert.equal(final.received.length, N, "no extra deliveries");
  assert.deepEqual(final.received.slice(0, N - HELD).map(([id, r]) => [id, r]), range(HELD + 1, N).map((id) => [id, false]));
  assert.deepEqual(final.received.slice(N - HELD).map(([id, r, , ok]) => [id, r, ok]), range(1, HELD).map((id) => [id, true, true]), "the held ids come back flagged redelivered, in order");
  assert.equal(ranges(final.acked), `1-${N}`);
  await statsReach(leader, queue, { messages: 0, unacked: 0, consumers: 1, published: N, acked: N, redelivered: HELD }, "after: nothing lost, the holder's consumer gone");
  console.log(`      ${HELD} unacked messages of a dead ${how === "terminate" ? "worker" : "tab"}: first redelivery ${firstRedelivery} ms after ${how === "terminate" ? "worker.terminate()" : "page.close()"}`);
}

export async function closedConsumerTabsUnackedMessagesAreRedelivered(args) {
  await holderDies("close", args);
}

export async function terminatedConsumerWorkersUnackedMessagesAreRedelivered(args) {
  await holderDies("terminate", args);
}

// Single active consumer: the active consumer's tab closes; the waiting one, in another tab,
// takes over with what the dead one held (flagged redelivered) and the rest, in queue order.
export async function singleActiveConsumerFailsOverWhenItsTabCloses(args) {
  const bus = busName("sac");
  const queue = "sac";
  const queueArgs = { "x-single-active-consumer": true };
  const leader = await openTab(args, bus, "leader");
  const active = await openTab(args, bus, "active");
  const waiting = await openTab(args, bus, "waiting");
  await connectAll([leader, active, waiting]);
  await active.call("consume", { queue, queueArgs, prefetch: 5, ack: false });
  await waiting.call("consume", { queue, queueArgs, prefetch: 20 });
  await leader.call("publish", { queue, queueArgs, from: 1, to: 10 });
  await until(async () => (await active.call("progress")).consumers[queue].received === 5, { what: "5 deliveries to the active consumer" });
  await sleep(200);
  assert.deepEqual((await waiting.call("progress")).consumers[queue], { received: 0, acked: 0 }, "the waiting consumer gets nothing while the active one lives");
  await statsReach(leader, queue, { messages: 5, unacked: 5, consumers: 2 });

  await active.page.close();
  await until(async () => (await waiting.call("progress")).consumers[queue].acked === 10, { what: "the waiting consumer to take over" });
  await sleep(200);
  const got = (await waiting.call("report")).consumers[queue].received;
  assert.deepEqual(got.map(([id, r]) => [id, r]), [...range(1, 5).map((id) => [id, true]), ...range(6, 10).map((id) => [id, false])]);
  await statsReach(leader, queue, { messages: 0, unacked: 0, consumers: 1 });
}

// ----- 5. topic fan-out to three contexts; RPC tab -> worker -> tab --------------------------

export async function topicFanOutAcrossContextsAndRpcToAWorker(args) {
  const bus = busName("topic");
  const tab = await openTab(args, bus, "tab");
  const host = await openTab(args, bus, "host");
  const worker = await spawn(host, "dedicated", "worker");
  const shared = await spawn(host, "shared", "shared");
  await connectAll([tab, host, worker, shared]);

  const exchange = "events";
  await tab.call("topic", { exchange, queue: "tab-orders", keys: ["order.*"] });
  await worker.call("topic", { exchange, queue: "worker-created", keys: ["*.created"] });
  await shared.call("topic", { exchange, queue: "shared-payments", keys: ["payment.#"] });
  const keys = ["order.created", "order.paid", "order.paid.late", "payment.created", "payment.refund.audit", "user.deleted"];
  assert.equal(await host.call("publishKeys", { exchange, keys }), keys.length);

  const expected = {
    "tab-orders": [tab, ["order.created", "order.paid"]],
    "worker-created": [worker, ["order.created", "payment.created"]],
    "shared-payments": [shared, ["payment.created", "payment.refund.audit"]],
  };
  const got = async () => {
    const out = {};
    for (const [queue, [ctx]] of Object.entries(expected)) out[queue] = (await ctx.call("report")).consumers[queue].received;
    return out;
  };
  await until(async () => Object.entries(await got()).every(([q, r]) => r.length >= expected[q][1].length), { what: async () => JSON.stringify(await got()) });
  await sleep(200); // nothing else arrives
  const received = await got();
  for (const [queue, [ctx, wanted]] of Object.entries(expected)) {
    assert.deepEqual(
      received[queue],
      wanted.map((key) => [key, `${key} from host`, exchange, false]),
      `${queue} in ${ctx.label}: [routingKey, body, exchange, redelivered]`,
    );
  }

  // RPC: the leader tab, then a follower tab, ask a dedicated worker over direct reply-to.
  await worker.call("rpcServer", { queue: "rpc" });
  const calls = [[tab, ["alpha", "beta", "gamma"]], [host, ["delta", "epsilon"]]];
  const addresses = [];
  for (const [client, words] of calls) {
    const replies = await client.call("rpcCall", { queue: "rpc", words });
    assert.deepEqual(replies.map(([cid, body]) => [cid, body]), words.map((w) => [`c-${w}`, `${w.toUpperCase()} by worker`]), `${client.label}: each reply carries its request's correlationId`);
    const requests = (await worker.call("report")).consumers.rpc.received.slice(-words.length);
    assert.deepEqual(requests.map(([body, , cid]) => [body, cid]), words.map((w) => [w, `c-${w}`]));
    const replyTo = requests[0][1];
    assert.match(replyTo, /^amq\.rabbitmq\.reply-to\..+/, "the server sees a per-channel reply address");
    assert.ok(requests.every(([, r]) => r === replyTo), "one reply address for the client's channel");
    assert.ok(replies.every(([, , ex, key]) => ex === "" && key === replyTo), `replies come through the default exchange to that address: ${JSON.stringify(replies)}`);
    addresses.push(replyTo);
  }
  assert.notEqual(addresses[0], addresses[1], "each client channel has its own reply address");
  for (const ctx of [tab, host, worker, shared]) assert.deepEqual((await ctx.call("state")).events, [], `${ctx.label}: no channel or connection errors`);
}

// ----- 6. in-process semantics across contexts ---------------------------------------------

/** Runs `body(sy, arg)` in a tab; an error comes back as { thrown: { name, code, message } }. */
function inTab(tab, body, arg) {
  return tab.page.evaluate(
    async ([source, arg]) => {
      try {
        return await (0, eval)(`(${source})`)(window.sy, arg);
      } catch (error) {
        return { thrown: { name: error?.name, code: error?.code, message: String(error?.message ?? error) } };
      }
    },
    [body.toString(), arg],
  );
}

export async function returnsExclusiveQueuesChannelErrorsAndLocalScopeAcrossContexts(args) {
  const bus = busName("semantics");
  const leader = await openTab(args, bus, "leader");
  const owner = await openTab(args, bus, "owner");
  const other = await openTab(args, bus, "other");
  const states = await connectAll([leader, owner, other]);
  assert.deepEqual(states.map((s) => s.leader), [true, false, false]);

  // A mandatory publish with no route, from a follower, comes back there as a `return`.
  const returned = await inTab(other, async (sy) => {
    const ch = await sy.agent.conn.createChannel();
    const back = new Promise((resolve) => ch.once("return", resolve));
    ch.publish("amq.direct", "nowhere", new TextEncoder().encode("unroutable"), { mandatory: true, messageId: "m-1" });
    const msg = await Promise.race([back, new Promise((resolve) => setTimeout(() => resolve(null), 5_000))]);
    await ch.close();
    return msg && { ...msg.fields, body: new TextDecoder().decode(msg.content), messageId: msg.properties.messageId };
  });
  assert.deepEqual(returned, { replyCode: 312, replyText: "NO_ROUTE", exchange: "amq.direct", routingKey: "nowhere", body: "unroutable", messageId: "m-1" });

  // An exclusive queue of one tab: 405 RESOURCE_LOCKED for a follower and for the leader tab.
  const q = "mine-only";
  assert.deepEqual(await inTab(owner, async (sy, q) => {
    const ch = await sy.agent.conn.createChannel();
    // And an auto-delete queue with a consumer: it goes when the owner tab dies (below).
    await ch.assertQueue("owners-auto", { durable: false, autoDelete: true });
    await ch.consume("owners-auto", () => {}, { noAck: true });
    return (await ch.assertQueue(q, { exclusive: true })).queue;
  }, q), q);
  const consumeLocked = async (sy, q) => {
    const ch = await sy.agent.conn.createChannel();
    const closed = Promise.race([
      new Promise((resolve) => ch.once("close", () => resolve(true))),
      new Promise((resolve) => setTimeout(() => resolve(false), 3_000)),
    ]);
    ch.on("error", () => {});
    try {
      await ch.consume(q, () => {});
      return { consumed: true };
    } catch (e) {
      return { name: e.name, code: e.code, message: e.message, channelClosed: await closed };
    }
  };
  const locked = `RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '${q}' in vhost '/'`;
  for (const tab of [other, leader]) {
    const r = await inTab(tab, consumeLocked, q);
    assert.equal(r.name, "AmqpError", `${tab.label}: ${JSON.stringify(r)}`);
    assert.equal(r.code, 405, `${tab.label}: ${JSON.stringify(r)}`);
    assert.ok(r.message.includes(locked), `${tab.label}: ${r.message}`);
    assert.equal(r.channelClosed, true, `${tab.label}: the channel closes`);
  }

  // A channel error in a follower closes that channel only: its connection and other channel carry on.
  const channelError = await inTab(other, async (sy) => {
    const conn = sy.agent.conn;
    let connectionClosed = false;
    conn.once("close", () => (connectionClosed = true));
    const bad = await conn.createChannel();
    const good = await conn.createChannel();
    const badClosed = Promise.race([
      new Promise((resolve) => bad.once("close", () => resolve(true))),
      new Promise((resolve) => setTimeout(() => resolve(false), 3_000)),
    ]);
    const errors = [];
    bad.on("error", (e) => errors.push(e.code));
    let failed;
    try {
      await bad.checkQueue("no-such-queue");
    } catch (e) {
      failed = { name: e.name, code: e.code, message: e.message };
    }
    const closed = await badClosed;
    let afterClose;
    try {
      await bad.checkQueue("still-here");
    } catch (e) {
      afterClose = e.name;
    }
    await good.assertQueue("still-here", { durable: false });
    good.sendToQueue("still-here", new TextEncoder().encode("fine"));
    let msg = false;
    for (let i = 0; i < 50 && !msg; i++) {
      msg = await good.get("still-here", { noAck: true });
      if (!msg) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return { failed, errors, closed, afterClose, body: msg && new TextDecoder().decode(msg.content), connectionClosed };
  });
  assert.deepEqual(channelError.failed?.name, "AmqpError", JSON.stringify(channelError));
  assert.equal(channelError.failed.code, 404);
  assert.ok(channelError.failed.message.includes("NOT_FOUND - no queue 'no-such-queue' in vhost '/'"), channelError.failed.message);
  assert.deepEqual(channelError.errors.filter((c) => c !== 404), [], "the channel's error event, if any, carries 404");
  assert.equal(channelError.closed, true, "the failed channel emits close");
  assert.equal(channelError.afterClose, "IllegalOperationError", "the failed channel is closed");
  assert.equal(channelError.body, "fine", "another channel of the same connection still works");
  assert.equal(channelError.connectionClosed, false, "the connection stays open");
  // …and the other contexts did not notice.
  const leaderCheck = await inTab(leader, async (sy) => {
    const ch = await sy.agent.conn.createChannel();
    return (await ch.checkQueue("still-here")).queue;
  });
  assert.equal(leaderCheck, "still-here");

  // scope "local": a private broker, in a follower and in the leader tab, sees none of the bus.
  for (const tab of [other, leader]) {
    const local = await inTab(tab, async (sy, q) => {
      const conn = await sy.lib.connect(`switchyard://${sy.bus}`, { scope: "local", storage: "memory" });
      const state = conn.linkState();
      const ch = await conn.createChannel();
      ch.on("error", () => {});
      const queues = (await conn.topology()).queues.map((x) => x.name);
      let check;
      try {
        await ch.checkQueue("still-here");
        check = "found";
      } catch (e) {
        check = e.code;
      }
      const ch2 = await conn.createChannel();
      await ch2.assertQueue(`local-only-${sy.label}`);
      // The origin connection of the same tab does not see the local queue.
      const originCh = await sy.agent.conn.createChannel();
      originCh.on("error", () => {});
      let originCheck;
      try {
        await originCh.checkQueue(`local-only-${sy.label}`);
        originCheck = "found";
      } catch (e) {
        originCheck = e.code;
      }
      await conn.close();
      return { scope: state.scope, queues, check, originCheck };
    });
    assert.equal(local.scope, "local", `${tab.label}: ${JSON.stringify(local)}`);
    assert.ok(!local.queues.includes("still-here") && !local.queues.includes(q), `${tab.label}: the local broker has none of the bus's queues: ${local.queues}`);
    assert.equal(local.check, 404, `${tab.label}: checkQueue of a bus queue on the local broker`);
    assert.equal(local.originCheck, 404, `${tab.label}: the origin bus does not see the local queue`);
  }

  // The owner tab dies: its exclusive queue, and the auto-delete queue it consumed, are deleted.
  await owner.page.close();
  const gone = async (q) =>
    inTab(other, async (sy, q) => {
      const ch = await sy.agent.conn.createChannel();
      ch.on("error", () => {});
      try {
        await ch.checkQueue(q);
        await ch.close();
        return "still there";
      } catch (e) {
        return e.code;
      }
    }, q);
  await until(async () => (await gone(q)) === 404, { what: "the dead tab's exclusive queue to be deleted", timeout: 10_000, every: 100 });
  await until(async () => (await gone("owners-auto")) === 404, { what: "the dead tab's auto-delete queue to be deleted", timeout: 5_000, every: 100 });
  for (const tab of [leader, other]) assert.deepEqual((await tab.call("state")).events, [], `${tab.label}: the agent's connection is untouched`);
}

// ----- 7. protocol version and storage guards ----------------------------------------------

export async function helloOfAnUnknownProtocolVersionIsRefused(args) {
  const bus = busName("protocol");
  const leader = await openTab(args, bus, "leader");
  const [leaderState] = await connectAll([leader]);
  const prober = await openTab(args, bus, "prober"); // never connects: raw BroadcastChannels only

  const probe = () =>
    prober.page.evaluate(async (bus) => {
      const fake = `fake-${Math.random().toString(36).slice(2)}`;
      const got = [];
      const to = new BroadcastChannel(`switchyard:${bus}:to:${fake}`);
      to.onmessage = (event) => got.push(event.data);
      const up = new BroadcastChannel(`switchyard:${bus}:up`);
      up.postMessage({ v: 99, t: "hello", from: fake, storage: "indexeddb" });
      for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 30));
      await new Promise((resolve) => setTimeout(resolve, 300)); // anything else it would send
      to.close();
      up.close();
      return got;
    }, bus);
  for (let round = 1; round <= 2; round++) {
    const got = await probe();
    assert.equal(got.length, 1, `round ${round}: one answer to the v99 hello: ${JSON.stringify(got)}`);
    const [answer] = got;
    assert.deepEqual({ v: answer.v, t: answer.t, code: answer.code }, { v: 1, t: "refused", code: "SWITCHYARD_PROTOCOL_MISMATCH" }, JSON.stringify(answer));
    assert.equal(typeof answer.reason, "string");
    assert.ok(answer.reason.length > 0, "the refusal says why");

    // The bus still works for real contexts, with the same leader.
    const follower = await openTab(args, bus, `follower-${round}`);
    const [state] = await connectAll([follower]);
    assert.deepEqual([state.leader, state.leaderId], [false, leaderState.contextId]);
    const queue = `after-probe-${round}`;
    await follower.call("consume", { queue, prefetch: 10 });
    await leader.call("publish", { queue, from: 1, to: 20, name: queue });
    await until(async () => (await follower.call("progress")).consumers[queue].acked === 20, { what: "20 messages through the bus after the probe" });
    const got2 = (await follower.call("report")).consumers[queue].received;
    assert.deepEqual(got2.map(([id, r, , ok]) => [id, r, ok]), range(1, 20).map((id) => [id, false, true]));
    assert.equal((await leader.call("state")).leader, true, "the leader did not change");
  }
}

export async function aContextWithOtherStorageThanTheLeaderIsRefused(args) {
  const bus = busName("storage");
  const leader = await openTab(args, bus, "leader");
  await connectAll([leader]); // storage "indexeddb", the browser default
  const other = await openTab(args, bus, "other");
  const r = await inTab(other, async (sy) => {
    await sy.lib.connect(`switchyard://${sy.bus}`, { storage: "memory" });
    return "connected";
  });
  assert.equal(r.thrown?.code, "SWITCHYARD_STORAGE_MISMATCH", JSON.stringify(r));
  // The same tab then joins with the leader's storage.
  const [state] = await connectAll([other]);
  assert.equal(state.leader, false);
}

// ----- 8. a late joiner consumes what was published before it existed ---------------------

export async function lateJoinerTabConsumesWhatWasPublishedBefore(args) {
  const bus = busName("late");
  const queue = "backlog";
  const N = 200;
  const leader = await openTab(args, bus, "leader");
  const [leaderState] = await connectAll([leader]);
  await leader.call("publish", { queue, from: 1, to: N });
  await until(async () => (await leader.call("progress")).publishers.publisher.done, { what: "the publishes confirmed" });
  await statsReach(leader, queue, { messages: N, consumers: 0 }, "the backlog waits in the queue");

  const late = await openTab(args, bus, "late");
  const [state] = await connectAll([late]);
  assert.deepEqual([state.leader, state.leaderId], [false, leaderState.contextId], "the late tab joins the existing leader");
  await late.call("consume", { queue, prefetch: 25 });
  await until(async () => (await late.call("progress")).consumers[queue].acked === N, { what: `${N} acks from the late tab` });
  const got = (await late.call("report")).consumers[queue].received;
  assert.deepEqual(got.map(([id, r, , ok]) => [id, r, ok]), range(1, N).map((id) => [id, false, true]), "the backlog in publish order, fresh");
  await statsReach(late, queue, { messages: 0, unacked: 0, consumers: 1, acked: N });
}

export async function badInputInAFollowerIsAnErrorThereAndTheBusKeepsWorking(args) {
  const bus = busName("bad-input");
  const leader = await openTab(args, bus, "leader");
  const follower = await openTab(args, bus, "follower");
  const states = await connectAll([leader, follower]);
  assert.deepEqual(states.map((s) => s.leader), [true, false]);

  const outcome = await inTab(follower, async (sy) => {
    const ch = await sy.agent.conn.createChannel();
    await ch.assertQueue("checked", { durable: false });
    const got = [];
    await ch.consume("checked", (m) => got.push(new TextDecoder().decode(m.content)), { noAck: true });
    const thrown = (fn) => {
      try {
        fn();
        return "accepted";
      } catch (e) {
        return `${e.name} ${e.code}`;
      }
    };
    const bytes = new TextEncoder().encode("x");
    const sync = {
      // Thrown at once, as in-process: the leader is never asked.
      unknownOption: thrown(() => ch.publish("", "checked", bytes, { persistant: true })),
      badTimestamp: thrown(() => ch.publish("", "checked", bytes, { timestamp: "yesterday" })),
      functionHeader: thrown(() => ch.publish("", "checked", bytes, { headers: { f: () => 1 } })),
      uncloneableHeader: thrown(() => ch.publish("", "checked", bytes, { headers: { w: new WeakMap() } })),
      uncloneableBody: thrown(() => ch.publish("", "checked", { f: () => 1 })),
      badTag: thrown(() => ch.ack({ fields: { deliveryTag: 1.5 } })),
    };
    // Rejected, as in-process; a call whose arguments cannot be cloned never reaches the leader.
    const rejected = async (p) => p.then(() => "resolved", (e) => `${e.name} ${e.code}`);
    const calls = {
      unknownQueueOption: await rejected(ch.assertQueue("q2", { durabel: true })),
      uncloneableArgument: await rejected(ch.assertQueue("q3", { arguments: { "x-custom": new WeakMap() } })),
    };
    ch.publish("", "checked", new TextEncoder().encode("after the bad input"));
    const start = Date.now();
    while (got.length < 1 && Date.now() - start < 5_000) await new Promise((r) => setTimeout(r, 20));
    return { sync, calls, got, open: !ch._closed };
  });
  assert.deepEqual(outcome, {
    sync: {
      unknownOption: "TypeError SWITCHYARD_UNKNOWN_OPTION",
      badTimestamp: "TypeError SWITCHYARD_INVALID_ARGUMENT",
      functionHeader: "TypeError SWITCHYARD_NOT_CLONEABLE",
      uncloneableHeader: "TypeError SWITCHYARD_NOT_CLONEABLE",
      uncloneableBody: "TypeError SWITCHYARD_NOT_CLONEABLE",
      badTag: "RangeError SWITCHYARD_INVALID_ARGUMENT",
    },
    calls: {
      unknownQueueOption: "TypeError SWITCHYARD_UNKNOWN_OPTION",
      uncloneableArgument: "TypeError SWITCHYARD_NOT_CLONEABLE",
    },
    got: ["after the bad input"],
    open: true,
  });
}

export async function aFollowerConsumingAFullQueueGetsEveryMessage(args) {
  // The leader answers the consume and dispatches the backlog in the same batch of frames: the
  // deliveries reach the follower before its consume() has its tag, and must not be dropped.
  const bus = busName("backlog-nack");
  const leader = await openTab(args, bus, "leader");
  const follower = await openTab(args, bus, "follower");
  await connectAll([leader, follower]);
  for (let round = 1; round <= 3; round++) {
    const queue = `backlog-${round}`;
    const published = await inTab(leader, async (sy, queue) => {
      const ch = await sy.agent.conn.createChannel();
      await ch.assertQueue(queue, { durable: false });
      for (let i = 0; i < 100; i++) ch.sendToQueue(queue, new TextEncoder().encode(`m${i}`));
      return (await ch.checkQueue(queue)).messageCount;
    }, queue);
    assert.equal(published, 100);
    const got = await inTab(follower, async (sy, queue) => {
      const ch = await sy.agent.conn.createChannel();
      const bodies = [];
      await ch.consume(queue, (m) => bodies.push(new TextDecoder().decode(m.content)), { noAck: true });
      const start = Date.now();
      while (bodies.length < 100 && Date.now() - start < 5_000) await new Promise((r) => setTimeout(r, 10));
      return bodies;
    }, queue);
    assert.deepEqual(got, Array.from({ length: 100 }, (_, i) => `m${i}`), `round ${round}: every message, in order`);
  }
}

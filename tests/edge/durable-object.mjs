// The Cloudflare Worker + Durable Object example (examples/edge/durable-object/) in workerd
// (Miniflare): its Durable Object hosts a bus persisting through durableObjectStore(ctx.storage).
//   1. HTTP: publishes are confirmed, one is consumed; Miniflare is disposed (workerd stopped) and
//      recreated over the same persistence directory, and every confirmed, unconsumed message
//      comes back, in order.
//   2. WebSocket consumers (examples/edge/durable-object/client.mjs over 127.0.0.1): deliveries in
//      order within prefetch, acked by the client; a socket closed with a message unacked gives it
//      back (redelivered); a delayed publish reaches a connected consumer after its delay.
//   3. Alarms: a publish with { delay: 1500 }, then workerd is stopped at once and started again;
//      with no request, the object's alarm (set from conn.nextDeadline()) opens the bus from
//      storage and the message is in the queue; GET /jobs then returns it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { consume } from "../../examples/edge/durable-object/client.mjs";
import { buildWorker, miniflareOptions } from "../../examples/edge/durable-object/miniflare.mjs";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function run({ scratch, work, withTimeout }) {
  const results = [];
  const out = join(work, "durable-object");
  const persist = mkdtempSync(join(tmpdir(), "switchyard-do-"));
  const { Miniflare } = await import("miniflare");
  const step = async (name, fn) => {
    try {
      results.push({ name, ok: true, detail: (await fn()) ?? "" });
      return true;
    } catch (e) {
      results.push({ name, ok: false, detail: String(e?.stack ?? e) });
      return false;
    }
  };
  const N = 8;
  const body = (i) => `job-${i}`;
  let mf;
  let wsUrl;
  const consumers = [];
  const start = async () => {
    mf = new Miniflare(miniflareOptions(out, persist, { port: 0 }));
    const url = await mf.ready;
    if (url.hostname !== "127.0.0.1") throw new Error(`Miniflare listens on ${url.host}, not 127.0.0.1`);
    wsUrl = new URL("/jobs", url).href.replace(/^http/, "ws");
  };
  const stop = async () => {
    await Promise.all(consumers.splice(0).map((c) => c.close()));
    await mf?.dispose();
    mf = undefined;
  };
  const request = async (method, path, expect, data) => {
    const res = await withTimeout(mf.dispatchFetch(`http://localhost${path}`, { method, body: data }), 30_000, `${method} ${path}`);
    const text = await res.text();
    if (!expect.includes(res.status)) throw new Error(`${method} ${path}: HTTP ${res.status}: ${text}`);
    return { status: res.status, text, redelivered: res.headers.get("x-redelivered") };
  };
  const until = async (check, what, ms = 10_000) => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await check();
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await sleep(20);
    }
  };
  const same = (got, want, what) => {
    if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${what}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  };
  try {
    await buildWorker(out, join(scratch, "node_modules"));
    const ok1 = await step("durable object: POST publishes, confirmed; GET consumes", async () => {
      await start();
      for (let i = 0; i < N; i++) await request("POST", "/jobs", [201], body(i));
      const first = await request("GET", "/jobs", [200]);
      same(first.text, body(0), "GET");
      return `${N} confirmed, 1 consumed`;
    });
    await stop();
    if (!ok1) return results;
    const ok2 = await step("durable object: survives a restart of workerd, no confirmed message lost", async () => {
      await start();
      const got = [];
      for (;;) {
        const r = await request("GET", "/jobs", [200, 204]);
        if (r.status === 204) break;
        got.push(r.text);
        if (got.length > N) break;
      }
      same(got, Array.from({ length: N - 1 }, (_, i) => body(i + 1)), "after restart");
      return `${got.length} restored in order, then empty`;
    });
    if (!ok2) return results;

    await step("durable object: a WebSocket client consumes in order, prefetch 2, acking each", async () => {
      const got = [];
      let outstanding = 0;
      let maxOutstanding = 0;
      const c = await consume(wsUrl, {
        prefetch: 2,
        async onMessage(d) {
          got.push(d);
          maxOutstanding = Math.max(maxOutstanding, ++outstanding);
          await sleep(30); // work, then ack
          outstanding--;
        },
      });
      consumers.push(c);
      for (let i = 0; i < 6; i++) await request("POST", "/jobs", [201], `ws-${i}`);
      await until(() => got.length >= 6, "6 deliveries on the socket");
      await sleep(100); // nothing more arrives, and the acks reach the object
      same(got.map((d) => d.body), Array.from({ length: 6 }, (_, i) => `ws-${i}`), "socket deliveries");
      if (got.some((d) => d.redelivered)) throw new Error("a first delivery was marked redelivered");
      if (maxOutstanding > 2) throw new Error(`${maxOutstanding} unacknowledged at once with prefetch 2`);
      same((await request("GET", "/jobs", [200, 204])).status, 204, "queue after the acks");
      return `6 in order, at most ${maxOutstanding} unacknowledged, queue empty after`;
    });

    await step("durable object: a socket closed with a message unacknowledged gives it back, redelivered", async () => {
      await Promise.all(consumers.splice(0).map((c) => c.close()));
      const held = [];
      const c = await consume(wsUrl, { prefetch: 1, onMessage: (d) => (held.push(d), new Promise(() => {})) }); // never acks
      await request("POST", "/jobs", [201], "held");
      await until(() => held.length === 1, "the delivery");
      await c.close();
      const r = await until(async () => {
        const g = await request("GET", "/jobs", [200, 204]);
        return g.status === 200 && g;
      }, "the message back in the queue");
      same([r.text, r.redelivered], ["held", "true"], "GET after the socket closed");
      return "GET returns it with x-redelivered: true";
    });

    await step("durable object: a delayed publish (1,500 ms) reaches a connected WebSocket consumer", async () => {
      const got = [];
      consumers.push(await consume(wsUrl, { prefetch: 5, onMessage: (d) => void got.push({ ...d, at: Date.now() }) }));
      const t0 = Date.now();
      await request("POST", "/jobs?delay=1500", [201], "delayed-live");
      const early = got.length;
      await until(() => got.length === 1, "the delayed delivery", 5_000);
      const ms = got[0].at - t0;
      same([early, got[0].body], [0, "delayed-live"], "delayed delivery");
      if (ms < 1_450 || ms > 3_500) throw new Error(`arrived after ${ms} ms, expected ~1,500`);
      return `arrived after ${ms} ms`;
    });

    await step("durable object: the alarm delivers a delayed message after workerd restarts (no request)", async () => {
      const t0 = Date.now();
      await request("POST", "/jobs?delay=1500", [201], "delayed-restart");
      await stop(); // workerd stopped before the delay is due: the setTimeout in the object is gone
      await start();
      // The alarm that found the message ready (an alarm left by the step before may run
      // around the publish: it finds nothing ready and is not this one).
      const entry = await until(async () => {
        const log = JSON.parse((await request("GET", "/alarms", [200])).text);
        return log.find((e) => e.ready > 0 && Date.parse(e.at) >= t0);
      }, "an alarm after the restart", 10_000);
      const at = Date.parse(entry.at) - t0;
      if (at < 1_450) throw new Error(`the alarm ran ${at} ms after the publish, before the delay was due`);
      same([entry.ready, entry.consumers, entry.next], [1, 0, null], "what the alarm found (ready, consumers, next deadline)");
      const r = await request("GET", "/jobs", [200]);
      same(r.text, "delayed-restart", "GET after the alarm");
      return `alarm ${at} ms after the publish found it ready; GET returned it`;
    });
  } finally {
    await stop().catch(() => {});
    rmSync(persist, { recursive: true, force: true });
  }
  return results;
}

// The Vercel Edge Function example (examples/edge/vercel/), started with its one command
// (`node examples/edge/vercel/serve.mjs`, here on a free port of 127.0.0.1) and stopped by its
// pid: topic routing into three queues, each GET consuming one in publish order, then a publish
// delayed 800 ms that a long-polling GET receives when it is due (a timer firing while the
// isolate runs a request), and a long poll that times out leaving no consumer behind.
import { spawn } from "node:child_process";
import { join } from "node:path";

export async function run({ root, scratch, withTimeout }) {
  const results = [];
  const step = async (name, fn) => {
    try {
      results.push({ name, ok: true, detail: (await fn()) ?? "" });
      return true;
    } catch (e) {
      results.push({ name, ok: false, detail: String(e?.stack ?? e) });
      return false;
    }
  };
  const same = (got, want, what) => {
    if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${what}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  };
  const child = spawn(process.execPath, [join(root, "examples/edge/vercel/serve.mjs"), "--port", "0", "--node-modules", join(scratch, "node_modules")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on("close", resolve));
  try {
    let url;
    const started = await step("vercel example: serve.mjs serves the Edge Function on 127.0.0.1", async () => {
      url = await withTimeout(
        new Promise((resolve, reject) => {
          let out = "";
          child.stdout.on("data", (d) => {
            out += d;
            const m = /Edge Function on (\S+)/.exec(out);
            if (m) resolve(m[1]);
          });
          child.on("close", (code) => reject(new Error(`serve.mjs exited (${code}) before serving\n${out}\n${stderr}`)));
        }),
        60_000,
        "serve.mjs",
      );
      if (new URL(url).hostname !== "127.0.0.1") throw new Error(`serving on ${url}, not 127.0.0.1`);
      return url;
    });
    if (!started) return results;
    const post = async (key, body, delay) => {
      const res = await fetch(`${url}?key=${key}${delay ? `&delay=${delay}` : ""}`, { method: "POST", body });
      same([res.status, await res.text()], [202, "confirmed\n"], `POST ${key}`);
    };
    const get = async (name, wait = 0) => {
      const res = await fetch(`${url}?name=${name}&wait=${wait}`);
      const body = await res.text();
      return { status: res.status, body, key: res.headers.get("x-routing-key"), waited: Number(res.headers.get("x-waited-ms")) };
    };
    await step("vercel example: topic routing; each GET consumes one, in publish order", async () => {
      await post("order.eu.created", "A");
      await post("order.us.created", "B");
      await post("user.signup", "C");
      const got = [];
      for (const q of ["eu-orders", "us-orders", "audit", "audit", "audit", "eu-orders", "audit"]) {
        const r = await get(q);
        got.push(r.status === 200 ? `${q}:${r.body}:${r.key}` : `${q}:${r.status}`);
      }
      same(got, [
        "eu-orders:A:order.eu.created", "us-orders:B:order.us.created",
        "audit:A:order.eu.created", "audit:B:order.us.created", "audit:C:user.signup",
        "eu-orders:204", "audit:204",
      ], "deliveries");
      return "eu-orders A, us-orders B, audit A B C, then empty";
    });
    await step("vercel example: a delayed publish (800 ms) reaches a long-polling GET when due", async () => {
      const t0 = Date.now();
      await post("order.eu.late", "D", 800);
      const now = await get("eu-orders");
      const later = await get("eu-orders", 5_000);
      const ms = Date.now() - t0;
      same([now.status, later.status, later.body, later.key], [204, 200, "D", "order.eu.late"], "before and after the delay");
      if (ms < 750 || ms > 3_000) throw new Error(`received ${ms} ms after the publish, expected ~800`);
      return `received ${ms} ms after the publish (the GET waited ${later.waited} ms)`;
    });
    await step("vercel example: a long poll that times out returns 204 and leaves no consumer", async () => {
      const t0 = Date.now();
      const r = await get("us-orders", 300);
      const ms = Date.now() - t0;
      same(r.status, 204, "GET ?wait=300 on an empty queue");
      if (ms < 290) throw new Error(`answered after ${ms} ms, before its wait`);
      const stats = Object.fromEntries((await (await fetch(url)).json()).map((s) => [s.queue, [s.messages, s.unacked, s.consumers]]));
      same(stats, { audit: [1, 0, 0], "eu-orders": [0, 0, 0], "us-orders": [0, 0, 0] }, "stats [messages, unacked, consumers]");
      return `204 after ${ms} ms; audit still holds D`;
    });
  } finally {
    try {
      process.kill(child.pid, "SIGTERM");
    } catch {}
    const timer = setTimeout(() => {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {}
    }, 5_000);
    await exited;
    clearTimeout(timer);
  }
  return results;
}

// The Durable Object store adapter in workerd (Miniflare): the example Worker's Durable Object
// hosts a bus persisting through durableObjectStore(ctx.storage). Publishes are confirmed over
// HTTP, one is consumed, Miniflare is disposed (workerd stopped) and recreated over the same
// persistence directory, and every confirmed, unconsumed message must come back, in order.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildWorker, miniflareOptions } from "../../examples/edge/durable-object/miniflare.mjs";

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
  try {
    await buildWorker(out, join(scratch, "node_modules"));
    const fetchOk = async (method, expect, data) => {
      const res = await withTimeout(mf.dispatchFetch("http://localhost/jobs", { method, body: data }), 30_000, `${method} /jobs`);
      const text = await res.text();
      if (!expect.includes(res.status)) throw new Error(`${method} /jobs: HTTP ${res.status}: ${text}`);
      return { status: res.status, text };
    };
    const ok1 = await step("durable object: POST publishes, confirmed", async () => {
      mf = new Miniflare(miniflareOptions(out, persist));
      for (let i = 0; i < N; i++) await fetchOk("POST", [201], body(i));
      const first = await fetchOk("GET", [200]);
      if (first.text !== body(0)) throw new Error(`GET: expected ${body(0)}, got ${first.text}`);
      return `${N} confirmed, 1 consumed`;
    });
    await mf?.dispose();
    mf = undefined;
    if (!ok1) return results;
    await step("durable object: survives a restart of workerd, no confirmed message lost", async () => {
      mf = new Miniflare(miniflareOptions(out, persist));
      const got = [];
      for (;;) {
        const r = await fetchOk("GET", [200, 204]);
        if (r.status === 204) break;
        got.push(r.text);
        if (got.length > N) break;
      }
      const want = Array.from({ length: N - 1 }, (_, i) => body(i + 1));
      if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`after restart: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
      return `${got.length} restored in order, then empty`;
    });
  } finally {
    await mf?.dispose();
    rmSync(persist, { recursive: true, force: true });
  }
  return results;
}

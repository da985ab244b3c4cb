// Deno workers share a bus with the main thread (scope "origin": Deno has Web Locks and a
// BroadcastChannel across workers): competing consumers in two workers get each message once; a
// terminated worker's unacked messages are redelivered to the other; and once every connection
// is closed the process exits by itself (the realm leaves the bus).
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export async function run({ scratch, work, runChild, bin, MARK }) {
  writeFileSync(join(work, "deno.json"), JSON.stringify({ nodeModulesDir: "manual" }));
  writeFileSync(
    join(work, "deno-worker.mjs"),
    `import { connect } from "switchyard";
const conn = await connect("switchyard://deno-workers", { scope: "origin" });
const ch = await conn.createChannel();
await ch.assertQueue("jobs", { durable: false });
self.onmessage = async ({ data: { hold } }) => {
  await ch.prefetch(hold ? 3 : 100);
  await ch.consume("jobs", (m) => {
    postMessage({ body: new TextDecoder().decode(m.content), redelivered: m.fields.redelivered });
    if (!hold) ch.ack(m);
  });
  postMessage("consuming");
};
postMessage(conn.linkState());
`,
  );
  writeFileSync(
    join(work, "deno-workers.mjs"),
    `import { connect } from "switchyard";
const results = [];
const check = (name, ok, detail) => results.push({ name, ok: !!ok, detail: ok ? undefined : detail });
const until = async (f, ms = 10000) => { const end = Date.now() + ms; while (!f()) { if (Date.now() > end) return false; await new Promise((r) => setTimeout(r, 20)); } return true; };
const conn = await connect("switchyard://deno-workers", { scope: "origin" });
const start = (hold) => new Promise((resolve) => {
  const w = new Worker(new URL("./deno-worker.mjs", import.meta.url).href, { type: "module" });
  const got = [];
  w.onmessage = ({ data }) => {
    if (data === "consuming") resolve({ w, got });
    else if (typeof data.scope === "string") { w.state = data; w.postMessage({ hold }); }
    else got.push(data);
  };
});
const holder = await start(true);
const keeper = await start(false);
check("the main thread leads; both workers follow it", conn.linkState().leader && [holder, keeper].every((x) => x.w.state.leaderId === conn.linkState().contextId && !x.w.state.leader), JSON.stringify([holder.w.state, keeper.w.state]));
const kinds = (await conn.contexts()).map((c) => c.kind + (c.leader ? "*" : "")).join(",");
check("contexts(): the main thread and two dedicated workers", kinds === "main thread*,dedicated worker,dedicated worker", kinds);
const ch = await conn.createConfirmChannel();
for (let i = 0; i < 50; i++) ch.sendToQueue("jobs", new TextEncoder().encode("m" + i));
await ch.waitForConfirms();
await until(() => holder.got.length + keeper.got.length === 50);
const all = [...holder.got, ...keeper.got].map((d) => d.body).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
check("50 messages, each delivered once across the two workers", all.join() === Array.from({ length: 50 }, (_, i) => "m" + i).join() && holder.got.length === 3, holder.got.length + "+" + keeper.got.length);
const heldBodies = holder.got.map((d) => d.body).sort().join();
holder.w.terminate();
const back = await until(() => keeper.got.filter((d) => d.redelivered).length === 3);
check("the terminated worker's 3 unacked messages come back redelivered to the other", back && keeper.got.filter((d) => d.redelivered).map((d) => d.body).sort().join() === heldBodies, JSON.stringify(keeper.got.filter((d) => d.redelivered)));
keeper.w.terminate();
await ch.close();
await conn.close();
console.log(${JSON.stringify(MARK)} + JSON.stringify(results));
// No Deno.exit(): the process must end by itself once the last connection closed.
`,
  );
  const res = await runChild(bin("deno"), ["run", "--allow-read", "--config", join(work, "deno.json"), join(work, "deno-workers.mjs")], {
    cwd: scratch,
    env: { DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", NO_COLOR: "1" },
    timeout: 30_000,
  });
  const line = res.stdout.split("\n").find((l) => l.startsWith(MARK));
  const results = line ? JSON.parse(line.slice(MARK.length)) : [{ name: "runs", ok: false, detail: `exit ${res.code}\n${res.stdout}\n${res.stderr}` }];
  results.push({ name: "the process exits by itself after the last connection closed", ok: res.code === 0, detail: `exit ${res.code} ${res.stderr}`.trim() });
  return results;
}

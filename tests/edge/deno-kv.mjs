// The Deno KV store adapter across a restart of Deno: process 1 publishes persistent messages
// with confirms (one batch big enough to be split into several atomic commits) and exits
// without closing anything; process 2 opens the same KV file and must get every confirmed
// message back, in order.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export async function run({ root, scratch, pkgDir, work, runChild, bin, MARK }) {
  const packed = join(pkgDir, "store-deno-kv.js");
  const adapter = existsSync(packed) ? packed : join(root, "pkg-template/store-deno-kv.js");
  const dir = mkdtempSync(join(tmpdir(), "switchyard-kv-"));
  const kvPath = join(dir, "bus.kv");
  const N = 1500; // > 1000 KV mutations: the first batch is chunked
  writeFileSync(join(work, "deno.json"), JSON.stringify({ nodeModulesDir: "manual" }));
  writeFileSync(
    join(work, "deno-kv.mjs"),
    `import { connect } from "switchyard";
import { denoKvStore } from ${JSON.stringify(adapter)};
const [phase, path, n] = Deno.args;
const N = Number(n);
const kv = await Deno.openKv(path);
let commits = 0;
const atomic = kv.atomic.bind(kv);
kv.atomic = () => (commits++, atomic());
const conn = await connect("switchyard://kv", { storage: denoKvStore(kv, ["test"]) });
const ch = await conn.createConfirmChannel();
await ch.assertQueue("jobs", { durable: true });
const enc = new TextEncoder(), dec = new TextDecoder();
const out = {};
if (phase === "publish") {
  let acked = 0;
  for (let i = 0; i < N; i++) ch.sendToQueue("jobs", enc.encode("m" + i), { persistent: true }, (err) => { if (!err) acked++; });
  await ch.waitForConfirms();
  out.acked = acked;
  out.commits = commits;
} else {
  const got = [];
  for (;;) { const m = await ch.get("jobs", { noAck: true }); if (!m) break; got.push(dec.decode(m.content)); }
  out.count = got.length;
  out.inOrder = got.every((b, i) => b === "m" + i);
  out.first = got[0]; out.last = got.at(-1);
}
console.log(${JSON.stringify(MARK)} + JSON.stringify(out));
Deno.exit(0); // no close(): as a killed process would
`,
  );
  const deno = (phase) =>
    runChild(bin("deno"), ["run", "--unstable-kv", "--allow-read", "--allow-write", "--config", join(work, "deno.json"), join(work, "deno-kv.mjs"), phase, kvPath, String(N)], {
      cwd: scratch,
      env: { DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", NO_COLOR: "1" },
    });
  const parse = (r) => {
    const line = r.stdout.split("\n").find((l) => l.startsWith(MARK));
    if (!line) throw new Error(`exit ${r.code}, no result\n${r.stdout}\n${r.stderr}`);
    return JSON.parse(line.slice(MARK.length));
  };
  const results = [];
  try {
    const a = parse(await deno("publish"));
    const ok1 = a.acked === N;
    results.push({ name: "deno kv: publish with confirms (chunked batch), exit", ok: ok1, detail: `${a.acked}/${N} confirmed in ${a.commits} atomic commits` });
    if (!ok1) return results;
    const b = parse(await deno("consume"));
    results.push({
      name: "deno kv: new process consumes every confirmed message, in order",
      ok: b.count === N && b.inOrder,
      detail: `${b.count}/${N} back, in order: ${b.inOrder} (${b.first} … ${b.last})`,
    });
  } catch (e) {
    results.push({ name: "deno kv: restart", ok: false, detail: String(e?.stack ?? e) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

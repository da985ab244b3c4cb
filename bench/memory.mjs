// Workload 5, memory: bytes per queued message in a switchyard queue (wasm linear memory and JS
// heap) at 100,000 and 1,000,000 messages, beside a plain JS array of amqplib-shaped message
// objects (what a JS queue would hold). Node; each cell runs in its own child process with
// --expose-gc so that heaps do not mix. All messages share one 16-byte body, so the numbers are
// the overhead per message beyond its body.
//   node bench/memory.mjs [--smoke] [--node-modules DIR]
// The package does not expose its WebAssembly.Memory; the child records it by wrapping the
// WebAssembly.Instance constructor before the package loads (node.cjs instantiates with it).
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { benchOptions, nodeEntry, progress } from "./lib/options.mjs";
import { fmt, table } from "./lib/stats.js";

const CHILD = process.argv.includes("--child");
if (CHILD) {
  const [impl, n, entry] = process.argv.slice(process.argv.indexOf("--child") + 1);
  console.log(JSON.stringify(await measure(impl, Number(n), entry)));
} else {
  const opts = benchOptions();
  const SIZES = opts.smoke ? [1_000, 10_000] : [100_000, 1_000_000];
  const rows = [];
  for (const n of SIZES) {
    for (const impl of ["switchyard", "JS array of message objects"]) {
      const args = ["--expose-gc", fileURLToPath(import.meta.url), "--child", impl, String(n), nodeEntry(opts.nodeModules)];
      const r = JSON.parse(execFileSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 20 }));
      const per = (bytes) => fmt(bytes / n);
      rows.push([n.toLocaleString("en-US"), impl, r.depth.toLocaleString("en-US"), per(r.wasm), per(r.heap), per(r.external), per(r.wasm + r.heap + r.external)]);
      progress(".");
    }
  }
  progress("\n");
  console.log(`\n## Memory per queued message\n`);
  console.log(
    `switchyard ${opts.pkg.version} in Node ${process.versions.node}: one queue, no consumer, messages published with sendToQueue ` +
      `(one shared 16-byte body, default properties); growth after a full GC, divided by the number of messages. wasm: growth of ` +
      `the wasm memory (it only grows, in 64 KiB pages). heap: V8 heapUsed. external: Node's external memory less the wasm ` +
      `memory. Target (issue #8): under 200 bytes per message beyond its body.\n`,
  );
  console.log(table(["messages", "implementation", "queue depth", "wasm B/msg", "JS heap B/msg", "external B/msg", "total B/msg"], rows));
}

async function measure(impl, n, entry) {
  let memory;
  const Instance = WebAssembly.Instance;
  WebAssembly.Instance = new Proxy(Instance, {
    construct(target, args) {
      const instance = Reflect.construct(target, args);
      memory ??= instance.exports.memory;
      return instance;
    },
  });
  const { connect } = await import(entry);
  const body = new Uint8Array(16).fill(0x78);
  const snapshot = () => {
    globalThis.gc();
    const m = process.memoryUsage();
    const wasm = memory?.buffer.byteLength ?? 0;
    return { wasm, heap: m.heapUsed, external: m.external - wasm };
  };
  let keep;
  let depth;
  let conn;
  if (impl === "switchyard") {
    conn = await connect("switchyard://bench-memory", { scope: "local", storage: "memory" });
    const ch = await conn.createChannel();
    await ch.assertQueue("q");
    await new Promise((r) => setTimeout(r, 10));
    var before = snapshot();
    for (let i = 0; i < n; i++) ch.sendToQueue("q", body);
    await new Promise((r) => setTimeout(r, 10));
    depth = (await ch.checkQueue("q")).messageCount;
  } else {
    before = snapshot();
    keep = [];
    for (let i = 0; i < n; i++) {
      keep.push({ content: body, fields: { deliveryTag: i + 1, redelivered: false, exchange: "", routingKey: "q" }, properties: { headers: {} } });
    }
    depth = keep.length;
  }
  const after = snapshot();
  const growth = Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]]));
  keep = null;
  await conn?.close();
  return { depth, ...growth };
}

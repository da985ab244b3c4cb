// node examples/edge/durable-object/serve.mjs [--port 8787] [--node-modules build/scratch/node_modules]
// Serves the Worker + Durable Object on http://127.0.0.1:PORT/jobs with workerd (Miniflare),
// Durable Object storage (and its alarm) persisted in build/edge-example-do/ (survives
// restarts). Ctrl-C stops it.
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildWorker, miniflareOptions } from "./miniflare.mjs";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const { values } = parseArgs({
  options: { port: { type: "string", default: "8787" }, "node-modules": { type: "string", default: join(repo, "build/scratch/node_modules") } },
});
const out = join(repo, "build/edge-example-do/worker");
await buildWorker(out, resolve(values["node-modules"]));
const { Miniflare } = await import("miniflare");
const mf = new Miniflare(miniflareOptions(out, join(repo, "build/edge-example-do/state"), { port: Number(values.port) }));
const url = new URL("/jobs", await mf.ready);
const ws = url.href.replace(/^http/, "ws");
console.log(`Durable Object broker on ${url}`);
console.log(`  curl -X POST --data hello ${url}             # publish (201 once confirmed)`);
console.log(`  curl -X POST --data later '${url}?delay=5000'  # published in 5 s (the object's alarm)`);
console.log(`  curl -i ${url}                              # consume one (204 when empty)`);
console.log(`  node examples/edge/durable-object/client.mjs ${ws}   # WebSocket consumer`);
const stop = async () => {
  await mf.dispose();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

// node examples/edge/vercel/serve.mjs [--port 3000] [--node-modules build/scratch/node_modules]
// Serves the Edge Function api/queue.js on http://127.0.0.1:PORT/api/queue with Vercel's
// edge-runtime (see edge-runtime.mjs). Ctrl-C stops it.
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildFunction, serveFunction } from "./edge-runtime.mjs";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const { values } = parseArgs({
  options: { port: { type: "string", default: "3000" }, "node-modules": { type: "string", default: join(repo, "build/scratch/node_modules") } },
});
const built = await buildFunction(join(repo, "build/edge-example-vercel"), resolve(values["node-modules"]));
const server = await serveFunction(built, { port: Number(values.port) });
const url = server.url;
console.log(`Edge Function on ${url}`);
console.log(`  curl -X POST --data 'order 1' '${url}?key=order.eu.created'          # publish (202 once confirmed)`);
console.log(`  curl -X POST --data 'order 2' '${url}?key=order.us.created&delay=2000'  # published in 2 s`);
console.log(`  curl -i '${url}?name=eu-orders'                                       # consume one (204 if none)`);
console.log(`  curl -i '${url}?name=us-orders&wait=5000'                             # wait up to 5 s for one`);
console.log(`  curl '${url}'                                                         # the queues' stats`);
const stop = async () => {
  await server.close();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

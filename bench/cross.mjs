// Workload 2: messages between contexts in headless Chromium — tab → tab and tab → dedicated
// worker — with switchyard's origin-wide bus beside raw BroadcastChannel, raw MessageChannel
// (tab → worker only: tabs share no port) and the npm broadcast-channel package (its "native"
// and "idb" methods), measured in the same run. A cell whose messages do not all arrive within
// CELL_LIMIT_MS is reported as such (broadcast-channel lost messages here at times).
//   node bench/cross.mjs [--smoke] [--runs N] [--node-modules DIR]
// Throughput: N messages of 16 bytes sent in one task; time from the first send to the last
// arrival. Latency: messages sent one per setTimeout(0); arrival − send on the shared clock
// (performance.timeOrigin + now()), p50 and p99 over every paced message of every run.
// switchyard runs on a bus of its own per run, storage "memory" (durability is bench/durable.mjs):
// a sender → receiver path crosses the leader, which is the sender, or a third tab (two hops).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchBrowser, startServer } from "./lib/browser.mjs";
import { bundle } from "./lib/bundle.mjs";
import { benchOptions, progress } from "./lib/options.mjs";
import { fmt, range, ratio, summary, table } from "./lib/stats.js";

const opts = benchOptions({}, 3);
const N = opts.smoke ? 200 : 20_000;
const PACED = opts.smoke ? 20 : 500;
const CELL_LIMIT_MS = opts.smoke ? 5_000 : 20_000;

const PATHS = [
  { path: "tab → tab", impls: ["switchyard", "BroadcastChannel", "broadcast-channel (native)", "broadcast-channel (idb)"] },
  { path: "tab → tab, a third tab leads", impls: ["switchyard"] },
  { path: "tab → worker", impls: ["switchyard", "BroadcastChannel", "MessageChannel", "broadcast-channel (native)", "broadcast-channel (idb)"] },
];

const alt = mkdtempSync(join(tmpdir(), "switchyard-bench-cross-"));
await bundle('export { BroadcastChannel } from "broadcast-channel";', join(alt, "cross-alts.js"));
const server = await startServer(opts.nodeModules, { "/alt/": alt });
const browser = await launchBrowser();
const started = Date.now();
let chromium = "?";
const results = [];
try {
  const tab = async () => {
    const page = await browser.context.newPage();
    page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
    await page.goto(`${server.url}/pages/cross.html`);
    await page.waitForFunction(() => window.bench);
    return page;
  };
  const [third, sender, receiver] = [await tab(), await tab(), await tab()];
  chromium = /Chrome\/(\S+)/.exec(await sender.evaluate(() => navigator.userAgent))?.[1] ?? "?";
  await sender.evaluate(() => window.bench.startWorker());
  // A context's agent: the page itself, or the worker behind the sender page.
  const inPage = (page) => (method, cell) => page.evaluate(([m, c]) => window.bench[m](c), [method, cell]);
  const inWorker = (method, cell) => sender.evaluate(([m, c]) => window.bench.worker(m, c), [method, cell]);
  let buses = 0;

  for (const { path, impls } of PATHS) {
    for (const impl of impls) {
      progress(`${path}, ${impl} `);
      const from = inPage(sender);
      const to = path === "tab → worker" ? inWorker : inPage(receiver);
      const rates = [];
      const latencies = [];
      let stuck = null;
      for (let run = 0; run < opts.runs + 1 && !stuck; run++) {
        for (const paced of [false, true]) {
          const name = `bench-cross-${process.pid}-${++buses}`;
          const n = paced ? PACED : N;
          // The first context to join a bus leads it.
          if (path.includes("third tab")) await inPage(third)("open", { impl, name });
          await from("open", { impl, name });
          await to("open", { impl, name });
          const got = to("receive", { impl, name, n });
          await from("send", { impl, name, n, paced });
          let timer;
          const r = await Promise.race([got, new Promise((resolve) => (timer = setTimeout(resolve, CELL_LIMIT_MS, null)))]);
          clearTimeout(timer);
          if (!r) {
            stuck = `${paced ? "paced" : "burst"} run ${run}: ${n} messages not all delivered within ${CELL_LIMIT_MS / 1000} s`;
            break;
          }
          if (run === 0) continue; // warm-up
          if (paced) latencies.push(...r.latencies);
          else rates.push((n / r.ms) * 1000);
        }
        progress(".");
      }
      if (!stuck) for (const who of [from, to, inPage(third)]) await who("closeAll", {});
      progress("\n");
      const sorted = latencies.sort((a, b) => a - b);
      const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
      results.push({ path, impl, rate: summary(rates), p50: pct(50), p99: pct(99), stuck });
    }
  }
} finally {
  await browser.close();
  server.stop();
  rmSync(alt, { recursive: true, force: true });
}

console.log(`\n## Between contexts (Chromium ${chromium}, headless)\n`);
console.log(
  `switchyard ${opts.pkg.version} on the origin-wide bus (storage "memory"); ${N.toLocaleString("en-US")} messages of 16 bytes ` +
    `per throughput run, ${PACED} paced messages per latency run; ${opts.runs} runs ` +
    `after a warm-up (median, min–max). postal 3's transports are not measured (not in this run). ${((Date.now() - started) / 1000).toFixed(1)} s.\n`,
);
const rows = results.map((r) => {
  const raw = results.find((x) => x.path === r.path && x.impl === "BroadcastChannel") ?? results.find((x) => x.path === "tab → tab" && x.impl === "BroadcastChannel");
  if (r.stuck) return [r.path, r.impl, `– (${r.stuck})`, "–", "–", "–"];
  return [r.path, r.impl, range(r.rate), ratio(r.rate.med, raw?.rate.med), fmt(r.p50), fmt(r.p99)];
});
console.log(table(["path", "implementation", "messages/s", "× raw BroadcastChannel", "latency p50, ms", "latency p99, ms"], rows));

// Workload 2: messages between contexts — tab → tab and tab → dedicated worker — in each browser
// engine (headless Chromium, Firefox ESR, WebKitGTK), with switchyard's origin-wide bus beside
// raw BroadcastChannel, raw MessageChannel (tab → worker only: tabs share no port), postal 3 with
// its two transport packages, and the npm broadcast-channel package (its "native" and "idb"
// methods), all measured in the same engine in the same run. A cell whose messages do not all
// arrive within cellLimitMs() is reported as such (broadcast-channel lost messages here at times).
//   node bench/cross.mjs [--smoke] [--runs N] [--engines chromium,firefox,webkit] [--node-modules DIR]
// --engines: one table section per engine (default: all three). WebKitGTK needs an X display
// (bench/run.mjs runs this under `xvfb-run -a`); its tabs are windows (webkit.mjs).
// Throughput: N messages of 16 bytes sent in one task; time from the first send to the last
// arrival. Latency: messages sent one per setTimeout(0); arrival − send on the shared clock
// (performance.timeOrigin + now()), p50 and p99 over every paced message of every run.
// switchyard runs on a bus of its own per run, storage "memory" (durability is bench/durable.mjs):
// a sender → receiver path crosses the leader, which is the sender, or a third tab (two hops).
// --smoke: a cell of switchyard or a platform channel that throws or does not deliver, or an
// engine that cannot start, fails the program (a broken program, not a slow one: the limit is
// generous); an alternative's undelivered messages are only reported.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { engineVersion, enginesOption, measureOrSay, parseEngines, withEngine } from "./lib/browser.mjs";
import { bundle } from "./lib/bundle.mjs";
import { benchDir, benchOptions, progress } from "./lib/options.mjs";
import { fmt, range, ratio, summary, table } from "./lib/stats.js";

const BASELINES = new Set(["switchyard", "BroadcastChannel", "MessageChannel"]);

const opts = benchOptions({ ...enginesOption }, 3);
const engines = parseEngines(opts.engines);
const N = opts.smoke ? 200 : 20_000;
const PACED = opts.smoke ? 20 : 500;
// How long a run's messages may take to arrive. In smoke mode, generous for switchyard and the
// platform channels (a miss fails the smoke run), short for the alternatives (only reported).
const cellLimitMs = (impl) => (!opts.smoke ? 20_000 : BASELINES.has(impl) ? 15_000 : 4_000);

const POSTAL_BC = "postal 3 + BroadcastChannel transport";
const POSTAL_PORT = "postal 3 + MessagePort transport";
const PATHS = [
  {
    path: "tab → tab",
    impls: ["switchyard", "BroadcastChannel", "MessageChannel", POSTAL_BC, POSTAL_PORT, "broadcast-channel (native)", "broadcast-channel (idb)"],
    notRun: {
      MessageChannel: "n/a: two tabs share no MessagePort without a third context (e.g. a shared worker) to hand one over",
      [POSTAL_PORT]:
        "n/a: postal-transport-messageport connects a page to its iframes (connectToIframe) and dedicated workers (connectToWorker) only, not to another tab",
    },
  },
  { path: "tab → tab, a third tab leads", impls: ["switchyard"] },
  {
    path: "tab → worker",
    impls: ["switchyard", "BroadcastChannel", "MessageChannel", POSTAL_BC, POSTAL_PORT, "broadcast-channel (native)", "broadcast-channel (idb)"],
  },
];

const version = (name) => JSON.parse(readFileSync(join(benchDir, "node_modules", name, "package.json"), "utf8")).version;
const alt = mkdtempSync(join(tmpdir(), "switchyard-bench-cross-"));
await bundle(
  [
    'export { BroadcastChannel } from "broadcast-channel";',
    'export * as postal from "postal";',
    'export { createBroadcastChannelTransport } from "postal-transport-broadcastchannel";',
    'export { connectToHost, connectToWorker } from "postal-transport-messageport";',
  ].join("\n"),
  join(alt, "cross-alts.js"),
);

/** Every cell of PATHS in `engine`: { results, clock, seconds }. */
async function measure(engine) {
  const started = Date.now();
  const results = [];
  let clock = NaN;
  await withEngine(engine, { nodeModules: opts.nodeModules, mounts: { "/alt/": alt } }, async ({ newPage }) => {
    const [third, sender, receiver] = [await newPage("/pages/cross.html"), await newPage("/pages/cross.html"), await newPage("/pages/cross.html")];
    clock = await sender.evaluate(() => window.bench.timerResolution());
    await sender.evaluate(() => window.bench.startWorker());
    // A context's agent: the page itself, or the worker behind the sender page.
    const inPage = (page) => (method, cell) => page.evaluate(([m, c]) => window.bench[m](c), [method, cell]);
    const inWorker = (method, cell) => sender.evaluate(([m, c]) => window.bench.worker(m, c), [method, cell]);
    let buses = 0;

    for (const { path, impls, notRun = {} } of PATHS) {
      for (const impl of impls) {
        if (notRun[impl]) {
          results.push({ path, impl, notRun: notRun[impl] });
          continue;
        }
        progress(`${engine}: ${path}, ${impl} `);
        const from = inPage(sender);
        const to = path === "tab → worker" ? inWorker : inPage(receiver);
        const rates = [];
        const latencies = [];
        let stuck = null;
        let error = null;
        try {
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
              const limit = cellLimitMs(impl);
              const r = await Promise.race([got, new Promise((resolve) => (timer = setTimeout(resolve, limit, null)))]);
              clearTimeout(timer);
              if (!r) {
                stuck = `${paced ? "paced" : "burst"} run ${run}: ${n} messages not all delivered within ${limit / 1000} s`;
                break;
              }
              if (run === 0) continue; // warm-up
              if (paced) latencies.push(...r.latencies);
              else rates.push((n / r.ms) * 1000);
            }
            progress(".");
          }
          if (!stuck) for (const who of [from, to, inPage(third)]) await who("closeAll", {});
        } catch (e) {
          error = String(e.message ?? e).split("\n")[0];
        }
        progress(stuck || error ? " (not complete)\n" : "\n");
        const sorted = latencies.sort((a, b) => a - b);
        const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
        results.push({ path, impl, rate: summary(rates), p50: pct(50), p99: pct(99), stuck, error });
      }
    }
  });
  return { results, clock, seconds: (Date.now() - started) / 1000 };
}

let broken = 0; // smoke mode: see the header comment
const out = [];
for (const engine of engines) {
  const name = engineVersion(engine);
  out.push(`\n## Between contexts (${name})\n`);
  const m = await measureOrSay(engine, measure, out);
  if (!m) {
    broken++;
    continue;
  }
  const { results } = m;
  broken += results.filter((r) => r.error || (r.stuck && BASELINES.has(r.impl))).length;
  out.push(
    `switchyard ${opts.pkg.version} on the origin-wide bus (storage "memory"); ${N.toLocaleString("en-US")} messages of 16 bytes ` +
      `per throughput run, ${PACED} paced messages per latency run; ${opts.runs} run${opts.runs > 1 ? "s" : ""} after a warm-up (median, min–max); ` +
      `performance.now() ticks by ${Number(m.clock.toPrecision(2))} ms here, which bounds the latency columns. ` +
      `postal ${version("postal")} itself has no cross-context transport, only \`addTransport()\`: its transports are the packages ` +
      `postal-transport-broadcastchannel ${version("postal-transport-broadcastchannel")} and postal-transport-messageport ` +
      `${version("postal-transport-messageport")}. ${m.seconds.toFixed(1)} s.\n`,
  );
  const rows = results.map((r) => {
    if (r.notRun) return [r.path, r.impl, `– (${r.notRun})`, "–", "–", "–"];
    if (r.error) return [r.path, r.impl, `– (failed: ${r.error})`, "–", "–", "–"];
    if (r.stuck) return [r.path, r.impl, `– (${r.stuck})`, "–", "–", "–"];
    const raw =
      results.find((x) => x.path === r.path && x.impl === "BroadcastChannel" && x.rate) ??
      results.find((x) => x.path === "tab → tab" && x.impl === "BroadcastChannel" && x.rate);
    return [r.path, r.impl, range(r.rate), ratio(r.rate.med, raw?.rate.med), fmt(r.p50), fmt(r.p99)];
  });
  out.push(table(["path", "implementation", "messages/s", "× raw BroadcastChannel", "latency p50, ms", "latency p99, ms"], rows));
}
rmSync(alt, { recursive: true, force: true });
console.log(out.join("\n"));
if (opts.smoke && broken) {
  console.error(`cross.mjs --smoke: ${broken} cell(s) or engine(s) failed (see the tables)`);
  process.exit(1);
}

// Confirmed persistent publishes per second to a durable queue, in each browser engine (headless
// Chromium, Firefox ESR, WebKitGTK): switchyard beside raw IndexedDB, Dexie and the npm
// broadcast-channel's "idb" method, all measured in the same page of the same run, with
// IndexedDB durability "strict" and "relaxed". A program that prints Markdown tables, not a
// test: it asserts nothing.
//   node bench/durable.mjs [--smoke] [--runs N] [--engines chromium,firefox,webkit] [--in-memory]
//                          [--node-modules DIR]
// --smoke      every cell once with few messages (for CI: a check that the program runs; a cell
//              that throws or hangs, or an engine that cannot start, fails it)
// --engines    the engines to run in, one table section each (default: all three). WebKitGTK
//              needs an X display (bench/run.mjs runs this under `xvfb-run -a`).
// --in-memory  Chromium in an off-the-record context and WebKitGTK in MiniBrowser (IndexedDB in memory)
//              instead of a profile on disk
// The browsers and server come from lib/browser.mjs; the package is the one `make scratch`
// installs (build/scratch/node_modules); Dexie and broadcast-channel are bench/package.json's
// pinned releases, bundled by esbuild.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { engineVersion, enginesOption, measureOrSay, parseEngines, storageOf, withEngine } from "./lib/browser.mjs";
import { bundle } from "./lib/bundle.mjs";
import { benchOptions, progress } from "./lib/options.mjs";
import { fmt, range, ratio, summary } from "./lib/stats.js";

const opts = benchOptions({ "in-memory": { type: "boolean", default: false }, ...enginesOption });
const { pkg, smoke } = opts;
const engines = parseEngines(opts.engines);
const RUNS = opts.runs;
// Messages per cell: few where every message waits for its own transaction.
const SLOW_N = smoke ? 20 : 300;
const FAST_N = smoke ? 200 : 3000;
const PRODUCERS_N = smoke ? 100 : 1000;
// A cell that has not finished by then is reported as such (and skipped in later runs).
const CELL_LIMIT_MS = smoke ? 60_000 : 120_000;

// ----- the cells ----------------------------------------------------------------------------

const BC_IDB = "broadcast-channel (idb)";
const cells = [];
for (const durability of ["strict", "relaxed"]) {
  const main = (label, fn, args, extra = {}) => cells.push({ table: "main", durability, label, fn, args, ...extra });
  for (const batch of [1, 10, 100, 1000]) {
    main(`switchyard, ${batch} per task`, "switchyardRounds", { batch, n: batch === 1 ? SLOW_N : FAST_N });
  }
  main("raw IndexedDB, 1 per transaction", "rawTransactions", { perTx: 1, n: SLOW_N }, { baseline: "raw1" });
  main("raw IndexedDB, 100 per transaction", "rawTransactions", { perTx: 100, n: FAST_N }, { baseline: "raw100" });
  main("Dexie add, 1 per transaction", "dexieWrites", { perCall: 1, n: SLOW_N });
  main("Dexie bulkAdd, 100 per call", "dexieWrites", { perCall: 100, n: FAST_N });
  // The package hard-codes durability "relaxed": its rows are run in that section only.
  const notStrict = durability === "strict" ? 'not run: the package hard-codes durability "relaxed"; see the relaxed rows' : null;
  main(`${BC_IDB}, 1 postMessage awaited at a time`, "broadcastChannelIdb", { perTask: 1, n: SLOW_N }, { notRun: notStrict });
  main(`${BC_IDB}, 100 postMessages per task`, "broadcastChannelIdb", { perTask: 100, n: FAST_N }, { notRun: notStrict });
  for (const prefetch of [1, 100]) {
    cells.push({ table: "consume", durability, label: `switchyard, consume + ack, prefetch ${prefetch}`, fn: "switchyardConsume", args: { prefetch, n: prefetch === 1 ? SLOW_N : FAST_N } });
  }
  for (const perTx of [1, 100]) {
    const baseline = perTx === 100 ? "take100" : undefined;
    cells.push({ table: "consume", durability, label: `raw IndexedDB, read + delete ${perTx} per transaction`, fn: "rawTakeAndDelete", args: { perTx, n: perTx === 1 ? SLOW_N : FAST_N }, baseline });
  }
  for (const producers of [1, 20]) {
    for (const flush of ["microtask", "timeout"]) {
      const args = { producers, flush, n: producers === 1 ? SLOW_N : PRODUCERS_N };
      cells.push({ table: "flush", durability, impl: "switchyard", producers, flush, fn: "switchyardProducers", args });
      cells.push({ table: "flush", durability, impl: "raw IndexedDB group commit (JS)", producers, flush, fn: "rawGroupCommitProducers", args });
    }
  }
}

// ----- run ------------------------------------------------------------------------------

const alt = mkdtempSync(join(tmpdir(), "switchyard-bench-durable-"));
await bundle('export { Dexie } from "dexie"; export { BroadcastChannel } from "broadcast-channel";', join(alt, "durable-alts.js"));

/** Runs every cell RUNS times in `engine`: { samples: cell -> [result…], failed: cell -> reason, probe, seconds }. */
async function measure(engine) {
  const started = Date.now();
  const samples = new Map();
  const failed = new Map();
  let probe;
  const persistent = engine !== "firefox" && !opts["in-memory"]; // Firefox: its temporary profile is on disk
  await withEngine(engine, { nodeModules: opts.nodeModules, mounts: { "/alt/": alt }, persistent }, async ({ newPage }) => {
    const page = await newPage("/pages/durable.html");
    const call = (fn, args) => page.evaluate(({ fn, args }) => window.bench[fn](args), { fn, args });
    probe = {
      strict: await call("probeDurability", { durability: "strict" }),
      relaxed: await call("probeDurability", { durability: "relaxed" }),
      clock: await call("timerResolution", {}),
    };
    for (let run = 1; run <= RUNS; run++) {
      progress(`${engine} run ${run}/${RUNS} `);
      for (const cell of cells) {
        if (cell.notRun || failed.has(cell)) continue;
        let timer;
        const limit = new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`not finished within ${CELL_LIMIT_MS / 1000} s (run ${run})`)), CELL_LIMIT_MS);
        });
        try {
          const r = await Promise.race([call(cell.fn, { ...cell.args, durability: cell.durability }), limit]);
          if (!samples.has(cell)) samples.set(cell, []);
          samples.get(cell).push(r);
          progress(".");
        } catch (e) {
          failed.set(cell, String(e.message ?? e).split("\n")[0]);
          progress("x");
        } finally {
          clearTimeout(timer);
        }
      }
      progress("\n");
    }
  });
  return { samples, failed, probe, seconds: (Date.now() - started) / 1000 };
}

// ----- tables -------------------------------------------------------------------------------

let broken = 0; // smoke mode: cells that threw or hung, and engines that could not start
const out = [];
for (const engine of engines) {
  const name = engineVersion(engine);
  const persistent = engine !== "firefox" && !opts["in-memory"]; // Firefox: its temporary profile is on disk
  out.push(`\n## Confirmed persistent publishes to a durable queue (${name})\n`);
  const m = await measureOrSay(engine, measure, out);
  if (!m) {
    broken++;
    continue;
  }
  broken += m.failed.size;
  const { samples, failed, probe } = m;
  const stat = (cell, key) => summary(samples.get(cell).map((r) => r[key]));
  const why = (cell) => cell.notRun ?? (failed.has(cell) ? `failed: ${failed.get(cell)}` : null);
  out.push(
    `switchyard ${pkg.version}, ${name}, ${storageOf(engine, persistent)}; a readwrite transaction asked for durability ` +
      `"strict" reports \`${probe.strict}\`, for "relaxed" \`${probe.relaxed}\`; performance.now() ticks by ${Number(probe.clock.toPrecision(2))} ms. ${RUNS} run${RUNS > 1 ? "s" : ""} per cell ` +
      `(median, min–max), 100-byte bodies; ${m.seconds.toFixed(1)} s.\n`,
  );
  out.push("| durability | workload | msgs/s | ms per round (median) | × raw 1/tx | × raw 100/tx |");
  out.push("|---|---|---|---|---|---|");
  for (const durability of ["strict", "relaxed"]) {
    const main = cells.filter((c) => c.table === "main" && c.durability === durability);
    const base = Object.fromEntries(main.filter((c) => c.baseline && !why(c)).map((c) => [c.baseline, stat(c, "rate").med]));
    for (const c of main) {
      if (why(c)) {
        out.push(`| ${durability} | ${c.label} | – (${why(c)}) | – | – | – |`);
        continue;
      }
      const rate = stat(c, "rate");
      out.push(`| ${durability} | ${c.label} | ${range(rate)} | ${fmt(stat(c, "latency").med)} | ${ratio(rate.med, base.raw1)} | ${ratio(rate.med, base.raw100)} |`);
    }
  }

  out.push(`\n### Consumed and acked from a durable queue (${name})\n`);
  out.push(
    "The queue holds the messages first (not timed); one consumer takes and acks each, timed until its channel's close resolved (the store " +
      "has then written every ack). Raw IndexedDB: the same records read with getAll and deleted, so many per readwrite transaction. " +
      "Latency: median ms per message.\n",
  );
  out.push("| durability | workload | msgs/s | ms per message (median) | × raw read + delete 100/tx |");
  out.push("|---|---|---|---|---|");
  for (const durability of ["strict", "relaxed"]) {
    const rows = cells.filter((c) => c.table === "consume" && c.durability === durability);
    const base = rows.find((c) => c.baseline === "take100" && !why(c));
    const baseRate = base ? stat(base, "rate").med : undefined;
    for (const c of rows) {
      if (why(c)) {
        out.push(`| ${durability} | ${c.label} | – (${why(c)}) | – | – |`);
        continue;
      }
      const rate = stat(c, "rate");
      out.push(`| ${durability} | ${c.label} | ${range(rate)} | ${fmt(stat(c, "latency").med)} | ${ratio(rate.med, baseRate)} |`);
    }
  }

  out.push(`\n### Group commit: flushed at the end of the microtask checkpoint vs on setTimeout(0) (${name})\n`);
  out.push(
    "Producers publish one persistent message per task and await its confirm before the next. switchyard \"timeout\" delays each batch handed to " +
      "the store by a setTimeout(0) (an adapter wrapper: the batch is already cut, so it only measures the added wait); the plain-JS group " +
      "committer over raw IndexedDB cuts its batch on the timer, so more of what other tasks publish joins it.\n",
  );
  out.push("| durability | implementation | producers | flush | msgs/s | confirm latency ms (median) |");
  out.push("|---|---|---|---|---|---|");
  for (const c of cells.filter((x) => x.table === "flush")) {
    const cellsOut = why(c) ? [`– (${why(c)})`, "–"] : [range(stat(c, "rate")), range(stat(c, "latency"))];
    out.push(`| ${c.durability} | ${c.impl} | ${c.producers} | ${c.flush} | ${cellsOut.join(" | ")} |`);
  }
}
rmSync(alt, { recursive: true, force: true });
console.log(out.join("\n"));
if (smoke && broken) {
  console.error(`durable.mjs --smoke: ${broken} cell(s) or engine(s) failed (see the tables)`);
  process.exit(1);
}

// Confirmed persistent publishes per second to a durable queue, in headless Chromium: switchyard
// beside raw IndexedDB, with IndexedDB durability "strict" and "relaxed". A program that prints
// Markdown tables, not a test: it asserts nothing.
//   node bench/durable.mjs [--smoke] [--runs N] [--in-memory] [--node-modules DIR]
// --smoke      every cell once with few messages (for CI: a check that the program runs)
// --in-memory  an off-the-record browser context (IndexedDB in memory, as in the page tests)
//              instead of a profile on disk
// The browser and server come from lib/browser.mjs; the package is the one `make scratch`
// installs (build/scratch/node_modules).
import { benchOptions, progress } from "./lib/options.mjs";
import { withBenchPage } from "./lib/browser.mjs";
import { fmt, range, summary } from "./lib/stats.js";

const opts = benchOptions({ "in-memory": { type: "boolean", default: false } });
const { pkg, smoke } = opts;
const RUNS = opts.runs;
// Messages per cell: few where every message waits for its own transaction.
const SLOW_N = smoke ? 20 : 300;
const FAST_N = smoke ? 200 : 3000;
const PRODUCERS_N = smoke ? 100 : 1000;

// ----- the cells ----------------------------------------------------------------------------

const cells = [];
for (const durability of ["strict", "relaxed"]) {
  for (const batch of [1, 10, 100, 1000]) {
    cells.push({ table: "main", durability, label: `switchyard, ${batch} per task`, fn: "switchyardRounds", args: { batch, n: batch === 1 ? SLOW_N : FAST_N } });
  }
  cells.push({ table: "main", durability, label: "raw IndexedDB, 1 per transaction", fn: "rawTransactions", args: { perTx: 1, n: SLOW_N }, baseline: "raw1" });
  cells.push({ table: "main", durability, label: "raw IndexedDB, 100 per transaction", fn: "rawTransactions", args: { perTx: 100, n: FAST_N }, baseline: "raw100" });
  for (const producers of [1, 20]) {
    for (const flush of ["microtask", "timeout"]) {
      const args = { producers, flush, n: producers === 1 ? SLOW_N : PRODUCERS_N };
      cells.push({ table: "flush", durability, impl: "switchyard", producers, flush, fn: "switchyardProducers", args });
      cells.push({ table: "flush", durability, impl: "raw IndexedDB group commit (JS)", producers, flush, fn: "rawGroupCommitProducers", args });
    }
  }
}

// ----- run ------------------------------------------------------------------------------

const started = Date.now();
const samples = new Map(); // cell -> [result…]
const page = { nodeModules: opts.nodeModules, path: "/pages/durable.html", persistent: !opts["in-memory"] };
await withBenchPage(page, async (page) => {
  for (let run = 1; run <= RUNS; run++) {
    progress(`run ${run}/${RUNS} `);
    for (const cell of cells) {
      const args = { ...cell.args, durability: cell.durability };
      const r = await page.evaluate(({ fn, args }) => window.bench[fn](args), { fn: cell.fn, args });
      if (!samples.has(cell)) samples.set(cell, []);
      samples.get(cell).push(r);
      progress(".");
    }
    progress("\n");
  }
});

// ----- tables -------------------------------------------------------------------------------

const stat = (cell, key) => summary(samples.get(cell).map((r) => r[key]));

console.log(`\n## Confirmed persistent publishes to a durable queue\n`);
console.log(
  `switchyard ${pkg.version}, Chromium headless, IndexedDB ${opts["in-memory"] ? "in memory (off-the-record context)" : "on disk (persistent profile)"}, ` +
    `${RUNS} run${RUNS > 1 ? "s" : ""} per cell (median, min–max), 100-byte bodies; ${((Date.now() - started) / 1000).toFixed(1)} s.\n`,
);
console.log("| durability | workload | msgs/s | ms per round (median) | × raw 1/tx | × raw 100/tx |");
console.log("|---|---|---|---|---|---|");
for (const durability of ["strict", "relaxed"]) {
  const main = cells.filter((c) => c.table === "main" && c.durability === durability);
  const base = Object.fromEntries(main.filter((c) => c.baseline).map((c) => [c.baseline, stat(c, "rate").med]));
  for (const c of main) {
    const rate = stat(c, "rate");
    const ratio = (b) => `${(rate.med / base[b]).toFixed(2)}×`;
    console.log(`| ${durability} | ${c.label} | ${range(rate)} | ${fmt(stat(c, "latency").med)} | ${ratio("raw1")} | ${ratio("raw100")} |`);
  }
}

console.log(`\n## Group commit: flushed at the end of the microtask checkpoint vs on setTimeout(0)\n`);
console.log(
  "Producers publish one persistent message per task and await its confirm before the next. switchyard \"timeout\" delays each batch handed to " +
    "the store by a setTimeout(0) (an adapter wrapper: the batch is already cut, so it only measures the added wait); the plain-JS group " +
    "committer over raw IndexedDB cuts its batch on the timer, so more of what other tasks publish joins it.\n",
);
console.log("| durability | implementation | producers | flush | msgs/s | confirm latency ms (median) |");
console.log("|---|---|---|---|---|---|");
for (const c of cells.filter((x) => x.table === "flush")) {
  console.log(`| ${c.durability} | ${c.impl} | ${c.producers} | ${c.flush} | ${range(stat(c, "rate"))} | ${range(stat(c, "latency"))} |`);
}

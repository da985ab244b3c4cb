// Confirmed persistent publishes per second to a durable queue, in headless Chromium: switchyard
// beside raw IndexedDB, with IndexedDB durability "strict" and "relaxed". A program that prints
// Markdown tables, not a test: it asserts nothing.
//   node bench/durable.mjs [--smoke] [--runs N] [--in-memory] [--node-modules DIR]
// --smoke      every cell once with few messages (for CI: a check that the program runs)
// --in-memory  an off-the-record browser context (IndexedDB in memory, as in the page tests)
//              instead of a profile on disk
// Uses playwright-core from the root node_modules with /usr/bin/chromium (never downloads one),
// the launch flags of tests/browser/run.mjs, and the package installed by `make test-browser`
// (build/scratch/node_modules).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

const here = fileURLToPath(new URL(".", import.meta.url));
const root = resolve(here, "..");
const { values: opts } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    runs: { type: "string" },
    "in-memory": { type: "boolean", default: false },
    "node-modules": { type: "string", default: join(root, "build/scratch/node_modules") },
  },
});
const nodeModules = resolve(opts["node-modules"]);
let pkg;
try {
  pkg = JSON.parse(readFileSync(join(nodeModules, "switchyard/package.json"), "utf8"));
} catch {
  console.error(`no switchyard package under ${nodeModules}: run \`make scratch\` (or \`make test-browser\`) first`);
  process.exit(2);
}
const RUNS = opts.smoke ? 1 : Number(opts.runs ?? 5);
// Messages per cell: few where every message waits for its own transaction.
const SLOW_N = opts.smoke ? 20 : 300;
const FAST_N = opts.smoke ? 200 : 3000;
const PRODUCERS_N = opts.smoke ? 100 : 1000;
const LAUNCH_ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--no-first-run", "--disable-quic",
];

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

// ----- server and browser -------------------------------------------------------------------

const server = spawn(process.execPath, [join(root, "scripts/serve.mjs"), here, "--port", "0", "--mount", `/node_modules/=${nodeModules}`], {
  stdio: ["ignore", "pipe", "inherit"],
});
const baseUrl = await new Promise((ok, fail) => {
  server.stdout.on("data", (chunk) => {
    const match = /serving (http\S+?)\/?$/m.exec(String(chunk));
    if (match) ok(match[1]);
  });
  server.on("exit", (code) => fail(new Error(`scripts/serve.mjs exited with ${code}`)));
});

const launch = { executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: LAUNCH_ARGS };
let profile;
let browser;
let context;
if (opts["in-memory"]) {
  browser = await chromium.launch(launch);
  context = await browser.newContext();
} else {
  profile = mkdtempSync(join(tmpdir(), "switchyard-bench-"));
  context = await chromium.launchPersistentContext(profile, launch);
}

const started = Date.now();
const samples = new Map(); // cell -> [result…]
try {
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
  await page.goto(`${baseUrl}/pages/durable.html`);
  await page.waitForFunction(() => window.bench);
  for (let run = 1; run <= RUNS; run++) {
    process.stderr.write(`run ${run}/${RUNS} `);
    for (const cell of cells) {
      const args = { ...cell.args, durability: cell.durability };
      const r = await page.evaluate(({ fn, args }) => window.bench[fn](args), { fn: cell.fn, args });
      if (!samples.has(cell)) samples.set(cell, []);
      samples.get(cell).push(r);
      process.stderr.write(".");
    }
    process.stderr.write("\n");
  }
} finally {
  await context.close();
  await browser?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  server.kill("SIGTERM"); // by pid
}

// ----- tables -------------------------------------------------------------------------------

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2;
};
const fmt = (x) => (x >= 100 ? Math.round(x).toLocaleString("en-US") : x.toFixed(x >= 10 ? 1 : 2));
const stat = (cell, key) => {
  const xs = samples.get(cell).map((r) => r[key]);
  return { med: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
};
const range = ({ med, min, max }) => (RUNS > 1 ? `${fmt(med)} (${fmt(min)}–${fmt(max)})` : fmt(med));

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

// Workload 1, in-process topic pub/sub, in Node and in a headless Chromium page: 1 publisher,
// 100,000 small messages, 10 consumers of which 3 match, switchyard beside mitt, postal 2,
// postal 3 and a hand-written Map dispatch (the limit); then routing with 1,000 and 100,000
// more bindings. Prints Markdown tables; asserts nothing (a timing never fails CI).
//   node bench/pubsub.mjs [--smoke] [--runs N] [--node-modules DIR] [--node-only | --browser-only]
// The workload itself is lib/pubsub.js (the same module in both runtimes).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as alternatives from "./lib/alternatives.js";
import { withBenchPage } from "./lib/browser.mjs";
import { bundle } from "./lib/bundle.mjs";
import { benchOptions, nodeEntry, progress } from "./lib/options.mjs";
import { IMPLEMENTATIONS, runCell } from "./lib/pubsub.js";
import { millions, range, ratio, summary, table } from "./lib/stats.js";

const opts = benchOptions({ "node-only": { type: "boolean" }, "browser-only": { type: "boolean" } });
const N = opts.smoke ? 200 : 100_000;
const EXTRAS = opts.smoke ? [0, 100] : [0, 1_000, 100_000];
const BUDGET_MS = opts.smoke ? 200 : 1500;
const IMPLS = Object.keys(IMPLEMENTATIONS);
const ALTERNATIVES = ["Map dispatch", "mitt", "postal 2", "postal 3"];

const cells = [];
for (const extra of EXTRAS) {
  for (const mode of ["exact", "wildcard"]) {
    for (const impl of IMPLS) cells.push({ impl, mode, extra, n: N, runs: opts.runs, budgetMs: BUDGET_MS });
  }
}

// Runs every cell through `run(cell)` → { n, rates } | null; returns Map cell → result.
async function runAll(label, run) {
  const results = new Map();
  progress(`${label}: `);
  for (const cell of cells) {
    const r = await run(cell);
    if (r) results.set(cell, r.skipped ? { skipped: true, med: NaN } : { n: r.n, setupMs: r.setupMs, ...summary(r.rates) });
    progress(".");
  }
  progress("\n");
  return results;
}

function print(runtime, results) {
  const get = (impl, mode, extra) => [...results].find(([c]) => c.impl === impl && c.mode === mode && c.extra === extra)?.[1];
  const smaller = (r) => (r.n < N ? ` [${r.n.toLocaleString("en-US")} msgs]` : "");
  const cellText = (r) => (r.skipped ? "not run" : `${millions(r.med)}${smaller(r)}`);
  for (const mode of ["exact", "wildcard"]) {
    console.log(`\n### ${runtime}: ${mode === "exact" ? "exact keys" : "wildcard bindings (`*`, `#`)"}, 10 consumers, 3 match\n`);
    const rows = IMPLS.flatMap((impl) => {
      const r = get(impl, mode, 0);
      if (!r) return [];
      return [[impl, `${range(r, millions)}${smaller(r)}`, ...ALTERNATIVES.map((a) => ratio(r.med, get(a, mode, 0)?.med))]];
    });
    console.log(table(["implementation", "deliveries/s (median, min–max)", ...ALTERNATIVES.map((a) => `× ${a}`)], rows));
  }
  console.log(`\n### ${runtime}: routing with more non-matching bindings (deliveries/s, median)\n`);
  const rows = [];
  for (const mode of ["exact", "wildcard"]) {
    for (const impl of IMPLS) {
      const rs = EXTRAS.map((e) => get(impl, mode, e));
      if (!rs[0]) continue;
      const last = rs.at(-1);
      const setup = last.skipped ? "–" : Math.round(last.setupMs).toLocaleString("en-US");
      rows.push([mode, impl, ...rs.map(cellText), ratio(last.med, rs[0].med), setup]);
    }
  }
  const extraLabel = (e) => `+${e.toLocaleString("en-US")}`;
  console.log(table(["mode", "implementation", ...EXTRAS.map(extraLabel), `${extraLabel(EXTRAS.at(-1))} ÷ +0`, `setup of ${extraLabel(EXTRAS.at(-1))}, ms`], rows));
}

const started = Date.now();
const out = [];
let chromiumVersion;
if (!opts["browser-only"]) {
  const { connect } = await import(nodeEntry(opts.nodeModules));
  out.push(["Node " + process.versions.node, await runAll("node", (cell) => runCell(cell, { connect, ...alternatives }))]);
}
if (!opts["node-only"]) {
  const alt = mkdtempSync(join(tmpdir(), "switchyard-bench-alt-"));
  try {
    await bundle('export * from "./lib/alternatives.js";', join(alt, "alternatives.js"));
    const page = { nodeModules: opts.nodeModules, path: "/pages/pubsub.html", mounts: { "/alt/": alt } };
    const { result, version } = await withBenchPage(page, (page) =>
      runAll("chromium", (cell) => page.evaluate((cell) => window.bench.runCell(cell), cell)),
    );
    chromiumVersion = version;
    out.push([`Chromium ${version} (headless)`, result]);
  } finally {
    rmSync(alt, { recursive: true, force: true });
  }
}

console.log(`\n## In-process topic pub/sub\n`);
console.log(
  `switchyard ${opts.pkg.version} (scope "local", storage "memory"), ${N.toLocaleString("en-US")} messages of 16 bytes per run, ` +
    `${opts.runs} run${opts.runs > 1 ? "s" : ""} per cell after a warm-up (median, min–max); deliveries counted in the consumer callbacks ` +
    `until all arrived. A slow cell publishes fewer messages (shown in brackets) so that a run stays near ${BUDGET_MS} ms. ` +
    `mitt has no patterns (exact keys only). postal 2 and 3 are not run with 100,000 more bindings (minutes per cell). ${((Date.now() - started) / 1000).toFixed(1)} s.`,
);
for (const [runtime, results] of out) print(runtime, results);

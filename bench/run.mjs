// Runs every benchmark, in order, and (in a full run) writes bench/RESULTS.md: the date, the
// machine, the versions, then each program's Markdown tables. `make bench` and
// `make test-bench-smoke` call this.
//   node bench/run.mjs [--smoke] [--engines chromium,firefox,webkit] [--node-modules DIR]
// --smoke: each program in its smoke mode (tiny sizes, one run); prints, writes no RESULTS.md.
// --engines: the browser engines of the durable and cross-context programs (default: all three),
// one table section each. WebKitGTK needs an X display: without $DISPLAY those two programs run
// under `xvfb-run -a`.
// Installs bench/'s pinned alternatives first when bench/node_modules is missing or older than
// bench/package-lock.json.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { engineVersion, enginesOption, parseEngines } from "./lib/browser.mjs";
import { benchDir, benchOptions, root } from "./lib/options.mjs";

const opts = benchOptions({ ...enginesOption });
const engines = parseEngines(opts.engines);
const smoke = opts.smoke ? ["--smoke"] : [];
const installed = join(benchDir, "node_modules/.package-lock.json");
if (!existsSync(installed) || statSync(join(benchDir, "package-lock.json")).mtimeMs > statSync(installed).mtimeMs) {
  execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: benchDir, stdio: "inherit" });
}

const node = (file) => [process.execPath, [join(benchDir, file), ...smoke, "--node-modules", opts.nodeModules]];
const hasXvfb = spawnSync("sh", ["-c", "command -v xvfb-run"]).status === 0;
// The programs that run in every engine: under xvfb-run when WebKitGTK needs a display.
const inEngines = (file) => {
  const [cmd, args] = node(file);
  const all = [...args, "--engines", engines.join(",")];
  return engines.includes("webkit") && !process.env.DISPLAY && hasXvfb ? ["xvfb-run", ["-a", cmd, ...all]] : [cmd, all];
};
const ENGINE_NAMES = { chromium: "Chromium", firefox: "Firefox", webkit: "WebKitGTK" };
const engineList = engines.map((e) => ENGINE_NAMES[e]).join(", ");
const PROGRAMS = [
  ["routing in the core (native)", ["cargo", opts.smoke
    ? ["run", "--release", "--example", "bench_routing", "--", "--smoke"]
    : ["run", "--profile", "bench-native", "--example", "bench_routing"]]],
  ["in-process topic pub/sub (Node, Chromium)", node("pubsub.mjs")],
  ["size", node("sizes.mjs")],
  ["memory per queued message (Node)", node("memory.mjs")],
  ["scaling (Node)", node("scaling.mjs")],
  [`durable publishes (${engineList})`, inEngines("durable.mjs")],
  [`between contexts (${engineList})`, inEngines("cross.mjs")],
];

const sections = [];
for (const [title, [cmd, args]] of PROGRAMS) {
  console.log(`\n==== bench: ${title} ====`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8", maxBuffer: 64 << 20 });
  process.stdout.write(r.stdout ?? "");
  if (r.status !== 0) {
    console.error(`bench: ${title} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
  sections.push(r.stdout.trim());
}
if (opts.smoke) process.exit(0);

const version = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { encoding: "utf8" }).trim();
  } catch {
    return "?";
  }
};
const alternatives = ["mitt", "postal2", "postal", "postal-transport-broadcastchannel", "postal-transport-messageport", "broadcast-channel", "dexie"].map((name) => {
  const { version: v } = JSON.parse(readFileSync(join(benchDir, "node_modules", name, "package.json"), "utf8"));
  return `${name === "postal2" ? "postal" : name} ${v}`;
});
const header = [
  "# Benchmark results",
  "",
  "Written by `make bench` (bench/run.mjs); the numbers of one full run on one machine. Compare cells within a run: " +
    "the machines are shared and noisy, so every cell is a median of several runs with min–max.",
  "",
  `- date: ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
  `- machine: ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores`,
  `- runtimes: Node ${process.versions.node}, ${version(process.env.CHROMIUM ?? "/usr/bin/chromium", ["--version"])}, ${version("rustc", ["--version"])}`,
  `- browser engines of the durable and cross-context tables: ${engines.map(engineVersion).join("; ")}`,
  `- switchyard ${opts.pkg.version} (release build, as packed); alternatives: ${alternatives.join(", ")}`,
];
writeFileSync(join(benchDir, "RESULTS.md"), `${header.join("\n")}\n\n${sections.join("\n\n")}\n`);
console.log(`\nbench: wrote bench/RESULTS.md`);

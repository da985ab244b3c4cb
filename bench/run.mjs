// Runs every benchmark, in order, and (in a full run) writes bench/RESULTS.md: the date, the
// machine, the versions, then each program's Markdown tables. `make bench` and
// `make test-bench-smoke` call this.
//   node bench/run.mjs [--smoke] [--node-modules DIR]
// --smoke: each program in its smoke mode (tiny sizes, one run); prints, writes no RESULTS.md.
// Installs bench/'s pinned alternatives first when bench/node_modules is missing or older than
// bench/package-lock.json.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { benchDir, benchOptions, root } from "./lib/options.mjs";

const opts = benchOptions();
const smoke = opts.smoke ? ["--smoke"] : [];
const installed = join(benchDir, "node_modules/.package-lock.json");
if (!existsSync(installed) || statSync(join(benchDir, "package-lock.json")).mtimeMs > statSync(installed).mtimeMs) {
  execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: benchDir, stdio: "inherit" });
}

const node = (file) => [process.execPath, [join(benchDir, file), ...smoke, "--node-modules", opts.nodeModules]];
const PROGRAMS = [
  ["routing in the core (native)", ["cargo", opts.smoke
    ? ["run", "--release", "--example", "bench_routing", "--", "--smoke"]
    : ["run", "--profile", "bench-native", "--example", "bench_routing"]]],
  ["in-process topic pub/sub (Node, Chromium)", node("pubsub.mjs")],
  ["size", node("sizes.mjs")],
  ["memory per queued message (Node)", node("memory.mjs")],
  ["scaling (Node)", node("scaling.mjs")],
  ["durable publishes (Chromium)", node("durable.mjs")],
  ["between contexts (Chromium)", node("cross.mjs")],
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
const alternatives = ["mitt", "postal2", "postal", "broadcast-channel", "dexie"].map((name) => {
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
  `- switchyard ${opts.pkg.version} (release build, as packed); alternatives: ${alternatives.join(", ")}`,
];
writeFileSync(join(benchDir, "RESULTS.md"), `${header.join("\n")}\n\n${sections.join("\n\n")}\n`);
console.log(`\nbench: wrote bench/RESULTS.md`);

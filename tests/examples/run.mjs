// Runs each tutorial in examples/tutorials/ and each Node example in examples/node/ with node, as a
// user would after `npm install switchyard`, and checks what it prints. (The edge examples, which
// need workerd, Deno or edge-runtime, are run by tests/edge/run.mjs.)
//   node tests/examples/run.mjs [--scratch DIR] [NAME_FILTER...]
// DIR (default build/scratch, where `make scratch` installs the packed tarball) must hold
// node_modules/switchyard; the examples are copied to DIR/examples/ and run there so
// `import amqp from "switchyard"` resolves to the installed package. Each must exit by itself
// with status 0, print nothing on stderr, and print exactly the expected lines (in order where
// the tutorial guarantees an order). Ends with "N passed, N failed"; exits 1 on any failure.
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");
const { values, positionals: filters } = parseArgs({
  allowPositionals: true,
  options: { scratch: { type: "string", default: join(root, "build/scratch") } },
});
const scratch = resolve(values.scratch);
const TIMEOUT_MS = 60_000;

// --- what each tutorial must print ------------------------------------------------------------

const range = (n, f) => Array.from({ length: n }, (_, i) => f(i));
const times = (n, line) => range(n, () => line);

/** Problems if `lines` is not exactly the multiset `expected` (order ignored). */
function sameLines(lines, expected) {
  const count = (list) => list.reduce((m, l) => m.set(l, (m.get(l) ?? 0) + 1), new Map());
  const got = count(lines);
  const want = count(expected);
  const problems = [];
  for (const [line, n] of want) if (got.get(line) !== n) problems.push(`expected ${n}× ${JSON.stringify(line)}, got ${got.get(line) ?? 0}`);
  for (const [line, n] of got) if (!want.has(line)) problems.push(`unexpected ${n}× ${JSON.stringify(line)}`);
  return problems;
}

/** Problems if the lines matching `pattern` are not exactly `expected`, in order. */
function inOrder(lines, pattern, expected) {
  const got = lines.filter((l) => pattern.test(l));
  return JSON.stringify(got) === JSON.stringify(expected)
    ? []
    : [`lines matching ${pattern} out of order:\n      got  ${JSON.stringify(got)}\n      want ${JSON.stringify(expected)}`];
}

const tutorials = [
  {
    file: "1-hello-world.mjs",
    check(lines) {
      const sent = range(10, (i) => ` [x] Sent 'Hello World ${i}'`);
      const received = range(10, (i) => ` [x] Received 'Hello World ${i}'`);
      return [
        ...sameLines(lines, [" [*] Waiting for messages. To exit press CTRL+C", ...sent, ...received]),
        ...inOrder(lines, /Sent/, sent),
        ...inOrder(lines, /Received/, received),
        ...(lines[0] === " [*] Waiting for messages. To exit press CTRL+C" ? [] : ["the consumer starts first"]),
      ];
    },
  },
  {
    file: "2-work-queues.mjs",
    check(lines) {
      const tasks = ["First message.", "Second message..", "Third message...", "Fourth message....", "Fifth message....."];
      const sent = tasks.map((t) => ` [x] Sent '${t}'`);
      const received = tasks.map((t) => ` [x] Received '${t}'`);
      return [
        ...sameLines(lines, [...times(2, " [*] Waiting for messages. To exit press CTRL+C"), ...sent, ...received, ...times(5, " [x] Done")]),
        ...inOrder(lines, /Sent/, sent),
        ...inOrder(lines, /Received/, received),
      ];
    },
  },
  {
    file: "3-publish-subscribe.mjs",
    check(lines) {
      return [
        ...sameLines(lines, [
          ...times(2, " [*] Waiting for logs. To exit press CTRL+C"),
          " [x] Sent 'info: Hello World!'",
          ...times(2, " [x] 'info: Hello World!'"),
        ]),
        ...inOrder(lines, /Waiting|Sent/, [...times(2, " [*] Waiting for logs. To exit press CTRL+C"), " [x] Sent 'info: Hello World!'"]),
      ];
    },
  },
  {
    file: "4-routing.mjs",
    check(lines) {
      const sent = [" [x] Sent info:'Hello World!'", " [x] Sent warning:'Disk almost full'", " [x] Sent error:'Run. Run. Or it will explode.'"];
      return [
        ...sameLines(lines, [
          ...times(2, " [*] Waiting for logs. To exit press CTRL+C"), ...sent,
          " [x] info:'Hello World!'",
          ...times(2, " [x] warning:'Disk almost full'"),
          ...times(2, " [x] error:'Run. Run. Or it will explode.'"),
        ]),
        ...inOrder(lines, /Sent/, sent),
      ];
    },
  },
  {
    file: "5-topics.mjs",
    check(lines) {
      const sent = [
        " [x] Sent kern.critical:'A critical kernel error'", " [x] Sent anonymous.info:'Hello World!'",
        " [x] Sent kern.info:'Kernel up'", " [x] Sent cron.critical:'Cron is down'",
      ];
      return [
        ...sameLines(lines, [
          ...times(4, " [*] Waiting for logs. To exit press CTRL+C"), ...sent,
          ...times(4, " [x] kern.critical:'A critical kernel error'"), // #, kern.*, *.critical, both
          ...times(1, " [x] anonymous.info:'Hello World!'"), // # only
          ...times(3, " [x] kern.info:'Kernel up'"), // #, kern.*, both
          ...times(3, " [x] cron.critical:'Cron is down'"), // #, *.critical, both
        ]),
        ...inOrder(lines, /Sent/, sent),
      ];
    },
  },
  {
    file: "6-rpc.mjs",
    check(lines) {
      return inOrder(lines, /./, [" [x] Awaiting RPC requests", " [x] Requesting fib(30)", " [.] fib(30)", " [.] Got 832040"]);
    },
  },
  {
    file: "7-publisher-confirms.mjs",
    check(lines) {
      const patterns = [
        /^Published 50,000 messages individually in [\d,]+ ms$/,
        /^Published 50,000 messages in batch in [\d,]+ ms$/,
        /^Published 50,000 messages and handled confirms asynchronously in [\d,]+ ms$/,
      ];
      const ok = lines.length === 3 && patterns.every((p, i) => p.test(lines[i]));
      return ok ? [] : [`expected three timing lines matching ${patterns.join(", ")}, got ${JSON.stringify(lines)}`];
    },
  },
  {
    file: "node/worker-threads/work-queue.mjs",
    check(lines) {
      const N = 30;
      const problems = [];
      const results = lines.filter((l) => l.startsWith(" [main] task "));
      const seen = new Map();
      for (const l of results) {
        const m = /^ \[main\] task (\d+) -> (\d+) \(worker ([123])\)$/.exec(l);
        if (!m || Number(m[2]) !== Number(m[1]) ** 2) problems.push(`bad result line ${JSON.stringify(l)}`);
        else seen.set(Number(m[1]), (seen.get(Number(m[1])) ?? 0) + 1);
      }
      if (seen.size !== N || [...seen.values()].some((n) => n !== 1)) problems.push(`expected tasks 1..${N} once each, got ${JSON.stringify([...seen])}`);
      const done = lines.map((l) => /^ \[worker ([123])\] done (\d+) tasks, at most (\d+) unacknowledged at once$/.exec(l)).filter(Boolean);
      if (done.length !== 3) problems.push(`expected a "done" line from each of 3 workers, got ${done.length}`);
      if (done.reduce((n, m) => n + Number(m[2]), 0) !== N) problems.push(`the workers' counts do not add up to ${N}`);
      if (done.some((m) => Number(m[2]) === 0)) problems.push("a worker got no task (prefetch should spread them)");
      if (done.some((m) => Number(m[3]) > 2)) problems.push("a worker held more than prefetch 2 unacknowledged");
      const summary = lines.find((l) => l.startsWith(" [main] 30 results"));
      if (!summary || !summary.includes("every task once")) problems.push(`no "30 results, every task once" line`);
      problems.push(
        ...sameLines(lines.filter((l) => /waiting|sent|exited/.test(l)), [
          ...range(3, (i) => ` [worker ${i + 1}] waiting for tasks`),
          ` [main] sent ${N} tasks to 3 workers`,
          " [main] 3 workers exited",
        ]),
      );
      if (lines.at(-1) !== " [main] 3 workers exited") problems.push("the last line is not the workers' exit");
      return problems;
    },
  },
];

// --- running ----------------------------------------------------------------------------------

function run(file) {
  return new Promise((resolvePromise) => {
    const started = Date.now();
    const child = spawn(process.execPath, [file], { cwd: scratch, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS); // by pid
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

if (!existsSync(join(scratch, "node_modules/switchyard/package.json"))) {
  console.log(`no installed package in ${scratch}/node_modules/switchyard: run \`make scratch\` first`);
  console.log("0 passed, 1 failed");
  process.exit(1);
}
for (const dir of ["tutorials", "node"]) {
  const target = join(scratch, "examples", dir);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  cpSync(join(root, "examples", dir), target, { recursive: true });
}
const HELPERS = ["drained.mjs"]; // imported by the tutorials, not run on their own
const unknown = readdirSync(join(root, "examples/tutorials")).filter((f) => f.endsWith(".mjs") && !HELPERS.includes(f) && !tutorials.some((t) => t.file === f));
if (unknown.length) console.log(`note: no expectations for ${unknown.join(", ")} (not run)`);
// Tutorials are named by file; other examples by their path under examples/.
const pathOf = (file) => (file.includes("/") ? file : `tutorials/${file}`);

let passed = 0;
let failed = 0;
for (const { file, check } of tutorials) {
  if (filters.length && !filters.some((f) => file.includes(f))) continue;
  const { code, signal, stdout, stderr, ms } = await run(join(scratch, "examples", pathOf(file)));
  const lines = stdout.split("\n").filter((l) => l !== "");
  const problems = [];
  if (signal === "SIGKILL") problems.push(`did not exit by itself within ${TIMEOUT_MS / 1000} s`);
  else if (code !== 0) problems.push(`exited with status ${code}${signal ? ` (${signal})` : ""}`);
  if (stderr.trim()) problems.push(`stderr:\n      ${stderr.trim().split("\n").join("\n      ")}`);
  problems.push(...check(lines));
  if (problems.length === 0) {
    passed++;
    console.log(`ok    examples/${pathOf(file)} (${ms} ms)`);
  } else {
    failed++;
    console.log(`FAIL  examples/${pathOf(file)} (${ms} ms)`);
    for (const p of problems) console.log(`    - ${p}`);
    console.log(`    stdout:\n      ${lines.join("\n      ") || "(nothing)"}`);
  }
}

console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed || passed === 0 ? 1 : 0;

// Runs tests/edge/api-subset.mjs in every runtime against the packed package installed in
// build/scratch (`make scratch`), each runtime resolving `import { connect } from "switchyard"`
// through its own `exports` condition:
//   workerd       Miniflare 4 (workerd). The Worker is bundled the way wrangler does it: esbuild with
//                 the `workerd, worker, browser` conditions, the .wasm kept as a CompiledWasm module.
//   deno          the npm `deno` binary, `deno.json` {"nodeModulesDir": "manual"}, --allow-read
//                 (condition `deno`).
//   edge-runtime  Vercel's `edge-runtime` (condition `edge-light`). It evaluates scripts only (no
//                 ES module loader), so, as on Vercel, a bundler resolves the package: esbuild with
//                 the `edge-light, worker, browser` conditions, `*.wasm?module` handed over as a
//                 WebAssembly.Module compiled in the edge realm (what Vercel's bundler does).
//   node-esm / node-cjs   `node` (conditions `node` + `import` / `require`).
// Prints `ok`/`FAIL` per runtime per check and `N passed, N failed`; exits 1 on any failure. Every
// child process is started here and stopped by its pid; Miniflare's workerd is stopped by dispose().
//
// Usage: node tests/edge/run.mjs [--scratch build/scratch] [--only workerd,deno,edge-runtime,node-esm,node-cjs]
//        [--skip-stores] (skips the Durable Object and Deno KV restart tests)
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const { values: args } = parseArgs({
  options: {
    scratch: { type: "string", default: join(root, "build/scratch") },
    only: { type: "string" },
    "skip-stores": { type: "boolean", default: false },
  },
});
const scratch = resolve(args.scratch);
const pkgDir = join(scratch, "node_modules/switchyard");
if (!existsSync(join(pkgDir, "package.json"))) {
  console.error(`no package installed in ${scratch}: run \`make scratch\` first`);
  process.exit(2);
}
const work = join(scratch, "edge-tests");
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
cpSync(join(here, "api-subset.mjs"), join(work, "api-subset.mjs"));
const bin = (name) => join(root, "node_modules/.bin", name);
const TIMEOUT_MS = 120_000;
const MARK = "@@RESULTS@@ ";

// ----- child processes, each stopped by its pid ---------------------------------------------

const children = new Set();
function stopChildren() {
  for (const child of children) {
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {}
  }
  children.clear();
}
process.on("exit", stopChildren);
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    stopChildren();
    process.exit(130);
  });
}

/** Runs a command; resolves to { code, stdout, stderr } (killed by pid after `timeout`). */
function runChild(cmd, argv, { cwd = work, env = {}, timeout = TIMEOUT_MS } = {}) {
  return new Promise((resolveRun) => {
    const child = spawn(cmd, argv, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${timeout} ms)`;
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {}
    }, timeout);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolveRun({ code: code ?? signal, stdout, stderr });
    });
    child.on("error", (err) => {
      clearTimeout(timer);
      children.delete(child);
      resolveRun({ code: -1, stdout, stderr: String(err) });
    });
  });
}

function resultsFrom({ code, stdout, stderr }) {
  const line = stdout.split("\n").find((l) => l.startsWith(MARK));
  if (!line) return [{ name: "runs", ok: false, detail: `exit ${code}, no results\n${stdout}\n${stderr}`.trim() }];
  return JSON.parse(line.slice(MARK.length));
}

// ----- esbuild, as wrangler / Vercel bundle a Worker or an edge function --------------------

async function bundle(entry, outfile, { conditions, format, plugins = [], external = [] }) {
  const esbuild = await import("esbuild");
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format,
    platform: "neutral",
    mainFields: ["module", "main"],
    conditions,
    external,
    plugins,
    logLevel: "silent",
    absWorkingDir: work,
    nodePaths: [join(scratch, "node_modules")],
  });
}

// ----- the runtimes ---------------------------------------------------------------------------

const runtimes = {
  async workerd() {
    const dir = join(work, "workerd");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "src.mjs"),
      `import { connect } from "switchyard";
import { run } from "../api-subset.mjs";
export default {
  async fetch() {
    return Response.json(await run(connect));
  },
};
`,
    );
    await bundle(join(dir, "src.mjs"), join(dir, "worker.js"), { conditions: ["workerd", "worker", "browser"], format: "esm", external: ["*.wasm"] });
    cpSync(join(pkgDir, "switchyard_bg.wasm"), join(dir, "switchyard_bg.wasm"));
    const { Miniflare } = await import("miniflare");
    const mf = new Miniflare({
      host: "127.0.0.1",
      modules: true,
      scriptPath: join(dir, "worker.js"),
      modulesRoot: dir,
      modulesRules: [
        { type: "ESModule", include: ["**/*.js"] },
        { type: "CompiledWasm", include: ["**/*.wasm"] },
      ],
      compatibilityDate: "2026-04-01",
      cf: false,
    });
    try {
      const res = await withTimeout(mf.dispatchFetch("http://localhost/"), TIMEOUT_MS, "workerd fetch");
      const body = await res.text();
      if (res.status !== 200) return [{ name: "runs", ok: false, detail: `HTTP ${res.status}: ${body}` }];
      return JSON.parse(body);
    } finally {
      await mf.dispose();
    }
  },

  async deno() {
    writeFileSync(join(work, "deno.json"), JSON.stringify({ nodeModulesDir: "manual" }));
    writeFileSync(
      join(work, "deno-main.mjs"),
      `import { connect } from "switchyard";
import { run } from "./api-subset.mjs";
console.log(${JSON.stringify(MARK)} + JSON.stringify(await run(connect)));
Deno.exit(0);
`,
    );
    return resultsFrom(
      await runChild(bin("deno"), ["run", "--allow-read", "--config", join(work, "deno.json"), join(work, "deno-main.mjs")], {
        cwd: scratch,
        env: { DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", NO_COLOR: "1" },
      }),
    );
  },

  async "edge-runtime"() {
    const dir = join(work, "edge-runtime");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "src.mjs"),
      `import { connect } from "switchyard";
import { run } from "../api-subset.mjs";
globalThis.__runSubset = () => run(connect);
`,
    );
    // Vercel's bundler turns `import wasm from "./x.wasm?module"` into a WebAssembly.Module it
    // injects into the edge function's realm; this plugin does the same through a global.
    const wasmModule = {
      name: "wasm-module",
      setup(build) {
        build.onResolve({ filter: /\.wasm\?module$/ }, (a) => ({ path: resolve(a.resolveDir, a.path.replace(/\?module$/, "")), namespace: "wasm-module" }));
        build.onLoad({ filter: /.*/, namespace: "wasm-module" }, () => ({ contents: "export default globalThis.__SWITCHYARD_WASM_MODULE__;", loader: "js" }));
      },
    };
    await bundle(join(dir, "src.mjs"), join(dir, "bundle.js"), { conditions: ["edge-light", "worker", "browser"], format: "iife", plugins: [wasmModule] });
    writeFileSync(
      join(dir, "host.cjs"),
      `const { EdgeRuntime } = require(${JSON.stringify(require_resolve("edge-runtime"))});
const { readFileSync } = require("node:fs");
(async () => {
  const probe = {};
  // Can edge-runtime load the package's edge entry itself? It evaluates scripts only.
  const bare = new EdgeRuntime();
  try { await bare.evaluate('import("switchyard")'); probe.dynamicImport = "ok"; } catch (e) { probe.dynamicImport = (e.code ? e.code + ": " : "") + e.message; }
  try { bare.evaluate('import wasm from "./switchyard_bg.wasm?module";'); probe.staticImport = "ok"; } catch (e) { probe.staticImport = e.name + ": " + e.message; }
  const rt = new EdgeRuntime({ extend(ctx) { ctx.__wasmBytes = new Uint8Array(readFileSync(${JSON.stringify(join(pkgDir, "switchyard_bg.wasm"))})); return ctx; } });
  rt.evaluate("globalThis.__SWITCHYARD_WASM_MODULE__ = new WebAssembly.Module(__wasmBytes); delete globalThis.__wasmBytes;");
  rt.evaluate(readFileSync(${JSON.stringify(join(dir, "bundle.js"))}, "utf8"));
  const results = JSON.parse(JSON.stringify(await rt.evaluate("__runSubset()")));
  console.error("edge-runtime probe: " + JSON.stringify(probe));
  console.log(${JSON.stringify(MARK)} + JSON.stringify(results));
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
`,
    );
    const out = await runChild(process.execPath, [join(dir, "host.cjs")]);
    const probe = /edge-runtime probe: (.*)/.exec(out.stderr)?.[1];
    if (probe) edgeProbe = JSON.parse(probe);
    return resultsFrom(out);
  },

  async "node-esm"() {
    writeFileSync(
      join(work, "node-main.mjs"),
      `import { connect } from "switchyard";
import { run } from "./api-subset.mjs";
console.log(${JSON.stringify(MARK)} + JSON.stringify(await run(connect)));
process.exit(0);
`,
    );
    return resultsFrom(await runChild(process.execPath, [join(work, "node-main.mjs")]));
  },

  async "node-cjs"() {
    writeFileSync(
      join(work, "node-main.cjs"),
      `const { connect } = require("switchyard");
import("./api-subset.mjs").then(async ({ run }) => {
  console.log(${JSON.stringify(MARK)} + JSON.stringify(await run(connect)));
  process.exit(0);
});
`,
    );
    return resultsFrom(await runChild(process.execPath, [join(work, "node-main.cjs")]));
  },
};

let edgeProbe;
function require_resolve(name) {
  return join(root, "node_modules", name);
}
function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms))),
  ]);
}

// Store adapter tests (restart scenarios) live in their own modules; each exports
// `run({ root, scratch, work, runChild, bin })` resolving to results.
const storeTests = [
  ["durable-object", "./durable-object.mjs"],
  ["deno-kv", "./deno-kv.mjs"],
  ["deno-workers", "./deno-workers.mjs"],
];

const only = args.only ? new Set(args.only.split(",")) : null;
let passed = 0;
let failed = 0;
const t0 = performance.now();
async function report(label, fn) {
  const start = performance.now();
  let results;
  try {
    results = await fn();
  } catch (e) {
    results = [{ name: "runs", ok: false, detail: String(e?.stack ?? e) }];
  }
  const ms = Math.round(performance.now() - start);
  for (const r of results) {
    if (r.ok) passed++;
    else failed++;
    console.log(`${r.ok ? "ok  " : "FAIL"} ${label}: ${r.name}${r.ok ? (r.detail ? ` (${r.detail})` : "") : `\n     ${String(r.detail).replaceAll("\n", "\n     ")}`}`);
  }
  console.log(`     ${label}: ${ms} ms`);
}

try {
  for (const [name, fn] of Object.entries(runtimes)) {
    if (only && !only.has(name)) continue;
    await report(name, fn);
  }
  if (edgeProbe) {
    console.log(`note edge-runtime without a bundler: import("switchyard") -> ${edgeProbe.dynamicImport}`);
    console.log(`note edge-runtime without a bundler: import … "?module" -> ${edgeProbe.staticImport}`);
  }
  if (!args["skip-stores"]) {
    for (const [name, file] of storeTests) {
      if (only && !only.has(name)) continue;
      if (!existsSync(join(here, file))) continue;
      const mod = await import(join(here, file));
      await report(name, () => mod.run({ root, scratch, pkgDir, work, runChild, bin, bundle, withTimeout, MARK }));
    }
  }
} finally {
  stopChildren();
}
console.log(`${passed} passed, ${failed} failed (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);

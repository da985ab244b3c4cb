// Tiny static file server for the demo and the page tests; no dependencies.
//   node scripts/serve.mjs ROOT [--port N] [--mount /url/prefix/=DIR]... [--pid-file FILE]
// Listens on 127.0.0.1 only (--port 0 picks a free port) and prints "serving http://127.0.0.1:N/"
// once it listens. Nothing is cached, so a rebuilt package shows up on reload.
import { createServer } from "node:http";
import { createReadStream, statSync, writeFileSync, rmSync } from "node:fs";
import { extname, join, resolve, sep } from "node:path";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: "string", default: process.env.PORT ?? "8080" },
    mount: { type: "string", multiple: true, default: [] },
    "pid-file": { type: "string" },
  },
});
// Longest URL prefix first, so /node_modules/ wins over /.
const mounts = [["/", positionals[0] ?? "."], ...values.mount.map((m) => m.split("="))]
  .map(([prefix, dir]) => [prefix.endsWith("/") ? prefix : `${prefix}/`, resolve(dir)])
  .sort((a, b) => b[0].length - a[0].length);

const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".cjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
};

// Maps a URL path to a file inside one of the mounted directories, or null.
function locate(urlPath) {
  const [prefix, dir] = mounts.find(([p]) => `${urlPath}/`.startsWith(p)) ?? [];
  if (!dir) return null;
  let file = join(dir, decodeURIComponent(urlPath.slice(prefix.length - 1)));
  if (file !== dir && !file.startsWith(dir + sep)) return null; // no ../ escapes
  try {
    if (statSync(file).isDirectory()) file = join(file, "index.html");
    return statSync(file).isFile() ? file : null;
  } catch {
    return null;
  }
}

const server = createServer((req, res) => {
  const file = locate(new URL(req.url, "http://x").pathname);
  const headers = { "Cache-Control": "no-store" };
  if (!file || (req.method !== "GET" && req.method !== "HEAD")) {
    res.writeHead(file ? 405 : 404, { ...headers, "Content-Type": "text/plain" }).end(file ? "405\n" : "404\n");
    return;
  }
  headers["Content-Type"] = types[extname(file)] ?? "application/octet-stream";
  headers["Content-Length"] = statSync(file).size;
  res.writeHead(200, headers);
  if (req.method === "HEAD") res.end();
  else createReadStream(file).pipe(res);
});

server.listen(Number(values.port), "127.0.0.1", () => {
  const pidFile = values["pid-file"];
  if (pidFile) {
    writeFileSync(pidFile, `${process.pid}\n`);
    process.on("exit", () => rmSync(pidFile, { force: true }));
  }
  console.log(`serving http://127.0.0.1:${server.address().port}/`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(0));

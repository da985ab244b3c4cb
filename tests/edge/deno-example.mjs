// examples/deno/kv-work-queue.mjs, run as its README line says (Deno, a KV file, one process per
// command), copied next to build/scratch/node_modules: jobs published by one process are worked
// by later ones, a job taken by a process that exits without acking comes back redelivered, and
// no job is lost or done twice across six processes.
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const EXPECTED = [
  [["produce", "5"], 0, [" [x] Sent 5 jobs", " [*] Jobs waiting: 5"]],
  [["work", "2"], 0, [" [x] Received 'job 1'", " [x] Received 'job 2'", " [x] Done 2 jobs", " [*] Jobs waiting: 3"]],
  [["crash"], 1, [" [x] Received 'job 3'", " [!] Exiting without ack"]],
  [["status"], 0, [" [*] Jobs waiting: 3"]],
  [["work"], 0, [" [x] Received 'job 3' (redelivered)", " [x] Received 'job 4'", " [x] Received 'job 5'", " [x] Done 3 jobs", " [*] Jobs waiting: 0"]],
  [["status"], 0, [" [*] Jobs waiting: 0"]],
];

export async function run({ root, scratch, runChild, bin }) {
  const dir = join(scratch, "examples/deno");
  rmSync(dir, { recursive: true, force: true });
  cpSync(join(root, "examples/deno"), dir, { recursive: true });
  const data = mkdtempSync(join(tmpdir(), "switchyard-deno-example-"));
  const results = [];
  try {
    for (const [argv, code, lines] of EXPECTED) {
      const name = `deno example: kv-work-queue.mjs ${argv.join(" ")}`;
      const r = await runChild(bin("deno"), ["run", "--unstable-kv", "--allow-read", "--allow-write", join(dir, "kv-work-queue.mjs"), "--kv", join(data, "work-queue.kv"), ...argv], {
        cwd: data,
        env: { DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", NO_COLOR: "1" },
      });
      const got = r.stdout.split("\n").filter((l) => l !== "");
      const ok = r.code === code && r.stderr.trim() === "" && JSON.stringify(got) === JSON.stringify(lines);
      results.push({ name, ok, detail: ok ? `exit ${code}` : `exit ${r.code} (want ${code})\n got  ${JSON.stringify(got)}\n want ${JSON.stringify(lines)}\n${r.stderr}` });
      if (!ok) break;
    }
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
  return results;
}

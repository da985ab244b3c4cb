// The command-line options every bench program shares, and the installed package they measure.
//   --smoke             tiny sizes, one run: only checks that the program still runs (CI)
//   --runs N            repetitions per cell (median and min–max are printed)
//   --node-modules DIR  where the packed switchyard is installed (default build/scratch/node_modules,
//                       which `make scratch` fills)
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

/** The bench/ directory and the repository root. */
export const benchDir = fileURLToPath(new URL("..", import.meta.url));
export const root = resolve(benchDir, "..");

/**
 * Parses the shared options plus `extra` (parseArgs option specs) and reads the installed
 * package's package.json; exits with a hint when the package is missing.
 */
export function benchOptions(extra = {}, defaultRuns = 5) {
  const { values } = parseArgs({
    options: {
      smoke: { type: "boolean", default: false },
      runs: { type: "string" },
      "node-modules": { type: "string", default: join(root, "build/scratch/node_modules") },
      ...extra,
    },
  });
  const nodeModules = resolve(values["node-modules"]);
  let pkg;
  try {
    pkg = JSON.parse(readFileSync(join(nodeModules, "switchyard/package.json"), "utf8"));
  } catch {
    console.error(`no switchyard package under ${nodeModules}: run \`make scratch\` first`);
    process.exit(2);
  }
  const runs = values.smoke ? 1 : Number(values.runs ?? defaultRuns);
  return { ...values, smoke: values.smoke, runs, nodeModules, pkg };
}

/** The URL of the installed package's Node entry (for `await import(...)`). */
export const nodeEntry = (nodeModules) => pathToFileURL(join(nodeModules, "switchyard/node.mjs")).href;

/** Progress to stderr (the tables go to stdout). */
export const progress = (s) => process.stderr.write(s);

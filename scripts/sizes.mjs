// Prints raw, gzip (level 9) and brotli (quality 11) sizes of the given files.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";

const kb = (n) => `${(n / 1024).toFixed(1)} KB`.padStart(10);
console.log(`${"file".padEnd(24)}${"raw".padStart(10)}${"gzip".padStart(10)}${"brotli".padStart(10)}`);
const total = [0, 0, 0];
for (const file of process.argv.slice(2)) {
  const bytes = readFileSync(file);
  const gzip = gzipSync(bytes, { level: 9 }).length;
  const brotli = brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  }).length;
  [bytes.length, gzip, brotli].forEach((n, i) => (total[i] += n));
  console.log(`${basename(file).padEnd(24)}${kb(bytes.length)}${kb(gzip)}${kb(brotli)}`);
}
if (process.argv.length > 3) console.log(`${"total".padEnd(24)}${total.map(kb).join("")}`);

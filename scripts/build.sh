#!/usr/bin/env bash
# Build the npm package into build/pkg/.
#   scripts/build.sh [--release]   optimised: cargo --release, wasm-opt -Oz, no name section
#   scripts/build.sh --dev         debug build, names kept, no wasm-opt (readable stack traces)
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:---release}" in
  --release) profile=release ;;
  --dev) profile=debug ;;
  *) echo "usage: $0 [--release|--dev]" >&2; exit 2 ;;
esac
out=build/pkg
[ -x node_modules/.bin/wasm-opt ] || { echo "build: no node_modules; run make setup first" >&2; exit 1; }
step() { printf 'build: %s\n' "$*"; }

step "cargo build ($profile)"
if [ "$profile" = release ]; then
  # Panic locations name source files: keep this machine's paths out of the shipped wasm. (An
  # exported RUSTFLAGS replaces .cargo/config.toml's, so the web-sys cfg is repeated here.)
  RUSTFLAGS="--cfg=web_sys_unstable_apis --remap-path-prefix=$HOME/.cargo/registry/src=crates --remap-path-prefix=$PWD=switchyard" \
    cargo build --target wasm32-unknown-unknown --release --lib
else
  cargo build --target wasm32-unknown-unknown --lib
fi

step "wasm-bindgen --target web -> $out"
rm -rf "$out"
bindgen_flags=(--target web --out-dir "$out" --out-name switchyard)
[ "$profile" = release ] && bindgen_flags+=(--remove-name-section --remove-producers-section)
[ "$profile" = debug ] && bindgen_flags+=(--debug --keep-debug)
wasm-bindgen "target/wasm32-unknown-unknown/$profile/switchyard.wasm" "${bindgen_flags[@]}"

if [ "$profile" = release ]; then
  # The features rustc 1.95 enables by default for wasm32-unknown-unknown (`rustc --print cfg
  # --target wasm32-unknown-unknown | grep feature`); wasm-opt refuses input using anything else.
  step "wasm-opt -Oz"
  node_modules/.bin/wasm-opt -Oz \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    --strip-debug --strip-producers --strip-target-features \
    "$out/switchyard_bg.wasm" -o "$out/switchyard_bg.wasm"
fi

step "package files from pkg-template/"
cp -R pkg-template/. "$out/"
rm -f "$out"/*.src.mjs
version=$(cargo metadata --no-deps --format-version 1 |
  node -e 'let s = ""; process.stdin.on("data", d => s += d).on("end", () =>
    console.log(JSON.parse(s).packages.find(p => p.name === "switchyard").version))')
node -e '
  const fs = require("fs"), [src, dst, version] = process.argv.slice(1);
  const pkg = JSON.parse(fs.readFileSync(src, "utf8"));
  fs.writeFileSync(dst, JSON.stringify({ ...pkg, version }, null, 2) + "\n");
' pkg-template/package.json "$out/package.json" "$version"

step "esbuild node.cjs (CommonJS entry for require())"
# The glue's default init mentions import.meta.url; node.cjs never calls it (it uses initSync).
# stdin's imports resolve from the working directory, i.e. the built package.
(cd "$out" && ../../node_modules/.bin/esbuild --bundle --platform=node --target=node20 --format=cjs \
  --log-level=warning --log-override:empty-import-meta=silent --outfile=node.cjs) \
  < pkg-template/node.cjs.src.mjs

step "esbuild classic.js (switchyard/classic: one classic script for importScripts())"
# The same modules as browser.js, bundled into an IIFE that defines self.switchyard (see
# pkg-template/classic.src.mjs). Users load it as it is, so the release build ships it minified
# (names kept: error classes are told apart by name too).
classic_flags=(--bundle --format=iife --global-name=switchyard --log-level=warning
  --log-override:empty-import-meta=silent --outfile=classic.js)
[ "$profile" = release ] && classic_flags+=(--minify --keep-names)
(cd "$out" && ../../node_modules/.bin/esbuild "${classic_flags[@]}") < pkg-template/classic.src.mjs

step "switchyard $version ($profile) in $out/"
if [ "$profile" = release ]; then
  # The generated glue ships minified; facade.js stays readable (bundlers minify it for users,
  # so its size is reported minified, as a browser receives it).
  node_modules/.bin/esbuild "$out/switchyard.js" --minify --format=esm --log-level=warning \
    --log-override:empty-import-meta=silent --outfile="$out/switchyard.js" --allow-overwrite
  node_modules/.bin/esbuild "$out/facade.js" --bundle --minify --format=esm --log-level=warning \
    --external:./switchyard.js --outfile=build/facade.min.js
  node scripts/sizes.mjs "$out/switchyard_bg.wasm" "$out/switchyard.js" build/facade.min.js
else
  ls -lh "$out/switchyard_bg.wasm" "$out/switchyard.js" # compressing a debug build takes long
fi

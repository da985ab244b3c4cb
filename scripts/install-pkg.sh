#!/usr/bin/env bash
# Install the packed tarball (dist/switchyard-*.tgz, made by scripts/pack.sh) into a throwaway
# project DIR the way a user would, so tests and the demo import "switchyard" from node_modules.
#   scripts/install-pkg.sh DIR
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?usage: $0 DIR}
tgz=$(ls dist/switchyard-*.tgz)
mkdir -p "$dir"
[ -f "$dir/package.json" ] ||
  printf '{ "name": "%s", "private": true, "type": "module" }\n' "switchyard-$(basename "$dir")" > "$dir/package.json"
rm -rf "$dir/node_modules/switchyard"
tgz=$PWD/$tgz
(cd "$dir" && npm install --no-save --no-package-lock --no-audit --no-fund "$tgz")
echo "install: ${tgz#$PWD/} -> $dir/node_modules/switchyard"

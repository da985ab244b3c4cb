#!/usr/bin/env bash
# Release-build the package and pack it: dist/switchyard-VERSION.tgz (the only tarball in dist/).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh --release
mkdir -p dist
rm -f dist/switchyard-*.tgz
name=$(cd build/pkg && npm pack --silent --pack-destination ../../dist)
echo "pack: dist/$name"

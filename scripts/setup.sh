#!/usr/bin/env bash
# Install what `make build`/`make test` need. Idempotent: each step checks first and is skipped
# when already done, so a second run takes about a second.
#   - the wasm32-unknown-unknown Rust target
#   - wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock (also provides
#     wasm-bindgen-test-runner, the cargo runner for wasm tests, see .cargo/config.toml)
#   - Debian chromium + chromium-driver (headless browser tests)
#   - Debian firefox-esr, webkit2gtk-driver (WebKitWebDriver + MiniBrowser) and xvfb, and
#     geckodriver (no Debian package: `cargo install` at a pinned version into a cache directory,
#     $SWITCHYARD_TOOLS or ~/.cache/switchyard, so the next run finds it)
#   - the root npm devDependencies (playwright-core, binaryen's wasm-opt, esbuild, typescript, ...)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*"; }
need() { command -v "$1" >/dev/null || { say "missing '$1': $2"; exit 1; }; }
need cargo "install Rust with rustup"
need rustup "install Rust with rustup"
need node "install Node.js 20 or newer"
need npm "install npm (comes with Node.js)"

# 1. Rust target (rustup itself is a no-op when the target is installed).
if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "wasm32-unknown-unknown target: present"
else
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# 2. wasm-bindgen-cli, same version as the wasm-bindgen crate (the two must match exactly).
if [ ! -f Cargo.lock ]; then
  say "no Cargo.lock: cargo generate-lockfile"
  cargo generate-lockfile
fi
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
[ -n "$want" ] || { say "no wasm-bindgen entry in Cargo.lock"; exit 1; }
# Another install may be running already (e.g. a second terminal): wait for it, don't race it.
while command -v pgrep >/dev/null && pgrep -f "cargo install wasm-bindgen-cli" >/dev/null; do
  say "waiting for a running 'cargo install wasm-bindgen-cli' to finish"
  sleep 10
done
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" = "$want" ]; then
  say "wasm-bindgen-cli $want: present"
else
  say "cargo install wasm-bindgen-cli --version $want (found: ${have:-none}; takes a few minutes)"
  # No --locked: the crates index mirror can lag behind the CLI's own lockfile.
  cargo install wasm-bindgen-cli --version "$want"
fi

# 3. Browsers and their WebDrivers from Debian: Chromium, Firefox ESR, WebKitGTK (MiniBrowser and
#    WebKitWebDriver, which needs a display: xvfb-run), and the GObject bindings of WebKitGTK for
#    tests/browser/webkit-shell.py (a WebKitGTK browser that keeps IndexedDB on disk).
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
apt() { $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"; }
apt_install() { # apt_install "what" package... : installs the packages, updating the lists if needed
  local what=$1; shift
  if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then
    say "apt lists are empty: apt-get update"
    apt update
  fi
  say "apt-get install $*"
  if ! apt install -y "$@"; then
    say "installing $what failed: apt-get update, then retry"
    apt update
    apt install -y "$@"
  fi
}
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  say "chromium + chromedriver: present"
else
  apt_install "chromium" chromium chromium-driver
fi
if [ -x /usr/bin/firefox-esr ]; then
  say "firefox-esr: present"
else
  apt_install "firefox-esr" firefox-esr
fi
# Tested: Debian 12's Firefox 140 ESR, driven over WebDriver BiDi by playwright-core 1.55.1 (the
# devDependency alias playwright-core-bidi-firefox; 1.56+ send a BiDi command 140 lacks). Debian
# moves its ESR itself (no older one stays in the archive), so a new major is reported, not refused.
FIREFOX_ESR_TESTED=140
firefox_major=$(/usr/bin/firefox-esr --version 2>/dev/null | sed -n 's/^Mozilla Firefox \([0-9]*\)\..*/\1/p')
if [ "$firefox_major" = "$FIREFOX_ESR_TESTED" ]; then
  say "firefox-esr $firefox_major ESR: the tested major"
else
  say "WARNING: firefox-esr ${firefox_major:-?} here; the Firefox tests were last run on $FIREFOX_ESR_TESTED ESR (README, Browser support)"
fi
if [ -x /usr/bin/WebKitWebDriver ] && command -v xvfb-run >/dev/null && command -v xauth >/dev/null; then
  say "webkit2gtk-driver + xvfb: present"
else
  apt_install "webkit2gtk-driver and xvfb" webkit2gtk-driver xvfb xauth
fi
if /usr/bin/python3 -c 'import gi; gi.require_version("WebKit2", "4.1")' 2>/dev/null; then
  say "python3-gi + gir1.2-webkit2-4.1: present"
else
  apt_install "python3-gi and gir1.2-webkit2-4.1" python3-gi gir1.2-webkit2-4.1
fi

# 4. geckodriver (Firefox's WebDriver), pinned, built once into the tools cache. The Makefile
#    reads the same location (scripts/tools-dir.sh).
GECKODRIVER_VERSION=0.37.1
tools=$(bash scripts/tools-dir.sh)
if "$tools/bin/geckodriver" --version 2>/dev/null | grep -q "^geckodriver $GECKODRIVER_VERSION"; then
  say "geckodriver $GECKODRIVER_VERSION: present"
else
  say "cargo install geckodriver --version $GECKODRIVER_VERSION --root $tools (takes a few minutes)"
  mkdir -p "$tools"
  cargo install geckodriver --version "$GECKODRIVER_VERSION" --root "$tools"
fi

# 5. npm devDependencies, reinstalled only when package-lock.json changed since the last install.
if [ -d node_modules ] && [ ! package-lock.json -nt node_modules/.package-lock.json ]; then
  say "node_modules: up to date"
else
  say "npm ci"
  npm ci --no-audit --no-fund
fi

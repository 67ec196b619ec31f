#!/usr/bin/env bash
# Reading-station browser tests (issue 7) and the audit-report rendering check (issue 6).
# Usage: tests/browser/run.sh [test files...]   (default: every *.test.mjs here)
# Env: GC_BIN (default build/greenchannel), GC_ARTIFACTS (default build/test-artifacts),
#      GC_CHROMIUM (default /usr/bin/chromium).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# Relative paths in GC_BIN / GC_ARTIFACTS are taken from the caller's directory.
abs() { [[ "$1" = /* ]] && echo "$1" || echo "$PWD/$1"; }
export GC_BIN="$(abs "${GC_BIN:-$root/build/greenchannel}")"
export GC_ARTIFACTS="$(abs "${GC_ARTIFACTS:-$root/build/test-artifacts}")"
cd "$here"

command -v node >/dev/null || { echo "tests/browser: node is required (apt-get install nodejs npm)" >&2; exit 1; }
# Node.js 18 is what Debian bookworm's nodejs package gives a new machine; playwright-core is
# pinned (package.json) to the newest release that still runs on it (1.61; 1.62+ need Node 20).
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if ((node_major < 18)); then
  echo "tests/browser: Node.js >= 18 is required, found $(node --version) (apt-get install nodejs npm)" >&2
  exit 1
fi
chromium="${GC_CHROMIUM:-/usr/bin/chromium}"
[[ -x "$chromium" ]] || { echo "tests/browser: $chromium not found (apt-get install chromium)" >&2; exit 1; }
[[ -x "$GC_BIN" ]] || { echo "tests/browser: $GC_BIN not built (cmake --build build --target greenchannel)" >&2; exit 1; }

# Dependencies exactly as locked (playwright-core, which drives the system chromium and downloads
# no browser; axe-core, the accessibility checker injected into the pages).
if [[ ! -f node_modules/playwright-core/package.json || ! -f node_modules/axe-core/axe.min.js ]] ||
   ! node -e 'const l=require("./package-lock.json"),p=require("./node_modules/playwright-core/package.json");process.exit(l.packages["node_modules/playwright-core"].version===p.version?0:1)'; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi

if [[ $# -eq 0 ]]; then
  set -- ./*.test.mjs
fi
mkdir -p "$GC_ARTIFACTS"
# One file at a time (each starts its own servers and browser): a loop rather than
# --test-concurrency, which Node 18 does not have.
failed=()
for f in "$@"; do
  node --test --test-reporter=spec "$f" || failed+=("$f")
done
if ((${#failed[@]})); then
  echo "tests/browser: failed: ${failed[*]}" >&2
  exit 1
fi
echo "tests/browser: screenshots in $GC_ARTIFACTS"

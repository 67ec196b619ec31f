# Shared by scripts/demo and scripts/test: install missing Debian packages, configure, build.
# shellcheck shell=bash
set -euo pipefail

GC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GC_BUILD="${GC_BUILD:-$GC_ROOT/build}"
GC_PACKAGES=(g++ cmake make pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-program-options1.81-dev
  libeigen3-dev libfftw3-dev libprotobuf-dev protobuf-compiler libsqlite3-dev sqlite3 catch2
  libssl-dev openssl
  libdcmtk-dev libpugixml-dev
  libcairo2-dev fonts-noto-cjk dicom3tools poppler-utils
  libpq-dev postgresql-15  # the PostgreSQL backend; its tests start a throwaway cluster
  haproxy  # the README's load-balancer example is run by a test (on loopback)
  # the package tests: cpack (file, dpkg-shlibdeps), systemd-analyze, /bin/kill, /metrics, and
  # the dpkg install into a throwaway root (the package's postinst runs adduser)
  dpkg-dev file systemd procps curl adduser)

gc_install_packages() {
  local missing=()
  for p in "${GC_PACKAGES[@]}" "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if ((${#missing[@]})); then
    echo "==> installing: ${missing[*]}"
    local sudo=""
    if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
    $sudo apt-get update -q
    # --no-install-recommends keeps Boost 1.74 (libboost-dev) out: it conflicts with 1.81.
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

# Browser tests (tests/browser): Debian's chromium, Node.js with npm, CJK fonts for the zh-CN UI.
GC_BROWSER_PACKAGES=(chromium fonts-noto-cjk)

gc_install_browser_packages() {
  local extra=("${GC_BROWSER_PACKAGES[@]}")
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    extra+=(nodejs npm)
  fi
  gc_install_packages "${extra[@]}"
}

gc_build() {
  local jobs
  jobs="$(nproc 2>/dev/null || echo 2)"
  local build_type="${GC_BUILD_TYPE:-Release}"
  echo "==> configuring $GC_BUILD ($build_type${GC_CMAKE_ARGS:+ $GC_CMAKE_ARGS})"
  # shellcheck disable=SC2086  # GC_CMAKE_ARGS is a list of -D options
  cmake -S "$GC_ROOT" -B "$GC_BUILD" -DCMAKE_BUILD_TYPE="$build_type" ${GC_CMAKE_ARGS:-} >/dev/null
  echo "==> building with $jobs jobs"
  cmake --build "$GC_BUILD" -j "$jobs" "$@"
}

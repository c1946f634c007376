#!/usr/bin/env bash
# Install what the build needs on a Debian 12 machine; idempotent and quick when
# everything is already there. Called by the Makefile before configuring.
set -euo pipefail
pkgs=(
    build-essential cmake ninja-build pkg-config clang   # toolchain (clang: libFuzzer)
    libsodium-dev          # Ed25519 genesis keys, secret wiping, CSPRNG
    libssl-dev openssl     # SHA-256 (SHA-NI) for digests; openssl CLI checks blst's tarball, bench_digest
    libcurl4-openssl-dev   # HTTP client (signer, client)
    libmicrohttpd-dev      # HTTP server (aggregator, fake aggregator)
    libjansson-dev         # JSON messages
    libarchive-dev         # tar archives of the Cardano DB
    libzstd-dev zstd       # zstd compression of archives
    libsqlite3-dev sqlite3 # stores
    nodejs npm             # `npm pack` fetches blst's sources
    python3 python3-jsonschema python3-yaml  # OpenAPI conformance test
    curl procps psmisc xxd # devnet scripts and shell tests
    emscripten             # libmithril for WebAssembly (make wasm); optional, see below
    chromium               # the explorer's browser tests and make demo's screenshot; optional
)
# Packages the native build can do without: if they cannot be installed, the
# rest still is, and their part of the build and tests is skipped.
optional=(emscripten chromium)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm may come from elsewhere (nodesource, nvm): accept any working npm.
if command -v npm >/dev/null 2>&1; then
    tmp=(); for p in "${missing[@]}"; do [ "$p" = nodejs ] || [ "$p" = npm ] || tmp+=("$p"); done
    missing=("${tmp[@]+"${tmp[@]}"}")
fi
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
required=()
for p in "${missing[@]}"; do
    [[ " ${optional[*]} " == *" $p "* ]] || required+=("$p")
done
[ ${#required[@]} -eq 0 ] || $sudo apt-get install -y -qq --no-install-recommends "${required[@]}"
for p in "${optional[@]}"; do
    [[ " ${missing[*]} " == *" $p "* ]] || continue
    $sudo apt-get install -y -qq --no-install-recommends "$p" ||
        echo "install-deps: $p not installed: its part of the build is skipped" >&2
done

#!/usr/bin/env bash
# Fetch and unpack the C sources the wasm build compiles, each checked against
# the sha256 pinned in wasm/deps.lock (Debian bookworm source packages) and,
# for blst, the sha512 of scripts/blst.lock (npm). Debian's patches of a
# package are applied as its series lists them.
#   wasm/fetch-deps.sh SRCDIR   -> SRCDIR/{libsodium,jansson,gmp,libb2,blst}
# Idempotent: a tarball already downloaded and checked is not fetched again.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: fetch-deps.sh SRCDIR}
mkdir -p "$out/dl"
out=$(cd "$out" && pwd)

check() { # file sha256
    local got
    got=$(sha256sum "$1" | cut -d' ' -f1)
    if [ "$got" != "$2" ]; then
        echo "fetch-deps: INTEGRITY CHECK FAILED for $1 (expected sha256 $2, got $got)" >&2
        rm -f "$1"
        exit 1
    fi
}

while read -r name url sha; do
    case "$name" in '' | '#'*) continue ;; esac
    file="$out/dl/${url##*/}"
    if [ ! -f "$file" ]; then
        echo "fetch-deps: $url" >&2
        curl -sSfL --retry 2 -o "$file.part" "$url"
        mv "$file.part" "$file"
    fi
    check "$file" "$sha"
    [ -f "$out/$name/.unpacked" ] && continue
    rm -rf "$out/$name" && mkdir -p "$out/$name"
    tar -xf "$file" -C "$out/$name" --strip-components=1
    touch "$out/$name/.unpacked"
done <"$here/deps.lock"

# Debian's patches (libsodium: CVE-2025-69277), as the native package has them.
if [ ! -f "$out/libsodium/.patched" ]; then
    while read -r p; do
        case "$p" in '' | '#'*) continue ;; esac
        patch -s -d "$out/libsodium" -p1 <"$out/libsodium-debian/patches/$p"
    done <"$out/libsodium-debian/patches/series"
    touch "$out/libsodium/.patched"
fi

# blst: the npm tarball scripts/fetch-blst.sh builds the native library from.
# shellcheck source=../scripts/blst.lock
. "$here/../scripts/blst.lock"
if [ ! -f "$out/blst/.unpacked" ]; then
    tgz="$out/dl/$BLST_NPM_FILE"
    [ -f "$tgz" ] || (cd "$out/dl" && npm pack --silent "$BLST_NPM_PACKAGE" >/dev/null)
    got=$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)
    if [ "$got" != "$BLST_SHA512" ]; then
        echo "fetch-deps: INTEGRITY CHECK FAILED for $tgz" >&2
        rm -f "$tgz"
        exit 1
    fi
    rm -rf "$out/blst" && mkdir -p "$out/blst"
    tar -xzf "$tgz" -C "$out/blst" --strip-components=2 package/blst
    touch "$out/blst/.unpacked"
fi

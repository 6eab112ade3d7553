#!/usr/bin/env bash
# Builds the Kafka test broker (tools/kafka-mock/launcher.c linked against a
# static librdkafka 2.15.1 with the patches in tools/kafka-mock/*.patch applied:
# transactions.patch, group-sync.patch, retention.patch).
#
# Requirements: bash, gcc, make, tar, npm (registry access on the first run
# only), flock (util-linux). No apt packages beyond a C toolchain are needed:
# SSL, SASL, zlib, zstd and curl support are disabled.
#
# Idempotent: when the binary is up to date with the patch, the launcher and
# this script, nothing is rebuilt. Prints the binary path as the only line on
# stdout; build output goes to stderr.
#
# Environment:
#   KAFKA_MOCK_BUILD_DIR  cache/build directory (default: <repo>/build/kafka-mock,
#                         ignored by git)
#   JOBS                  parallel compile jobs (default: 2)
set -euo pipefail

LIBRDKAFKA_VERSION=2.15.1
# The npm package @confluentinc/kafka-javascript@1.10.1 bundles the
# librdkafka 2.15.1 sources under deps/librdkafka.
NPM_PKG=@confluentinc/kafka-javascript@1.10.1
NPM_TGZ=confluentinc-kafka-javascript-1.10.1.tgz
NPM_TGZ_SHA256=ada7d703bb1d3237e2292bfabf438d663b6160c9f1ac2a2406b5dc4257c81b66

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${KAFKA_MOCK_BUILD_DIR:-$ROOT/build/kafka-mock}"
JOBS="${JOBS:-2}"
PATCHES=("$HERE/transactions.patch" "$HERE/group-sync.patch" "$HERE/retention.patch")
LAUNCHER="$HERE/launcher.c"
BIN="$CACHE/kafka-mock"
PRISTINE="$CACHE/librdkafka-$LIBRDKAFKA_VERSION-orig"
SRC="$CACHE/librdkafka-$LIBRDKAFKA_VERSION"

log() { echo "kafka-mock build: $*" >&2; }

for tool in gcc make tar npm flock sha256sum; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        log "missing '$tool' (Debian: apt-get install -y gcc make tar util-linux coreutils; npm comes with Node.js)"
        exit 1
    fi
done
if ! command -v patch >/dev/null 2>&1 && ! command -v git >/dev/null 2>&1; then
    log "missing 'patch' or 'git' to apply the patch (apt-get install -y patch)"
    exit 1
fi

mkdir -p "$CACHE"
# Serialize concurrent builds (e.g. parallel test workers).
exec 9>"$CACHE/.lock"
flock 9

STAMP="$(cat "${PATCHES[@]}" "$LAUNCHER" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)"
if [[ -x "$BIN" && -f "$BIN.stamp" && "$(cat "$BIN.stamp")" == "$STAMP" ]]; then
    echo "$BIN"
    exit 0
fi

# 1. Fetch the librdkafka sources (once).
if [[ ! -f "$CACHE/$NPM_TGZ" ]]; then
    log "fetching $NPM_PKG (librdkafka $LIBRDKAFKA_VERSION sources) with npm pack"
    (cd "$CACHE" && npm pack --silent "$NPM_PKG" >&2)
fi
if [[ "$(sha256sum "$CACHE/$NPM_TGZ" | cut -d' ' -f1)" != "$NPM_TGZ_SHA256" ]]; then
    log "checksum mismatch for $CACHE/$NPM_TGZ; delete it and retry"
    exit 1
fi
if [[ ! -f "$PRISTINE/src/rdkafka.h" ]]; then
    log "extracting librdkafka sources"
    rm -rf "$PRISTINE" "$CACHE/.extract"
    mkdir -p "$CACHE/.extract"
    tar -xzf "$CACHE/$NPM_TGZ" -C "$CACHE/.extract" package/deps/librdkafka
    mv "$CACHE/.extract/package/deps/librdkafka" "$PRISTINE"
    rm -rf "$CACHE/.extract"
fi

# 2. Configure a build tree (once). Only librdkafka.a is built, so neither
#    python3 nor a shared-library toolchain is needed.
if [[ ! -f "$SRC/Makefile.config" ]]; then
    log "configuring librdkafka"
    rm -rf "$SRC"
    cp -a "$PRISTINE" "$SRC"
    (cd "$SRC" && ./configure --disable-ssl --disable-gssapi --disable-sasl \
        --disable-zstd --disable-lz4-ext --disable-zlib --disable-curl \
        --disable-regex-ext --disable-syslog >&2)
fi

# 3. Re-apply the patch on pristine copies of the files it touches, so that
#    patch changes only recompile those files.
for PATCH in "${PATCHES[@]}"; do
    for f in $(sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$PATCH"); do
        cp "$PRISTINE/$f" "$SRC/$f"
    done
done
for PATCH in "${PATCHES[@]}"; do
    log "applying $(basename "$PATCH")"
    if command -v patch >/dev/null 2>&1; then
        (cd "$SRC" && patch -p1 --forward --quiet <"$PATCH" >&2)
    else
        # git apply outside of any repository (the cache may live inside one).
        (cd "$SRC" && GIT_CEILING_DIRECTORIES="$(dirname "$SRC")" git apply -p1 "$PATCH" >&2)
    fi
done

# 4. Build the static library and the launcher.
log "building librdkafka.a (make -j$JOBS)"
make -C "$SRC/src" -j"$JOBS" librdkafka.a >&2

log "building launcher"
gcc -O2 -g -Wall -I"$SRC/src" -o "$BIN.tmp" "$LAUNCHER" "$SRC/src/librdkafka.a" \
    -lm -ldl -lpthread -lrt >&2
mv "$BIN.tmp" "$BIN"
echo "$STAMP" >"$BIN.stamp"
log "done"
echo "$BIN"

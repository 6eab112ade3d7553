#!/usr/bin/env bash
# Builds the librdkafka-based Kafka client @confluentinc/kafka-javascript 1.10.1 from the
# librdkafka 2.15.1 sources it bundles, for the Kafka connector's `client = 'native'`.
#
# The package's install step downloads a prebuilt binary from outside the npm registry, so it is
# not a dependency in package.json: this script compiles its addon with node-gyp against the local
# Node headers, with SSL, SASL, zlib, zstd and curl support disabled (gcc, g++, make and python3
# are all it needs). The connector loads the result at run time from build/native-kafka/package
# (or the directory in SLUICE_KAFKA_NATIVE).
#
# Requirements: bash, gcc, g++, make, python3, tar, npm (registry access on the first run only:
# `npm pack` of the package and of nan, bindings and file-uri-to-path), flock (util-linux).
#
# Idempotent: when the package is up to date with this script and the Node ABI, nothing is
# rebuilt. Prints the package directory as the only line on stdout; build output goes to stderr.
#
# Environment:
#   NATIVE_KAFKA_BUILD_DIR  cache/build directory (default: <repo>/build/native-kafka, ignored by git)
#   JOBS                    parallel compile jobs (default: 2)
set -euo pipefail

PKG_VERSION=1.10.1
NPM_TGZ=confluentinc-kafka-javascript-$PKG_VERSION.tgz
# Packages fetched with `npm pack`, as "name@version tarball sha256".
TARBALLS=(
    "@confluentinc/kafka-javascript@$PKG_VERSION $NPM_TGZ ada7d703bb1d3237e2292bfabf438d663b6160c9f1ac2a2406b5dc4257c81b66"
    "nan@2.22.2 nan-2.22.2.tgz a49df94b4ca327c8123d139ce480b0823eeb9e2f0bf9fb26d9be038b9f16cb57"
    "bindings@1.5.0 bindings-1.5.0.tgz d77781178c5bd89a91b1f6c5556acd511b1b5927eb13e2ad8189cac29eeb0907"
    "file-uri-to-path@1.0.0 file-uri-to-path-1.0.0.tgz 5440cdf67e75ab96f36a6be63c1d4c3d54255b1d0970273710fecfebfab06fb3"
)

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
CACHE="${NATIVE_KAFKA_BUILD_DIR:-$ROOT/build/native-kafka}"
JOBS="${JOBS:-2}"
SRC="$CACHE/src"
PKG="$CACHE/package"
ADDON=build/Release/confluent-kafka-javascript.node

log() { echo "native-kafka build: $*" >&2; }

for tool in gcc g++ make python3 tar npm node flock sha256sum; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        log "missing '$tool' (Debian: apt-get install -y gcc g++ make python3 tar util-linux coreutils; npm comes with Node.js)"
        exit 1
    fi
done
NODE_GYP="$(dirname "$(dirname "$(realpath "$(command -v npm)")")")/node_modules/node-gyp/bin/node-gyp.js"
if [[ ! -f "$NODE_GYP" ]]; then
    log "node-gyp not found at $NODE_GYP (it ships with npm)"
    exit 1
fi
# The Node headers: those of the running node's installation prefix (no download).
NODE_DIR="$(node -p 'require("path").resolve(process.execPath, "../..")')"
if [[ ! -f "$NODE_DIR/include/node/node.h" ]]; then
    log "no Node headers under $NODE_DIR/include/node (Debian: apt-get install -y libnode-dev, or use the nodejs.org build)"
    exit 1
fi

mkdir -p "$CACHE"
# Serialize concurrent builds (e.g. parallel test workers).
exec 9>"$CACHE/.lock"
flock 9

STAMP="$( (cat "${BASH_SOURCE[0]}"; node -p 'process.versions.modules + " " + process.arch') | sha256sum | cut -d' ' -f1)"
if [[ -f "$PKG/$ADDON" && -f "$PKG.stamp" && "$(cat "$PKG.stamp")" == "$STAMP" ]]; then
    echo "$PKG"
    exit 0
fi

# 1. Fetch the tarballs (once). The Kafka test broker's build fetches the same package.
for entry in "${TARBALLS[@]}"; do
    read -r spec tgz sum <<<"$entry"
    if [[ ! -f "$CACHE/$tgz" && -f "$ROOT/build/kafka-mock/$tgz" ]]; then
        cp "$ROOT/build/kafka-mock/$tgz" "$CACHE/$tgz"
    fi
    if [[ ! -f "$CACHE/$tgz" ]]; then
        log "fetching $spec with npm pack"
        (cd "$CACHE" && npm pack --silent "$spec" >&2)
    fi
    if [[ "$(sha256sum "$CACHE/$tgz" | cut -d' ' -f1)" != "$sum" ]]; then
        log "checksum mismatch for $CACHE/$tgz; delete it and retry"
        exit 1
    fi
done

# 2. Extract the package with its build-time (nan) and run-time (bindings) dependencies.
log "extracting $NPM_TGZ"
rm -rf "$SRC" "$CACHE/.extract"
mkdir -p "$CACHE/.extract"
tar -xzf "$CACHE/$NPM_TGZ" -C "$CACHE/.extract"
mv "$CACHE/.extract/package" "$SRC"
for entry in "${TARBALLS[@]:1}"; do
    read -r spec tgz _ <<<"$entry"
    name="${spec%@*}"
    mkdir -p "$SRC/node_modules/$name"
    tar -xzf "$CACHE/$tgz" -C "$SRC/node_modules/$name" --strip-components=1
done

# 3. librdkafka and its C++ wrapper as static libraries, built with -fPIC into the addon.
log "configuring librdkafka"
(cd "$SRC/deps/librdkafka" && ./configure --disable-ssl --disable-gssapi --disable-sasl \
    --disable-zstd --disable-lz4-ext --disable-zlib --disable-curl \
    --disable-regex-ext --disable-syslog >&2)
log "building librdkafka.a and librdkafka++.a (make -j$JOBS)"
make -C "$SRC/deps/librdkafka/src" -j"$JOBS" librdkafka.a >&2
make -C "$SRC/deps/librdkafka/src-cpp" -j"$JOBS" librdkafka++.a >&2

# 4. The addon, linked against those libraries (BUILD_LIBRDKAFKA=0: its own librdkafka build
#    would configure with downloads of OpenSSL, zlib and zstd).
log "building the addon with node-gyp"
RDK="$SRC/deps/librdkafka"
# Static archives link in dependency order: the C++ wrapper before the library it wraps.
sed -i 's/"libraries": \["-lrdkafka", "-lrdkafka++"\]/"libraries": ["-lrdkafka++", "-lrdkafka"]/' "$SRC/binding.gyp"
grep -q '"-lrdkafka++", "-lrdkafka"' "$SRC/binding.gyp" || { log "binding.gyp: library list not found"; exit 1; }
(cd "$SRC" && BUILD_LIBRDKAFKA=0 JOBS="$JOBS" \
    CXXFLAGS="-I$RDK/src -I$RDK/src-cpp" LDFLAGS="-L$RDK/src -L$RDK/src-cpp" \
    node "$NODE_GYP" rebuild --nodedir="$NODE_DIR" >&2)

# 5. Assemble what loads at run time, check that it loads, and swap it in.
rm -rf "$PKG.tmp"
mkdir -p "$PKG.tmp/build/Release" "$PKG.tmp/node_modules"
cp -a "$SRC/package.json" "$SRC/index.d.ts" "$SRC/librdkafka.js" "$SRC/lib" "$SRC/types" "$SRC"/LICENSE* "$PKG.tmp/"
cp -a "$SRC/$ADDON" "$PKG.tmp/build/Release/"
cp -a "$SRC/node_modules/bindings" "$SRC/node_modules/file-uri-to-path" "$PKG.tmp/node_modules/"
version="$(node -p "require('$PKG.tmp').librdkafkaVersion")"
log "loaded: librdkafka $version"
rm -rf "$PKG"
mv "$PKG.tmp" "$PKG"
echo "$STAMP" >"$PKG.stamp"
# The build tree is not needed at run time (a rebuild starts from the tarballs).
rm -rf "$SRC"
log "done"
echo "$PKG"

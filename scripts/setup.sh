#!/usr/bin/env bash
# Installs what auditq needs to build and test on a fresh Debian/Ubuntu machine, only what is missing:
# OpenSSL 3 libcrypto, zlib and libdeflate headers (bound through systemLibrary targets), pkg-config, and the tools
# the tests drive as independent checkers (openssl, gzip, python3 with jsonschema).
set -euo pipefail

need=()
pkg-config --exists libcrypto 2>/dev/null || need+=(libssl-dev)
pkg-config --exists zlib 2>/dev/null || need+=(zlib1g-dev)
pkg-config --exists libdeflate 2>/dev/null || need+=(libdeflate-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v openssl >/dev/null || need+=(openssl)
command -v gzip >/dev/null || need+=(gzip)
command -v python3 >/dev/null || need+=(python3)
if command -v python3 >/dev/null && ! python3 -c 'import jsonschema' 2>/dev/null; then
    need+=(python3-jsonschema)
fi

if ((${#need[@]})); then
    echo "setup: installing ${need[*]}" >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
# Debian's python3-jsonschema may be older than Draft 2020-12 support; fall back to pip.
if ! python3 -c 'import jsonschema; jsonschema.Draft202012Validator' 2>/dev/null; then
    python3 -m pip install --quiet 'jsonschema>=4.0' || python3 -m pip install --quiet --break-system-packages 'jsonschema>=4.0'
fi
command -v swift >/dev/null || { echo "setup: Swift 6.1 or newer is required (https://www.swift.org/install)" >&2; exit 1; }

#!/usr/bin/env bash
# Idempotent host setup for building and testing Nestor. Installs only what is missing.
# Debian packages need root (CI runs as root); elsewhere it prints what to install and stops.
# Usage: build/setup.sh [GROUP...]; groups add tools only some targets need (images: `make images`).
set -euo pipefail
cd "$(dirname "$0")/.."

# command:debian-package pairs the build and the tests need.
needs=(
  "g++:g++"
  "patchelf:patchelf"
  # Argo CD health checks are Lua 5.1 (gopher-lua); tests/Nestor.Charts.Tests runs them.
  "lua5.1:lua5.1"
  # build/install-helm.sh: helm comes out of an npm package.
  "npm:npm"
  "unzip:unzip"
  "setsid:util-linux"  # the local node agent starts each pod process in its own session
  "python3:python3"    # tests/Nestor.Local.Tests run small HTTP servers and signal handlers as pods
)
for group in "$@"; do
  case $group in
    # OCI images without Docker (images/build.sh, images/check.sh).
    images) needs+=("buildah:buildah" "debootstrap:debootstrap" "jq:jq" "unshare:util-linux" "strip:binutils") ;;
    *) echo "setup: unknown group '$group' (known: images)" >&2; exit 2 ;;
  esac
done

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET SDK 10 is required (https://dot.net); 'dotnet' is not on PATH." >&2
  exit 1
fi

missing=()
for pair in "${needs[@]}"; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
done

if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/nestor-apt.log 2>&1; then
      apt-get update >/tmp/nestor-apt.log 2>&1 || true
      apt-get install -y --no-install-recommends "${missing[@]}" >>/tmp/nestor-apt.log 2>&1 || {
        echo "setup: apt-get could not install ${missing[*]}; see /tmp/nestor-apt.log" >&2; exit 1; }
    fi
  else
    echo "setup: missing ${missing[*]}. Install them (Debian/Ubuntu: sudo apt-get install ${missing[*]}) and rerun." >&2
    exit 1
  fi
fi

# Helm has no Debian package: build/install-helm.sh puts it at .tools/helm (tests/Nestor.Charts.Tests).
build/install-helm.sh

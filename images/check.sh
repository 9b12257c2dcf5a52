#!/usr/bin/env bash
# `make images-check`: checks the OCI archives that `make images` wrote, the way a cluster would
# see them. For each image it
#   - verifies the archive (OCI layout, every blob's sha256) and unpacks its layers into a root
#     filesystem, as a container runtime does;
#   - checks the config: numeric non-root user, entrypoint, environment, OCI labels, and that the
#     Dockerfile in images/ declares the same user, entrypoint and environment;
#   - checks the tree: root-owned, nothing writable but /tmp, no shell or other executables
#     outside /app, no libtorch parts the trim removes;
#   - runs the entrypoint inside that tree like a restricted pod: own mount and PID namespaces,
#     that tree as root, the image's user, environment and working directory, read-only root filesystem, tmpfs /tmp:
#     runtime `nestor --version` and `nestor doctor` (libtorch loads, a tensor op and a backward
#     pass run), and `--version` again with no writable /tmp at all; operator `--help`.
# Needs root (mount namespaces, changing root). See docs/images.md.
# shellcheck disable=SC2016 # the single-quoted `bash -c` checks expand their own $1, $2 on purpose
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$PWD
out=${NESTOR_IMAGES_OUT:-$root/artifacts/images}
work=${NESTOR_IMAGES_WORK:-$root/.nestor/images}/check

if [[ $(id -u) -ne 0 ]]; then
  echo "images-check: must run as root (CI does): it unpacks images and runs them in their own mount namespaces." >&2
  exit 1
fi

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "  ok    $*"; }
bad() { failed=$((failed + 1)); echo "  FAIL  $*"; }
expect() { # expect DESCRIPTION COMMAND...: a check that passes when COMMAND succeeds
  local what=$1
  shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}

# unpack ARCHIVE DEST: verifies the OCI archive and extracts its layers into DEST/rootfs; prints
# the config blob's path.
unpack() {
  local archive=$1 dest=$2 manifest config layer media digest
  rm -rf "$dest"
  mkdir -p "$dest/oci" "$dest/rootfs"
  tar -C "$dest/oci" -xf "$archive" || return 1
  [[ $(jq -r '.imageLayoutVersion' "$dest/oci/oci-layout") == 1.0.0 ]] || { echo "not an OCI layout" >&2; return 1; }
  for blob in "$dest"/oci/blobs/sha256/*; do
    [[ $(sha256sum "$blob" | cut -d' ' -f1) == "$(basename "$blob")" ]] || { echo "blob $blob does not match its digest" >&2; return 1; }
  done
  manifest=$dest/oci/blobs/sha256/$(jq -r '.manifests[0].digest' "$dest/oci/index.json" | cut -d: -f2)
  config=$dest/oci/blobs/sha256/$(jq -r '.config.digest' "$manifest" | cut -d: -f2)
  while read -r media digest; do
    layer=$dest/oci/blobs/sha256/${digest#sha256:}
    case $media in
      *tar+gzip) tar -C "$dest/rootfs" --numeric-owner -xzf "$layer" ;;
      *tar) tar -C "$dest/rootfs" --numeric-owner -xf "$layer" ;;
      *) echo "unknown layer type $media" >&2; return 1 ;;
    esac || return 1
    # Whiteouts, as the OCI image spec defines them (these images have none, but be correct).
    while IFS= read -r -d '' wh; do
      local name=${wh##*/} dir=${wh%/*}
      if [[ $name == .wh..wh..opq ]]; then find "$dir" -mindepth 1 -maxdepth 1 ! -name .wh..wh..opq -exec rm -rf {} +; else rm -rf "${dir:?}/${name#.wh.}"; fi
      rm -f "$wh"
    done < <(find "$dest/rootfs" -name '.wh.*' -print0)
  done < <(jq -r '.layers[] | "\(.mediaType) \(.digest)"' "$manifest")
  echo "$config"
}

# run_image ROOTFS CONFIG TMP ARG...: runs the image's entrypoint with ARGs, with the image's
# user, environment and working directory, as a pod with readOnlyRootFilesystem would: TMP=tmpfs
# mounts an emptyDir-like tmpfs on /tmp, TMP=none leaves /tmp read-only too. Prints the output;
# returns the entrypoint's exit code.
run_image() {
  local rootfs=$1 config=$2 tmp=$3
  shift 3
  local user wd env=() entrypoint=()
  user=$(jq -r '.config.User' "$config")
  [[ $user == *:* ]] || user=$user:0
  wd=$(jq -r '.config.WorkingDir // "/"' "$config")
  mapfile -t env < <(jq -r '.config.Env[]' "$config")
  mapfile -t entrypoint < <(jq -r '.config.Entrypoint[]' "$config")
  timeout 300 unshare --mount --pid --fork --kill-child -- bash -euc '
    rootfs=$1 tmp=$2 user=$3 wd=$4 envcount=$5
    shift 5
    env=("${@:1:envcount}")
    shift "$envcount"
    mount --make-rprivate /
    mount --bind "$rootfs" "$rootfs"
    mount -t proc proc "$rootfs/proc"
    mount -t tmpfs -o mode=0755,size=1m,nosuid,noexec tmpfs "$rootfs/dev"
    for node in null zero full random urandom tty; do
      touch "$rootfs/dev/$node"
      mount --bind "/dev/$node" "$rootfs/dev/$node"
    done
    ln -s /proc/self/fd "$rootfs/dev/fd"
    mkdir "$rootfs/dev/shm"
    mount -t tmpfs -o mode=1777,size=64m,nosuid,nodev tmpfs "$rootfs/dev/shm"
    [[ $tmp == tmpfs ]] && mount -t tmpfs -o mode=1777,size=512m,nosuid,nodev tmpfs "$rootfs/tmp"
    mount -o remount,bind,ro "$rootfs"
    # nsenter here only changes root and working directory, then drops to the user (and its group).
    exec env -i "${env[@]}" nsenter --root="$rootfs" --wd="$rootfs$wd" --setuid="${user%%:*}" --setgid="${user#*:}" "$@"
  ' check "$rootfs" "$tmp" "$user" "$wd" "${#env[@]}" "${env[@]}" "${entrypoint[@]}" "$@" 2>&1
}

# dockerfile_matches DOCKERFILE CONFIG: the Dockerfile's final stage declares the same USER,
# ENTRYPOINT and environment (names and values) as the image make images built. For an image
# built from that Dockerfile (NESTOR_IMAGES_FROM_DOCKERFILE=1), whose environment also holds its
# base image's, every ENV of the Dockerfile must be in the image instead.
dockerfile_matches() {
  local dockerfile=$1 config=$2 final user entrypoint want have
  # The final stage: from its FROM line to the end, continuation lines joined.
  final=$(awk '/^FROM /{buf=""} {buf=buf $0 "\n"} END{printf "%s", buf}' "$dockerfile" | sed -e ':a' -e '/\\$/N; s/\\\n[[:space:]]*/ /; ta')
  user=$(sed -n 's/^USER[[:space:]]\+//p' <<<"$final" | tail -1)
  entrypoint=$(sed -n 's/^ENTRYPOINT[[:space:]]\+//p' <<<"$final" | tail -1 | jq -c .)
  [[ $user == "$(jq -r '.config.User' "$config")" ]] || { echo "    $dockerfile: USER $user, image $(jq -r .config.User "$config")" >&2; return 1; }
  [[ $entrypoint == "$(jq -c '.config.Entrypoint' "$config")" ]] || { echo "    $dockerfile: ENTRYPOINT $entrypoint" >&2; return 1; }
  have=$(sed -n 's/^ENV[[:space:]]\+//p' <<<"$final" | tr ' ' '\n' | grep '=' | LC_ALL=C sort)
  want=$(jq -r '.config.Env[]' "$config" | grep -v '^PATH=' | LC_ALL=C sort)
  if [[ -n ${NESTOR_IMAGES_FROM_DOCKERFILE:-} ]]; then
    local swap=$have
    have=$(jq -r '.config.Env[]' "$config" | LC_ALL=C sort)
    want=$swap
  fi
  [[ $(comm -13 <(echo "$have") <(echo "$want")) == "" ]] || { echo "    $dockerfile vs the image, missing: $(comm -13 <(echo "$have") <(echo "$want") | tr '\n' ' ')" >&2; return 1; }
}

# check_common NAME EXE CONFIG ROOTFS DOCKERFILE: what every Nestor image must satisfy.
check_common() {
  local name=$1 exe=$2 config=$3 rootfs=$4 dockerfile=$5 label
  expect "$name: user is numeric and not root ($(jq -r .config.User "$config"))" \
    bash -c '[[ $1 =~ ^[1-9][0-9]*:[0-9]+$ ]]' _ "$(jq -r .config.User "$config")"
  expect "$name: entrypoint is [\"/app/$exe\"]" \
    test "$(jq -c .config.Entrypoint "$config")" == "[\"/app/$exe\"]"
  expect "$name: HOME and TMPDIR are /tmp" \
    bash -c 'grep -qx HOME=/tmp <<<"$1" && grep -qx TMPDIR=/tmp <<<"$1"' _ "$(jq -r '.config.Env[]' "$config")"
  for label in title description version revision created; do
    expect "$name: label org.opencontainers.image.$label=$(jq -r ".config.Labels[\"org.opencontainers.image.$label\"] // \"\" | .[0:48]" "$config")" \
      test -n "$(jq -r ".config.Labels[\"org.opencontainers.image.$label\"] // \"\"" "$config")"
  done
  expect "$name: $dockerfile declares the same user, entrypoint and environment" dockerfile_matches "$dockerfile" "$config"
  expect "$name: no shell, no executables in /usr/bin or /usr/sbin" \
    bash -c '[[ ! -e $1/bin/sh && -z $(find "$1/usr/bin" "$1/usr/sbin" -mindepth 1 -print -quit) ]]' _ "$rootfs"
  expect "$name: every file is owned by root" test -z "$(find "$rootfs" ! -uid 0 -print -quit)"
  expect "$name: nothing is writable by others but /tmp and /var/tmp" \
    test -z "$(find "$rootfs" -perm -o+w ! -type l ! -path "$rootfs/tmp" ! -path "$rootfs/var/tmp" -print -quit)"
  expect "$name: the user cannot write to /app" test "$(stat -c %u "$rootfs/app")" == 0
}

sizes() { # sizes NAME ARCHIVE ROOTFS MANIFEST
  echo "  size  $1: archive $(du -h --apparent-size "$2" | cut -f1), unpacked $(du -sh "$3" | cut -f1); layers (gzip): $(jq -r '[.layers[].size / 1048576 | floor | tostring + " MiB"] | join(", ")' "$4")"
}

missing=()
for image in nestor-operator nestor-runtime-cpu; do [[ -f $out/$image.tar ]] || missing+=("$out/$image.tar"); done
if ((${#missing[@]})); then
  echo "images-check: ${missing[*]} missing; run 'make images' first." >&2
  exit 1
fi

# --- runtime (CPU) -----------------------------------------------------------------------------
echo "nestor-runtime-cpu"
dest=$work/runtime
if config=$(unpack "$out/nestor-runtime-cpu.tar" "$dest"); then
  ok "nestor-runtime-cpu: the archive is a valid OCI layout, every blob matches its digest"
  rootfs=$dest/rootfs
  check_common nestor-runtime-cpu nestor "$config" "$rootfs" images/runtime/Dockerfile
  expect "nestor-runtime-cpu: label dev.nestor.torch.backend=cpu" test "$(jq -r '.config.Labels["dev.nestor.torch.backend"]' "$config")" == cpu
  expect "nestor-runtime-cpu: no Python/test parts of libtorch, no non-linux natives" \
    bash -c '[[ ! -e $1/app/libtorch_python.so && ! -e $1/app/libtorchbind_test.so && ! -d $1/app/runtimes ]]' _ "$rootfs"
  expect "nestor-runtime-cpu: libtorch_cpu.so is stripped of its static symbol table" \
    bash -c '! readelf -S -W "$1/app/libtorch_cpu.so" | grep -q "\.symtab"' _ "$rootfs"
  # Debian 12's libstdc++ lacks GLIBCXX_3.4.32, so the image must carry TorchSharp's fix (docs/build.md).
  if grep -q GLIBCXX_3.4.32 "$rootfs/usr/lib/x86_64-linux-gnu/libstdc++.so.6"; then
    ok "nestor-runtime-cpu: the image's libstdc++ has GLIBCXX_3.4.32; TorchSharp needs no fix"
  else
    expect "nestor-runtime-cpu: libstdc++ lacks GLIBCXX_3.4.32 and libLibTorchSharp.so carries the fix (shim needed, present)" \
      bash -c 'readelf -d "$1/app/libLibTorchSharp.so" | grep -q "NEEDED.*libnestor_glibcxx_shim.so" && [[ -f $1/app/libnestor_glibcxx_shim.so ]]' _ "$rootfs"
  fi
  version=$(jq -r '.config.Labels["org.opencontainers.image.version"]' "$config")
  output=$(run_image "$rootfs" "$config" tmpfs --version)
  rc=$?
  echo "        nestor --version -> $output"
  expect "nestor-runtime-cpu: 'nestor --version' exits 0 and prints $version (read-only root, tmpfs /tmp)" \
    bash -c '[[ $1 == 0 && $2 == "$3"* ]]' _ "$rc" "$output" "$version"
  output=$(run_image "$rootfs" "$config" tmpfs doctor)
  rc=$?
  echo "        nestor doctor -> $output"
  expect "nestor-runtime-cpu: 'nestor doctor' exits 0: libtorch loads, matmul and backward pass run" \
    bash -c '[[ $1 == 0 ]] && jq -e ".BackwardOk == true" <<<"$2" >/dev/null' _ "$rc" "$(tail -1 <<<"$output")"
  output=$(run_image "$rootfs" "$config" none --version)
  rc=$?
  expect "nestor-runtime-cpu: 'nestor --version' exits 0 with no writable path at all" test "$rc" == 0
  sizes nestor-runtime-cpu "$out/nestor-runtime-cpu.tar" "$rootfs" \
    "$dest/oci/blobs/sha256/$(jq -r '.manifests[0].digest' "$dest/oci/index.json" | cut -d: -f2)"
else
  bad "nestor-runtime-cpu: $out/nestor-runtime-cpu.tar could not be verified and unpacked"
fi

# --- operator ----------------------------------------------------------------------------------
echo "nestor-operator"
dest=$work/operator
if config=$(unpack "$out/nestor-operator.tar" "$dest"); then
  ok "nestor-operator: the archive is a valid OCI layout, every blob matches its digest"
  rootfs=$dest/rootfs
  check_common nestor-operator nestor-operator "$config" "$rootfs" images/operator/Dockerfile
  output=$(run_image "$rootfs" "$config" tmpfs --help)
  rc=$?
  echo "        nestor-operator --help -> exit $rc: $(head -3 <<<"$output" | tr '\n' ' ')"
  if [[ $rc == 2 && $output == *"Not built yet"* ]]; then
    # operator/Nestor.Operator/Program.cs is still the foundation's placeholder: it reached Main
    # (the .NET host and the ASP.NET framework loaded), which is all this image can show today.
    ok "nestor-operator: the entrypoint starts .NET and runs Main (WARNING: Program.cs is still the placeholder; --help must exit 0 once the operator lands)"
  else
    expect "nestor-operator: 'nestor-operator --help' exits 0 (read-only root, tmpfs /tmp)" test "$rc" == 0
  fi
  sizes nestor-operator "$out/nestor-operator.tar" "$rootfs" \
    "$dest/oci/blobs/sha256/$(jq -r '.manifests[0].digest' "$dest/oci/index.json" | cut -d: -f2)"
else
  bad "nestor-operator: $out/nestor-operator.tar could not be verified and unpacked"
fi

rm -rf "$work"
echo "images-check: $passed checks passed, $failed failed"
((failed == 0))

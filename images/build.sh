#!/usr/bin/env bash
# `make images`: builds the operator image and the runtime (CPU) image as OCI archives,
#   artifacts/images/nestor-operator.tar and artifacts/images/nestor-runtime-cpu.tar,
# offline and without Docker: no base image is pulled. The base root filesystem is a distroless
# subset of a Debian debootstrap (images/rootfs.sh); the apps are self-contained .NET publishes;
# buildah (vfs storage, private to this checkout) assembles and commits the layers.
# Idempotent: an image whose inputs did not change is not rebuilt (NESTOR_IMAGES_FORCE=1 rebuilds).
# See docs/images.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=${NESTOR_IMAGES_WORK:-$root/.nestor/images}
out=${NESTOR_IMAGES_OUT:-$root/artifacts/images}
uid=65532

start=$SECONDS
log() { echo "images: [$((SECONDS - start)) s] $*"; }
die() { echo "images: $*" >&2; exit 1; }

if [[ $(id -u) -ne 0 ]]; then
  die "'make images' must run as root (CI does): debootstrap, and buildah's vfs storage, write root-owned trees.
        Without root, build the Dockerfiles in images/ with Docker or Podman instead (docs/images.md)."
fi
for tool in buildah debootstrap jq strip dotnet; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is missing; run 'build/setup.sh images' (make images does)."
done

mkdir -p "$work/tmp" "$out"
bah() { TMPDIR=$work/tmp buildah --root "$work/storage" --runroot "$work/runroot" --storage-driver vfs "$@"; }
# Working containers left by an interrupted run hold full copies of their trees.
bah rm --all >/dev/null 2>&1 || true

base=$(images/rootfs.sh "$work/rootfs")
base_key=$(basename "$base")
# The TorchSharp fix (docs/build.md) must judge the image's libstdc++, not this host's.
target_libstdcxx=$base/usr/lib/x86_64-linux-gnu/libstdc++.so.6
[[ -f $target_libstdcxx ]] || die "$target_libstdcxx is missing from the base tree"

revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
source_url=$(git config --get remote.origin.url 2>/dev/null || true)

# publish NAME PROJECT: a trimmed self-contained linux-x64 publish in $work/publish/NAME.
publish() {
  local name=$1 project=$2 dir=$work/publish/$1
  log "publishing $project (self-contained, linux-x64)"
  rm -rf "$dir"
  dotnet publish "$project" -c Release -r linux-x64 --self-contained -o "$dir" -nologo -v q -clp:ErrorsOnly \
    -p:NestorTargetLibStdCxx="$target_libstdcxx" >"$work/publish-$name.log" 2>&1 \
    || { cat "$work/publish-$name.log" >&2; die "dotnet publish $project failed"; }
  images/trim-publish.sh "$dir"
}

# stage DIR DEST: copies (never hard-links: chmod must not reach the NuGet cache) a publish into
# DEST/app with normalised owners and modes: root-owned, nothing writable, only the apphosts executable.
stage() {
  local src=$1 dest=$2
  rm -rf "$dest"
  mkdir -p "$dest/app"
  cp -R --preserve=timestamps "$src/." "$dest/app/"
  chown -R 0:0 "$dest"
  find "$dest" -type d -exec chmod 0755 {} +
  find "$dest" -type f -exec chmod 0644 {} +
}

# fingerprint DIR...: content hash of trees (paths, modes, link targets, file contents).
fingerprint() {
  local d
  for d in "$@"; do
    (cd "$d" && find . -printf '%p %y %m %l\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
  done | sha256sum | cut -c1-16
}

# layer_image PARENT DIR NAME DESCRIPTION: an intermediate image (PARENT plus DIR's tree as one
# layer), kept in the private storage under a content-addressed tag: unchanged lower layers are reused.
layer_image() {
  local parent=$1 dir=$2 name=$3 description=$4 key ref c
  key=$( { echo "$description"; fingerprint "$dir"; } | sha256sum | cut -c1-16)
  [[ $parent != scratch ]] && key=$(echo "$parent $key" | sha256sum | cut -c1-16)
  ref=localhost/nestor-build/$name:$key
  if ! bah inspect --type image "$ref" >/dev/null 2>&1; then
    c=$(bah from --pull=never "$parent")
    bah copy --quiet "$c" "$dir/" / >/dev/null
    bah config --created-by "$description" "$c"
    bah commit --quiet --rm --identity-label=false --timestamp "$epoch" "$c" "$ref" >/dev/null
  fi
  echo "$ref"
}

# image NAME REPO TAG_SUFFIX EXE TITLE DESCRIPTION PARENT APP_DIR EXTRA_CONFIG...: the final image,
# as the OCI archive $out/NAME.tar whose one manifest is named REPO:VERSION[TAG_SUFFIX].
image() {
  local name=$1 repo=$2 suffix=$3 exe=$4 title=$5 description=$6 parent=$7 app=$8
  shift 8
  local version archive=$out/$name.tar inputs c
  version=$(jq -r '.libraries | to_entries[] | select(.value.type == "project" and (.key | startswith("'"$exe"'/"))) | .key | sub(".*/"; "")' \
    "$app/app/$exe.deps.json")
  [[ -n $version ]] || die "no version for $exe in its deps.json"
  local cfg=(
    --os linux --arch amd64
    --user "$uid:$uid"
    --workingdir /app
    --entrypoint "[\"/app/$exe\"]"
    --env PATH=/app:/usr/local/bin:/usr/bin:/bin
    --env HOME=/tmp
    --env TMPDIR=/tmp
    --env DOTNET_RUNNING_IN_CONTAINER=true
    --env DOTNET_EnableDiagnostics_Debugger=0
    --env DOTNET_EnableDiagnostics_Profiler=0
    --label org.opencontainers.image.title="$title"
    --label org.opencontainers.image.description="$description"
    --label org.opencontainers.image.version="$version"
    --label org.opencontainers.image.revision="$revision"
    --label org.opencontainers.image.created="$created"
    --label org.opencontainers.image.vendor=Nestor
    --label dev.nestor.image.base="debian-$base_key (debootstrap minbase, distroless subset)"
    --created-by "nestor images/build.sh: self-contained .NET publish of $exe"
    # The parent is an intermediate image of this build, never published: do not name it.
    --annotation org.opencontainers.image.base.name-
    --annotation org.opencontainers.image.base.digest-
    "$@"
  )
  [[ -n $source_url ]] && cfg+=(--label org.opencontainers.image.source="$source_url")

  inputs=$( { echo "$parent"; printf '%s\n' "${cfg[@]}"; fingerprint "$app"; cat images/build.sh; } | sha256sum | cut -c1-64)
  if [[ -z ${NESTOR_IMAGES_FORCE:-} && -f $archive && -f $archive.inputs && $(cat "$archive.inputs") == "$inputs" ]]; then
    log "$name is up to date ($archive)"
    return
  fi
  log "committing $name $version"
  c=$(bah from --pull=never "$parent")
  bah copy --quiet "$c" "$app/" / >/dev/null
  bah config "${cfg[@]}" "$c"
  rm -f "$archive" "$archive.inputs" "$archive.tmp"
  bah commit --quiet --rm --identity-label=false --timestamp "$epoch" --disable-compression=false "$c" \
    "oci-archive:$archive.tmp:$repo:$version$suffix" >/dev/null
  mv "$archive.tmp" "$archive"
  echo "$inputs" >"$archive.inputs"
}

publish operator operator/Nestor.Operator
publish runtime runtime/Nestor.Runtime

stage "$work/publish/operator" "$work/stage/operator"
chmod 0755 "$work/stage/operator/app/nestor-operator" "$work/stage/operator/app/createdump"

# The runtime gets three layers: base, libtorch + TorchSharp natives (~470 MB, change only with
# their package versions), and the app with the .NET runtime (changes with every commit).
stage "$work/publish/runtime" "$work/stage/runtime"
chmod 0755 "$work/stage/runtime/app/nestor" "$work/stage/runtime/app/createdump"
rm -rf "$work/stage/runtime-torch"
mkdir -p "$work/stage/runtime-torch/app"
find "$work/stage/runtime/app" -maxdepth 1 -type f \
  \( -name 'libtorch*.so' -o -name 'libc10*.so' -o -name 'libgomp*.so*' -o -name 'libLibTorchSharp.so' -o -name 'libnestor_glibcxx_shim.so' \) \
  -exec mv -t "$work/stage/runtime-torch/app/" {} +
[[ -f $work/stage/runtime-torch/app/libtorch_cpu.so ]] || die "libtorch_cpu.so is not in the runtime's publish"

base_image=$(layer_image scratch "$base" base "nestor images/rootfs.sh: Debian $base_key, distroless subset")
torch_image=$(layer_image "$base_image" "$work/stage/runtime-torch" runtime-torch "nestor images/build.sh: libtorch CPU and TorchSharp natives")

image nestor-operator nestor-operator "" nestor-operator "Nestor operator" \
  "Kubernetes operator for elastic NemotronH deployments: ElasticModel, BudgetTier and CompressionRun controllers and the tier autoscaler." \
  "$base_image" "$work/stage/operator" \
  --env ASPNETCORE_HTTP_PORTS=8080 --port 8080/tcp
image nestor-runtime-cpu nestor-runtime -cpu nestor "Nestor runtime (CPU)" \
  "The nestor CLI: serves, trains and slices elastic NemotronH checkpoints; libtorch CPU backend." \
  "$torch_image" "$work/stage/runtime" \
  --label dev.nestor.torch.backend=cpu

# Intermediate images of older inputs are dead weight in the vfs storage.
while read -r ref; do
  [[ $ref == "$base_image" || $ref == "$torch_image" ]] || bah rmi "$ref" >/dev/null 2>&1 || true
done < <(bah images --format '{{.Name}}:{{.Tag}}' 2>/dev/null | grep '^localhost/nestor-build/' || true)

for archive in "$out"/nestor-operator.tar "$out"/nestor-runtime-cpu.tar; do
  log "$(basename "$archive"): $(du -h --apparent-size "$archive" | cut -f1) (gzip layers)"
done
log "done; check them with 'make images-check'"

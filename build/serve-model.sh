#!/usr/bin/env bash
# Prints the checkpoint folder `make serve` and `make bench-serve` use: the shipped models/tiny-elastic when it
# exists (a checkpoint folder, or a volume holding checkpoints/tiny-elastic/sha256-*), otherwise a random test
# model (--size Bench) under .nestor/test-model/tiny-elastic, written on first use with `nestor test-model`.
# --test-model: always a random test model, the larger `--size Serve` one (56 MB of weights, more than a CPU's
# caches) under .nestor/test-model/serve: what `make bench-serve` measures (see docs/serving.md).
set -euo pipefail
cd "$(dirname "$0")/.."
shipped=models/tiny-elastic
size=Bench
test_model=.nestor/test-model/tiny-elastic
if [[ ${1:-} == --test-model ]]; then
  shipped=/nonexistent
  size=Serve
  test_model=.nestor/test-model/serve
fi
if [[ -f $shipped/config.json ]]; then
  echo "$shipped"; exit 0
fi
published=$(ls -d "$shipped"/checkpoints/tiny-elastic/sha256-* 2>/dev/null | tail -1 || true)
if [[ -n $published && -f $published/config.json ]]; then
  echo "$published"; exit 0
fi
if [[ ! -f $test_model/checksums.sha256 ]]; then
  rm -rf "$test_model"
  echo "writing a random test model (--size $size) to $test_model" >&2
  dotnet run --project runtime/Nestor.Runtime -c Release -- test-model --size "$size" --output "$test_model" >&2
fi
echo "$test_model"

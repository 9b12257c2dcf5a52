#!/usr/bin/env bash
# Builds the solution, runs every test project and ends with one line: "N passed, N failed".
# Exits non-zero on any failure, including a build failure or a crashed test host.
set -uo pipefail
cd "$(dirname "$0")/.."
configuration=${CONFIGURATION:-Debug}
results=artifacts/test-results
rm -rf "$results"
mkdir -p "$results"

if ! dotnet build Operator.sln -c "$configuration" -nologo -clp:ErrorsOnly; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

filter=()
[[ -n "${TEST_FILTER:-}" ]] && filter=(--filter "$TEST_FILTER")
dotnet test Operator.sln -c "$configuration" --no-build -nologo --logger "trx;LogFilePrefix=tests" \
  --blame-hang-timeout "${TEST_HANG_TIMEOUT:-10m}" "${filter[@]}"
rc=$?

passed=0; failed=0
for trx in "$results"/*/*.trx; do
  [[ -f "$trx" ]] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); p=${p:-0}
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=${f:-0}
  e=$(sed -n 's/.* error="\([0-9]*\)".*/\1/p' <<<"$counters"); e=${e:-0}
  passed=$((passed + p)); failed=$((failed + f + e))
  grep -o '<UnitTestResult [^>]*outcome="Failed"[^>]*>' "$trx" | sed -n 's/.*testName="\([^"]*\)".*/FAILED: \1/p'
done
if ((rc != 0 && failed == 0)); then
  echo "dotnet test exited with $rc but reported no failed test (a crashed or hung test host?)"
  failed=1
fi
echo "$passed passed, $failed failed"
((failed == 0))

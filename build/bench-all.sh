#!/usr/bin/env bash
# `make bench`: runs every benchmark, keeps the JSON line each prints last, and writes a report
# (markdown and JSON) to bench/results/<UTC timestamp>.{md,json} and bench/results/latest.{md,json}.
# A benchmark that fails is reported as failed; the script still runs the others and exits non-zero.
set -uo pipefail
cd "$(dirname "$0")/.."
out=bench/results
mkdir -p "$out" artifacts/bench
stamp=$(date -u +%Y%m%dT%H%M%SZ)
benches=(${BENCHES:-bench-kernels bench-operator bench-autoscaler bench-local bench-serve bench-train quickstart})
host="$(nproc) cores, $(uname -m), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
json="{"
first=1
for b in "${benches[@]}"; do
  log=artifacts/bench/$b.log
  echo "== $b (log: $log)"
  start=$(date +%s)
  if [[ $b == quickstart ]]; then
    cmd=(make --no-print-directory run RUN_ONCE=1)
  else
    cmd=(make --no-print-directory "$b")
  fi
  if "${cmd[@]}" >"$log" 2>&1; then rc=0; else rc=$?; fi
  secs=$(($(date +%s) - start))
  line=$(grep -E '^\{.*\}$' "$log" | tail -1)
  if ((rc != 0)) || [[ -z $line ]]; then
    echo "   FAILED (exit $rc after ${secs}s); last lines:"; tail -5 "$log" | sed 's/^/   /'
    line="{\"failed\":true,\"exit\":$rc}"
    status=1
  else
    echo "   $line (${secs}s)"
  fi
  ((first)) || json+=","
  first=0
  json+="\"$b\":{\"seconds\":$secs,\"result\":$line}"
done
json+="}"
python3 - "$out" "$stamp" "$host" <<PY
import json, sys
out, stamp, host = sys.argv[1:]
data = json.loads('''$json''')
overall = data.get("quickstart", {}).get("result", {}).get("figures", {}).get("apply_to_all_tiers_serving_s")
report = {"timestamp": stamp, "host": host, "apply_to_all_tiers_serving_s": overall, "benchmarks": data}
lines = [f"# Nestor benchmarks, {stamp}", "", f"Host: {host}", "",
         f"**Overall: from applying the CompressionRun to every tier serving the new checkpoint: {overall if overall is not None else 'n/a'} s**", ""]
for name, entry in data.items():
    lines += [f"## {name} ({entry['seconds']} s)", "", "| figure | value |", "|---|---|"]
    def rows(prefix, value):
        if isinstance(value, dict):
            for k, v in value.items():
                yield from rows(f"{prefix}{k}.", v)
        else:
            yield (prefix.rstrip("."), value)
    for k, v in rows("", entry["result"]):
        lines.append(f"| {k} | {json.dumps(v)} |")
    lines.append("")
for name in (stamp, "latest"):
    with open(f"{out}/{name}.json", "w") as f: json.dump(report, f, indent=2)
    with open(f"{out}/{name}.md", "w") as f: f.write("\n".join(lines) + "\n")
print(f"report: {out}/{stamp}.md and {out}/{stamp}.json")
PY
exit $status

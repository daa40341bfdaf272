#!/usr/bin/env bash
# Installs Sluice as people do — the packed tarball, globally, into a throwaway prefix — and runs what
# a newcomer runs first: --version, init, check against a local receiver, the demo syncs, the demo.
# Part of .ci/run; slow (it installs the dependencies again), so it is one step.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
receiver_pid=""
cleanup() {
  [ -n "$receiver_pid" ] && kill "$receiver_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

npm pack --silent --pack-destination "$work" >/dev/null
tarball=$(ls "$work"/sluice-*.tgz)
npm install --global --silent --no-audit --no-fund --prefix "$work/prefix" "$tarball" >/dev/null
export PATH="$work/prefix/bin:$PATH"
cd "$work"

echo "package check: $(command -v sluice) → $(sluice --version)"
# A port of its own, so a receiver someone left on 8787 cannot answer for this one.
port=$((20000 + RANDOM % 20000))
sluice init demo --endpoint "http://127.0.0.1:$port" >/dev/null
sluice receiver --port "$port" >"$work/receiver.log" 2>&1 &
receiver_pid=$!
for _ in $(seq 1 50); do
  grep -q "receiver on" "$work/receiver.log" 2>/dev/null && break
  sleep 0.2
done
sluice -w demo check >/dev/null
sluice -w demo sync run users-to-segment accounts-to-segment events-to-segment --json >"$work/runs.json"
node -e '
  const runs = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const bad = runs.filter((r) => r.status !== "completed" || r.counts.succeeded === 0);
  if (bad.length > 0) { console.error("package check: runs did not deliver", JSON.stringify(bad)); process.exit(1); }
' "$work/runs.json"
sluice demo "$work/demo2" >/dev/null
echo "package check: ok (init, check, three syncs, demo from the installed package)"

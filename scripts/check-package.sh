#!/usr/bin/env bash
# Installs Sluice as people do — the packed tarball, globally, into a throwaway prefix — and runs what
# a newcomer runs first: --version, init, check against a local receiver, the demo syncs, the demo.
# Part of .ci/run; slow (it installs the dependencies again), so it is one step.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

work=$(mktemp -d)
receiver_pid=""
cleanup() {
  [ -n "$receiver_pid" ] && kill "$receiver_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

npm pack --silent --pack-destination "$work" >/dev/null
tarball=$(ls "$work"/sluice-*.tgz)
# The web UI ships built (prepare → npm run build → dist/web): serve has nothing to build.
# (The listing is read whole: grep -q stopping early would fail tar under pipefail.)
if ! tar -tzf "$tarball" | grep '^package/dist/web/index.html$' >/dev/null; then
  echo "package check: the tarball has no dist/web/index.html (the web UI was not built)" >&2
  exit 1
fi
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

# The library, as a program that depends on the package imports it: types, then a run.
mkdir -p consumer/node_modules
ln -s "$work/prefix/lib/node_modules/sluice" consumer/node_modules/sluice
echo '{ "type": "module", "private": true }' >consumer/package.json
cat >consumer/use-sluice.ts <<'TS'
import { openWorkspace, type RunDocument, type SyncRunResult, VERSION } from 'sluice';

export async function runAll(dir: string): Promise<SyncRunResult[]> {
  const sluice = await openWorkspace(dir);
  try {
    const results: SyncRunResult[] = [];
    for (const sync of await sluice.syncs()) results.push(await sluice.run(sync.name, { dryRun: true }));
    const newest: RunDocument | undefined = (await sluice.runs({ limit: 1 })).items[0];
    if (newest === undefined) throw new Error(`sluice ${VERSION}: no runs listed`);
    return results;
  } finally {
    await sluice.close();
  }
}
TS
"$repo/node_modules/.bin/tsc" --noEmit --strict --target es2022 --module nodenext --moduleResolution nodenext \
  --skipLibCheck --typeRoots "$repo/node_modules/@types" --types node consumer/use-sluice.ts
cat >consumer/use-sluice.mjs <<'JS'
import { openWorkspace } from 'sluice';
const sluice = await openWorkspace(process.argv[2]);
try {
  const runs = (await sluice.runs()).items;
  const dry = await sluice.run('users-to-segment', { dryRun: true });
  if (runs.length === 0 || dry.status !== 'completed') throw new Error(`library check: ${JSON.stringify(dry)}`);
} finally {
  await sluice.close();
}
JS
node consumer/use-sluice.mjs "$work/demo"
echo "package check: ok (init, check, three syncs, demo, and the library imported from the installed package)"

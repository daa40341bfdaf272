#!/usr/bin/env node
// The layering rule of ARCHITECTURE.md, checked on every CI run so it holds without anyone remembering it:
// - imports point down: a folder may import only lower layers (and itself);
// - L1 folders (sources, destinations, state, mapping) never import each other;
// - outside an L1 folder, only its interface file and registry.ts are imported, never an implementation;
// - the receiver imports only core, and only the CLI and tests import the receiver;
// - above the public API (L5: api; L6: cli, which hosts the API in `sluice serve`), the engine is
//   reached only through src/index.ts: the CLI and the HTTP API are thin layers over what users import.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(import.meta.dirname, '..', 'src');
const LAYER = {
  core: 0,
  sources: 1,
  destinations: 1,
  state: 1,
  mapping: 1,
  sync: 2,
  workspace: 2,
  schedule: 3,
  observe: 3,
  // The public API: src/index.ts and what it exports from src/sluice/.
  sluice: 4,
  api: 5,
  // The CLI hosts the HTTP API (`sluice serve`).
  cli: 6,
  receiver: 1,
};
/** What L5+ folders may import besides index.ts, core/ and each other (their own scaffolding's needs). */
const ABOVE_API_ALLOWED = {
  // `sluice init` gives a new workspace's state the id its sluice.yaml names.
  'cli/init/demo-workspace.ts': ['state/registry.ts'],
};
const INTERFACES = {
  sources: ['sources/source.ts', 'sources/registry.ts'],
  destinations: ['destinations/destination.ts', 'destinations/batch-packer.ts', 'destinations/registry.ts'],
  state: ['state/state-store.ts', 'state/registry.ts'],
  mapping: ['mapping/compile-mapping.ts'],
};

/** The top folder of a path under src/; src/index.ts belongs with src/sluice/, the public API. */
function folderOf(rel) {
  return rel === 'index.ts' ? 'sluice' : rel.split('/')[0];
}

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else if (path.endsWith('.ts')) yield path;
  }
}

const problems = [];
for (const file of walk(SRC)) {
  const rel = relative(SRC, file);
  const top = folderOf(rel);
  const isTest = /\.(test|case)\.ts$/.test(rel);
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]/g)) {
    const target = relative(SRC, resolve(dirname(file), match[1].replace(/\.js$/, '.ts')));
    if (target.startsWith('..')) {
      if (!isTest) problems.push(`${rel}: imports ${match[1]} from outside src/`);
      continue;
    }
    const targetTop = folderOf(target);
    if (targetTop === top) continue;
    const say = (why) => problems.push(`${rel}: imports ${target} — ${why}`);
    if (!(top in LAYER)) say(`unknown folder src/${top}: give it a layer in scripts/check-layers.mjs`);
    else if (!(targetTop in LAYER)) say(`unknown folder src/${targetTop}`);
    else if (targetTop === 'receiver') {
      if (!(isTest || top === 'cli')) say('only the CLI and tests use the receiver');
    } else if (LAYER[targetTop] >= LAYER[top] && !(isTest && top === 'receiver')) {
      say(
        `src/${top} (L${LAYER[top]}) may import only lower layers, not src/${targetTop} (L${LAYER[targetTop]})`,
      );
    } else if (
      LAYER[top] >= 5 &&
      !isTest &&
      !(target === 'index.ts' || targetTop === 'core' || LAYER[targetTop] >= 5) &&
      !(ABOVE_API_ALLOWED[rel] ?? []).includes(target)
    ) {
      say(`src/${top} drives the engine only through src/index.ts (the public API)`);
    } else if (INTERFACES[targetTop] && !INTERFACES[targetTop].includes(target)) {
      say(`outside src/${targetTop}, use only ${INTERFACES[targetTop].join(' or ')}`);
    }
  }
}

if (problems.length > 0) {
  console.error(`Layering problems (see ARCHITECTURE.md):\n${problems.map((p) => `  ${p}`).join('\n')}`);
  process.exit(1);
}
console.log('layers: ok');

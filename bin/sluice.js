#!/usr/bin/env -S node --max-semi-space-size=16 --max-old-space-size=256
// The published entry point: the compiled CLI (built by `npm install` through the `prepare` script).
// V8's heap, sized for a lean run (bench/README.md, "Memory defaults"): left alone, V8 grows the old
// generation far past what a sync keeps alive (the 1M-user initial run's heap reached ≈ 230 MB for a
// live set of tens of MB). A 256 MB ceiling keeps it near 100 MB there — V8 collects sooner as the
// ceiling nears — with room above for `serve` and several syncs at once. 16 MB semi-spaces (V8's
// default is smaller) keep a batch in flight from being promoted and the old generation from creeping
// with run length, at half the young generation the 32 MB used before cost. Flags on this line win
// over NODE_OPTIONS; to change them run `node --max-old-space-size=1024 path/to/bin/sluice.js …`.
// Benchmarks read this line to run the CLI exactly as users do.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv);

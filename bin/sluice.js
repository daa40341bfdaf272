#!/usr/bin/env -S node --max-semi-space-size=32
// The published entry point: the compiled CLI (built by `npm install` through the `prepare` script).
// --max-semi-space-size=32: a larger young generation. Rows of a batch in flight outlive the default
// semi-space, get promoted, and make the old generation (and peak RSS) creep with run length although
// nothing per row is kept; with 32 MB peak RSS stays flat in the row count and runs are faster
// (bench/README.md). Benchmarks read this line to run the CLI exactly as users do.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv);

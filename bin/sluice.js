#!/usr/bin/env node
// The published entry point: the compiled CLI (built by `npm install` through the `prepare` script).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv);

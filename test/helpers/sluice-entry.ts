// The CLI as a real process for tests that must kill it: run with `node --import tsx`.
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv);

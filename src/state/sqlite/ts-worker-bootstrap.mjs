// Runs a TypeScript worker entry when Sluice runs from its sources (vitest, tsx): Node's worker
// threads load .ts files only once tsx's loader is registered in the thread itself. The built
// package (dist/) starts its .js workers directly and never loads this file.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.__entry);

import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { DEFAULT_WEB_ROOT } from '../../src/api/web-ui.js';

const CONFIG = fileURLToPath(new URL('../../web/vite.config.ts', import.meta.url));

/**
 * Builds the web UI from web/ into the package's dist/web, where `sluice serve` finds it, so the
 * browser tests drive the UI of this checkout as it is now (about a second).
 */
export async function buildWebUi(): Promise<string> {
  await build({ configFile: CONFIG, logLevel: 'warn' });
  return DEFAULT_WEB_ROOT;
}

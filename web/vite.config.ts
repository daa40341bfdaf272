import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The web UI, built into the package's dist/web (served by `sluice serve`, see src/api/web-ui.ts).
// Preact's JSX through Vite's own transform: no plugin needed.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
  },
  server: {
    // `npm run web:dev` beside a `sluice serve` on its default port.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});

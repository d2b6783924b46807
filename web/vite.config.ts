import { defineConfig } from 'vite';

// The bundle is served by carnetd under a strict CSP (default-src 'self'): no inline
// scripts or styles, no third-party origins. Pages of professionals and operators, and the
// PDF renderer, are separate chunks loaded on demand, so a holder's first load stays small.
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    reportCompressedSize: false,
  },
});

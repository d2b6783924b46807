import { defineConfig } from 'vite';

// The bundle is served by carnetd under a strict CSP (default-src 'self'): no inline
// scripts or styles, no third-party origins.
export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});

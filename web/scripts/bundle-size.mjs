// Prints what a holder downloads on a first visit to their home page: the entry script and
// the scripts it imports statically (gzip, as served compressed by a front proxy), and the
// lazily loaded chunks apart. Budget: 200 KB of JavaScript (issue 8). Fails the build beyond.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const dist = new URL('../dist/', import.meta.url).pathname;
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const entry = /<script type="module"[^>]*src="\/([^"]+)"/.exec(html)?.[1];
if (!entry) throw new Error('no entry script in dist/index.html');
const seen = new Set();
const visit = (file) => {
  if (seen.has(file)) return;
  seen.add(file);
  const code = readFileSync(join(dist, file), 'utf8');
  // Static imports only: `import ... from "./x.js"` and `import "./x.js"` (not import()).
  for (const m of code.matchAll(/(?:^|[;\n}])\s*import\s*(?:[^'"();]*?from\s*)?["']\.\/([^"']+\.js)["']/g)) visit(join('assets', m[1]));
};
visit(entry);
const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
const first = [...seen].reduce((n, f) => n + gz(f), 0);
const all = readdirSync(join(dist, 'assets')).filter((f) => f.endsWith('.js') || f.endsWith('.mjs'));
const lazy = all.filter((f) => !seen.has(join('assets', f)));
console.log(`first load (holder's home): ${(first / 1024).toFixed(1)} KB of JavaScript gzip in ${seen.size} file(s)`);
for (const f of lazy) console.log(`  on demand: ${f} ${(gz(join('assets', f)) / 1024).toFixed(1)} KB gzip`);
if (first > 200 * 1024) {
  console.error('bundle-size: the first load exceeds the 200 KB budget');
  process.exit(1);
}

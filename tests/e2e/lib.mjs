// What the end-to-end tests share: a real carnetd on a free port with the demo data set, the
// notices it "sends" (data/notices.jsonl), an independent RFC 6238 TOTP, accounts for
// professionals and operators, Debian's Chromium driven by playwright-core, axe-core checks
// and screenshots at phone and desktop widths.
import { spawn, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const CARNETD = process.env.CARNETD ?? 'build/carnetd';
export const CARNET = process.env.CARNET ?? 'build/carnet';
export const WEB_ROOT = process.env.WEB_ROOT ?? 'web/dist';
export const OUT = process.env.E2E_OUT ?? 'build/e2e';
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

export const JEAN = { login: 'jean.dupont@demo.carnet', password: 'Velo-Rouge-Montagne-26', nir: '184057512345625', birth: '17/05/1984' };
export const CHLOE = { nir: '285016956789044', birth: '20/01/1985' };
// The demonstration data set's accounts (src/main/demo.cpp): e-mailed codes, but the
// operator's authenticator app, whose secret is fixed there.
export const GP = { login: 'cabinet.martin@demo.carnet', password: 'Stetho-Vert-Colline-26' };
export const PHARMACIST = { login: 'pharmacie.terreaux@demo.carnet', password: 'Mortier-Blanc-Saone-26' };
export const OPERATOR = { login: 'agent@demo.carnet', password: 'Guichet-Bleu-Caisse-26', secret: base32(Buffer.from('carnet-demo-totp-20b')), lastStep: 0 };

function base32(bytes) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const b of bytes) bits += b.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += alphabet[parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return out;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// carnetd with the demo data set in a fresh directory; stopped by process id.
export async function startServer() {
  const dataDir = mkdtempSync(join(tmpdir(), 'carnet-e2e-'));
  execFileSync(CARNET, ['--data-dir', dataDir, 'demo'], { stdio: 'pipe' });
  const child = spawn(CARNETD, ['--data-dir', dataDir, '--port', '0', '--web-root', WEB_ROOT, '--job-interval', '1s'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('carnetd did not start: ' + err)), 15000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on \S*:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code) => reject(new Error(`carnetd exited with ${code}: ${err}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  // The demo's notices (activation codes among them) leave with the first delivery job: wait
  // for them, so that a sign-in's code is never mistaken for an activation's.
  const demoLogins = [JEAN.login, 'sophie.martin@demo.carnet', GP.login, PHARMACIST.login, 'julie.leroy@demo.carnet'];
  const deadline = Date.now() + 15000;
  while (!demoLogins.every((l) => notices(dataDir).some((n) => n.to === l && n.template === 'one_time_code'))) {
    if (Date.now() > deadline) throw new Error('the demo notices were not delivered');
    await sleep(100);
  }
  return {
    url,
    dataDir,
    log: () => err,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function notices(dataDir) {
  const file = join(dataDir, 'notices.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

// The newest notice matching `predicate`, waiting for the delivery job if needed.
export async function waitNotice(dataDir, predicate, after = 0, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = notices(dataDir).filter((n) => n.id > after && predicate(n));
    if (found.length) return found[found.length - 1];
    if (Date.now() > deadline) throw new Error('no such notice in ' + dataDir);
    await sleep(200);
  }
}

export function lastNoticeId(dataDir) {
  const all = notices(dataDir);
  return all.length ? all[all.length - 1].id : 0;
}

// RFC 6238 (SHA-1, 6 digits, 30 s), written here independently of the server's.
export function totp(base32, at = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = base32.replace(/[\s=]/g, '').toUpperCase();
  let bits = '';
  for (const c of clean) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const h = createHmac('sha1', key).update(counter).digest();
  const o = h[h.length - 1] & 0xf;
  const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1_000_000).padStart(6, '0');
}

export function secretOf(uri) {
  return new URL(uri.replace(/^otpauth:/, 'https:')).searchParams.get('secret');
}

export async function api(server, method, path, body, headers = {}) {
  const res = await fetch(server.url + path, {
    method,
    headers: { Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: res.status, body: json };
}

const currentStep = () => Math.floor(Date.now() / 30000);

// A TOTP code of a step this account has not used yet (the server refuses a step twice and
// accepts one step of drift): the current step, or the next one; waits when both are used.
export async function nextTotp(account) {
  let step = Math.max(currentStep(), account.lastStep + 1);
  while (step > currentStep() + 1) await sleep(500);
  account.lastStep = step;
  return totp(account.secret, step * 30000);
}

export async function launch() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  return browser;
}

// A page that fails the test on any CSP violation, page error or request to another origin.
export async function newPage(browser, server, problems) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'fr-FR', acceptDownloads: true });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/.test(m.text())) problems.push('CSP: ' + m.text());
  });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(server.url) && !u.startsWith('blob:') && !u.startsWith('data:')) problems.push('third-party request: ' + u);
  });
  return page;
}

// A suite's carnetd and browser, started before its tests and stopped after them; the suite
// fails on any CSP violation, page error or third-party request seen by its pages.
export function suiteSetUp(before, after) {
  const env = { server: null, browser: null, problems: [] };
  before(async () => {
    env.server = await startServer();
    env.browser = await launch();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.stop();
    assert.deepEqual(env.problems, [], 'no CSP violation, page error or third-party request');
  });
  return env;
}

const checked = new Set();

// axe-core on the page as it stands (WCAG 2.0/2.1 A and AA rules): no violation allowed.
// Run in the page through the DevTools protocol, so the page's CSP stays as strict as in use.
export async function checkAccessibility(page, name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  checked.add(name);
  assert.deepEqual(result, [], `accessibility violations on ${name}: ${JSON.stringify(result, null, 2)}`);
}

// Screenshots at a phone's width (360 px) and a desktop's (1280 px), for review.
export async function screenshots(page, name) {
  mkdirSync(OUT, { recursive: true });
  const size = page.viewportSize();
  for (const width of [360, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    await page.screenshot({ path: join(OUT, `${name}-${width}.png`), fullPage: true });
  }
  if (size) await page.setViewportSize(size);
}

// Both checks, at both widths for axe too (the phone layout is a different page to a user).
export async function review(page, name) {
  await page.setViewportSize({ width: 360, height: 800 });
  await checkAccessibility(page, `${name} (360 px)`);
  await page.setViewportSize({ width: 1280, height: 900 });
  await checkAccessibility(page, `${name} (1280 px)`);
  await screenshots(page, name);
}

// A tiny valid one-page PDF with a line of text, built here (no file in the repository).
export function samplePdf(text = 'Compte rendu de consultation') {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    null,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  const stream = `BT /F1 24 Tf 72 760 Td (${text}) Tj ET`;
  objects[3] = `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`;
  let pdf = '%PDF-1.4\n';
  const offsets = [];
  objects.forEach((o, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) pdf += `${String(off).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

// Signs in through the portal's pages: login and password, then the second factor.
export async function signIn(page, server, account, code) {
  await page.goto(server.url + '/connexion');
  await page.getByLabel('Adresse e-mail').fill(account.login);
  await page.getByLabel('Mot de passe').fill(account.password);
  const before = lastNoticeId(server.dataDir);
  await page.getByRole('button', { name: 'Continuer' }).click();
  await page.getByLabel('Code de vérification').waitFor();
  const value = typeof code === 'function' ? await code(before) : code;
  await page.getByLabel('Code de vérification').fill(value);
  await page.getByRole('button', { name: 'Se connecter' }).click();
}

export async function emailCode(server, login, after) {
  const n = await waitNotice(server.dataDir, (x) => x.template === 'one_time_code' && x.to === login, after);
  return n.params.code;
}

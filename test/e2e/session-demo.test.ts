import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startDemo, type RunningDemo } from '../../examples/session-demo/demo.js';
import { runCli, type CliProcess } from '../helpers/cli-process.js';
import { freePort } from '../helpers/redis-server.js';
import { RawClient } from '../helpers/raw-client.js';
import { decodeReply, toJs } from '../helpers/resp.js';

/**
 * The session story in a real browser: Debian's Chromium, driven by playwright-core,
 * against the demo app (express-session + connect-redis on node-redis) with lapse run
 * as its own process, so the test can stop and start it. The steps run in order and
 * share the browser, its cookie jar, and lapse:
 *
 *   log in and count visits; the cookie is an opaque signed ID and the data is in lapse;
 *   restart lapse with snapshots: still signed in; restart it volatile: signed out;
 *   stay idle past maxAge: the key is gone from lapse and the browser is back at login;
 *   log out: the key is deleted at once.
 *
 * Screenshots of each step go to test-output/session-demo/.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
const SHOTS = path.join(ROOT, 'test-output/session-demo');
const SECRET = 'e2e secret';
const PASSWORD = 'lapse';
/**
 * The idle timeout. Short, so the expiry step waits little; long enough that a lapse
 * restart (a new node process loading the CLI through tsx) fits well inside it, since
 * the browser's cookie expires with it too.
 */
const MAX_AGE_MS = 8000;
const USER = 'Ada Lovelace';

/** Debian's chromium: the binary itself, or the launcher script (CHROMIUM_PATH overrides). */
function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/lib/chromium/chromium', '/usr/bin/chromium'];
  const found = candidates.find((p) => p && fs.existsSync(p));
  if (!found) throw new Error("Chromium not found: apt-get install -y chromium (or set CHROMIUM_PATH)");
  return found;
}

let lapsePort = 0;
let lapse: CliProcess | null = null;
const tempDirs: string[] = [];
let demo: RunningDemo;
let context: BrowserContext;
let page: Page;
const storeErrors: string[] = [];
/** When the browser last made a request that renewed the session (for the timing guard). */
let lastRequestAt = 0;

function tempDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

/** Starts the lapse CLI on the test's port; snapshot settings come from args. */
async function startLapse(dir: string, args: string[]): Promise<CliProcess> {
  const p = runCli(['--port', String(lapsePort), '--bind', '127.0.0.1', '--dir', dir, ...args], { cwd: dir });
  lapse = p;
  await p.waitFor('Ready to accept connections');
  return p;
}

/** SIGTERM, as a supervisor stops it: lapse saves first when it has save points. */
async function stopLapse(): Promise<string> {
  const p = lapse!;
  lapse = null;
  p.child.kill('SIGTERM');
  expect(await p.exited()).toBe(0);
  return p.output();
}

/** One command on a fresh connection (lapse restarts between steps). */
async function lapseCall(...args: string[]): Promise<unknown> {
  const c = await RawClient.connect(lapsePort);
  try {
    return toJs(decodeReply(await c.call(...args))!.reply);
  } finally {
    c.close();
  }
}

async function infoField(section: string, field: string): Promise<string> {
  const text = (await lapseCall('INFO', section)) as string;
  const m = new RegExp(`^${field}:(.*)\\r$`, 'm').exec(text);
  if (!m) throw new Error(`no ${field} in INFO ${section}`);
  return m[1]!;
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function open(route: string): Promise<void> {
  await page.goto(new URL(route, demo.url).href);
  lastRequestAt = Date.now();
}

/** Reloads after a lapse restart; fails with the reason if the session could have expired meanwhile. */
async function reloadAfterRestart(): Promise<void> {
  const idle = Date.now() - lastRequestAt;
  expect(idle, `lapse took too long to restart: ${idle} ms idle, the session lasts ${MAX_AGE_MS} ms`).toBeLessThan(MAX_AGE_MS - 1000);
  await open('/');
}

function pathname(): string {
  return new URL(page.url()).pathname;
}

async function visits(): Promise<number> {
  return Number(await page.textContent('#visits'));
}

async function logIn(name: string): Promise<void> {
  await open('/login');
  expect(pathname()).toBe('/login');
  await page.fill('#name', name);
  await page.fill('#password', PASSWORD);
  await page.click('#login');
  await page.waitForURL(demo.url);
  lastRequestAt = Date.now();
  expect(await page.textContent('#user')).toBe(name);
}

interface SessionCookie {
  value: string;
  id: string;
}

/** The browser's session cookie, checked to be exactly s:<id>.<HMAC-SHA256 of id>. */
async function sessionCookie(): Promise<SessionCookie | undefined> {
  const cookies = await context.cookies(demo.url);
  const c = cookies.find((x) => x.name === 'sid');
  if (!c) return undefined;
  const m = /^s:([A-Za-z0-9_-]{32})\.([A-Za-z0-9+/]{43})$/.exec(decodeURIComponent(c.value));
  expect(m, `cookie value ${c.value}`).not.toBeNull();
  const id = m![1]!;
  const signature = crypto.createHmac('sha256', SECRET).update(id).digest('base64').replace(/=+$/, '');
  expect(m![2]).toBe(signature);
  return { value: c.value, id };
}

/** Requests a page with a given cookie, outside the browser: what a replayed cookie gets. */
async function replay(cookie: SessionCookie): Promise<Response> {
  return fetch(demo.url, { headers: { cookie: `sid=${cookie.value}` }, redirect: 'manual' });
}

beforeAll(async () => {
  fs.rmSync(SHOTS, { recursive: true, force: true });
  fs.mkdirSync(SHOTS, { recursive: true });
  lapsePort = await freePort();
  await startLapse(tempDir('lapse-e2e-persistent-'), ['--save', '3600 1']);
  demo = await startDemo({
    lapseUrl: `redis://127.0.0.1:${lapsePort}`,
    port: 0,
    secret: SECRET,
    password: PASSWORD,
    maxAgeMs: MAX_AGE_MS,
    onError: (message) => storeErrors.push(message),
  });
  // A fresh, empty profile every run; no traffic of the browser's own.
  context = await chromium.launchPersistentContext(tempDir('lapse-e2e-profile-'), {
    executablePath: chromiumPath(),
    headless: true,
    viewport: { width: 900, height: 560 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = context.pages()[0] ?? (await context.newPage());
});

afterAll(async () => {
  await context?.close();
  await demo?.close();
  lapse?.kill();
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('the session demo in Chromium', () => {
  let first: SessionCookie;

  test('logs in and sees its name, and the visit counter goes up across page loads', async () => {
    await open('/');
    expect(pathname()).toBe('/login');
    await shot('01-login');
    // Nothing is stored for an anonymous visitor (saveUninitialized: false).
    expect(await sessionCookie()).toBeUndefined();
    expect(await lapseCall('DBSIZE')).toBe(0);

    await logIn(USER);
    expect(await visits()).toBe(1);
    for (const n of [2, 3]) {
      await page.reload();
      lastRequestAt = Date.now();
      expect(await visits()).toBe(n);
    }
    await shot('02-signed-in');
  });

  test('the cookie holds only an opaque session ID, HttpOnly; the session lives in lapse under that ID', async () => {
    const cookies = await context.cookies(demo.url);
    expect(cookies.map((c) => c.name)).toEqual(['sid']);
    const raw = cookies[0]!;
    expect(raw.httpOnly).toBe(true);
    expect(raw.sameSite).toBe('Lax');
    expect(raw.path).toBe('/');
    // Rolling maxAge: a persistent cookie that expires maxAge after the last response.
    expect(raw.expires * 1000).toBeGreaterThan(Date.now());
    expect(raw.expires * 1000).toBeLessThanOrEqual(Date.now() + MAX_AGE_MS + 1000);
    // sessionCookie() checks it is exactly s:<id>.<HMAC of id>. (Not `not.toContain('Ada')`:
    // a random id and signature hold those three letters about once in 3,000 runs, and one
    // CI run found them; the name with its space can never be in them, a stored session can.)
    first = (await sessionCookie())!;
    expect(decodeURIComponent(raw.value)).not.toContain(USER);
    // Scripts in the page cannot see it.
    expect(await page.evaluate('document.cookie')).toBe('');

    const key = `sess:${first.id}`;
    const stored = JSON.parse((await lapseCall('GET', key)) as string);
    expect(stored).toMatchObject({ user: USER, visits: 3 });
    const pttl = (await lapseCall('PTTL', key)) as number;
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(MAX_AGE_MS + 1000); // connect-redis rounds the TTL up to a second
    expect(await lapseCall('DBSIZE')).toBe(1);

    // The live-sessions page reads the same key and its TTL from lapse.
    await open('/sessions');
    expect(await page.textContent('#count')).toBe('1');
    const row = page.locator('tr.mine');
    expect(await row.locator('code').textContent()).toBe(crypto.createHash('sha256').update(first.id).digest('hex').slice(0, 8));
    expect(await row.textContent()).toContain(USER);
    expect(await row.locator('.ttl').textContent()).toMatch(/^\d+\.\d s$/);
    await shot('03-sessions');
  });

  test('restarting lapse with snapshots on keeps the session: still signed in, counter kept', async () => {
    const dir = tempDirs[0]!;
    const log = await stopLapse();
    expect(log).toContain('Saving the final RDB snapshot before exiting.');
    expect(fs.existsSync(path.join(dir, 'dump.rdb'))).toBe(true);
    const restarted = await startLapse(dir, ['--save', '3600 1']);
    expect(restarted.output()).toMatch(/DB loaded from disk/);

    await reloadAfterRestart();
    expect(pathname()).toBe('/');
    expect(await page.textContent('#user')).toBe(USER);
    expect(await visits()).toBe(4);
    expect((await sessionCookie())!.id).toBe(first.id);
    expect(JSON.parse((await lapseCall('GET', `sess:${first.id}`)) as string).visits).toBe(4);
    await shot('04-after-persistent-restart');
  });

  test('restarting lapse volatile (--save "", no file) loses every session: signed out', async () => {
    // Switch to a volatile lapse: no save points, a directory without a snapshot.
    await stopLapse();
    const dir = tempDir('lapse-e2e-volatile-');
    await startLapse(dir, ['--save', '']);
    expect(await lapseCall('CONFIG', 'GET', 'save')).toEqual(['save', '']);
    await reloadAfterRestart();
    expect(pathname()).toBe('/login');
    expect(await page.textContent('#notice')).toContain('Your session has ended');

    // And a restart of the volatile lapse itself: it keeps nothing, writes nothing.
    await logIn(USER);
    const second = (await sessionCookie())!;
    expect(second.id).not.toBe(first.id);
    expect(await lapseCall('EXISTS', `sess:${second.id}`)).toBe(1);
    const log = await stopLapse();
    expect(log).not.toContain('Saving');
    expect(fs.readdirSync(dir)).toEqual([]);
    await startLapse(dir, ['--save', '']);
    await reloadAfterRestart();
    // The browser sent its cookie; the ID in it had nothing behind it any more.
    expect(pathname()).toBe('/login');
    expect(await page.textContent('#notice')).toContain('Your session has ended');
    expect(await lapseCall('DBSIZE')).toBe(0);
    expect(await sessionCookie()).toBeUndefined(); // the app dropped the dead cookie
    const replayed = await replay(second);
    expect(replayed.headers.get('location')).toBe('/login?ended');
    expect(storeErrors.length).toBeGreaterThan(0); // the app saw lapse go away, and carried on
    await shot('05-after-volatile-restart');
  });

  test('idle past maxAge: the session is gone from lapse and the browser is back at the login page', async () => {
    await logIn(USER);
    const cookie = (await sessionCookie())!;
    const key = `sess:${cookie.id}`;
    const expiredBefore = Number(await infoField('stats', 'expired_keys'));
    expect(await lapseCall('DBSIZE')).toBe(1);

    // Wait for lapse to reclaim the key on its own (DBSIZE counts keys still in memory).
    const deadline = lastRequestAt + MAX_AGE_MS + 3000;
    while ((await lapseCall('DBSIZE')) !== 0) {
      expect(Date.now(), 'the session key outlived its TTL').toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Not before maxAge after the last request (which the browser saw complete a little
    // after lapse's TTL was set, hence the allowance).
    expect(Date.now() - lastRequestAt).toBeGreaterThanOrEqual(MAX_AGE_MS - 1000);
    expect(Number(await infoField('stats', 'expired_keys'))).toBe(expiredBefore + 1);
    expect(await lapseCall('EXISTS', key)).toBe(0);

    // The browser's cookie ends maxAge after the browser received it, a little after lapse
    // set the key's TTL (and Max-Age is whole seconds): on a loaded machine lapse can
    // reclaim the key before the browser drops the cookie. Wait (at most 2 s) for the
    // browser to drop it too, then reload.
    const cookieDeadline = Date.now() + 2000;
    while ((await sessionCookie()) !== undefined && Date.now() < cookieDeadline) await new Promise((r) => setTimeout(r, 50));
    await page.reload();
    expect(pathname()).toBe('/login');
    // The cookie expired in the browser too (same maxAge), so no notice here; replayed
    // by hand, it opens nothing.
    expect(await sessionCookie()).toBeUndefined();
    expect(await page.locator('#notice').count()).toBe(0);
    const replayed = await replay(cookie);
    expect(replayed.status).toBe(303);
    expect(replayed.headers.get('location')).toBe('/login?ended');
    await shot('06-expired');
  });

  test('logging out deletes the key at once', async () => {
    await logIn(USER);
    await open('/');
    expect(await visits()).toBe(2);
    const cookie = (await sessionCookie())!;
    const key = `sess:${cookie.id}`;
    expect(await lapseCall('EXISTS', key)).toBe(1);

    await page.click('#logout');
    await page.waitForURL(new URL('/login?out', demo.url).href);
    expect(await page.textContent('#notice')).toBe('You are logged out.');
    // Checked right after the response, with no waiting: DEL ran before the redirect.
    expect(await lapseCall('EXISTS', key)).toBe(0);
    expect(await lapseCall('DBSIZE')).toBe(0);
    expect(await sessionCookie()).toBeUndefined();
    const replayed = await replay(cookie);
    expect(replayed.status).toBe(303);
    expect(replayed.headers.get('location')).toBe('/login?ended');
    await shot('07-logged-out');
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createServer, type LapseServer } from '../../src/index.js';
import { startDemo, type RunningDemo } from '../../examples/session-demo/demo.js';
import { fingerprint } from '../../examples/session-demo/app.js';
import type { ClientKind } from '../../examples/session-demo/store.js';

/**
 * The session demo's routes over plain HTTP, with each client (node-redis + connect-redis
 * 9, ioredis + connect-redis 7), and its entry point (npm run demo) as a process: the
 * embedded lapse, LAPSE_URL, LAPSE_DIR snapshots, and bad settings.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const PASSWORD = 'open sesame';
const MAX_AGE_MS = 60_000;

let lapse: LapseServer;
let lapsePort = 0;

beforeAll(async () => {
  lapse = createServer({ port: 0, bind: '127.0.0.1' });
  lapsePort = (await lapse.listen()).port;
});
afterAll(() => lapse.close());

/** The key of a session in lapse, read in-process (peek: no expiry side effects). */
function stored(key: string): { user?: string; visits?: number } | undefined {
  const db = lapse.keyspace.dbs[0]!;
  const entry = db.peek(key);
  return entry !== undefined ? JSON.parse(db.valueOf(entry) as string) : undefined;
}

function keyCount(prefix: string): number {
  let n = 0;
  const db = lapse.keyspace.dbs[0]!;
  for (const entry of db.entries()) if (db.keyOf(entry).startsWith(prefix)) n++;
  return n;
}

interface Page {
  status: number;
  headers: Headers;
  body: string;
}

/** A cookie jar of one: the sid cookie from Set-Cookie, as the browser would send it back. */
class Visitor {
  cookie = '';
  constructor(private readonly base: string) {}

  /**
   * One request, read to the end: express-session writes the headers before it saves
   * the session, and the body after, so the store is up to date only once the body is in.
   */
  async request(route: string, init: RequestInit = {}): Promise<Page> {
    const headers = new Headers(init.headers);
    if (this.cookie) headers.set('cookie', this.cookie);
    const res = await fetch(new URL(route, this.base), { ...init, headers, redirect: 'manual' });
    const body = await res.text();
    const set = res.headers.get('set-cookie');
    if (set) {
      const pair = set.split(';')[0]!;
      this.cookie = /^sid=;|Expires=Thu, 01 Jan 1970/.test(set) ? '' : pair;
    }
    return { status: res.status, headers: res.headers, body };
  }

  logIn(name: string, password = PASSWORD): Promise<Page> {
    return this.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name, password }).toString(),
    });
  }

  /** The session ID inside the signed cookie value s:<id>.<signature>. */
  get sessionId(): string {
    const value = decodeURIComponent(this.cookie.slice('sid='.length));
    return value.slice(2, value.lastIndexOf('.'));
  }
}

for (const kind of ['node-redis', 'ioredis'] as ClientKind[]) {
  describe(`session demo routes with ${kind}`, () => {
    let demo: RunningDemo;
    const prefix = 'sess:';

    beforeAll(async () => {
      demo = await startDemo({
        lapseUrl: `redis://127.0.0.1:${lapsePort}`,
        client: kind,
        secret: `secret ${kind}`,
        password: PASSWORD,
        maxAgeMs: MAX_AGE_MS,
      });
      expect(demo.backend.kind).toBe(kind);
    });
    afterAll(() => demo.close());
    afterEach(async () => {
      await lapse.keyspace.dbs[0]!.clear();
    });

    test('anonymous visitors are sent to the login page and get neither a cookie nor a key', async () => {
      const v = new Visitor(demo.url);
      for (const route of ['/', '/sessions']) {
        const res = await v.request(route);
        expect(res.status).toBe(303);
        expect(res.headers.get('location')).toBe('/login');
        expect(res.headers.get('set-cookie')).toBeNull();
      }
      const login = await v.request('/login');
      expect(login.status).toBe(200);
      expect(login.headers.get('cache-control')).toBe('no-store');
      expect(login.body).toContain('<form method="post" action="/login">');
      expect(login.headers.get('set-cookie')).toBeNull();
      expect((await v.request('/nowhere')).status).toBe(404);
      expect((await v.request('/favicon.ico')).status).toBe(204);
      expect(keyCount(prefix)).toBe(0);
    });

    test('a wrong password, an empty or overlong name: 401, no session', async () => {
      const v = new Visitor(demo.url);
      const wrong = await v.logIn('ada', 'guess');
      expect(wrong.status).toBe(401);
      expect(wrong.body).toContain('Wrong password.');
      for (const name of ['', '   ', 'x'.repeat(41)]) {
        const res = await v.logIn(name);
        expect(res.status).toBe(401);
        expect(res.body).toContain('Enter a name of 1 to 40 characters.');
      }
      expect(v.cookie).toBe('');
      expect(keyCount(prefix)).toBe(0);
    });

    test('login sets a production cookie and stores the session in lapse with the cookie TTL', async () => {
      const v = new Visitor(demo.url);
      const res = await v.logIn('  Ada  ');
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/');
      const header = res.headers.get('set-cookie')!;
      expect(header).toMatch(/^sid=s%3A[A-Za-z0-9_-]{32}\.[A-Za-z0-9%]+; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
      // Plain HTTP: no Secure attribute ('auto' adds it over HTTPS only).
      expect(header).not.toMatch(/Secure/i);
      const expires = Date.parse(/Expires=([^;]+)/.exec(header)![1]!);
      expect(expires - Date.now()).toBeGreaterThan(MAX_AGE_MS - 5000);
      expect(expires - Date.now()).toBeLessThanOrEqual(MAX_AGE_MS);
      const key = prefix + v.sessionId;
      expect(stored(key)).toMatchObject({ user: 'Ada', visits: 0 });
      const ttl = lapse.keyspace.dbs[0]!.deadlineOf(lapse.keyspace.dbs[0]!.peek(key)!) - Date.now();
      expect(ttl).toBeGreaterThan(MAX_AGE_MS - 5000);
      expect(ttl).toBeLessThanOrEqual(MAX_AGE_MS + 1000); // connect-redis rounds up to a second
    });

    test('the home page counts visits in the session and escapes the name', async () => {
      const v = new Visitor(demo.url);
      await v.logIn('<b>"Bob"</b> & co');
      for (const n of [1, 2, 3]) {
        const res = await v.request('/');
        expect(res.status).toBe(200);
        const html = res.body;
        expect(html).toContain('<span id="user">&lt;b&gt;&quot;Bob&quot;&lt;/b&gt; &amp; co</span>');
        expect(html).toContain(`<strong id="visits">${n}</strong>`);
        expect(html).toContain(`<code id="fingerprint">${fingerprint(v.sessionId)}</code>`);
        expect(html).not.toContain(v.sessionId);
        // Rolling: every response renews the cookie.
        expect(res.headers.get('set-cookie')).toMatch(/^sid=/);
      }
      expect(stored(prefix + v.sessionId)).toMatchObject({ user: '<b>"Bob"</b> & co', visits: 3 });
    });

    test('a request that changes nothing touches the session: the key TTL is renewed', async () => {
      const v = new Visitor(demo.url);
      await v.logIn('ada');
      const key = prefix + v.sessionId;
      const entry = lapse.keyspace.dbs[0]!.peek(key)!;
      // Pull the deadline in, as if time had passed, then load a page that changes nothing.
      lapse.keyspace.dbs[0]!.setDeadline(entry, Date.now() + 5000);
      const res = await v.request('/sessions');
      expect(res.status).toBe(200);
      expect(res.headers.get('set-cookie')).toMatch(/^sid=/);
      expect(lapse.keyspace.dbs[0]!.deadlineOf(lapse.keyspace.dbs[0]!.peek(key)!) - Date.now()).toBeGreaterThan(MAX_AGE_MS - 5000);
      expect(stored(key)).toMatchObject({ user: 'ada', visits: 0 });
    });

    test('the live-sessions page lists every session with its TTL from lapse, and marks the own', async () => {
      const ada = new Visitor(demo.url);
      const bob = new Visitor(demo.url);
      await ada.logIn('ada');
      await bob.logIn('bob');
      await bob.request('/');
      // A session with a shorter TTL sorts last.
      lapse.keyspace.dbs[0]!.setDeadline(lapse.keyspace.dbs[0]!.peek(prefix + bob.sessionId)!, Date.now() + 9500);
      const html = (await ada.request('/sessions')).body;
      expect(html).toContain('<span id="count">2</span>');
      const rows = [...html.matchAll(/<tr( class="mine")?><td><code>(\w+)<\/code>.*?<td>(\w+)<\/td><td>(\d+)<\/td><td class="ttl">([\d.]+) s<\/td>/g)];
      expect(rows.map((r) => [r[1] !== undefined, r[2], r[3], r[4]])).toEqual([
        [true, fingerprint(ada.sessionId), 'ada', '0'],
        [false, fingerprint(bob.sessionId), 'bob', '1'],
      ]);
      expect(Number(rows[0]![5])).toBeGreaterThan(55);
      expect(Number(rows[1]![5])).toBeGreaterThan(8);
      expect(Number(rows[1]![5])).toBeLessThanOrEqual(9.5);
      expect(html).not.toContain(ada.sessionId);
      expect(html).not.toContain(bob.sessionId);
    });

    test('logging in again gives a new session ID and deletes the old session', async () => {
      const v = new Visitor(demo.url);
      await v.logIn('ada');
      const before = v.sessionId;
      await v.logIn('bob');
      expect(v.sessionId).not.toBe(before);
      expect(stored(prefix + before)).toBeUndefined();
      expect(stored(prefix + v.sessionId)).toMatchObject({ user: 'bob' });
    });

    test('logout deletes the key before answering and clears the cookie; the old cookie opens nothing', async () => {
      const v = new Visitor(demo.url);
      await v.logIn('ada');
      const key = prefix + v.sessionId;
      const oldCookie = v.cookie;
      expect(stored(key)).toBeDefined();
      const res = await v.request('/logout', { method: 'POST' });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/login?out');
      expect(res.headers.get('set-cookie')).toMatch(/^sid=; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax$/);
      expect(lapse.keyspace.dbs[0]!.peek(key)).toBeUndefined();
      expect((await v.request('/login?out')).body).toContain('You are logged out.');

      const replay = new Visitor(demo.url);
      replay.cookie = oldCookie;
      const again = await replay.request('/');
      expect(again.status).toBe(303);
      expect(again.headers.get('location')).toBe('/login?ended');
      // The dead cookie is cleared, and nothing is stored for it.
      expect(again.headers.get('set-cookie')).toMatch(/^sid=; .*Expires=Thu, 01 Jan 1970/);
      expect(keyCount(prefix)).toBe(0);
      expect((await replay.request('/login?ended')).body).toContain('Your session has ended');
    });

    test('a cookie with a forged signature is no session', async () => {
      const v = new Visitor(demo.url);
      await v.logIn('ada');
      const forged = new Visitor(demo.url);
      forged.cookie = v.cookie.replace(/\.[^.]+$/, '.AAAA');
      const res = await forged.request('/');
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/login?ended');
    });
  });
}

describe('npm run demo (examples/session-demo/main.ts)', () => {
  const TSX = import.meta.resolve('tsx');
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  });
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  interface Run {
    child: ChildProcess;
    output: () => string;
    exit: Promise<number | null>;
  }

  function run(env: Record<string, string>): Run {
    const child = spawn(process.execPath, ['--import', TSX, path.join(ROOT, 'examples/session-demo/main.ts')], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, output: () => out, exit };
  }

  /** Resolves with the URL the demo prints (rejects if it exits first or takes over 20 s). */
  async function url(r: Run): Promise<string> {
    const until = Date.now() + 20_000;
    for (;;) {
      const m = /session demo: (http:\/\/\S+)/.exec(r.output());
      if (m) return m[1]!;
      if (r.child.exitCode !== null || Date.now() > until) throw new Error(`no URL; output:\n${r.output()}`);
      await new Promise((res) => setTimeout(res, 25));
    }
  }

  async function stop(r: Run): Promise<void> {
    r.child.kill('SIGTERM');
    expect(await r.exit).toBe(0);
  }

  test('starts its own volatile lapse and prints the URL; the password hint is shown', async () => {
    const r = run({});
    const base = await url(r);
    expect(r.output()).toMatch(/session store: lapse started in this process at redis:\/\/127\.0\.0\.1:\d+ \(volatile\), client node-redis/);
    const login = await new Visitor(base).request('/login');
    expect(login.status).toBe(200);
    expect(login.body).toContain('the password is <code>lapse</code>');
    const v = new Visitor(base);
    expect((await v.logIn('ada', 'lapse')).status).toBe(303);
    expect((await v.request('/')).body).toContain('<span id="user">ada</span>');
    await stop(r);
  });

  test('LAPSE_URL points it at a running lapse, SESSION_CLIENT picks ioredis, DEMO_PASSWORD is not shown', async () => {
    const r = run({ LAPSE_URL: `redis://127.0.0.1:${lapsePort}`, SESSION_CLIENT: 'ioredis', DEMO_PASSWORD: 'pw', SESSION_MAX_AGE: '120' });
    const base = await url(r);
    expect(r.output()).toContain(`session store: lapse at redis://127.0.0.1:${lapsePort}, client ioredis, sessions under sess:*`);
    expect((await new Visitor(base).request('/login')).body).not.toContain('the password is');
    const v = new Visitor(base);
    expect((await v.logIn('ada', 'pw')).status).toBe(303);
    const entry = lapse.keyspace.dbs[0]!.peek(`sess:${v.sessionId}`)!;
    const deadline = lapse.keyspace.dbs[0]!.deadlineOf(entry);
    expect(deadline - Date.now()).toBeGreaterThan(115_000);
    expect(deadline - Date.now()).toBeLessThanOrEqual(121_000);
    await stop(r);
    // The demo's lapse client is gone; the session stays in the lapse it did not start.
    expect(stored(`sess:${v.sessionId}`)).toMatchObject({ user: 'ada' });
    await lapse.keyspace.dbs[0]!.clear();
  });

  test('LAPSE_DIR: its lapse snapshots on exit and loads at start, so sessions survive a restart', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-demo-dir-'));
    dirs.push(dir);
    const env = { LAPSE_DIR: dir, SESSION_SECRET: 'kept across restarts' };
    const first = run(env);
    const v = new Visitor(await url(first));
    expect(first.output()).toContain(`(snapshots in ${dir})`);
    await v.logIn('ada', 'lapse');
    await v.request('/');
    await stop(first);
    expect(fs.existsSync(path.join(dir, 'dump.rdb'))).toBe(true);

    const second = run(env);
    const again = new Visitor(await url(second));
    again.cookie = v.cookie;
    const html = (await again.request('/')).body;
    expect(html).toContain('<span id="user">ada</span>');
    expect(html).toContain('<strong id="visits">2</strong>');
    await stop(second);
  });

  test('bad settings: one line on stderr, exit code 1', async () => {
    const cases = [
      [{ SESSION_CLIENT: 'memcached' }, "session demo: SESSION_CLIENT must be node-redis or ioredis, not 'memcached'"],
      [{ SESSION_MAX_AGE: '1.5' }, "session demo: SESSION_MAX_AGE must be a non-negative integer, not '1.5'"],
      [{ SESSION_MAX_AGE: '0' }, 'session demo: SESSION_MAX_AGE must be at least 1 second'],
      [{ LAPSE_PORT: String(lapsePort) }, `session demo: lapse: Could not listen on 127.0.0.1:${lapsePort}: bind: Address already in use (set LAPSE_PORT)`],
    ] as const;
    const runs = cases.map(([env]) => run(env));
    for (const [i, r] of runs.entries()) {
      expect(await r.exit).toBe(1);
      expect(r.output()).toBe(`${cases[i]![1]}\n`);
    }
  });
});

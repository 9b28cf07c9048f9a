import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import express from 'express';
import session from 'express-session';
import { RedisStore } from 'connect-redis';
import LegacyRedisStore from 'connect-redis-ioredis';
import { createClient } from 'redis';
import { Redis as IORedis } from 'ioredis';
import { createServer, type LapseServer } from '../../src/index.js';

/**
 * express-session with connect-redis as the store and lapse behind it, the way a web
 * app uses it: connect-redis 9 on node-redis, and connect-redis 7 on ioredis (9 dropped
 * ioredis). Login creates the key with the cookie's TTL, requests reuse it, touch
 * extends it, logout deletes it, and a short session expires on the server.
 */
let lapse: LapseServer;
let lapsePort = 0;

beforeAll(async () => {
  lapse = createServer({ port: 0, bind: '127.0.0.1' });
  lapsePort = (await lapse.listen()).port;
});
afterAll(() => lapse.close());

interface StoreClient {
  store: session.Store;
  ttl(key: string): Promise<number>;
  pttl(key: string): Promise<number>;
  exists(key: string): Promise<number>;
  get(key: string): Promise<string | null>;
  close(): Promise<void>;
}

async function nodeRedisStore(prefix: string): Promise<StoreClient> {
  const client = createClient({ socket: { port: lapsePort, host: '127.0.0.1' } });
  await client.connect();
  return {
    store: new RedisStore({ client, prefix }),
    ttl: (k) => client.ttl(k),
    pttl: (k) => client.pTTL(k),
    exists: (k) => client.exists(k),
    get: (k) => client.get(k),
    close: async () => client.destroy(),
  };
}

async function ioredisStore(prefix: string): Promise<StoreClient> {
  const client = new IORedis({ port: lapsePort, host: '127.0.0.1' });
  return {
    store: new LegacyRedisStore({ client, prefix }),
    ttl: (k) => client.ttl(k),
    pttl: (k) => client.pttl(k),
    exists: (k) => client.exists(k),
    get: (k) => client.get(k),
    close: async () => {
      client.disconnect();
    },
  };
}

declare module 'express-session' {
  interface SessionData {
    user: string;
    visits: number;
  }
}

interface App {
  url: string;
  close(): Promise<void>;
}

async function startApp(store: session.Store, maxAgeMs: number): Promise<App> {
  const app = express();
  app.use(
    session({
      store,
      secret: 'test secret',
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax', maxAge: maxAgeMs },
    }),
  );
  app.post('/login', (req, res) => {
    req.session.user = 'ada';
    req.session.visits = 0;
    res.send('ok');
  });
  app.get('/me', (req, res) => {
    if (!req.session.user) {
      res.status(401).send('anonymous');
      return;
    }
    req.session.visits = (req.session.visits ?? 0) + 1;
    res.json({ user: req.session.user, visits: req.session.visits });
  });
  app.get('/peek', (req, res) => {
    // Reads the session without modifying it: express-session touches it instead.
    res.json({ user: req.session.user ?? null });
  });
  app.post('/logout', (req, res) => {
    req.session.destroy(() => res.send('bye'));
  });
  const httpServer = http.createServer(app);
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', () => resolve()));
  const { port } = httpServer.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => httpServer.close(() => resolve())),
  };
}

/** The sid cookie value (signed: s:<id>.<sig>) and the session id inside it. */
function sessionCookie(res: Response): { cookie: string; id: string; header: string } {
  const header = res.headers.get('set-cookie');
  if (!header) throw new Error('no Set-Cookie');
  const cookie = header.split(';')[0]!;
  const value = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1));
  const id = value.slice(2, value.lastIndexOf('.'));
  return { cookie, id, header };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const [name, make] of [
  ['node-redis + connect-redis 9', nodeRedisStore],
  ['ioredis + connect-redis 7', ioredisStore],
] as const) {
  describe(`express-session on lapse with ${name}`, () => {
    test('login creates the key with the cookie TTL, requests reuse it, logout deletes it', async () => {
      const prefix = `sess:${name.split(' ')[0]}:`;
      const client = await make(prefix);
      const app = await startApp(client.store, 60_000);
      try {
        const login = await fetch(`${app.url}/login`, { method: 'POST' });
        expect(login.status).toBe(200);
        const { cookie, id, header } = sessionCookie(login);
        expect(header).toMatch(/HttpOnly/i);
        const key = prefix + id;
        expect(await client.exists(key)).toBe(1);
        const ttl = await client.ttl(key);
        expect(ttl).toBeGreaterThanOrEqual(59);
        expect(ttl).toBeLessThanOrEqual(60);
        expect(JSON.parse((await client.get(key))!).user).toBe('ada');

        for (let visit = 1; visit <= 3; visit++) {
          const me = await fetch(`${app.url}/me`, { headers: { cookie } });
          expect(await me.json()).toEqual({ user: 'ada', visits: visit });
        }
        expect(JSON.parse((await client.get(key))!).visits).toBe(3);

        const logout = await fetch(`${app.url}/logout`, { method: 'POST', headers: { cookie } });
        expect(logout.status).toBe(200);
        expect(await client.exists(key)).toBe(0);
        const after = await fetch(`${app.url}/me`, { headers: { cookie } });
        expect(after.status).toBe(401);
      } finally {
        await app.close();
        await client.close();
      }
    });

    test('an unmodified request touches the session: the TTL is extended', async () => {
      const prefix = `touch:${name.split(' ')[0]}:`;
      const client = await make(prefix);
      const app = await startApp(client.store, 10_000);
      try {
        const { cookie, id } = sessionCookie(await fetch(`${app.url}/login`, { method: 'POST' }));
        const key = prefix + id;
        await sleep(1200);
        const before = await client.pttl(key);
        expect(before).toBeLessThan(9_000);
        const peek = await fetch(`${app.url}/peek`, { headers: { cookie } });
        expect(await peek.json()).toEqual({ user: 'ada' });
        const after = await client.pttl(key);
        expect(after).toBeGreaterThan(9_000);
      } finally {
        await app.close();
        await client.close();
      }
    });

    test('a 1-second session expires on the server', async () => {
      const prefix = `short:${name.split(' ')[0]}:`;
      const client = await make(prefix);
      const app = await startApp(client.store, 1000);
      try {
        const { cookie, id } = sessionCookie(await fetch(`${app.url}/login`, { method: 'POST' }));
        const key = prefix + id;
        expect(await client.exists(key)).toBe(1);
        await sleep(1300);
        // Gone from lapse itself (reclaimed by the timer wheel), not just hidden.
        expect(lapse.keyspace.dbs[0]!.peek(key)).toBeUndefined();
        expect(await client.exists(key)).toBe(0);
        const me = await fetch(`${app.url}/me`, { headers: { cookie } });
        expect(me.status).toBe(401);
      } finally {
        await app.close();
        await client.close();
      }
    });

    test('all(), length() and clear() see exactly the live sessions (SCAN based)', async () => {
      const prefix = `all:${name.split(' ')[0]}:`;
      const client = await make(prefix);
      const app = await startApp(client.store, 60_000);
      try {
        for (let i = 0; i < 25; i++) await fetch(`${app.url}/login`, { method: 'POST' });
        const store = client.store;
        const length = await new Promise<number>((resolve, reject) =>
          store.length!((err, n) => (err ? reject(err) : resolve(n!))),
        );
        expect(length).toBe(25);
        const all = await new Promise<unknown[]>((resolve, reject) =>
          store.all!((err, sessions) => (err ? reject(err) : resolve(Object.values(sessions ?? {})))),
        );
        expect(all).toHaveLength(25);
        await new Promise<void>((resolve, reject) => store.clear!((err) => (err ? reject(err) : resolve())));
        const after = await new Promise<number>((resolve, reject) =>
          store.length!((err, n) => (err ? reject(err) : resolve(n!))),
        );
        expect(after).toBe(0);
      } finally {
        await app.close();
        await client.close();
      }
    });
  });
}

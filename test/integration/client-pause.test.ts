import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from 'vitest';
import express from 'express';
import session from 'express-session';
import LegacyRedisStore from 'connect-redis-ioredis';
import { Redis as IORedis } from 'ioredis';
import { suiteServer } from '../helpers/suite-server.js';

/**
 * CLIENT PAUSE WRITE under a web app (express-session, connect-redis on ioredis): what an
 * operator does before a failover. Requests that only read their session are answered
 * during the pause; requests that change it wait (their SET is parked, ioredis just
 * waits for the reply), and every one of them completes, in order, once the pause ends,
 * with no error and no lost write.
 */
const lapse = suiteServer();

declare module 'express-session' {
  interface SessionData {
    user: string;
    visits: number;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('sessions: reads answer during a WRITE pause, changes wait and all complete after it', async () => {
  const store = new IORedis({ port: lapse.port, host: '127.0.0.1' });
  const admin = new IORedis({ port: lapse.port, host: '127.0.0.1' });
  const app = express();
  app.use(
    session({
      store: new LegacyRedisStore({ client: store, prefix: 'pause:' }),
      secret: 'test secret',
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: 60_000 },
    }),
  );
  app.post('/login', (req, res) => {
    req.session.user = `u${String(req.query.n)}`;
    req.session.visits = 0;
    res.send('ok');
  });
  app.get('/visit', (req, res) => {
    req.session.visits = (req.session.visits ?? 0) + 1;
    res.json({ user: req.session.user, visits: req.session.visits });
  });
  const httpServer = http.createServer(app);
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  try {
    const cookies: string[] = [];
    for (let n = 0; n < 10; n++) {
      const res = await fetch(`${url}/login?n=${n}`, { method: 'POST' });
      cookies.push(res.headers.get('set-cookie')!.split(';')[0]!);
    }
    expect(await admin.call('CLIENT', 'PAUSE', '20000', 'WRITE')).toBe('OK');
    let done = 0;
    const visits = cookies.map((cookie) =>
      // express-session sends the headers before the store's save ends: done counts whole responses.
      fetch(`${url}/visit`, { headers: { cookie } }).then(async (res) => {
        const body = (await res.json()) as { user: string; visits: number };
        done++;
        return { status: res.status, body };
      }),
    );
    await sleep(300);
    // The sessions were read (GET), their changes (SET) wait: no response yet.
    expect(done).toBe(0);
    expect(Number(/blocked_clients:(\d+)/.exec(await admin.info('clients'))![1])).toBeGreaterThanOrEqual(1);
    // A read of a session answers at once.
    const keys = await admin.keys('pause:*');
    expect(keys.length).toBe(10);
    expect(JSON.parse((await admin.get(keys[0]!))!).visits).toBe(0);
    expect(await admin.call('CLIENT', 'UNPAUSE')).toBe('OK');
    const results = await Promise.all(visits);
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(results.map((r) => r.body)).toEqual(cookies.map((_, n) => ({ user: `u${n}`, visits: 1 })));
    for (const key of keys) expect(JSON.parse((await admin.get(key))!).visits).toBe(1);
  } finally {
    // Parked requests must not hold the HTTP server's close for the pause's 20 s after a failure.
    await admin.call('CLIENT', 'UNPAUSE');
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    store.disconnect();
    admin.disconnect();
  }
});

/**
 * The web app of the session benchmark, run in its own process: express +
 * express-session + connect-redis on ioredis, pointed at the store on STORE_PORT.
 * POST /login creates a session; GET /page reads it and counts a visit (a write).
 * Usage: node --import tsx session-app.ts <store-port>; prints "listening <port>".
 */
import express from 'express';
import session from 'express-session';
import RedisStore from 'connect-redis';
import { Redis } from 'ioredis';

const storePort = Number(process.argv[2]);
const client = new Redis({ port: storePort, host: '127.0.0.1' });
const app = express();
app.use(
  session({
    store: new RedisStore({ client, prefix: 'sess:' }),
    secret: 'bench secret',
    resave: false,
    saveUninitialized: false,
    rolling: true,
    cookie: { httpOnly: true, sameSite: 'lax', maxAge: 3_600_000 },
  }),
);
app.post('/login', (req, res) => {
  (req.session as unknown as { user: string }).user = 'bench';
  res.send('ok');
});
app.get('/page', (req, res) => {
  const s = req.session as unknown as { user?: string; views?: number };
  if (!s.user) {
    res.status(401).end();
    return;
  }
  s.views = (s.views ?? 0) + 1;
  res.send(`hello ${s.user}, ${s.views} views`);
});
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});

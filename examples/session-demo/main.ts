/**
 * npm run demo: the session demo with its own lapse, or with a running one.
 *
 *   npm run demo                                     # lapse in-process, volatile
 *   LAPSE_DIR=/tmp/demo npm run demo                 # lapse in-process, snapshots in /tmp/demo
 *   LAPSE_URL=redis://127.0.0.1:6379 npm run demo    # a lapse (or Redis) already running
 *
 * Other settings: PORT (3000), HOST (127.0.0.1), LAPSE_PORT (0: a free port),
 * SESSION_CLIENT (node-redis | ioredis), SESSION_MAX_AGE (idle timeout in seconds,
 * 1800), SESSION_SECRET (random at each start unless set: set it to keep sessions
 * valid across restarts of the demo), DEMO_PASSWORD (lapse).
 */
import crypto from 'node:crypto';
import { ListenError } from 'lapse';
import { startDemo } from './demo.js';
import type { ClientKind } from './store.js';

const env = process.env;

function integer(name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text)) fail(`${name} must be a non-negative integer, not '${text}'`);
  return Number(text);
}

function fail(message: string): never {
  process.stderr.write(`session demo: ${message}\n`);
  process.exit(1);
}

const client = (env.SESSION_CLIENT || 'node-redis') as ClientKind;
if (client !== 'node-redis' && client !== 'ioredis') fail(`SESSION_CLIENT must be node-redis or ioredis, not '${client}'`);
const maxAge = integer('SESSION_MAX_AGE', 1800);
if (maxAge === 0) fail('SESSION_MAX_AGE must be at least 1 second');
const password = env.DEMO_PASSWORD || 'lapse';

try {
  const demo = await startDemo({
    lapseUrl: env.LAPSE_URL || undefined,
    lapsePort: integer('LAPSE_PORT', 0),
    lapseDir: env.LAPSE_DIR || undefined,
    port: integer('PORT', 3000),
    host: env.HOST || '127.0.0.1',
    client,
    secret: env.SESSION_SECRET || crypto.randomBytes(32).toString('hex'),
    password,
    passwordHint: env.DEMO_PASSWORD ? undefined : password,
    maxAgeMs: maxAge * 1000,
  });
  const where = demo.lapse
    ? `lapse started in this process at ${demo.lapseUrl} (${env.LAPSE_DIR ? `snapshots in ${env.LAPSE_DIR}` : 'volatile'})`
    : `lapse at ${demo.lapseUrl}`;
  console.log(`session store: ${where}, client ${client}, sessions under ${demo.backend.prefix}*`);
  console.log(`session demo: ${demo.url}`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void demo.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (e) {
  if (e instanceof ListenError) fail(`lapse: ${e.message} (set LAPSE_PORT)`);
  const err = e as NodeJS.ErrnoException;
  fail(err.code === 'EADDRINUSE' ? `port ${env.PORT || 3000} is in use (set PORT)` : err.message);
}

import type session from 'express-session';
import { RedisStore } from 'connect-redis';
// connect-redis 7 for ioredis (9 takes node-redis clients only). Outside this
// repository: `npm install connect-redis@7`.
import LegacyRedisStore from 'connect-redis-ioredis';
import { createClient } from 'redis';
import { Redis as IORedis } from 'ioredis';

export type ClientKind = 'node-redis' | 'ioredis';

/**
 * The session store and the little the demo reads beside it: an express-session store
 * (connect-redis) on a Redis client connected to lapse, and PTTL for the live-sessions
 * page. Both clients reconnect by themselves and queue commands while lapse restarts,
 * so a request made during a restart waits for lapse instead of failing.
 */
export interface SessionBackend {
  readonly kind: ClientKind;
  readonly store: session.Store;
  /** Prefix of the session keys in lapse: the key of a session is prefix + session ID. */
  readonly prefix: string;
  /** Remaining time to live of each key in ms (-2: the key is gone), as PTTL. */
  pttl(keys: readonly string[]): Promise<number[]>;
  /** Closes the client's connection. */
  close(): Promise<void>;
}

export interface BackendOptions {
  /** redis://host:port of lapse. */
  url: string;
  kind?: ClientKind;
  prefix?: string;
  /** Where connection errors are reported (console.error by default). */
  onError?: (message: string) => void;
}

/** Reconnect soon after a restart: 50, 100, 200 ... ms, never more than 1 s apart. */
const retryDelay = (attempt: number): number => Math.min(50 * 2 ** attempt, 1000);

export async function connectBackend(options: BackendOptions): Promise<SessionBackend> {
  const prefix = options.prefix ?? 'sess:';
  const report = options.onError ?? ((message: string) => console.error(message));
  // A client reports an error on every failed reconnection attempt; say it once per outage.
  let down = false;
  const onError = (err: Error) => {
    if (down) return;
    down = true;
    report(`session store unreachable (${err.message}); reconnecting`);
  };
  const onReady = () => {
    down = false;
  };

  if (options.kind === 'ioredis') {
    const client = new IORedis(options.url, { retryStrategy: (times) => retryDelay(times - 1), lazyConnect: true });
    client.on('error', onError);
    client.on('ready', onReady);
    await client.connect();
    return {
      kind: 'ioredis',
      store: new LegacyRedisStore({ client, prefix }),
      prefix,
      pttl: (keys) => Promise.all(keys.map((k) => client.pttl(k))),
      close: async () => {
        await client.quit().catch(() => client.disconnect());
      },
    };
  }

  const client = createClient({ url: options.url, socket: { reconnectStrategy: retryDelay } });
  client.on('error', onError);
  client.on('ready', onReady);
  await client.connect();
  return {
    kind: 'node-redis',
    store: new RedisStore({ client, prefix }),
    prefix,
    // Commands issued in the same tick go out as one pipeline.
    pttl: (keys) => Promise.all(keys.map((k) => client.pTTL(k))),
    close: async () => {
      await client.close().catch(() => client.destroy());
    },
  };
}

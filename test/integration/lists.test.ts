import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Redis as IORedis } from 'ioredis';
import { createClient } from 'redis';
import { createServer, type LapseServer } from '../../src/index.js';
import type { ChangeObserver, Database, Entry } from '../../src/keyspace/database.js';
import { ListValue } from '../../src/keyspace/list.js';
import { ENTRY_BYTES, DEADLINE_BYTES, OBJECT_REF_BYTES } from '../../src/keyspace/memory-cost.js';

/**
 * Lists through real clients (ioredis, node-redis: their list helpers, pipelines and
 * MULTI), and what the commands owe the rest of the server: a background snapshot sees
 * every list as it was before each change (the ChangeObserver contract), and the
 * database's byte count (maxmemory's figure) stays equal to a recount after every
 * command that grows or shrinks a list in place.
 */

let lapse: LapseServer;
let port = 0;
beforeAll(async () => {
  lapse = createServer({ port: 0, bind: '127.0.0.1' });
  port = (await lapse.listen()).port;
});
afterAll(async () => {
  await lapse.close();
});

describe('ioredis', () => {
  test('list helpers, a pipeline and MULTI', async () => {
    const r = new IORedis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    await r.connect();
    try {
      await r.del('io:l', 'io:m');
      expect(await r.rpush('io:l', 'a', 'b', 'c')).toBe(3);
      expect(await r.lpush('io:l', 'z')).toBe(4);
      expect(await r.lrange('io:l', 0, -1)).toEqual(['z', 'a', 'b', 'c']);
      expect(await r.lpop('io:l', 2)).toEqual(['z', 'a']);
      expect(await r.rpop('io:l')).toBe('c');
      expect(await r.lpushx('io:l', 'x')).toBe(2);
      expect(await r.rpushx('io:none', 'x')).toBe(0);
      expect(await r.linsert('io:l', 'AFTER', 'x', 'y')).toBe(3);
      expect(await r.lindex('io:l', -1)).toBe('b');
      expect(await r.lset('io:l', 0, 'X')).toBe('OK');
      expect(await r.lpos('io:l', 'b')).toBe(2);
      expect(await r.lmove('io:l', 'io:m', 'LEFT', 'RIGHT')).toBe('X');
      expect(await r.rpoplpush('io:l', 'io:m')).toBe('b');
      expect(await r.lrange('io:m', 0, -1)).toEqual(['b', 'X']);
      expect(await r.lmpop(2, 'io:none', 'io:m', 'RIGHT', 'COUNT', 5)).toEqual(['io:m', ['X', 'b']]);
      expect(await r.exists('io:m')).toBe(0);
      const piped = await r.pipeline().rpush('io:p', '1', '2', '3').lrem('io:p', 0, '2').ltrim('io:p', 0, 0).llen('io:p').exec();
      expect(piped!.map(([err, v]) => (err ? String(err) : v))).toEqual([3, 1, 'OK', 1]);
      const tx = await r.multi().lpush('io:t', 'a').lpop('io:t').lpop('io:t').exec();
      expect(tx!.map(([, v]) => v)).toEqual([1, 'a', null]);
      // Binary elements, as Buffers.
      const bin = Buffer.from([0, 255, 13, 10, 128]);
      await r.rpush('io:b', bin);
      expect(await r.lindexBuffer('io:b', 0)).toEqual(bin);
    } finally {
      r.disconnect();
    }
  });
});

describe('node-redis', () => {
  test('list helpers and MULTI', async () => {
    const c = createClient({ socket: { port, host: '127.0.0.1', reconnectStrategy: false } });
    await c.connect();
    try {
      await c.del(['nr:l', 'nr:m']);
      expect(await c.rPush('nr:l', ['a', 'b', 'a', 'c'])).toBe(4);
      expect(await c.lPush('nr:l', 'h')).toBe(5);
      expect(await c.lLen('nr:l')).toBe(5);
      expect(await c.lRange('nr:l', 0, -1)).toEqual(['h', 'a', 'b', 'a', 'c']);
      expect(await c.lPos('nr:l', 'a', { RANK: -1 })).toBe(3);
      expect(await c.lPosCount('nr:l', 'a', 0)).toEqual([1, 3]);
      expect(await c.lRem('nr:l', 1, 'a')).toBe(1);
      expect(await c.lInsert('nr:l', 'BEFORE', 'c', 'bc')).toBe(5);
      expect(await c.lSet('nr:l', 1, 'B')).toBe('OK');
      expect(await c.lIndex('nr:l', 1)).toBe('B');
      expect(await c.lPopCount('nr:l', 2)).toEqual(['h', 'B']);
      expect(await c.rPopCount('nr:l', 1)).toEqual(['c']);
      expect(await c.lMove('nr:l', 'nr:m', 'RIGHT', 'LEFT')).toBe('bc');
      expect(await c.rPopLPush('nr:l', 'nr:m')).toBe('a');
      expect(await c.exists('nr:l')).toBe(0);
      expect(await c.lmPop(['nr:l', 'nr:m'], 'LEFT', { COUNT: 1 })).toEqual(['nr:m', ['a']]);
      expect(await c.lTrim('nr:m', 0, 0)).toBe('OK');
      expect(await c.lPushX('nr:m', 'x')).toBe(2);
      expect(await c.rPushX('nr:none', 'x')).toBe(0);
      expect(await c.lPop('nr:none')).toBeNull();
      expect(await c.lmPop(['nr:none'], 'RIGHT')).toBeNull();
      const replies = await c.multi().rPush('nr:t', ['1', '2']).rPop('nr:t').lRange('nr:t', 0, -1).exec();
      expect(replies).toEqual([2, '2', ['1']]);
    } finally {
      await c.quit();
    }
  });
});

/** Database bytes recounted from scratch (memory-cost.ts), to compare with the running count. */
function recount(db: Database): number {
  let n = 0;
  for (const e of db.entries()) n += keyBytes(db, e);
  return n;
}

/**
 * One key in the model: its overhead, its key's bytes, its value (a stored string its
 * bytes, off the V8 heap; a collection its estimatedBytes and its slot in the store's
 * objects Map) and its deadline.
 */
function keyBytes(db: Database, e: Entry): number {
  const value = db.valueOf(e);
  const valueCost = typeof value === 'string' ? value.length : OBJECT_REF_BYTES + value.estimatedBytes;
  return ENTRY_BYTES + db.keyOf(e).length + valueCost + (db.deadlineOf(e) !== Infinity ? DEADLINE_BYTES : 0);
}

describe('what the list commands owe the server', () => {
  test('a snapshot sees each list before it changes; the byte count stays exact', async () => {
    const db = lapse.keyspace.dbs[0]!;
    const seen: string[] = [];
    const observer: ChangeObserver = {
      beforeChange: (d: Database, e: Entry) => {
        const value = d.valueOf(e);
        seen.push(`${d.keyOf(e)}=${value instanceof ListValue ? value.toArray().join(',') : String(value)}`);
      },
      created: () => {},
      beforeClear: () => {},
      beforeSwap: () => {},
    };
    const r = new IORedis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    await r.connect();
    try {
      await r.flushall();
      db.observer = observer;
      const steps: [string[], string | null][] = [
        [['RPUSH', 'k', 'a', 'b'], null], // a new key: nothing to preserve
        [['LPUSH', 'k', 'z'], 'k=a,b'],
        [['RPUSHX', 'k', 'c'], 'k=z,a,b'],
        [['LPOP', 'k'], 'k=z,a,b,c'],
        [['RPOP', 'k', '1'], 'k=a,b,c'],
        [['LSET', 'k', '0', 'A'], 'k=a,b'],
        [['LINSERT', 'k', 'after', 'A', 'AA'], 'k=A,b'],
        [['LREM', 'k', '0', 'b'], 'k=A,AA,b'],
        [['LTRIM', 'k', '0', '0'], 'k=A,AA'],
        [['RPUSH', 'k', 'q'], 'k=A'],
        [['LMOVE', 'k', 'k', 'LEFT', 'RIGHT'], 'k=A,q'],
        [['LMPOP', '1', 'k', 'LEFT'], 'k=q,A'],
        [['RPOPLPUSH', 'k', 'd'], 'k=A'], // k goes; d is new
      ];
      for (const [argv, before] of steps) {
        seen.length = 0;
        await r.call(argv[0]!, ...argv.slice(1));
        if (before === null) expect(seen, argv.join(' ')).toEqual([]);
        else expect(seen[0], argv.join(' ')).toBe(before);
        expect(db.memory, `bytes after ${argv.join(' ')}`).toBe(recount(db));
      }
      expect(await r.exists('k')).toBe(0);
      expect(await r.lrange('d', 0, -1)).toEqual(['A']);
      // Many elements in and out through packed inner nodes: still exact.
      for (let i = 0; i < 20; i++) await r.rpush('big', ...Array.from({ length: 500 }, (_, j) => `e${i}-${j}-${'x'.repeat(j % 40)}`));
      expect(db.memory).toBe(recount(db));
      await r.call('LREM', 'big', '0', 'e3-7-xxxxxxx');
      await r.call('LINSERT', 'big', 'before', 'e10-10-xxxxxxxxxx', 'new');
      await r.call('LSET', 'big', '5000', 'y'.repeat(500));
      await r.call('LTRIM', 'big', '100', '-100');
      await r.lpop('big', 3000);
      expect(db.memory).toBe(recount(db));
      const usage = Number(await r.call('MEMORY', 'USAGE', 'big'));
      expect(usage).toBeGreaterThan(6800 * 10);
      expect(usage).toBe(recount(db) - keyBytes(db, db.get('d')!));
    } finally {
      db.observer = null;
      r.disconnect();
    }
  });
});

describe('blocking pops through real clients, on a second connection', () => {
  test('ioredis: BLPOP waits for an RPUSH from another connection; BRPOPLPUSH and BZPOPMIN; a timeout gives null', async () => {
    const waiter = new IORedis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    const pusher = new IORedis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    await waiter.connect();
    await pusher.connect();
    try {
      await pusher.del('io:queue', 'io:done', 'io:z');
      const popped = waiter.blpop('io:queue', 5);
      await waitForBlocked(1);
      await pusher.rpush('io:queue', 'job-1');
      expect(await popped).toEqual(['io:queue', 'job-1']);
      const moved = waiter.brpoplpush('io:queue', 'io:done', 5);
      await waitForBlocked(1);
      await pusher.rpush('io:queue', 'job-2');
      expect(await moved).toBe('job-2');
      expect(await pusher.lrange('io:done', 0, -1)).toEqual(['job-2']);
      const zpopped = waiter.bzpopmin('io:z', 5);
      await waitForBlocked(1);
      await pusher.zadd('io:z', 2, 'b', 1, 'a');
      expect(await zpopped).toEqual(['io:z', 'a', '1']);
      expect(await waiter.blpop('io:nothing', 0.05)).toBeNull();
    } finally {
      waiter.disconnect();
      pusher.disconnect();
    }
  });

  test('node-redis: blPop and blMove on a duplicate connection, RESP2 and RESP3', async () => {
    for (const RESP of [2, 3] as const) {
      const client = createClient({ socket: { port, host: '127.0.0.1' }, RESP });
      await client.connect();
      const blocking = client.duplicate();
      await blocking.connect();
      try {
        await client.del(['nr:queue', 'nr:dst']);
        const popped = blocking.blPop('nr:queue', 5);
        await waitForBlocked(1);
        await client.rPush('nr:queue', 'a');
        expect(await popped).toEqual({ key: 'nr:queue', element: 'a' });
        const moved = blocking.blMove('nr:queue', 'nr:dst', 'LEFT', 'RIGHT', 5);
        await waitForBlocked(1);
        await client.rPush('nr:queue', 'b');
        expect(await moved).toBe('b');
        expect(await blocking.blPop('nr:nothing', 0.05)).toBeNull();
      } finally {
        await blocking.quit();
        await client.quit();
      }
    }
  });
});

/** Waits until the server reports n blocked clients (at most 5 s). */
async function waitForBlocked(n: number): Promise<void> {
  const until = Date.now() + 5000;
  while (lapse.blocking.blockedCount !== n) {
    if (Date.now() > until) throw new Error(`blocked clients: ${lapse.blocking.blockedCount}, expected ${n}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

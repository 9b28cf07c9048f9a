import { describe, expect, test } from 'vitest';
import { Redis as IORedis } from 'ioredis';
import { suiteServer } from '../helpers/suite-server.js';

/**
 * Transactions as a Node app uses them through ioredis: multi().exec(), and the WATCH
 * optimistic-locking loop, with two clients racing on one counter.
 */
const lapse = suiteServer();

function client(): IORedis {
  return new IORedis({ port: lapse.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
}

/**
 * Adds 1 to the counter at key the optimistic way: WATCH, read, MULTI/SET/EXEC, again
 * from the start when EXEC reports a conflict (null). Returns the number of conflicts.
 */
async function increment(r: IORedis, key: string): Promise<number> {
  for (let conflicts = 0; ; conflicts++) {
    await r.watch(key);
    const value = Number((await r.get(key)) ?? '0');
    const result = await r.multi().set(key, String(value + 1)).exec();
    if (result !== null) return conflicts;
  }
}

describe('ioredis transactions', () => {
  test('multi().set().incr().exec() returns each reply in place', async () => {
    const r = client();
    try {
      const result = await r.multi().set('tx:a', '41').incr('tx:a').get('tx:a').exec();
      expect(result).toEqual([
        [null, 'OK'],
        [null, 42],
        [null, '42'],
      ]);
      // A runtime error stays in its place; the rest runs.
      const mixed = await r.multi().set('tx:s', 'text').incr('tx:s').set('tx:after', '1').exec();
      expect(mixed![0]).toEqual([null, 'OK']);
      expect(mixed![1]![0]).toBeInstanceOf(Error);
      expect(String(mixed![1]![0])).toMatch(/not an integer/);
      expect(mixed![2]).toEqual([null, 'OK']);
      // An error while queueing aborts the whole transaction.
      await expect(r.multi().set('tx:never', '1').call('NOSUCHCOMMAND').exec()).rejects.toThrow(/EXECABORT/);
      expect(await r.exists('tx:never')).toBe(0);
    } finally {
      r.disconnect();
    }
  });

  test('a WATCH conflict makes exec() resolve null', async () => {
    const a = client();
    const b = client();
    try {
      await a.set('tx:w', '1');
      await a.watch('tx:w');
      await b.set('tx:w', '2');
      expect(await a.multi().set('tx:w', '3').exec()).toBe(null);
      expect(await a.get('tx:w')).toBe('2');
    } finally {
      a.disconnect();
      b.disconnect();
    }
  });

  test('two clients racing on a counter with WATCH end on the exact total', async () => {
    const a = client();
    const b = client();
    try {
      await a.del('tx:counter');
      // Force one conflict: both read 0, a commits first, b must retry.
      await a.watch('tx:counter');
      await b.watch('tx:counter');
      const va = Number((await a.get('tx:counter')) ?? '0');
      const vb = Number((await b.get('tx:counter')) ?? '0');
      expect(await a.multi().set('tx:counter', String(va + 1)).exec()).not.toBe(null);
      expect(await b.multi().set('tx:counter', String(vb + 1)).exec()).toBe(null);
      expect(await increment(b, 'tx:counter')).toBe(0);
      // Then race freely: interleaved round trips make attempts conflict, and every
      // conflict is retried, so no increment is lost.
      const perClient = 200;
      const run = async (r: IORedis) => {
        for (let i = 0; i < perClient; i++) await increment(r, 'tx:counter');
      };
      await Promise.all([run(a), run(b)]);
      expect(await a.get('tx:counter')).toBe(String(2 + 2 * perClient));
    } finally {
      a.disconnect();
      b.disconnect();
    }
  });
});

import { describe, expect, test } from 'vitest';
import { Redis as IORedis } from 'ioredis';
import { createClient } from 'redis';
import { suiteServer } from '../helpers/suite-server.js';

/**
 * The set commands through the two Node clients a web app uses, against an in-process
 * lapse: their set helpers, sscanStream (ioredis) and sScanIterator (node-redis, RESP2
 * and RESP3, where SMEMBERS and friends answer RESP3 sets), MULTI, and the pattern
 * Spring Session uses for its expiry buckets (SADD/SREM/SMEMBERS with EXPIRE).
 */
const lapse = suiteServer();

describe('ioredis', () => {
  test('every set command through its helpers', async () => {
    const r = new IORedis({ port: lapse.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
    try {
      expect(await r.sadd('io:s', 'a', 'b', 'c', '1')).toBe(4);
      expect(await r.sadd('io:s', 'a')).toBe(0);
      expect(await r.scard('io:s')).toBe(4);
      expect(await r.sismember('io:s', 'b')).toBe(1);
      expect(await r.smismember('io:s', 'a', 'zz', '1')).toEqual([1, 0, 1]);
      expect((await r.smembers('io:s')).sort()).toEqual(['1', 'a', 'b', 'c']);
      expect(await r.srem('io:s', 'c', 'zz')).toBe(1);
      expect(await r.sadd('io:i', '3', '1', '2')).toBe(3);
      expect(await r.smembers('io:i')).toEqual(['1', '2', '3']); // an intset: numeric order
      expect(await r.sinter('io:s', 'io:i')).toEqual(['1']);
      expect(await r.sintercard(2, 'io:s', 'io:i')).toBe(1);
      expect((await r.sunion('io:s', 'io:i')).sort()).toEqual(['1', '2', '3', 'a', 'b']);
      expect((await r.sdiff('io:s', 'io:i')).sort()).toEqual(['a', 'b']);
      expect(await r.sinterstore('io:d', 'io:s', 'io:i')).toBe(1);
      expect(await r.sunionstore('io:d', 'io:s', 'io:i')).toBe(5);
      expect(await r.sdiffstore('io:d', 'io:i', 'io:s')).toBe(2);
      expect(await r.smembers('io:d')).toEqual(['2', '3']);
      expect(await r.smove('io:i', 'io:s', '2')).toBe(1);
      expect(await r.sismember('io:s', '2')).toBe(1);
      const one = await r.srandmember('io:s');
      expect(['1', '2', 'a', 'b']).toContain(one);
      expect((await r.srandmember('io:s', -6)).length).toBe(6);
      expect(new Set(await r.srandmember('io:s', 3)).size).toBe(3);
      const popped = await r.spop('io:s', 2);
      expect(popped).toHaveLength(2);
      expect(await r.scard('io:s')).toBe(2);
      const last = [await r.spop('io:s'), await r.spop('io:s')];
      expect([...popped, ...last].sort()).toEqual(['1', '2', 'a', 'b']);
      expect(await r.exists('io:s')).toBe(0);
      expect(await r.spop('io:s')).toBeNull();
      await r.set('io:str', 'x');
      await expect(r.sadd('io:str', 'a')).rejects.toThrow(/WRONGTYPE/);
      const binary = Buffer.from([0, 0xff, 13, 10]);
      await r.sadd('io:bin', binary);
      expect(await r.smembersBuffer('io:bin')).toEqual([binary]);
      const tx = await r.multi().sadd('io:m', 'x', 'y').scard('io:m').srem('io:m', 'x').exec();
      expect(tx).toEqual([[null, 2], [null, 2], [null, 1]]);
    } finally {
      r.disconnect();
    }
  });

  test('sscanStream returns every member of a large set once', async () => {
    const r = new IORedis({ port: lapse.port, host: '127.0.0.1' });
    try {
      const members = Array.from({ length: 3000 }, (_, i) => `member:${i}`);
      await r.sadd('io:big', ...members);
      const seen: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const s = r.sscanStream('io:big', { count: 53 });
        s.on('data', (batch: string[]) => seen.push(...batch));
        s.on('end', () => resolve());
        s.on('error', reject);
      });
      expect(seen).toHaveLength(3000);
      expect(new Set(seen)).toEqual(new Set(members));
      const matched: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const s = r.sscanStream('io:big', { match: 'member:1??', count: 100 });
        s.on('data', (batch: string[]) => matched.push(...batch));
        s.on('end', () => resolve());
        s.on('error', reject);
      });
      expect(matched.sort()).toEqual(members.filter((m) => /^member:1..$/.test(m)).sort());
    } finally {
      r.disconnect();
    }
  });

  test("Spring Session's expiry buckets: SADD, EXPIRE, SMEMBERS, SREM", async () => {
    const r = new IORedis({ port: lapse.port, host: '127.0.0.1' });
    try {
      const bucket = 'spring:session:expirations:1700000040000';
      for (let i = 0; i < 5; i++) {
        await r.sadd(bucket, `expires:session-${i}`);
        await r.expire(bucket, 2100);
      }
      expect(await r.ttl(bucket)).toBeGreaterThan(2000);
      expect((await r.smembers(bucket)).sort()).toEqual(Array.from({ length: 5 }, (_, i) => `expires:session-${i}`));
      await r.srem(bucket, 'expires:session-0');
      expect(await r.scard(bucket)).toBe(4);
      await r.sadd('spring:session:index:principal:alice', 'session-1', 'session-2');
      expect((await r.smembers('spring:session:index:principal:alice')).sort()).toEqual(['session-1', 'session-2']);
    } finally {
      r.disconnect();
    }
  });
});

describe('node-redis', () => {
  for (const RESP of [2, 3] as const) {
    test(`set helpers and sScanIterator, RESP${RESP}`, async () => {
      const c = createClient({ RESP, socket: { port: lapse.port, host: '127.0.0.1', reconnectStrategy: false } });
      c.on('error', () => {});
      await c.connect();
      const k = (name: string) => `nr${RESP}:${name}`;
      try {
        expect(await c.sAdd(k('s'), ['a', 'b', 'c', '7'])).toBe(4);
        expect(await c.sCard(k('s'))).toBe(4);
        expect(await c.sIsMember(k('s'), 'a')).toBe(1);
        expect(await c.smIsMember(k('s'), ['a', 'x'])).toEqual([1, 0]);
        expect([...(await c.sMembers(k('s')))].sort()).toEqual(['7', 'a', 'b', 'c']);
        expect(await c.sRem(k('s'), ['c'])).toBe(1);
        await c.sAdd(k('i'), ['7', '8']);
        expect([...(await c.sInter([k('s'), k('i')]))]).toEqual(['7']);
        expect(await c.sInterCard([k('s'), k('i')], { LIMIT: 1 })).toBe(1);
        expect([...(await c.sUnion([k('s'), k('i')]))].sort()).toEqual(['7', '8', 'a', 'b']);
        expect([...(await c.sDiff([k('i'), k('s')]))]).toEqual(['8']);
        expect(await c.sInterStore(k('d'), [k('s'), k('i')])).toBe(1);
        expect(await c.sUnionStore(k('d'), [k('s'), k('i')])).toBe(4);
        expect(await c.sDiffStore(k('d'), [k('s'), k('i')])).toBe(2);
        expect(await c.sMove(k('s'), k('i'), 'a')).toBe(1);
        expect(['7', 'b']).toContain(await c.sRandMember(k('s')));
        expect((await c.sRandMemberCount(k('i'), -5)).length).toBe(5);
        const popped = await c.sPopCount(k('i'), 2);
        expect([...popped].length).toBe(2);
        expect(await c.sCard(k('i'))).toBe(1);

        const members = Array.from({ length: 2000 }, (_, i) => `m${i}`);
        await c.sAdd(k('big'), members);
        const seen: string[] = [];
        for await (const batch of c.sScanIterator(k('big'), { COUNT: 77 })) seen.push(...batch);
        expect(seen).toHaveLength(2000);
        expect(new Set(seen)).toEqual(new Set(members));
        await c.sAdd(k('ints'), ['5', '1', '3']);
        const ints: string[] = [];
        for await (const batch of c.sScanIterator(k('ints'))) ints.push(...batch);
        expect(ints).toEqual(['1', '3', '5']); // an intset in one call, in order
      } finally {
        c.destroy();
      }
    });
  }
});

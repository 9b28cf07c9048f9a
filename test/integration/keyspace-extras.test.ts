import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { Redis as IORedis } from 'ioredis';
import { createClient, RESP_TYPES } from 'redis';
import { suiteServer } from '../helpers/suite-server.js';
import { RawClient } from '../helpers/raw-client.js';
import { decodeReply } from '../helpers/resp.js';
import { crc64 } from '../../src/persistence/crc64.js';
import { createServer } from '../../src/index.js';
import { ManualClock } from '../../src/keyspace/clock.js';

/**
 * Bitmaps, COPY/MOVE/SWAPDB, OBJECT, DUMP/RESTORE on lapse alone: what Redis 7.0 cannot
 * be compared on (hash field TTLs are Redis 7.4's), RESTORE fuzzed with corrupt payloads,
 * and the commands through ioredis and node-redis.
 */

const lapse = suiteServer();
let raw: RawClient;
beforeAll(async () => {
  raw = await RawClient.connect(lapse.port);
});
afterAll(() => raw.close());

async function call(...args: (string | Buffer)[]): Promise<string> {
  return (await raw.call(...args)).toString('latin1');
}

/** A payload with its CRC recomputed (the version kept). */
function resealed(body: Buffer): Buffer {
  const out = Buffer.from(body);
  if (out.length >= 10) out.writeBigUInt64LE(crc64(out.subarray(0, out.length - 8)), out.length - 8);
  return out;
}

describe('RESTORE never crashes on a corrupt payload and leaves no half key', () => {
  test('truncations and byte flips with a recomputed checksum (fast-check)', async () => {
    await call('FLUSHALL');
    const sources: [string, string[]][] = [
      ['SET', ['s', 'abcabcabc'.repeat(20)]],
      ['SET', ['i', '123456']],
      ['HSET', ['h', 'f', 'v', 'g', 'w', 'n', '-5']],
      ['HSET', ['t', ...Array.from({ length: 300 }, (_, i) => [`f${i}`, 'x'.repeat(i % 80)]).flat()]],
    ];
    const payloads: Buffer[] = [];
    for (const [command, args] of sources) {
      await call(command, ...args);
      const reply = decodeReply(await raw.call('DUMP', args[0]!))!.reply;
      if (reply.type !== 'bulk') throw new Error('DUMP did not answer a bulk string');
      payloads.push(reply.value);
    }
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: payloads.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), async (which, mutations) => {
        let payload: Buffer = Buffer.from(payloads[which]!);
        for (const m of mutations) {
          const bodyLength = payload.length - 10;
          if (bodyLength <= 0) break;
          if (m.kind === 'truncate') {
            const cut = m.at % bodyLength;
            payload = Buffer.concat([payload.subarray(0, cut), payload.subarray(bodyLength)]);
          } else {
            payload[m.at % bodyLength] ^= m.mask;
          }
        }
        payload = resealed(payload);
        const answer = await call('RESTORE', 'fuzzed', '0', payload);
        if (answer.startsWith('-')) {
          expect(answer).toMatch(/^-ERR (Bad data format|DUMP payload version or checksum are wrong)\r\n$/);
          expect(await call('EXISTS', 'fuzzed')).toBe(':0\r\n');
        } else {
          expect(answer).toBe('+OK\r\n');
          // Whatever was restored is a whole value: it dumps and restores again.
          const again = decodeReply(await raw.call('DUMP', 'fuzzed'))!.reply;
          expect(again.type).toBe('bulk');
          if (again.type === 'bulk') expect(await call('RESTORE', 'fuzzed', '0', again.value, 'REPLACE')).toBe('+OK\r\n');
          await call('DEL', 'fuzzed');
        }
        expect(await call('PING')).toBe('+PONG\r\n');
      }),
      { numRuns: 400, seed: 13 },
    );
  });
});

describe('hash field TTLs (Redis 7.4 semantics) travel with COPY, MOVE, DUMP/RESTORE and SWAPDB', () => {
  test('on a manual clock', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const server = createServer({ port: 0, bind: '127.0.0.1', clock });
    const { port } = await server.listen();
    const c = await RawClient.connect(port);
    const send = async (...args: (string | Buffer)[]) => (await c.call(...args)).toString('latin1');
    try {
      await send('HSET', 'h', 'short', '1', 'long', '2', 'kept', '3');
      await send('HPEXPIRE', 'h', '1000', 'FIELDS', '1', 'short');
      await send('HPEXPIRE', 'h', '5000', 'FIELDS', '1', 'long');
      expect(await send('COPY', 'h', 'copy')).toBe(':1\r\n');
      expect(await send('COPY', 'h', 'other', 'DB', '1')).toBe(':1\r\n');
      expect(await send('HPTTL', 'copy', 'FIELDS', '3', 'short', 'long', 'kept')).toBe('*3\r\n:1000\r\n:5000\r\n:-1\r\n');
      const dumped = decodeReply(await c.call('DUMP', 'h'))!.reply;
      if (dumped.type !== 'bulk') throw new Error('no DUMP');
      // The payload carries the field TTLs: RDB version 12 in its footer.
      expect(dumped.value.readUInt16LE(dumped.value.length - 10)).toBe(12);
      expect(await send('RESTORE', 'restored', '0', dumped.value)).toBe('+OK\r\n');
      expect(await send('MOVE', 'h', '2')).toBe(':1\r\n');
      expect(await send('SWAPDB', '1', '3')).toBe('+OK\r\n');
      clock.advance(1500);
      for (const [db, key] of [['0', 'copy'], ['0', 'restored'], ['2', 'h'], ['3', 'other']] as const) {
        await send('SELECT', db);
        expect(await send('HGETALL', key), `${key} in db ${db} after 1.5 s`).toBe('*4\r\n$4\r\nlong\r\n$1\r\n2\r\n$4\r\nkept\r\n$1\r\n3\r\n');
      }
      await send('SELECT', '1');
      expect(await send('EXISTS', 'other')).toBe(':0\r\n');
      clock.advance(4000);
      await send('SELECT', '3');
      expect(await send('HGETALL', 'other')).toBe('*2\r\n$4\r\nkept\r\n$1\r\n3\r\n');
      // Changing the copy leaves the source alone (a deep copy).
      await send('SELECT', '0');
      await send('HSET', 'copy', 'new', 'x');
      await send('SELECT', '2');
      expect(await send('HEXISTS', 'h', 'new')).toBe(':0\r\n');
    } finally {
      c.close();
      await server.close();
    }
  });

  test('key TTLs fire in the database a key was swapped to', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const server = createServer({ port: 0, bind: '127.0.0.1', clock });
    const { port } = await server.listen();
    const c = await RawClient.connect(port);
    const send = async (...args: string[]) => (await c.call(...args)).toString('latin1');
    try {
      await send('SET', 'a', '1', 'PX', '1000');
      await send('SWAPDB', '0', '5');
      clock.advance(2000);
      server.keyspace.dbs[5]!.reclaimExpired(clock.now());
      server.keyspace.dbs[0]!.reclaimExpired(clock.now());
      expect(server.keyspace.dbs[5]!.size).toBe(0);
      expect(server.keyspace.stats.expiredKeys).toBe(1);
      await send('SELECT', '5');
      expect(await send('EXISTS', 'a')).toBe(':0\r\n');
    } finally {
      c.close();
      await server.close();
    }
  });
});

describe('real clients', () => {
  test('ioredis: bitmaps, COPY, OBJECT, DUMP/RESTORE, LCS', async () => {
    const r = new IORedis({ port: lapse.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    await r.connect();
    try {
      await r.flushall();
      expect(await r.setbit('bits', 10, 1)).toBe(0);
      expect(await r.getbit('bits', 10)).toBe(1);
      expect(await r.bitcount('bits')).toBe(1);
      expect(await r.bitpos('bits', 1)).toBe(10);
      expect(await r.call('BITFIELD', 'bf', 'INCRBY', 'u8', '0', '200', 'GET', 'u8', '0')).toEqual([200, 200]);
      expect(await r.bitop('OR', 'dest', 'bits', 'bf')).toBe(2);
      await r.set('s', 'ohmytext');
      await r.set('t', 'mynewtext');
      expect(await r.call('LCS', 's', 't')).toBe('mytext');
      expect(await r.copy('s', 'u')).toBe(1);
      expect(await r.object('ENCODING', 'u')).toBe('embstr');
      const dumped = await r.dumpBuffer('s');
      expect(await r.restore('v', 0, dumped)).toBe('OK');
      expect(await r.get('v')).toBe('ohmytext');
      expect(await r.move('v', 1)).toBe(1);
      expect(await r.swapdb(0, 1)).toBe('OK');
      expect(await r.get('v')).toBe('ohmytext');
      const keys: string[] = [];
      for await (const batch of r.scanStream({ type: 'string', count: 2 })) keys.push(...(batch as string[]));
      expect(keys).toEqual(['v']);
    } finally {
      r.disconnect();
    }
  });

  test('node-redis: bitmaps, COPY, OBJECT, DUMP/RESTORE, SCAN TYPE', async () => {
    const c = createClient({ socket: { port: lapse.port, host: '127.0.0.1', reconnectStrategy: false } });
    await c.connect();
    try {
      await c.flushAll();
      expect(await c.setBit('bits', 3, 1)).toBe(0);
      expect(await c.bitCount('bits')).toBe(1);
      expect(await c.bitPos('bits', 1)).toBe(3);
      expect(await c.bitField('bf', [{ operation: 'SET', encoding: 'i8', offset: 0, value: -5 }, { operation: 'GET', encoding: 'i8', offset: 0 }])).toEqual([0, -5]);
      expect(await c.bitFieldRo('bf', [{ encoding: 'u4', offset: 0 }])).toEqual([15]);
      await c.hSet('h', { a: '1', b: '2' });
      expect(await c.copy('h', 'h2')).toBe(1);
      expect(await c.objectEncoding('h2')).toBe('listpack');
      expect(await c.objectRefCount('h2')).toBe(1);
      const dumped = await c.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }).dump('h');
      expect(await c.restore('h3', 0, dumped)).toBe('OK');
      expect(await c.hGetAll('h3')).toEqual({ a: '1', b: '2' });
      const hashes: string[] = [];
      // node-redis 5 yields each SCAN call's batch of keys.
      for await (const batch of c.scanIterator({ TYPE: 'hash', COUNT: 1 })) hashes.push(...batch);
      expect(hashes.sort()).toEqual(['h', 'h2', 'h3']);
    } finally {
      await c.quit();
    }
  });
});

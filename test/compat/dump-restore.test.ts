import { describe, expect, test } from 'vitest';
import { pairSuite } from './harness.js';
import { decodeReply } from '../helpers/resp.js';
import type { RawClient } from '../helpers/raw-client.js';
import { crc64 } from '../../src/persistence/crc64.js';

/**
 * DUMP and RESTORE against Redis 7.0: payload bytes compared exactly where Redis's are
 * deterministic (strings, listpack hashes), and each server RESTOREs the other's DUMP
 * for every encoding (int, LZF, plain strings; listpack and hashtable hashes).
 */

const p = pairSuite({ redis: ['--notify-keyspace-events', 'Eg'] });

/** The bulk reply of a command on one server, as bytes. */
async function bulk(client: RawClient, ...args: string[]): Promise<Buffer> {
  const reply = decodeReply(await client.call(...args))!.reply;
  if (reply.type !== 'bulk') throw new Error(`expected a bulk reply, got ${JSON.stringify(reply)}`);
  return reply.value;
}

/** A payload with its footer's version set and its CRC recomputed. */
function withVersion(payload: Buffer, version: number): Buffer {
  const out = Buffer.from(payload);
  out.writeUInt16LE(version, out.length - 10);
  out.writeBigUInt64LE(crc64(out.subarray(0, out.length - 8)), out.length - 8);
  return out;
}

/**
 * Strings whose DUMP bytes match Redis's, LZF-compressed ones included (lzf.ts makes
 * liblzf's choices; test/compat/lzf.test.ts compares hundreds of shapes).
 */
const STRINGS: [string, string][] = [
  ['int8', '12'],
  ['negative int16', '-1000'],
  ['int32', '100000'],
  ['beyond int32: a string', '12345678901'],
  ['not canonical', '007'],
  ['short', 'hello'],
  ['empty', ''],
  ['binary', 'a\0b\r\n\xff'],
  ['incompressible 200 bytes', Array.from({ length: 200 }, (_, i) => String.fromCharCode((i * 7919) % 256)).join('')],
  ['LZF-compressed', 'abcabcabc'.repeat(30)],
];

describe('DUMP', () => {
  test('string payloads are Redis\'s bytes', async () => {
    for (const [what, value] of STRINGS) {
      await p.exact('SET', 'k', value);                              // exact
      await p.exact('DUMP', 'k');                                    // exact: see `what`
      expect(what).toBeTruthy();
    }
    await p.exact('INCR', 'n');                                      // exact
    await p.exact('DUMP', 'n');                                      // exact: INCR's int
    await p.exact('DUMP', 'missing');                                // exact: null
    await p.exact('CONFIG', 'SET', 'rdbcompression', 'no');          // exact
    await p.exact('SET', 'k', 'abcabcabc'.repeat(30));               // exact
    await p.exact('DUMP', 'k');                                      // exact: not compressed
    await p.exact('CONFIG', 'SET', 'rdbcompression', 'yes');         // exact
    await p.exact('DUMP');                                           // exact: arity
  });

  test('a listpack hash payload is Redis\'s bytes', async () => {
    await p.exact('HSET', 'h', 'a', '1', 'bb', 'x'.repeat(30), 'c', '-70000'); // exact
    await p.exact('DUMP', 'h');                                      // exact
  });

  test('an intset payload is Redis\'s bytes', async () => {
    await p.exact('SADD', 's16', '1', '-2', '300');                  // exact: 16-bit members
    await p.exact('DUMP', 's16');                                    // exact
    // A 24-byte blob liblzf gives up on (its bounds checks within len - 4): stored raw.
    await p.exact('SADD', 's64', '1', '9223372036854775807');        // exact: 64-bit members
    await p.exact('DUMP', 's64');                                    // exact
  });
});

describe('RESTORE', () => {
  test('each server restores the other\'s DUMP, every encoding', async () => {
    const setups: [string, string[][]][] = [
      ...STRINGS.map(([what, v]): [string, string[][]] => [what, [['SET', 'src', v]]]),
      ['LZF-compressed string', [['SET', 'src', 'abcabcabc'.repeat(30)]]],
      ['LZF-compressed hash', [['HSET', 'src', 'f', 'abcd'.repeat(15), 'g', 'abcd'.repeat(15)]]],
      ['listpack hash', [['HSET', 'src', 'f', 'v', 'n', '5']]],
      ['hashtable hash', [['HSET', 'src', 'f', 'v', 'long', 'y'.repeat(100), 'n', '123456789012']]],
      ['big hashtable hash', [['HSET', 'src', ...Array.from({ length: 1200 }, (_, i) => [`field:${i}`, `value:${i * 31}`]).flat()]]],
      ['intset set', [['SADD', 'src', '5', '-3', '70000', '9223372036854775807', '-9223372036854775808']]],
      ['hashtable set', [['SADD', 'src', 'a', 'b', '3', 'x'.repeat(80)]]],
      ['big hashtable set', [['SADD', 'src', ...Array.from({ length: 1500 }, (_, i) => `member:${i}`)]]],
    ];
    for (const [what, commands] of setups) {
      await p.exact('FLUSHALL');                                     // exact
      await p.run(commands);                                         // exact, each
      const fromRedis = await bulk(p.r, 'DUMP', 'src');
      const fromLapse = await bulk(p.l, 'DUMP', 'src');
      // Crossed: Redis restores lapse's payload, lapse restores Redis's.
      expect((await p.r.call('RESTORE', 'dst', '0', fromLapse)).toString(), `redis restores lapse's ${what}`).toBe('+OK\r\n');
      expect((await p.l.call('RESTORE', 'dst', '0', fromRedis)).toString(), `lapse restores redis's ${what}`).toBe('+OK\r\n');
      await p.exact('TYPE', 'dst');                                  // exact
      if (what.includes('hash') && !what.endsWith('set')) {
        await p.sorted('HGETALL', 'dst');                            // sorted: field order is the encoding's
        await p.exact('HLEN', 'dst');                                // exact
      } else if (what.endsWith('set')) {
        await p.sorted('SMEMBERS', 'dst');                           // sorted: a hashtable's order is its own
        await p.exact('SCARD', 'dst');                               // exact
      } else {
        await p.exact('GET', 'dst');                                 // exact
      }
      await p.exact('OBJECT', 'ENCODING', 'dst');                    // exact: what loading decides
    }
  });

  test('TTL, ABSTTL, REPLACE, IDLETIME, FREQ, BUSYKEY', async () => {
    await p.exact('SET', 'src', 'value');                            // exact
    const payload = await p.exact('DUMP', 'src');                    // exact
    const body = decodeReply(payload)!.reply;
    if (body.type !== 'bulk') throw new Error('DUMP did not answer a bulk string');
    const dumped = body.value;
    await p.exact('RESTORE', 'src', '0', dumped);                    // exact: BUSYKEY
    await p.exact('RESTORE', 'a', '100000', dumped);                 // exact: relative TTL
    await p.ttl(1, 'TTL', 'a');                                      // ttl: within 1 s
    await p.exact('RESTORE', 'b', String(Date.now() + 500_000), dumped, 'ABSTTL'); // exact
    await p.ttl(2, 'TTL', 'b');                                      // ttl: within 2 s
    await p.exact('RESTORE', 'c', '1', dumped, 'ABSTTL');            // exact: already expired: OK, nothing
    await p.exact('EXISTS', 'c');                                    // exact: 0
    await p.exact('RESTORE', 'a', '1', dumped, 'ABSTTL', 'REPLACE'); // exact: expired with REPLACE: deleted
    await p.exact('EXISTS', 'a');                                    // exact: 0
    await p.exact('SET', 'h', 'x');                                  // exact
    await p.exact('RESTORE', 'h', '0', dumped, 'REPLACE');           // exact
    await p.exact('GET', 'h');                                       // exact
    await p.exact('RESTORE', 'i', '0', dumped, 'IDLETIME', '1000');  // exact
    await p.ttl(1, 'OBJECT', 'IDLETIME', 'i');                       // within 1 s (a second can turn between RESTORE and it, on either server): 1000
    await p.exact('RESTORE', 'i', '0', dumped, 'REPLACE', 'FREQ', '100'); // exact: FREQ ignored without LFU
    await p.exact('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu'); // exact
    await p.exact('RESTORE', 'f', '0', dumped, 'FREQ', '100');       // exact
    await p.exact('OBJECT', 'FREQ', 'f');                            // exact: 100
    await p.exact('CONFIG', 'SET', 'maxmemory-policy', 'noeviction'); // exact
    await p.exact('RESTORE', 'x', '0', dumped, 'idletime', '5', 'freq', '5'); // exact: exclusive: syntax error
    await p.exact('RESTORE', 'x', '0', dumped, 'FREQ', '256');       // exact
    await p.exact('RESTORE', 'x', '0', dumped, 'FREQ', '-1');        // exact
    await p.exact('RESTORE', 'x', '0', dumped, 'IDLETIME', '-1');    // exact
    await p.exact('RESTORE', 'x', '0', dumped, 'IDLETIME', 'y');     // exact
    await p.exact('RESTORE', 'x', '0', dumped, 'IDLETIME');          // exact: syntax error
    await p.exact('RESTORE', 'x', '0', dumped, 'NOW');               // exact
    await p.exact('RESTORE', 'x', '-1', dumped);                     // exact: negative TTL
    await p.exact('RESTORE', 'x', 'z', dumped);                      // exact
    await p.exact('RESTORE', 'src', '-1', 'garbage');                // exact: BUSYKEY before the TTL
    await p.exact('RESTORE', 'x', '0');                              // exact: arity
    await p.exact('EXISTS', 'x');                                    // exact: 0
  });

  test('bad payloads: version, checksum, body', async () => {
    await p.exact('SET', 'src', 'value');                            // exact
    const dumped = await bulk(p.r, 'DUMP', 'src');
    const flipped = Buffer.from(dumped);
    flipped[2] ^= 0x20;
    await p.exact('RESTORE', 'x', '0', flipped);                     // exact: checksum wrong
    await p.exact('RESTORE', 'x', '0', withVersion(dumped, 13));     // exact: version too new
    await p.exact('RESTORE', 'x', '0', withVersion(dumped, 9));      // exact: an older version is fine
    await p.exact('RESTORE', 'x', '0', 'short');                     // exact: shorter than the footer
    await p.exact('RESTORE', 'y', '0', '');                          // exact
    const unknownType = withVersion(Buffer.concat([Buffer.from([200]), dumped.subarray(1)]), 10);
    await p.exact('RESTORE', 'y', '0', unknownType);                 // exact: Bad data format
    const truncatedLength = withVersion(Buffer.concat([Buffer.from([0, 0x3f]), dumped.subarray(dumped.length - 10)]), 10);
    await p.exact('RESTORE', 'y', '0', truncatedLength);             // exact: a string longer than the payload
    await p.exact('EXISTS', 'y');                                    // exact: 0
  });

  test('payloads repeating a hash field, a set member or a zset member: refused, small and large', async () => {
    // Hand-built bodies (RDB 6-bit and 14-bit lengths, plain strings) with version 10 and
    // their CRC: a hashtable hash (type 4), a set (2), a sorted set with binary scores (5).
    const length = (n: number) => (n < 64 ? Buffer.from([n]) : Buffer.from([0x40 | (n >> 8), n & 0xff]));
    const str = (t: string) => Buffer.concat([length(t.length), Buffer.from(t, 'latin1')]);
    const score = (v: number) => {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(v);
      return b;
    };
    const payload = (type: number, items: string[]) => {
      const parts = [Buffer.from([type]), length(type === 4 ? items.length / 2 : items.length)];
      for (const item of items) parts.push(str(item), ...(type === 5 ? [score(1.5)] : []));
      return withVersion(Buffer.concat([...parts, Buffer.alloc(10)]), 10);
    };
    const names = (n: number) => Array.from({ length: n }, (_, i) => `m:${i}`);
    const repeated = (n: number) => [...names(n).slice(0, n - 1), 'm:0'];
    const pairs = (l: string[]) => l.flatMap((f) => [f, `v-${f}`]);
    // Sets and sorted sets: 3 members (compared pairwise by lapse) and 40 (through its table).
    for (const n of [3, 40]) {
      for (const type of [2, 5]) {
        await p.exact('RESTORE', `ok:${type}:${n}`, '0', payload(type, names(n)));      // exact: OK
        await p.exact('RESTORE', `dup:${type}:${n}`, '0', payload(type, repeated(n))); // exact: Bad data format
      }
      await p.exact('SCARD', `ok:2:${n}`);                               // exact
      await p.exact('ZCARD', `ok:5:${n}`);                               // exact
    }
    // A hash past hash-max-listpack-entries (600 fields): Redis adds each to a dict and refuses the repeat.
    await p.exact('RESTORE', 'ok:4:600', '0', payload(4, pairs(names(600))));      // exact: OK
    await p.exact('RESTORE', 'dup:4:600', '0', payload(4, pairs(repeated(600)))); // exact: Bad data format
    await p.exact('HLEN', 'ok:4:600');                                 // exact: 600
    // A smaller one Redis checks only under sanitize-dump-payload yes (with its default, no,
    // it keeps a listpack holding the field twice); lapse always checks, as with yes.
    await p.r.call('CONFIG', 'SET', 'sanitize-dump-payload', 'yes');
    try {
      for (const n of [3, 40]) {
        await p.exact('RESTORE', `ok:4:${n}`, '0', payload(4, pairs(names(n))));      // exact: OK
        await p.exact('RESTORE', `dup:4:${n}`, '0', payload(4, pairs(repeated(n)))); // exact: Bad data format
      }
    } finally {
      await p.r.call('CONFIG', 'SET', 'sanitize-dump-payload', 'no');
    }
    await p.exact('EXISTS', 'dup:2:3', 'dup:5:3', 'dup:2:40', 'dup:5:40', 'dup:4:3', 'dup:4:40', 'dup:4:600'); // exact: 0
  });

  test('events: restore, del', async () => {
    await p.exact('CONFIG', 'SET', 'notify-keyspace-events', 'Eg');  // exact
    await p.exact('SET', 'src', 'v');                                // exact
    const dumped = await bulk(p.r, 'DUMP', 'src');
    const sub = await p.connect();
    for (const c of sub) await c.call('PSUBSCRIBE', '__keyevent@0__:*');
    await p.exact('RESTORE', 'a', '0', dumped);                      // exact
    await p.exact('RESTORE', 'a', '1', dumped, 'ABSTTL', 'REPLACE'); // exact: del
    await p.exact('PUBLISH', '__keyevent@0__:end', 'x');             // exact
    for (let i = 0; i < 3; i++) {
      const [r, l] = [await sub[0].readReplyBytes(), await sub[1].readReplyBytes()];
      expect(l.toString('latin1')).toBe(r.toString('latin1'));
    }
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createServer, type LapseServer } from '../../src/index.js';
import { ManualClock } from '../../src/keyspace/clock.js';
import { HashValue } from '../../src/keyspace/hash.js';
import { RawClient } from '../helpers/raw-client.js';
import { decodeReply, encodeCommand, type Reply } from '../helpers/resp.js';

/**
 * Hash field expiration, as Redis 7.4 defines it. Debian's Redis 7.0 has none of it, so
 * these tests are lapse's own, written from the documentation:
 *   https://redis.io/docs/latest/commands/hexpire/  (and /hpexpire/, /hexpireat/, /hpexpireat/)
 *   https://redis.io/docs/latest/commands/httl/     (and /hpttl/, /hexpiretime/, /hpexpiretime/)
 *   https://redis.io/docs/latest/commands/hpersist/
 *   https://redis.io/docs/latest/develop/data-types/hashes/#field-expiration
 * and Redis 7.4's t_hash.c for the exact error texts and reply codes. Time is a
 * ManualClock: nothing sleeps, expiry happens exactly when the clock says.
 */

const START = 1_700_000_000_000;
let clock: ManualClock;
let server: LapseServer;
let c: RawClient;
let events: string[];

/** A reply as plain JS: integers as numbers, bulk strings as strings, null, arrays. */
type Js = number | string | null | Js[];
function js(r: Reply): Js {
  switch (r.type) {
    case 'integer':
      return Number(r.value);
    case 'bulk':
      return r.value.toString('latin1');
    case 'simple':
      return r.value;
    case 'error':
      return `ERR:${r.value}`;
    case 'null':
    case 'nullbulk':
    case 'nullarray':
      return null;
    case 'array':
      return r.value.map(js);
    case 'map':
      return r.value.flatMap(([k, v]) => [js(k), js(v)]);
    default:
      throw new Error(`unexpected reply ${JSON.stringify(r)}`);
  }
}

async function call(...args: string[]): Promise<Js> {
  return callArgv(args);
}

/** call() for argument lists too long to spread. */
async function callArgv(args: string[]): Promise<Js> {
  c.write(encodeCommand(args));
  return js(decodeReply(await c.readReplyBytes())!.reply);
}

/** The hash at key in db 0, read in-process without any command (no lazy purge). */
function peekHash(key: string): HashValue | undefined {
  const db = server.keyspace.dbs[0]!;
  const entry = db.peek(key);
  if (entry === undefined) return undefined;
  const value = db.valueOf(entry);
  return value instanceof HashValue ? value : undefined;
}

function takeEvents(): string[] {
  const out = events;
  events = [];
  return out;
}

beforeAll(async () => {
  clock = new ManualClock(START);
  server = createServer({ port: 0, bind: '127.0.0.1', clock });
  const { port } = await server.listen();
  c = await RawClient.connect(port);
  server.keyspace.listener.event = (cls, event, key, db) => {
    if ('ghx'.includes(cls)) events.push(`${db.index} ${event} ${key}`);
  };
  // This recorder is a consumer the server does not know of: expiring keys must be named for it.
  server.keyspace.listener.expiredKeyWanted = () => true;
});

afterAll(async () => {
  c.close();
  await server.close();
});

beforeEach(async () => {
  await call('FLUSHALL');
  events = [];
});

describe('HEXPIRE family: set, reschedule, cancel', () => {
  test('relative and absolute times in seconds and milliseconds', async () => {
    await call('HSET', 'h', 'a', '1', 'b', '2', 'c', '3', 'd', '4');
    const now = clock.now();
    expect(await call('HEXPIRE', 'h', '100', 'FIELDS', '2', 'a', 'zz')).toEqual([1, -2]);
    expect(await call('HPEXPIRE', 'h', '1500', 'FIELDS', '1', 'b')).toEqual([1]);
    expect(await call('HEXPIREAT', 'h', String(Math.floor(now / 1000) + 200), 'FIELDS', '1', 'c')).toEqual([1]);
    expect(await call('HPEXPIREAT', 'h', String(now + 3333), 'FIELDS', '1', 'd')).toEqual([1]);
    expect(await call('HTTL', 'h', 'FIELDS', '5', 'a', 'b', 'c', 'd', 'zz')).toEqual([100, 2, 200, 4, -2]);
    expect(await call('HPTTL', 'h', 'FIELDS', '4', 'a', 'b', 'c', 'd')).toEqual([100_000, 1500, (Math.floor(now / 1000) + 200) * 1000 - now, 3333]);
    expect(await call('HPEXPIRETIME', 'h', 'FIELDS', '2', 'a', 'd')).toEqual([now + 100_000, now + 3333]);
    // Seconds are rounded up, as Redis 7.4 does: (ms + 999) / 1000.
    expect(await call('HEXPIRETIME', 'h', 'FIELDS', '2', 'a', 'd')).toEqual([Math.ceil((now + 100_000) / 1000), Math.ceil((now + 3333) / 1000)]);
    expect(events).toEqual(['0 hset h', '0 hexpire h', '0 hexpire h', '0 hexpire h', '0 hexpire h']);
    clock.advance(1000);
    expect(await call('HTTL', 'h', 'FIELDS', '2', 'a', 'b')).toEqual([99, 1]);
    expect(await call('HPTTL', 'h', 'FIELDS', '1', 'b')).toEqual([500]);
    clock.advance(1);
    expect(await call('HTTL', 'h', 'FIELDS', '1', 'b')).toEqual([1]); // 499 ms rounds up
  });

  test('a missing key answers -2 for every field', async () => {
    expect(await call('HEXPIRE', 'nokey', '10', 'FIELDS', '3', 'a', 'b', 'a')).toEqual([-2, -2, -2]);
    expect(await call('HTTL', 'nokey', 'FIELDS', '2', 'a', 'b')).toEqual([-2, -2]);
    expect(await call('HPEXPIRETIME', 'nokey', 'FIELDS', '1', 'a')).toEqual([-2]);
    expect(await call('HPERSIST', 'nokey', 'FIELDS', '1', 'a')).toEqual([-2]);
    expect(await call('EXISTS', 'nokey')).toBe(0);
    expect(events).toEqual([]);
  });

  test('rescheduling moves the deadline both ways; HPERSIST cancels it', async () => {
    await call('HSET', 'h', 'a', '1', 'b', '2');
    expect(await call('HPEXPIRE', 'h', '1000', 'FIELDS', '2', 'a', 'b')).toEqual([1, 1]);
    expect(await call('HPEXPIRE', 'h', '5000', 'FIELDS', '1', 'a')).toEqual([1]);
    expect(await call('HPEXPIRE', 'h', '10', 'FIELDS', '1', 'b')).toEqual([1]);
    expect(await call('HPERSIST', 'h', 'FIELDS', '3', 'a', 'b', 'zz')).toEqual([1, 1, -2]);
    expect(await call('HPERSIST', 'h', 'FIELDS', '1', 'a')).toEqual([-1]);
    expect(await call('HTTL', 'h', 'FIELDS', '2', 'a', 'b')).toEqual([-1, -1]);
    expect(takeEvents()).toEqual(['0 hset h', '0 hexpire h', '0 hexpire h', '0 hexpire h', '0 hpersist h']);
    clock.advance(10_000);
    expect(await call('HGETALL', 'h')).toEqual(['a', '1', 'b', '2']);
    expect(events).toEqual([]);
    expect(peekHash('h')!.ttls).toBeNull();
  });

  test('the same field twice in one command', async () => {
    await call('HSET', 'h', 'a', '1');
    expect(await call('HEXPIRE', 'h', '10', 'NX', 'FIELDS', '2', 'a', 'a')).toEqual([1, 0]);
    expect(await call('HEXPIRE', 'h', '0', 'FIELDS', '3', 'a', 'a', 'b')).toEqual([2, -2, -2]);
    expect(await call('EXISTS', 'h')).toBe(0);
  });
});

describe('conditions: NX XX GT LT per field', () => {
  beforeEach(async () => {
    await call('HSET', 'h', 'ttl', '1', 'none', '2');
    await call('HEXPIRE', 'h', '100', 'FIELDS', '1', 'ttl');
  });

  test('NX: only fields without a TTL', async () => {
    expect(await call('HEXPIRE', 'h', '50', 'NX', 'FIELDS', '3', 'ttl', 'none', 'missing')).toEqual([0, 1, -2]);
    expect(await call('HTTL', 'h', 'FIELDS', '2', 'ttl', 'none')).toEqual([100, 50]);
  });

  test('XX: only fields with a TTL', async () => {
    expect(await call('HEXPIRE', 'h', '50', 'xx', 'FIELDS', '3', 'ttl', 'none', 'missing')).toEqual([1, 0, -2]);
    expect(await call('HTTL', 'h', 'FIELDS', '2', 'ttl', 'none')).toEqual([50, -1]);
  });

  test('GT: a later time; no TTL counts as infinite, so never', async () => {
    expect(await call('HEXPIRE', 'h', '50', 'GT', 'FIELDS', '2', 'ttl', 'none')).toEqual([0, 0]);
    expect(await call('HEXPIRE', 'h', '100', 'GT', 'FIELDS', '1', 'ttl')).toEqual([0]); // equal is not greater
    expect(await call('HEXPIRE', 'h', '150', 'Gt', 'FIELDS', '1', 'ttl')).toEqual([1]);
    expect(await call('HTTL', 'h', 'FIELDS', '2', 'ttl', 'none')).toEqual([150, -1]);
  });

  test('LT: an earlier time; no TTL counts as infinite, so always', async () => {
    expect(await call('HEXPIRE', 'h', '150', 'LT', 'FIELDS', '1', 'ttl')).toEqual([0]);
    expect(await call('HEXPIRE', 'h', '100', 'LT', 'FIELDS', '1', 'ttl')).toEqual([0]); // equal is not less
    expect(await call('HEXPIRE', 'h', '50', 'lt', 'FIELDS', '2', 'ttl', 'none')).toEqual([1, 1]);
    expect(await call('HTTL', 'h', 'FIELDS', '2', 'ttl', 'none')).toEqual([50, 50]);
  });

  test('a condition that fails keeps the field even for a past time; one that holds deletes it', async () => {
    expect(await call('HEXPIRE', 'h', '0', 'NX', 'FIELDS', '2', 'ttl', 'none')).toEqual([0, 2]);
    expect(await call('HGETALL', 'h')).toEqual(['ttl', '1']);
    expect(await call('HPEXPIREAT', 'h', '1', 'GT', 'FIELDS', '1', 'ttl')).toEqual([0]);
    expect(await call('HPEXPIREAT', 'h', '1', 'LT', 'FIELDS', '1', 'ttl')).toEqual([2]);
    expect(await call('EXISTS', 'h')).toBe(0);
  });
});

describe('times that are not in the future delete the field (code 2)', () => {
  test('zero, the past, and exactly now', async () => {
    await call('HSET', 'h', 'a', '1', 'b', '2', 'c', '3', 'd', '4', 'e', '5');
    takeEvents();
    expect(await call('HEXPIRE', 'h', '0', 'FIELDS', '1', 'a')).toEqual([2]);
    expect(await call('HPEXPIRE', 'h', '0', 'FIELDS', '1', 'b')).toEqual([2]);
    expect(await call('HEXPIREAT', 'h', '1', 'FIELDS', '1', 'c')).toEqual([2]);
    expect(await call('HPEXPIREAT', 'h', String(clock.now()), 'FIELDS', '1', 'd')).toEqual([2]); // now: gone
    expect(await call('HPEXPIREAT', 'h', String(clock.now() + 1), 'FIELDS', '1', 'e')).toEqual([1]);
    expect(takeEvents()).toEqual(['0 hdel h', '0 hdel h', '0 hdel h', '0 hdel h', '0 hexpire h']);
    // Set and deleted in one command: one hdel event, as Redis 7.4.
    await call('HSET', 'h', 'x', '1', 'y', '2');
    takeEvents();
    expect(await call('HEXPIRE', 'h', '0', 'FIELDS', '2', 'x', 'zz')).toEqual([2, -2]);
    expect(await call('HGETALL', 'h')).toEqual(['e', '5', 'y', '2']);
    expect(await call('HEXPIRE', 'h', '0', 'FIELDS', '2', 'e', 'y')).toEqual([2, 2]);
    expect(await call('EXISTS', 'h')).toBe(0);
    expect(takeEvents()).toEqual(['0 hdel h', '0 hdel h', '0 del h']);
  });
});

describe('errors, as Redis 7.4 words them', () => {
  test('HEXPIRE family', async () => {
    await call('HSET', 'h', 'a', '1');
    await call('SET', 's', 'v');
    const e = (text: string) => `ERR:${text}`;
    expect(await call('HEXPIRE', 'h', '10', 'FIELDS', '1')).toBe(e("ERR wrong number of arguments for 'hexpire' command"));
    expect(await call('HEXPIRE', 'h', 'x', 'FIELDS', '1', 'a')).toBe(e('ERR value is not an integer or out of range'));
    expect(await call('HEXPIRE', 'h', '1.5', 'FIELDS', '1', 'a')).toBe(e('ERR value is not an integer or out of range'));
    expect(await call('HEXPIRE', 'h', '-1', 'FIELDS', '1', 'a')).toBe(e('ERR invalid expire time, must be >= 0'));
    expect(await call('HPEXPIREAT', 'h', '-1', 'FIELDS', '1', 'a')).toBe(e('ERR invalid expire time, must be >= 0'));
    // The expire time must not be beyond 2^48 - 1 ms.
    expect(await call('HPEXPIREAT', 'h', String(2 ** 48 - 1), 'FIELDS', '1', 'a')).toEqual([1]);
    expect(await call('HPEXPIRETIME', 'h', 'FIELDS', '1', 'a')).toEqual([2 ** 48 - 1]);
    expect(await call('HPEXPIREAT', 'h', String(2 ** 48), 'FIELDS', '1', 'a')).toBe(e("ERR invalid expire time in 'hpexpireat' command"));
    expect(await call('HEXPIREAT', 'h', String(Math.floor((2 ** 48 - 1) / 1000) + 1), 'FIELDS', '1', 'a')).toBe(e("ERR invalid expire time in 'hexpireat' command"));
    expect(await call('HEXPIREAT', 'h', String(Math.floor((2 ** 48 - 1) / 1000)), 'FIELDS', '1', 'a')).toEqual([1]);
    expect(await call('HPEXPIRE', 'h', String(2 ** 48 - 1 - clock.now() + 1), 'FIELDS', '1', 'a')).toBe(e("ERR invalid expire time in 'hpexpire' command"));
    expect(await call('HEXPIRE', 'h', '9223372036854775807', 'FIELDS', '1', 'a')).toBe(e("ERR invalid expire time in 'hexpire' command"));
    expect(await call('HEXPIRE', 'h', '9223372036854775808', 'FIELDS', '1', 'a')).toBe(e('ERR value is not an integer or out of range'));
    expect(await call('HEXPIRE', 'h', '10', 'FIELD', '1', 'a')).toBe(e('ERR Mandatory argument FIELDS is missing or not at the right position'));
    expect(await call('HEXPIRE', 'h', '10', 'NX', 'XX', 'FIELDS', '1', 'a')).toBe(e('ERR Mandatory argument FIELDS is missing or not at the right position'));
    expect(await call('HEXPIRE', 'h', '10', 'FIELDS', '1', 'a', 'NX')).toBe(e('ERR The `numfields` parameter must match the number of arguments'));
    expect(await call('HEXPIRE', 'h', '10', 'FIELDS', '0', 'a')).toBe(e('ERR Parameter `numFields` should be greater than 0'));
    expect(await call('HEXPIRE', 'h', '10', 'FIELDS', '-1', 'a')).toBe(e('ERR Parameter `numFields` should be greater than 0'));
    expect(await call('HEXPIRE', 'h', '10', 'FIELDS', 'x', 'a')).toBe(e('ERR Parameter `numFields` should be greater than 0'));
    expect(await call('HEXPIRE', 'h', '10', 'FIELDS', '2', 'a')).toBe(e('ERR The `numfields` parameter must match the number of arguments'));
    expect(await call('HEXPIRE', 'h', '10', 'FIELDS', '1', 'a', 'b')).toBe(e('ERR The `numfields` parameter must match the number of arguments'));
    expect(await call('HEXPIRE', 'h', '10', 'FIELDS', '9223372036854775808', 'a')).toBe(e('ERR Parameter `numFields` should be greater than 0'));
    expect(await call('HEXPIRE', 'h', '10', 'fields\0x', '1', 'a')).toEqual([1]); // compared as a C string
    // WRONGTYPE comes first, then the time, then the FIELDS block; a missing key is checked fully.
    expect(await call('HEXPIRE', 's', 'x', 'FIELDS', '0', 'a')).toBe(e('WRONGTYPE Operation against a key holding the wrong kind of value'));
    expect(await call('HEXPIRE', 'h', '-1', 'FIELDS', '0', 'a')).toBe(e('ERR invalid expire time, must be >= 0'));
    expect(await call('HEXPIRE', 'nokey', '10', 'FIELDS', '0', 'a')).toBe(e('ERR Parameter `numFields` should be greater than 0'));
  });

  test('HTTL family and HPERSIST', async () => {
    await call('HSET', 'h', 'a', '1');
    await call('SET', 's', 'v');
    const e = (text: string) => `ERR:${text}`;
    for (const cmd of ['HTTL', 'HPTTL', 'HEXPIRETIME', 'HPEXPIRETIME', 'HPERSIST']) {
      const lower = cmd.toLowerCase();
      expect(await call(cmd, 'h', 'FIELDS', '1')).toBe(e(`ERR wrong number of arguments for '${lower}' command`));
      expect(await call(cmd, 'h', 'FIELD', '1', 'a')).toBe(e('ERR Mandatory argument FIELDS is missing or not at the right position'));
      expect(await call(cmd, 'h', 'FIELDS', '0', 'a')).toBe(e('ERR Number of fields must be a positive integer'));
      expect(await call(cmd, 'h', 'FIELDS', 'abc', 'a')).toBe(e('ERR Number of fields must be a positive integer'));
      expect(await call(cmd, 'h', 'FIELDS', '2', 'a')).toBe(e('ERR The `numfields` parameter must match the number of arguments'));
      expect(await call(cmd, 'h', 'FIELDS', '1', 'a', 'b')).toBe(e('ERR The `numfields` parameter must match the number of arguments'));
      expect(await call(cmd, 's', 'FIELDS', '0', 'a')).toBe(e('WRONGTYPE Operation against a key holding the wrong kind of value'));
      expect(await call(cmd, 'nokey', 'FIELDS', '0', 'a')).toBe(e('ERR Number of fields must be a positive integer'));
    }
    expect(await call('httl', 'h', 'fields', '1', 'a')).toEqual([-1]);
  });
});

describe('expired fields are never visible', () => {
  test('lazily hidden before the wheel fires, by every read', async () => {
    await call('HSET', 'h', 'gone', 'x', 'stay', 'y');
    await call('HPEXPIRE', 'h', '1000', 'FIELDS', '1', 'gone');
    takeEvents();
    // Jump past the deadline without running any timer: only the read itself can see it.
    clock.set(clock.now() + 1001);
    expect(peekHash('h')!.has('gone')).toBe(true);
    const reads: [string[], Js][] = [
      [['HGET', 'h', 'gone'], null],
      [['HEXISTS', 'h', 'gone'], 0],
      [['HSTRLEN', 'h', 'gone'], 0],
      [['HMGET', 'h', 'gone', 'stay'], [null, 'y']],
      [['HLEN', 'h'], 1],
      [['HGETALL', 'h'], ['stay', 'y']],
      [['HKEYS', 'h'], ['stay']],
      [['HVALS', 'h'], ['y']],
      [['HSCAN', 'h', '0'], ['0', ['stay', 'y']]],
      [['HRANDFIELD', 'h', '5'], ['stay']],
      [['HRANDFIELD', 'h', '-3'], ['stay', 'stay', 'stay']],
      [['HTTL', 'h', 'FIELDS', '2', 'gone', 'stay'], [-2, -1]],
      [['HPERSIST', 'h', 'FIELDS', '1', 'gone'], [-2]],
      [['HEXPIRE', 'h', '10', 'FIELDS', '1', 'gone'], [-2]],
    ];
    expect(await call(...reads[0]![0])).toEqual(reads[0]![1]);
    expect(takeEvents()).toEqual(['0 hexpired h']);
    expect(peekHash('h')!.has('gone')).toBe(false);
    for (const [args, expected] of reads.slice(1)) {
      await call('HSET', 'h', 'gone', 'x');
      await call('HPEXPIRE', 'h', '1000', 'FIELDS', '1', 'gone');
      clock.set(clock.now() + 1001);
      expect(await call(...args), args.join(' ')).toEqual(expected);
    }
    // HSET of an expired field creates it anew (1), HINCRBY starts from 0.
    await call('HSET', 'h', 'gone', 'x');
    await call('HPEXPIRE', 'h', '1000', 'FIELDS', '1', 'gone');
    clock.set(clock.now() + 1001);
    expect(await call('HSET', 'h', 'gone', 'new')).toBe(1);
    expect(await call('HTTL', 'h', 'FIELDS', '1', 'gone')).toEqual([-1]);
    await call('HSET', 'h', 'n', '5');
    await call('HPEXPIRE', 'h', '1000', 'FIELDS', '1', 'n');
    clock.set(clock.now() + 1001);
    expect(await call('HINCRBY', 'h', 'n', '1')).toBe(1);
    await call('HPEXPIRE', 'h', '1000', 'FIELDS', '1', 'n');
    clock.set(clock.now() + 1001);
    expect(await call('HSETNX', 'h', 'n', 'fresh')).toBe(1);
  });

  test('a hash whose fields all expired reads as a missing key, and is gone', async () => {
    await call('HSET', 'h', 'a', '1', 'b', '2');
    await call('HPEXPIRE', 'h', '500', 'FIELDS', '2', 'a', 'b');
    takeEvents();
    clock.set(clock.now() + 501);
    expect(await call('HGETALL', 'h')).toEqual([]);
    expect(takeEvents()).toEqual(['0 hexpired h', '0 hexpired h', '0 del h']);
    expect(server.keyspace.dbs[0]!.peek('h')).toBeUndefined();
    expect(await call('EXISTS', 'h')).toBe(0);
    await call('HSET', 'h', 'a', '1');
    await call('HPEXPIRE', 'h', '500', 'FIELDS', '1', 'a');
    clock.set(clock.now() + 501);
    expect(await call('HLEN', 'h')).toBe(0);
    await call('HSET', 'h', 'a', '1');
    await call('HPEXPIRE', 'h', '500', 'FIELDS', '1', 'a');
    clock.set(clock.now() + 501);
    expect(await call('HSET', 'h', 'b', '2')).toBe(1); // a new key
    expect(await call('HGETALL', 'h')).toEqual(['b', '2']);
  });
});

describe('active reclaim by the wheel', () => {
  test('exactly at the deadline, with events in order', async () => {
    await call('HSET', 'h', 'a', '1', 'b', '2', 'c', '3');
    await call('HPEXPIRE', 'h', '1000', 'FIELDS', '1', 'a');
    await call('HPEXPIRE', 'h', '2000', 'FIELDS', '2', 'b', 'c');
    takeEvents();
    // Redis's field expire time is now + 1000; the field is valid through that ms.
    clock.advance(1000);
    expect(peekHash('h')!.has('a')).toBe(true);
    clock.advance(1);
    expect(peekHash('h')!.has('a')).toBe(false);
    expect(takeEvents()).toEqual(['0 hexpired h']);
    clock.advance(999);
    expect(peekHash('h')!.size).toBe(2);
    clock.advance(1);
    expect(peekHash('h')).toBeUndefined();
    expect(takeEvents()).toEqual(['0 hexpired h', '0 hexpired h', '0 del h']);
    expect(clock.pendingTimers()).toBe(0);
  });

  test('the last field expiring deletes the key; key and field TTLs coexist', async () => {
    await call('HSET', 'h', 'a', '1', 'b', '2');
    await call('EXPIRE', 'h', '10');
    await call('HEXPIRE', 'h', '5', 'FIELDS', '1', 'a');
    await call('HEXPIRE', 'h', '20', 'FIELDS', '1', 'b');
    takeEvents();
    clock.advance(5001);
    expect(takeEvents()).toEqual(['0 hexpired h']);
    expect(await call('HGETALL', 'h')).toEqual(['b', '2']);
    expect(await call('TTL', 'h')).toBe(5);
    clock.advance(5000);
    expect(takeEvents()).toEqual(['0 expired h']);
    expect(server.keyspace.dbs[0]!.peek('h')).toBeUndefined();
    clock.advance(20_000);
    expect(takeEvents()).toEqual([]); // b's timer went with the key
    expect(clock.pendingTimers()).toBe(0);
  });

  test('a key that expired before its field timer fired expires as a whole', async () => {
    await call('HSET', 'h', 'a', '1');
    await call('PEXPIRE', 'h', '1000');
    await call('HPEXPIRE', 'h', '1000', 'FIELDS', '1', 'a');
    takeEvents();
    clock.advance(1001);
    expect(takeEvents()).toEqual(['0 expired h']);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('what clears, keeps and moves a field TTL', () => {
  test('HSET and HMSET clear it; HSETNX, HINCRBY, HINCRBYFLOAT keep it; HDEL drops it', async () => {
    await call('HSET', 'h', 'a', '1', 'b', '2', 'c', '3', 'd', '4', 'e', '5');
    await call('HEXPIRE', 'h', '100', 'FIELDS', '5', 'a', 'b', 'c', 'd', 'e');
    expect(await call('HSET', 'h', 'a', 'new')).toBe(0);
    expect(await call('HMSET', 'h', 'b', 'new')).toBe('OK');
    expect(await call('HSETNX', 'h', 'c', 'ignored')).toBe(0);
    expect(await call('HINCRBY', 'h', 'd', '10')).toBe(14);
    expect(await call('HINCRBYFLOAT', 'h', 'e', '0.5')).toBe('5.5');
    expect(await call('HTTL', 'h', 'FIELDS', '5', 'a', 'b', 'c', 'd', 'e')).toEqual([-1, -1, 100, 100, 100]);
    expect(await call('HDEL', 'h', 'c')).toBe(1);
    expect(await call('HSET', 'h', 'c', 'back')).toBe(1);
    expect(await call('HTTL', 'h', 'FIELDS', '1', 'c')).toEqual([-1]);
    clock.advance(100_001);
    expect(await call('HGETALL', 'h')).toEqual(['a', 'new', 'b', 'new', 'c', 'back']);
  });

  test('RENAME keeps field TTLs; the events name the new key', async () => {
    await call('HSET', 'h', 'a', '1', 'b', '2');
    await call('HPEXPIRE', 'h', '3000', 'FIELDS', '1', 'a');
    await call('SET', 'target', 'x');
    expect(await call('RENAME', 'h', 'target')).toBe('OK');
    expect(await call('HPTTL', 'target', 'FIELDS', '2', 'a', 'b')).toEqual([3000, -1]);
    takeEvents();
    clock.advance(3001);
    expect(takeEvents()).toEqual(['0 hexpired target']);
    expect(await call('HGETALL', 'target')).toEqual(['b', '2']);
    await call('HPEXPIRE', 'target', '100', 'FIELDS', '1', 'b');
    expect(await call('RENAME', 'target', 'h2')).toBe('OK');
    clock.advance(101);
    expect(takeEvents()).toEqual(['0 hexpire target', '0 rename_from target', '0 rename_to h2', '0 hexpired h2', '0 del h2']);
    expect(await call('EXISTS', 'h2', 'target')).toBe(0);
  });

  test('DEL, SET over the hash and FLUSHDB drop them', async () => {
    for (const drop of [['DEL', 'h'], ['SET', 'h', 'string'], ['FLUSHDB'], ['FLUSHALL'], ['UNLINK', 'h']]) {
      await call('HSET', 'h', 'a', '1');
      await call('HEXPIRE', 'h', '10', 'FIELDS', '1', 'a');
      expect(clock.pendingTimers()).toBeGreaterThan(0);
      await call(...drop);
      expect(clock.pendingTimers(), drop.join(' ')).toBe(0);
      await call('DEL', 'h');
      await call('HSET', 'h', 'a', '1');
      expect(await call('HTTL', 'h', 'FIELDS', '1', 'a')).toEqual([-1]);
      takeEvents();
      clock.advance(10_001);
      expect(takeEvents()).toEqual([]);
      expect(await call('HGET', 'h', 'a')).toBe('1');
      await call('DEL', 'h');
    }
  });

  test('SELECT: fields expire in their own database', async () => {
    await call('SELECT', '3');
    await call('HSET', 'h', 'a', '1', 'b', '2');
    await call('HPEXPIRE', 'h', '10', 'FIELDS', '1', 'a');
    await call('SELECT', '0');
    await call('HSET', 'h', 'a', '1');
    takeEvents();
    clock.advance(11);
    expect(takeEvents()).toEqual(['3 hexpired h']);
    expect(await call('HGET', 'h', 'a')).toBe('1');
    await call('FLUSHALL');
  });
});

describe('many fields with TTLs', () => {
  test('100k fields of one hash expire on time; the key goes with the last', async () => {
    const n = 100_000;
    const hset = ['HSET', 'big'];
    const fields: string[] = [];
    for (let i = 0; i < n; i++) {
      hset.push(`field:${i}`, `value:${i}`);
      fields.push(`field:${i}`);
    }
    expect(await callArgv(hset)).toBe(n);
    // Half expire at +1 s, the other half spread over the next second.
    const half = ['HPEXPIRE', 'big', '1000', 'FIELDS', String(n / 2)].concat(fields.slice(0, n / 2));
    expect(((await callArgv(half)) as Js[]).every((x) => x === 1)).toBe(true);
    for (let i = n / 2; i < n; i += 5000) {
      const batch = fields.slice(i, i + 5000);
      await callArgv(['HPEXPIRE', 'big', String(1001 + (i - n / 2) / 50), 'FIELDS', String(batch.length)].concat(batch));
    }
    expect(await call('HLEN', 'big')).toBe(n);
    takeEvents();
    clock.advance(1001);
    expect(peekHash('big')!.size).toBe(n / 2);
    expect(await call('HLEN', 'big')).toBe(n / 2);
    expect(await call('HEXISTS', 'big', 'field:0')).toBe(0);
    expect(await call('HEXISTS', 'big', `field:${n - 1}`)).toBe(1);
    clock.advance(1000);
    expect(server.keyspace.dbs[0]!.peek('big')).toBeUndefined();
    const all = takeEvents();
    expect(all.length).toBe(n + 1);
    expect(all[all.length - 1]).toBe('0 del big');
    expect(clock.pendingTimers()).toBe(0);
  });

  test('10k hashes of 10 fields, each field its own deadline', async () => {
    for (let h = 0; h < 10_000; h++) {
      const argv = ['HSET', `s:${h}`];
      for (let f = 0; f < 10; f++) argv.push(`f${f}`, 'v');
      c.send(...argv);
      const exp = ['HPEXPIRE', `s:${h}`, String(1 + ((h * 7) % 997)), 'FIELDS', '10'];
      for (let f = 0; f < 10; f++) exp.push(`f${f}`);
      c.send(...exp);
    }
    for (let i = 0; i < 20_000; i++) await c.readReply();
    expect(server.keyspace.dbs[0]!.size).toBe(10_000);
    for (let t = 0; t < 1000; t += 100) {
      clock.advance(100);
      // Never visible past its deadline: every hash left still has its 10 fields.
      const db = server.keyspace.dbs[0]!;
      for (const entry of db.entries()) expect((db.valueOf(entry) as HashValue).size).toBe(10);
    }
    expect(server.keyspace.dbs[0]!.size).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });
});

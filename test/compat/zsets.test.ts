import { beforeEach, describe, expect, test } from 'vitest';
import { pairSuite, show } from './harness.js';
import { EventRecorder } from '../helpers/keyspace-events.js';
import type { RawClient } from '../helpers/raw-client.js';
import { decodeReply, type Reply } from '../helpers/resp.js';

/**
 * Sorted-set commands against Redis 7.0, one command per line. A sorted set's order is
 * defined (score, then member bytes), so nearly every reply is compared exactly, in
 * both encodings (listpack while small, skiplist past zset-max-listpack-*), RESP2 and
 * RESP3. Replies Redis leaves unordered (a ZSCAN of a large set) are compared as sets,
 * random ones (ZRANDMEMBER) by their properties on both servers.
 */

// Redis publishes keyevent notifications for the classes compared in the event test.
const p = pairSuite({ redis: ['--notify-keyspace-events', 'Egzxn'] });

/**
 * OBJECT ENCODING on Redis against ZSetValue.encoding() on lapse (OBJECT comes with
 * another part of this work): the same name.
 */
async function sameEncoding(key: string): Promise<string> {
  const redis = text(decode(await p.r.call('OBJECT', 'ENCODING', key)));
  const db0 = p.lapse.keyspace.dbs[0]!;
  const found = db0.peek(key);
  const value = found === undefined ? undefined : db0.valueOf(found);
  const lapse = value !== undefined && typeof value !== 'string' && 'encoding' in value ? (value as { encoding(): string }).encoding() : String(value);
  expect(lapse, `encoding of ${key}`).toBe(redis);
  return redis;
}

function decode(b: Buffer): Reply {
  return decodeReply(b)!.reply;
}

function text(r: Reply): string {
  if (r.type === 'bulk' || r.type === 'simple' || r.type === 'verbatim') return typeof r.value === 'string' ? r.value : r.value.toString('latin1');
  if (r.type === 'integer') return r.value.toString();
  if (r.type === 'double') return String(r.value);
  throw new Error(`not a string reply: ${JSON.stringify(r)}`);
}

function flat(r: Reply): string[] {
  if (r.type === 'array' || r.type === 'set') return r.value.flatMap((x) => (x.type === 'array' ? flat(x) : [text(x)]));
  throw new Error(`not an array reply: ${JSON.stringify(r)}`);
}

/** ZADD key 0 m0 1 m1 ... as one argv (score i * step, member prefix + i). */
function zaddMany(key: string, n: number, prefix = 'm', step = 1): string[] {
  const argv = ['ZADD', key];
  for (let i = 0; i < n; i++) argv.push(String(i * step), `${prefix}${i}`);
  return argv;
}

async function both(...commands: string[][]): Promise<void> {
  await p.run(commands);
}

/** HELLO on both connections (its reply holds the client id, which differs): compared as an ok. */
async function hello(proto: string): Promise<void> {
  const [a, b] = await p.both(['HELLO', proto]);
  expect(b[0]).toBe(a[0]);
}

// Each test starts from Redis's default encoding limits (CONFIG SET outlives FLUSHALL).
beforeEach(async () => {
  await both(['CONFIG', 'SET', 'zset-max-listpack-entries', '128', 'zset-max-listpack-value', '64']);
});

describe('ZADD and its options', () => {
  test('adds, updates, counts; replies of every option', async () => {
    await p.exact('ZADD', 'z', '1', 'a');                              // exact: 1 added
    await p.exact('ZADD', 'z', '2', 'b', '3', 'c', '1', 'a');          // exact: 2 added, a unchanged
    await p.exact('ZADD', 'z', '5', 'a');                              // exact: update counts 0
    await p.exact('ZADD', 'z', 'CH', '6', 'a', '7', 'd');              // exact: CH counts 2
    await p.exact('ZADD', 'z', 'NX', '100', 'a', '8', 'e');            // exact: NX adds only e
    await p.exact('ZADD', 'z', 'XX', '100', 'a', '9', 'f');            // exact: XX updates a only
    await p.exact('ZADD', 'z', 'XX', 'CH', '101', 'a', '9', 'f');      // exact
    await p.exact('ZADD', 'z', 'GT', 'CH', '50', 'a', '20', 'b');      // exact: GT: only b grows
    await p.exact('ZADD', 'z', 'LT', 'CH', '1', 'a', '30', 'b');       // exact: LT: only a shrinks
    await p.exact('ZADD', 'z', 'GT', '1', 'new');                      // exact: GT adds new members
    await p.exact('ZADD', 'z', 'XX', 'GT', 'CH', '1000', 'a', '5', 'zz'); // exact: XX with GT
    await p.exact('ZRANGE', 'z', '0', '-1', 'WITHSCORES');             // exact
    await p.exact('ZADD', 'z', 'INCR', '5', 'a');                      // exact: the new score
    await p.exact('ZADD', 'z', 'INCR', 'NX', '5', 'a');                // exact: null (NX, exists)
    await p.exact('ZADD', 'z', 'INCR', 'XX', '5', 'nope');             // exact: null (XX, missing)
    await p.exact('ZADD', 'z', 'INCR', 'GT', '-1', 'a');               // exact: null (GT refuses)
    await p.exact('ZADD', 'z', 'INCR', 'LT', '-1', 'a');               // exact: the lowered score
    await p.exact('ZADD', 'z', 'incr', 'ch', 'xx', '0', 'a');          // exact: options any case, 0 increment
    await p.exact('ZADD', 'nokey', 'XX', '1', 'a');                    // exact: XX on a missing key: 0, no key
    await p.exact('EXISTS', 'nokey');                                  // exact
    await p.exact('ZADD', 'nokey', 'XX', 'INCR', '1', 'a');            // exact: null
    await p.exact('ZCARD', 'z');                                       // exact
  });

  test('errors, and nothing changes on an error', async () => {
    await both(['ZADD', 'z', '1', 'a']);
    await p.exact('ZADD', 'z', '1');                                   // exact: syntax error
    await p.exact('ZADD', 'z', 'NX', 'XX', '1', 'a');                  // exact: XX and NX
    await p.exact('ZADD', 'z', 'NX', 'GT', '1', 'a');                  // exact: GT, LT, NX
    await p.exact('ZADD', 'z', 'GT', 'LT', '1', 'a');                  // exact
    await p.exact('ZADD', 'z', 'NX', 'LT', '1', 'a');                  // exact
    await p.exact('ZADD', 'z', 'INCR', '1', 'a', '2', 'b');            // exact: INCR takes one pair
    await p.exact('ZADD', 'z', '1', 'b', 'x', 'c');                    // exact: not a float, b not added
    await p.exact('ZADD', 'z', 'nan', 'b');                            // exact
    await p.exact('ZADD', 'z', ' 1', 'b');                             // exact: leading space
    await p.exact('ZADD', 'z', '1 ', 'b');                             // exact: trailing space
    await p.exact('ZADD', 'z', '', 'b');                               // exact: empty
    await p.exact('ZADD', 'z', '1e400', 'b');                          // exact: overflow
    await p.exact('ZADD', 'z', '1e-400', 'b');                         // exact: underflow
    await p.exact('ZADD', 'z', '1\x002', 'b');                         // exact: NUL inside
    await p.exact('ZADD', 'z', 'a', 'b', 'c');                         // exact: odd pairs
    await p.exact('ZRANGE', 'z', '0', '-1', 'WITHSCORES');             // exact: only a
    await both(['SET', 's', 'x']);
    await p.exact('ZADD', 's', '1', 'a');                              // exact: WRONGTYPE
    await p.exact('ZADD', 's', '1', 'a', 'x', 'b');                    // exact: the float error comes first
    await p.exact('ZINCRBY', 's', '1', 'a');                           // exact: WRONGTYPE
  });

  test('score syntax and printing: inf, hex, exponents, 17 digits, -0', async () => {
    const scores = ['inf', '-inf', '+inf', 'Infinity', '-INFINITY', '0x10', '0x1p-2', '1e3', '1E-3', '.5', '5.', '+7', '-0',
      '0.1', '3.14159265358979323846', '1e16', '123456789012345678', '4.9e-324', '1.7976931348623157e308', '-2.5e-10', '00012', '1e17',
      '-007', '+0', '-123456789012345', '000000000000009'];
    for (let i = 0; i < scores.length; i++) await p.exact('ZADD', 'z', scores[i]!, `m${i}`); // exact
    await p.exact('ZRANGE', 'z', '0', '-1', 'WITHSCORES');             // exact: order and %.17g
    await p.exact('ZSCORE', 'z', 'm12');                               // exact: -0
    for (const bad of ['-', '+', '1-', '--1', '+-1']) await p.exact('ZADD', 'z', bad, 'bad'); // exact: not a valid float
    await p.exact('ZSCAN', 'z', '0');                                  // exact: listpack's stored texts
    await hello('3');
    await p.exact('ZRANGE', 'z', '0', '-1', 'WITHSCORES');             // exact: RESP3 doubles in pairs
    await p.exact('ZSCORE', 'z', 'm0');                                // exact: ,inf
    await p.exact('ZSCAN', 'z', '0');                                  // exact: bulk scores in RESP3 too
  });

  test('integral scores around 2^53 (printed without the general path below it), compact and large', async () => {
    const scores = ['9007199254740991', '-9007199254740991', '9007199254740992', '-9007199254740993', '999999999999999', '-12', '2147483648', '1e15'];
    const long = 'x'.repeat(65); // a member past zset-max-listpack-value: the large form
    for (let i = 0; i < scores.length; i++) {
      await p.exact('ZADD', 'z', scores[i]!, `m${i}`);                 // exact
      await p.exact('ZADD', 'big', scores[i]!, `${long}${i}`);         // exact
    }
    for (const key of ['z', 'big']) {
      await p.exact('ZRANGE', key, '0', '-1', 'WITHSCORES');           // exact: %.17g of each
      await p.sorted('ZSCAN', key, '0', 'COUNT', '100');               // sorted: a large set's scan order is its own
    }
    await p.exact('ZINCRBY', 'z', '1', 'm0');                          // exact: 2^53, past the shortcut
    await p.exact('ZINCRBY', 'big', '-2', `${long}1`);                 // exact
    await p.exact('ZMSCORE', 'big', `${long}0`, `${long}1`, 'none');   // exact
  });

  test('ZINCRBY: new members, inf, NaN', async () => {
    await p.exact('ZINCRBY', 'z', '1.5', 'a');                         // exact: creates key
    await p.exact('ZINCRBY', 'z', '0.1', 'a');                         // exact: 1.6000000000000001
    await p.exact('ZINCRBY', 'z', 'inf', 'a');                         // exact: inf
    await p.exact('ZINCRBY', 'z', '-inf', 'a');                        // exact: NaN error
    await p.exact('ZSCORE', 'z', 'a');                                 // exact: still inf
    await p.exact('ZADD', 'z', 'INCR', '-inf', 'a');                   // exact: NaN error
    await p.exact('ZINCRBY', 'z', 'x', 'a');                           // exact: not a float
    await p.exact('ZINCRBY', 'z', '1');                                // exact: arity
    await hello('3');
    await p.exact('ZINCRBY', 'z', '2', 'b');                           // exact: ,2
    await p.exact('ZADD', 'z', 'INCR', 'NX', '2', 'b');                // exact: _ (RESP3 null)
  });
});

describe('reads', () => {
  test('ZSCORE ZMSCORE ZCARD ZRANK ZREVRANK', async () => {
    await both(['ZADD', 'z', '1', 'a', '2', 'b', '2', 'c', '3', 'd']);
    await p.exact('ZSCORE', 'z', 'b');                                 // exact
    await p.exact('ZSCORE', 'z', 'x');                                 // exact: null
    await p.exact('ZSCORE', 'nokey', 'x');                             // exact: null
    await p.exact('ZMSCORE', 'z', 'a', 'x', 'd');                      // exact
    await p.exact('ZMSCORE', 'nokey', 'a', 'b');                       // exact: nulls
    await p.exact('ZCARD', 'z');                                       // exact
    await p.exact('ZCARD', 'nokey');                                   // exact
    for (const m of ['a', 'b', 'c', 'd', 'x']) {
      await p.exact('ZRANK', 'z', m);                                  // exact
      await p.exact('ZREVRANK', 'z', m);                               // exact
    }
    await p.exact('ZRANK', 'nokey', 'a');                              // exact
    await both(['SET', 's', 'x']);
    for (const c of [['ZSCORE', 's', 'a'], ['ZMSCORE', 's', 'a'], ['ZCARD', 's'], ['ZRANK', 's', 'a'], ['ZCOUNT', 's', '0', '1'],
      ['ZRANGE', 's', '0', '1'], ['ZLEXCOUNT', 's', '-', '+'], ['ZRANDMEMBER', 's'], ['ZSCAN', 's', '0'], ['ZREM', 's', 'a'], ['ZPOPMIN', 's']]) {
      await p.exact(...c);                                             // exact: WRONGTYPE
    }
    await hello('3');
    await p.exact('ZMSCORE', 'z', 'a', 'x');                           // exact: RESP3 double and null
  });

  test('ZCOUNT and score range syntax', async () => {
    await both(['ZADD', 'z', '-inf', 'ninf', '1', 'a', '2', 'b', '2', 'c', '3', 'd', 'inf', 'pinf']);
    const ranges = [['-inf', '+inf'], ['1', '2'], ['(1', '2'], ['1', '(2'], ['(1', '(2'], ['2', '2'], ['(2', '2'], ['3', '1'],
      ['-inf', '-inf'], ['inf', 'inf'], ['(inf', 'inf'], ['', ''], ['(', '3'], ['  1', '2'], ['0x1', '0x2'], ['1e0', '2e0'],
      ['1\x00junk', '3'], ['1e400', 'inf'], ['-1e400', '0']];
    for (const [min, max] of ranges) await p.exact('ZCOUNT', 'z', min!, max!); // exact
    for (const [min, max] of [['x', '1'], ['1', 'x'], ['((1', '2'], ['nan', '1'], ['1 ', '2'], [' ', '1'], ['(nan', '1']]) {
      await p.exact('ZCOUNT', 'z', min!, max!);                        // exact: min or max is not a float
    }
    await p.exact('ZCOUNT', 'nokey', '0', '1');                        // exact
    await p.exact('ZCOUNT', 'nokey', 'x', '1');                        // exact: the range is checked first
  });

  test('ZLEXCOUNT and lex range syntax', async () => {
    await both(['ZADD', 'z', '0', 'a', '0', 'b', '0', 'c', '0', 'd', '0', 'e', '0', '', '0', 'b\x00']);
    const ranges = [['-', '+'], ['[b', '[d'], ['(b', '(d'], ['[b', '(d'], ['(a', '+'], ['-', '(c'], ['+', '-'], ['-', '-'], ['+', '+'],
      ['[', '[a'], ['(', '+'], ['[d', '[b'], ['[b', '[b'], ['(b', '[b'], ['[b\x00', '+'], ['-\x00x', '+']];
    for (const [min, max] of ranges) await p.exact('ZLEXCOUNT', 'z', min!, max!); // exact
    for (const [min, max] of [['a', '+'], ['-', 'z'], ['', '+'], ['--', '+'], ['+x', '-']]) {
      await p.exact('ZLEXCOUNT', 'z', min!, max!);                     // exact: not valid string range item
    }
  });
});

describe('ranges', () => {
  async function rangesOf(key: string): Promise<void> {
    for (const [a, b] of [['0', '-1'], ['1', '3'], ['-3', '-1'], ['5', '2'], ['-100', '100'], ['100', '200'], ['0', '0'], ['-1', '-1'],
      ['9223372036854775807', '-9223372036854775808']]) {
      await p.exact('ZRANGE', key, a!, b!);                            // exact
      await p.exact('ZRANGE', key, a!, b!, 'REV', 'WITHSCORES');       // exact
      await p.exact('ZREVRANGE', key, a!, b!, 'withscores');           // exact
    }
    for (const [a, b] of [['-inf', '+inf'], ['(1', '5'], ['2', '(4'], ['3', '3'], ['5', '1'], ['(3', '3']]) {
      await p.exact('ZRANGEBYSCORE', key, a!, b!);                     // exact
      await p.exact('ZRANGEBYSCORE', key, a!, b!, 'WITHSCORES');       // exact
      await p.exact('ZREVRANGEBYSCORE', key, b!, a!, 'WITHSCORES');    // exact
      await p.exact('ZRANGE', key, a!, b!, 'BYSCORE', 'LIMIT', '1', '2'); // exact
      await p.exact('ZRANGE', key, b!, a!, 'BYSCORE', 'REV', 'LIMIT', '1', '2', 'WITHSCORES'); // exact
      for (const [o, n] of [['0', '1'], ['1', '-1'], ['2', '0'], ['-1', '5'], ['100', '1'], ['0', '100']]) {
        await p.exact('ZRANGEBYSCORE', key, a!, b!, 'LIMIT', o!, n!);  // exact
        await p.exact('ZREVRANGEBYSCORE', key, b!, a!, 'LIMIT', o!, n!); // exact
      }
    }
  }

  test('by rank, score and LIMIT, compact and large', async () => {
    await both(['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '3', 'cc', '4', 'd', '5', 'e', '6', 'f']);
    await rangesOf('z');
    await both(['CONFIG', 'SET', 'zset-max-listpack-entries', '4']);
    await both(['ZADD', 'big', '1', 'a', '2', 'b', '3', 'c', '3', 'cc', '4', 'd', '5', 'e', '6', 'f']);
    expect(await sameEncoding('big')).toBe('skiplist');
    await rangesOf('big');
    await hello('3');
    await p.exact('ZRANGE', 'big', '0', '2', 'WITHSCORES');            // exact: RESP3 pairs
    await p.exact('ZRANGEBYSCORE', 'z', '1', '3', 'WITHSCORES');       // exact
  });

  test('by lex, compact and large', async () => {
    const members = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'aa', 'ab', ''];
    await both(['ZADD', 'z', ...members.flatMap((m) => ['0', m])]);
    await both(['CONFIG', 'SET', 'zset-max-listpack-entries', '3']);
    await both(['ZADD', 'big', ...members.flatMap((m) => ['0', m])]);
    for (const key of ['z', 'big']) {
      for (const [a, b] of [['-', '+'], ['[b', '[e'], ['(b', '(e'], ['[aa', '(c'], ['+', '-'], ['(a', '[a']]) {
        await p.exact('ZRANGEBYLEX', key, a!, b!);                     // exact
        await p.exact('ZREVRANGEBYLEX', key, b!, a!);                  // exact
        await p.exact('ZRANGE', key, a!, b!, 'BYLEX', 'LIMIT', '1', '3'); // exact
        await p.exact('ZRANGE', key, b!, a!, 'BYLEX', 'REV', 'LIMIT', '0', '2'); // exact
        await p.exact('ZRANGEBYLEX', key, a!, b!, 'LIMIT', '2', '-1'); // exact
      }
    }
  });

  test('option errors', async () => {
    await both(['ZADD', 'z', '1', 'a']);
    for (const c of [
      ['ZRANGE', 'z', '0', '1', 'LIMIT', '0', '1'], ['ZRANGE', 'z', '-', '+', 'BYLEX', 'WITHSCORES'], ['ZRANGE', 'z', '0', '1', 'BYSCORE', 'BYLEX'],
      ['ZRANGE', 'z', '0', '1', 'FOO'], ['ZRANGE', 'z', 'a', '1'], ['ZRANGE', 'z', '0', '1', 'BYSCORE', 'LIMIT', '0'], ['ZRANGE', 'z', '0', '1', 'LIMIT', 'x', '1'],
      ['ZRANGEBYSCORE', 'z', '0', '1', 'REV'], ['ZRANGEBYSCORE', 'z', '0', '1', 'BYSCORE'], ['ZRANGEBYSCORE', 'z', 'x', '1'], ['ZREVRANGE', 'z', '0', '1', 'LIMIT', '0', '1'],
      ['ZRANGEBYLEX', 'z', 'a', 'b'], ['ZRANGEBYLEX', 'z', '-', '+', 'WITHSCORES'], ['ZRANGE', 'nokey', 'x', '1'], ['ZRANGE', 'z', '0', '1', 'LIMIT', '1', '9223372036854775808'],
      ['ZRANGESTORE', 'd', 'z', '0', '1', 'WITHSCORES'], ['ZRANGE', 'z', '0'], ['ZRANGE', 'z', '0', '-1', 'REV', 'REV', 'WITHSCORES', 'WITHSCORES'],
    ]) {
      await p.exact(...c);                                             // exact
    }
  });

  test('ZRANGESTORE', async () => {
    await both(['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd']);
    await p.exact('ZRANGESTORE', 'dst', 'z', '1', '2');                // exact
    await p.exact('ZRANGE', 'dst', '0', '-1', 'WITHSCORES');           // exact
    await p.exact('ZRANGESTORE', 'dst', 'z', '(1', '+inf', 'BYSCORE', 'REV'); // exact: reversed range syntax: nothing
    await p.exact('ZRANGESTORE', 'dst', 'z', '+inf', '(1', 'BYSCORE', 'REV', 'LIMIT', '0', '2'); // exact
    await p.exact('ZRANGE', 'dst', '0', '-1', 'WITHSCORES');           // exact
    await p.exact('ZRANGESTORE', 'dst', 'z', '[b', '+', 'BYLEX');      // exact
    expect(await sameEncoding('dst')).toBe('listpack');
    await p.exact('ZRANGESTORE', 'dst', 'z', '10', '20');              // exact: empty: dst deleted
    await p.exact('EXISTS', 'dst');                                    // exact
    await both(['SET', 'str', 'x']);
    await p.exact('ZRANGESTORE', 'str', 'z', '0', '0');                // exact: overwrites any type
    await p.exact('TYPE', 'str');                                      // exact
    await p.exact('ZRANGESTORE', 'dst', 'nokey', '0', '-1');           // exact: 0
    await p.exact('ZRANGESTORE', 'dst', 'str', '0', '-1');             // exact: 1 (str is a zset now)
    await both(['SET', 'str2', 'x']);
    await p.exact('ZRANGESTORE', 'dst', 'str2', '0', '-1');            // exact: WRONGTYPE
  });
});

describe('removal and pops', () => {
  test('ZREM and ZREMRANGEBY*', async () => {
    await both(['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e', '0', 'x', '0', 'y']);
    await p.exact('ZREM', 'z', 'a', 'nope', 'a');                      // exact: 1
    await p.exact('ZREM', 'nokey', 'a');                               // exact: 0
    await p.exact('ZREMRANGEBYRANK', 'z', '0', '0');                   // exact
    await p.exact('ZREMRANGEBYRANK', 'z', '5', '1');                   // exact: 0
    await p.exact('ZREMRANGEBYRANK', 'z', 'a', '1');                   // exact: not an integer
    await p.exact('ZREMRANGEBYSCORE', 'z', '(1', '3');                 // exact
    await p.exact('ZREMRANGEBYSCORE', 'z', 'x', '3');                  // exact: error
    await p.exact('ZREMRANGEBYLEX', 'z', '-', '[x');                   // exact: from the start by lex
    await p.exact('ZREMRANGEBYLEX', 'z', 'x', '+');                    // exact: error
    await p.exact('ZRANGE', 'z', '0', '-1', 'WITHSCORES');             // exact
    await p.exact('ZREMRANGEBYRANK', 'z', '0', '-1');                  // exact: empties: key deleted
    await p.exact('EXISTS', 'z');                                      // exact
    await p.exact('ZREMRANGEBYSCORE', 'nokey', '-inf', '+inf');        // exact
  });

  test('ZPOPMIN ZPOPMAX ZMPOP, RESP2 and RESP3', async () => {
    for (const proto of ['2', '3']) {
      await hello(proto);
      await both(['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e']);
      await p.exact('ZPOPMIN', 'z');                                   // exact: flat pair
      await p.exact('ZPOPMAX', 'z', '2');                              // exact: nested in RESP3
      await p.exact('ZPOPMIN', 'z', '0');                              // exact: empty
      await p.exact('ZPOPMIN', 'z', '-1');                             // exact: must be positive
      await p.exact('ZPOPMIN', 'z', 'x');                              // exact
      await p.exact('ZPOPMIN', 'z', '1', '2');                         // exact: syntax error
      await p.exact('ZPOPMIN', 'nokey');                               // exact: empty array
      await p.exact('ZMPOP', '2', 'nokey', 'z', 'MIN');                // exact
      await p.exact('ZMPOP', '1', 'z', 'max', 'COUNT', '10');          // exact: the rest, key deleted
      await p.exact('EXISTS', 'z');                                    // exact
      await p.exact('ZMPOP', '1', 'z', 'MIN');                         // exact: null
      for (const c of [['ZMPOP', '0', 'z', 'MIN'], ['ZMPOP', 'x', 'z', 'MIN'], ['ZMPOP', '2', 'z', 'MIN'], ['ZMPOP', '1', 'z', 'MID'],
        ['ZMPOP', '1', 'z', 'MIN', 'COUNT', '0'], ['ZMPOP', '1', 'z', 'MIN', 'COUNT', '1', 'COUNT', '1'], ['ZMPOP', '1', 'z', 'MIN', 'COUNT']]) {
        await p.exact(...c);                                           // exact: errors
      }
      await both(['SET', 's', 'x']);
      await p.exact('ZMPOP', '2', 'nokey', 's', 'MIN');                // exact: WRONGTYPE
      await both(['DEL', 's']);
    }
  });
});

describe('ZUNION ZINTER ZDIFF and their STORE forms', () => {
  test('weights, aggregates, withscores', async () => {
    await both(['ZADD', 'a', '1', 'x', '2', 'y', '3', 'z'], ['ZADD', 'b', '10', 'y', '20', 'z', '30', 'w'], ['ZADD', 'c', 'inf', 'z', '-inf', 'y']);
    for (const op of ['ZUNION', 'ZINTER']) {
      await p.exact(op, '2', 'a', 'b');                                // exact
      await p.exact(op, '2', 'a', 'b', 'WITHSCORES');                  // exact
      await p.exact(op, '2', 'a', 'b', 'WEIGHTS', '2', '0.5', 'WITHSCORES'); // exact
      await p.exact(op, '2', 'a', 'b', 'AGGREGATE', 'MIN', 'WITHSCORES'); // exact
      await p.exact(op, '2', 'a', 'b', 'aggregate', 'max', 'withscores'); // exact
      await p.exact(op, '3', 'a', 'b', 'c', 'WITHSCORES');             // exact: inf + -inf... and NaN as 0
      await p.exact(op, '2', 'a', 'c', 'WEIGHTS', '0', '0', 'WITHSCORES'); // exact: 0 * inf is 0
      await p.exact(op, '3', 'a', 'nokey', 'b', 'WITHSCORES');         // exact: a missing key is empty
      await p.exact(op, '2', 'a', 'a', 'WITHSCORES');                  // exact: the same key twice
      for (const c of [[op, '0', 'a'], [op, 'x', 'a'], [op, '3', 'a', 'b'], [op, '2', 'a', 'b', 'WEIGHTS', '1'], [op, '2', 'a', 'b', 'WEIGHTS', '1', 'x'],
        [op, '2', 'a', 'b', 'AGGREGATE', 'AVG'], [op, '2', 'a', 'b', 'AGGREGATE'], [op, '2', 'a', 'b', 'LIMIT', '1'], [op, '-1', 'a']]) {
        await p.exact(...c);                                           // exact: errors
      }
    }
    await p.exact('ZDIFF', '2', 'a', 'b', 'WITHSCORES');               // exact
    await p.exact('ZDIFF', '3', 'b', 'a', 'c');                        // exact
    await p.exact('ZDIFF', '1', 'nokey');                              // exact
    await p.exact('ZDIFF', '2', 'a', 'b', 'WEIGHTS', '1', '2');        // exact: syntax error
    await hello('3');
    await p.exact('ZUNION', '2', 'a', 'b', 'WITHSCORES');              // exact: RESP3 pairs
    await p.exact('ZDIFF', '2', 'a', 'b', 'WITHSCORES');               // exact
  });

  test('STORE forms and ZINTERCARD', async () => {
    await both(['ZADD', 'a', '1', 'x', '2', 'y', '3', 'z'], ['ZADD', 'b', '10', 'y', '20', 'z', '30', 'w'], ['SET', 's', 'v']);
    await p.exact('ZUNIONSTORE', 'd', '2', 'a', 'b', 'WEIGHTS', '1', '2'); // exact
    await p.exact('ZRANGE', 'd', '0', '-1', 'WITHSCORES');             // exact
    await p.exact('ZINTERSTORE', 'd', '2', 'a', 'b', 'AGGREGATE', 'MAX'); // exact
    await p.exact('ZRANGE', 'd', '0', '-1', 'WITHSCORES');             // exact
    await p.exact('ZDIFFSTORE', 'd', '2', 'a', 'b');                   // exact
    await p.exact('ZRANGE', 'd', '0', '-1', 'WITHSCORES');             // exact
    await p.exact('ZINTERSTORE', 'd', '2', 'a', 'nokey');              // exact: empty: d deleted
    await p.exact('EXISTS', 'd');                                      // exact
    await p.exact('ZUNIONSTORE', 'd', '2', 'a', 'b', 'WITHSCORES');    // exact: syntax error
    await p.exact('ZUNIONSTORE', 'd', '2', 'a', 's');                  // exact: WRONGTYPE
    await p.exact('ZUNIONSTORE', 's', '1', 'a');                       // exact: overwrites
    await p.exact('TYPE', 's');                                        // exact
    await p.exact('ZUNIONSTORE', 'd', '0', 'a');                       // exact: at least 1 input key
    await p.exact('ZINTERCARD', '2', 'a', 'b');                        // exact
    await p.exact('ZINTERCARD', '2', 'a', 'b', 'LIMIT', '1');          // exact
    await p.exact('ZINTERCARD', '2', 'a', 'b', 'LIMIT', '0');          // exact: no limit
    await p.exact('ZINTERCARD', '2', 'a', 'b', 'LIMIT', '-1');         // exact: can't be negative
    await p.exact('ZINTERCARD', '2', 'a', 'b', 'WITHSCORES');          // exact: syntax error
    await p.exact('ZINTERCARD', '0', 'a');                             // exact
    await p.exact('ZINTERCARD', '1', 'nokey');                         // exact
    await both(['CONFIG', 'SET', 'zset-max-listpack-entries', '2']);
    await p.exact('ZUNIONSTORE', 'd', '2', 'a', 'b');                  // exact
    expect(await sameEncoding('d')).toBe('skiplist');
    await p.exact('ZINTERSTORE', 'd', '2', 'a', 'b');                  // exact
    expect(await sameEncoding('d')).toBe('listpack');
  });
});

describe('plain sets as inputs of ZUNION ZINTER ZDIFF (members score 1)', () => {
  test('every operation, both set encodings, weights and aggregates', async () => {
    await both(['ZADD', 'z', '1', 'x', '2.5', 'y', '3', '7'], ['SADD', 'si', '7', '8', '9'], ['SADD', 'sh', 'x', 'y', 'w']);
    for (const s of ['si', 'sh']) {
      await p.exact('ZUNION', '2', 'z', s, 'WITHSCORES');              // exact
      await p.exact('ZUNION', '2', s, 'z', 'WEIGHTS', '3', '0.5', 'AGGREGATE', 'MAX', 'WITHSCORES'); // exact
      await p.exact('ZINTER', '2', 'z', s, 'WITHSCORES');              // exact
      await p.exact('ZINTER', '2', s, 'z', 'AGGREGATE', 'MIN', 'WITHSCORES'); // exact
      await p.exact('ZDIFF', '2', 'z', s, 'WITHSCORES');               // exact
      await p.exact('ZDIFF', '2', s, 'z', 'WITHSCORES');               // exact
      await p.exact('ZINTERCARD', '2', 'z', s);                        // exact
      await p.exact('ZUNIONSTORE', 'd', '2', 'z', s);                  // exact
      await p.exact('ZRANGE', 'd', '0', '-1', 'WITHSCORES');           // exact
      await p.exact('ZDIFFSTORE', 'd', '1', s);                        // exact
      await p.exact('ZRANGE', 'd', '0', '-1', 'WITHSCORES');           // exact
    }
    await p.exact('ZUNION', '2', 'si', 'sh', 'WITHSCORES');            // exact: sets only
  });
});

describe('encodings and large sets', () => {
  test('thresholds: entries and value length, the ziplist aliases', async () => {
    await p.sorted('CONFIG', 'GET', 'zset-max-*');                     // sorted: Redis lists its config dict's order
    await both(zaddMany('z', 128));
    expect(await sameEncoding('z')).toBe('listpack');
    await both(['ZADD', 'z', '1000', 'one-more']);
    expect(await sameEncoding('z')).toBe('skiplist');
    await both(['ZREM', 'z', 'one-more']);
    expect(await sameEncoding('z')).toBe('skiplist');
    await both(['ZADD', 'long', '1', 'x'.repeat(64)]);
    expect(await sameEncoding('long')).toBe('listpack');
    await both(['ZADD', 'long', '1', 'y'.repeat(65)]);
    expect(await sameEncoding('long')).toBe('skiplist');
    await both(['ZADD', 'first-long', '1', 'y'.repeat(65), '2', 'a']);
    expect(await sameEncoding('first-long')).toBe('skiplist');
    await p.exact('CONFIG', 'SET', 'zset-max-ziplist-entries', '0');   // exact: alias
    await p.exact('CONFIG', 'GET', 'zset-max-listpack-entries');       // exact
    await both(['ZADD', 'zero', '1', 'a']);
    expect(await sameEncoding('zero')).toBe('skiplist');
    await p.exact('CONFIG', 'SET', 'zset-max-listpack-value', '1k');   // exact: a memory value
    await p.exact('CONFIG', 'GET', 'zset-max-ziplist-value');          // exact
    await p.exact('CONFIG', 'SET', 'zset-max-listpack-entries', '-1'); // exact: error
  });

  test('a large set: every read matches Redis', async () => {
    const argv = ['ZADD', 'big'];
    // Scores with repeats so member order decides ties; 2000 members.
    for (let i = 0; i < 2000; i++) argv.push(String((i * 7919) % 500), `member:${(i * 104729) % 100000}`);
    await both(argv);
    expect(await sameEncoding('big')).toBe('skiplist');
    await p.exact('ZCARD', 'big');                                     // exact
    await p.exact('ZRANGE', 'big', '0', '-1', 'WITHSCORES');           // exact: the whole order
    for (const m of ['member:0', 'member:104729', 'member:99999', 'member:5000']) {
      await p.exact('ZRANK', 'big', m);                                // exact
      await p.exact('ZREVRANK', 'big', m);                             // exact
    }
    for (const [a, b] of [['100', '200'], ['(100', '(200'], ['499', '+inf'], ['-inf', '0']]) {
      await p.exact('ZCOUNT', 'big', a!, b!);                          // exact
      await p.exact('ZRANGEBYSCORE', 'big', a!, b!, 'WITHSCORES', 'LIMIT', '3', '20'); // exact
      await p.exact('ZREVRANGEBYSCORE', 'big', b!, a!, 'LIMIT', '7', '11'); // exact
    }
    await p.exact('ZRANGE', 'big', '1500', '1600', 'REV');             // exact
    await p.exact('ZREMRANGEBYSCORE', 'big', '100', '150');            // exact
    await p.exact('ZREMRANGEBYRANK', 'big', '10', '500');              // exact
    await p.exact('ZPOPMAX', 'big', '30');                             // exact
    await p.exact('ZRANGE', 'big', '0', '-1', 'WITHSCORES');           // exact
    // Updates move members.
    const updates = ['ZADD', 'big'];
    for (let i = 0; i < 300; i++) updates.push(String(1000 - i), `member:${(i * 104729 * 3) % 100000}`);
    await p.exact(...updates);                                         // exact
    await p.exact('ZRANGE', 'big', '0', '-1', 'WITHSCORES');           // exact
  });

  test('ZSCAN: a large set as a set, MATCH and COUNT', async () => {
    await both(zaddMany('big', 500, 'k', 0.5));
    for (const options of [[], ['COUNT', '7'], ['MATCH', 'k1*'], ['MATCH', 'k4?', 'COUNT', '3']]) {
      const seen: string[][] = [];
      for (const client of [p.r, p.l]) {
        const got = new Map<string, string>();
        let cursor = '0';
        for (let calls = 0; calls < 10_000; calls++) {
          const reply = decode(await client.call('ZSCAN', 'big', cursor, ...options));
          if (reply.type !== 'array') throw new Error(`ZSCAN replied ${JSON.stringify(reply)}`);
          const items = flat(reply.value[1]!);
          for (let i = 0; i < items.length; i += 2) got.set(items[i]!, items[i + 1]!);
          cursor = text(reply.value[0]!);
          if (cursor === '0') break;
        }
        expect(cursor, 'ZSCAN iteration ends').toBe('0');
        seen.push([...got].map(([m, s]) => `${m}=${s}`).sort());
      }
      expect(seen[1], `set: ZSCAN big ${options.join(' ')}`).toEqual(seen[0]);
    }
    await p.exact('ZSCAN', 'big', 'x');                                // exact: invalid cursor
    await p.exact('ZSCAN', 'big', '0', 'COUNT', '0');                  // exact: syntax error
    await p.exact('ZSCAN', 'big', '0', 'COUNT', 'x');                  // exact
    await p.exact('ZSCAN', 'big', '0', 'FOO');                         // exact
    await p.exact('ZSCAN', 'nokey', '0');                              // exact
    await both(['ZADD', 'small', '1', 'a', '2.5', 'b', '3', 'c']);
    await p.exact('ZSCAN', 'small', '0', 'MATCH', '[ab]');             // exact: a listpack in one call
  });
});

describe('a large sorted set emptied while it changes', () => {
  test('members removed in a scrambled order, scores changed, others added: ranges, ranks and the digest as Redis', async () => {
    // lapse keeps a large set's slots in pages of 2,048 and squeezes removed slots out a
    // few at each write: 10,000 members span five pages, three quarters then go.
    for (let k = 0; k < 10_000; k += 1_000) {
      const add = ['ZADD', 'big'];
      for (let j = k; j < k + 1_000; j++) add.push(String((j * 37) % 1_000), `m${j}`);
      await p.exact(...add);                                          // exact: 1000
    }
    const order = Array.from({ length: 10_000 }, (_, i) => (i * 7_919) % 10_000);
    for (let k = 0; k < 7_500; k += 250) {
      await p.exact('ZREM', 'big', ...order.slice(k, k + 250).map((i) => `m${i}`)); // exact: 250
      const change = ['ZADD', 'big'];
      for (const i of order.slice(7_500 + k / 10, 7_500 + k / 10 + 25)) change.push(String(-i), `m${i}`);
      change.push('2.5', `new${k}`);
      await p.exact(...change);                                       // exact: 1 added
    }
    await p.exact('ZCARD', 'big');                                    // exact: 2530
    await p.exact('ZRANGE', 'big', '0', '-1', 'WITHSCORES');          // exact: the whole order
    await p.exact('ZRANGEBYSCORE', 'big', '-5000', '500', 'LIMIT', '100', '50'); // exact
    for (let k = 7_500; k < 10_000; k += 311) await p.exact('ZRANK', 'big', `m${order[k]}`); // exact
    await p.exact('ZMSCORE', 'big', ...order.slice(7_480, 7_520).map((i) => `m${i}`)); // exact: nulls then scores
    await p.exact('DEBUG', 'DIGEST-VALUE', 'big');                    // exact
  });
});

describe('ZRANDMEMBER', () => {
  /** Both servers' replies to args, decoded, checked with the same property. */
  async function property(args: string[], check: (r: Reply, server: string) => void): Promise<void> {
    const [a, b] = await p.both(args);
    check(decode(a), 'redis');
    check(decode(b), 'lapse');
  }

  test('counts, WITHSCORES, errors, by property on both servers', async () => {
    const members = ['a', 'b', 'c', 'd', 'e'];
    for (const key of ['z', 'big']) {
      if (key === 'big') await both(['CONFIG', 'SET', 'zset-max-listpack-entries', '2']);
      await both(['ZADD', key, '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e']);
      await property(['ZRANDMEMBER', key], (r, s) => expect(members, s).toContain(text(r))); // property: a member
      await property(['ZRANDMEMBER', key, '3'], (r, s) => {           // property: 3 distinct members
        const got = flat(r);
        expect(new Set(got).size, s).toBe(3);
        for (const m of got) expect(members, s).toContain(m);
      });
      await p.exact('ZRANDMEMBER', key, '10', 'WITHSCORES');          // exact: the whole set, greatest first
      await property(['ZRANDMEMBER', key, '-20', 'WITHSCORES'], (r, s) => { // property: 20 pairs, repeats allowed
        const got = flat(r);
        expect(got.length, s).toBe(40);
        for (let i = 0; i < got.length; i += 2) expect(got[i + 1], s).toBe(String(members.indexOf(got[i]!) + 1));
      });
      await p.exact('ZRANDMEMBER', key, '0');                          // exact: empty
    }
    await p.exact('ZRANDMEMBER', 'nokey');                             // exact: null
    await p.exact('ZRANDMEMBER', 'nokey', '5');                        // exact: empty
    await p.exact('ZRANDMEMBER', 'z', 'x');                            // exact: not an integer
    await p.exact('ZRANDMEMBER', 'z', '1', 'FOO');                     // exact: syntax error
    await p.exact('ZRANDMEMBER', 'z', '-9223372036854775808');         // exact: range error
    await p.exact('ZRANDMEMBER', 'z', '9223372036854775807', 'WITHSCORES'); // exact: value is out of range
    await hello('3');
    await property(['ZRANDMEMBER', 'z', '2', 'WITHSCORES'], (r, s) => { // property: RESP3 pairs
      expect(r.type, s).toBe('array');
      if (r.type === 'array') for (const pair of r.value) expect(pair.type, s).toBe('array');
    });
  });
});

describe('keyspace events and WATCH', () => {
  test('the events Redis 7.0 fires, in order', async () => {
    const rec = await EventRecorder.attach(p, 'gzxn');
    const commands = [
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd'], ['ZADD', 'z', '1', 'a'], ['ZINCRBY', 'z', '1', 'a'], ['ZADD', 'z', 'INCR', '1', 'a'],
      ['ZREM', 'z', 'nope'], ['ZREM', 'z', 'a'], ['ZREMRANGEBYRANK', 'z', '0', '0'], ['ZREMRANGEBYSCORE', 'z', '3', '3'], ['ZADD', 'z', '0', 'x', '0', 'y'],
      ['ZREMRANGEBYLEX', 'z', '[x', '[x'], ['ZPOPMIN', 'z'], ['ZADD', 'z', '5', 'p'], ['ZPOPMAX', 'z', '5'], ['ZADD', 'y', '1', 'a'], ['ZMPOP', '1', 'y', 'MIN'],
      ['ZADD', 'a', '1', 'a'], ['ZUNIONSTORE', 'u', '1', 'a'], ['ZINTERSTORE', 'u', '1', 'a'], ['ZDIFFSTORE', 'u', '1', 'a'], ['ZRANGESTORE', 'u', 'a', '0', '-1'],
      ['ZINTERSTORE', 'u', '1', 'nokey'], ['ZRANGESTORE', 'a', 'nokey', '0', '-1'], ['ZADD', 'last', '1', 'm'], ['ZREM', 'last', 'm'],
    ];
    try {
      for (const c of commands) await p.exact(...c);                   // exact
      const [redisEvents, lapseEvents] = await rec.take();
      expect(lapseEvents).toEqual(redisEvents);                        // exact: events and order
      expect(redisEvents).toContain('0 zpopmax z');
    } finally {
      rec.detach();
    }
  });

  test('WATCH sees a sorted-set change', async () => {
    await both(['ZADD', 'z', '1', 'a']);
    const [r2, l2] = await p.connect();
    await both(['WATCH', 'z']);
    await p.exactOn([r2, l2], 'ZINCRBY', 'z', '1', 'a');               // exact
    await both(['MULTI'], ['ZADD', 'z', '5', 'b']);
    await p.exact('EXEC');                                             // exact: null: aborted
    await both(['WATCH', 'z']);
    await p.exactOn([r2, l2], 'ZADD', 'z', '1', 'a');                  // exact: no change: 0
    await both(['MULTI'], ['ZRANGE', 'z', '0', '-1', 'WITHSCORES']);
    await p.exact('EXEC');                                             // exact: runs
  });
});

describe('Spring Session expiry buckets', () => {
  test('ZADD, ZRANGEBYSCORE, ZREM on an expirations index as Spring Session uses them', async () => {
    const base = 1_700_000_000_000;
    const key = 'spring:session:sessions:expirations';
    for (let i = 0; i < 20; i++) await p.exact('ZADD', key, String(base + i * 60_000), `session-${i}`); // exact
    await p.exact('ZRANGEBYSCORE', key, '0', String(base + 5 * 60_000), 'LIMIT', '0', '100'); // exact: the due sessions
    await p.exact('ZADD', key, String(base + 30 * 60_000), 'session-1'); // exact: a touched session moves
    await p.exact('ZRANGEBYSCORE', key, '-inf', String(base + 5 * 60_000)); // exact
    await p.exact('ZREM', key, 'session-0', 'session-2');              // exact
    await p.exact('ZRANGE', key, '0', '-1', 'WITHSCORES');             // exact
    await p.exact('ZCARD', key);                                       // exact
  });
});

describe('replies in RESP3 with show()', () => {
  test('ZPOPMIN without count stays flat in RESP3', async () => {
    await hello('3');
    await both(['ZADD', 'z', '1.5', 'a']);
    const reply = await p.exact('ZPOPMIN', 'z');                       // exact
    expect(show(reply)).toContain(',1.5');
  });
});

export type { RawClient };

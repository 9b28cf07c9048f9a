import { afterAll, describe, expect, test } from 'vitest';
import { pairSuite, show } from './harness.js';
import { EventRecorder } from '../helpers/keyspace-events.js';
import type { RawClient } from '../helpers/raw-client.js';
import { decodeReply, type Reply } from '../helpers/resp.js';

/**
 * Hash commands against Redis 7.0, one command per line. While a hash is compact
 * (Redis's listpack: at most hash-max-listpack-entries fields of at most
 * hash-max-listpack-value bytes) its order is Redis's insertion order and every reply
 * is compared exactly; past that Redis's order is its hash table's, so replies are
 * compared as sets of fields or of field/value pairs.
 */

// Redis publishes keyevent notifications for the classes compared in the event test.
const p = pairSuite({ redis: ['--notify-keyspace-events', 'Eghxn$'] });

async function setup(...commands: (string | Buffer)[][]): Promise<void> {
  await p.run(commands);
}

function decode(b: Buffer): Reply {
  return decodeReply(b)!.reply;
}

function text(r: Reply): string {
  if (r.type === 'bulk' || r.type === 'simple') return typeof r.value === 'string' ? r.value : r.value.toString('latin1');
  throw new Error(`not a string reply: ${JSON.stringify(r)}`);
}

/** The elements of an array reply as strings (nested arrays flattened). */
function flat(r: Reply): string[] {
  if (r.type === 'array' || r.type === 'map') {
    const items = r.type === 'map' ? r.value.flat() : r.value;
    return items.flatMap((x) => (x.type === 'array' ? flat(x) : [text(x)]));
  }
  throw new Error(`not an array reply: ${JSON.stringify(r)}`);
}

/** Field/value pairs of a flat reply, as sorted "field=value" lines. */
function pairLines(items: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < items.length; i += 2) out.push(`${JSON.stringify(items[i])}=${JSON.stringify(items[i + 1])}`);
  return out.sort();
}

/** HGETALL-style replies: the same field/value pairs, in any order (large hashes). */
async function samePairs(...args: string[]): Promise<string[]> {
  const [a, b] = await p.both(args);
  const ra = pairLines(flat(decode(a)));
  expect(pairLines(flat(decode(b))), `pairs: ${args.join(' ')}`).toEqual(ra);
  return ra;
}

/** A field name and value of n bytes. */
function bytes(n: number, ch = 'x'): string {
  return ch.repeat(n);
}

/** HSET key f0 v0 ... f(n-1) v(n-1) as one argv. */
function hsetMany(key: string, n: number, prefix = 'f'): string[] {
  const argv = ['HSET', key];
  for (let i = 0; i < n; i++) argv.push(`${prefix}${i}`, `v${i}`);
  return argv;
}

/**
 * A whole HSCAN iteration on one server: the fields (and values) returned, as a sorted
 * list of lines. On lapse (`strict`) a field returned twice fails: nothing is changed
 * during these iterations, and lapse then returns each field once.
 */
async function fullHscan(client: RawClient, key: string, options: string[], strict: boolean): Promise<string[]> {
  const seen = new Map<string, string>();
  let cursor = '0';
  const novalues = options.some((o) => o.toLowerCase() === 'novalues');
  for (let calls = 0; ; calls++) {
    expect(calls, 'HSCAN iteration does not end').toBeLessThan(100_000);
    const reply = decode(await client.call('HSCAN', key, cursor, ...options));
    if (reply.type !== 'array') throw new Error(`HSCAN replied ${JSON.stringify(reply)}`);
    const [next, batch] = reply.value;
    const items = flat(batch!);
    for (let i = 0; i < items.length; i += novalues ? 1 : 2) {
      const field = items[i]!;
      if (strict) expect(seen.has(field), `lapse returned ${JSON.stringify(field)} twice`).toBe(false);
      seen.set(field, novalues ? '' : items[i + 1]!);
    }
    cursor = text(next!);
    if (cursor === '0') break;
  }
  return [...seen].map(([f, v]) => `${f}=${v}`).sort();
}

/** A whole HSCAN iteration returns the same fields and values on both servers. */
async function hscanSet(key: string, ...options: string[]): Promise<string[]> {
  const a = await fullHscan(p.r, key, options, false);
  const b = await fullHscan(p.l, key, options, true);
  expect(b, `hscan set: HSCAN ${key} ${options.join(' ')}`).toEqual(a);
  return a;
}

describe('HSET HMSET HGET HGETALL', () => {
  test('fields in insertion order; an update keeps its place', async () => {
    await p.exact('HGET', 'h', 'a');                                  // exact: missing key
    await p.exact('HGETALL', 'h');                                    // exact: empty
    await p.exact('HSET', 'h', 'a', '1');                             // exact: 1 created
    await p.exact('HSET', 'h', 'b', '2', 'c', '3');                   // exact: 2 created
    await p.exact('HGETALL', 'h');                                    // exact: a b c
    await p.exact('HSET', 'h', 'a', '10', 'd', '4');                  // exact: 1 created, a updated
    await p.exact('HGETALL', 'h');                                    // exact: a keeps its place
    await p.exact('HGET', 'h', 'a');                                  // exact
    await p.exact('HGET', 'h', 'zz');                                 // exact: missing field
    await p.exact('HSET', 'h', 'e', '5', 'e', '6');                   // exact: repeated field counts once
    await p.exact('HGET', 'h', 'e');                                  // exact: the last value wins
    await p.exact('HSET', 'h', 'b', '2');                             // exact: same value, 0
    await p.exact('HGETALL', 'h');                                    // exact
    await p.exact('HMSET', 'h', 'f', '7', 'a', '11');                 // exact: +OK
    await p.exact('HGETALL', 'h');                                    // exact
    await p.exact('hset', 'h', 'g', '8');                             // exact: command name case
    await p.exact('HsEt', 'h', 'G', '9');                             // exact: field names are case-sensitive
    await p.exact('HGETALL', 'h');                                    // exact
  });

  test('binary and empty fields and values', async () => {
    await p.exact('HSET', 'h', '', 'empty field');                    // exact
    await p.exact('HSET', 'h', 'empty value', '');                    // exact
    await p.exact('HSET', 'h', 'bin\0\r\n\xff', 'v\0a\r\nl\xfe');     // exact
    await p.exact('HSET', 'h', 'bin\0', 'prefix');                    // exact: another field
    await p.exact('HGET', 'h', '');                                   // exact
    await p.exact('HGET', 'h', 'empty value');                        // exact: $0
    await p.exact('HGET', 'h', 'bin\0\r\n\xff');                      // exact
    await p.exact('HGET', 'h', 'bin\0');                              // exact
    await p.exact('HGETALL', 'h');                                    // exact
    await p.exact('HSET', '', 'f', 'v');                              // exact: empty key
    await p.exact('HGETALL', '');                                     // exact
    await p.exact('HSET', 'n', '1', '2', '-3', '-4', '007', '08', '1.5', '2.5'); // exact: integer-looking
    await p.exact('HGETALL', 'n');                                    // exact: values read back as given
    await p.exact('HGET', 'n', '1');                                  // exact
    await p.exact('HSET', 'n', '9223372036854775807', '-9223372036854775808'); // exact
    await p.exact('HSET', 'n', '9223372036854775808', '18446744073709551616'); // exact
    await p.exact('HGETALL', 'n');                                    // exact
  });

  test('arity', async () => {
    await p.exact('HSET', 'h');                                       // exact
    await p.exact('HSET', 'h', 'a');                                  // exact
    await p.exact('HSET', 'h', 'a', '1', 'b');                        // exact: odd pairs
    await p.exact('HMSET', 'h', 'a', '1', 'b');                       // exact: names hmset
    await p.exact('HMSET', 'h', 'a');                                 // exact
    await p.exact('HGET', 'h');                                       // exact
    await p.exact('HGET', 'h', 'a', 'b');                             // exact
    await p.exact('HGETALL');                                         // exact
    await p.exact('HGETALL', 'h', 'x');                               // exact
    await p.exact('EXISTS', 'h');                                     // exact: nothing created
  });
});

describe('HSETNX HMGET HEXISTS HLEN HSTRLEN HKEYS HVALS', () => {
  test('HSETNX', async () => {
    await p.exact('HSETNX', 'h', 'a', '1');                           // exact: creates the key
    await p.exact('HSETNX', 'h', 'a', '2');                           // exact: 0
    await p.exact('HSETNX', 'h', 'b', '3');                           // exact
    await p.exact('HGETALL', 'h');                                    // exact
    await p.exact('HSETNX', 'h', 'a', bytes(100));                    // exact: long value, not set
    await p.exact('HSET', 'h', 'c', '4');                             // exact
    await p.exact('HGETALL', 'h');                                    // exact: still compact, in order
    await p.exact('HSETNX', 'h', 'a');                                // exact: arity
  });

  test('HMGET', async () => {
    await p.exact('HMGET', 'h', 'a', 'b');                            // exact: missing key, nulls
    await setup(['HSET', 'h', 'a', '1', 'b', '', 'c', '3']);
    await p.exact('HMGET', 'h', 'a', 'b', 'zz', 'c', 'a');            // exact
    await p.exact('HMGET', 'h', 'zz');                                // exact
    await p.exact('HMGET', 'h');                                      // exact: arity
  });

  test('HEXISTS HLEN HSTRLEN', async () => {
    await p.exact('HEXISTS', 'h', 'a');                               // exact: 0
    await p.exact('HLEN', 'h');                                       // exact: 0
    await p.exact('HSTRLEN', 'h', 'a');                               // exact: 0
    await setup(['HSET', 'h', 'a', 'hello', 'b', '', 'n', '-12345', 'big', '123456789012345678901']);
    await p.exact('HEXISTS', 'h', 'a');                               // exact: 1
    await p.exact('HEXISTS', 'h', 'b');                               // exact: 1 for an empty value
    await p.exact('HEXISTS', 'h', 'A');                               // exact: 0
    await p.exact('HLEN', 'h');                                       // exact: 4
    await p.exact('HSTRLEN', 'h', 'a');                               // exact: 5
    await p.exact('HSTRLEN', 'h', 'b');                               // exact: 0
    await p.exact('HSTRLEN', 'h', 'n');                               // exact: integer's digits and sign
    await p.exact('HSTRLEN', 'h', 'big');                             // exact
    await p.exact('HSTRLEN', 'h', 'zz');                              // exact: 0
    await p.exact('HEXISTS', 'h');                                    // exact: arity
    await p.exact('HLEN', 'h', 'x');                                  // exact: arity
    await p.exact('HSTRLEN', 'h');                                    // exact: arity
  });

  test('HKEYS HVALS', async () => {
    await p.exact('HKEYS', 'h');                                      // exact: empty
    await p.exact('HVALS', 'h');                                      // exact: empty
    await setup(['HSET', 'h', 'z', '1', 'y', '2', 'x', '3'], ['HSET', 'h', 'y', '20']);
    await p.exact('HKEYS', 'h');                                      // exact: z y x
    await p.exact('HVALS', 'h');                                      // exact: 1 20 3
    await setup(['HDEL', 'h', 'z'], ['HSET', 'h', 'z', '1']);
    await p.exact('HKEYS', 'h');                                      // exact: z moved to the end
    await p.exact('HVALS', 'h');                                      // exact
  });
});

describe('HDEL', () => {
  test('fields, duplicates, the last field deletes the key', async () => {
    await p.exact('HDEL', 'h', 'a');                                  // exact: missing key, 0
    await setup(['HSET', 'h', 'a', '1', 'b', '2', 'c', '3', 'd', '4']);
    await p.exact('HDEL', 'h', 'zz');                                 // exact: 0
    await p.exact('HDEL', 'h', 'b');                                  // exact: 1
    await p.exact('HGETALL', 'h');                                    // exact: a c d
    await p.exact('HDEL', 'h', 'a', 'a', 'zz', 'd');                  // exact: duplicates once
    await p.exact('HGETALL', 'h');                                    // exact: c
    await p.exact('HDEL', 'h', 'c', 'zz');                            // exact: the last one
    await p.exact('EXISTS', 'h');                                     // exact: the key is gone
    await p.exact('TYPE', 'h');                                       // exact: none
    await p.exact('HLEN', 'h');                                       // exact: 0
    await p.exact('HDEL', 'h');                                       // exact: arity
  });

  test('deleting in the middle keeps the order of the rest', async () => {
    await setup(hsetMany('h', 10));
    await p.exact('HDEL', 'h', 'f3', 'f7', 'f0');                     // exact
    await p.exact('HGETALL', 'h');                                    // exact
    await p.exact('HSET', 'h', 'f3', 'again', 'f1', 'one');           // exact
    await p.exact('HGETALL', 'h');                                    // exact: f3 at the end, f1 in place
  });
});

describe('HINCRBY', () => {
  test('values, creation, limits', async () => {
    await p.exact('HINCRBY', 'h', 'a', '5');                          // exact: creates key and field
    await p.exact('HINCRBY', 'h', 'a', '-7');                         // exact: -2
    await p.exact('HINCRBY', 'h', 'b', '0');                          // exact: new field at 0
    await p.exact('HGETALL', 'h');                                    // exact
    await p.exact('HSET', 'h', 'max', '9223372036854775807', 'min', '-9223372036854775808'); // exact
    await p.exact('HINCRBY', 'h', 'max', '1');                        // exact: overflow
    await p.exact('HINCRBY', 'h', 'max', '0');                        // exact: exact int64
    await p.exact('HINCRBY', 'h', 'max', '-9223372036854775808');     // exact: -1
    await p.exact('HINCRBY', 'h', 'min', '-1');                       // exact: overflow
    await p.exact('HINCRBY', 'h', 'min', '9223372036854775807');      // exact: -1
    await p.exact('HINCRBY', 'h', 'big', '9007199254740993');         // exact: beyond 2^53
    await p.exact('HINCRBY', 'h', 'big', '9007199254740993');         // exact
    await p.exact('HGET', 'h', 'big');                                // exact
    await p.exact('HINCRBY', 'h', 'big', '-18014398509481986');       // exact: back to 0
  });

  test('errors', async () => {
    await setup(['HSET', 'h', 's', 'abc', 'sp', ' 1', 'z', '01', 'f', '1.5', 'e', '', 'nz', '-0', 'p', '+1',
      'o', '9223372036854775808']);
    for (const field of ['s', 'sp', 'z', 'f', 'e', 'nz', 'p', 'o']) {
      await p.exact('HINCRBY', 'h', field, '1');                      // exact: hash value is not an integer
    }
    await p.exact('HINCRBY', 'h', 'n', 'x');                          // exact: bad increment
    await p.exact('HINCRBY', 'h', 'n', '1.5');                        // exact
    await p.exact('HINCRBY', 'h', 'n', '');                           // exact
    await p.exact('HINCRBY', 'h', 'n', '9223372036854775808');        // exact
    await p.exact('HINCRBY', 'h', 'n', ' 1');                         // exact
    await p.exact('HINCRBY', 'nokey', 'n', 'x');                      // exact: checked before the key
    await p.exact('EXISTS', 'nokey');                                 // exact: not created
    await p.exact('HINCRBY', 'h', 'n');                               // exact: arity
  });
});

describe('HINCRBYFLOAT', () => {
  test('long double arithmetic and printing', async () => {
    const steps = ['1.1', '2.2', '-3.3', '0.1', '1e5', '-1e5', '3.0e-3', '0x10', '1e400', '-1e400', '5', '.5', '5.',
      '-0', '1.7976931348623157e308', '1e-4930'];
    for (const by of steps) {
      await p.exact('HINCRBYFLOAT', 'h', 'f', by);                    // exact
    }
    await p.exact('HGET', 'h', 'f');                                  // exact: stored as printed
    await p.exact('HINCRBYFLOAT', 'h', 'g', '1e4000');                // exact: huge but finite
    await p.exact('HINCRBYFLOAT', 'h', 'i', '10');                    // exact: integer printing
    await p.exact('HINCRBYFLOAT', 'h', 'i', '-10');                   // exact: 0
    await p.exact('HSET', 'h', 'int', '17', 'e', '1e3', 'x', '0x1p3'); // exact
    await p.exact('HINCRBYFLOAT', 'h', 'int', '0.5');                 // exact: from an integer value
    await p.exact('HINCRBYFLOAT', 'h', 'e', '1');                     // exact: exponent value
    await p.exact('HINCRBYFLOAT', 'h', 'x', '1');                     // exact: hex float value
    await samePairs('HGETALL', 'h');                                  // sorted pairs: long values made it a table
  });

  test('errors', async () => {
    await setup(['HSET', 'h', 's', 'abc', 'sp', ' 1', 'inf', 'inf', 'e', '', 'nan', 'nan']);
    await p.exact('HINCRBYFLOAT', 'h', 's', '1');                     // exact: hash value is not a float
    await p.exact('HINCRBYFLOAT', 'h', 'sp', '1');                    // exact: leading space
    await p.exact('HINCRBYFLOAT', 'h', 'e', '1');                     // exact: empty
    await p.exact('HINCRBYFLOAT', 'h', 'nan', '1');                   // exact
    await p.exact('HINCRBYFLOAT', 'h', 'inf', '1');                   // exact: increment would produce NaN or Infinity
    await p.exact('HINCRBYFLOAT', 'h', 'n', 'nan');                   // exact: not a valid float
    await p.exact('HINCRBYFLOAT', 'h', 'n', 'inf');                   // exact: value is NaN or Infinity
    await p.exact('HINCRBYFLOAT', 'h', 'n', '-infinity');             // exact
    await p.exact('HINCRBYFLOAT', 'h', 'n', 'abc');                   // exact
    await p.exact('HINCRBYFLOAT', 'h', 'n', '');                      // exact
    await p.exact('HINCRBYFLOAT', 'h', 'n', ' 1');                    // exact
    await p.exact('HINCRBYFLOAT', 'h', 'n', '1e5000');                // exact: out of range
    await p.exact('HINCRBYFLOAT', 'h', 'n', '1\x001');                // exact: NUL
    await p.exact('HSET', 'h', 'm', '1e4932');                        // exact
    await p.exact('HINCRBYFLOAT', 'h', 'm', '1e4932');                // exact: overflows to infinity
    await p.exact('HGET', 'h', 'm');                                  // exact: unchanged
    await p.exact('HINCRBYFLOAT', 'nokey', 'n', 'inf');               // exact
    await p.exact('EXISTS', 'nokey');                                 // exact: not created
    await p.exact('HINCRBYFLOAT', 'h', 'n');                          // exact: arity
  });
});

describe('WRONGTYPE across types', () => {
  test('hash commands on a string', async () => {
    await setup(['SET', 's', 'v']);
    const commands: string[][] = [
      ['HSET', 's', 'a', '1'], ['HMSET', 's', 'a', '1'], ['HSETNX', 's', 'a', '1'], ['HGET', 's', 'a'],
      ['HMGET', 's', 'a'], ['HGETALL', 's'], ['HKEYS', 's'], ['HVALS', 's'], ['HDEL', 's', 'a'], ['HLEN', 's'],
      ['HSTRLEN', 's', 'a'], ['HEXISTS', 's', 'a'], ['HINCRBY', 's', 'a', '1'], ['HINCRBYFLOAT', 's', 'a', '1'],
      ['HSCAN', 's', '0'], ['HRANDFIELD', 's'], ['HRANDFIELD', 's', '2'], ['HRANDFIELD', 's', '-2', 'WITHVALUES'],
    ];
    for (const c of commands) {
      await p.exact(...c);                                            // exact: WRONGTYPE
    }
    await p.exact('HINCRBY', 's', 'a', 'x');                          // exact: the increment is checked first
    await p.exact('HINCRBYFLOAT', 's', 'a', 'x');                     // exact
    await p.exact('HSCAN', 's', 'x');                                 // exact: the cursor is checked first
    await p.exact('HSCAN', 's', '0', 'COUNT', '0');                   // exact: WRONGTYPE before options
    await p.exact('HRANDFIELD', 's', 'x');                            // exact: the count is checked first
    await p.exact('HSET', 's', 'a');                                  // exact: arity first
    await p.exact('GET', 's');                                        // exact: untouched
  });

  test('string and key commands on a hash', async () => {
    await setup(['HSET', 'h', 'a', '1']);
    const commands: string[][] = [
      ['GET', 'h'], ['GETSET', 'h', 'x'], ['GETDEL', 'h'], ['GETEX', 'h'], ['GETEX', 'h', 'EX', '10'],
      ['GETRANGE', 'h', '0', '1'], ['SETRANGE', 'h', '0', 'x'], ['APPEND', 'h', 'x'], ['STRLEN', 'h'],
      ['INCR', 'h'], ['DECR', 'h'], ['INCRBY', 'h', '1'], ['DECRBY', 'h', '1'], ['INCRBYFLOAT', 'h', '1'],
      ['SET', 'h', 'x', 'GET'], ['MGET', 'h', 'nokey'], ['TYPE', 'h'], ['EXISTS', 'h'], ['SETNX', 'h', 'x'],
      ['MSETNX', 'h', 'x'], ['TTL', 'h'], ['EXPIRE', 'h', '100'], ['PERSIST', 'h'],
    ];
    for (const c of commands) {
      await p.exact(...c);                                            // exact
    }
    await p.exact('HGETALL', 'h');                                    // exact: untouched
    await p.exact('SET', 'h', 'now a string');                        // exact: SET replaces any type
    await p.exact('TYPE', 'h');                                       // exact: string
    await p.exact('HGET', 'h', 'a');                                  // exact: WRONGTYPE now
    await p.exact('DEL', 'h');                                        // exact
    await p.exact('HSET', 'h', 'b', '2');                             // exact
    await p.exact('GET', 'h');                                        // exact: WRONGTYPE again
  });
});

describe('key space: TYPE, SCAN TYPE, RENAME, DEL', () => {
  test('a hash among other keys', async () => {
    await setup(['HSET', 'h1', 'a', '1'], ['HSET', 'h2', 'b', '2'], ['SET', 's', 'v']);
    await p.exact('TYPE', 'h1');                                      // exact: hash
    await p.sorted('SCAN', '0', 'TYPE', 'hash', 'COUNT', '100');      // sorted: h1 h2
    await p.sorted('SCAN', '0', 'TYPE', 'HASH', 'COUNT', '100');      // sorted: case-insensitive
    await p.sorted('SCAN', '0', 'TYPE', 'string', 'COUNT', '100');    // sorted: s
    await p.sorted('KEYS', '*');                                      // sorted
    await p.exact('RENAME', 'h1', 'h3');                              // exact
    await p.exact('HGETALL', 'h3');                                   // exact: moved
    await p.exact('EXISTS', 'h1');                                    // exact: 0
    await p.exact('RENAME', 'h3', 's');                               // exact: replaces a string
    await p.exact('TYPE', 's');                                       // exact: hash
    await p.exact('HGETALL', 's');                                    // exact
    await p.exact('RENAMENX', 's', 'h2');                             // exact: 0
    await p.exact('EXPIRE', 'h2', '100');                             // exact
    await p.exact('RENAME', 'h2', 'h4');                              // exact
    await p.ttl(1, 'TTL', 'h4');                                      // ttl: 1 s, the key TTL moved
    await p.exact('HGETALL', 'h4');                                   // exact
    await p.exact('DEL', 'h4', 's');                                  // exact: 2
    await p.exact('DBSIZE');                                          // exact: 0
  });
});

describe('encoding: compact to table', () => {
  test('past hash-max-listpack-entries: the same content, order unspecified', async () => {
    await setup(hsetMany('big', 512));
    await p.exact('HGETALL', 'big');                                  // exact: 512 is still compact
    await p.exact('HSET', 'big', 'f512', 'v512');                     // exact: 1
    await samePairs('HGETALL', 'big');                                // sorted pairs: table form now
    await p.sorted('HKEYS', 'big');                                   // sorted
    await p.sorted('HVALS', 'big');                                   // sorted
    await p.exact('HLEN', 'big');                                     // exact: 513
    await p.exact('HGET', 'big', 'f300');                             // exact
    await p.exact('HMGET', 'big', 'f0', 'f512', 'nope');              // exact
    await p.exact('HDEL', 'big', 'f0', 'f1', 'f2');                   // exact
    await p.exact('HLEN', 'big');                                     // exact
    await samePairs('HGETALL', 'big');                                // sorted pairs: never compact again
    await p.exact('HSET', 'big', 'f1', 'back');                       // exact
    await p.exact('HINCRBY', 'big', 'n', '3');                        // exact
    await p.exact('HINCRBYFLOAT', 'big', 'x', '2.5');                 // exact
    await samePairs('HGETALL', 'big');                                // sorted pairs
    await p.exact('HSTRLEN', 'big', 'f511');                          // exact
    await p.exact('HEXISTS', 'big', 'f0');                            // exact: 0
  });

  test('a value or field longer than hash-max-listpack-value', async () => {
    await setup(['HSET', 'v', 'a', '1', 'b', bytes(64)]);
    await p.exact('HGETALL', 'v');                                    // exact: 64 bytes is compact
    await p.exact('HSET', 'v', 'c', '3', 'd', bytes(65));             // exact
    await samePairs('HGETALL', 'v');                                  // sorted pairs: converted
    await setup(['HSET', 'f', 'a', '1'], ['HSET', 'f', bytes(65, 'k'), '2']);
    await samePairs('HGETALL', 'f');                                  // sorted pairs: long field
    await setup(['HSET', 'u', 'a', '1', 'b', '2'], ['HSET', 'u', 'a', bytes(65)]);
    await samePairs('HGETALL', 'u');                                  // sorted pairs: update to a long value
    await setup(['HSET', 'i', 'a', '1'], ['HINCRBY', 'i', bytes(70, 'y'), '1']);
    await samePairs('HGETALL', 'i');                                  // sorted pairs: HINCRBY with a long field
    await p.exact('HDEL', 'v', 'd');                                  // exact
    await p.exact('HLEN', 'v');                                       // exact
  });

  test('a table-form hash: binary values of every size, rewritten larger and smaller, deleted, read back byte for byte', async () => {
    // lapse keeps these in an arena (FieldTable): a value rewritten at another size
    // moves, dead records are slid out, values past 64 KiB stay strings.
    const binary = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (seed * 31 + i * 7) & 0xff));
    const sizes = [0, 1, 3, 4, 5, 63, 64, 65, 230, 383, 384, 385, 1000, 65_536, 65_537, 70_000];
    const set: (string | Buffer)[] = ['HSET', 't'];
    for (let i = 0; i < 600; i++) set.push(`field:${i}`, binary(sizes[i % sizes.length]!, i));
    await p.exact(...set);                                            // exact: 600
    await p.exact('HGET', 't', 'field:15');                           // exact: 70,000 bytes
    await p.exact('HMGET', 't', 'field:0', 'field:8', 'field:11', 'field:13', 'nope'); // exact
    // Every field rewritten at another size (some into and out of the 64 KiB strings), then most deleted.
    const rewrite: (string | Buffer)[] = ['HSET', 't'];
    for (let i = 0; i < 600; i++) rewrite.push(`field:${i}`, binary(sizes[(i * 7 + 3) % sizes.length]!, i + 1));
    await p.exact(...rewrite);                                        // exact: 0
    await p.exact('HDEL', 't', ...Array.from({ length: 450 }, (_, i) => `field:${i}`)); // exact: 450
    for (let i = 440; i < 600; i += 7) {
      await p.exact('HGET', 't', `field:${i}`);                       // exact: bytes, or null for a deleted field
      await p.exact('HSTRLEN', 't', `field:${i}`);                    // exact
    }
    await p.exact('HMGET', 't', ...Array.from({ length: 40 }, (_, i) => `field:${445 + i}`)); // exact
    await samePairs('HGETALL', 't');                                  // sorted pairs
    await p.sorted('HKEYS', 't');                                     // sorted: fields copied from the arena
    await p.sorted('HVALS', 't');                                     // sorted
    await samePairs('HRANDFIELD', 't', '1000', 'WITHVALUES');         // sorted pairs: a count past the size is the whole hash
    await p.exact('HLEN', 't');                                       // exact: 150
  });

  test('a hash of several MB: fields removed in a scrambled order and rewritten at other sizes, read back whole', async () => {
    // lapse keeps these in 256 KiB chunks (FieldTable): this fills ~8 of them, then empties
    // most (chunks more than half dead are moved out and dropped; deleted pair numbers are
    // squeezed out a few at each write) while other fields move to the head at new sizes.
    const value = (i: number, n: number) => Buffer.from(Array.from({ length: n }, (_, k) => (i * 13 + k * 5) & 0xff));
    const fill: (string | Buffer)[] = ['HSET', 'many'];
    for (let i = 0; i < 4_000; i++) fill.push(`field:${i}`, value(i, 300 + (i % 400)));
    await p.exact(...fill);                                           // exact: 4000
    const order = Array.from({ length: 4_000 }, (_, i) => (i * 2_719) % 4_000);
    for (let k = 0; k < 3_000; k += 100) {
      await p.exact('HDEL', 'many', ...order.slice(k, k + 100).map((i) => `field:${i}`)); // exact: 100
      const rewrite: (string | Buffer)[] = ['HSET', 'many'];
      for (const i of order.slice(3_000 + (k / 100) * 30, 3_000 + (k / 100) * 30 + 30)) rewrite.push(`field:${i}`, value(i + 1, (i * 7) % 900));
      await p.exact(...rewrite);                                      // exact: 0 (all rewritten)
    }
    await p.exact('HLEN', 'many');                                    // exact: 1000
    for (let k = 3_000; k < 4_000; k += 97) await p.exact('HGET', 'many', `field:${order[k]}`); // exact: bytes from its chunk
    await p.exact('HMGET', 'many', ...order.slice(2_990, 3_030).map((i) => `field:${i}`)); // exact: nulls and values
    await samePairs('HGETALL', 'many');                               // sorted pairs
    await hscanSet('many', 'COUNT', '7');                             // scan set
    await p.exact('DEBUG', 'DIGEST-VALUE', 'many');                   // exact: the same fields and values
  });

  test('with small limits set on both servers', async () => {
    await setup(['CONFIG', 'SET', 'hash-max-listpack-entries', '4', 'hash-max-listpack-value', '8']);
    try {
      await setup(hsetMany('h', 4));
      await p.exact('HGETALL', 'h');                                  // exact: 4 fields, compact
      await p.exact('HSCAN', 'h', '0', 'COUNT', '1');                 // exact: compact, all at once
      await p.exact('HSET', 'h', 'f4', 'v4');                         // exact
      await samePairs('HGETALL', 'h');                                // sorted pairs
      await setup(['HSET', 'w', 'a', bytes(8)]);
      await p.exact('HGETALL', 'w');                                  // exact: 8 bytes is compact
      await p.exact('HSET', 'w', 'b', bytes(9));                      // exact
      await samePairs('HGETALL', 'w');                                // sorted pairs
      await setup(['CONFIG', 'SET', 'hash-max-listpack-entries', '0']);
      await setup(['HSET', 'z', 'a', '1', 'b', '2', 'c', '3']);
      await samePairs('HGETALL', 'z');                                // sorted pairs: table from the start
      await setup(['CONFIG', 'SET', 'hash-max-ziplist-entries', '2']);
      await p.exact('CONFIG', 'GET', 'hash-max-listpack-entries');    // exact: set through the alias
      await setup(['HSET', 'y', 'a', '1', 'b', '2']);
      await p.exact('HGETALL', 'y');                                  // exact: compact at 2
    } finally {
      await setup(['CONFIG', 'SET', 'hash-max-listpack-entries', '512', 'hash-max-listpack-value', '64']);
    }
  });
});

describe('HSCAN', () => {
  test('a compact hash comes whole, cursor 0, in order', async () => {
    await p.exact('HSCAN', 'h', '0');                                 // exact: missing key
    await p.exact('HSCAN', 'h', '0', 'COUNT', '0');                   // exact: options not read for a missing key
    await p.exact('HSCAN', 'h', '0', 'bogus');                        // exact
    await setup(hsetMany('h', 20), ['HSET', 'h', 'other', 'x', 'f5', 'five']);
    await p.exact('HSCAN', 'h', '0');                                 // exact: all 21 fields
    await p.exact('HSCAN', 'h', '0', 'COUNT', '2');                   // exact: COUNT ignored
    await p.exact('HSCAN', 'h', '17');                                // exact: any cursor, all of it
    await p.exact('HSCAN', 'h', '0', 'MATCH', 'f1*');                 // exact
    await p.exact('HSCAN', 'h', '0', 'MATCH', '*');                   // exact
    await p.exact('HSCAN', 'h', '0', 'MATCH', 'nothing*');            // exact: empty
    await p.exact('HSCAN', 'h', '0', 'match', 'f?', 'count', '3');    // exact: case-insensitive options
    await p.exact('HSCAN', 'h', '0', 'MATCH', 'f1*', 'MATCH', 'o*');  // exact: the last MATCH wins
    await p.exact('HSCAN', 'h', '0', 'COUNT', '5', 'COUNT', '1000');  // exact
    await p.exact('HSCAN', 'h', '18446744073709551615');              // exact: largest cursor
    await p.exact('HSCAN', 'h', '-1');                                // exact: wraps as strtoul
  });

  test('errors', async () => {
    await setup(['HSET', 'h', 'a', '1']);
    await p.exact('HSCAN', 'h', 'x');                                 // exact: invalid cursor
    await p.exact('HSCAN', 'h', '18446744073709551616');              // exact: beyond uint64
    await p.exact('HSCAN', 'nokey', 'x');                             // exact: before the key
    await p.exact('HSCAN', 'h', '0', 'COUNT', '0');                   // exact: syntax error
    await p.exact('HSCAN', 'h', '0', 'COUNT', '-1');                  // exact
    await p.exact('HSCAN', 'h', '0', 'COUNT', 'abc');                 // exact: not an integer
    await p.exact('HSCAN', 'h', '0', 'COUNT');                        // exact: missing value
    await p.exact('HSCAN', 'h', '0', 'MATCH');                        // exact
    await p.exact('HSCAN', 'h', '0', 'TYPE', 'string');               // exact: SCAN-only option
    await p.exact('HSCAN', 'h', '0', 'bogus', '1');                   // exact
    await p.exact('HSCAN', 'h');                                      // exact: arity
  });

  test('a large hash: one whole iteration returns every field once', async () => {
    await setup(hsetMany('big', 1500));
    const all = await hscanSet('big');                                // scan set: default COUNT
    expect(all.length).toBe(1500);
    await hscanSet('big', 'COUNT', '1');                              // scan set
    await hscanSet('big', 'COUNT', '100');                            // scan set
    await hscanSet('big', 'COUNT', '100000');                         // scan set
    const some = await hscanSet('big', 'MATCH', 'f1*', 'COUNT', '50'); // scan set: filtered
    expect(some.length).toBe(1 + 10 + 100 + 500);
    await hscanSet('big', 'MATCH', 'none*');                          // scan set: empty
    await p.exact('HSCAN', 'big', 'x');                               // exact: invalid cursor
  });
});

describe('HSCAN NOVALUES (Redis 7.4; lapse only, Redis 7.0 answers a syntax error)', () => {
  // https://redis.io/docs/latest/commands/hscan/ : "NOVALUES: if specified, only the keys
  // (fields) are returned, without the values" (since 7.4.0).
  const lapse = async (...args: string[]): Promise<string> => (await p.l.call(...args)).toString('latin1');

  test('fields only, for compact and large hashes', async () => {
    await p.exact('HSCAN', 'nokey', '0', 'NOVALUES');                 // exact: a missing key is not parsed further
    await setup(['HSET', 'h', 'a', '1', 'b', '2', 'c', '3']);
    expect((await p.r.call('HSCAN', 'h', '0', 'NOVALUES')).toString()).toBe('-ERR syntax error\r\n'); // Redis 7.0 lacks the option
    expect(await lapse('HSCAN', 'h', '0', 'NOVALUES')).toBe('*2\r\n$1\r\n0\r\n*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n');
    expect(await lapse('HSCAN', 'h', '0', 'novalues', 'MATCH', '[ab]')).toBe('*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n');
    expect(await lapse('HSCAN', 'h', '0', 'COUNT', '1', 'NOVALUES', 'NOVALUES')).toBe('*2\r\n$1\r\n0\r\n*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n');
    expect(await lapse('HSCAN', 'h', '0', 'NOVALUES', 'COUNT')).toBe('-ERR syntax error\r\n');
    expect(await lapse('HSCAN', 'h', '0', 'NOVALUE')).toBe('-ERR syntax error\r\n');
    await setup(hsetMany('big', 700));
    const fields = await fullHscan(p.l, 'big', ['NOVALUES', 'COUNT', '50'], true);
    expect(fields).toEqual(Array.from({ length: 700 }, (_, i) => `f${i}=`).sort());
  });
});

/** Checks the shape of an HRANDFIELD reply: count, distinctness, and that fields and values belong to the hash. */
function checkRandom(reply: Reply, hash: Map<string, string>, opts: { count: number; distinct: boolean; withValues: boolean; resp3: boolean }): void {
  if (reply.type !== 'array') throw new Error(`HRANDFIELD replied ${JSON.stringify(reply)}`);
  const { count, distinct, withValues, resp3 } = opts;
  const fields: string[] = [];
  if (withValues && resp3) {
    expect(reply.value.length).toBe(count);
    for (const pair of reply.value) {
      expect(pair.type).toBe('array');
      const [f, v] = flat(pair);
      expect(hash.get(f!)).toBe(v);
      fields.push(f!);
    }
  } else if (withValues) {
    expect(reply.value.length).toBe(count * 2);
    const items = flat(reply);
    for (let i = 0; i < items.length; i += 2) {
      expect(hash.get(items[i]!)).toBe(items[i + 1]);
      fields.push(items[i]!);
    }
  } else {
    expect(reply.value.length).toBe(count);
    for (const f of flat(reply)) {
      expect(hash.has(f)).toBe(true);
      fields.push(f);
    }
  }
  if (distinct) expect(new Set(fields).size).toBe(fields.length);
}

describe('HRANDFIELD', () => {
  test('exact replies: missing key, zero, the whole hash, one field', async () => {
    await p.exact('HRANDFIELD', 'h');                                 // exact: null
    await p.exact('HRANDFIELD', 'h', '5');                            // exact: empty array
    await p.exact('HRANDFIELD', 'h', '-5', 'WITHVALUES');             // exact: empty array
    await setup(['HSET', 'h', 'a', '1', 'b', '2', 'c', '3']);
    await p.exact('HRANDFIELD', 'h', '0');                            // exact: empty
    await p.exact('HRANDFIELD', 'h', '0', 'WITHVALUES');              // exact: empty
    await p.exact('HRANDFIELD', 'h', '3');                            // exact: the whole hash, in order
    await p.exact('HRANDFIELD', 'h', '100', 'WITHVALUES');            // exact: in order, with values
    await p.exact('HRANDFIELD', 'h', '9223372036854775807');          // exact: the whole hash
    await setup(['HSET', 'one', 'only', 'v']);
    await p.exact('HRANDFIELD', 'one');                               // exact: the only field
    await p.exact('HRANDFIELD', 'one', '1', 'WITHVALUES');            // exact
    await p.exact('HRANDFIELD', 'one', '-4');                         // exact: repeats
    await p.exact('HRANDFIELD', 'one', '-3', 'withvalues');           // exact: flat pairs
  });

  test('errors', async () => {
    await setup(['HSET', 'h', 'a', '1']);
    await p.exact('HRANDFIELD', 'h', 'x');                            // exact: not an integer
    await p.exact('HRANDFIELD', 'h', '1.5');                          // exact
    await p.exact('HRANDFIELD', 'h', '-9223372036854775808');         // exact: out of the long range
    await p.exact('HRANDFIELD', 'h', '9223372036854775808');          // exact: not an integer
    await p.exact('HRANDFIELD', 'h', '1', 'WITHVALUE');               // exact: syntax error
    await p.exact('HRANDFIELD', 'h', '1', 'WITHVALUES', 'x');         // exact: syntax error
    await p.exact('HRANDFIELD', 'h', 'x', 'y', 'z');                  // exact: count checked first
    await p.exact('HRANDFIELD', 'h', '-4611686018427387904', 'WITHVALUES'); // exact: value is out of range
    await p.exact('HRANDFIELD', 'h', '4611686018427387904', 'WITHVALUES');  // exact
    await p.exact('HRANDFIELD', 'nokey', '-4611686018427387903', 'WITHVALUES'); // exact: allowed, empty
    await p.exact('HRANDFIELD', 'h', '4611686018427387903', 'WITHVALUES');  // exact: the whole hash
    await p.exact('HRANDFIELD', 'h', '-9223372036854775807', 'WITHVALUES'); // exact: out of range
    await p.exact('HRANDFIELD');                                      // exact: arity
  });

  test('shapes: distinct for positive counts, repeats for negative ones', async () => {
    for (const size of [5, 600]) {
      const argv = hsetMany(`h${size}`, size);
      await setup(argv);
      const hash = new Map<string, string>();
      for (let i = 2; i < argv.length; i += 2) hash.set(argv[i]!, argv[i + 1]!);
      for (const [count, withValues] of [[1, false], [2, false], [3, true], [size - 1, true], [size, false], [size + 10, true],
        [-1, false], [-7, true], [-(size * 3), false]] as [number, boolean][]) {
        const args = ['HRANDFIELD', `h${size}`, String(count), ...(withValues ? ['WITHVALUES'] : [])];
        const [r, l] = await p.both(args);
        const shape = { count: count < 0 ? -count : Math.min(count, size), distinct: count > 0, withValues, resp3: false };
        checkRandom(decode(r), hash, shape);                          // shape: Redis
        checkRandom(decode(l), hash, shape);                          // shape: lapse
      }
      const single = decode(await p.l.call('HRANDFIELD', `h${size}`));
      expect(hash.has(text(single))).toBe(true);
    }
  });

  test('every field comes up', async () => {
    await setup(hsetMany('h', 8));
    const seen = new Set<string>();
    for (let i = 0; i < 200 && seen.size < 8; i++) seen.add(text(decode(await p.l.call('HRANDFIELD', 'h'))));
    expect(seen.size).toBe(8);
    const many = flat(decode(await p.l.call('HRANDFIELD', 'h', '-400')));
    expect(new Set(many).size).toBe(8);
  });
});

describe('RESP3', () => {
  test('maps, pairs, nulls', async () => {
    await p.both(['HELLO', '3']);
    await p.exact('HGETALL', 'h');                                    // exact: %0
    await p.exact('HGET', 'h', 'a');                                  // exact: _
    await p.exact('HRANDFIELD', 'h');                                 // exact: _
    await p.exact('HRANDFIELD', 'h', '3');                            // exact: *0
    await p.exact('HSCAN', 'h', '0');                                 // exact
    await setup(['HSET', 'h', 'a', '1', 'b', '2', 'c', '']);
    await p.exact('HGETALL', 'h');                                    // exact: a map
    await p.exact('HKEYS', 'h');                                      // exact: an array
    await p.exact('HVALS', 'h');                                      // exact
    await p.exact('HMGET', 'h', 'a', 'zz', 'c');                      // exact: _ for the missing field
    await p.exact('HMGET', 'nokey', 'a', 'b');                        // exact
    await p.exact('HSCAN', 'h', '0');                                 // exact: flat array
    await p.exact('HSCAN', 'h', '0', 'MATCH', 'b');                   // exact
    await p.exact('HRANDFIELD', 'h', '3', 'WITHVALUES');              // exact: [field, value] pairs
    await p.exact('HRANDFIELD', 'h', '10');                           // exact: fields
    await p.exact('HRANDFIELD', 'h', '0', 'WITHVALUES');              // exact: *0
    await p.exact('HINCRBYFLOAT', 'h', 'f', '1.5');                   // exact: a bulk string
    await setup(['HSET', 'one', 'k', 'v']);
    await p.exact('HRANDFIELD', 'one', '-2', 'WITHVALUES');           // exact: pairs
    await p.exact('HRANDFIELD', 'one', '1', 'WITHVALUES');            // exact
    await setup(hsetMany('big', 600));
    const [r, l] = await p.both(['HGETALL', 'big']);
    expect(l[0]).toBe(0x25);                                          // '%': a map
    expect(pairLines(flat(decode(l)))).toEqual(pairLines(flat(decode(r)))); // sorted pairs
    const hash = new Map<string, string>();
    for (let i = 0; i < 600; i++) hash.set(`f${i}`, `v${i}`);
    const [rr, lr] = await p.both(['HRANDFIELD', 'big', '-5', 'WITHVALUES']);
    checkRandom(decode(rr), hash, { count: 5, distinct: false, withValues: true, resp3: true }); // shape
    checkRandom(decode(lr), hash, { count: 5, distinct: false, withValues: true, resp3: true }); // shape
    const [rd, ld] = await p.both(['HRANDFIELD', 'big', '50', 'WITHVALUES']);
    checkRandom(decode(rd), hash, { count: 50, distinct: true, withValues: true, resp3: true }); // shape
    checkRandom(decode(ld), hash, { count: 50, distinct: true, withValues: true, resp3: true }); // shape
  });
});

describe('CONFIG: hash-max-listpack-* and their ziplist aliases', () => {
  afterAll(async () => {
    await setup(['CONFIG', 'SET', 'hash-max-listpack-entries', '512', 'hash-max-listpack-value', '64']);
  });

  test('GET and SET', async () => {
    for (const name of ['hash-max-listpack-entries', 'hash-max-listpack-value', 'hash-max-ziplist-entries',
      'hash-max-ziplist-value', 'HASH-MAX-ZIPLIST-VALUE']) {
      await p.exact('CONFIG', 'GET', name);                           // exact
    }
    await samePairs('CONFIG', 'GET', 'hash-max-ziplist-entries', 'hash-max-listpack-entries'); // sorted pairs: both, Redis's dict order
    await p.sorted('CONFIG', 'GET', 'hash-max-*');                    // sorted: four parameters
    await p.sorted('CONFIG', 'GET', 'hash*zip*');                     // sorted: the two aliases
    const cases: [string, string][] = [
      ['hash-max-listpack-entries', '100'], ['hash-max-listpack-entries', '-1'], ['hash-max-listpack-entries', 'abc'],
      ['hash-max-listpack-entries', '9223372036854775807'], ['hash-max-listpack-entries', '9223372036854775808'],
      ['hash-max-listpack-entries', '007'], ['hash-max-listpack-entries', '1k'], ['hash-max-listpack-entries', '0'],
      ['hash-max-ziplist-entries', 'abc'], ['hash-max-ziplist-entries', '-5'], ['hash-max-ziplist-entries', '300'],
      ['hash-max-listpack-value', '0'], ['hash-max-ziplist-value', '32'], ['hash-max-listpack-value', ''],
      ['hash-max-listpack-value', '1k'], ['hash-max-listpack-value', '2KB'], ['hash-max-listpack-value', '12abc'],
      ['hash-max-listpack-value', '-1'], ['hash-max-listpack-value', '18446744073709551615'],
      ['hash-max-ziplist-value', '9223372036854775807'], ['hash-max-ziplist-value', '1.5'],
    ];
    for (const [name, value] of cases) {
      await p.exact('CONFIG', 'SET', name, value);                    // exact
      await p.exact('CONFIG', 'GET', name);                           // exact
      await p.exact('CONFIG', 'GET', name.replace('listpack', 'TMP').replace('ziplist', 'listpack').replace('TMP', 'ziplist')); // exact: the other name
    }
    await p.exact('CONFIG', 'SET', 'hash-max-ziplist-entries', '10', 'hash-max-listpack-entries', '20'); // exact: not a duplicate
    await p.exact('CONFIG', 'GET', 'hash-max-ziplist-entries');       // exact: the later one
    await p.exact('CONFIG', 'SET', 'hash-max-listpack-entries', '1', 'hash-max-listpack-entries', '2'); // exact: duplicate
  });
});

describe('statistics', () => {
  test('keyspace hits and misses, and the dirty counter', async () => {
    await setup(['CONFIG', 'RESETSTAT']);
    await setup(
      ['HSET', 'h', 'a', '1', 'b', '2', 'c', '3'], ['HMSET', 'h', 'a', '2', 'd', '4'], ['HSETNX', 'h', 'a', 'x'],
      ['HSETNX', 'h', 'e', '5'], ['HGET', 'h', 'a'], ['HGET', 'nokey', 'a'], ['HMGET', 'nokey', 'a'], ['HLEN', 'h'],
      ['HDEL', 'h', 'a', 'b', 'zz'], ['HINCRBY', 'h', 'n', '1'], ['HINCRBYFLOAT', 'h', 'n', '1'], ['HGETALL', 'h'],
      ['HKEYS', 'nokey'], ['HEXISTS', 'h', 'c'], ['HSTRLEN', 'h', 'c'], ['HSCAN', 'h', '0'], ['HRANDFIELD', 'h', '0'],
      ['HDEL', 'h', 'c', 'd', 'e', 'n'],
    );
    const fields = async (client: RawClient, section: string, names: string[]): Promise<string[]> => {
      const info = text(decode(await client.call('INFO', section)));
      return names.map((n) => info.split('\r\n').find((line) => line.startsWith(`${n}:`)) ?? `${n}:?`);
    };
    const wanted = ['keyspace_hits', 'keyspace_misses'];
    expect(await fields(p.l, 'stats', wanted)).toEqual(await fields(p.r, 'stats', wanted)); // exact fields
    const dirty = ['rdb_changes_since_last_save'];
    const [rd] = await fields(p.r, 'persistence', dirty);
    const [ld] = await fields(p.l, 'persistence', dirty);
    const before = (s: string | undefined) => Number(s!.split(':')[1]);
    // Both counted every write since their own start: compare the increments over a known sequence.
    await setup(['HSET', 'x', 'a', '1', 'b', '2', 'c', '3'], ['HDEL', 'x', 'a', 'b'], ['HINCRBY', 'x', 'n', '2'],
      ['HSETNX', 'x', 'c', '9'], ['HDEL', 'x', 'c', 'n']);
    const [ra] = await fields(p.r, 'persistence', dirty);
    const [la] = await fields(p.l, 'persistence', dirty);
    expect(before(la) - before(ld)).toBe(before(ra) - before(rd));    // exact: the same number of changes
  });
});

describe('keyspace events', () => {
  test('hset, hdel, hincrby, hincrbyfloat, del of the last field, rename', async () => {
    const rec = await EventRecorder.attach(p, 'ghxn$');
    try {
      await setup(
        ['HSET', 'h', 'a', '1'], ['HSET', 'h', 'b', '2', 'c', '3'], ['HMSET', 'h', 'a', '9'], ['HSETNX', 'h', 'a', '1'],
        ['HSETNX', 'h', 'd', '4'], ['HSETNX', 'n1', 'a', '1'], ['HDEL', 'h', 'zz'], ['HDEL', 'h', 'a', 'b'],
        ['HINCRBY', 'h', 'i', '1'], ['HINCRBYFLOAT', 'h', 'f', '1.5'], ['HINCRBY', 'h', 'c', 'x'],
        ['HINCRBY', 'n2', 'i', '1'], ['HINCRBYFLOAT', 'n3', 'f', '2'], ['HGET', 'h', 'c'], ['HGETALL', 'h'],
        ['RENAME', 'h', 'h2'], ['HDEL', 'h2', 'c', 'd', 'i', 'f'], ['HDEL', 'n1', 'a'], ['SET', 's', 'v'],
        ['HSET', 's', 'a', '1'], ['SET', 'n2', 'overwritten'], ['DEL', 'n3'],
      );
      const [redis, lapse] = await rec.take();
      expect(lapse).toEqual(redis);
      expect(redis).toContain('0 hset h');
      expect(redis).toContain('0 hdel h2');
      expect(redis).toContain('0 hincrbyfloat n3');
    } finally {
      rec.detach();
    }
  });
});

describe('COMMAND', () => {
  test('COMMAND INFO of the hash commands Redis 7.0 has', async () => {
    for (const name of ['hset', 'hmset', 'hsetnx', 'hget', 'hmget', 'hgetall', 'hkeys', 'hvals', 'hdel', 'hlen',
      'hstrlen', 'hexists', 'hincrby', 'hincrbyfloat', 'hscan', 'hrandfield']) {
      await p.exact('COMMAND', 'INFO', name);                         // exact
      const [r, l] = await p.both(['COMMAND', 'DOCS', name]);
      expect(show(l), `COMMAND DOCS ${name}`).toBe(show(r));          // exact
    }
    await p.exact('COMMAND', 'GETKEYS', 'HSET', 'k', 'f', 'v');        // exact
  });
});

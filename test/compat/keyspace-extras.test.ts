import { describe, expect, test } from 'vitest';
import { pairSuite } from './harness.js';
import { EventRecorder } from '../helpers/keyspace-events.js';

/**
 * COPY MOVE SWAPDB OBJECT LCS SUBSTR against Redis 7.0, one command per line, every
 * comparison exact unless the line says otherwise.
 */

const p = pairSuite({ redis: ['--notify-keyspace-events', 'Eg'] });

describe('OBJECT', () => {
  test('string encodings as Redis decides them, command by command', async () => {
    const cases: [string, string[][]][] = [
      ['int', [['SET', 'k', '12345']]],
      ['negative int', [['SET', 'k', '-9223372036854775808']]],
      ['not canonical: embstr', [['SET', 'k', '007']]],
      ['-0: embstr', [['SET', 'k', '-0']]],
      ['beyond int64: embstr', [['SET', 'k', '9223372036854775808']]],
      ['44 bytes: embstr', [['SET', 'k', 'x'.repeat(44)]]],
      ['45 bytes: raw', [['SET', 'k', 'x'.repeat(45)]]],
      ['empty', [['SET', 'k', '']]],
      ['APPEND to a new key', [['APPEND', 'k', '12']]],
      ['APPEND to an int', [['SET', 'k', '1'], ['APPEND', 'k', '2']]],
      ['APPEND nothing', [['SET', 'k', 'ab'], ['APPEND', 'k', '']]],
      ['SETRANGE new', [['SETRANGE', 'k', '0', '5']]],
      ['SETRANGE existing', [['SET', 'k', 'abc'], ['SETRANGE', 'k', '1', 'x']]],
      ['SETRANGE empty value: unchanged', [['SET', 'k', '42'], ['SETRANGE', 'k', '1', '']]],
      ['INCR', [['SET', 'k', 'abc'], ['DEL', 'k'], ['INCR', 'k']]],
      ['INCRBY large', [['SET', 'k', '100000'], ['INCRBY', 'k', '100000000000']]],
      ['INCRBYFLOAT to an integer', [['SET', 'k', '1.5'], ['INCRBYFLOAT', 'k', '1.5']]],
      ['INCRBYFLOAT', [['INCRBYFLOAT', 'k', '1.25']]],
      ['SET after APPEND', [['SET', 'k', 'a'], ['APPEND', 'k', 'b'], ['SET', 'k', '1']]],
      ['GETSET', [['GETSET', 'k', '77']]],
      ['MSET', [['MSET', 'k', '8', 'j', 'x']]],
      ['SETBIT', [['SETBIT', 'k', '1', '1']]],
      ['SETBIT without a change', [['SET', 'k', '1'], ['SETBIT', 'k', '0', '0']]],
      ['BITFIELD GET only', [['SET', 'k', '1'], ['BITFIELD', 'k', 'GET', 'u8', '0']]],
      ['BITFIELD SET', [['SET', 'k', '1'], ['BITFIELD', 'k', 'SET', 'u8', '0', '50']]],
      ['BITOP', [['SET', 'a', '1'], ['BITOP', 'OR', 'k', 'a']]],
      ['RENAME keeps it', [['SET', 'a', '1'], ['APPEND', 'a', '2'], ['RENAME', 'a', 'k']]],
      ['COPY of raw', [['SET', 'a', '1'], ['APPEND', 'a', '2'], ['COPY', 'a', 'k']]],
      ['COPY of int', [['SET', 'a', '5'], ['COPY', 'a', 'k']]],
      ['SETNX, SETEX', [['SETNX', 'k', '3'], ['SETEX', 'j', '100', '4']]],
    ];
    for (const [what, commands] of cases) {
      await p.exact('FLUSHALL');                                     // exact
      await p.run(commands);                                         // exact, each
      await p.exact('OBJECT', 'ENCODING', 'k');                      // exact: see `what`
      await p.exact('OBJECT', 'REFCOUNT', 'k');                      // exact
      expect(what).toBeTruthy();
    }
  });

  test('hash encodings, missing keys, REFCOUNT, FREQ, IDLETIME, HELP, errors', async () => {
    await p.exact('HSET', 'h', 'f', 'v');                            // exact
    await p.exact('OBJECT', 'ENCODING', 'h');                        // exact: listpack
    await p.exact('OBJECT', 'REFCOUNT', 'h');                        // exact: 1
    await p.exact('HSET', 'h', 'g', 'x'.repeat(65));                 // exact
    await p.exact('OBJECT', 'ENCODING', 'h');                        // exact: hashtable
    await p.exact('OBJECT', 'ENCODING', 'missing');                  // exact: null
    await p.exact('OBJECT', 'REFCOUNT', 'missing');                  // exact: null
    await p.exact('OBJECT', 'IDLETIME', 'missing');                  // exact: null
    await p.exact('OBJECT', 'FREQ', 'missing');                      // exact: null
    await p.exact('SET', 'k', 'v');                                  // exact
    await p.exact('OBJECT', 'IDLETIME', 'k');                        // exact: 0
    await p.exact('OBJECT', 'FREQ', 'k');                            // exact: no LFU policy
    await p.exact('OBJECT', 'HELP');                                 // exact
    await p.exact('OBJECT', 'help');                                 // exact
    await p.exact('OBJECT');                                         // exact: arity
    await p.exact('OBJECT', 'ENCODING');                             // exact: arity
    await p.exact('OBJECT', 'ENCODING', 'k', 'x');                   // exact
    await p.exact('OBJECT', 'NOPE', 'k');                            // exact: unknown subcommand
    await p.exact('OBJECT', 'HELP', 'x');                            // exact
    await p.exact('SET', 'n', '100');                                // exact
    await p.exact('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu'); // exact
    await p.exact('SET', 'f', 'v');                                  // exact: a new key starts at 5
    await p.exact('OBJECT', 'FREQ', 'f');                            // exact: 5
    await p.exact('GET', 'f');                                       // exact: the first access always counts
    await p.exact('OBJECT', 'FREQ', 'f');                            // exact: 6
    await p.exact('OBJECT', 'IDLETIME', 'f');                        // exact: LFU: error
    await p.exact('CONFIG', 'SET', 'maxmemory', '1gb');              // exact
    await p.exact('SET', 'm', '100');                                // exact: no shared integers under LFU with maxmemory
    await p.exact('OBJECT', 'REFCOUNT', 'm');                        // exact: 1
    await p.exact('CONFIG', 'SET', 'maxmemory', '0');                // exact
    await p.exact('CONFIG', 'SET', 'maxmemory-policy', 'noeviction'); // exact
    await p.exact('OBJECT', 'REFCOUNT', 'n');                        // exact: shared: 2147483647
  });
});

describe('OBJECT, COPY, MOVE, TYPE and SCAN TYPE on lists, sets and sorted sets', () => {
  test('encodings and their conversions, each type', async () => {
    await p.exact('RPUSH', 'l', 'a', '1', 'x'.repeat(100));          // exact
    await p.exact('SADD', 'si', '1', '2', '-3');                      // exact
    await p.exact('SADD', 'sh', '1', 'b');                            // exact
    await p.exact('ZADD', 'zl', '1', 'a', '2', 'b');                  // exact
    await p.exact('ZADD', 'zs', '1', 'y'.repeat(65));                 // exact
    for (const k of ['l', 'si', 'sh', 'zl', 'zs']) {
      await p.exact('OBJECT', 'ENCODING', k);                         // exact
      await p.exact('OBJECT', 'REFCOUNT', k);                         // exact
      await p.exact('TYPE', k);                                       // exact
    }
    await p.exact('SADD', 'si', 'now-a-string');                      // exact: intset -> hashtable
    await p.exact('OBJECT', 'ENCODING', 'si');                        // exact
    await p.exact('ZADD', 'zl', ...Array.from({ length: 130 }, (_, i) => [String(i), `m${i}`]).flat()); // exact: listpack -> skiplist
    await p.exact('OBJECT', 'ENCODING', 'zl');                        // exact
    await p.sorted('SCAN', '0', 'TYPE', 'set', 'COUNT', '100');       // sorted
    await p.sorted('SCAN', '0', 'TYPE', 'zset', 'COUNT', '100');      // sorted
    await p.sorted('SCAN', '0', 'TYPE', 'list', 'COUNT', '100');      // sorted
  });

  test('COPY is deep, MOVE carries the value, for each type', async () => {
    await p.exact('RPUSH', 'l', 'a', 'b');                            // exact
    await p.exact('SADD', 's', '1', 'x');                             // exact
    await p.exact('ZADD', 'z', '1', 'a');                             // exact
    for (const k of ['l', 's', 'z']) await p.exact('COPY', k, `${k}2`); // exact
    await p.exact('RPUSH', 'l2', 'c');                                // exact: the copy changes alone
    await p.exact('SADD', 's2', 'y');                                 // exact
    await p.exact('ZADD', 'z2', '2', 'b');                            // exact
    await p.exact('LRANGE', 'l', '0', '-1');                          // exact
    await p.exact('LRANGE', 'l2', '0', '-1');                         // exact
    await p.sorted('SMEMBERS', 's');                                  // sorted
    await p.sorted('SMEMBERS', 's2');                                 // sorted
    await p.exact('ZRANGE', 'z', '0', '-1', 'WITHSCORES');            // exact
    await p.exact('ZRANGE', 'z2', '0', '-1', 'WITHSCORES');           // exact
    for (const k of ['l', 's', 'z']) await p.exact('MOVE', k, '3');   // exact
    await p.exact('SELECT', '3');                                     // exact
    await p.exact('LRANGE', 'l', '0', '-1');                          // exact
    await p.exact('SCARD', 's');                                      // exact
    await p.exact('ZCARD', 'z');                                      // exact
    await p.exact('OBJECT', 'ENCODING', 's');                         // exact
  });
});

describe('COPY', () => {
  test('strings and hashes, TTL, REPLACE, DB', async () => {
    await p.run([['SET', 's', 'v', 'EX', '1000'], ['HSET', 'h', 'a', '1', 'b', '2']]);
    await p.exact('COPY', 's', 't');                                 // exact: 1
    await p.exact('GET', 't');                                       // exact
    await p.ttl(1, 'TTL', 't');                                      // ttl: within 1 s
    await p.exact('COPY', 's', 't');                                 // exact: exists: 0
    await p.exact('SET', 's', 'w');                                  // exact
    await p.exact('COPY', 's', 't', 'REPLACE');                      // exact: 1
    await p.exact('GET', 't');                                       // exact: w
    await p.exact('TTL', 't');                                       // exact: -1, the source had none
    await p.exact('COPY', 'h', 'h2');                                // exact
    await p.exact('HSET', 'h', 'c', '3');                            // exact: the copy is deep
    await p.sorted('HGETALL', 'h2');                                 // sorted: two fields
    await p.exact('OBJECT', 'ENCODING', 'h2');                       // exact
    await p.exact('COPY', 'h', 's', 'REPLACE');                      // exact: replaces another type
    await p.exact('TYPE', 's');                                      // exact: hash
    await p.exact('COPY', 's', 'x', 'DB', '1');                      // exact
    await p.exact('COPY', 's', 'x', 'db', '1');                      // exact: exists there: 0
    await p.exact('COPY', 's', 's', 'DB', '1', 'replace');           // exact: same name, other db
    await p.exact('SELECT', '1');                                    // exact
    await p.sorted('HGETALL', 'x');                                  // sorted
    await p.exact('SELECT', '0');                                    // exact
    await p.exact('COPY', 'missing', 'y');                           // exact: 0
    await p.exact('EXISTS', 'y');                                    // exact
  });

  test('errors', async () => {
    await p.exact('SET', 's', 'v');                                  // exact
    await p.exact('COPY', 's', 's');                                 // exact: same object
    await p.exact('COPY', 's', 's', 'DB', '0');                      // exact: same object
    await p.exact('COPY', 's', 't', 'DB', '16');                     // exact: out of range
    await p.exact('COPY', 's', 't', 'DB', '-1');                     // exact
    await p.exact('COPY', 's', 't', 'DB', 'x');                      // exact: not an integer
    await p.exact('COPY', 's', 't', 'DB', '2147483648');             // exact: not an int32
    await p.exact('COPY', 's', 't', 'DB');                           // exact: syntax error
    await p.exact('COPY', 's', 't', 'NOW');                          // exact: syntax error
    await p.exact('COPY', 's');                                      // exact: arity
    await p.exact('EXISTS', 't');                                    // exact: nothing copied
  });
});

describe('MOVE and SWAPDB', () => {
  test('MOVE', async () => {
    await p.run([['SET', 's', 'v', 'PX', '1000000'], ['HSET', 'h', 'a', '1']]);
    await p.exact('MOVE', 's', '1');                                 // exact: 1
    await p.exact('EXISTS', 's');                                    // exact: 0
    await p.exact('MOVE', 's', '1');                                 // exact: missing: 0
    await p.exact('SET', 's', 'again');                              // exact
    await p.exact('MOVE', 's', '1');                                 // exact: exists there: 0
    await p.exact('GET', 's');                                       // exact: still here
    await p.exact('MOVE', 'h', '2');                                 // exact
    await p.exact('SELECT', '1');                                    // exact
    await p.exact('GET', 's');                                       // exact: v
    await p.ttl(1000, 'PTTL', 's');                                  // ttl: kept, within 1 s
    await p.exact('SELECT', '2');                                    // exact
    await p.exact('HGETALL', 'h');                                   // exact
    await p.exact('MOVE', 'h', '2');                                 // exact: same db
    await p.exact('MOVE', 'h', '16');                                // exact: out of range
    await p.exact('MOVE', 'h', 'x');                                 // exact
    await p.exact('MOVE', 'h', '-2147483649');                       // exact: not an int32
    await p.exact('MOVE', 'h');                                      // exact: arity
  });

  test('SWAPDB', async () => {
    await p.run([['SET', 'a', '0'], ['SET', 'both', 'zero'], ['SELECT', '1'], ['SET', 'b', '1', 'EX', '100'], ['SET', 'both', 'one']]);
    await p.exact('SWAPDB', '0', '1');                               // exact
    await p.exact('GET', 'a');                                       // exact: db 1 now holds db 0's keys
    await p.exact('GET', 'both');                                    // exact
    await p.exact('SELECT', '0');                                    // exact
    await p.exact('GET', 'b');                                       // exact
    await p.ttl(1, 'TTL', 'b');                                      // ttl: the TTL moved along
    await p.sorted('KEYS', '*');                                     // sorted
    await p.exact('DBSIZE');                                         // exact
    await p.exact('SWAPDB', '1', '1');                               // exact: itself
    await p.exact('SWAPDB', '0', '16');                              // exact: out of range
    await p.exact('SWAPDB', 'x', '1');                               // exact: invalid first
    await p.exact('SWAPDB', '0', 'y');                               // exact: invalid second
    await p.exact('SWAPDB', '4294967296', '0');                      // exact: invalid first (not an int32)
    await p.exact('SWAPDB', '0');                                    // exact: arity
    await p.exact('SWAPDB', '0', '1');                               // exact: and back
    await p.exact('GET', 'a');                                       // exact
  });

  test('SWAPDB and WATCH', async () => {
    const [w1r, w1l] = await p.connect();
    const [w2r, w2l] = await p.connect();
    await p.run([['SET', 'here', '1'], ['SELECT', '1'], ['SET', 'there', '1']]);
    await p.exactOn([w1r, w1l], 'WATCH', 'here');                    // exact: exists in db 0
    await p.exactOn([w2r, w2l], 'WATCH', 'nowhere');                 // exact: exists in neither
    await p.exact('SWAPDB', '0', '1');                               // exact
    for (const w of [[w1r, w1l], [w2r, w2l]] as const) {
      await p.exactOn([w[0], w[1]], 'MULTI');                        // exact
      await p.exactOn([w[0], w[1]], 'PING');                         // exact
      await p.exactOn([w[0], w[1]], 'EXEC');                         // exact: null for the first, done for the second
    }
    await p.exactOn([w2r, w2l], 'WATCH', 'there');                   // exact: in db 0 now
    await p.exact('SWAPDB', '1', '2');                               // exact: not its database
    await p.exactOn([w2r, w2l], 'MULTI');                            // exact
    await p.exactOn([w2r, w2l], 'EXEC');                             // exact: done
  });

  test('events: copy_to, move_from, move_to; none for SWAPDB', async () => {
    const rec = await EventRecorder.attach(p, 'g');
    try {
      await p.run([['SET', 'a', '1'], ['COPY', 'a', 'b'], ['COPY', 'a', 'b', 'REPLACE'], ['COPY', 'a', 'c', 'DB', '3'], ['MOVE', 'a', '2'], ['SWAPDB', '2', '3']]);
      const [r, l] = await rec.take();
      expect(l, 'events').toEqual(r);
      expect(r.length).toBe(5);
    } finally {
      rec.detach();
    }
  });
});

describe('LCS and SUBSTR', () => {
  test('LCS', async () => {
    await p.run([['SET', 'a', 'ohmytext'], ['SET', 'b', 'mynewtext']]);
    await p.exact('LCS', 'a', 'b');                                  // exact: mytext
    await p.exact('LCS', 'a', 'b', 'LEN');                           // exact
    await p.exact('LCS', 'a', 'b', 'IDX');                           // exact
    await p.exact('LCS', 'a', 'b', 'IDX', 'MINMATCHLEN', '4');       // exact
    await p.exact('LCS', 'a', 'b', 'IDX', 'MINMATCHLEN', '-4', 'WITHMATCHLEN'); // exact
    await p.exact('LCS', 'a', 'b', 'idx', 'withmatchlen', 'minmatchlen', '2'); // exact
    await p.exact('LCS', 'a', 'b', 'WITHMATCHLEN');                  // exact: ignored without IDX
    await p.exact('LCS', 'a', 'missing');                            // exact: empty
    await p.exact('LCS', 'missing', 'missing', 'IDX');               // exact
    await p.exact('LCS', 'a', 'a', 'IDX', 'WITHMATCHLEN');           // exact: whole string
    await p.run([['SET', 'x', 'abcabcabc\x00\xff'], ['SET', 'y', 'cbacba\xffx\x00']]);
    await p.exact('LCS', 'x', 'y');                                  // exact: binary
    await p.exact('LCS', 'x', 'y', 'IDX', 'WITHMATCHLEN');           // exact
    await p.exact('LCS', 'a', 'b', 'LEN', 'IDX');                    // exact: both: error
    await p.exact('LCS', 'a', 'b', 'MINMATCHLEN');                   // exact: syntax error
    await p.exact('LCS', 'a', 'b', 'MINMATCHLEN', 'x');              // exact: not an integer
    await p.exact('LCS', 'a', 'b', 'FOO');                           // exact
    await p.exact('HSET', 'h', 'f', 'v');                            // exact
    await p.exact('LCS', 'a', 'h');                                  // exact: must contain strings
    await p.exact('LCS', 'h', 'a', 'FOO');                           // exact: the type is checked first
    await p.exact('LCS', 'a');                                       // exact: arity
    await p.exact('SET', 'big1', 'a'.repeat(12000));                 // exact
    await p.exact('SET', 'big2', 'a'.repeat(12000));                 // exact
    await p.exact('LCS', 'big1', 'big2', 'LEN');                     // exact: table over proto-max-bulk-len
    await p.both(['HELLO', '3']);                                    // not compared: client ids differ
    await p.exact('LCS', 'a', 'b', 'IDX', 'WITHMATCHLEN');           // exact: RESP3 map
  });

  test('SUBSTR', async () => {
    await p.exact('SET', 'k', 'Hello World');                        // exact
    for (const [s, e] of [['0', '4'], ['-5', '-1'], ['5', '1'], ['-100', '100'], ['0', '-1']]) await p.exact('SUBSTR', 'k', s!, e!); // exact
    await p.exact('SUBSTR', 'missing', '0', '1');                    // exact: empty
    await p.exact('SUBSTR', 'k', 'a', '1');                          // exact: not an integer
    await p.exact('SUBSTR', 'k', '0');                               // exact: arity
  });
});

describe('COMMAND GETKEYSANDFLAGS', () => {
  test('keys and their flags, commands with variable flags, errors', async () => {
    const commands: string[][] = [
      ['GET', 'k'],
      ['SET', 'k', 'v'],
      ['SET', 'k', 'v', 'GET'],
      ['SET', 'k', 'v', 'EX', '10', 'get'],
      ['MSET', 'a', '1', 'b', '2'],
      ['DEL', 'a', 'b', 'c'],
      ['RENAME', 'a', 'b'],
      ['COPY', 'a', 'b', 'DB', '1'],
      ['BITOP', 'AND', 'd', 'a', 'b'],
      ['BITFIELD', 'k', 'GET', 'u8', '0'],
      ['BITFIELD', 'k', 'OVERFLOW', 'SAT', 'GET', 'u8', '0', 'INCRBY', 'u8', '0', '1'],
      ['BITFIELD', 'k', 'GET', 'u8'],
      ['BITFIELD_RO', 'k', 'GET', 'u8', '0'],
      ['LCS', 'a', 'b'],
      ['HSET', 'h', 'f', 'v'],
      ['RESTORE', 'k', '0', 'x'],
      ['OBJECT', 'ENCODING', 'k'],
      ['MOVE', 'k', '1'],
    ];
    for (const command of commands) {
      await p.exact('COMMAND', 'GETKEYSANDFLAGS', ...command);       // exact
      await p.exact('COMMAND', 'GETKEYS', ...command);               // exact
    }
    await p.exact('COMMAND', 'GETKEYSANDFLAGS', 'PING');             // exact: no key arguments
    await p.exact('COMMAND', 'GETKEYSANDFLAGS', 'NOPE', 'k');        // exact: invalid command
    await p.exact('COMMAND', 'GETKEYSANDFLAGS', 'GET');              // exact: arity of the command
    await p.exact('COMMAND', 'GETKEYSANDFLAGS', 'MSET', 'a');        // exact: invalid arguments
    await p.exact('COMMAND', 'GETKEYSANDFLAGS');                     // exact: arity
    await p.both(['HELLO', '3']);                                    // not compared: client ids differ
    await p.exact('COMMAND', 'GETKEYSANDFLAGS', 'SET', 'k', 'v', 'GET'); // exact: RESP3 sets
  });
});

import { describe, expect, test } from 'vitest';
import { pairSuite, show } from './harness.js';
import { EventRecorder } from '../helpers/keyspace-events.js';
import type { RawClient } from '../helpers/raw-client.js';
import { decodeReply, type Reply } from '../helpers/resp.js';
import { SetValue } from '../../src/keyspace/set.js';

/**
 * Set commands against Redis 7.0, one command per line. An intset (integers only, at
 * most set-max-intset-entries) is ordered numerically in Redis, so replies built from
 * one are compared exactly; a hashtable's order is Redis's dict order, so those replies
 * are compared as sets ("sorted"). Random replies (SPOP, SRANDMEMBER) are checked by
 * their properties on both servers. OBJECT ENCODING is asked of Redis and compared with
 * the encoding lapse's value reports (lapse's OBJECT is another piece of work).
 */

const p = pairSuite({ redis: ['--notify-keyspace-events', 'Egsxn'] });

async function setup(...commands: (string | Buffer)[][]): Promise<void> {
  await p.run(commands);
}

/** Sends commands to both servers without comparing replies (random or hash-ordered ones). */
async function sendBoth(...commands: string[][]): Promise<void> {
  for (const c of commands) await p.both(c);
}

function decode(b: Buffer): Reply {
  return decodeReply(b)!.reply;
}

function text(r: Reply): string {
  if (r.type === 'bulk') return r.value.toString('latin1');
  if (r.type === 'simple') return r.value;
  throw new Error(`not a string reply: ${JSON.stringify(r)}`);
}

/** The elements of an array or set reply, as strings. */
function items(r: Reply): string[] {
  if (r.type === 'array' || r.type === 'set') return r.value.map(text);
  throw new Error(`not an array reply: ${JSON.stringify(r)}`);
}

/** lapse's encoding of the set at key (db 0) equals what Redis's OBJECT ENCODING says. */
async function sameEncoding(key: string, expected?: string): Promise<void> {
  const redis = text(decode(await p.r.call('OBJECT', 'ENCODING', key)));
  const db0 = p.lapse.keyspace.dbs[0]!;
  const found = db0.peek(key);
  const value = found === undefined ? undefined : db0.valueOf(found);
  expect(value, `lapse has a set at ${key}`).toBeInstanceOf(SetValue);
  expect((value as SetValue).encoding(), `encoding of ${key}`).toBe(redis); // exact: OBJECT ENCODING's name
  if (expected !== undefined) expect(redis).toBe(expected);
}

/** SADD key with members prefix0..prefix(n-1) (or 0..n-1 with an empty prefix). */
function saddMany(key: string, n: number, prefix = '', from = 0): string[] {
  const argv = ['SADD', key];
  for (let i = from; i < from + n; i++) argv.push(`${prefix}${i}`);
  return argv;
}

/** The members of the set at key on each server: [redis, lapse], sorted. */
async function members(key: string): Promise<[string[], string[]]> {
  const [r, l] = await p.both(['SMEMBERS', key]);
  return [items(decode(r)).sort(), items(decode(l)).sort()];
}

describe('SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS', () => {
  test('hashtable set', async () => {
    await p.exact('SMEMBERS', 's');                                   // exact: empty
    await p.exact('SCARD', 's');                                      // exact: 0
    await p.exact('SISMEMBER', 's', 'a');                             // exact: 0
    await p.exact('SMISMEMBER', 's', 'a', 'b');                       // exact: zeros
    await p.exact('SADD', 's', 'foo');                                // exact: 1
    await sameEncoding('s', 'hashtable');
    await p.exact('SADD', 's', 'bar');                                // exact: 1
    await p.exact('SADD', 's', 'bar');                                // exact: 0
    await p.exact('SADD', 's', 'A', 'a', 'b', 'c', 'B', 'a');         // exact: 5, repeats count once
    await p.exact('SCARD', 's');                                      // exact: 7
    await p.exact('SISMEMBER', 's', 'foo');                           // exact: 1
    await p.exact('SISMEMBER', 's', 'bla');                           // exact: 0
    await p.exact('SMISMEMBER', 's', 'foo', 'bla', 'a', 'A', 'x');    // exact
    await p.sorted('SMEMBERS', 's');                                  // sorted: dict order
    await p.exact('SREM', 's', 'qux');                                // exact: 0
    await p.exact('SREM', 's', 'foo', 'foo', 'bar', 'zz');            // exact: 2
    await p.sorted('SMEMBERS', 's');                                  // sorted
    await p.exact('SREM', 's', 'A', 'a', 'b', 'c', 'B', 'x');         // exact: 5, the key goes
    await p.exact('EXISTS', 's');                                     // exact: 0
    await p.exact('SADD', 's', '', 'x\r\ny', '\x00\xff');             // exact: binary members
    await p.sorted('SMEMBERS', 's');                                  // sorted
    await p.exact('SISMEMBER', 's', '');                              // exact: 1
    await p.exact('SISMEMBER', 's', '\x00\xff');                      // exact: 1
  });

  test('a large hashtable set (members as bytes in an arena): binary members, long ones, removals', async () => {
    // Every byte value alone, CRLF inside, NUL, an empty member, members past the reply's
    // word-copy limit (384 bytes) and past 64 KB: more than 32 members, so lapse keeps
    // them in its arena (SetValue's large form), where SMEMBERS copies their bytes.
    const members: Buffer[] = [Buffer.alloc(0), Buffer.from('x\r\ny'), Buffer.alloc(500, 0xfe), Buffer.alloc(70_000, 0x01)];
    for (let b = 0; b < 256; b++) members.push(Buffer.from([b, 0x0d, 0x0a, 255 - b]));
    await p.exact('SADD', 'big', ...members);                       // exact: 260 added
    await sameEncoding('big', 'hashtable');
    await p.sorted('SMEMBERS', 'big');                              // sorted: dict order
    await p.exact('SCARD', 'big');                                  // exact
    await p.exact('SISMEMBER', 'big', Buffer.from([0x00, 0x0d, 0x0a, 0xff])); // exact: 1
    await p.exact('SISMEMBER', 'big', Buffer.from([0x00, 0x0d, 0x0a]));       // exact: 0, a prefix
    await p.exact('SMISMEMBER', 'big', '', Buffer.alloc(500, 0xfe), Buffer.alloc(499, 0xfe), Buffer.alloc(70_000, 0x01)); // exact
    await p.exact('SADD', 'big', Buffer.alloc(500, 0xfe), 'new');   // exact: 1, the long one repeats
    await p.sorted('SUNION', 'big', 'nosuchkey');                   // sorted: a new large set, replied from its arena
    await p.sorted('SINTER', 'big');                                // sorted: one key, as SMEMBERS
    await p.exact('SREM', 'big', ...members.slice(0, 130));         // exact: 130
    await p.sorted('SMEMBERS', 'big');                              // sorted
    await p.exact('SADD', 'small', Buffer.from([7, 0x0d, 0x0a, 248]), Buffer.from([200, 0x0d, 0x0a, 55]), 'zz');
    await p.sorted('SINTER', 'big', 'small');                       // sorted: walks the smaller set
    await p.sorted('SUNION', 'small', 'big');                       // sorted
    await p.exact('SINTERCARD', '2', 'big', 'small');               // exact
    await p.exact('SMOVE', 'big', 'small', Buffer.from([201, 0x0d, 0x0a, 54])); // exact: 1
    await p.sorted('SMEMBERS', 'small');                            // sorted
    await p.exact('SCARD', 'big');                                  // exact
  });

  test('intset: sorted numerically, compared exactly', async () => {
    await p.exact('SADD', 'i', '17');                                 // exact
    await sameEncoding('i', 'intset');
    await p.exact('SADD', 'i', '16', '16', '-5', '9223372036854775807', '-9223372036854775808', '0', '100000', '-32769', '40000');
    await p.exact('SMEMBERS', 'i');                                   // exact: numeric order
    await p.exact('SISMEMBER', 'i', '16');                            // exact: 1
    await p.exact('SISMEMBER', 'i', '18');                            // exact: 0
    await p.exact('SISMEMBER', 'i', 'a');                             // exact: 0, not an integer
    await p.exact('SISMEMBER', 'i', '016');                           // exact: 0, not canonical
    await p.exact('SMISMEMBER', 'i', '16', '18', '-5', '+16');        // exact
    await p.exact('SREM', 'i', '6', 'x', '16', '016');                // exact: 1
    await p.exact('SMEMBERS', 'i');                                   // exact
    await sameEncoding('i', 'intset');
    await p.exact('SCARD', 'i');                                      // exact
  });

  test('encoding: integers only, up to set-max-intset-entries', async () => {
    await setup(['SADD', 'a', '1', '2', '3']);
    await sameEncoding('a', 'intset');
    await p.exact('SADD', 'a', 'a');                                  // exact: 1
    await sameEncoding('a', 'hashtable');
    await p.exact('SREM', 'a', 'a');                                  // exact
    await sameEncoding('a', 'hashtable');                             // never back
    // Not integer texts Redis would keep in an intset.
    for (const m of ['213244124402402314402033402', '9223372036854775808', '-9223372036854775809', '-0', '007', '+1', ' 1', '1.0', '1e3', '']) {
      await p.exact('DEL', 'n');                                      // exact
      await p.exact('SADD', 'n', m);                                  // exact
      await sameEncoding('n');
      await p.exact('SISMEMBER', 'n', m);                             // exact: 1
    }
    await setup(saddMany('big', 512));
    await sameEncoding('big', 'intset');
    await p.exact('SADD', 'big', '512');                              // exact: the 513th
    await sameEncoding('big', 'hashtable');
    await setup(saddMany('big2', 513));
    await sameEncoding('big2', 'hashtable');                          // at once, in one SADD
  });

  test('set-max-intset-entries', async () => {
    await p.exact('CONFIG', 'GET', 'set-max-intset-entries');         // exact: 512
    await p.exact('CONFIG', 'SET', 'set-max-intset-entries', '3');    // exact
    await setup(['SADD', 's3', '1', '2', '3']);
    await sameEncoding('s3', 'intset');
    await p.exact('SADD', 's3', '4');                                 // exact
    await sameEncoding('s3', 'hashtable');
    await p.exact('CONFIG', 'SET', 'set-max-intset-entries', '0');    // exact
    await setup(['SADD', 's0', '1']);
    await sameEncoding('s0', 'hashtable');
    for (const v of ['-1', 'x', '1k', '9223372036854775807', '9223372036854775808', '']) {
      await p.exact('CONFIG', 'SET', 'set-max-intset-entries', v);    // exact
      await p.exact('CONFIG', 'GET', 'set-max-intset-entries');       // exact
    }
    await p.exact('CONFIG', 'SET', 'set-max-intset-entries', '512');  // exact
  });

  test('errors', async () => {
    await setup(['SET', 'str', 'x'], ['SADD', 's', 'a']);
    for (const argv of [['SADD', 'str', 'a'], ['SREM', 'str', 'a'], ['SCARD', 'str'], ['SISMEMBER', 'str', 'a'],
      ['SMISMEMBER', 'str', 'a'], ['SMEMBERS', 'str'], ['SPOP', 'str'], ['SPOP', 'str', '1'], ['SRANDMEMBER', 'str'],
      ['SRANDMEMBER', 'str', '2'], ['SSCAN', 'str', '0'], ['SINTER', 's', 'str'], ['SUNION', 'str', 's'], ['SDIFF', 's', 'str'],
      ['SADD'], ['SADD', 's'], ['SREM', 's'], ['SCARD'], ['SCARD', 's', 'x'], ['SISMEMBER', 's'], ['SMISMEMBER', 's'],
      ['SMEMBERS'], ['SMEMBERS', 's', 'x'], ['SPOP'], ['SPOP', 's', '1', '2'], ['SRANDMEMBER', 's', '1', '2'],
      ['SMOVE', 's', 'd'], ['SINTER'], ['SINTERSTORE', 'd'], ['SUNION'], ['SUNIONSTORE', 'd'], ['SDIFF'], ['SDIFFSTORE', 'd'],
      ['SSCAN', 's'], ['SINTERCARD'], ['SINTERCARD', '1']]) {
      await p.exact(...argv);                                         // exact: WRONGTYPE or arity
    }
    await p.exact('GET', 'str');                                      // exact: untouched
  });
});

describe('SMOVE', () => {
  async function setupMove(): Promise<void> {
    await setup(['DEL', 'm1', 'm2', 'm3'], ['SADD', 'm1', 'a', 'b', '1'], ['SADD', 'm2', '2', '3', '4']);
  }

  test('between encodings, to a new set, no-ops', async () => {
    await setupMove();
    await p.exact('SMOVE', 'm1', 'm2', 'a');                          // exact: 1
    await p.sorted('SMEMBERS', 'm1');                                 // sorted
    await p.sorted('SMEMBERS', 'm2');                                 // sorted
    await sameEncoding('m2', 'hashtable');
    await setupMove();
    await p.exact('SMOVE', 'm1', 'm2', '1');                          // exact: 1
    await p.exact('SMEMBERS', 'm2');                                  // exact: still an intset
    await sameEncoding('m2', 'intset');
    await setupMove();
    await p.exact('SMOVE', 'm2', 'm1', '2');                          // exact
    await p.sorted('SMEMBERS', 'm1');                                 // sorted
    await p.exact('SMEMBERS', 'm2');                                  // exact
    await setupMove();
    await p.exact('SMOVE', 'm1', 'm2', 'foo');                        // exact: 0, not a member
    await p.exact('SMOVE', 'm1', 'm1', 'foo');                        // exact: 0, same key
    await p.exact('SMOVE', 'm1', 'm1', 'a');                          // exact: 1, same key, a member
    await p.exact('SMOVE', 'noset', 'm2', 'foo');                     // exact: 0
    await p.exact('SMOVE', 'm1', 'm3', 'a');                          // exact: 1, m3 created
    await sameEncoding('m3', 'hashtable');
    await p.exact('SMOVE', 'm2', 'm4', '2');                          // exact: 1
    await sameEncoding('m4', 'intset');
    await p.exact('SMOVE', 'm3', 'm1', 'a');                          // exact: 1, m3 emptied
    await p.exact('EXISTS', 'm3');                                    // exact: 0
    await p.exact('SMOVE', 'm1', 'm2', '1');                          // exact: 1
    await p.exact('SMOVE', 'm4', 'm2', '2');                          // exact: 1, already there: m4 goes
    await p.exact('EXISTS', 'm4');                                    // exact: 0
    await p.exact('SMEMBERS', 'm2');                                  // exact
  });

  test('types: a missing source answers 0 before any type check', async () => {
    await setup(['SET', 'x', '10'], ['SADD', 'm', 'a']);
    await p.exact('SMOVE', 'x', 'm', 'a');                            // exact: WRONGTYPE
    await p.exact('SMOVE', 'm', 'x', 'a');                            // exact: WRONGTYPE
    await p.exact('SMOVE', 'nokey', 'x', 'a');                        // exact: 0
    await p.exact('SMOVE', 'm', 'x', 'zz');                           // exact: WRONGTYPE even for a non-member
    await p.exact('SMEMBERS', 'm');                                   // exact
  });

  test('WATCH on the destination: untouched when the member was already there', async () => {
    await setup(['SADD', 'src', 'a', 'b'], ['SADD', 'dst', 'a']);
    const [wr, wl] = await p.connect();
    await p.exactOn([wr, wl], 'WATCH', 'dst');                        // exact
    await p.exactOn([wr, wl], 'MULTI');                               // exact
    await p.exactOn([wr, wl], 'SADD', 'dst', 'c');                    // exact: QUEUED
    await p.exact('SMOVE', 'src', 'dst', 'a');                        // exact: 1
    await p.exactOn([wr, wl], 'EXEC');                                // exact: runs
    await p.exact('SCARD', 'dst');                                    // exact: 2
    await p.exactOn([wr, wl], 'WATCH', 'src');                        // exact
    await p.exactOn([wr, wl], 'MULTI');                               // exact
    await p.exactOn([wr, wl], 'SCARD', 'src');                        // exact
    await p.exact('SMOVE', 'src', 'dst', 'b');                        // exact: src changed
    await p.exactOn([wr, wl], 'EXEC');                                // exact: null, aborted
  });
});

describe('SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE', () => {
  for (const type of ['hashtable', 'intset']) {
    test(`Redis's set1..set5 - ${type}`, async () => {
      const large = type === 'hashtable' ? 'foo' : '200';
      const s1 = ['SADD', 'set1'];
      const s2 = ['SADD', 'set2'];
      for (let i = 0; i < 200; i++) {
        s1.push(String(i));
        s2.push(String(i + 195));
      }
      await setup(s1, s2, ['SADD', 'set3', '199', '195', '1000', '2000'], saddMany('set4', 195, '', 5), ['SADD', 'set5', '0']);
      for (let i = 1; i <= 5; i++) await setup(['SADD', `set${i}`, large]);
      for (let i = 1; i <= 5; i++) await sameEncoding(`set${i}`, type);
      // Replies from intsets come out in numeric order: compared exactly.
      const cmp = type === 'intset' ? (...a: string[]) => p.exact(...a) : (...a: string[]) => p.sorted(...a);
      await cmp('SINTER', 'set1', 'set2');                            // exact (intset) / sorted
      await p.exact('SINTERCARD', '2', 'set1', 'set2');               // exact: 6
      await p.exact('SINTERCARD', '2', 'set1', 'set2', 'LIMIT', '0'); // exact: 6
      await p.exact('SINTERCARD', '2', 'set1', 'set2', 'limit', '3'); // exact: 3
      await p.exact('SINTERCARD', '2', 'set1', 'set2', 'LIMIT', '10'); // exact: 6
      await p.exact('SINTERSTORE', 'res', 'set1', 'set2');            // exact: 6
      await sameEncoding('res', type);
      await cmp('SMEMBERS', 'res');                                   // exact (intset) / sorted
      await p.sorted('SUNION', 'set1', 'set2');                       // sorted: past 512 members: a hashtable
      await p.exact('SUNIONSTORE', 'res', 'set1', 'set2');            // exact: the size
      await sameEncoding('res', type);                                // 396 members: an intset for integers
      await cmp('SINTER', 'set1', 'set2', 'set3');                    // exact (intset) / sorted
      await p.exact('SINTERCARD', '3', 'set1', 'set2', 'set3', 'LIMIT', '2'); // exact: 2
      await p.exact('SINTERSTORE', 'res', 'set1', 'set2', 'set3');    // exact: 3
      await p.sorted('SUNION', 'nokey1', 'set1', 'set2', 'nokey2');   // sorted
      await cmp('SDIFF', 'set1', 'set4');                             // exact (intset) / sorted
      await cmp('SDIFF', 'set1', 'set4', 'set5');                     // exact (intset) / sorted
      await p.exact('SDIFFSTORE', 'res', 'set1', 'set4', 'set5');     // exact: 4
      await sameEncoding('res', 'intset');                            // the difference is integers only
      await p.exact('SMEMBERS', 'res');                               // exact
      await cmp('SINTER', 'set1', 'set1', 'set1');                    // exact (intset) / sorted
      await p.sorted('SUNION', 'set1', 'set1', 'set1');               // sorted
      await p.exact('SDIFF', 'set1', 'set1', 'set1');                 // exact: empty, the same set
      await cmp('SUNION', 'set3', 'set5');                            // exact (intset) / sorted: small result
      await cmp('SUNION', 'set5');                                    // exact (intset) / sorted
      // SDIFF's second algorithm (the first set much larger than the work of the first): the
      // result is built by removal, so it stays a hashtable when it began as one.
      await setup(saddMany('huge', 600), ['SADD', 'tiny', '1', '2'], ['SADD', 'tiny2', '3']);
      await p.exact('SDIFFSTORE', 'res', 'huge', 'tiny', 'tiny2', 'tiny', 'tiny2'); // exact: 597
      await sameEncoding('res', 'hashtable');
      await p.exact('SDIFFSTORE', 'res', 'set3', 'huge');             // exact
      await sameEncoding('res');
    });
  }

  test('missing keys, empty results, destination replaced or deleted', async () => {
    await setup(['SADD', 'a', 'x', 'y', '1'], ['SADD', 'b', 'y', 'z'], ['SET', 'dst', 'str'], ['EXPIRE', 'dst', '100']);
    await p.exact('SINTER', 'a', 'nokey');                            // exact: empty
    await p.exact('SINTERCARD', '2', 'a', 'nokey');                   // exact: 0
    await p.exact('SINTERSTORE', 'dst', 'a', 'nokey');                // exact: 0, dst deleted
    await p.exact('EXISTS', 'dst');                                   // exact: 0
    await p.exact('SINTERSTORE', 'dst', 'a', 'nokey');                // exact: 0, nothing to delete
    await p.exact('SINTER', 'a', 'b');                                // exact: y
    await setup(['SET', 'dst', 'str'], ['EXPIRE', 'dst', '100']);
    await p.exact('SINTERSTORE', 'dst', 'a', 'b');                    // exact: 1, replaces the string
    await p.exact('TTL', 'dst');                                      // exact: -1, the TTL goes
    await p.exact('SMEMBERS', 'dst');                                 // exact
    await p.exact('SADD', 'c', 'q');                                  // exact
    await p.exact('SINTERSTORE', 'dst', 'a', 'c');                    // exact: 0, empty: dst deleted
    await p.exact('EXISTS', 'dst');                                   // exact: 0
    await p.exact('SDIFF', 'nokey', 'a');                             // exact: empty
    await p.sorted('SDIFF', 'a', 'nokey', 'b');                       // sorted
    await p.exact('SDIFFSTORE', 'dst', 'a', 'b');                     // exact: 2
    await p.sorted('SMEMBERS', 'dst');                                // sorted
    await p.exact('SDIFFSTORE', 'dst', 'nokey', 'a');                 // exact: 0, deleted
    await p.exact('EXISTS', 'dst');                                   // exact: 0
    await p.exact('SUNIONSTORE', 'dst', 'nokey1', 'nokey2');          // exact: 0
    await p.exact('SUNIONSTORE', 'dst', 'a', 'b', 'nokey');           // exact: 4
    await p.sorted('SMEMBERS', 'dst');                                // sorted
    await p.exact('SUNIONSTORE', 'a', 'a', 'b');                      // exact: the destination is a source
    await p.sorted('SMEMBERS', 'a');                                  // sorted
    await p.exact('SINTER', 'nokey');                                 // exact: empty
    await p.exact('SUNION', 'nokey');                                 // exact: empty
    await setup(['SADD', 'ints', '3', '1', '2'], ['SADD', 'strs', 'a', '2', '3']);
    await p.exact('SINTER', 'ints', 'strs');                          // exact: the smaller... same size; both orders sort
    await p.exact('SINTERSTORE', 'd2', 'strs', 'ints');               // exact: 2
    await sameEncoding('d2', 'intset');                               // integers only: an intset
    await p.exact('SMEMBERS', 'd2');                                  // exact
    await p.exact('SUNIONSTORE', 'd3', 'ints', 'ints');               // exact
    await sameEncoding('d3', 'intset');
  });

  test('wrong types, anywhere among the keys, change nothing', async () => {
    await setup(['SET', 'key1', 'x'], ['SADD', 'set1', 'a', 'b', 'c'], ['SADD', 'set2', 'b', 'c', 'd'], ['SADD', 'set3', 'e']);
    for (const cmd of ['SINTER', 'SUNION', 'SDIFF']) {
      await p.exact(cmd, 'key1', 'noset');                            // exact: WRONGTYPE
      await p.exact(cmd, 'noset', 'key1');                            // exact: WRONGTYPE
      await p.exact(cmd, 'key1', 'set1');                             // exact: WRONGTYPE
      await p.exact(cmd, 'set1', 'key1');                             // exact: WRONGTYPE
    }
    for (const cmd of ['SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE']) {
      await p.exact(cmd, 'set4', 'key1', 'noset');                    // exact: WRONGTYPE
      await p.exact(cmd, 'set4', 'noset', 'key1');                    // exact: WRONGTYPE
      await p.exact('EXISTS', 'set4');                                // exact: 0
      await p.exact(cmd, 'set3', 'key1', 'set1', 'noset');            // exact: WRONGTYPE
      await p.exact(cmd, 'set3', 'set1', 'key1', 'set2');             // exact: WRONGTYPE
      await p.exact('SMEMBERS', 'set3');                              // exact: e
      await p.exact(cmd, 'key1', 'set1', 'set2');                     // exact: a string destination is replaced
      await p.exact('TYPE', 'key1');                                  // exact
      await setup(['SET', 'key1', 'x']);
    }
    await p.exact('SINTERCARD', '1', 'key1');                         // exact: WRONGTYPE
    await p.exact('SINTERCARD', '2', 'set1', 'key1');                 // exact: WRONGTYPE
    await p.exact('SINTERCARD', '2', 'key1', 'noset');                // exact: WRONGTYPE
  });

  test('SINTERCARD arguments', async () => {
    await setup(['SADD', 'myset', 'a']);
    for (const argv of [['SINTERCARD', '0', 'myset'], ['SINTERCARD', 'a', 'myset'], ['SINTERCARD', '-1', 'myset'],
      ['SINTERCARD', '2', 'myset'], ['SINTERCARD', '3', 'myset', 'myset2'], ['SINTERCARD', '1', 'myset', 'myset2'],
      ['SINTERCARD', '1', 'myset', 'bar_arg'], ['SINTERCARD', '1', 'myset', 'LIMIT'], ['SINTERCARD', '1', 'myset', 'LIMIT', '-1'],
      ['SINTERCARD', '1', 'myset', 'LIMIT', 'a'], ['SINTERCARD', '1', 'myset', 'LIMIT', '1', 'LIMIT', '0'],
      ['SINTERCARD', '1', 'myset', 'LIMIT', '9223372036854775807'], ['SINTERCARD', '1', 'myset', 'LIMIT', '9223372036854775808'],
      ['SINTERCARD', '1', 'non-existing'], ['SINTERCARD', '1', 'non-existing', 'limit', '10'],
      ['SINTERCARD', '9223372036854775807', 'myset'], ['SINTERCARD', '1', 'myset', 'LIMIT', '1', 'x']]) {
      await p.exact(...argv);                                         // exact
    }
    await p.exact('COMMAND', 'GETKEYS', 'SINTERCARD', '2', 'a', 'b', 'LIMIT', '1'); // exact: keynum spec
    await p.exact('COMMAND', 'GETKEYS', 'SINTERSTORE', 'd', 'a', 'b'); // exact
    await p.exact('COMMAND', 'GETKEYS', 'SMOVE', 'a', 'b', 'm');      // exact
  });

  test('SDIFF fuzzing against Redis', async () => {
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 25; round++) {
      const keys: string[] = [];
      const numSets = rand(6) + 1;
      for (let i = 0; i < numSets; i++) {
        const argv = ['SADD', `f${i}`];
        const n = rand(40);
        for (let j = 0; j < n; j++) argv.push(rand(2) === 0 ? String(rand(60)) : `m${rand(60)}`);
        await setup(['DEL', `f${i}`]);
        if (n > 0) await setup(argv);
        keys.push(`f${i}`);
      }
      await p.sorted('SDIFF', ...keys);                               // sorted
      await p.sorted('SINTER', ...keys);                              // sorted
      await p.sorted('SUNION', ...keys);                              // sorted
      await p.exact('SINTERCARD', String(keys.length), ...keys);      // exact
      await p.exact('SDIFFSTORE', 'out', ...keys);                    // exact: cardinality
      if ((await p.l.call('EXISTS', 'out')).toString() === ':1\r\n') await sameEncoding('out');
      await p.exact('SUNIONSTORE', 'out', ...keys);                   // exact
      if ((await p.l.call('EXISTS', 'out')).toString() === ':1\r\n') await sameEncoding('out');
    }
  });
});

/** Checks a random-member reply: its length, that every member belongs, distinct if asked. */
function checkRandom(reply: Reply, set: Set<string>, count: number, distinct: boolean, type: 'array' | 'set' = 'array'): string[] {
  expect(reply.type).toBe(type);
  const got = items(reply);
  expect(got.length).toBe(count);
  for (const m of got) expect(set.has(m), `${m} is a member`).toBe(true);
  if (distinct) expect(new Set(got).size).toBe(got.length);
  return got;
}

describe('SPOP', () => {
  for (const [type, contents] of [['hashtable', ['a', 'b', 'c']], ['intset', ['1', '2', '3']]] as const) {
    test(`basics - ${type}`, async () => {
      await setup(['SADD', 'myset', ...contents]);
      await sameEncoding('myset', type);
      const popped: [string[], string[]] = [[], []];
      for (let i = 0; i < 3; i++) {
        const [r, l] = await p.both(['SPOP', 'myset']);
        popped[0].push(text(decode(r)));
        popped[1].push(text(decode(l)));
      }
      expect(popped[0].sort()).toEqual([...contents]);                // property: every member once (Redis)
      expect(popped[1].sort()).toEqual([...contents]);                // property: every member once (lapse)
      await p.exact('EXISTS', 'myset');                               // exact: 0, the last pop deleted it
      await p.exact('SPOP', 'myset');                                 // exact: null
      await setup(['SADD', 'myset', ...contents]);
      const ones: [string[], string[]] = [[], []];
      for (let i = 0; i < 3; i++) {
        const [r, l] = await p.both(['SPOP', 'myset', '1']);
        ones[0].push(...items(decode(r)));
        ones[1].push(...items(decode(l)));
      }
      expect(ones[0].sort()).toEqual([...contents]);                  // property (Redis)
      expect(ones[1].sort()).toEqual([...contents]);                  // property (lapse)
      await p.exact('SCARD', 'myset');                                // exact: 0
    });
  }

  test('with count: every code path, every member exactly once', async () => {
    for (const contents of [Array.from({ length: 26 }, (_, i) => String.fromCharCode(97 + i)), Array.from({ length: 26 }, (_, i) => String(i + 1))]) {
      await setup(['DEL', 'myset'], ['SADD', 'myset', ...contents]);
      const got: [string[], string[]] = [[], []];
      for (const n of ['11', '9', '0', '4', '1', '0', '1', '0']) {
        const [r, l] = await p.both(['SPOP', 'myset', n]);
        got[0].push(...items(decode(r)));
        got[1].push(...items(decode(l)));
      }
      expect(got[0].sort()).toEqual([...contents].sort());            // property: all popped once (Redis)
      expect(got[1].sort()).toEqual([...contents].sort());            // property: all popped once (lapse)
      await p.exact('EXISTS', 'myset');                               // exact: 0
    }
    const content = Array.from({ length: 20 }, (_, i) => String(i + 1));
    for (const [count, left] of [[30, 0], [2, 18], [18, 2], [20, 0]]) {
      await setup(['DEL', 'myset'], ['SADD', 'myset', ...content]);
      const [r, l] = await p.both(['SPOP', 'myset', String(count)]);
      const popped = [items(decode(r)), items(decode(l))];
      await p.exact('SCARD', 'myset');                                // exact: what is left
      const [rm, lm] = await members('myset');
      expect([...popped[0]!, ...rm].sort()).toEqual([...content].sort()); // property: popped + left = all (Redis)
      expect([...popped[1]!, ...lm].sort()).toEqual([...content].sort()); // property: popped + left = all (lapse)
      expect(lm.length).toBe(left);
      // An intset's members are replied in numeric order when the rest is kept aside or all go.
      if (count >= 18) {
        for (const list of popped) expect(list).toEqual([...list].sort((a, b) => Number(a) - Number(b)));
      }
      if (left > 0) await sameEncoding('myset', 'intset');
    }
  });

  test('the whole set, exact; errors; a hashtable of integers rebuilt as an intset', async () => {
    await p.exact('SPOP', 'nokey', '100');                            // exact: empty
    await setup(['SADD', 'i', '5', '-3', '100', '7']);
    await p.exact('SPOP', 'i', '0');                                  // exact: empty
    await p.exact('SPOP', 'i', '4');                                  // exact: all, in numeric order
    await setup(['SADD', 'i', '5', '-3', '100', '7']);
    await p.exact('SPOP', 'i', '9223372036854775807');                // exact: all
    await setup(['SADD', 'i', '5']);
    await p.exact('SPOP', 'i', '-1');                                 // exact: must be positive
    await p.exact('SPOP', 'i', 'x');                                  // exact: not an integer
    await p.exact('SPOP', 'i', '9223372036854775808');                // exact: not an integer
    await p.exact('SPOP', 'nokey', '-1');                             // exact: the count first
    await p.exact('SPOP', 'i', '1', '2');                             // exact: syntax error
    // A hashtable left with integers only: the whole-set reply is built as Redis's SUNION.
    await setup(saddMany('h', 600), ['SADD', 'h', 'x']);
    const rem = ['SREM', 'h', 'x'];
    for (let i = 10; i < 600; i++) rem.push(String(i));
    await setup(rem);
    await sameEncoding('h', 'hashtable');
    await p.exact('SPOP', 'h', '20');                                 // exact: sorted, an intset built for the reply
    // SPOP keeping the rest aside rebuilds the set: integers only become an intset again.
    await setup(saddMany('h2', 600), ['SADD', 'h2', 'x'], ['SREM', 'h2', 'x']);
    await sameEncoding('h2', 'hashtable');
    await p.both(['SPOP', 'h2', '590']);
    await p.exact('SCARD', 'h2');                                     // exact: 10
    await sameEncoding('h2', 'intset');
  });
});

describe('SRANDMEMBER', () => {
  test('exact replies: missing key, zero, the whole set, errors', async () => {
    await p.exact('SRANDMEMBER', 'nokey');                            // exact: null
    await p.exact('SRANDMEMBER', 'nokey', '100');                     // exact: empty array
    await p.exact('SRANDMEMBER', 'nokey', '-100');                    // exact: empty array
    await setup(['SADD', 'i', '3', '1', '2']);
    await p.exact('SRANDMEMBER', 'i', '0');                           // exact: empty array
    await p.exact('SRANDMEMBER', 'i', '3');                           // exact: the whole intset, in order
    await p.exact('SRANDMEMBER', 'i', '9223372036854775807');         // exact
    await p.exact('SRANDMEMBER', 'i', '-9223372036854775808');        // exact: out of range
    await p.exact('SRANDMEMBER', 'nokey', '-9223372036854775808');    // exact: checked before the key
    await p.exact('SRANDMEMBER', 'i', 'x');                           // exact: not an integer
    await p.exact('SRANDMEMBER', 'i', '1', '2');                      // exact: syntax error
    await setup(['SADD', 'one', 'only']);
    await p.exact('SRANDMEMBER', 'one');                              // exact
    await p.exact('SRANDMEMBER', 'one', '1');                         // exact
    await p.exact('SRANDMEMBER', 'one', '-5');                        // exact: repeats
    await p.exact('SRANDMEMBER', 'one', '5');                         // exact
  });

  for (const type of ['hashtable', 'intset']) {
    test(`every code path - ${type}`, async () => {
      const contents = type === 'intset'
        ? Array.from({ length: 50 }, (_, i) => String(i))
        : ['1', '5', '10', '50', '125', '50000', '33959417', '4775547', '65434162', '12098459', '427716', '483706',
          '2726473884', '72615637475', 'MARY', 'PATRICIA', 'LINDA', 'BARBARA', 'ELIZABETH', 'JENNIFER', 'MARIA', 'SUSAN',
          'MARGARET', 'DOROTHY', 'LISA', 'NANCY', 'KAREN', 'BETTY', 'HELEN', 'SANDRA', 'DONNA', 'CAROL', 'RUTH', 'SHARON',
          'MICHELLE', 'LAURA', 'SARAH', 'KIMBERLY', 'DEBORAH', 'JESSICA', 'SHIRLEY', 'CYNTHIA', 'ANGELA', 'MELISSA',
          'BRENDA', 'AMY', 'ANNA', 'REBECCA', 'VIRGINIA', 'KATHLEEN'];
      await setup(['SADD', 'myset', ...contents]);
      await sameEncoding('myset', type);
      const set = new Set(contents);
      for (const [count, len, distinct] of [[-100, 100, false], [-10, 10, false], [50, 50, true], [100, 50, true],
        [45, 45, true], [5, 5, true], [1, 1, true], [-1, 1, false]] as [number, number, boolean][]) {
        const [r, l] = await p.both(['SRANDMEMBER', 'myset', String(count)]);
        const rg = checkRandom(decode(r), set, len, distinct);       // property: Redis
        const lg = checkRandom(decode(l), set, len, distinct);       // property: lapse
        if (len === 50) expect(lg.sort()).toEqual(rg.sort());        // sorted: the whole set
      }
      // Eventually every member comes up, for each path (lapse).
      for (const count of [-10, 45, 5]) {
        const seen = new Set<string>();
        for (let i = 0; i < 1000 && seen.size < set.size; i++) {
          for (const m of items(decode(await p.l.call('SRANDMEMBER', 'myset', String(count))))) seen.add(m);
        }
        expect(seen.size, `SRANDMEMBER ${count} reaches every member`).toBe(set.size);
      }
      const single = text(decode(await p.l.call('SRANDMEMBER', 'myset')));
      expect(set.has(single)).toBe(true);
    });
  }

  test('a fair draw: chi-square over 10 members', async () => {
    await setup(saddMany('fair', 10, 'm'));
    const counts = new Map<string, number>();
    const got = items(decode(await p.l.call('SRANDMEMBER', 'fair', '-10000')));
    for (const m of got) counts.set(m, (counts.get(m) ?? 0) + 1);
    let chi = 0;
    for (const n of counts.values()) chi += (n - 1000) ** 2 / 1000;
    // 9 degrees of freedom: P(chi2 > 27.88) = 0.001.
    expect(counts.size).toBe(10);
    expect(chi).toBeLessThan(27.88);
  });
});

/** A whole SSCAN iteration on one client: the members returned (strict: none twice). */
async function fullSscan(client: RawClient, key: string, options: string[], strict: boolean): Promise<string[]> {
  const seen = new Set<string>();
  let cursor = '0';
  for (let calls = 0; ; calls++) {
    expect(calls, 'SSCAN iteration does not end').toBeLessThan(100_000);
    const reply = decode(await client.call('SSCAN', key, cursor, ...options));
    if (reply.type !== 'array') throw new Error(`SSCAN replied ${JSON.stringify(reply)}`);
    const [next, batch] = reply.value;
    for (const m of items(batch!)) {
      if (strict) expect(seen.has(m), `lapse returned ${JSON.stringify(m)} twice`).toBe(false);
      seen.add(m);
    }
    cursor = text(next!);
    if (cursor === '0') break;
  }
  return [...seen].sort();
}

describe('SSCAN', () => {
  test('an intset in one call, whatever the cursor and COUNT', async () => {
    await p.exact('SSCAN', 'nokey', '0');                             // exact: empty, cursor 0
    await setup(saddMany('i', 300));
    await p.exact('SSCAN', 'i', '0');                                 // exact: everything, numeric order
    await p.exact('SSCAN', 'i', '17', 'COUNT', '2');                  // exact: everything
    await p.exact('SSCAN', 'i', '0', 'MATCH', '1*');                  // exact: filtered
    await p.exact('SSCAN', 'i', '0', 'MATCH', '*', 'COUNT', '1000');  // exact
    await p.exact('SSCAN', 'i', '0', 'match', '2?', 'count', '5', 'MATCH', '3?'); // exact: the later MATCH wins
  });

  test('errors', async () => {
    await setup(['SADD', 's', 'a'], ['SET', 'str', 'x']);
    // A cursor neither server issued (-1 is 2^64-1 to Redis) walks lapse's slots, not Redis's buckets: not compared.
    for (const argv of [['SSCAN', 's', 'x'], ['SSCAN', 'nokey', 'x'], ['SSCAN', 'nokey', '-1'], ['SSCAN', 's', '18446744073709551616'],
      ['SSCAN', 's', '0', 'COUNT', '0'], ['SSCAN', 's', '0', 'COUNT', 'x'], ['SSCAN', 's', '0', 'COUNT'], ['SSCAN', 's', '0', 'MATCH'],
      ['SSCAN', 's', '0', 'TYPE', 'set'], ['SSCAN', 's', '0', 'NOVALUES'], ['SSCAN', 'nokey', '0', 'COUNT', '0'],
      ['SSCAN', 'str', '0'], ['SSCAN', 's', '0', 'COUNT', '-1']]) {
      await p.exact(...argv);                                         // exact
    }
  });

  test('a hashtable: every member once over a whole iteration', async () => {
    await setup(saddMany('h', 1000, 'm'));
    for (const options of [[], ['COUNT', '7'], ['COUNT', '100'], ['MATCH', 'm1*', 'COUNT', '50']]) {
      const r = await fullSscan(p.r, 'h', options, false);
      const l = await fullSscan(p.l, 'h', options, true);
      expect(l, `SSCAN ${options.join(' ')}`).toEqual(r);             // sorted: the same members
    }
  });

  test('a set of several MB: members removed in a scrambled order while others come, read back whole', async () => {
    // lapse keeps large sets' members in 256 KiB chunks (FieldTable): ~7 of them here, most
    // then emptied (moved out and dropped) and their pair numbers squeezed out in steps.
    const member = (i: number) => `member:${i}:${'m'.repeat(300 + (i % 300))}`;
    for (let k = 0; k < 4_000; k += 500) await p.exact('SADD', 'big', ...Array.from({ length: 500 }, (_, j) => member(k + j))); // exact: 500
    const order = Array.from({ length: 4_000 }, (_, i) => (i * 2_719) % 4_000);
    for (let k = 0; k < 3_000; k += 100) {
      await p.exact('SREM', 'big', ...order.slice(k, k + 100).map(member)); // exact: 100
      await p.exact('SADD', 'big', ...Array.from({ length: 20 }, (_, j) => `new:${k + j}`)); // exact: 20
    }
    await p.exact('SCARD', 'big');                                    // exact: 1600
    await p.exact('SMISMEMBER', 'big', ...order.slice(2_980, 3_020).map(member)); // exact: 0s then 1s
    await p.sorted('SMEMBERS', 'big');                                // sorted: members copied from their chunks
    for (const options of [['COUNT', '7'], ['COUNT', '1000']]) {
      const r = await fullSscan(p.r, 'big', options, false);
      const l = await fullSscan(p.l, 'big', options, true);
      expect(l, `SSCAN ${options.join(' ')}`).toEqual(r);             // sorted: the same members
    }
    await p.exact('DEBUG', 'DIGEST-VALUE', 'big');                    // exact: the same members
  });

  test('members present throughout are returned while others come and go', async () => {
    await setup(saddMany('h', 2000, 'm'));
    const seen = new Set<string>();
    let cursor = '0';
    let step = 0;
    do {
      const reply = decode(await p.l.call('SSCAN', 'h', cursor, 'COUNT', '37'));
      if (reply.type !== 'array') throw new Error('SSCAN');
      cursor = text(reply.value[0]!);
      for (const m of items(reply.value[1]!)) seen.add(m);
      // Remove some members not yet reached, add new ones, pop a few: squeezing may move members.
      await p.l.call('SREM', 'h', ...Array.from({ length: 40 }, (_, i) => `m${1500 + step * 40 + i}`).filter((m) => Number(m.slice(1)) < 2000 && Number(m.slice(1)) >= 1500));
      await p.l.call('SADD', 'h', `new${step}`);
      step++;
    } while (cursor !== '0' && step < 10_000);
    expect(cursor).toBe('0');
    for (let i = 0; i < 1500; i++) expect(seen.has(`m${i}`), `m${i} returned`).toBe(true);
  });
});

describe('RESP3', () => {
  test('sets where Redis replies sets, arrays where it replies arrays', async () => {
    await p.both(['HELLO', '3']);
    await setup(['SADD', 'i', '3', '1', '2'], ['SADD', 'h', 'a'], ['SADD', 'j', '2', '3', '4']);
    await p.exact('SMEMBERS', 'i');                                   // exact: ~3
    await p.exact('SMEMBERS', 'nokey');                               // exact: ~0
    await p.exact('SINTER', 'i', 'j');                                // exact: a set
    await p.exact('SINTER', 'i', 'nokey');                            // exact: ~0
    await p.exact('SUNION', 'i', 'j');                                // exact
    await p.exact('SDIFF', 'i', 'j');                                 // exact
    await p.exact('SDIFF', 'nokey', 'j');                             // exact: ~0
    await p.exact('SPOP', 'nokey');                                   // exact: _
    await p.exact('SPOP', 'nokey', '3');                              // exact: ~0
    await p.exact('SPOP', 'i', '0');                                  // exact: ~0
    await p.exact('SRANDMEMBER', 'nokey');                            // exact: _
    await p.exact('SRANDMEMBER', 'nokey', '3');                       // exact: *0, an array
    await p.exact('SRANDMEMBER', 'i', '5');                           // exact: *3, an array
    await p.exact('SRANDMEMBER', 'h', '-3');                          // exact: an array
    await p.exact('SMISMEMBER', 'i', '1', '9');                       // exact: an array of integers
    await p.exact('SSCAN', 'i', '0');                                 // exact
    await p.exact('SPOP', 'i', '5');                                  // exact: ~3, sorted
    const [r, l] = await p.both(['SPOP', 'j', '2']);
    checkRandom(decode(r), new Set(['2', '3', '4']), 2, true, 'set'); // property: a set of 2 (Redis)
    checkRandom(decode(l), new Set(['2', '3', '4']), 2, true, 'set'); // property: a set of 2 (lapse)
  });
});

describe('keyspace events and statistics', () => {
  test('the events Redis fires, in order', async () => {
    const rec = await EventRecorder.attach(p, 'gsxn');
    try {
      await sendBoth(
        ['SADD', 's', 'a', 'b', 'c'], ['SADD', 's', 'a'], ['SREM', 's', 'zz'], ['SREM', 's', 'a'], ['SMOVE', 's', 'd', 'b'],
        ['SMOVE', 's', 'd', 'zz'], ['SMOVE', 's', 'd', 'c'], ['SADD', 'd', 'x'], ['SMOVE', 'd', 'd', 'x'],
        ['SINTERSTORE', 'st', 'd', 'd'], ['SINTERSTORE', 'st', 'd', 'nokey'], ['SUNIONSTORE', 'st', 'd', 'nokey'],
        ['SDIFFSTORE', 'st', 'd', 'nokey'], ['SDIFFSTORE', 'st', 'd', 'd'], ['SDIFFSTORE', 'st', 'd', 'd'],
        ['SADD', 'p', '1', '2', '3', '4', '5', '6'], ['SPOP', 'p', '0'], ['SPOP', 'p', '1'], ['SPOP', 'p', '4'],
        ['SPOP', 'p', '10'], ['SADD', 'q', 'a'], ['SPOP', 'q'], ['SPOP', 'q'], ['SREM', 'd', 'b', 'c', 'x'],
        ['SINTER', 'nokey', 'nokey2'], ['SSCAN', 'nokey', '0'], ['SADD', 'r', 'x'], ['RENAME', 'r', 'r2'],
        ['SUNIONSTORE', 'r2', 'nokey'],
      );
      const [redis, lapse] = await rec.take();
      expect(lapse).toEqual(redis);                                   // exact: the same events in the same order
      for (const e of ['0 sadd s', '0 srem s', '0 del s', '0 new d', '0 sinterstore st', '0 sunionstore st', '0 sdiffstore st', '0 spop p', '0 del p', '0 del q', '0 del d']) {
        expect(redis).toContain(e);
      }
    } finally {
      rec.detach();
    }
  });

  test('keyspace hits and misses, and the dirty counter', async () => {
    await setup(['CONFIG', 'RESETSTAT']);
    const info = async (client: RawClient, section: string, names: string[]): Promise<number[]> => {
      const body = text(decode(await client.call('INFO', section)));
      return names.map((n) => Number(body.split('\r\n').find((line) => line.startsWith(`${n}:`))?.split(':')[1]));
    };
    const [rd] = await info(p.r, 'persistence', ['rdb_changes_since_last_save']);
    const [ld] = await info(p.l, 'persistence', ['rdb_changes_since_last_save']);
    await sendBoth(
      ['SADD', 's', 'a', 'b', 'c', 'd'], ['SADD', 's', 'a', 'e'], ['SREM', 's', 'a', 'b', 'zz'], ['SISMEMBER', 's', 'c'],
      ['SISMEMBER', 'nokey', 'c'], ['SMISMEMBER', 'nokey', 'a'], ['SCARD', 's'], ['SMEMBERS', 's'], ['SMEMBERS', 'nokey'],
      ['SMOVE', 's', 'd2', 'c'], ['SMOVE', 's', 'd2', 'zz'], ['SINTER', 's', 'd2', 'nokey'], ['SINTERCARD', '2', 's', 'd2'],
      ['SINTERSTORE', 'st', 's', 'd2'], ['SUNIONSTORE', 'st', 's', 'd2'], ['SDIFFSTORE', 'st', 's', 'nokey'],
      ['SUNION', 's', 'nokey'], ['SDIFF', 'nokey', 's'], ['SRANDMEMBER', 's'], ['SRANDMEMBER', 'nokey', '3'],
      ['SSCAN', 's', '0'], ['SSCAN', 'nokey', '0'], ['SADD', 'p', '1', '2', '3', '4', '5', '6', '7'], ['SPOP', 'p', '2'],
      ['SPOP', 'p', '4'], ['SPOP', 'p'], ['SPOP', 'p', '5'], ['SPOP', 'nokey'], ['SREM', 's', 'd', 'e'],
    );
    expect(await info(p.l, 'stats', ['keyspace_hits', 'keyspace_misses'])).toEqual(await info(p.r, 'stats', ['keyspace_hits', 'keyspace_misses'])); // exact fields
    const [ra] = await info(p.r, 'persistence', ['rdb_changes_since_last_save']);
    const [la] = await info(p.l, 'persistence', ['rdb_changes_since_last_save']);
    expect(la! - ld!).toBe(ra! - rd!);                                // exact: the same number of changes
  });
});

describe('COMMAND and types', () => {
  test('COMMAND INFO and DOCS, TYPE, SCAN TYPE', async () => {
    for (const name of ['sadd', 'srem', 'smembers', 'sismember', 'smismember', 'scard', 'spop', 'srandmember', 'smove',
      'sinter', 'sintercard', 'sinterstore', 'sunion', 'sunionstore', 'sdiff', 'sdiffstore', 'sscan']) {
      await p.exact('COMMAND', 'INFO', name);                         // exact
      const [r, l] = await p.both(['COMMAND', 'DOCS', name]);
      expect(show(l), `COMMAND DOCS ${name}`).toBe(show(r));          // exact
    }
    await setup(['SADD', 's', '1'], ['SET', 'str', 'x']);
    await p.exact('TYPE', 's');                                       // exact: set
    await p.exact('SCAN', '0', 'TYPE', 'set');                        // exact: s
    await p.exact('MULTI');                                           // exact
    await p.exact('SADD', 's', '2');                                  // exact: QUEUED
    await p.exact('SMEMBERS', 's');                                   // exact: QUEUED
    await p.exact('SPOP', 'str');                                     // exact: QUEUED
    await p.exact('EXEC');                                            // exact: 1, members, WRONGTYPE
  });
});

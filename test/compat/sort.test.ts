import { describe, expect, test } from 'vitest';
import { pairSuite, show } from './harness.js';
import { EventRecorder } from '../helpers/keyspace-events.js';
import { decodeReply, type Reply } from '../helpers/resp.js';
import { ZSetValue } from '../../src/keyspace/zset.js';
import { parseSortWeight } from '../../src/commands/sort-commands.js';

/**
 * SORT and SORT_RO against Redis 7.0.15, one command per line, in the spirit of Redis's
 * tests/unit/sort.tcl. Sorted replies are deterministic in Redis (ties broken by the
 * elements' bytes, or by the container's order in a stable sort), so they are compared
 * exactly; only BY <constant> on a set in hashtable encoding returns the set's internal
 * order, compared as a set ("sorted") on its line. An intset's internal order is
 * ascending in both servers, compared exactly.
 */

const p = pairSuite({ redis: ['--notify-keyspace-events', 'Egl'] });

async function setup(...commands: string[][]): Promise<void> {
  await p.run(commands);
}

function items(r: Reply): string[] {
  if (r.type !== 'array') throw new Error(`not an array: ${JSON.stringify(r)}`);
  return r.value.map((x) => (x.type === 'bulk' ? x.value.toString('latin1') : x.type));
}

/** A deterministic pseudo-random sequence (the datasets must be the same on both servers). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** sort.tcl's create_random_dataset: elements 0..n-1 pushed with cmd, weight_i and wobj_i.weight distinct. */
async function randomDataset(n: number, push: 'LPUSH' | 'SADD', seed: number): Promise<string[]> {
  const rand = lcg(seed);
  const seen = new Set<string>();
  const weights: [number, number][] = [];
  const elements = [];
  const mset = ['MSET'];
  const pipeline: string[][] = [];
  for (let i = 0; i < n; i++) {
    let w: string;
    do w = rand() < 0.5 ? String(Math.floor(rand() * 1_000_000)) : String(rand());
    while (seen.has(w));
    seen.add(w);
    elements.push(String(i));
    mset.push(`weight_${i}`, w);
    pipeline.push(['HSET', `wobj_${i}`, 'weight', w]);
    weights.push([i, Number(w)]);
  }
  for (let i = 0; i < n; i += 1000) await p.exact(push, 'tosort', ...elements.slice(i, i + 1000));
  await p.exact(...mset);
  for (const c of pipeline) await p.both(c);
  return weights.sort((a, b) => a[1] - b[1]).map(([i]) => String(i));
}

describe('SORT of lists, sets and sorted sets', () => {
  test('numeric, DESC, ALPHA, floats, integer-encoded strings', async () => {
    await setup(['RPUSH', 'l', '3', '1', '10', '2', '-5', '1.5', '0x10', ' 7', '1e2', 'inf', '-inf', '', '+4']);
    await p.exact('SORT', 'l');                                        // exact
    await p.exact('SORT', 'l', 'DESC');                                // exact
    await p.exact('SORT', 'l', 'ALPHA');                               // exact
    await p.exact('SORT', 'l', 'ALPHA', 'DESC');                       // exact
    await p.exact('SORT', 'l', 'asc', 'desc', 'asc');                  // exact: the last order wins
    await setup(['RPUSH', 'm', '2', '1', '3', '10']);
    await p.exact('SORT', 'm', 'ALPHA');                               // exact: 1 10 2 3
    await setup(['RPUSH', 'f', '1.1', '5.10', '3.10', '7.44', '2.1', '5.75', '6.12', '0.25', '1.15']);
    await p.exact('SORT', 'f');                                        // exact: issue #19
    // Equal scores are ordered by the elements' bytes, also backwards with DESC.
    await setup(['RPUSH', 'eq', '1.0', '1', '01', '1e0', '2', '0x1']);
    await p.exact('SORT', 'eq');                                       // exact
    await p.exact('SORT', 'eq', 'DESC');                               // exact
  });

  test('numeric weights that do not parse', async () => {
    await setup(['SADD', 's', '1', '2', '3', '4', 'not-a-double']);
    await p.exact('SORT', 's');                                        // exact: the double error
    // Good weights first: sort.c tests errno without clearing it, so after an ERANGE Redis
    // may refuse even "" until some other call resets errno (lapse does not copy that).
    for (const good of ['', '  5', '\t6', 'infinity', '-INF', '0e-400', '2.2250738585072014e-308', '0x1p3', '7\x00junk']) {
      await setup(['DEL', 'g'], ['RPUSH', 'g', '1', '100', good]);
      await p.exact('SORT', 'g');                                      // exact
    }
    for (const bad of ['nan', '1e400', '-1e400', '1e-400', '2e-308', '5 ', ' ', '0x', '1,5', '--1']) {
      await setup(['DEL', 'b'], ['RPUSH', 'b', '1', bad]);
      await p.exact('SORT', 'b');                                      // exact: error
    }
    await setup(['SADD', 'ms', '1', '2', '3', '4'], ['MSET', 'score:1', '10', 'score:2', '20', 'score:3', '30', 'score:4', 'not-a-double']);
    await p.exact('SORT', 'ms', 'BY', 'score:*');                      // exact: error
    await p.exact('SORT', 'ms', 'BY', 'score:*', 'STORE', 'dst');      // exact: error, nothing stored
    await p.exact('EXISTS', 'dst');                                    // exact
    // The error comes after the sort, even with an empty LIMIT window.
    await p.exact('SORT', 'ms', 'BY', 'score:*', 'LIMIT', '0', '0');   // exact
  });

  test('sorted sets: by member, BY nosort keeps score order, LIMIT on it', async () => {
    await setup(['ZADD', 'z', '1', 'a', '5', 'b', '2', 'c', '10', 'd', '3', 'e']);
    await p.exact('SORT', 'z', 'ALPHA', 'DESC');                       // exact
    await p.exact('SORT', 'z', 'BY', 'nosort', 'ASC');                 // exact
    await p.exact('SORT', 'z', 'BY', 'nosort', 'DESC');                // exact
    for (const [off, cnt] of [['0', '1'], ['0', '2'], ['1', '2'], ['3', '10'], ['5', '10'], ['-10', '100'], ['4', '1'], ['2', '0'], ['2', '-1']]) {
      await p.exact('SORT', 'z', 'BY', 'nosort', 'LIMIT', off!, cnt!);          // exact
      await p.exact('SORT', 'z', 'BY', 'nosort', 'DESC', 'LIMIT', off!, cnt!);  // exact
    }
    await setup(['ZADD', 'zn', '3', '10', '1', '30', '2', '20', '-inf', '7', '+inf', '-7']);
    await p.exact('SORT', 'zn');                                       // exact: numeric by member
    await p.exact('SORT', 'zn', 'BY', 'nosort', 'GET', '#');           // exact: score order
    // sort.c converts a listpack sorted set to a skiplist for good.
    const redis = await p.r.call('OBJECT', 'ENCODING', 'z');
    expect(show(redis)).toBe(show(Buffer.from('$8\r\nskiplist\r\n')));
    const db0 = p.lapse.keyspace.dbs[0]!;
    expect((db0.valueOf(db0.peek('z')!) as ZSetValue).encoding()).toBe('skiplist');
  });

  test('BY nosort keeps a list\'s order (LIMIT, DESC), a set\'s internal order', async () => {
    await setup(['LPUSH', 'testa', '2', '1', '4', '3', '5']);
    await p.exact('SORT', 'testa', 'BY', 'nosort');                    // exact: 5 3 4 1 2
    await p.exact('SORT', 'testa', 'BY', 'nosort', 'DESC');            // exact
    await p.exact('SORT', 'testa', 'BY', 'nosort', 'LIMIT', '1', '3'); // exact
    await p.exact('SORT', 'testa', 'BY', 'nosort', 'DESC', 'LIMIT', '1', '3'); // exact
    await p.exact('SORT', 'testa', 'BY', 'nosort', 'STORE', 'testb');  // exact
    await p.exact('LRANGE', 'testb', '0', '-1');                       // exact
    await p.exact('SORT', 'testa', 'BY', 'nosort', 'LIMIT', '0', '3', 'STORE', 'testb'); // exact
    await p.exact('LRANGE', 'testb', '0', '-1');                       // exact: 5 3 4
    await p.exact('SORT', 'testa', 'BY', 'no*sort\x00');               // exact: a '*' makes it a pattern
    await p.exact('SORT', 'testa', 'BY', 'nosort\x00*');               // exact: a '*' after a NUL does not
    await setup(['SADD', 'iset', '5', '-3', '100', '7']);
    await p.exact('SORT', 'iset', 'BY', 'nosort');                     // exact: an intset is ascending in both
    await setup(['SADD', 'hset', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'z', 'aa', 'aaa', 'azz']);
    await p.sorted('SORT', 'hset', 'BY', 'nosort');                    // sorted: a hashtable's internal order
    // With STORE a set is sorted ALPHA instead (a constant BY has no order to keep).
    await p.exact('SORT', 'hset', 'ALPHA', 'BY', '_', 'STORE', 'mylist'); // exact
    await p.exact('LRANGE', 'mylist', '0', '-1');                      // exact: sorted
    await p.exact('SORT', 'hset', 'BY', '_', 'DESC', 'STORE', 'mylist'); // exact
    await p.exact('LRANGE', 'mylist', '0', '-1');                      // exact: ALPHA, DESC kept
  });

  test('BY patterns: keys, hash fields, missing weights, equal weights', async () => {
    await setup(
      ['SADD', 'myset', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'z', 'aa', 'aaa', 'azz'],
    );
    for (const e of ['a', 'aa', 'aaa', 'azz', 'b', 'c']) await setup(['SET', `score:${e}`, '100']);
    await p.exact('SORT', 'myset', 'BY', 'score:*');                   // exact: equal weights by bytes, missing ones are 0
    await p.exact('SORT', 'myset', 'BY', 'score:*', 'DESC');           // exact
    await setup(['RPUSH', 'l', 'x', 'y', 'z', 'w', 'v'], ['MSET', 'k_x', 'b', 'k_y', 'a', 'k_z', 'b'], ['HSET', 'h_x', 'f', '3', 'g', 'q'], ['HSET', 'h_w', 'f', '-1']);
    await p.exact('SORT', 'l', 'BY', 'k_*', 'ALPHA');                  // exact: missing weights first, equal ones in list order
    await p.exact('SORT', 'l', 'BY', 'k_*', 'ALPHA', 'DESC');          // exact
    await p.exact('SORT', 'l', 'BY', 'k_*', 'ALPHA', 'STORE', 'o');    // exact
    await p.exact('LRANGE', 'o', '0', '-1');                           // exact
    await p.exact('SORT', 'l', 'BY', 'h_*->f');                        // exact
    await p.exact('SORT', 'l', 'BY', 'h_*->f', 'DESC', 'GET', '#', 'GET', 'h_*->f', 'GET', 'h_*->g'); // exact
    await p.exact('SORT', 'l', 'BY', 'h_*->g', 'ALPHA');               // exact
    await p.exact('SORT', 'l', 'BY', 'k_*');                           // exact: 'a' and 'b' are not numbers
    // A weight key of another type counts as missing.
    await setup(['RPUSH', 'k_v', '1'], ['SET', 'h_y', 'string']);
    await p.exact('SORT', 'l', 'BY', 'k_*', 'ALPHA', 'GET', 'k_*');    // exact
    await p.exact('SORT', 'l', 'BY', 'h_*->f', 'GET', 'h_*->f');       // exact
    // Only the first '*' is substituted; "->" must follow it and have a field after it.
    await setup(['SET', 'x:a->', '100'], ['RPUSH', 'one', 'a'], ['SET', 'pa*', '5'], ['HSET', 'x:a', 'f->g', 'deep']);
    await p.exact('SORT', 'one', 'BY', 'num', 'GET', 'x:*->');         // exact: 100
    await p.exact('SORT', 'one', 'GET', 'p**');                        // exact
    await p.exact('SORT', 'one', 'GET', 'x:*->f->g');                  // exact: the field is "f->g"
    await p.exact('SORT', 'one', 'GET', 'x->:*');                      // exact: "->" before the '*' is part of the key
    await p.exact('SORT', 'one', 'GET', '#\x00x', 'GET', 'nostar', 'GET', '#x'); // exact
  });

  test('BY with big lists and sets, LIMIT, hash fields (sort.tcl datasets)', async () => {
    for (const [n, push, seed] of [[16, 'LPUSH', 1], [1000, 'LPUSH', 2], [10000, 'LPUSH', 3], [16, 'SADD', 4], [1000, 'SADD', 5], [10000, 'SADD', 6]] as const) {
      await p.exact('FLUSHALL');
      const expected = await randomDataset(n, push, seed);
      const [byKey] = await p.both(['SORT', 'tosort', 'BY', 'weight_*']);
      expect(items(decodeReply(byKey)!.reply)).toEqual(expected);
      await p.exact('SORT', 'tosort', 'BY', 'weight_*');               // exact
      await p.exact('SORT', 'tosort', 'BY', 'weight_*', 'LIMIT', '5', '5'); // exact
      await p.exact('SORT', 'tosort', 'BY', 'wobj_*->weight');         // exact
      await p.exact('SORT', 'tosort', 'BY', 'wobj_*->weight', 'DESC', 'LIMIT', '3', '7', 'GET', '#', 'GET', 'weight_*'); // exact
      await p.exact('SORT', 'tosort');                                 // exact
      await p.exact('SORT', 'tosort', 'LIMIT', '0', '10', 'ALPHA', 'DESC'); // exact
      await p.exact('SORT', 'tosort', 'BY', 'weight_*', 'STORE', 'sort-res'); // exact
      await p.exact('LRANGE', 'sort-res', '0', '-1');                  // exact
      await p.exact('OBJECT', 'ENCODING', 'sort-res');                 // exact: quicklist
    }
  }, 120_000);

  test('GET: #, constants, missing keys, several patterns', async () => {
    await setup(['RPUSH', 'l', '3', '1', '2'], ['SET', 'w_1', 'one'], ['HSET', 'o_2', 'n', 'two']);
    await p.exact('SORT', 'l', 'GET', '#');                            // exact
    await p.exact('SORT', 'l', 'GET', 'foo');                          // exact: nils
    await p.exact('SORT', 'l', 'GET', '#', 'GET', 'w_*', 'GET', 'o_*->n', 'GET', 'o_*->missing'); // exact
    await p.exact('SORT', 'l', 'GET', 'w_*', 'STORE', 'd');            // exact
    await p.exact('LRANGE', 'd', '0', '-1');                           // exact: missing values stored as ""
    await p.exact('SORT', 'l', 'LIMIT', '1', '1', 'GET', '#', 'GET', '#'); // exact
  });

  test('LIMIT corners', async () => {
    await setup(['RPUSH', 'l', '5', '3', '1', '4', '2']);
    const limits = [['0', '0'], ['0', '-1'], ['-5', '2'], ['2', '100'], ['4', '1'], ['5', '1'], ['100', '10'],
      ['9223372036854775807', '9223372036854775807'], ['-9223372036854775808', '-9223372036854775808'], ['1', '9223372036854775807']];
    for (const [off, cnt] of limits) {
      await p.exact('SORT', 'l', 'LIMIT', off!, cnt!);                 // exact
      await p.exact('SORT', 'l', 'LIMIT', off!, cnt!, 'DESC');         // exact
      await p.exact('SORT', 'l', 'BY', 'nosort', 'LIMIT', off!, cnt!); // exact
      await p.exact('SORT', 'l', 'BY', 'nosort', 'DESC', 'LIMIT', off!, cnt!); // exact
      await p.exact('SORT_RO', 'l', 'BY', 'a', 'LIMIT', off!, cnt!);  // exact
    }
    await p.exact('SORT', 'l', 'LIMIT', '1', '2', 'LIMIT', '0', '1');  // exact: the last LIMIT wins
    await p.exact('SORT', 'missing', 'LIMIT', '1', '2');               // exact: empty
  });

  test('errors: syntax, integers, WRONGTYPE, SORT_RO and STORE', async () => {
    await setup(['RPUSH', 'l', '1'], ['SET', 'str', 'x'], ['HSET', 'h', 'f', 'v']);
    const cases = [
      ['SORT'], ['SORT_RO'], ['SORT', 'l', 'foo'], ['SORT', 'l', 'LIMIT', '1'], ['SORT', 'l', 'LIMIT', 'a', 'b'],
      ['SORT', 'l', 'LIMIT', '1', 'b'], ['SORT', 'l', 'LIMIT', '1', '1.5'], ['SORT', 'l', 'LIMIT', '9223372036854775808', '1'],
      ['SORT', 'l', 'BY'], ['SORT', 'l', 'GET'], ['SORT', 'l', 'STORE'], ['SORT_RO', 'l', 'STORE', 'x'],
      ['SORT_RO', 'foolist', 'STORE', 'bar'], ['SORT', 'str'], ['SORT', 'h', 'BY', 'nosort'], ['SORT_RO', 'str'],
      ['SORT', 'str', 'foo'], ['SORT', 'str', 'LIMIT', 'x', '1'], ['SORT', 'l', 'ALPHA\x00x', 'DESC\x00'],
    ];
    for (const c of cases) await p.exact(...c);                        // exact
    await p.exact('EXISTS', 'x');                                      // exact
  });

  test('STORE: replaces, drops the TTL, deletes on empty, events and dirty counts', async () => {
    const rec = await EventRecorder.attach(p, 'gl');
    await setup(['RPUSH', 'src', 'c', 'a', 'b'], ['SET', 'dst', 'old', 'EX', '100'], ['CONFIG', 'RESETSTAT']);
    await rec.take();
    const dirty = async (): Promise<[number, number]> => {
      const grab = (b: Buffer) => Number(/rdb_changes_since_last_save:(\d+)/.exec(b.toString('latin1'))![1]);
      const [a, b] = await p.both(['INFO', 'persistence']);
      return [grab(a), grab(b)];
    };
    const [r0, l0] = await dirty();
    await p.exact('SORT', 'src', 'ALPHA', 'STORE', 'dst');            // exact: 3
    await p.exact('TTL', 'dst');                                       // exact: -1
    await p.exact('TYPE', 'dst');                                      // exact
    await p.exact('OBJECT', 'ENCODING', 'dst');                        // exact
    const [r1, l1] = await dirty();
    expect(l1 - l0).toBe(r1 - r0);
    await p.exact('SORT', 'src', 'ALPHA', 'GET', '#', 'GET', 'nope', 'STORE', 'dst'); // exact: 6
    const [r2, l2] = await dirty();
    expect(l2 - l1).toBe(r2 - r1);
    await p.exact('SORT', 'src', 'LIMIT', '10', '10', 'STORE', 'dst'); // exact: 0, dst deleted
    await p.exact('EXISTS', 'dst');                                    // exact
    await p.exact('SORT', 'src', 'LIMIT', '10', '10', 'STORE', 'dst'); // exact: 0, nothing to delete
    await p.exact('SORT', 'nosuch', 'STORE', 'src');                   // exact: 0, src deleted
    await p.exact('EXISTS', 'src');                                    // exact
    const [r3, l3] = await dirty();
    expect(l3 - l2).toBe(r3 - r2);
    await setup(['RPUSH', 'self', '3', '1', '2']);
    await rec.take();
    await p.exact('SORT', 'self', 'STORE', 'self');                    // exact: onto itself
    await p.exact('LRANGE', 'self', '0', '-1');                        // exact
    const [redisEvents, lapseEvents] = await rec.take();
    expect(lapseEvents).toEqual(redisEvents);
    rec.detach();
  });

  test('STORE with expiring keys: the source, the weights and the destination', async () => {
    await setup(['RPUSH', 'src', '2', '1', '3'], ['MSET', 'w_1', '3', 'w_2', '2', 'w_3', '1'], ['PEXPIRE', 'w_3', '1'], ['PEXPIRE', 'src2', '1']);
    await setup(['RPUSH', 'gone', '1'], ['PEXPIRE', 'gone', '1'], ['SET', 'dst', 'v'], ['PEXPIRE', 'dst', '1']);
    await new Promise((r) => setTimeout(r, 20));
    await p.exact('SORT', 'src', 'BY', 'w_*', 'GET', 'w_*', 'STORE', 'dst'); // exact: w_3 expired (weight 0, "")
    await p.exact('LRANGE', 'dst', '0', '-1');                         // exact
    await p.exact('PTTL', 'dst');                                      // exact: -1
    await p.exact('SORT', 'gone', 'STORE', 'dst');                     // exact: 0, dst deleted
    await p.exact('EXISTS', 'dst');                                    // exact
  });

  test('inside MULTI, and in RESP3', async () => {
    await setup(['ZADD', 'zset', '1', 'a', '5', 'b', '2', 'c', '10', 'd', '3', 'e']);
    await p.exact('MULTI');                                            // exact
    await p.exact('SORT', 'zset', 'BY', 'nosort', 'ASC');             // exact: QUEUED
    await p.exact('SORT', 'zset', 'BY', 'nosort', 'DESC');            // exact
    await p.exact('SORT', 'zset', 'ALPHA', 'STORE', 'out');           // exact
    await p.exact('SORT_RO', 'out', 'GET', '#', 'GET', 'missing_*');  // exact
    await p.exact('SORT', 'zset', 'bad');                              // exact: QUEUED, fails at EXEC
    await p.exact('EXEC');                                             // exact
    const [a, b] = await p.both(['HELLO', '3']);
    expect(a[0]).toBe(b[0]);
    await p.exact('SORT', 'out', 'GET', '#', 'GET', 'missing_*');      // exact: RESP3 nulls
    await p.exact('SORT', 'out', 'STORE', 'x');                        // exact
    await p.exact('SORT', 'x', 'BY', 'y*', 'ALPHA');                   // exact: weights all missing
  });

  test('ACL: BY and GET patterns need access to every key; STORE needs write access', async () => {
    await p.exact('ACL', 'SETUSER', 'sorter', 'on', '>pw', '+@all', '~l*', '~dst');
    await p.exact('ACL', 'SETUSER', 'reader', 'on', '>pw', '+@all', '%R~*', '%W~out');
    await p.exact('ACL', 'SETUSER', 'sel', 'on', '>pw', '+@all', '~l*', '(+sort ~*)');
    await setup(['RPUSH', 'l', '2', '1'], ['SET', 'w_1', '5']);
    const [rc, lc] = await p.connect();
    const on: [typeof rc, typeof lc] = [rc, lc];
    await p.exactOn(on, 'AUTH', 'sorter', 'pw');                       // exact
    await p.exactOn(on, 'SORT', 'l');                                  // exact
    await p.exactOn(on, 'SORT', 'l', 'BY', 'nosort');                  // exact: a constant BY is allowed
    await p.exactOn(on, 'SORT', 'l', 'BY', 'w_*');                     // exact: BY denied
    await p.exactOn(on, 'SORT', 'l', 'GET', '#');                      // exact: GET denied
    await p.exactOn(on, 'SORT_RO', 'l', 'GET', 'w_*');                 // exact: GET denied
    await p.exactOn(on, 'SORT', 'l', 'LIMIT', 'x', '1', 'GET', '#');   // exact: options in order
    await p.exactOn(on, 'SORT', 'l', 'STORE', 'dst');                  // exact
    await p.exactOn(on, 'SORT', 'l', 'STORE', 'other');                // exact: NOPERM on the STORE key
    await p.exactOn(on, 'SORT', 'other');                              // exact: NOPERM
    await p.exactOn(on, 'AUTH', 'reader', 'pw');                       // exact
    await p.exactOn(on, 'SORT', 'l', 'BY', 'w_*', 'GET', 'w_*');       // exact: %R~* reads every key
    await p.exactOn(on, 'SORT', 'l', 'BY', 'w_*', 'STORE', 'out');     // exact
    await p.exactOn(on, 'SORT', 'l', 'STORE', 'l');                    // exact: NOPERM (no write on l)
    await p.exactOn(on, 'AUTH', 'sel', 'pw');                          // exact
    await p.exactOn(on, 'SORT', 'l', 'GET', 'w_*');                    // exact: the selector with ~* allows it
    await p.exactOn(on, 'SORT_RO', 'l', 'GET', 'w_*');                 // exact: no selector allows both
    await p.exactOn(on, 'ACL', 'LOG', 'RESET');                        // exact
    rc.close();
    lc.close();
    for (const u of ['sorter', 'reader', 'sel']) await p.exact('ACL', 'DELUSER', u);
  });

  test('COMMAND GETKEYS and GETKEYSANDFLAGS', async () => {
    const cases = [
      ['sort', 'abc', 'store', 'def'], ['sort_ro', 'abc'], ['sort', 'abc', 'store', 'invalid', 'store', 'stillbad', 'store', 'def'],
      ['sort', 'abc'], ['sort', 'abc', 'store'], ['sort', 'abc', 'limit', 'store', 'x', 'store', 'y'], ['sort', 'abc', 'get', 'store', 'x'],
      ['sort', 'abc', 'by', 'store', 'store', 'z'], ['sort', 'abc', 'STORE', 'get', 'x'], ['sort_ro', 'abc', 'store', 'x'],
    ];
    for (const c of cases) {
      await p.exact('COMMAND', 'GETKEYS', ...c);                       // exact
      await p.exact('COMMAND', 'GETKEYSANDFLAGS', ...c);               // exact
    }
    await p.exact('COMMAND', 'INFO', 'sort', 'sort_ro');               // exact
  });
});

describe('parseSortWeight (strtod as sort.c reads it)', () => {
  test('accepts what strtod reads to the end, refuses ERANGE and NaN', () => {
    expect(parseSortWeight('')).toBe(0);
    expect(parseSortWeight(' 1.5')).toBe(1.5);
    expect(parseSortWeight('0x10')).toBe(16);
    expect(parseSortWeight('-inf')).toBe(-Infinity);
    expect(parseSortWeight('1e-400')).toBeNaN();
    expect(parseSortWeight('1e400')).toBeNaN();
    expect(parseSortWeight('4e-320')).toBeNaN();
    expect(parseSortWeight('0.0e-999')).toBe(0);
    expect(parseSortWeight('1 ')).toBeNaN();
    expect(parseSortWeight('nan')).toBeNaN();
    expect(parseSortWeight('3\x00x')).toBe(3);
  });
});

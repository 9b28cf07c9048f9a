import { describe, expect, test } from 'vitest';
import { pairSuite, type Pair } from './harness.js';
import type { RawClient } from '../helpers/raw-client.js';

/**
 * Blocking list and sorted-set commands, differentially (src/commands/blocking.ts and
 * the list and sorted-set groups): clients that block on keys on both servers, served
 * in the order they blocked, by pushes alone or inside MULTI, timeouts, CLIENT UNBLOCK,
 * a key of another type, a client that goes away, commands sent behind a blocked one.
 * Each step waits until both servers report the expected INFO blocked_clients, so the
 * order in which clients block is the same on both. Replies are compared exactly.
 */

const p = pairSuite();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** INFO clients' blocked_clients of one server. */
async function blockedOn(c: RawClient): Promise<number> {
  const text = (await c.call('INFO', 'clients')).toString('latin1');
  return Number(/blocked_clients:(\d+)/.exec(text)![1]);
}

/** Waits until each server reports n blocked clients (at most 5 s). */
async function waitBlocked(pair: Pair, n: number): Promise<void> {
  const until = Date.now() + 5000;
  for (;;) {
    const [r, l] = [await blockedOn(pair.r), await blockedOn(pair.l)];
    if (r === n && l === n) return;
    if (Date.now() > until) throw new Error(`blocked clients: redis ${r}, lapse ${l}, expected ${n}`);
    await sleep(5);
  }
}

/** Sends args on a new connection to each server (it blocks), and waits until `blocked` clients are blocked. */
async function block(pair: Pair, blocked: number, ...args: string[]): Promise<[RawClient, RawClient]> {
  const on = await pair.connect();
  on[0].send(...args);
  on[1].send(...args);
  await waitBlocked(pair, blocked);
  return on;
}

/** The next reply on each connection, compared exactly. */
async function sameReply(on: [RawClient, RawClient], timeoutMs = 2000): Promise<string> {
  const [r, l] = [await on[0].readReplyBytes(timeoutMs), await on[1].readReplyBytes(timeoutMs)];
  expect(l.toString('latin1')).toBe(r.toString('latin1'));
  return r.toString('latin1');
}

/** Nothing arrives on either connection within ms. */
async function silent(on: [RawClient, RawClient], ms = 100): Promise<void> {
  await sleep(ms);
  expect(on[1].pending().toString('latin1')).toBe(on[0].pending().toString('latin1'));
  expect(on[0].pending().length).toBe(0);
}

describe('BLPOP, BRPOP', () => {
  test('a list with elements answers at once; errors', async () => {
    await p.exact('RPUSH', 'l', 'a', 'b', 'c');                   // exact
    await p.exact('BLPOP', 'none', 'l', '0');                       // exact: the first non-empty key
    await p.exact('BRPOP', 'l', '0');                               // exact
    await p.exact('SET', 's', 'x');                                 // exact
    await p.exact('BLPOP', 's', '0');                               // exact: WRONGTYPE
    await p.exact('BLPOP', 'none', 's', '0');                       // exact: WRONGTYPE after an empty key
    // Enough elements that a timeout Redis accepts (0x10, -0.0001: 0, for ever) pops at once.
    await p.exact('RPUSH', 'l', ...Array.from({ length: 20 }, (_, i) => `e${i}`)); // exact
    for (const t of ['-1', 'abc', '', ' 1', '1x', 'inf', '-inf', 'nan', '1e400', '-0.0001', '0x10', '1e5000', '0.001', '9223372036854775']) {
      await p.exact('BLPOP', 'l', t);                               // exact: timeout parsing
    }
    await p.exact('BLPOP', 'l');                                    // exact: arity
  });

  test('times out with a null array, RESP2 and RESP3', async () => {
    const on = await block(p, 1, 'BLPOP', 'nothing', '0.05');
    await sameReply(on);                                            // exact: *-1
    const on3 = await p.connect();
    for (const c of on3) await c.call('HELLO', '3');
    for (const c of on3) c.send('BRPOP', 'nothing', '0.05');
    await sameReply(on3);                                           // exact: _ in RESP3
    await waitBlocked(p, 0);
  });

  test('clients blocked on one key are served in the order they blocked, by one push', async () => {
    const a = await block(p, 1, 'BLPOP', 'k', '0');
    const b = await block(p, 2, 'BRPOP', 'k', '0');
    const c = await block(p, 3, 'BLPOP', 'k', '0');
    await p.exact('RPUSH', 'k', 'x', 'y', 'z');                     // exact: answered 3 (before the pops)
    await sameReply(a);                                             // exact: k x
    await sameReply(b);                                             // exact: k z
    await sameReply(c);                                             // exact: k y
    await waitBlocked(p, 0);
    await p.exact('EXISTS', 'k');                                   // exact: emptied, deleted
  });

  test('a push of fewer elements than waiters serves the first ones; the rest wait', async () => {
    const a = await block(p, 1, 'BLPOP', 'k', '0');
    const b = await block(p, 2, 'BLPOP', 'k', '0');
    await p.exact('LPUSH', 'k', 'only');                           // exact
    await sameReply(a);                                             // exact
    await silent(b);
    await p.exact('LPUSH', 'k', 'next');                           // exact
    await sameReply(b);                                             // exact
  });

  test('blocked on several keys: served from the one that gets elements', async () => {
    const a = await block(p, 1, 'BLPOP', 'k1', 'k2', 'k3', '0');
    await p.exact('RPUSH', 'k2', 'v');                              // exact
    await sameReply(a);                                             // exact: k2 v
  });

  test('pushes inside MULTI serve once EXEC ends, keys in the order they were created', async () => {
    const a = await block(p, 1, 'BLPOP', 'k1', 'k2', '0');
    await p.exact('MULTI');                                         // exact
    await p.exact('RPUSH', 'k2', 'from-k2');                        // exact: QUEUED
    await p.exact('RPUSH', 'k1', 'from-k1');                        // exact: QUEUED
    await p.exact('EXEC');                                          // exact
    await sameReply(a);                                             // exact: k2 first (Redis 7.0 serves ready keys in order)
    await p.exact('LRANGE', 'k1', '0', '-1');                       // exact: k1 kept its element
  });

  test('a push and a pop in one MULTI: the blocked client finds nothing', async () => {
    const a = await block(p, 1, 'BLPOP', 'k', '0');
    await p.exact('MULTI');                                         // exact
    await p.exact('LPUSH', 'k', 'v');                               // exact
    await p.exact('LPOP', 'k');                                     // exact
    await p.exact('EXEC');                                          // exact
    await silent(a);
    await p.exact('LPUSH', 'k', 'w');                               // exact
    await sameReply(a);                                             // exact
  });

  test('inside MULTI a blocking pop does not block: a null array for an empty key', async () => {
    await p.exact('MULTI');                                         // exact
    await p.exact('BLPOP', 'empty', '0');                           // exact: QUEUED
    await p.exact('BRPOP', 'empty', '10');                          // exact
    await p.exact('EXEC');                                          // exact: *2 *-1 *-1
  });

  test('commands sent behind a blocked one wait for it, then run in order', async () => {
    const on = await p.connect();
    for (const c of on) c.write('*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$5\r\nafter\r\n');
    await waitBlocked(p, 1);
    await silent(on);
    await p.exact('RPUSH', 'q', 'item');                            // exact
    await sameReply(on);                                            // exact: q item
    await sameReply(on);                                            // exact: PONG
    await sameReply(on);                                            // exact: after
  });

  test('the change counter (rdb_changes_since_last_save) after a push that serves blocked clients', async () => {
    const dirty = async (c: RawClient) => Number(/rdb_changes_since_last_save:(\d+)/.exec((await c.call('INFO', 'persistence')).toString('latin1'))![1]);
    const a = await block(p, 1, 'BLPOP', 'k', '0');
    const b = await block(p, 2, 'BLMOVE', 'k2', 'd', 'LEFT', 'LEFT', '0');
    const before = [await dirty(p.r), await dirty(p.l)];
    await p.exact('RPUSH', 'k', 'x', 'y');                          // exact
    await sameReply(a);                                             // exact
    await p.exact('RPUSH', 'k2', 'z');                              // exact
    await sameReply(b);                                             // exact
    const m = await block(p, 1, 'BLMPOP', '0', '1', 'k3', 'LEFT', 'COUNT', '2');
    await p.exact('RPUSH', 'k3', '1', '2', '3');                    // exact
    await sameReply(m);                                             // exact
    const z = await block(p, 1, 'BZPOPMIN', 'z', '0');
    await p.exact('ZADD', 'z', '1', 'a', '2', 'b');                 // exact
    await sameReply(z);                                             // exact
    const after = [await dirty(p.r), await dirty(p.l)];
    expect(after[1]! - before[1]!).toBe(after[0]! - before[0]!);   // exact: the same count of changes
  });

  test('a key that becomes another type leaves the client waiting; a list later serves it', async () => {
    const a = await block(p, 1, 'BLPOP', 'k', '0');
    await p.exact('SET', 'k', 'string');                            // exact
    await silent(a);
    await p.exact('DEL', 'k');                                      // exact
    await p.exact('RPUSH', 'k', 'v');                               // exact
    await sameReply(a);                                             // exact
  });

  test('a client that disconnects while blocked takes nothing', async () => {
    const a = await block(p, 1, 'BLPOP', 'k', '0');
    for (const c of a) c.close();
    await waitBlocked(p, 0);
    await p.exact('RPUSH', 'k', 'kept');                            // exact
    await p.exact('LRANGE', 'k', '0', '-1');                        // exact: still there
  });

  test('CLIENT UNBLOCK with TIMEOUT and ERROR; CLIENT LIST shows flags=b and the command', async () => {
    const a = await block(p, 1, 'BLPOP', 'k', '0');
    const ids = await Promise.all(a.map(async (_, i) => {
      const list = (await (i === 0 ? p.r : p.l).call('CLIENT', 'LIST')).toString('latin1');
      const line = list.split('\n').find((l) => l.includes('cmd=blpop'))!;
      expect(line).toContain('flags=b ');
      return /id=(\d+)/.exec(line)![1]!;
    }));
    expect((await p.l.call('CLIENT', 'UNBLOCK', ids[1]!)).toString()).toBe((await p.r.call('CLIENT', 'UNBLOCK', ids[0]!)).toString()); // exact: :1
    await sameReply(a);                                             // exact: *-1
    for (const c of a) c.send('BLPOP', 'k', '0');
    await waitBlocked(p, 1);
    expect((await p.l.call('CLIENT', 'UNBLOCK', ids[1]!, 'ERROR')).toString()).toBe((await p.r.call('CLIENT', 'UNBLOCK', ids[0]!, 'ERROR')).toString()); // exact
    await sameReply(a);                                             // exact: -UNBLOCKED ...
    expect((await p.l.call('CLIENT', 'UNBLOCK', ids[1]!)).toString()).toBe((await p.r.call('CLIENT', 'UNBLOCK', ids[0]!)).toString()); // exact: :0 now
  });

  test('INFO counts blocked clients and those with a timeout', async () => {
    await block(p, 1, 'BLPOP', 'k', '0');
    await block(p, 2, 'BLPOP', 'k', '100');
    const [r, l] = await p.both(['INFO', 'clients']);
    const field = (b: Buffer, f: string) => new RegExp(`${f}:(\\d+)`).exec(b.toString('latin1'))![1];
    expect(field(l, 'blocked_clients')).toBe(field(r, 'blocked_clients')); // exact field
    expect(field(l, 'clients_in_timeout_table')).toBe(field(r, 'clients_in_timeout_table')); // exact field
  });

  test('FLUSHALL leaves blocked clients waiting', async () => {
    const a = await block(p, 1, 'BLPOP', 'k', '0');
    await p.exact('FLUSHALL');                                      // exact
    await silent(a);
    await p.exact('RPUSH', 'k', 'v');                               // exact
    await sameReply(a);                                             // exact
  });
});

describe('around blocked clients', () => {
  test('SWAPDB serves clients blocked on a key the other database holds', async () => {
    for (const c of [p.r, p.l]) {
      await c.call('SELECT', '1');
      await c.call('RPUSH', 'k', 'from-db1');
      await c.call('SELECT', '0');
    }
    const a = await block(p, 1, 'BLPOP', 'k', '0');
    await p.exact('SWAPDB', '0', '1');                              // exact
    await sameReply(a);                                             // exact: k from-db1
    await waitBlocked(p, 0);
  });

  test('a blocked client is not closed by the idle timeout', async () => {
    const a = await block(p, 1, 'BLPOP', 'k', '0');
    await p.exact('CONFIG', 'SET', 'timeout', '1');                 // exact
    try {
      // 2.5 s; the default connections keep busy so that only the blocked one is idle.
      for (let i = 0; i < 10; i++) {
        await sleep(250);
        await p.r.call('PING');
        await p.l.call('PING');
      }
      await waitBlocked(p, 1);                                      // both still blocked
      await p.exact('RPUSH', 'k', 'late');                          // exact
      await sameReply(a);                                           // exact
    } finally {
      await p.exact('CONFIG', 'SET', 'timeout', '0');               // exact
    }
  });

  test('keyspace events of a served BLMOVE and BLPOP, in order', async () => {
    await p.exact('CONFIG', 'SET', 'notify-keyspace-events', 'KEA'); // exact
    const subs = await p.connect();
    for (const c of subs) await c.call('PSUBSCRIBE', '__keyevent@0__:*');
    const a = await block(p, 1, 'BLMOVE', 'src', 'dst', 'LEFT', 'RIGHT', '0');
    const b = await block(p, 2, 'BLPOP', 'dst', '0');
    await p.exact('RPUSH', 'src', 'x');                             // exact
    await sameReply(a);                                             // exact
    await sameReply(b);                                             // exact
    for (let i = 0; i < 6; i++) await sameReply(subs);              // exact: rpush src, rpush dst, lpop src, del src, lpop dst, del dst
    await p.exact('CONFIG', 'SET', 'notify-keyspace-events', '');   // exact
  });
});

describe('BLMOVE, BRPOPLPUSH, BLMPOP', () => {
  test('answer at once when the source has elements; errors', async () => {
    await p.exact('RPUSH', 'src', 'a', 'b', 'c');                  // exact
    await p.exact('BLMOVE', 'src', 'dst', 'LEFT', 'RIGHT', '0');   // exact
    await p.exact('BRPOPLPUSH', 'src', 'dst', '0');                 // exact
    await p.exact('BLMOVE', 'src', 'dst', 'UP', 'RIGHT', '0');     // exact: syntax
    await p.exact('BLMPOP', '0', '2', 'none', 'src', 'LEFT', 'COUNT', '5'); // exact
    await p.exact('BLMPOP', '0', '0', 'src', 'LEFT');               // exact: numkeys
    await p.exact('BLMPOP', '0', '1', 'src', 'MIDDLE');             // exact
    await p.exact('BLMPOP', '0', '1', 'src', 'LEFT', 'COUNT', '0'); // exact
    await p.exact('BLMPOP', 'x', '1', 'src', 'LEFT');               // exact: timeout
  });

  test('a blocked BLMOVE moves what arrives; BLMPOP pops its count', async () => {
    const a = await block(p, 1, 'BLMOVE', 'src', 'dst', 'RIGHT', 'LEFT', '0');
    const b = await block(p, 2, 'BLMPOP', '0', '1', 'src', 'RIGHT', 'COUNT', '2');
    await p.exact('RPUSH', 'src', '1', '2', '3', '4');              // exact
    await sameReply(a);                                             // exact: 4
    await sameReply(b);                                             // exact: src [3 2]
    await p.exact('LRANGE', 'dst', '0', '-1');                      // exact
    await p.exact('LRANGE', 'src', '0', '-1');                      // exact
  });

  test('a BLMOVE whose destination is of the wrong type when served gets WRONGTYPE and takes nothing', async () => {
    const a = await block(p, 1, 'BLMOVE', 'src', 'dst', 'LEFT', 'LEFT', '0');
    await p.exact('SET', 'dst', 'string');                          // exact
    await p.exact('RPUSH', 'src', 'v');                             // exact
    await sameReply(a);                                             // exact: WRONGTYPE
    await p.exact('LRANGE', 'src', '0', '-1');                      // exact: v still there
  });

  test('BLMOVE onto the key another client waits on serves that client too', async () => {
    const a = await block(p, 1, 'BLMOVE', 'src', 'mid', 'LEFT', 'LEFT', '0');
    const b = await block(p, 2, 'BLPOP', 'mid', '0');
    await p.exact('RPUSH', 'src', 'travels');                       // exact
    await sameReply(a);                                             // exact
    await sameReply(b);                                             // exact: mid travels
  });
});

describe('BZPOPMIN, BZPOPMAX, BZMPOP', () => {
  test('answer at once, block, and serve in order', async () => {
    await p.exact('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c');       // exact
    await p.exact('BZPOPMIN', 'z', '0');                            // exact
    await p.exact('BZPOPMAX', 'none', 'z', '0');                    // exact
    await p.exact('BZMPOP', '0', '1', 'z', 'MIN', 'COUNT', '5');    // exact
    const a = await block(p, 1, 'BZPOPMAX', 'z', '0');
    const b = await block(p, 2, 'BZMPOP', '0', '1', 'z', 'MIN');
    const c = await block(p, 3, 'BLPOP', 'z', '0');
    await p.exact('ZADD', 'z', '5', 'x', '6', 'y', '7', 'w');       // exact
    await sameReply(a);                                             // exact: z w 7
    await sameReply(b);                                             // exact: z [[x 5]]
    await silent(c);                                                // waits for a list, not a zset
    await p.exact('ZRANGE', 'z', '0', '-1', 'WITHSCORES');          // exact
    await p.exact('DEL', 'z');                                      // exact
    await p.exact('RPUSH', 'z', 'l');                               // exact
    await sameReply(c);                                             // exact
  });

  test('a client served by another client\'s push gets its reply in its own protocol', async () => {
    const on3 = await p.connect();
    for (const c of on3) await c.call('HELLO', '3');
    for (const c of on3) c.send('BZPOPMIN', 'zp', '0');
    await waitBlocked(p, 1);
    const on2 = await block(p, 2, 'BLPOP', 'lp', '0');
    const pushers = await p.connect();
    for (const c of pushers) await c.call('HELLO', '3');
    await p.exact('ZADD', 'zp', '2.5', 'm');                          // exact: a RESP2 pusher serves a RESP3 waiter
    await sameReply(on3);                                             // exact: the score as a RESP3 double
    await p.exactOn(pushers, 'RPUSH', 'lp', 'v');                     // exact: a RESP3 pusher serves a RESP2 waiter
    await sameReply(on2);                                             // exact: a RESP2 array
  });

  test('RESP3 replies and timeouts', async () => {
    const on = await p.connect();
    for (const c of on) await c.call('HELLO', '3');
    await p.exact('ZADD', 'z3', '1.5', 'm');                        // exact
    for (const c of on) c.send('BZPOPMIN', 'z3', '0');
    await sameReply(on);                                            // exact: a double score
    for (const c of on) c.send('BZMPOP', '0.05', '1', 'z3', 'MAX');
    await sameReply(on);                                            // exact: null after the timeout
  });
});

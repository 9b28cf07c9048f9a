import { describe, expect, test } from 'vitest';
import { pairSuite } from './harness.js';
import { EventRecorder } from '../helpers/keyspace-events.js';
import { decodeReply, encodeCommand } from '../helpers/resp.js';

// Tolerances for relative times: the two servers see a command a little apart.
const TTL_S = 1; // TTL and EXPIRETIME after a relative EXPIRE: 1 s
const PTTL_MS = 300; // PTTL and PEXPIRETIME after a relative PEXPIRE: 300 ms

const p = pairSuite({ redis: ['--notify-keyspace-events', 'Egxn'] });

async function setup(...commands: (string | Buffer)[][]): Promise<void> {
  await p.run(commands);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A point in time far enough ahead for EXPIREAT tests, in seconds and milliseconds. */
const FUTURE_S = '4102444800'; // 2100-01-01
const FUTURE_MS = '4102444800123';

describe('EXPIRE PEXPIRE EXPIREAT PEXPIREAT: options and errors', () => {
  test('missing keys, arity, bad numbers', async () => {
    for (const cmd of ['EXPIRE', 'PEXPIRE', 'EXPIREAT', 'PEXPIREAT']) {
      await p.exact(cmd, 'missing', '10');                          // exact: 0
      await p.exact(cmd, 'missing', '-10');                         // exact: 0
      await p.exact(cmd, 'missing', 'abc');                         // exact: not an integer
      await p.exact(cmd, 'missing', '');                            // exact
      await p.exact(cmd, 'missing', '1.5');                         // exact
      await p.exact(cmd, 'missing', ' 10');                         // exact
      await p.exact(cmd, 'missing', '010');                         // exact
      await p.exact(cmd, 'missing', '9223372036854775808');         // exact: beyond int64
      await p.exact(cmd, 'missing', '-9223372036854775809');        // exact
      await p.exact(cmd, 'missing');                                // exact: arity
      await p.exact(cmd);                                           // exact: arity
      await p.exact(cmd, 'missing', '10', 'NX');                    // exact: 0
    }
  });

  test('option parsing: unknown, conflicting, repeated, case', async () => {
    await setup(['SET', 'k', 'v']);
    await p.exact('EXPIRE', 'k', '10', 'foo');                      // exact: Unsupported option foo
    await p.exact('EXPIRE', 'k', 'abc', 'foo');                     // exact: options checked first
    await p.exact('EXPIRE', 'missing', '10', 'foo');                // exact: even on a missing key
    await p.exact('PEXPIREAT', 'k', '10', 'NX', 'bar baz');         // exact
    await p.exact('EXPIRE', 'k', '10', 'a\0b');                     // exact: printed up to NUL
    await p.exact('EXPIRE', 'k', '10', 'x\r\ny');                   // exact: CR LF become spaces
    await p.exact('EXPIRE', 'k', '10', '');                         // exact: empty option
    await p.exact('EXPIRE', 'k', 'abc', 'NX', 'XX');                // exact: conflict before number
    await p.exact('EXPIRE', 'k', '10', 'NX', 'XX');                 // exact: NX and XX
    await p.exact('EXPIRE', 'k', '10', 'NX', 'GT');                 // exact
    await p.exact('EXPIRE', 'k', '10', 'LT', 'NX');                 // exact
    await p.exact('EXPIRE', 'k', '10', 'GT', 'LT');                 // exact: GT and LT
    await p.exact('EXPIRE', 'k', '10', 'XX', 'GT', 'LT', 'NX');     // exact: NX error wins
    await p.exact('EXPIRE', 'k', '10', 'GT', 'LT', 'foo');          // exact: unknown wins
    // Absolute times: a relative EXPIRE twice may or may not land in the same ms.
    await p.exact('EXPIREAT', 'k', '4102444800', 'nx', 'NX');       // exact: repeated is fine: 1
    await p.exact('EXPIREAT', 'k', '4102444800', 'Gt', 'gT');       // exact: 0 (same time is not greater)
    await p.exact('EXPIREAT', 'k', '4102444900', 'xX', 'gt');       // exact: 1
    await p.exact('EXPIRE', 'k', '5', 'XX', 'LT');                  // exact: 1
    await p.exact('EXPIRE', 'k', '50', 'nx\0junk');                 // exact: option up to NUL (0: has TTL)
    await p.exact('PEXPIRE', 'k', '50', 'NX', 'NX', 'NX');          // exact: 0
  });

  test('overflow: seconds * 1000 and base time + value', async () => {
    await setup(['SET', 'k', 'v']);
    await p.exact('EXPIRE', 'k', '9223372036854775807');            // exact: seconds overflow
    await p.exact('EXPIRE', 'k', '9223372036854775808');            // exact: not an integer
    await p.exact('EXPIRE', 'k', '9223372036854776');               // exact: *1000 overflows
    await p.exact('EXPIRE', 'k', '9223372036854775');               // exact: + now overflows
    await p.exact('EXPIRE', 'k', '9223372036854774');               // exact: + now overflows
    await p.exact('EXPIRE', 'k', '-9223372036854776');              // exact: *1000 underflows
    await p.exact('PEXPIRE', 'k', '9223372036854775807');           // exact: + now overflows
    await p.exact('PEXPIRE', 'k', '9223372036000000000');           // exact: + now overflows
    await p.exact('EXPIREAT', 'k', '9223372036854776');             // exact: *1000 overflows
    await p.exact('EXPIREAT', 'k', '-9223372036854776');            // exact
    await p.exact('EXPIRE', 'missing', '9223372036854775807');      // exact: checked before the key
    await p.exact('PEXPIRE', 'missing', '9223372036854775807');     // exact
    await p.exact('TTL', 'k');                                      // exact: untouched, -1
    await p.exact('EXPIREAT', 'k', '9223372036854775');             // exact: 1, the largest EXPIREAT
    await p.exact('PEXPIRETIME', 'k');                              // exact: 9223372036854775000
    await p.exact('EXPIRETIME', 'k');                               // exact
    await p.exact('PEXPIREAT', 'k', '9223372036854775807');         // exact: 1, INT64_MAX
    await p.exact('PEXPIRETIME', 'k');                              // exact: exact beyond 2^53
    await p.exact('EXPIRETIME', 'k');                               // exact: rounded, no overflow
    await p.ttl(TTL_S, 'TTL', 'k');                                 // ttl: within 1 s
    await p.ttl(PTTL_MS, 'PTTL', 'k');                              // ttl: within 300 ms
    await p.exact('PEXPIREAT', 'k', '9223372036854775300');         // exact
    await p.exact('EXPIRETIME', 'k');                               // exact: ...775 (rounds down)
    await p.exact('PEXPIREAT', 'k', '9223372036854775500');         // exact
    await p.exact('EXPIRETIME', 'k');                               // exact: ...776 (rounds up)
    await p.exact('PEXPIREAT', 'k', '9007199254740993');            // exact: 2^53 + 1
    await p.exact('PEXPIRETIME', 'k');                              // exact
    await p.exact('PEXPIREAT', 'k', '9007199254740992');            // exact: 2^53
    await p.exact('PEXPIRETIME', 'k');                              // exact
    await p.exact('PEXPIREAT', 'k', '9007199254740991');            // exact: 2^53 - 1
    await p.exact('PEXPIRETIME', 'k');                              // exact
    await p.exact('PEXPIREAT', 'k', '9223372036854775806', 'GT');   // exact: 1, bigint vs number
    await p.exact('PEXPIREAT', 'k', '9223372036854775805', 'GT');   // exact: 0, bigint vs bigint
    await p.exact('PEXPIREAT', 'k', '9223372036854775807', 'LT');   // exact: 0
    await p.exact('PEXPIREAT', 'k', '9223372036854775805', 'LT');   // exact: 1
    await p.exact('PEXPIRETIME', 'k');                              // exact
    await p.exact('RENAME', 'k', 'k2');                             // exact
    await p.exact('PEXPIRETIME', 'k2');                             // exact: carried exactly
    await p.exact('PERSIST', 'k2');                                 // exact: 1
    await p.exact('PEXPIRETIME', 'k2');                             // exact: -1
    await p.exact('PEXPIRE', 'k2', '-9223372036854775808');         // exact: INT64_MIN: deletes
    await p.exact('EXISTS', 'k2');                                  // exact: 0
    await setup(['SET', 'k', 'v']);
    await p.exact('EXPIRE', 'k', '-9223372036854775');              // exact: most negative accepted
    await p.exact('EXISTS', 'k');                                   // exact: 0
  });
});

describe('EXPIRE family: semantics', () => {
  test('relative and absolute times, TTL and EXPIRETIME', async () => {
    await setup(['SET', 'k', 'v']);
    await p.exact('EXPIRE', 'k', '100');                            // exact: 1
    await p.ttl(TTL_S, 'TTL', 'k');                                 // ttl: within 1 s
    await p.ttl(PTTL_MS, 'PTTL', 'k');                              // ttl: within 300 ms
    await p.ttl(TTL_S, 'EXPIRETIME', 'k');                          // ttl: within 1 s
    await p.ttl(PTTL_MS, 'PEXPIRETIME', 'k');                       // ttl: within 300 ms
    await p.exact('PEXPIRE', 'k', '100500');                        // exact: 1
    await p.ttl(TTL_S, 'TTL', 'k');                                 // ttl: 101 (rounded) within 1 s
    await p.ttl(PTTL_MS, 'PTTL', 'k');                              // ttl: within 300 ms
    await p.exact('EXPIREAT', 'k', FUTURE_S);                       // exact: 1
    await p.exact('EXPIRETIME', 'k');                               // exact: absolute
    await p.exact('PEXPIRETIME', 'k');                              // exact: absolute, ms
    await p.ttl(TTL_S, 'TTL', 'k');                                 // ttl: within 1 s
    await p.exact('PEXPIREAT', 'k', FUTURE_MS);                     // exact: 1
    await p.exact('PEXPIRETIME', 'k');                              // exact
    await p.exact('EXPIRETIME', 'k');                               // exact: ...800 (123 ms rounds down)
    await p.exact('PEXPIREAT', 'k', '4102444800500');               // exact
    await p.exact('EXPIRETIME', 'k');                               // exact: ...801 (500 ms rounds up)
    await p.exact('PEXPIREAT', 'k', '4102444800499');               // exact
    await p.exact('EXPIRETIME', 'k');                               // exact: ...800
    await p.ttl(PTTL_MS, 'PTTL', 'k');                              // ttl: within 300 ms
    await p.exact('TTL', 'missing');                                // exact: -2
    await p.exact('PTTL', 'missing');                               // exact: -2
    await p.exact('EXPIRETIME', 'missing');                         // exact: -2
    await p.exact('PEXPIRETIME', 'missing');                        // exact: -2
    await setup(['SET', 'p', 'v']);
    await p.exact('TTL', 'p');                                      // exact: -1
    await p.exact('PTTL', 'p');                                     // exact: -1
    await p.exact('EXPIRETIME', 'p');                               // exact: -1
    await p.exact('PEXPIRETIME', 'p');                              // exact: -1
    await p.exact('TTL');                                           // exact: arity
    await p.exact('PTTL', 'a', 'b');                                // exact: arity
    await p.exact('EXPIRETIME', 'a', 'b');                          // exact: arity
    await p.exact('PEXPIRETIME');                                   // exact: arity
  });

  test('past, zero and negative deadlines delete the key', async () => {
    const cases: string[][] = [
      ['EXPIRE', '0'], ['EXPIRE', '-1'], ['PEXPIRE', '0'], ['PEXPIRE', '-100'],
      ['EXPIREAT', '0'], ['EXPIREAT', '1'], ['EXPIREAT', '-5'], ['PEXPIREAT', '0'],
      ['PEXPIREAT', '1000'], ['PEXPIREAT', '-9223372036854775808'], ['EXPIREAT', '1600000000'],
    ];
    for (const [cmd, time] of cases) {
      await setup(['SET', 'k', 'v']);
      await p.exact(cmd!, 'k', time!);                              // exact: 1
      await p.exact('EXISTS', 'k');                                 // exact: 0
      await p.exact('TTL', 'k');                                    // exact: -2
    }
    await setup(['SET', 'k', 'v'], ['EXPIRE', 'k', '100']);
    await p.exact('EXPIRE', 'k', '-1', 'LT');                       // exact: 1, deletes
    await p.exact('GET', 'k');                                      // exact: nil
    await setup(['SET', 'k', 'v']);
    await p.exact('EXPIRE', 'k', '-1', 'GT');                       // exact: 0, persistent is infinite
    await p.exact('EXPIRE', 'k', '-1', 'XX');                       // exact: 0, no TTL
    await p.exact('EXPIRE', 'k', '-1', 'NX');                       // exact: 1, deletes
    await p.exact('EXISTS', 'k');                                   // exact: 0
  });

  test('NX XX GT LT against a persistent key and a volatile key', async () => {
    await setup(['SET', 'k', 'v']);
    await p.exact('EXPIRE', 'k', '100', 'XX');                      // exact: 0, no TTL yet
    await p.exact('EXPIRE', 'k', '100', 'GT');                      // exact: 0, infinite is greater
    await p.exact('TTL', 'k');                                      // exact: -1
    await p.exact('EXPIRE', 'k', '100', 'LT');                      // exact: 1, anything is less
    await p.ttl(TTL_S, 'TTL', 'k');                                 // ttl: within 1 s
    await p.exact('EXPIRE', 'k', '200', 'NX');                      // exact: 0, has a TTL
    await p.exact('EXPIRE', 'k', '200', 'LT');                      // exact: 0, not less
    await p.exact('EXPIRE', 'k', '100', 'LT');                      // exact: 0, equal is not less
    await p.exact('EXPIRE', 'k', '200', 'GT');                      // exact: 1
    await p.exact('EXPIRE', 'k', '150', 'GT');                      // exact: 0
    await p.exact('EXPIRE', 'k', '150', 'XX', 'LT');                // exact: 1
    await p.exact('EXPIRE', 'k', '300', 'XX', 'GT');                // exact: 1
    await p.exact('EXPIRE', 'k', '100', 'XX');                      // exact: 1
    await p.ttl(TTL_S, 'TTL', 'k');                                 // ttl: within 1 s
    await p.exact('PEXPIREAT', 'k', FUTURE_MS);                     // exact: 1
    await p.exact('PEXPIREAT', 'k', FUTURE_MS, 'GT');               // exact: 0, equal
    await p.exact('PEXPIREAT', 'k', FUTURE_MS, 'LT');               // exact: 0, equal
    await p.exact('EXPIREAT', 'k', FUTURE_S, 'LT');                 // exact: 1, 123 ms less
    await p.exact('PEXPIRETIME', 'k');                              // exact
    await p.exact('PEXPIREAT', 'k', '4102444800001', 'GT');         // exact: 1
    await p.exact('PEXPIRETIME', 'k');                              // exact
    await p.exact('PERSIST', 'k');                                  // exact: 1
    await p.exact('EXPIRE', 'k', '100', 'NX');                      // exact: 1
    await p.ttl(TTL_S, 'TTL', 'k');                                 // ttl: within 1 s
  });

  test('PERSIST', async () => {
    await p.exact('PERSIST', 'missing');                            // exact: 0
    await setup(['SET', 'k', 'v']);
    await p.exact('PERSIST', 'k');                                  // exact: 0, no TTL
    await setup(['EXPIRE', 'k', '100']);
    await p.exact('PERSIST', 'k');                                  // exact: 1
    await p.exact('TTL', 'k');                                      // exact: -1
    await p.exact('PERSIST', 'k');                                  // exact: 0
    await p.exact('GET', 'k');                                      // exact: value kept
    await p.exact('PERSIST');                                       // exact: arity
    await p.exact('PERSIST', 'k', 'x');                             // exact: arity
  });

  test('SET clears the TTL, KEEPTTL keeps it; binary keys', async () => {
    await setup(['SET', 'k\0\r\n\xff', 'v'], ['EXPIRE', 'k\0\r\n\xff', '100']);
    await p.ttl(TTL_S, 'TTL', 'k\0\r\n\xff');                       // ttl: within 1 s
    await p.exact('TTL', 'k\0\r\n');                                // exact: -2, another key
    await p.exact('SET', 'k\0\r\n\xff', 'v2', 'KEEPTTL');           // exact
    await p.ttl(TTL_S, 'TTL', 'k\0\r\n\xff');                       // ttl: kept
    await p.exact('SET', 'k\0\r\n\xff', 'v3');                      // exact
    await p.exact('TTL', 'k\0\r\n\xff');                            // exact: -1
    await setup(['SET', '', 'empty']);
    await p.exact('PEXPIREAT', '', FUTURE_MS);                      // exact: the empty key
    await p.exact('PEXPIRETIME', '');                               // exact
  });

  test('many keys keep independent deadlines', async () => {
    for (let i = 0; i < 50; i++) {
      await p.exact('SET', `k${i}`, 'v');                           // exact
      await p.exact('PEXPIREAT', `k${i}`, String(4102444800000 + i * 7919)); // exact
    }
    for (let i = 0; i < 50; i += 7) await p.exact('PERSIST', `k${i}`); // exact
    for (let i = 0; i < 50; i++) await p.exact('PEXPIRETIME', `k${i}`); // exact
    await p.exact('DBSIZE');                                        // exact
  });
});

describe('lazy expiry: a key is never visible after its deadline', () => {
  test('GET EXISTS TTL TYPE KEYS SCAN after the deadline', async () => {
    await setup(['SET', 'a', '1'], ['SET', 'b', '2'], ['SET', 'c', '3'], ['SET', 'd', '4'], ['SET', 'keep', '5']);
    for (const k of ['a', 'b', 'c', 'd']) await p.exact('PEXPIRE', k, '50'); // exact
    await p.exact('GET', 'a');                                      // exact: still there
    await sleep(120);
    await p.exact('GET', 'a');                                      // exact: nil
    await p.exact('EXISTS', 'b');                                   // exact: 0
    await p.exact('TTL', 'c');                                      // exact: -2
    await p.exact('PTTL', 'c');                                     // exact: -2
    await p.exact('TYPE', 'd');                                     // exact: none
    await p.sorted('KEYS', '*');                                    // sorted: only keep
    await p.sorted('SCAN', '0');                                    // sorted: only keep
    await p.exact('DBSIZE');                                        // exact: 1 once all were touched
    await p.exact('EXPIRE', 'a', '10');                             // exact: 0
    await p.exact('PERSIST', 'a');                                  // exact: 0
    await p.exact('RENAME', 'a', 'z');                              // exact: no such key
    await p.exact('DEL', 'a', 'b', 'keep');                         // exact: 1
  });

  test('EXPIREAT to the current second', async () => {
    await setup(['SET', 'k', 'v']);
    const nowMs = Date.now() + 80;
    await p.exact('PEXPIREAT', 'k', String(nowMs));                 // exact: 1, just ahead
    await p.exact('PEXPIRETIME', 'k');                              // exact
    await sleep(140);
    await p.exact('PEXPIRETIME', 'k');                              // exact: -2
    await p.exact('GET', 'k');                                      // exact: nil
  });

  test('expired_keys counts expirations, not deletions by EXPIRE', async () => {
    await setup(['SET', 'x', '1']);
    await p.exact('CONFIG', 'RESETSTAT');                           // exact
    await setup(['SET', 'a', '1'], ['SET', 'b', '2'], ['SET', 'c', '3']);
    await setup(['EXPIRE', 'a', '-1'], ['PEXPIREAT', 'b', '1']);     // deleted, not expired
    await setup(['PEXPIRE', 'c', '20'], ['PEXPIRE', 'x', '20']);
    await sleep(80);
    await setup(['GET', 'c'], ['EXISTS', 'x']);
    // INFO stats as a whole holds each server's own figures: its expired_keys line only.
    const [r, l] = await p.both(['INFO', 'stats']);
    const expiredKeys = (raw: Buffer) => Number(/\r\nexpired_keys:(\d+)\r\n/.exec(raw.toString('latin1'))![1]);
    expect(expiredKeys(r)).toBe(2);
    expect(expiredKeys(l), 'INFO stats expired_keys').toBe(expiredKeys(r)); // exact: expired_keys
  });
});

describe('lapse reclaims on time (the timer wheel), not lazily', () => {
  // Slack for timer and event-loop latency on a busy machine. Redis's active expiry
  // (hz 10) typically needs 100 ms or more, so this still tells the two apart.
  const SLACK_MS = 25;

  test('DBSIZE drops right after each deadline without any access', async () => {
    const l = p.l;
    const expiredBefore = p.lapse.keyspace.stats.expiredKeys;
    await l.call('SET', 'a', '1');
    await l.call('SET', 'b', '2');
    const t0 = Date.now();
    await l.call('PEXPIRE', 'a', '40');
    await l.call('PEXPIRE', 'b', '120');
    const t1 = Date.now();
    // a's deadline lies in [t0 + 40, t1 + 40], b's in [t0 + 120, t1 + 120].
    const dbsize = async () => Number((decodeReply(await l.call('DBSIZE'))!.reply as { value: bigint }).value);
    let sawZero = false;
    let sawOne = false;
    while (Date.now() < t1 + 120 + SLACK_MS + 100) {
      const sent = Date.now();
      const n = await dbsize();
      const got = Date.now();
      if (got < t0 + 40) expect(n, `at ${got - t0} ms`).toBe(2); // nothing before a deadline
      else if (got < t0 + 120) expect(n, `at ${got - t0} ms`).toBeGreaterThanOrEqual(1);
      if (sent >= t1 + 40 + SLACK_MS && got < t0 + 120) {
        expect(n, `at ${sent - t1} ms after the PEXPIREs`).toBe(1); // a reclaimed on time
        sawOne = true;
      }
      if (sent >= t1 + 120 + SLACK_MS) {
        expect(n, `at ${sent - t1} ms after the PEXPIREs`).toBe(0);
        sawZero = true;
        break;
      }
      await sleep(2);
    }
    expect(sawOne).toBe(true);
    expect(sawZero).toBe(true);
    expect(p.lapse.keyspace.stats.expiredKeys - expiredBefore).toBe(2);
  });

  test('the expired event fires on time for a key nobody reads', async () => {
    const fired: number[] = [];
    const listener = p.lapse.keyspace.listener;
    const previous = listener.event;
    const previousWanted = listener.expiredKeyWanted;
    listener.event = (cls, event, key, db) => {
      if (event === 'expired') fired.push(Date.now());
      previous?.(cls, event, key, db);
    };
    // A consumer the server does not know of: it wants expiring keys named.
    listener.expiredKeyWanted = () => true;
    try {
      await p.l.call('SET', 'k', 'v');
      const t0 = Date.now();
      await p.l.call('PEXPIRE', 'k', '30');
      const t1 = Date.now();
      while (fired.length === 0 && Date.now() < t1 + 500) await sleep(2);
      expect(fired.length).toBe(1);
      expect(fired[0]! - t0).toBeGreaterThanOrEqual(30);
      expect(fired[0]! - t1).toBeLessThan(30 + SLACK_MS);
    } finally {
      listener.event = previous;
      listener.expiredKeyWanted = previousWanted;
    }
  });
});

describe('keyspace events', () => {
  test('expire, persist, del, expired', async () => {
    const rec = await EventRecorder.attach(p, 'gxn');
    try {
      await setup(
        ['SET', 'k', 'v'], ['EXPIRE', 'k', '100'], ['PEXPIRE', 'k', '100', 'NX'],
        ['PEXPIREAT', 'k', FUTURE_MS, 'GT'], ['EXPIREAT', 'k', FUTURE_S, 'XX'],
        ['EXPIRE', 'k', '1', 'GT'], ['PERSIST', 'k'], ['PERSIST', 'k'], ['EXPIRE', 'k', '0'],
        ['EXPIRE', 'k', '10'], ['SET', 'k', 'v'], ['PEXPIREAT', 'k', '1'], ['SET', 'k', 'v'],
        ['EXPIRE', 'k', '10', 'foo'], ['EXPIRE', 'k', '9223372036854775807'],
        ['TTL', 'k'], ['PTTL', 'k'], ['EXPIRETIME', 'k'], ['PEXPIRETIME', 'k'],
        ['PEXPIRE', 'k', '20'],
      );
      await sleep(80);
      await setup(['GET', 'k']);
      const [redis, lapse] = await rec.take();
      expect(lapse).toEqual(redis);
      expect(redis).toEqual([
        '0 new k', '0 expire k', '0 expire k', '0 expire k', '0 persist k', '0 del k',
        '0 new k', '0 del k', '0 new k', '0 expire k', '0 expired k',
      ]);
    } finally {
      rec.detach();
    }
  });
});

describe('many keys with deadlines', () => {
  test("70,000 keys, two in three with a deadline, through the growth of lapse's id columns (2^16 ids): the same digest, DBSIZE and expiry as redis-server", async () => {
    const [rc, lc] = await p.connect();
    // Far enough ahead that both have loaded every key before any passes its deadline.
    const soon = Date.now() + 4000;
    const parts: Buffer[] = [];
    for (let i = 0; i < 70_000; i++) {
      const args = ['SET', `many:${i}`, `v${i}`];
      // A fixed far time (equal on both servers), none, or a time that passes during the test.
      if (i % 3 === 1) args.push('PXAT', String(4102444800123 + i));
      else if (i % 3 === 2) args.push('PXAT', String(i % 30 === 2 ? soon : 4102444800123 - i));
      parts.push(encodeCommand(args));
    }
    const payload = Buffer.concat(parts);
    for (const c of [rc, lc]) {
      c.write(payload);
      for (let i = 0; i < 70_000; i++) expect((await c.readReplyBytes()).toString()).toBe('+OK\r\n');
    }
    expect(Date.now()).toBeLessThan(soon);
    await p.exactOn([rc, lc], 'DBSIZE');                              // exact: 70000
    await p.exactOn([rc, lc], 'DEBUG', 'DIGEST');                     // exact: keys, values and expire times
    await p.exactOn([rc, lc], 'PEXPIRETIME', 'many:70');              // exact
    await sleep(soon - Date.now() + 300);
    // DBSIZE is not compared after: Redis may hold expired keys it has not sampled yet.
    await p.exactOn([rc, lc], 'EXISTS', 'many:2', 'many:32', 'many:5', 'many:69992'); // exact: 1 (only many:5)
    await p.exactOn([rc, lc], 'GET', 'many:69992');                   // exact: nil
    await p.exactOn([rc, lc], 'PTTL', 'many:69999');                  // exact: -1 (no deadline)
  }, 60_000);
});

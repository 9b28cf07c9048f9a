import { beforeEach, describe, expect, test } from 'vitest';
import { pairSuite, show } from './harness.js';
import type { RawClient } from '../helpers/raw-client.js';
import { decodeReply } from '../helpers/resp.js';

/**
 * Keyspace notifications against Redis 7.0: notify-keyspace-events as CONFIG SET takes
 * and CONFIG GET prints it, then the messages a subscriber to '__key*__:*' receives
 * while the same commands run on both servers, compared in order and byte for byte.
 *
 * Expired events depend on when each server reclaims a key (Redis's active cycle is
 * late, lapse's wheel is on time): for them the content is compared, after waiting on
 * each server for the event.
 */

// DEBUG enabled for DEBUG RELOAD (loading a snapshot), as Redis's own test suite runs.
const p = pairSuite({
  redis: ['--enable-debug-command', 'yes'],
  lapse: { configText: 'enable-debug-command yes\n' },
});
beforeEach(async () => {
  await p.exact('CONFIG', 'SET', 'notify-keyspace-events', '');  // exact
});

type Conn = [RawClient, RawClient];

const MARKER = '__keyevent@0__:__marker__';
const FUTURE_S = String(Math.floor(Date.now() / 1000) + 100_000);
const FUTURE_MS = String(Date.now() + 100_000_000);

/** A subscriber pair listening to every keyspace and keyevent channel. */
async function subscriber(): Promise<Conn> {
  const sub = await p.connect();
  for (const c of sub) await c.call('PSUBSCRIBE', '__key*__:*');
  return sub;
}

/** The messages each subscriber received until the marker (published last): [redis, lapse]. */
async function received(sub: Conn): Promise<[string[], string[]]> {
  await p.exact('PUBLISH', MARKER, 'end');                          // exact: 1 receiver
  const until = async (c: RawClient) => {
    const out: string[] = [];
    for (;;) {
      const raw = await c.readReplyBytes();
      const r = decodeReply(raw)!.reply;
      if (r.type === 'array' && r.value[2]?.type === 'bulk' && r.value[2].value.toString('latin1') === MARKER) return out;
      out.push(show(raw));
    }
  };
  return [await until(sub[0]), await until(sub[1])];
}

/** Both subscribers received the same messages, in the same order; returns how many. */
async function sameMessages(sub: Conn, what: string): Promise<number> {
  const [r, l] = await received(sub);
  expect(l, `messages: ${what}`).toEqual(r);
  return r.length;
}

/**
 * Waits on each subscriber for the messages of n expired keys (2 messages each with K
 * and E), then compares their content without order.
 */
async function expiredMessages(sub: Conn, n: number, perKey: number): Promise<void> {
  const take = async (c: RawClient) => {
    const out: string[] = [];
    for (let i = 0; i < n * perKey; i++) out.push(show(await c.readReplyBytes(5000)));
    return out.sort();
  };
  const [r, l] = [await take(sub[0]), await take(sub[1])];
  expect(l, 'expired messages').toEqual(r);
  for (const m of r) expect(m).toContain('expired');
}

/** A script of string, key and expire commands, each compared exactly. */
async function script(): Promise<void> {
  await p.exact('SET', 'k', 'v');                                   // exact
  await p.exact('SET', 'k', 'v', 'EX', '100');                      // exact
  await p.exact('SET', 'k', 'v', 'NX');                             // exact: no event
  await p.exact('SET', 'k2', 'v', 'XX');                            // exact: no event
  await p.exact('SET', 'k', 'v2', 'KEEPTTL', 'GET');                // exact
  await p.exact('SET', 'k', 'v', 'PXAT', FUTURE_MS);                // exact
  await p.exact('SETNX', 'k', 'v');                                 // exact
  await p.exact('SETNX', 'n1', 'v');                                // exact
  await p.exact('SETEX', 'se', '100', 'v');                         // exact
  await p.exact('PSETEX', 'pse', '100000', 'v');                    // exact
  await p.exact('GETSET', 'k', 'v3');                               // exact
  await p.exact('GETSET', 'gs', 'v');                               // exact
  await p.exact('GETDEL', 'k');                                     // exact
  await p.exact('GETDEL', 'k');                                     // exact: miss
  await p.exact('GETEX', 'se', 'PERSIST');                          // exact
  await p.exact('GETEX', 'se', 'EX', '100');                        // exact
  await p.exact('GETEX', 'se', 'PXAT', FUTURE_MS);                  // exact
  await p.exact('GETEX', 'se');                                     // exact
  await p.exact('GETEX', 'missing', 'EX', '1');                     // exact: miss
  await p.exact('GET', 'missing');                                  // exact: miss
  await p.exact('GET', 'se');                                       // exact
  await p.exact('MGET', 'a', 'se', 'b');                            // exact: misses
  await p.exact('MSET', 'm1', 'a', 'm2', 'b');                      // exact
  await p.exact('MSETNX', 'm1', 'a', 'm3', 'c');                    // exact: nothing
  await p.exact('MSETNX', 'm3', 'c', 'm4', 'd');                    // exact
  await p.exact('APPEND', 'ap', 'x');                               // exact
  await p.exact('APPEND', 'ap', 'y');                               // exact
  await p.exact('STRLEN', 'missing');                               // exact
  await p.exact('STRLEN', 'ap');                                    // exact
  await p.exact('INCR', 'i');                                       // exact
  await p.exact('INCRBY', 'i', '5');                                // exact
  await p.exact('DECR', 'i');                                       // exact
  await p.exact('DECRBY', 'i', '2');                                // exact
  await p.exact('INCR', 'ap');                                      // exact: error, no event
  await p.exact('INCRBYFLOAT', 'f', '1.5');                         // exact
  await p.exact('SETRANGE', 'sr', '2', 'x');                        // exact
  await p.exact('SETRANGE', 'sr', '0', '');                         // exact
  await p.exact('SETRANGE', 'nosr', '0', '');                       // exact: nothing created
  await p.exact('GETRANGE', 'missing', '0', '1');                   // exact
  await p.exact('DEL', 'm1', 'm2', 'missing');                      // exact
  await p.exact('UNLINK', 'm3');                                    // exact
  await p.exact('EXISTS', 'missing', 'm4');                         // exact
  await p.exact('TOUCH', 'missing', 'm4');                          // exact
  await p.exact('TYPE', 'missing');                                 // exact
  await p.exact('TYPE', 'm4');                                      // exact
  await p.exact('RENAME', 'm4', 'm5');                              // exact
  await p.exact('RENAME', 'm5', 'm5');                              // exact: same key
  await p.exact('RENAMENX', 'm5', 'i');                             // exact: nothing
  await p.exact('RENAMENX', 'm5', 'm6');                            // exact
  await p.exact('RENAME', 'missing', 'x');                          // exact: error
  await p.exact('EXPIRE', 'm6', '100');                             // exact
  await p.exact('PEXPIRE', 'm6', '100000');                         // exact
  await p.exact('EXPIREAT', 'm6', FUTURE_S);                        // exact
  await p.exact('PEXPIREAT', 'm6', FUTURE_MS);                      // exact
  await p.exact('EXPIRE', 'm6', '10', 'GT');                        // exact: not applied
  await p.exact('EXPIRE', 'missing', '100');                        // exact
  await p.exact('TTL', 'missing');                                  // exact
  await p.ttl(200, 'PTTL', 'm6');                                   // ttl: within 200 ms
  await p.exact('EXPIRETIME', 'missing');                           // exact
  await p.exact('PEXPIRETIME', 'missing');                          // exact
  await p.exact('PERSIST', 'm6');                                   // exact
  await p.exact('PERSIST', 'm6');                                   // exact: nothing
  await p.exact('EXPIRE', 'm6', '0');                               // exact: deleted
  await p.exact('SET', 'm6', 'v');                                  // exact
  await p.exact('PEXPIREAT', 'm6', '1');                            // exact: deleted
  await p.exact('SET', 'a\0b\r\n\xff', 'v');                        // exact: binary key
  await p.exact('SELECT', '3');                                     // exact
  await p.exact('SET', 'k', 'v');                                   // exact: db 3
  await p.exact('DEL', 'k');                                        // exact
  await p.exact('SELECT', '0');                                     // exact
  await p.exact('KEYS', 'nosuch*');                                 // exact: no event
  await p.exact('DBSIZE');                                          // exact
  await p.exact('FLUSHDB');                                         // exact: no event
}

describe('notify-keyspace-events', () => {
  test('CONFIG SET takes the classes in any order; CONFIG GET prints them as Redis 7.0', async () => {
    // Each value is set on both (exact reply), then read back (exact).
    const values = [
      'KEA', 'AKE', 'A', 'K', 'E', 'KE', 'Kx$', 'xKE', 'Ex', 'g$lshzxetdn', 'g$lshzxet', 'g$lshzxetd',
      'An', 'Anm', 'AKEnm', 'nm', 'Em', 'm', 'n', 'nK', 'dt', 'te', 'ned', 'xl$g', 'EmK',
      'dnKEg$lshzxe', 'AA', 'KKK', 'Ad', 'Ag', '', 'hE', 'zsl', 'K\0q',
    ];
    for (const v of values) {
      await p.exact('CONFIG', 'SET', 'notify-keyspace-events', v);   // exact
      await p.exact('CONFIG', 'GET', 'notify-keyspace-events');      // exact
    }
    await p.exact('CONFIG', 'SET', 'notify-keyspace-events', 'Kq'); // exact: invalid class
    await p.exact('CONFIG', 'GET', 'notify-keyspace-events');       // exact: unchanged
    await p.exact('CONFIG', 'SET', 'notify-keyspace-events', 'a');  // exact: case-sensitive
    await p.exact('CONFIG', 'SET', 'notify-keyspace-events', ' K'); // exact: no spaces
    await p.exact('CONFIG', 'SET', 'NOTIFY-KEYSPACE-EVENTS', 'Eg'); // exact: the name is case-insensitive
    await p.exact('CONFIG', 'GET', 'notify-keyspace-*');            // exact
  });
});

describe('events of commands', () => {
  // Each class setting runs the whole script; the messages must be the same in order.
  const settings = ['AKEnm', 'KEA', 'KA', 'EA', 'E$', 'Eg', 'Kn', 'Em', 'KEl', 'K', 'E', 'An', 'g$nmE'];
  for (const setting of settings) {
    test(`notify-keyspace-events ${JSON.stringify(setting)}`, async () => {
      const sub = await subscriber();
      await p.exact('CONFIG', 'SET', 'notify-keyspace-events', setting); // exact
      await script();
      const n = await sameMessages(sub, setting);                   // exact, in order
      if (/[KE]/.test(setting) && /[A$gnm]/.test(setting)) expect(n).toBeGreaterThan(0);
    });
  }

  test('events are published on channels only when someone listens, and to exact channel subscribers', async () => {
    await p.exact('CONFIG', 'SET', 'notify-keyspace-events', 'KEA'); // exact
    const sub = await p.connect();
    for (const c of sub) await c.call('SUBSCRIBE', '__keyspace@0__:k', '__keyevent@0__:del', MARKER.replace('@0', '@1'));
    await p.exact('SET', 'k', 'v');                                 // exact
    await p.exact('SET', 'other', 'v');                             // exact
    await p.exact('DEL', 'k', 'other');                             // exact
    for (let i = 0; i < 4; i++) {
      const [a, b] = [await sub[0].readReplyBytes(), await sub[1].readReplyBytes()];
      expect(show(b), `message ${i + 1}`).toBe(show(a));           // exact: set, del (k), del k, del other
    }
    await p.exactOn(sub, 'PING');                                   // exact: nothing else arrived
  });

  test('a RESP3 client gets its own events before the reply', async () => {
    await p.exact('CONFIG', 'SET', 'notify-keyspace-events', 'KEA'); // exact
    const c = await p.connect();
    for (const x of c) {
      await x.call('HELLO', '3');
      await x.call('PSUBSCRIBE', '__key*__:*');
    }
    c[0].send('SET', 'k', 'v', 'EX', '100');
    c[1].send('SET', 'k', 'v', 'EX', '100');
    for (let i = 0; i < 5; i++) {
      const [a, b] = [await c[0].readReplyBytes(), await c[1].readReplyBytes()];
      expect(show(b), `reply ${i + 1}`).toBe(show(a));             // exact: 4 pushes, then +OK
    }
  });
});

describe('loading a snapshot', () => {
  test('DEBUG RELOAD announces none of the keys it loads, strings (read as bytes) or not', async () => {
    const sub = await subscriber();
    await p.exact('CONFIG', 'SET', 'notify-keyspace-events', 'KEAn'); // exact: with new-key events
    await p.run([
      ['SET', 's', 'v'], ['SET', 'n', '42'], ['SET', 'long', 'x'.repeat(300)], ['SET', 't', 'v', 'EX', '1000'],
      ['HSET', 'h', 'f', 'v'], ['RPUSH', 'l', 'a'], ['SADD', 'st', 'x'], ['ZADD', 'z', '1', 'a'],
    ]);
    await sameMessages(sub, 'the writes');                          // exact
    await p.exact('DEBUG', 'RELOAD');                               // exact: OK
    await sameMessages(sub, 'DEBUG RELOAD');                        // exact: none on either
    await p.exact('GET', 'long');                                   // exact: loaded
    await p.run([['SET', 's', 'changed'], ['DEL', 'h'], ['SET', 'extra', 'x']]);
    await sameMessages(sub, 'the changes');                         // exact
    await p.exact('DEBUG', 'RELOAD', 'NOSAVE', 'NOFLUSH', 'MERGE'); // exact: OK
    await sameMessages(sub, 'DEBUG RELOAD MERGE');                  // exact: none, replaced keys included
    await p.exact('GET', 's');                                      // exact: the file's v
    await p.exact('HGETALL', 'h');                                  // exact: back from the file
    await p.exact('GET', 'extra');                                  // exact: kept
  });
});

describe('expired events', () => {
  test('a key reclaimed after its TTL, by the server or by a read', async () => {
    const sub = await subscriber();
    await p.exact('CONFIG', 'SET', 'notify-keyspace-events', 'KEx'); // exact
    await p.exact('SET', 'e1', 'v', 'PX', '30');                    // exact
    await p.exact('SET', 'e2', 'v', 'PX', '60');                    // exact
    await p.exact('SET', 'e3\0\xff', 'v', 'PX', '1');               // exact
    await expiredMessages(sub, 3, 2);                               // content: 3 keys, K and E each
    await p.exact('SET', 'e4', 'v', 'PX', '1');                     // exact
    await new Promise((r) => setTimeout(r, 5));
    await p.exact('GET', 'e4');                                     // exact: nil either way
    await expiredMessages(sub, 1, 2);                               // content
    await p.exact('CONFIG', 'SET', 'notify-keyspace-events', 'Exm'); // exact
    await p.exact('SET', 'e5', 'v', 'PX', '1');                     // exact
    await expiredMessages(sub, 1, 1);                               // content: E only
    await p.exact('GET', 'e5');                                     // exact
    await sameMessages(sub, 'keymiss after expiry');                // exact: keymiss
  });

  test('no expired event when x is not selected', async () => {
    const sub = await subscriber();
    await p.exact('CONFIG', 'SET', 'notify-keyspace-events', 'KEg$'); // exact
    await p.exact('SET', 'e1', 'v', 'PX', '1');                     // exact
    await new Promise((r) => setTimeout(r, 150));
    await p.exact('GET', 'e1');                                     // exact
    await sameMessages(sub, 'set and expire, no expired');          // exact
  });
});

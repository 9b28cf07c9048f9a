import { describe, expect, test } from 'vitest';
import { pairSuite, show } from './harness.js';
import type { RawClient } from '../helpers/raw-client.js';
import { decodeReply, type Reply } from '../helpers/resp.js';

/**
 * Pub/sub against Redis 7.0, over several connections: the confirmations, messages and
 * errors each connection receives are compared byte for byte. Where Redis's order is
 * that of a hash table (UNSUBSCRIBE with no argument; pmessages of several matching
 * patterns; PUBSUB CHANNELS) the comparison says so and compares without order.
 *
 * A subscriber pair is synchronised with PING: its reply (["pong", ...] in RESP2) comes
 * after anything sent to it before, so comparing it also proves nothing else arrived.
 */

const p = pairSuite();

type Conn = [RawClient, RawClient];

/** Sends args on both connections; the next n replies of each compare byte for byte. */
async function exactN(on: Conn, n: number, ...args: (string | Buffer)[]): Promise<void> {
  on[0].send(...args);
  on[1].send(...args);
  await receiveExact(on, n, args.join(' '));
}

/** The next n replies (messages) of each connection compare byte for byte. */
async function receiveExact(on: Conn, n: number, what = 'messages'): Promise<void> {
  for (let i = 0; i < n; i++) {
    const a = await on[0].readReplyBytes();
    const b = await on[1].readReplyBytes();
    expect(show(b), `exact: ${what} (#${i + 1})`).toBe(show(a));
  }
}

/** The next n replies of each connection are the same multiset (Redis's hash-table order). */
async function receiveSorted(on: Conn, n: number, what = 'messages'): Promise<void> {
  const a: string[] = [];
  const b: string[] = [];
  for (let i = 0; i < n; i++) {
    a.push(show(await on[0].readReplyBytes()));
    b.push(show(await on[1].readReplyBytes()));
  }
  expect(b.sort(), `sorted: ${what}`).toEqual(a.sort());
}

/**
 * UNSUBSCRIBE / PUNSUBSCRIBE / SUNSUBSCRIBE with no argument on n subscriptions: Redis
 * goes through its hash table, so the channels come in any order, but the counts go
 * down one by one: same channels, same sequence of kinds and counts.
 */
async function unsubscribeAll(on: Conn, n: number, ...args: string[]): Promise<void> {
  on[0].send(...args);
  on[1].send(...args);
  const parts = async (c: RawClient) => {
    const names: string[] = [];
    const rest: string[] = [];
    for (let i = 0; i < n; i++) {
      const raw = await c.readReplyBytes();
      const r = decodeReply(raw)!.reply;
      if (r.type !== 'array' && r.type !== 'push') throw new Error(`not a confirmation: ${show(raw)}`);
      names.push(text(r.value[1]!));
      rest.push(`${r.type} ${text(r.value[0]!)} ${text(r.value[2]!)}`);
    }
    return { names: names.sort(), rest };
  };
  const a = await parts(on[0]);
  const b = await parts(on[1]);
  expect(b, `unordered channels, ordered counts: ${args.join(' ')}`).toEqual(a);
}

function text(r: Reply): string {
  if (r.type === 'bulk') return r.value.toString('latin1');
  if (r.type === 'integer') return String(r.value);
  return JSON.stringify(r);
}

/** PING on a subscriber pair: the replies compare, and nothing else was pending. */
async function sync(on: Conn): Promise<void> {
  await p.exactOn(on, 'PING', 'sync');
  expect(show(on[1].pending()), 'nothing more for lapse').toBe(show(on[0].pending()));
}

/** A pair of connections in RESP3. */
async function resp3(): Promise<Conn> {
  const on = await p.connect();
  await on[0].call('HELLO', '3');
  await on[1].call('HELLO', '3');
  return on;
}

/** Waits until both servers report `expected` for PUBSUB NUMSUB channel (a closed client is noticed asynchronously). */
async function waitNumsub(channel: string, expected: number): Promise<void> {
  const want = `*2\r\n$${channel.length}\r\n${channel}\r\n:${expected}\r\n`;
  for (let i = 0; i < 200; i++) {
    const [a, b] = await p.both(['PUBSUB', 'NUMSUB', channel]);
    if (a.toString('latin1') === want && b.toString('latin1') === want) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`NUMSUB ${channel} never became ${expected}`);
}

describe('SUBSCRIBE, UNSUBSCRIBE, PUBLISH (RESP2)', () => {
  test('confirmations count channels and patterns; repeats and unknown channels', async () => {
    const sub = await p.connect();
    await exactN(sub, 3, 'SUBSCRIBE', 'a', 'b', 'a');               // exact: counts 1 2 2
    await exactN(sub, 1, 'SUBSCRIBE', 'A');                         // exact: case-sensitive
    await exactN(sub, 2, 'PSUBSCRIBE', 'a*', 'a*');                 // exact: 4 4
    await exactN(sub, 1, 'UNSUBSCRIBE', 'nosuch');                  // exact: still 4
    await exactN(sub, 2, 'UNSUBSCRIBE', 'a', 'a');                  // exact: 3 3
    await exactN(sub, 1, 'PUNSUBSCRIBE', 'nosuch*');                // exact
    await exactN(sub, 1, 'PUNSUBSCRIBE', 'a*');                     // exact: 2
    await exactN(sub, 1, 'PUNSUBSCRIBE');                           // exact: none left: null pattern
    await unsubscribeAll(sub, 2, 'UNSUBSCRIBE');                    // unordered: b, A
    await exactN(sub, 1, 'UNSUBSCRIBE');                            // exact: none left: null channel, 0
    await p.exactOn(sub, 'GET', 'k');                               // exact: out of pub/sub mode
  });

  test('binary, empty and long channel names and messages', async () => {
    const sub = await p.connect();
    const bin = 'a\0b\r\nc\xff';
    await exactN(sub, 3, 'SUBSCRIBE', bin, '', 'x'.repeat(5000));   // exact
    await p.exact('PUBLISH', bin, 'm\0\r\n\xff');                   // exact: 1 receiver
    await receiveExact(sub, 1);                                     // exact: message
    await p.exact('PUBLISH', '', '');                               // exact
    await receiveExact(sub, 1);                                     // exact
    await p.exact('PUBLISH', 'x'.repeat(5000), 'y'.repeat(100_000)); // exact
    await receiveExact(sub, 1);                                     // exact: 100 KB message
    await p.exact('PUBLISH', 'a', 'nobody');                        // exact: 0
    await sync(sub);                                                // exact: nothing else
  });

  test('PUBLISH counts receivers: subscribers, and each matching pattern of each client', async () => {
    const s1 = await p.connect();
    const s2 = await p.connect();
    await exactN(s1, 2, 'SUBSCRIBE', 'news', 'other');              // exact
    await exactN(s1, 3, 'PSUBSCRIBE', 'n*', 'ne?s', 'x*');          // exact
    await exactN(s2, 1, 'SUBSCRIBE', 'news');                       // exact
    await exactN(s2, 1, 'PSUBSCRIBE', '*');                         // exact
    await p.exact('PUBLISH', 'news', 'hello');                      // exact: 5 receivers
    await receiveExact(s1, 1);                                      // exact: the message first
    await receiveSorted(s1, 2);                                     // sorted: pmessages of n* and ne?s
    await receiveExact(s2, 2);                                      // exact: message, pmessage
    await p.exact('PUBLISH', 'nope', 'x');                          // exact: 2 (n*, *)
    await receiveExact(s1, 1);                                      // exact: pmessage n*
    await receiveExact(s2, 1);                                      // exact: pmessage *
    await p.exact('PUBLISH', 'NEWS', 'x');                          // exact: patterns are case-sensitive: 1
    await receiveExact(s2, 1);                                      // exact
    await sync(s1);                                                 // exact
    await sync(s2);                                                 // exact
  });

  test('glob patterns', async () => {
    const sub = await p.connect();
    const patterns = ['h?llo', 'h[ae]llo', 'h[^e]llo', 'h[a-b]llo', 'h\\*llo', '*llo', '[', 'a\\', '\\?'];
    await exactN(sub, patterns.length, 'PSUBSCRIBE', ...patterns);  // exact
    for (const channel of ['hello', 'hallo', 'hbllo', 'h*llo', 'hllo', '[', 'a\\', '?', 'x']) {
      const reply = await p.exact('PUBLISH', channel, 'm');         // exact: number of matching patterns
      const n = Number(reply.toString('latin1').slice(1, -2));
      await receiveSorted(sub, n, `PUBLISH ${channel}`);            // sorted: pmessages
    }
    await sync(sub);                                                // exact
  });

  test('PUNSUBSCRIBE with no argument goes through the patterns in subscription order', async () => {
    const sub = await p.connect();
    await exactN(sub, 6, 'PSUBSCRIBE', 'p3', 'p1', 'p2', 'z*', 'a?', 'p1'); // exact
    await exactN(sub, 1, 'SUBSCRIBE', 'c');                         // exact
    await exactN(sub, 5, 'PUNSUBSCRIBE');                           // exact: p3 p1 p2 z* a? with counts 5..1
    await exactN(sub, 1, 'UNSUBSCRIBE');                            // exact: c, 0
  });

  test('messages keep their order, pipelined publishers and subscribers', async () => {
    const sub = await p.connect();
    await exactN(sub, 1, 'SUBSCRIBE', 'q');                         // exact
    const pipeline = Buffer.concat(
      Array.from({ length: 200 }, (_, i) => Buffer.from(`*3\r\n$7\r\nPUBLISH\r\n$1\r\nq\r\n$${String(i).length}\r\n${i}\r\n`)),
    );
    p.r.write(pipeline);
    p.l.write(pipeline);
    await receiveExact([p.r, p.l], 200, 'PUBLISH replies');         // exact: 200 x :1
    await receiveExact(sub, 200, 'messages 0..199');                // exact: in order
    await sync(sub);                                                // exact
  });

  test('a closed subscriber is forgotten', async () => {
    const sub = await p.connect();
    await exactN(sub, 1, 'SUBSCRIBE', 'gone');                      // exact
    await exactN(sub, 1, 'PSUBSCRIBE', 'gone*');                    // exact
    await p.exact('PUBSUB', 'NUMSUB', 'gone');                      // exact: 1
    sub[0].close();
    sub[1].close();
    await waitNumsub('gone', 0);                                    // exact (polled)
    await p.exact('PUBSUB', 'NUMPAT');                              // exact: 0
    await p.exact('PUBLISH', 'gone', 'x');                          // exact: 0
  });
});

describe('pub/sub mode (RESP2)', () => {
  test('only (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT and RESET are allowed', async () => {
    const sub = await p.connect();
    await exactN(sub, 1, 'SUBSCRIBE', 'c');                         // exact
    await p.exactOn(sub, 'GET', 'k');                               // exact: Can't execute 'get'
    await p.exactOn(sub, 'set', 'k', 'v');                          // exact: named in lowercase
    await p.exactOn(sub, 'PUBLISH', 'c', 'm');                      // exact: refused too
    await p.exactOn(sub, 'CONFIG', 'GET', 'port');                  // exact: 'config|get'
    await p.exactOn(sub, 'CLIENT', 'LIST');                         // exact: 'client|list'
    await p.exactOn(sub, 'PUBSUB', 'NUMPAT');                       // exact: 'pubsub|numpat'
    await p.exactOn(sub, 'HELLO', '3');                             // exact: HELLO refused
    await p.exactOn(sub, 'SELECT', '1');                            // exact
    await p.exactOn(sub, 'NOSUCH', 'x');                            // exact: unknown command first
    await p.exactOn(sub, 'GET');                                    // exact: arity first
    await p.exactOn(sub, 'CONFIG', 'NOSUCH');                       // exact: unknown subcommand first
    await p.exactOn(sub, 'PING');                                   // exact: ["pong", ""]
    await p.exactOn(sub, 'PING', 'hi\0');                           // exact: ["pong", "hi\0"]
    await p.exactOn(sub, 'ping', 'a', 'b');                         // exact: arity
    await exactN(sub, 1, 'SSUBSCRIBE', 's');                        // exact: ssubscribe count 1
    await exactN(sub, 1, 'SUNSUBSCRIBE');                           // exact
    await p.exactOn(sub, 'QUIT');                                   // exact: +OK
    await sub[0].waitClosed();
    await sub[1].waitClosed();
  });

  test('pub/sub mode lasts while any subscription is left, shard channels included', async () => {
    const sub = await p.connect();
    await exactN(sub, 1, 'SSUBSCRIBE', 's1');                       // exact
    await exactN(sub, 1, 'UNSUBSCRIBE');                            // exact: null, 0: no channel
    await p.exactOn(sub, 'GET', 'k');                               // exact: still refused (s1)
    await exactN(sub, 1, 'PUNSUBSCRIBE');                           // exact
    await exactN(sub, 1, 'SUNSUBSCRIBE', 's1');                     // exact: 0
    await p.exactOn(sub, 'GET', 'k');                               // exact: mode left
    await p.exactOn(sub, 'PING');                                   // exact: +PONG again
    await exactN(sub, 1, 'PSUBSCRIBE', 'x');                        // exact
    await p.exactOn(sub, 'GET', 'k');                               // exact: refused
    await exactN(sub, 1, 'PUNSUBSCRIBE', 'x');                      // exact
    await p.exactOn(sub, 'GET', 'k');                               // exact: allowed
    await exactN(sub, 1, 'UNSUBSCRIBE', 'never');                   // exact: a client never subscribed
    await p.exactOn(sub, 'GET', 'k');                               // exact: allowed
  });

  test('RESET ends pub/sub mode silently, and MULTI is refused while subscribed', async () => {
    const sub = await p.connect();
    await exactN(sub, 2, 'SUBSCRIBE', 'a', 'b');                    // exact
    await exactN(sub, 1, 'PSUBSCRIBE', 'x*');                       // exact
    await p.exactOn(sub, 'MULTI');                                  // exact: refused while subscribed
    await p.exactOn(sub, 'RESET');                                  // exact: +RESET, no unsubscribe messages
    await p.exactOn(sub, 'GET', 'k');                               // exact: mode left
    await p.exact('PUBSUB', 'NUMSUB', 'a', 'b');                    // exact: no subscriber left
    await p.exact('PUBSUB', 'NUMPAT');                              // exact: 0
    await p.exact('PUBLISH', 'a', 'm');                             // exact: 0 receivers
  });

  test('CLIENT LIST and CLIENT INFO: flag P, sub psub ssub, TYPE pubsub', async () => {
    const sub = await p.connect();
    await exactN(sub, 2, 'SUBSCRIBE', 'a', 'b');                    // exact
    await exactN(sub, 3, 'PSUBSCRIBE', 'x', 'y', 'z');              // exact
    await exactN(sub, 1, 'SSUBSCRIBE', 's');                        // exact
    const fields = (raw: Buffer) =>
      raw
        .toString('latin1')
        .split('\n')
        .filter((l) => l.includes('id='))
        .map((l) => ['flags', 'db', 'sub', 'psub', 'ssub', 'multi'].map((f) => new RegExp(` ${f}=(\\S*)`).exec(l)![1]).join(' '));
    const [r, l] = await p.both(['CLIENT', 'LIST', 'TYPE', 'pubsub']);
    expect(fields(l), 'CLIENT LIST TYPE pubsub').toEqual(fields(r));  // exact fields: the subscriber only
    expect(fields(r)).toEqual(['P 0 2 3 1 -1']);
    const [rn, ln] = await p.both(['CLIENT', 'LIST', 'TYPE', 'normal']);
    expect(fields(ln), 'CLIENT LIST TYPE normal').toEqual(fields(rn)); // exact fields
    await unsubscribeAll(sub, 2, 'UNSUBSCRIBE');                    // unordered
    await exactN(sub, 3, 'PUNSUBSCRIBE');                           // exact
    await exactN(sub, 1, 'SUNSUBSCRIBE');                           // exact
    const [ri, li] = await p.both(['CLIENT', 'INFO'], sub);
    expect(fields(li), 'CLIENT INFO after').toEqual(fields(ri));     // exact fields: N, 0 0 0
  });
});

describe('RESP3', () => {
  test('confirmations and messages are pushes; any command runs while subscribed', async () => {
    const sub = await resp3();
    await exactN(sub, 2, 'SUBSCRIBE', 'c', 'd');                    // exact: >3 pushes
    await exactN(sub, 1, 'PSUBSCRIBE', 'c*');                       // exact
    await p.exactOn(sub, 'GET', 'k');                               // exact: _ (allowed)
    await p.exactOn(sub, 'PING');                                   // exact: +PONG
    await p.exactOn(sub, 'PING', 'm');                              // exact: $1 m
    await p.exact('PUBLISH', 'c', 'hello');                         // exact: 2
    await receiveExact(sub, 2);                                     // exact: >3 message, >4 pmessage
    await exactN(sub, 3, 'PUBLISH', 'c', 'self');                   // exact: message, pmessage, then :2
    await exactN(sub, 1, 'UNSUBSCRIBE', 'c');                       // exact: count 2
    await exactN(sub, 1, 'PUNSUBSCRIBE');                           // exact
    await exactN(sub, 1, 'UNSUBSCRIBE', 'd');                       // exact: 0
    await exactN(sub, 1, 'UNSUBSCRIBE');                            // exact: >3 unsubscribe _ :0
    await exactN(sub, 1, 'PUNSUBSCRIBE');                           // exact
    await exactN(sub, 1, 'SSUBSCRIBE', 's');                        // exact
    await exactN(sub, 2, 'SPUBLISH', 's', 'x');                     // exact: smessage then :1
  });

  test('RESP2 and RESP3 subscribers of one channel each get their own encoding', async () => {
    const s2 = await p.connect();
    const s3 = await resp3();
    await exactN(s2, 1, 'SUBSCRIBE', 'mix');                        // exact
    await exactN(s3, 1, 'SUBSCRIBE', 'mix');                        // exact
    await exactN(s3, 1, 'PSUBSCRIBE', 'm*');                        // exact
    await exactN(s2, 1, 'PSUBSCRIBE', 'm*');                        // exact
    await p.exact('PUBLISH', 'mix', 'v');                           // exact: 4
    await receiveExact(s2, 2);                                      // exact: *3, *4
    await receiveExact(s3, 2);                                      // exact: >3, >4
    await sync(s2);                                                 // exact
    await p.exactOn(s3, 'PING', 'sync');                            // exact
  });

  test('HELLO switches a subscriber between protocols', async () => {
    const sub = await resp3();
    await exactN(sub, 1, 'SUBSCRIBE', 'c');                         // exact
    const [r, l] = await p.both(['HELLO', '2'], sub);
    expect(l.length > 0 && r.length > 0).toBe(true);                // HELLO's own reply (ids differ)
    await p.exactOn(sub, 'GET', 'k');                               // exact: now refused
    await p.exactOn(sub, 'PING');                                   // exact: ["pong", ""]
    await p.exact('PUBLISH', 'c', 'x');                             // exact
    await receiveExact(sub, 1);                                     // exact: *3 message
  });
});

describe('PUBSUB', () => {
  test('CHANNELS, NUMSUB, NUMPAT', async () => {
    const s1 = await p.connect();
    const s2 = await p.connect();
    await exactN(s1, 3, 'SUBSCRIBE', 'news.a', 'news.b', 'x\0y');   // exact
    await exactN(s2, 2, 'SUBSCRIBE', 'news.a', 'other');            // exact
    await exactN(s1, 2, 'PSUBSCRIBE', 'news.*', 'o*');              // exact
    await exactN(s2, 2, 'PSUBSCRIBE', 'news.*', 'z');               // exact
    await p.sorted('PUBSUB', 'CHANNELS');                           // sorted: 4 channels
    await p.sorted('PUBSUB', 'CHANNELS', 'news.*');                 // sorted
    await p.sorted('pubsub', 'channels', '*');                      // sorted: case-insensitive
    await p.exact('PUBSUB', 'CHANNELS', 'x*');                      // exact: binary name
    await p.exact('PUBSUB', 'CHANNELS', 'NEWS*');                   // exact: empty, case-sensitive
    await p.exact('PUBSUB', 'NUMSUB', 'news.a', 'news.b', 'nosuch', 'news.a', 'o*', ''); // exact
    await p.exact('PUBSUB', 'NUMSUB');                              // exact: empty array
    await p.exact('PUBSUB', 'NUMPAT');                              // exact: 3 distinct patterns
    await p.exact('PUBSUB', 'SHARDCHANNELS');                       // exact: empty
    await p.exact('PUBSUB', 'SHARDNUMSUB', 'news.a');               // exact: 0
    await unsubscribeAll(s1, 3, 'UNSUBSCRIBE');                     // unordered
    await p.sorted('PUBSUB', 'CHANNELS');                           // sorted: news.a other
    await p.exact('PUBSUB', 'NUMSUB', 'news.a', 'news.b');          // exact: 1 0
    await exactN(s2, 2, 'PUNSUBSCRIBE');                            // exact
    await p.exact('PUBSUB', 'NUMPAT');                              // exact: 2
  });

  test('shard channels', async () => {
    const s1 = await p.connect();
    await exactN(s1, 2, 'SSUBSCRIBE', 'sh1', 'sh2');                // exact
    await exactN(s1, 1, 'SUBSCRIBE', 'sh1');                        // exact: channels count apart
    await exactN(s1, 1, 'PSUBSCRIBE', 'sh*');                       // exact
    await p.exact('SPUBLISH', 'sh1', 'm');                          // exact: 1 (no patterns)
    await receiveExact(s1, 1);                                      // exact: smessage
    await p.exact('PUBLISH', 'sh1', 'm');                           // exact: 2
    await receiveExact(s1, 2);                                      // exact: message, pmessage
    await p.exact('PUBSUB', 'SHARDNUMSUB', 'sh1', 'sh2', 'sh3');    // exact
    await p.sorted('PUBSUB', 'SHARDCHANNELS');                      // sorted
    await p.exact('PUBSUB', 'SHARDCHANNELS', 'sh1');                // exact
    await exactN(s1, 1, 'SUNSUBSCRIBE', 'sh2');                     // exact: 1
    await exactN(s1, 1, 'SUNSUBSCRIBE');                            // exact: sh1, 0
    await exactN(s1, 1, 'SUNSUBSCRIBE');                            // exact: null, 0
    await p.exact('SPUBLISH', 'sh1', 'm');                          // exact: 0
    await sync(s1);                                                 // exact
  });

  test('errors and HELP', async () => {
    await p.exact('PUBSUB');                                        // exact: arity
    await p.exact('PUBSUB', 'NOSUCH');                              // exact: unknown subcommand
    await p.exact('PUBSUB', 'CHANNELS', 'a', 'b');                  // exact: subcommand syntax error
    await p.exact('pubsub', 'channels', 'a', 'b');                  // exact: names as given
    await p.exact('PUBSUB', 'SHARDCHANNELS', 'a', 'b');             // exact
    await p.exact('PUBSUB', 'NUMPAT', 'x');                         // exact: arity
    await p.exact('PUBSUB', 'HELP');                                // exact
    await p.exact('PUBSUB', 'help', 'x');                           // exact: arity
    await p.exact('PUBLISH', 'c');                                  // exact: arity
    await p.exact('PUBLISH', 'c', 'm', 'x');                        // exact
    await p.exact('SPUBLISH', 'c');                                 // exact
    await p.exact('SUBSCRIBE');                                     // exact
    await p.exact('PSUBSCRIBE');                                    // exact
    await p.exact('SSUBSCRIBE');                                    // exact
    await p.exact('COMMAND', 'INFO', 'subscribe', 'publish', 'pubsub|channels'); // exact: metadata
  });

  test('INFO stats counts channels and distinct patterns', async () => {
    const s1 = await p.connect();
    const s2 = await p.connect();
    await exactN(s1, 2, 'SUBSCRIBE', 'a', 'b');                     // exact
    await exactN(s2, 1, 'SUBSCRIBE', 'a');                          // exact
    await exactN(s1, 2, 'PSUBSCRIBE', 'p', 'q');                    // exact
    await exactN(s2, 1, 'PSUBSCRIBE', 'p');                         // exact
    await exactN(s2, 1, 'SSUBSCRIBE', 's');                         // exact
    const [r, l] = await p.both(['INFO', 'stats']);
    const pick = (raw: Buffer) => raw.toString('latin1').split('\r\n').filter((x) => x.startsWith('pubsub'));
    expect(pick(l), 'INFO pubsub fields').toEqual(pick(r));          // exact fields
    expect(pick(r)).toEqual(['pubsub_channels:2', 'pubsub_patterns:2', 'pubsubshard_channels:1']);
  });
});

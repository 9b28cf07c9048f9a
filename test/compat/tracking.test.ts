import { describe, expect, test } from 'vitest';
import { pairSuite, type Pair } from './harness.js';
import type { RawClient } from '../helpers/raw-client.js';
import { encodeCommand } from '../helpers/resp.js';

/**
 * CLIENT TRACKING (client-side caching) against redis-server 7.0: the same commands on
 * connections to each server, and then everything each connection received (its
 * replies and the invalidations pushed to it, in order) compared byte for byte. Client
 * ids differ between the servers by nature: where one appears (REDIRECT, GETREDIR,
 * TRACKINGINFO, tracking-redir-broken), it is written as the name of its connection.
 */
const p = pairSuite();

type Side = 0 | 1;
/** An argument that differs per server (a client id). */
type Arg = string | ((side: Side) => string);

/** Several connections to each server, driven in step, their streams compared at the end. */
class Scenario {
  constructor(private readonly pair: Pair) {}

  readonly conns: [RawClient, RawClient][] = [];
  /** Per server: client id -> the connection's name. */
  private readonly ids: [Map<string, string>, Map<string, string>] = [new Map(), new Map()];
  private marker = 0;

  /** Opens a connection on each server; its client id is recorded under `name`. */
  async open(name: string): Promise<number> {
    const pair = await this.pair.connect();
    const index = this.conns.push(pair) - 1;
    for (const side of [0, 1] as const) {
      const reply = await pair[side].call('CLIENT', 'ID');
      this.ids[side].set(reply.toString('latin1').slice(1, -2), name);
    }
    return index;
  }

  /** The client id of connection `index` on a server, for REDIRECT. */
  id(index: number): (side: Side) => string {
    return (side) => {
      for (const [id, name] of this.ids[side]) if (name === `#${index}`) return id;
      throw new Error(`no connection #${index}`);
    };
  }

  /**
   * Sends argv on connection `index` of both servers, then a PING, and waits for the
   * PING's answer on each (so the command ran and what it caused was sent).
   */
  async send(index: number, ...argv: Arg[]): Promise<void> {
    await this.pipeline(index, [argv]);
  }

  /** Several commands in one write (one read for the server: one event-loop turn). */
  async pipeline(index: number, commands: Arg[][]): Promise<void> {
    const mark = `m${this.marker++}`;
    for (const side of [0, 1] as const) {
      const c = this.conns[index]![side];
      const bytes = [...commands, ['PING', mark]].map((argv) => encodeCommand(argv.map((a) => (typeof a === 'string' ? a : a(side)))));
      c.write(Buffer.concat(bytes));
      await waitFor(c, `$${mark.length}\r\n${mark}\r\n`);
    }
  }

  /** Waits `ms` (for what arrives by time: an expiry, a broadcast). */
  async wait(ms: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
  }

  /**
   * Ends every connection's stream with a PING and compares, connection by connection,
   * all that each received on the two servers (ids named).
   */
  async compare(what: string): Promise<string[]> {
    const streams: string[] = [];
    await this.pipelineAll();
    for (let i = 0; i < this.conns.length; i++) {
      const [r, l] = this.conns[i]!.map((c, side) => this.named(side as Side, take(c)));
      expect(JSON.stringify(l), `${what}: connection #${i}`).toBe(JSON.stringify(r));
      streams.push(r!);
    }
    return streams;
  }

  private async pipelineAll(): Promise<void> {
    for (let i = 0; i < this.conns.length; i++) await this.send(i, 'PING', 'end');
  }

  /**
   * The stream with client ids replaced by connection names (an integer reply or element
   * that is a known id, HELLO's proto aside), and CLIENT INFO/LIST lines reduced to the
   * fields tracking sets (the others are compared by their own tests).
   */
  private named(side: Side, text: string): string {
    const lines = text
      .replace(/[=$]\d+\r\n(?:txt:)?(id=[^\n]*)\n\r\n/g, (_, line: string) => `<client ${this.namedLine(side, line)}>\r\n`)
      .split('\r\n');
    for (let i = 0; i < lines.length; i++) {
      const name = lines[i]!.startsWith(':') && lines[i - 1] !== 'proto' ? this.ids[side].get(lines[i]!.slice(1)) : undefined;
      if (name !== undefined) lines[i] = `:<${name}>`;
    }
    return lines.join('\r\n');
  }

  private namedLine(side: Side, line: string): string {
    const field = (name: string) => new RegExp(`(?:^| )${name}=(\\S*)`).exec(line)![1]!;
    const named = (id: string) => (this.ids[side].has(id) ? `<${this.ids[side].get(id)}>` : id);
    return `id=${named(field('id'))} flags=${field('flags')} redir=${named(field('redir'))}`;
  }
}

/** What a connection received and nobody read yet, as latin1 text. */
function take(c: RawClient): string {
  return c.takePending().toString('latin1');
}

/** Waits until `marker` (unique) was received: a push may follow it at once. */
async function waitFor(c: RawClient, marker: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (c.pending().toString('latin1').includes(marker)) return;
    if (c.isClosed) throw new Error('connection closed');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${JSON.stringify(marker)}; got ${JSON.stringify(c.pending().toString('latin1'))}`);
}

/** Opens connections #0..#n-1. */
async function scenario(n: number, pair: Pair = p): Promise<Scenario> {
  const s = new Scenario(pair);
  for (let i = 0; i < n; i++) await s.open(`#${i}`);
  return s;
}

/** The fields of a CLIENT INFO / LIST line that tracking sets, as compare() shows them. */
function trackingFields(stream: string): string[] {
  return [...stream.matchAll(/<client id=\S+ (flags=\S+ redir=\S+)>\r\n/g)].map((m) => m[1]!);
}

/** INFO's tracking lines on both servers, compared. */
async function trackingInfo(): Promise<string> {
  const [a, b] = await p.both(['INFO', 'everything']);
  const pick = (buf: Buffer) => buf.toString('latin1').split('\r\n').filter((l) => l.startsWith('tracking_')).join(' ');
  expect(pick(b), 'INFO tracking_*').toBe(pick(a));
  return pick(a);
}

describe('CLIENT TRACKING, default mode', () => {
  test('RESP3: keys read are invalidated once, when another connection changes them', async () => {
    const s = await scenario(2);
    await s.send(0, 'HELLO', '3');
    await s.send(0, 'CLIENT', 'TRACKING', 'ON');
    await s.send(0, 'GET', 'k');
    await s.send(0, 'MGET', 'k2', 'k3', 'k4');
    await s.send(0, 'HGET', 'h', 'f');
    await s.send(1, 'SET', 'k', 'v');                       // invalidates k
    await s.send(1, 'SET', 'k', 'w');                       // nothing: forgotten
    await s.send(1, 'DEL', 'k2', 'nosuch');                 // nothing: k2 did not exist
    await s.send(1, 'MSET', 'k2', '1', 'k3', '2');          // k2, k3
    await s.send(1, 'HSET', 'h', 'f', 'v');                 // h
    await s.send(0, 'GET', 'k');
    await s.send(1, 'EXPIRE', 'k', '100');                  // a TTL is a change
    await s.send(0, 'GET', 'k');
    await s.send(1, 'DEL', 'k');
    await s.send(0, 'SET', 'w', '1');                       // a write is not a read
    await s.send(1, 'SET', 'w', '2');
    await s.send(0, 'STRLEN', 'w');
    await s.send(1, 'RENAME', 'w', 'w2');                   // the source changes
    await s.send(0, 'CLIENT', 'INFO');
    const [tracker] = await s.compare('default mode');
    expect(tracker).toContain('>2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\nk3\r\n');
    expect(trackingFields(tracker!)).toEqual(['flags=t redir=0']);
  });

  test('its own writes: after the reply, after EXEC; NOLOOP: none', async () => {
    const s = await scenario(2);
    await s.send(0, 'HELLO', '3');
    await s.send(0, 'CLIENT', 'TRACKING', 'ON');
    await s.send(0, 'GET', 'a');
    await s.send(0, 'SET', 'a', '1');                       // +OK, then the invalidation
    await s.pipeline(0, [['GET', 'a'], ['GET', 'b'], ['MULTI'], ['SET', 'a', '2'], ['GET', 'b'], ['SET', 'b', '3'], ['EXEC']]);
    await s.send(0, 'GET', 'c');
    await s.send(0, 'EVAL', "return redis.call('set', KEYS[1], 'x')", '1', 'c');
    await s.send(1, 'HELLO', '3');
    await s.send(1, 'CLIENT', 'TRACKING', 'ON', 'NOLOOP');
    await s.send(1, 'GET', 'n');
    await s.send(1, 'SET', 'n', '1');                       // NOLOOP: no invalidation for its own write
    await s.send(1, 'GET', 'n');
    await s.send(0, 'SET', 'n', '2');                       // another's write still invalidates
    await s.send(1, 'CLIENT', 'TRACKINGINFO');
    await s.compare('own writes');
  });

  test('a blocked BLMOVE served by another client: its own write\'s invalidation follows its reply', async () => {
    const s = await scenario(2);
    await s.send(1, 'RPUSH', 'list2', 'a');
    await s.send(0, 'HELLO', '3');
    await s.send(0, 'CLIENT', 'TRACKING', 'ON');
    await s.send(0, 'LRANGE', 'list2', '0', '-1');
    // #0 blocks (no PING after it: its answer comes when it is served).
    for (const c of s.conns[0]!) c.write(encodeCommand(['BLMOVE', 'list1', 'list2', 'LEFT', 'LEFT', '0']));
    await s.wait(100);
    await s.send(1, 'RPUSH', 'list1', 'foo');             // serves #0: "foo", then the invalidation of list2
    await s.wait(100);
    await s.compare('served BLMOVE');
  });

  test('inside MULTI and scripts: reads in EXEC are tracked; a script tracks its declared keys once it reads', async () => {
    const s = await scenario(2);
    await s.send(0, 'HELLO', '3');
    await s.send(0, 'CLIENT', 'TRACKING', 'ON');
    await s.pipeline(0, [['MULTI'], ['GET', 'm1'], ['LLEN', 'm2'], ['EXEC']]);
    await s.send(1, 'SET', 'm1', 'x');
    await s.send(1, 'LPUSH', 'm2', 'x');
    // The script reads 'undeclared': Redis 7.0 remembers the declared key (KEYS), not it.
    await s.send(0, 'EVAL', "redis.call('get', 'undeclared'); return 1", '1', 'declared');
    await s.send(1, 'SET', 'undeclared', '1');
    await s.send(1, 'SET', 'declared', '1');
    // A script that only writes tracks nothing; EVAL_RO is not itself a read.
    await s.send(0, 'EVAL', "return redis.call('set', 'other', 'v')", '1', 'declared2');
    await s.send(1, 'SET', 'declared2', '1');
    await s.send(0, 'EVAL_RO', "return redis.call('get', KEYS[1])", '1', 'ro');
    await s.send(1, 'SET', 'ro', '1');
    await s.send(0, 'FUNCTION', 'LOAD', "#!lua name=trk\nredis.register_function{function_name='rd', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}");
    await s.send(0, 'FCALL_RO', 'rd', '1', 'fk');
    await s.send(1, 'SET', 'fk', '1');
    await s.send(0, 'FUNCTION', 'FLUSH');
    await s.compare('multi and scripts');
  });

  test('FLUSHALL and FLUSHDB: the null invalidation to every tracking client, its own after the reply', async () => {
    const s = await scenario(3);
    await s.send(0, 'HELLO', '3');
    await s.send(0, 'CLIENT', 'TRACKING', 'ON');
    await s.send(0, 'GET', 'k');
    await s.send(1, 'HELLO', '3');
    await s.send(1, 'CLIENT', 'TRACKING', 'ON', 'BCAST');
    await s.send(2, 'FLUSHDB');                             // empty, still sent
    await s.send(2, 'SELECT', '1');
    await s.send(2, 'FLUSHDB', 'ASYNC');
    await s.send(0, 'FLUSHALL');
    await s.send(2, 'SET', 'k', 'v');                       // the table was emptied by the flush; BCAST sees k
    await s.wait(50);
    await s.compare('flush');
    await trackingInfo();
  });

  test('OPTIN and OPTOUT with CLIENT CACHING: for the next command only, or the next transaction', async () => {
    const s = await scenario(3);
    await s.send(0, 'HELLO', '3');
    await s.send(0, 'CLIENT', 'TRACKING', 'ON', 'OPTIN');
    await s.send(0, 'GET', 'a');                            // not tracked
    // (Each step ends with a PING, which ends CACHING's effect: CACHING and its command go together.)
    await s.pipeline(0, [['CLIENT', 'CACHING', 'yes'], ['CLIENT', 'TRACKINGINFO'], ['GET', 'b']]); // caching-yes kept by a CLIENT command; b tracked
    await s.send(0, 'GET', 'c');                            // not tracked
    await s.pipeline(0, [['CLIENT', 'CACHING', 'YES'], ['MULTI'], ['GET', 'd'], ['GET', 'e'], ['EXEC'], ['GET', 'f']]);
    await s.send(0, 'CLIENT', 'CACHING', 'no');
    await s.send(1, 'HELLO', '3');
    await s.send(1, 'CLIENT', 'TRACKING', 'ON', 'OPTOUT');
    await s.send(1, 'GET', 'a');                            // tracked
    await s.pipeline(1, [['CLIENT', 'CACHING', 'NO'], ['CLIENT', 'TRACKINGINFO'], ['GET', 'b']]); // b not tracked
    await s.send(1, 'GET', 'c');                            // tracked
    await s.send(1, 'CLIENT', 'CACHING', 'yes');
    await s.send(1, 'CLIENT', 'CACHING', 'maybe');
    await s.send(2, 'MSET', 'a', '1', 'b', '1', 'c', '1', 'd', '1', 'e', '1', 'f', '1');
    await s.compare('optin/optout');
  });

  test('RESP2: invalidations redirected to a subscriber of __redis__:invalidate; a gone target breaks the redirect', async () => {
    const s = await scenario(4);
    await s.send(1, 'SUBSCRIBE', '__redis__:invalidate');
    await s.send(0, 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', s.id(1));
    await s.send(0, 'CLIENT', 'GETREDIR');
    await s.send(0, 'GET', 'k');
    await s.send(0, 'MGET', 'k', 'j');
    await s.send(2, 'SET', 'k', 'v');                       // a message on the channel
    await s.send(2, 'FLUSHALL');                            // the message with a null ($-1 for a RESP2 tracker)
    await s.send(0, 'CLIENT', 'TRACKINGINFO');
    await s.send(0, 'CLIENT', 'INFO');
    // A RESP3 target gets a push whether or not it subscribed.
    await s.send(3, 'HELLO', '3');
    await s.send(0, 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', s.id(3));
    await s.send(0, 'GET', 'x');
    await s.send(2, 'SET', 'x', '1');
    const streams = await s.compare('redirect');
    expect(streams[1]).toContain('$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nk\r\n');
    // The target goes: the RESP2 tracker is flagged R; a RESP3 one is told.
    s.conns[3]!.forEach((c) => c.close());
    await s.wait(100);
    await s.send(0, 'GET', 'x');
    await s.send(2, 'SET', 'x', '2');
    await s.send(0, 'CLIENT', 'INFO');
    await s.send(0, 'CLIENT', 'TRACKINGINFO');
    await s.send(0, 'HELLO', '3');
    await s.send(0, 'GET', 'x');
    await s.send(2, 'SET', 'x', '3');                       // >2 tracking-redir-broken <id>
    await s.send(0, 'CLIENT', 'TRACKING', 'ON');            // on again: redirect and flag cleared
    await s.send(0, 'CLIENT', 'GETREDIR');
    s.conns.splice(3, 1);
    const after = await s.compare('broken redirect');
    expect(trackingFields(after[0]!)[0]).toBe('flags=tR redir=<#3>');
    expect(after[0]).toContain('tracking-redir-broken');
  });

  test('CLIENT REPLY OFF drops the replies, not the invalidations', async () => {
    const s = await scenario(2);
    await s.send(0, 'HELLO', '3');
    await s.send(0, 'CLIENT', 'TRACKING', 'ON');
    await s.send(0, 'GET', 'k');
    await s.send(0, 'GET', 'j');
    // (No PING between: its answer would not come.)
    for (const side of [0, 1] as const) s.conns[0]![side].send('CLIENT', 'REPLY', 'OFF');
    for (const side of [0, 1] as const) s.conns[0]![side].send('SET', 'k', '1');   // its own write: the invalidation still comes
    await s.wait(50);
    await s.send(1, 'SET', 'j', '1');
    for (const side of [0, 1] as const) s.conns[0]![side].send('CLIENT', 'REPLY', 'ON');
    const [tracker] = await s.compare('reply off');
    expect(tracker!.endsWith('>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nj\r\n+OK\r\n$3\r\nend\r\n$2\r\nm5\r\n')).toBe(true);
  });

  test('RESP2 without a redirect: tracked, but nothing can be sent', async () => {
    const s = await scenario(2);
    await s.send(0, 'CLIENT', 'TRACKING', 'ON');
    await s.send(0, 'GET', 'k');
    await s.send(1, 'SET', 'k', '1');
    await s.send(0, 'SET', 'k', '2');
    await s.send(1, 'SUBSCRIBE', 'x');
    await s.send(0, 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', s.id(1));
    await s.send(0, 'GET', 'k');
    await s.send(0, 'SET', 'k', '3');                       // its own write, redirected: the message goes to #1
    await s.compare('resp2');
  });
});

describe('CLIENT TRACKING and expiry', () => {
  // DEBUG SET-ACTIVE-EXPIRE, to see a key expire when it is read.
  const d = pairSuite({ lapse: { 'enable-debug-command': 'yes' }, redis: ['--enable-debug-command', 'yes'] });

  test('a key read with a TTL is invalidated when it expires; expired on read: after the reply', async () => {
    const s = await scenario(2, d);
    await s.send(0, 'HELLO', '3');
    await s.send(0, 'CLIENT', 'TRACKING', 'ON');
    await s.send(1, 'SET', 'short', 'v', 'PX', '100');
    await s.send(0, 'GET', 'short');
    await s.wait(400);                                      // the arrival time may differ, not the bytes
    await s.send(1, 'DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    await s.send(1, 'SET', 'lazy', 'v', 'PX', '50');
    await s.send(0, 'GET', 'lazy');
    await s.wait(200);
    // Active expiry is off: the key expires when read (nil, then the invalidation).
    await s.send(0, 'GET', 'lazy');
    await s.send(1, 'DEBUG', 'SET-ACTIVE-EXPIRE', '1');
    const [tracker] = await s.compare('expiry');
    expect(tracker).toContain('>2\r\n$10\r\ninvalidate\r\n*1\r\n$5\r\nshort\r\n');
    expect(tracker).toContain('_\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$4\r\nlazy\r\n');
  });
});

describe('CLIENT TRACKING BCAST', () => {
  test('prefixes: one invalidation per prefix with the keys changed in the turn, in byte order', async () => {
    const s = await scenario(3);
    await s.send(0, 'HELLO', '3');
    await s.send(0, 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'user:', 'PREFIX', 'sess:');
    await s.send(0, 'CLIENT', 'TRACKINGINFO');
    await s.send(1, 'HELLO', '3');
    await s.send(1, 'CLIENT', 'TRACKING', 'ON', 'BCAST');   // every key
    await s.pipeline(2, [['SET', 'user:2', 'a'], ['SET', 'sess:9', 'b'], ['SET', 'other', 'c'], ['SET', 'user:10', 'd'], ['SET', 'user:2', 'e'], ['DEL', 'sess:9']]);
    await s.wait(50);
    await s.send(2, 'SET', 'sess:1', 'x');
    await s.wait(50);
    await s.send(0, 'GET', 'user:2');                       // reads are not tracked in BCAST
    await s.send(0, 'CLIENT', 'INFO');
    await s.compare('bcast');
    expect(await trackingInfo()).toContain('tracking_total_prefixes:3');
  });

  test('NOLOOP leaves out the keys the client changed itself; a RESP2 BCAST client redirects', async () => {
    const s = await scenario(3);
    await s.send(0, 'HELLO', '3');
    await s.send(0, 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'NOLOOP', 'PREFIX', 'p');
    await s.pipeline(0, [['SET', 'p1', '1'], ['SET', 'p2', '2']]);
    await s.wait(50);
    // A script's write is the script client's, not its caller's: NOLOOP does not hide it.
    await s.send(0, 'EVAL', "return redis.call('set', KEYS[1], '1')", '1', 'p4');
    await s.wait(50);
    await s.send(2, 'SUBSCRIBE', '__redis__:invalidate');
    await s.send(1, 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'p', 'REDIRECT', s.id(2));
    await s.send(1, 'SET', 'p3', '3');
    await s.wait(50);
    await s.send(0, 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'q');   // adds a prefix
    await s.send(0, 'CLIENT', 'TRACKINGINFO');
    await s.compare('noloop');
  });

  test('expired keys are broadcast', async () => {
    const s = await scenario(2);
    await s.send(0, 'HELLO', '3');
    await s.send(0, 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'e:');
    await s.send(1, 'SET', 'e:1', 'v', 'PX', '50');
    await s.wait(300);
    await s.compare('expired');
  });
});

describe('CLIENT TRACKING errors and state', () => {
  test('every refusal, as Redis words it, and its state after', async () => {
    const s = await scenario(2);
    const c = 0;
    const cases: Arg[][] = [
      ['CLIENT', 'TRACKING'],
      ['CLIENT', 'TRACKING', 'maybe'],
      ['CLIENT', 'TRACKING', 'ON', 'foo'],
      ['CLIENT', 'TRACKING', 'ON', 'REDIRECT'],
      ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', 'x'],
      ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', '0'],
      ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', '999999'],
      ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', s.id(1), 'REDIRECT', s.id(1)],
      ['CLIENT', 'TRACKING', 'ON', 'PREFIX', 'a'],
      ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'OPTIN'],
      ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'OPTOUT'],
      ['CLIENT', 'TRACKING', 'ON', 'OPTIN', 'OPTOUT'],
      ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'ab', 'PREFIX', 'a'],
      ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'a', 'PREFIX', 'a'],
      ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX'],
      ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', '-1'],
      ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', '99999999999999999999'],
      ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', s.id(1), 'BOGUS'],
      ['CLIENT', 'TRACKING', 'OFF', 'BOGUS'],
      ['CLIENT', 'CACHING', 'yes'],
      ['CLIENT', 'CACHING', 'yes', 'extra'],
      ['CLIENT', 'GETREDIR', 'x'],
      ['CLIENT', 'TRACKINGINFO', 'x'],
      ['CLIENT', 'GETREDIR'],
      ['CLIENT', 'TRACKINGINFO'],
      // On, then a different mode while on.
      ['CLIENT', 'TRACKING', 'ON', 'OPTIN'],
      ['CLIENT', 'CACHING', 'maybe'],
      ['CLIENT', 'TRACKING', 'ON', 'OPTOUT'],
      ['CLIENT', 'TRACKING', 'ON', 'BCAST'],
      ['CLIENT', 'CACHING', 'no'],
      ['CLIENT', 'TRACKING', 'ON', 'NOLOOP', 'REDIRECT', s.id(0)],
      ['CLIENT', 'TRACKINGINFO'],
      ['CLIENT', 'GETREDIR'],
      ['CLIENT', 'TRACKING', 'off'],
      ['CLIENT', 'TRACKING', 'OFF'],
      ['CLIENT', 'TRACKING', 'on', 'bcast', 'prefix', 'a', 'prefix', 'b'],
      ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'bc'],
      ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'c', 'PREFIX', ''],
      ['CLIENT', 'TRACKING', 'ON'],
      // A new prefix that overlaps an existing one, after one that does not: refused.
      ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'd', 'PREFIX', 'a'],
      ['CLIENT', 'TRACKINGINFO'],
      // Redis 7.0 answers an overlap between two new prefixes, not the first, with the error
      // AND turns tracking on (+OK): two replies.
      ['CLIENT', 'TRACKING', 'OFF'],
      ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'x', 'PREFIX', 'y', 'PREFIX', 'yz'],
      ['CLIENT', 'TRACKINGINFO'],
      ['CLIENT', 'TRACKING', 'ON', 'BCAST'],
      ['CLIENT', 'TRACKINGINFO'],
      ['RESET'],
      ['CLIENT', 'TRACKINGINFO'],
      ['CLIENT', 'GETREDIR'],
    ];
    for (const argv of cases) await s.send(c, ...argv);
    await s.send(1, 'HELLO', '3');
    for (const argv of [['CLIENT', 'TRACKING', 'ON', 'OPTIN', 'NOLOOP'], ['CLIENT', 'CACHING', 'YES'], ['CLIENT', 'TRACKINGINFO']]) await s.send(1, ...argv);
    await s.compare('errors');
  });

  test('INFO: tracking_clients, keys, items, prefixes; a client gone or RESET leaves the clients and prefixes', async () => {
    const s = await scenario(3);
    await s.send(0, 'CLIENT', 'TRACKING', 'ON');
    await s.send(0, 'MGET', 'a', 'b', 'c');
    await s.send(1, 'CLIENT', 'TRACKING', 'ON');
    await s.send(1, 'MGET', 'b', 'c', 'd');
    await s.send(2, 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'x', 'PREFIX', 'y');
    expect(await trackingInfo()).toBe('tracking_clients:3 tracking_total_keys:4 tracking_total_items:6 tracking_total_prefixes:2');
    await s.send(2, 'SET', 'c', '1');
    await trackingInfo();
    await s.send(2, 'RESET');
    await trackingInfo();
    s.conns[0]!.forEach((c) => c.close());
    await s.wait(100);
    // The gone client's ids stay in the table until their keys change (Redis frees them lazily).
    expect(await trackingInfo()).toBe('tracking_clients:1 tracking_total_keys:3 tracking_total_items:4 tracking_total_prefixes:0');
    await s.send(2, 'DEL', 'a', 'b');
    await s.send(2, 'SET', 'a', '1');
    await s.send(2, 'SET', 'b', '1');
    expect(await trackingInfo()).toBe('tracking_clients:1 tracking_total_keys:1 tracking_total_items:1 tracking_total_prefixes:0');
  });

  test('tracking-table-max-keys: over it, keys leave the table and their readers are invalidated', async () => {
    const s = await scenario(1);
    await p.exact('CONFIG', 'SET', 'tracking-table-max-keys', '3');   // exact
    try {
      await s.send(0, 'HELLO', '3');
      await s.send(0, 'CLIENT', 'TRACKING', 'ON');
      await s.send(0, 'MGET', 'a', 'b', 'c', 'd', 'e');
      // The next command finds 5 keys over 3: two are dropped (Redis picks them at random:
      // which keys is not compared, how many invalidations and the table's size are).
      await s.send(0, 'PING');
      const [r, l] = s.conns[0]!.map((c) => take(c));
      const count = (text: string) => text.split('invalidate').length - 1;
      expect(count(l!)).toBe(count(r!));
      expect(count(r!)).toBe(2);
      expect(await trackingInfo()).toBe('tracking_clients:1 tracking_total_keys:3 tracking_total_items:3 tracking_total_prefixes:0');
      await p.exact('CONFIG', 'GET', 'tracking-table-max-keys');     // exact
      // Lowered while the client is idle: the cron brings the table under it (serverCron).
      await p.exact('CONFIG', 'SET', 'tracking-table-max-keys', '1'); // exact
      await s.wait(400);
      const [r2, l2] = s.conns[0]!.map((c) => take(c));
      expect(count(l2!)).toBe(count(r2!));
      expect(count(r2!)).toBe(2);
      expect(await trackingInfo()).toBe('tracking_clients:1 tracking_total_keys:1 tracking_total_items:1 tracking_total_prefixes:0');
    } finally {
      await p.both(['CONFIG', 'SET', 'tracking-table-max-keys', '1000000']);
    }
  });

  test('COMMAND INFO and DOCS of the tracking subcommands', async () => {
    await p.exact('COMMAND', 'INFO', 'CLIENT|TRACKING', 'CLIENT|CACHING', 'CLIENT|GETREDIR', 'CLIENT|TRACKINGINFO'); // exact
    await p.exact('COMMAND', 'DOCS', 'CLIENT|TRACKING');                   // exact
    await p.exact('COMMAND', 'DOCS', 'CLIENT|CACHING', 'CLIENT|GETREDIR', 'CLIENT|TRACKINGINFO'); // exact
  });
});

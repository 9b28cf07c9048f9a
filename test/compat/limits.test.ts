import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { Pair, show } from './harness.js';
import { RawClient } from '../helpers/raw-client.js';
import { decodeReply } from '../helpers/resp.js';
import { mapParts } from '../helpers/reply-parts.js';

/**
 * Limits against Redis 7.0: the memory and client-buffer parameters (CONFIG GET/SET and
 * their errors), CLIENT KILL and CLIENT NO-EVICT, the OOM refusal under maxmemory, what
 * eviction does when nothing can stay, MEMORY USAGE's errors, and INFO's maxmemory and
 * eviction fields. Figures that are each server's own (memory sizes) are compared by
 * kind, not value; lapse-only behaviour is tested in test/integration/memory.test.ts.
 */

const p = new Pair();
beforeAll(() => p.start());
afterAll(() => p.stop());
beforeEach(async () => {
  await p.reset();
  await p.exact('CONFIG', 'SET', 'maxmemory', '0', 'maxmemory-policy', 'noeviction'); // exact
});

/** The parameters of this file. */
const LIMIT_PARAMS = [
  'maxmemory', 'maxmemory-policy', 'maxmemory-samples', 'maxmemory-eviction-tenacity', 'lfu-log-factor',
  'lfu-decay-time', 'client-output-buffer-limit',
];

const DEFAULT_OBUF = 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60';

/** The integer of an integer reply. */
function integerOf(raw: Buffer): number {
  const r = decodeReply(raw)!.reply;
  if (r.type !== 'integer') throw new Error(`not an integer: ${show(raw)}`);
  return Number(r.value);
}

/** The text of a bulk or verbatim reply. */
function textOf(raw: Buffer): string {
  const r = decodeReply(raw)!.reply;
  if (r.type !== 'bulk' && r.type !== 'verbatim') throw new Error(`not text: ${show(raw)}`);
  return r.value.toString('latin1');
}

/** A field of a CLIENT INFO / CLIENT LIST line. */
function clientField(line: string, name: string): string {
  const m = new RegExp(`(?:^| )${name}=(\\S*)`).exec(line);
  if (!m) throw new Error(`no ${name} in ${line}`);
  return m[1]!;
}

describe('CONFIG GET and SET of the limit parameters', () => {
  afterAll(async () => {
    await p.exact('CONFIG', 'SET', 'client-output-buffer-limit', DEFAULT_OBUF, 'maxmemory-samples', '5',
      'maxmemory-eviction-tenacity', '10', 'lfu-log-factor', '10', 'lfu-decay-time', '1'); // exact
  });

  test('defaults, names as typed, globs', async () => {
    for (const name of LIMIT_PARAMS) await p.exact('CONFIG', 'GET', name); // exact
    await p.exact('CONFIG', 'GET', 'MAXMEMORY');                    // exact: reported as typed
    await p.sorted('CONFIG', 'GET', 'Client-Output-Buffer-Limit', 'LFU-log-factor'); // sorted: Redis lists a dict, in hash order
    const restricted = async (...patterns: string[]) => {
      const [r, l] = await p.both(['CONFIG', 'GET', ...patterns]);
      const only = (xs: [string, Buffer][]) => xs.filter(([k]) => LIMIT_PARAMS.includes(k)).map(([k, v]) => `${k}=${show(v)}`).sort();
      expect(only(mapParts(l)), patterns.join(' ')).toEqual(only(mapParts(r)));
    };
    await restricted('maxmemory*');                                 // sorted, restricted to lapse's
    await restricted('lfu-*');                                      // sorted
    await restricted('client-output-*');                            // sorted
    await restricted('*');                                          // sorted, restricted
  });

  test('maxmemory: units, bounds, errors', async () => {
    for (const value of ['100mb', '1gb', '1GB', '1k', '1kb', '1b', '0', '18446744073709551615', '18446744073709551616',
      '99999999999999999999', '', 'k', '-1', '1.5mb', ' 1', '+1', '1x', '1mb\0junk', '9007199254740993', '0']) {
      await p.exact('CONFIG', 'SET', 'maxmemory', value);           // exact
      await p.exact('CONFIG', 'GET', 'maxmemory');                  // exact
    }
  });

  test('maxmemory-policy: every policy, case, errors', async () => {
    for (const value of ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'allkeys-lru', 'allkeys-lfu',
      'allkeys-random', 'ALLKEYS-LRU', 'Volatile-TTL', 'noeviction\0x', 'lru', '', ' noeviction', 'noeviction ', 'noeviction']) {
      await p.exact('CONFIG', 'SET', 'maxmemory-policy', value);    // exact
      await p.exact('CONFIG', 'GET', 'maxmemory-policy');           // exact
    }
  });

  test('samples, tenacity, LFU parameters: bounds and errors', async () => {
    const cases: [string, string][] = [
      ['maxmemory-samples', '0'], ['maxmemory-samples', '1'], ['maxmemory-samples', '64'], ['maxmemory-samples', '2147483647'],
      ['maxmemory-samples', '2147483648'], ['maxmemory-samples', '-1'], ['maxmemory-samples', 'x'], ['maxmemory-samples', '5'],
      ['maxmemory-eviction-tenacity', '100'], ['maxmemory-eviction-tenacity', '101'], ['maxmemory-eviction-tenacity', '-1'],
      ['maxmemory-eviction-tenacity', '0'], ['maxmemory-eviction-tenacity', '10'],
      ['lfu-log-factor', '0'], ['lfu-log-factor', '-1'], ['lfu-log-factor', '2147483647'], ['lfu-log-factor', '1e3'],
      ['lfu-log-factor', '10'], ['lfu-decay-time', '0'], ['lfu-decay-time', '-1'], ['lfu-decay-time', '07'],
      ['lfu-decay-time', '1'],
    ];
    for (const [name, value] of cases) {
      await p.exact('CONFIG', 'SET', name, value);                  // exact
      await p.exact('CONFIG', 'GET', name);                         // exact
    }
  });

  test('client-output-buffer-limit: classes, units, partial updates, every error', async () => {
    const values = [
      'normal 1 2 3', 'NORMAL 1k 2kb 3', 'slave 7 8 9', 'replica 1mb 2mb 10', 'Pubsub 1gb 1GB 0',
      'normal 4 5 6 pubsub 7 8 9', 'normal 1 2 3 normal 4 5 6', '', 'normal 1 2', 'normal 1 2 3 pubsub',
      'master 1 2 3', 'foo 1 2 3', 'nor\0mal 1 2 3', 'normal 1x 2 3', 'normal 1 2x 3', 'normal 1 2 x', 'normal 1 2 -3',
      'normal 1 2 +3', 'normal 1 2 -0', 'normal 1 2 010', 'normal 1 2 3x', 'normal 1 2 3\0junk', 'normal 1\0 2 3',
      'normal -1 2 3', 'normal -0 0 0', 'normal 1.5 1 5', 'normal k 1 5', 'normal 1 2 ', 'normal 1 2 3 ', ' normal 1 2 3',
      'normal 1 2  3', 'normal\t1 2 3', 'normal 1 2 \t3', 'normal 1 2 +', 'normal 1 2 -',
      'normal 1 2 2147483647', 'normal 1 2 2147483648', 'normal 1 2 4294967296', 'normal 1 2 4294967297',
      'normal 1 2 9223372036854775807', 'normal 1 2 99999999999999999999', 'normal 1 2 -99999999999999999999',
      'normal 18446744073709551615 18446744073709551616 5', 'normal 99999999999999999999 1 5',
      'normal 5 5 5 pubsub x 1 1', 'normal x 1 1 foo 1 1 1', 'foo 1 1 1 normal x 1 1', 'normal 1 1 x foo 1 1 1',
      DEFAULT_OBUF,
    ];
    for (const value of values) {
      await p.exact('CONFIG', 'SET', 'client-output-buffer-limit', value); // exact
      await p.exact('CONFIG', 'GET', 'client-output-buffer-limit');  // exact: the whole value now
    }
  });

  test('several parameters set together, all or nothing', async () => {
    await p.exact('CONFIG', 'SET', 'maxmemory', '10mb', 'maxmemory-policy', 'allkeys-lfu'); // exact
    await p.sorted('CONFIG', 'GET', 'maxmemory', 'maxmemory-policy'); // sorted: Redis's dict order
    await p.exact('CONFIG', 'SET', 'maxmemory', '5mb', 'maxmemory-policy', 'lru'); // exact: value error, nothing set
    await p.sorted('CONFIG', 'GET', 'maxmemory', 'maxmemory-policy'); // sorted: unchanged
    await p.exact('CONFIG', 'SET', 'maxmemory', '0', 'maxmemory-policy', 'noeviction'); // exact
  });
});

describe('CLIENT KILL', () => {
  test('errors, in the order Redis checks them', async () => {
    for (const args of [
      ['CLIENT', 'KILL'], ['CLIENT', 'KILL', '1.2.3.4:5'], ['CLIENT', 'KILL', 'addr'], ['CLIENT', 'KILL', 'id', '0'],
      ['CLIENT', 'KILL', 'id', '-1'], ['CLIENT', 'KILL', 'id', 'abc'], ['CLIENT', 'KILL', 'id', '99999'],
      ['CLIENT', 'KILL', 'ID', '9223372036854775807'], ['CLIENT', 'KILL', 'id', '9223372036854775808'],
      ['CLIENT', 'KILL', 'id', ' 1'], ['CLIENT', 'KILL', 'id', '1\0'], ['CLIENT', 'KILL', 'type', 'foo'],
      ['CLIENT', 'KILL', 'type', 'fo\0o'], ['CLIENT', 'KILL', 'TYPE', 'master'], ['CLIENT', 'KILL', 'type', 'slave'],
      ['CLIENT', 'KILL', 'type', 'Replica'], ['CLIENT', 'KILL', 'type', 'pubsub'], ['CLIENT', 'KILL', 'type', 'normal\0x'],
      ['CLIENT', 'KILL', 'user', 'nobody'], ['CLIENT', 'KILL', 'user', 'nob\0ody'], ['CLIENT', 'KILL', 'user', 'DEFAULT'],
      ['CLIENT', 'KILL', 'skipme', 'maybe'], ['CLIENT', 'KILL', 'skipme', 'YES'], ['CLIENT', 'KILL', 'addr', 'x', 'laddr', 'y'],
      ['CLIENT', 'KILL', 'foo', 'bar'], ['CLIENT', 'KILL', 'id', '1', 'type'], ['CLIENT', 'KILL', 'id', 'x', 'type', 'foo'],
      ['CLIENT', 'KILL', 'type', 'foo', 'id', 'x'], ['CLIENT', 'KILL', 'skipme', 'no', 'foo'], ['CLIENT', 'KILL', 'id', '5', 'foo', 'bar'],
    ]) {
      await p.exact(...args);                                       // exact
    }
  });

  /** Runs `build(client's own facts)` on each server's connection and compares the replies exactly. */
  async function exactPerServer(on: [RawClient, RawClient], build: (info: string) => string[]): Promise<Buffer> {
    const [rc, lc] = on;
    const rinfo = textOf(await rc.call('CLIENT', 'INFO'));
    const linfo = textOf(await lc.call('CLIENT', 'INFO'));
    const [ra, la] = [build(rinfo), build(linfo)];
    const r = await rc.call(...ra);
    const l = await lc.call(...la);
    expect(show(l), `exact: ${la.join(' ')}`).toBe(show(r));
    return r;
  }

  test('by ID, ADDR (both forms), LADDR, USER: another client, which is closed', async () => {
    const victims = await p.connect();
    await exactPerServer([p.r, p.l], () => ['PING']);                   // exact
    for (const build of [
      (info: string) => ['CLIENT', 'KILL', 'ID', clientField(info, 'id')],
      (info: string) => ['CLIENT', 'KILL', clientField(info, 'addr')],
      (info: string) => ['CLIENT', 'KILL', 'ADDR', clientField(info, 'addr')],
      (info: string) => ['CLIENT', 'KILL', 'addr', clientField(info, 'addr'), 'id', clientField(info, 'id'), 'type', 'normal', 'user', 'default'],
    ]) {
      const pair = await p.connect();
      // The victim's facts, the killer's connection.
      const [rInfo, lInfo] = [textOf(await pair[0].call('CLIENT', 'INFO')), textOf(await pair[1].call('CLIENT', 'INFO'))];
      const r = await p.r.call(...build(rInfo));
      const l = await p.l.call(...build(lInfo));
      expect(show(l)).toBe(show(r));                                 // exact: OK or :1
      await pair[0].waitClosed();
      await pair[1].waitClosed();
    }
    // LADDR: every other client connected to that local address (the server's own).
    const r = await p.r.call('CLIENT', 'KILL', 'LADDR', clientField(textOf(await p.r.call('CLIENT', 'INFO')), 'laddr'));
    const l = await p.l.call('CLIENT', 'KILL', 'LADDR', clientField(textOf(await p.l.call('CLIENT', 'INFO')), 'laddr'));
    expect(show(l)).toBe(show(r));                                   // exact: :2 (the two victims)
    await victims[0].waitClosed();
    await victims[1].waitClosed();
    await p.exact('PING');                                           // exact: the caller was skipped
  });

  test('an address or ID that matches nobody', async () => {
    await exactPerServer([p.r, p.l], (info) => ['CLIENT', 'KILL', clientField(info, 'addr') + 'x']); // exact: No such client
    await exactPerServer([p.r, p.l], (info) => ['CLIENT', 'KILL', 'ADDR', clientField(info, 'addr') + '\0']); // exact: 0 (skipme)
    await exactPerServer([p.r, p.l], (info) => ['CLIENT', 'KILL', 'ID', clientField(info, 'id'), 'TYPE', 'pubsub']); // exact: 0
    await exactPerServer([p.r, p.l], (info) => ['CLIENT', 'KILL', 'ID', clientField(info, 'id')]); // exact: 0, skipme yes
  });

  test('TYPE pubsub kills subscribers only; TYPE normal spares them', async () => {
    const subs = await p.connect();
    await p.exactOn(subs, 'SUBSCRIBE', 'ch');                        // exact
    const normal = await p.connect();
    await p.exactOn(normal, 'PING');                                 // exact
    await p.exact('CLIENT', 'KILL', 'TYPE', 'normal');              // exact: :1, not the caller
    await normal[0].waitClosed();
    await normal[1].waitClosed();
    expect(subs[0].isClosed || subs[1].isClosed).toBe(false);
    await p.exact('CLIENT', 'KILL', 'TYPE', 'PUBSUB');              // exact: :1
    await subs[0].waitClosed();
    await subs[1].waitClosed();
    await p.exact('CLIENT', 'KILL', 'TYPE', 'pubsub');              // exact: :0
  });

  test('killing itself: the reply comes first, then the connection closes', async () => {
    const me = await p.connect();
    await p.exactOn(me, 'CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'no'); // exact: :N, self included
    await me[0].waitClosed();
    await me[1].waitClosed();
    const other = await p.connect();
    const r = await other[0].call('CLIENT', 'KILL', clientField(textOf(await other[0].call('CLIENT', 'INFO')), 'addr'));
    const l = await other[1].call('CLIENT', 'KILL', clientField(textOf(await other[1].call('CLIENT', 'INFO')), 'addr'));
    expect(show(l)).toBe(show(r));                                   // exact: +OK (the old form may kill itself)
    await other[0].waitClosed();
    await other[1].waitClosed();
  });

  test('inside MULTI, queued and run by EXEC', async () => {
    const victim = await p.connect();
    await p.exact('MULTI');                                          // exact
    const r = await p.r.call('CLIENT', 'KILL', 'ID', clientField(textOf(await victim[0].call('CLIENT', 'INFO')), 'id'));
    const l = await p.l.call('CLIENT', 'KILL', 'ID', clientField(textOf(await victim[1].call('CLIENT', 'INFO')), 'id'));
    expect(show(l)).toBe(show(r));                                   // exact: QUEUED
    await p.exact('EXEC');                                           // exact: [1]
    await victim[0].waitClosed();
    await victim[1].waitClosed();
  });
});

describe('CLIENT NO-EVICT', () => {
  test('ON and OFF, the e flag, errors', async () => {
    for (const args of [['CLIENT', 'NO-EVICT'], ['CLIENT', 'NO-EVICT', 'maybe'], ['CLIENT', 'NO-EVICT', 'on', 'x'],
      ['CLIENT', 'NO-EVICT', 'on\0x'], ['CLIENT', 'NO-EVICT', 'ON'], ['CLIENT', 'no-evict', 'Off'], ['CLIENT', 'NO-EVICT', 'on']]) {
      await p.exact(...args);                                       // exact
      const [r, l] = await p.both(['CLIENT', 'INFO']);
      expect(clientField(textOf(l), 'flags')).toBe(clientField(textOf(r), 'flags')); // exact field: flags
    }
  });
});

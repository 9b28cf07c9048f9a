import { afterAll, beforeEach, describe, expect, test } from 'vitest';
import { pairSuite, show } from './harness.js';
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

const p = pairSuite();
beforeEach(async () => {
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

  test('USER kills the clients authenticated as that ACL user, by identity', async () => {
    await p.exact('ACL', 'SETUSER', 'kill-me', 'on', '>pw', '~*', '+@all');   // exact
    const victims = await p.connect();
    await p.exactOn(victims, 'AUTH', 'kill-me', 'pw');                        // exact
    const bystanders = await p.connect();
    await p.exactOn(bystanders, 'PING');                                       // exact
    await p.exact('CLIENT', 'KILL', 'USER', 'kill-me');                       // exact: :1
    await victims[0].waitClosed();
    await victims[1].waitClosed();
    await p.exactOn(bystanders, 'PING');                                       // exact: still served
    await p.exact('CLIENT', 'KILL', 'USER', 'kill-me');                       // exact: :0
    await p.exact('ACL', 'DELUSER', 'kill-me');                               // exact
    await p.exact('CLIENT', 'KILL', 'USER', 'kill-me');                       // exact: No such user
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

describe('CLIENT UNBLOCK', () => {
  test('a client that is not blocked, an unknown id, and the errors (the reason is checked before the id)', async () => {
    for (const args of [['CLIENT', 'UNBLOCK', '999999'], ['CLIENT', 'UNBLOCK', '999999', 'TIMEOUT'], ['CLIENT', 'unblock', '999999', 'error'],
      ['CLIENT', 'UNBLOCK', 'x'], ['CLIENT', 'UNBLOCK', '-1'], ['CLIENT', 'UNBLOCK', '1', 'maybe'], ['CLIENT', 'UNBLOCK', 'x', 'maybe'],
      ['CLIENT', 'UNBLOCK', '1', 'timeout', 'x'], ['CLIENT', 'UNBLOCK'], ['CLIENT', 'UNBLOCK', '99999999999999999999']]) {
      await p.exact(...args);                                       // exact
    }
    // Its own id: the client running the command is not blocked.
    const [r, l] = await p.both(['CLIENT', 'ID']);
    const [rid, lid] = [r.toString().slice(1).trim(), l.toString().slice(1).trim()];
    expect((await p.l.call('CLIENT', 'UNBLOCK', lid)).toString()).toBe((await p.r.call('CLIENT', 'UNBLOCK', rid)).toString()); // exact, each its own id
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

/** The INFO field values on each server. */
async function infoFields(section: string, names: string[]): Promise<[string[], string[]]> {
  const [r, l] = await p.both(['INFO', section]);
  const pick = (raw: Buffer) => {
    const text = textOf(raw);
    return names.map((n) => new RegExp(`^${n}:(.*)\\r$`, 'm').exec(text)?.[1] ?? `<no ${n}>`);
  };
  return [pick(r), pick(l)];
}

describe('INFO: maxmemory, its policy, evicted keys', () => {
  test('the fields follow CONFIG SET, as Redis prints them', async () => {
    for (const [max, policy] of [['0', 'noeviction'], ['100mb', 'allkeys-lru'], ['1gb', 'volatile-lfu'], ['1000', 'volatile-ttl'],
      ['1536k', 'allkeys-random'], ['18446744073709551615', 'volatile-random'], ['1152921504606846976', 'allkeys-lfu'],
      ['1152921504606846975', 'volatile-lru']]) {
      await p.exact('CONFIG', 'SET', 'maxmemory-policy', policy, 'maxmemory', max === '1000' ? '1000' : max); // exact
      if (max === '1000') await p.exact('CONFIG', 'SET', 'maxmemory', '0'); // exact: below anything's usage, undo at once
      const [r, l] = await infoFields('memory', ['maxmemory', 'maxmemory_human', 'maxmemory_policy']);
      expect(l, `${max} ${policy}`).toEqual(r);                      // exact fields
    }
    const [r, l] = await infoFields('stats', ['evicted_keys', 'evicted_clients']);
    expect(l).toEqual(r);                                            // exact fields: names, and 0 evicted
  });
});

describe('maxmemory: OOM when nothing can be evicted', () => {
  afterAll(async () => {
    await p.exact('CONFIG', 'SET', 'maxmemory', '0', 'maxmemory-policy', 'noeviction'); // exact
  });

  test('noeviction: commands that may add memory are refused, others run', async () => {
    await p.exact('SET', 'k', 'v');                                  // exact
    await p.exact('CONFIG', 'SET', 'maxmemory', '1');                // exact: under any usage
    for (const args of [['SET', 'k', 'w'], ['GET', 'k'], ['INCR', 'n'], ['APPEND', 'k', 'x'], ['SETNX', 'k2', 'v'],
      ['HSET', 'h', 'f', 'v'], ['MSET', 'a', '1'], ['SETRANGE', 'k', '0', 'x'], ['EXPIRE', 'k', '100'], ['TTL', 'k'],
      ['PERSIST', 'k'], ['DEL', 'k'], ['EXISTS', 'k'], ['PING'], ['DBSIZE'], ['PUBLISH', 'c', 'm'], ['SELECT', '1'],
      ['set', 'k', 'v'], ['GETDEL', 'k'], ['HINCRBY', 'h', 'f', '1']]) {
      await p.exact(...args);                                        // exact: OOM or the reply
    }
  });

  test('inside MULTI every command but EXEC, DISCARD, QUIT and RESET is refused, and EXEC then aborts', async () => {
    await p.exact('CONFIG', 'SET', 'maxmemory', '1');                // exact
    await p.exact('MULTI');                                          // exact
    await p.exact('GET', 'k');                                       // exact: OOM, not queued
    await p.exact('PING');                                           // exact: OOM
    await p.exact('EXEC');                                           // exact: EXECABORT previous errors
    await p.exact('MULTI');                                          // exact
    await p.exact('DISCARD');                                        // exact: OK
  });

  test('EXEC is refused if its queue holds a command that may add memory', async () => {
    const other = await p.connect();
    for (const queued of [['SET', 'a', 'b'], ['GET', 'a']]) {
      await p.exactOn(other, 'CONFIG', 'SET', 'maxmemory', '0');     // exact
      await p.exact('MULTI');                                        // exact
      await p.exact(...queued);                                      // exact: QUEUED
      await p.exactOn(other, 'CONFIG', 'SET', 'maxmemory', '1');     // exact
      await p.exact('EXEC');                                         // exact: EXECABORT ... OOM, or the GET's reply
    }
  });

  test('allkeys policies evict everything, then refuse; volatile ones keep keys without a TTL', async () => {
    for (const policy of ['allkeys-lru', 'allkeys-lfu', 'allkeys-random']) {
      await p.exact('CONFIG', 'SET', 'maxmemory', '0', 'maxmemory-policy', policy); // exact
      await p.exact('FLUSHALL');                                     // exact
      await p.exact('CONFIG', 'RESETSTAT');                          // exact
      for (let i = 0; i < 20; i++) await p.exact('SET', `k${i}`, 'v'); // exact
      await p.exact('SELECT', '3');                                  // exact
      await p.exact('SET', 'other-db', 'v');                         // exact
      await p.exact('CONFIG', 'SET', 'maxmemory', '1');              // exact: evicts at once
      await p.exact('DBSIZE');                                       // exact: 0
      await p.exact('SELECT', '0');                                  // exact
      await p.exact('DBSIZE');                                       // exact: 0
      await p.exact('SET', 'k', 'v');                                // exact: OOM, nothing left to evict
      const [r, l] = await infoFields('stats', ['evicted_keys']);
      expect(l, policy).toEqual(r);                                  // exact field: 21
    }
    for (const policy of ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl']) {
      await p.exact('CONFIG', 'SET', 'maxmemory', '0', 'maxmemory-policy', policy); // exact
      await p.exact('FLUSHALL');                                     // exact
      await p.exact('CONFIG', 'RESETSTAT');                          // exact
      for (let i = 0; i < 10; i++) await p.exact('SET', `k${i}`, 'v'); // exact
      for (let i = 0; i < 5; i++) await p.exact('SET', `t${i}`, 'v', 'EX', '1000'); // exact
      await p.exact('CONFIG', 'SET', 'maxmemory', '1');              // exact: evicts the five with a TTL
      await p.exact('DBSIZE');                                       // exact: 10
      await p.sorted('KEYS', '*');                                   // sorted: k0..k9
      await p.exact('SET', 'k0', 'w');                               // exact: OOM
      const [r, l] = await infoFields('stats', ['evicted_keys']);
      expect(l, policy).toEqual(r);                                  // exact field: 5
    }
  });

  test('evicted keys are published as evicted keyspace events', async () => {
    const subs = await p.connect();
    await p.exact('CONFIG', 'SET', 'notify-keyspace-events', 'KEe'); // exact
    await p.exactOn(subs, 'PSUBSCRIBE', '__key*__:*');               // exact
    for (let i = 0; i < 5; i++) await p.exact('SET', `k${i}`, 'v');  // exact
    await p.exact('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-random', 'maxmemory', '1'); // exact
    const read = async (c: RawClient) => {
      const out: string[] = [];
      for (let i = 0; i < 10; i++) out.push((await c.readReplyBytes()).toString('latin1'));
      return out.sort();
    };
    expect(await read(subs[1])).toEqual(await read(subs[0]));       // sorted: 5 keyspace + 5 keyevent messages
    await p.exact('CONFIG', 'SET', 'notify-keyspace-events', '');    // exact
  });
});

describe('MEMORY', () => {
  test('USAGE: errors and missing keys as Redis; a number for a key', async () => {
    await p.exact('SET', 'k', 'v');                                  // exact
    await p.exact('HSET', 'h', 'a', '1', 'b', '2');                  // exact
    for (const args of [['MEMORY', 'USAGE'], ['MEMORY', 'USAGE', 'nokey'], ['MEMORY', 'USAGE', 'k', 'samples'],
      ['MEMORY', 'USAGE', 'k', 'samples', 'x'], ['MEMORY', 'USAGE', 'k', 'samples', '-1'], ['MEMORY', 'USAGE', 'k', 'foo', '1'],
      ['MEMORY', 'USAGE', 'k', 'samples', '5', 'extra'], ['MEMORY', 'USAGE', 'nokey', 'samples', 'x'],
      ['MEMORY', 'USAGE', 'nokey', 'foo'], ['MEMORY', 'USAGE', 'k', 'SAMPLES', '9223372036854775808'],
      ['MEMORY', 'USAGE', 'nokey', 'samples', '0']]) {
      await p.exact(...args);                                        // exact
    }
    for (const args of [['MEMORY', 'USAGE', 'k'], ['MEMORY', 'USAGE', 'h', 'SAMPLES', '0'], ['MEMORY', 'USAGE', 'k', 'samples', '5', 'samples', '2']]) {
      const [r, l] = await p.both(args);
      expect([r[0], l[0]], args.join(' ')).toEqual([0x3a, 0x3a]);    // both integers (the sizes are each server's)
      expect(integerOf(l)).toBeGreaterThan(0);
    }
  });

  test('HELP, arity, unknown subcommands, PURGE', async () => {
    for (const args of [['MEMORY', 'HELP'], ['MEMORY'], ['MEMORY', 'STATS', 'x'], ['MEMORY', 'DOCTOR', 'x'], ['MEMORY', 'foo'],
      ['MEMORY', 'PURGE'], ['MEMORY', 'PURGE', 'x'], ['MEMORY', 'MALLOC-STATS', 'x'], ['memory', 'Help', 'x']]) {
      await p.exact(...args);                                        // exact
    }
  });

  test('DOCTOR on an empty instance', async () => {
    await p.exact('MEMORY', 'DOCTOR');                               // exact: Redis's text
  });

  test("STATS: Redis's fields in its order, integers and doubles as Redis types them", async () => {
    await p.exact('SET', 'k', 'v', 'EX', '100');                     // exact
    for (const protocol of ['2', '3']) {
      await p.both(['HELLO', protocol]);
      const [r, l] = await p.both(['MEMORY', 'STATS']);
      const shape = (raw: Buffer) => {
        const out: string[] = [];
        for (const [name, value] of mapParts(raw)) {
          if (name.startsWith('db.')) {
            out.push(`${name}: {${mapParts(value).map(([k, v]) => `${k}:${String.fromCharCode(v[0]!)}`).join(' ')}}`);
          } else {
            out.push(`${name}:${String.fromCharCode(value[0]!)}`);
          }
        }
        return out;
      };
      expect(shape(l), `RESP${protocol}`).toEqual(shape(r));          // exact: names, order, reply types
    }
  });

  test('MALLOC-STATS is a text report', async () => {
    const [r, l] = await p.both(['MEMORY', 'MALLOC-STATS']);
    expect([r[0], l[0]]).toEqual([0x24, 0x24]);                      // both bulk strings (the texts are each allocator's)
  });
});

describe('WATCH sees evictions', () => {
  afterAll(async () => {
    await p.exact('CONFIG', 'SET', 'maxmemory', '0', 'maxmemory-policy', 'noeviction'); // exact
  });

  test('a watched key evicted before EXEC makes it fail', async () => {
    const other = await p.connect();
    await p.exact('SET', 'watched', 'v');                            // exact
    await p.exact('WATCH', 'watched');                               // exact
    await p.exactOn(other, 'CONFIG', 'SET', 'maxmemory-policy', 'allkeys-random', 'maxmemory', '1'); // exact: evicts it
    await p.exactOn(other, 'CONFIG', 'SET', 'maxmemory', '0');       // exact
    await p.exact('MULTI');                                          // exact
    await p.exact('PING');                                           // exact
    await p.exact('EXEC');                                           // exact: null, the key changed
  });
});

describe("client-output-buffer-limit and a read's replies", () => {
  afterAll(async () => {
    await p.exact('CONFIG', 'SET', 'client-output-buffer-limit', DEFAULT_OBUF); // exact
  });

  test("a reply within the 16 KiB reply buffer is sent under a 1kb hard limit; one past it closes the client with nothing sent", async () => {
    await p.exact('SET', 'obuf:10k', 'x'.repeat(10_000));            // exact
    await p.exact('SET', 'obuf:20k', 'y'.repeat(20_000));            // exact
    await p.exact('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 1kb 0 0'); // exact
    const within = await p.connect();
    await p.exactOn(within, 'GET', 'obuf:10k');                      // exact: the 10,000 bytes
    const past = await p.connect();
    for (const c of past) c.send('GET', 'obuf:20k');
    await past[0].waitClosed();
    await past[1].waitClosed();
    expect(show(past[1].pending())).toBe(show(past[0].pending()));   // exact: nothing at all
    expect(past[0].pending().length).toBe(0);
  });

  test('replies before a close that answers nothing (CLIENT REPLY SKIP, then QUIT) are sent', async () => {
    const pair = await p.connect();
    for (const c of pair) c.write('PING\r\nCLIENT REPLY SKIP\r\nQUIT\r\n');
    await pair[0].waitClosed();
    await pair[1].waitClosed();
    expect(show(pair[1].pending())).toBe(show(pair[0].pending()));   // exact: +PONG only
  });
});

describe('proto-max-bulk-len', () => {
  afterAll(async () => {
    await p.exact('CONFIG', 'SET', 'proto-max-bulk-len', '512mb');   // exact
  });

  test('a bulk longer than the limit is a protocol error that closes the client; the limit itself is accepted', async () => {
    await p.exact('CONFIG', 'SET', 'proto-max-bulk-len', '1mb');     // exact
    const ok = await p.connect();
    const [r1, l1] = await p.both([Buffer.from('ECHO'), Buffer.alloc(1024 * 1024, 0x61)], ok);
    expect(l1.length).toBe(r1.length);                                // exact length: 1 MB echoed
    expect(l1.equals(r1)).toBe(true);                                 // exact bytes
    const over = await p.connect();
    for (const c of over) c.write('*2\r\n$4\r\nECHO\r\n$1048577\r\n');
    const [r2, l2] = [await over[0].readReplyBytes(), await over[1].readReplyBytes()];
    expect(show(l2)).toBe(show(r2));                                  // exact: invalid bulk length
    await over[0].waitClosed();
    await over[1].waitClosed();
  });
});

import { describe, expect, test } from 'vitest';
import { pairSuite, Pair } from './harness.js';
import { decodeReply } from '../helpers/resp.js';

// Both servers run with DEBUG enabled, as Redis's own test suite runs them.
const p = pairSuite({
  redis: ['--enable-debug-command', 'yes'],
  lapse: { configText: 'enable-debug-command yes\n' },
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** DEBUG OBJECT's fields by name (the address differs between any two servers). */
function fields(reply: Buffer): Map<string, string> {
  const decoded = decodeReply(reply)!.reply;
  expect(decoded.type).toBe('simple');
  const line = (decoded as { value: string }).value;
  const out = new Map<string, string>();
  for (const part of line.split(' ')) {
    const colon = part.indexOf(':');
    out.set(part.slice(0, colon), part.slice(colon + 1));
  }
  return out;
}

describe('DEBUG: errors and simple replies', () => {
  test('unknown subcommands and wrong arity', async () => {
    await p.exact('DEBUG');                                 // exact: arity error
    await p.exact('DEBUG', 'nosuch');                       // exact: unknown subcommand
    await p.exact('DEBUG', 'jmap');                         // exact: 7.0.15 has no JMAP
    await p.exact('DEBUG', 'sleep');                        // exact: wrong number of arguments
    await p.exact('DEBUG', 'object');                       // exact
    await p.exact('DEBUG', 'object', 'a', 'b');             // exact
    await p.exact('DEBUG', 'digest', 'x');                  // exact
    await p.exact('DEBUG', 'set-active-expire');            // exact
    await p.exact('DEBUG', 'object', 'missing');            // exact: no such key
    await p.exact('DEBUG', 'reload', 'bogus');              // exact: the options error
  });

  test('OK replies', async () => {
    await p.exact('DEBUG', 'sleep', '0');                   // exact: OK
    await p.exact('DEBUG', 'sleep', '0.01');                // exact: OK
    await p.exact('DEBUG', 'change-repl-id');               // exact: OK
    await p.exact('DEBUG', 'quicklist-packed-threshold', '100'); // exact: OK
    await p.exact('DEBUG', 'quicklist-packed-threshold', '0');   // exact: OK
    await p.exact('DEBUG', 'quicklist-packed-threshold', '5gb'); // exact: error
    await p.exact('DEBUG', 'quicklist-packed-threshold', 'abc'); // exact: error
    await p.exact('DEBUG', 'set-active-expire', '1');       // exact: OK
  });

  test('DEBUG SLEEP blocks the server', async () => {
    const [, l] = await p.connect();
    const started = performance.now();
    const sleeping = p.l.call('DEBUG', 'SLEEP', '0.3');
    const ping = l.call('PING');
    await Promise.all([sleeping, ping]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
  });

  test('DIGEST of an empty server is forty zeros; DIGEST-VALUE of a missing key too', async () => {
    await p.exact('DEBUG', 'digest');                       // exact
    await p.exact('DEBUG', 'digest-value', 'missing', 'x'); // exact
    await p.exact('DEBUG', 'digest-value');                 // exact: empty array
  });

  test('DEBUG OBJECT: refcount and encoding as OBJECT reports them, fields in order', async () => {
    await p.run([
      ['SET', 'int', '12345'], ['SET', 'small', '3'], ['SET', 'str', 'hello'], ['SET', 'raw', 'x'.repeat(100)],
      ['RPUSH', 'list', 'a', 'b', 'c'], ['SADD', 'iset', '1', '2'], ['SADD', 'set', 'a'],
      ['HSET', 'hash', 'f', 'v'], ['ZADD', 'zset', '1', 'a'],
    ]);
    for (const key of ['int', 'small', 'str', 'raw', 'list', 'iset', 'set', 'hash', 'zset']) {
      const [r, l] = await p.both(['DEBUG', 'OBJECT', key]);
      const rf = fields(r);
      const lf = fields(l);
      expect([...lf.keys()], key).toEqual([...rf.keys()]);
      expect(lf.get('at'), key).toMatch(/^0x[0-9a-f]+$/);
      // lru and lru_seconds_idle depend on when each server stored the value: shape only.
      expect(lf.get('lru_seconds_idle'), key).toMatch(/^\d+$/);
      for (const name of ['refcount', 'encoding', 'serializedlength', 'ql_nodes', 'ql_avg_node', 'ql_listpack_max', 'ql_compressed']) {
        expect(lf.get(name), `${key} ${name}`).toBe(rf.get(name));
      }
    }
  });
});

describe('DEBUG RELOAD', () => {
  test('keeps every type, its encoding and its TTL', async () => {
    const setup = [
      ['SET', 's', 'v'], ['SET', 'n', '42'], ['RPUSH', 'l', 'a', 'b'], ['SADD', 'is', '1', '2'], ['SADD', 'ss', 'x', 'y'],
      ['HSET', 'h', 'f', 'v'], ['ZADD', 'z', '1', 'a', '2', 'b'], ['SET', 't', 'v', 'EX', '1000'], ['SELECT', '3'], ['SET', 'db3', 'x'], ['SELECT', '0'],
    ];
    await p.run(setup);
    await p.exact('DEBUG', 'DIGEST');                       // exact
    await p.exact('DEBUG', 'RELOAD');                       // exact: OK
    await p.exact('DEBUG', 'DIGEST');                       // exact: the same data after it
    await p.sorted('KEYS', '*');                            // sorted: KEYS order is unspecified
    for (const k of ['s', 'n', 'l', 'is', 'ss', 'h', 'z', 't']) {
      await p.exact('TYPE', k);                             // exact
      await p.exact('OBJECT', 'ENCODING', k);               // exact
    }
    await p.exact('LRANGE', 'l', '0', '-1');                // exact
    await p.exact('ZRANGE', 'z', '0', '-1', 'WITHSCORES');  // exact
    await p.exact('HGETALL', 'h');                          // exact
    await p.sorted('SMEMBERS', 'ss');                       // sorted: set order unspecified
    await p.ttl(2, 'TTL', 't');                             // ttl: within 2 s
    await p.exact('SELECT', '3');                           // exact
    await p.exact('GET', 'db3');                            // exact
  });

  test('NOSAVE reloads the file as it was; NOFLUSH MERGE adds it to what is there', async () => {
    await p.run([['SET', 'a', '1'], ['SAVE'], ['SET', 'a', '2'], ['SET', 'b', '3']]);
    await p.exact('DEBUG', 'RELOAD', 'NOSAVE');             // exact: OK
    await p.exact('GET', 'a');                              // exact: 1
    await p.exact('GET', 'b');                              // exact: nil
    await p.run([['SET', 'a', '5'], ['SET', 'c', '6']]);
    await p.exact('DEBUG', 'RELOAD', 'NOSAVE', 'NOFLUSH', 'MERGE'); // exact: OK
    await p.exact('GET', 'a');                              // exact: 1, the file's
    await p.exact('GET', 'c');                              // exact: kept
  });
});

describe('DEBUG SET-ACTIVE-EXPIRE', () => {
  test('0 keeps an expired key in DBSIZE until it is accessed; 1 reclaims it', async () => {
    await p.exact('DEBUG', 'SET-ACTIVE-EXPIRE', '0');       // exact: OK
    await p.run([['SET', 'k', 'v', 'PX', '50'], ['SET', 'j', 'v', 'PX', '50']]);
    await sleep(300);
    await p.exact('DBSIZE');                                // exact: 2, not reclaimed
    await p.exact('GET', 'k');                              // exact: nil, lazily expired
    await p.exact('DBSIZE');                                // exact: 1
    await p.exact('DEBUG', 'SET-ACTIVE-EXPIRE', '1');       // exact: OK
    await sleep(400);
    await p.exact('DBSIZE');                                // exact: 0
  });
});

describe('DEBUG PROTOCOL', () => {
  const TYPES = ['string', 'integer', 'double', 'bignum', 'null', 'array', 'set', 'map', 'attrib', 'push', 'verbatim', 'true', 'false', 'nosuch', 'STRING'];
  test('each type in RESP2 and RESP3, and as a script sees it', async () => {
    for (const t of TYPES) await p.exact('DEBUG', 'PROTOCOL', t);              // exact, RESP2, each type
    const on = await p.connect();
    await p.both(['HELLO', '3'], on);
    for (const t of TYPES) await p.exactOn(on, 'DEBUG', 'PROTOCOL', t);        // exact, RESP3, each type
    await p.exact('DEBUG', 'SET-DISABLE-DENY-SCRIPTS', '1');                   // exact: OK
    for (const resp of ['2', '3']) {
      for (const t of ['string', 'integer', 'double', 'bignum', 'null', 'array', 'set', 'map', 'verbatim', 'true', 'false']) {
        // exact: the reply converted to Lua and back, in the script's protocol and the caller's
        await p.exactOn(on, 'EVAL', `redis.setresp(${resp}) return redis.call('debug', 'protocol', '${t}')`, '0');
      }
    }
    await p.exact('DEBUG', 'SET-DISABLE-DENY-SCRIPTS', '0');                   // exact: OK
  });
});

describe('DEBUG SET-DISABLE-DENY-SCRIPTS', () => {
  test('1 lets scripts call noscript commands, 0 refuses them again', async () => {
    const body = "return redis.call('client', 'getname')";
    await p.exact('EVAL', body, '0');                       // exact: not allowed from script
    await p.exact('DEBUG', 'SET-DISABLE-DENY-SCRIPTS', '1'); // exact: OK
    await p.exact('EVAL', body, '0');                       // exact: the script client's name, nil
    await p.exact('DEBUG', 'set-disable-deny-scripts', '0'); // exact: OK
    await p.exact('EVAL', body, '0');                       // exact: refused again
    await p.exact('DEBUG', 'SET-DISABLE-DENY-SCRIPTS');     // exact: wrong arity for the subcommand
  });
});

describe('enable-debug-command', () => {
  const q = new Pair();
  test('no (the default) refuses DEBUG with Redis\'s error', async () => {
    await q.start();
    try {
      await q.exact('DEBUG', 'SLEEP', '0');                 // exact: not allowed
      await q.exact('DEBUG');                               // exact: arity comes first
      await q.exact('CONFIG', 'GET', 'enable-debug-command'); // exact: no
      await q.exact('CONFIG', 'SET', 'requirepass', 'pw');  // exact
      const [r, l] = await q.connect();
      await q.exactOn([r, l], 'DEBUG', 'SLEEP', '0');        // exact: refused before NOAUTH
      await q.exactOn([r, l], 'AUTH', 'pw');                 // exact
      await q.exactOn([r, l], 'MULTI');                      // exact
      await q.exactOn([r, l], 'DEBUG', 'SLEEP', '0');        // exact: refused while queueing
      await q.exactOn([r, l], 'EXEC');                       // exact: EXECABORT
    } finally {
      await q.stop();
    }
  });
});

describe("DEBUG DIGEST and DIGEST-VALUE: Redis's own digests", () => {
  test('every type and encoding, TTLs, several databases: the same hex as redis-server', async () => {
    const many = <T,>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
    await p.run([
      ['SET', 'emb', 'v'], ['SET', 'int', '-12345'], ['SET', 'raw', 'r'.repeat(100)], ['SET', 'bin', Buffer.from([0, 13, 10, 255, 128, 32])],
      ['SET', 'ttl', 'v', 'EX', '1000'], ['SET', 'empty', ''],
      ['RPUSH', 'lp', 'a', '1', 'b', '-7'], ['RPUSH', 'ql', ...many(200, (i) => `e${i}`)],
      ['SADD', 'is', '3', '1', '2', '-9'], ['SADD', 'ls', 'x', 'y', '5'], ['SADD', 'hs', ...many(200, (i) => `m${i}`)],
      ['ZADD', 'zl', '1', 'a', '2.5', 'b', '-0.1', '7', 'inf', 'c', '-inf', 'd'], ['ZADD', 'zs', ...many(150, (i) => [String(i / 3), `z${i}`]).flat()],
      ['HSET', 'hl', 'f', 'v', 'n', '1', '', 'empty'], ['HSET', 'ht', ...many(150, (i) => [`f${i}`, `v${i}`]).flat()],
      ['EXPIRE', 'hl', '500'], ['PEXPIRE', 'zs', '900000'],
      ['SELECT', '5'], ['SET', 'emb', 'v'], ['RPUSH', 'lp', 'a'], ['SELECT', '0'],
    ]);
    for (const k of ['ql', 'hs', 'zs', 'ht', 'is', 'ls', 'zl']) await p.exact('OBJECT', 'ENCODING', k); // exact: the encodings are Redis's
    const keys = ['emb', 'int', 'raw', 'bin', 'ttl', 'empty', 'lp', 'ql', 'is', 'ls', 'hs', 'zl', 'zs', 'hl', 'ht'];
    await p.exact('DEBUG', 'DIGEST-VALUE', ...keys, 'missing'); // exact: each value's digest, forty zeros for none
    await p.exact('DEBUG', 'DIGEST');                       // exact: the dataset's
    await p.exact('SELECT', '5');                           // exact
    await p.exact('DEBUG', 'DIGEST-VALUE', 'emb', 'lp');    // exact: the key name is not part of a value's
    await p.exact('SELECT', '0');                           // exact
    await p.exact('MOVE', 'emb', '3');                      // exact: 1
    await p.exact('DEBUG', 'DIGEST');                       // exact: the database index is part of it
    await p.exact('PERSIST', 'ttl');                        // exact: 1
    await p.exact('DEBUG', 'DIGEST-VALUE', 'ttl');          // exact: an expire is part of it, not its time
  });

  test('a key past its deadline and not reclaimed yet is part of the digest, and the digest leaves it there', async () => {
    await p.exact('DEBUG', 'SET-ACTIVE-EXPIRE', '0');       // exact: OK
    try {
      await p.run([['SET', 'gone', 'v', 'PX', '50'], ['SET', 'stays', 'v'], ['HSET', 'h', 'f', 'v'], ['PEXPIRE', 'h', '50']]);
      await sleep(150);
      await p.exact('DEBUG', 'DIGEST');                     // exact: both still hold them (debug.c iterates the dict)
      await p.exact('DEBUG', 'DIGEST-VALUE', 'gone', 'h');  // exact
      await p.exact('DBSIZE');                              // exact: 3, nothing reclaimed by the digest
    } finally {
      await p.exact('DEBUG', 'SET-ACTIVE-EXPIRE', '1');     // exact: OK
    }
  });
});

describe('DEBUG DIGEST-VALUE', () => {
  test('a COPY has its source\'s value digest, TTL or not; DIGEST changes with the key name', async () => {
    await p.run([['RPUSH', 'l', 'a', 'b'], ['HSET', 'h', 'f', 'v'], ['SET', 's', 'x', 'EX', '100']]);
    for (const k of ['l', 'h', 's']) {
      await p.exact('COPY', k, `${k}2`);                   // exact: 1
      const [d] = await Promise.all([p.l.call('DEBUG', 'DIGEST-VALUE', k, `${k}2`)]);
      const values = (decodeReply(d)!.reply as { value: { value: string }[] }).value.map((x) => x.value);
      expect(values[0], k).toMatch(/^[0-9a-f]{40}$/);
      expect(values[1], k).toBe(values[0]);
    }
    const before = await p.l.call('DEBUG', 'DIGEST');
    await p.exact('RENAME', 'l2', 'l3');                    // exact: OK
    expect(await p.l.call('DEBUG', 'DIGEST')).not.toEqual(before);
  });
});

describe('DEBUG PAUSE-CRON and CHANGE-REPL-ID', () => {
  test('PAUSE-CRON 1 stops the cron (an idle client outlives `timeout`), 0 starts it again', async () => {
    await p.exact('CONFIG', 'SET', 'timeout', '1');                        // exact
    await p.exact('DEBUG', 'PAUSE-CRON', '1');                             // exact: OK
    const idle = await p.connect();
    await sleep(2500);
    for (const c of idle) expect(c.isClosed).toBe(false);                 // the cron did not close it
    await p.exact('DEBUG', 'PAUSE-CRON', '0');                             // exact: OK
    await sleep(2500);
    for (const c of idle) expect(c.isClosed).toBe(true);                  // now it did, on both
    // (The default connections were idle too: a new one sets timeout back.)
    await p.exactOn(await p.connect(), 'CONFIG', 'SET', 'timeout', '0');
    await p.reset();
  }, 15_000);

  test('CHANGE-REPL-ID: a new master_replid, no second one', async () => {
    const replids = async () => {
      const [r, l] = await p.both(['INFO', 'replication']);
      const pick = (b: Buffer) => {
        const t = b.toString('latin1');
        return [/master_replid:(\w+)/.exec(t)![1]!, /master_replid2:(\w+)/.exec(t)![1]!, /second_repl_offset:(-?\d+)/.exec(t)![1]!];
      };
      return [pick(r), pick(l)];
    };
    const [r0, l0] = await replids();
    await p.exact('DEBUG', 'CHANGE-REPL-ID');                              // exact: OK
    const [r1, l1] = await replids();
    for (const [before, after] of [[r0!, r1!], [l0!, l1!]]) {
      expect(after[0]).not.toBe(before[0]);
      expect(after[0]).toMatch(/^[0-9a-f]{40}$/);
      expect(after.slice(1)).toEqual(['0'.repeat(40), '-1']);
    }
  });
});

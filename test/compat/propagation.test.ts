import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { pairSuite } from './harness.js';

/**
 * The write stream compared with Redis's: the same commands go to redis-server 7.0 and to
 * lapse; both streams are read the way an operator reads them, with `redis-cli --replica`
 * (its CSV lines; it attaches with SYNC and an empty filtered RDB). Both are turned into the
 * list of (database, command) they carry, MULTI and EXEC included, and compared exactly.
 * (A SELECT is read as the database of what follows; which SELECTs a stream repeats is
 * not compared, since redis-cli may drop the one right after the sync.)
 *
 * This first part covers the commands both propagate as they were sent, with the rules
 * around them (what is not a write or changed nothing is not propagated, databases,
 * MULTI/EXEC, scripts replicated by their effects), and relative expire times written as
 * absolute ones. Non-deterministic commands as their effect, expiry's DELs and the rest
 * come with the rest of replication.
 */
const p = pairSuite({
  redis: ['--repl-diskless-sync-delay', '0', '--enable-debug-command', 'yes'],
  lapse: { configText: 'enable-debug-command yes\n' },
  reset: false,
});

type Op = { db: number; argv: string[] };

/** Parses redis-cli's CSV line of one command: "a","b\"c" (sdscatrepr escapes). */
function parseCsv(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === ',') i++;
    if (line[i] !== '"') throw new Error(`bad CSV: ${line}`);
    i++;
    let s = '';
    while (line[i] !== '"') {
      let ch = line[i]!;
      if (ch === '\\') {
        i++;
        const e = line[i]!;
        if (e === 'x') {
          ch = String.fromCharCode(parseInt(line.slice(i + 1, i + 3), 16));
          i += 2;
        } else ch = ({ n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b' } as Record<string, string>)[e] ?? e;
      }
      s += ch;
      i++;
    }
    i++;
    out.push(s);
  }
  return out;
}

/** Commands in a stream, with the database each is in (SELECT read as state, starting at 0). */
function ops(commands: string[][]): Op[] {
  let db = 0;
  const out: Op[] = [];
  for (const argv of commands) {
    const name = argv[0]!.toUpperCase();
    if (name === 'SELECT') db = Number(argv[1]);
    else if (name !== 'PING') out.push({ db, argv });
  }
  return out;
}

/**
 * `redis-cli --replica` attached to a server: its CSV lines of commands are collected in
 * `lines` (reset by the caller), from when it says it is logging.
 */
function cliReplica(port: number): { process: ChildProcess; lines: string[]; ready: Promise<void> } {
  const child = spawn('redis-cli', ['-p', String(port), '--replica'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const watcher = { process: child, lines: [] as string[], ready: Promise.resolve() };
  let pending = '';
  child.stdout!.on('data', (d: Buffer) => {
    pending += d.toString('latin1');
    const lines = pending.split('\n');
    pending = lines.pop()!;
    watcher.lines.push(...lines.filter((l) => l.startsWith('"')));
  });
  watcher.ready = new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`redis-cli --replica never synced with port ${port}`)), 10_000);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('Logging commands from master')) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  return watcher;
}

let redisReplica: ReturnType<typeof cliReplica>;
let lapseReplica: ReturnType<typeof cliReplica>;

beforeAll(async () => {
  redisReplica = cliReplica(p.redis.port);
  lapseReplica = cliReplica(p.lapsePort);
  await Promise.all([redisReplica.ready, lapseReplica.ready]);
});

afterAll(() => {
  redisReplica?.process.kill();
  lapseReplica?.process.kill();
});

/** Sends each command to both servers (replies compared), then waits for a marker write on both streams and compares them. */
async function sameStream(commands: (string | Buffer)[][], options: { anyOrder?: boolean } = {}): Promise<void> {
  // What the commands before this call propagated may still be on its way (a busy
  // machine): a first marker, once both streams show it, ends everything before.
  const start = `start:${Math.random()}`;
  await p.exact('SET', start, '1');                                             // exact
  const started = (): boolean => redisReplica.lines.some((l) => l.includes(start)) && lapseReplica.lines.some((l) => l.includes(start));
  for (let i = 0; i < 200 && !started(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(started(), 'both streams reached the start marker').toBe(true);
  redisReplica.lines.length = 0;
  lapseReplica.lines.length = 0;
  const waiting: Promise<unknown>[] = [];
  for (const argv of commands) {
    if (argv[0] === 'sleep') await new Promise((r) => setTimeout(r, Number(argv[1])));
    else if (argv[0] === 'blocked') {
      // A second connection to each server that blocks on the command; answered once served.
      const [r2, l2] = await p.connect();
      waiting.push(Promise.all([r2.call(...argv.slice(1)), l2.call(...argv.slice(1))]));
      await new Promise((r) => setTimeout(r, 50));
    } else if (argv[0] === 'random') await p.both(argv.slice(1));              // a random reply: not compared
    else await p.exact(...argv);                                                // exact, each command's reply
  }
  await Promise.all(waiting);
  const marker = `marker:${Math.random()}`;
  await p.exact('SET', marker, '1');                                            // exact
  const done = (): boolean => redisReplica.lines.some((l) => l.includes(marker)) && lapseReplica.lines.some((l) => l.includes(marker));
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(done(), 'both streams reached the marker').toBe(true);
  // Members a random pop took differ between the servers: SREMs of the key `rnd` are compared without them.
  const unrandom = (o: Op): Op => (o.argv[0] === 'SREM' && o.argv[1] === 'rnd' ? { db: o.db, argv: ['SREM', 'rnd', '*'] } : o);
  const redis = ops(redisReplica.lines.map(parseCsv)).map(unrandom);
  const lapse = ops(lapseReplica.lines.map(parseCsv)).map(unrandom);
  // Absolute times in milliseconds (PXAT, PEXPIREAT) come from each server's clock: equal
  // within 2 s, then compared as equal.
  for (let i = 0; i < Math.min(redis.length, lapse.length); i++) {
    const [r, l] = [redis[i]!.argv, lapse[i]!.argv];
    for (let j = 0; j < Math.min(r.length, l.length); j++) {
      if (/^\d{13}$/.test(r[j]!) && /^\d{13}$/.test(l[j]!) && Math.abs(Number(r[j]) - Number(l[j])) < 2000) l[j] = r[j]!;
    }
  }
  if (options.anyOrder) {
    // The order a SCAN meets keys in is each server's own: the same commands, in any order.
    const byJson = (a: Op, b: Op) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
    lapse.sort(byJson);
    redis.sort(byJson);
  }
  expect(lapse).toEqual(redis);                                                 // exact but for times, within 2 s: the same commands, databases, MULTI/EXEC
}

describe('the write stream, compared with redis-cli --replica', () => {
  test('writes that changed something, as sent; reads, failures and no-ops not at all', async () => {
    await sameStream([
      ['SET', 'k', 'v'], ['GET', 'k'], ['set', 'k2', 'v2'], ['APPEND', 'k', 'w'], ['SETRANGE', 'k', '1', 'xy'],
      ['INCR', 'n'], ['INCRBY', 'n', '5'], ['DECR', 'n'], ['DECRBY', 'n', '2'], ['MSET', 'a', '1', 'b', '2'], ['MSETNX', 'a', '3'],
      ['SETNX', 'k', 'other'], ['SETNX', 'fresh', 'yes'], ['DEL', 'nosuch'], ['DEL', 'a', 'b'], ['EXISTS', 'k'],
      ['HSET', 'h', 'f', '1', 'g', '2'], ['HSET', 'h', 'f', '1'], ['HDEL', 'h', 'g'], ['HINCRBY', 'h', 'f', '3'], ['HSETNX', 'h', 'f', 'x'],
      ['LPUSH', 'l', 'a', 'b'], ['RPUSH', 'l', 'c'], ['LSET', 'l', '0', 'z'], ['LTRIM', 'l', '0', '1'], ['LREM', 'l', '0', 'nope'],
      ['SADD', 's', 'x', 'y'], ['SADD', 's', 'x'], ['SREM', 's', 'y'], ['SMOVE', 's', 's2', 'x'],
      ['ZADD', 'z', '1', 'a', '2', 'b'], ['ZINCRBY', 'z', '1.5', 'a'], ['ZREM', 'z', 'b'], ['ZADD', 'z', 'NX', '5', 'a'],
      ['RENAME', 'k2', 'k3'], ['PERSIST', 'k3'], ['INCR', 'k'], ['LPUSH', 'k', 'x'], ['SET'],
    ]);
  });

  test('relative expire times as absolute ones: EXPIRE family as PEXPIREAT, SET EX/PX, SETEX, PSETEX as SET PXAT, GETEX as PEXPIREAT/PERSIST/DEL', async () => {
    await sameStream([
      ['SET', 't1', 'v'], ['EXPIRE', 't1', '100'], ['PEXPIRE', 't1', '200000'], ['EXPIREAT', 't1', '4102444800'],
      ['PEXPIREAT', 't1', '4102444800123'], ['pexpireat', 't1', '4102444800124'], ['EXPIRE', 't1', '300', 'GT'], ['EXPIRE', 't1', '10', 'GT'],
      ['EXPIRE', 't1', '50', 'xx'], ['EXPIRE', 'nosuch', '10'], ['PERSIST', 't1'], ['PERSIST', 't1'],
      ['SET', 't2', 'v', 'EX', '100'], ['SET', 't3', 'v', 'PX', '100000', 'NX'], ['SET', 't3', 'w', 'PX', '100000', 'NX'],
      ['SET', 't4', 'v', 'EXAT', '4102444800'], ['SET', 't4', 'w', 'PXAT', '4102444800999', 'GET'], ['SET', 't4', 'x', 'KEEPTTL'],
      ['SET', 't4', 'y', 'GET'], ['set', 't4', 'z', 'get', 'XX'], ['SETEX', 't5', '100', 'v'], ['PSETEX', 't6', '100000', 'v'],
      ['GETEX', 't5'], ['GETEX', 't5', 'EX', '200'], ['GETEX', 't5', 'PXAT', '4102444800777'], ['GETEX', 't5', 'PERSIST'],
      ['GETEX', 't5', 'PERSIST'], ['GETEX', 't5', 'EXAT', '1'], ['SET', 't7', 'v'], ['EXPIRE', 't7', '-1'], ['SET', 't8', 'v'],
      ['PEXPIREAT', 't8', '1'], ['SET', 't9', 'v'], ['EXPIREAT', 't9', '1', 'NX'],
    ]);
  });

  test('float increments as their result: INCRBYFLOAT as SET KEEPTTL, HINCRBYFLOAT as HSET', async () => {
    await sameStream([
      ['INCRBYFLOAT', 'f', '1.5'], ['INCRBYFLOAT', 'f', '0.1'], ['EXPIRE', 'f', '100'], ['INCRBYFLOAT', 'f', '1e3'], ['INCRBYFLOAT', 'f', 'x'],
      ['HINCRBYFLOAT', 'hf', 'a', '2.5'], ['HINCRBYFLOAT', 'hf', 'a', '-0.25'], ['HINCRBYFLOAT', 'hf', 'a', 'x'],
    ]);
  });

  test('keys that expire: DEL alone when found on access or on time, inside the command\'s unit when a write finds one', async () => {
    expect((await p.exact('DEBUG', 'SET-ACTIVE-EXPIRE', '0')).toString()).toBe('+OK\r\n'); // exact
    try {
      await sameStream([
        ['SET', 'x1', 'v', 'PX', '30'], ['SET', 'x2', 'v', 'PX', '30'], ['SET', 'x3', '5', 'PX', '30'], ['sleep', '80'],
        ['GET', 'x1'], ['SET', 'x2', 'new'], ['INCR', 'x3'],
        // Several keys expired by one command: wrapped in MULTI/EXEC, except by SCAN and
        // RANDOMKEY (Redis's CMD_TOUCHES_ARBITRARY_KEYS).
        ['SET', 'm1', 'v', 'PX', '30'], ['SET', 'm2', 'v', 'PX', '30'], ['sleep', '80'], ['MGET', 'm1', 'm2'],
        ['SET', 'k1', 'v', 'PX', '30'], ['SET', 'k2', 'v', 'PX', '30'], ['sleep', '80'], ['random', 'KEYS', 'k*'],
      ]);
      await sameStream([
        ['FLUSHALL'], ['SET', 's1', 'v', 'PX', '30'], ['SET', 's2', 'v', 'PX', '30'], ['sleep', '80'], ['random', 'SCAN', '0'],
      ], { anyOrder: true });                                                   // as a set: no MULTI/EXEC on either
      await sameStream([
        ['FLUSHALL'], ['SET', 'r1', 'v', 'PX', '30'], ['SET', 'r2', 'v', 'PX', '30'], ['sleep', '80'], ['random', 'RANDOMKEY'],
      ], { anyOrder: true });
    } finally {
      await p.exact('DEBUG', 'SET-ACTIVE-EXPIRE', '1');                         // exact
    }
    await sameStream([['SET', 'x4', 'v', 'PX', '30'], ['sleep', '600']]);
  });

  test('commands written as their effect: pops as LPOP/RPOP/ZPOPMIN/ZPOPMAX/LMOVE/RPOPLPUSH, SPOP as SREM or DEL, GETDEL as DEL, GETSET as SET', async () => {
    await sameStream([
      ['RPUSH', 'pl', 'a', 'b', 'c', 'd', 'e'], ['LMPOP', '1', 'pl', 'LEFT', 'COUNT', '2'], ['LMPOP', '2', 'nosuch', 'pl', 'RIGHT', 'COUNT', '9'],
      ['RPUSH', 'pl', 'a', 'b', 'c'], ['BLPOP', 'nosuch', 'pl', '1'], ['BRPOP', 'pl', '1'], ['BLMPOP', '1', '1', 'pl', 'LEFT', 'COUNT', '5'],
      ['RPUSH', 'pl', 'a', 'b'], ['BLMOVE', 'pl', 'pl2', 'left', 'RIGHT', '1'], ['BRPOPLPUSH', 'pl', 'pl2', '1'],
      ['ZADD', 'pz', '1', 'a', '2', 'b', '3', 'c', '4', 'd'], ['ZMPOP', '1', 'pz', 'MIN', 'COUNT', '1'], ['BZPOPMAX', 'pz', '1'],
      ['BZPOPMIN', 'pz', '1'], ['BZMPOP', '1', '1', 'pz', 'MAX', 'COUNT', '7'],
      ['SADD', 'ps', 'only'], ['SPOP', 'ps'], ['SADD', 'ps', '1', '2'], ['SPOP', 'ps', '5'], ['SADD', 'rnd', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10'],
      ['random', 'SPOP', 'rnd'], ['random', 'SPOP', 'rnd', '2'], ['random', 'SPOP', 'rnd', '6'], ['SPOP', 'ps', '0'],
      ['SET', 'gd', 'v'], ['GETDEL', 'gd'], ['GETDEL', 'gd'], ['GETSET', 'gs', 'one'], ['GETSET', 'gs', 'two'],
    ]);
  });

  test('a blocked client whose key expired before it could be served: stays blocked, the DEL goes after the command', async () => {
    expect((await p.exact('DEBUG', 'SET-ACTIVE-EXPIRE', '0')).toString()).toBe('+OK\r\n'); // exact
    try {
      await sameStream([
        ['FLUSHALL'], ['SELECT', '1'], ['RPUSH', 'k', 'hello'], ['PEXPIRE', 'k', '100'], ['SELECT', '0'],
        ['blocked', 'BRPOP', 'k', '1'], ['sleep', '150'], ['SWAPDB', '0', '1'],
      ]);
      await sameStream([
        ['FLUSHALL'], ['blocked', 'BRPOP', 'k2', '1'],
        ['MULTI'], ['RPUSH', 'k2', 'hello'], ['PEXPIRE', 'k2', '100'], ['DEBUG', 'SLEEP', '0.2'], ['EXEC'],
      ]);
    } finally {
      await p.exact('DEBUG', 'SET-ACTIVE-EXPIRE', '1');                         // exact
    }
  });

  test('blocked clients served later: their pops and moves as units of their own after the command that fed them', async () => {
    await sameStream([
      ['blocked', 'BLPOP', 'bl1', '5'], ['RPUSH', 'bl1', 'x', 'y'],
      ['blocked', 'BLMPOP', '5', '1', 'bl2', 'RIGHT', 'COUNT', '5'], ['RPUSH', 'bl2', 'x', 'y', 'z'],
      ['blocked', 'BLMOVE', 'bl3', 'bl4', 'RIGHT', 'LEFT', '5'], ['LPUSH', 'bl3', 'm'],
      ['blocked', 'BRPOPLPUSH', 'bl5', 'bl6', '5'], ['LPUSH', 'bl5', 'n'],
      ['blocked', 'BZPOPMIN', 'bz1', '5'], ['ZADD', 'bz1', '1', 'a', '2', 'b'],
      ['blocked', 'BZMPOP', '5', '1', 'bz2', 'MAX', 'COUNT', '3'], ['ZADD', 'bz2', '1', 'a', '2', 'b'],
    ]);
  });

  test('every other write command lapse has, with RESTORE\'s relative TTL as ABSTTL, FLUSHALL and FLUSHDB even when empty, and PUBLISH', async () => {
    const bulk = (reply: Buffer): Buffer => {
      const header = reply.indexOf('\r\n');
      return reply.subarray(header + 2, reply.length - 2);
    };
    await p.exact('RPUSH', 'dumped', 'a', 'b');                                  // exact
    const payload = bulk(await p.exact('DUMP', 'dumped'));                       // exact: Redis's payload bytes
    await p.exact('FUNCTION', 'LOAD', 'REPLACE', "#!lua name=cov\nredis.register_function('cov', function() return 1 end)"); // exact
    const functions = bulk(await p.exact('FUNCTION', 'DUMP'));                   // exact
    await sameStream([
      ['SET', 'bk', ''], ['SETBIT', 'bk', '7', '1'], ['SETBIT', 'bk', '7', '1'], ['BITFIELD', 'bk', 'SET', 'u8', '8', '255'], ['BITFIELD', 'bk', 'GET', 'u8', '8'],
      ['BITOP', 'OR', 'bdst', 'bk', 'bk'], ['HMSET', 'hm', 'a', '1'], ['RPUSH', 'll', 'a', 'b'], ['LINSERT', 'll', 'BEFORE', 'b', 'x'],
      ['LINSERT', 'll', 'BEFORE', 'nope', 'x'], ['LMOVE', 'll', 'll2', 'LEFT', 'RIGHT'], ['LPOP', 'll'], ['RPOP', 'll2'], ['LPOP', 'll', '5'],
      ['LPOP', 'nosuch'], ['LPUSHX', 'll2', 'y'], ['RPUSHX', 'll2', 'z'], ['RPUSHX', 'nosuch', 'z'], ['RPOPLPUSH', 'll2', 'll3'],
      ['RENAMENX', 'hm', 'hm2'], ['RENAMENX', 'll3', 'hm2'], ['UNLINK', 'hm2'], ['SADD', 's1', '1', '2', '3'], ['SADD', 's2', '2', '3', '4'],
      ['SDIFFSTORE', 'sd', 's1', 's2'], ['SINTERSTORE', 'si', 's1', 's2'], ['SUNIONSTORE', 'su', 's1', 's2'], ['SORT', 's1', 'STORE', 'sorted'],
      ['ZADD', 'z1', '1', 'a', '2', 'b', '3', 'c'], ['ZADD', 'z2', '1', 'b'], ['ZDIFFSTORE', 'zd', '2', 'z1', 'z2'], ['ZINTERSTORE', 'zi', '2', 'z1', 'z2'],
      ['ZUNIONSTORE', 'zu', '2', 'z1', 'z2'], ['ZRANGESTORE', 'zr', 'z1', '0', '1'], ['ZPOPMIN', 'zu'], ['ZPOPMAX', 'zu', '1'],
      ['ZREMRANGEBYRANK', 'z1', '0', '0'], ['ZREMRANGEBYSCORE', 'z1', '2', '2'], ['ZADD', 'zl', '0', 'a', '0', 'b', '0', 'c'],
      ['ZREMRANGEBYLEX', 'zl', '[a', '[b'], ['PUBLISH', 'chan', 'hello'],
      ['RESTORE', 'rk', '0', payload], ['RESTORE', 'rk2', '100000', payload], ['RESTORE', 'rk', '0', payload, 'REPLACE'],
      ['RESTORE', 'rk3', '4102444800000', payload, 'ABSTTL'], ['RESTORE', 'rk', '1', payload, 'REPLACE', 'ABSTTL'], ['RESTORE', 'rk4', '1', payload, 'ABSTTL'],
      ['FUNCTION', 'DELETE', 'cov'], ['FUNCTION', 'RESTORE', functions], ['FUNCTION', 'FLUSH'],
      ['SELECT', '9'], ['FLUSHDB'], ['FLUSHDB'], ['SELECT', '0'], ['FLUSHALL'], ['FLUSHALL'],
    ]);
  });

  test('under lazyfree-lazy-expire and lazyfree-lazy-user-del, deletions go as UNLINK', async () => {
    await p.exact('CONFIG', 'SET', 'lazyfree-lazy-expire', 'yes');               // exact
    await p.exact('CONFIG', 'SET', 'lazyfree-lazy-user-del', 'yes');             // exact
    try {
      await sameStream([
        ['SET', 'u1', 'v', 'PX', '30'], ['sleep', '600'], ['SET', 'u2', 'v'], ['EXPIRE', 'u2', '-1'], ['SET', 'u3', 'v'],
        ['GETEX', 'u3', 'PXAT', '1'], ['SET', 'u4', 'v'], ['GETDEL', 'u4'], ['SET', 'u5', 'v'], ['DEL', 'u5'],
      ]);
    } finally {
      await p.exact('CONFIG', 'SET', 'lazyfree-lazy-expire', 'no');              // exact
      await p.exact('CONFIG', 'SET', 'lazyfree-lazy-user-del', 'no');            // exact
    }
  });

  test('databases: SELECT before a command of another database; MOVE, COPY and SWAPDB as sent', async () => {
    await sameStream([
      ['SELECT', '2'], ['SET', 'd2', 'v'], ['SELECT', '0'], ['SET', 'd0', 'v'], ['SELECT', '5'], ['HSET', 'h5', 'f', 'v'],
      ['SELECT', '0'], ['MOVE', 'd0', '3'], ['COPY', 'k', 'kcopy'], ['COPY', 'k', 'kcopy'], ['SWAPDB', '2', '3'], ['FLUSHDB'],
    ]);
  });

  test('MULTI/EXEC: several writes wrapped, a single one alone, reads only or a discarded one not at all', async () => {
    await sameStream([
      ['MULTI'], ['SET', 'm1', 'a'], ['GET', 'm1'], ['SET', 'm2', 'b'], ['EXEC'],
      ['MULTI'], ['SET', 'm3', 'c'], ['GET', 'm3'], ['EXEC'],
      ['MULTI'], ['GET', 'm3'], ['EXEC'],
      ['MULTI'], ['SET', 'm4', 'd'], ['DISCARD'],
      ['MULTI'], ['SELECT', '1'], ['SET', 'm5', 'e'], ['SELECT', '0'], ['SET', 'm6', 'f'], ['EXEC'],
      // A forced or rewritten command last in EXEC: EXEC itself is not propagated.
      ['MULTI'], ['PUBLISH', 'bla', 'bla'], ['EXEC'],
      ['MULTI'], ['SET', 'm7', 'g'], ['SET', 'm8', 'h', 'EX', '100'], ['EXEC'],
    ]);
  });

  test('scripts by their effects: several writes wrapped, one alone, none not at all', async () => {
    await sameStream([
      ['EVAL', "redis.call('set', KEYS[1], 'x') redis.call('incr', 'cnt') redis.call('get', 'cnt') return 1", '1', 'e1'],
      ['EVAL', "redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])", '1', 'e2', 'v'],
      ['EVAL', "return redis.call('get', 'e2')", '0'],
      ['EVAL', "redis.call('select', 4) redis.call('set', 'e4', '1') redis.call('select', 0) redis.call('set', 'e5', '1')", '0'],
      ['FUNCTION', 'LOAD', "#!lua name=plib\nredis.register_function('two', function(k) redis.call('set', k[1], 'a') redis.call('set', k[1], 'b') end)"],
      ['FCALL', 'two', '1', 'f1'],
    ]);
  });

  test('a script past busy-reply-threshold (lapse runs it in slices) is one unit, written when it ends', async () => {
    await p.exact('CONFIG', 'SET', 'busy-reply-threshold', '20');                // exact
    try {
      await sameStream([
        ['EVAL', "redis.call('set', 'slow1', '1') for i = 1, 3e7 do end redis.call('set', 'slow2', '2') return 1", '0'],
      ]);
    } finally {
      await p.exact('CONFIG', 'SET', 'busy-reply-threshold', '5000');            // exact
    }
  });
});

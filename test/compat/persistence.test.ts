import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, test } from 'vitest';
import { pairSuite, show } from './harness.js';
import { createServer, type LapseServer } from '../../src/index.js';
import { HashValue } from '../../src/keyspace/hash.js';
import { RawClient } from '../helpers/raw-client.js';
import { startRedis, type ReferenceRedis } from '../helpers/redis-server.js';
import { decodeReply, type Reply } from '../helpers/resp.js';

/**
 * Snapshots against Redis 7.0: the files go both ways (redis-server loads lapse's
 * dump.rdb, lapse loads redis-server's), and the persistence commands, configuration
 * and change counter answer as Redis's.
 */

const dirs: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-persist-compat-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function text(r: Buffer): string {
  return r.toString('latin1');
}

function decode(r: Buffer): Reply {
  return decodeReply(r)!.reply;
}

/** The strings of an array reply. */
function strings(r: Buffer): string[] {
  const reply = decode(r);
  if (reply.type !== 'array') throw new Error(`not an array: ${show(r)}`);
  return reply.value.map((x) => (x.type === 'bulk' ? x.value.toString('latin1') : ''));
}

function integer(r: Buffer): number {
  const reply = decode(r);
  if (reply.type !== 'integer') throw new Error(`not an integer: ${show(r)}`);
  return Number(reply.value);
}

/** One field of INFO persistence. */
async function infoField(c: RawClient, field: string): Promise<string> {
  const reply = decode(await c.call('INFO', 'persistence'));
  const body = reply.type === 'bulk' || reply.type === 'verbatim' ? reply.value.toString('latin1') : '';
  const m = new RegExp(`^${field}:(.*)\\r$`, 'm').exec(body);
  if (!m) throw new Error(`no ${field} in INFO`);
  return m[1]!;
}

async function waitBgsaveDone(c: RawClient): Promise<void> {
  const until = Date.now() + 20_000;
  while ((await infoField(c, 'rdb_bgsave_in_progress')) !== '0') {
    if (Date.now() > until) throw new Error('BGSAVE did not finish');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Values that exercise every string encoding: ints of each width, binary, long, compressible. */
const STRINGS: [string, string][] = [
  ['int8', '-12'],
  ['int16', '3000'],
  ['int32', '-2000000000'],
  ['int64-text', '9223372036854775807'],
  ['not-int', '007'],
  ['empty', ''],
  ['binary', '\x00\r\n\xff\x80 bytes'],
  ['compressible', 'session:'.repeat(40)],
  ['long', Array.from({ length: 5000 }, (_, i) => String.fromCharCode(32 + ((i * 37) % 90))).join('')],
  ['huge', 'x'.repeat(300_000)],
  ['12345', 'a key that is an int'],
];

/** Sessions written before each save (SAVE and BGSAVE use the snapshot worker from 10,000 string keys). */
const SESSIONS = 12_000;

describe('lapse writes, redis-server 7.0 loads', () => {
  for (const mode of ['SAVE', 'BGSAVE'] as const) {
    for (const compression of ['yes', 'no']) {
      test(`${mode} with rdbcompression ${compression}: same keys, types, values and TTLs`, async () => {
        const dir = tempDir();
        const lapse = createServer({ port: 0, bind: '127.0.0.1', dir, rdbcompression: compression, databases: 16, 'enable-debug-command': 'yes' });
        const { port } = await lapse.listen();
        const l = await RawClient.connect(port);
        let redis: ReferenceRedis | undefined;
        try {
          for (const [k, v] of STRINGS) expect(text(await l.call('SET', k, v))).toBe('+OK\r\n');
          // Enough sessions that SAVE shares its work with the snapshot worker and BGSAVE hands
          // them to it (from 10,000 string keys): the file redis-server loads is theirs.
          for (let i = 0; i < SESSIONS; i++) l.send('SET', `session:${i}`, `{"user":${i},"cart":[1,2,3]}`, 'EX', String(1000 + i));
          for (let i = 0; i < SESSIONS; i++) expect(text(await l.readReplyBytes())).toBe('+OK\r\n');
          await l.call('SET', 'px', 'v', 'PX', '987654');
          await l.call('SELECT', '3');
          await l.call('SET', 'in-db-3', 'three', 'EX', '5000');
          await l.call('SELECT', '0');
          const small = ['name', 'ada', 'visits', '12', 'neg', '-5000', 'big', '123456789012', 'bin', '\x00\xff'];
          expect(integer(await l.call('HSET', 'hash:small', ...small))).toBe(5);
          const large: string[] = [];
          for (let i = 0; i < 600; i++) large.push(`field:${i}`, i % 3 === 0 ? String(i) : `value-${i}`);
          expect(integer(await l.call('HSET', 'hash:large', ...large))).toBe(600);
          expect(integer(await l.call('HSET', 'hash:wide-value', 'long', 'L'.repeat(100), 'short', 's'))).toBe(2);
          expect(integer(await l.call('PEXPIRE', 'hash:wide-value', '777000'))).toBe(1);

          if (mode === 'SAVE') {
            expect(text(await l.call('SAVE'))).toBe('+OK\r\n');
            expect(await infoField(l, 'lapse_save_worker')).toBe('1');
          } else {
            expect(text(await l.call('BGSAVE'))).toBe('+Background saving started\r\n');
            await waitBgsaveDone(l);
            expect(await infoField(l, 'rdb_last_bgsave_status')).toBe('ok');
            expect(await infoField(l, 'lapse_bgsave_worker')).toBe('1');
          }
          const file = path.join(dir, 'dump.rdb');
          expect(execFileSync('redis-check-rdb', [file], { encoding: 'latin1' })).toContain('RDB looks OK');
          const saved = text(await l.call('DEBUG', 'DIGEST'));

          redis = await startRedis(['--dir', dir, '--dbfilename', 'dump.rdb', '--enable-debug-command', 'yes']);
          const r = await RawClient.connect(redis.port);
          // Every key, type, value and element, and which keys expire: Redis's digest of what
          // it loaded is lapse's of what it saved (debug.c's algorithm on both sides).
          expect(text(await r.call('DEBUG', 'DIGEST')), 'DEBUG DIGEST').toBe(saved);
          const l2 = await RawClient.connect(port);
          for (const dbi of ['0', '3']) {
            await r.call('SELECT', dbi);
            await l2.call('SELECT', dbi);
            const keys = strings(await r.call('KEYS', '*')).sort();
            expect(keys, `db ${dbi} keys`).toEqual(strings(await l2.call('KEYS', '*')).sort());
            expect(keys.length).toBeGreaterThan(0);
            // Every key but the sessions, and one session in 50 (all of them are in KEYS above).
            for (const key of keys.filter((k) => !k.startsWith('session:') || Number(k.slice(8)) % 50 === 0)) {
              const type = text(await r.call('TYPE', key));
              expect(type, `TYPE ${key}`).toBe(text(await l2.call('TYPE', key)));
              if (type === '+string\r\n') {
                expect(show(await r.call('GET', key)), `GET ${key}`).toBe(show(await l2.call('GET', key)));
              } else {
                const hdb = lapse.keyspace.dbs[Number(dbi)]!;
                const hash = hdb.valueOf(hdb.get(key)!) as HashValue;
                // Field order too: Redis keeps a listpack's order; a table's is its own.
                const pairs = strings(await r.call('HGETALL', key));
                const expected = [...hash.entries()].flat();
                if (hash.compact) expect(pairs, `HGETALL ${key}`).toEqual(expected);
                else expect([...pairs.keys()].length).toBe(expected.length);
                const asMap = new Map<string, string>();
                for (let i = 0; i < pairs.length; i += 2) asMap.set(pairs[i]!, pairs[i + 1]!);
                expect(asMap, `HGETALL ${key}`).toEqual(new Map(hash.entries()));
              }
              const rp = integer(await r.call('PTTL', key));
              const lp = integer(await l2.call('PTTL', key));
              if (lp < 0) expect(rp, `PTTL ${key}`).toBe(lp);
              else expect(Math.abs(rp - lp), `PTTL ${key}: redis ${rp} lapse ${lp}`).toBeLessThanOrEqual(2000); // tolerance: 2 s for the restart
            }
          }
          await r.call('SELECT', '0');
          expect(text(await r.call('OBJECT', 'ENCODING', 'hash:small'))).toBe('$8\r\nlistpack\r\n');
          expect(text(await r.call('OBJECT', 'ENCODING', 'hash:large'))).toBe('$9\r\nhashtable\r\n');
          r.close();
          l2.close();
        } finally {
          l.close();
          await lapse.close();
          await redis?.stop();
        }
      });
    }
  }
});

describe('redis-server 7.0 writes, lapse loads', () => {
  test('small and large hashes, int and long strings, TTLs, several databases, compression on', async () => {
    const dir = tempDir();
    const redis = await startRedis(['--dir', dir, '--rdbcompression', 'yes', '--enable-debug-command', 'yes']);
    const r = await RawClient.connect(redis.port);
    let lapse: LapseServer | undefined;
    try {
      for (const [k, v] of STRINGS) await r.call('SET', k, v);
      for (let i = 0; i < 300; i++) await r.call('SET', `s:${i}`, `${'v'.repeat(i)}${i}`, 'EX', String(5000 + i));
      await r.call('SET', 'ms', 'v', 'PX', '1234567');
      await r.call('HSET', 'h:small', 'a', '1', 'b', 'two', 'n', '-70000', 'i64', '9223372036854775807', 'bin', '\x00\r\n');
      const args: string[] = [];
      for (let i = 0; i < 600; i++) args.push(`f${i}`, `value number ${i}`);
      await r.call('HSET', 'h:large', ...args);
      await r.call('HSET', 'h:wide', 'x', 'y'.repeat(200));
      await r.call('EXPIRE', 'h:large', '90000');
      await r.call('SELECT', '5');
      await r.call('SET', 'db5', 'five');
      await r.call('HSET', 'h5', 'f', 'v');
      await r.call('SELECT', '0');
      expect(text(await r.call('OBJECT', 'ENCODING', 'h:small'))).toBe('$8\r\nlistpack\r\n');
      expect(text(await r.call('OBJECT', 'ENCODING', 'h:large'))).toBe('$9\r\nhashtable\r\n');
      expect(text(await r.call('SAVE'))).toBe('+OK\r\n');

      // save points make an embedded server load its snapshot on listen()
      lapse = createServer({ port: 0, bind: '127.0.0.1', dir, save: '3600 1', 'enable-debug-command': 'yes' });
      const { port } = await lapse.listen();
      const l = await RawClient.connect(port);
      expect(text(await l.call('DEBUG', 'DIGEST')), 'DEBUG DIGEST').toBe(text(await r.call('DEBUG', 'DIGEST')));
      for (const dbi of ['0', '5']) {
        await r.call('SELECT', dbi);
        await l.call('SELECT', dbi);
        const keys = strings(await r.call('KEYS', '*')).sort();
        expect(strings(await l.call('KEYS', '*')).sort(), `db ${dbi}`).toEqual(keys);
        for (const key of keys) {
          const type = text(await r.call('TYPE', key));
          expect(text(await l.call('TYPE', key)), `TYPE ${key}`).toBe(type);
          if (type === '+string\r\n') {
            expect(show(await l.call('GET', key)), `GET ${key}`).toBe(show(await r.call('GET', key)));
          } else {
            const pairs = strings(await r.call('HGETALL', key));
            const hdb = lapse.keyspace.dbs[Number(dbi)]!;
            const hash = hdb.valueOf(hdb.get(key)!) as HashValue;
            const mine = [...hash.entries()].flat();
            if (hash.compact) expect(mine, `HGETALL ${key} (listpack order)`).toEqual(pairs);
            const asMap = new Map<string, string>();
            for (let i = 0; i < pairs.length; i += 2) asMap.set(pairs[i]!, pairs[i + 1]!);
            expect(new Map(hash.entries()), `HGETALL ${key}`).toEqual(asMap);
          }
          const rp = integer(await r.call('PTTL', key));
          const lp = integer(await l.call('PTTL', key));
          if (rp < 0) expect(lp, `PTTL ${key}`).toBe(rp);
          else expect(Math.abs(rp - lp), `PTTL ${key}`).toBeLessThanOrEqual(2000); // tolerance: 2 s
        }
      }
      expect(await infoField(l, 'rdb_last_load_keys_loaded')).toBe(String(STRINGS.length + 300 + 1 + 3 + 2));
      expect(await infoField(l, 'rdb_changes_since_last_save')).toBe('0');
      l.close();
    } finally {
      r.close();
      await lapse?.close();
      await redis.stop();
    }
  });
});

describe('a damaged RESIZEDB hint, loaded by both', () => {
  test('a file whose RESIZEDB claims 2^30 keys ahead of its one key: both load the key and serve', async () => {
    // RESIZEDB with 32-bit lengths (0x80, then 4 bytes big-endian) for the keys and the
    // expires, then the string key a = b; the checksum 0 means "not computed" to both.
    const body = Buffer.from([0xfe, 0x00, 0xfb, 0x80, 0x40, 0x00, 0x00, 0x00, 0x80, 0x40, 0x00, 0x00, 0x00, 0x00, 0x01, 0x61, 0x01, 0x62, 0xff]);
    const file = Buffer.concat([Buffer.from('REDIS0010', 'latin1'), body, Buffer.alloc(8)]);
    const rdir = tempDir();
    const ldir = tempDir();
    fs.writeFileSync(path.join(rdir, 'dump.rdb'), file);
    fs.writeFileSync(path.join(ldir, 'dump.rdb'), file);
    const redis = await startRedis(['--dir', rdir, '--dbfilename', 'dump.rdb']);
    // Made inside the try: a load that throws must still stop redis-server.
    let lapse: LapseServer | undefined;
    let r: RawClient | undefined;
    let l: RawClient | undefined;
    try {
      lapse = createServer({ port: 0, bind: '127.0.0.1', dir: ldir, save: '3600 1' });
      const { port } = await lapse.listen();
      r = await RawClient.connect(redis.port);
      l = await RawClient.connect(port);
      for (const cmd of [['GET', 'a'], ['DBSIZE'], ['SET', 'c', 'd'], ['DBSIZE']]) {
        expect(show(await l.call(...cmd)), cmd.join(' ')).toBe(show(await r.call(...cmd)));
      }
    } finally {
      r?.close();
      l?.close();
      await lapse?.close();
      await redis.stop();
    }
  });
});

describe('commands, configuration and the change counter, as Redis', () => {
  const lapseDir = tempDir();
  const p = pairSuite({ lapse: { dir: lapseDir } });

  /** Both servers' rdb_changes_since_last_save after a command: equal. */
  async function changes(...args: string[]): Promise<void> {
    await p.both(args);
    const [r, l] = [await infoField(p.r, 'rdb_changes_since_last_save'), await infoField(p.l, 'rdb_changes_since_last_save')];
    expect(l, `changes after ${args.join(' ')}`).toBe(r);
  }

  test('rdb_changes_since_last_save counts as Redis counts', async () => {
    await p.exact('SAVE');                                          // exact: resets the counter
    await changes('SET', 'a', '1');                                 // exact counter: +1
    await changes('SET', 'a', '1', 'NX');                           // +0
    await changes('SET', 'a', '2', 'XX', 'EX', '100');              // +1
    await changes('SETNX', 'a', '3');                               // +0
    await changes('MSET', 'b', '1', 'c', '2', 'd', '3');            // +3
    await changes('MSETNX', 'e', '1', 'b', '2');                    // +0
    await changes('MSETNX', 'e', '1', 'f', '2');                    // +2
    await changes('INCR', 'b');                                     // +1
    await changes('INCRBY', 'b', '10');                             // +1
    await changes('DECR', 'b');                                     // +1
    await changes('INCRBYFLOAT', 'b', '1.5');                       // +1
    await changes('INCR', 'a');                                     // error: +0
    await changes('APPEND', 'c', 'xyz');                            // +1
    await changes('APPEND', 'new', 'xyz');                          // +1
    await changes('SETRANGE', 'c', '1', 'Q');                       // +1
    await changes('SETRANGE', 'c', '1', '');                        // +0
    await changes('GETSET', 'c', 'new');                            // +1
    await changes('GETDEL', 'c');                                   // +1
    await changes('GETDEL', 'c');                                   // +0
    await changes('GETEX', 'd', 'EX', '100');                       // +1
    await changes('GETEX', 'd', 'PERSIST');                         // +1
    await changes('GETEX', 'd', 'PERSIST');                         // +0
    await changes('GETEX', 'd');                                    // +0
    await changes('SETEX', 'g', '100', 'v');                        // +1
    await changes('PSETEX', 'g', '100000', 'v');                    // +1
    await changes('EXPIRE', 'g', '1000');                           // +1
    await changes('EXPIRE', 'g', '1000', 'NX');                     // +0
    await changes('PEXPIRE', 'g', '100000');                        // +1
    await changes('EXPIREAT', 'g', '4000000000');                   // +1
    await changes('PERSIST', 'g');                                  // +1
    await changes('PERSIST', 'g');                                  // +0
    await changes('EXPIRE', 'g', '-1');                             // +1: deleted
    await changes('EXPIRE', 'nosuch', '10');                        // +0
    await changes('DEL', 'a', 'b', 'nosuch');                       // +2
    await changes('UNLINK', 'd');                                   // +1
    await changes('RENAME', 'e', 'f');                              // +1, replacing f
    await changes('RENAMENX', 'f', 'e');                            // +1
    await changes('SET', 'z', '1');                                 // +1
    await changes('RENAMENX', 'e', 'z');                            // +0
    await changes('GET', 'z');                                      // +0
    await changes('SELECT', '2');                                   // +0
    await p.exact('SET', 'in2', 'x');                               // exact
    await changes('FLUSHDB');                                       // + keys removed
    await changes('FLUSHDB');                                       // +0
    await changes('FLUSHALL');                                      // + keys removed
    await changes('FLUSHALL');                                      // +0
  });

  test('SAVE, BGSAVE, BGSAVE SCHEDULE, LASTSAVE', async () => {
    await p.exact('SET', 'k', 'v');                                 // exact
    await p.exact('SAVE');                                          // exact: +OK
    await p.exact('save', 'extra');                                 // exact: arity
    await p.exact('BGSAVE', 'foo');                                 // exact: syntax error
    await p.exact('BGSAVE', 'schedule', 'x');                       // exact: syntax error
    await p.exact('BGSAVE');                                        // exact: started
    await waitBgsaveDone(p.r);
    await waitBgsaveDone(p.l);
    await p.exact('BGSAVE', 'SCHEDULE');                            // exact: started (nothing else runs)
    await waitBgsaveDone(p.r);
    await waitBgsaveDone(p.l);
    await p.exact('LASTSAVE', 'x');                                 // exact: arity
    await p.ttl(2, 'LASTSAVE');                                     // tolerance: 2 s between the saves
    expect(await infoField(p.l, 'rdb_last_bgsave_status')).toBe('ok');
    expect(await infoField(p.l, 'rdb_changes_since_last_save')).toBe('0');
    expect(Number(await infoField(p.l, 'rdb_saves'))).toBe(Number(await infoField(p.r, 'rdb_saves')));
  });

  test("INFO persistence has Redis 7.0's fields, in its order", async () => {
    const names = (r: Buffer) => {
      const reply = decode(r);
      const body = reply.type === 'bulk' ? reply.value.toString('latin1') : '';
      return body.split('\r\n').filter((l) => l.includes(':')).map((l) => l.split(':')[0]);
    };
    const [r, l] = await p.both(['INFO', 'persistence']);
    expect(names(l)).toEqual([...names(r), 'lapse_bgsave_worker', 'lapse_save_worker']); // Redis's names, in its order; then lapse's
    expect(await infoField(p.l, 'rdb_bgsave_in_progress')).toBe('0');
    expect(await infoField(p.l, 'loading')).toBe('0');
  });

  test('CONFIG GET and SET of the snapshot parameters', async () => {
    for (const name of ['save', 'dbfilename', 'rdbcompression', 'rdbchecksum', 'stop-writes-on-bgsave-error']) {
      await p.exact('CONFIG', 'GET', name);                         // exact
    }
    await p.exact('CONFIG', 'SET', 'save', '100 2 50 3');           // exact: OK
    await p.exact('CONFIG', 'GET', 'save');                         // exact: 100 2 50 3
    await p.exact('CONFIG', 'SET', 'save', '60');                   // exact: odd count
    await p.exact('CONFIG', 'SET', 'save', '0 1');                  // exact: seconds < 1
    await p.exact('CONFIG', 'SET', 'save', '1 -1');                 // exact: changes < 0
    await p.exact('CONFIG', 'SET', 'save', '1 a');                  // exact: not a number
    await p.exact('CONFIG', 'SET', 'save', ' 5 1');                 // exact: an empty first word
    await p.exact('CONFIG', 'SET', 'save', '5  1 1');               // exact: empty word reads 0
    await p.exact('CONFIG', 'GET', 'save');                         // exact: 5 0 1 1
    await p.exact('CONFIG', 'SET', 'save', '+10 -0');               // exact: signs
    await p.exact('CONFIG', 'GET', 'save');                         // exact: 10 0
    await p.exact('CONFIG', 'SET', 'save', '10 0');                 // exact: OK
    await p.exact('CONFIG', 'GET', 'save');                         // exact
    await p.exact('CONFIG', 'SET', 'save', '');                     // exact: none
    await p.exact('CONFIG', 'GET', 'save');                         // exact: ""
    await p.exact('CONFIG', 'SET', 'dir', '/tmp');                  // exact: protected
    await p.exact('CONFIG', 'SET', 'dbfilename', 'x.rdb');          // exact: protected
    await p.exact('CONFIG', 'SET', 'rdbchecksum', 'no');            // exact: immutable
    await p.exact('CONFIG', 'SET', 'rdbcompression', 'maybe');      // exact: yes or no
    await p.exact('CONFIG', 'SET', 'rdbcompression', 'NO');         // exact: OK
    await p.exact('CONFIG', 'GET', 'rdbcompression');               // exact: no
    await p.exact('CONFIG', 'SET', 'rdbcompression', 'yes');        // exact
    await p.exact('CONFIG', 'SET', 'stop-writes-on-bgsave-error', 'no');  // exact
    await p.exact('CONFIG', 'GET', 'stop-writes-on-bgsave-error');  // exact
    await p.exact('CONFIG', 'SET', 'stop-writes-on-bgsave-error', 'yes'); // exact
  });
});

describe('MISCONF after a failed background save (servers of their own)', () => {
  // With 12,000 string keys lapse's save has a worker thread, which waits to be told where
  // its bytes go; the file cannot be opened, and the save ends with the worker stopped.
  test.each([0, 12_000])('writes and PING refused while stop-writes-on-bgsave-error and save points hold (%i more keys)', async (more) => {
    const rdir = tempDir();
    const ldir = tempDir();
    const redis = await startRedis(['--dir', rdir, '--save', '3600 1']);
    const lapse = createServer({ port: 0, bind: '127.0.0.1', dir: ldir, save: '3600 1' });
    const { port } = await lapse.listen();
    const on: [RawClient, RawClient] = [await RawClient.connect(redis.port), await RawClient.connect(port)];
    const exact = async (...args: string[]) => {
      const a = await on[0].call(...args);
      const b = await on[1].call(...args);
      expect(show(b), `exact: ${args.join(' ')}`).toBe(show(a));
    };
    try {
      await exact('SET', 'k', 'v');                                 // exact
      for (const c of on) {
        for (let i = 0; i < more; i++) c.send('SET', `session:${i}`, `{"user":${i}}`);
        for (let i = 0; i < more; i++) await c.readReply();
      }
      await exact('DBSIZE');                                        // exact
      fs.rmSync(rdir, { recursive: true, force: true });
      fs.rmSync(ldir, { recursive: true, force: true });
      await exact('BGSAVE');                                        // exact: started (fails later)
      await waitBgsaveDone(on[0]);
      await waitBgsaveDone(on[1]);
      expect(await infoField(on[1], 'rdb_last_bgsave_status')).toBe(await infoField(on[0], 'rdb_last_bgsave_status'));
      expect(await infoField(on[1], 'lapse_bgsave_worker')).toBe(more > 0 ? '1' : '0');
      await exact('SET', 'k', 'v2');                                // exact: MISCONF
      await exact('PING');                                          // exact: MISCONF, as Redis
      await exact('DEL', 'k');                                      // exact: MISCONF
      await exact('FLUSHALL');                                      // exact: MISCONF
      await exact('GET', 'k');                                      // exact: reads still work
      await exact('CONFIG', 'SET', 'stop-writes-on-bgsave-error', 'no'); // exact
      await exact('SET', 'k', 'v3');                                // exact: allowed
      await exact('CONFIG', 'SET', 'stop-writes-on-bgsave-error', 'yes'); // exact
      await exact('EXPIRE', 'k', '10');                             // exact: MISCONF again
      await exact('CONFIG', 'SET', 'save', '');                     // exact: no save points
      await exact('SET', 'k', 'v4');                                // exact: allowed
      await exact('CONFIG', 'SET', 'save', '3600 1');               // exact
      await exact('SET', 'k', 'v5');                                // exact: MISCONF
      await exact('SAVE');                                          // exact: -ERR (dir gone)
    } finally {
      on[0].close();
      on[1].close();
      await lapse.close();
      await redis.stop();
    }
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, test } from 'vitest';
import { createServer, type LapseServer } from '../../src/index.js';
import { SetValue } from '../../src/keyspace/set.js';
import { readRdbFile } from '../../src/persistence/rdb-reader.js';
import { RawClient } from '../helpers/raw-client.js';
import { startRedis, type ReferenceRedis } from '../helpers/redis-server.js';
import { decodeReply } from '../helpers/resp.js';

/**
 * Sets in RDB files, both ways with redis-server 7.0: lapse's dump.rdb (intsets as
 * RDB_TYPE_SET_INTSET blobs of 16, 32 and 64-bit members, hashtables as RDB_TYPE_SET)
 * passes redis-check-rdb and loads into redis-server with the same members, TTLs and
 * encodings; redis-server's file loads into lapse the same way, including a plain
 * RDB_TYPE_SET holding only integers (a hashtable shrunk by SREM), which both load as
 * an intset.
 */

const dirs: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-set-rdb-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function strings(b: Buffer): string[] {
  const r = decodeReply(b)!.reply;
  if (r.type !== 'array' && r.type !== 'set') throw new Error(`not an array: ${b.toString('latin1')}`);
  return r.value.map((x) => (x.type === 'bulk' ? x.value.toString('latin1') : `?${x.type}`));
}

function bulk(b: Buffer): string {
  const r = decodeReply(b)!.reply;
  return r.type === 'bulk' ? r.value.toString('latin1') : r.type === 'simple' ? r.value : `?${r.type}`;
}

/** The sets written on both sides: name -> SADD arguments (and a TTL for some). */
function fixture(): [string, string[]][] {
  const ints600: string[] = [];
  for (let i = 0; i < 600; i++) ints600.push(String(i * 7 - 2000));
  const strs: string[] = [];
  for (let i = 0; i < 700; i++) strs.push(`member:${i}`);
  return [
    ['int16', ['1', '-5', '32767', '-32768', '0']],
    ['int32', ['1', '40000', '-2147483648', '2147483647']],
    ['int64', ['-9223372036854775808', '9223372036854775807', '5', '2147483648']],
    ['compressible', Array.from({ length: 100 }, () => '0').map((_, i) => String(i * 1000))],
    ['mixed', ['1', 'two', '3', '\x00\r\n\xff', '']],
    ['strings', strs],
    ['ints600', ints600],
    ['long', ['x'.repeat(300), 'session:'.repeat(20)]],
  ];
}

/** Members of each set on a server, sorted, with the encoding Redis (or lapse) reports. */
async function compareSets(r: RawClient, l: RawClient, lapse: LapseServer, keys: string[]): Promise<void> {
  for (const key of keys) {
    const rm = strings(await r.call('SMEMBERS', key));
    const lm = strings(await l.call('SMEMBERS', key));
    const encoding = bulk(await r.call('OBJECT', 'ENCODING', key));
    const db0 = lapse.keyspace.dbs[0]!;
    const value = db0.valueOf(db0.get(key)!) as SetValue;
    expect(value.encoding(), `encoding of ${key}`).toBe(encoding);                 // exact: OBJECT ENCODING
    if (encoding === 'intset') expect(lm, `SMEMBERS ${key}`).toEqual(rm);          // exact: numeric order
    else expect([...lm].sort(), `SMEMBERS ${key}`).toEqual([...rm].sort());         // sorted: dict order
    const rt = integerOf(await r.call('TTL', key));
    const lt = integerOf(await l.call('TTL', key));
    if (rt < 0) expect(lt).toBe(rt);
    else expect(Math.abs(rt - lt)).toBeLessThanOrEqual(2);                          // ttl: 2 s for the restart
  }
}

function integerOf(b: Buffer): number {
  const r = decodeReply(b)!.reply;
  if (r.type !== 'integer') throw new Error(`not an integer: ${b.toString('latin1')}`);
  return Number(r.value);
}

describe('lapse writes, redis-server 7.0 loads', () => {
  for (const [mode, compression] of [['SAVE', 'yes'], ['BGSAVE', 'no']] as const) {
    test(`${mode}, rdbcompression ${compression}`, async () => {
      const dir = tempDir();
      const lapse = createServer({ port: 0, bind: '127.0.0.1', dir, rdbcompression: compression });
      const { port } = await lapse.listen();
      const l = await RawClient.connect(port);
      let redis: ReferenceRedis | undefined;
      try {
        const sets = fixture();
        for (const [key, members] of sets) await l.call('SADD', key, ...members);
        await l.call('EXPIRE', 'int32', '5000');
        await l.call('EXPIRE', 'strings', '7000');
        // A hashtable left with integers only: still a hashtable, written as RDB_TYPE_SET.
        await l.call('SADD', 'shrunk', ...fixture()[6]![1], 'x');
        await l.call('SREM', 'shrunk', 'x', ...fixture()[6]![1].slice(10));
        const keys = [...sets.map(([k]) => k), 'shrunk'];
        if (mode === 'SAVE') {
          expect(bulk(await l.call('SAVE'))).toBe('OK');
        } else {
          expect(bulk(await l.call('BGSAVE'))).toBe('Background saving started');
          for (let i = 0; i < 500 && (lapse.keyspace.changesSinceSave !== 0); i++) await new Promise((r) => setTimeout(r, 10));
          expect(lapse.keyspace.changesSinceSave).toBe(0);
        }
        const file = path.join(dir, 'dump.rdb');
        expect(execFileSync('redis-check-rdb', [file], { encoding: 'latin1' })).toContain('RDB looks OK');
        // The types Redis 7.0 writes for the same sets: 11 (intset blob) or 2 (plain set).
        const bytes = fs.readFileSync(file);
        const types: Record<string, number> = {};
        readRdbFile(file, { key: (_db, key, _v, _expire, offset) => { types[key] = bytes[offset]!; } });
        expect(types).toEqual({ int16: 11, int32: 11, int64: 11, compressible: 11, mixed: 2, strings: 2, ints600: 2, long: 2, shrunk: 2 });
        redis = await startRedis(['--dir', dir, '--dbfilename', 'dump.rdb']);
        const r = await RawClient.connect(redis.port);
        expect(integerOf(await r.call('DBSIZE'))).toBe(keys.length);
        // Redis loads the shrunk hashtable of integers as an intset; lapse's live one is
        // still a hashtable, so it is compared by members only.
        await compareSets(r, l, lapse, keys.filter((k) => k !== 'shrunk'));
        expect(bulk(await r.call('OBJECT', 'ENCODING', 'shrunk'))).toBe('intset');
        expect(strings(await r.call('SMEMBERS', 'shrunk')).sort()).toEqual(strings(await l.call('SMEMBERS', 'shrunk')).sort());
        r.close();
      } finally {
        l.close();
        await lapse.close();
        await redis?.stop();
      }
    });
  }
});

describe('redis-server 7.0 writes, lapse loads', () => {
  test('intsets of every width, hashtables, a plain set of integers, TTLs', async () => {
    const dir = tempDir();
    const redis = await startRedis(['--dir', dir, '--rdbcompression', 'yes', '--enable-debug-command', 'yes']);
    const r = await RawClient.connect(redis.port);
    let lapse: LapseServer | undefined;
    try {
      const sets = fixture();
      for (const [key, members] of sets) await r.call('SADD', key, ...members);
      await r.call('PEXPIRE', 'int64', '800000');
      await r.call('SADD', 'shrunk', ...fixture()[6]![1], 'x');
      await r.call('SREM', 'shrunk', 'x', ...fixture()[6]![1].slice(10));
      expect(bulk(await r.call('OBJECT', 'ENCODING', 'shrunk'))).toBe('hashtable');
      expect(bulk(await r.call('SAVE'))).toBe('OK');
      // What Redis itself makes of its file: the shrunk set comes back as an intset.
      expect(bulk(await r.call('DEBUG', 'RELOAD'))).toBe('OK');
      expect(bulk(await r.call('OBJECT', 'ENCODING', 'shrunk'))).toBe('intset');
      lapse = createServer({ port: 0, bind: '127.0.0.1', dir, save: '3600 1' });
      const { port } = await lapse.listen();
      const l = await RawClient.connect(port);
      await compareSets(r, l, lapse, [...sets.map(([k]) => k), 'shrunk']);
      l.close();
    } finally {
      r.close();
      await lapse?.close();
      await redis.stop();
    }
  });

  test('set-max-intset-entries applies on load: an intset blob over the limit becomes a hashtable', async () => {
    const dir = tempDir();
    const redis = await startRedis(['--dir', dir, '--enable-debug-command', 'yes']);
    const r = await RawClient.connect(redis.port);
    let lapse: LapseServer | undefined;
    try {
      await r.call('SADD', 'small', '1', '2', '3', '4', '5');
      expect(bulk(await r.call('SAVE'))).toBe('OK');
      await r.call('CONFIG', 'SET', 'set-max-intset-entries', '3');
      expect(bulk(await r.call('DEBUG', 'RELOAD'))).toBe('OK');
      lapse = createServer({ port: 0, bind: '127.0.0.1', dir, save: '3600 1', 'set-max-intset-entries': 3 });
      const { port } = await lapse.listen();
      const l = await RawClient.connect(port);
      expect(strings(await l.call('CONFIG', 'GET', 'set-max-intset-entries'))).toEqual(['set-max-intset-entries', '3']);
      await compareSets(r, l, lapse, ['small']);
      l.close();
    } finally {
      r.close();
      await lapse?.close();
      await redis.stop();
    }
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, test } from 'vitest';
import { createServer } from '../../src/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { startRedis } from '../helpers/redis-server.js';
import { decodeReply } from '../helpers/resp.js';
import { rng } from '../helpers/rng.js';

/**
 * Lists in RDB files, both ways with redis-server 7.0:
 * - lapse writes (SAVE and BGSAVE, with several list-max-listpack-size and
 *   list-compress-depth settings, rdbcompression on and off): redis-check-rdb accepts the
 *   file, redis-server loads the same elements, and its DUMP of each loaded list equals
 *   its DUMP of the same list built by RPUSH under the same settings, and the file is
 *   as long as Redis's own of the same lists: the nodes lapse wrote are cut and
 *   compressed exactly as Redis 7.0's own.
 * - redis-server writes quicklists of listpacks (compressed nodes included) and lapse
 *   loads them; older encodings Redis 7.0 still reads (plain list, ziplist, quicklist of
 *   ziplists: hand-built, as Redis 7.0 cannot write them) are loaded by both and compared.
 */

const dirs: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-list-rdb-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function strings(r: Buffer): string[] {
  const reply = decodeReply(r)!.reply;
  if (reply.type !== 'array') throw new Error(`not an array: ${r.toString('latin1')}`);
  return reply.value.map((x) => (x.type === 'bulk' ? x.value.toString('latin1') : `<${x.type}>`));
}

/** Lists of every shape: short, long, binary, integers of each listpack width, elements past 8 KB. */
function sampleLists(): Map<string, string[]> {
  const r = rng(9);
  const lists = new Map<string, string[]>();
  lists.set('one', ['only']);
  lists.set('ints', ['0', '127', '128', '-1', '-4096', '4095', '32767', '-32768', '8388607', '-8388608', '2147483647',
    '-2147483648', '9223372036854775807', '-9223372036854775808', '9223372036854775808', '007', '-0', '+1', '']);
  lists.set('binary', ['\0', '\r\n', '\xff\xfe', 'a\0b', 'x'.repeat(63), 'y'.repeat(64), 'z'.repeat(4095), 'w'.repeat(4096)]);
  const long: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const k = r();
    long.push(k < 0.5 ? String(i) : k < 0.9 ? `session:${i}:${'v'.repeat(i % 50)}` : 'q'.repeat(100 + (i % 300)));
  }
  lists.set('long', long);
  lists.set('big-elements', ['B'.repeat(9000), 'small', 'C'.repeat(70_000), 'D'.repeat(20_000)]);
  lists.set('compressible', Array.from({ length: 500 }, (_, i) => `user:${i % 5}:cart:item`));
  // Three nodes of 5 under list-max-listpack-size 5: with depth 1 only the middle one is compressed.
  lists.set('three-nodes', Array.from({ length: 15 }, () => 'a'.repeat(20)));
  return lists;
}

async function rpushAll(c: RawClient, key: string, elements: string[]): Promise<void> {
  for (let i = 0; i < elements.length; i += 500) await c.call('RPUSH', key, ...elements.slice(i, i + 500));
}

async function waitBgsave(c: RawClient): Promise<void> {
  const until = Date.now() + 20_000;
  for (;;) {
    const info = decodeReply(await c.call('INFO', 'persistence'))!.reply;
    const body = info.type === 'bulk' ? info.value.toString('latin1') : '';
    if (body.includes('rdb_bgsave_in_progress:0')) return;
    if (Date.now() > until) throw new Error('BGSAVE did not finish');
    await new Promise((res) => setTimeout(res, 20));
  }
}

describe('lapse writes lists, redis-server 7.0 loads them', () => {
  const settings: [string, string, string, 'SAVE' | 'BGSAVE'][] = [
    ['-2', '0', 'yes', 'SAVE'],
    ['-2', '0', 'no', 'BGSAVE'],
    ['5', '1', 'no', 'SAVE'],
    ['-1', '1', 'yes', 'SAVE'],
    ['-5', '2', 'no', 'BGSAVE'],
    ['100', '3', 'no', 'SAVE'],
    ['0', '0', 'no', 'SAVE'],
  ];
  for (const [fill, depth, compression, mode] of settings) {
    test(`list-max-listpack-size ${fill}, list-compress-depth ${depth}, rdbcompression ${compression}, ${mode}`, async () => {
      const dir = tempDir();
      const lapse = createServer({
        port: 0, bind: '127.0.0.1', dir, rdbcompression: compression,
        'list-max-listpack-size': fill, 'list-compress-depth': depth,
      });
      const { port } = await lapse.listen();
      const l = await RawClient.connect(port);
      const lists = sampleLists();
      let redis;
      try {
        for (const [key, elements] of lists) await rpushAll(l, key, elements);
        // Built from both ends and edited, so lapse's own nodes are nothing like Redis's.
        await l.call('LPUSH', 'long', 'h1', 'h2', 'h3');
        await l.call('LINSERT', 'long', 'after', '1500', 'inserted');
        await l.call('LREM', 'long', '0', '7');
        await l.call('LSET', 'long', '-10', 'set');
        await l.call('PEXPIRE', 'compressible', '900000');
        const expected = new Map<string, string[]>();
        for (const key of lists.keys()) expected.set(key, strings(await l.call('LRANGE', key, '0', '-1')));
        if (mode === 'SAVE') {
          expect((await l.call('SAVE')).toString()).toBe('+OK\r\n');
        } else {
          expect((await l.call('BGSAVE')).toString()).toBe('+Background saving started\r\n');
          // Changes during the walk do not reach the file.
          await l.call('RPUSH', 'long', 'after-bgsave');
          await waitBgsave(l);
          await l.call('RPOP', 'long');
        }
        const file = path.join(dir, 'dump.rdb');
        expect(execFileSync('redis-check-rdb', [file], { encoding: 'latin1' })).toContain('RDB looks OK');
        redis = await startRedis(['--dir', dir, '--dbfilename', 'dump.rdb', '--rdbcompression', 'no',
          '--list-max-listpack-size', fill, '--list-compress-depth', depth]);
        const r = await RawClient.connect(redis.port);
        for (const [key, elements] of expected) {
          expect(strings(await r.call('LRANGE', key, '0', '-1')), `LRANGE ${key}`).toEqual(elements);
          expect((await r.call('OBJECT', 'ENCODING', key)).toString(), key).toBe('$9\r\nquicklist\r\n');
          // The same list built by Redis itself under the same settings: identical DUMP.
          await rpushAll(r, `ref:${key}`, elements);
          expect((await r.call('DUMP', key)).toString('latin1'), `DUMP ${key}`).toBe((await r.call('DUMP', `ref:${key}`)).toString('latin1'));
        }
        const pttl = Number((await r.call('PTTL', 'compressible')).toString().slice(1));
        expect(pttl).toBeGreaterThan(880_000); // tolerance: 20 s for the save and restart
        r.close();
        // Redis's own file of the same lists under the same settings has the same size: the
        // same nodes compressed (DUMP above shows the cut, not which nodes lapse compressed:
        // Redis compresses what it loads by its own rules).
        const own = await startRedis(['--rdbcompression', compression, '--list-max-listpack-size', fill, '--list-compress-depth', depth]);
        try {
          const o = await RawClient.connect(own.port);
          for (const [key, elements] of expected) await rpushAll(o, key, elements);
          await o.call('PEXPIRE', 'compressible', '900000');
          expect((await o.call('SAVE')).toString()).toBe('+OK\r\n');
          o.close();
          // exact: lapse's LZF output is liblzf's, so the same nodes compressed give the same bytes.
          const mine = fs.statSync(file).size;
          const theirs = fs.statSync(path.join(own.dir, 'dump.rdb')).size;
          expect(mine, `file size: lapse ${mine}, redis ${theirs}`).toBe(theirs);
        } finally {
          await own.stop();
        }
      } finally {
        l.close();
        await lapse.close();
        await redis?.stop();
      }
    });
  }
});

describe('redis-server 7.0 writes lists, lapse loads them', () => {
  for (const [fill, depth] of [['-2', '0'], ['4', '1'], ['-1', '2']]) {
    test(`quicklists of listpacks: list-max-listpack-size ${fill}, list-compress-depth ${depth}`, async () => {
      const redis = await startRedis(['--rdbcompression', 'yes', '--list-max-listpack-size', fill, '--list-compress-depth', depth]);
      const r = await RawClient.connect(redis.port);
      let lapse;
      try {
        const lists = sampleLists();
        for (const [key, elements] of lists) await rpushAll(r, key, elements);
        await r.call('LPUSH', 'long', 'h1', 'h2');
        await r.call('LINSERT', 'long', 'before', '100', 'x');
        await r.call('EXPIRE', 'one', '5000');
        expect((await r.call('SAVE')).toString()).toBe('+OK\r\n');
        lapse = createServer({ port: 0, bind: '127.0.0.1', dir: redis.dir, save: '3600 1' });
        const l = await RawClient.connect((await lapse.listen()).port);
        for (const key of lists.keys()) {
          expect(strings(await l.call('LRANGE', key, '0', '-1')), `LRANGE ${key}`).toEqual(strings(await r.call('LRANGE', key, '0', '-1')));
        }
        const ttl = Number((await l.call('TTL', 'one')).toString().slice(1));
        expect(ttl).toBeGreaterThan(4980); // tolerance: 20 s
        l.close();
      } finally {
        r.close();
        await lapse?.close();
        await redis.stop();
      }
    });
  }

  test('older encodings: plain list (1), ziplist (10), quicklist of ziplists (14), loaded alike by both', async () => {
    const dir = tempDir();
    const lengthBytes = (n: number): number[] => (n < 64 ? [n] : n < 16384 ? [0x40 | (n >> 8), n & 0xff] : [0x80, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
    const rdbString = (s: string | Buffer): number[] => {
      const b = typeof s === 'string' ? Buffer.from(s, 'latin1') : s;
      return [...lengthBytes(b.length), ...b];
    };
    // A ziplist (Redis 3.2 - 6.2) of strings (6- and 14-bit lengths) and integers (int8, int16, int64, 4-bit immediates).
    const ziplist = (items: (string | bigint)[]): Buffer => {
      const entries: number[][] = [];
      let prev = 0;
      for (const item of items) {
        let enc: number[];
        if (typeof item === 'bigint') {
          if (item >= 0n && item <= 12n) enc = [0xf1 + Number(item)];
          else if (item >= -128n && item <= 127n) enc = [0xfe, Number(item) & 0xff];
          else if (item >= -32768n && item <= 32767n) { const b = Buffer.alloc(2); b.writeInt16LE(Number(item)); enc = [0xc0, ...b]; }
          else { const b = Buffer.alloc(8); b.writeBigInt64LE(item); enc = [0xe0, ...b]; }
        } else {
          const b = Buffer.from(item, 'latin1');
          enc = b.length < 64 ? [b.length, ...b] : [0x40 | (b.length >> 8), b.length & 0xff, ...b];
        }
        const prevlen = prev < 254 ? [prev] : [0xfe, prev & 0xff, (prev >> 8) & 0xff, (prev >> 16) & 0xff, prev >>> 24];
        const entry = [...prevlen, ...enc];
        entries.push(entry);
        prev = entry.length;
      }
      const body = Buffer.from(entries.flat());
      const header = Buffer.alloc(10);
      header.writeUInt32LE(10 + body.length + 1, 0);
      header.writeUInt32LE(body.length === 0 ? 10 : 10 + body.length - entries[entries.length - 1]!.length, 4);
      header.writeUInt16LE(entries.length, 8);
      return Buffer.concat([header, body, Buffer.from([0xff])]);
    };
    const first: (string | bigint)[] = ['a', 'bb', 5n, -100n, 30000n, -5000000000n, 'x'.repeat(300), ''];
    const second: (string | bigint)[] = ['tail', 12n, 'z'.repeat(70)];
    const body = [
      0xfe, 0x00,
      0x01, ...rdbString('plain'), 3, ...rdbString('p1'), ...rdbString('p2'), 0xc0, 0x7b, // RDB_TYPE_LIST, an int-encoded element
      0x0a, ...rdbString('zl'), ...rdbString(ziplist(first)), // RDB_TYPE_LIST_ZIPLIST
      0x0e, ...rdbString('ql'), 2, ...rdbString(ziplist(first)), ...rdbString(ziplist(second)), // RDB_TYPE_LIST_QUICKLIST
      0xff,
    ];
    fs.writeFileSync(path.join(dir, 'old.rdb'), Buffer.concat([Buffer.from('REDIS0009', 'latin1'), Buffer.from(body), Buffer.alloc(8)]));
    const redis = await startRedis(['--dir', dir, '--dbfilename', 'old.rdb']);
    const lapse = createServer({ port: 0, bind: '127.0.0.1', dir, dbfilename: 'old.rdb', save: '3600 1' });
    const r = await RawClient.connect(redis.port);
    const l = await RawClient.connect((await lapse.listen()).port);
    try {
      for (const key of ['plain', 'zl', 'ql']) {
        const want = strings(await r.call('LRANGE', key, '0', '-1'));
        expect(want.length, key).toBeGreaterThan(2);
        expect(strings(await l.call('LRANGE', key, '0', '-1')), `LRANGE ${key}`).toEqual(want);
      }
      expect(strings(await l.call('LRANGE', 'plain', '0', '-1'))).toEqual(['p1', 'p2', '123']);
    } finally {
      r.close();
      l.close();
      await lapse.close();
      await redis.stop();
    }
  });
});

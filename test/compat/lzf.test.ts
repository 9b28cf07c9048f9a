import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { pairSuite, show } from './harness.js';
import { rng } from '../helpers/rng.js';

/**
 * LZF output against Redis 7.0's liblzf: DUMP payloads of strings of many shapes, of an
 * intset and of a listpack hash, and whole RDB files written by SAVE, compared byte for
 * byte with redis-server's (rdbcompression yes, the default).
 */

const p = pairSuite();

/**
 * Values of many shapes: random bytes, text from a small vocabulary, runs of one byte,
 * periodic patterns (periods up to past the 8 KiB reach), session-like JSON, binary with
 * zeros; lengths from 21 (the shortest Redis tries to compress) to 100 000, many of them
 * short, where liblzf's give-up checks decide whether the result is kept at all.
 */
function values(seed: number, count: number): Buffer[] {
  const rnd = rng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const length = () => {
    const r = rnd();
    if (r < 0.4) return 21 + int(60);
    if (r < 0.75) return 21 + int(500);
    if (r < 0.95) return 500 + int(10_000);
    return 10_000 + int(90_001);
  };
  const words = ['session', 'user', ':', '=', 'id', '42', '"', ',', 'expires', 'token', '\0', '\xff', ' ', 'a', 'ab'];
  const shapes: ((n: number) => Buffer)[] = [
    // Random bytes: mostly incompressible.
    (n) => Buffer.from(Array.from({ length: n }, () => int(256))),
    // Text from a small vocabulary.
    (n) => Buffer.from(Array.from({ length: n }, () => words[int(words.length)]).join('').slice(0, n), 'latin1'),
    // Runs of one byte, of random lengths.
    (n) => {
      const out = Buffer.alloc(n);
      for (let i = 0; i < n; ) {
        const run = 1 + int(rnd() < 0.5 ? 8 : 400);
        out.fill(int(4) === 0 ? int(256) : 0x61 + int(3), i, Math.min(n, i + run));
        i += run;
      }
      return out;
    },
    // A random block repeated with a random period (1..9000), a few bytes mutated.
    (n) => {
      const period = 1 + (rnd() < 0.7 ? int(300) : int(9000));
      const block = Array.from({ length: period }, () => int(256));
      const out = Buffer.from(Array.from({ length: n }, (_, i) => block[i % period]!));
      for (let k = int(6); k > 0; k--) out[int(n)] = int(256);
      return out;
    },
    // Session-like JSON.
    (n) => {
      let s = '{';
      while (s.length < n) s += `"k${int(30)}":"${'v'.repeat(int(12))}${int(100_000)}",`;
      return Buffer.from(s.slice(0, n), 'latin1');
    },
    // Binary: mostly zeros, some random bytes.
    (n) => Buffer.from(Array.from({ length: n }, () => (rnd() < 0.8 ? 0 : int(256)))),
  ];
  return Array.from({ length: count }, () => shapes[int(shapes.length)]!(length()));
}

/** Short patterns where the end of the input meets a reference (maxlen 17 and 18, ...). */
function edges(): Buffer[] {
  const out: Buffer[] = [];
  for (let n = 21; n <= 48; n++) {
    out.push(Buffer.from('abc'.repeat(20).slice(0, n), 'latin1'));
    out.push(Buffer.from('x' + 'y'.repeat(n - 1), 'latin1'));
    out.push(Buffer.from('0123456789'.slice(0, 4) + 'q'.repeat(n - 8) + '0123', 'latin1'));
    out.push(Buffer.from('z'.repeat(n), 'latin1'));
  }
  // Random bytes with one repeated chunk: the result lands near the len - 4 limit, on
  // either side of liblzf's give-up checks.
  const rnd = rng(21);
  for (let n = 21; n <= 60; n++) {
    for (let chunk = 3; chunk <= 16; chunk++) {
      const b = Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)));
      const from = 1 + Math.floor(rnd() * Math.max(1, n - 2 * chunk - 1));
      const to = Math.min(n - chunk, from + chunk + Math.floor(rnd() * Math.max(1, n - from - 2 * chunk + 1)));
      b.copy(b, to, from, from + chunk);
      out.push(b);
    }
  }
  // Literal runs of exactly 32 and 33 bytes before a reference, and at the end.
  const lit = Buffer.from(Array.from({ length: 33 }, (_, i) => 0x21 + i));
  out.push(Buffer.concat([lit.subarray(0, 32), Buffer.from('aaaaaaaa')]));
  out.push(Buffer.concat([Buffer.from('aaaaaaaa'), lit.subarray(0, 32)]));
  out.push(Buffer.concat([Buffer.from('aaaaaaaa'), lit]));
  // A repeat just inside and just past the 8192-byte reach.
  for (const gap of [8188, 8189, 8190, 8191, 8192]) {
    const head = Buffer.from('HEADERXYZ');
    const filler = Buffer.from(Array.from({ length: gap }, (_, i) => (i * 131 + 7) & 0xff));
    out.push(Buffer.concat([head, filler, head, filler.subarray(0, 20)]));
  }
  return out;
}

/** DUMPs each value on both servers; returns how many Redis stored LZF-compressed. */
async function dumpsMatch(list: Buffer[]): Promise<number> {
  let compressed = 0;
  for (const v of list) {
    await p.exact('SET', 'k', v);                                    // exact
    const reply = await p.exact('DUMP', 'k');                        // exact: LZF bytes or raw, as Redis chose
    // "$<n>\r\n", then the payload: type 0 (string), then 0xc3 if LZF.
    if (reply[reply.indexOf(10) + 2] === 0xc3) compressed++;
  }
  return compressed;
}

describe('LZF in DUMP payloads', () => {
  test('400 seeded strings of many shapes, 21..100 000 bytes', async () => {
    const list = values(13, 400);
    expect(list.some((v) => v.length >= 50_000)).toBe(true);
    const compressed = await dumpsMatch(list);
    // Both outcomes well represented: compressed (261 of them) and stored raw.
    expect(compressed).toBeGreaterThan(200);
    expect(compressed).toBeLessThan(list.length - 100);
  });

  test('edges: short inputs, literal runs of 32, the 8 KiB reach', async () => {
    const list = edges();
    const compressed = await dumpsMatch(list);
    // Both outcomes well represented near the limit.
    expect(compressed).toBeGreaterThan(250);
    expect(compressed).toBeLessThan(list.length - 250);
  });

  test('the 24-byte intset blob that liblzf gives up on, a listpack hash that compresses', async () => {
    await p.exact('SADD', 's', '1', '9223372036854775807');         // exact: a 64-bit intset
    await p.exact('DUMP', 's');                                      // exact: stored raw by both
    await p.exact('SADD', 's16', ...Array.from({ length: 40 }, (_, i) => String(i * 3))); // exact
    await p.exact('DUMP', 's16');                                    // exact: a compressed intset
    await p.exact('HSET', 'h', 'f1', 'abcd'.repeat(15), 'f2', 'abcd'.repeat(15), 'n', '12'); // exact
    await p.exact('OBJECT', 'ENCODING', 'h');                        // exact: listpack
    const dump = await p.exact('DUMP', 'h');                         // exact: a compressed listpack
    expect(dump.includes(Buffer.from([0xc3])), 'the listpack blob is LZF').toBe(true);
  });
});

/** Redis's RDB opcodes this comparison reads. */
const AUX = 0xfa;
const EOF = 0xff;

/** Reads an RDB length or string at `pos`; returns the position after it. */
function skipString(b: Buffer, pos: number): number {
  const first = b[pos]!;
  const kind = first >> 6;
  if (kind === 0) return pos + 1 + (first & 0x3f);
  if (kind === 1) return pos + 2 + (((first & 0x3f) << 8) | b[pos + 1]!);
  if (first === 0x80) return pos + 5 + b.readUInt32BE(pos + 1);
  if (first === 0x81) return pos + 9 + Number(b.readBigUInt64BE(pos + 1));
  const enc = first & 0x3f;
  if (enc === 0) return pos + 2;
  if (enc === 1) return pos + 3;
  if (enc === 2) return pos + 5;
  if (enc === 3) {
    const [clen, after] = readLength(b, pos + 1);
    const [, data] = readLength(b, after);
    return data + clen;
  }
  throw new Error(`unknown string encoding ${first} at ${pos}`);
}

function readLength(b: Buffer, pos: number): [number, number] {
  const first = b[pos]!;
  const kind = first >> 6;
  if (kind === 0) return [first & 0x3f, pos + 1];
  if (kind === 1) return [((first & 0x3f) << 8) | b[pos + 1]!, pos + 2];
  if (first === 0x80) return [b.readUInt32BE(pos + 1), pos + 5];
  if (first === 0x81) return [Number(b.readBigUInt64BE(pos + 1)), pos + 9];
  throw new Error(`not a length at ${pos}`);
}

/**
 * An RDB file without what legitimately differs: the header and version are kept, the
 * AUX fields (redis-ver, ctime, used-mem, ...) and the checksum (which covers them) are
 * dropped. What remains is the databases: SELECTDB, RESIZEDB and every key.
 */
function withoutAux(file: Buffer): Buffer {
  let pos = 9; // "REDIS0010"
  while (file[pos] === AUX) pos = skipString(file, skipString(file, pos + 1));
  expect(file[file.length - 9], 'EOF before the checksum').toBe(EOF);
  return Buffer.concat([file.subarray(0, 9), file.subarray(pos, file.length - 8)]);
}

describe('LZF in RDB files', () => {
  test('SAVE writes the same databases as redis-server (AUX fields aside)', async () => {
    // One key per database: the order of keys within a database is each server's own
    // table order, one key each makes the file's order the databases' order.
    const list = [...values(7, 12), Buffer.from('session:'.repeat(40)), Buffer.from('x'.repeat(300_000))];
    for (let db = 0; db < list.length; db++) {
      await p.exact('SELECT', String(db));                           // exact
      await p.exact('SET', `key:${db}`, list[db]!);                  // exact
    }
    await p.exact('SELECT', '14');                                   // exact
    await p.exact('SADD', 'iset', '1', '9223372036854775807');      // exact: the raw 24-byte intset
    await p.exact('SELECT', '15');                                   // exact
    await p.exact('HSET', 'h', 'f1', 'abcd'.repeat(15), 'f2', 'abcd'.repeat(15)); // exact: listpack, LZF
    // Both servers save to the same dump.rdb (the harness runs them in one directory):
    // Redis's file is read before lapse's replaces it.
    const file = path.join(p.redis.dir, 'dump.rdb');
    expect((await p.r.call('SAVE')).toString()).toBe('+OK\r\n');
    const redisFile = fs.readFileSync(file);
    expect((await p.l.call('SAVE')).toString()).toBe('+OK\r\n');
    const lapseFile = fs.readFileSync(file);
    const ours = withoutAux(lapseFile);
    const theirs = withoutAux(redisFile);
    let at = 0;
    while (at < ours.length && ours[at] === theirs[at]) at++;
    const around = (b: Buffer) => show(b.subarray(Math.max(0, at - 16), at + 16));
    expect(at === ours.length && at === theirs.length, `first difference at ${at}: lapse ${around(ours)}, redis ${around(theirs)}`).toBe(true);
    expect(redisFile.includes(Buffer.from([0xc3])), 'some values are LZF').toBe(true);
  });
});

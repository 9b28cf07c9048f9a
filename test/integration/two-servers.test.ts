import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createServer, type LapseServer } from '../../src/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { decodeReply, type Reply } from '../helpers/resp.js';

/**
 * Two `createServer()` instances in one process share nothing (DESIGN.md: no module-level
 * mutable state). A test suite that embeds lapse may start several servers; each must
 * answer by its own configuration, users, counters and statistics.
 *
 * Server A and server B are configured differently on every point below; each check
 * runs its commands on both, interleaved, and expects each server's own answer. The
 * checks name the module state that once was shared (issue 12): nextClientId,
 * hashLimits, errorsSeen, deniedIndex, parsedExpireArg, scanPattern/scanValues.
 */

const A_OPTIONS = {
  'hash-max-listpack-entries': '4',
  'notify-keyspace-events': 'KEA',
  'maxmemory-policy': 'allkeys-lru',
  user: ['alice on >alice-pw ~* &* +@all', 'reader on >reader-pw ~public:* -@all +get'],
};
const B_OPTIONS = {
  'hash-max-listpack-entries': '512',
  'notify-keyspace-events': '',
  'maxmemory-policy': 'noeviction',
  requirepass: 'b-pw',
  user: ['bob on >bob-pw ~* &* +@all'],
};

interface Started {
  server: LapseServer;
  port: number;
  dir: string;
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-two-servers-'));
const open: RawClient[] = [];

async function start(name: string, options: Record<string, unknown>): Promise<Started> {
  const dir = path.join(scratch, name);
  fs.mkdirSync(dir);
  const server = createServer({ port: 0, bind: '127.0.0.1', dir, ...options });
  const { port } = await server.listen();
  return { server, port, dir };
}

let a: Started;
let b: Started;

beforeAll(async () => {
  a = await start('a', A_OPTIONS);
  b = await start('b', B_OPTIONS);
});

afterAll(async () => {
  for (const c of open) c.close();
  await a?.server.close();
  await b?.server.close();
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** A connection to a server, closed after the file; on B authenticated unless told not to. */
async function connect(s: Started, auth = true): Promise<RawClient> {
  const c = await RawClient.connect(s.port);
  open.push(c);
  if (auth && s === b) expect(text(await c.call('AUTH', 'b-pw'))).toBe('+OK\r\n');
  return c;
}

function text(raw: Buffer): string {
  return raw.toString('latin1');
}

function integer(raw: Buffer): number {
  const r = decodeReply(raw)!.reply;
  if (r.type !== 'integer') throw new Error(`not an integer: ${JSON.stringify(text(raw))}`);
  return Number(r.value);
}

/** A flat array reply of bulk strings (CONFIG GET, HSCAN's page) as strings. */
function strings(r: Reply): string[] {
  if (r.type !== 'array') throw new Error(`not an array: ${r.type}`);
  return r.value.map((x) => (x.type === 'bulk' ? x.value.toString('latin1') : `<${x.type}>`));
}

/** CONFIG GET of one parameter: its value. */
async function configGet(c: RawClient, name: string): Promise<string> {
  return strings(decodeReply(await c.call('CONFIG', 'GET', name))!.reply)[1]!;
}

/** A field of an INFO section, or undefined when the section does not list it. */
async function infoField(c: RawClient, section: string, field: string): Promise<string | undefined> {
  const info = decodeReply(await c.call('INFO', section))!.reply as { value: Buffer };
  const m = new RegExp(`(?:^|\\r\\n)${field}:([^\\r]*)`).exec(info.value.toString('latin1'));
  return m?.[1];
}

describe('two servers in one process', () => {
  test('CLIENT ID: each server numbers its own clients from its own first id', async () => {
    // Two fresh servers: the file's A and B have had clients already.
    const c = await start('ids-c', {});
    const d = await start('ids-d', {});
    try {
      const ids: Record<'c' | 'd', number[]> = { c: [], d: [] };
      for (let i = 0; i < 3; i++) {
        ids.c.push(integer(await (await connect(c)).call('CLIENT', 'ID')));
        ids.d.push(integer(await (await connect(d)).call('CLIENT', 'ID')));
      }
      // lapse numbers a fresh server's clients from 1 (src/commands/context.ts; Redis 7.0
      // gives its first client 3, ids 1 and 2 going to its Lua and functions clients).
      expect(ids).toEqual({ c: [1, 2, 3], d: [1, 2, 3] });
    } finally {
      await c.server.close();
      await d.server.close();
    }
  });

  test('hash-max-listpack-entries: CONFIG GET answers each its own', async () => {
    const ca = await connect(a);
    const cb = await connect(b);
    expect(await configGet(ca, 'hash-max-listpack-entries')).toBe('4');
    expect(await configGet(cb, 'hash-max-listpack-entries')).toBe('512');
  });

  test('hash-max-listpack-entries: each server encodes hashes by its own limit (the types in its RDB)', async () => {
    const ca = await connect(a);
    const cb = await connect(b);
    const big: string[] = [];
    for (let i = 0; i < 10; i++) big.push(`f${i}`, `v${i}`);
    for (const c of [ca, cb]) {
      expect(integer(await c.call('HSET', 'two-servers:big', ...big))).toBe(10);
      expect(text(await c.call('SAVE'))).toBe('+OK\r\n');
    }
    // 10 fields: over A's 4, within B's 512.
    expect(rdbTypeOf(path.join(a.dir, 'dump.rdb'), 'two-servers:big')).toBe(RDB_TYPE_HASH);
    expect(rdbTypeOf(path.join(b.dir, 'dump.rdb'), 'two-servers:big')).toBe(RDB_TYPE_HASH_LISTPACK);
    // B's limit lowered to 2: a 3-field hash is a table on B and still a listpack on A.
    expect(text(await cb.call('CONFIG', 'SET', 'hash-max-listpack-entries', '2'))).toBe('+OK\r\n');
    for (const c of [ca, cb]) {
      expect(integer(await c.call('HSET', 'two-servers:small', 'a', '1', 'b', '2', 'c', '3'))).toBe(3);
      expect(text(await c.call('SAVE'))).toBe('+OK\r\n');
    }
    expect(rdbTypeOf(path.join(a.dir, 'dump.rdb'), 'two-servers:small')).toBe(RDB_TYPE_HASH_LISTPACK);
    expect(rdbTypeOf(path.join(b.dir, 'dump.rdb'), 'two-servers:small')).toBe(RDB_TYPE_HASH);
    expect(text(await cb.call('CONFIG', 'SET', 'hash-max-listpack-entries', '512'))).toBe('+OK\r\n');
  });

  test('notify-keyspace-events: a subscriber hears its own server, as configured (KEA on A, none on B)', async () => {
    const subA = await connect(a);
    const subB = await connect(b);
    for (const sub of [subA, subB]) await sub.call('PSUBSCRIBE', '__key*__:*');
    const ca = await connect(a);
    const cb = await connect(b);
    expect(text(await ca.call('SET', 'events:a', '1'))).toBe('+OK\r\n');
    expect(text(await cb.call('SET', 'events:b', '1'))).toBe('+OK\r\n');
    expect(await heardUntilMarker(subA, ca)).toEqual([
      ['pmessage', '__key*__:*', '__keyspace@0__:events:a', 'set'],
      ['pmessage', '__key*__:*', '__keyevent@0__:set', 'events:a'],
    ]);
    expect(await heardUntilMarker(subB, cb)).toEqual([]);
  });

  test('ACL users: AUTH as a user of A works on A only, and the other way round', async () => {
    const ca = await connect(a);
    const cb = await connect(b, false);
    expect(text(await ca.call('AUTH', 'alice', 'alice-pw'))).toBe('+OK\r\n');
    expect(text(await cb.call('AUTH', 'alice', 'alice-pw'))).toMatch(/^-WRONGPASS /);
    expect(text(await cb.call('AUTH', 'bob', 'bob-pw'))).toBe('+OK\r\n');
    expect(text(await ca.call('AUTH', 'bob', 'bob-pw'))).toMatch(/^-WRONGPASS /);
    expect(text(await ca.call('ACL', 'WHOAMI'))).toBe('$5\r\nalice\r\n');
    expect(text(await cb.call('ACL', 'WHOAMI'))).toBe('$3\r\nbob\r\n');
  });

  test('ACL users: the restricted user of A gets NOPERM on A and does not exist on B', async () => {
    const ca = await connect(a);
    const cb = await connect(b, false);
    expect(text(await ca.call('AUTH', 'reader', 'reader-pw'))).toBe('+OK\r\n');
    expect(text(await cb.call('AUTH', 'reader', 'reader-pw'))).toMatch(/^-WRONGPASS /);
    expect(text(await ca.call('GET', 'public:x'))).toBe('$-1\r\n');
    expect(text(await ca.call('GET', 'secret'))).toMatch(/^-NOPERM .*keys/);
    expect(text(await ca.call('SET', 'public:x', 'v'))).toMatch(/^-NOPERM .*'set' command/);
  });

  test('requirepass on B only: NOAUTH on B, none on A', async () => {
    const ca = await connect(a);
    const cb = await connect(b, false);
    expect(text(await ca.call('GET', 'k'))).toBe('$-1\r\n');
    expect(text(await cb.call('GET', 'k'))).toBe('-NOAUTH Authentication required.\r\n');
    expect(text(await ca.call('GET', 'k'))).toBe('$-1\r\n');
  });

  test('ACL LOG: each server logs the key its own user was denied (deniedIndex)', async () => {
    const ca = await connect(a);
    const cb = await connect(b);
    const admin = await connect(a);
    expect(text(await admin.call('AUTH', 'alice', 'alice-pw'))).toBe('+OK\r\n');
    expect(text(await admin.call('ACL', 'LOG', 'RESET'))).toBe('+OK\r\n');
    expect(text(await cb.call('ACL', 'LOG', 'RESET'))).toBe('+OK\r\n');
    expect(text(await cb.call('ACL', 'SETUSER', 'limited', 'on', '>l-pw', '~ok:*', '+@all'))).toBe('+OK\r\n');
    const lb = await connect(b, false);
    expect(text(await lb.call('AUTH', 'limited', 'l-pw'))).toBe('+OK\r\n');
    expect(text(await ca.call('AUTH', 'reader', 'reader-pw'))).toBe('+OK\r\n');
    // Interleaved: A denies its 1st argument, B the 4th.
    expect(text(await ca.call('GET', 'secret:a'))).toMatch(/^-NOPERM /);
    expect(text(await lb.call('MSET', 'ok:1', 'x', 'denied:b', 'y'))).toMatch(/^-NOPERM /);
    expect(await aclLogObjects(admin)).toEqual(['secret:a']);
    expect(await aclLogObjects(cb)).toEqual(['denied:b']);
  });

  test('maxmemory-policy: CONFIG SET on one server leaves the other as configured', async () => {
    const ca = await connect(a);
    const cb = await connect(b);
    expect(text(await ca.call('CONFIG', 'SET', 'maxmemory-policy', 'volatile-ttl'))).toBe('+OK\r\n');
    expect(await configGet(cb, 'maxmemory-policy')).toBe('noeviction');
    expect(await infoField(cb, 'memory', 'maxmemory_policy')).toBe('noeviction');
    expect(text(await cb.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-random'))).toBe('+OK\r\n');
    expect(await configGet(ca, 'maxmemory-policy')).toBe('volatile-ttl');
    expect(await infoField(ca, 'memory', 'maxmemory_policy')).toBe('volatile-ttl');
    expect(await configGet(cb, 'maxmemory-policy')).toBe('allkeys-random');
  });

  // errorsSeen (dispatch.ts) feeds failed_calls, which only INFO commandstats would show:
  // lapse has no commandstats section yet, so the errors are checked where INFO shows them.
  test('error statistics: errors replied by A count on A only (INFO stats, errorstats)', async () => {
    const ca = await connect(a);
    const cb = await connect(b);
    for (const c of [ca, cb]) expect(text(await c.call('CONFIG', 'RESETSTAT'))).toBe('+OK\r\n');
    expect(text(await ca.call('NOSUCH'))).toMatch(/^-ERR unknown command/);
    expect(text(await ca.call('SET', 'n', 'x'))).toBe('+OK\r\n');
    expect(text(await ca.call('INCR', 'n'))).toMatch(/^-ERR value is not an integer/);
    expect(text(await cb.call('SET', 'n', '1'))).toBe('+OK\r\n');
    expect(integer(await cb.call('INCR', 'n'))).toBe(2);
    expect(await infoField(ca, 'stats', 'total_error_replies')).toBe('2');
    expect(await infoField(cb, 'stats', 'total_error_replies')).toBe('0');
    expect(await infoField(ca, 'errorstats', 'errorstat_ERR')).toBe('count=2');
    expect(await infoField(cb, 'errorstats', 'errorstat_ERR')).toBeUndefined();
  });

  test('SET ... EX interleaved on both: each key gets its own command\'s TTL (parsedExpireArg)', async () => {
    const ca = await connect(a);
    const cb = await connect(b);
    // Sent together, read after: both servers parse while the other's command is pending.
    ca.send('SET', 'ttl:k', 'v', 'EX', '1000');
    cb.send('SET', 'ttl:k', 'v');
    ca.send('SET', 'ttl:plain', 'v');
    cb.send('SET', 'ttl:plain', 'v', 'PX', '5000000');
    for (const c of [ca, cb, ca, cb]) expect(text(await c.readReplyBytes())).toBe('+OK\r\n');
    expect(integer(await ca.call('TTL', 'ttl:k'))).toBeGreaterThan(990);
    expect(integer(await cb.call('TTL', 'ttl:k'))).toBe(-1);
    expect(integer(await ca.call('TTL', 'ttl:plain'))).toBe(-1);
    expect(integer(await cb.call('TTL', 'ttl:plain'))).toBeGreaterThan(4990);
  });

  test('HSCAN MATCH / NOVALUES interleaved on both: each its own pattern (scanPattern, scanValues)', async () => {
    const ca = await connect(a);
    const cb = await connect(b);
    for (const c of [ca, cb]) expect(integer(await c.call('HSET', 'scan:h', 'apple', '1', 'banana', '2', 'avocado', '3'))).toBe(3);
    ca.send('HSCAN', 'scan:h', '0', 'MATCH', 'a*', 'NOVALUES');
    cb.send('HSCAN', 'scan:h', '0', 'MATCH', 'b*');
    const ra = (await ca.readReply()) as { type: 'array'; value: Reply[] };
    const rb = (await cb.readReply()) as { type: 'array'; value: Reply[] };
    expect(strings(ra.value[1]!).sort()).toEqual(['apple', 'avocado']);
    expect(strings(rb.value[1]!)).toEqual(['banana', '2']);
  });
});

/** RDB object types (Redis's rdb.h): a hash as a table, and as a listpack. */
const RDB_TYPE_HASH = 4;
const RDB_TYPE_HASH_LISTPACK = 16;

/**
 * The object type byte of `key` in an RDB file (checked by redis-check-rdb first): a key
 * shorter than 64 bytes is written as its type, one length byte, its bytes.
 */
function rdbTypeOf(file: string, key: string): number {
  expect(execFileSync('redis-check-rdb', [file], { encoding: 'latin1' })).toContain('RDB looks OK');
  const bytes = fs.readFileSync(file);
  const at = bytes.indexOf(Buffer.concat([Buffer.from([key.length]), Buffer.from(key, 'latin1')]));
  expect(at, `${key} in ${file}`).toBeGreaterThan(0);
  return bytes[at - 1]!;
}

/** Publishes a marker on `via` (same server) and returns what sub heard before it. */
async function heardUntilMarker(sub: RawClient, via: RawClient): Promise<string[][]> {
  const marker = '__keyevent@0__:__marker__';
  expect(integer(await via.call('PUBLISH', marker, 'end'))).toBe(1);
  const heard: string[][] = [];
  for (;;) {
    const parts = strings(await sub.readReply());
    if (parts[2] === marker) return heard;
    if (parts[0] === 'pmessage') heard.push(parts);
  }
}

/** The `object` of each ACL LOG entry, newest first. */
async function aclLogObjects(c: RawClient): Promise<string[]> {
  const log = decodeReply(await c.call('ACL', 'LOG'))!.reply;
  if (log.type !== 'array') throw new Error('ACL LOG is not an array');
  return log.value.map((entry) => {
    const fields = strings(entry);
    return fields[fields.indexOf('object') + 1]!;
  });
}

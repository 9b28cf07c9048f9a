import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { createServer } from '../../src/index.js';
import { HashValue } from '../../src/keyspace/hash.js';
import { NO_DEADLINE } from '../../src/keyspace/database.js';
import { readRdbFile } from '../../src/persistence/rdb-reader.js';
import { runCli, type CliProcess } from '../helpers/cli-process.js';
import { freePort } from '../helpers/redis-server.js';
import { RawClient } from '../helpers/raw-client.js';
import { decodeReply } from '../helpers/resp.js';

/**
 * Snapshots end to end: the point-in-time property of the fork-less BGSAVE under
 * concurrent writes, deletes and expiries; SIGKILL at random moments; a full disk and
 * a directory the server may not write; MISCONF; restarts through the CLI.
 */

const dirs: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-snapshot-'));
  dirs.push(d);
  return d;
}
const children: CliProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill();
});
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function cli(args: string[], options: Parameters<typeof runCli>[1] = {}): CliProcess {
  const p = runCli(args, options);
  children.push(p);
  return p;
}

async function infoField(c: RawClient, field: string): Promise<string> {
  const reply = decodeReply(await c.call('INFO', 'persistence'))!.reply;
  const body = reply.type === 'bulk' ? reply.value.toString('latin1') : '';
  const m = new RegExp(`^${field}:(.*)\\r$`, 'm').exec(body);
  if (!m) throw new Error(`no ${field} in INFO`);
  return m[1]!;
}

async function waitBgsaveDone(c: RawClient, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while ((await infoField(c, 'rdb_bgsave_in_progress')) !== '0') {
    if (Date.now() > until) throw new Error('BGSAVE did not finish');
    await new Promise((r) => setTimeout(r, 10));
  }
}

type Snapshot = Map<string, string>;

/** A hash as comparable text: "field@expire" and value pairs, sorted (TTL order is Redis 7.4's). */
function hashText(pairs: [string, string][]): string {
  return JSON.stringify(pairs.map(([f, v]) => `${f}=${v}`).sort());
}

/** A file's content as comparable text per db/key: value (hash: fields and TTLs) and expire time. */
function readFileState(file: string): Snapshot {
  const out: Snapshot = new Map();
  readRdbFile(file, {
    key(db, key, value, expire) {
      const pairs: [string, string][] = [];
      if (typeof value !== 'string' && value.type === 'zset') {
        for (let i = 0; i < value.members.length; i++) pairs.push([value.members[i]!, String(value.scores[i])]);
      } else if (typeof value !== 'string' && value.type === 'hash') {
        for (let i = 0; i < value.pairs.length; i += 2) pairs.push([`${value.pairs[i]}@${value.fieldExpires?.[i >> 1] ?? 0}`, value.pairs[i + 1]!]);
      }
      const v = typeof value === 'string' ? value : value.type === 'set' ? JSON.stringify([...value.members].sort()) : value.type === 'list' ? JSON.stringify(value.elements) : hashText(pairs);
      out.set(`${db}/${key}`, `${v}|${expire === null ? '' : String(expire)}`);
    },
  });
  return out;
}

function text(b: Buffer): string {
  return b.toString('latin1');
}

describe('point in time', () => {
  test('a BGSAVE spanning many turns holds the keyspace as it was when it began', async () => {
    const dir = tempDir();
    // A few keys per turn, so the save spans hundreds of event-loop turns and the
    // clients' commands land between them.
    const lapse = createServer({ port: 0, bind: '127.0.0.1', dir, databases: 4, snapshotTuning: { keysPerTurn: 50 } });
    const { port } = await lapse.listen();
    const c = await RawClient.connect(port);
    const ks = lapse.keyspace;
    const now = Date.now();
    const N = 30_000;
    for (let i = 0; i < N; i++) {
      const deadline = i % 5 === 0 ? now + 600_000 + i : i % 7 === 0 ? now + 300 + (i % 700) : NO_DEADLINE;
      ks.dbs[0]!.set(`k${i}`, `value-${i}-${'x'.repeat(i % 200)}`, deadline);
    }
    for (let i = 0; i < 2_000; i++) ks.dbs[1]!.set(`one:${i}`, `v${i}`);
    const hashes: HashValue[] = [];
    for (let i = 0; i < 300; i++) {
      const h = new HashValue();
      for (let j = 0; j < (i % 2 === 0 ? 5 : 700); j++) h.set(`f${j}`, `${i}:${j}`);
      const e = ks.dbs[2]!.set(`h${i}`, h);
      if (i % 3 === 0) ks.dbs[2]!.setFieldDeadline(e, 'f1', now + 400_000);
      hashes.push(h);
    }

    // The expected content, taken in the same synchronous turn as the start.
    ks.tick();
    const t0 = ks.now;
    const expected: Snapshot = new Map();
    for (const db of ks.dbs) {
      for (const e of db.entries(false)) {
        const deadline = db.deadlineOf(e);
        if (deadline <= t0) continue;
        const v = db.valueOf(e);
        const value =
          typeof v === 'string'
            ? v
            : hashText(
                [...(v as HashValue).entries()]
                  .filter(([f]) => (v as HashValue).fieldDeadline(f) > t0)
                  .map(([f, x]) => {
                    const d = (v as HashValue).fieldDeadline(f);
                    return [`${f}@${d === Infinity ? 0 : d - 1}`, x] as [string, string];
                  }),
              );
        expected.set(`${db.index}/${db.keyOf(e)}`, `${value}|${deadline === NO_DEADLINE ? '' : String(deadline - 1)}`);
      }
    }
    expect(lapse.persistence.bgsave()).toBe('started');

    // Clients write, delete, rename, expire and flush while the save walks.
    let during = 0;
    let round = 0;
    while (lapse.persistence.bgsaveInProgress) {
      const i = (round * 7919) % N;
      const cmds: string[][] = [
        ['SET', `k${i}`, `changed-${round}`],
        ['DEL', `k${(i + 1) % N}`],
        ['PEXPIRE', `k${(i + 2) % N}`, '1'],
        ['SET', `new${round}`, 'created after the start'],
        ['RENAME', `k${(i + 3) % N}`, `renamed${round}`],
        ['SET', `k${(i + 4) % N}`, 'again', 'EX', '5'],
        ['APPEND', `k${(i + 5) % N}`, '+'],
        ['SELECT', '1'],
        ...(round === 40 ? [['FLUSHDB']] : []),
        ['SET', `one:${round % 2000}`, 'changed'],
        ['SELECT', '0'],
      ];
      for (const cmd of cmds) await c.call(...cmd);
      // Hashes changed in place by the hash commands.
      const h = `h${round % hashes.length}`;
      await c.call('SELECT', '2');
      await c.call('HSET', h, 'f0', `mutated-${round}`);
      await c.call('HDEL', h, 'f2');
      await c.call('HPEXPIRE', h, '1', 'FIELDS', '1', 'f3');
      await c.call('SELECT', '0');
      during++;
      round++;
      if (round > 100_000) throw new Error('the save never ended');
    }
    await lapse.persistence.waitBgsave();
    expect(await infoField(c, 'rdb_last_bgsave_status')).toBe('ok');
    // The save really ran alongside the clients.
    expect(during).toBeGreaterThan(20);
    const file = path.join(dir, 'dump.rdb');
    const actual = readFileState(file);
    expect(actual.size).toBe(expected.size);
    const mismatches: string[] = [];
    for (const [k, v] of expected) if (actual.get(k) !== v) mismatches.push(`${k}: expected ${v.slice(0, 80)} got ${actual.get(k)?.slice(0, 80)}`);
    expect(mismatches.slice(0, 5)).toEqual([]);
    // Hash field TTLs make it an RDB 12 file (Redis 7.4's types), which Redis 7.0's
    // redis-check-rdb refuses by its version alone; the codec's own tests check v10 files.
    expect(fs.readFileSync(file).subarray(0, 9).toString()).toBe('REDIS0012');
    // No observer is left behind.
    for (const db of ks.dbs) expect(db.observer).toBeNull();
    c.close();
    await lapse.close();
  }, 60_000);
});

describe('FLUSHALL and SHUTDOWN during a BGSAVE', () => {
  test('FLUSHALL aborts it (status unchanged, temp file removed) and saves the empty dataset', async () => {
    const dir = tempDir();
    const lapse = createServer({ port: 0, bind: '127.0.0.1', dir, save: '3600 1', snapshotTuning: { keysPerTurn: 10 } });
    const { port } = await lapse.listen();
    const c = await RawClient.connect(port);
    for (let i = 0; i < 20_000; i++) lapse.keyspace.dbs[0]!.set(`k${i}`, `v${i}`);
    expect(text(await c.call('BGSAVE'))).toBe('+Background saving started\r\n');
    expect(await infoField(c, 'rdb_bgsave_in_progress')).toBe('1');
    expect(text(await c.call('FLUSHALL'))).toBe('+OK\r\n');
    await waitBgsaveDone(c);
    expect(await infoField(c, 'rdb_last_bgsave_status')).toBe('ok');
    expect(fs.readdirSync(dir)).toEqual(['dump.rdb']);
    expect(readFileState(path.join(dir, 'dump.rdb')).size).toBe(0);
    expect(await infoField(c, 'rdb_changes_since_last_save')).toBe('0');
    c.close();
    await lapse.close();
  });

  test('SHUTDOWN stops it and saves synchronously', async () => {
    const dir = tempDir();
    const lapse = createServer({ port: 0, bind: '127.0.0.1', dir, save: '3600 1', snapshotTuning: { keysPerTurn: 10 } });
    const { port } = await lapse.listen();
    const c = await RawClient.connect(port);
    for (let i = 0; i < 20_000; i++) lapse.keyspace.dbs[0]!.set(`k${i}`, `v${i}`);
    await c.call('BGSAVE');
    await c.call('SET', 'last', 'write');
    c.send('SHUTDOWN');
    await c.waitClosed();
    await lapse.close();
    const state = readFileState(path.join(dir, 'dump.rdb'));
    expect(state.size).toBe(20_001);
    expect(state.get('0/last')).toBe('write|');
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('temp-'))).toEqual([]);
  });
});

describe('failures leave the previous snapshot and the server serving', () => {
  test('disk full (the temp file is /dev/full): BGSAVE and SAVE fail, MISCONF until a save succeeds', async () => {
    const dir = tempDir();
    const lapse = createServer({ port: 0, bind: '127.0.0.1', dir, save: '3600 1' });
    const { port } = await lapse.listen();
    const c = await RawClient.connect(port);
    for (let i = 0; i < 1000; i++) await c.call('SET', `k${i}`, `v${i}`);
    expect(text(await c.call('SAVE'))).toBe('+OK\r\n');
    const file = path.join(dir, 'dump.rdb');
    const before = fs.readFileSync(file);
    await c.call('SET', 'after', 'the save');

    const bgTemp = path.join(dir, `temp-bg-${process.pid}.rdb`);
    fs.symlinkSync('/dev/full', bgTemp);
    expect(text(await c.call('BGSAVE'))).toBe('+Background saving started\r\n');
    await waitBgsaveDone(c);
    expect(await infoField(c, 'rdb_last_bgsave_status')).toBe('err');
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.existsSync(bgTemp)).toBe(false); // the failed save removed its temp file
    // stop-writes-on-bgsave-error: writes refused, reads served.
    expect(text(await c.call('SET', 'x', 'y'))).toMatch(/^-MISCONF /);
    expect(text(await c.call('GET', 'after'))).toBe('$8\r\nthe save\r\n');

    const syncTemp = path.join(dir, `temp-${process.pid}.rdb`);
    fs.symlinkSync('/dev/full', syncTemp);
    expect(text(await c.call('SAVE'))).toBe('-ERR\r\n');
    expect(fs.readFileSync(file).equals(before)).toBe(true);

    // Space again: the next save succeeds and writes are accepted.
    expect(text(await c.call('BGSAVE'))).toBe('+Background saving started\r\n');
    await waitBgsaveDone(c);
    expect(await infoField(c, 'rdb_last_bgsave_status')).toBe('ok');
    expect(text(await c.call('SET', 'x', 'y'))).toBe('+OK\r\n');
    expect(readFileState(file).get('0/after')).toBe('the save|');
    c.close();
    await lapse.close();
  });

  test("disk full with the worker writing the file (12,000 keys): BGSAVE fails with Redis's message, the previous file stays", async () => {
    const dir = tempDir();
    const lines: string[] = [];
    const lapse = createServer({ port: 0, bind: '127.0.0.1', dir, logger: { log: (_l, m) => lines.push(m) } });
    const { port } = await lapse.listen();
    const c = await RawClient.connect(port);
    for (let i = 0; i < 12_000; i++) c.send('SET', `session:${i}`, `{"user":${i}}`);
    for (let i = 0; i < 12_000; i++) await c.readReply();
    expect(text(await c.call('SAVE'))).toBe('+OK\r\n');
    const file = path.join(dir, 'dump.rdb');
    const before = fs.readFileSync(file);
    const bgTemp = path.join(dir, `temp-bg-${process.pid}.rdb`);
    fs.symlinkSync('/dev/full', bgTemp);
    expect(text(await c.call('BGSAVE'))).toBe('+Background saving started\r\n');
    await waitBgsaveDone(c);
    expect(await infoField(c, 'rdb_last_bgsave_status')).toBe('err');
    expect(await infoField(c, 'lapse_bgsave_worker')).toBe('1');
    expect(lines.some((m) => m.includes('Write error saving DB on disk: ENOSPC')), lines.join('\n')).toBe(true);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.existsSync(bgTemp)).toBe(false);
    expect(text(await c.call('GET', 'session:11999'))).toBe('$14\r\n{"user":11999}\r\n');
    // Space again: the worker writes the whole file.
    await c.call('CONFIG', 'SET', 'stop-writes-on-bgsave-error', 'no');
    expect(text(await c.call('BGSAVE'))).toBe('+Background saving started\r\n');
    await waitBgsaveDone(c);
    expect(await infoField(c, 'rdb_last_bgsave_status')).toBe('ok');
    expect(readFileState(file).size).toBe(12_000);
    c.close();
    await lapse.close();
  });

  test('a directory the server may not write (an unprivileged user): BGSAVE and SAVE fail, the server serves', async () => {
    const dir = tempDir();
    fs.chmodSync(dir, 0o755); // readable by the unprivileged user, writable only by root
    const seed = createServer({ port: 0, bind: '127.0.0.1', dir });
    seed.keyspace.dbs[0]!.set('seeded', 'by root');
    expect(seed.persistence.save()).toBeNull();
    await seed.close();
    const file = path.join(dir, 'dump.rdb');
    const before = fs.readFileSync(file);

    const port = await freePort();
    const p = cli(['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '3600 1'], { cwd: dir, uid: 65534, gid: 65534 });
    await p.waitFor('Ready to accept connections');
    const c = await RawClient.connect(port);
    expect(text(await c.call('GET', 'seeded'))).toBe('$7\r\nby root\r\n');
    expect(text(await c.call('SAVE'))).toBe('-ERR\r\n');
    expect(text(await c.call('BGSAVE'))).toBe('+Background saving started\r\n');
    await waitBgsaveDone(c);
    expect(await infoField(c, 'rdb_last_bgsave_status')).toBe('err');
    expect(p.output()).toMatch(/Failed opening the temp RDB file temp-bg-\d+\.rdb .*permission denied/i);
    expect(p.output()).toContain('Background saving error');
    expect(text(await c.call('PING'))).toMatch(/^-MISCONF /);
    expect(text(await c.call('GET', 'seeded'))).toBe('$7\r\nby root\r\n');
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    // SIGTERM with save points saves first; the save fails, so the server keeps serving.
    p.child.kill('SIGTERM');
    await p.waitFor('SIGTERM received but errors trying to shut down the server');
    expect(text(await c.call('GET', 'seeded'))).toBe('$7\r\nby root\r\n');
    c.close();
  }, 30_000);

  test('a save point starts a background save by itself', async () => {
    const dir = tempDir();
    const lines: string[] = [];
    const lapse = createServer({ port: 0, bind: '127.0.0.1', dir, save: '1 2', logger: { log: (_l, m) => lines.push(m) } });
    const { port } = await lapse.listen();
    const c = await RawClient.connect(port);
    const before = Number(text(await c.call('LASTSAVE')).slice(1));
    await c.call('SET', 'a', '1');
    await new Promise((r) => setTimeout(r, 2300));
    expect(fs.existsSync(path.join(dir, 'dump.rdb'))).toBe(false); // one change: below the point
    await c.call('SET', 'b', '2');
    const until = Date.now() + 5000;
    while (!fs.existsSync(path.join(dir, 'dump.rdb'))) {
      if (Date.now() > until) throw new Error(`no save; log: ${lines.join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await lapse.persistence.waitBgsave();
    expect(lines).toContain('2 changes in 1 seconds. Saving...');
    expect(Number(text(await c.call('LASTSAVE')).slice(1))).toBeGreaterThan(before);
    expect(await infoField(c, 'rdb_changes_since_last_save')).toBe('0');
    expect(readFileState(path.join(dir, 'dump.rdb')).get('0/b')).toBe('2|');
    c.close();
    await lapse.close();
  }, 15_000);

  test('SIGKILL at random moments of SAVE and BGSAVE: the snapshot on disk always loads whole', async () => {
    const dir = tempDir();
    const port = await freePort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
    const N = 40_000;
    const value = 'v'.repeat(600);
    const TRIALS = 10;
    let saveMs = 0;
    let killedMidSave = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const p = cli(args);
      await p.waitFor('Ready to accept connections');
      const c = await RawClient.connect(port);
      if (trial === 0) {
        // The first dataset, saved once to have a previous snapshot.
        for (let i = 0; i < N; i += 1000) {
          const mset: string[] = ['MSET'];
          for (let j = i; j < i + 1000; j++) mset.push(`key:${j}`, `${value}${j}`);
          await c.call(...mset);
        }
        await c.call('SET', 'trial', '-1');
        const t = Date.now();
        expect(text(await c.call('SAVE'))).toBe('+OK\r\n');
        saveMs = Date.now() - t;
      } else {
        // Each restart loaded a whole snapshot: the previous one or the last completed.
        expect(Number(text(await c.call('DBSIZE')).slice(1))).toBe(N + 1);
      }
      await c.call('SET', 'trial', String(trial));
      const background = trial % 2 === 0;
      c.send(background ? 'BGSAVE' : 'SAVE');
      // A random moment within the save (as long as the first trial's SAVE took; BGSAVE,
      // which yields to the event loop, takes longer).
      const delay = Math.floor(saveMs * (0.1 + 0.8 * Math.random()));
      await new Promise((r) => setTimeout(r, delay));
      const running = fs.readdirSync(dir).some((f) => f.startsWith('temp-'));
      if (running) killedMidSave++;
      p.child.kill('SIGKILL');
      await p.exited();
      c.close();
      const state = readFileState(path.join(dir, 'dump.rdb'));
      expect(state.size).toBeGreaterThanOrEqual(N);
      const marker = state.get('0/trial');
      // The file is the last completed snapshot: this trial's or an earlier one's.
      if (marker !== undefined) expect(Number(marker.split('|')[0])).toBeLessThanOrEqual(trial);
      expect(execFileSync('redis-check-rdb', [path.join(dir, 'dump.rdb')], { encoding: 'latin1' })).toContain('RDB looks OK');
    }
    // Most kills landed inside a save (a temp file was being written).
    expect(killedMidSave).toBeGreaterThan(0);
  }, 120_000);
});

describe('restarts through the CLI', () => {
  test('sessions come back with their remaining TTLs; the ones that expired meanwhile are gone', async () => {
    const dir = tempDir();
    const port = await freePort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir];
    const first = cli(args); // Redis's default save points: SIGTERM saves
    await first.waitFor('Ready to accept connections');
    const c = await RawClient.connect(port);
    expect(text(await c.call('CONFIG', 'GET', 'save'))).toContain('3600 1 300 100 60 10000');
    for (let i = 0; i < 200; i++) await c.call('SET', `sess:${i}`, `{"user":${i}}`, 'EX', '3600');
    for (let i = 0; i < 50; i++) await c.call('SET', `short:${i}`, 'soon gone', 'PX', '700');
    await c.call('SET', 'forever', 'no ttl');
    c.close();
    first.child.kill('SIGTERM');
    expect(await first.exited()).toBe(0);
    expect(first.output()).toContain('DB saved on disk');
    await new Promise((r) => setTimeout(r, 900));

    const second = cli(args);
    await second.waitFor('Ready to accept connections');
    expect(second.output()).toContain('Done loading RDB, keys loaded: 201, keys expired: 50.');
    expect(second.output()).toMatch(/DB loaded from disk: \d+\.\d{3} seconds/);
    const c2 = await RawClient.connect(port);
    expect(text(await c2.call('DBSIZE'))).toBe(':201\r\n');
    expect(text(await c2.call('GET', 'sess:7'))).toBe('$10\r\n{"user":7}\r\n');
    const ttl = Number(text(await c2.call('TTL', 'sess:7')).slice(1));
    expect(ttl).toBeGreaterThan(3590);
    expect(ttl).toBeLessThanOrEqual(3600);
    expect(text(await c2.call('EXISTS', 'short:3'))).toBe(':0\r\n');
    expect(text(await c2.call('TTL', 'forever'))).toBe(':-1\r\n');
    expect(await infoField(c2, 'rdb_last_load_keys_expired')).toBe('50');
    expect(await infoField(c2, 'rdb_last_load_keys_loaded')).toBe('201');
    // SHUTDOWN NOSAVE keeps the file as it is; with --save '' SIGTERM saves nothing.
    await c2.call('SET', 'unsaved', 'x');
    c2.send('SHUTDOWN', 'NOSAVE');
    expect(await second.exited()).toBe(0);
    expect(readFileState(path.join(dir, 'dump.rdb')).has('0/unsaved')).toBe(false);
    const third = cli([...args, '--save', '']);
    await third.waitFor('Ready to accept connections');
    third.child.kill('SIGTERM');
    expect(await third.exited()).toBe(0);
    expect(third.output()).not.toContain('DB saved on disk');
  }, 30_000);

  test('a corrupt or truncated file is refused at start-up, naming the offset; nothing listens', async () => {
    const dir = tempDir();
    const seed = createServer({ port: 0, bind: '127.0.0.1', dir });
    for (let i = 0; i < 100; i++) seed.keyspace.dbs[0]!.set(`k${i}`, `v${i}`);
    expect(seed.persistence.save()).toBeNull();
    await seed.close();
    const file = path.join(dir, 'dump.rdb');
    const whole = fs.readFileSync(file);
    const port = await freePort();
    fs.writeFileSync(file, whole.subarray(0, whole.length - 100));
    const p = cli(['--port', String(port), '--bind', '127.0.0.1', '--dir', dir]);
    expect(await p.exited()).toBe(1);
    expect(p.output()).toMatch(/Fatal error loading the DB \(.*dump\.rdb\): Unexpected end of file.*\(at offset \d+\)\. Exiting\./);
    expect(p.output()).not.toContain('Ready to accept connections');
    const flipped = Buffer.from(whole);
    flipped[whole.length - 30]! ^= 0xff;
    fs.writeFileSync(file, flipped);
    const q = cli(['--port', String(port), '--bind', '127.0.0.1', '--dir', dir]);
    expect(await q.exited()).toBe(1);
    expect(q.output()).toMatch(/at offset \d+\)\. Exiting\./);
  }, 30_000);
});

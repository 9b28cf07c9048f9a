import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/keyspace/clock.js';
import { HashValue } from '../../src/keyspace/hash.js';
import { Keyspace } from '../../src/keyspace/keyspace.js';
import { BackgroundSave } from '../../src/persistence/snapshot.js';
import { offloadStores, SnapshotOffload } from '../../src/persistence/snapshot-offload.js';
import type { Worker } from 'node:worker_threads';
import { loadSnapshot } from '../../src/persistence/load.js';
import { readRdbBuffer } from '../../src/persistence/rdb-reader.js';
import { RdbEncoder } from '../../src/persistence/rdb-writer.js';
import { memorySink } from '../helpers/snapshot-data.js';

/**
 * BGSAVE with its string keys written by a worker thread (snapshot-offload.ts): the
 * file holds the keyspace as it was at the start while the main thread changes it in
 * every way a command can (values rewritten in place and resized, keys deleted and
 * their ids reused, TTLs set and removed, large values and hashes changed, FLUSHDB,
 * SWAPDB), both before the worker has started and while it runs; a failing sink and an
 * abort end the worker and leave the stores as they were.
 */
const START = 1_700_000_000_000;
const OPTIONS = { dir: '', filename: '', compression: true, checksum: true, usedMemory: 0 };

/** Every key of every database with its value (hashes as sorted pairs) and expire time. */
function contents(keyspace: Keyspace): Map<string, string> {
  const out = new Map<string, string>();
  for (const db of keyspace.dbs) {
    for (const e of db.entries()) {
      const v = db.valueOf(e);
      const text = typeof v === 'string' ? v : [...(v as HashValue).entries()].sort().join(',');
      const expire = db.deadlineOf(e) === Infinity ? 'none' : String(db.store.expireTime(e));
      out.set(`${db.index}:${db.keyOf(e)}`, `${text}@${expire}`);
    }
  }
  return out;
}

/** The contents of a keyspace loaded from RDB bytes. */
function loadedBack(bytes: Buffer): Map<string, string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-offload-'));
  try {
    const file = path.join(dir, 'dump.rdb');
    fs.writeFileSync(file, bytes);
    const loaded = new Keyspace(new ManualClock(START), 4);
    loadSnapshot(loaded, file, () => {}, { checksum: true });
    return contents(loaded);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function session(i: number, salt: number): string {
  return JSON.stringify({ user: i, salt, cart: 'x'.repeat((i * 13) % 300) });
}

function fill(keyspace: Keyspace): void {
  const [db0, db1, db2, db3] = keyspace.dbs;
  for (let i = 0; i < 30_000; i++) db0.set(`s:${i}`, session(i, 0), i % 3 === 0 ? START + 3_600_000 + i : Infinity);
  for (let i = 0; i < 500; i++) db0.set(`n:${i}`, String(i * 1000 - 7)); // int-encoded in the file
  db0.set('large', 'L'.repeat(300_000));
  const far = db0.set('far', 'far away');
  db0.setExpireTime(far, 2n ** 60n + 1n);
  for (let i = 0; i < 50; i++) {
    const h = new HashValue();
    for (let j = 0; j < 20; j++) h.set(`f${j}`, `${i}:${j}`);
    db0.set(`h:${i}`, h);
  }
  for (let i = 0; i < 5_000; i++) db1!.set(`one:${i}`, session(i, 1));
  for (let i = 0; i < 5_000; i++) db2!.set(`two:${i}`, session(i, 2));
  for (let i = 0; i < 5_000; i++) db3!.set(`three:${i}`, session(i, 3));
}

/** One change of many kinds, chosen by n. */
function change(keyspace: Keyspace, n: number): void {
  const db0 = keyspace.dbs[0]!;
  const i = (n * 7919) % 30_000;
  switch (n % 9) {
    case 0: // same length: rewritten in place
      db0.set(`s:${i}`, session(i, 0).replace('"salt":0', '"salt":9'));
      break;
    case 1: // another length: a new record, the old one freed
      db0.set(`s:${i}`, session(i, 0) + 'more');
      break;
    case 2:
      db0.delete(`s:${i}`);
      break;
    case 3: // a new key (often on a freed id)
      db0.set(`new:${n}`, session(n, 5));
      break;
    case 4: {
      const e = db0.peek(`s:${i}`);
      if (e !== undefined) db0.setDeadline(e, START + 99_000 + n);
      break;
    }
    case 5: {
      const e = db0.peek(`s:${(i + 1) % 30_000}`);
      if (e !== undefined) db0.setDeadline(e, Infinity);
      break;
    }
    case 6:
      db0.set('large', `changed ${n}`);
      break;
    case 7: {
      // An integer written as digits (INCR): in place when its length stays.
      const e = db0.peek(`n:${n % 500}`);
      if (e !== undefined) db0.replaceInteger(e, (n % 500) * 1000 - 7 + (n % 2 === 0 ? 1 : -1), `n:${n % 500}`);
      break;
    }
    default: {
      const e = db0.peek(`h:${n % 50}`);
      if (e !== undefined) db0.setField(e, 'f0', `changed ${n}`);
    }
  }
}

describe('a background save with a worker thread', () => {
  test('holds the keyspace as it was at the start, whatever changes before the worker starts and while it runs', async () => {
    const keyspace = new Keyspace(new ManualClock(START), 4);
    keyspace.setCommandTime(START);
    fill(keyspace);
    const before = contents(keyspace);
    // A sink done with each write's buffers, as a file is: the worker reuses them.
    const sink = memorySink({ releasesBuffers: true });
    const save = new BackgroundSave(keyspace, { ...OPTIONS, list: keyspace.listEncoding }, { offload: 'always' }, () => Promise.resolve(sink));
    expect(save.offloaded).toBe(true);
    let finished = false;
    void save.done.then(() => (finished = true));
    // Before the worker has started (it takes tens of ms): every page written is copied first.
    for (let n = 0; n < 4_000; n++) change(keyspace, n);
    keyspace.flushDatabase(keyspace.dbs[1]!);
    keyspace.dbs[1]!.set('after-flush', 'x');
    keyspace.swapDatabases(keyspace.dbs[2]!, keyspace.dbs[3]!);
    // While it runs: pages it has taken are written freely, the others copied first.
    let rounds = 0;
    for (let n = 4_000; !finished; n += 50) {
      for (let k = 0; k < 50; k++) change(keyspace, n + k);
      rounds++;
      await new Promise((r) => setImmediate(r));
    }
    const result = await save.done;
    expect(result).toEqual({ ok: true, keys: before.size });
    expect(sink.committed).toBe(true);
    expect(rounds).toBeGreaterThan(0);
    expect(loadedBack(sink.bytes())).toEqual(before);
    // The stores copy nothing any more: a new snapshot can begin.
    expect(() => keyspace.dbs[0]!.store.slab.beginSnapshot(() => undefined)).not.toThrow();
    keyspace.dbs[0]!.store.slab.endSnapshot();
  });

  test('the same entries as a save on this thread writes, for the same keyspace', async () => {
    const keyspace = new Keyspace(new ManualClock(START), 4);
    keyspace.setCommandTime(START);
    fill(keyspace);
    const decode = (bytes: Buffer): string[] => {
      const keys: string[] = [];
      readRdbBuffer(bytes, { key: (db: number, key: string, value: unknown, expire: unknown) => void keys.push(`${db}:${key}=${JSON.stringify(value)}@${String(expire)}`) }, { checksum: true });
      return keys.sort();
    };
    const results: string[][] = [];
    for (const offload of ['always', 'never'] as const) {
      const sink = memorySink();
      const save = new BackgroundSave(keyspace, { ...OPTIONS, list: keyspace.listEncoding }, { offload }, () => Promise.resolve(sink));
      expect(save.offloaded).toBe(offload === 'always');
      expect((await save.done).ok).toBe(true);
      results.push(decode(sink.bytes()));
    }
    expect(results[0]!.length).toBe(keyspace.dbs.reduce((n, db) => n + db.size, 0));
    expect(results[0]).toEqual(results[1]);
  });

  test("the worker's exit reaching this thread before its last messages: they are taken first, and the output is whole", async () => {
    // The worker posts its batches and its end on a port of its own and then exits; the
    // exit event can reach this thread first (a BGSAVE under load failed with "the snapshot
    // worker exited (code 0)"). Here this thread waits, without yielding, until the worker
    // has posted everything, then delivers the exit event itself, before any message.
    const keyspace = new Keyspace(new ManualClock(START), 4);
    keyspace.setCommandTime(START);
    for (let i = 0; i < 3_000; i++) keyspace.dbs[0]!.set(`s:${i}`, session(i, 0));
    const run = async (exitFirst: boolean): Promise<{ bytes: Buffer; keys: number }> => {
      const { stores } = offloadStores(keyspace.dbs.map((db) => (db.size === 0 ? null : db.store)));
      const offload = new SnapshotOffload(stores, Buffer.alloc(0), OPTIONS, START, keyspace.dbs.map((db) => db.size), keyspace.dbs.map((db) => db.expiresCount));
      offload.end();
      if (exitFirst) {
        // Batches to this thread (as pipe() says to a sink without a file descriptor), said before waiting on them.
        offload.sinkTo(-1);
        const inner = offload as unknown as { control: Int32Array; worker: Worker };
        // One batch (3,000 sessions are under 1 MB) and the end: two posts.
        const until = Date.now() + 10_000;
        while (Atomics.load(inner.control, 2) < 2 && Date.now() < until) Atomics.wait(inner.control, 2, Atomics.load(inner.control, 2), 50);
        expect(Atomics.load(inner.control, 2)).toBe(2);
        inner.worker.emit('exit', 0);
      }
      const sink = memorySink();
      await offload.pipe(sink);
      return { bytes: sink.bytes(), keys: offload.keys };
    };
    const normal = await run(false);
    const raced = await run(true);
    expect(normal.keys).toBe(3_000);
    expect(raced.keys).toBe(3_000);
    expect(raced.bytes.equals(normal.bytes)).toBe(true);
  });

  test('a sink with a file descriptor is written by the worker itself: the same bytes, and write() never called', async () => {
    const keyspace = new Keyspace(new ManualClock(START), 2);
    keyspace.setCommandTime(START);
    // Over 1 MB of entries: several batches.
    for (let i = 0; i < 12_000; i++) keyspace.dbs[i % 2]!.set(`s:${i}`, session(i, 0));
    const offloadOf = (): SnapshotOffload => {
      const { stores } = offloadStores(keyspace.dbs.map((db) => (db.size === 0 ? null : db.store)));
      return new SnapshotOffload(stores, Buffer.from('REDIS0010'), OPTIONS, START, keyspace.dbs.map((db) => db.size), keyspace.dbs.map((db) => db.expiresCount));
    };
    const piped = offloadOf();
    piped.end();
    const sink = memorySink();
    await piped.pipe(sink);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-offload-fd-'));
    const file = path.join(dir, 'out.rdb');
    const fd = fs.openSync(file, 'w');
    try {
      const direct = offloadOf();
      direct.end();
      let writes = 0;
      await direct.pipe({ fd, releasesBuffers: true, write: async () => void writes++ });
      expect(writes).toBe(0);
      expect(direct.keys).toBe(12_000);
      expect(fs.readFileSync(file).equals(sink.bytes())).toBe(true);
    } finally {
      fs.closeSync(fd);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a failed write of the worker fails the save with Redis\'s wording; abort() settles once the worker is gone', async () => {
    const keyspace = new Keyspace(new ManualClock(START), 1);
    keyspace.setCommandTime(START);
    for (let i = 0; i < 12_000; i++) keyspace.dbs[0]!.set(`s:${i}`, session(i, 0));
    const { stores } = offloadStores(keyspace.dbs.map((db) => (db.size === 0 ? null : db.store)));
    const offload = new SnapshotOffload(stores, Buffer.alloc(0), OPTIONS, START, [12_000], [0]);
    offload.end();
    const fd = fs.openSync('/dev/full', 'w');
    try {
      await expect(offload.pipe({ fd, write: async () => {} })).rejects.toThrow(/^Write error saving DB on disk: ENOSPC/);
      await offload.abort();
      expect((offload as unknown as { worker: Worker }).worker.threadId).toBe(-1);
    } finally {
      fs.closeSync(fd);
    }
  });

  test("entries that reach the worker while it waits to hand over a batch go into the next batch, whole", () => {
    // The worker takes its encoder's chunks, then waits while OUTSTANDING batches are
    // unwritten; entries this thread sends meanwhile reach it when it wakes, before it has
    // copied the chunks it took. Their buffer must stay with the worker until a later batch
    // has copied them (a SAVE of 1M keys lost ~97,000 of this thread's keys when the
    // worker handed such a buffer back with the batch before).
    const keyspace = new Keyspace(new ManualClock(START), 2);
    keyspace.setCommandTime(START);
    let seed = 11;
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (let i = 0; i < 24_000; i++) {
      let value = '';
      while (value.length < 400) value += next().toString(16);
      keyspace.dbs[0]!.set(`s:${i}`, value);
    }
    const header = new RdbEncoder({ compression: true, checksum: false });
    header.header(10);
    const { stores } = offloadStores(keyspace.dbs.map((db) => (db.size === 0 ? null : db.store)));
    const sizes = keyspace.dbs.map((db) => db.size);
    const offload = new SnapshotOffload(stores, Buffer.concat(header.take()), OPTIONS, START, sizes.map((n, i) => n + (i === 1 ? 2_000 : 0)), [0, 0], true);
    // Over 9 MB of records: the worker is stuck in its fifth batch while none is written.
    const control = (offload as unknown as { control: Int32Array }).control;
    const until = Date.now() + 20_000;
    while (Atomics.load(control, 0) < 4 && Date.now() < until) Atomics.wait(control, 0, Atomics.load(control, 0), 50);
    expect(Atomics.load(control, 0)).toBe(4);
    const enc = new RdbEncoder({ compression: true, checksum: false });
    for (let i = 0; i < 2_000; i++) enc.entry(`main:${i}`, `value of ${i} `.repeat(20), null, START);
    offload.entries(1, enc.take());
    offload.end();
    const written: Buffer[] = [];
    offload.drainSync((bytes) => written.push(Buffer.from(bytes)), true);
    expect(offload.failure).toBe(null);
    const loaded = new Map<string, string>();
    readRdbBuffer(Buffer.concat(written), { key: (db: number, key: string, value: unknown) => void loaded.set(`${db}:${key}`, String(value)) }, { checksum: true });
    expect(loaded.size).toBe(26_000);
    for (let i = 0; i < 2_000; i += 97) expect(loaded.get(`1:main:${i}`)).toBe(`value of ${i} `.repeat(20));
  });

  test('a sink that fails, or an abort, stops the worker; the stores are left as they were', async () => {
    const keyspace = new Keyspace(new ManualClock(START), 4);
    keyspace.setCommandTime(START);
    fill(keyspace);
    const before = contents(keyspace);
    const failing = new BackgroundSave(keyspace, { ...OPTIONS, list: keyspace.listEncoding }, { offload: 'always' }, () => Promise.resolve(memorySink({ failAt: 2 })));
    const failed = await failing.done;
    expect(failed.ok).toBe(false);
    if (!failed.ok) expect(failed.error.message).toBe('disk full');

    const aborted = new BackgroundSave(keyspace, { ...OPTIONS, list: keyspace.listEncoding }, { offload: 'always' }, () => Promise.resolve(memorySink()));
    for (let n = 0; n < 500; n++) change(keyspace, n);
    aborted.abort();
    const result = await aborted.done;
    expect(result).toMatchObject({ ok: false, aborted: true });
    for (const db of keyspace.dbs) {
      expect(() => db.store.slab.beginSnapshot(() => undefined)).not.toThrow();
      db.store.slab.endSnapshot();
    }
    // A save after them holds the keyspace as it is now.
    const now = contents(keyspace);
    expect(now).not.toEqual(before);
    const sink = memorySink();
    const save = new BackgroundSave(keyspace, { ...OPTIONS, list: keyspace.listEncoding }, { offload: 'always' }, () => Promise.resolve(sink));
    expect((await save.done).ok).toBe(true);
    expect(loadedBack(sink.bytes())).toEqual(now);
  });
});

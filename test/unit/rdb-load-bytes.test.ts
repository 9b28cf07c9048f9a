import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import fc from 'fast-check';
import { ManualClock } from '../../src/keyspace/clock.js';
import { Keyspace } from '../../src/keyspace/keyspace.js';
import { NO_DEADLINE } from '../../src/keyspace/database.js';
import { saveSync } from '../../src/persistence/snapshot.js';
import { loadSnapshot } from '../../src/persistence/load.js';

/**
 * A load puts string keys into the slab from the file's bytes (RdbVisitor.stringKey,
 * Database.loadString), making no JavaScript string of the key or the value; every other
 * key, and every key of a merge load (DEBUG RELOAD MERGE), goes through key(). Here a
 * merge load into an empty keyspace is the reference: both must give the same keyspace,
 * the same counts and the same accounted bytes.
 * (Its own file: each case makes keyspaces whose arenas are 64 MiB shared buffers, held
 * until a GC, and rdb.test.ts forks redis-check-rdb, which a large address space refuses.)
 */
const START = 1_800_000_000_000;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-rdb-bytes-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Everything a keyspace holds, comparable: db/key -> [value, expire time]. */
function dump(ks: Keyspace): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const db of ks.dbs) {
    for (const e of db.entries()) out[`${db.index}/${db.keyOf(e)}`] = [db.valueOf(e), db.deadlineOf(e) === NO_DEADLINE ? null : String(db.expireTime(e))];
  }
  return out;
}

test('string keys load from their bytes (no strings made) exactly as key() loads them: long, compressed, integer, empty, expired', () => {
  // A merge load (DEBUG RELOAD MERGE) takes key() for every key: the reference here.
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }).map((s) => Buffer.from(s, 'utf8').toString('latin1')),
    fc.integer().map(String),
    fc.constantFrom('', '0', '-1', '007'),
    fc.tuple(fc.string({ unit: 'binary-ascii', maxLength: 4 }), fc.integer({ min: 20, max: 400 })).map(([s, n]) => s.repeat(n)),
  );
  const item = fc.tuple(fc.nat(3), text, text, fc.option(fc.integer({ min: -5_000, max: 10_000_000 })));
  let run = 0;
  fc.assert(
    fc.property(fc.uniqueArray(item, { maxLength: 40, selector: ([dbi, key]) => `${dbi}/${key}` }), (items) => {
      const ks = new Keyspace(new ManualClock(START), 4);
      for (const [dbi, key, value, ttl] of items) ks.dbs[dbi]!.set(key, value, ttl === null ? NO_DEADLINE : START + ttl + 1);
      const file = path.join(tmp, `bytes-${run++}.rdb`);
      saveSync(ks, { dir: tmp, filename: path.basename(file), compression: true, checksum: true, usedMemory: 1 });
      ks.close();
      const later = START + 1;
      const byBytes = new Keyspace(new ManualClock(later), 4);
      const byKey = new Keyspace(new ManualClock(later), 4);
      const a = loadSnapshot(byBytes, file, () => {}, { checksum: true })!;
      const b = loadSnapshot(byKey, file, () => {}, { checksum: true, merge: true })!;
      expect(a).toMatchObject({ loaded: b.loaded, expired: b.expired });
      expect(dump(byBytes)).toEqual(dump(byKey));
      for (let i = 0; i < 4; i++) expect(byBytes.dbs[i]!.store.bytes).toBe(byKey.dbs[i]!.store.bytes);
      byBytes.close();
      byKey.close();
    }),
    { numRuns: 60 },
  );
});

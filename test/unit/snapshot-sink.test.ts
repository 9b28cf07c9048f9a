import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/keyspace/clock.js';
import { Keyspace } from '../../src/keyspace/keyspace.js';
import { BackgroundSave } from '../../src/persistence/snapshot.js';
import { loadSnapshot } from '../../src/persistence/load.js';
import { memorySink } from '../helpers/snapshot-data.js';

/**
 * The fork-less snapshot written to a sink other than a file (what a replica's full sync
 * will use): the bytes are the keyspace as it was when the walk began, while keys change,
 * go and come during it, and a slow sink holds the walk back without losing anything.
 */
const START = 1_700_000_000_000;

/** Every string key of every database, as db:key -> value. */
function contents(keyspace: Keyspace): Map<string, string> {
  const out = new Map<string, string>();
  for (const db of keyspace.dbs) {
    for (const e of db.entries()) out.set(`${db.index}:${db.keyOf(e)}`, db.stringOf(e));
  }
  return out;
}

describe('a background save into another sink', () => {
  test('holds the keyspace as it was at the start while keys change, go and come, with a slow sink', async () => {
    const clock = new ManualClock(START);
    const keyspace = new Keyspace(clock, 2);
    keyspace.setCommandTime(START);
    for (let i = 0; i < 400; i++) keyspace.dbs[i % 2]!.set(`k${i}`, `v${i}`);
    const before = contents(keyspace);
    const sink = memorySink({ delayMs: 1 });
    const save = new BackgroundSave(
      keyspace,
      { dir: '', filename: '', compression: true, checksum: true, list: keyspace.listEncoding, usedMemory: 0 },
      { keysPerTurn: 7 },
      () => Promise.resolve(sink),
    );
    // Changes while the walk runs: values replaced, keys deleted, keys created.
    let round = 0;
    let finished = false;
    void save.done.then(() => (finished = true));
    while (!finished) {
      const db = keyspace.dbs[round % 2]!;
      const i = (round * 37) % 400;
      if (round % 3 === 0) db.set(`k${i}`, `changed${round}`);
      else if (round % 3 === 1) db.delete(`k${i}`);
      else db.set(`new${round}`, 'late');
      round++;
      await new Promise((r) => setImmediate(r));
    }
    const result = await save.done;
    expect(result).toEqual({ ok: true, keys: 400 });
    expect(sink.committed).toBe(true);
    expect(sink.writes).toBeGreaterThan(1);
    expect(round).toBeGreaterThan(20);
    // The bytes load back to what the keyspace held at the start.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-sink-'));
    try {
      const file = path.join(dir, 'dump.rdb');
      fs.writeFileSync(file, sink.bytes());
      const loaded = new Keyspace(new ManualClock(START), 2);
      loadSnapshot(loaded, file, () => {}, { checksum: true });
      expect(contents(loaded)).toEqual(before);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/keyspace/clock.js';
import { Keyspace } from '../../src/keyspace/keyspace.js';
import { NO_DEADLINE, type ChangeObserver, type Database, type Entry } from '../../src/keyspace/database.js';
import { HashValue } from '../../src/keyspace/hash.js';

const START = 1_800_000_000_000;

/**
 * The contract a background snapshot relies on: the Database calls beforeChange with the
 * entry still as it was, before any change to an existing key, whatever the cause.
 */
function setup() {
  const clock = new ManualClock(START);
  const ks = new Keyspace(clock, 2);
  const db = ks.dbs[0]!;
  const seen: string[] = [];
  const describe = (d: Database, e: Entry) => {
    const v = d.valueOf(e);
    const value = typeof v === 'string' ? v : [...(v as HashValue).entries()].map(([f, x]) => `${f}=${x}@${(v as HashValue).fieldDeadline(f)}`).join(',');
    const deadline = d.deadlineOf(e);
    return `${d.keyOf(e)}:${value}:${deadline === NO_DEADLINE ? '-' : deadline - START}`;
  };
  const observer: ChangeObserver = {
    beforeChange: (d: Database, e: Entry) => seen.push(describe(d, e)),
    created: () => {},
    // d.store is the store being dropped: the keys it still holds.
    beforeClear: (d: Database) => seen.push(`clear ${d.index}: ${d.store.size}`),
    beforeSwap: () => {},
  };
  db.observer = observer;
  return { clock, ks, db, seen };
}

describe('Database change observer', () => {
  test('called before every change, with the old state', () => {
    const { clock, ks, db, seen } = setup();
    db.set('a', '1');
    expect(seen).toEqual([]); // a new key: nothing to preserve
    db.set('a', '2', START + 100);
    expect(seen).toEqual(['a:1:-']);
    seen.length = 0;
    db.replaceValue(db.get('a')!, '3');
    db.setDeadline(db.get('a')!, START + 500);
    db.setExpireTime(db.get('a')!, 2n ** 62n);
    expect(seen).toEqual(['a:2:100', 'a:3:100', 'a:3:500']);
    seen.length = 0;
    db.delete('a');
    db.set('b', 'x');
    db.deleteEntry(db.get('b')!);
    expect(seen).toEqual([`a:3:${Number(2n ** 62n + 1n) - START}`, 'b:x:-']);
    seen.length = 0;
    // Expiry, lazy and by the wheel.
    db.set('lazy', 'l', START + 10);
    db.set('wheel', 'w', START + 20);
    clock.advance(15);
    ks.tick();
    expect(db.get('lazy')).toBeUndefined();
    clock.advance(5000);
    ks.tick();
    expect(seen).toEqual(['lazy:l:10', 'wheel:w:20']);
    seen.length = 0;
    // Hash fields and their TTLs: the first call of each change sees the state before it.
    const h = new HashValue();
    h.set('f', '1');
    h.set('g', '2');
    const he = db.set('h', h);
    db.setFieldDeadline(he, 'f', clock.now() + 100);
    expect(seen[0]).toBe('h:f=1@Infinity,g=2@Infinity:-');
    seen.length = 0;
    db.deleteField(he, 'g');
    expect(seen[0]).toBe(`h:f=1@${clock.now() + 100},g=2@Infinity:-`);
    seen.length = 0;
    clock.advance(200);
    ks.tick();
    expect(seen[0]).toBe(`h:f=1@${clock.now() - 100}:-`);
    expect(db.peek('h')).toBeUndefined(); // the expired field emptied the hash
    seen.length = 0;
    // A flush hands over the store being dropped.
    db.set('x', '1');
    db.set('y', '2');
    db.clear();
    expect(seen).toEqual(['clear 0: 2']);
  });

  test('no observer: nothing is called (one null check)', () => {
    const { db, seen } = setup();
    db.observer = null;
    db.set('a', '1');
    db.set('a', '2');
    db.delete('a');
    expect(seen).toEqual([]);
  });
});

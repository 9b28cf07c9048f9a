import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { ManualClock } from '../../src/keyspace/clock.js';
import { Keyspace } from '../../src/keyspace/keyspace.js';
import { NO_DEADLINE, deadlineFor, type Database, type Entry } from '../../src/keyspace/database.js';
import { rng } from '../helpers/rng.js';

const START = 1_700_000_000_000;

function setup() {
  const clock = new ManualClock(START);
  const keyspace = new Keyspace(clock, 2);
  const events: string[] = [];
  keyspace.listener = {
    event: (_cls, event, key) => events.push(`${event} ${key}`),
    keyModified: (_db, key) => events.push(`modified ${key}`),
    databaseFlushed: (db) => events.push(`flushed ${db.index}`),
  };
  const db = keyspace.dbs[0]!;
  /** Moves the clock (running the wheel's timers) and takes a new command time. */
  const advance = (ms: number) => {
    clock.advance(ms);
    keyspace.tick();
  };
  return { clock, keyspace, db, events, advance };
}

/** One SCAN call: the keys visited and the next cursor. */
function scanStep(db: Database, cursor: number, count: number): { keys: string[]; next: number } {
  const keys: string[] = [];
  const next = db.scan(cursor, count, (e: Entry) => keys.push(db.keyOf(e)));
  return { keys, next };
}

function scanAll(db: Database, count: number): string[] {
  const out: string[] = [];
  let cursor = 0;
  do {
    const step = scanStep(db, cursor, count);
    out.push(...step.keys);
    cursor = step.next;
  } while (cursor !== 0);
  return out;
}

describe('lazy expiry and the deadline convention', () => {
  test('a key exists through its expire time and is gone 1 ms later', () => {
    const { db, keyspace, advance, events } = setup();
    const when = START + 100; // Redis's expire time
    db.set('k', 'v', deadlineFor(when));
    advance(100);
    expect(keyspace.now).toBe(when);
    const k = db.get('k');
    expect(k === undefined ? undefined : db.valueOf(k)).toBe('v');
    events.length = 0;
    // The wheel reclaims at deadline = when + 1 without anyone asking.
    advance(1);
    expect(db.size).toBe(0);
    expect(db.peek('k')).toBeUndefined();
    // Redis's order (deleteExpiredKeyAndPropagate): the event, then signalModifiedKey.
    expect(events).toEqual(['expired k', 'modified k']);
    expect(keyspace.stats.expiredKeys).toBe(1);
  });

  test('reads expire lazily even when the wheel has not run', () => {
    const { db, keyspace, clock } = setup();
    db.set('k', 'v', START + 10);
    clock.set(START + 10); // the clock jumps: no timer ran
    keyspace.tick();
    expect(db.size).toBe(1);
    expect(db.read('k')).toBeUndefined();
    expect(keyspace.stats.keyspaceMisses).toBe(1);
    expect(keyspace.stats.expiredKeys).toBe(1);
    expect(db.size).toBe(0);
  });

  test('delete() of an expired key reports it expired, not deleted', () => {
    const { db, keyspace, clock, events } = setup();
    db.set('k', 'v', START + 10);
    clock.set(START + 20);
    keyspace.tick();
    events.length = 0;
    expect(db.delete('k')).toBe(false);
    // Redis's order (deleteExpiredKeyAndPropagate): the event, then signalModifiedKey.
    expect(events).toEqual(['expired k', 'modified k']);
  });

  test('setDeadline(NO_DEADLINE) persists; counts follow', () => {
    const { db, advance } = setup();
    const e = db.set('k', 'v', START + 50);
    db.set('p', 'v');
    expect(db.expiresCount).toBe(1);
    db.setDeadline(e, NO_DEADLINE);
    expect(db.expiresCount).toBe(0);
    advance(1000);
    expect(db.get('k')).toBe(e);
  });
});

describe('exact expire times beyond 2^53 ms', () => {
  test('set, read back, replace, persist, delete', () => {
    const { db } = setup();
    const e = db.set('k', 'v');
    db.setExpireTime(e, 9223372036854775807n);
    expect(db.expireTime(e)).toBe(9223372036854775807n);
    db.setExpireTime(e, 9223372036854775806n); // the same double, another int64
    expect(db.expireTime(e)).toBe(9223372036854775806n);
    db.setExpireTime(e, 9007199254740993n);
    expect(db.expireTime(e)).toBe(9007199254740993n);
    db.setExpireTime(e, 9007199254740990);
    expect(db.expireTime(e)).toBe(9007199254740990);
    db.setExpireTime(e, 2n ** 60n);
    db.setDeadline(e, NO_DEADLINE);
    db.setExpireTime(e, START + 5);
    expect(db.expireTime(e)).toBe(START + 5);
    db.setExpireTime(e, 2n ** 62n);
    expect(db.expiresCount).toBe(1);
    db.deleteEntry(e);
    const again = db.set('k', 'v', deadlineFor(2 ** 60)); // inexact by design: a plain double
    expect(db.expireTime(again)).toBe(2 ** 60);
    db.clear();
    expect(db.expiresCount).toBe(0);
  });
});

describe('scan: lapse cursor guarantees', () => {
  test('a full iteration returns every key once, for any COUNT', () => {
    const { db } = setup();
    for (let i = 0; i < 500; i++) db.set(`k${i}`, 'v');
    for (const count of [1, 2, 7, 10, 499, 500, 10_000]) {
      const keys = scanAll(db, count);
      expect(keys.length).toBe(500);
      expect(new Set(keys).size).toBe(500);
    }
  });

  test('an empty database, and cursors nobody issued', () => {
    const { db } = setup();
    expect(scanStep(db, 0, 10)).toEqual({ keys: [], next: 0 });
    expect(scanStep(db, 12345, 10)).toEqual({ keys: [], next: 0 });
    db.set('a', '1');
    db.set('b', '2');
    // A cursor is a scan position (the bit-reversed hash of a key): any cursor continues
    // from its position to the end, returning only live keys, none twice.
    for (const cursor of [Number.MAX_SAFE_INTEGER, 2 ** 32 - 1, 2 ** 31, 12345]) {
      const keys: string[] = [];
      let next = cursor;
      let calls = 0;
      do {
        const step = scanStep(db, next, 10);
        keys.push(...step.keys);
        next = step.next;
      } while (next !== 0 && ++calls < 1000);
      expect(next, `from ${cursor}`).toBe(0);
      expect(new Set(keys).size, `from ${cursor}`).toBe(keys.length);
      for (const k of keys) expect(['a', 'b']).toContain(k);
    }
    expect(scanAll(db, 10).sort()).toEqual(['a', 'b']);
  });

  test('keys present throughout are returned once while keys are created during an iteration', () => {
    // Scan order is hash order: keys created during an iteration may be reached (those
    // ahead of the cursor) or not; the keys present throughout are each returned once.
    const { db } = setup();
    for (let i = 0; i < 30; i++) db.set(`k${i}`, 'v');
    let step = scanStep(db, 0, 10);
    expect(step.keys.length).toBeGreaterThanOrEqual(10);
    for (let i = 0; i < 100; i++) db.set(`new${i}`, 'v'); // the table grows between calls
    const seen = [...step.keys];
    while (step.next !== 0) {
      step = scanStep(db, step.next, 10);
      seen.push(...step.keys);
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((k) => !k.startsWith('new')).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `k${i}`).sort());
  });

  test('deleted and re-added keys: no duplicate; untouched keys all returned', () => {
    const { db } = setup();
    for (let i = 0; i < 200; i++) db.set(`k${i}`, 'v');
    const seen: string[] = [];
    let cursor = 0;
    let round = 0;
    do {
      const step = scanStep(db, cursor, 5);
      seen.push(...step.keys);
      cursor = step.next;
      // Churn: delete and re-add keys already returned and keys not yet returned.
      const a = `k${(round * 7) % 200}`;
      const b = `k${(round * 13 + 5) % 200}`;
      db.delete(a);
      db.set(a, 'again');
      db.delete(b);
      if (round % 2 === 0) db.set(b, 'again');
      round++;
    } while (cursor !== 0);
    expect(new Set(seen).size).toBe(seen.length);
    const touched = new Set<string>();
    for (let r = 0; r < round; r++) {
      touched.add(`k${(r * 7) % 200}`);
      touched.add(`k${(r * 13 + 5) % 200}`);
    }
    for (let i = 0; i < 200; i++) if (!touched.has(`k${i}`)) expect(seen).toContain(`k${i}`);
  });

  test('COUNT 1 terminates while keys keep being inserted', () => {
    const { db } = setup();
    for (let i = 0; i < 100; i++) db.set(`k${i}`, 'v');
    let cursor = 0;
    let calls = 0;
    let n = 0;
    do {
      cursor = scanStep(db, cursor, 1).next;
      for (let j = 0; j < 3; j++) db.set(`extra${n++}`, 'v');
      calls++;
    } while (cursor !== 0 && calls < 10_000);
    expect(cursor).toBe(0);
    // The cursor only moves forward through a finite position space; new keys ahead of it
    // are visited too (hash order), so the calls exceed the 100 keys present at the start
    // but stay bounded.
    expect(calls).toBeLessThanOrEqual(1000);
  });

  test('sparse regions cost bounded work per call and still end', () => {
    const { db } = setup();
    for (let i = 0; i < 3000; i++) db.set(`k${i}`, 'v');
    // Most keys deleted, not enough for the table to shrink (at size < capacity / 8):
    // the table is sparse, its empty buckets spread over the position space.
    for (let i = 0; i < 2400; i++) db.delete(`k${i}`);
    const capacity = db.store.table.capacity;
    expect(600 / capacity).toBeLessThan(0.2);
    const seen: string[] = [];
    let cursor = 0;
    let calls = 0;
    let emptyCalls = 0;
    do {
      const step = scanStep(db, cursor, 1);
      calls++;
      if (step.keys.length === 0) emptyCalls++;
      seen.push(...step.keys);
      cursor = step.next;
    } while (cursor !== 0 && calls < 100_000);
    expect(cursor).toBe(0);
    // COUNT 1 looks at 10 buckets at most: a call that returns nothing crossed 10 empty
    // buckets, so there are at most capacity / 10 of them.
    expect(emptyCalls).toBeGreaterThan(0);
    expect(emptyCalls).toBeLessThanOrEqual(Math.ceil(capacity / 10));
    expect(seen.length).toBe(600);
    expect(new Set(seen).size).toBe(600);
  });

  test('a shrink between two calls does not lose the place', () => {
    const { db } = setup();
    for (let i = 0; i < 5000; i++) db.set(`k${i}`, 'v');
    const first = scanStep(db, 0, 100);
    const capacity = db.store.table.capacity;
    // Delete 4000 keys not yet returned: the table shrinks (size < capacity / 8).
    const returned = new Set(first.keys);
    const kept = new Set(first.keys);
    let deleted = 0;
    for (let i = 0; i < 5000; i++) {
      const key = `k${i}`;
      if (deleted < 4000 && !returned.has(key)) {
        db.delete(key);
        deleted++;
      } else kept.add(key);
    }
    for (let i = 0; i < 1000; i++) db.maintain(); // the cron's rehash steps finish the shrink
    expect(db.store.table.capacity).toBeLessThan(capacity);
    const rest = [...first.keys];
    let cursor = first.next;
    while (cursor !== 0) {
      const step = scanStep(db, cursor, 100);
      rest.push(...step.keys);
      cursor = step.next;
    }
    expect(rest.length).toBe(1000);
    expect(rest.sort()).toEqual([...kept].sort());
  });

  test('deletes in random order across compactions leave exactly the live keys in the order', () => {
    // Removing a key finds its slot by the seq (interpolation search); a wrong slot would
    // tombstone another key, which SCAN would then miss, or leave this one visible.
    const { db } = setup();
    const live = new Set<string>();
    let next = 0;
    const next01 = rng(12345);
    const random = (n: number) => Math.floor(next01() * n);
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 3000; i++) {
        const key = `k${next++}`;
        db.set(key, 'v');
        live.add(key);
      }
      const keys = [...live];
      const deletions = Math.floor(keys.length * (round % 2 === 0 ? 0.8 : 0.3));
      for (let i = 0; i < deletions; i++) {
        const j = i + random(keys.length - i);
        [keys[i], keys[j]] = [keys[j]!, keys[i]!];
        expect(db.delete(keys[i]!)).toBe(true);
        live.delete(keys[i]!);
      }
      expect(db.size).toBe(live.size);
      expect([...db.entries(false)].length).toBe(live.size);
      expect(new Set(scanAll(db, 50))).toEqual(live);
    }
  });

  test('expired keys are not returned, and are reclaimed', () => {
    const { db, keyspace, clock } = setup();
    for (let i = 0; i < 50; i++) db.set(`k${i}`, 'v', i % 2 === 0 ? START + 10 : NO_DEADLINE);
    clock.set(START + 10); // no timer ran: only the scan sees them
    keyspace.tick();
    const keys = scanAll(db, 3);
    expect(keys.length).toBe(25);
    expect(keys.every((k) => Number(k.slice(1)) % 2 === 1)).toBe(true);
    expect(db.size).toBe(25);
    expect(keyspace.stats.expiredKeys).toBe(25);
  });

  test('random operations between calls keep the guarantees (model check)', () => {
    type Op = { kind: 'set' | 'del' | 'expire'; key: number } | { kind: 'time'; ms: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constantFrom('set' as const, 'del' as const, 'expire' as const), key: fc.integer({ min: 0, max: 60 }) }),
      fc.record({ kind: fc.constant('time' as const), ms: fc.integer({ min: 0, max: 20 }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.array(op, { maxLength: 6 }), { maxLength: 200 }),
        (initial, count, between) => {
          const { db, advance } = setup();
          for (let i = 0; i < initial; i++) db.set(`k${i}`, 'v');
          const atStart = new Set(Array.from({ length: initial }, (_, i) => `k${i}`));
          const disturbed = new Set<string>();
          const seen: string[] = [];
          let cursor = 0;
          let calls = 0;
          do {
            const step = scanStep(db, cursor, count);
            for (const k of step.keys) {
              expect(db.get(k), `returned ${k} is live`).toBeDefined();
              seen.push(k);
            }
            cursor = step.next;
            for (const o of between[calls % Math.max(1, between.length)] ?? []) {
              if (o.kind === 'time') {
                advance(o.ms);
                continue;
              }
              const key = `k${o.key}`;
              if (o.kind === 'set') {
                if (db.get(key) === undefined) disturbed.add(key);
                db.set(key, 'v');
              } else if (o.kind === 'del') {
                if (db.delete(key)) disturbed.add(key);
              } else {
                const e = db.get(key);
                if (e !== undefined) {
                  db.setDeadline(e, START + 1_000_000 + calls); // far enough: stays
                  if (calls % 3 === 0) {
                    db.setDeadline(e, 0); // already past: gone at the next look
                    disturbed.add(key);
                  }
                }
              }
            }
            calls++;
          } while (cursor !== 0 && calls < 100_000);
          expect(cursor).toBe(0);
          expect(new Set(seen).size).toBe(seen.length);
          for (const k of atStart) if (!disturbed.has(k)) expect(seen).toContain(k);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('randomEntry, clear, events', () => {
  test('randomEntry never returns an expired key; undefined when none is live', () => {
    const { db, keyspace, clock } = setup();
    expect(db.randomEntry()).toBeUndefined();
    for (let i = 0; i < 100; i++) db.set(`k${i}`, 'v', i === 42 ? NO_DEADLINE : START + 5);
    clock.set(START + 5);
    keyspace.tick();
    for (let i = 0; i < 20; i++) {
      const e = db.randomEntry();
      expect(e === undefined ? undefined : db.keyOf(e)).toBe('k42');
    }
    db.delete('k42');
    expect(db.randomEntry()).toBeUndefined();
  });

  test('randomEntry reaches every key', () => {
    const { db } = setup();
    for (let i = 0; i < 10; i++) db.set(`k${i}`, 'v');
    for (let i = 0; i < 5; i++) db.delete(`k${i * 2}`);
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) seen.add(db.keyOf(db.randomEntry()!));
    expect([...seen].sort()).toEqual(['k1', 'k3', 'k5', 'k7', 'k9']);
  });

  test('clear() cancels deadlines without expired events', () => {
    const { db, keyspace, advance, events, clock } = setup();
    for (let i = 0; i < 10; i++) db.set(`k${i}`, 'v', START + 100);
    events.length = 0;
    db.clear();
    expect(events).toEqual(['flushed 0']);
    expect(clock.pendingTimers()).toBe(0);
    advance(1000);
    expect(keyspace.stats.expiredKeys).toBe(0);
    expect(db.size).toBe(0);
    expect(db.expiresCount).toBe(0);
  });

  test('set() reports new keys once, changes always', () => {
    const { db, events } = setup();
    db.set('a', '1');
    db.set('a', '2');
    const e = db.get('a')!;
    db.replaceValue(e, '3');
    db.signalModified('a');
    db.deleteEntry(e);
    expect(events).toEqual(['new a', 'modified a', 'modified a', 'modified a', 'modified a', 'modified a']);
  });

  test('the wheel reclaims a thousand keys on time, and the second database independently', () => {
    const { keyspace, advance } = setup();
    const [db0, db1] = keyspace.dbs;
    for (let i = 0; i < 1000; i++) db0!.set(`k${i}`, 'v', START + 1 + (i % 100));
    db1!.set('other', 'v', START + 1000);
    advance(50);
    expect(db0!.size).toBe(500);
    advance(50);
    expect(db0!.size).toBe(0);
    expect(db1!.size).toBe(1);
    advance(900);
    expect(db1!.size).toBe(0);
    expect(keyspace.stats.expiredKeys).toBe(1001);
  });
});

import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { ManualClock } from '../../src/keyspace/clock.js';
import { Keyspace } from '../../src/keyspace/keyspace.js';
import { HashValue } from '../../src/keyspace/hash.js';
import { NO_DEADLINE } from '../../src/keyspace/database.js';

/**
 * KeyStore keeps an id's deadline, record ref, kind and access stamp in one 16-byte row
 * (kind in the top 8 bits of the access word, the stamp in the low 24). Against a model,
 * through growth of the rows (ids past 64, 128, 256 ...), reuse of freed ids, values that
 * change kind and size, deadlines set and cleared, and access stamps up to 24 bits: no
 * field ever shows another's bits.
 */

const START = 1_700_000_000_000;

type Model = { value: string | Record<string, string>; deadline: number; access: number };

const opArb = fc.oneof(
  fc.record({ op: fc.constant('string' as const), key: fc.nat(400), size: fc.nat(300) }),
  fc.record({ op: fc.constant('hash' as const), key: fc.nat(400), field: fc.string({ maxLength: 4 }) }),
  fc.record({ op: fc.constant('delete' as const), key: fc.nat(400) }),
  fc.record({ op: fc.constant('deadline' as const), key: fc.nat(400), at: fc.option(fc.integer({ min: 1, max: 2 ** 40 }), { nil: undefined }) }),
  fc.record({ op: fc.constant('access' as const), key: fc.nat(400), stamp: fc.oneof(fc.constant(0xffffff), fc.constant(0), fc.integer({ min: 0, max: 0xffffff })) }),
);

describe('KeyStore rows', () => {
  test('deadline, ref, kind and access of every id agree with a model (property)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 400 }), (ops) => {
        const db = new Keyspace(new ManualClock(START), 1).dbs[0]!;
        const model = new Map<string, Model>();
        for (const o of ops) {
          const key = `key:${o.key}`;
          const entry = db.peek(key);
          if (o.op === 'string') {
            const value = String.fromCharCode(97 + (o.key % 26)).repeat(o.size);
            const e = db.set(key, value);
            // set() replaces the value and clears the deadline, and stamps the access clock.
            model.set(key, { value, deadline: NO_DEADLINE, access: db.accessOf(e) });
          } else if (o.op === 'hash') {
            let e = entry;
            const m = model.get(key);
            if (e === undefined || m === undefined || typeof m.value === 'string') {
              const h = new HashValue();
              h.set(o.field, 'v');
              e = db.set(key, h);
              model.set(key, { value: { [o.field]: 'v' }, deadline: NO_DEADLINE, access: db.accessOf(e) });
            } else {
              db.setField(e, o.field, 'w');
              (m.value as Record<string, string>)[o.field] = 'w';
            }
          } else if (o.op === 'delete') {
            expect(db.delete(key)).toBe(model.delete(key));
          } else if (entry !== undefined) {
            const m = model.get(key)!;
            if (o.op === 'deadline') {
              const deadline = o.at === undefined ? NO_DEADLINE : START + o.at;
              db.setDeadline(entry, deadline);
              m.deadline = deadline;
            } else {
              db.setAccess(entry, o.stamp);
              m.access = o.stamp;
            }
          }
        }
        expect(db.size).toBe(model.size);
        for (const [key, m] of model) {
          const e = db.peek(key);
          expect(e, key).toBeDefined();
          expect(db.keyOf(e!)).toBe(key);
          expect(db.deadlineOf(e!), key).toBe(m.deadline);
          expect(db.accessOf(e!), key).toBe(m.access);
          if (typeof m.value === 'string') {
            expect(db.isString(e!), key).toBe(true);
            expect(db.valueOf(e!)).toBe(m.value);
          } else {
            expect(db.isString(e!), key).toBe(false);
            expect(db.typeOf(e!)).toBe('hash');
            expect(Object.fromEntries(db.objectOf<HashValue>(e!).entries())).toEqual(m.value);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  test('a full 24-bit access stamp leaves the kind alone, and the kind leaves the stamp', () => {
    const db = new Keyspace(new ManualClock(START), 1).dbs[0]!;
    const s = db.set('s', 'x');
    const h = new HashValue();
    h.set('f', 'v');
    const o = db.set('h', h);
    for (const e of [s, o]) db.setAccess(e, 0xffffff);
    expect(db.isString(s)).toBe(true);
    expect(db.isString(o)).toBe(false);
    expect(db.typeOf(o)).toBe('hash');
    // Bits above 24 are not a stamp's: they never reach the kind.
    db.setAccess(s, 0x7fffffff);
    expect(db.isString(s)).toBe(true);
    expect(db.accessOf(s)).toBe(0xffffff);
    // A value of the other kind keeps the stamp.
    db.replaceValue(s, h.copy());
    expect(db.isString(s)).toBe(false);
    expect(db.accessOf(s)).toBe(0xffffff);
  });

  test('the table slot follows a record that moves: a bigger value, compaction, then the freed space reused by other keys', () => {
    const db = new Keyspace(new ManualClock(START), 1).dbs[0]!;
    const store = db.store;
    // Enough records to fill several 1 MiB segments, then most of them deleted so that
    // compaction moves the rest out of their sparse segments.
    const value = 'v'.repeat(1000);
    for (let i = 0; i < 5000; i++) db.set(`key:${i}`, value);
    for (let i = 0; i < 5000; i++) if (i % 10 !== 0) db.delete(`key:${i}`);
    // A value of another size: a new record for the same key.
    for (let i = 0; i < 5000; i += 20) db.set(`key:${i}`, 'w'.repeat(1500));
    for (let round = 0; round < 50; round++) store.maintain();
    // New keys take the freed space, old refs now point into other keys' records.
    for (let i = 0; i < 5000; i++) db.set(`other:${i}`, 'x'.repeat(1000));
    for (let i = 0; i < 5000; i += 10) {
      const e = db.get(`key:${i}`);
      expect(e, `key:${i}`).toBeDefined();
      expect(db.valueOf(e!)).toBe(i % 20 === 0 ? 'w'.repeat(1500) : value);
    }
    for (let i = 0; i < 5000; i += 7) expect(db.get(`other:${i}`), `other:${i}`).toBeDefined();
  });

  test("the cron's compaction runs in slices of at most a millisecond, the rest after pending I/O, until its budget is used", () => {
    // A clock whose monotonic time moves 0.05 ms each time it is read: a slice asks it
    // every 32 records, so it stops after ~20 asks.
    class TickingClock extends ManualClock {
      override monotonic(): number {
        this.set(this.now() + 0.05);
        return this.now();
      }
    }
    const clock = new TickingClock(START);
    const keyspace = new Keyspace(clock, 1);
    const db = keyspace.dbs[0]!;
    const store = db.store;
    const value = 'v'.repeat(200);
    for (let i = 0; i < 40_000; i++) db.set(`key:${i}`, value);
    for (let i = 0; i < 40_000; i++) if (i % 3 !== 0) db.delete(`key:${i}`);
    const before = store.slab.segmentBytes;
    const pending = clock.pendingTimers();
    store.maintain();
    // One slice ran and stopped on time; the next waits as a deferred timer.
    expect(clock.pendingTimers()).toBe(pending + 1);
    let slices = 1;
    while (clock.pendingTimers() > pending && slices < 1000) {
      clock.advance(1);
      slices++;
    }
    // The deferred slices went on until the tick's budget was used: segments released.
    expect(clock.pendingTimers()).toBe(pending);
    expect(slices).toBeGreaterThan(2);
    expect(store.slab.segmentBytes).toBeLessThan(before);
    for (let i = 0; i < 40_000; i += 3) expect(db.valueOf(db.get(`key:${i}`)!), `key:${i}`).toBe(value);
    // close() drops a slice still due.
    store.maintain();
    expect(clock.pendingTimers()).toBe(pending + 1);
    store.close();
    expect(clock.pendingTimers()).toBeLessThanOrEqual(pending);
    keyspace.close();
  });

  test('the columns grow into a buffer made ahead, its pages written as the last ids are given; rows and wheel links survive', () => {
    const clock = new ManualClock(START);
    const keyspace = new Keyspace(clock, 1);
    const db = keyspace.dbs[0]!;
    const store = db.store;
    // 2^15 ids' columns grow into 2^16 (1.5 MiB, made ahead): the buffer is made when
    // 16,384 ids are left (from the first id after the grow to 2^15), and its pages for
    // the 2^15 copied ids (768 KiB) are written
    // a few per new id after that.
    const deadline = (i: number) => START + 1000 + (i % 5000);
    let grown = false;
    const key = (i: number) => `key:${i}`;
    let spare: ArrayBuffer | null = null;
    let heldBefore = 0;
    for (let i = 0; i < 70_000; i++) {
      // Every third key without a deadline, the rest on the wheel (its links are columns too).
      db.set(key(i), `v${i}`, i % 3 === 0 ? NO_DEADLINE : deadline(i));
      const given = store.idLimit;
      if (given === 16_384) expect(store.columnsAhead.buffer).toBeNull();
      if (given === 16_385) heldBefore = store.heldBytes;
      if (given === 16_386 && spare === null) {
        spare = store.columnsAhead.buffer;
        expect(spare?.byteLength).toBe(65_536 * 24);
        // Allocated, so counted in the keys' memory (used_memory) from now on.
        expect(store.heldBytes - heldBefore).toBeGreaterThanOrEqual(65_536 * 24);
        expect(store.columnsAhead.pagesLeft).toBeGreaterThan(0);
      }
      if (given === 32_768) {
        // The last id before the grow: every page it copies into has been written.
        expect(store.columnsAhead.buffer).toBe(spare);
        expect(store.columnsAhead.pagesLeft).toBe(0);
      }
      if (given === 32_769 && !grown) {
        expect(store.deadline.buffer).toBe(spare);
        grown = true;
      }
      // Some keys deleted on the way: their ids are reused from the free stack.
      if (i % 1000 === 999) db.delete(key(i - 500));
    }
    const live = (i: number) => !(i % 1000 === 499 && i + 500 < 70_000);
    let count = 0;
    let timed = 0;
    for (let i = 0; i < 70_000; i++) {
      const e = db.peek(key(i));
      expect(e !== undefined, key(i)).toBe(live(i));
      if (e === undefined) continue;
      count++;
      if (i % 3 !== 0) timed++;
      expect(db.valueOf(e)).toBe(`v${i}`);
      expect(db.deadlineOf(e)).toBe(i % 3 === 0 ? NO_DEADLINE : deadline(i));
    }
    expect(grown).toBe(true);
    expect(db.size).toBe(count);
    expect(store.wheel.size).toBe(timed);
    // The wheel still holds every deadline: all of them fire, the keys without one stay.
    clock.advance(7000);
    keyspace.tick();
    let kept = 0;
    for (let i = 0; i < 70_000; i++) if (live(i) && i % 3 === 0) kept++;
    expect(db.size).toBe(kept);
    keyspace.close();
  });
});

import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { ManualClock } from '../../src/keyspace/clock.js';
import { TimerWheel, UNSCHEDULED, type TimerColumns } from '../../src/keyspace/expiry/timer-wheel.js';
import { TimerIds } from '../../src/keyspace/expiry/timer-ids.js';

/**
 * The timer wheel over integer ids, driven directly (no registry in between): the owner
 * keeps the columns, hands ids out from a free list (an id that fired or was cancelled
 * is reused, last freed first), and replaces the columns with bigger copies at any
 * time, from inside fire() too. The old arrays are poisoned when replaced, so a wheel
 * that kept one would corrupt its lists and the model comparison would fail.
 */

const G = (level: number): number => 64 ** level;
const START = 1_700_000_000_123;

/** Columns an owner replaces by bigger copies; ids from a LIFO free list. */
class Owner implements TimerColumns {
  deadline: Float64Array;
  prev: Int32Array;
  next: Int32Array;
  private free: number[] = [];
  private used = 0;
  grown = 0;

  constructor(capacity: number) {
    this.deadline = new Float64Array(capacity);
    this.prev = new Int32Array(capacity).fill(UNSCHEDULED);
    this.next = new Int32Array(capacity).fill(UNSCHEDULED);
  }

  acquire(): number {
    const id = this.free.length > 0 ? this.free.pop()! : this.used++;
    if (id >= this.deadline.length) this.grow(this.deadline.length * 2);
    return id;
  }

  release(id: number): void {
    this.free.push(id);
  }

  /** New arrays of `capacity` (at least the current one) holding what the old ones held; the old ones poisoned. */
  grow(capacity: number): void {
    const deadline = new Float64Array(capacity);
    deadline.set(this.deadline);
    const prev = new Int32Array(capacity).fill(UNSCHEDULED);
    prev.set(this.prev);
    const next = new Int32Array(capacity).fill(UNSCHEDULED);
    next.set(this.next);
    // Stale reads would see every node due at 0 and linked to id 0.
    this.deadline.fill(0);
    this.prev.fill(0);
    this.next.fill(0);
    this.deadline = deadline;
    this.prev = prev;
    this.next = next;
    this.grown++;
  }
}

/** A ManualClock whose monotonic time moves 1 ms at each read: batches stop after a node or two. */
class BusyClock extends ManualClock {
  private mono = 0;
  override monotonic(): number {
    return ++this.mono;
  }
}

type Op =
  | { kind: 'new'; delta: number }
  | { kind: 'reschedule'; pick: number; delta: number }
  | { kind: 'cancel'; pick: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'runDue'; back: number }
  | { kind: 'grow'; extra: number };

const delta = fc.oneof(
  fc.integer({ min: -100, max: 100 }),
  fc.integer({ min: 0, max: 5000 }),
  fc.integer({ min: 0, max: G(4) }),
  fc.integer({ min: 0, max: G(6) }),
  fc.integer({ min: 0, max: 2 ** 50 }),
);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('new' as const), delta }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reschedule' as const), pick: fc.nat(), delta }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.oneof(fc.integer({ min: 0, max: 70 }), fc.integer({ min: 0, max: G(3) }), fc.integer({ min: 0, max: G(5) }), fc.integer({ min: 0, max: 2 ** 49 })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('runDue' as const), back: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('grow' as const), extra: fc.integer({ min: 0, max: 40 }) }) },
);

describe('TimerWheel over ids, against a model', () => {
  test('fires by time t exactly the ids whose deadline is <= t, each once, at its time, none cancelled; ids reused, columns replaced', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 45 }),
        fc.array(op, { maxLength: 100 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 3 }),
        (start, ops, tinyBatches, refire) => {
          const clock = tinyBatches ? new BusyClock(start) : new ManualClock(start);
          const owner = new Owner(2);
          /**
           * The model. A timer is a serial number (an id is reused, a serial never):
           * serial -> [id, time it must fire: its deadline, or when it was scheduled if
           * that is later]. serialOf: id -> the serial it holds now.
           */
          const live = new Map<number, { id: number; at: number }>();
          const serialOf = new Map<number, number>();
          let serials = 0;
          let firedCount = 0;
          let inCallback = 0;
          const add = (id: number, deadline: number) => {
            const serial = serials++;
            serialOf.set(id, serial);
            live.set(serial, { id, at: Math.max(deadline, clock.now()) });
          };
          const wheel: TimerWheel = new TimerWheel(
            clock,
            (id) => {
              // Fired: held, not cancelled, due, on time, once (it leaves the model).
              const serial = serialOf.get(id);
              expect(serial, `id ${id} fired but holds no timer`).toBeDefined();
              const timer = live.get(serial!)!;
              expect(timer, `timer ${serial} fired twice or after a cancel`).toBeDefined();
              expect(clock.now()).toBe(timer.at);
              expect(wheel.isScheduled(id)).toBe(false);
              live.delete(serial!);
              serialOf.delete(id);
              owner.release(id);
              firedCount++;
              // Some callbacks schedule a new timer: it takes the id just freed (LIFO),
              // and sometimes the columns are replaced first.
              if (refire > 0 && firedCount % refire === 0 && inCallback++ < 200) {
                if (firedCount % 2 === 0) owner.grow(owner.deadline.length + 3);
                const next = owner.acquire();
                owner.deadline[next] = clock.now() + (firedCount % 7) * 13;
                add(next, owner.deadline[next]!);
                wheel.schedule(next);
              }
            },
            owner,
            tinyBatches ? { budgetMs: 2, checkEvery: 1 } : undefined,
          );
          const held = () => [...serialOf.keys()];
          for (const o of ops) {
            if (o.kind === 'new') {
              const id = owner.acquire();
              owner.deadline[id] = clock.now() + o.delta;
              add(id, owner.deadline[id]!);
              wheel.schedule(id);
            } else if (o.kind === 'reschedule' || o.kind === 'cancel') {
              const ids = held();
              if (ids.length === 0) continue;
              const id = ids[o.pick % ids.length]!;
              live.delete(serialOf.get(id)!);
              serialOf.delete(id);
              if (o.kind === 'cancel') {
                wheel.cancel(id);
                expect(wheel.isScheduled(id)).toBe(false);
                owner.release(id);
              } else {
                owner.deadline[id] = clock.now() + o.delta;
                add(id, owner.deadline[id]!);
                wheel.schedule(id);
              }
            } else if (o.kind === 'grow') {
              owner.grow(owner.deadline.length + o.extra);
            } else if (o.kind === 'runDue') {
              // Fires some of what is due by now, at now (checked in the callback).
              wheel.runDue(clock.now() - o.back);
            } else {
              const target = clock.now() + o.ms;
              clock.advanceTo(target);
              // Everything due by the time has fired; nothing else has.
              for (const timer of live.values()) expect(timer.at).toBeGreaterThan(target);
            }
            expect(wheel.size).toBe(live.size);
            for (const { id } of live.values()) expect(wheel.isScheduled(id)).toBe(true);
            expect(wheel.countDueBy(clock.now() + 1000)).toBe([...live.values()].filter((t) => owner.deadline[t.id]! <= clock.now() + 1000).length);
          }
          // Whatever is left fires at its time (callbacks add timers, at most 200 in all),
          // and then nothing is armed.
          for (let round = 0; round < 300 && live.size > 0; round++) {
            clock.advanceTo(Math.max(clock.now(), ...[...live.values()].map((t) => t.at)));
          }
          expect(live.size).toBe(0);
          expect(wheel.size).toBe(0);
          expect(clock.pendingTimers()).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('TimerWheel over ids: edge cases', () => {
  test('an id rescheduled from inside its own fire() callback, with the columns replaced there', () => {
    const clock = new ManualClock(START);
    const owner = new Owner(1);
    const fired: [number, number][] = [];
    const wheel: TimerWheel = new TimerWheel(
      clock,
      (id) => {
        fired.push([id, clock.now()]);
        if (fired.length < 4) {
          owner.grow(owner.deadline.length * 2);
          owner.deadline[id] = clock.now() + 100;
          wheel.schedule(id);
        }
      },
      owner,
    );
    const id = owner.acquire();
    owner.deadline[id] = START + 10;
    wheel.schedule(id);
    clock.advance(1000);
    expect(fired).toEqual([
      [0, START + 10],
      [0, START + 110],
      [0, START + 210],
      [0, START + 310],
    ]);
    expect(owner.grown).toBe(3);
    expect(clock.pendingTimers()).toBe(0);
  });

  test('clear() leaves every id it held UNSCHEDULED, and ids not scheduled untouched', () => {
    const clock = new ManualClock(START);
    const owner = new Owner(8);
    const wheel = new TimerWheel(clock, () => {}, owner);
    const deadlines = [START - 5, START + 1, START + 5000, START + G(4), START + 2 ** 50];
    for (let id = 0; id < deadlines.length; id++) {
      owner.deadline[id] = deadlines[id]!;
      wheel.schedule(id);
    }
    wheel.clear();
    for (let id = 0; id < 8; id++) {
      expect(owner.prev[id]).toBe(UNSCHEDULED);
      expect(owner.next[id]).toBe(UNSCHEDULED);
    }
    expect(wheel.size).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  test('cancel and isScheduled of an id never scheduled', () => {
    const clock = new ManualClock(START);
    const owner = new Owner(4);
    const wheel = new TimerWheel(clock, () => {}, owner);
    expect(wheel.isScheduled(3)).toBe(false);
    wheel.cancel(3);
    expect(wheel.size).toBe(0);
  });
});

/** A wheel over a TimerIds whose fire() records the owner and releases the id. */
function firingWheel(): { clock: ManualClock; ids: TimerIds<number>; fired: number[]; wheel: TimerWheel } {
  const clock = new ManualClock(START);
  const ids = new TimerIds<number>();
  const fired: number[] = [];
  const wheel = new TimerWheel(clock, (id) => {
    fired.push(ids.owner(id));
    ids.release(id);
  }, ids);
  return { clock, ids, fired, wheel };
}

describe('TimerIds', () => {
  test('acquire reuses released ids last first, grows by doubling keeping what the columns hold', () => {
    const ids = new TimerIds<string>();
    const got: number[] = [];
    for (let i = 0; i < 40; i++) {
      const id = ids.acquire(`o${i}`);
      ids.deadline[id] = 1000 + i;
      ids.prev[id] = i; // as the wheel would link it
      got.push(id);
    }
    expect(got).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(ids.capacity).toBe(64);
    for (let i = 0; i < 40; i++) {
      expect(ids.deadline[i]).toBe(1000 + i);
      expect(ids.prev[i]).toBe(i);
      expect(ids.owner(i)).toBe(`o${i}`);
    }
    ids.release(7);
    ids.release(30);
    expect(ids.size).toBe(38);
    expect(ids.acquire('x')).toBe(30);
    expect(ids.acquire('y')).toBe(7);
    // An id given out for the first time is not scheduled (its links are set then, not when the columns grew).
    expect(ids.acquire('z')).toBe(40);
    expect(ids.prev[40]).toBe(UNSCHEDULED);
    expect(ids.next[40]).toBe(UNSCHEDULED);
    expect(ids.owner(7)).toBe('y');
    ids.reset();
    expect(ids.size).toBe(0);
    expect(ids.capacity).toBe(16);
    expect(ids.acquire('a')).toBe(0);
  });

  test('owners across their pages of 4,096: acquired, released, reused and found again past several pages', () => {
    const ids = new TimerIds<string>();
    const model: (string | null)[] = [];
    for (let i = 0; i < 10_000; i++) model[ids.acquire(`o${i}`)] = `o${i}`;
    // Released across page boundaries, reused last first.
    for (const id of [4095, 4096, 8191, 8192, 0, 9999]) {
      ids.release(id);
      model[id] = null;
    }
    for (const id of [9999, 0, 8192, 8191, 4096, 4095]) {
      expect(ids.acquire(`r${id}`)).toBe(id);
      model[id] = `r${id}`;
    }
    for (let i = 10_000; i < 12_289; i++) model[ids.acquire(`o${i}`)] = `o${i}`;
    expect(ids.size).toBe(12_289);
    for (let id = 0; id < model.length; id++) expect(ids.owner(id)).toBe(model[id]);
    ids.reset();
    expect(ids.acquire('a')).toBe(0);
    expect(ids.owner(0)).toBe('a');
  });

  test('a wheel over a TimerIds whose columns grow while timers are scheduled', () => {
    const { clock, ids, fired, wheel } = firingWheel();
    for (let i = 0; i < 1000; i++) {
      const id = ids.acquire(i);
      ids.deadline[id] = START + 1 + ((i * 7919) % 5000);
      wheel.schedule(id);
    }
    expect(ids.capacity).toBe(1024);
    clock.advance(5000);
    expect(fired.length).toBe(1000);
    expect(new Set(fired).size).toBe(1000);
    expect(ids.size).toBe(0);
  });

  test('columns grow into a buffer made ahead, its pages written as the last ids are given, while timers are scheduled', () => {
    const { clock, ids, fired, wheel } = firingWheel();
    // 2^15 ids' columns (20 bytes an id) grow into 2^16 (1.25 MiB, made ahead from id 16,384 on).
    let ahead: ArrayBuffer | null = null;
    const n = 70_000;
    for (let i = 0; i < n; i++) {
      const id = ids.acquire(i);
      expect(id).toBe(i);
      expect(ids.prev[id]).toBe(UNSCHEDULED);
      ids.deadline[id] = START + 1 + ((i * 7919) % 5000);
      wheel.schedule(id);
      if (i === 16_000) expect(ids.columnsAhead.buffer).toBeNull();
      if (i === 16_385) {
        ahead = ids.columnsAhead.buffer;
        expect(ahead?.byteLength).toBe(65_536 * 20);
      }
      if (i === 32_767) {
        expect(ids.columnsAhead.buffer).toBe(ahead);
        expect(ids.columnsAhead.pagesLeft).toBe(0);
      }
      if (i === 32_768) expect(ids.deadline.buffer).toBe(ahead);
    }
    expect(ids.capacity).toBe(131_072);
    expect(wheel.size).toBe(n);
    clock.advance(5000);
    expect(fired.length).toBe(n);
    expect(new Set(fired).size).toBe(n);
    expect(ids.size).toBe(0);
  });
});

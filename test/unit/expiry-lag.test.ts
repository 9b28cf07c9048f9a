import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { ManualClock } from '../../src/keyspace/clock.js';
import { Keyspace } from '../../src/keyspace/keyspace.js';
import { deadlineFor } from '../../src/keyspace/database.js';
import { LagWindow, bucketOf, upperBoundOf } from '../../src/keyspace/expiry/lag-window.js';
import { Node, NodeWheel } from '../helpers/timer-node.js';
import { createServer } from '../../src/server/server.js';
import { infoText } from '../../src/commands/info-sections.js';

/**
 * The expiry lag statistics of INFO stats: LagWindow (percentiles over the last minute),
 * TimerWheel.countDueBy (nodes past their deadline not fired yet), and both wired
 * through the Keyspace, all on a ManualClock.
 */

const START = 1_700_000_000_123;

/** A ManualClock whose monotonic time moves by `step` ms at each read, so wheel batches run out of budget. */
class BusyClock extends ManualClock {
  private mono = 0;
  constructor(
    start: number,
    private readonly step: number,
  ) {
    super(start);
  }
  override monotonic(): number {
    return (this.mono += this.step);
  }
}

describe('LagWindow', () => {
  test('lags below 64 ms are exact; percentiles by nearest rank', () => {
    const w = new LagWindow();
    for (let lag = 1; lag <= 50; lag++) w.record(lag, START);
    expect(w.summary(START)).toEqual({ samples: 50, p50: 25, p99: 50, max: 50 });
    w.record(0, START);
    w.record(-3, START); // a clock step back counts as on time
    expect(w.summary(START)).toEqual({ samples: 52, p50: 24, p99: 50, max: 50 });
  });

  test('no samples: zeros', () => {
    expect(new LagWindow().summary(START)).toEqual({ samples: 0, p50: 0, p99: 0, max: 0 });
  });

  test('p99 sees the slow 1%', () => {
    const w = new LagWindow();
    for (let i = 0; i < 990; i++) w.record(1, START);
    for (let i = 0; i < 10; i++) w.record(40, START);
    expect(w.summary(START)).toMatchObject({ p50: 1, p99: 1, max: 40 });
    w.record(40, START);
    expect(w.summary(START)).toMatchObject({ samples: 1001, p50: 1, p99: 40, max: 40 });
  });

  test('large lags: within 1/32 above the true value, never above the maximum', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 31 }), { minLength: 1, maxLength: 200 }), (lags) => {
        const w = new LagWindow();
        for (const lag of lags) w.record(lag, START);
        const sorted = [...lags].sort((a, b) => a - b);
        const exact = (p: number) => sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1]!;
        const s = w.summary(START);
        expect(s.max).toBe(sorted[sorted.length - 1]);
        for (const [got, want] of [[s.p50, exact(0.5)], [s.p99, exact(0.99)]] as const) {
          expect(got).toBeGreaterThanOrEqual(want);
          expect(got).toBeLessThanOrEqual(Math.max(want, Math.floor(want * (1 + 1 / 32))));
          expect(got).toBeLessThanOrEqual(s.max);
        }
      }),
    );
  });

  test('buckets: every value falls in the bucket whose range holds it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (v) => {
        const b = bucketOf(v);
        expect(upperBoundOf(b)).toBeGreaterThanOrEqual(v);
        if (b > 0) expect(upperBoundOf(b - 1)).toBeLessThan(v);
      }),
    );
    expect(bucketOf(2 ** 40)).toBe(bucketOf(2 ** 32 - 1));
  });

  test('samples leave the window after a minute, 5 s at a time', () => {
    const w = new LagWindow();
    const t0 = 1_700_000_000_000; // on a 5 s boundary
    w.record(30, t0);
    w.record(10, t0 + 30_000);
    expect(w.summary(t0 + 59_999)).toEqual({ samples: 2, p50: 10, p99: 30, max: 30 });
    // The slice of t0 leaves when the slice 60 s later starts.
    expect(w.summary(t0 + 60_000)).toEqual({ samples: 1, p50: 10, p99: 10, max: 10 });
    expect(w.summary(t0 + 89_999)).toMatchObject({ samples: 1 });
    expect(w.summary(t0 + 90_000)).toEqual({ samples: 0, p50: 0, p99: 0, max: 0 });
    // A long silence clears everything at once.
    w.record(7, t0 + 100_000);
    expect(w.summary(t0 + 10_000_000)).toMatchObject({ samples: 0 });
  });

  test('the clock going back records into the current slice', () => {
    const w = new LagWindow();
    w.record(5, START);
    w.record(6, START - 3_600_000);
    expect(w.summary(START)).toMatchObject({ samples: 2, max: 6 });
  });

  test('reset forgets every sample', () => {
    const w = new LagWindow();
    w.record(5, START);
    w.reset();
    expect(w.summary(START)).toMatchObject({ samples: 0, max: 0 });
  });
});

describe('TimerWheel.countDueBy', () => {
  test('counts exactly the scheduled nodes whose deadline has passed, fired or not', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 300_000 }), { minLength: 1, maxLength: 300 }),
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: 100_000 }), fc.constantFrom('run', 'stall', 'batch'), fc.integer({ min: 0, max: 100_000 })),
          { maxLength: 12 },
        ),
        fc.integer({ min: 0, max: 3 }),
        (offsets, steps, busy) => {
          // busy > 0: each clock read costs `busy` ms of budget, so batches stop early and
          // nodes wait in the due and cascade lists.
          const clock = busy > 0 ? new BusyClock(START, busy) : new ManualClock(START);
          const live = new Set<Node>();
          const wheel = new NodeWheel(clock, (n) => live.delete(n), { budgetMs: 2, checkEvery: 4 });
          for (const off of offsets) {
            const n = new Node(0, START + 1 + off);
            live.add(n);
            wheel.schedule(n);
          }
          const check = () => {
            const now = clock.now();
            let expected = 0;
            for (const n of live) if (n.deadline <= now) expected++;
            expect(wheel.countDueBy(now)).toBe(expected);
            // Asked about a later time, it counts what will be due by then.
            let later = 0;
            for (const n of live) if (n.deadline <= now + 5000) later++;
            expect(wheel.countDueBy(now + 5000)).toBe(later);
          };
          check();
          for (const [ms, how, cancelAt] of steps) {
            // Time passes and the timers run; or the clock jumps without the wheel's timer
            // running (the event loop is busy); or it jumps and the wheel runs one batch,
            // leaving the rest in its due and cascade lists when the budget runs out.
            if (how === 'run') {
              clock.advance(ms);
            } else {
              clock.set(clock.now() + ms);
              if (how === 'batch') wheel.advance();
            }
            check();
            const victim = [...live].find((n) => n.deadline >= START + cancelAt);
            if (victim) {
              wheel.cancel(victim);
              live.delete(victim);
            }
            check();
          }
          wheel.close();
        },
      ),
      { numRuns: 200 },
    );
  });

  test('nodes beyond the range of the wheel (the overflow list) count once the clock passes them', () => {
    const range = 2 ** 48;
    const clock = new ManualClock(range - 1000);
    const wheel = new NodeWheel(clock, () => {});
    wheel.schedule(new Node(0, range + 10));
    wheel.schedule(new Node(0, range + 30));
    clock.set(range + 20);
    expect(wheel.countDueBy(clock.now())).toBe(1);
    expect(wheel.countDueBy(range + 30)).toBe(2);
    clock.advance(0);
    expect(wheel.countDueBy(clock.now())).toBe(0);
    wheel.close();
  });

  test('nothing is past its deadline when the wheel is on time', () => {
    const clock = new ManualClock(START);
    const wheel = new NodeWheel(clock, () => {});
    for (let i = 1; i <= 1000; i++) wheel.schedule(new Node(0, START + i * 7));
    for (let t = 0; t < 8000; t += 333) {
      clock.advance(333);
      expect(wheel.countDueBy(clock.now())).toBe(0);
    }
  });
});

describe('expiry lag through the keyspace', () => {
  function setup(clock: ManualClock = new ManualClock(START)) {
    const keyspace = new Keyspace(clock, 2);
    return { clock, keyspace, db: keyspace.dbs[0]! };
  }

  test('keys reclaimed by the wheel at their deadline have a lag of 0', () => {
    const { clock, keyspace, db } = setup();
    for (let i = 0; i < 100; i++) db.set(`k${i}`, 'v', deadlineFor(START + 10 + i));
    clock.advance(200);
    expect(db.size).toBe(0);
    expect(keyspace.expiryLag.summary(clock.now())).toEqual({ samples: 100, p50: 0, p99: 0, max: 0 });
    expect(keyspace.pastDeadlineCount()).toBe(0);
  });

  test('a stalled event loop: keys past their deadline are counted, then reclaimed late by that much', () => {
    const { clock, keyspace, db } = setup();
    const other = keyspace.dbs[1]!;
    for (let i = 0; i < 10; i++) db.set(`a${i}`, 'v', START + 100); // deadline START+100
    for (let i = 0; i < 5; i++) other.set(`b${i}`, 'v', START + 150);
    db.set('later', 'v', START + 10_000);
    db.set('forever', 'v');
    clock.set(START + 99); // time passes, the wheel's timer does not run
    expect(keyspace.pastDeadlineCount()).toBe(0);
    clock.set(START + 120);
    expect(keyspace.pastDeadlineCount()).toBe(10);
    clock.set(START + 160);
    expect(keyspace.pastDeadlineCount()).toBe(15);
    clock.advance(0); // the timers run now, 60 and 10 ms late
    expect(keyspace.pastDeadlineCount()).toBe(0);
    expect(db.size).toBe(2);
    expect(other.size).toBe(0);
    expect(keyspace.expiryLag.summary(clock.now())).toEqual({ samples: 15, p50: 60, p99: 60, max: 60 });
  });

  test('a key expired lazily by a command counts with the command time', () => {
    const { clock, keyspace, db } = setup();
    db.set('k', 'v', START + 50);
    clock.set(START + 80);
    keyspace.tick();
    expect(keyspace.pastDeadlineCount()).toBe(1);
    expect(db.get('k')).toBeUndefined();
    expect(keyspace.pastDeadlineCount()).toBe(0);
    expect(keyspace.expiryLag.summary(clock.now())).toEqual({ samples: 1, p50: 30, p99: 30, max: 30 });
  });

  test('batches that run out of budget leave keys past their deadline, counted until fired', () => {
    const clock = new BusyClock(START, 1);
    const keyspace = new Keyspace(clock, 1);
    const db = keyspace.dbs[0]!;
    for (let i = 0; i < 1000; i++) db.set(`k${i}`, 'v', START + 10);
    clock.set(START + 10);
    // Each batch spends its budget (2 ms) after a few checks; the rest waits, in the
    // cascade or due list, and is counted until fired.
    let batches = 0;
    while (!db.reclaimExpired(START + 10)) {
      batches++;
      expect(keyspace.pastDeadlineCount(START + 10)).toBe(db.size);
    }
    expect(batches).toBeGreaterThan(2);
    expect(db.size).toBe(0);
    expect(keyspace.pastDeadlineCount(START + 10)).toBe(0);
  });
});

describe('INFO stats', () => {
  test('shows the lag fields, and CONFIG RESETSTAT clears the window', () => {
    const clock = new ManualClock(START);
    const server = createServer({ clock });
    const db = server.keyspace.dbs[0]!;
    const field = (name: string) => new RegExp(`\r\n${name}:(\\d+)\r\n`).exec(infoText(server, ['stats']))![1];
    for (let i = 0; i < 99; i++) db.set(`k${i}`, 'v', START + 20);
    db.set('slow', 'v', START + 30);
    db.set('pending', 'v', START + 40);
    clock.advance(20); // 99 keys on time
    clock.set(START + 45); // then a 15 ms stall: 'slow' and 'pending' wait past their deadline
    expect(field('expired_keys_past_deadline')).toBe('2');
    clock.advance(0);
    expect(field('expired_keys_past_deadline')).toBe('0');
    expect(field('expired_reclaim_lag_samples')).toBe('101');
    expect(field('expired_reclaim_lag_p50_ms')).toBe('0');
    expect(field('expired_reclaim_lag_p99_ms')).toBe('5');
    expect(field('expired_reclaim_lag_max_ms')).toBe('15');
    server.resetStats();
    expect(field('expired_reclaim_lag_samples')).toBe('0');
    expect(field('expired_reclaim_lag_max_ms')).toBe('0');
    void server.close();
  });
});

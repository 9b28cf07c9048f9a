import { describe, expect, test } from 'vitest';
import { Node, NodeWheel } from '../helpers/timer-node.js';
import fc from 'fast-check';
import { ManualClock, type TimerHandle } from '../../src/keyspace/clock.js';

/** 64^level: the granularity of each wheel level. */
const G = (level: number): number => 64 ** level;
const RANGE = 2 ** 48;
const MAX_TIMEOUT = 2 ** 31 - 1;

/** A start time that is on no slot boundary, so boundaries are crossed at odd offsets. */
const START = 1_700_000_000_123;

/** Records when (clock time) each node fired. */
function makeWheel(clock: ManualClock, options?: { budgetMs?: number; checkEvery?: number }) {
  const fired: { id: number; at: number }[] = [];
  const wheel = new NodeWheel(clock, (n) => fired.push({ id: n.id, at: clock.now() }), options);
  return { wheel, fired };
}

/** A ManualClock that clamps delays as setTimeout does (signed 32-bit ms). */
class ClampingClock extends ManualClock {
  timersArmed = 0;
  override setTimer(fn: () => void, delayMs: number): TimerHandle {
    this.timersArmed++;
    return super.setTimer(fn, Math.min(delayMs, MAX_TIMEOUT));
  }
}

/**
 * A ManualClock whose monotonic time is its wall time plus `step` ms for every read so
 * far (work takes time, and so does waiting), and which calls afterRun after each timer.
 */
class WorkClock extends ManualClock {
  private work = 0;
  afterRun: () => void = () => {};
  constructor(private readonly step: number) {
    super(START);
  }
  override monotonic(): number {
    return this.now() + (this.work += this.step);
  }
  override wallAt(monotonic: number): number {
    return monotonic - this.work;
  }
  override setTimer(fn: () => void, delayMs: number): TimerHandle {
    return super.setTimer(() => {
      fn();
      this.afterRun();
    }, delayMs);
  }
}

/** A ManualClock whose monotonic time moves on by `step` ms at every read, and which counts timer runs. */
class BusyClock extends ManualClock {
  private mono = 0;
  runs = 0;
  constructor(private readonly step: number) {
    super(START);
  }
  override monotonic(): number {
    return (this.mono += this.step);
  }
  override setTimer(fn: () => void, delayMs: number): TimerHandle {
    return super.setTimer(() => {
      this.runs++;
      fn();
    }, delayMs);
  }
}

describe('schedule, cancel, reschedule', () => {
  test('a node fires at its deadline, not a millisecond earlier or later', () => {
    const clock = new ManualClock(START);
    const { wheel, fired } = makeWheel(clock);
    wheel.schedule(new Node(1, START + 100));
    expect(wheel.size).toBe(1);
    clock.advance(99);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([{ id: 1, at: START + 100 }]);
    expect(wheel.size).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  test('cancel before the deadline: never fires, no timer left', () => {
    const clock = new ManualClock(START);
    const { wheel, fired } = makeWheel(clock);
    const a = new Node(1, START + 50);
    const b = new Node(2, START + 5000);
    wheel.schedule(a);
    wheel.schedule(b);
    wheel.cancel(a);
    wheel.cancel(a); // a no-op
    expect(wheel.isScheduled(a)).toBe(false);
    expect(wheel.isScheduled(b)).toBe(true);
    expect(wheel.size).toBe(1);
    wheel.cancel(b);
    expect(wheel.size).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(10_000);
    expect(fired).toEqual([]);
  });

  test('reschedule earlier and later fires once, at the last deadline', () => {
    const clock = new ManualClock(START);
    const { wheel, fired } = makeWheel(clock);
    const n = new Node(1, START + 100_000);
    wheel.schedule(n);
    n.deadline = START + 10;
    wheel.schedule(n);
    n.deadline = START + 300;
    wheel.schedule(n);
    expect(wheel.size).toBe(1);
    clock.advance(299);
    expect(fired).toEqual([]);
    clock.advance(100_000);
    expect(fired).toEqual([{ id: 1, at: START + 300 }]);
  });

  test('a node can be scheduled again after it fired, and from inside a callback', () => {
    const clock = new ManualClock(START);
    const fired: number[] = [];
    const n = new Node(1, START + 10);
    const wheel: NodeWheel = new NodeWheel(clock, (node) => {
      fired.push(clock.now());
      if (fired.length < 3) {
        node.deadline = clock.now() + 1000;
        wheel.schedule(node);
      }
    });
    wheel.schedule(n);
    clock.advance(5000);
    expect(fired).toEqual([START + 10, START + 1010, START + 2010]);
    expect(clock.pendingTimers()).toBe(0);
  });

  test('a deadline in the past or now fires at once', () => {
    const clock = new ManualClock(START);
    const { wheel, fired } = makeWheel(clock);
    clock.advance(10_000); // the wheel has not looked at the clock since
    wheel.schedule(new Node(1, START - 1_000_000));
    wheel.schedule(new Node(2, clock.now()));
    wheel.schedule(new Node(3, START + 5000)); // past for the clock, future for the wheel
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(0);
    expect(fired.map((f) => f.id).sort()).toEqual([1, 2, 3]);
    expect(fired.every((f) => f.at === START + 10_000)).toBe(true);
  });

  test('clear() drops every node without firing; nothing stays armed', () => {
    const clock = new ManualClock(START);
    const { wheel, fired } = makeWheel(clock);
    const nodes = [1, 100, 5000, 300_000, 2 ** 40, 2 ** 50].map((d, i) => new Node(i, START + d));
    for (const n of nodes) wheel.schedule(n);
    wheel.schedule(new Node(99, START - 5)); // due, not yet fired
    wheel.clear();
    expect(wheel.size).toBe(0);
    expect(nodes.every((n) => !wheel.isScheduled(n))).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(2 ** 51);
    expect(fired).toEqual([]);
    // The wheel still works afterwards.
    wheel.schedule(nodes[2]!);
    nodes[2]!.deadline = clock.now() + 7;
    wheel.schedule(nodes[2]!);
    clock.advance(7);
    expect(fired).toEqual([{ id: 2, at: clock.now() }]);
  });

  test('close() stops the timer', () => {
    const clock = new ManualClock(START);
    const { wheel, fired } = makeWheel(clock);
    wheel.schedule(new Node(1, START + 10));
    wheel.close();
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(100);
    expect(fired).toEqual([]);
  });
});

describe('no timer armed when there is nothing to do', () => {
  test('a new wheel, an emptied wheel, a wheel whose last node was cancelled', () => {
    const clock = new ManualClock(START);
    const { wheel } = makeWheel(clock);
    expect(clock.pendingTimers()).toBe(0);
    const n = new Node(1, START + 10);
    wheel.schedule(n);
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(10);
    expect(clock.pendingTimers()).toBe(0);
    for (const d of [5, 5000, 2 ** 30, RANGE + 5, 3 * RANGE]) {
      n.deadline = clock.now() + d;
      wheel.schedule(n);
      expect(clock.pendingTimers()).toBe(1);
      wheel.cancel(n);
      expect(clock.pendingTimers()).toBe(0);
    }
  });

  test('one timer at a time, however many nodes', () => {
    const clock = new ManualClock(START);
    const { wheel } = makeWheel(clock);
    for (let i = 0; i < 1000; i++) wheel.schedule(new Node(i, START + 1 + ((i * 7919) % 100_000)));
    expect(clock.pendingTimers()).toBe(1);
  });

  test('empty ticks cost nothing: a timer runs only for occupied slots', () => {
    const clock = new ClampingClock(START);
    const { wheel, fired } = makeWheel(clock);
    wheel.schedule(new Node(1, START + 1_000_000));
    const before = clock.timersArmed;
    clock.advance(1_000_000);
    expect(fired.length).toBe(1);
    // Cascades from level 3 to 0: a handful of timers, not a million.
    expect(clock.timersArmed - before).toBeLessThanOrEqual(8);
  });
});

describe('cascading across level boundaries', () => {
  // For every level, deadlines just before, at and after its slot and span boundaries,
  // seen from a start time that is not aligned to anything.
  const offsets: number[] = [];
  for (let level = 0; level <= 8; level++) {
    for (const d of [G(level) - 1, G(level), G(level) + 1, 2 * G(level), 63 * G(level), 64 * G(level) - 1]) {
      if (d > 0) offsets.push(d);
    }
  }
  test('every boundary deadline fires at the exact millisecond', () => {
    for (const start of [START, 0, G(4) - 1, G(6) + 17]) {
      const clock = new ManualClock(start);
      const { wheel, fired } = makeWheel(clock);
      // Deadlines relative to now, and absolute ones on boundaries of the time itself.
      const deadlines = new Set<number>();
      for (const d of offsets) deadlines.add(start + d);
      for (let level = 1; level <= 8; level++) {
        const next = (Math.floor(start / G(level)) + 1) * G(level);
        for (const delta of [-1, 0, 1]) if (next + delta > start) deadlines.add(next + delta);
      }
      const sorted = [...deadlines].sort((a, b) => a - b);
      sorted.forEach((d, i) => wheel.schedule(new Node(i, d)));
      clock.advanceTo(sorted[sorted.length - 1]! + 1);
      expect(fired.map((f) => f.at)).toEqual(sorted);
      expect(fired.map((f) => f.id)).toEqual(sorted.map((_, i) => i));
      expect(wheel.size).toBe(0);
      expect(clock.pendingTimers()).toBe(0);
    }
  });

  test('stepping the clock one event at a time through boundaries', () => {
    const clock = new ManualClock(START);
    const { wheel, fired } = makeWheel(clock);
    const deadlines = [63, 64, 65, 4095, 4096, 4097, 262_143, 262_144, 262_145].map((d) => START + d);
    deadlines.forEach((d, i) => wheel.schedule(new Node(i, d)));
    for (const d of deadlines) {
      clock.advanceTo(d - 1);
      expect(fired.some((f) => f.at > d - 1)).toBe(false);
      const n = fired.length;
      clock.advanceTo(d);
      expect(fired.length).toBe(n + 1);
      expect(fired[n]!.at).toBe(d);
    }
  });
});

describe('cascading ahead', () => {
  // A level-3 slot full of keys (as sessions due 5-60 s ahead gather before a 4.4-minute
  // boundary), and keys due every 5 ms before it, so the wheel runs meanwhile.
  function fill(clock: ManualClock, wheel: NodeWheel, boundary: number, n: number, rng: () => number): number[] {
    const deadlines: number[] = [];
    for (let i = 0; i < n; i++) deadlines.push(boundary + 1 + Math.floor(rng() * (G(3) - 2)));
    for (let t = clock.now() + 5; t < boundary; t += 5) deadlines.push(t);
    deadlines.forEach((d, i) => wheel.schedule(new Node(i, d)));
    return deadlines;
  }
  const lcg = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

  test('a slot sorted during the runs before it is spliced at its start: only its first sub-slot is placed one by one', () => {
    const boundary = (Math.floor(START / G(3)) + 2) * G(3);
    const clock = new ManualClock(boundary - 2 * G(2));
    const { wheel, fired } = makeWheel(clock);
    const deadlines = fill(clock, wheel, boundary, 20_000, lcg(7));
    clock.advanceTo(boundary - 1);
    const before = wheel.cascadedNodes;
    clock.advanceTo(boundary + G(1));
    // Digit 0 of the level below (due within the first 4,096 ms): about 1/64 of them.
    expect(wheel.cascadedNodes - before).toBeLessThan(20_000 / 64 * 1.5);
    clock.advanceTo(boundary + G(3));
    const sorted = [...deadlines].sort((a, b) => a - b);
    expect(fired.map((f) => f.at)).toEqual(sorted);
    for (const f of fired) expect(f.at).toBe(deadlines[f.id]);
    expect(wheel.size).toBe(0);
  });

  test('nodes scheduled, rescheduled and cancelled while their slot is being sorted fire as they should', () => {
    const boundary = (Math.floor(START / G(3)) + 2) * G(3);
    const clock = new ManualClock(boundary - 2 * G(2));
    const { wheel, fired } = makeWheel(clock);
    const rng = lcg(11);
    const deadlines = fill(clock, wheel, boundary, 5_000, rng);
    const nodes = new Map<number, Node>();
    const expected = new Map<number, number>(deadlines.map((d, i) => [i, d]));
    // Interleave changes with the runs that sort the slot.
    let id = deadlines.length;
    for (let t = clock.now() + 37; t < boundary; t += 37) {
      clock.advanceTo(t);
      const n = new Node(id, boundary + 1 + Math.floor(rng() * (G(3) - 2)));
      nodes.set(id, n);
      wheel.schedule(n);
      expected.set(id++, n.deadline);
      const victim = nodes.get(Math.floor(rng() * id));
      if (victim && wheel.isScheduled(victim)) {
        if (rng() < 0.5) {
          wheel.cancel(victim);
          expected.delete(victim.id);
        } else {
          victim.deadline = boundary + 1 + Math.floor(rng() * (G(3) - 2));
          wheel.schedule(victim);
          expected.set(victim.id, victim.deadline);
        }
      }
      // What the wheel counts as due by a later time is what the model says.
      expect(wheel.countDueBy(t + 1_000)).toBe([...expected.values()].filter((d) => d > t && d <= t + 1_000).length);
    }
    // Staging lists count too, once the time asked about is past the slot's start.
    clock.advanceTo(boundary - 1);
    expect(wheel.countDueBy(boundary + 3_000)).toBe([...expected.values()].filter((d) => d > boundary - 1 && d <= boundary + 3_000).length);
    clock.advanceTo(boundary + G(3));
    expect(fired.length).toBe(expected.size);
    for (const f of fired) expect(f.at).toBe(expected.get(f.id));
    expect(wheel.size).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  test('a wheel emptied while a slot is staged arms no timer (found by the model test)', () => {
    const clock = new ManualClock(0);
    const { wheel, fired } = makeWheel(clock);
    const far = new Node(11, G(2));
    wheel.schedule(far);
    wheel.schedule(new Node(0, 0));
    clock.advanceTo(0); // fires node 0; the run then stages the level-2 slot of node 11
    far.deadline = 0;
    wheel.schedule(far);
    clock.advanceTo(0);
    expect(fired.map((f) => f.id)).toEqual([0, 11]);
    expect(wheel.size).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
    // And emptied by a cancel.
    const other = new Node(1, G(2) + 5);
    wheel.schedule(other);
    wheel.schedule(new Node(2, 1));
    clock.advanceTo(1);
    wheel.cancel(other);
    expect(clock.pendingTimers()).toBe(0);
  });

  test('a clock that goes back while a slot is being sorted: every node still fires at its deadline', () => {
    const boundary = (Math.floor(START / G(3)) + 2) * G(3);
    const clock = new ManualClock(boundary - 2 * G(2));
    const { wheel, fired } = makeWheel(clock);
    const deadlines = fill(clock, wheel, boundary, 3_000, lcg(3));
    clock.advanceTo(boundary - G(2));
    clock.set(boundary - G(2) - 5_000);
    wheel.advance();
    clock.advanceTo(boundary + G(3));
    expect(fired.length).toBe(deadlines.length);
    for (const f of fired) expect(f.at).toBe(deadlines[f.id]);
  });
});

describe('far deadlines', () => {
  test('years ahead, with setTimeout-like clamping of delays', () => {
    const clock = new ClampingClock(START);
    const { wheel, fired } = makeWheel(clock);
    const year = 365 * 24 * 3600 * 1000;
    const deadlines = [MAX_TIMEOUT - 1, MAX_TIMEOUT, MAX_TIMEOUT + 1, 30 * 24 * 3600 * 1000, year, 3 * year + 12_345];
    deadlines.forEach((d, i) => wheel.schedule(new Node(i, START + d)));
    clock.advance(3 * year + 20_000);
    expect(fired.map((f) => f.at)).toEqual(deadlines.map((d) => START + d));
  });

  test('beyond the wheel range (2^48 ms): the overflow list', () => {
    const clock = new ManualClock(START);
    const { wheel, fired } = makeWheel(clock);
    const deadlines = [RANGE - 1, RANGE, RANGE + 1, RANGE + 12_345, 2 * RANGE + 7, 5 * RANGE - 3].map((d) => START + d);
    deadlines.forEach((d, i) => wheel.schedule(new Node(i, d)));
    const huge = new Node(100, 9.223372036854776e18); // Redis's largest expire time
    wheel.schedule(huge);
    clock.advanceTo(START + RANGE - 2);
    expect(fired).toEqual([]);
    clock.advanceTo(START + 6 * RANGE);
    expect(fired.map((f) => f.at)).toEqual(deadlines);
    expect(wheel.isScheduled(huge)).toBe(true);
    expect(wheel.size).toBe(1);
    wheel.cancel(huge);
    expect(clock.pendingTimers()).toBe(0);
  });

  test('a node moved from the overflow list to a near deadline', () => {
    const clock = new ManualClock(START);
    const { wheel, fired } = makeWheel(clock);
    const n = new Node(1, START + 3 * RANGE);
    wheel.schedule(n);
    n.deadline = START + 42;
    wheel.schedule(n);
    clock.advance(100);
    expect(fired).toEqual([{ id: 1, at: START + 42 }]);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('the wall clock going back', () => {
  test('a node scheduled after a backward step fires at its deadline, not at once', () => {
    const clock = new ManualClock(START);
    const { wheel, fired } = makeWheel(clock);
    const early = new Node(1, START + 10_000);
    wheel.schedule(early);
    clock.advance(5000);
    wheel.advance(); // the wheel's time is now START + 5000
    clock.set(START - 60_000); // an NTP step back by 65 s
    const late = new Node(2, START - 60_000 + 1000); // before the wheel's time, after the clock's
    wheel.schedule(late);
    clock.advance(999);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([{ id: 2, at: START - 59_000 }]);
    // The node scheduled before the step keeps its absolute deadline.
    clock.advanceTo(START + 9999);
    expect(fired.length).toBe(1);
    clock.advanceTo(START + 10_000);
    expect(fired[1]).toEqual({ id: 1, at: START + 10_000 });
    expect(clock.pendingTimers()).toBe(0);
  });

  test('advance() to an earlier time fires nothing early', () => {
    const clock = new ManualClock(START);
    const { wheel, fired } = makeWheel(clock);
    for (let i = 0; i < 50; i++) wheel.schedule(new Node(i, START + 100 + i * 997));
    clock.advance(30_000);
    expect(fired.length).toBe(30);
    clock.set(START + 10_000);
    expect(wheel.advance()).toBe(true);
    expect(fired.length).toBe(30);
    wheel.schedule(new Node(100, START + 10_050));
    clock.advanceTo(START + 10_049);
    expect(fired.length).toBe(30);
    clock.advanceTo(START + 60_000);
    expect(fired.length).toBe(51);
    expect(fired[30]).toEqual({ id: 100, at: START + 10_050 });
    expect(fired.slice(31).map((f) => f.at)).toEqual(Array.from({ length: 20 }, (_, i) => START + 100 + (30 + i) * 997));
  });
});

describe('bounded batches', () => {
  test('a million nodes due in the same millisecond fire in several bounded batches', () => {
    // Every monotonic read advances 0.05 ms: the 2 ms budget ends after ~40 reads, i.e.
    // a few thousand callbacks with checkEvery 64.
    const clock = new BusyClock(0.05);
    const N = 1_000_000;
    const batchOf: number[] = [];
    let count = 0;
    let early = 0;
    const wheel = new NodeWheel(clock, (n) => {
      if (clock.now() < n.deadline) early++;
      batchOf.push(clock.runs);
      count++;
    });
    const due = START + 1000;
    for (let i = 0; i < N; i++) wheel.schedule(new Node(i, due));
    clock.advanceTo(due - 1);
    expect(count).toBe(0);
    clock.advanceTo(due);
    expect(count).toBe(N);
    expect(early).toBe(0);
    const sizes = new Map<number, number>();
    for (const b of batchOf) sizes.set(b, (sizes.get(b) ?? 0) + 1);
    expect(sizes.size).toBeGreaterThan(10);
    expect(Math.max(...sizes.values())).toBeLessThanOrEqual(64 * 41);
    expect(wheel.size).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  test('cascading a million nodes from one coarse slot is spread over many turns too', () => {
    const clock = new BusyClock(0.05);
    let firstFireRun = -1;
    let count = 0;
    const wheel = new NodeWheel(clock, () => {
      if (firstFireRun < 0) firstFireRun = clock.runs;
      count++;
    });
    // Ten minutes ahead, spread over one second: all in one level-3 slot (262 s wide).
    for (let i = 0; i < 1_000_000; i++) wheel.schedule(new Node(i, START + 600_000 + (i % 1000)));
    clock.advance(599_999);
    expect(count).toBe(0);
    clock.advance(1001);
    expect(count).toBe(1_000_000);
    // Each turn places at most ~2600 nodes: the cascade took hundreds of turns.
    expect(firstFireRun).toBeGreaterThan(300);
    expect(clock.pendingTimers()).toBe(0);
  });

  test('a run that reaches a slot on time gets the floor budget, however long the wheel was idle', () => {
    // Monotonic time follows the wall clock, and every read costs 0.05 ms of work.
    const clock = new WorkClock(0.05);
    const placedByRun: number[] = [];
    const wheel: NodeWheel = new NodeWheel(clock, () => {});
    clock.afterRun = () => placedByRun.push(wheel.cascadedNodes);
    // Ten minutes ahead, spread over one second: one level-3 slot. Nothing runs before it.
    for (let i = 0; i < 200_000; i++) wheel.schedule(new Node(i, START + 600_000 + (i % 1000)));
    clock.advanceTo(START + 600_000 + 1000);
    expect(wheel.size).toBe(0);
    // 2 ms of 0.05 ms reads, one every 64 nodes: ~2,600 nodes. With the idle ten minutes
    // counted as waiting, the first run took the 25 ms maximum (~32,000 nodes).
    expect(placedByRun[0]).toBeGreaterThan(0);
    expect(placedByRun[0]).toBeLessThanOrEqual(64 * 42);
  });

  test('work that waited through a long turn gets a share of that wait', () => {
    const clock = new WorkClock(0.05);
    const { wheel, fired } = makeWheel(clock);
    // Level-0 nodes due at START + 2; the wheel first runs 60 ms later (a long turn).
    for (let i = 0; i < 100_000; i++) wheel.schedule(new Node(i, START + 2));
    clock.set(START + 62);
    expect(wheel.advance()).toBe(false);
    // A third of the 60 ms waited: 20 ms of 0.05 ms reads, ~400 checks of 64 callbacks.
    expect(fired.length).toBeGreaterThan(64 * 300);
    expect(fired.length).toBeLessThanOrEqual(64 * 402);
  });

  test('advance() reports an unfinished batch and a continuation finishes it', () => {
    const clock = new BusyClock(1);
    const { wheel, fired } = makeWheel(clock, { budgetMs: 2, checkEvery: 10 });
    // START + 2 is in START's level-1 slot: a level-0 node, no cascade before firing.
    for (let i = 0; i < 100; i++) wheel.schedule(new Node(i, START + 2));
    clock.set(START + 2);
    expect(wheel.advance()).toBe(false);
    expect(fired.length).toBeGreaterThan(0);
    expect(fired.length).toBeLessThan(100);
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(0);
    expect(fired.length).toBe(100);
  });

  test('cancelling a due node before its batch runs', () => {
    const clock = new BusyClock(1);
    const nodes: Node[] = [];
    const fired: number[] = [];
    const wheel: NodeWheel = new NodeWheel(clock, (n) => {
      fired.push(n.id);
      if (n.id === 0) wheel.cancel(nodes[50]!);
    }, { budgetMs: 2, checkEvery: 10 });
    for (let i = 0; i < 100; i++) wheel.schedule((nodes[i] = new Node(i, START + 5)));
    clock.advanceTo(START + 5);
    expect(fired.length).toBe(99);
    expect(fired).not.toContain(50);
  });
});

describe('against a model', () => {
  type Op =
    | { kind: 'schedule'; id: number; delta: number }
    | { kind: 'cancel'; id: number }
    | { kind: 'advance'; ms: number }
    | { kind: 'runDue'; back: number };

  const delta = fc.oneof(
    fc.integer({ min: -100, max: 100 }),
    fc.integer({ min: 0, max: 5000 }),
    fc.integer({ min: 0, max: G(4) }),
    fc.integer({ min: 0, max: G(6) }),
    fc.integer({ min: 0, max: 2 ** 50 }),
  );
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('schedule' as const), id: fc.integer({ min: 0, max: 30 }), delta }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), id: fc.integer({ min: 0, max: 30 }) }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('advance' as const),
        ms: fc.oneof(fc.integer({ min: 0, max: 70 }), fc.integer({ min: 0, max: G(3) }), fc.integer({ min: 0, max: G(5) }), fc.integer({ min: 0, max: 2 ** 49 })),
      }),
    },
    // The owner's run between batches, with the current time or an older command time.
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('runDue' as const), back: fc.integer({ min: 0, max: 3 }) }) },
  );

  test('fires exactly what a sorted list says, at the times it says', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 45 }), fc.array(op, { maxLength: 80 }), fc.boolean(), (start, ops, tinyBatches) => {
        // Tiny batches: every callback reads a clock that moves 1 ms, so the drain yields
        // after two callbacks and continuations interleave with the timers.
        const clock = tinyBatches ? new BusyClock(1) : new ManualClock(start);
        if (tinyBatches) clock.set(start);
        const { wheel, fired } = makeWheel(clock, tinyBatches ? { budgetMs: 2, checkEvery: 1 } : undefined);
        const nodes = new Map<number, Node>();
        // The model: id -> time it must fire (its deadline, or the scheduling time if past).
        const pending = new Map<number, number>();
        const expected: { id: number; at: number }[] = [];
        const runModelTo = (t: number) => {
          const due = [...pending].filter(([, at]) => at <= t).sort((a, b) => a[1] - b[1]);
          for (const [id, at] of due) {
            expected.push({ id, at });
            pending.delete(id);
          }
        };
        for (const o of ops) {
          if (o.kind === 'schedule') {
            let n = nodes.get(o.id);
            if (!n) nodes.set(o.id, (n = new Node(o.id, 0)));
            n.deadline = clock.now() + o.delta;
            wheel.schedule(n);
            pending.set(o.id, Math.max(n.deadline, clock.now()));
          } else if (o.kind === 'cancel') {
            const n = nodes.get(o.id);
            if (n) wheel.cancel(n);
            pending.delete(o.id);
          } else if (o.kind === 'runDue') {
            // May fire nodes due by now (scheduled since the last advance, due at once),
            // at the time the model says; whatever it leaves fires on the wheel's timer.
            wheel.runDue(clock.now() - o.back);
            for (const [id, at] of [...pending]) {
              if (wheel.isScheduled(nodes.get(id)!)) continue;
              expect(at).toBeLessThanOrEqual(clock.now());
              expected.push({ id, at });
              pending.delete(id);
            }
          } else {
            const target = clock.now() + o.ms;
            runModelTo(target);
            clock.advanceTo(target);
          }
          expect(wheel.size).toBe(pending.size);
        }
        // Compare per firing time (ids due at the same ms may fire in any order).
        const key = (list: { id: number; at: number }[]) =>
          list.map((f) => `${f.at}:${f.id}`).sort();
        expect(key(fired)).toEqual(key(expected));
        for (let i = 1; i < fired.length; i++) expect(fired[i]!.at).toBeGreaterThanOrEqual(fired[i - 1]!.at);
        if (pending.size === 0) expect(clock.pendingTimers()).toBe(0);
      }),
      { numRuns: 400 },
    );
  });
});

describe('pause and resume (DEBUG SET-ACTIVE-EXPIRE)', () => {
  test('paused: nothing fires, no timer is armed, nodes stay scheduled; resume fires what fell due', () => {
    const clock = new ManualClock(START);
    const { wheel, fired } = makeWheel(clock);
    wheel.schedule(new Node(1, START + 100));
    wheel.pause();
    expect(clock.pendingTimers()).toBe(0);
    wheel.schedule(new Node(2, START + 200));
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(1000);
    wheel.runDue(clock.now());
    expect(wheel.advance(clock.now())).toBe(false);
    expect(fired).toEqual([]);
    expect(wheel.size).toBe(2);
    wheel.resume();
    clock.advance(0);
    expect(fired.map((f) => f.id).sort()).toEqual([1, 2]);
    expect(wheel.size).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  test('resume with nothing due arms the timer for the next deadline', () => {
    const clock = new ManualClock(START);
    const { wheel, fired } = makeWheel(clock);
    wheel.pause();
    wheel.schedule(new Node(1, START + 500));
    wheel.resume();
    clock.advance(499);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([{ id: 1, at: START + 500 }]);
  });
});

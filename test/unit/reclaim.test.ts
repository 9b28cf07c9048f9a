import { describe, expect, test } from 'vitest';
import { QUIET_MS, Reclaimer, type ReclaimProbe } from '../../src/server/reclaim.js';

/**
 * The Reclaimer's rules (src/server/reclaim.ts) over a simulated heap: when it collects
 * (quiet and much held beyond the live data; busy only after a large deletion and only
 * for a short predicted pause), how often (at most once a second, the wait doubling while
 * a collection changes nothing), and what it learns of the pause. Time is the tick's
 * argument: nothing sleeps.
 */

const MB = 1024 * 1024;

/** A heap whose figures the test sets; collect() frees what `freeable` says and takes `pauseMs`. */
class FakeHeap implements ReclaimProbe {
  liveBytes = 10 * MB;
  inUseBytes = 10 * MB;
  heldBytes = 12 * MB;
  /** What a collection gives back of held and in-use memory. */
  freeable = 0;
  pauseMs = 2;
  /** What lapse knows to be garbage (stores dropped, arenas replaced); a collection clears it. */
  garbageBytes = 0;
  collections: number[] = [];
  now = 0;

  garbage(): number {
    return this.garbageBytes;
  }

  live(): number {
    return this.liveBytes;
  }
  inUse(): number {
    return this.inUseBytes;
  }
  held(): number {
    return this.heldBytes;
  }
  collect(): number {
    this.collections.push(this.now);
    this.heldBytes -= this.freeable;
    this.inUseBytes = this.liveBytes;
    this.freeable = 0;
    this.garbageBytes = 0;
    return this.pauseMs;
  }
}

/** Ticks every 100 ms (the server's cron) from `from` to `to` ms; commands() gives the counter at each tick. */
function run(r: Reclaimer, heap: FakeHeap, from: number, to: number, commands: (t: number) => number = () => 0): void {
  for (let t = from; t <= to; t += 100) {
    heap.now = t;
    r.tick(t, commands(t));
  }
}

/** A burst of writes then a FLUSHALL: 600 MB dead, 10 MB live, a young generation grown to 32 MB. */
function afterFlush(heap: FakeHeap): void {
  heap.liveBytes = 10 * MB;
  heap.inUseBytes = 610 * MB;
  heap.heldBytes = 650 * MB;
  heap.freeable = 600 * MB;
}

describe('a quiet server', () => {
  test('collects once it has been quiet for QUIET_MS, when much more is held than live', () => {
    const heap = new FakeHeap();
    const r = new Reclaimer(heap);
    // 600 MB deleted, 100 MB left alive: a 50 ms pause predicted, too long while busy.
    heap.liveBytes = 100 * MB;
    heap.inUseBytes = 700 * MB;
    heap.heldBytes = 750 * MB;
    heap.freeable = 630 * MB;
    heap.pauseMs = 35;
    // Commands until t = 2000 ms, then none.
    run(r, heap, 0, 5000, (t) => Math.min(t, 2000));
    expect(heap.collections).toEqual([2000 + QUIET_MS]);
    expect(r.collections).toBe(1);
    expect(r.lastPauseMs).toBe(35);
  });

  test('does nothing when what is held is close to the live data', () => {
    const heap = new FakeHeap();
    const r = new Reclaimer(heap);
    heap.liveBytes = 100 * MB;
    heap.inUseBytes = 120 * MB;
    heap.heldBytes = 140 * MB; // 40 MB over 100 live: under live / 2
    run(r, heap, 0, 60_000);
    expect(heap.collections).toEqual([]);
    heap.heldBytes = 10 * MB + 15 * MB; // a small server: under the 16 MB floor
    heap.liveBytes = 10 * MB;
    run(r, heap, 60_100, 120_000);
    expect(heap.collections).toEqual([]);
  });

  test('collects when 16 MB or more are known to be garbage, even under live / 2 (a large set that grew left its old arenas)', () => {
    const heap = new FakeHeap();
    const r = new Reclaimer(heap);
    // 1M members: ~90 MB live estimate (the set's arenas included), ~28 MB of replaced arenas.
    heap.liveBytes = 90 * MB;
    heap.inUseBytes = 118 * MB;
    heap.heldBytes = 125 * MB; // 35 MB over live: under live / 2
    heap.garbageBytes = 15 * MB;
    heap.freeable = 28 * MB;
    run(r, heap, 0, 10_000);
    expect(heap.collections).toEqual([]); // under the 16 MB floor
    heap.garbageBytes = 28 * MB;
    run(r, heap, 10_100, 20_000);
    expect(heap.collections).toEqual([10_100]);
    // The collection cleared it: nothing more.
    run(r, heap, 20_100, 60_000);
    expect(heap.collections).toEqual([10_100]);
  });

  test('does not collect when the predicted pause is over 200 ms (a large live heap)', () => {
    const heap = new FakeHeap();
    const r = new Reclaimer(heap);
    heap.liveBytes = 600 * MB; // 300 ms at the initial 0.5 ms per MB
    heap.inUseBytes = 900 * MB;
    heap.heldBytes = 1000 * MB;
    run(r, heap, 0, 30_000);
    expect(heap.collections).toEqual([]);
    expect(r.predictedPauseMs()).toBeCloseTo(300);
  });

  test('while a collection leaves the condition true, the wait doubles (1, 2, 4 ... 64 s); it resets once it clears', () => {
    const heap = new FakeHeap();
    const r = new Reclaimer(heap);
    heap.heldBytes = 60 * MB; // a young generation V8 will not shrink yet: nothing is freed
    run(r, heap, 0, 200_000);
    const gaps = heap.collections.slice(1).map((t, i) => t - heap.collections[i]!);
    expect(heap.collections[0]).toBe(QUIET_MS);
    expect(gaps.slice(0, 8)).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 64_000]);
    // The young generation shrinks: the condition clears, and the next time it holds the wait starts at 1 s again.
    heap.heldBytes = 12 * MB;
    run(r, heap, 200_100, 300_000);
    const count = heap.collections.length;
    heap.heldBytes = 60 * MB;
    run(r, heap, 300_100, 302_000);
    expect(heap.collections.slice(count)).toEqual([300_100, 301_100]);
  });

  test('collections take at most 1/50 of the time: a 100 ms pause waits 5 s', () => {
    const heap = new FakeHeap();
    const r = new Reclaimer(heap);
    heap.liveBytes = 100 * MB;
    heap.heldBytes = 300 * MB;
    heap.pauseMs = 100;
    run(r, heap, 0, 12_000);
    expect(heap.collections).toEqual([500, 5500, 10_500]);
  });
});

describe('a busy server', () => {
  const busy = (t: number) => t; // a new command every tick

  /** A server holding `liveMb` of live data (all of it in use) and `heldMb` in all, busy for a second. */
  function loaded(liveMb: number, heldMb: number): [FakeHeap, Reclaimer] {
    const heap = new FakeHeap();
    const r = new Reclaimer(heap);
    heap.liveBytes = heap.inUseBytes = liveMb * MB;
    heap.heldBytes = heldMb * MB;
    run(r, heap, 0, 1000, busy);
    return [heap, r];
  }

  test('collects right after a large deletion when little is left alive (a short pause)', () => {
    const heap = new FakeHeap();
    const r = new Reclaimer(heap);
    run(r, heap, 0, 1000, busy);
    afterFlush(heap);
    run(r, heap, 1100, 5000, busy);
    expect(heap.collections).toEqual([1100]);
  });

  test('not while the live data is still shrinking (a mass expiry): at the first tick after it stops', () => {
    const [heap, r] = loaded(280, 300);
    // A million keys expire within a second: the live data shrinks ~27 MB a tick while the
    // freed segments stay in use until a GC; from 550 ms the condition holds (little left
    // alive, much more in use), but the deletion goes on until 1,000 ms.
    for (let t = 100; t <= 1000; t += 100) {
      heap.now = 1000 + t;
      heap.liveBytes = Math.max(10 * MB, 280 * MB - 27 * MB * (t / 100));
      heap.freeable = heap.inUseBytes - heap.liveBytes;
      r.tick(heap.now, busy(heap.now));
    }
    expect(heap.collections).toEqual([]);
    run(r, heap, 2100, 5000, busy);
    expect(heap.collections).toEqual([2100]);
  });

  test('after a FLUSHALL while commands run: one tick later', () => {
    const [heap, r] = loaded(610, 650);
    afterFlush(heap);
    run(r, heap, 1100, 5000, busy);
    expect(heap.collections).toEqual([1200]);
  });

  test('never when the predicted pause is over 10 ms, nor for a young generation or a moderate excess', () => {
    const heap = new FakeHeap();
    const r = new Reclaimer(heap);
    // 600 MB dead but 100 MB live: 50 ms predicted.
    heap.liveBytes = 100 * MB;
    heap.inUseBytes = 700 * MB;
    heap.heldBytes = 750 * MB;
    run(r, heap, 0, 10_000, busy);
    expect(heap.collections).toEqual([]);
    // 10 MB live, a 32 MB young generation and 40 MB of old garbage: under the 64 MB floor.
    heap.liveBytes = 10 * MB;
    heap.inUseBytes = 50 * MB;
    heap.heldBytes = 90 * MB;
    heap.freeable = 70 * MB;
    run(r, heap, 10_100, 20_000, busy);
    expect(heap.collections).toEqual([]);
    // Quiet again: then it is collected.
    run(r, heap, 20_100, 22_000, () => 20_000);
    expect(heap.collections).toEqual([20_000 + QUIET_MS]);
  });
});

describe('the pause it predicts', () => {
  test('starts at 0.5 ms per live MB and follows the pauses of collections of 32 MB and more', () => {
    const heap = new FakeHeap();
    const r = new Reclaimer(heap);
    heap.liveBytes = 100 * MB;
    heap.heldBytes = 200 * MB;
    expect(r.predictedPauseMs()).toBeCloseTo(50);
    heap.pauseMs = 30; // 0.3 ms per MB measured: the rate moves halfway, to 0.4
    heap.freeable = 100 * MB;
    run(r, heap, 0, 600);
    expect(heap.collections).toEqual([500]);
    expect(r.predictedPauseMs()).toBeCloseTo(40);
    expect(r.maxPauseMs).toBe(30);
    // A collection of a small heap (fixed costs dominate) teaches nothing.
    heap.liveBytes = 10 * MB;
    heap.heldBytes = 100 * MB;
    heap.freeable = 85 * MB;
    heap.pauseMs = 20;
    run(r, heap, 700, 5000);
    expect(heap.collections.length).toBe(2);
    heap.liveBytes = 100 * MB;
    expect(r.predictedPauseMs()).toBeCloseTo(40);
  });
});

import { describe, expect, test } from 'vitest';
import { Node, NodeWheel } from '../helpers/timer-node.js';
import { ManualClock, type TimerHandle } from '../../src/keyspace/clock.js';
import type { TimerWheelOptions } from '../../src/keyspace/expiry/timer-wheel.js';
import { Keyspace } from '../../src/keyspace/keyspace.js';
import { deadlineFor } from '../../src/keyspace/database.js';
import { HashValue } from '../../src/keyspace/hash.js';
import { createServer } from '../../src/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { decodeReply, toJs } from '../helpers/resp.js';

/**
 * How the timer wheel shares a busy event loop (TimerWheel: "Budget"): a run may take
 * a quarter of the time its work waited (a third of that gap: since the previous run
 * ended, or since the first slot due started when that run left nothing), at most
 * maxBudgetMs, at least budgetMs on its own timer; runDue() lets the owner run it between
 * batches of other work with a time it already has. All on a manual clock whose
 * monotonic time moves only when work is done: the test "spends" time for the other
 * work (I/O, GC pauses), and every fired node costs COST_MS.
 */

const START = 1_700_000_000_123;
/** 2^-7 ms: sums of it are exact, so budgets end after an exact number of nodes. */
const COST_MS = 1 / 128;

/**
 * Wall clock and monotonic clock move together, and only through spend() (other work,
 * or the cost of a callback) or advance() (time passing with the loop idle, running
 * timers). Counts reads of either clock and timer runs.
 */
class CostClock extends ManualClock {
  private mono = 0;
  reads = 0;
  timerRuns = 0;
  constructor() {
    super(START);
  }
  override now(): number {
    this.reads++;
    return super.now();
  }
  override monotonic(): number {
    this.reads++;
    return this.mono;
  }
  /** The wall time when monotonic() read m (both move together here). */
  override wallAt(m: number): number {
    return super.now() - (this.mono - m);
  }
  /** Time passes while the loop is busy elsewhere: no timer runs. */
  spend(ms: number): void {
    this.mono += ms;
    this.set(super.now() + ms);
  }
  override advanceTo(target: number): void {
    this.mono += target - super.now();
    super.advanceTo(target);
  }
  override setTimer(fn: () => void, delayMs: number): TimerHandle {
    return super.setTimer(() => {
      this.timerRuns++;
      fn();
    }, delayMs);
  }
  /** The wall time without counting a read. */
  get wall(): number {
    return super.now();
  }
}

/** A wheel whose callbacks each cost COST_MS, recording [id, wall time fired]. */
function costWheel(clock: CostClock, options: TimerWheelOptions = {}) {
  const fired: { id: number; at: number; run: number }[] = [];
  const wheel = new NodeWheel(
    clock,
    (n) => {
      fired.push({ id: n.id, at: clock.wall, run: clock.timerRuns });
      clock.spend(COST_MS);
    },
    { checkEvery: 1, ...options },
  );
  return { wheel, fired };
}

/** n nodes due at `at`. */
function scheduleMany(wheel: NodeWheel, n: number, at: number): Node[] {
  const nodes = Array.from({ length: n }, (_, i) => new Node(i, at));
  for (const node of nodes) wheel.schedule(node);
  return nodes;
}

describe('budget: a share of the time since the previous run', () => {
  test('nodes due through 300 ms of other work get a run of 100 ms (a quarter of the 400 ms), then a third of each later gap', () => {
    const clock = new CostClock();
    const { wheel, fired } = costWheel(clock, { maxBudgetMs: 1000 });
    scheduleMany(wheel, 100_000, START + 10);
    // The loop was busy: the wheel's timer could not run. Their slot started at START + 5
    // (a level-1 boundary: START is 59 ms into one), so they have waited 300 ms.
    clock.spend(305);
    wheel.runDue(clock.wall);
    // 100 ms of budget at 1/128 ms per node: 12,800 nodes (the budget is checked after each).
    expect(fired.length).toBe(12_800);
    clock.spend(30);
    wheel.runDue(clock.wall);
    expect(fired.length).toBe(12_800 + 1280);
    // Work is left: the wheel says so, and its timer is armed to continue.
    expect(wheel.dueAt).toBeLessThanOrEqual(clock.wall);
    expect(clock.pendingTimers()).toBe(1);
  });

  test('capped at maxBudgetMs: 25 ms by default, whatever the gap', () => {
    const clock = new CostClock();
    const { wheel, fired } = costWheel(clock);
    scheduleMany(wheel, 100_000, START + 10);
    clock.spend(3000);
    wheel.runDue(clock.wall);
    expect(fired.length).toBe(25 * 128);
  });

  test('on its own timer a run has at least budgetMs; runDue() between batches has no floor', () => {
    const clock = new CostClock();
    const { wheel, fired } = costWheel(clock, { budgetMs: 2 });
    // Due in the current 64 ms slot of level 0: firing them needs no cascade first.
    scheduleMany(wheel, 1000, START + 4);
    // A gap of 0 since the wheel was made: runDue() fires one node (the budget is checked
    // after each), then yields.
    clock.set(START + 4);
    wheel.runDue(clock.wall);
    expect(fired.length).toBe(1);
    // Its own timer (a continuation, due now) runs with the 2 ms floor: 256 nodes a run.
    // (Each run moves the clock, so each advance(0) runs one.)
    for (let turn = 0; turn < 10 && fired.length < 1000; turn++) clock.advance(0);
    expect(fired.length).toBe(1000);
    const perRun = new Map<number, number>();
    for (const f of fired.slice(1)) perRun.set(f.run, (perRun.get(f.run) ?? 0) + 1);
    expect([...perRun.values()]).toEqual([256, 256, 256, 231]);
    expect(fired.every((f) => f.at >= START + 4)).toBe(true);
  });

  test('runDue() does nothing, and reads no clock, before dueAt', () => {
    const clock = new CostClock();
    const { wheel, fired } = costWheel(clock);
    expect(wheel.dueAt).toBe(Infinity);
    wheel.schedule(new Node(1, START + 500));
    // The next slot that needs work starts at or before the deadline.
    expect(wheel.dueAt).toBeGreaterThan(START);
    expect(wheel.dueAt).toBeLessThanOrEqual(START + 500);
    const reads = clock.reads;
    wheel.runDue(wheel.dueAt - 1);
    expect(clock.reads).toBe(reads);
    clock.spend(500);
    wheel.runDue(clock.wall);
    expect(fired.map((f) => [f.id, f.at])).toEqual([[1, START + 500]]);
    expect(wheel.dueAt).toBe(Infinity);
  });

  test('runDue() with a time older than the wheel\'s never moves the wheel back nor fires early', () => {
    const clock = new CostClock();
    const { wheel, fired } = costWheel(clock);
    const early = new Node(1, START + 100);
    const late = new Node(2, START + 101);
    wheel.schedule(early);
    wheel.schedule(late);
    clock.advanceTo(START + 100);
    expect(fired.map((f) => f.id)).toEqual([1]);
    // A command time from before the wheel's last run (a read with no complete command).
    wheel.runDue(START + 50);
    expect(fired.map((f) => f.id)).toEqual([1]);
    expect(wheel.currentTime()).toBe(START + 100);
    // Node 2 still fires on time (the wall clock moved 1/128 ms while node 1 fired).
    clock.advanceTo(START + 102);
    expect(fired.map((f) => f.id)).toEqual([1, 2]);
    expect(fired[1]!.at).toBeGreaterThanOrEqual(START + 101);
    expect(fired[1]!.at).toBeLessThan(START + 102);
  });

  test('onWake reports each time the work moves earlier, with the new dueAt', () => {
    const clock = new CostClock();
    const woken: number[] = [];
    const wheel = new NodeWheel(clock, () => {}, { onWake: (at) => woken.push(at) });
    wheel.schedule(new Node(1, START + 5000));
    const first = wheel.dueAt;
    wheel.schedule(new Node(2, START + 9000)); // later: no news
    wheel.schedule(new Node(3, START + 20)); // earlier
    expect(woken).toEqual([first, wheel.dueAt]);
    expect(wheel.dueAt).toBeLessThanOrEqual(START + 20);
  });
});

/**
 * A busy event loop, simulated: turns of `batches` batches of `batchMs` of client work,
 * each followed by runDue() with the time the batch's last command read (as the server's
 * endBatch does), then the timers phase (the wheel's own timer, if due). Keys come due
 * at `perMs` per ms. Returns the lags (fired - deadline): p99 and max, and the wheel's
 * share of the time.
 */
function busyLoop(options: { share?: number; budgetMs?: number; perMs: number; seconds: number; batchMs: number; batches: number; pauseAt?: number; pauseMs?: number; betweenBatches: boolean }) {
  const clock = new CostClock();
  const lags: number[] = [];
  let wheelMs = 0;
  const wheel = new NodeWheel(
    clock,
    (n) => {
      lags.push(clock.wall - n.deadline);
      clock.spend(COST_MS);
      wheelMs += COST_MS;
    },
    { checkEvery: 1, share: options.share, budgetMs: options.budgetMs },
  );
  const total = options.perMs * options.seconds * 1000;
  for (let i = 0; i < total; i++) wheel.schedule(new Node(i, START + 100 + Math.floor(i / options.perMs)));
  const end = START + 100 + options.seconds * 1000 + 5000;
  let paused = false;
  while (clock.wall < end && lags.length < total) {
    for (let b = 0; b < options.batches; b++) {
      clock.spend(options.batchMs);
      const commandTime = clock.wall;
      if (options.betweenBatches) wheel.runDue(commandTime);
    }
    if (!paused && options.pauseAt !== undefined && clock.wall >= options.pauseAt) {
      paused = true;
      clock.spend(options.pauseMs!); // a GC pause
    }
    clock.advanceTo(clock.wall); // the timers phase
  }
  const sorted = [...lags].sort((a, b) => a - b);
  const elapsed = clock.wall - START;
  return { fired: lags.length, total, p99: sorted[Math.ceil(0.99 * sorted.length) - 1]!, max: sorted[sorted.length - 1]!, share: wheelMs / elapsed };
}

describe('a busy event loop', () => {
  // 20 keys due per ms (20k/s) at 1/128 ms each: expiry needs 16% of the time. Turns of
  // 4 batches of 5 ms of client work.
  const load = { perMs: 20, seconds: 3, batchMs: 5, batches: 4 };

  test('the old rule, 2 ms on its own timer once per turn, falls behind: lags grow to seconds', () => {
    // 256 nodes per 20 ms turn against 400 due: this is what the share fixes.
    const r = busyLoop({ ...load, betweenBatches: false, share: 0, budgetMs: 2 });
    expect(r.fired).toBe(r.total);
    expect(r.p99).toBeGreaterThan(1000);
  });

  test('with runs between batches the wheel keeps up: lag within a batch, the time it needs and no more than a quarter', () => {
    const r = busyLoop({ ...load, betweenBatches: true });
    expect(r.fired).toBe(r.total);
    expect(r.max).toBeLessThanOrEqual(load.batchMs + 1);
    expect(r.share).toBeLessThanOrEqual(0.25);
  });

  test('on its own timer only, once per 20 ms turn, the share (a third of the turn) keeps up: lag within a turn', () => {
    const r = busyLoop({ ...load, betweenBatches: false });
    expect(r.fired).toBe(r.total);
    expect(r.max).toBeLessThanOrEqual(load.batchMs * load.batches + 4);
  });

  test('after a 300 ms pause (a GC) the 6,000 keys due during it are reclaimed right after it', () => {
    const r = busyLoop({ ...load, betweenBatches: true, pauseAt: START + 1500, pauseMs: 300 });
    expect(r.fired).toBe(r.total);
    // No key waits longer than the pause and the batch around it.
    expect(r.max).toBeLessThanOrEqual(300 + load.batchMs + 1);
  });
});

describe('Keyspace.expireDue: between batches, by the command time', () => {
  test('reclaims due keys of every database and due hash fields, reading no clock when nothing is due', () => {
    const clock = new CostClock();
    const ks = new Keyspace(clock, 16);
    const expired: string[] = [];
    const fields: string[] = [];
    ks.listener.event = (_cls, event, key) => {
      if (event === 'expired') expired.push(key);
      if (event === 'hexpired') fields.push(key);
    };
    ks.dbs[0]!.set('a', 'v', deadlineFor(START + 100));
    ks.dbs[7]!.set('b', 'v', deadlineFor(START + 250));
    const hash = new HashValue();
    hash.set('f', 'v');
    hash.set('g', 'v');
    const h = ks.dbs[3]!.set('h', hash);
    ks.dbs[3]!.setFieldDeadline(h, 'f', deadlineFor(START + 150));

    // Nothing due yet: a comparison, no clock read.
    clock.spend(50);
    ks.now = START + 50;
    const reads = clock.reads;
    ks.expireDue();
    expect(clock.reads).toBe(reads);

    // The loop was busy (the wheels' timers could not run); a batch ends at START + 200.
    clock.spend(150);
    ks.now = START + 200;
    ks.expireDue();
    expect(expired).toEqual(['a']);
    expect(fields).toEqual(['h']);
    expect(ks.dbs[3]!.valueOf(ks.dbs[3]!.peek('h')!)).toBe(hash);
    expect((hash as HashValue).size).toBe(1);
    // Reclaimed at the batch's end: 99 ms after its deadline (the first ms it is gone).
    expect(ks.expiryLag.summary(clock.wall)).toMatchObject({ samples: 1, max: 99 });

    clock.spend(100);
    ks.now = START + 300;
    ks.expireDue();
    expect(expired).toEqual(['a', 'b']);
    expect(ks.dbs[7]!.size).toBe(0);
    ks.close();
  });
});

describe('the server runs the wheels after each batch of commands', () => {
  test('keys due by the batch\'s command time are reclaimed, their events sent, though the wheel\'s timer never ran', async () => {
    const clock = new ManualClock(START);
    const server = createServer({ port: 0, bind: '127.0.0.1', clock, 'notify-keyspace-events': 'Ex' });
    const { port } = await server.listen();
    const c = await RawClient.connect(port);
    const sub = await RawClient.connect(port);
    try {
      await sub.call('SUBSCRIBE', '__keyevent@0__:expired');
      await c.call('SET', 'k', 'v', 'PX', '100');
      // Time passes, but no timer runs (the manual clock is not advanced): only a batch
      // of commands can reclaim k now.
      clock.set(START + 200);
      expect(server.keyspace.dbs[0]!.peek('k')).toBeDefined();
      expect(toJs(decodeReply(await c.call('PING'))!.reply)).toBe('PONG');
      expect(server.keyspace.dbs[0]!.peek('k')).toBeUndefined();
      expect(toJs(decodeReply(await sub.readReplyBytes())!.reply)).toEqual(['message', '__keyevent@0__:expired', 'k']);
      // Reclaimed at the command time, 99 ms after its deadline (the first ms it is gone).
      expect(server.keyspace.expiryLag.summary(clock.now())).toMatchObject({ samples: 1, max: 99 });
    } finally {
      c.close();
      sub.close();
      await server.close();
    }
  });
});

/**
 * The timer wheel alone, on a manual clock: schedule, cancel and fire of N timers with
 * deadlines spread over a window, in ns per timer. Firing moves the clock once over the
 * whole window and lets the wheel cascade every level. Median of 5 rounds. Before that
 * (so that RSS is not memory the rounds freed), the memory per scheduled timer (heap +
 * ArrayBuffers after a full GC, and RSS), for bare columns (the struct-of-arrays
 * keyspace: a timer is an id) and for a TimerIds registry (today's Entry and FieldTimer
 * owners: columns, an owner slot and a free-list slot, grown by doubling).
 *
 *   npx tsx bench/micro/wheel.ts [timers=1000000]
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ManualClock } from '../../src/keyspace/clock.js';
import { TimerIds } from '../../src/keyspace/expiry/timer-ids.js';
import { TimerWheel, UNSCHEDULED, type TimerColumns } from '../../src/keyspace/expiry/timer-wheel.js';

const N = Number(process.argv[2] ?? 1_000_000);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Columns of n ids, as the owner of a struct-of-arrays keyspace would keep them. */
class Columns implements TimerColumns {
  deadline: Float64Array;
  prev: Int32Array;
  next: Int32Array;
  constructor(n: number) {
    this.deadline = new Float64Array(n);
    this.prev = new Int32Array(n).fill(UNSCHEDULED);
    this.next = new Int32Array(n).fill(UNSCHEDULED);
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function measure(name: string, spreadMs: number, body: (wheel: TimerWheel, clock: ManualClock, n: number) => number): void {
  const times: number[] = [];
  for (let round = 0; round < 5; round++) {
    const clock = new ManualClock(1_700_000_000_000);
    let fired = 0;
    const columns = new Columns(N);
    // A budget no batch reaches: this measures the work, not the yielding.
    const wheel = new TimerWheel(clock, () => fired++, columns, { budgetMs: 1e9 });
    const start = clock.now();
    for (let i = 0; i < N; i++) columns.deadline[i] = start + 1 + Math.floor((i * 7919 % N) * spreadMs / N);
    const t = process.hrtime.bigint();
    const count = body(wheel, clock, N);
    times.push(Number(process.hrtime.bigint() - t) / count);
    void fired;
  }
  console.log(`${name.padEnd(44)} ${median(times).toFixed(0).padStart(6)} ns/timer (min ${Math.min(...times).toFixed(0)})`);
}

/** Bytes per timer that N scheduled timers (deadlines over a day) add, with what holds them. */
function memory(name: string, make: (clock: ManualClock, start: number) => { wheel: TimerWheel; keep: unknown }): void {
  gc();
  gc();
  const before = process.memoryUsage();
  const clock = new ManualClock(1_700_000_000_000);
  const { wheel, keep } = make(clock, clock.now());
  gc();
  gc();
  const after = process.memoryUsage();
  if (wheel.size !== N) throw new Error('not all scheduled');
  const heap = (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / N;
  const rss = (after.rss - before.rss) / N;
  console.log(`${name.padEnd(44)} heap+ArrayBuffers ${heap.toFixed(1).padStart(5)} B/timer, RSS ${rss.toFixed(1).padStart(5)} B/timer`);
  void keep;
}

const deadlineOf = (start: number, i: number) => start + 1 + Math.floor((i * 7919 % N) * 86_400_000 / N);
memory('memory: bare columns (ids 0..N-1)', (clock, start) => {
  const columns = new Columns(N);
  const wheel = new TimerWheel(clock, () => {}, columns);
  for (let id = 0; id < N; id++) {
    columns.deadline[id] = deadlineOf(start, id);
    wheel.schedule(id);
  }
  return { wheel, keep: columns };
});
memory('memory: TimerIds registry (owners not counted)', (clock, start) => {
  const ids = new TimerIds<object>();
  const owner = {};
  const wheel = new TimerWheel(clock, () => {}, ids);
  for (let i = 0; i < N; i++) {
    const id = ids.acquire(owner);
    ids.deadline[id] = deadlineOf(start, i);
    wheel.schedule(id);
  }
  return { wheel, keep: ids };
});

for (const [label, spread] of [['1 s', 1000], ['1 day', 86_400_000]] as const) {
  measure(`schedule, deadlines over ${label}`, spread, (wheel, _clock, n) => {
    for (let id = 0; id < n; id++) wheel.schedule(id);
    return n;
  });
  measure(`schedule + cancel, deadlines over ${label}`, spread, (wheel, _clock, n) => {
    for (let id = 0; id < n; id++) wheel.schedule(id);
    for (let id = 0; id < n; id++) wheel.cancel(id);
    return n;
  });
  measure(`schedule + fire all (cascades), over ${label}`, spread, (wheel, clock, n) => {
    for (let id = 0; id < n; id++) wheel.schedule(id);
    // One advance over the whole window (the manual clock's own timer bookkeeping
    // would dominate if it ran the wheel at every slot).
    clock.set(clock.now() + spread + 1);
    wheel.advance(clock.now());
    if (wheel.size !== 0) throw new Error(`${wheel.size} timers did not fire`);
    return n;
  });
}

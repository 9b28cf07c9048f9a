/**
 * The timer wheel alone, on a manual clock: schedule, cancel and fire of N timers with
 * deadlines spread over a window, in ns per timer. Firing moves the clock once over the
 * whole window and lets the wheel cascade every level. Median of 5 rounds.
 *
 *   npx tsx bench/micro/wheel.ts [timers=1000000]
 */
import { ManualClock } from '../../src/keyspace/clock.js';
import { TimerWheel, type TimerNode } from '../../src/keyspace/expiry/timer-wheel.js';

const N = Number(process.argv[2] ?? 1_000_000);

class Node implements TimerNode {
  timerPrev: TimerNode | null = null;
  timerNext: TimerNode | null = null;
  constructor(public deadline: number) {}
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function measure(name: string, spreadMs: number, body: (wheel: TimerWheel<Node>, clock: ManualClock, nodes: Node[]) => number): void {
  const times: number[] = [];
  for (let round = 0; round < 5; round++) {
    const clock = new ManualClock(1_700_000_000_000);
    let fired = 0;
    // A budget no batch reaches: this measures the work, not the yielding.
    const wheel = new TimerWheel<Node>(clock, () => fired++, { budgetMs: 1e9 });
    const start = clock.now();
    const nodes = Array.from({ length: N }, (_, i) => new Node(start + 1 + Math.floor((i * 7919 % N) * spreadMs / N)));
    const t = process.hrtime.bigint();
    const count = body(wheel, clock, nodes);
    times.push(Number(process.hrtime.bigint() - t) / count);
    void fired;
  }
  console.log(`${name.padEnd(44)} ${median(times).toFixed(0).padStart(6)} ns/timer (min ${Math.min(...times).toFixed(0)})`);
}

for (const [label, spread] of [['1 s', 1000], ['1 day', 86_400_000]] as const) {
  measure(`schedule, deadlines over ${label}`, spread, (wheel, _clock, nodes) => {
    for (const n of nodes) wheel.schedule(n);
    return nodes.length;
  });
  measure(`schedule + cancel, deadlines over ${label}`, spread, (wheel, _clock, nodes) => {
    for (const n of nodes) wheel.schedule(n);
    for (const n of nodes) wheel.cancel(n);
    return nodes.length;
  });
  measure(`schedule + fire all (cascades), over ${label}`, spread, (wheel, clock, nodes) => {
    for (const n of nodes) wheel.schedule(n);
    // One advance over the whole window (the manual clock's own timer bookkeeping
    // would dominate if it ran the wheel at every slot).
    clock.set(clock.now() + spread + 1);
    wheel.advance(clock.now());
    if (wheel.size !== 0) throw new Error(`${wheel.size} timers did not fire`);
    return nodes.length;
  });
}

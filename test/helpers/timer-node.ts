import type { TimerNode } from '../../src/keyspace/expiry/timer-wheel.js';

/** A timer wheel node with an id, for wheel tests. */
export class Node implements TimerNode {
  timerPrev: TimerNode | null = null;
  timerNext: TimerNode | null = null;
  constructor(
    readonly id: number,
    public deadline: number,
  ) {}
}

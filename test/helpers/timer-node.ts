import type { Clock } from '../../src/keyspace/clock.js';
import { TimerIds } from '../../src/keyspace/expiry/timer-ids.js';
import { TimerWheel, type TimerWheelOptions } from '../../src/keyspace/expiry/timer-wheel.js';

/** A timer for wheel tests: an id of the test's, and a deadline written before schedule(). */
export class Node {
  /** Its id in the NodeWheel's registry, from its first schedule() on. */
  key = -1;
  constructor(
    readonly id: number,
    public deadline: number,
  ) {}
}

/**
 * A TimerWheel over Node objects, the way Database runs one over its entries: each node
 * gets an id of a TimerIds registry (the wheel's columns) at its first schedule(), and
 * its deadline is copied into the deadline column at each schedule(). The wheel tests
 * written for object nodes run unchanged through it; every other call goes straight to
 * the wheel. A node belongs to one NodeWheel; its id is never released (no reuse here:
 * the id model test in timer-wheel-ids.test.ts covers reuse).
 */
export class NodeWheel {
  readonly ids = new TimerIds<Node>();
  readonly wheel: TimerWheel;

  constructor(clock: Clock, onDue: (node: Node) => void, options?: TimerWheelOptions) {
    const ids = this.ids;
    this.wheel = new TimerWheel(clock, (id) => onDue(ids.owner(id)), ids, options);
  }

  schedule(node: Node): void {
    if (node.key < 0) node.key = this.ids.acquire(node);
    else if (this.ids.owner(node.key) !== node) throw new Error('a node of another NodeWheel');
    this.ids.deadline[node.key] = node.deadline;
    this.wheel.schedule(node.key);
  }

  cancel(node: Node): void {
    if (node.key >= 0) this.wheel.cancel(node.key);
  }

  isScheduled(node: Node): boolean {
    return node.key >= 0 && this.wheel.isScheduled(node.key);
  }

  get size(): number {
    return this.wheel.size;
  }

  get dueAt(): number {
    return this.wheel.dueAt;
  }

  get cascadedNodes(): number {
    return this.wheel.cascadedNodes;
  }

  advance(now?: number, floorMs?: number): boolean {
    return this.wheel.advance(now, floorMs);
  }

  runDue(now: number): void {
    this.wheel.runDue(now);
  }

  countDueBy(now: number): number {
    return this.wheel.countDueBy(now);
  }

  currentTime(): number {
    return this.wheel.currentTime();
  }

  clear(): void {
    this.wheel.clear();
  }

  close(): void {
    this.wheel.close();
  }

  pause(): void {
    this.wheel.pause();
  }

  resume(): void {
    this.wheel.resume();
  }
}

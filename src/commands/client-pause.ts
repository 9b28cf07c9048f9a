/**
 * What the pause needs of a client (context.ts's Client is one; declared here so that
 * the Client, whose server context holds the pause, is not imported).
 */
export interface PausableClient {
  /** Set while parked: its connection runs none of its commands. */
  blocked: boolean;
  /** The command parked, to run again when the pause ends. */
  parkedCommand: string[] | null;
  readonly transport: { unblocked(): void };
}

/**
 * CLIENT PAUSE's state, one per server (Redis 7.0's client_pause_type / end time and
 * postponed_clients list, networking.c and blocked.c):
 *
 * - PAUSE_ALL parks every command of every client; PAUSE_WRITE parks the commands that
 *   may write or reach the replication stream (mayReplicate: write or may_replicate
 *   flags, as a script declares them for EVAL/FCALL, or EXEC of a transaction holding
 *   such a command). Replicas are never paused; on a replica, its primary's client is
 *   (its stream is read on and held, unapplied: replica.ts). As in Redis 7.0, the check
 *   is the last one before a command runs or is queued by MULTI, and CLIENT UNPAUSE is
 *   parked too under ALL (only the deadline ends that pause).
 * - A parked client is blocked (CLIENT LIST flag b, INFO blocked_clients) with no
 *   deadline of its own; its command is kept and what it sends meanwhile is held by its
 *   connection, in order. When the pause ends (its deadline, or CLIENT UNPAUSE), the
 *   clients go on in the order they were parked: each runs its parked command from the
 *   start (every check again, so a new pause parks it again), then what it sent.
 * - A second pause never shortens or relaxes the current one: the later deadline and the
 *   stricter mode win (pauseClients' max()).
 * - While paused the dataset stays as it is (Redis's checkClientPauseTimeoutAndReturnIfPaused
 *   in expireIfNeeded, activeExpireCycle and performEvictions): keys past their deadline
 *   are hidden but not deleted, the timer wheels and eviction wait (`freeze`, given by the
 *   server).
 *
 * Redis ends a pause at the first cron tick (hz) after its deadline; lapse ends it at the
 * deadline, with a timer.
 */

export const PAUSE_OFF = 0;
export const PAUSE_WRITE = 1;
export const PAUSE_ALL = 2;
export type PauseType = typeof PAUSE_OFF | typeof PAUSE_WRITE | typeof PAUSE_ALL;

export class ClientPause {
  /** The mode in force: what the dispatcher tests before each command (one comparison when off). */
  type: PauseType = PAUSE_OFF;
  /** When the pause ends, ms since the epoch. */
  private end = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Parked clients, in the order they were parked. */
  private parked: PausableClient[] = [];

  constructor(
    /** Holds the dataset constant (true) while paused, releases it (false) after. */
    private readonly freeze: (on: boolean) => void,
  ) {}

  /** Clients parked now (counted in INFO blocked_clients). */
  get parkedCount(): number {
    return this.parked.length;
  }

  /**
   * Pauses until `end` (ms since the epoch) in mode `type`, or extends and tightens the
   * current pause; an end already past (CLIENT PAUSE 0) pauses nothing.
   */
  pause(type: PauseType, end: number, now: number): void {
    if (this.type !== PAUSE_OFF) {
      if (type < this.type) type = this.type;
      if (end < this.end) end = this.end;
    }
    if (end < now) {
      this.unpause();
      return;
    }
    const wasOff = this.type === PAUSE_OFF;
    this.type = type;
    this.end = end;
    if (this.timer !== null) clearTimeout(this.timer);
    this.arm(now);
    if (wasOff) this.freeze(true);
  }

  /** The timer that ends the pause just after its deadline; Node caps timers at 2^31-1 ms, so a longer pause re-arms at that point. */
  private arm(now: number): void {
    this.timer = setTimeout(this.expire, Math.min(this.end - now + 1, 2 ** 31 - 1));
  }

  /** Ends the pause now (CLIENT UNPAUSE): parked clients go on, in order. */
  unpause(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.type === PAUSE_OFF) return;
    this.type = PAUSE_OFF;
    this.end = 0;
    this.freeze(false);
    const parked = this.parked;
    this.parked = [];
    for (const c of parked) {
      c.blocked = false;
      c.transport.unblocked();
    }
  }

  private readonly expire = (): void => {
    this.timer = null;
    const now = Date.now();
    if (now <= this.end) this.arm(now);
    else this.unpause();
  };

  /** Parks c with its command: it runs again, from the start, once the pause ends. */
  park(c: PausableClient, argv: string[]): void {
    c.blocked = true;
    c.parkedCommand = argv;
    this.parked.push(c);
  }

  /** c disconnected: it leaves the queue, its command not run. */
  forget(c: PausableClient): void {
    if (c.parkedCommand === null) return;
    const i = this.parked.indexOf(c);
    if (i >= 0) this.parked.splice(i, 1);
    c.parkedCommand = null;
    c.blocked = false;
  }

  /** The server closes: nothing more runs. */
  close(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.type = PAUSE_OFF;
    this.parked = [];
  }
}

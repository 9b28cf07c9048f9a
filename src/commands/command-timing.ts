/*
 * In the commands layer's one import cycle, type-only and kept on purpose: see the note at
 * the top of context.ts.
 */
import type { Client } from './context.js';
import type { CommandSpec } from './table.js';
import type { Clock } from '../keyspace/clock.js';
import { LatencyHistogram } from '../util/latency-histogram.js';
import { redactedArguments } from './redaction.js';
import type { SlowLog } from './slowlog.js';
import type { LatencyMonitor } from './latency-monitor.js';

/** What the timer holds between commands instead of a command's arguments (no allocation per command). */
const NO_ARGUMENTS: readonly string[] = [];

/**
 * How long commands run, for INFO commandstats (usec), latencystats (a histogram per
 * command), the slow log and the latency monitor: what Redis's call() measures around a
 * command's procedure.
 *
 * The cost is one clock read per top-level command, the one that also gives the command
 * its time (Keyspace.tickAt); the first command of a read takes the read's own (the
 * connection reads the clock once per read for the expiry catch-up). A command's duration runs from its start to the start of the next
 * command of the same read, or to the end of that read's commands (close(), before the
 * replies are written). Measured on this machine: performance.now() costs
 * ~50 ns, and a pipelined GET ~0.7 µs, so a second read per command would cost ~7% of
 * pipelined throughput, this way ~0.5%. What the duration includes beyond Redis's: what
 * lapse does for the command after its procedure (propagation to replicas, MONITOR
 * lines), and the parsing of the next command of the same read (~0.1 µs). Commands run
 * by EXEC and by scripts are timed exactly (two reads each), as Redis's nested call().
 *
 * A command that blocks the client (BLPOP on empty lists) is counted when it runs
 * (calls, usec), and its histogram sample and slow-log entry wait until it is served
 * (served()), with the time it ran plus the time its serving took, as Redis's
 * updateStatsOnUnblock; a client that times out adds nothing more.
 */
export class CommandTimer {
  /** command-timing: off, nothing is timed (usec stays 0); for measuring this class's cost. */
  enabled = true;
  /** latency-tracking */
  tracking = true;
  /** slowlog-log-slower-than, µs; negative: the slow log is off. */
  slowerThanUs = 10_000;

  /** A monotonic time the next top-level command may take as its start (offerStart), else -1. */
  private offered = -1;
  private cmd: CommandSpec | null = null;
  private client: Client | null = null;
  private argv: readonly string[] = NO_ARGUMENTS;
  private start = 0;

  constructor(
    private readonly clock: Clock,
    readonly slowlog: SlowLog,
    readonly latency: LatencyMonitor,
  ) {}

  /**
   * A top-level command starts: the one before it (if its read is still running) ends
   * now. Returns the clock's monotonic time, from which the command gets its time.
   */
  begin(c: Client, cmd: CommandSpec, argv: readonly string[]): number {
    let now = this.offered;
    if (now < 0) now = this.clock.monotonic();
    else this.offered = -1;
    if (this.cmd !== null) this.finish(now);
    if (this.enabled) {
      this.cmd = cmd;
      this.client = c;
      this.argv = argv;
      this.start = now;
    }
    return now;
  }

  /**
   * A read begins at `monotonic` and nothing has run since (the server's batch start):
   * its first command starts then, with no clock read of its own. Its time thus includes
   * its own parsing, as every later command of the read includes the next one's.
   */
  offerStart(monotonic: number): void {
    this.offered = monotonic;
  }

  /** The read's commands are over (or the caller is about to do other work): the running one ends now. */
  close(): void {
    this.offered = -1;
    if (this.cmd !== null) this.finish(this.clock.monotonic());
  }

  private finish(now: number): void {
    const cmd = this.cmd!;
    const c = this.client!;
    const argv = this.argv;
    this.cmd = null;
    this.client = null;
    this.argv = NO_ARGUMENTS;
    this.record(c, cmd, argv, (now - this.start) * 1000);
  }

  /**
   * Something timed on its own starts (a command run inside another: EXEC's queue, a
   * script's redis.call; the serving of a blocked client), with two clock reads. Returns
   * the start for elapsedUs (-1: timing is off).
   */
  startNested(): number {
    return this.enabled ? this.clock.monotonic() : -1;
  }

  /** µs since startNested() returned `start`; 0 when timing is off. */
  elapsedUs(start: number): number {
    return start < 0 ? 0 : (this.clock.monotonic() - start) * 1000;
  }

  endNested(start: number, c: Client, cmd: CommandSpec, argv: readonly string[]): void {
    if (start >= 0) this.record(c, cmd, argv, this.elapsedUs(start));
  }

  private record(c: Client, cmd: CommandSpec, argv: readonly string[], us: number): void {
    cmd.usec += us;
    const latency = this.latency;
    if (latency.thresholdMs > 0 && us >= latency.thresholdMs * 1000) latency.add(cmd.flags.has('fast') ? 'fast-command' : 'command', Math.floor(us / 1000));
    if (c.blocked) {
      c.blockedCommand = { cmd, argv, us };
      return;
    }
    this.sample(c, cmd, argv, us);
  }

  private sample(c: Client, cmd: CommandSpec, argv: readonly string[], us: number): void {
    if (this.tracking) (cmd.histogram ??= new LatencyHistogram()).record(us * 1000);
    if (this.slowerThanUs >= 0 && us >= this.slowerThanUs && !cmd.flags.has('skip_slowlog')) this.slowlog.push(redactedArguments(cmd.fullName, argv), Math.floor(us), slowlogPeer(c), c.name);
  }

  /**
   * A blocked client was served (its reply written in `replyUs`): its command's time is
   * what it ran when it blocked plus that, as Redis's updateStatsOnUnblock.
   */
  served(c: Client, replyUs: number, failed: boolean): void {
    const blocked = c.blockedCommand;
    if (blocked === null) return;
    c.blockedCommand = null;
    const total = blocked.us + replyUs;
    blocked.cmd.usec += total;
    if (failed) blocked.cmd.failedCalls++;
    if (this.enabled) this.sample(c, blocked.cmd, blocked.argv, total);
    this.latency.addIfNeeded('command-unblocking', replyUs / 1000);
  }
}

/** The client's address as the slow log shows it: Redis's getClientPeerId, "?:0" for a client without a socket (a script's). */
function slowlogPeer(c: Client): string {
  const address = c.transport.remoteAddress;
  return address === '' ? '?:0' : address;
}

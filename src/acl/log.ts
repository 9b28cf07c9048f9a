/**
 * The ACL log (ACL LOG): recent refusals, newest first, as Redis 7.0's addACLLogEntry
 * keeps them. A refusal like one of the last ten entries (same reason, context, object
 * and user, within a minute) bumps that entry's count and moves it to the front
 * instead of adding one; the log keeps at most acllog-max-len entries.
 */

export type AclLogReason = 'command' | 'key' | 'channel' | 'auth';
export type AclLogContext = 'toplevel' | 'multi' | 'lua';

export interface AclLogEntry {
  count: number;
  readonly reason: AclLogReason;
  readonly context: AclLogContext;
  /** The command, key, channel, or for auth the command name as the client sent it. */
  readonly object: string;
  readonly username: string;
  /** When it last happened (ms). */
  time: number;
  /** The client's CLIENT LIST line when it last happened. */
  clientInfo: string;
}

/** Entries further apart than this are not grouped (ACL_LOG_GROUPING_MAX_TIME_DELTA). */
const GROUPING_MS = 60_000;
/** How many recent entries a new refusal is compared with. */
const GROUPING_SCAN = 10;

export class AclLog {
  /** Newest first. */
  entries: AclLogEntry[] = [];

  constructor(private readonly maxLength: () => number) {}

  add(entry: Omit<AclLogEntry, 'count'>): void {
    const scan = Math.min(GROUPING_SCAN, this.entries.length);
    for (let i = 0; i < scan; i++) {
      const e = this.entries[i]!;
      if (
        e.reason === entry.reason &&
        e.context === entry.context &&
        Math.abs(e.time - entry.time) <= GROUPING_MS &&
        e.object === entry.object &&
        e.username === entry.username
      ) {
        e.count++;
        e.time = entry.time;
        e.clientInfo = entry.clientInfo;
        this.entries.splice(i, 1);
        this.entries.unshift(e);
        return;
      }
    }
    this.entries.unshift({ ...entry, count: 1 });
    this.trim();
  }

  /** Drops the oldest entries beyond acllog-max-len; as Redis, only when one is added. */
  private trim(): void {
    const max = this.maxLength();
    if (this.entries.length > max) this.entries.length = max;
  }

  reset(): void {
    this.entries = [];
  }
}

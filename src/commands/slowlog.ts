/** Redis's SLOWLOG_ENTRY_MAX_ARGC and SLOWLOG_ENTRY_MAX_STRING. */
const MAX_ARGC = 32;
const MAX_STRING = 128;

export interface SlowlogEntry {
  readonly id: number;
  /** Unix time in seconds when the entry was logged. */
  readonly time: number;
  /** The command's duration, µs. */
  readonly duration: number;
  readonly argv: readonly string[];
  /** The client's address (ip:port) and name when the command ran. */
  readonly peer: string;
  readonly name: string;
}

/**
 * One server's slow log (Redis's slowlog.c): the newest entry first, at most
 * slowlog-max-len, ids from 0 for the server's life (SLOWLOG RESET keeps counting).
 * Arguments are kept as Redis keeps them: at most 32 (the last one then says how many
 * more there were), each cut to 128 bytes with how many more there were.
 */
export class SlowLog {
  /** Oldest first; SLOWLOG GET reads from the end. */
  private readonly entries: SlowlogEntry[] = [];
  private nextId = 0;
  maxLen = 128;

  get length(): number {
    return this.entries.length;
  }

  /** `peer` and `name`: the client's address (ip:port) and name. */
  push(argv: readonly string[], durationUs: number, peer: string, name: string): void {
    this.entries.push({
      id: this.nextId++,
      time: Math.floor(Date.now() / 1000),
      duration: durationUs,
      argv: trimmedArgv(argv),
      peer,
      name,
    });
    this.trim();
  }

  /** Drops the oldest entries beyond maxLen (after a push, or CONFIG SET slowlog-max-len). */
  trim(): void {
    const extra = this.entries.length - this.maxLen;
    if (extra > 0) this.entries.splice(0, extra);
  }

  /** The newest `count` entries, newest first. */
  newest(count: number): SlowlogEntry[] {
    const out: SlowlogEntry[] = [];
    for (let i = this.entries.length - 1; i >= 0 && out.length < count; i--) out.push(this.entries[i]!);
    return out;
  }

  reset(): void {
    this.entries.length = 0;
  }
}

function trimmedArgv(argv: readonly string[]): string[] {
  const n = Math.min(argv.length, MAX_ARGC);
  const out: string[] = new Array<string>(n);
  for (let j = 0; j < n; j++) {
    if (n !== argv.length && j === n - 1) {
      out[j] = `... (${argv.length - n + 1} more arguments)`;
    } else {
      const a = argv[j]!;
      // The prefix is copied: a slice would be a V8 sliced string that keeps the whole
      // argument alive as long as the entry (a 1 MiB SET kept 1 MiB per slow entry:
      // test/integration/reclaim.test.ts saw 18 MB held after FLUSHALL on a busy machine).
      out[j] = a.length > MAX_STRING ? `${Buffer.from(a.slice(0, MAX_STRING), 'latin1').toString('latin1')}... (${a.length - MAX_STRING} more bytes)` : a;
    }
  }
  return out;
}

/**
 * The write stream: what this server's writes look like to a replica (and later to the
 * AOF), in Redis 7.0's shape (server.c alsoPropagate / propagatePendingCommands,
 * replication.c replicationFeedSlaves).
 *
 * - A command that changed the dataset is appended as the client sent it, or as it asked
 *   to be written (a rewrite to a deterministic form); a command may add further ones
 *   (propagate()). What one execution unit appended (a command, EXEC's commands, a
 *   script's commands) goes out together at flush(): wrapped in MULTI/EXEC when it is
 *   more than one command, alone otherwise.
 * - SELECT goes before a command of another database than the previous one's, starting
 *   from none (so the first command of a stream is preceded by its SELECT).
 * - Commands are encoded as RESP arrays of bulk strings, the bytes of each argument as
 *   they are (arguments are latin1 strings, one char per byte), straight into one buffer
 *   that is reused from unit to unit.
 *
 * Nothing is kept while no consumer listens: `active` is false and propagate() returns at
 * once, so a server without replicas pays one property read per write.
 */
export type StreamConsumer = (bytes: Buffer) => void;

/**
 * How the stream carries a key the server deleted by itself (expired, evicted, or a
 * deadline already past): UNLINK when the matching lazyfree-lazy-* parameter is on, else
 * DEL (Redis's propagateDeletion).
 */
export function deletionArgv(lazy: boolean, key: string): string[] {
  return [lazy ? 'UNLINK' : 'DEL', key];
}

/** Arguments up to this length are copied byte by byte in JavaScript (cheaper than Buffer's call into C++). */
const SHORT_ARG = 32;
const MULTI = Buffer.from('*1\r\n$5\r\nMULTI\r\n', 'latin1');
const EXEC = Buffer.from('*1\r\n$4\r\nEXEC\r\n', 'latin1');

export class WriteStream {
  private readonly consumers = new Set<StreamConsumer>();
  /** The current unit's bytes, from 0 to `pos`. */
  private buf = Buffer.allocUnsafe(16 * 1024);
  private pos = 0;
  /** Commands in the current unit, and where its first one starts (after its SELECT), for MULTI. */
  private count = 0;
  private firstAt = 0;
  /** The database the stream's last command was in (Redis's slaveseldb); -1 for none yet. */
  private selectedDb = -1;
  /** A consumer joined in the middle of a unit: the next unit starts with a SELECT. */
  private selectAfterUnit = false;

  /**
   * Set by the dispatcher while a command runs: what is propagated meanwhile (a key found
   * expired on access) belongs to the command's execution unit; outside one (a deadline
   * reached on time, an eviction) it is a unit of its own (see propagateAlone).
   */
  executing = false;

  /** Whether anything listens (propagate() keeps nothing otherwise). */
  get active(): boolean {
    return this.consumers.size !== 0;
  }

  /**
   * Adds a consumer of the stream's bytes, from the next execution unit on; the returned
   * function removes it. A new consumer gets a SELECT before its first command, as a new
   * replica does. A consumer gets a view of a buffer that is reused: it copies what it keeps.
   */
  subscribe(consumer: StreamConsumer): () => void {
    this.consumers.add(consumer);
    // Between units at once; in the middle of one (its SELECT may be written already), after it.
    this.forgetSelectedDb();
    return () => {
      this.consumers.delete(consumer);
    };
  }

  /** Appends a command to the current execution unit (alsoPropagate). */
  propagate(db: number, argv: readonly string[]): void {
    if (this.consumers.size === 0) return;
    if (db >= 0 && db !== this.selectedDb) {
      this.encodeSelect(db);
      this.selectedDb = db;
    }
    if (this.count === 0) this.firstAt = this.pos;
    this.count++;
    this.encode(argv);
  }

  /**
   * A command the server itself issues (a DEL for an expired or evicted key): within the
   * running command's unit if one runs, else written at once, alone (Redis propagates
   * active expiry and evictions without MULTI).
   */
  propagateAlone(db: number, argv: readonly string[]): void {
    if (this.consumers.size === 0) return;
    this.propagate(db, argv);
    if (!this.executing) this.flush();
  }

  /** The database the stream's last command was in (Redis's slaveseldb); -1 for none yet. */
  get selectedDatabase(): number {
    return this.selectedDb;
  }

  /**
   * The next command goes with a SELECT whatever its database (a replica starts a full
   * sync: Redis sets slaveseldb to -1).
   */
  forgetSelectedDb(): void {
    if (this.count === 0) this.selectedDb = -1;
    else this.selectAfterUnit = true;
  }

  /** Whether the current execution unit has appended more than one command (it would go wrapped in MULTI/EXEC). */
  get pendingSeveral(): boolean {
    return this.count > 1;
  }

  /** Whether the current execution unit has appended anything. */
  get hasPending(): boolean {
    return this.count !== 0;
  }

  /**
   * Ends the execution unit: writes what it appended (propagatePendingCommands). `noMulti`:
   * several commands go without MULTI/EXEC (a top-level SCAN or RANDOMKEY whose lazy
   * expiry deleted keys, Redis's CMD_TOUCHES_ARBITRARY_KEYS).
   */
  flush(noMulti = false): void {
    const n = this.count;
    if (n === 0) return;
    this.count = 0;
    if (this.consumers.size === 0) {
      this.pos = 0;
      return;
    }
    // MULTI goes after the first command's SELECT (it takes that database), EXEC last.
    if (n > 1 && !noMulti) {
      this.ensure(MULTI.length + EXEC.length);
      this.buf.copyWithin(this.firstAt + MULTI.length, this.firstAt, this.pos);
      MULTI.copy(this.buf, this.firstAt);
      this.pos += MULTI.length;
      EXEC.copy(this.buf, this.pos);
      this.pos += EXEC.length;
    }
    const bytes = this.buf.subarray(0, this.pos);
    this.pos = 0;
    if (this.selectAfterUnit) {
      this.selectAfterUnit = false;
      this.selectedDb = -1;
    }
    for (const consumer of this.consumers) consumer(bytes);
  }

  private encodeSelect(db: number): void {
    const id = String(db);
    this.encode(['SELECT', id]);
  }

  private encode(argv: readonly string[]): void {
    let size = 16;
    for (let i = 0; i < argv.length; i++) size += argv[i]!.length + 16;
    this.ensure(size);
    const b = this.buf;
    let p = this.header(0x2a, argv.length, this.pos);
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!;
      const n = arg.length;
      p = this.header(0x24, n, p);
      if (n <= SHORT_ARG) for (let j = 0; j < n; j++) b[p + j] = arg.charCodeAt(j);
      else b.write(arg, p, n, 'latin1');
      p += n;
      b[p] = 13;
      b[p + 1] = 10;
      p += 2;
    }
    this.pos = p;
  }

  /** Writes `<type><n>\r\n` at p; returns the position after it. */
  private header(type: number, n: number, p: number): number {
    const b = this.buf;
    b[p++] = type;
    if (n < 10) b[p++] = 48 + n;
    else {
      const digits = String(n);
      for (let i = 0; i < digits.length; i++) b[p++] = digits.charCodeAt(i);
    }
    b[p] = 13;
    b[p + 1] = 10;
    return p + 2;
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }
}

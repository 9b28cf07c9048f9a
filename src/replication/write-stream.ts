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
 *   they are (arguments are latin1 strings, one char per byte).
 *
 * Nothing is kept while no consumer listens: `active` is false and propagate() returns at
 * once, so a server without replicas pays one property read per write.
 */
export type StreamConsumer = (bytes: Buffer) => void;

interface PendingOp {
  readonly db: number;
  readonly argv: readonly string[];
}

export class WriteStream {
  private readonly consumers = new Set<StreamConsumer>();
  private readonly pending: PendingOp[] = [];
  /** The database the stream's last command was in (Redis's slaveseldb); -1 for none yet. */
  private selectedDb = -1;

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
   * replica does.
   */
  subscribe(consumer: StreamConsumer): () => void {
    this.consumers.add(consumer);
    this.selectedDb = -1;
    return () => {
      this.consumers.delete(consumer);
    };
  }

  /** Appends a command to the current execution unit (alsoPropagate). */
  propagate(db: number, argv: readonly string[]): void {
    if (this.consumers.size === 0) return;
    this.pending.push({ db, argv });
  }

  /**
   * A command the server itself issues (a DEL for an expired or evicted key): within the
   * running command's unit if one runs, else written at once, alone (Redis propagates
   * active expiry and evictions without MULTI).
   */
  propagateAlone(db: number, argv: readonly string[]): void {
    if (this.consumers.size === 0) return;
    this.pending.push({ db, argv });
    if (!this.executing) this.flush();
  }

  /** Whether the current execution unit has appended anything. */
  get hasPending(): boolean {
    return this.pending.length !== 0;
  }

  /** Ends the execution unit: writes what it appended (propagatePendingCommands). */
  flush(): void {
    const ops = this.pending;
    const n = ops.length;
    if (n === 0) return;
    if (this.consumers.size === 0) {
      ops.length = 0;
      return;
    }
    // MULTI takes the first command's database (its SELECT goes first), EXEC the last's.
    let out = '';
    if (n > 1) out = this.encode(out, ops[0]!.db, MULTI);
    for (let i = 0; i < n; i++) out = this.encode(out, ops[i]!.db, ops[i]!.argv);
    if (n > 1) out = this.encode(out, ops[n - 1]!.db, EXEC);
    ops.length = 0;
    const bytes = Buffer.from(out, 'latin1');
    for (const consumer of this.consumers) consumer(bytes);
  }

  /** out, then argv as a RESP array of bulk strings, after a SELECT if db is not the stream's current one. */
  private encode(out: string, db: number, argv: readonly string[]): string {
    if (db >= 0 && db !== this.selectedDb) {
      const id = String(db);
      out += `*2\r\n$6\r\nSELECT\r\n$${id.length}\r\n${id}\r\n`;
      this.selectedDb = db;
    }
    out += `*${argv.length}\r\n`;
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!;
      out += `$${arg.length}\r\n${arg}\r\n`;
    }
    return out;
  }
}

const MULTI: readonly string[] = ['MULTI'];
const EXEC: readonly string[] = ['EXEC'];

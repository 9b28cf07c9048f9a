import type { Database } from '../keyspace/database.js';
import type { TypeName } from '../keyspace/values.js';
import type { Protocol, ReplyWriter } from '../protocol/writer.js';
import { ERR_TIMEOUT_NEGATIVE, ERR_TIMEOUT_NOT_FLOAT, ERR_TIMEOUT_NOT_INTEGER, ERR_UNBLOCKED } from './errors.js';
import { parseLongDouble } from '../util/long-double.js';
import { parseCDouble, parseI64 } from '../util/numbers.js';

/**
 * Clients blocked on keys (BLPOP, BLMOVE, BZPOPMIN ...), as Redis 7.0's blocked.c keeps
 * them, one registry per server:
 *
 * - A blocking command that finds nothing to pop calls block(): the client waits on its
 *   keys, in its database, with a deadline (none for timeout 0). Its connection stops
 *   running its commands (what it sends meanwhile is kept) until it is unblocked.
 * - A key that is created (Redis's dbAdd) while clients wait on it is marked ready
 *   (signal(), called by the keyspace's listener). After each top-level command (EXEC
 *   counts as one: a push inside MULTI serves once EXEC ends), handleReady() serves the
 *   ready keys in the order they became ready: for each, if it holds the type the
 *   clients wait for, each of them in the order they blocked is served from that key
 *   (its command's own serve(): pop and reply), until the key is gone. A key of another
 *   type leaves them waiting, as in Redis 7.0.
 * - At its deadline a client is answered as Redis answers a timeout (a null array), with
 *   millisecond resolution (a timer per blocked client; Redis checks its timeout table
 *   before each sleep). CLIENT UNBLOCK answers it as a timeout or with -UNBLOCKED.
 * - A client that disconnects while blocked simply leaves.
 *
 * A served or timed-out client's reply is encoded in the server's writer between a mark
 * and a cut (whoever's batch is running keeps its own replies), then handed to the
 * client's connection with its other out-of-batch output (ClientTransport.push), and
 * its connection goes on with what it sent while blocked (ClientTransport.unblocked).
 */

/**
 * What the registry needs of a client (context.ts's Client is one; declared here so
 * that the Client, which the server context holds this registry for, is not imported).
 */
export interface BlockableClient {
  readonly reply: ReplyWriter;
  readonly protocol: Protocol;
  readonly transport: { push(bytes: Buffer): void; unblocked(): void };
  blocked: boolean;
}

/**
 * What the server does around the serving of a blocked client from a key (not around a
 * timeout): its command's statistics (Redis's updateStatsOnUnblock), and the client runs
 * as the current client meanwhile, so that invalidations of its own writes follow its
 * reply (client-side caching). `served` runs once the reply is queued.
 */
export interface ServeHooks {
  /** Returns what served() gets back (the start time). */
  servingStarts(c: BlockableClient): number;
  served(c: BlockableClient, start: number, failed: boolean): void;
}

/** What a blocked client waits for: set by the blocking command that parked it. */
export interface BlockedOn {
  /** The type whose arrival serves it: clients waiting for a list ignore a new zset (null: no keys, WAIT). */
  readonly type: TypeName | null;
  /** The client's database when it blocked: it waits on keys of that index. */
  readonly db: Database;
  readonly keys: readonly string[];
  /** How long it may wait, ms (parseTimeout); 0: for ever. */
  readonly timeoutMs: number;
  /**
   * Serves the client from key, which now holds `type`: pops and replies (or replies an
   * error, e.g. BLMOVE's destination of the wrong type). Runs with the client's protocol
   * and database; the reply goes to the client.
   */
  serve(key: string): void;
  /** What a timeout (or CLIENT UNBLOCK TIMEOUT) replies; a null array by default. */
  timeoutReply?(c: BlockableClient): void;
  /** Called when the client stops waiting, however that happens. */
  onLeave?(): void;
}

/**
 * A blocking command's timeout in seconds (Redis's getTimeoutFromObjectOrReply with
 * UNIT_SECONDS): a long double as strtold reads it, ceil(seconds * 1000) ms, 0 for no
 * timeout. What Redis refuses, with its error text: not a float (or NaN), or negative,
 * which is also what a value too large for a 64-bit count of ms becomes there (inf, 1e20:
 * the conversion gives LLONG_MIN on x86). The ms are computed in double precision, as
 * long double gives the same whole ms for any timeout a client uses.
 */
export function parseTimeout(arg: string): { ms: number } | { error: string } {
  if (parseLongDouble(arg) === undefined) return { error: ERR_TIMEOUT_NOT_FLOAT };
  const ms = Math.ceil(parseCDouble(arg) * 1000);
  // Near 2^63 a double cannot tell which side a decimal lands on; long double can.
  const fits = Math.abs(ms) >= 2 ** 62 && Math.abs(ms) <= 2 ** 64 ? decimalMsFits(arg) : undefined;
  if (fits === false || (fits === undefined && !(ms >= 0 && ms < 2 ** 63))) return { error: ERR_TIMEOUT_NEGATIVE };
  return { ms: fits === true ? Number.MAX_SAFE_INTEGER : ms };
}

/**
 * A timeout in milliseconds (Redis's getTimeoutFromObjectOrReply with UNIT_MILLISECONDS:
 * WAIT, CLIENT PAUSE): a 64-bit integer, 0 for none. Refused with Redis's texts when not
 * an integer, or negative.
 */
export function parseTimeoutMs(arg: string): { ms: number } | { error: string } {
  const ms = parseI64(arg);
  if (ms === undefined) return { error: ERR_TIMEOUT_NOT_INTEGER };
  if (ms < 0) return { error: ERR_TIMEOUT_NEGATIVE };
  return { ms: Number(ms) };
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Whether ceil(seconds * 1000) of a decimal timeout is in [0, 2^63), exactly (what long
 * double gives for timeouts of up to 19 significant digits); undefined if arg is not a
 * plain decimal (hex floats are left to the double computation).
 */
function decimalMsFits(arg: string): boolean | undefined {
  const m = DECIMAL.exec(arg);
  if (m === null) return undefined;
  const digits = BigInt(((m[2] ?? '') + (m[3] ?? '')) || '0');
  const scale = Number(m[4] ?? '0') - (m[3] ?? '').length + 3;
  let ms: bigint;
  if (scale >= 0) ms = digits * 10n ** BigInt(scale);
  else {
    const div = 10n ** BigInt(-scale);
    ms = (digits + div - 1n) / div;
  }
  if (m[1] === '-') return ms === 0n;
  return ms < 2n ** 63n;
}

/** One client's wait: what it waits for and its place in the registry. */
interface Waiter {
  readonly client: BlockableClient;
  readonly on: BlockedOn;
  timer: NodeJS.Timeout | null;
}

/** Keys that became ready, in order, by database index; a key appears once until served. */
interface ReadyKey {
  readonly dbIndex: number;
  readonly key: string;
}

function timeoutReply(on: BlockedOn, c: BlockableClient): void {
  if (on.timeoutReply !== undefined) on.timeoutReply(c);
  else c.reply.nullArray();
}

export class BlockingRegistry {
  /** Waiters by database index, then key, in the order they blocked. */
  private readonly byKey = new Map<number, Map<string, Waiter[]>>();
  private readonly waiters = new Map<BlockableClient, Waiter>();
  private ready: ReadyKey[] = [];
  /** `${dbIndex}\n${key}` of the keys in ready. */
  private readonly readySet = new Set<string>();
  private inTimeoutTable = 0;
  /** Set by the server: what it does around serving a client from a key. */
  hooks: ServeHooks | null = null;

  constructor(
    /**
     * The database at an index now: clients wait on an index, as in Redis, so after
     * SWAPDB they wait on what the index holds.
     */
    private readonly dbAt: (index: number) => Database,
    /**
     * Takes a fresh command time before serving a key (Redis's updateCachedTime in
     * handleClientsBlockedOnKeys): a key that expired while the command that fed it ran
     * (EXEC with DEBUG SLEEP) is found expired, not served.
     */
    private readonly refreshTime: () => void = () => {},
  ) {}

  /** Clients blocked now (INFO blocked_clients). */
  get blockedCount(): number {
    return this.waiters.size;
  }

  /** Blocked clients with a deadline (INFO clients_in_timeout_table). */
  get timeoutCount(): number {
    return this.inTimeoutTable;
  }

  /** Whether keys wait to be served (checked after every command: one comparison). */
  get hasReady(): boolean {
    return this.ready.length !== 0;
  }

  isBlocked(c: BlockableClient): boolean {
    return this.waiters.has(c);
  }

  /** Parks c on on.keys (the blocking command's last act: it replies nothing itself). */
  block(c: BlockableClient, on: BlockedOn): void {
    const waiter: Waiter = { client: c, on, timer: null };
    this.waiters.set(c, waiter);
    c.blocked = true;
    let keys = this.byKey.get(on.db.index);
    if (keys === undefined) this.byKey.set(on.db.index, (keys = new Map()));
    for (const key of new Set(on.keys)) {
      const list = keys.get(key);
      if (list === undefined) keys.set(key, [waiter]);
      else list.push(waiter);
    }
    if (on.timeoutMs > 0) {
      this.inTimeoutTable++;
      waiter.timer = setTimeout(() => this.timedOut(waiter), on.timeoutMs);
    }
  }

  /**
   * Marks key of db ready if clients wait on it (Redis's signalKeyAsReady): a key was
   * created there.
   */
  signal(db: Database, key: string): void {
    // Every key a command creates passes here: with nobody blocked, one comparison.
    if (this.waiters.size === 0) return;
    const list = this.byKey.get(db.index)?.get(key);
    if (list === undefined) return;
    const id = `${db.index}\n${key}`;
    if (this.readySet.has(id)) return;
    this.readySet.add(id);
    this.ready.push({ dbIndex: db.index, key });
  }

  /**
   * Every key of database dbIndex that clients wait on and that now exists is ready
   * (Redis's scanDatabaseForReadyKeys, after SWAPDB: the waiters stay with the index).
   */
  scanDatabase(db: Database): void {
    const keys = this.byKey.get(db.index);
    if (keys === undefined) return;
    // As Redis (dictFind): a key past its deadline is signalled too; serving it finds it expired, after the command.
    for (const key of keys.keys()) if (db.peek(key) !== undefined) this.signal(db, key);
  }

  /**
   * Serves the clients waiting on the keys that became ready (Redis's
   * handleClientsBlockedOnKeys), keys in the order they became ready; serving one (BLMOVE
   * pushing to its destination) may make more ready, which are served too.
   */
  handleReady(): void {
    while (this.ready.length !== 0) {
      const batch = this.ready;
      this.ready = [];
      for (const { dbIndex, key } of batch) {
        this.readySet.delete(`${dbIndex}\n${key}`);
        this.refreshTime();
        this.serveKey(dbIndex, key);
      }
    }
  }

  private serveKey(dbIndex: number, key: string): void {
    const list = this.byKey.get(dbIndex)?.get(key);
    if (list === undefined) return;
    // Served clients leave the list as they are served: iterate over a copy.
    const db = this.dbAt(dbIndex);
    for (const waiter of [...list]) {
      const { client, on } = waiter;
      if (this.waiters.get(client) !== waiter) continue;
      const entry = db.get(key);
      if (entry === undefined) return;
      if (db.typeOf(entry) !== on.type) {
        // Of another type: these waiters go on waiting. Others of the same key may wait for it.
        continue;
      }
      this.answer(waiter, () => on.serve(key), true);
    }
  }

  /** The client's deadline passed: a null array, as Redis answers a timeout. */
  private timedOut(waiter: Waiter): void {
    waiter.timer = null;
    if (this.waiters.get(waiter.client) !== waiter) return;
    this.answer(waiter, (c) => timeoutReply(waiter.on, c));
  }

  /**
   * Answers a client that waits for something other than keys (WAIT: its replicas'
   * acknowledgements) with `write`; false if it is not blocked.
   */
  release(c: BlockableClient, write: (c: BlockableClient) => void): boolean {
    const waiter = this.waiters.get(c);
    if (waiter === undefined) return false;
    this.answer(waiter, write);
    return true;
  }

  /**
   * CLIENT UNBLOCK: answers c as a timeout, or with -UNBLOCKED when `error`; false if c
   * is not blocked.
   */
  unblockByRequest(c: BlockableClient, error: boolean): boolean {
    const waiter = this.waiters.get(c);
    if (waiter === undefined) return false;
    this.answer(waiter, (client) => (error ? client.reply.error(ERR_UNBLOCKED) : timeoutReply(waiter.on, client)));
    return true;
  }

  /** Answers every blocked client with `write` (a primary turned replica: Redis's disconnectAllBlockedClients). */
  releaseAll(write: (c: BlockableClient) => void): void {
    for (const waiter of [...this.waiters.values()]) this.answer(waiter, write);
  }

  /** c disconnected (or is being reset): it leaves without a reply. */
  forget(c: BlockableClient): void {
    const waiter = this.waiters.get(c);
    if (waiter !== undefined) this.remove(waiter);
  }

  /**
   * Encodes c's reply with its protocol between a mark and a cut of the server's writer,
   * unblocks it, and hands the reply to its connection, which then goes on with what it
   * sent while blocked.
   */
  private answer(waiter: Waiter, write: (c: BlockableClient) => void, timed = false): void {
    const c = waiter.client;
    const reply = c.reply;
    const protocol = reply.protocol;
    const mark = reply.mark();
    reply.protocol = c.protocol;
    const hooks = timed ? this.hooks : null;
    const start = hooks === null ? 0 : hooks.servingStarts(c);
    try {
      write(c);
    } finally {
      reply.protocol = protocol;
    }
    const bytes = reply.cut(mark);
    this.remove(waiter);
    if (bytes.length !== 0) c.transport.push(bytes);
    // Served (not timed out), its reply queued: an error reply (BLMOVE to a key of another type) is a failed call.
    if (hooks !== null) hooks.served(c, start, bytes.length !== 0 && bytes[0] === 0x2d);
    c.transport.unblocked();
  }

  private remove(waiter: Waiter): void {
    const { client, on } = waiter;
    this.waiters.delete(client);
    client.blocked = false;
    if (waiter.timer !== null) {
      clearTimeout(waiter.timer);
      waiter.timer = null;
    }
    if (on.timeoutMs > 0) this.inTimeoutTable--;
    on.onLeave?.();
    const keys = this.byKey.get(on.db.index);
    if (keys === undefined) return;
    for (const key of new Set(on.keys)) {
      const list = keys.get(key);
      if (list === undefined) continue;
      const i = list.indexOf(waiter);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) keys.delete(key);
    }
    if (keys.size === 0) this.byKey.delete(on.db.index);
  }

  /** Every blocked client leaves without a reply (the server closes). */
  close(): void {
    for (const waiter of [...this.waiters.values()]) this.remove(waiter);
  }
}

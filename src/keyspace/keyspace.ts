import type { Clock } from './clock.js';
import { Database, EXPIRED_DELETED, EXPIRED_HIDDEN, type DatabaseEvents, type Entry, type ExpiredKeys } from './database.js';
import { BufferCount } from './store/buffer-count.js';
import { FreshMemory } from './store/fresh-memory.js';
import { KeyBytes } from './store/key-hash.js';
import { LagWindow } from './expiry/lag-window.js';
import { newHashEncoding } from './hash.js';
import { newListEncoding } from './list.js';
import { newSetEncoding } from './set.js';
import { newZSetEncoding } from './zset.js';
import { lfuMinutes, lfuNew, lfuTouched, lruClock } from './access.js';

export interface KeyspaceStats {
  expiredKeys: number;
  /** Keys evicted to free memory (INFO evicted_keys). */
  evictedKeys: number;
  keyspaceHits: number;
  keyspaceMisses: number;
}

/**
 * Redis's keyspace event classes, by the letter notify-keyspace-events uses:
 * g generic, $ string, l list, s set, h hash, z sorted set, x expired, e evicted,
 * t stream, m key miss, n new key.
 */
export type EventClass = 'g' | '$' | 'l' | 's' | 'h' | 'z' | 'x' | 'e' | 't' | 'm' | 'n';

/** Who hears about key events beyond the keyspace (WATCH, notifications); set by the server. */
export interface KeyspaceListener {
  /**
   * A key was created, changed or deleted (Redis's signalModifiedKey); `unattributed`
   * when no command did it (expired, evicted: Redis passes no client).
   */
  keyModified?(db: Database, key: string, unattributed?: boolean): void;
  /**
   * A flush of one database or of all (Redis's signalFlushedDb), whether or not they held
   * keys: once per FLUSHDB, FLUSHALL or full reload.
   */
  flushSignalled?(): void;
  /** A key was created (Redis's dbAdd: clients blocked on it may be served). */
  keyCreated?(db: Database, key: string): void;
  /** Every key of db was removed; `removed` holds what it held (expired entries included). */
  databaseFlushed?(db: Database, removed: ReadonlyMap<string, Entry>): void;
  /** SWAPDB exchanged the keys of databases a and b (WATCH: Redis's touchAllWatchedKeysInDb both ways). */
  databasesSwapped?(a: Database, b: Database): void;
  /** A keyspace event, named as Redis names it ("set", "del", "expired" ...). */
  event?(cls: EventClass, event: string, key: string, db: Database): void;
  /** A key was removed because its deadline passed (on time, or found past it on access). */
  keyExpired?(db: Database, key: string): void;
  /**
   * Whether an expiring key's name is needed now by event, keyModified or keyExpired
   * (their consumers: keyspace events, WATCH, tracking, the write stream); without this
   * answer, always.
   */
  expiredKeyWanted?(db: Database): boolean;
  /** A key was removed to bring memory under maxmemory. */
  keyEvicted?(db: Database, key: string): void;
  /** An expiry wheel's run fired timers, in elapsedMs (Redis's expire-cycle latency event). */
  expireCycle?(elapsedMs: number): void;
}

/** What Keyspace's totals add up over its databases. */
const HELD_BYTES = (db: Database): number => db.heldBytes;
const MAPPED_BYTES = (db: Database): number => db.store.slab.mappedBytes;
const GARBAGE_BYTES = (db: Database): number => db.garbageBytes;
const SLAB_BYTES = (db: Database): number => db.store.slabBytes;
const DATASET_BYTES = (db: Database): number => db.memory;
const KEY_COUNT = (db: Database): number => db.size;

/**
 * All numbered databases, the command time they share, and keyspace statistics.
 * Knows nothing of RESP or clients.
 */
export class Keyspace implements DatabaseEvents {
  readonly dbs: Database[];
  /** Redis's command time snapshot: set once per command by the dispatcher. */
  now: number;
  readonly stats: KeyspaceStats = { expiredKeys: 0, evictedKeys: 0, keyspaceHits: 0, keyspaceMisses: 0 };
  /** Redis's LRU clock (access.ts) at the command time. */
  lruClock: number;
  /**
   * How lookups stamp keys (access.ts): LFU counters while maxmemory-policy is an LFU
   * one, with lfu-log-factor and lfu-decay-time; the LRU clock otherwise. Set by the server.
   */
  lfu = false;
  /** hash-max-listpack-entries/value and the shared field names of this server's hashes. */
  readonly hashEncoding = newHashEncoding();
  /** The databases' shared slab arenas, counted until collected (memory accounting). */
  readonly sharedBytes = new BufferCount();
  /** See KeyBytes: set by the connection around each command it runs from a read. */
  readonly keyBytes = new KeyBytes();
  /** Arrays for the key tables' resizes, their pages faulted in off the main thread (fresh-memory.ts). */
  readonly freshMemory = new FreshMemory();
  /** list-max-listpack-size and list-compress-depth: the shape of lists in RDB files. */
  readonly listEncoding = newListEncoding();
  /** set-max-intset-entries of this server's sets. */
  readonly setEncoding = newSetEncoding(this.hashEncoding.arenas);
  /** zset-max-listpack-entries/value of this server's sorted sets. */
  readonly zsetEncoding = newZSetEncoding(this.hashEncoding.arenas);
  lfuLogFactor = 10;
  /**
   * What lookups do with keys past their deadline (database.ts ExpiredKeys): deleted on a
   * primary; on a replica hidden from its clients and kept for its primary's stream.
   */
  expiredKeys: ExpiredKeys = EXPIRED_DELETED;
  private active = true;
  /** holdExpiry(): the wheels are paused whatever `active` says. */
  private held = false;
  /** setReplicaExpiry(true): a replica's keyspace. */
  private replica = false;
  /** freeze(true): CLIENT PAUSE holds the dataset constant. */
  private frozenFlag = false;
  /** DEBUG QUICKLIST-PACKED-THRESHOLD, kept for the asking: lapse's lists have no plain nodes. */
  listPackedThreshold = 1 << 30;
  lfuDecayTime = 1;
  /**
   * How late expired keys were reclaimed (reclaim time - deadline, in ms) over the last
   * minute, whether by the timer wheel or lazily by a command (INFO stats).
   */
  readonly expiryLag = new LagWindow();
  listener: KeyspaceListener = {};
  /**
   * Writes since the last snapshot (INFO rdb_changes_since_last_save, Redis's dirty
   * counter): each key a command creates, changes or deletes, and each key a flush
   * removes. Commands that Redis counts differently adjust it (RENAME counts one).
   */
  changesSinceSave = 0;
  /**
   * No timer wheel of any database has work before this time (a lower bound: lowered
   * whenever a wheel's work moves earlier, made exact by expireDue()).
   */
  private nextExpiry = Infinity;

  constructor(
    readonly clock: Clock,
    databases: number,
  ) {
    this.now = clock.now();
    this.lruClock = lruClock(this.now);
    this.dbs = [];
    for (let i = 0; i < databases; i++) this.dbs.push(new Database(i, this, clock, this));
  }

  /** Refreshes the command time (once per command, as Redis does). */
  tick(): number {
    const now = (this.now = this.clock.now());
    this.lruClock = lruClock(now);
    return now;
  }

  /** tick() with the time the clock's monotonic() read as `monotonic` (one clock read per command). */
  tickAt(monotonic: number): number {
    const now = (this.now = this.clock.wallAt(monotonic));
    this.lruClock = lruClock(now);
    return now;
  }

  touched(access: number): number {
    if (!this.lfu) return this.lruClock;
    return lfuTouched(access, lfuMinutes(this.now), this.lfuDecayTime, this.lfuLogFactor);
  }

  get newAccess(): number {
    return this.lfu ? lfuNew(lfuMinutes(this.now)) : this.lruClock;
  }

  /**
   * Bytes the databases' stores hold outside the V8 heap (columns, tables, slab
   * segments): part of the live memory a GC cannot give back.
   */
  get heldBytes(): number {
    return this.sum(HELD_BYTES);
  }

  /** Bytes of the stores' large records in mapped buffers (external memory that is not in Node's arrayBuffers). */
  get mappedBytes(): number {
    return this.sum(MAPPED_BYTES);
  }

  /**
   * ArrayBuffer bytes let go since the last GC: the databases' (Database.garbageBytes)
   * and the large collections' replaced arenas and index arrays (hashEncoding.arenas).
   */
  get garbageBytes(): number {
    return this.sum(GARBAGE_BYTES) + (this.hashEncoding.arenas?.released ?? 0);
  }

  /** After a full GC: what was let go is gone. */
  garbageCollected(): void {
    for (const db of this.dbs) db.takeGarbage();
    if (this.hashEncoding.arenas !== null) this.hashEncoding.arenas.released = 0;
  }

  /** ArrayBuffer bytes the stores' slabs hold (freed space and untouched segment pages included). */
  get slabBytes(): number {
    return this.sum(SLAB_BYTES);
  }

  /** Estimated bytes of every key and value (memory-cost.ts). */
  get datasetBytes(): number {
    return this.sum(DATASET_BYTES);
  }

  /** Total number of keys in all databases. */
  get totalKeys(): number {
    return this.sum(KEY_COUNT);
  }

  private sum(of: (db: Database) => number): number {
    let n = 0;
    for (const db of this.dbs) n += of(db);
    return n;
  }

  /**
   * Reclaims what is due by `now` (the command time unless given) in every database, if
   * anything is, each wheel within its share of the time (TimerWheel.runDue): the server
   * calls it around each batch of commands (one read of a connection), so expiry keeps up
   * on a busy event loop, not only on the wheels' own timers once per turn. Costs one
   * comparison when nothing is due; reads no clock. Returns whether anything was due.
   */
  expireDue(now: number = this.now): boolean {
    if (now < this.nextExpiry) return false;
    this.nextExpiry = Infinity;
    for (const db of this.dbs) {
      db.expireDue(now);
      const at = db.expiryDueAt;
      if (at < this.nextExpiry) this.nextExpiry = at;
    }
    return true;
  }

  /** Whether the timer wheels reclaim keys by themselves (DEBUG SET-ACTIVE-EXPIRE 0|1, and not held, and a primary). */
  get activeExpire(): boolean {
    return this.active && !this.held && this.expiredKeys === EXPIRED_DELETED;
  }

  set activeExpire(on: boolean) {
    this.active = on;
    this.applyActiveExpire();
  }

  /**
   * Holds the timer wheels (nothing expires by itself, what falls due meanwhile is
   * reclaimed after) while a script suspended between event loop turns must see the
   * keyspace change only by its own commands; released with false.
   */
  holdExpiry(on: boolean): void {
    if (this.held === on) return;
    this.held = on;
    this.applyActiveExpire();
  }

  /**
   * A replica does not expire keys (its primary's DELs do), it hides them from its
   * clients: the wheels stop, lookups answer as if expired keys were gone. false: a
   * primary again, and what fell due meanwhile is reclaimed.
   */
  setReplicaExpiry(on: boolean): void {
    this.replica = on;
    this.applyExpiredKeys();
  }

  /**
   * Holds the dataset constant (CLIENT PAUSE): keys past their deadline are hidden, not
   * deleted, and the wheels stop, as on a replica; eviction waits too (frozen). false:
   * what fell due meanwhile is reclaimed.
   */
  freeze(on: boolean): void {
    this.frozenFlag = on;
    this.applyExpiredKeys();
  }

  /** Whether the dataset is held constant (freeze): nothing expires or is evicted. */
  get frozen(): boolean {
    return this.frozenFlag;
  }

  private applyExpiredKeys(): void {
    const hidden = this.replica || this.frozenFlag;
    this.expiredKeys = hidden ? EXPIRED_HIDDEN : EXPIRED_DELETED;
    this.applyActiveExpire();
    if (!hidden) this.expiryDueFrom(0);
  }

  /** Whether the keyspace is a replica's (setReplicaExpiry): its primary decides what expires and is evicted. */
  get followsPrimary(): boolean {
    return this.replica;
  }

  private applyActiveExpire(): void {
    const on = this.activeExpire;
    for (const db of this.dbs) db.setActiveExpire(on);
  }

  /** Sets the command time back to `now`: each slice of a suspended script runs at the script's time. */
  setCommandTime(now: number): void {
    this.now = now;
    this.lruClock = lruClock(now);
  }

  expiryDueFrom(at: number): void {
    if (at < this.nextExpiry) this.nextExpiry = at;
  }

  /** SWAPDB: databases a and b exchange their keys; one change for save points, as Redis counts it. */
  swapDatabases(a: Database, b: Database): void {
    this.changesSinceSave++;
    if (a === b) return;
    a.swapWith(b);
    this.listener.databasesSwapped?.(a, b);
  }

  /** Empties every database (FLUSHALL, a full reload): one flush signal. */
  flushAll(): void {
    this.listener.flushSignalled?.();
    for (const db of this.dbs) db.clear();
  }

  /** Empties one database (FLUSHDB): one flush signal. */
  flushDatabase(db: Database): void {
    this.listener.flushSignalled?.();
    db.clear();
  }

  close(): void {
    for (const db of this.dbs) db.close();
    this.freshMemory.close();
  }

  /**
   * Commands report what they did with Redis's event names, e.g.
   * notify('$', 'set', key, db) after SET; the server turns them into pub/sub messages.
   */
  notify(cls: EventClass, event: string, key: string, db: Database): void {
    this.listener.event?.(cls, event, key, db);
  }

  /**
   * Keys whose deadline is at or before now and that are still in memory, in every
   * database: due, and not reclaimed yet. Exact; O(those keys).
   */
  pastDeadlineCount(now: number = this.clock.now()): number {
    let n = 0;
    for (const db of this.dbs) n += db.pastDeadlineCount(now);
    return n;
  }

  expired(db: Database, key: string | null, deadline: number, reclaimedAt: number): void {
    this.stats.expiredKeys++;
    this.expiryLag.record(reclaimedAt - deadline, reclaimedAt);
    // Nobody to tell (expiredKeyWanted said so).
    if (key === null) return;
    // Redis's order (deleteExpiredKeyAndPropagate): the event, then signalModifiedKey.
    this.notify('x', 'expired', key, db);
    this.listener.keyModified?.(db, key, true);
    this.listener.keyExpired?.(db, key);
  }

  expiredKeyWanted(db: Database): boolean {
    return this.listener.expiredKeyWanted?.(db) ?? true;
  }

  evicted(db: Database, key: string): void {
    this.stats.evictedKeys++;
    this.listener.keyModified?.(db, key, true);
    this.notify('e', 'evicted', key, db);
    this.listener.keyEvicted?.(db, key);
  }

  missed(db: Database, key: string): void {
    this.notify('m', 'keymiss', key, db);
  }

  created(db: Database, key: string): void {
    this.notify('n', 'new', key, db);
    this.listener.keyCreated?.(db, key);
  }

  fieldsExpired(db: Database, key: string, _fields: number, keyDeleted: boolean): void {
    this.notify('h', 'hexpired', key, db);
    if (keyDeleted) this.notify('g', 'del', key, db);
  }

  expireCycle(elapsedMs: number): void {
    this.listener.expireCycle?.(elapsedMs);
  }

  modified(db: Database, key: string): void {
    this.changesSinceSave++;
    this.listener.keyModified?.(db, key);
  }

  flushed(db: Database, removed: ReadonlyMap<string, Entry>): void {
    // Redis counts every key FLUSHDB removes as a change.
    this.changesSinceSave += removed.size;
    this.listener.databaseFlushed?.(db, removed);
  }
}

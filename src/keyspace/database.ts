import { TimerWheel } from './expiry/timer-wheel.js';
import { TimerIds } from './expiry/timer-ids.js';
import type { Clock } from './clock.js';
import { typeOf, type TypeName, type Value, type ValueObject } from './values.js';
import { Entry, NO_DEADLINE } from './entry.js';
import { FieldTimer, FieldTtls, HashValue, type HashEncoding } from './hash.js';
import type { SetEncoding } from './set.js';
import type { ZSetEncoding } from './zset.js';
import { DEADLINE_BYTES, ENTRY_BYTES, entryBytes, stringBytes, valueBytes } from './memory-cost.js';
import type { StringForm } from './string-encoding.js';

// The entry, its deadline and their helpers live in entry.ts (hash.ts and memory-cost.ts
// need the type without the database); re-exported because the database is where the
// layers above look them up.
export { Entry, NO_DEADLINE, deadlineFor, expireTimeOf } from './entry.js';

declare const held: unique symbol;
/**
 * An entry known to hold a value of type T (a command checked its type): the database's
 * objectOf() then returns the T without a cast at every use.
 */
export type Holding<T extends ValueObject> = Entry & { readonly [held]?: T };

/**
 * Deadlines above this are not exact doubles of Redis's int64 expire time + 1: the
 * database keeps the exact expire time of such entries beside them.
 */
const MAX_EXACT_DEADLINE = Number.MAX_SAFE_INTEGER;

/** What a Database reports to its owner. */
export interface DatabaseEvents {
  /**
   * A key was removed because its deadline passed (lazily, or by the wheel), at time
   * reclaimedAt (ms): reclaimedAt - deadline is how late it was reclaimed.
   */
  expired(db: Database, key: string, deadline: number, reclaimedAt: number): void;
  /** A command looked a key up to read it and found none (Redis's "keymiss" event). */
  missed(db: Database, key: string): void;
  /** A key was evicted to free memory (maxmemory). */
  evicted(db: Database, key: string): void;
  /** A key was created, changed or deleted by a command (for WATCH and friends). */
  modified(db: Database, key: string): void;
  /** A key was created (Redis's "new" keyspace event). */
  created(db: Database, key: string): void;
  /** A run of an expiry wheel fired timers, taking elapsedMs (the latency monitor's expire-cycle). */
  expireCycle(elapsedMs: number): void;
  /**
   * Every key of the database was removed (FLUSHDB, FLUSHALL); `removed` is the map it
   * held, expired entries not reclaimed yet included (WATCH needs to know which keys
   * existed).
   */
  flushed(db: Database, removed: ReadonlyMap<string, Entry>): void;
  /**
   * Fields of the hash at key were removed because their deadline passed (lazily or by
   * the wheel); keyDeleted when that emptied the hash and removed the key.
   */
  fieldsExpired(db: Database, key: string, fields: number, keyDeleted: boolean): void;
  /**
   * A timer wheel of the database has work from time `at`, earlier than it had: the
   * owner calls expireDue() once its command time reaches it.
   */
  expiryDueFrom(at: number): void;
}

/**
 * Who must see a key before it changes: a background snapshot (persistence/snapshot.ts)
 * that has not written the key yet writes its old value first, so the file holds the
 * keyspace as it was when the snapshot began.
 *
 * The contract: every change to an entry that exists (its value replaced, its value
 * mutated in place, its deadline, its hash fields or their TTLs, its deletion for any
 * reason: DEL, RENAME, expiry, eviction, FLUSHDB) calls beforeChange BEFORE the change.
 * The Database does it in all of its own methods (hash fields change only through
 * setField/deleteField/setFieldDeadline, which take the entry); a command that mutates a
 * value object in place any other way calls willMutate(entry) first. One change may call
 * it more than once; the first call always sees the state before the change, which is
 * all a snapshot keeps. With no snapshot running this costs one null check.
 */
export interface ChangeObserver {
  beforeChange(db: Database, entry: Entry): void;
  /** Every key is about to be removed; `slots` is the insertion order being dropped. */
  beforeClear(db: Database, slots: readonly (Entry | number)[]): void;
}

/**
 * What databases share: Redis's one time per command, hit/miss counters, how keys'
 * access clocks are stamped (access.ts; the keyspace follows maxmemory-policy), and the
 * server's hash encoding settings.
 */
/**
 * What a key past its deadline is to the command that finds it: gone and deleted (a
 * primary: lazy expiry), gone but kept (a replica serving its clients: the primary's DEL
 * deletes it, as Redis 7 replicas do), or still there (a replica applying its primary's
 * stream, which decides what expires).
 */
export const EXPIRED_DELETED = 0;
export const EXPIRED_HIDDEN = 1;
export const EXPIRED_KEPT = 2;
export type ExpiredKeys = typeof EXPIRED_DELETED | typeof EXPIRED_HIDDEN | typeof EXPIRED_KEPT;

export interface CommandTime {
  /** What lookups do with a key past its deadline (see ExpiredKeys). */
  readonly expiredKeys: ExpiredKeys;
  readonly hashEncoding: HashEncoding;
  /** set-max-intset-entries of this server's sets. */
  readonly setEncoding: SetEncoding;
  readonly zsetEncoding: ZSetEncoding;
  now: number;
  readonly stats: { keyspaceHits: number; keyspaceMisses: number };
  /** The stamp of an access: the LRU clock now, or (lfu) the decayed and counted LFU stamp. */
  touched(access: number): number;
  /** The stamp of a new key. */
  readonly newAccess: number;
  /** Whether the timer wheels reclaim keys by themselves (DEBUG SET-ACTIVE-EXPIRE). */
  readonly activeExpire: boolean;
}

/** Tombstones are compacted away once there are more than this and more than live keys. */
const MIN_TOMBSTONES_TO_COMPACT = 1024;

/**
 * A numbered database: a Map from key to Entry, with lazy expiry on every lookup and
 * active expiry by a timer wheel.
 *
 * Besides the Map, `order` lists entries by insertion sequence (deleted ones leave a
 * tombstone holding their seq until compaction). SCAN walks it from the newest entry
 * to the oldest with the cursor being the next seq to look at: keys created after an
 * iteration started have larger seqs and are never reached, and a key never moves, so
 * an iteration returns every key present throughout exactly once, never a duplicate
 * (even if the key is deleted and created again meanwhile), and always ends.
 */
export class Database {
  private map = new Map<string, Entry>();
  private order: (Entry | number)[] = [];
  private tombstones = 0;
  private nextSeq = 1;
  private volatile = 0;
  private deadlineSum = 0;
  /**
   * Exact expire times of entries whose deadline is beyond MAX_EXACT_DEADLINE (clients
   * may set any int64 with PEXPIREAT and read it back with PEXPIRETIME). Such keys never
   * expire in practice, so the wheel works with the rounded deadline.
   */
  private farExpireTimes = new Map<Entry, bigint>();
  /**
   * Estimated bytes held by this database's keys (memory-cost.ts), kept up to date by
   * every change: maxmemory's dataset figure.
   */
  private bytes = 0;
  /**
   * String values whose Redis encoding their text does not tell (string-encoding.ts):
   * few keys (those APPEND, SETRANGE, SETBIT, BITFIELD, BITOP, INCRBYFLOAT or COPY left
   * so), null until the first. Forgotten when the value is replaced or the key removed.
   */
  private stringForms: Map<Entry, StringForm> | null = null;
  private wheel: TimerWheel;
  /** The key wheel's ids and columns: Entry.timerId of each key with a deadline. */
  private entryIds = new TimerIds<Entry>();
  /** Hash field TTLs, on a wheel of their own, created with the first one. */
  private fieldWheel: TimerWheel | null = null;
  /** The field wheel's ids and columns (FieldTimer.timerId), created with it. */
  private fieldIds: TimerIds<FieldTimer> | null = null;
  /**
   * The database the wheels' callbacks act on: the wheels move with the keys when
   * SWAPDB swaps two databases' contents, and this is pointed back at their new owner.
   */
  private wheelHost: { db: Database } = { db: this };
  /** A running background snapshot, or null (see ChangeObserver). */
  observer: ChangeObserver | null = null;
  /** Both wheels tell the owner when their work moves earlier. */
  private readonly onWake = (at: number): void => this.events.expiryDueFrom(at);
  private readonly onRun = (elapsedMs: number): void => this.events.expireCycle(elapsedMs);

  constructor(
    readonly index: number,
    private readonly time: CommandTime,
    private readonly clock: Clock,
    private readonly events: DatabaseEvents,
  ) {
    const host = this.wheelHost;
    const ids = this.entryIds;
    this.wheel = new TimerWheel(clock, (id) => host.db.expireEntry(ids.owner(id), clock.now()), ids, { onWake: this.onWake, onRun: this.onRun });
    if (!time.activeExpire) this.wheel.pause();
  }

  /**
   * The server's hash limits and field-name pool: what a command that builds a new hash
   * passes to HashValue.set (setField passes it itself).
   */
  get hashEncoding(): HashEncoding {
    return this.time.hashEncoding;
  }

  /** The server's set limits: what a command that builds or grows a set passes to SetValue.add. */
  get setEncoding(): SetEncoding {
    return this.time.setEncoding;
  }

  /** The server's zset-max-listpack-entries/value: what a command growing a sorted set passes to it. */
  get zsetEncoding(): ZSetEncoding {
    return this.time.zsetEncoding;
  }

  /** Number of keys, including expired ones not reclaimed yet (as Redis's DBSIZE). */
  get size(): number {
    return this.map.size;
  }

  /** Number of keys with a deadline. */
  get expiresCount(): number {
    return this.volatile;
  }

  // Reading an entry. Commands never touch an entry's fields: an entry is a handle the
  // database reads for them, so its storage can change without the commands knowing.

  /** The key of an entry. */
  keyOf(entry: Entry): string {
    return entry.key;
  }

  /** The value of an entry: its string, or its collection object. */
  valueOf(entry: Entry): Value {
    return entry.value;
  }

  /** Whether an entry holds a string (not a collection). */
  isString(entry: Entry): boolean {
    return typeof entry.value === 'string';
  }

  /** The string an entry holds; the caller knows it holds one (isString). */
  stringOf(entry: Entry): string {
    return entry.value as string;
  }

  /** The collection an entry known to hold one holds (a Holding<T> from a type check). */
  objectOf<T extends ValueObject>(entry: Holding<T>): T {
    return entry.value as T;
  }

  /** TYPE's name for what an entry holds. */
  typeOf(entry: Entry): TypeName {
    return typeOf(entry.value);
  }

  /** The first ms at which the entry no longer exists (NO_DEADLINE: none); see entry.ts. */
  deadlineOf(entry: Entry): number {
    return entry.deadline;
  }

  /** The entry's access stamp (access.ts: LRU clock or LFU stamp and counter). */
  accessOf(entry: Entry): number {
    return entry.access;
  }

  /** Sets the entry's access stamp (OBJECT FREQ/IDLETIME after RESTORE, DEBUG). Not a change of the key. */
  setAccess(entry: Entry, access: number): void {
    entry.access = access;
  }

  /** Estimated bytes of the keys and values (memory-cost.ts). */
  get memory(): number {
    return this.bytes;
  }

  /** Number of hash fields with a TTL. */
  get fieldTtlCount(): number {
    return this.fieldWheel?.size ?? 0;
  }

  /** The sequence number the next new key gets: every existing key's is lower. */
  get nextSequence(): number {
    return this.nextSeq;
  }

  /**
   * Entries (and tombstones: the seq of a deleted entry) in insertion order, for a
   * snapshot's walk. Read-only; valid until the next change to the database.
   */
  get slots(): readonly (Entry | number)[] {
    return this.order;
  }

  /**
   * Must be called before a command changes the value object of a live entry in place
   * (see ChangeObserver). Changes made through Database methods need no call. Returns
   * the value's bytes before the change, for valueChanged().
   */
  willMutate(entry: Entry): number {
    if (this.observer !== null) this.observer.beforeChange(this, entry);
    return valueBytes(entry.value);
  }

  /**
   * A command changed the value object of a live entry in place (after willMutate):
   * `bytesBefore` is the value's estimatedBytes before the change, so the database's
   * memory figure (maxmemory) follows.
   */
  valueChanged(entry: Entry, bytesBefore: number): void {
    this.bytes += valueBytes(entry.value) - bytesBefore;
  }

  /** Mean remaining TTL in ms of keys with a deadline, 0 when none (INFO avg_ttl). */
  averageTtl(now: number): number {
    if (this.volatile === 0) return 0;
    return Math.max(0, Math.round(this.deadlineSum / this.volatile - 1 - now));
  }

  /** The live entry for key, expiring it first if its deadline has passed. */
  get(key: string): Entry | undefined {
    const entry = this.map.get(key);
    if (entry === undefined) return undefined;
    const time = this.time;
    if (entry.deadline <= time.now && time.expiredKeys !== EXPIRED_KEPT) {
      if (time.expiredKeys === EXPIRED_DELETED) this.expireEntry(entry, time.now);
      return undefined;
    }
    entry.access = time.touched(entry.access);
    return entry;
  }

  /**
   * get() for commands that read the key (GET, EXISTS, TYPE ...): also counts a
   * keyspace hit or miss, as Redis's lookupKeyRead does for INFO, and reports a miss.
   */
  read(key: string): Entry | undefined {
    const entry = this.get(key);
    if (entry === undefined) {
      this.time.stats.keyspaceMisses++;
      this.events.missed(this, key);
    } else {
      this.time.stats.keyspaceHits++;
    }
    return entry;
  }

  /**
   * read() that leaves the key's access clock alone (Redis's LOOKUP_NOTOUCH): EXISTS,
   * TYPE and the TTL family look a key up without it counting as a use, for OBJECT
   * IDLETIME/FREQ and LRU/LFU eviction.
   */
  readUntouched(key: string): Entry | undefined {
    const entry = this.map.get(key);
    const time = this.time;
    if (entry !== undefined) {
      if (entry.deadline > time.now || time.expiredKeys === EXPIRED_KEPT) {
        time.stats.keyspaceHits++;
        return entry;
      }
      if (time.expiredKeys === EXPIRED_DELETED) this.expireEntry(entry, time.now);
    }
    time.stats.keyspaceMisses++;
    this.events.missed(this, key);
    return undefined;
  }

  /** The entry even if its deadline passed (for the code that expires it). */
  peek(key: string): Entry | undefined {
    return this.map.get(key);
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /**
   * Sets key to value with the given deadline (NO_DEADLINE for none), creating the key
   * or replacing its value and deadline. Returns the entry.
   */
  set(key: string, value: Value, deadline: number = NO_DEADLINE): Entry {
    return this.setLooked(key, this.map.get(key), value, deadline);
  }

  /**
   * set() for a caller that has just looked key up with get() (which expired it if it
   * was due): entry is what that returned, so the Map is not searched a second time.
   */
  setLooked(key: string, entry: Entry | undefined, value: Value, deadline: number = NO_DEADLINE): Entry {
    if (entry === undefined) {
      entry = new Entry(key, value, NO_DEADLINE, this.nextSeq++, this.time.newAccess);
      this.map.set(key, entry);
      this.order.push(entry);
      this.bytes += ENTRY_BYTES + stringBytes(key.length) + valueBytes(value);
      this.events.created(this, key);
    } else {
      if (this.observer !== null) this.observer.beforeChange(this, entry);
      const old = entry.value;
      // Measured before its field timers go with it.
      this.bytes += valueBytes(value) - valueBytes(old);
      if (old !== value) this.dropFieldTimers(old, entry);
      entry.value = value;
      if (this.stringForms !== null) this.stringForms.delete(entry);
    }
    if (value instanceof HashValue && value.ttls !== null) value.ttls.owner = entry;
    this.applyDeadline(entry, deadline);
    this.events.modified(this, key);
    return entry;
  }

  /** Replaces the value of an existing entry, keeping its deadline. */
  replaceValue(entry: Entry, value: Value): void {
    if (this.observer !== null) this.observer.beforeChange(this, entry);
    const old = entry.value;
    this.bytes += valueBytes(value) - valueBytes(old);
    if (old !== value) this.dropFieldTimers(old, entry);
    entry.value = value;
    if (this.stringForms !== null) this.stringForms.delete(entry);
    if (value instanceof HashValue && value.ttls !== null) value.ttls.owner = entry;
    this.events.modified(this, entry.key);
  }

  /** The remembered encoding form of a live entry's string value (string-encoding.ts), if any. */
  stringForm(entry: Entry): StringForm | undefined {
    return this.stringForms === null ? undefined : this.stringForms.get(entry);
  }

  /**
   * Remembers (or with undefined forgets) how Redis would hold a live entry's string
   * value; call after the change that made it so (replacing the value forgets it). Not a
   * change of the key: no event, WATCH or snapshot sees it.
   */
  setStringForm(entry: Entry, form: StringForm | undefined): void {
    if (form === undefined) {
      this.stringForms?.delete(entry);
      return;
    }
    (this.stringForms ??= new Map()).set(entry, form);
  }

  /**
   * Sets field of a live entry's hash to value, creating it or replacing its value;
   * true if it is new. Replacing a value drops the field's TTL (HSET, HMSET), unless
   * keepTtl (HINCRBY, HINCRBYFLOAT, which alter the value rather than replace it).
   */
  setField(entry: Entry, field: string, value: string, keepTtl = false): boolean {
    if (this.observer !== null) this.observer.beforeChange(this, entry);
    const hash = entry.value as HashValue;
    const before = hash.estimatedBytes;
    if (hash.ttls !== null && !keepTtl) this.clearFieldDeadline(hash, field);
    const created = hash.set(field, value, this.time.hashEncoding);
    this.bytes += hash.estimatedBytes - before;
    return created;
  }

  /**
   * Sets (or with NO_DEADLINE clears) the TTL of an existing field of the hash held by
   * a live entry. The deadline is the first ms at which the field is gone.
   */
  setFieldDeadline(entry: Entry, field: string, deadline: number): void {
    if (this.observer !== null) this.observer.beforeChange(this, entry);
    const hash = entry.value as HashValue;
    const before = hash.estimatedBytes;
    if (deadline === NO_DEADLINE) {
      this.clearFieldDeadline(hash, field);
      this.bytes += hash.estimatedBytes - before;
      return;
    }
    const ttls = (hash.ttls ??= new FieldTtls(entry));
    let timer = ttls.timers.get(field);
    if (timer === undefined) {
      timer = new FieldTimer(hash, field, deadline);
      ttls.timers.set(field, timer);
    } else {
      timer.deadline = deadline;
    }
    if (deadline < ttls.earliest) ttls.earliest = deadline;
    const host = this.wheelHost;
    if (this.fieldWheel === null) {
      const fieldIds = (this.fieldIds = new TimerIds<FieldTimer>());
      this.fieldWheel = new TimerWheel(this.clock, (id) => host.db.expireFieldTimer(fieldIds.owner(id)), fieldIds, { onWake: this.onWake, onRun: this.onRun });
      if (!this.time.activeExpire) this.fieldWheel.pause();
    }
    const ids = this.fieldIds!;
    if (timer.timerId < 0) timer.timerId = ids.acquire(timer);
    ids.deadline[timer.timerId] = deadline;
    this.fieldWheel.schedule(timer.timerId);
    this.bytes += hash.estimatedBytes - before;
  }

  private clearFieldDeadline(hash: HashValue, field: string): void {
    const ttls = hash.ttls;
    const timer = ttls?.timers.get(field);
    if (timer === undefined) return;
    this.dropFieldTimer(timer);
    ttls!.timers.delete(field);
    if (ttls!.timers.size === 0) hash.ttls = null;
  }

  /** Removes a field (and its TTL) from a live entry's hash; true if it existed. The key stays. */
  deleteField(entry: Entry, field: string): boolean {
    if (this.observer !== null) this.observer.beforeChange(this, entry);
    const hash = entry.value as HashValue;
    const before = hash.estimatedBytes;
    if (hash.ttls !== null) this.clearFieldDeadline(hash, field);
    const removed = hash.removeField(field);
    this.bytes += hash.estimatedBytes - before;
    return removed;
  }

  /**
   * Removes the fields of a live entry's hash whose deadline has passed, as every
   * access to a hash must before reading it: an expired field is never visible.
   * Returns false if that emptied the hash, which also deletes the key.
   *
   * Due fields are removed by letting the field wheel fire everything due by the command
   * time (this hash's fields and any other's, which are due anyway); only if its time
   * budget runs out are this hash's own timers examined. Either way every field left is
   * due after now, so the hash is not looked at again within this millisecond.
   */
  purgeExpiredFields(entry: Entry): boolean {
    const hash = entry.value as HashValue;
    const now = this.time.now;
    // A replica leaves fields to its primary's commands.
    if (hash.ttls === null || hash.ttls.earliest > now || this.time.expiredKeys !== EXPIRED_DELETED) return true;
    if (!this.fieldWheel!.advance(now) && hash.ttls !== null && this.map.get(entry.key) === entry) {
      const due: FieldTimer[] = [];
      for (const timer of hash.ttls.timers.values()) if (timer.deadline <= now) due.push(timer);
      // expireFieldTimer cancels each one's timer.
      for (const timer of due) this.expireFieldTimer(timer);
    }
    if (this.map.get(entry.key) !== entry || entry.value !== hash) return false;
    if (hash.ttls !== null) hash.ttls.earliest = now + 1;
    return true;
  }

  /**
   * Redis's expire time in ms of a live entry that has a deadline: exact for any int64
   * (a bigint beyond 2^53).
   */
  expireTime(entry: Entry): number | bigint {
    if (entry.deadline > MAX_EXACT_DEADLINE) {
      const exact = this.farExpireTimes.get(entry);
      if (exact !== undefined) return exact;
    }
    return entry.deadline - 1;
  }

  /** Sets the deadline of a live entry from Redis's expire time in ms (any int64). */
  setExpireTime(entry: Entry, when: number | bigint): void {
    if (typeof when === 'number' && when < MAX_EXACT_DEADLINE) {
      this.setDeadline(entry, when + 1);
      return;
    }
    const exact = BigInt(when);
    this.setDeadline(entry, Number(exact + 1n));
    if (entry.deadline > MAX_EXACT_DEADLINE) this.farExpireTimes.set(entry, exact);
  }

  /** Sets or clears (NO_DEADLINE) the deadline of a live entry. */
  setDeadline(entry: Entry, deadline: number): void {
    if (entry.deadline === deadline) return;
    if (this.observer !== null) this.observer.beforeChange(this, entry);
    this.applyDeadline(entry, deadline);
  }

  /** setDeadline without telling the observer (set() told it already). */
  private applyDeadline(entry: Entry, deadline: number): void {
    const old = entry.deadline;
    if (old === deadline) return;
    if (old > MAX_EXACT_DEADLINE && old !== NO_DEADLINE) this.farExpireTimes.delete(entry);
    if (old !== NO_DEADLINE) {
      this.volatile--;
      this.deadlineSum -= old;
      this.bytes -= DEADLINE_BYTES;
    }
    entry.deadline = deadline;
    if (deadline === NO_DEADLINE) {
      this.dropTimer(entry);
    } else {
      this.volatile++;
      this.deadlineSum += deadline;
      this.bytes += DEADLINE_BYTES;
      const ids = this.entryIds;
      if (entry.timerId < 0) entry.timerId = ids.acquire(entry);
      ids.deadline[entry.timerId] = deadline;
      this.wheel.schedule(entry.timerId);
    }
  }

  /**
   * Cancels an entry's timer and gives its id back (its deadline is gone, or it leaves
   * the database); a no-op for an entry without one. Also after the wheel fired it.
   */
  private dropTimer(entry: Entry): void {
    const id = entry.timerId;
    if (id < 0) return;
    this.wheel.cancel(id);
    this.entryIds.release(id);
    entry.timerId = -1;
  }

  /** dropTimer for a hash field's timer. */
  private dropFieldTimer(timer: FieldTimer): void {
    const id = timer.timerId;
    if (id < 0) return;
    this.fieldWheel!.cancel(id);
    this.fieldIds!.release(id);
    timer.timerId = -1;
  }

  /**
   * Reports a change a command made to key other than through set(), replaceValue() or
   * a deletion (e.g. its TTL), as Redis's signalModifiedKey: WATCH sees it.
   */
  signalModified(key: string): void {
    this.events.modified(this, key);
  }

  /** Deletes key if it exists (expired keys count as absent). */
  delete(key: string): boolean {
    const entry = this.get(key);
    if (entry === undefined) return false;
    this.remove(entry);
    this.events.modified(this, key);
    return true;
  }

  /** Deletes a live entry. */
  deleteEntry(entry: Entry): void {
    this.remove(entry);
    this.events.modified(this, entry.key);
  }

  /**
   * Evicts an entry to free memory (maxmemory): deleted as any key (a snapshot sees it
   * first, WATCH sees it change) and reported as evicted; not a change for save points,
   * as in Redis.
   */
  evict(entry: Entry): void {
    this.remove(entry);
    this.events.evicted(this, entry.key);
  }

  /** Removes every key; deadlines are cancelled without firing. */
  clear(): void {
    const removed = this.map;
    if (this.observer !== null) this.observer.beforeClear(this, this.order);
    this.wheel.clear();
    this.entryIds.reset();
    this.fieldWheel?.clear();
    this.fieldIds?.reset();
    this.map = new Map();
    this.farExpireTimes = new Map();
    this.stringForms = null;
    this.order = [];
    this.tombstones = 0;
    this.volatile = 0;
    this.deadlineSum = 0;
    this.bytes = 0;
    if (removed.size > 0) this.events.flushed(this, removed);
  }

  /**
   * Swaps every key (values, deadlines, field TTLs, their wheels) with another database
   * of the same keyspace, in O(1) as Redis's dbSwapDatabases. A running snapshot sees
   * every key of both first (each is about to change database). Reports nothing: the
   * caller tells WATCH (Keyspace.swapDatabases).
   */
  swapWith(other: Database): void {
    for (const db of [this, other]) {
      const observer = db.observer;
      if (observer === null) continue;
      for (const slot of db.order) if (typeof slot !== 'number') observer.beforeChange(db, slot);
    }
    const a = this as unknown as Record<string, unknown>;
    const b = other as unknown as Record<string, unknown>;
    for (const field of SWAPPED_FIELDS) {
      const t = a[field];
      a[field] = b[field];
      b[field] = t;
    }
    this.wheelHost.db = this;
    other.wheelHost.db = other;
  }

  /**
   * A copy of a live entry's value for COPY: a string as is (immutable), a collection
   * deep (ValueObject.copy). Field TTLs are not part of it (see copyFieldTtls).
   */
  static copyValue(value: Value): Value {
    return typeof value === 'string' ? value : value.copy();
  }

  /**
   * The field deadlines of a live entry's hash, as [field, deadline] pairs, or null: what
   * COPY and MOVE give the new key (Redis 7.4 keeps hash field TTLs through both).
   */
  fieldDeadlines(entry: Entry): [string, number][] | null {
    const value = entry.value;
    if (!(value instanceof HashValue) || value.ttls === null) return null;
    const out: [string, number][] = [];
    for (const timer of value.ttls.timers.values()) out.push([timer.field, timer.deadline]);
    return out;
  }

  /** Stops the wheels' timers (server shutdown). */
  close(): void {
    this.wheel.close();
    this.fieldWheel?.close();
  }

  /**
   * Number of keys whose deadline is at or before now and that are still in memory
   * (not reclaimed yet). Exact; O(those keys) (see TimerWheel.countDueBy).
   */
  pastDeadlineCount(now: number): number {
    return this.wheel.countDueBy(now);
  }

  /**
   * Active expiry on or off (DEBUG SET-ACTIVE-EXPIRE): off, the wheels fire nothing and
   * a key past its deadline stays until a command reaches it (lazy expiry) or it is
   * turned on again.
   */
  setActiveExpire(on: boolean): void {
    for (const wheel of [this.wheel, this.fieldWheel]) {
      if (on) wheel?.resume();
      else wheel?.pause();
    }
  }

  /** Moves the wheel to now and reclaims what is due (tests, and the wheel's own timer). */
  reclaimExpired(now?: number): boolean {
    return this.wheel.advance(now);
  }

  /**
   * Before this time neither of the database's wheels (keys, hash fields) has work:
   * expireDue(now) does nothing. Infinity when no deadline is scheduled.
   */
  get expiryDueAt(): number {
    const fields = this.fieldWheel;
    return fields === null ? this.wheel.dueAt : Math.min(this.wheel.dueAt, fields.dueAt);
  }

  /**
   * Reclaims keys and hash fields due by `now` (a command time: no clock is read to
   * decide), each wheel within its share of the time (TimerWheel.runDue).
   */
  expireDue(now: number): void {
    this.wheel.runDue(now);
    this.fieldWheel?.runDue(now);
  }

  /**
   * Iterates live entries in insertion order. Expired entries are reclaimed, unless
   * `reclaim` is false (KEYS, which Redis 7.0 answers with keyIsExpired: it skips them
   * and leaves them to the expiry cycle, so nothing is propagated).
   */
  *entries(reclaim = true): IterableIterator<Entry> {
    const now = this.time.now;
    const mode = reclaim ? this.time.expiredKeys : EXPIRED_HIDDEN;
    for (const entry of this.map.values()) {
      if (entry.deadline <= now && mode !== EXPIRED_KEPT) {
        if (mode === EXPIRED_DELETED) this.expireEntry(entry, now);
        continue;
      }
      yield entry;
    }
  }

  /**
   * Visits up to `count` entries starting at cursor (0 = start), examining at most
   * count*10 slots, and returns the next cursor (0 when the iteration is complete).
   * Entries past their deadline are reclaimed and not visited.
   */
  scan(cursor: number, count: number, visit: (entry: Entry) => void): number {
    const order = this.order;
    let i: number;
    if (cursor === 0) {
      i = order.length - 1;
    } else {
      // The last slot whose seq <= cursor.
      let lo = 0;
      let hi = order.length - 1;
      i = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        if (seqAt(order[mid]!) <= cursor) {
          i = mid;
          lo = mid + 1;
        } else {
          hi = mid - 1;
        }
      }
    }
    const now = this.time.now;
    let visited = 0;
    let examined = 0;
    const maxExamined = Math.max(count, 1) * 10;
    const expired: Entry[] = [];
    for (; i >= 0 && visited < count && examined < maxExamined; i--, examined++) {
      const slot = order[i]!;
      if (typeof slot === 'number') continue;
      if (slot.deadline <= now) {
        expired.push(slot);
        continue;
      }
      visited++;
      visit(slot);
    }
    const next = i >= 0 ? seqAt(order[i]!) : 0;
    // Reclaim after the walk: expiring may compact `order` under our index.
    if (this.time.expiredKeys === EXPIRED_DELETED) for (const entry of expired) if (this.map.get(entry.key) === entry) this.expireEntry(entry, now);
    return next;
  }

  /** A random live key, or undefined when the database is empty. */
  randomEntry(): Entry | undefined {
    for (;;) {
      if (this.map.size === 0) return undefined;
      if (this.tombstones > this.map.size) this.compact();
      const slot = this.order[Math.floor(Math.random() * this.order.length)]!;
      if (typeof slot === 'number') continue;
      if (slot.deadline <= this.time.now && this.time.expiredKeys !== EXPIRED_KEPT) {
        if (this.time.expiredKeys === EXPIRED_DELETED) this.expireEntry(slot, this.time.now);
        else if (this.liveKeysNone()) return undefined;
        continue;
      }
      return slot;
    }
  }

  /**
   * Adds to `out` up to `count` live entries picked at random (with a deadline only, if
   * volatileOnly), for eviction's sampling: Redis's dictGetSomeKeys, with at most count*10
   * random probes. Entries may repeat. When probes find no entry with a deadline although
   * some exist (few among many keys), a walk from a random slot finds them, as Redis
   * samples its expires dict.
   */
  sample(count: number, volatileOnly: boolean, out: Entry[]): void {
    if (this.map.size === 0 || (volatileOnly && this.volatile === 0)) return;
    if (this.tombstones > this.map.size) this.compact();
    const order = this.order;
    const now = this.time.now;
    const start = out.length;
    for (let probes = count * 10; probes > 0 && out.length - start < count; probes--) {
      const slot = order[Math.floor(Math.random() * order.length)]!;
      if (typeof slot === 'number' || slot.deadline <= now) continue;
      if (volatileOnly && slot.deadline === NO_DEADLINE) continue;
      out.push(slot);
    }
    if (out.length > start || !volatileOnly) return;
    const from = Math.floor(Math.random() * order.length);
    for (let i = 0; i < order.length && out.length - start < count; i++) {
      const slot = order[(from + i) % order.length]!;
      if (typeof slot !== 'number' && slot.deadline !== NO_DEADLINE && slot.deadline > now) out.push(slot);
    }
  }

  /** Whether every key is past its deadline (a replica's RANDOMKEY, which must not loop for ever over hidden keys). */
  private liveKeysNone(): boolean {
    const now = this.time.now;
    for (const entry of this.map.values()) if (entry.deadline > now) return false;
    return true;
  }

  /** Whether entry is this database's live entry for its key (not deleted or replaced since it was sampled). */
  holds(entry: Entry): boolean {
    return this.map.get(entry.key) === entry;
  }

  /** Expires an entry whose deadline has passed at time now: removes it and reports it. */
  private expireEntry(entry: Entry, now: number): void {
    const deadline = entry.deadline;
    this.remove(entry);
    this.events.expired(this, entry.key, deadline, now);
  }

  /**
   * A field's deadline passed (its timer fired, or a purge found it due): remove the
   * field, and the key if that emptied the hash. A key whose own deadline has passed
   * expires as a whole instead.
   */
  private expireFieldTimer(timer: FieldTimer): void {
    this.dropFieldTimer(timer);
    const hash = timer.hash;
    const ttls = hash.ttls;
    if (ttls === null) return;
    const entry = ttls.owner;
    // The snapshot, if any, must see the hash with this field and its TTL.
    const live = this.map.get(entry.key) === entry && entry.value === hash;
    if (this.observer !== null && live) this.observer.beforeChange(this, entry);
    const before = hash.estimatedBytes;
    ttls.timers.delete(timer.field);
    if (ttls.timers.size === 0) hash.ttls = null;
    if (!live) {
      // Not reachable: leaving the keyspace cancels a hash's timers. Keep the hash consistent anyway.
      hash.removeField(timer.field);
      return;
    }
    this.bytes += hash.estimatedBytes - before;
    const now = Math.max(this.time.now, this.clock.now());
    if (entry.deadline <= now) {
      this.expireEntry(entry, now);
      return;
    }
    const beforeField = hash.estimatedBytes;
    hash.removeField(timer.field);
    this.bytes += hash.estimatedBytes - beforeField;
    const emptied = hash.size === 0;
    if (emptied) this.remove(entry);
    this.events.modified(this, entry.key);
    this.events.fieldsExpired(this, entry.key, 1, emptied);
  }

  /**
   * Cancels the field TTLs of a value that leaves the keyspace with its entry; not if
   * the value now belongs to another entry (RENAME moves a hash to a new key).
   */
  private dropFieldTimers(value: Value, entry: Entry): void {
    if (!(value instanceof HashValue) || value.ttls === null || value.ttls.owner !== entry) return;
    for (const timer of value.ttls.timers.values()) this.dropFieldTimer(timer);
    value.ttls = null;
  }

  private remove(entry: Entry): void {
    if (this.observer !== null) this.observer.beforeChange(this, entry);
    this.bytes -= entryBytes(entry);
    this.map.delete(entry.key);
    if (this.stringForms !== null) this.stringForms.delete(entry);
    this.dropFieldTimers(entry.value, entry);
    if (entry.deadline !== NO_DEADLINE) {
      this.volatile--;
      this.deadlineSum -= entry.deadline;
      this.dropTimer(entry);
      if (entry.deadline > MAX_EXACT_DEADLINE) this.farExpireTimes.delete(entry);
    }
    const index = this.indexOf(entry.seq);
    if (index >= 0) {
      this.order[index] = entry.seq;
      this.tombstones++;
      if (this.tombstones > MIN_TOMBSTONES_TO_COMPACT && this.tombstones > this.map.size) this.compact();
    }
  }

  /**
   * The index of seq in `order`, by interpolation: sequence numbers rise through the
   * array with gaps only where compaction removed keys, so the first guess is exact
   * until a compaction and close after one. A binary search (~20 probes at 1M keys, each
   * a cache miss on the slot and one on its entry) made removing a key cost more than
   * the Map delete; expiring 1M keys: see the commit that brought this in.
   */
  private indexOf(seq: number): number {
    const order = this.order;
    let lo = 0;
    let hi = order.length - 1;
    while (lo <= hi) {
      const sLo = seqAt(order[lo]!);
      const sHi = seqAt(order[hi]!);
      if (seq < sLo || seq > sHi) return -1;
      if (sHi === sLo) return lo;
      // Seqs are distinct and increasing: seq sits at most (seq - sLo) slots after lo and
      // at most (sHi - seq) slots before hi.
      const mid = Math.min(hi, lo + Math.floor(((seq - sLo) * (hi - lo)) / (sHi - sLo)));
      const s = seqAt(order[mid]!);
      if (s === seq) return mid;
      if (s < seq) {
        lo = mid + 1;
        hi = Math.min(hi, mid + (seq - s));
      } else {
        hi = mid - 1;
        lo = Math.max(lo, mid - (s - seq));
      }
    }
    return -1;
  }

  private compact(): void {
    const live: Entry[] = new Array(this.map.size);
    let n = 0;
    for (const slot of this.order) if (typeof slot !== 'number') live[n++] = slot;
    live.length = n;
    this.order = live;
    this.tombstones = 0;
  }
}

/** What SWAPDB exchanges between two Database objects: everything about their keys. */
const SWAPPED_FIELDS = [
  'map', 'order', 'tombstones', 'nextSeq', 'volatile', 'deadlineSum', 'farExpireTimes', 'bytes',
  'stringForms', 'wheel', 'entryIds', 'fieldWheel', 'fieldIds', 'wheelHost',
] as const;

/** The insertion sequence number of a slot of Database.slots. */
export function seqAt(slot: Entry | number): number {
  return typeof slot === 'number' ? slot : slot.seq;
}

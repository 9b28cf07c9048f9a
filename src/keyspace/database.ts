import type { Clock } from './clock.js';
import { typeOf, type TypeName, type Value, type ValueObject } from './values.js';
import { NO_DEADLINE, type Entry } from './entry.js';
import { FieldTimer, FieldTtls, HashValue, type HashEncoding } from './hash.js';
import type { SetEncoding } from './set.js';
import type { ZSetEncoding } from './zset.js';
import { ENTRY_BYTES, OBJECT_REF_BYTES } from './memory-cost.js';
import type { StringForm } from './string-encoding.js';
import { KIND_FREE, KIND_OBJECT, KIND_STRING, KeyStore } from './key-store.js';
import { randomHashSeed, type KeyBytes } from './store/key-hash.js';
import type { BufferCount } from './store/buffer-count.js';
import type { FreshArrays } from './store/key-table.js';
import { decimalDigits } from '../util/numbers.js';

// The entry, its deadline and their helpers live in entry.ts (hash.ts and memory-cost.ts
// need the type without the database); re-exported because the database is where the
// layers above look them up.
export { NO_DEADLINE, deadlineFor, type Entry } from './entry.js';
export { KIND_FREE, KIND_STRING, KeyStore } from './key-store.js';

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
  expired(db: Database, key: string | null, deadline: number, reclaimedAt: number): void;
  /**
   * Whether expired() needs the key's name now (keyspace events, WATCH, tracking,
   * replicas); when not, null is passed and no string is made of the key: a session
   * store expires keys by the million with nobody listening.
   */
  expiredKeyWanted(db: Database): boolean;
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
  flushed(db: Database, removed: RemovedKeys): void;
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
  /** A key was created with this id (ids are reused): it did not exist when the snapshot began. */
  created(db: Database, entry: Entry): void;
  /**
   * Every key is about to be removed: db.store is the store being dropped (the database
   * gets a new one); the observer may keep reading it.
   */
  beforeClear(db: Database): void;
  /** The two databases are about to exchange their stores (SWAPDB). */
  beforeSwap(a: Database, b: Database): void;
}

/** The keys a FLUSHDB removed (WATCH asks which of its keys were among them). */
export interface RemovedKeys {
  readonly size: number;
  has(key: string): boolean;
}

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

/**
 * What databases share: Redis's one time per command, hit/miss counters, how keys'
 * access clocks are stamped (access.ts; the keyspace follows maxmemory-policy), and the
 * server's hash encoding settings.
 */
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
  /** The stores' shared arena bytes, until collected. */
  readonly sharedBytes: BufferCount;
  /** The bytes the running command's arguments were made from, when the connection knows them (KeyBytes). */
  readonly keyBytes: KeyBytes;
  /** Where the stores' key tables get their large arrays (FreshMemory). */
  readonly freshMemory: FreshArrays;
}


/**
 * A numbered database: its keys in a KeyStore (key-store.ts: an open-addressing table
 * over typed arrays, records off the V8 heap, an id per key), with lazy expiry on every
 * lookup and active expiry by the store's timer wheel. An Entry is a key's id: a handle
 * valid until the key is removed, read through this class (keyOf, valueOf, ...).
 *
 * SCAN walks the table by scan position (the bit-reversed hash of the key): positions
 * never change when the table grows or shrinks, so an iteration returns every key
 * present throughout exactly once, never a duplicate, and always ends.
 */
export class Database {
  /** The keys; replaced by FLUSHDB, exchanged by SWAPDB. */
  store: KeyStore<StoreHost>;
  /** The seed of this server's key hashes (one per keyspace would do; one per database costs nothing). */
  private readonly seed = randomHashSeed();
  /** A running background snapshot, or null (see ChangeObserver). */
  observer: ChangeObserver | null = null;
  /** Bytes of the stores FLUSHDB dropped since the last takeGarbage(). */
  private droppedBytes = 0;
  /** The wheels tell the owner when their work moves earlier, and how long their runs take. */
  private readonly onWake = (at: number): void => this.events.expiryDueFrom(at);
  private readonly onRun = (elapsedMs: number): void => this.events.expireCycle(elapsedMs);

  constructor(
    readonly index: number,
    private readonly time: CommandTime,
    private readonly clock: Clock,
    private readonly events: DatabaseEvents,
  ) {
    this.store = this.newStore();
  }

  private newStore(): KeyStore<StoreHost> {
    // The database the wheels' callbacks act on: the stores move with their keys when
    // SWAPDB swaps two databases' contents, and each store's host is pointed at its new owner.
    const host: StoreHost = { db: this };
    // A fired key's reclaim time is the wheel's (read every few dozen keys), not a clock read per key.
    const store: KeyStore<StoreHost> = new KeyStore(host, this.seed, this.clock, { onWake: this.onWake, onRun: this.onRun }, (id) => host.db.expireEntry(id, store.wheel.firedAt), this.time.sharedBytes, this.time.keyBytes, this.time.freshMemory);
    if (!this.time.activeExpire) store.wheel.pause();
    return store;
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
    return this.store.size;
  }

  /** Number of keys with a deadline. */
  get expiresCount(): number {
    return this.store.volatile;
  }

  // Reading an entry. Commands never touch an entry's storage: an entry is a handle the
  // database reads for them.

  /** The key of an entry. */
  keyOf(entry: Entry): string {
    return this.store.keyOf(entry);
  }

  /** The value of an entry: its string, or its collection object. */
  valueOf(entry: Entry): Value {
    const store = this.store;
    return store.kindOf(entry) === KIND_STRING ? store.stringOf(entry) : store.objects.get(entry)!;
  }

  /** Whether an entry holds a string (not a collection). */
  isString(entry: Entry): boolean {
    return this.store.kindOf(entry) === KIND_STRING;
  }

  /** The string an entry holds; the caller knows it holds one (isString). */
  stringOf(entry: Entry): string {
    return this.store.stringOf(entry);
  }

  /**
   * The bytes of the string an entry holds (isString), for a reply that copies them
   * without making a string: they lie in [store.viewStart, store.viewEnd) of the
   * returned array, valid until the database changes.
   */
  stringView(entry: Entry): Uint8Array {
    return this.store.stringView(entry);
  }

  /** Length in bytes of the string an entry holds (isString). */
  stringLength(entry: Entry): number {
    return this.store.stringLength(entry);
  }

  /** The collection an entry known to hold one holds (a Holding<T> from a type check). */
  objectOf<T extends ValueObject>(entry: Holding<T>): T {
    return this.store.objects.get(entry) as T;
  }

  /** TYPE's name for what an entry holds. */
  typeOf(entry: Entry): TypeName {
    const store = this.store;
    return store.kindOf(entry) === KIND_STRING ? 'string' : typeOf(store.objects.get(entry)!);
  }

  /** The first ms at which the entry no longer exists (NO_DEADLINE: none); see entry.ts. */
  deadlineOf(entry: Entry): number {
    return this.store.deadlineOf(entry);
  }

  /** Whether the entry's key starts with prefix, without making a string of the key. */
  keyStartsWith(entry: Entry, prefix: string): boolean {
    return this.store.keyStartsWith(entry, prefix);
  }

  /** The entry's access stamp (access.ts: LRU clock or LFU stamp and counter). */
  accessOf(entry: Entry): number {
    return this.store.accessOf(entry);
  }

  /** Sets the entry's access stamp (OBJECT FREQ/IDLETIME after RESTORE, DEBUG). Not a change of the key. */
  setAccess(entry: Entry, access: number): void {
    this.store.setAccess(entry, access);
  }

  /** What a key costs in the maxmemory model (memory-cost.ts). */
  entryBytes(entry: Entry): number {
    const store = this.store;
    return ENTRY_BYTES + store.keyLength(entry) + (store.kindOf(entry) === KIND_STRING ? store.stringLength(entry) : OBJECT_REF_BYTES + store.objects.get(entry)!.estimatedBytes);
  }

  /** Estimated bytes of the keys and values (memory-cost.ts). */
  get memory(): number {
    return this.store.bytes;
  }

  /** Bytes the store's arrays, table and slab hold (INFO). */
  get heldBytes(): number {
    return this.store.heldBytes;
  }

  /** Number of hash fields with a TTL. */
  get fieldTtlCount(): number {
    return this.store.fieldIds?.size ?? 0;
  }

  /**
   * Must be called before a command changes the value object of a live entry in place
   * (see ChangeObserver). Changes made through Database methods need no call. Returns
   * the value's bytes before the change, for valueChanged().
   */
  willMutate(entry: Entry): number {
    if (this.observer !== null) this.observer.beforeChange(this, entry);
    return this.store.objects.get(entry)?.estimatedBytes ?? 0;
  }

  /**
   * A command changed the value object of a live entry in place (after willMutate):
   * `bytesBefore` is the value's estimatedBytes before the change, so the database's
   * memory figure (maxmemory) follows.
   */
  valueChanged(entry: Entry, bytesBefore: number): void {
    this.store.bytes += (this.store.objects.get(entry)?.estimatedBytes ?? 0) - bytesBefore;
  }

  /** Mean remaining TTL in ms of keys with a deadline, 0 when none (INFO avg_ttl). */
  averageTtl(now: number): number {
    const store = this.store;
    if (store.volatile === 0) return 0;
    return Math.max(0, Math.round(store.deadlineSum / store.volatile - 1 - now));
  }

  /** The live entry for key, expiring it first if its deadline has passed. */
  get(key: string): Entry | undefined {
    const store = this.store;
    const id = store.find(key);
    if (id < 0) return undefined;
    const time = this.time;
    if (store.deadlineOf(id) <= time.now && time.expiredKeys !== EXPIRED_KEPT) {
      if (time.expiredKeys === EXPIRED_DELETED) this.expireEntry(id, time.now);
      return undefined;
    }
    store.setAccess(id, time.touched(store.accessOf(id)));
    return id;
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
    const store = this.store;
    const id = store.find(key);
    const time = this.time;
    if (id >= 0) {
      if (store.deadlineOf(id) > time.now || time.expiredKeys === EXPIRED_KEPT) {
        time.stats.keyspaceHits++;
        return id;
      }
      if (time.expiredKeys === EXPIRED_DELETED) this.expireEntry(id, time.now);
    }
    time.stats.keyspaceMisses++;
    this.events.missed(this, key);
    return undefined;
  }

  /** The entry even if its deadline passed (for the code that expires it). */
  peek(key: string): Entry | undefined {
    const id = this.store.find(key);
    return id < 0 ? undefined : id;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /**
   * Sets key to value with the given deadline (NO_DEADLINE for none), creating the key
   * or replacing its value and deadline. Returns the entry.
   */
  set(key: string, value: Value, deadline: number = NO_DEADLINE): Entry {
    return this.setLooked(key, this.peek(key), value, deadline);
  }

  /**
   * set() for a caller that has just looked key up with get() (which expired it if it
   * was due): entry is what that returned, so the table is not searched a second time.
   */
  setLooked(key: string, entry: Entry | undefined, value: Value, deadline: number = NO_DEADLINE): Entry {
    const store = this.store;
    let id: number;
    if (entry === undefined) {
      id = this.added(store.create(key, value, this.time.newAccess), ENTRY_BYTES + key.length + valueCost(value));
      this.events.created(this, key);
    } else {
      id = entry;
      this.changeValue(id, value);
    }
    if (value instanceof HashValue && value.ttls !== null) value.ttls.owner = id;
    this.applyDeadline(id, deadline);
    this.events.modified(this, key);
    return id;
  }

  /**
   * An RDB load's key (Redis's dbAddRDBLoad): key holding value, with no deadline.
   * Returns the entry, or -1 when the key is already there (nothing changes), unless
   * `replace` (DEBUG RELOAD MERGE: Redis's dbSyncDelete, then the add). As Redis, it
   * signals nothing: no keyspace event, no modified key, no blocked client served (a load
   * starts from an emptied keyspace, and that emptying was signalled).
   */
  loadValue(key: string, value: Value, replace = false): Entry | -1 {
    const store = this.store;
    const existing = store.find(key);
    if (existing >= 0) {
      if (!replace) return -1;
      this.remove(existing);
    }
    const id = this.added(store.create(key, value, this.time.newAccess), ENTRY_BYTES + key.length + valueCost(value));
    if (value instanceof HashValue && value.ttls !== null) value.ttls.owner = id;
    return id;
  }

  /**
   * loadValue() for a string key given as bytes (no string is made of the key or the
   * value): key[0, keyLength) holding value[valueStart, valueEnd).
   */
  loadString(key: Uint8Array, keyLength: number, value: Uint8Array, valueStart: number, valueEnd: number): Entry | -1 {
    const id = this.store.createStringBytes(key, keyLength, value, valueStart, valueEnd, this.time.newAccess);
    if (id < 0) return -1;
    return this.added(id, ENTRY_BYTES + keyLength + (valueEnd - valueStart));
  }

  /** A new entry: its bytes counted, a running save told (it is not in the snapshot). Signals nothing. */
  private added(id: Entry, bytes: number): Entry {
    this.store.bytes += bytes;
    if (this.observer !== null) this.observer.created(this, id);
    return id;
  }

  /** Whether the key whose bytes are key[0, keyLength) is present (expired or not). */
  hasKeyBytes(key: Uint8Array, keyLength: number): boolean {
    return this.store.findBytes(key, 0, keyLength) >= 0;
  }

  /** Replaces the value of an existing entry, keeping its deadline. `key` is its key, if the caller has it (no string is made of it then). */
  replaceValue(entry: Entry, value: Value, key?: string): void {
    this.changeValue(entry, value);
    if (value instanceof HashValue && value.ttls !== null) value.ttls.owner = entry;
    this.events.modified(this, key ?? this.store.keyOf(entry));
  }

  /**
   * replaceValue(entry, String(n), key) for a live string entry and a safe integer n
   * (INCR, DECR, INCRBY): the digits go into the stored bytes, no string is made of them.
   */
  replaceInteger(entry: Entry, n: number, key: string): void {
    if (this.observer !== null) this.observer.beforeChange(this, entry);
    const store = this.store;
    const length = n < 0 ? 1 + decimalDigits(-n) : decimalDigits(n);
    const old = store.replaceInteger(entry, n, length);
    store.bytes += length - old;
    if (store.stringForms !== null) store.stringForms.delete(entry);
    this.events.modified(this, key);
  }

  private changeValue(id: number, value: Value): void {
    if (this.observer !== null) this.observer.beforeChange(this, id);
    const store = this.store;
    const old = store.kindOf(id) === KIND_OBJECT ? store.objects.get(id)! : null;
    // Measured before its field timers go with it.
    store.bytes += valueCost(value) - (old === null ? store.stringLength(id) : OBJECT_REF_BYTES + old.estimatedBytes);
    if (old !== null && old !== value) this.dropFieldTimers(old, id);
    store.replace(id, value);
    if (store.stringForms !== null) store.stringForms.delete(id);
  }

  /** The remembered encoding form of a live entry's string value (string-encoding.ts), if any. */
  stringForm(entry: Entry): StringForm | undefined {
    const forms = this.store.stringForms;
    return forms === null ? undefined : forms.get(entry);
  }

  /**
   * Remembers (or with undefined forgets) how Redis would hold a live entry's string
   * value; call after the change that made it so (replacing the value forgets it). Not a
   * change of the key: no event, WATCH or snapshot sees it.
   */
  setStringForm(entry: Entry, form: StringForm | undefined): void {
    const store = this.store;
    if (form === undefined) {
      store.stringForms?.delete(entry);
      return;
    }
    (store.stringForms ??= new Map()).set(entry, form);
  }

  /**
   * Sets field of a live entry's hash to value, creating it or replacing its value;
   * true if it is new. Replacing a value drops the field's TTL (HSET, HMSET), unless
   * keepTtl (HINCRBY, HINCRBYFLOAT, which alter the value rather than replace it).
   */
  setField(entry: Entry, field: string, value: string, keepTtl = false): boolean {
    if (this.observer !== null) this.observer.beforeChange(this, entry);
    const store = this.store;
    const hash = store.objects.get(entry) as HashValue;
    const before = hash.estimatedBytes;
    if (hash.ttls !== null && !keepTtl) this.clearFieldDeadline(hash, field);
    const created = hash.set(field, value, this.time.hashEncoding);
    store.bytes += hash.estimatedBytes - before;
    return created;
  }

  /**
   * Sets (or with NO_DEADLINE clears) the TTL of an existing field of the hash held by
   * a live entry. The deadline is the first ms at which the field is gone.
   */
  setFieldDeadline(entry: Entry, field: string, deadline: number): void {
    if (this.observer !== null) this.observer.beforeChange(this, entry);
    const store = this.store;
    const hash = store.objects.get(entry) as HashValue;
    const before = hash.estimatedBytes;
    if (deadline === NO_DEADLINE) {
      this.clearFieldDeadline(hash, field);
      store.bytes += hash.estimatedBytes - before;
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
    if (store.fieldWheel === null) {
      // The wheel moves with its store (SWAPDB): it acts on whichever database holds it.
      store.createFieldWheel((id) => store.host.db.expireFieldTimer(store.fieldIds!.owner(id)), this.time.activeExpire);
    }
    const ids = store.fieldIds!;
    if (timer.timerId < 0) timer.timerId = ids.acquire(timer);
    ids.deadline[timer.timerId] = deadline;
    store.fieldWheel!.schedule(timer.timerId);
    store.bytes += hash.estimatedBytes - before;
  }

  private clearFieldDeadline(hash: HashValue, field: string): void {
    const ttls = hash.ttls;
    const timer = ttls?.timers.get(field);
    if (timer === undefined) return;
    this.dropFieldTimer(timer);
    ttls!.timers.delete(field);
    if (ttls!.timers.size === 0) hash.ttls = null;
  }

  /** Cancels a field's timer and gives its id back (also after the wheel fired it). */
  private dropFieldTimer(timer: FieldTimer): void {
    const id = timer.timerId;
    if (id < 0) return;
    const store = this.store;
    store.fieldWheel!.cancel(id);
    store.fieldIds!.release(id);
    timer.timerId = -1;
  }

  /** Removes a field (and its TTL) from a live entry's hash; true if it existed. The key stays. */
  deleteField(entry: Entry, field: string): boolean {
    if (this.observer !== null) this.observer.beforeChange(this, entry);
    const store = this.store;
    const hash = store.objects.get(entry) as HashValue;
    const before = hash.estimatedBytes;
    if (hash.ttls !== null) this.clearFieldDeadline(hash, field);
    const removed = hash.removeField(field);
    store.bytes += hash.estimatedBytes - before;
    return removed;
  }

  /** Whether entry is live and still holds value (not deleted, replaced or reused since). */
  private holdsValue(entry: Entry, value: ValueObject): boolean {
    const store = this.store;
    return store.isLive(entry) && store.objects.get(entry) === value;
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
    const store = this.store;
    const hash = store.objects.get(entry) as HashValue;
    const now = this.time.now;
    // A replica leaves fields to its primary's commands.
    if (hash.ttls === null || hash.ttls.earliest > now || this.time.expiredKeys !== EXPIRED_DELETED) return true;
    if (!store.fieldWheel!.advance(now) && hash.ttls !== null && this.holdsValue(entry, hash)) {
      const due: FieldTimer[] = [];
      for (const timer of hash.ttls.timers.values()) if (timer.deadline <= now) due.push(timer);
      // expireFieldTimer cancels each one's timer.
      for (const timer of due) this.expireFieldTimer(timer);
    }
    if (!this.holdsValue(entry, hash)) return false;
    if (hash.ttls !== null) hash.ttls.earliest = now + 1;
    return true;
  }

  /**
   * Redis's expire time in ms of a live entry that has a deadline: exact for any int64
   * (a bigint beyond 2^53).
   */
  expireTime(entry: Entry): number | bigint {
    return this.store.expireTime(entry);
  }

  /** Sets the deadline of a live entry from Redis's expire time in ms (any int64). */
  setExpireTime(entry: Entry, when: number | bigint): void {
    if (typeof when === 'number' && when < MAX_EXACT_DEADLINE) {
      this.setDeadline(entry, when + 1);
      return;
    }
    const exact = BigInt(when);
    this.setDeadline(entry, Number(exact + 1n));
    if (this.store.deadlineOf(entry) > MAX_EXACT_DEADLINE) this.store.farExpireTimes.set(entry, exact);
  }

  /** Sets or clears (NO_DEADLINE) the deadline of a live entry. */
  setDeadline(entry: Entry, deadline: number): void {
    if (this.store.deadlineOf(entry) === deadline) return;
    if (this.observer !== null) this.observer.beforeChange(this, entry);
    this.applyDeadline(entry, deadline);
  }

  /** setDeadline without telling the observer (set() told it already). */
  private applyDeadline(id: number, deadline: number): void {
    const store = this.store;
    const old = store.deadlineOf(id);
    if (old === deadline) return;
    if (old > MAX_EXACT_DEADLINE && old !== NO_DEADLINE) store.farExpireTimes.delete(id);
    if (old !== NO_DEADLINE) {
      store.volatile--;
      store.deadlineSum -= old;
    }
    store.setDeadlineOf(id, deadline);
    if (deadline === NO_DEADLINE) {
      store.wheel.cancel(id);
    } else {
      store.volatile++;
      store.deadlineSum += deadline;
      store.wheel.schedule(id);
    }
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
    const key = this.store.keyOf(entry);
    this.remove(entry);
    this.events.modified(this, key);
  }

  /**
   * Evicts an entry to free memory (maxmemory): deleted as any key (a snapshot sees it
   * first, WATCH sees it change) and reported as evicted; not a change for save points,
   * as in Redis.
   */
  evict(entry: Entry): void {
    const key = this.store.keyOf(entry);
    this.remove(entry);
    this.events.evicted(this, key);
  }

  /** Removes every key; deadlines are cancelled without firing. */
  clear(): void {
    const removed = this.store;
    if (this.observer !== null) this.observer.beforeClear(this);
    removed.wheel.clear();
    removed.close();
    this.droppedBytes += removed.heldBytes + removed.slabBytes;
    this.store = this.newStore();
    if (removed.size > 0) this.events.flushed(this, new StoreKeys(removed));
  }

  /**
   * Swaps every key (values, deadlines, field TTLs, their wheels) with another database
   * of the same keyspace, in O(1) as Redis's dbSwapDatabases. A running snapshot writes
   * both first. Reports nothing: the caller tells WATCH (Keyspace.swapDatabases).
   */
  swapWith(other: Database): void {
    const observer = this.observer ?? other.observer;
    if (observer !== null) observer.beforeSwap(this, other);
    const mine = this.store;
    this.store = other.store;
    other.store = mine;
    this.store.host.db = this;
    other.store.host.db = other;
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
    const value = this.store.objects.get(entry);
    if (!(value instanceof HashValue) || value.ttls === null) return null;
    const out: [string, number][] = [];
    for (const timer of value.ttls.timers.values()) out.push([timer.field, timer.deadline]);
    return out;
  }

  /** Stops the wheels' timers (server shutdown). */
  close(): void {
    this.store.close();
  }

  /**
   * Number of keys whose deadline is at or before now and that are still in memory
   * (not reclaimed yet). Exact; O(those keys) (see TimerWheel.countDueBy).
   */
  pastDeadlineCount(now: number): number {
    return this.store.wheel.countDueBy(now);
  }

  /**
   * Active expiry on or off (DEBUG SET-ACTIVE-EXPIRE): off, the wheels fire nothing and
   * a key past its deadline stays until a command reaches it (lazy expiry) or it is
   * turned on again.
   */
  setActiveExpire(on: boolean): void {
    for (const wheel of [this.store.wheel, this.store.fieldWheel]) {
      if (on) wheel?.resume();
      else wheel?.pause();
    }
  }

  /** Moves the wheel to now and reclaims what is due (tests, and the wheel's own timer). */
  reclaimExpired(now?: number): boolean {
    return this.store.wheel.advance(now);
  }

  /**
   * Before this time neither of the database's wheels (keys, hash fields) has work:
   * expireDue(now) does nothing. Infinity when no deadline is scheduled.
   */
  get expiryDueAt(): number {
    const store = this.store;
    const fields = store.fieldWheel;
    return fields === null ? store.wheel.dueAt : Math.min(store.wheel.dueAt, fields.dueAt);
  }

  /**
   * Reclaims keys and hash fields due by `now` (a command time: no clock is read to
   * decide), each wheel within its share of the time (TimerWheel.runDue).
   */
  expireDue(now: number): void {
    const store = this.store;
    store.wheel.runDue(now);
    store.fieldWheel?.runDue(now);
  }

  /**
   * Bounded housekeeping for the cron: moves records out of sparse slab segments so
   * they can be released (memory comes back after deletes), and advances the table's
   * incremental rehash.
   */
  maintain(): void {
    this.store.maintain();
  }

  /** Active rehashing for up to `ms` (KeyStore.rehashFor); true if the table had resize work. */
  rehashFor(ms: number, now: () => number): boolean {
    return this.store.rehashFor(ms, now);
  }

  /**
   * ArrayBuffer bytes this database let go since the last call (stores dropped by
   * FLUSHDB, slab segments released): garbage a GC would give back. Resets the count.
   */
  takeGarbage(): number {
    const n = this.garbageBytes;
    this.droppedBytes = 0;
    this.store.slab.releasedBytes = 0;
    return n;
  }

  /** The same, without resetting it. */
  get garbageBytes(): number {
    return this.droppedBytes + this.store.slab.releasedBytes;
  }

  /** Makes room for n keys up front (RDB load: RESIZEDB). */
  reserve(n: number): void {
    this.store.reserve(n);
  }

  /**
   * Iterates live entries in id order. Expired entries are reclaimed, unless `reclaim`
   * is false (they are skipped and left alone). The caller may delete what it is given
   * (a deleted id is skipped); keys it creates meanwhile may or may not be visited.
   */
  *entries(reclaim = true): IterableIterator<Entry> {
    const store = this.store;
    const now = this.time.now;
    const mode = reclaim ? this.time.expiredKeys : EXPIRED_HIDDEN;
    for (let id = 0; id < store.idLimit; id++) {
      if (store !== this.store || store.kindOf(id) === KIND_FREE) continue;
      if (store.deadlineOf(id) <= now && mode !== EXPIRED_KEPT) {
        if (mode === EXPIRED_DELETED) this.expireEntry(id, now);
        continue;
      }
      yield id;
    }
  }

  /**
   * Visits every entry whose deadline has not passed, leaving the others alone (KEYS:
   * Redis 7.0 skips them with keyIsExpired and leaves them to the expiry cycle, so
   * nothing is propagated). `visit` must not change the database.
   */
  visitLive(visit: (entry: Entry) => void): void {
    const store = this.store;
    if (store.size === 0) return;
    const now = this.time.now;
    const hidden = this.time.expiredKeys !== EXPIRED_KEPT;
    // In id order: the rows sequentially, and the records about in the order they
    // were written (KEYS over 100,000 keys took ~37 ms in the table's scan order, a
    // cache miss or two per key).
    const limit = store.idLimit;
    for (let id = 0; id < limit; id++) {
      if (store.kindOf(id) === KIND_FREE || (hidden && store.deadlineOf(id) <= now)) continue;
      visit(id);
    }
  }

  /**
   * Visits every stored entry, past its deadline or not, and changes nothing (DEBUG
   * DIGEST: Redis's iterates the dict, so a key not reclaimed yet is part of it and stays).
   */
  visitStored(visit: (entry: Entry) => void): void {
    const store = this.store;
    const limit = store.idLimit;
    for (let id = 0; id < limit; id++) if (store.kindOf(id) !== KIND_FREE) visit(id);
  }

  /**
   * Visits up to about `count` entries starting at cursor (0 = start), and returns the
   * next cursor (0 when the iteration is complete). Entries past their deadline are
   * reclaimed and not visited.
   */
  scan(cursor: number, count: number, visit: (entry: Entry) => void): number {
    const store = this.store;
    // As Redis's dictScan of an empty dict: the iteration is over at once.
    if (store.size === 0) return 0;
    const now = this.time.now;
    const found = this.scanned;
    found.length = 0;
    const next = store.table.scan(cursor, Math.max(count, 1), (id) => found.push(id));
    const expired: number[] = [];
    for (const id of found) {
      if (store.deadlineOf(id) <= now) {
        expired.push(id);
        continue;
      }
      visit(id);
    }
    found.length = 0;
    // Reclaimed after the walk: the table must not change under a scan.
    if (this.time.expiredKeys === EXPIRED_DELETED) for (const id of expired) if (store.kindOf(id) !== KIND_FREE && store.deadlineOf(id) <= now) this.expireEntry(id, now);
    return next;
  }
  private readonly scanned: number[] = [];

  /** A random live key, or undefined when the database is empty. */
  randomEntry(): Entry | undefined {
    const store = this.store;
    for (let tries = 0; ; tries++) {
      if (store.size === 0) return undefined;
      const id = store.table.randomId(Math.random());
      if (id < 0) return undefined;
      if (store.deadlineOf(id) <= this.time.now && this.time.expiredKeys !== EXPIRED_KEPT) {
        if (this.time.expiredKeys === EXPIRED_DELETED) this.expireEntry(id, this.time.now);
        else if (tries > 100 && this.liveKeysNone()) return undefined;
        continue;
      }
      return id;
    }
  }

  /**
   * Adds to `out` up to `count` live entries picked at random (with a deadline only, if
   * volatileOnly), for eviction's sampling: Redis's dictGetSomeKeys, with at most count*10
   * random probes. Entries may repeat. When probes find no entry with a deadline although
   * some exist (few among many keys), a walk of the ids from a random one finds them, as
   * Redis samples its expires dict.
   */
  sample(count: number, volatileOnly: boolean, out: Entry[]): void {
    const store = this.store;
    if (store.size === 0 || (volatileOnly && store.volatile === 0)) return;
    const now = this.time.now;
    const start = out.length;
    // Ids drawn uniformly from the id space (free ones are misses): the table's randomId
    // walks forward from a random slot, so keys after gaps were sampled more often, and
    // volatile-ttl sometimes never saw the soonest deadline (limits.test.ts).
    const limit = store.idLimit;
    for (let probes = count * 10; probes > 0 && out.length - start < count; probes--) {
      const id = Math.floor(Math.random() * limit);
      if (store.kindOf(id) === KIND_FREE) continue;
      const deadline = store.deadlineOf(id);
      if (deadline <= now) continue;
      if (volatileOnly && deadline === NO_DEADLINE) continue;
      out.push(id);
    }
    if (out.length > start || !volatileOnly) return;
    const from = Math.floor(Math.random() * limit);
    for (let i = 0; i < limit && out.length - start < count; i++) {
      const id = (from + i) % limit;
      const deadline = store.deadlineOf(id);
      if (store.kindOf(id) !== KIND_FREE && deadline !== NO_DEADLINE && deadline > now) out.push(id);
    }
  }

  /** Whether every key is past its deadline (a replica's RANDOMKEY, which must not loop for ever over hidden keys). */
  private liveKeysNone(): boolean {
    const store = this.store;
    const now = this.time.now;
    for (let id = 0; id < store.idLimit; id++) if (store.kindOf(id) !== KIND_FREE && store.deadlineOf(id) > now) return false;
    return true;
  }

  /** Expires an entry whose deadline has passed at time now: removes it and reports it. */
  private expireEntry(id: number, now: number): void {
    const store = this.store;
    const deadline = store.deadlineOf(id);
    const key = this.events.expiredKeyWanted(this) ? store.keyOf(id) : null;
    this.remove(id);
    this.events.expired(this, key, deadline, now);
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
    const store = this.store;
    // The snapshot, if any, must see the hash with this field and its TTL.
    const live = this.holdsValue(entry, hash);
    if (this.observer !== null && live) this.observer.beforeChange(this, entry);
    const before = hash.estimatedBytes;
    ttls.timers.delete(timer.field);
    if (ttls.timers.size === 0) hash.ttls = null;
    if (!live) {
      // Not reachable: leaving the keyspace cancels a hash's timers. Keep the hash consistent anyway.
      hash.removeField(timer.field);
      return;
    }
    store.bytes += hash.estimatedBytes - before;
    const now = Math.max(this.time.now, this.clock.now());
    if (store.deadlineOf(entry) <= now) {
      this.expireEntry(entry, now);
      return;
    }
    const beforeField = hash.estimatedBytes;
    hash.removeField(timer.field);
    store.bytes += hash.estimatedBytes - beforeField;
    const emptied = hash.size === 0;
    const key = store.keyOf(entry);
    if (emptied) this.remove(entry);
    this.events.modified(this, key);
    this.events.fieldsExpired(this, key, 1, emptied);
  }

  /**
   * Cancels the field TTLs of a value that leaves the keyspace with its entry; not if
   * the value now belongs to another entry (RENAME moves a hash to a new key).
   */
  private dropFieldTimers(value: ValueObject, entry: Entry): void {
    if (!(value instanceof HashValue) || value.ttls === null || value.ttls.owner !== entry) return;
    for (const timer of value.ttls.timers.values()) this.dropFieldTimer(timer);
    value.ttls = null;
  }

  private remove(id: number): void {
    if (this.observer !== null) this.observer.beforeChange(this, id);
    const store = this.store;
    store.bytes -= this.entryBytes(id);
    if (store.stringForms !== null) store.stringForms.delete(id);
    if (store.kindOf(id) === KIND_OBJECT) this.dropFieldTimers(store.objects.get(id)!, id);
    const deadline = store.deadlineOf(id);
    if (deadline !== NO_DEADLINE) {
      store.volatile--;
      store.deadlineSum -= deadline;
      store.wheel.cancel(id);
      if (deadline > MAX_EXACT_DEADLINE) store.farExpireTimes.delete(id);
    }
    store.remove(id);
  }
}

/** What a value adds to the maxmemory model: a stored string its bytes, a collection its estimate and its slot in the store's objects Map. */
function valueCost(value: Value): number {
  return typeof value === 'string' ? value.length : OBJECT_REF_BYTES + value.estimatedBytes;
}

/** A store's host: the database it belongs to now (SWAPDB moves stores), for its wheels' callbacks. */
interface StoreHost {
  db: Database;
}

/** The keys of a store FLUSHDB dropped (RemovedKeys). */
class StoreKeys implements RemovedKeys {
  constructor(private readonly store: KeyStore<StoreHost>) {}
  get size(): number {
    return this.store.size;
  }
  has(key: string): boolean {
    return this.store.find(key) >= 0;
  }
}

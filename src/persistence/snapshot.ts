import { KIND_FREE, KIND_STRING, NO_DEADLINE, type ChangeObserver, type Database, type Entry, type KeyStore } from '../keyspace/database.js';
import type { Keyspace } from '../keyspace/keyspace.js';
import { AsyncAtomicFile, SyncAtomicFile } from './atomic-file.js';
import { RDB_VERSION, RDB_VERSION_FIELD_TTL } from './rdb-format.js';
import { RdbEncoder, type RdbWriteOptions } from './rdb-writer.js';
import { OFFLOAD_MIN_KEYS, offloadStores, SnapshotOffload, WORKER_STALL_MS } from './snapshot-offload.js';

/**
 * Writing the keyspace to an RDB file: SAVE (synchronous) and the fork-less,
 * point-in-time BGSAVE.
 *
 * Redis forks for BGSAVE and lets copy-on-write keep the child's view frozen; Node
 * cannot fork. A BackgroundSave walks each database's KeyStore in id order (the ids the
 * store had given at the start; the columns sequentially, the records about in the
 * order they were written) a bounded slice per event-loop turn and streams what it serializes to
 * the file, one write in flight. Before anything changes a key that the walk has not
 * reached yet (see ChangeObserver), the key's current value is serialized first and
 * the walk skips it later; keys created after the start are noted (`late`) and
 * skipped; a database flushed meanwhile hands its store over and is walked on in it;
 * SWAPDB writes what is left of both databases first. So the file holds exactly the
 * keyspace as it was when BGSAVE began, without a copy of it: the extra memory is what
 * the clients change during the save.
 */

export interface SnapshotOptions extends RdbWriteOptions {
  dir: string;
  filename: string;
  /** AUX used-mem. */
  usedMemory: number;
  /** The function libraries' codes, written after the AUX fields (rdbSaveFunctions). */
  libraries?: readonly string[];
  /**
   * The replication state the file starts at (Redis's rdbSaveInfo), written as the AUX
   * fields repl-stream-db, repl-id and repl-offset when the server has a replication
   * history: a replica loads its offset from them.
   */
  replication?: ReplicationSaveInfo | null;
  /** No keys, only the header, AUX fields and libraries (a replica's rdb-filter-only). */
  withoutKeys?: boolean;
}

export interface ReplicationSaveInfo {
  /** The database the stream's commands apply to at that point (0 when none yet). */
  readonly streamDb: number;
  readonly replid: string;
  readonly offset: number;
}

/** The version a keyspace needs: 12 as soon as some hash field has a TTL. */
function versionFor(keyspace: Keyspace): number {
  for (const db of keyspace.dbs) if (db.fieldTtlCount > 0) return RDB_VERSION_FIELD_TTL;
  return RDB_VERSION;
}

/**
 * Header and AUX fields, as rdbSaveInfoAuxFields writes them, then
 * the function libraries.
 */
function writeHeader(enc: RdbEncoder, version: number, options: SnapshotOptions, nowMs: number): void {
  enc.header(version);
  enc.aux('redis-ver', REDIS_VER_AUX);
  enc.aux('redis-bits', process.arch.includes('64') ? '64' : '32');
  enc.aux('ctime', String(Math.floor(nowMs / 1000)));
  enc.aux('used-mem', String(options.usedMemory));
  const repl = options.replication;
  if (repl) {
    enc.aux('repl-stream-db', String(repl.streamDb));
    enc.aux('repl-id', repl.replid);
    enc.aux('repl-offset', String(repl.offset));
  }
  enc.aux('aof-base', '0');
  for (const code of options.libraries ?? []) enc.library(code);
}

/** The header and AUX fields as bytes, for the snapshot worker (which writes the stream and its checksum). */
function encodedHeader(version: number, options: SnapshotOptions, nowMs: number): Buffer {
  const enc = new RdbEncoder({ ...options, checksum: false });
  writeHeader(enc, version, options, nowMs);
  return Buffer.concat(enc.take());
}

/** The version Redis-side tools see in the file (lapse speaks Redis 7.0's protocol). */
const REDIS_VER_AUX = '7.0.15';

function expireTimeIn(store: KeyStore, id: number): number | bigint | null {
  return store.deadlineOf(id) === NO_DEADLINE ? null : store.expireTime(id);
}

/**
 * Writes live id of store: a string from its record's bytes, as the snapshot worker does
 * (no string is made of the key or the value), anything else through entry(). Whether
 * an entry was written (a hash whose fields all expired is not).
 */
function writeEntry(enc: RdbEncoder, store: KeyStore, id: number, cutoff: number): boolean {
  if (store.kindOf(id) === KIND_STRING) {
    const bytes = store.stringRecord(id);
    enc.stringEntryAt(bytes, store.recordKeyStart, store.recordKeyEnd, store.recordEnd, expireTimeIn(store, id));
    return true;
  }
  return enc.entry(store.keyOf(id), store.valueOf(id), expireTimeIn(store, id), cutoff);
}

/** Bytes gathered before SAVE writes them out. */
const SAVE_FLUSH_BYTES = 4 * 1024 * 1024;

/** Bytes of this thread's entries a parallel SAVE lets wait for the worker, at most. */
const SAVE_ENTRIES_AHEAD = 4 * 1024 * 1024;

/** What SAVE did: keys written, and whether the snapshot worker shared the work. */
export interface SaveResult {
  keys: number;
  offloaded: boolean;
}

/**
 * SAVE: the whole keyspace, now, blocking. Throws SaveError on failure. With enough
 * string keys (`offload` 'auto') a worker thread encodes every other one while this
 * thread encodes the rest (saveParallel); else, or if no worker can start, this thread
 * writes everything. A worker that does nothing for `stallMs` is given up on: if it never
 * said a word this thread saves alone, else SAVE fails.
 */
export function saveSync(
  keyspace: Keyspace,
  options: SnapshotOptions,
  offload: 'auto' | 'always' | 'never' = 'auto',
  stallMs = WORKER_STALL_MS,
): SaveResult {
  if (offload !== 'never') {
    const keys = saveParallel(keyspace, options, offload, stallMs);
    if (keys !== null) return { keys, offloaded: true };
  }
  const now = keyspace.now;
  const enc = new RdbEncoder(options);
  const file = new SyncAtomicFile(options.dir, options.filename);
  let keys = 0;
  try {
    writeHeader(enc, versionFor(keyspace), options, Date.now());
    for (const db of keyspace.dbs) {
      if (db.size === 0) continue;
      enc.selectDb(db.index, db.size, db.expiresCount);
      const store = db.store;
      const limit = store.idLimit;
      for (let id = 0; id < limit; id++) {
        if (store.kindOf(id) === KIND_FREE || store.deadlineOf(id) <= now) continue;
        if (writeEntry(enc, store, id, now)) keys++;
        // The write is synchronous: the chunks can be reused.
        if (enc.pending >= SAVE_FLUSH_BYTES) enc.takeInto((chunks) => file.write(chunks));
      }
    }
    enc.eof();
    file.write(enc.takeFinal());
    file.commit();
  } catch (e) {
    file.abort();
    throw e;
  }
  return { keys, offloaded: false };
}

/**
 * SAVE on two threads: Redis's SAVE is one thread compressing every string (LZF is half
 * of its time), and the server serves nobody meanwhile, so the second core may as well
 * share the work. The snapshot worker (snapshot-offload.ts) takes every other string
 * key held in slab segments, and writes the file's bytes and their checksum; this thread
 * encodes the other keys (the rest of the strings, collections), sends its entries to
 * the worker, and writes the worker's batches to the file. Nothing changes the keyspace
 * meanwhile: this thread does not return to the event loop until the file is in place.
 * null when there are too few string keys for it to pay (a worker takes tens of ms to
 * start) or none can start: the caller saves on this thread alone.
 */
function saveParallel(keyspace: Keyspace, options: SnapshotOptions, mode: 'auto' | 'always', stallMs: number): number | null {
  const now = keyspace.now;
  const { stores, count } = offloadStores(keyspace.dbs.map((db) => (db.size === 0 ? null : db.store)), 2);
  if (count === 0 || (mode === 'auto' && count * 2 < OFFLOAD_MIN_KEYS)) return null;
  const owned: (Uint8Array | null)[] = keyspace.dbs.map(() => null);
  for (const s of stores) owned[s.db] = s.owned;
  const header = encodedHeader(versionFor(keyspace), options, Date.now());
  const sizes = keyspace.dbs.map((db) => db.size);
  const expires = keyspace.dbs.map((db) => db.expiresCount);
  let offload: SnapshotOffload;
  try {
    offload = new SnapshotOffload(stores, header, options, now, sizes, expires, true, stallMs);
  } catch {
    return null;
  }
  let file: SyncAtomicFile;
  try {
    file = new SyncAtomicFile(options.dir, options.filename);
  } catch (e) {
    void offload.abort();
    throw e;
  }
  const write = (bytes: Buffer): void => file.write([bytes]);
  // No header, no checksum: the worker writes the stream around these entries.
  const enc = new RdbEncoder({ ...options, checksum: false });
  let keys = 0;
  try {
    for (const db of keyspace.dbs) {
      if (db.size === 0) continue;
      const store = db.store;
      const mine = owned[db.index];
      const limit = store.idLimit;
      for (let id = 0; id < limit; id++) {
        if (store.kindOf(id) === KIND_FREE || store.deadlineOf(id) <= now || (mine !== null && mine[id] === 1)) continue;
        if (writeEntry(enc, store, id, now)) keys++;
        if (enc.pending >= SAVE_FLUSH_BYTES / 4) {
          // entries() copies the chunks: they can be reused.
          enc.takeInto((chunks) => offload.entries(db.index, chunks));
          offload.throttleSync(write, SAVE_ENTRIES_AHEAD);
        }
      }
      enc.takeInto((chunks) => offload.entries(db.index, chunks));
    }
    offload.end();
    offload.drainSync(write, true);
    file.commit();
  } catch (e) {
    void offload.abort();
    file.abort();
    // A worker that never said a word (it could not start): nothing was written, and
    // this thread saves alone.
    if (!offload.heard) return null;
    throw e;
  }
  return keys + offload.keys;
}

/** How a background save spends the event loop (tests and benchmarks may tune it). */
export interface SnapshotTuning {
  /** Milliseconds of serialization per event-loop turn. */
  budgetMs?: number;
  /** Keys per turn at most (small values make a save span many turns, for tests). */
  keysPerTurn?: number;
  /**
   * Whether string keys are written by a worker thread (snapshot-offload.ts): 'auto'
   * (default) when there are at least OFFLOAD_MIN_KEYS of them, 'always' when there is
   * one, 'never'.
   */
  offload?: 'auto' | 'always' | 'never';
}

/** Per-database progress of a background save. */
interface DbWalk {
  /** The store walked: the database's at the start (kept if FLUSHDB replaces it). */
  readonly store: KeyStore;
  /** Every id below it has been walked. */
  cursor: number;
  /** Ids at or above it were given after the start: never walked. */
  readonly limit: number;
  done: boolean;
  /** Ids written ahead of the walk by a change; the walk skips them. */
  readonly early: Set<number>;
  /** Ids of keys created after the start (ids are reused); never written. */
  readonly late: Set<number>;
  /** RESIZEDB hints from the start; written with the first SELECTDB. */
  readonly size: number;
  readonly expires: number;
  selected: boolean;
  /** With a worker: by id, 1 for the keys it writes (skipped here); null without one. */
  owned: Uint8Array | null;
}

export type BackgroundSaveResult = { ok: true; keys: number } | { ok: false; error: Error; aborted: boolean };

/**
 * Where a background save's bytes go: the RDB file (BGSAVE: a temporary file renamed in
 * place), or, for a replica's full sync, its socket. write() resolves when the sink can
 * take more; commit() ends it (false: it was not wanted any more); abort() drops it.
 */
export interface SnapshotSink {
  write(chunks: Buffer[]): Promise<void>;
  /** True when a write's buffers are no longer read once it resolves (a file; not a socket, which may still queue them). */
  readonly releasesBuffers?: boolean;
  /** A file's descriptor: a snapshot worker then writes the bytes itself (SnapshotOffload.pipe), write() is not called. */
  readonly fd?: number;
  commit(stillWanted: () => boolean): Promise<boolean>;
  abort(): Promise<void>;
}

/**
 * BGSAVE. start() begins the walk and returns at once; `done` settles when the file is
 * in place (or the save failed or was aborted). Only the file's temporary copy is
 * touched until the final rename. The same walk can feed another sink (SnapshotSink).
 */
export class BackgroundSave implements ChangeObserver {
  /** When the save began (ms since the epoch, the command time). */
  readonly startTime: number;
  /** Keys the databases held at the start. */
  readonly keysTotal: number;
  /** Keys written so far. */
  get keysWritten(): number {
    return this.mainKeys + (this.offload === null ? 0 : this.offload.keys);
  }
  readonly done: Promise<BackgroundSaveResult>;
  /** Whether a worker thread writes the string keys. */
  get offloaded(): boolean {
    return this.offload !== null;
  }
  /** Keys this thread has written (the worker's are counted by it). */
  private mainKeys = 0;
  /** The worker writing the string keys, or null (every key is written here). */
  private readonly offload: SnapshotOffload | null = null;
  private readonly enc: RdbEncoder;
  private readonly walks: DbWalk[];
  private currentDb = -1;
  private walkDb = 0;
  private aborted = false;
  private attached = false;
  private readonly budgetMs: number;
  private readonly keysPerTurn: number;
  /** Told how long each turn of the walk took, ms (the latency monitor's bgsave-turn). */
  turnTook: ((elapsedMs: number) => void) | null = null;

  constructor(
    private readonly keyspace: Keyspace,
    options: SnapshotOptions,
    tuning: SnapshotTuning = {},
    /** The destination; by default the file options.dir/options.filename, written atomically. */
    private readonly openSink: () => Promise<SnapshotSink> = () => AsyncAtomicFile.open(options.dir, options.filename),
  ) {
    this.startTime = keyspace.now;
    this.budgetMs = tuning.budgetMs ?? 2;
    this.keysPerTurn = tuning.keysPerTurn ?? Infinity;
    let total = 0;
    const withoutKeys = options.withoutKeys === true;
    this.walks = keyspace.dbs.map((db) => {
      if (!withoutKeys) total += db.size;
      return {
        store: db.store,
        cursor: 0,
        limit: db.store.idLimit,
        done: db.size === 0 || withoutKeys,
        early: new Set<number>(),
        late: new Set<number>(),
        size: db.size,
        expires: db.expiresCount,
        selected: false,
        owned: null,
      };
    });
    this.keysTotal = total;
    const version = versionFor(keyspace);
    const ctime = Date.now();
    this.offload = this.startOffload(options, tuning.offload ?? 'auto', version, ctime);
    // With a worker, it writes the file's bytes and their checksum; this thread's
    // entries (and the header, given to it) are sent to it.
    this.enc = new RdbEncoder(this.offload === null ? options : { ...options, checksum: false });
    if (this.offload === null) writeHeader(this.enc, version, options, ctime);
    this.attach();
    this.done = this.run();
  }

  /** Stops the save (FLUSHALL, SHUTDOWN): the temporary file is removed. */
  abort(): void {
    this.aborted = true;
    this.detach();
    void this.offload?.abort();
  }

  /**
   * The worker for the string keys in slab segments, if there are enough of them (or
   * none if it cannot start: this thread then writes every key). Marks the walks' owned ids.
   */
  private startOffload(options: SnapshotOptions, mode: 'auto' | 'always' | 'never', version: number, ctime: number): SnapshotOffload | null {
    if (mode === 'never') return null;
    const { stores, count } = offloadStores(this.walks.map((walk) => (walk.done ? null : walk.store)));
    if (count === 0 || (mode === 'auto' && count < OFFLOAD_MIN_KEYS)) return null;
    const header = encodedHeader(version, options, ctime);
    let offload: SnapshotOffload;
    try {
      offload = new SnapshotOffload(stores, header, options, this.startTime, this.walks.map((w) => w.size), this.walks.map((w) => w.expires));
    } catch {
      return null;
    }
    for (const s of stores) this.walks[s.db]!.owned = s.owned;
    return offload;
  }

  beforeChange(db: Database, entry: Entry): void {
    const walk = this.walks[db.index]!;
    if (walk.done || db.store !== walk.store) return;
    // The worker's: it reads the record as it was (the store copies a page before writing to it).
    if (walk.owned !== null && walk.owned[entry] === 1) return;
    if (entry < walk.cursor || entry >= walk.limit) return;
    if (walk.late.has(entry) || walk.early.has(entry)) return;
    walk.early.add(entry);
    this.write(db.index, walk, entry);
  }

  created(db: Database, entry: Entry): void {
    const walk = this.walks[db.index]!;
    if (walk.done || db.store !== walk.store || entry < walk.cursor || entry >= walk.limit) return;
    walk.early.delete(entry);
    walk.late.add(entry);
  }

  beforeClear(_db: Database): void {
    // The walk keeps the store being dropped (DbWalk.store) and walks on in it; the
    // database's new store is not the walk's, so its changes are not the save's concern.
  }

  beforeSwap(a: Database, b: Database): void {
    for (const db of [a, b]) {
      const walk = this.walks[db.index]!;
      // Written in full before the stores change hands.
      if (!walk.done && db.store === walk.store) this.walkSome(db.index, walk, Infinity, Infinity);
    }
  }

  private attach(): void {
    for (const db of this.keyspace.dbs) db.observer = this;
    this.attached = true;
  }

  private detach(): void {
    if (!this.attached) return;
    this.attached = false;
    for (const db of this.keyspace.dbs) if (db.observer === this) db.observer = null;
    for (const walk of this.walks) {
      walk.early.clear();
      walk.late.clear();
    }
  }

  private write(index: number, walk: DbWalk, id: number): void {
    const store = walk.store;
    if (store.deadlineOf(id) <= this.startTime) return;
    if (this.currentDb !== index) {
      if (this.offload !== null) {
        // The worker writes SELECTDB (and RESIZEDB) before each database's entries.
        this.sendEntries();
      } else if (walk.selected) {
        this.enc.selectDb(index);
      } else {
        this.enc.selectDb(index, walk.size, walk.expires);
      }
      walk.selected = true;
      this.currentDb = index;
    }
    if (writeEntry(this.enc, store, id, this.startTime)) this.mainKeys++;
  }

  /** With a worker: the entries encoded here since the last call go to it. */
  private sendEntries(): void {
    const db = this.currentDb;
    // entries() copies the chunks: they can be reused.
    if (db >= 0) this.enc.takeInto((chunks) => this.offload!.entries(db, chunks));
  }

  /**
   * Walks on in one database until `keys` keys are written or the time `deadline`
   * (performance.now()) has passed, or to its end (walk.done). Returns the keys written.
   */
  private walkSome(index: number, walk: DbWalk, keys: number, deadline: number): number {
    const store = walk.store;
    const owned = walk.owned;
    let written = 0;
    let id = walk.cursor;
    for (; id < walk.limit; id++) {
      if (store.kindOf(id) === KIND_FREE) continue;
      if (owned !== null && owned[id] === 1) {
        if ((id & 4095) === 0 && performance.now() >= deadline) {
          id++;
          break;
        }
        continue;
      }
      if (walk.late.size > 0 && walk.late.has(id)) continue;
      if (walk.early.size > 0 && walk.early.delete(id)) continue;
      this.write(index, walk, id);
      if (++written >= keys || ((written & 63) === 0 && performance.now() >= deadline)) {
        id++;
        break;
      }
    }
    walk.cursor = id;
    if (id >= walk.limit) walk.done = true;
    return written;
  }

  /** Walks for up to the time budget; true when every database has been walked. */
  private step(): boolean {
    const deadline = performance.now() + this.budgetMs;
    let budgetKeys = this.keysPerTurn;
    const walks = this.walks;
    while (this.walkDb < walks.length) {
      const walk = walks[this.walkDb]!;
      if (!walk.done) {
        budgetKeys -= this.walkSome(this.walkDb, walk, budgetKeys, deadline);
        if (!walk.done) return false;
      }
      this.walkDb++;
      if (budgetKeys <= 0 || performance.now() >= deadline) return this.walkDb >= walks.length;
    }
    return true;
  }

  private async run(): Promise<BackgroundSaveResult> {
    let file: SnapshotSink | null = null;
    try {
      file = await this.openSink();
      const offload = this.offload;
      // With a worker, its bytes go to the sink while this thread walks the rest.
      const piping = offload === null ? null : offload.pipe(file);
      piping?.catch(() => undefined);
      for (;;) {
        if (this.aborted) throw new AbortedError();
        if (offload !== null && offload.failure !== null) throw offload.failure;
        const turnStart = performance.now();
        const finished = this.step();
        if (finished) this.detach();
        if (offload !== null) {
          this.sendEntries();
          if (this.turnTook !== null) this.turnTook(performance.now() - turnStart);
          await yieldToEventLoop();
        } else {
          const chunks = this.enc.take();
          if (this.turnTook !== null) this.turnTook(performance.now() - turnStart);
          if (chunks.length > 0) await file.write(chunks);
          else await yieldToEventLoop();
        }
        if (finished) break;
      }
      if (this.aborted) throw new AbortedError();
      if (offload !== null && piping !== null) {
        offload.end();
        await piping;
      } else {
        this.enc.eof();
        await file.write(this.enc.takeFinal());
      }
      if (this.aborted) throw new AbortedError();
      if (!(await file.commit(() => !this.aborted))) throw new AbortedError();
      return { ok: true, keys: this.keysWritten };
    } catch (e) {
      this.detach();
      // The worker may be writing the file: it is closed once the worker has exited.
      await this.offload?.abort();
      await file?.abort();
      return { ok: false, error: e as Error, aborted: e instanceof AbortedError };
    }
  }
}

class AbortedError extends Error {
  constructor() {
    super('Background save aborted');
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

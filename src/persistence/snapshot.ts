import { NO_DEADLINE, seqAt, type ChangeObserver, type Database, type Entry } from '../keyspace/database.js';
import type { Keyspace } from '../keyspace/keyspace.js';
import { AsyncAtomicFile, SyncAtomicFile } from './atomic-file.js';
import { RDB_VERSION, RDB_VERSION_FIELD_TTL } from './rdb-format.js';
import { RdbEncoder, type RdbWriteOptions } from './rdb-writer.js';

/**
 * Writing the keyspace to an RDB file: SAVE (synchronous) and the fork-less,
 * point-in-time BGSAVE.
 *
 * Redis forks for BGSAVE and lets copy-on-write keep the child's view frozen; Node
 * cannot fork. A BackgroundSave walks each database in insertion order (Database.slots,
 * by sequence number) a bounded slice per event-loop turn and streams what it
 * serializes to the file, one write in flight. Before anything changes a key that the
 * walk has not reached yet (see ChangeObserver), the key's current value is serialized
 * first and the walk skips it later; keys created after the start have higher sequence
 * numbers and are never reached; a database flushed meanwhile is walked in the order
 * array it had. So the file holds exactly the keyspace as it was when BGSAVE began,
 * without a copy of it: the extra memory is what the clients change during the save.
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

/** The version Redis-side tools see in the file (lapse speaks Redis 7.0's protocol). */
const REDIS_VER_AUX = '7.0.15';

function expireTimeOfEntry(db: Database, entry: Entry): number | bigint | null {
  return db.deadlineOf(entry) === NO_DEADLINE ? null : db.expireTime(entry);
}

/** Bytes gathered before SAVE writes them out. */
const SAVE_FLUSH_BYTES = 4 * 1024 * 1024;

/** SAVE: the whole keyspace, now, blocking. Throws SaveError on failure. Returns keys written. */
export function saveSync(keyspace: Keyspace, options: SnapshotOptions): number {
  const now = keyspace.now;
  const enc = new RdbEncoder(options);
  const file = new SyncAtomicFile(options.dir, options.filename);
  let keys = 0;
  try {
    writeHeader(enc, versionFor(keyspace), options, Date.now());
    for (const db of keyspace.dbs) {
      if (db.size === 0) continue;
      enc.selectDb(db.index, db.size, db.expiresCount);
      const slots = db.slots;
      for (let i = 0; i < slots.length; i++) {
        const slot = slots[i]!;
        if (typeof slot === 'number' || db.deadlineOf(slot) <= now) continue;
        if (enc.entry(db.keyOf(slot), db.valueOf(slot), expireTimeOfEntry(db, slot), now)) keys++;
        if (enc.pending >= SAVE_FLUSH_BYTES) file.write(enc.take());
      }
    }
    enc.eof();
    file.write(enc.takeFinal());
    file.commit();
  } catch (e) {
    file.abort();
    throw e;
  }
  return keys;
}

/** How a background save spends the event loop (tests and benchmarks may tune it). */
export interface SnapshotTuning {
  /** Milliseconds of serialization per event-loop turn. */
  budgetMs?: number;
  /** Keys per turn at most (small values make a save span many turns, for tests). */
  keysPerTurn?: number;
}

/** Per-database progress of a background save. */
interface DbWalk {
  /** Keys with this sequence number or above were created after the start. */
  readonly limit: number;
  /** Every slot up to this sequence number has been walked. */
  cursor: number;
  /** The slots the database had when it was flushed during the save, if it was. */
  frozen: readonly (Entry | number)[] | null;
  /** RESIZEDB hints from the start; written with the first SELECTDB. */
  readonly size: number;
  readonly expires: number;
  selected: boolean;
}

export type BackgroundSaveResult = { ok: true; keys: number } | { ok: false; error: Error; aborted: boolean };

/**
 * Where a background save's bytes go: the RDB file (BGSAVE: a temporary file renamed in
 * place), or, for a replica's full sync, its socket. write() resolves when the sink can
 * take more; commit() ends it (false: it was not wanted any more); abort() drops it.
 */
export interface SnapshotSink {
  write(chunks: Buffer[]): Promise<void>;
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
  keysWritten = 0;
  readonly done: Promise<BackgroundSaveResult>;
  private readonly enc: RdbEncoder;
  private readonly walks: DbWalk[];
  /** Entries written ahead of the walk by a change; the walk skips them. */
  private readonly early = new Set<Entry>();
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
    this.enc = new RdbEncoder(options);
    let total = 0;
    const withoutKeys = options.withoutKeys === true;
    this.walks = keyspace.dbs.map((db) => {
      if (!withoutKeys) total += db.size;
      return {
        limit: db.nextSequence,
        cursor: db.size === 0 || withoutKeys ? Infinity : 0,
        frozen: null,
        size: db.size,
        expires: db.expiresCount,
        selected: false,
      };
    });
    this.keysTotal = total;
    writeHeader(this.enc, versionFor(keyspace), options, Date.now());
    this.attach();
    this.done = this.run();
  }

  /** Stops the save (FLUSHALL, SHUTDOWN): the temporary file is removed. */
  abort(): void {
    this.aborted = true;
    this.detach();
  }

  beforeChange(db: Database, entry: Entry): void {
    const walk = this.walks[db.index]!;
    const seq = seqAt(entry);
    if (seq >= walk.limit || seq <= walk.cursor || walk.frozen !== null) return;
    if (this.early.has(entry)) return;
    this.early.add(entry);
    this.write(db, entry);
  }

  beforeClear(db: Database, slots: readonly (Entry | number)[]): void {
    const walk = this.walks[db.index]!;
    if (walk.cursor === Infinity || walk.frozen !== null) return;
    walk.frozen = slots;
  }

  private attach(): void {
    for (const db of this.keyspace.dbs) db.observer = this;
    this.attached = true;
  }

  private detach(): void {
    if (!this.attached) return;
    this.attached = false;
    for (const db of this.keyspace.dbs) if (db.observer === this) db.observer = null;
    this.early.clear();
  }

  private write(db: Database, entry: Entry): void {
    if (db.deadlineOf(entry) <= this.startTime) return;
    if (this.currentDb !== db.index) {
      const walk = this.walks[db.index]!;
      if (walk.selected) this.enc.selectDb(db.index);
      else this.enc.selectDb(db.index, walk.size, walk.expires);
      walk.selected = true;
      this.currentDb = db.index;
    }
    if (this.enc.entry(db.keyOf(entry), db.valueOf(entry), expireTimeOfEntry(db, entry), this.startTime)) this.keysWritten++;
  }

  /** Walks for up to the time budget; true when every database has been walked. */
  private step(): boolean {
    const deadline = performance.now() + this.budgetMs;
    let budgetKeys = this.keysPerTurn;
    const dbs = this.keyspace.dbs;
    while (this.walkDb < dbs.length) {
      const db = dbs[this.walkDb]!;
      const walk = this.walks[this.walkDb]!;
      if (walk.cursor === Infinity) {
        this.walkDb++;
        continue;
      }
      const slots = walk.frozen ?? db.slots;
      let i = firstAfter(slots, walk.cursor);
      let n = 0;
      for (; i < slots.length; i++) {
        const slot = slots[i]!;
        const seq = seqAt(slot);
        if (seq >= walk.limit) break;
        walk.cursor = seq;
        if (typeof slot === 'number') continue;
        if (this.early.size > 0 && this.early.delete(slot)) continue;
        this.write(db, slot);
        if (--budgetKeys <= 0) return false;
        if ((++n & 63) === 0 && performance.now() >= deadline) return false;
      }
      walk.cursor = Infinity;
      this.walkDb++;
    }
    return true;
  }

  private async run(): Promise<BackgroundSaveResult> {
    let file: SnapshotSink | null = null;
    try {
      file = await this.openSink();
      for (;;) {
        if (this.aborted) throw new AbortedError();
        const turnStart = performance.now();
        const finished = this.step();
        if (finished) this.detach();
        const chunks = this.enc.take();
        if (this.turnTook !== null) this.turnTook(performance.now() - turnStart);
        if (chunks.length > 0) await file.write(chunks);
        else await yieldToEventLoop();
        if (finished) break;
      }
      if (this.aborted) throw new AbortedError();
      this.enc.eof();
      await file.write(this.enc.takeFinal());
      if (this.aborted) throw new AbortedError();
      if (!(await file.commit(() => !this.aborted))) throw new AbortedError();
      return { ok: true, keys: this.keysWritten };
    } catch (e) {
      this.detach();
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

/** Index of the first slot whose sequence number is above seq. */
function firstAfter(slots: readonly (Entry | number)[], seq: number): number {
  let lo = 0;
  let hi = slots.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (seqAt(slots[mid]!) <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

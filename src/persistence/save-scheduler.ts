import path from 'node:path';
import type { Config } from '../config/config.js';
import type { Keyspace } from '../keyspace/keyspace.js';
import { BackgroundSave, saveSync, type BackgroundSaveResult, type ReplicationSaveInfo, type SnapshotOptions, type SnapshotSink, type SnapshotTuning } from './snapshot.js';
import { checkSnapshot, loadSnapshot, type LoadResult } from './load.js';
import { parseSavePoints, type SavePoint } from '../config/save-points.js';

/**
 * The server's function libraries as persistence sees them (implemented by the server over
 * scripting's FunctionEngine): their codes to save, and a way to create one from a file.
 */
export interface FunctionLibraries {
  /** The libraries' codes, as they are now. */
  codes(): string[];
  /** Creates a library (no load timeout); replaces one of the same name with `replace`. Null, or why not. */
  load(code: string, replace: boolean): string | null;
  /** Removes every library (a replica's full sync replaces them with its primary's). */
  clear(): void;
}

/**
 * Where a background save goes: the RDB file (BGSAVE, save points, a disk-based full
 * sync), or replicas' sockets (a diskless full sync, Redis's RDB_CHILD_TYPE_SOCKET).
 */
export type SaveTarget = 'disk' | 'replicas';

/** Redis waits this long before retrying a failed background save for a save point. */
const BGSAVE_RETRY_DELAY_S = 5;

/**
 * The persistence state Redis keeps in `server`: save points and the dirty counter
 * (Keyspace.changesSinceSave), LASTSAVE, the last background save's status (and the
 * MISCONF refusal it implies), the running background save, and the load at start-up.
 */
export class Persistence {
  /** LASTSAVE: when the last successful save ended (s); the start time before any. */
  lastSave: number;
  lastBgsaveOk = true;
  /** When a background save was last tried (s), for the retry delay. */
  private lastBgsaveTry = 0;
  /** Seconds the last background save took, -1 before any. */
  lastBgsaveSeconds = -1;
  /** Whether the running background save (else the last one) writes its string keys on a worker thread. */
  bgsaveWorker = false;
  /** Whether the last SAVE (saveNow) shared its work with the snapshot worker. */
  saveWorker = false;
  /** Successful SAVE and BGSAVE runs (INFO rdb_saves). */
  saves = 0;
  /** A save the cron starts on its next tick (scheduleBgsave). */
  private scheduled = false;
  private running: BackgroundSave | null = null;
  private runningTarget: SaveTarget = 'disk';
  private runningStartedMs = 0;
  /**
   * Told when a background save ends, with its target (the replication primary: replicas
   * waiting for that save get the file, or go online, or are dropped when it failed).
   */
  onBackgroundSaveDone: ((target: SaveTarget, result: BackgroundSaveResult) => void) | null = null;
  /** Told how long each turn of a background save took, ms (set by the server). */
  onSaveTurn: ((elapsedMs: number) => void) | null = null;
  /** The replication state a snapshot starts at, when the server has one (rdbPopulateSaveInfo). */
  replicationInfo: (() => ReplicationSaveInfo | null) | null = null;
  private dirtyAtBgsaveStart = 0;
  lastLoad: LoadResult = { loaded: 0, expired: 0, seconds: 0 };
  /** Saved with the keys and loaded from files, once the server sets it. */
  libraries: FunctionLibraries | null = null;
  private savePoints: SavePoint[] = [];

  constructor(
    private readonly keyspace: Keyspace,
    private readonly config: Config,
    private readonly log: (level: 'verbose' | 'notice' | 'warning', message: string) => void,
    private readonly usedMemory: () => number,
    private readonly tuning: SnapshotTuning = {},
  ) {
    this.lastSave = Math.floor(Date.now() / 1000);
    this.applySavePoints();
  }

  /** Re-reads `save` (after CONFIG SET). */
  applySavePoints(): void {
    this.savePoints = parseSavePoints(this.config.string('save')) ?? [];
  }

  get hasSavePoints(): boolean {
    return this.savePoints.length > 0;
  }

  get path(): string {
    return path.join(this.config.string('dir'), this.config.string('dbfilename'));
  }

  get bgsaveInProgress(): boolean {
    return this.running !== null;
  }

  /** Where the running background save goes (meaningful while one runs). */
  get bgsaveTarget(): SaveTarget | null {
    return this.running === null ? null : this.runningTarget;
  }

  /** The running background save, if any (INFO, tests). */
  get backgroundSave(): BackgroundSave | null {
    return this.running;
  }

  /** Seconds the running background save has taken so far, -1 if none runs. */
  get currentBgsaveSeconds(): number {
    return this.running === null ? -1 : Math.floor((Date.now() - this.runningStartedMs) / 1000);
  }

  /**
   * Whether writes must be refused with MISCONF: stop-writes-on-bgsave-error is on,
   * save points are configured, and the last background save failed.
   */
  get writesDenied(): boolean {
    return !this.lastBgsaveOk && this.savePoints.length > 0 && this.config.bool('stop-writes-on-bgsave-error');
  }

  private options(): SnapshotOptions {
    return {
      dir: this.config.string('dir'),
      filename: this.config.string('dbfilename'),
      compression: this.config.bool('rdbcompression'),
      checksum: this.config.bool('rdbchecksum'),
      list: this.keyspace.listEncoding,
      usedMemory: this.usedMemory(),
      libraries: this.libraries?.codes(),
      replication: this.replicationInfo?.() ?? null,
    };
  }

  /** Loads the snapshot file if it exists (start-up). Throws RdbError. */
  load(): void {
    const libraries = this.libraries;
    const result = loadSnapshot(this.keyspace, this.path, this.log, {
      checksum: this.config.bool('rdbchecksum'),
      library: libraries === null ? undefined : (code, replace) => libraries.load(code, replace),
    });
    if (result !== null) this.lastLoad = result;
  }

  /**
   * A replica's full sync (readSyncBulkPayload): the file from the primary is read
   * through first, and only if it is whole are the dataset and the libraries replaced by
   * it (keys past their deadline kept: the primary deletes them). Throws RdbError with
   * the old data in place. Returns the database the primary's stream starts in.
   */
  loadFromPrimary(file: string | Buffer): number {
    const checksum = this.config.bool('rdbchecksum');
    checkSnapshot(file, this.keyspace.dbs.length, { checksum });
    this.keyspace.flushAll();
    this.libraries?.clear();
    const libraries = this.libraries;
    let streamDb = 0;
    const result = loadSnapshot(this.keyspace, file, this.log, {
      checksum,
      keepExpired: true,
      library: libraries === null ? undefined : (code, replace) => libraries.load(code, replace),
      aux(name, value) {
        if (name === 'repl-stream-db') streamDb = Number(value) || 0;
      },
    });
    if (result !== null) this.lastLoad = result;
    return streamDb;
  }

  /**
   * A synchronous save (SAVE, FLUSHALL with save points, shutdown). True on success;
   * a failure is logged and leaves the previous file in place.
   */
  saveNow(): boolean {
    try {
      this.saveWorker = saveSync(this.keyspace, this.options()).offloaded;
    } catch (e) {
      this.log('warning', (e as Error).message);
      return false;
    }
    this.log('notice', 'DB saved on disk');
    this.keyspace.changesSinceSave = 0;
    this.lastSave = Math.floor(Date.now() / 1000);
    this.lastBgsaveOk = true;
    return true;
  }

  /** SAVE: null on success, else the error to reply. */
  save(): 'in-progress' | 'failed' | null {
    if (this.running !== null) return 'in-progress';
    if (!this.saveNow()) return 'failed';
    this.saves++;
    return null;
  }

  /** BGSAVE [SCHEDULE]: lapse runs no other background job, so SCHEDULE starts at once. */
  bgsave(): 'in-progress' | 'started' | 'failed' {
    if (this.running !== null) return 'in-progress';
    return this.startBgsave() ? 'started' : 'failed';
  }

  /**
   * BGSAVE inside EXEC (Redis answers "Background saving scheduled" there): the cron
   * starts the save on its next tick, once no save runs.
   */
  scheduleBgsave(): void {
    this.scheduled = true;
  }

  /**
   * A background save for replicas (startBgsaveForReplication): to the RDB file, as a
   * BGSAVE, or streamed to the sink (a diskless sync), which does not count as a save of
   * the dataset (LASTSAVE, the changes counter and the MISCONF state stay). False if a
   * save runs already or it could not start.
   */
  startForReplicas(sink: (() => Promise<SnapshotSink>) | null, filter: { keys: boolean; functions: boolean } = { keys: true, functions: true }): boolean {
    if (this.running !== null) return false;
    if (sink === null) return this.startBgsave();
    const options = this.options();
    options.withoutKeys = !filter.keys;
    if (!filter.functions) options.libraries = [];
    const save = this.launch('replicas', options, sink);
    if (save === null) return false;
    this.log('notice', 'Background RDB transfer started (no fork: point-in-time walk)');
    void save.done.then((result) => {
      if (this.running !== save) return;
      this.running = null;
      if (result.ok) this.log('notice', 'Background RDB transfer terminated with success');
      else if (result.aborted) this.log('warning', 'Background transfer aborted');
      else this.log('warning', `Background transfer error: ${result.error.message}`);
      this.onBackgroundSaveDone?.('replicas', result);
    });
    return true;
  }

  /** Starts a background save; false if it could not start. */
  private startBgsave(): boolean {
    this.lastBgsaveTry = Math.floor(Date.now() / 1000);
    this.scheduled = false;
    const save = this.launch('disk', this.options());
    if (save === null) {
      this.lastBgsaveOk = false;
      return false;
    }
    this.dirtyAtBgsaveStart = this.keyspace.changesSinceSave;
    this.saves++;
    this.log('notice', `Background saving started (pid ${process.pid}, no fork: point-in-time walk)`);
    void save.done.then((result) => {
      if (this.running !== save) return;
      this.running = null;
      this.lastBgsaveSeconds = Math.floor((Date.now() - this.runningStartedMs) / 1000);
      this.reportBgsave(result);
      this.onBackgroundSaveDone?.('disk', result);
    });
    return true;
  }

  /** Creates the running background save (to the file unless a sink is given); null, logged, if it could not start. */
  private launch(target: SaveTarget, options: SnapshotOptions, sink?: () => Promise<SnapshotSink>): BackgroundSave | null {
    let save: BackgroundSave;
    try {
      save = new BackgroundSave(this.keyspace, options, this.tuning, sink);
      save.turnTook = this.onSaveTurn;
    } catch (e) {
      this.log('warning', `Can't save in background: ${(e as Error).message}`);
      return null;
    }
    this.running = save;
    this.bgsaveWorker = save.offloaded;
    this.runningTarget = target;
    this.runningStartedMs = Date.now();
    return save;
  }

  private reportBgsave(result: BackgroundSaveResult): void {
    if (result.ok) {
      this.log('notice', `DB saved on disk (${result.keys} keys)`);
      this.log('notice', 'Background saving terminated with success');
      this.keyspace.changesSinceSave -= this.dirtyAtBgsaveStart;
      this.lastSave = Math.floor(Date.now() / 1000);
      this.lastBgsaveOk = true;
    } else if (result.aborted) {
      this.log('warning', 'Background saving aborted');
    } else {
      this.log('warning', result.error.message);
      this.log('warning', 'Background saving error');
      this.lastBgsaveOk = false;
    }
  }

  /**
   * Stops a running background save and removes its temporary file, as Redis kills its
   * child: the status of the last save is left as it was. Resolves when it is gone.
   */
  async abortBgsave(): Promise<void> {
    const save = this.running;
    if (save === null) return;
    // It stays `running` (BGSAVE and SAVE answer "in progress") until its file is gone,
    // as Redis's killed child stays until it is reaped.
    save.abort();
    await save.done;
  }

  /** Stops a running background save without waiting for its cleanup. */
  abortBgsaveNow(): void {
    void this.abortBgsave();
  }

  /** Resolves when the running background save (if any) has finished. */
  async waitBgsave(): Promise<void> {
    await this.running?.done;
  }

  /** FLUSHALL after the flush: abort BGSAVE; save the empty dataset if save points exist. */
  afterFlushAll(): void {
    this.abortBgsaveNow();
    if (this.savePoints.length > 0) this.saveNow();
  }

  /** Redis's serverCron part for snapshots: scheduled saves and save points. */
  cron(): void {
    if (this.running !== null) return;
    if (this.scheduled) {
      this.startBgsave();
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const dirty = this.keyspace.changesSinceSave;
    for (const sp of this.savePoints) {
      if (
        dirty >= sp.changes &&
        now - this.lastSave > sp.seconds &&
        (now - this.lastBgsaveTry > BGSAVE_RETRY_DELAY_S || this.lastBgsaveOk)
      ) {
        this.log('notice', `${sp.changes} changes in ${sp.seconds} seconds. Saving...`);
        this.startBgsave();
        return;
      }
    }
  }
}

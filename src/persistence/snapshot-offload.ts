import { MessageChannel, receiveMessageOnPort, type Worker, type MessagePort } from 'node:worker_threads';
import { spawnWorkerModule } from './worker-file.js';
import { takeSpare } from './spare-buffers.js';
import { writeError } from './atomic-file.js';
import { KIND_STRING, type KeyStore } from '../keyspace/key-store.js';
import type { SlabSnapshot } from '../keyspace/store/slab-store.js';
import type { RdbWriteOptions } from './rdb-writer.js';

/**
 * A BGSAVE's string keys written by a worker thread (snapshot-worker.ts), so that the
 * main thread goes on serving at its own pace: Redis forks a child for this; Node
 * cannot, but the keys' records are in shared memory (the slab's arenas are
 * SharedArrayBuffers) and the store copies a page before it writes to one the worker
 * has not taken yet (SlabStore.beginSnapshot): the worker sees the segments as they
 * were at the start, as a forked child sees its parent's pages.
 *
 * Which keys are whose: a string whose record is in a slab segment at the start is the
 * worker's (the session workload: every key); the main thread's walk (BackgroundSave)
 * writes the rest (collections, which are JavaScript objects, and large strings, which
 * have buffers of their own), encodes them and sends them to the worker, which is the
 * one writer of the file's bytes (the checksum runs over them in order). The worker
 * sends the file's bytes back and the main thread writes them to the sink (a file, or a
 * replica's socket), at most a few batches ahead of it.
 */

/** What the worker is given (workerData). */
export interface OffloadWork {
  readonly options: RdbWriteOptions;
  /** The header and AUX fields, encoded by the main thread. */
  readonly header: Uint8Array;
  readonly stores: readonly OffloadStoreWork[];
  /** RESIZEDB hints by database, written with its first SELECTDB. */
  readonly sizes: readonly number[];
  readonly expires: readonly number[];
  /** Keys with a deadline at or before it are left out (the save's start, ms). */
  readonly startTime: number;
  /** The main thread's messages (OffloadInbox), read synchronously. */
  readonly inbox: MessagePort;
  /** The worker's messages (OffloadOutbox): events for BGSAVE, read synchronously by SAVE. */
  readonly outbox: MessagePort;
  /**
   * [0]: batches posted and not yet written; [1]: a counter bumped after each message to
   * the inbox; [2]: the same for the outbox; [3]: bytes of entries sent and not yet
   * appended by the worker.
   */
  readonly control: Int32Array;
}

export interface OffloadStoreWork {
  readonly db: number;
  readonly snapshot: SlabSnapshot;
  /** By id: 1 when the worker writes the id's record (a string in a segment at the start). */
  readonly owned: Uint8Array;
  /** The deadlines at the start, and the exact expire times beyond 2^53. */
  readonly deadline: Float64Array;
  readonly far: ReadonlyMap<number, bigint>;
}

export type OffloadInbox =
  | { t: 'page'; store: number; page: number; bytes: Uint8Array }
  /** A batch buffer the sink has written, handed back for the next batch (the whole buffer). */
  | { t: 'buffer'; bytes: Uint8Array }
  | { t: 'entries'; db: number; bytes: Uint8Array }
  /**
   * Where the worker's bytes go, sent before it needs to know (its first batch waits for
   * it): `fd` >= 0, a file it writes itself; -1, batches posted to this thread (pipe()).
   */
  | { t: 'sink'; fd: number }
  | { t: 'end' };

export type OffloadOutbox =
  | { t: 'out'; bytes: Uint8Array; keys: number }
  /** An entries buffer the worker has copied into a batch, handed back for later entries (the whole buffer). */
  | { t: 'spare'; bytes: Uint8Array }
  | { t: 'done'; keys: number }
  /** `write`: writing to the file failed (the system's message, for atomic-file.ts's writeError). */
  | { t: 'error'; message: string; write?: boolean };

/** An entries buffer is at least this big (SAVE sends a little over 1 MB at a time), so that one handed back fits the next. */
const ENTRIES_BUFFER_BYTES = 2 << 20;
/** Entries buffers kept for reuse, at most. */
const MAX_SPARE_ENTRIES = 4;

/** SAVE gives up on a worker that has done nothing for this long (then saves on its own thread if the worker never said a word). */
export const WORKER_STALL_MS = 10_000;

/** A save hands its string keys to a worker when they are at least this many (a worker takes tens of ms to start). */
export const OFFLOAD_MIN_KEYS = 10_000;

/**
 * The ids of a store whose records the worker would write (a mask over shared memory), and
 * how many. With `every` 2 (SAVE, which blocks: both threads encode), every other one.
 */
export function offloadMask(store: KeyStore, every = 1): { owned: Uint8Array; count: number } {
  const limit = store.idLimit;
  const owned = new Uint8Array(new SharedArrayBuffer(Math.max(1, limit)));
  let count = 0;
  for (let id = 0; id < limit; id++) {
    if (store.kindOf(id) === KIND_STRING && store.refOf(id) >= 0 && id % every === 0) {
      owned[id] = 1;
      count++;
    }
  }
  return { owned, count };
}

/**
 * The stores (by database index; null: none to save) with string keys for the worker, and
 * how many it would write: offloadMask() of each, `every` as there.
 */
export function offloadStores(stores: readonly (KeyStore | null)[], every = 1): { stores: OffloadStore[]; count: number } {
  const out: OffloadStore[] = [];
  let count = 0;
  stores.forEach((store, db) => {
    if (store === null) return;
    const mask = offloadMask(store, every);
    if (mask.count === 0) return;
    out.push({ db, store, owned: mask.owned });
    count += mask.count;
  });
  return { stores: out, count };
}

export interface OffloadStore {
  readonly db: number;
  readonly store: KeyStore;
  readonly owned: Uint8Array;
}

export class SnapshotOffload {
  /** Keys the worker has written. */
  keys = 0;
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly outbox: MessagePort;
  private readonly control = new Int32Array(new SharedArrayBuffer(16));
  private readonly stores: readonly KeyStore[];
  private readonly output: Buffer[] = [];
  /** Entries buffers the worker has handed back, for later entries. */
  private readonly entrySpare: Buffer[] = [];
  private wake: (() => void) | null = null;
  private finished = false;
  /** Why the worker failed, once it has. */
  failure: Error | null = null;
  /** Whether the worker has sent anything (it started). */
  heard = false;
  /** Settles when the worker has exited (or could not be made): no write of its can happen after. */
  private readonly exited: Promise<void>;
  private markExited: () => void = () => {};
  private sinkSent = false;

  /**
   * Starts the worker on the stores as they are now (call in the save's first tick).
   * `sync`: the caller reads the worker's output with drainSync() (SAVE, which blocks
   * this thread); otherwise it arrives as events and pipe() writes it.
   */
  constructor(
    stores: readonly OffloadStore[],
    header: Buffer,
    options: RdbWriteOptions,
    startTime: number,
    sizes: number[],
    expires: number[],
    sync = false,
    /** How long SAVE's synchronous reads wait on a worker that does nothing before they give up (drainSync, throttleSync). */
    private readonly stallMs = WORKER_STALL_MS,
  ) {
    this.exited = new Promise<void>((resolve) => (this.markExited = resolve));
    const channel = new MessageChannel();
    const back = new MessageChannel();
    this.port = channel.port1;
    this.outbox = back.port1;
    this.stores = stores.map((s) => s.store);
    const transfer: (ArrayBuffer | MessagePort)[] = [channel.port2, back.port2];
    const storeWork: OffloadStoreWork[] = [];
    try {
      stores.forEach((s, i) => {
        const deadline = s.store.deadlines(s.owned.length);
        transfer.push(deadline.buffer);
        const snapshot = s.store.slab.beginSnapshot((page, bytes) => this.deliver(i, page, bytes));
        storeWork.push({ db: s.db, owned: s.owned, deadline, far: new Map(s.store.farExpireTimes), snapshot });
      });
    } catch (e) {
      // A store already in a snapshot (another save's): the ones begun here end, that one is not ours.
      for (let i = 0; i < storeWork.length; i++) stores[i]!.store.slab.endSnapshot();
      this.port.close();
      this.outbox.close();
      throw e;
    }
    const work: OffloadWork = {
      options: { compression: options.compression, checksum: options.checksum },
      header,
      stores: storeWork,
      sizes,
      expires,
      startTime,
      inbox: channel.port2,
      outbox: back.port2,
      control: this.control,
    };
    try {
      this.worker = spawnWorkerModule('snapshot-worker', work, transfer);
    } catch (e) {
      this.release();
      this.markExited();
      throw e;
    }
    // SAVE writes the batches itself (drainSync); BGSAVE says where with pipe().
    if (sync) this.sinkTo(-1);
    if (!sync) this.outbox.on('message', (m: OffloadOutbox) => this.received(m));
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => {
      // Its last batches and its end travel on the outbox, a port of its own, and the exit
      // event can come first: they are in the port's queue by then, so take them now. (A
      // BGSAVE under load failed with "exited (code 0)" after the worker had finished.)
      while (!this.finished) {
        const m = receiveMessageOnPort(this.outbox);
        if (m === undefined) break;
        this.received(m.message as OffloadOutbox);
      }
      this.fail(new Error(`the snapshot worker exited (code ${code})`));
      this.markExited();
    });
  }

  /** Entries the main thread encoded for database `db` (RDB bytes, no SELECTDB). */
  entries(db: number, chunks: Buffer[]): void {
    if (chunks.length === 0 || this.finished) return;
    let total = 0;
    for (const c of chunks) total += c.length;
    const bytes = takeSpare(this.entrySpare, total, ENTRIES_BUFFER_BYTES);
    let at = 0;
    for (const c of chunks) at += c.copy(bytes, at);
    Atomics.add(this.control, 3, total);
    const sent = bytes.subarray(0, total);
    this.send({ t: 'entries', db, bytes: sent }, [sent.buffer as ArrayBuffer]);
  }

  /**
   * A batch the sink has written: its buffer goes back to the worker for a later batch,
   * so that a save leaves no trail of buffers for this thread's GC (which rarely runs
   * while it waits on the sink) and the worker writes into pages already mapped.
   */
  private handBack(bytes: Buffer): void {
    if (this.finished) return;
    const whole = new Uint8Array(bytes.buffer, 0, bytes.buffer.byteLength);
    this.send({ t: 'buffer', bytes: whole }, [whole.buffer as ArrayBuffer]);
  }

  /**
   * SAVE: waits while more than `limit` bytes of entries wait for the worker (this thread
   * encodes as fast as it does, and the inbox would otherwise hold half the file),
   * writing its batches meanwhile so that it never waits on this thread.
   */
  throttleSync(write: (bytes: Buffer) => void, limit: number): void {
    const control = this.control;
    let last = -1;
    let waited = 0;
    for (;;) {
      this.drainSync(write, false);
      const pending = Atomics.load(control, 3);
      if (pending <= limit || this.finished) return;
      // A worker that takes nothing (it never started, or died: its exit is an event this
      // blocked thread cannot see) would hold SAVE, and the server, here for ever.
      if (pending !== last) {
        last = pending;
        waited = 0;
      }
      if (Atomics.wait(control, 3, pending, 5) === 'timed-out' && (waited += 5) >= this.stallMs) {
        this.fail(new Error(`the snapshot worker took nothing for ${this.stallMs} ms`));
        throw this.failure!;
      }
    }
  }

  /** The main thread has sent all its entries. */
  end(): void {
    this.send({ t: 'end' }, []);
  }

  /**
   * Writes the worker's bytes to the sink until it is done; throws if it failed. A sink
   * with a file descriptor (a BGSAVE's file) is written by the worker itself, as a forked
   * Redis child writes its file: this thread and libuv's are left out of the file's
   * bytes, and the save keeps one busy thread beside the one serving clients, not two.
   */
  async pipe(sink: { write(chunks: Buffer[]): Promise<void>; readonly releasesBuffers?: boolean; readonly fd?: number }): Promise<void> {
    const fd = sink.fd ?? -1;
    this.sinkTo(fd);
    if (fd >= 0) {
      while (!this.finished) await new Promise<void>((resolve) => (this.wake = resolve));
      if (this.failure !== null) throw this.failure;
      return;
    }
    for (;;) {
      while (this.output.length === 0) {
        if (this.failure !== null) throw this.failure;
        if (this.finished) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
      const bytes = this.output.shift()!;
      await sink.write([bytes]);
      // A socket may still queue what it was given: not reused then.
      if (sink.releasesBuffers === true) this.handBack(bytes);
      Atomics.sub(this.control, 0, 1);
      Atomics.notify(this.control, 0);
    }
  }

  /**
   * Tells the worker where its bytes go (once; later calls change nothing): a file
   * descriptor it writes itself, or -1, batches to this thread. Its first batch waits for it.
   */
  sinkTo(fd: number): void {
    if (this.sinkSent) return;
    this.sinkSent = true;
    this.send({ t: 'sink', fd }, []);
  }

  /**
   * SAVE's side of pipe(): writes the batches the worker has sent (with `wait`, until it is
   * done), synchronously. Throws if the worker failed, or sent nothing for `stallMs`
   * (it could not start, or died: a thread's exit is an event this thread cannot see
   * while it blocks).
   */
  drainSync(write: (bytes: Buffer) => void, wait: boolean): void {
    const stallMs = this.stallMs;
    const control = this.control;
    let waited = 0;
    for (;;) {
      const seq = Atomics.load(control, 2);
      const got = receiveMessageOnPort(this.outbox);
      if (got !== undefined) {
        waited = 0;
        this.received(got.message as OffloadOutbox);
        while (this.output.length > 0) {
          const bytes = this.output.shift()!;
          write(bytes);
          // The write is synchronous: the bytes are in the file.
          this.handBack(bytes);
          Atomics.sub(control, 0, 1);
          Atomics.notify(control, 0);
        }
        if (this.failure !== null) throw this.failure;
        if (this.finished) return;
        continue;
      }
      if (this.failure !== null) throw this.failure;
      if (!wait || this.finished) return;
      if (Atomics.wait(control, 2, seq, 100) === 'timed-out' && (waited += 100) >= stallMs) {
        this.fail(new Error(`the snapshot worker sent nothing for ${stallMs} ms`));
        throw this.failure!;
      }
    }
  }

  /**
   * Stops the worker (the save was aborted or failed). Settles once it has exited: only
   * then may the file it writes be closed (its descriptor's number could otherwise go to
   * another file while the worker still writes to it).
   */
  abort(): Promise<void> {
    if (!this.finished) {
      this.finished = true;
      this.release();
      this.wakeUp();
    }
    return this.exited;
  }

  private send(message: OffloadInbox, transfer: ArrayBuffer[]): void {
    this.port.postMessage(message, transfer);
    Atomics.add(this.control, 1, 1);
    Atomics.notify(this.control, 1);
  }

  /** A page's copy, made by the store before it writes to it (SlabStore.protect). */
  private deliver(store: number, page: number, bytes: Uint8Array): void {
    this.send({ t: 'page', store, page, bytes }, [bytes.buffer as ArrayBuffer]);
  }

  private received(m: OffloadOutbox): void {
    if (this.finished) return;
    this.heard = true;
    if (m.t === 'out') {
      this.keys = m.keys;
      this.output.push(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength));
    } else if (m.t === 'spare') {
      if (this.entrySpare.length < MAX_SPARE_ENTRIES) this.entrySpare.push(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength));
      return;
    } else if (m.t === 'done') {
      this.keys = m.keys;
      this.finished = true;
      this.release();
    } else {
      this.fail(m.write === true ? writeError(m.message) : new Error(`the snapshot worker failed: ${m.message}`));
      return;
    }
    this.wakeUp();
  }

  private fail(e: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.failure = e;
    this.release();
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** The stores stop copying pages; the worker is stopped (it has finished, or its work is dropped). */
  private release(): void {
    for (const store of this.stores) store.slab.endSnapshot();
    this.port.close();
    this.outbox.close();
    // (Also from the constructor, when the worker could not be created.)
    void this.worker?.terminate();
  }
}


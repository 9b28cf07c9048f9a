import fs from 'node:fs';
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { lebLength, recordKeyLength } from '../keyspace/key-store.js';
import { PAGE_COPIED, PAGE_DONE, PAGE_PENDING, PAGE_SIZE, PAGE_TAKEN, visitRecords, type RecordVisitor } from '../keyspace/store/slab-store.js';
import { RdbEncoder } from './rdb-writer.js';
import { takeSpare } from './spare-buffers.js';
import { skipWritten } from './atomic-file.js';
import type { OffloadInbox, OffloadOutbox, OffloadWork } from './snapshot-offload.js';

/**
 * The thread that writes a BGSAVE's string keys (see snapshot-offload.ts): it walks the
 * slab segments of every database as they were when the save began, page by page
 * (taking each page before the main thread writes to it, or receiving the copy the main
 * thread made first), encodes every string record the save owns, appends the entries
 * the main thread encoded itself (collections, large strings, the header), computes the
 * checksum, and hands the file's bytes back in batches, at most OUTSTANDING unwritten.
 */

/** Batches posted and not yet written by the main thread, at most. */
const OUTSTANDING = 4;
/** Bytes encoded before a batch is handed over. */
const BATCH_BYTES = 1 << 20;

/** One save's walk: the encoder, the copies received, and where the stream is. */
class SnapshotWriter {
  private readonly enc: RdbEncoder;
  private readonly copies: Map<number, Uint8Array>[];
  private ended = false;
  private currentDb = -1;
  private readonly selected = new Set<number>();
  /** The main thread's entries buffers in the encoder's chunks, handed back by the flush that copies them. */
  private readonly lent: ArrayBuffer[] = [];
  /** Batch buffers the main thread has written and handed back. */
  private readonly spare: Buffer[] = [];
  /** The file this thread writes (>= 0), -1 when batches go to the main thread, null until told (OffloadInbox 'sink'). */
  private fd: number | null = null;
  keys = 0;

  constructor(private readonly work: OffloadWork) {
    this.enc = new RdbEncoder(work.options);
    this.copies = work.stores.map(() => new Map<number, Uint8Array>());
  }

  run(): void {
    const work = this.work;
    const enc = this.enc;
    enc.appendEncoded(Buffer.from(work.header.buffer, work.header.byteOffset, work.header.byteLength));
    let segmentBytes = 0;
    for (const store of work.stores) segmentBytes = Math.max(segmentBytes, store.snapshot.segmentSize);
    const buffer = new ArrayBuffer(segmentBytes);
    const bytes = Buffer.from(buffer);
    const words = new Int32Array(buffer);
    work.stores.forEach((store, s) => {
      const snap = store.snapshot;
      const visitor = new StoreVisitor(this, store.db, store.owned, store.deadline, store.far, bytes, work.startTime);
      for (let k = 0; k < snap.pageBase.length; k++) {
        const end = snap.segments[3 * k + 2]!;
        this.gather(s, k, bytes);
        visitRecords(bytes, words, end, visitor);
        this.receive(false);
        if (enc.pending >= BATCH_BYTES) this.flush(false);
      }
    });
    while (!this.ended) this.receive(true);
    enc.eof();
    this.flush(true);
    post({ t: 'done', keys: this.keys });
  }

  /** Segment k of store s, as it was at the start, into bytes: each page taken from shared memory or received as a copy. */
  private gather(s: number, k: number, bytes: Uint8Array): void {
    const snap = this.work.stores[s]!.snapshot;
    const pages = snap.pages;
    const arena = snap.arenas[snap.segments[3 * k]!]!;
    const offset = snap.segments[3 * k + 1]!;
    const end = snap.segments[3 * k + 2]!;
    const shared = new Uint8Array(arena, offset, end);
    const base = snap.pageBase[k]!;
    for (let page = 0, start = 0; start < end; page++, start += PAGE_SIZE) {
      const index = base + page;
      if (Atomics.compareExchange(pages, index, PAGE_PENDING, PAGE_TAKEN) === PAGE_PENDING) {
        bytes.set(shared.subarray(start, Math.min(end, start + PAGE_SIZE)), start);
        Atomics.store(pages, index, PAGE_DONE);
        Atomics.notify(pages, index);
        continue;
      }
      // The main thread copies it (COPYING) or has (COPIED): the copy is, or soon is, in the inbox.
      for (;;) {
        const state = Atomics.load(pages, index);
        if (state === PAGE_COPIED) break;
        Atomics.wait(pages, index, state, 100);
      }
      const map = this.copies[s]!;
      let copy = map.get(index);
      while (copy === undefined) {
        this.receive(true);
        copy = map.get(index);
      }
      map.delete(index);
      bytes.set(copy, start);
    }
  }

  /** SELECTDB (RESIZEDB the first time) unless the stream is in db already. */
  select(db: number): void {
    if (this.currentDb === db) return;
    if (this.selected.has(db)) this.enc.selectDb(db);
    else this.enc.selectDb(db, this.work.sizes[db], this.work.expires[db]);
    this.selected.add(db);
    this.currentDb = db;
  }

  get encoder(): RdbEncoder {
    return this.enc;
  }

  private handle(message: OffloadInbox): void {
    if (message.t === 'page') {
      this.copies[message.store]!.set(message.page, message.bytes);
    } else if (message.t === 'buffer') {
      this.spare.push(Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength));
    } else if (message.t === 'sink') {
      this.fd = message.fd;
    } else if (message.t === 'entries') {
      this.select(message.db);
      // Taken as it is, not copied: flush() copies it into a batch and hands it back.
      const bytes = Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength);
      this.enc.appendChunk(bytes);
      this.lent.push(bytes.buffer as ArrayBuffer);
      Atomics.sub(this.work.control, 3, message.bytes.byteLength);
      Atomics.notify(this.work.control, 3);
    } else {
      this.ended = true;
    }
  }

  /** Handles what the main thread sent; with `wait`, blocks until at least one message came. */
  private receive(wait: boolean): void {
    const control = this.work.control;
    for (;;) {
      const seq = Atomics.load(control, 1);
      const got = receiveMessageOnPort(this.work.inbox as MessagePort);
      if (got !== undefined) {
        this.handle(got.message as OffloadInbox);
        wait = false;
        continue;
      }
      if (!wait) return;
      Atomics.wait(control, 1, seq, 1000);
    }
  }

  /**
   * Writes what is encoded to the file, or (batches to the main thread) hands it over as
   * one buffer once fewer than OUTSTANDING wait to be written.
   */
  private flush(final: boolean): void {
    const chunks = final ? this.enc.takeFinal() : this.enc.take();
    // The entries buffers among these chunks, handed back once copied. Not those that
    // receive() below may lend: they are in the encoder's next chunks.
    const lent = this.lent.splice(0);
    let total = 0;
    for (const c of chunks) total += c.length;
    if (total === 0) return;
    while (this.fd === null) this.receive(true);
    if (this.fd >= 0) {
      writeAll(this.fd, chunks);
      this.release(chunks, lent, final);
      return;
    }
    const control = this.work.control;
    for (;;) {
      const outstanding = Atomics.load(control, 0);
      if (outstanding < OUTSTANDING) break;
      Atomics.wait(control, 0, outstanding, 1000);
    }
    // Buffers written by now have been handed back (with a file sink).
    this.receive(false);
    // Room for any batch: what was pending (under BATCH_BYTES) plus a segment's records.
    const out = takeSpare(this.spare, total, BATCH_BYTES * 3);
    let at = 0;
    for (const c of chunks) at += c.copy(out, at);
    this.release(chunks, lent, final);
    Atomics.add(control, 0, 1);
    post({ t: 'out', bytes: out.subarray(0, total), keys: this.keys }, [out.buffer as ArrayBuffer]);
  }

  /**
   * Chunks written or copied: the encoder's go back to it, the main thread's entries
   * buffers (`lent`) back to the main thread. Not after the final flush (nothing follows).
   */
  private release(chunks: Buffer[], lent: ArrayBuffer[], final: boolean): void {
    if (final) return;
    this.enc.recycle(lent.length === 0 ? chunks : chunks.filter((c) => !lent.includes(c.buffer as ArrayBuffer)));
    for (const buffer of lent) post({ t: 'spare', bytes: new Uint8Array(buffer) }, [buffer]);
  }
}

/** A write to the save's file failed (the main thread reports it with atomic-file.ts's writeError). */
class FileWriteError extends Error {}

/** Writes all of `chunks` at the file's position (writev may take part of them). */
function writeAll(fd: number, chunks: Buffer[]): void {
  let pending = chunks;
  try {
    while (pending.length > 0) pending = skipWritten(pending, fs.writevSync(fd, pending));
  } catch (e) {
    throw new FileWriteError((e as Error).message);
  }
}

/** Writes the string records a store's segments hold for the save. */
class StoreVisitor implements RecordVisitor {
  constructor(
    private readonly writer: SnapshotWriter,
    private readonly db: number,
    private readonly owned: Uint8Array,
    private readonly deadline: Float64Array,
    private readonly far: ReadonlyMap<number, bigint>,
    private readonly bytes: Buffer,
    private readonly startTime: number,
  ) {}

  record(owner: number, start: number, end: number): void {
    if (this.owned[owner] !== 1) return;
    const deadline = this.deadline[owner]!;
    if (deadline <= this.startTime) return;
    const bytes = this.bytes;
    const keyLength = recordKeyLength(bytes, start);
    const keyAt = start + lebLength(keyLength);
    this.writer.select(this.db);
    let expire: number | bigint | null = null;
    if (deadline !== Infinity) expire = deadline > Number.MAX_SAFE_INTEGER ? (this.far.get(owner) ?? deadline - 1) : deadline - 1;
    this.writer.encoder.stringEntryAt(bytes, keyAt, keyAt + keyLength, end, expire);
    this.writer.keys++;
  }
}

const work = workerData as OffloadWork;

/** To the main thread, which reads the outbox by events (BGSAVE) or synchronously (SAVE: hence the counter). */
function post(message: OffloadOutbox, transfer: ArrayBuffer[] = []): void {
  work.outbox.postMessage(message, transfer);
  Atomics.add(work.control, 2, 1);
  Atomics.notify(work.control, 2);
}

try {
  new SnapshotWriter(work).run();
} catch (e) {
  if (e instanceof FileWriteError) post({ t: 'error', message: e.message, write: true });
  else post({ t: 'error', message: (e as Error).stack ?? String(e) });
}

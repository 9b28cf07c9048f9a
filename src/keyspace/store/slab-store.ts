import { readLatin1, writeLatin1 } from '../../util/latin1.js';
import { writeDigitsBefore } from '../../util/numbers.js';
import { BufferCount } from './buffer-count.js';
import { copyWords, RecentViews, WORDS_BELOW } from '../../util/shared-copy.js';

/**
 * SlabStore: byte records outside the V8 heap, each owned by an integer id (an entry of
 * the keyspace), addressed by a ref that is a small integer. The store knows records of
 * N bytes and their owners, nothing of what the bytes mean (the database lays out
 * `[key length varint][key bytes][value bytes]`).
 *
 * Layout
 * - Small records live in segments: ArrayBuffers of 2^segmentShift bytes (1 MiB by
 *   default), filled by a bump pointer at the head segment. A segment is never written
 *   again below its bump pointer except to mark a record dead, so records never move
 *   unless compaction moves them (and then it tells the owner, see Relocator).
 * - A record is 4-byte aligned: `[owner int32][payload length LEB128, 1-3 bytes][payload]`
 *   padded to a multiple of 4. The owner word doubles as the live flag (DEAD = -1), so
 *   free() is one store and compaction can walk a segment record by record and find who
 *   points at each live one without asking anybody. Overhead: 4 + 1..3 bytes + 0..3 of
 *   padding, 9 bytes for a 267-byte session record (37-byte key, 230-byte value, the key
 *   length byte). Keeping the owner costs 4 bytes a record; the alternative (the
 *   database finds the owner by hashing the key found in the payload) would tie the
 *   store to one payload format and cost a table lookup per moved record.
 *   Alignment: an unaligned layout would save 1.5 bytes a record on average, but refs
 *   count 4-byte words, so 2^31 refs address 8 GiB of segments instead of 2 GiB, and
 *   the owner is one Int32Array load.
 * - Records whose payload is over a quarter of a segment (less the largest header) get
 *   an ArrayBuffer of their own, exactly their payload's size, dropped when they are
 *   freed: large values come and go without fragmenting segments, and without copying
 *   them in compaction.
 *
 * Refs (JS numbers that stay Smis: node 20 on x64 has 32-bit Smis)
 * - small record: `slot << (segmentShift - 2) | wordOffset`, >= 0. Slots are recycled
 *   (a free-slot stack), so a ref stays below 2^31 while at most 8 GiB of segments are
 *   held at once; past that, alloc throws (a RangeError, like a failed allocation).
 * - large record: `~largeSlot` (-1, -2, ...), < 0.
 * - A ref is valid from alloc() until free() or a compact() that moves it (the
 *   relocator is told the new ref) or clear().
 *
 * Memory comes back
 * - A segment whose live bytes fall to 0 is released at once: its views are dropped so
 *   V8 can free the ArrayBuffer at its next GC (the store cannot free memory itself;
 *   the server's cron should make sure a GC runs after a large drop). At most one empty
 *   segment is kept: the head reset in place, or one spare kept for the next head.
 * - compact() evacuates the sparsest segments (live under `compactBelow` of their size)
 *   into the head, in bounded steps, resumable across calls (Redis's activedefrag:
 *   move what sits in sparse pages so the pages empty and can be released).
 *
 * Not reentrant: Relocator.moved must not call back into the store.
 * No allocation per operation: alloc/free/accessors touch typed arrays and Smi arrays;
 * only opening or releasing a segment (once per segment) and large records allocate.
 */

/** Told by compact() about every record it moves. Given per call, one object (no closure). */
export interface Relocator {
  /**
   * The record of `owner` moved from oldRef to newRef, bytes unchanged; oldRef is
   * invalid from now on. Must not call into the store.
   */
  moved(owner: number, oldRef: number, newRef: number): void;
}

export interface SlabStoreOptions {
  /** log2 of the segment size, 8..22 (256 B .. 4 MiB); default 20 (1 MiB). */
  segmentShift?: number;
  /**
   * Segments carved from shared ArrayBuffers ("arenas") of this many segments each,
   * instead of one ArrayBuffer per segment; 0 (default): one buffer per segment. A
   * released segment's region is reused by the next segment opened (the fullest arena's
   * first), and an arena is dropped when none of its regions is in use. See KeyStore
   * for why (glibc keeps freed 1 MiB buffers resident; 64 MiB arenas are mmap'd).
   */
  arenaSegments?: number;
  /**
   * Large records in mapped (resizable) ArrayBuffers, which V8 maps and unmaps itself,
   * whatever mappedBuffers says of segments: glibc would keep freed ones of a few MiB
   * resident (its raised mmap threshold). They are copied in bulk (native calls), where
   * mapped buffers cost nothing more.
   */
  mappedLarge?: boolean;
  /** compact() evacuates segments whose live bytes are under this fraction of their size; default 0.5. */
  compactBelow?: number;
  /**
   * Allocate buffers as resizable ArrayBuffers of a fixed max size (default false). V8
   * maps those pages itself (mmap, munmap when collected) instead of asking malloc, so a
   * dropped segment goes back to the OS when V8 frees it. Plain ArrayBuffers come from
   * glibc malloc, whose dynamic mmap threshold rises to 1 MiB once a 1 MiB block is
   * freed, after which segments come from the heap and churn leaves holes it keeps.
   * Measured (bench/micro/slab-store.ts, 1M sessions, ~200 MB churn, 1 MiB segments):
   * churn RSS 349 MB mapped vs 430 MB malloc for 273 MB held (both flat over 500
   * rounds); but typed arrays over resizable buffers take V8 11.3's slower paths:
   * alloc+write 489 vs 120 ns a record reused, 1148 vs 695 fresh, copyTo of 37 bytes
   * 217 vs ~110-145 ns. The hot path wins: malloc by default. (Setting
   * MALLOC_MMAP_THRESHOLD_ for the process would fix glibc's side; not measured.)
   * Note: process.memoryUsage().arrayBuffers does not count resizable buffers.
   */
  mappedBuffers?: boolean;
  /**
   * Arenas as SharedArrayBuffers (with arenaSegments > 0), so that another thread can
   * read the segments while this one serves: beginSnapshot(). Typed arrays over them
   * are as fast as over plain buffers (plain element loads and stores).
   */
  shared?: boolean;
  /** Counts the shared arenas' bytes until they are collected (see BufferCount); with `shared`. */
  sharedBytes?: BufferCount;
}

/**
 * Page states of a snapshot (beginSnapshot), one Int32 per PAGE_SIZE bytes of every
 * segment that held records when it began. The reader takes a PENDING page
 * (PENDING -> TAKEN), copies it and marks it DONE; the store, before it writes to a
 * PENDING page, copies it itself (PENDING -> COPYING), delivers the copy and marks it
 * COPIED; a write to a TAKEN page waits for DONE (one page's copy). Either way the
 * reader sees each page as it was when the snapshot began, as a forked child sees its
 * parent's pages, and nothing waits longer than one page takes to copy.
 */
export const PAGE_PENDING = 0;
export const PAGE_TAKEN = 1;
export const PAGE_DONE = 2;
export const PAGE_COPYING = 3;
export const PAGE_COPIED = 4;
export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;

/** What a reader on another thread needs to walk the segments as they were when a snapshot began. */
export interface SlabSnapshot {
  readonly segmentSize: number;
  /** The arenas the segments lie in. */
  readonly arenas: readonly SharedArrayBuffer[];
  /** Per segment, three numbers: arena index, byte offset in the arena, bytes in use (records lie in [0, end)). */
  readonly segments: readonly number[];
  /** Page states (PAGE_*), over a SharedArrayBuffer; segment k's pages start at pageBase[k]. */
  readonly pages: Int32Array;
  readonly pageBase: readonly number[];
}

/** The store's side of a running snapshot. */
interface SnapshotGuard {
  /** By slot: the snapshot's segment index, -1 for none (slots past its length: none). */
  readonly segmentOf: Int32Array;
  /** By segment: bytes in use at the start, and the first page's index. */
  readonly ends: number[];
  readonly pageBase: number[];
  readonly pages: Int32Array;
  /** Takes the copy of page `page` (an index into pages) made before a write. */
  readonly deliver: (page: number, bytes: Uint8Array) => void;
}

/** ArrayBuffer's constructor with ES2024's options (node 20 has resizable buffers; the ES2022 lib does not type them). */
const ResizableArrayBuffer = ArrayBuffer as unknown as new (length: number, options?: { maxByteLength: number }) => ArrayBuffer;

/** The owner word of a freed record. Owners are 0 .. 2^31-1. */
const DEAD = -1;
/** Segments up to this size keep one empty spare (see emptied()). */
const MAX_SPARE_SEGMENT = 4 << 20;
/** The largest header: owner word and a 3-byte length. */
const MAX_HEADER = 7;
/**
 * Copies of at most this many bytes run as a JS loop; longer ones call Buffer.copy,
 * whose fixed cost (~60-100 ns, and one short-lived Uint8Array view that node 20's
 * _copyActual makes per call) a byte loop (~2-3 ns a byte here) beats only for short
 * runs. Measured in bench/micro/slab-store.ts (figures in its header).
 */
const SHORT_COPY = 32;
/** A zero-length view marking a free slot (keeps the views arrays monomorphic: no null). */
const NO_VIEW = Buffer.alloc(0);
const NO_WORDS = new Int32Array(0);

/** The LEB128 payload length at view[p]. */
function payloadLength(view: Uint8Array, p: number): number {
  const b0 = view[p]!;
  if (b0 < 0x80) return b0;
  const b1 = view[p + 1]!;
  if (b1 < 0x80) return (b0 & 0x7f) | (b1 << 7);
  return (b0 & 0x7f) | ((b1 & 0x7f) << 7) | (view[p + 2]! << 14);
}

/** Told of each live record by visitRecords. */
export interface RecordVisitor {
  /** A live record of `owner`, its payload at bytes [start, end). */
  record(owner: number, start: number, end: number): void;
}

/**
 * A snapshot reader's walk over a segment's bytes (its copy, as of the snapshot):
 * tells `visitor` of each live record in [0, end). `words` views the same bytes.
 */
export function visitRecords(bytes: Uint8Array, words: Int32Array, end: number, visitor: RecordVisitor): void {
  let at = 0;
  while (at < end) {
    const p = at + 4;
    const size = payloadLength(bytes, p);
    const owner = words[at >> 2]!;
    if (owner !== DEAD) {
      const start = size < 0x80 ? p + 1 : size < 0x4000 ? p + 2 : p + 3;
      visitor.record(owner, start, start + size);
    }
    at += recordSize(size);
  }
}

/** Record size for a payload of `size` bytes: owner word, LEB128 length, payload, padding. */
function recordSize(size: number): number {
  return (4 + (size < 0x80 ? 1 : size < 0x4000 ? 2 : 3) + size + 3) & ~3;
}

export class SlabStore {
  readonly segmentSize: number;
  /** Payloads longer than this get an ArrayBuffer of their own. */
  readonly largeAbove: number;
  private readonly wordShift: number;
  private readonly wordMask: number;
  private readonly maxSlots: number;
  private readonly compactLimit: number;
  private readonly mapped: boolean;
  private readonly shared: boolean;
  private readonly sharedBytes: BufferCount;
  /** The running snapshot's guard (beginSnapshot), or null. */
  private snap: SnapshotGuard | null = null;

  // Segments, by slot (parallel arrays; a released slot holds NO_VIEW / NO_WORDS).
  private views: Buffer[] = [];
  private words: Int32Array[] = [];
  /** Bytes of live records (headers and padding included) per slot. */
  private live: number[] = [];
  /** Bump pointer per slot: records lie in [0, end). */
  private ends: number[] = [];
  private freeSlots: number[] = [];
  private head = -1;
  private spareView: Buffer = NO_VIEW;
  // Arenas (arenaSegments > 0): each segment slot's arena and region; per arena its
  // buffer (null once dropped), its free regions and how many are in use.
  private readonly arenaSegments: number;
  private readonly mappedLarge: boolean;
  /** Bytes of large records in mapped buffers (V8 counts them in external memory, Node not in arrayBuffers). */
  mappedBytes = 0;
  private slotArena: number[] = [];
  private slotRegion: number[] = [];
  private arenas: (ArrayBuffer | SharedArrayBuffer | null)[] = [];
  /** Per arena, a DataView over all of it (null once dropped): see arenaDataOf(). */
  private arenaData: (DataView | null)[] = [];
  private arenaFree: number[][] = [];
  private arenaUsed: number[] = [];
  private spareWords: Int32Array = NO_WORDS;

  // Large records, by large slot.
  private largeViews: Buffer[] = [];
  private largeOwners: number[] = [];
  private largeFree: number[] = [];

  // Compaction: the segment being evacuated (-1: none) and how far it was walked.
  private compactSlot = -1;
  private compactCursor = 0;
  private pauseDepth = 0;

  /** Payload bytes of live records. */
  liveBytes = 0;
  /** ArrayBuffer bytes held: segments (spare included) and large records. */
  segmentBytes = 0;
  /** Live records. */
  recordCount = 0;
  /** ArrayBuffer bytes of the arenas held (0 without arenas): what the store holds outside the heap, segments in use or not. */
  arenaBytes = 0;
  /**
   * ArrayBuffer bytes dropped (segments released, large records freed) since the owner
   * last reset it: garbage only a GC gives back to the OS.
   */
  releasedBytes = 0;

  constructor(options: SlabStoreOptions = {}) {
    const shift = options.segmentShift ?? 20;
    if (!Number.isInteger(shift) || shift < 8 || shift > 26) throw new RangeError('segmentShift must be an integer in 8..26');
    const below = options.compactBelow ?? 0.5;
    if (!(below >= 0 && below <= 1)) throw new RangeError('compactBelow must be in 0..1');
    this.segmentSize = 1 << shift;
    // A quarter of a segment, and never more than the 3-byte length can say (2 MiB).
    this.largeAbove = Math.min(this.segmentSize >> 2, 1 << 21) - MAX_HEADER;
    this.wordShift = shift - 2;
    this.wordMask = (1 << this.wordShift) - 1;
    this.maxSlots = 2 ** (33 - shift);
    this.compactLimit = Math.floor(below * this.segmentSize);
    this.mapped = options.mappedBuffers ?? false;
    this.arenaSegments = options.arenaSegments ?? 0;
    this.mappedLarge = options.mappedLarge ?? false;
    this.shared = options.shared ?? false;
    this.sharedBytes = options.sharedBytes ?? new BufferCount();
    if (this.shared && this.arenaSegments === 0) throw new RangeError('shared needs arenaSegments');
  }

  /** live / held: 0 when nothing is live. */
  get fragmentation(): number {
    return this.liveBytes === 0 ? 0 : this.segmentBytes / this.liveBytes;
  }

  /** Segments held (the spare included), for statistics. */
  get segmentCount(): number {
    return this.views.length - this.freeSlots.length + (this.spareView === NO_VIEW ? 0 : 1);
  }

  /**
   * ArrayBuffer bytes the store holds: segments (with arenas: whole arenas, regions in
   * use or not) and large records. What a GC cannot give back while the store lives.
   */
  get bufferBytes(): number {
    if (this.arenaSegments === 0) return this.segmentBytes;
    const segments = (this.views.length - this.freeSlots.length) * this.segmentSize;
    return this.arenaBytes + this.segmentBytes - segments;
  }

  /** Large records held. */
  get largeCount(): number {
    return this.largeViews.length - this.largeFree.length;
  }

  /**
   * A record of `size` payload bytes (contents unspecified until written) owned by
   * `owner` (an integer 0 .. 2^31-1). Returns its ref.
   */
  alloc(size: number, owner: number): number {
    if (size > this.largeAbove) return this.allocLarge(size, owner);
    const total = recordSize(size);
    let head = this.head;
    if (head < 0 || this.ends[head]! + total > this.segmentSize) head = this.openHead();
    const at = this.ends[head]!;
    if (this.snap !== null) this.protect(head, at, at + total);
    this.ends[head] = at + total;
    this.live[head] += total;
    this.words[head]![at >> 2] = owner;
    const view = this.views[head]!;
    if (size < 0x80) {
      view[at + 4] = size;
    } else if (size < 0x4000) {
      view[at + 4] = (size & 0x7f) | 0x80;
      view[at + 5] = size >>> 7;
    } else {
      view[at + 4] = (size & 0x7f) | 0x80;
      view[at + 5] = ((size >>> 7) & 0x7f) | 0x80;
      view[at + 6] = size >>> 14;
    }
    this.liveBytes += size;
    this.recordCount++;
    return (head << this.wordShift) | (at >> 2);
  }

  /** Frees a live record. Throws on a record already freed (a cheap guard against double frees). */
  free(ref: number): void {
    if (ref < 0) {
      const slot = ~ref;
      const view = this.largeViews[slot]!;
      if (view === NO_VIEW) throw new Error('SlabStore: free of a freed record');
      this.largeViews[slot] = NO_VIEW;
      this.largeFree.push(slot);
      if (this.mappedLarge && !this.mapped) this.mappedBytes -= view.length;
      this.segmentBytes -= view.length;
      this.releasedBytes += view.length;
      this.liveBytes -= view.length;
      this.recordCount--;
      return;
    }
    const slot = ref >>> this.wordShift;
    const word = ref & this.wordMask;
    const words = this.words[slot]!;
    if (words[word] === DEAD) throw new Error('SlabStore: free of a freed record');
    if (this.snap !== null) this.protect(slot, word << 2, (word << 2) + 4);
    words[word] = DEAD;
    const size = payloadLength(this.views[slot]!, (word << 2) + 4);
    this.liveBytes -= size;
    this.recordCount--;
    const live = (this.live[slot] -= recordSize(size));
    if (live === 0) this.emptied(slot);
  }

  /** The view that holds the record's payload: the segment's whole view (cached), or the large record's. */
  bytesOf(ref: number): Uint8Array {
    return ref < 0 ? this.largeViews[~ref]! : this.views[ref >>> this.wordShift]!;
  }

  /**
   * A DataView over the whole arena that holds record ref, or null (a large record, or a
   * store without arenas). bytesOf(ref)[i] is at byte bytesOf(ref).byteOffset + i of it.
   * For copies out of shared memory in words (see copyWords).
   */
  arenaDataOf(ref: number): DataView | null {
    if (ref < 0 || this.arenaSegments === 0) return null;
    return this.arenaData[this.slotArena[ref >>> this.wordShift]!]!;
  }

  /**
   * Where bytesOf(ref)[0] lies in arenaDataOf(ref) (a record in an arena's segment): its
   * byteOffset less the DataView's, from the segment's region. Kept off the typed arrays'
   * byteOffset getters, which V8 (node 20) calls as builtins (~10 ns each).
   */
  arenaOffsetOf(ref: number): number {
    return this.slotRegion[ref >>> this.wordShift]! * this.segmentSize;
  }

  /** Where the payload starts in bytesOf(ref). */
  offsetOf(ref: number): number {
    if (ref < 0) return 0;
    const view = this.views[ref >>> this.wordShift]!;
    const p = ((ref & this.wordMask) << 2) + 4;
    return view[p]! < 0x80 ? p + 1 : view[p + 1]! < 0x80 ? p + 2 : p + 3;
  }

  /** Payload length. */
  lengthOf(ref: number): number {
    if (ref < 0) return this.largeViews[~ref]!.length;
    return payloadLength(this.views[ref >>> this.wordShift]!, ((ref & this.wordMask) << 2) + 4);
  }

  ownerOf(ref: number): number {
    if (ref < 0) return this.largeOwners[~ref]!;
    return this.words[ref >>> this.wordShift]![ref & this.wordMask]!;
  }

  /**
   * Writes `s` (latin1: every char < 256, one byte each) at payload offset `at`.
   * The caller keeps at + s.length within lengthOf(ref).
   */
  writeString(ref: number, at: number, s: string): void {
    const view = ref < 0 ? this.largeViews[~ref]! : this.views[ref >>> this.wordShift]!;
    const p = this.offsetOf(ref) + at;
    const n = s.length;
    if (this.snap !== null && ref >= 0) this.protect(ref >>> this.wordShift, p, p + n);
    writeLatin1(view, s, p);
  }

  /**
   * Writes the decimal text of n (an integer, |n| < 2^53) into the payload at `at`:
   * `length` bytes, its sign and digits (the caller counted them).
   */
  writeInteger(ref: number, at: number, n: number, length: number): void {
    const view = ref < 0 ? this.largeViews[~ref]! : this.views[ref >>> this.wordShift]!;
    const p = this.offsetOf(ref) + at;
    if (this.snap !== null && ref >= 0) this.protect(ref >>> this.wordShift, p, p + length);
    const first = writeDigitsBefore(view, p + length, n < 0 ? -n : n);
    if (n < 0) view[first - 1] = 0x2d;
  }

  /** Payload bytes [from, to) as a latin1 string. */
  readString(ref: number, from: number, to: number): string {
    const view = ref < 0 ? this.largeViews[~ref]! : this.views[ref >>> this.wordShift]!;
    const p = this.offsetOf(ref);
    return readLatin1(view, p + from, p + to);
  }

  /** Copies payload bytes [from, to) into target at targetStart. */
  copyTo(ref: number, from: number, to: number, target: Uint8Array, targetStart: number): void {
    const view = ref < 0 ? this.largeViews[~ref]! : this.views[ref >>> this.wordShift]!;
    const p = this.offsetOf(ref) + from;
    const n = to - from;
    if (n <= SHORT_COPY) {
      for (let i = 0; i < n; i++) target[targetStart + i] = view[p + i]!;
    } else {
      view.copy(target, targetStart, p, p + n);
    }
  }

  /** Copies `length` bytes from source[sourceStart..] into the payload at `at`. */
  copyFrom(ref: number, at: number, source: Uint8Array, sourceStart: number, length: number): void {
    const view = ref < 0 ? this.largeViews[~ref]! : this.views[ref >>> this.wordShift]!;
    const p = this.offsetOf(ref) + at;
    if (this.snap !== null && ref >= 0) this.protect(ref >>> this.wordShift, p, p + length);
    if (length <= SHORT_COPY) {
      for (let i = 0; i < length; i++) view[p + i] = source[sourceStart + i]!;
    } else if (this.shared && ref >= 0 && length < WORDS_BELOW) {
      // Into shared memory V8 copies byte by byte unless both addresses agree modulo 8
      // (shared-copy.ts), after making a view of the source (node's Buffer.copy): in
      // 32-bit words through DataViews instead. An RDB load copies every key and value here.
      copyWords(this.sources.of(source), sourceStart, this.arenaDataOf(ref)!, this.arenaOffsetOf(ref) + p, length);
    } else {
      Buffer.prototype.copy.call(source, view, p, sourceStart, sourceStart + length);
    }
  }

  /** Lets go of the buffers copyFrom() last copied from (a load's 4 MiB read window): the keyspace's cron calls it. */
  forgetSources(): void {
    this.sources.forget();
  }
  /** Views over copyFrom()'s sources (a load copies from its read window and its decompression scratch, the same two for every key). */
  private readonly sources = new RecentViews();

  /**
   * Moves live records out of the sparsest segments into the head, about `budgetBytes`
   * of record bytes per call (a skipped dead record counts 8), telling `relocate` of
   * each move, and releases every segment it empties. With `timeUp`, also stops once
   * it says so (asked every 32 records visited); `work` then tells how much of the budget
   * was used. Resumes where the previous call stopped. Returns the record bytes moved.
   * Does nothing while paused.
   */
  compact(budgetBytes: number, relocate: Relocator, timeUp: (() => boolean) | null = null): number {
    this.work = 0;
    // Not during a snapshot: every segment evacuated would be copied for its reader first.
    if (this.pauseDepth > 0 || this.snap !== null) return 0;
    let work = 0;
    let moved = 0;
    let visits = 0;
    while (work < budgetBytes) {
      let slot = this.compactSlot;
      if (slot < 0) {
        slot = this.sparsest();
        if (slot < 0) break;
        this.compactSlot = slot;
        this.compactCursor = 0;
      }
      const view = this.views[slot]!;
      const words = this.words[slot]!;
      const end = this.ends[slot]!;
      let at = this.compactCursor;
      while (at < end && work < budgetBytes) {
        if (timeUp !== null && (++visits & 31) === 0 && timeUp()) {
          budgetBytes = work;
          break;
        }
        const size = payloadLength(view, at + 4);
        const total = recordSize(size);
        const owner = words[at >> 2]!;
        if (owner === DEAD) {
          work += 8;
        } else {
          // Into the head (never this slot: the head is never evacuated).
          let head = this.head;
          if (head < 0 || this.ends[head]! + total > this.segmentSize) head = this.openHead();
          const to = this.ends[head]!;
          this.ends[head] = to + total;
          this.live[head] += total;
          view.copy(this.views[head]!, to, at, at + total);
          words[at >> 2] = DEAD;
          work += total;
          moved += total;
          relocate.moved(owner, (slot << this.wordShift) | (at >> 2), (head << this.wordShift) | (to >> 2));
          if ((this.live[slot] -= total) === 0) {
            this.emptied(slot);
            break;
          }
        }
        at += total;
      }
      if (this.compactSlot !== slot) continue; // released (emptied) above
      this.compactCursor = at;
      if (at >= end) {
        // Walked to the end with live bytes left: only possible if the books are wrong.
        throw new Error('SlabStore: segment walked with live bytes left');
      }
    }
    this.work = work;
    return moved;
  }
  /** How much of its budget the last compact() used (moves, and 8 a dead record passed). */
  work = 0;

  /**
   * Records stop moving until as many resumeCompaction() calls (nestable). A walk that
   * reads each entry's ref from the database's column when it visits the entry needs no
   * pause: a move leaves the bytes unchanged and the relocator updates the column, so a
   * BGSAVE walk in turns sees the same bytes either way. Pause only while something
   * holds refs across turns or reads the segments from another thread (a worker that
   * serialises a snapshot from shared memory); compact() then returns 0 and releases
   * nothing, while free() still releases emptied segments.
   */
  pauseCompaction(): void {
    this.pauseDepth++;
  }

  resumeCompaction(): void {
    if (this.pauseDepth > 0) this.pauseDepth--;
  }

  /**
   * Freezes the segments for a reader on another thread (a snapshot's worker), which
   * walks them as they are now while this thread goes on changing them: from now until
   * endSnapshot(), the first write to each page of a segment that holds records copies
   * the page to `deliver` first, unless the reader has taken it already (see PAGE_*).
   * Large records are not part of it (they are not shared). Needs `shared`.
   */
  beginSnapshot(deliver: (page: number, bytes: Uint8Array) => void): SlabSnapshot {
    if (!this.shared) throw new Error('SlabStore: snapshots need shared arenas');
    if (this.snap !== null) throw new Error('SlabStore: a snapshot is running');
    const slots = this.views.length;
    const segmentOf = new Int32Array(slots).fill(-1);
    const ends: number[] = [];
    const pageBase: number[] = [];
    const segments: number[] = [];
    const arenaIndex = new Map<SharedArrayBuffer, number>();
    const arenas: SharedArrayBuffer[] = [];
    let pages = 0;
    for (let slot = 0; slot < slots; slot++) {
      const end = this.ends[slot]!;
      if (this.views[slot] === NO_VIEW || end === 0) continue;
      const arena = this.arenas[this.slotArena[slot]!] as SharedArrayBuffer;
      let a = arenaIndex.get(arena);
      if (a === undefined) {
        a = arenas.length;
        arenas.push(arena);
        arenaIndex.set(arena, a);
      }
      segmentOf[slot] = ends.length;
      ends.push(end);
      pageBase.push(pages);
      segments.push(a, this.slotRegion[slot]! * this.segmentSize, end);
      pages += (end + PAGE_SIZE - 1) >> PAGE_SHIFT;
    }
    const states = new Int32Array(new SharedArrayBuffer(Math.max(4, pages * 4)));
    this.snap = { segmentOf, ends, pageBase, pages: states, deliver };
    return { segmentSize: this.segmentSize, arenas, segments, pages: states, pageBase };
  }

  /** Ends the snapshot: writes copy nothing any more. Call once the reader is done (or gone). */
  endSnapshot(): void {
    this.snap = null;
  }

  /**
   * Before bytes [from, to) of a slot's segment are written: every page of the range
   * that the running snapshot still needs as it was is copied to its reader first, or
   * waited for while the reader copies it itself (a page, microseconds).
   */
  private protect(slot: number, from: number, to: number): void {
    const snap = this.snap!;
    if (slot >= snap.segmentOf.length) return;
    const segment = snap.segmentOf[slot]!;
    if (segment < 0) return;
    const end = snap.ends[segment]!;
    if (from >= end || to <= from) return;
    if (to > end) to = end;
    const pages = snap.pages;
    const base = snap.pageBase[segment]!;
    const last = (to - 1) >> PAGE_SHIFT;
    for (let page = from >> PAGE_SHIFT; page <= last; page++) {
      const index = base + page;
      let state = Atomics.load(pages, index);
      if (state === PAGE_PENDING) {
        state = Atomics.compareExchange(pages, index, PAGE_PENDING, PAGE_COPYING);
        if (state === PAGE_PENDING) {
          const start = page << PAGE_SHIFT;
          const copy = this.views[slot]!.subarray(start, Math.min(end, start + PAGE_SIZE));
          snap.deliver(index, new Uint8Array(copy));
          Atomics.store(pages, index, PAGE_COPIED);
          Atomics.notify(pages, index);
          continue;
        }
      }
      while (state === PAGE_TAKEN) {
        Atomics.wait(pages, index, PAGE_TAKEN, 10);
        state = Atomics.load(pages, index);
      }
    }
  }

  /** Drops every record and every buffer (FLUSHALL). */
  clear(): void {
    // A running snapshot's reader keeps the shared arenas alive; nothing is written.
    this.snap = null;
    this.views = [];
    this.words = [];
    this.live = [];
    this.ends = [];
    this.freeSlots = [];
    this.head = -1;
    this.spareView = NO_VIEW;
    this.spareWords = NO_WORDS;
    this.largeViews = [];
    this.largeOwners = [];
    this.largeFree = [];
    this.compactSlot = -1;
    this.compactCursor = 0;
    this.liveBytes = 0;
    this.segmentBytes = 0;
    this.recordCount = 0;
    this.releasedBytes += this.arenaBytes;
    this.arenaBytes = 0;
    this.mappedBytes = 0;
    this.slotArena = [];
    this.slotRegion = [];
    this.arenas = [];
    this.arenaData = [];
    this.arenaFree = [];
    this.arenaUsed = [];
  }

  /** Zeroed bytes: mmap'd by V8 (resizable, never resized) or malloc'd (see mappedBuffers). */
  private newBuffer(size: number): ArrayBuffer {
    return this.mapped ? new ResizableArrayBuffer(size, { maxByteLength: size }) : new ArrayBuffer(size);
  }

  private allocLarge(size: number, owner: number): number {
    const mapped = this.mappedLarge && !this.mapped;
    const buffer = mapped ? new ResizableArrayBuffer(size, { maxByteLength: size }) : this.newBuffer(size);
    if (mapped) this.mappedBytes += size;
    const view = Buffer.from(buffer, 0, size);
    const slot = this.largeFree.length > 0 ? this.largeFree.pop()! : this.largeViews.length;
    if (slot === this.largeViews.length) {
      this.largeViews.push(view);
      this.largeOwners.push(owner);
    } else {
      this.largeViews[slot] = view;
      this.largeOwners[slot] = owner;
    }
    this.segmentBytes += size;
    this.liveBytes += size;
    this.recordCount++;
    return ~slot;
  }

  /** A new head segment: the spare if there is one, else a new ArrayBuffer, in a recycled slot if any. */
  private openHead(): number {
    let view = this.spareView;
    let words = this.spareWords;
    let arena = -1;
    let region = -1;
    if (this.arenaSegments > 0) {
      arena = this.arenaWithRoom();
      region = this.arenaFree[arena]!.pop()!;
      this.arenaUsed[arena]++;
      const buffer = this.arenas[arena]!;
      const offset = region * this.segmentSize;
      view = Buffer.from(buffer, offset, this.segmentSize);
      words = new Int32Array(buffer, offset, this.segmentSize >> 2);
      this.segmentBytes += this.segmentSize;
    } else if (view === NO_VIEW) {
      const buffer = this.newBuffer(this.segmentSize);
      view = Buffer.from(buffer, 0, this.segmentSize);
      words = new Int32Array(buffer, 0, this.segmentSize >> 2);
      this.segmentBytes += this.segmentSize;
    } else {
      this.spareView = NO_VIEW;
      this.spareWords = NO_WORDS;
    }
    let slot: number;
    if (this.freeSlots.length > 0) {
      slot = this.freeSlots.pop()!;
      this.views[slot] = view;
      this.words[slot] = words;
      this.live[slot] = 0;
      this.ends[slot] = 0;
      this.slotArena[slot] = arena;
      this.slotRegion[slot] = region;
    } else {
      slot = this.views.length;
      if (slot >= this.maxSlots) {
        this.spareView = view;
        this.spareWords = words;
        throw new RangeError('SlabStore: out of segment refs (8 GiB of segments held)');
      }
      this.views.push(view);
      this.words.push(words);
      this.live.push(0);
      this.ends.push(0);
      this.slotArena.push(arena);
      this.slotRegion.push(region);
    }
    this.head = slot;
    return slot;
  }

  /** The arena a new segment goes in: the fullest with a free region, else a new one. */
  private arenaWithRoom(): number {
    let best = -1;
    let bestFree = Infinity;
    let vacant = -1;
    const free = this.arenaFree;
    for (let a = 0; a < free.length; a++) {
      if (this.arenas[a] === null) {
        vacant = a;
        continue;
      }
      const n = free[a]!.length;
      if (n > 0 && n < bestFree) {
        best = a;
        bestFree = n;
      }
    }
    if (best >= 0) return best;
    const regions: number[] = [];
    for (let r = this.arenaSegments - 1; r >= 0; r--) regions.push(r);
    const size = this.arenaSegments * this.segmentSize;
    const buffer = this.shared ? this.sharedBytes.shared(size) : this.newBuffer(size);
    this.arenaBytes += buffer.byteLength;
    const data = new DataView(buffer);
    if (vacant >= 0) {
      this.arenas[vacant] = buffer;
      this.arenaData[vacant] = data;
      this.arenaFree[vacant] = regions;
      this.arenaUsed[vacant] = 0;
      return vacant;
    }
    this.arenas.push(buffer);
    this.arenaData.push(data);
    this.arenaFree.push(regions);
    this.arenaUsed.push(0);
    return this.arenas.length - 1;
  }

  /** A segment's region goes back to its arena, which is dropped when none of its regions is in use. */
  private releaseRegion(slot: number): void {
    const arena = this.slotArena[slot]!;
    this.arenaFree[arena]!.push(this.slotRegion[slot]!);
    this.slotArena[slot] = -1;
    this.slotRegion[slot] = -1;
    if (--this.arenaUsed[arena]! > 0) return;
    const bytes = this.arenas[arena]!.byteLength;
    this.arenas[arena] = null;
    this.arenaData[arena] = null;
    this.arenaFree[arena] = [];
    this.arenaBytes -= bytes;
    this.releasedBytes += bytes;
  }

  /**
   * A segment's live bytes fell to 0. The head is reset in place (dropping the spare:
   * one empty segment is enough); another segment becomes the spare if there is none
   * and the head is not empty, else its buffer is dropped. Its slot is recycled.
   */
  private emptied(slot: number): void {
    // Its region (or the head, reset in place) is written again: a snapshot's reader
    // gets the pages it still needs now (free() copied only the owners' pages).
    if (this.snap !== null) this.protect(slot, 0, this.segmentSize);
    if (slot === this.compactSlot) this.compactSlot = -1;
    if (slot === this.head) {
      this.ends[slot] = 0;
      if (this.spareView !== NO_VIEW) {
        this.spareView = NO_VIEW;
        this.spareWords = NO_WORDS;
        this.segmentBytes -= this.segmentSize;
        this.releasedBytes += this.segmentSize;
      }
      return;
    }
    if (this.arenaSegments > 0) {
      // Its region is reused by the next segment (no spare needed).
      this.segmentBytes -= this.segmentSize;
      this.releaseRegion(slot);
    } else if (this.spareView === NO_VIEW && this.segmentSize <= MAX_SPARE_SEGMENT && !(this.head >= 0 && this.live[this.head] === 0)) {
      // A spare of a large segment would keep up to its size resident for nothing: only
      // small segments keep one.
      this.spareView = this.views[slot]!;
      this.spareWords = this.words[slot]!;
    } else {
      this.segmentBytes -= this.segmentSize;
      this.releasedBytes += this.segmentSize;
    }
    this.views[slot] = NO_VIEW;
    this.words[slot] = NO_WORDS;
    this.live[slot] = 0;
    this.ends[slot] = 0;
    this.freeSlots.push(slot);
  }

  /** The held segment (not the head) with the fewest live bytes under the limit, or -1. O(slots). */
  private sparsest(): number {
    let best = -1;
    let bestLive = this.compactLimit;
    const views = this.views;
    const live = this.live;
    for (let slot = 0; slot < views.length; slot++) {
      if (views[slot] === NO_VIEW || slot === this.head) continue;
      const l = live[slot]!;
      if (l < bestLive) {
        best = slot;
        bestLive = l;
      }
    }
    return best;
  }
}

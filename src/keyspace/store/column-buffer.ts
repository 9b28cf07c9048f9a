/**
 * One buffer holding the columns of `capacity` ids side by side (column j of width
 * widths[j] bytes an id starts at capacity * (widths[0] + ... + widths[j-1])), growing
 * by doubling without a pause: the next buffer is made before the ids run out, and the
 * pages the grow will copy into are written a few at a time as the last ids are given.
 *
 * Why: growing a million ids' columns (KeyStore's 24 bytes an id) wrote 24 MiB of new
 * memory in one call, 127-154 ms on the machines lapse is measured on, where a page's
 * first write costs 12-16 us; 60-82 ms at 2^19 ids. Spread over the last 32k ids it is
 * ~3 us each, and the grow is a copy (1-3 ms at 2^20 ids). The next buffer is made when
 * a 32nd of the ids (at least AHEAD_MIN) is left: its pages are held that much sooner
 * than they would be (the 1M-session memory bench, at 95% of 2^20 ids, holds none).
 *
 * Not FreshMemory's read on libuv's pool, as key tables get their arrays: after the
 * kernel wrote a page, the first write from JavaScript still costs ~5 us there (measured
 * with /dev/zero, a file of zeros and one of ones alike), and a read that had not come
 * when the ids ran out left the whole grow to do (68 ms at 2^20 ids in an in-process
 * fill at ~350k keys a second).
 *
 * The owner sets each id's slots when it first gives it out: a buffer's slots past the
 * copied ones are zero, not initialized.
 */
export class ColumnBuffer {
  /** Bytes an id takes, all columns. */
  readonly bytesPerId: number;
  /** The next buffer, made ahead (null: not made), and whether it was made for the current capacity. */
  private spare: ArrayBuffer | null = null;
  private asked = false;
  private view: Uint8Array | null = null;
  /** The spare's ranges grow() will copy into, [start, end, ...], the next page to write and pages left. */
  private ranges: number[] = [];
  private range = 0;
  private at = 0;
  private left = 0;

  /**
   * `allocate`: where buffers come from, plain ArrayBuffers by default; `release`, told
   * the bytes of a buffer made ahead that is dropped unused (a FieldTable's refs are
   * counted by their keyspace's BufferCount from allocation to release).
   */
  constructor(
    private readonly widths: readonly number[],
    private readonly allocate: (bytes: number) => ArrayBuffer = (bytes) => new ArrayBuffer(bytes),
    private readonly release: ((bytes: number) => void) | null = null,
  ) {
    let n = 0;
    for (const w of widths) n += w;
    this.bytesPerId = n;
  }

  /** Where column j of a buffer for `capacity` ids starts, in bytes. */
  offset(capacity: number, j: number): number {
    let n = 0;
    for (let i = 0; i < j; i++) n += this.widths[i]!;
    return capacity * n;
  }

  /**
   * A buffer for `capacity` ids (the caller copies the current columns into it): the one
   * made ahead if it is that size, else a new one.
   */
  take(capacity: number): ArrayBuffer {
    const bytes = capacity * this.bytesPerId;
    const spare = this.spare;
    if (spare !== null && spare.byteLength === bytes) {
      this.spare = null;
      this.reset();
      return spare;
    }
    this.reset();
    return this.allocate(bytes);
  }

  /** Drops the buffer made ahead, if any (the columns were replaced some other way), telling `release`. */
  reset(): void {
    if (this.spare !== null) this.release?.(this.spare.byteLength);
    this.spare = null;
    this.view = null;
    this.asked = false;
    this.left = 0;
  }

  /**
   * Id, below `capacity`, was given out for the first time: from the last 32nd of the
   * ids on, the next buffer (of 2 capacity ids) is made, then its pages written, spread
   * over the ids left.
   */
  given(id: number, capacity: number): void {
    const left = capacity - id;
    if (left > Math.max(capacity >> AHEAD_SHIFT, AHEAD_MIN)) return;
    if (!this.asked) this.makeAhead(capacity * 2);
    else if (this.left > 0) this.touch(left);
  }

  /** Bytes of the buffer made ahead (0: none): allocated, so counted as the columns are (KeyStore.heldBytes). */
  get aheadBytes(): number {
    return this.spare === null ? 0 : this.spare.byteLength;
  }

  /** The buffer made ahead and its pages left to write (tests). */
  get ahead(): { buffer: ArrayBuffer | null; pagesLeft: number } {
    return { buffer: this.spare, pagesLeft: this.left };
  }

  private makeAhead(capacity: number): void {
    this.asked = true;
    const bytes = capacity * this.bytesPerId;
    if (bytes < MIN_BYTES) return;
    const had = capacity >> 1;
    try {
      this.spare = this.allocate(bytes);
    } catch {
      // Refused (beyond what this process may allocate): grow() asks again, and fails as it would have.
      return;
    }
    this.view = new Uint8Array(this.spare);
    const ranges: number[] = [];
    let start = 0;
    for (const w of this.widths) {
      ranges.push(start, start + had * w);
      start += capacity * w;
    }
    this.ranges = ranges;
    this.range = 0;
    this.at = 0;
    let pages = 0;
    for (let i = 0; i < ranges.length; i += 2) pages += Math.ceil((ranges[i + 1]! - ranges[i]!) / PAGE_BYTES);
    this.left = pages;
  }

  /** Writes one byte of each of the next pages: as many as spread what is left over `idsLeft` ids. */
  private touch(idsLeft: number): void {
    const view = this.view!;
    const ranges = this.ranges;
    let pages = Math.min(this.left, Math.ceil(this.left / idsLeft));
    this.left -= pages;
    let at = this.at;
    let range = this.range;
    while (pages-- > 0) {
      view[at] = 0;
      at += PAGE_BYTES;
      if (at >= ranges[range + 1]!) {
        range += 2;
        at = range < ranges.length ? ranges[range]! : 0;
      }
    }
    this.at = at;
    this.range = range;
  }
}

/** The next buffer is made when a 1/2^this of the ids is left ... */
const AHEAD_SHIFT = 5;
/** ... or this many, if more (the pages are spread over at least so many new ids). */
const AHEAD_MIN = 1 << 14;
/** Buffers from this size are made ahead (smaller ones fault in a few pages). */
const MIN_BYTES = 1 << 20;
/** The page size assumed when pages are written one byte each. */
const PAGE_BYTES = 4096;

/**
 * The replication backlog (Redis's repl_backlog): the last `size` bytes of the write
 * stream, so that a replica that lost its link can continue from its offset (PSYNC
 * answered +CONTINUE) instead of loading a whole snapshot again.
 *
 * Offsets are the stream's: the first byte ever written after the backlog was created is
 * `start` (Redis's master_repl_offset + 1 at creation). A ring buffer: appending copies
 * the bytes once, overwriting the oldest; `firstOffset` and `histlen` are what INFO shows
 * (repl_backlog_first_byte_offset, repl_backlog_histlen).
 */
export class ReplicationBacklog {
  private buf: Buffer;
  /** Where the next byte goes in buf. */
  private idx = 0;
  /** Bytes of history held (at most buf.length). */
  histlen = 0;
  /** The offset of the next byte appended, minus one (the stream's offset so far). */
  private endOffset: number;

  constructor(size: number, streamOffset: number) {
    this.buf = Buffer.allocUnsafeSlow(Math.max(1, size));
    this.endOffset = streamOffset;
  }

  get size(): number {
    return this.buf.length;
  }

  /** The offset of the oldest byte held (the next one to be written when empty). */
  get firstOffset(): number {
    return this.endOffset - this.histlen + 1;
  }

  append(bytes: Buffer): void {
    const cap = this.buf.length;
    let from = 0;
    let n = bytes.length;
    this.endOffset += n;
    if (n >= cap) {
      // Only the last `cap` bytes stay.
      from = n - cap;
      n = cap;
      this.idx = 0;
    }
    while (n > 0) {
      const part = Math.min(n, cap - this.idx);
      bytes.copy(this.buf, this.idx, from, from + part);
      this.idx = (this.idx + part) % cap;
      from += part;
      n -= part;
    }
    this.histlen = Math.min(cap, this.histlen + bytes.length);
  }

  /** Whether the bytes from `offset` on (up to the end) are held: the PSYNC check. */
  holds(offset: number): boolean {
    return offset >= this.firstOffset && offset <= this.endOffset + 1;
  }

  /** The bytes from `offset` to the end, as copies (holds(offset) must be true). */
  from(offset: number): Buffer[] {
    const n = this.endOffset + 1 - offset;
    if (n <= 0) return [];
    const cap = this.buf.length;
    const start = (this.idx - n + cap) % cap;
    if (start + n <= cap) return [Buffer.from(this.buf.subarray(start, start + n))];
    return [Buffer.from(this.buf.subarray(start)), Buffer.from(this.buf.subarray(0, start + n - cap))];
  }

  /** repl-backlog-size changed: keeps the most recent history that fits. */
  resize(size: number): void {
    size = Math.max(1, size);
    if (size === this.buf.length) return;
    const keep = Math.min(this.histlen, size);
    const old = this.from(this.endOffset + 1 - keep);
    this.buf = Buffer.allocUnsafeSlow(size);
    this.idx = 0;
    this.histlen = 0;
    const end = this.endOffset;
    this.endOffset = end - keep;
    for (const part of old) this.append(part);
  }
}

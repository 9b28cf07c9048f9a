import { splitArgs } from '../util/split-args.js';
import { parseI64 } from '../util/numbers.js';

/**
 * A resumable RESP2 request parser: multibulk (`*N\r\n` then N times `$len\r\n<bytes>\r\n`)
 * and inline commands (`SET k "a b"\n`), binary safe, with Redis's limits and its exact
 * error texts. It knows no command and no socket.
 *
 * It parses with a cursor over each incoming chunk and never concatenates chunks: a
 * header line split across reads is collected in a small growable buffer (at most
 * 64 KiB, the inline limit), and a bulk that does not fit in the current chunk gets a
 * buffer of exactly its size that later chunks are copied into. Arguments are copied
 * out as latin1 strings, so nothing keeps a socket buffer alive.
 *
 * It follows Redis's processMultibulkBuffer/processInlineBuffer byte for byte where a
 * client could tell the difference: header lines end at '\r' and the byte after it is
 * skipped unchecked, the two bytes after a bulk are skipped unchecked, `*0` and `*-1`
 * are empty commands, and a NUL before the line end hides the line end (Redis searches
 * with strchr), so such a line only ends in the "too big" error.
 */

/** Redis's PROTO_INLINE_MAX_SIZE: longest inline request or header line. */
export const INLINE_MAX_SIZE = 64 * 1024;
/** Multibulk count and bulk length allowed before authentication (Redis 7.0). */
const UNAUTH_MAX_MULTIBULK = 10;
const UNAUTH_MAX_BULK = 16384;
const INT_MAX = 2147483647;

export interface ParserLimits {
  /** proto-max-bulk-len */
  maxBulkLength: number;
  /** client-query-buffer-limit: most bytes of one unfinished command held. */
  maxQueryBuffer: number;
}

export const enum FeedResult {
  /** The chunk was consumed (or the callback asked to stop). */
  Ok = 0,
  /** A protocol error: `error` holds the reply text; the client must be closed after it. */
  ProtocolError = 1,
  /**
   * The unfinished element plus this chunk exceed client-query-buffer-limit: close
   * without a reply. Nothing of the chunk was parsed (Redis checks right after the read).
   */
  QueryBufferLimit = 2,
}

const enum State {
  /** At the start of a request. */
  Start,
  /** Reading an inline line. */
  Inline,
  /** Reading the `*N` line. */
  MultibulkCount,
  /** Reading a `$N` line. */
  BulkLength,
  /** Reading bulk bytes plus the two that follow. */
  BulkData,
}

/**
 * chunk[start..end) as a latin1 string. Short strings are built in JavaScript: toString
 * costs a call into C++ of about 120 ns (node 20), several times a short loop.
 */
export function readLatin1(chunk: Buffer, start: number, end: number): string {
  if (end - start <= 8) {
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(chunk[i]!);
    return s;
  }
  return chunk.toString('latin1', start, end);
}

export type CommandSink = (argv: string[]) => boolean;

export class RequestParser {
  /** Set when the client has not authenticated and must obey Redis's stricter limits. */
  unauthenticated = false;
  /** The protocol error text after FeedResult.ProtocolError. */
  error = '';

  private state = State.Start;
  /** A header or inline line that was split across chunks. */
  private line: Buffer | null = null;
  private lineLength = 0;
  /** The partial line contains a NUL before any line end (see the class comment). */
  private lineHasNul = false;
  /** The partial header line is complete: its CR ended the last chunk, the byte after it is still to skip. */
  private lineEnded = false;
  private argv: string[] = [];
  private argsLeft = 0;
  private argvBytes = 0;
  private bulkLength = 0;
  /** Bulk bytes collected across chunks, exact size. */
  private bulk: Buffer | null = null;
  private bulkFilled = 0;
  /** Bytes of the terminator after a bulk still to skip. */
  private skip = 0;

  constructor(private readonly limits: ParserLimits) {}

  /**
   * Bytes held for the element being read: a partial line or the bulk bytes so far.
   * This is what Redis 7.0 keeps in its query buffer (CLIENT LIST qbuf) and what
   * client-query-buffer-limit applies to; arguments already read are not counted.
   */
  get pendingBytes(): number {
    return this.lineLength + this.bulkFilled;
  }

  /** True between commands (nothing partial is held). */
  get idle(): boolean {
    return this.state === State.Start && this.lineLength === 0;
  }

  /**
   * Parses a chunk, calling sink for each complete command in order. If sink returns
   * false, parsing stops and the rest of the chunk is dropped.
   */
  feed(chunk: Buffer, sink: CommandSink): FeedResult {
    const end = chunk.length;
    // Redis checks its query buffer (unparsed bytes plus the new read) before parsing.
    if (this.lineLength + this.bulkFilled + end > this.limits.maxQueryBuffer) {
      this.reset();
      return FeedResult.QueryBufferLimit;
    }
    let pos = 0;
    while (pos < end) {
      switch (this.state) {
        case State.Start: {
          this.state = chunk[pos] === 0x2a /* * */ ? State.MultibulkCount : State.Inline;
          break;
        }
        case State.Inline: {
          const nl = this.findLineEnd(chunk, pos, 0x0a);
          if (nl < 0) {
            if (!this.keepPartialLine(chunk, pos)) return this.fail('too big inline request');
            return FeedResult.Ok;
          }
          const line = this.takeLine(chunk, pos, nl);
          pos = nl + 1;
          this.state = State.Start;
          // Strip the \r of \r\n.
          const text = line.length > 0 && line.charCodeAt(line.length - 1) === 0x0d ? line.slice(0, -1) : line;
          const argv = splitArgs(text);
          if (argv === null) return this.fail('unbalanced quotes in request');
          if (argv.length > 0 && !sink(argv)) return FeedResult.Ok;
          break;
        }
        case State.MultibulkCount: {
          const next = this.headerLineEnd(chunk, pos);
          if (next < 0) {
            if (!this.keepPartialLine(chunk, pos)) return this.fail('too big mbulk count string');
            return FeedResult.Ok;
          }
          if (next === 0) return FeedResult.Ok;
          const line = this.takeLine(chunk, pos, next - 2);
          pos = next;
          const n = parseI64(line.slice(1));
          if (n === undefined || n > INT_MAX) return this.fail('invalid multibulk length');
          if (this.unauthenticated && n > UNAUTH_MAX_MULTIBULK) return this.fail('unauthenticated multibulk length');
          if (n <= 0) {
            this.state = State.Start;
            break;
          }
          this.argsLeft = n as number;
          this.argv = [];
          this.argvBytes = 0;
          this.state = State.BulkLength;
          break;
        }
        case State.BulkLength: {
          const next = this.headerLineEnd(chunk, pos);
          if (next < 0) {
            if (!this.keepPartialLine(chunk, pos)) return this.fail('too big bulk count string');
            return FeedResult.Ok;
          }
          if (next === 0) return FeedResult.Ok;
          const line = this.takeLine(chunk, pos, next - 2);
          pos = next;
          if (line.charCodeAt(0) !== 0x24 /* $ */) {
            // Redis prints the line's first byte (the CR of an empty line) and its error
            // reply turns CR and LF into spaces.
            const first = line.length > 0 ? line[0]! : ' ';
            return this.fail(`expected '$', got '${first === '\r' || first === '\n' ? ' ' : first}'`);
          }
          const n = parseI64(line.slice(1));
          if (n === undefined || n < 0 || n > this.limits.maxBulkLength) return this.fail('invalid bulk length');
          if (this.unauthenticated && n > UNAUTH_MAX_BULK) return this.fail('unauthenticated bulk length');
          this.bulkLength = n as number;
          this.state = State.BulkData;
          break;
        }
        case State.BulkData: {
          if (this.bulk === null && this.skip === 0) {
            const available = end - pos;
            if (available >= this.bulkLength + 2) {
              // Fast path: the whole bulk and its terminator are in this chunk.
              this.pushArg(readLatin1(chunk, pos, pos + this.bulkLength));
              pos += this.bulkLength + 2;
              if (!this.nextArgument(sink)) return FeedResult.Ok;
              break;
            }
            if (available >= this.bulkLength) {
              // The bytes are here, (part of) the terminator is not.
              this.pushArg(readLatin1(chunk, pos, pos + this.bulkLength));
              this.skip = this.bulkLength + 2 - available;
              return FeedResult.Ok;
            }
            this.bulk = Buffer.allocUnsafe(this.bulkLength);
            this.bulkFilled = 0;
          }
          if (this.bulk !== null) {
            const n = Math.min(this.bulkLength - this.bulkFilled, end - pos);
            chunk.copy(this.bulk, this.bulkFilled, pos, pos + n);
            this.bulkFilled += n;
            pos += n;
            if (this.bulkFilled < this.bulkLength) return FeedResult.Ok;
            const arg = this.bulk.toString('latin1');
            this.bulk = null;
            this.bulkFilled = 0;
            this.pushArg(arg);
            this.skip = 2;
          }
          const skipped = Math.min(this.skip, end - pos);
          this.skip -= skipped;
          pos += skipped;
          if (this.skip > 0) return FeedResult.Ok;
          if (!this.nextArgument(sink)) return FeedResult.Ok;
          break;
        }
      }
    }
    return FeedResult.Ok;
  }

  /** Drops any partial command (after an error, or on reset). */
  reset(): void {
    this.state = State.Start;
    this.line = null;
    this.lineLength = 0;
    this.lineHasNul = false;
    this.lineEnded = false;
    this.argv = [];
    this.argsLeft = 0;
    this.argvBytes = 0;
    this.bulk = null;
    this.bulkFilled = 0;
    this.skip = 0;
  }

  private pushArg(arg: string): void {
    this.argv.push(arg);
    this.argvBytes += arg.length;
    this.argsLeft--;
  }

  /** After a bulk: runs the command if it was the last one; false if the sink said stop. */
  private nextArgument(sink: CommandSink): boolean {
    if (this.argsLeft > 0) {
      this.state = State.BulkLength;
      return true;
    }
    const argv = this.argv;
    this.argv = [];
    this.argvBytes = 0;
    this.state = State.Start;
    return sink(argv);
  }

  /**
   * For a `*N` / `$N` line: the position after its CR and the byte after it (which
   * Redis skips unchecked), so the line is chunk[pos..result-2) after any kept start;
   * -1 if no CR yet; 0 if the CR ends the chunk (the line is kept, and the next chunk's
   * first byte completes it).
   */
  private headerLineEnd(chunk: Buffer, pos: number): number {
    if (this.lineEnded) {
      // The line ended with the previous chunk: chunk[pos] is the byte after its CR.
      this.lineEnded = false;
      return pos + 1;
    }
    const cr = this.findLineEnd(chunk, pos, 0x0d);
    if (cr < 0) return -1;
    if (cr + 1 < chunk.length) return cr + 2;
    this.keepPartialLine(chunk.subarray(0, cr), pos);
    this.lineEnded = true;
    return 0;
  }

  /**
   * Index of the line terminator `term` in chunk at or after pos, continuing a partial
   * line; -1 if not here. A NUL before the terminator hides it, as strchr would.
   */
  private findLineEnd(chunk: Buffer, pos: number, term: number): number {
    if (this.lineHasNul) return -1;
    const i = chunk.indexOf(term, pos);
    const stop = i < 0 ? chunk.length : i;
    // Only the line itself is scanned: header lines are short and a partial line is
    // bounded by the 64 KiB limit, so parsing stays linear in the input.
    for (let j = pos; j < stop; j++) {
      if (chunk[j] === 0) {
        this.lineHasNul = true;
        return -1;
      }
    }
    return i;
  }

  /** Keeps chunk[pos..] as (more of) a partial line; false if over the inline limit. */
  private keepPartialLine(chunk: Buffer, pos: number): boolean {
    const n = chunk.length - pos;
    const needed = this.lineLength + n;
    if (this.line === null || this.line.length < needed) {
      const grown = Buffer.allocUnsafe(Math.max(needed, Math.min(2 * needed, INLINE_MAX_SIZE + 1), 256));
      if (this.line !== null) this.line.copy(grown, 0, 0, this.lineLength);
      this.line = grown;
    }
    chunk.copy(this.line, this.lineLength, pos);
    this.lineLength = needed;
    return this.lineLength <= INLINE_MAX_SIZE;
  }

  /** The line ending at chunk[end] (exclusive), including any partial start kept earlier. */
  private takeLine(chunk: Buffer, pos: number, end: number): string {
    if (this.lineLength === 0) return chunk.toString('latin1', pos, end);
    const head = this.line!.toString('latin1', 0, this.lineLength);
    this.lineLength = 0;
    if (this.line!.length > 4096) this.line = null;
    // end < pos when the CR was the last byte of the previous chunk.
    return end > pos ? head + chunk.toString('latin1', pos, end) : head;
  }

  private fail(message: string): FeedResult {
    this.error = `ERR Protocol error: ${message}`;
    this.reset();
    return FeedResult.ProtocolError;
  }
}

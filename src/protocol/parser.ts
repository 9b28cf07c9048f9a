import { constants } from 'node:buffer';
import { latin1Slice, readLatin1 } from '../util/latin1.js';
import { splitArgs } from '../util/split-args.js';

/**
 * A resumable RESP2 request parser: multibulk (`*N\r\n` then N times `$len\r\n<bytes>\r\n`)
 * and inline commands (`SET k "a b"\n`), binary safe, with Redis's limits and its exact
 * error texts. It knows no command and no socket.
 *
 * It parses with a cursor over each incoming chunk and never concatenates chunks: a
 * header line split across reads is collected in a small growable buffer (at most
 * 64 KiB, the inline limit), and a bulk that does not fit in the current chunk is
 * collected as one latin1 string per chunk, joined when complete. Arguments are copied
 * out as latin1 strings, so nothing keeps a socket buffer alive.
 *
 * The join makes a flat string on V8's heap. Copying the bytes into one Buffer and
 * slicing that, as this parser did, malloc'd twice per large value: the Buffer, and,
 * for values from ~1 MB up, the string itself (node makes latin1 strings longer than
 * 0xFBEE9 bytes external strings, malloc'd). glibc kept those blocks in its arena once
 * freed (measured: 600 x 1 MiB values written then FLUSHALL, a full GC, RSS still 614
 * MB where a fresh server has 54); V8 unmaps its own large-object pages once they are
 * dead.
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
  /** client-query-buffer-limit: most bytes of the unparsed element plus a new read. */
  maxQueryBuffer: number;
}

export const enum FeedResult {
  /** The chunk was consumed. */
  Ok = 0,
  /** A protocol error: `error` holds the reply text; the client must be closed after it. */
  ProtocolError = 1,
  /**
   * The unfinished command plus this chunk exceed client-query-buffer-limit: close
   * without a reply. Nothing of the chunk was parsed (Redis checks right after the read).
   */
  QueryBufferLimit = 2,
  /** The sink asked to stop; chunk[stoppedAt..] was not parsed. */
  Stopped = 3,
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

/** readHeader(): the line is not complete yet. */
const NEED_MORE = -1;
/** readHeader(): a protocol error (already recorded by fail()). */
const FAILED = -2;

/** The longest string V8 can hold; a longer bulk cannot become an argument. */
const MAX_STRING_LENGTH = constants.MAX_STRING_LENGTH;

/** Whether chunk[start..end) holds the chars of s (a latin1 string). */
function sameBytes(chunk: Buffer, start: number, end: number, s: string): boolean {
  if (s.length !== end - start) return false;
  for (let i = start; i < end; i++) if (chunk[i] !== s.charCodeAt(i - start)) return false;
  return true;
}

/** Commands of up to this many arguments get an array of their size at once (MultibulkCount). */
const PRESIZED_ARGV_MAX = 64;
/** argv between commands: replaced at the next multibulk count, never written. */
const NO_ARGV = Object.freeze([]) as unknown as string[];

/** Room for the spans of a command's first PRESIZED_ARGV_MAX arguments (RequestParser.argSpans). */
export function newArgSpans(): Int32Array {
  return new Int32Array(2 * (PRESIZED_ARGV_MAX + 1));
}

/** What ends an argument of an inline line outside quotes (sdssplitargs): space, \t, \n, \r. */
function isInlineSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** Command names up to this length are reused from the previous command (see nameArg). */
const NAME_CACHE_MAX = 16;

/**
 * Redis's string2ll() over buf[start..end): an optional '-', then "0" alone or a digit
 * 1-9 and more digits, at most 20 chars, within int64. NaN if not valid. The value is
 * exact up to 2^53; beyond that only its sign and size matter to the callers.
 */
export function parseLength(buf: Buffer, start: number, end: number): number {
  const len = end - start;
  if (len <= 0 || len > 20) return NaN;
  let i = start;
  let negative = false;
  if (buf[i] === 0x2d /* - */) {
    negative = true;
    if (++i === end) return NaN;
  }
  const first = buf[i]!;
  if (first === 0x30 /* 0 */) return len === 1 ? 0 : NaN;
  if (first < 0x31 || first > 0x39) return NaN;
  const digits = end - i;
  if (digits > 19) return NaN;
  let v = 0;
  for (; i < end; i++) {
    const c = buf[i]! - 0x30;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  if (digits === 19) {
    // Compare with 2^63-1 (or 2^63 when negative) digit by digit: a double cannot tell.
    const limit = negative ? '9223372036854775808' : '9223372036854775807';
    for (let j = 0; j < 19; j++) {
      const d = buf[end - 19 + j]!;
      const l = limit.charCodeAt(j);
      if (d !== l) {
        if (d > l) return NaN;
        break;
      }
    }
  }
  return negative ? -v : v;
}

export type CommandSink = (argv: string[]) => boolean;

export class RequestParser {
  /** Set when the client has not authenticated and must obey Redis's stricter limits. */
  unauthenticated = false;
  /** The protocol error text after FeedResult.ProtocolError. */
  error = '';
  /** After FeedResult.Stopped: offset in the chunk of the first byte not parsed. */
  stoppedAt = 0;

  private state = State.Start;
  /** A line split across chunks (inline request, or header up to its CR). */
  private line: Buffer | null = null;
  private lineLength = 0;
  /** The partial line contains a NUL before any line end (see the class comment). */
  private lineHasNul = false;
  /** The partial header line is complete: its CR ended the last chunk, the byte after it is still to skip. */
  private lineEnded = false;
  private argv: string[] = [];
  private argsLeft = 0;
  /** Arguments read so far of the command being read (argv's next index). */
  private argCount = 0;
  private argvBytes = 0;
  private bulkLength = 0;
  /** A bulk collected across chunks: one latin1 string per chunk, joined when complete. */
  private bulk: string[] | null = null;
  private bulkFilled = 0;
  /** Bytes of the terminator after a bulk still to skip. */
  private skip = 0;
  /**
   * The previous command's name. A client mostly repeats a few commands, so a name whose
   * bytes match is the same string object again: no allocation, and the dispatcher's
   * lookup of it is a pointer comparison (CommandTable.lookup).
   */
  private lastName = '';
  /**
   * Where the arguments of the command being read lay in the chunk being parsed, for
   * those that came whole from it: argument i (1 <= i, argsValidFrom <= i, and
   * 2i + 1 < argSpans.length) was made from argsFrom[argSpans[2i], argSpans[2i + 1]),
   * unless argSpans[2i] is -1. argsFrom is null when no argument after the name did.
   * Read by the sink (the chunk is valid while feed runs); the sink clears argsFrom.
   * The spans are only ever valid within one feed, so the parsers of one server's
   * connections share one array (newArgSpans), which no two feeds use at once.
   */
  argsFrom: Buffer | null = null;
  argsValidFrom = 0;
  /** Results of readHeader(): the line's first byte (CR for an empty line), and its number. */
  private headerFirst = 0;
  private headerValue = 0;

  constructor(
    private readonly limits: ParserLimits,
    readonly argSpans: Int32Array = newArgSpans(),
  ) {}

  /**
   * Bytes held for the element being read: a partial line or the bulk bytes so far.
   * This is what Redis 7.0 keeps in its query buffer (CLIENT LIST qbuf) and what
   * client-query-buffer-limit applies to; arguments already read are not counted.
   */
  get pendingBytes(): number {
    return this.lineLength + this.bulkFilled;
  }

  /** Bytes of the arguments read so far of an unfinished command (CLIENT LIST argv-mem). */
  get pendingArgvBytes(): number {
    return this.argvBytes;
  }

  /** Bytes of buffers the parser holds: a partial line's buffer and a large bulk's parts (CLIENT LIST tot-mem). */
  get bufferCapacity(): number {
    return (this.line?.length ?? 0) + this.bulkFilled;
  }

  /** True between commands (nothing partial is held). */
  get idle(): boolean {
    return this.state === State.Start && this.lineLength === 0;
  }

  /**
   * Parses chunk[0..end), calling sink for each complete command in order. If sink
   * returns false, parsing stops after that command and returns Stopped with stoppedAt
   * set; the caller may feed chunk[stoppedAt..end) later to go on. Nothing of chunk is
   * kept but copies, so the caller may reuse it once feed returns.
   */
  feed(chunk: Buffer, sink: CommandSink, end: number = chunk.length): FeedResult {
    if (this.lineLength + this.bulkFilled + end > this.limits.maxQueryBuffer) {
      this.reset();
      return FeedResult.QueryBufferLimit;
    }
    // A command begun in an earlier chunk: its arguments so far came from a chunk whose
    // bytes may be gone.
    this.argsFrom = null;
    this.argsValidFrom = this.argCount;
    let pos = 0;
    while (pos < end) {
      switch (this.state) {
        case State.Start: {
          if (chunk[pos] !== 0x2a /* * */) {
            this.state = State.Inline;
            break;
          }
          if (this.lineLength === 0 && !this.lineEnded) {
            const argv = this.wholeCommand(chunk, pos, end);
            if (argv !== null) {
              pos = this.wholeEnd;
              if (!sink(argv)) return this.stop(pos);
              break;
            }
          }
          this.state = State.MultibulkCount;
          break;
        }
        case State.Inline: {
          const nl = this.findLineEnd(chunk, pos, end, 0x0a);
          if (nl < 0) {
            if (!this.keepPartialLine(chunk, pos, end)) return this.fail('too big inline request');
            return FeedResult.Ok;
          }
          let text: string;
          if (this.lineLength === 0) {
            // The \r of \r\n is not part of the line.
            const lineEnd = nl > pos && chunk[nl - 1] === 0x0d ? nl - 1 : nl;
            const plain = this.plainInline(chunk, pos, lineEnd);
            if (plain !== null) {
              pos = nl + 1;
              this.state = State.Start;
              if (plain.length > 0 && !sink(plain)) return this.stop(pos);
              break;
            }
            text = readLatin1(chunk, pos, lineEnd);
          } else {
            this.appendLine(chunk, pos, nl);
            const line = this.line!;
            const n = this.lineLength;
            text = latin1Slice.call(line, 0, line[n - 1] === 0x0d ? n - 1 : n);
            this.clearLine();
          }
          pos = nl + 1;
          this.state = State.Start;
          const argv = splitArgs(text);
          if (argv === null) return this.fail('unbalanced quotes in request');
          if (argv.length > 0 && !sink(argv)) return this.stop(pos);
          break;
        }
        case State.MultibulkCount: {
          const next = this.readHeader(chunk, pos, end, 'too big mbulk count string');
          if (next < 0) return next === NEED_MORE ? FeedResult.Ok : FeedResult.ProtocolError;
          pos = next;
          const n = this.headerValue;
          // NaN fails every comparison: !(n <= INT_MAX) also catches it.
          if (!(n <= INT_MAX)) return this.fail('invalid multibulk length');
          if (n > UNAUTH_MAX_MULTIBULK && this.unauthenticated) return this.fail('unauthenticated multibulk length');
          if (n <= 0) {
            this.state = State.Start;
            break;
          }
          this.argsLeft = n;
          // Sized up front for the usual few arguments: one allocation of n slots, where
          // push() grows an empty array to 17; a longer command grows as it comes.
          this.argv = n <= PRESIZED_ARGV_MAX ? new Array<string>(n) : [];
          this.argCount = 0;
          this.argvBytes = 0;
          this.state = State.BulkLength;
          break;
        }
        case State.BulkLength: {
          const next = this.readHeader(chunk, pos, end, 'too big bulk count string');
          if (next < 0) return next === NEED_MORE ? FeedResult.Ok : FeedResult.ProtocolError;
          pos = next;
          const first = this.headerFirst;
          if (first !== 0x24 /* $ */) {
            // Redis's error reply turns CR and LF into spaces.
            const shown = first === 0x0d || first === 0x0a ? ' ' : String.fromCharCode(first);
            return this.fail(`expected '$', got '${shown}'`);
          }
          const n = this.headerValue;
          if (!(n >= 0 && n <= this.limits.maxBulkLength)) return this.fail('invalid bulk length');
          if (n > UNAUTH_MAX_BULK && this.unauthenticated) return this.fail('unauthenticated bulk length');
          // Redis would take it; V8 cannot make such a string (only just below 512 MB).
          if (n > MAX_STRING_LENGTH) return this.fail('invalid bulk length');
          this.bulkLength = n;
          this.state = State.BulkData;
          break;
        }
        case State.BulkData: {
          if (this.bulk === null && this.skip === 0) {
            const available = end - pos;
            if (available >= this.bulkLength + 2) {
              // Fast path: the whole bulk and its terminator are in this chunk.
              const stop = pos + this.bulkLength;
              const index = this.argCount;
              if (index === 0) {
                this.argsFrom = null;
                this.argsValidFrom = 0;
                this.pushArg(this.nameArg(chunk, pos, stop));
              } else {
                const spans = this.argSpans;
                if (2 * index + 1 < spans.length) {
                  spans[2 * index] = pos;
                  spans[2 * index + 1] = stop;
                  this.argsFrom = chunk;
                }
                this.pushArg(readLatin1(chunk, pos, stop));
              }
              pos += this.bulkLength + 2;
              if (!this.nextArgument(sink)) return this.stop(pos);
              break;
            }
            if (available >= this.bulkLength) {
              // The bytes are here, (part of) the terminator is not.
              this.pushArg(readLatin1(chunk, pos, pos + this.bulkLength));
              this.skip = this.bulkLength + 2 - available;
              return FeedResult.Ok;
            }
            this.bulk = [];
            this.bulkFilled = 0;
          }
          if (this.bulk !== null) {
            const n = Math.min(this.bulkLength - this.bulkFilled, end - pos);
            if (n > 0) this.bulk.push(latin1Slice.call(chunk, pos, pos + n));
            this.bulkFilled += n;
            pos += n;
            if (this.bulkFilled < this.bulkLength) return FeedResult.Ok;
            const arg = this.bulk.length === 1 ? this.bulk[0]! : this.bulk.join('');
            this.bulk = null;
            this.bulkFilled = 0;
            // Read across chunks: no span.
            if (2 * this.argCount + 1 < this.argSpans.length) this.argSpans[2 * this.argCount] = -1;
            this.pushArg(arg);
            this.skip = 2;
          }
          const skipped = Math.min(this.skip, end - pos);
          this.skip -= skipped;
          pos += skipped;
          if (this.skip > 0) return FeedResult.Ok;
          if (!this.nextArgument(sink)) return this.stop(pos);
          break;
        }
      }
    }
    return FeedResult.Ok;
  }

  /**
   * The usual request, read in one pass: a multibulk command of 1 to PRESIZED_ARGV_MAX
   * arguments that lies whole in chunk[pos, end), its counts plain decimals within
   * every limit. Returns its arguments (argSpans and argsFrom set as the state machine
   * sets them; wholeEnd the position after it), or null when anything about it is
   * otherwise, having changed nothing: the state machine then reads it from pos, with
   * its errors and its waiting for more. Both read the same bytes the same way (header
   * lines end at CR, the byte after it and the two after a bulk skipped unchecked).
   * Per command this saves the state machine's five rounds and its header parsing:
   * 10.5% of a pipelined INCR server's samples were the parser's.
   */
  private wholeCommand(chunk: Buffer, pos: number, end: number): string[] | null {
    let i = pos + 1;
    const first = chunk[i]! - 0x30;
    if (!(first >= 1 && first <= 9)) return null;
    let n = first;
    i++;
    let c = chunk[i]! - 0x30;
    if (c >= 0 && c <= 9) {
      n = 10 * n + c;
      i++;
    }
    // The CR, and the byte after it, must be here (i + 1 < end).
    if (i + 1 >= end || chunk[i] !== 0x0d || n > PRESIZED_ARGV_MAX) return null;
    if (n > UNAUTH_MAX_MULTIBULK && this.unauthenticated) return null;
    const maxBulk = this.unauthenticated ? Math.min(UNAUTH_MAX_BULK, this.limits.maxBulkLength) : this.limits.maxBulkLength;
    const spans = this.argSpans;
    let p = i + 2;
    for (let a = 0; a < n; a++) {
      if (p >= end || chunk[p] !== 0x24 /* $ */) return null;
      i = p + 1;
      let length = chunk[i]! - 0x30;
      if (!(length >= 0 && length <= 9)) return null;
      i++;
      if (length !== 0) {
        // At most 10 digits (lengths below 10^10; a longer one goes the general way).
        const stop = Math.min(end, i + 9);
        for (; i < stop; i++) {
          c = chunk[i]! - 0x30;
          if (!(c >= 0 && c <= 9)) break;
          length = 10 * length + c;
        }
      }
      if (i + 1 >= end || chunk[i] !== 0x0d || length > maxBulk || length > MAX_STRING_LENGTH) return null;
      const start = i + 2;
      p = start + length + 2;
      if (p > end) return null;
      spans[2 * a] = start;
      spans[2 * a + 1] = start + length;
    }
    const argv = new Array<string>(n);
    argv[0] = this.nameArg(chunk, spans[0]!, spans[1]!);
    for (let a = 1; a < n; a++) argv[a] = readLatin1(chunk, spans[2 * a]!, spans[2 * a + 1]!);
    this.argsFrom = n > 1 ? chunk : null;
    this.argsValidFrom = 0;
    this.wholeEnd = p;
    return argv;
  }
  /** After wholeCommand(): the position after the command it read. */
  private wholeEnd = 0;

  /** Drops any partial command (after an error, or on reset). */
  reset(): void {
    this.state = State.Start;
    this.argsFrom = null;
    this.clearLine();
    this.lineHasNul = false;
    this.argv = [];
    this.argsLeft = 0;
    this.argvBytes = 0;
    this.bulk = null;
    this.bulkFilled = 0;
    this.skip = 0;
  }

  /**
   * The arguments of an inline line chunk[start, end) without quotes, NUL, \v or \f (what
   * redis-benchmark's PING_INLINE and a telnet user send), split straight from the bytes
   * with the name reused as a multibulk command's is; null for any other line, which
   * splitArgs reads. For such a line splitArgs's rules reduce to: arguments are the runs
   * of bytes other than space, \t, \n and \r (isspace()'s \v and \f are skipped before an
   * argument but belong to one, and quotes open a quoted part anywhere).
   */
  private plainInline(chunk: Buffer, start: number, end: number): string[] | null {
    for (let i = start; i < end; i++) {
      const c = chunk[i]!;
      if (c === 0x22 || c === 0x27 || c === 0 || c === 0x0b || c === 0x0c) return null;
    }
    const argv: string[] = [];
    let i = start;
    for (;;) {
      while (i < end && isInlineSpace(chunk[i]!)) i++;
      if (i === end) return argv;
      const from = i;
      while (i < end && !isInlineSpace(chunk[i]!)) i++;
      argv.push(argv.length === 0 ? this.nameArg(chunk, from, i) : readLatin1(chunk, from, i));
    }
  }

  /** The first argument of a command (its name): the previous name if the bytes match. */
  private nameArg(chunk: Buffer, start: number, end: number): string {
    if (end - start > NAME_CACHE_MAX) return readLatin1(chunk, start, end);
    const last = this.lastName;
    if (sameBytes(chunk, start, end, last)) return last;
    return (this.lastName = readLatin1(chunk, start, end));
  }

  private pushArg(arg: string): void {
    this.argv[this.argCount++] = arg;
    this.argvBytes += arg.length;
    this.argsLeft--;
  }

  /** A bulk and its terminator were read: runs the command if it was the last; false if the sink said stop. */
  private nextArgument(sink: CommandSink): boolean {
    if (this.argsLeft > 0) {
      this.state = State.BulkLength;
      return true;
    }
    const argv = this.argv;
    this.argv = NO_ARGV;
    this.argvBytes = 0;
    this.state = State.Start;
    return sink(argv);
  }

  private stop(pos: number): FeedResult {
    this.stoppedAt = pos;
    return FeedResult.Stopped;
  }

  /**
   * Reads a `*N` or `$N` line: up to a CR, plus one more byte that is skipped unchecked
   * (Redis only requires it to be there). Sets headerFirst and headerValue and returns
   * the position after the line, or NEED_MORE (the partial line is kept), or FAILED.
   */
  private readHeader(chunk: Buffer, pos: number, end: number, tooBig: string): number {
    let line: Buffer;
    let start: number;
    let stop: number;
    let next: number;
    if (this.lineEnded) {
      // The CR ended the last chunk; chunk[pos] is the byte after it.
      this.lineEnded = false;
      line = this.line!;
      start = 0;
      stop = this.lineLength;
      next = pos + 1;
    } else {
      const cr = this.findLineEnd(chunk, pos, end, 0x0d);
      if (cr < 0) {
        if (this.keepPartialLine(chunk, pos, end)) return NEED_MORE;
        this.fail(tooBig);
        return FAILED;
      }
      if (cr + 1 === end) {
        // The line is complete but the byte after the CR has not come: Redis waits.
        this.keepPartialLine(chunk, pos, cr);
        this.lineEnded = true;
        return NEED_MORE;
      }
      if (this.lineLength === 0) {
        line = chunk;
        start = pos;
        stop = cr;
      } else {
        this.appendLine(chunk, pos, cr);
        line = this.line!;
        start = 0;
        stop = this.lineLength;
      }
      next = cr + 2;
    }
    this.headerFirst = start < stop ? line[start]! : 0x0d;
    this.headerValue = parseLength(line, start + 1, stop);
    if (line === this.line) this.clearLine();
    return next;
  }

  /**
   * Index of the line terminator `term` in chunk[pos..end), or -1. A NUL before the
   * terminator hides it, as strchr would, and every later terminator too.
   */
  private findLineEnd(chunk: Buffer, pos: number, end: number, term: number): number {
    if (this.lineHasNul) return -1;
    // A loop in JavaScript: header lines are a few bytes, where indexOf's call into C++
    // costs more than the scan, and it finds the NUL in the same pass.
    for (let i = pos; i < end; i++) {
      const c = chunk[i]!;
      if (c === term) return i;
      if (c === 0) {
        this.lineHasNul = true;
        return -1;
      }
    }
    return -1;
  }

  /**
   * Keeps chunk[from..to) as more of a partial line; false if the line is now over the
   * inline limit (which Redis checks against everything unparsed, i.e. the same bytes).
   */
  private keepPartialLine(chunk: Buffer, from: number, to: number): boolean {
    this.appendLine(chunk, from, to);
    return this.lineLength <= INLINE_MAX_SIZE;
  }

  private appendLine(chunk: Buffer, from: number, to: number): void {
    const n = to - from;
    const needed = this.lineLength + n;
    if (this.line === null || this.line.length < needed) {
      const grown = Buffer.allocUnsafe(Math.max(needed, Math.min(2 * needed, INLINE_MAX_SIZE + 1), 256));
      if (this.line !== null) this.line.copy(grown, 0, 0, this.lineLength);
      this.line = grown;
    }
    chunk.copy(this.line, this.lineLength, from, to);
    this.lineLength = needed;
  }

  /** Forgets the partial line; a large line buffer is released rather than kept. */
  private clearLine(): void {
    this.lineLength = 0;
    this.lineEnded = false;
    if (this.line !== null && this.line.length > 4096) this.line = null;
  }

  private fail(message: string): FeedResult {
    this.error = `ERR Protocol error: ${message}`;
    this.reset();
    return FeedResult.ProtocolError;
  }
}

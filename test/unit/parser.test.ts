import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { FeedResult, INLINE_MAX_SIZE, RequestParser, type ParserLimits } from '../../src/protocol/parser.js';
import { readLatin1 } from '../../src/util/latin1.js';
import { splitArgs } from '../../src/util/split-args.js';
import { encodeCommand } from '../helpers/resp.js';
import { rng } from '../helpers/rng.js';

/**
 * The request parser must deliver exactly the same commands however the bytes are cut
 * into reads, and must fail with Redis 7.0's exact texts. Expected texts come from
 * networking.c (processInlineBuffer / processMultibulkBuffer) and are also checked
 * against a real redis-server in test/compat/protocol.test.ts.
 */

const DEFAULT_LIMITS: ParserLimits = { maxBulkLength: 512 * 1024 * 1024, maxQueryBuffer: 1024 * 1024 * 1024 };

interface Outcome {
  commands: string[][];
  result: FeedResult;
  error: string;
}

/** Feeds the chunks in order and collects the commands, stopping at the first failure. */
function parse(chunks: readonly Buffer[], limits: ParserLimits = DEFAULT_LIMITS, unauthenticated = false): Outcome {
  const parser = new RequestParser({ ...limits });
  parser.unauthenticated = unauthenticated;
  const commands: string[][] = [];
  const sink = (argv: string[]): boolean => {
    commands.push(argv);
    return true;
  };
  for (const chunk of chunks) {
    const result = parser.feed(chunk, sink);
    if (result !== FeedResult.Ok) return { commands, result, error: parser.error };
  }
  return { commands, result: FeedResult.Ok, error: '' };
}

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Cuts buf at the given offsets (sorted, within 1..length-1). */
function cut(buf: Buffer, offsets: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let last = 0;
  for (const o of offsets) {
    out.push(buf.subarray(last, o));
    last = o;
  }
  out.push(buf.subarray(last));
  return out;
}

/** wire cut at positions taken from fast-check's naturals (each reduced into 1..length-1, no repeats). */
function chunked(wire: Buffer, rawCuts: readonly number[]): Buffer[] {
  const offsets = [...new Set(rawCuts.map((c) => 1 + (c % Math.max(1, wire.length - 1))))]
    .filter((o) => o < wire.length)
    .sort((x, y) => x - y);
  return cut(wire, offsets);
}

function bytewise(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i++) out.push(buf.subarray(i, i + 1));
  return out;
}

function randomCuts(length: number, random: () => number, maxPieces: number): number[] {
  const n = Math.floor(random() * maxPieces);
  const set = new Set<number>();
  for (let i = 0; i < n; i++) set.add(1 + Math.floor(random() * (length - 1)));
  return [...set].sort((x, y) => x - y);
}

const BINARY = '\r\n\0\xff\x80 "\'\\\r\r\n\n';
const MEDIUM = Array.from({ length: 1500 }, (_, i) => String.fromCharCode(i % 256)).join('');

/** A pipelined batch of every request shape, with the commands Redis would run for it. */
const BATCH: [string, string[][]][] = [
  ['*1\r\n$4\r\nPING\r\n', [['PING']]],
  [encodeCommand(['SET', BINARY, BINARY + BINARY]).toString('latin1'), [['SET', BINARY, BINARY + BINARY]]],
  [encodeCommand(['ECHO', '']).toString('latin1'), [['ECHO', '']]],
  [encodeCommand(['', '', '']).toString('latin1'), [['', '', '']]],
  [encodeCommand(['SET', 'medium', MEDIUM]).toString('latin1'), [['SET', 'medium', MEDIUM]]],
  ['*0\r\n', []],
  ['*-1\r\n', []],
  ['*-100\r\n', []],
  ['PING\r\n', [['PING']]],
  ['PING\n', [['PING']]],
  ['\r\n', []],
  ['\n', []],
  ['   \t  \r\n', []],
  ['SET k "a b"\r\n', [['SET', 'k', 'a b']]],
  ['ECHO "\\x41\\x4a\\x4A\\xzz\\n\\r\\t\\b\\a\\\\\\"q"\r\n', [['ECHO', 'AJJxzz\n\r\t\b\x07\\"q']]],
  ["ECHO 'a\\'b' \"c d\"  e\r\n", [['ECHO', "a'b", 'c d', 'e']]],
  ['  GET   k  \r\n', [['GET', 'k']]],
  ['GET k\rx\n', [['GET', 'k', 'x']]],
  ['ECHO \xff\x80\r\n', [['ECHO', '\xff\x80']]],
  // The byte after a header line's CR, and the two after a bulk, are skipped unchecked.
  ['*2\rX$4\rYECHO\r\n$3\r\nfooXY', [['ECHO', 'foo']]],
  ['*1\r\n$4\r\nPING\n\n', [['PING']]],
  [encodeCommand(['ECHO', 'x'.repeat(20000)]).toString('latin1'), [['ECHO', 'x'.repeat(20000)]]],
  ['*1\r\n$4\r\nPING\r\n', [['PING']]],
];
const BATCH_BYTES = b(BATCH.map(([wire]) => wire).join(''));
const BATCH_COMMANDS = BATCH.flatMap(([, commands]) => commands);

describe('pipelined batch', () => {
  test('parsed whole, gives the expected commands', () => {
    const out = parse([BATCH_BYTES]);
    expect(out.result).toBe(FeedResult.Ok);
    expect(out.commands).toEqual(BATCH_COMMANDS);
  });

  test('each request alone, gives its commands', () => {
    for (const [wire, commands] of BATCH) {
      expect(parse([b(wire)]).commands, JSON.stringify(wire).slice(0, 80)).toEqual(commands);
    }
  });

  test('split in two at every byte position', () => {
    for (let i = 1; i < BATCH_BYTES.length; i++) {
      const out = parse(cut(BATCH_BYTES, [i]));
      if (out.result !== FeedResult.Ok || out.commands.length !== BATCH_COMMANDS.length) {
        expect({ at: i, out }).toEqual({ at: i, out: { commands: BATCH_COMMANDS, result: FeedResult.Ok, error: '' } });
      }
      expect(out.commands).toEqual(BATCH_COMMANDS);
    }
  });

  test('fed byte by byte', () => {
    const out = parse(bytewise(BATCH_BYTES));
    expect(out.result).toBe(FeedResult.Ok);
    expect(out.commands).toEqual(BATCH_COMMANDS);
  });

  test('in random chunkings', () => {
    const random = rng(42);
    for (let round = 0; round < 300; round++) {
      const out = parse(cut(BATCH_BYTES, randomCuts(BATCH_BYTES.length, random, 60)));
      expect(out.result).toBe(FeedResult.Ok);
      expect(out.commands).toEqual(BATCH_COMMANDS);
    }
  });

  test('a large argument in random chunkings', () => {
    const big = Array.from({ length: 300_000 }, (_, i) => String.fromCharCode((i * 7) % 256)).join('');
    const wire = Buffer.concat([encodeCommand(['SET', 'k', big]), b('PING\r\n'), encodeCommand(['GET', big.slice(0, 70_000)])]);
    const expected = [['SET', 'k', big], ['PING'], ['GET', big.slice(0, 70_000)]];
    const random = rng(7);
    for (let round = 0; round < 30; round++) {
      const out = parse(cut(wire, randomCuts(wire.length, random, 200)));
      expect(out.result).toBe(FeedResult.Ok);
      expect(out.commands).toEqual(expected);
    }
  });
});

/** Encodes argv as RESP, or as an inline line when every argument is inline-safe. */
const argvArb = fc.array(
  fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a).toString('latin1')),
  { minLength: 1, maxLength: 6 },
);

describe('properties', () => {
  test('readLatin1 gives the latin1 string of any bytes at any offset (the fromCharCode cases up to 24 bytes and the slice beyond)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(9), (bytes, shift) => {
        const chunk = Buffer.alloc(shift + bytes.length + 3, 0x7a);
        chunk.set(bytes, shift);
        const s = readLatin1(chunk, shift, shift + bytes.length);
        expect(s).toBe(Buffer.from(bytes).toString('latin1'));
        expect(s.length).toBe(bytes.length);
      }),
      { numRuns: 500 },
    );
    for (let n = 0; n <= 30; n++) {
      const bytes = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff));
      expect(readLatin1(bytes, 0, n)).toBe(bytes.toString('latin1'));
    }
  });

  test('random argv lists, encoded as RESP and split randomly, come back unchanged', () => {
    fc.assert(
      fc.property(fc.array(argvArb, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 30 }), (commands, rawCuts) => {
        const wire = Buffer.concat(commands.map((c) => encodeCommand(c)));
        const out = parse(chunked(wire, rawCuts));
        expect(out.result).toBe(FeedResult.Ok);
        expect(out.commands).toEqual(commands);
      }),
      { numRuns: 500 },
    );
  });

  test('commands of 1 to 70 arguments and of 200 (arrays sized up front up to 64, grown past it), split randomly, come back whole', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 1, max: 70 }), fc.constant(200)), fc.array(fc.nat(), { maxLength: 20 }), (count, rawCuts) => {
        const commands = [Array.from({ length: count }, (_, i) => `a${i}`), ['GET', 'k']];
        const wire = Buffer.concat(commands.map((c) => encodeCommand(c)));
        const out = parse(chunked(wire, rawCuts));
        expect(out.commands).toEqual(commands);
        // Every slot filled: no hole left in an array sized up front.
        for (const argv of out.commands) expect(Object.keys(argv).length).toBe(argv.length);
      }),
      { numRuns: 300 },
    );
  });

  test("argsFrom: the bytes of a command's arguments while they are in the chunk being parsed, never an earlier chunk's", () => {
    let seen = 0;
    fc.assert(
      fc.property(fc.array(argvArb, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 30 }), (commands, rawCuts) => {
        const wire = Buffer.concat(commands.map((c) => encodeCommand(c)));
        // Every chunk is read into the same buffer, as a server's shared read buffer:
        // bytes of an earlier chunk are overwritten by the time a later one is parsed.
        const readBuffer = Buffer.alloc(wire.length + 1);
        const parser = new RequestParser({ ...DEFAULT_LIMITS });
        const got: string[][] = [];
        const sink = (argv: string[]): boolean => {
          got.push(argv);
          const from = parser.argsFrom;
          if (from !== null) {
            expect(from).toBe(readBuffer);
            const spans = parser.argSpans;
            for (let i = Math.max(1, parser.argsValidFrom); i < argv.length && 2 * i + 1 < spans.length; i++) {
              if (spans[2 * i]! < 0) continue;
              expect(from.toString('latin1', spans[2 * i], spans[2 * i + 1])).toBe(argv[i]);
              seen++;
            }
          }
          parser.argsFrom = null;
          return true;
        };
        for (const piece of chunked(wire, rawCuts)) {
          readBuffer.fill(0xee);
          piece.copy(readBuffer, 0);
          expect(parser.feed(readBuffer, sink, piece.length)).toBe(FeedResult.Ok);
        }
        expect(got).toEqual(commands);
      }),
      { numRuns: 500 },
    );
    // Most arguments arrive whole in one chunk.
    expect(seen).toBeGreaterThan(1000);
  });

  test('argsFrom is null for inline commands, commands of one argument, and after a protocol error; a bulk read across chunks has no span', () => {
    const parser = new RequestParser({ ...DEFAULT_LIMITS });
    const froms: (Buffer | null)[] = [];
    const sink = (): boolean => {
      froms.push(parser.argsFrom);
      parser.argsFrom = null;
      return true;
    };
    parser.feed(b('GET inline\r\n*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n'), sink);
    expect(froms.map((f) => f !== null)).toEqual([false, false, true]);
    // An argument read, then a protocol error: nothing is left pointing into the chunk.
    expect(parser.feed(b('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n!\r\n'), sink)).toBe(FeedResult.ProtocolError);
    expect(parser.argsFrom).toBeNull();
    // MGET a <b split across two chunks> c: a's span is the first chunk's (invalid in the
    // second: argsValidFrom), b has none, c has the second chunk's.
    const seen: (string | null)[][] = [];
    const parser2 = new RequestParser({ ...DEFAULT_LIMITS });
    const sink2 = (argv: string[]): boolean => {
      const spans = parser2.argSpans;
      seen.push(argv.map((_, i) => (i >= 1 && i >= parser2.argsValidFrom && parser2.argsFrom !== null && spans[2 * i]! >= 0 ? parser2.argsFrom.toString('latin1', spans[2 * i], spans[2 * i + 1]) : null)));
      parser2.argsFrom = null;
      return true;
    };
    // A reused read buffer, as the server's: the first chunk's bytes are gone at the second.
    const readBuffer = Buffer.alloc(64, 0xee);
    const feedAs = (text: string) => {
      readBuffer.fill(0xee);
      const n = readBuffer.write(text, 'latin1');
      parser2.feed(readBuffer, sink2, n);
    };
    feedAs('*4\r\n$4\r\nMGET\r\n$1\r\na\r\n$2\r\nb');
    feedAs('b\r\n$1\r\nc\r\n');
    expect(seen).toEqual([[null, null, null, 'c']]);
  });

  test('an inline line of any bytes gives what splitArgs gives (the plain lines take a shortcut from the bytes)', () => {
    // Lines from bytes that matter to the split: separators, \v and \f, quotes, backslashes.
    // (A NUL hides the line end from the parser, as from Redis's strchr: tested above.)
    const byte = fc.constantFrom(0x20, 0x09, 0x0d, 0x0b, 0x0c, 0x22, 0x27, 0x5c, 0x61, 0x62, 0x50, 0xff, 0x80, 0x2a);
    const line = fc.array(byte, { maxLength: 16 }).map((a) => Buffer.from(a));
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 4 }), fc.boolean(), (lines, crlf) => {
        // A line starting with '*' is a multibulk request: start each with a letter or a space.
        const wire = Buffer.concat(lines.flatMap((l) => [b(l.length % 2 === 0 ? 'G' : ' '), l, b(crlf ? '\r\n' : '\n')]));
        const parser = new RequestParser(DEFAULT_LIMITS);
        const seen: string[][] = [];
        const result = parser.feed(wire, (argv) => {
          seen.push([...argv]);
          return true;
        });
        const want: string[][] = [];
        let failed = false;
        for (const l of lines) {
          const text = (l.length % 2 === 0 ? 'G' : ' ') + l.toString('latin1');
          const argv = splitArgs(text);
          if (argv === null) {
            failed = true;
            break;
          }
          if (argv.length > 0) want.push(argv);
        }
        expect(seen).toEqual(want);
        expect(result).toBe(failed ? FeedResult.ProtocolError : FeedResult.Ok);
      }),
      { numRuns: 3000 },
    );
    // The name is reused from the previous command, as for multibulk requests.
    const names: string[] = [];
    new RequestParser(DEFAULT_LIMITS).feed(b('PING\r\nPING a\r\n'), (argv) => (names.push(argv[0]!), true));
    expect(names).toEqual(['PING', 'PING']);
  });

  test('random inline words, quoted with escapes, split randomly, come back unchanged', () => {
    const word = fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a).toString('latin1'));
    const quote = (w: string): string =>
      '"' + [...w].map((ch) => '\\x' + ch.charCodeAt(0).toString(16).padStart(2, '0')).join('') + '"';
    fc.assert(
      fc.property(fc.array(fc.array(word, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 20 }), (lines, rawCuts) => {
        const wire = b(lines.map((l) => l.map(quote).join(' ') + '\r\n').join(''));
        const out = parse(chunked(wire, rawCuts));
        expect(out.result).toBe(FeedResult.Ok);
        expect(out.commands).toEqual(lines);
      }),
      { numRuns: 300 },
    );
  });
});

/** Parses wire whole, byte by byte and split at every position: all must give `expected`. */
function expectEverySplit(wire: string, expected: { commands: string[][]; result: FeedResult; error?: string }): void {
  const buf = b(wire);
  const want = { commands: expected.commands, result: expected.result, error: expected.error ?? '' };
  expect(parse([buf]), 'whole').toEqual(want);
  expect(parse(bytewise(buf)), 'byte by byte').toEqual(want);
  for (let i = 1; i < buf.length; i++) expect(parse(cut(buf, [i])), `split at ${i}`).toEqual(want);
}

const protocolError = (message: string, commands: string[][] = []) => ({
  commands,
  result: FeedResult.ProtocolError,
  error: `ERR Protocol error: ${message}`,
});

describe('protocol errors', () => {
  test('invalid multibulk length', () => {
    for (const header of ['*abc', '*3000000000', '*2147483648', '*1a', '*+1', '*01', '*-0', '*', '* 1', '*1 ', '*-', '*99999999999999999999', '*-9223372036854775809', '*123456789012345678901']) {
      expectEverySplit(`PING\r\n${header}\r\n`, protocolError('invalid multibulk length', [['PING']]));
    }
  });

  test('multibulk counts that are not positive are empty requests', () => {
    for (const header of ['*0', '*-1', '*-5', '*-2147483649', '*-9223372036854775808']) {
      expectEverySplit(`${header}\r\nPING\r\n`, { commands: [['PING']], result: FeedResult.Ok });
    }
  });

  test('a count up to INT_MAX is accepted and waits for its arguments', () => {
    expectEverySplit('*2147483647\r\n$4\r\nPING\r\n', { commands: [], result: FeedResult.Ok });
  });

  test('invalid bulk length', () => {
    for (const header of ['$-1', '$abc', '$', '$-0', '$01', '$+1', '$1 ', '$536870913', '$9223372036854775807', '$9223372036854775808']) {
      expectEverySplit(`*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n${header}\r\n`, protocolError('invalid bulk length', [['PING']]));
    }
  });

  test('bulk length over proto-max-bulk-len', () => {
    const limits = { ...DEFAULT_LIMITS, maxBulkLength: 1024 * 1024 };
    expect(parse([b('*1\r\n$1048577\r\n')], limits)).toEqual(protocolError('invalid bulk length'));
    expect(parse([b('*1\r\n$1048576\r\n')], limits)).toEqual({ commands: [], result: FeedResult.Ok, error: '' });
    // A command whole in one read (read in one pass) meets the same limit.
    const small = { ...DEFAULT_LIMITS, maxBulkLength: 10 };
    expect(parse([encodeCommand(['ECHO', 'x'.repeat(11)])], small)).toEqual(protocolError('invalid bulk length'));
    expect(parse([encodeCommand(['ECHO', 'x'.repeat(10)])], small).commands).toEqual([['ECHO', 'x'.repeat(10)]]);
  });

  test("expected '$'", () => {
    expectEverySplit('*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n', protocolError("expected '$', got 'f'"));
    expectEverySplit('*1\r\n\xff\r\n', protocolError("expected '$', got '\xff'"));
    expectEverySplit('*1\r\n:1\r\n', protocolError("expected '$', got ':'"));
    // Redis prints the CR (or LF) of an empty line, which its error reply turns into a space.
    expectEverySplit('*1\r\n\r\n', protocolError("expected '$', got ' '"));
    expectEverySplit('*1\r\n\n\r\n', protocolError("expected '$', got ' '"));
  });

  test('unbalanced quotes', () => {
    for (const line of ['SET k "a', "SET k 'a", 'SET k "a"b', "SET k 'a'b", 'ECHO "\\"', 'ECHO "a\\']) {
      expectEverySplit(`PING\r\n${line}\r\nPING\r\n`, protocolError('unbalanced quotes in request', [['PING']]));
    }
  });

  test('too big inline request', () => {
    const line = 'x'.repeat(INLINE_MAX_SIZE + 1);
    expect(parse([b('PING\r\n' + line)])).toEqual(protocolError('too big inline request', [['PING']]));
    // Exactly at the limit it still waits for the end of the line, and runs it once it comes.
    const atLimit = 'x'.repeat(INLINE_MAX_SIZE);
    expect(parse([b(atLimit)])).toEqual({ commands: [], result: FeedResult.Ok, error: '' });
    expect(parse([b(atLimit), b('\n')]).commands).toEqual([[atLimit]]);
    // Found in many small reads as well as in one.
    const pieces: Buffer[] = [];
    for (let i = 0; i < 100; i++) pieces.push(b('y'.repeat(1000)));
    expect(parse(pieces)).toEqual(protocolError('too big inline request'));
  });

  test('too big mbulk count string and bulk count string', () => {
    const digits = '1'.repeat(INLINE_MAX_SIZE + 1);
    expect(parse([b('*' + digits)])).toEqual(protocolError('too big mbulk count string'));
    expect(parse([b('*1\r\n$' + digits)])).toEqual(protocolError('too big bulk count string'));
    const pieces = [b('*1\r\n$')];
    for (let i = 0; i < 70; i++) pieces.push(b('9'.repeat(1000)));
    expect(parse(pieces)).toEqual(protocolError('too big bulk count string'));
  });

  test('a NUL before the line end hides it (Redis searches with strchr)', () => {
    // The line never ends, so the request waits until it is too big.
    expectEverySplit('PI\0NG\r\nPING\r\n', { commands: [], result: FeedResult.Ok });
    expectEverySplit('*1\0\r\n$4\r\nPING\r\n', { commands: [], result: FeedResult.Ok });
    expectEverySplit('*1\r\n$4\0\r\nPING\r\n', { commands: [], result: FeedResult.Ok });
    const filler = b('z\r\n'.repeat(30000));
    expect(parse([b('PING\r\nPI\0NG\r\n'), filler])).toEqual(protocolError('too big inline request', [['PING']]));
    expect(parse([b('*1\0\r\n'), filler])).toEqual(protocolError('too big mbulk count string'));
    expect(parse([b('*1\r\n$4\0\r\n'), filler])).toEqual(protocolError('too big bulk count string'));
    // A NUL after the line end, or inside a bulk, is an ordinary byte.
    expectEverySplit('*2\r\n$4\r\nECHO\r\n$3\r\n\0\0\0\r\nPING\r\n\0', { commands: [['ECHO', '\0\0\0'], ['PING']], result: FeedResult.Ok });
  });

  test('unauthenticated limits', () => {
    // Authenticated clients have no such limits.
    expectEverySplit('*11\r\n$16385\r\n', { commands: [], result: FeedResult.Ok });
    const ten = encodeCommand(Array.from({ length: 10 }, () => 'a')).toString('latin1');
    expect(parse([b(ten)], DEFAULT_LIMITS, true).commands).toHaveLength(1);
    expect(parse([b('*11\r\n')], DEFAULT_LIMITS, true)).toEqual(protocolError('unauthenticated multibulk length'));
    expect(parse([b('*1\r\n$16385\r\n')], DEFAULT_LIMITS, true)).toEqual(protocolError('unauthenticated bulk length'));
    expect(parse([b('*1\r\n$16384\r\n')], DEFAULT_LIMITS, true)).toEqual({ commands: [], result: FeedResult.Ok, error: '' });
    // The same limits for a command that came whole in one read (read in one pass).
    const eleven = encodeCommand(Array.from({ length: 11 }, () => 'a'));
    expect(parse([eleven], DEFAULT_LIMITS, true)).toEqual(protocolError('unauthenticated multibulk length'));
    expect(parse([eleven], DEFAULT_LIMITS, false).commands).toHaveLength(1);
    const big = encodeCommand(['ECHO', 'x'.repeat(16385)]);
    expect(parse([big], DEFAULT_LIMITS, true)).toEqual(protocolError('unauthenticated bulk length'));
    expect(parse([big], DEFAULT_LIMITS, false).commands).toEqual([['ECHO', 'x'.repeat(16385)]]);
    expect(parse([encodeCommand(['ECHO', 'x'.repeat(16384)])], DEFAULT_LIMITS, true).commands).toHaveLength(1);
    // Invalid lengths are reported as invalid first, as Redis checks them first.
    expect(parse([b('*3000000000\r\n')], DEFAULT_LIMITS, true)).toEqual(protocolError('invalid multibulk length'));
    expect(parse([b('*1\r\n$-1\r\n')], DEFAULT_LIMITS, true)).toEqual(protocolError('invalid bulk length'));
    // Negative counts stay empty requests.
    expect(parse([b('*-20\r\nPING\r\n')], DEFAULT_LIMITS, true).commands).toEqual([['PING']]);
    // Inline requests have no such limit.
    const inline = Array.from({ length: 30 }, () => 'a').join(' ') + '\r\n';
    expect(parse([b(inline)], DEFAULT_LIMITS, true).commands[0]).toHaveLength(30);
  });

  test('after an error the parser is reset', () => {
    const parser = new RequestParser({ ...DEFAULT_LIMITS });
    const seen: string[][] = [];
    expect(parser.feed(b('*1\r\n$4\r\nPI'), (a) => (seen.push(a), true))).toBe(FeedResult.Ok);
    parser.reset();
    expect(parser.feed(b('PING\r\n'), (a) => (seen.push(a), true))).toBe(FeedResult.Ok);
    expect(seen).toEqual([['PING']]);
  });
});

describe('query buffer limit', () => {
  const limits = { maxBulkLength: 512 * 1024 * 1024, maxQueryBuffer: 1024 * 1024 };

  test('a bulk bigger than client-query-buffer-limit closes the client', () => {
    const chunks = [b('PING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n')];
    for (let i = 0; i < 40; i++) chunks.push(b('v'.repeat(65536)));
    const out = parse(chunks, limits);
    expect(out.result).toBe(FeedResult.QueryBufferLimit);
    expect(out.commands).toEqual([['PING']]);
  });

  test('arguments already read do not count, as in Redis 7.0 (its query buffer holds only the unread part)', () => {
    const v = 'v'.repeat(600_000);
    const wire = encodeCommand(['SET', v, v]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < wire.length; i += 65536) chunks.push(wire.subarray(i, i + 65536));
    const out = parse(chunks, limits);
    expect(out.result).toBe(FeedResult.Ok);
    expect(out.commands).toEqual([['SET', v, v]]);
  });

  test('pending bytes report the unfinished element', () => {
    const parser = new RequestParser({ ...limits });
    const sink = () => true;
    parser.feed(b('*2\r\n$4\r\nECHO\r\n$100\r\n'), sink);
    expect(parser.pendingBytes).toBe(0);
    parser.feed(b('x'.repeat(40)), sink);
    expect(parser.pendingBytes).toBe(40);
    parser.feed(b('x'.repeat(60) + '\r\n'), sink);
    expect(parser.pendingBytes).toBe(0);
    parser.feed(b('PIN'), sink);
    expect(parser.pendingBytes).toBe(3);
  });
});

describe('big bulks', () => {
  test('50 MB in 64 KiB reads is parsed in linear time', () => {
    const size = 50 * 1024 * 1024;
    const header = b(`*2\r\n$4\r\nECHO\r\n$${size}\r\n`);
    const chunk = Buffer.alloc(65536, 0x61);
    const parser = new RequestParser({ ...DEFAULT_LIMITS });
    let got: string[] | null = null;
    const sink = (argv: string[]) => ((got = argv), true);
    const started = performance.now();
    parser.feed(header, sink);
    let left = size;
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      expect(parser.feed(n === chunk.length ? chunk : chunk.subarray(0, n), sink)).toBe(FeedResult.Ok);
      left -= n;
    }
    expect(got).toBeNull();
    parser.feed(b('\r\n'), sink);
    const elapsed = performance.now() - started;
    expect(got![0]).toBe('ECHO');
    expect(got![1]!.length).toBe(size);
    expect(got![1]!.charCodeAt(size - 1)).toBe(0x61);
    // Copying 50 MB once takes a few tens of ms; re-copying per read would take minutes.
    expect(elapsed).toBeLessThan(3000);
  });

  test('many reads of one bulk are copied once (a header split across reads too)', () => {
    const parser = new RequestParser({ ...DEFAULT_LIMITS });
    let got: string[] | null = null;
    const sink = (argv: string[]) => ((got = argv), true);
    // One byte at a time for 200 KB: quadratic copying would be 2e10 byte copies.
    const size = 200_000;
    const wire = Buffer.concat([b(`*1\r\n$${size}\r\n`), Buffer.alloc(size, 0x62), b('\r\n')]);
    const started = performance.now();
    for (let i = 0; i < wire.length; i++) parser.feed(wire.subarray(i, i + 1), sink);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(got![0]!.length).toBe(size);
  });
});

describe('stopping', () => {
  test('a sink that returns false stops parsing after that command and says where', () => {
    const parser = new RequestParser({ ...DEFAULT_LIMITS });
    const wire = b('PING\r\n*1\r\n$4\r\nPING\r\nECHO x\r\n');
    const seen: string[][] = [];
    expect(parser.feed(wire, (a) => (seen.push(a), false))).toBe(FeedResult.Stopped);
    expect(seen).toEqual([['PING']]);
    expect(parser.stoppedAt).toBe(6);
    expect(parser.feed(wire.subarray(parser.stoppedAt), (a) => (seen.push(a), false))).toBe(FeedResult.Stopped);
    expect(parser.stoppedAt).toBe(14);
    expect(parser.feed(wire.subarray(6 + 14), (a) => (seen.push(a), true))).toBe(FeedResult.Ok);
    expect(seen).toEqual([['PING'], ['PING'], ['ECHO', 'x']]);
  });

  test('stopping on the last command of a read leaves nothing', () => {
    const parser = new RequestParser({ ...DEFAULT_LIMITS });
    const wire = b('PING\r\n');
    expect(parser.feed(wire, () => false)).toBe(FeedResult.Stopped);
    expect(parser.stoppedAt).toBe(wire.length);
  });
});

/**
 * Hostile input: arbitrary bytes, and valid requests damaged in the ways broken or
 * malicious clients damage them. Whatever arrives, the parser never throws; each feed
 * either consumes the chunk (yielding commands or waiting for more), or reports a
 * protocol error with one of Redis's texts, or the query buffer limit; and the outcome
 * does not depend on how the bytes were cut into reads.
 */
describe('hostile input (property-based fuzzing)', () => {
  const KNOWN_ERRORS = new Set([
    'invalid multibulk length', 'unauthenticated multibulk length', 'invalid bulk length', 'unauthenticated bulk length',
    'too big inline request', 'too big mbulk count string', 'too big bulk count string', 'unbalanced quotes in request',
  ]);

  /** Parses the chunks, checking every feed's contract; returns the outcome. */
  function parseChecked(chunks: readonly Buffer[], limits: ParserLimits, unauthenticated: boolean): Outcome {
    let out: Outcome | undefined;
    expect(() => {
      out = parse(chunks, limits, unauthenticated);
    }).not.toThrow();
    const o = out!;
    expect([FeedResult.Ok, FeedResult.ProtocolError, FeedResult.QueryBufferLimit]).toContain(o.result);
    if (o.result === FeedResult.ProtocolError) {
      const expectedDollar = /^ERR Protocol error: expected '\$', got '.'$/s.test(o.error);
      const known = o.error.startsWith('ERR Protocol error: ') && KNOWN_ERRORS.has(o.error.slice('ERR Protocol error: '.length));
      expect(expectedDollar || known, o.error).toBe(true);
    }
    for (const argv of o.commands) {
      expect(argv.length).toBeGreaterThan(0);
      for (const a of argv) expect(typeof a).toBe('string');
    }
    return o;
  }

  const limitsArb = fc.constantFrom<ParserLimits>(DEFAULT_LIMITS, { maxBulkLength: 1024 * 1024, maxQueryBuffer: 1024 * 1024 });
  const bytesArb = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));
  /** Bytes biased toward RESP's own: markers, digits, CR, LF, quotes, NUL. */
  const respishArb = fc
    .array(fc.constantFrom(...'*$\r\n0123456789-+ "\'\\x\0ab'.split('')), { maxLength: 200 })
    .map((chars) => b(chars.join('')));

  /** How a valid request is damaged. */
  type Mutation =
    | { kind: 'flip'; at: number; bit: number }
    | { kind: 'delete'; at: number; length: number }
    | { kind: 'insert'; at: number; text: string }
    | { kind: 'length'; at: number; value: string }
    | { kind: 'truncate'; at: number }
    | { kind: 'dropCrlf'; which: number };
  const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      text: fc.constantFrom('\r\n', '\n', 'PING\r\n', 'SET a "b\r\n', '*', '$', '$-1\r\n', '*-5\r\n', '\0', '"', "'"),
    }),
    fc.record({
      kind: fc.constant('length' as const),
      at: fc.nat(),
      value: fc.constantFrom('-1', '0', '1', '99', '2147483647', '2147483648', '9223372036854775807', '9223372036854775808',
        '99999999999999999999', '536870912', '1048577', '16385', '11', '-0', '+5', '007', 'x', ''),
    }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('dropCrlf' as const), which: fc.nat() }),
  );

  function mutate(wire: Buffer, m: Mutation): Buffer {
    const raw = 'at' in m ? m.at : 0;
    const at = wire.length === 0 ? 0 : m.kind === 'truncate' || m.kind === 'insert' ? raw % (wire.length + 1) : raw % wire.length;
    switch (m.kind) {
      case 'flip': {
        if (wire.length === 0) return wire;
        const out = Buffer.from(wire);
        out[at] = out[at]! ^ (1 << m.bit);
        return out;
      }
      case 'delete':
        return Buffer.concat([wire.subarray(0, at), wire.subarray(at + m.length)]);
      case 'insert':
        return Buffer.concat([wire.subarray(0, at), b(m.text), wire.subarray(at)]);
      case 'truncate':
        return wire.subarray(0, at);
      case 'length': {
        // Replace the digits of the header line (a *N or $N) at or after `at`.
        const text = wire.toString('latin1');
        const re = /[*$](-?\d+)\r\n/g;
        const headers = [...text.matchAll(re)];
        if (headers.length === 0) return wire;
        const h = headers[m.at % headers.length]!;
        const start = h.index! + 1;
        return b(text.slice(0, start) + m.value + text.slice(start + h[1]!.length));
      }
      case 'dropCrlf': {
        const text = wire.toString('latin1');
        const ends = [...text.matchAll(/\r\n/g)];
        if (ends.length === 0) return wire;
        const e = ends[m.which % ends.length]!;
        return b(text.slice(0, e.index!) + text.slice(e.index! + 2));
      }
    }
  }

  test('arbitrary bytes: never throws, a known outcome, the same however the bytes are cut', () => {
    fc.assert(
      fc.property(fc.oneof(bytesArb, respishArb), fc.array(fc.nat(), { maxLength: 20 }), limitsArb, fc.boolean(), (wire, rawCuts, limits, unauth) => {
        const whole = parseChecked([wire], limits, unauth);
        const pieces = parseChecked(chunked(wire, rawCuts), limits, unauth);
        expect(pieces).toEqual(whole);
      }),
      { numRuns: 3000 },
    );
  });

  test('valid requests damaged (flipped bytes, wrong and huge lengths, lost CRLF, inline text inside, truncation)', () => {
    fc.assert(
      fc.property(
        fc.array(argvArb, { minLength: 1, maxLength: 5 }),
        fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        limitsArb,
        fc.boolean(),
        (commands, mutations, rawCuts, limits, unauth) => {
          let wire: Buffer = Buffer.concat(commands.map((c) => encodeCommand(c)));
          for (const m of mutations) wire = mutate(wire, m);
          const whole = parseChecked([wire], limits, unauth);
          const pieces = parseChecked(chunked(wire, rawCuts), limits, unauth);
          expect(pieces).toEqual(whole);
          // After an error the parser starts afresh: a valid request parses.
          if (whole.result === FeedResult.ProtocolError) {
            const parser = new RequestParser({ ...limits });
            parser.unauthenticated = unauth;
            const seen: string[][] = [];
            expect(parser.feed(wire, () => true)).toBe(FeedResult.ProtocolError);
            expect(parser.feed(b('*1\r\n$4\r\nPING\r\n'), (argv) => (seen.push(argv), true))).toBe(FeedResult.Ok);
            expect(seen).toEqual([['PING']]);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('a request whole in one read (read in one pass) gives what the state machine gives fed byte by byte, its spans too', () => {
    // Header digits that the one-pass reader must take as the state machine does, or
    // leave to it: leading zeros, signs, empty, 10 and 11 digits, past the limits.
    const digits = fc.constantFrom('0', '00', '05', '1', '9', '10', '64', '65', '99', '-1', '+3', '', '1x', '16384', '16385', '1048576', '1048577', '9999999999', '10000000000', '2147483647');
    const fieldArb = fc.oneof(
      fc.record({ kind: fc.constant('count' as const), value: digits }),
      fc.record({ kind: fc.constant('bulk' as const), value: digits }),
    );
    fc.assert(
      fc.property(fc.array(argvArb, { minLength: 1, maxLength: 4 }), fc.array(fieldArb, { maxLength: 2 }), fc.nat(), limitsArb, fc.boolean(), (commands, fields, at, limits, unauth) => {
        let text = Buffer.concat(commands.map((c) => encodeCommand(c))).toString('latin1');
        for (const f of fields) {
          const headers = [...text.matchAll(f.kind === 'count' ? /\*(\d+)\r\n/g : /\$(\d+)\r\n/g)];
          if (headers.length === 0) continue;
          const h = headers[at % headers.length]!;
          text = text.slice(0, h.index! + 1) + f.value + text.slice(h.index! + 1 + h[1]!.length);
        }
        const wire = b(text);
        const whole = parseChecked([wire], limits, unauth);
        expect(whole).toEqual(parseChecked(bytewise(wire), limits, unauth));
        // Each command the one read gave has the spans of its arguments in that read.
        const parser = new RequestParser({ ...limits });
        parser.unauthenticated = unauth;
        parser.feed(wire, (argv) => {
          // (An inline command has no spans.)
          if (parser.argsFrom !== null) {
            expect(parser.argsFrom).toBe(wire);
            for (let i = Math.max(1, parser.argsValidFrom); i < argv.length; i++) {
              expect(wire.toString('latin1', parser.argSpans[2 * i], parser.argSpans[2 * i + 1])).toBe(argv[i]);
            }
          }
          if (argv.length === 1) expect(parser.argsFrom).toBeNull();
          // As the connection's sink: the spans are the running command's only.
          parser.argsFrom = null;
          return true;
        });
      }),
      { numRuns: 3000 },
    );
  });

  test('a query buffer limit is reported whatever the cut, and only past the limit', () => {
    const limits: ParserLimits = { maxBulkLength: 512 * 1024 * 1024, maxQueryBuffer: 4096 };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20_000 }), fc.integer({ min: 1, max: 3000 }), (bulk, chunkSize) => {
        const wire = Buffer.concat([b(`*2\r\n$4\r\nECHO\r\n$${bulk}\r\n`), Buffer.alloc(bulk, 0x61), b('\r\n')]);
        const chunks: Buffer[] = [];
        for (let i = 0; i < wire.length; i += chunkSize) chunks.push(wire.subarray(i, i + chunkSize));
        const out = parseChecked(chunks, limits, false);
        if (out.result === FeedResult.QueryBufferLimit) expect(bulk + chunkSize).toBeGreaterThan(4096);
        else expect(out.commands).toEqual([['ECHO', 'a'.repeat(bulk)]]);
      }),
      { numRuns: 300 },
    );
  });
});

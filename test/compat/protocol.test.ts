import net from 'node:net';
import { describe, expect, test } from 'vitest';
import { Pair, pairSuite, show } from './harness.js';
import { decodeReply, encodeCommand } from '../helpers/resp.js';
import { rng } from '../helpers/rng.js';

/**
 * The wire protocol, differentially: the same RAW BYTES go to redis-server 7.0 and to
 * lapse on fresh connections, and everything each sends back is compared byte for
 * byte, together with whether it closed the connection. A server "answered" when it
 * closed, when the expected replies are in, or when it stayed quiet for QUIET_MS.
 *
 * Only PING, ECHO, GET, SET, SELECT and QUIT are used (the commands of this layer);
 * unknown commands serve to show how a line was split, as Redis's error lists the
 * arguments.
 */

const QUIET_MS = 150;
/**
 * A comparison that differs is taken again with this quiet window: on a loaded machine
 * (CI runs test files side by side on two cores) a server can take longer than QUIET_MS
 * to answer a 200 KB request, and an answer cut short is not a difference. The second
 * exchange must match exactly.
 */
const SLOW_QUIET_MS = 1500;

interface Answer {
  bytes: Buffer;
  closed: boolean;
}

interface ExchangeOptions {
  /** Pause between chunks so each arrives as its own read. */
  gapMs?: number;
  /** The answer is complete with this many replies (no quiet window then). */
  replies?: number;
  /** The answer is complete when it ends with this (no quiet window then). */
  endsWith?: string;
  /** The quiet window, ms (QUIET_MS unless given). */
  quietMs?: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const bytesOf = (c: string | Buffer): Buffer => (typeof c === 'string' ? Buffer.from(c, 'latin1') : c);

/** Sends chunks on a new connection and collects everything the server sends back. */
function exchange(port: number, chunks: readonly (string | Buffer)[], options: ExchangeOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    let received = Buffer.alloc(0);
    let closed = false;
    let writing = true;
    let quiet: NodeJS.Timeout | undefined;
    // Replies decoded so far, and where the next one starts (decoding is incremental).
    let replies = 0;
    let decoded = 0;
    const hardStop = setTimeout(() => finish(new Error(`no complete answer within 10 s: ${show(received.subarray(-200))}`)), 10_000);
    const finish = (error?: Error): void => {
      clearTimeout(quiet);
      clearTimeout(hardStop);
      socket.destroy();
      if (error) reject(error);
      else resolve({ bytes: received, closed });
    };
    const complete = (): boolean => {
      if (options.replies !== undefined) {
        for (;;) {
          const r = replies < options.replies ? decodeReply(received, decoded) : null;
          if (!r) break;
          replies++;
          decoded = r.end;
        }
        return replies >= options.replies;
      }
      const tail = options.endsWith;
      return tail !== undefined && received.length >= tail.length && received.toString('latin1', received.length - tail.length) === tail;
    };
    const settle = (): void => {
      if (writing) return;
      if (options.replies !== undefined || options.endsWith !== undefined) {
        if (complete()) finish();
        return;
      }
      clearTimeout(quiet);
      quiet = setTimeout(() => finish(), options.quietMs ?? QUIET_MS);
    };
    socket.on('data', (d: Buffer) => {
      received = Buffer.concat([received, d]);
      settle();
    });
    // A server that closes with unread input resets the connection: that is a close too.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('connect', async () => {
      for (let i = 0; i < chunks.length; i++) {
        if (closed) return;
        const last = i === chunks.length - 1;
        // The answer is awaited once the last chunk has left (the quiet window starts then).
        socket.write(bytesOf(chunks[i]!), last ? () => ((writing = false), settle()) : undefined);
        if (options.gapMs && !last) await sleep(options.gapMs);
      }
    });
  });
}

/** Both servers' answers to the same bytes: the redis one is the expectation. */
async function compare(p: Pair, chunks: readonly (string | Buffer)[], options: ExchangeOptions = {}): Promise<Answer> {
  let [r, l] = await Promise.all([exchange(p.redis.port, chunks, options), exchange(p.lapsePort, chunks, options)]);
  if (!r.bytes.equals(l.bytes) || r.closed !== l.closed) {
    const slow = { ...options, quietMs: SLOW_QUIET_MS };
    [r, l] = await Promise.all([exchange(p.redis.port, chunks, slow), exchange(p.lapsePort, chunks, slow)]);
  }
  const label = chunks.map((c) => show(bytesOf(c)).slice(0, 120)).join(' + ').slice(0, 300);
  expect(summary(l, r), label).toEqual(summary(r, l));
  return r;
}

/** An answer for comparison; a long one is shown around its first difference from the other. */
function summary(a: Answer, other: Answer): { length: number; closed: boolean; from: number; bytes: string } {
  if (a.bytes.length <= 2000 && other.bytes.length <= 2000) return { length: a.bytes.length, closed: a.closed, from: 0, bytes: show(a.bytes) };
  let i = 0;
  while (i < a.bytes.length && i < other.bytes.length && a.bytes[i] === other.bytes[i]) i++;
  const from = Math.max(0, i - 100);
  return { length: a.bytes.length, closed: a.closed, from, bytes: show(a.bytes.subarray(from, i + 200)) };
}

/**
 * Sends start, then "payload" over and over without reading until a write fails (at most
 * 8 MB or 10 s, either of which is a failure): what the server sent back, and whether the
 * writes failed (the server closed).
 */
function flood(port: number, start: string): Promise<{ reply: string; writesFailed: boolean }> {
  return new Promise((resolve) => {
    // Half-open allowed: the server's FIN alone must not end this side's writes (Node's
    // default would), as it does not end a Tcl or C client's.
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let received = '';
    let sent = 0;
    let done = false;
    const finish = (writesFailed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ reply: received, writesFailed });
    };
    const timer = setTimeout(() => finish(false), 10_000);
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    socket.on('end', () => undefined);
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    const pump = (): void => {
      while (!done && sent < 8_000_000) {
        sent += 7;
        if (!socket.write('payload')) return void socket.once('drain', pump);
      }
      if (!done) finish(false);
    };
    socket.on('connect', () => {
      socket.write(start);
      pump();
    });
  });
}

/** buf cut into pieces of random sizes up to max. */
function randomChunks(buf: Buffer, random: () => number, max: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; ) {
    const n = 1 + Math.floor(random() * max);
    out.push(buf.subarray(i, i + n));
    i += n;
  }
  return out;
}

const p = pairSuite({ reset: false });

describe('inline commands', () => {
  test('line endings, blanks, case', async () => {
    await compare(p, ['PING\r\n']);                                         // exact
    await compare(p, ['PING\n']);                                           // exact: LF alone
    await compare(p, ['ping\r\n']);                                         // exact
    await compare(p, ['PING']);                                             // exact: waits for the line end
    await compare(p, ['PI', 'NG\r', '\n'], { gapMs: 20 });                  // exact: across reads
    await compare(p, ['  PING  \t\r\n']);                                   // exact
    await compare(p, ['PING\rX\n']);                                        // exact: a lone CR separates
    await compare(p, ['\r\n\r\n\n   \r\nPING\r\n']);                        // exact: empty lines are skipped
    await compare(p, ['\r\n']);                                             // exact: nothing
    await compare(p, ['PING hello world\r\n']);                             // exact: arity error
    await compare(p, ['ECHO\r\n']);                                         // exact: arity error
  });

  test('SET and GET with quoting', async () => {
    await compare(p, ['SET k "a b"\r\nGET k\r\n']);                         // exact
    await compare(p, ['SET k "\\x41\\x42\\x00\\xff\\r\\n"\r\nGET k\r\n']);  // exact: hex escapes
    await compare(p, ["SET k 'it\\'s'\r\nGET k\r\n"]);                      // exact: single quotes
    await compare(p, ["SET k 'a\\nb'\r\nGET k\r\n"]);                       // exact: no escapes in single quotes
    await compare(p, ['SET k "a\\"b\\\\c"\r\nGET k\r\n']);                  // exact
    await compare(p, ['SET k ""\r\nGET k\r\n']);                            // exact: empty argument
    await compare(p, ['ECHO a"b c"\r\n']);                                  // exact: quotes inside a word
    await compare(p, ['SET k \xff\x80\x01\r\nGET k\r\n']);                  // exact: high bytes
    await compare(p, ['SELECT 1\r\nSET k one\r\nSELECT 0\r\nGET k\r\nSELECT 1\r\nGET k\r\n']); // exact
  });

  test('plain lines (no quotes, NUL, \\v or \\f: split from their bytes), values read back', async () => {
    await compare(p, ['SET\tk\t\tv1\r\nGET  k\r\n']);                      // exact: tabs separate
    await compare(p, ['SET k a\rb\r\nGET k\r\nGET a\r\nEXISTS b\r\n']);     // exact: a CR inside a line separates
    await compare(p, ['SET k \xff\x80\xfe\tRPUSH l \xe9 \x7f\r\nLRANGE l 0 -1\r\n']); // exact: high bytes, an arity error
    await compare(p, ['GET k\r\nget k\r\nGeT k\r\nGET k\r\nGETX k\r\nGET k\r\n']); // exact: a name repeated, changed, back
    await compare(p, ['SET k v\r\nSET k "w x"\r\nGET k\r\nSET k y\r\nGET k\r\n']); // exact: plain and quoted lines in turn
    await compare(p, ['XCOMMANDLONGERTHANSIXTEEN a\r\nXCOMMANDLONGERTHANSIXTEEN a\r\nPING\r\n']); // exact: names past the reuse limit
    await compare(p, ['SET k a\x0bb\r\nGET k\r\nSET k \x0cc\r\nGET k\r\n']); // exact: \v inside an argument, \f before one
  });

  test('unbalanced quotes: the replies before, the error, then close', async () => {
    await compare(p, ['SET k "a\r\n']);                                     // exact
    await compare(p, ["GET k\r\nSET k 'a\r\nGET k\r\n"]);                   // exact
    await compare(p, ['GET k\r\nSET k "a"b\r\nGET k\r\n']);                 // exact: quote then non-space
    await compare(p, ['ECHO "\\"\r\n']);                                    // exact
    await compare(p, ['PING\r\n', 'ECHO "x\r\n', 'PING\r\n'], { gapMs: 20 }); // exact: across reads
  });

  test('random lines split like Redis (shown by the unknown-command error)', async () => {
    const random = rng(2024);
    const alphabet = ['a', 'b', ' ', ' ', '\t', '"', '"', "'", '\\', 'x', '4', '1', 'F', 'n', '\x0b', '\x0c', '\xff', '\x80'];
    for (let i = 0; i < 150; i++) {
      let line = '';
      const n = 1 + Math.floor(random() * 14);
      for (let j = 0; j < n; j++) line += alphabet[Math.floor(random() * alphabet.length)];
      await compare(p, [`XCMD ${line}\r\nPING\r\n`], { endsWith: '+PONG\r\n' }); // exact
    }
  });
});

describe('multibulk', () => {
  test('binary arguments, empty arguments, skipped terminators', async () => {
    const all = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
    await compare(p, [encodeCommand(['SET', 'bin', all]), encodeCommand(['GET', 'bin'])]); // exact
    await compare(p, [encodeCommand(['SET', '', '']), encodeCommand(['GET', ''])]); // exact
    await compare(p, [encodeCommand(['ECHO', 'a\r\nb\0c\r\n'])]);          // exact
    await compare(p, ['*2\r\n$4\r\nECHO\r\n$3\r\nfooXX*1\r\n$4\r\nPING\r\n']); // exact: 2 bytes after a bulk skipped
    await compare(p, ['*1\rX$4\rYPING\r\n']);                               // exact: byte after a header CR skipped
    await compare(p, ['*1\r\n$4\r\nPING\n\n']);                             // exact
    await compare(p, ['*0\r\n*-1\r\n*-99\r\nPING\r\n']);                    // exact: empty requests
    await compare(p, ['*-9223372036854775808\r\nPING\r\n']);                // exact
    await compare(p, ['*1\r\n$4\r\nPING']);                                 // exact: waits for the terminator
    await compare(p, ['*1\r', '\n$4\r', '\nPING\r', '\n'], { gapMs: 20 });  // exact: CR at the end of reads
    await compare(p, ['*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nab', 'cde\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n'], { gapMs: 20 }); // exact
  });

  test('inline and multibulk mixed in one pipeline', async () => {
    await compare(p, [
      'PING\r\n' + encodeCommand(['SET', 'm', 'x y']).toString('latin1') + 'GET m\r\n*1\r\n$4\r\nPING\r\nECHO "q"\n' + encodeCommand(['GET', 'm']).toString('latin1'),
    ]); // exact
  });

  test('QUIT answers OK and closes; nothing after it runs', async () => {
    await compare(p, ['PING\r\nQUIT\r\nPING\r\n']);                         // exact
    await compare(p, [encodeCommand(['SET', 'q', '1']), encodeCommand(['QUIT']), encodeCommand(['SET', 'q', '2'])]); // exact
    await compare(p, ['GET q\r\n']);                                        // exact: only the first SET ran
  });
});

describe('protocol errors: replies to earlier commands, the error, then close', () => {
  const afterPing = (bytes: string) => compare(p, ['PING\r\n' + bytes]);

  test('invalid multibulk length', async () => {
    for (const header of ['*abc', '*3000000000', '*2147483648', '*-0', '*01', '*+1', '* 1', '*1 ', '*', '*-', '*99999999999999999999', '*-9223372036854775809']) {
      await afterPing(header + '\r\nPING\r\n');                             // exact
    }
  });

  test('invalid bulk length', async () => {
    for (const header of ['$-1', '$abc', '$', '$-0', '$01', '$+1', '$1 ', '$536870913', '$9223372036854775807', '$9223372036854775808']) {
      await afterPing('*2\r\n$4\r\nECHO\r\n' + header + '\r\nPING\r\n');    // exact
    }
  });

  test('a request whole in one write, headers that only look valid (the one-pass reader leaves them to the state machine)', async () => {
    // The argument's bytes are all there: a reader that took '02' for 2 would answer "hi".
    await afterPing('*2\r\n$4\r\nECHO\r\n$02\r\nhi\r\n');                 // exact: invalid bulk length
    await afterPing('*02\r\n$4\r\nECHO\r\n$2\r\nhi\r\n');                 // exact: invalid multibulk length
    await afterPing('*2\r\n$4\r\nECHO\r\n$+2\r\nhi\r\n');                 // exact
    await afterPing('*2\r\n$4\r\nECHO\r\n$2 \r\nhi\r\n');                 // exact
    // 65 arguments (past the one-pass reader's 64) and 64, whole: the same replies.
    await compare(p, [encodeCommand(['MSET', ...Array.from({ length: 64 }, (_, i) => `k${i % 32}`)])]); // exact: 65 arguments (32 pairs)
    await compare(p, [encodeCommand(['SADD', 'wide', ...Array.from({ length: 62 }, (_, i) => `m${i}`)])]); // exact: 64 arguments
  });

  test("expected '$'", async () => {
    await afterPing('*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n');              // exact
    await afterPing('*1\r\nx\r\n');                                         // exact
    await afterPing('*1\r\n:1\r\n');                                        // exact
    await afterPing('*1\r\n\xff\r\n');                                      // exact: a high byte shown as is
    await afterPing('*1\r\n\r\n');                                          // exact: an empty line
    await afterPing('*1\r\n\n\r\n');                                        // exact
    await afterPing('*2\r\n$4\r\nECHO\r\n*1\r\n');                          // exact
  });

  test('too big inline request, mbulk count string, bulk count string', async () => {
    await afterPing('x'.repeat(200_000));                                   // exact
    await afterPing('*' + '1'.repeat(200_000));                             // exact
    await afterPing('*1\r\n$' + '1'.repeat(200_000));                       // exact
    const pieces = Array.from({ length: 40 }, () => 'y'.repeat(5000));
    await compare(p, ['PING\r\n', ...pieces], { gapMs: 2 });                // exact: in many reads
  });

  test('a NUL before the line end hides it', async () => {
    await compare(p, ['PI\0NG\r\nPING\r\n']);                               // exact: nothing, still open
    await compare(p, ['*1\0\r\n$4\r\nPING\r\n']);                           // exact
    await compare(p, ['*1\r\n$4\0\r\nPING\r\n']);                           // exact
    await compare(p, ['PING\r\nPI\0NG\r\n', 'z\r\n'.repeat(30_000)], { gapMs: 20 }); // exact: then too big
    await compare(p, ['*1\0\r\n', 'z\r\n'.repeat(30_000)], { gapMs: 20 });  // exact
    await compare(p, ['*2\r\n$4\r\nECHO\r\n$4\0\r\n', 'z\r\n'.repeat(30_000)], { gapMs: 20 }); // exact
    await compare(p, ['*2\r\n$4\r\nECHO\r\n$3\r\n\0\0\0\r\nPING\r\n']);     // exact: NUL in a bulk is data
  });

  test('a client that goes on sending after its protocol error is cut off, not drained', async () => {
    // The peer never reads and never stops: Redis closes the socket after the error (with
    // unread input, so a reset), and the peer's writes fail within a few hundred KB; lapse
    // must not read on forever. The reset can overtake Redis's error reply on its way to
    // a client that is busy writing, so Redis's reply is the error or nothing; lapse hands
    // the reply to the kernel before it closes, so its reply is the error.
    const inline = '-ERR Protocol error: too big inline request\r\n';
    const mbulk = '-ERR Protocol error: too big mbulk count string\r\n';
    for (const [start, error] of [['\0', inline], ['*\0', mbulk], ['$\0', inline], ['x'.repeat(70_000), inline]] as const) {
      const [r, l] = await Promise.all([flood(p.redis.port, start), flood(p.lapsePort, start)]);
      const label = show(bytesOf(start)).slice(0, 40);
      expect(r.writesFailed, label).toBe(true);
      expect(['', error], label).toContain(r.reply);
      expect(l, label).toEqual({ reply: error, writesFailed: true });
    }
  });

  test('a protocol error does not affect another client', async () => {
    const [r2, l2] = await p.connect();
    await p.exactOn([r2, l2], 'SET', 'other', 'still here');                // exact
    await compare(p, ['SET other changed\r\n*x\r\nSET other again\r\n']);    // exact
    await p.exactOn([r2, l2], 'GET', 'other');                              // exact
    await p.exactOn([r2, l2], 'PING');                                      // exact
  });
});

describe('pipelining', () => {
  /** 10k commands of every kind, with binary values, inline ones among them. */
  function bigPipeline(): { wire: Buffer; count: number } {
    const random = rng(99);
    const parts: Buffer[] = [];
    let count = 0;
    for (let i = 0; i < 10_000; i++) {
      const key = `key:${i % 97}`;
      const value = Buffer.from(Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 256)));
      switch (i % 6) {
        case 0: parts.push(encodeCommand(['SET', key, value])); break;
        case 1: parts.push(encodeCommand(['GET', key])); break;
        case 2: parts.push(Buffer.from(`GET ${key}\r\n`)); break;
        case 3: parts.push(encodeCommand(['ECHO', value])); break;
        case 4: parts.push(Buffer.from(i % 12 === 4 ? 'PING\r\n' : `SET ${key} "\\x${(i % 256).toString(16).padStart(2, '0')}z"\r\n`)); break;
        case 5: parts.push(encodeCommand(['SELECT', String(i % 3)])); break;
      }
      count++;
    }
    return { wire: Buffer.concat(parts), count };
  }

  test('10k commands in one write: all replies, in order', async () => {
    const { wire, count } = bigPipeline();
    await compare(p, [wire], { replies: count });                          // exact
  });

  test('the same 10k commands in random chunks', async () => {
    const { wire, count } = bigPipeline();
    const chunks = randomChunks(wire, rng(5), 3000);
    await compare(p, chunks, { gapMs: 1, replies: count });                // exact
  });

  test('large values in random chunks', async () => {
    const value = Buffer.from(Array.from({ length: 1_000_000 }, (_, i) => (i * 31) % 256));
    const wire = Buffer.concat([encodeCommand(['SET', 'large', value]), encodeCommand(['GET', 'large']), Buffer.from('PING\r\n')]);
    await compare(p, randomChunks(wire, rng(11), 100_000), { gapMs: 1, replies: 3 }); // exact
  });
});

describe('limits', () => {
  const limited = pairSuite({ lapse: { 'client-query-buffer-limit': '1mb' }, redis: ['--client-query-buffer-limit', '1mb'], reset: false });
  const locked = pairSuite({ lapse: { requirepass: 'secret' }, redis: ['--requirepass', 'secret'], reset: false });
  const crowded = pairSuite({ lapse: { maxclients: 3 }, redis: ['--maxclients', '3'], reset: false });

  test('maxclients: the client over the limit gets the error and is closed', async () => {
    await crowded.connect(); // with the default connection: 2 of 3 on each server
    await compare(crowded, ['PING\r\n']);                                 // exact: the 3rd is served
    const [r3, l3] = await crowded.connect();
    await crowded.exactOn([r3, l3], 'PING');                                // exact
    await compare(crowded, ['PING\r\n']);                                 // exact: the 4th is refused
  });

  test('client-query-buffer-limit closes the client without a reply', async () => {
    await compare(limited, ['PING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n' + 'v'.repeat(1_500_000)]); // exact
    await compare(limited, ['GET k\r\n']);                                  // exact: the SET never ran
  });

  test('arguments already read do not count toward it (Redis 7.0)', async () => {
    const v = 'v'.repeat(600_000);
    await compare(limited, [encodeCommand(['SET', v, v])], { replies: 1 }); // exact
    await compare(limited, [encodeCommand(['GET', v])], { replies: 1 }); // exact
  });

  test('unauthenticated multibulk and bulk lengths', async () => {
    await compare(locked, ['*11\r\n']);                                     // exact
    await compare(locked, ['PING\r\n*1\r\n$16385\r\n']);                    // exact
    await compare(locked, [encodeCommand(Array.from({ length: 10 }, () => 'a'))]); // exact: 10 is allowed
    await compare(locked, [encodeCommand(['SET', 'k', 'v'.repeat(16384)])]); // exact: 16384 is allowed (NOAUTH)
    // The same limits when the whole request arrives in one write (one-pass reader).
    await compare(locked, [encodeCommand(Array.from({ length: 11 }, () => 'a'))]); // exact: 11, whole
    await compare(locked, [encodeCommand(['SET', 'k', 'v'.repeat(16385)])]); // exact: 16385, whole
    await compare(locked, ['*3000000000\r\n']);                             // exact: invalid before unauthenticated
    await compare(locked, ['*-20\r\nPING\r\n']);                            // exact
    await compare(locked, [Array.from({ length: 30 }, () => 'a').join(' ') + '\r\n']); // exact: inline has no limit
  });
});

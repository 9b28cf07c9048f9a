import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { createServer, type LapseServer } from '../../src/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { startRedis, type ReferenceRedis } from '../helpers/redis-server.js';
import { decodeReply, type Reply } from '../helpers/resp.js';
import type { ServerOptions } from '../../src/server/server.js';

/**
 * The differential oracle: the same commands go to a real redis-server 7.0 and to
 * lapse (in-process), over raw sockets, and the replies are compared. Each comparison
 * names how it compares:
 *
 *   exact   byte for byte
 *   sorted  an array reply whose order Redis leaves unspecified: same elements
 *   ttl     integers within a stated tolerance (time passes between the two sends)
 *   error   both are errors (when the texts may legitimately differ, e.g. our own)
 *
 * A file (or a describe block) declares its pair with pairSuite(), which registers
 * start() in beforeAll, reset() in beforeEach and stop() in afterAll.
 */
export class Pair {
  redis!: ReferenceRedis;
  lapse!: LapseServer;
  lapsePort = 0;
  /** The default connection to each server. */
  r!: RawClient;
  l!: RawClient;
  private extra: RawClient[] = [];
  /** Commands sent to both servers and compared, for the count in test-output/. */
  private compared = 0;

  constructor(
    private readonly lapseOptions: ServerOptions = {},
    private readonly redisArgs: string[] = [],
  ) {}

  async start(): Promise<void> {
    this.redis = await startRedis(this.redisArgs);
    // lapse works in the reference's directory (it saves nothing unless told to), so
    // CONFIG GET dir answers alike.
    this.lapse = createServer({ port: 0, bind: '127.0.0.1', dir: this.redis.dir, ...this.lapseOptions });
    this.lapsePort = (await this.lapse.listen()).port;
    [this.r, this.l] = await this.connect();
  }

  async stop(): Promise<void> {
    recordCount(this.compared);
    for (const c of this.extra) c.close();
    this.r?.close();
    this.l?.close();
    await this.lapse?.close();
    await this.redis?.stop();
  }

  /**
   * Fresh default connections (RESP2, db 0) and FLUSHALL on both, whose replies must be
   * the same (not counted among the compared commands: it is set-up).
   */
  async reset(): Promise<void> {
    for (const c of this.extra) c.close();
    this.extra = [];
    this.r.close();
    this.l.close();
    [this.r, this.l] = await this.connect();
    const redisReply = await this.r.call('FLUSHALL');
    const lapseReply = await this.l.call('FLUSHALL');
    expect(show(lapseReply), 'reset: FLUSHALL').toBe(show(redisReply));
  }

  /** A new connection to each server (closed by reset/stop). */
  async connect(): Promise<[RawClient, RawClient]> {
    const pair: [RawClient, RawClient] = [await RawClient.connect(this.redis.port), await RawClient.connect(this.lapsePort)];
    this.extra.push(...pair);
    return pair;
  }

  /** Sends args to both (on the given connections) and returns both raw replies. */
  async both(args: (string | Buffer)[], on: [RawClient, RawClient] = [this.r, this.l]): Promise<[Buffer, Buffer]> {
    const [rc, lc] = on;
    this.compared++;
    const redisReply = await rc.call(...args);
    const lapseReply = await lc.call(...args);
    return [redisReply, lapseReply];
  }

  /** Byte-for-byte equal replies. Returns the reply. */
  async exact(...args: (string | Buffer)[]): Promise<Buffer> {
    return this.exactOn([this.r, this.l], ...args);
  }

  async exactOn(on: [RawClient, RawClient], ...args: (string | Buffer)[]): Promise<Buffer> {
    const [a, b] = await this.both(args, on);
    expect(show(b), `exact: ${describe(args)}`).toBe(show(a));
    return a;
  }

  /** The same elements of an array (or set/map) reply, in any order. */
  async sorted(...args: (string | Buffer)[]): Promise<Reply> {
    const [a, b] = await this.both(args);
    const ra = decodeReply(a)!.reply;
    const rb = decodeReply(b)!.reply;
    expect(canonical(rb), `sorted: ${describe(args)}`).toEqual(canonical(ra));
    return ra;
  }

  /**
   * Integer replies within `tolerance` of each other (TTLs: time passes between sends).
   * A negative reply is a sentinel (-1: no TTL, -2: no key), never a time: it must be
   * the same on both, whatever the tolerance.
   */
  async ttl(tolerance: number, ...args: (string | Buffer)[]): Promise<void> {
    const [a, b] = await this.both(args);
    const ra = decodeReply(a)!.reply;
    const rb = decodeReply(b)!.reply;
    expect(rb.type, `ttl: ${describe(args)} type`).toBe(ra.type);
    if (ra.type === 'integer' && rb.type === 'integer' && ra.value >= 0n && rb.value >= 0n) {
      const diff = Number(ra.value - rb.value);
      expect(Math.abs(diff), `ttl: ${describe(args)}: redis ${ra.value} lapse ${rb.value}`).toBeLessThanOrEqual(tolerance);
    } else {
      expect(show(b)).toBe(show(a));
    }
  }

  /** Both reply with an error (texts not compared). */
  async error(...args: (string | Buffer)[]): Promise<void> {
    const [a, b] = await this.both(args);
    expect(a[0], `error: redis replied ${show(a)}`).toBe(0x2d);
    expect(b[0], `error: lapse replied ${show(b)}`).toBe(0x2d);
  }

  /** Both servers run the same setup commands; their replies are compared exactly. */
  async run(commands: (string | Buffer)[][]): Promise<void> {
    for (const c of commands) await this.exact(...c);
  }
}

export interface PairSuiteOptions {
  /** lapse's options (createServer), beside the port, bind and dir the pair chooses. */
  lapse?: ServerOptions;
  /** redis-server's extra arguments, the same settings as `lapse` in its own words. */
  redis?: string[];
  /**
   * reset() before each test (the default). false where the tests of the suite share
   * state on purpose, or where FLUSHALL cannot run (requirepass, a renamed FLUSHALL).
   */
  reset?: boolean;
}

/**
 * A Pair for the enclosing file or describe block: started before its first test,
 * reset() before each test (unless `reset: false`), stopped after its last. Hooks the
 * caller registers after this call run after these (vitest's default 'stack' order:
 * before-hooks in order, after-hooks in reverse), so a beforeEach of the caller sees
 * the reset pair, and an afterAll registered BEFORE this call runs after stop().
 */
export function pairSuite(options: PairSuiteOptions = {}): Pair {
  const pair = new Pair(options.lapse, options.redis);
  beforeAll(() => pair.start());
  afterAll(() => pair.stop());
  if (options.reset !== false) beforeEach(() => pair.reset());
  return pair;
}

/**
 * Appends this file's number of differential comparisons to
 * test-output/differential-counts.txt (summed by whoever reports the suite's figures).
 */
function recordCount(count: number): void {
  const file = expect.getState().testPath ?? 'unknown';
  fs.mkdirSync('test-output', { recursive: true });
  fs.appendFileSync('test-output/differential-counts.txt', `${path.relative(process.cwd(), file)} ${count}\n`);
}

/** A reply shown with control bytes escaped, for readable failures. */
export function show(b: Buffer): string {
  return JSON.stringify(b.toString('latin1'));
}

function describe(args: (string | Buffer)[]): string {
  return args.map((a) => (typeof a === 'string' ? a : `<${a.length} bytes>`)).join(' ').slice(0, 200);
}

/** A reply with every unordered collection sorted, for order-insensitive comparison. */
export function canonical(r: Reply): unknown {
  switch (r.type) {
    case 'array': case 'set': case 'push':
      return { type: r.type, items: r.value.map(canonical).map((x) => JSON.stringify(x)).sort() };
    case 'map':
      return { type: 'map', items: r.value.map(([k, v]) => JSON.stringify([canonical(k), canonical(v)])).sort() };
    case 'bulk': case 'verbatim':
      return { type: r.type, value: r.value.toString('latin1') };
    case 'integer':
      return { type: 'integer', value: r.value.toString() };
    default:
      return r;
  }
}

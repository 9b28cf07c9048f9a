import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createServer } from '../../src/index.js';
import { suiteServer } from '../helpers/suite-server.js';
import { RawClient } from '../helpers/raw-client.js';
import { decodeReply, encodeCommand } from '../helpers/resp.js';
import { runCli, type CliProcess } from '../helpers/cli-process.js';
import { freePort } from '../helpers/redis-server.js';

/**
 * The connection layer of lapse alone: how replies are written, closing, backpressure,
 * server close, maxclients. (Byte-for-byte protocol behaviour against Redis is in
 * test/compat/protocol.test.ts.)
 */

const lapse = suiteServer();

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Reads n replies from the client and returns their total byte length. */
async function readReplies(c: RawClient, n: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) out.push(await c.readReplyBytes());
  return out;
}

describe('writes', () => {
  test('a pipelined batch is answered with one socket write per read', async () => {
    const c = await RawClient.connect(lapse.port);
    await c.call('SET', 'small', 'value');
    const reads = lapse.server.stats.totalReadsProcessed;
    const writes = lapse.server.stats.totalWritesProcessed;
    const batch = Buffer.concat(Array.from({ length: 1000 }, () => encodeCommand(['GET', 'small'])));
    c.write(batch);
    const replies = await readReplies(c, 1000);
    expect(replies.every((r) => r.toString() === '$5\r\nvalue\r\n')).toBe(true);
    const readCount = lapse.server.stats.totalReadsProcessed - reads;
    const writeCount = lapse.server.stats.totalWritesProcessed - writes;
    // 22 KB of requests arrive in one read or a few; each read is answered by one write.
    expect(readCount).toBeGreaterThanOrEqual(1);
    expect(writeCount).toBeLessThanOrEqual(readCount);
    expect(writeCount).toBeLessThanOrEqual(3);
    c.close();
  });

  test('a batch with large replies is written in slab-sized pieces, not per reply', async () => {
    const c = await RawClient.connect(lapse.port);
    await c.call('SET', 'kb', 'k'.repeat(1000));
    const reads = lapse.server.stats.totalReadsProcessed;
    const writes = lapse.server.stats.totalWritesProcessed;
    const outBytes = lapse.server.stats.netOutputBytes;
    c.write(Buffer.concat(Array.from({ length: 1000 }, () => encodeCommand(['GET', 'kb']))));
    await readReplies(c, 1000);
    const writeCount = lapse.server.stats.totalWritesProcessed - writes;
    const readCount = lapse.server.stats.totalReadsProcessed - reads;
    expect(lapse.server.stats.netOutputBytes - outBytes).toBe(1000 * 1009);
    // About 1 MB of replies: 16 pieces of 64 KiB, plus one per read for the rest.
    expect(writeCount).toBeLessThanOrEqual(Math.ceil((1000 * 1009) / 65536) + readCount);
    c.close();
  });
});

/** A script that keeps the server busy for `ms` by its own clock. */
const busyScript = (ms: number) =>
  `local t = redis.call('TIME') local s = t[1] * 1e6 + t[2] repeat local n = redis.call('TIME') until n[1] * 1e6 + n[2] - s >= ${ms * 1000} return 1`;

describe('the turn of the event loop (a server in its own process, so that this one can watch it)', () => {
  let cli: CliProcess | undefined;
  let port = 0;
  beforeAll(async () => {
    port = await freePort();
    cli = runCli(['--port', String(port), '--bind', '127.0.0.1', '--save', '']);
    await cli.waitFor(`Ready to accept connections on 127.0.0.1:${port}`);
  });
  afterAll(() => cli?.kill());

  test("a read's replies are written once every read of the turn has run (Redis's beforeSleep)", async () => {
    const a = await RawClient.connect(port);
    const b = await RawClient.connect(port);
    const c = await RawClient.connect(port);
    // Only a turn where a's read ran before b's shows it: a's INCR answers 1 then. The
    // order of two reads in one turn is the kernel's (in practice the order they came).
    let aFirst = 0;
    for (let attempt = 0; attempt < 10 && aFirst < 3; attempt++) {
      await a.call('DEL', 'turn:seq');
      // c keeps the server busy while a's and b's requests arrive: its next turn reads both.
      c.send('EVAL', busyScript(60), '0');
      await sleep(20);
      a.send('INCR', 'turn:seq');
      b.write(Buffer.concat([encodeCommand(['INCR', 'turn:seq']), encodeCommand(['EVAL', busyScript(150), '0'])]));
      expect((await c.readReplyBytes()).toString()).toBe(':1\r\n');
      const cAt = performance.now();
      const aReply = (await a.readReplyBytes()).toString();
      const aAfter = performance.now() - cAt;
      expect((await b.readReplyBytes()).toString()).not.toBe(aReply);
      expect((await b.readReplyBytes()).toString()).toBe(':1\r\n');
      if (aReply !== ':1\r\n') continue;
      aFirst++;
      // a's reply waited for b's 150 ms script, run in the same turn after a's INCR (unheld,
      // it would come within a few ms of c's). Measured from when this process read c's
      // reply, which can lag its arrival: 137.7 ms in a clean-clone CI run at stop 37.
      expect(aAfter).toBeGreaterThanOrEqual(100);
    }
    expect(aFirst).toBeGreaterThan(0);
    for (const x of [a, b, c]) x.close();
  });
});

describe('closing', () => {
  test('QUIT closes after its reply, and nothing after it runs', async () => {
    const c = await RawClient.connect(lapse.port);
    c.write('PING\r\nSET quitkey before\r\nQUIT\r\nSET quitkey after\r\nPING\r\n');
    await c.waitClosed();
    expect(c.pending().toString()).toBe('+PONG\r\n+OK\r\n+OK\r\n');
    const d = await RawClient.connect(lapse.port);
    expect((await d.call('GET', 'quitkey')).toString()).toBe('$6\r\nbefore\r\n');
    d.close();
  });

  test('a protocol error closes after the replies before it; other clients are unaffected', async () => {
    const other = await RawClient.connect(lapse.port);
    const c = await RawClient.connect(lapse.port);
    c.write('PING\r\n*1\r\n$x\r\nPING\r\n');
    await c.waitClosed();
    expect(c.pending().toString()).toBe("+PONG\r\n-ERR Protocol error: invalid bulk length\r\n");
    expect((await other.call('PING')).toString()).toBe('+PONG\r\n');
    other.close();
  });

  test('a client over client-query-buffer-limit is closed without a reply', async () => {
    const s = createServer({ port: 0, bind: '127.0.0.1', 'client-query-buffer-limit': '1mb' });
    const p = (await s.listen()).port;
    try {
      const c = await RawClient.connect(p);
      c.write('PING\r\n');
      await c.readReplyBytes();
      c.write('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n' + 'v'.repeat(2_000_000));
      await c.waitClosed();
      expect(c.pending().length).toBe(0);
      expect(s.clientCount).toBe(0);
    } finally {
      await s.close();
    }
  });
});

describe('clients that read late', () => {
  /** Reads from a paused raw socket until `total` bytes came; returns them. */
  function readAll(socket: net.Socket, total: number, timeoutMs = 15_000): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let received = 0;
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${received} of ${total} bytes received`)), timeoutMs);
      socket.on('data', (d: Buffer) => {
        chunks.push(d);
        received += d.length;
        if (received >= total) {
          clearTimeout(timer);
          resolve(Buffer.concat(chunks));
        }
      });
      socket.resume();
    });
  }

  async function clientLine(c: RawClient, match: (line: string) => boolean): Promise<string | undefined> {
    const list = decodeReply(await c.call('CLIENT', 'LIST'))!.reply;
    const text = list.type === 'bulk' ? list.value.toString('latin1') : '';
    return text.split('\n').find(match);
  }

  test('a client that writes its whole pipeline before reading gets every command run; its replies wait for it, counted in omem', async () => {
    const setup = await RawClient.connect(lapse.port);
    const value = 'v'.repeat(100_000);
    await setup.call('SET', 'big', value);
    const replySize = '$100000\r\n'.length + 100_000 + 2;
    const count = 500; // 50 MB of replies for 11 KB of requests
    const commandsBefore = lapse.server.stats.totalCommandsProcessed;

    const slow = net.connect(lapse.port, '127.0.0.1');
    await new Promise<void>((resolve) => slow.once('connect', () => resolve()));
    slow.pause(); // reads nothing until told
    slow.write(Buffer.concat([encodeCommand(['CLIENT', 'SETNAME', 'late']), ...Array.from({ length: count }, () => encodeCommand(['GET', 'big']))]));
    const until = Date.now() + 5000;
    while (lapse.server.stats.totalCommandsProcessed - commandsBefore < count + 1 && Date.now() < until) await sleep(20);
    // Every command ran although nothing was read (Redis too: it never stops reading a client).
    expect(lapse.server.stats.totalCommandsProcessed - commandsBefore).toBe(count + 1);

    // Its unsent replies are what CLIENT LIST shows (the kernel's socket buffers took some).
    const line = (await clientLine(setup, (l) => l.includes('name=late')))!;
    const omem = Number(/ omem=(\d+)/.exec(line)![1]);
    const totMem = Number(/ tot-mem=(\d+)/.exec(line)![1]);
    expect(omem).toBeGreaterThan(count * replySize - 16 * 1024 * 1024);
    expect(omem).toBeLessThanOrEqual(count * replySize);
    expect(totMem).toBeGreaterThan(omem);
    expect(totMem).toBeLessThan(omem + 64 * 1024);
    expect(line).toMatch(/ events=rw /);

    // Other clients keep being served meanwhile.
    expect((await setup.call('PING')).toString()).toBe('+PONG\r\n');

    // Once the client reads, every reply arrives, in order and intact.
    const received = await readAll(slow, '+OK\r\n'.length + count * replySize);
    expect(received.length).toBe('+OK\r\n'.length + count * replySize);
    const expected = Buffer.concat([Buffer.from('+OK\r\n'), ...Array.from({ length: count }, () => Buffer.from(`$100000\r\n${value}\r\n`))]);
    expect(received.equals(expected)).toBe(true);
    slow.destroy();
    setup.close();
  }, 20_000);

  test('small and large replies queued behind a full socket come out in order, byte for byte', async () => {
    const setup = await RawClient.connect(lapse.port);
    await setup.call('SET', 'large', 'L'.repeat(40_000));
    await setup.call('SET', 'mid', 'M'.repeat(5_000));
    await setup.call('SET', 'small', 's');
    const slow = net.connect(lapse.port, '127.0.0.1');
    await new Promise<void>((resolve) => slow.once('connect', () => resolve()));
    slow.pause();
    // Replies of 1 byte to 40 KB interleaved (blocks, views and copies in the queue),
    // written in many small writes so that each is its own read and its own batch.
    const keys = Array.from({ length: 3000 }, (_, i) => (i % 7 === 0 ? 'large' : i % 3 === 0 ? 'mid' : 'small'));
    const sizes = { large: 40_000, mid: 5_000, small: 1 } as Record<string, number>;
    for (let i = 0; i < keys.length; i += 50) {
      slow.write(Buffer.concat(keys.slice(i, i + 50).map((k) => encodeCommand(['GET', k]))));
      if (i % 500 === 0) await sleep(5);
    }
    const expected = Buffer.concat(keys.map((k) => Buffer.from(`$${sizes[k]}\r\n${(k === 'large' ? 'L' : k === 'mid' ? 'M' : 's').repeat(sizes[k]!)}\r\n`)));
    await sleep(300);
    const received = await readAll(slow, expected.length);
    expect(received.length).toBe(expected.length);
    expect(received.equals(expected)).toBe(true);
    slow.destroy();
    setup.close();
  }, 20_000);

  test('client-output-buffer-limit normal: a client that never reads is closed past the hard limit, with Redis\'s log line', async () => {
    const logged: string[] = [];
    const s = createServer({
      port: 0, bind: '127.0.0.1', 'client-output-buffer-limit': 'normal 8mb 0 0',
      logger: { log: (_level, line) => logged.push(line) },
    });
    const p = (await s.listen()).port;
    try {
      const setup = await RawClient.connect(p);
      await setup.call('SET', 'page', 'p'.repeat(16 * 1024));
      const greedy = net.connect(p, '127.0.0.1');
      await new Promise<void>((resolve) => greedy.once('connect', () => resolve()));
      greedy.pause();
      const closed = new Promise<void>((resolve) => greedy.on('close', () => resolve()));
      greedy.on('error', () => undefined);
      // 64 MB of replies asked for; the limit is 8 MB.
      greedy.write(Buffer.concat(Array.from({ length: 4096 }, () => encodeCommand(['GET', 'page']))));
      const until = Date.now() + 5000;
      while (!logged.some((l) => l.includes('overcoming of output buffer limits')) && Date.now() < until) await sleep(20);
      const line = logged.find((l) => l.includes('overcoming of output buffer limits'));
      expect(line).toMatch(/^Client id=\d+ addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+ .* flags=N .* omem=(\d+) .* cmd=get .* scheduled to be closed ASAP for overcoming of output buffer limits\.$/);
      expect(Number(/ omem=(\d+)/.exec(line!)![1])).toBeGreaterThanOrEqual(8 * 1024 * 1024);
      greedy.resume();
      await closed;
      expect(s.clientCount).toBe(1);
      expect((await setup.call('PING')).toString()).toBe('+PONG\r\n');
      setup.close();
    } finally {
      await s.close();
    }
  }, 20_000);

  test('a client that reads late and sends QUIT is closed after all its replies', async () => {
    const setup = await RawClient.connect(lapse.port);
    await setup.call('SET', 'big2', 'w'.repeat(100_000));
    const slow = net.connect(lapse.port, '127.0.0.1');
    await new Promise<void>((resolve) => slow.once('connect', () => resolve()));
    slow.pause();
    const n = 300;
    slow.write(Buffer.concat([...Array.from({ length: n }, () => encodeCommand(['GET', 'big2'])), encodeCommand(['QUIT'])]));
    await sleep(300);
    let received = 0;
    const closed = new Promise<void>((resolve) => slow.on('close', () => resolve()));
    slow.on('data', (d: Buffer) => (received += d.length));
    slow.resume();
    await closed;
    expect(received).toBe(n * ('$100000\r\n'.length + 100_000 + 2) + '+OK\r\n'.length);
    setup.close();
  }, 20_000);
});

describe('server', () => {
  test('close() closes every client, stops listening and frees the connections', async () => {
    const s = createServer({ port: 0, bind: '127.0.0.1' });
    const p = (await s.listen()).port;
    const idle = await RawClient.connect(p);
    const partial = await RawClient.connect(p);
    partial.write('*2\r\n$4\r\nECHO\r\n$100\r\nabc');
    // A client whose replies wait unsent (it reads nothing): close() drops them.
    const late = net.connect(p, '127.0.0.1');
    await new Promise<void>((resolve) => late.once('connect', () => resolve()));
    late.pause();
    await idle.call('SET', 'big', 'b'.repeat(100_000));
    late.write(Buffer.concat(Array.from({ length: 500 }, () => encodeCommand(['GET', 'big']))));
    const lateClosed = new Promise<void>((resolve) => late.on('close', () => resolve()));
    await sleep(200);
    expect(s.clientCount).toBe(3);
    await s.close();
    expect(s.clientCount).toBe(0);
    await idle.waitClosed();
    await partial.waitClosed();
    late.resume();
    await lateClosed;
    await expect(RawClient.connect(p)).rejects.toThrow(/ECONNREFUSED/);
    await s.close(); // idempotent
  });

  test('maxclients rejects the extra client with Redis\'s error', async () => {
    const s = createServer({ port: 0, bind: '127.0.0.1', maxclients: 2 });
    const p = (await s.listen()).port;
    try {
      const a = await RawClient.connect(p);
      const b = await RawClient.connect(p);
      expect((await a.call('PING')).toString()).toBe('+PONG\r\n');
      expect((await b.call('PING')).toString()).toBe('+PONG\r\n');
      const c = await RawClient.connect(p);
      await c.waitClosed();
      expect(c.pending().toString()).toBe('-ERR max number of clients reached\r\n');
      expect(s.stats.rejectedConnections).toBe(1);
      // As in Redis, a rejected connection is not counted as received.
      expect(s.stats.totalConnectionsReceived).toBe(2);
      // A rejected client that had already sent a command is closed too, not left
      // half-open (which kept close() waiting).
      const e = await RawClient.connect(p);
      e.write('PING\r\n');
      await e.waitClosed();
      expect(e.pending().toString()).toBe('-ERR max number of clients reached\r\n');
      a.close();
      await sleep(50);
      const d = await RawClient.connect(p);
      expect((await d.call('PING')).toString()).toBe('+PONG\r\n');
      b.close();
      d.close();
      const closed = await Promise.race([s.close().then(() => 'closed'), sleep(3000).then(() => 'still waiting')]);
      expect(closed).toBe('closed');
    } finally {
      void s.close();
    }
  });
});

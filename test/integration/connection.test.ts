import net from 'node:net';
import { describe, expect, test } from 'vitest';
import { createServer } from '../../src/index.js';
import { suiteServer } from '../helpers/suite-server.js';
import { RawClient } from '../helpers/raw-client.js';
import { decodeReply, encodeCommand } from '../helpers/resp.js';

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

describe('backpressure', () => {
  test('a client that pipelines without reading does not grow the server without bound', async () => {
    const setup = await RawClient.connect(lapse.port);
    const value = 'v'.repeat(100_000);
    await setup.call('SET', 'big', value);
    const replySize = '$100000\r\n'.length + 100_000 + 2;
    const count = 2000; // 200 MB of replies for 44 KB of requests
    const commandsBefore = lapse.server.stats.totalCommandsProcessed;
    global.gc?.();
    const before = process.memoryUsage();

    const slow = net.connect(lapse.port, '127.0.0.1');
    await new Promise<void>((resolve) => slow.once('connect', () => resolve()));
    slow.pause(); // never read until told
    slow.write(Buffer.concat(Array.from({ length: count }, () => encodeCommand(['GET', 'big']))));
    await sleep(800);

    // The server stopped executing once the socket was full ...
    const executed = lapse.server.stats.totalCommandsProcessed - commandsBefore;
    expect(executed).toBeLessThan(count);
    // ... so it holds a few MB at most (kernel buffers aside), not 200 MB.
    const during = process.memoryUsage();
    expect(during.arrayBuffers - before.arrayBuffers).toBeLessThan(40 * 1024 * 1024);
    expect(during.rss - before.rss).toBeLessThan(100 * 1024 * 1024);

    // Other clients keep being served meanwhile.
    expect((await setup.call('PING')).toString()).toBe('+PONG\r\n');
    expect((await setup.call('GET', 'missing')).toString()).toBe('$-1\r\n');

    // Once the client reads, every reply arrives, in order and intact.
    let received = 0;
    let checked: Buffer = Buffer.alloc(0);
    let good = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${received} bytes received`)), 15_000);
      slow.on('data', (d: Buffer) => {
        received += d.length;
        checked = checked.length === 0 ? d : Buffer.concat([checked, d]);
        for (;;) {
          const r = decodeReply(checked);
          if (!r) break;
          if (r.reply.type === 'bulk' && r.reply.value.length === 100_000 && r.reply.value[99_999] === 0x76) good++;
          checked = checked.subarray(r.end);
        }
        if (received >= count * replySize) {
          clearTimeout(timer);
          resolve();
        }
      });
      slow.resume();
    });
    expect(received).toBe(count * replySize);
    expect(good).toBe(count);
    expect(lapse.server.stats.totalCommandsProcessed - commandsBefore).toBe(count + 2);
    slow.destroy();
    setup.close();
  }, 20_000);

  test('a blocked client that sends QUIT is closed after its replies', async () => {
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
    const blocked = net.connect(p, '127.0.0.1');
    await new Promise<void>((resolve) => blocked.once('connect', () => resolve()));
    blocked.pause();
    await idle.call('SET', 'big', 'b'.repeat(100_000));
    blocked.write(Buffer.concat(Array.from({ length: 500 }, () => encodeCommand(['GET', 'big']))));
    const blockedClosed = new Promise<void>((resolve) => blocked.on('close', () => resolve()));
    await sleep(200);
    expect(s.clientCount).toBe(3);
    await s.close();
    expect(s.clientCount).toBe(0);
    await idle.waitClosed();
    await partial.waitClosed();
    blocked.resume();
    await blockedClosed;
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

import net from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { Redis } from 'ioredis';
import { createServer, type LapseServer } from '../../src/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { startRedis, type ReferenceRedis } from '../helpers/redis-server.js';
import { ScratchDirs, eventually, info, waitInSync } from '../helpers/replication.js';

/**
 * Replicas that misbehave, against lapse as a primary: one that vanishes in the middle of
 * its full sync, one that stops reading the stream (cut off by client-output-buffer-limit
 * replica), one that stops acknowledging (repl-timeout). Every time the others keep being
 * served and a healthy replica still gets the whole dataset afterwards.
 */

const servers: LapseServer[] = [];
const redises: ReferenceRedis[] = [];
const clients: Redis[] = [];
const raws: RawClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  for (const c of raws.splice(0)) c.close();
  for (const r of redises.splice(0)) await r.stop();
  for (const s of servers.splice(0)) await s.close();
  scratch.removeAll();
});
const scratch = new ScratchDirs();

async function primary(options: Record<string, unknown>): Promise<{ server: LapseServer; port: number; client: Redis; logs: string[] }> {
  const logs: string[] = [];
  const server = createServer({
    port: 0,
    bind: '127.0.0.1',
    'repl-diskless-sync-delay': 0,
    dir: scratch.make(),
    logger: { log: (_level: string, message: string) => logs.push(message) },
    ...options,
  });
  servers.push(server);
  const { port } = await server.listen();
  const password = typeof options.requirepass === 'string' ? options.requirepass : undefined;
  const client = new Redis({ port, host: '127.0.0.1', password });
  clients.push(client);
  return { server, port, client, logs };
}

async function raw(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  raws.push(c);
  return c;
}

/** A hand-made replica: REPLCONF capa eof, PSYNC ? -1; returns once +FULLRESYNC came. */
async function handmadeReplica(port: number): Promise<RawClient> {
  const c = await raw(port);
  expect((await c.call('REPLCONF', 'capa', 'eof')).toString()).toBe('+OK\r\n');
  c.send('PSYNC', '?', '-1');
  expect((await c.readReplyBytes()).toString()).toMatch(/^\+FULLRESYNC [0-9a-f]{40} \d+\r\n$/);
  return c;
}

/** Waits until the whole EOF-framed RDB arrived (`$EOF:<mark>\r\n` ... `<mark>`). */
async function receiveRdb(c: RawClient): Promise<void> {
  await eventually(() => {
    const text = c.pending().toString('latin1');
    const m = /^\$EOF:([0-9a-f]{40})\r\n/.exec(text);
    return m !== null && text.length > m[0].length + 40 && text.endsWith(m[1]!);
  }, 'the RDB');
}

async function fill(c: Redis, keys: number): Promise<void> {
  for (let i = 0; i < keys; i += 1000) {
    const p = c.pipeline();
    for (let j = i; j < Math.min(keys, i + 1000); j++) p.set(`sess:${j}`, `{"user":${j},"pad":"${'p'.repeat(400)}"}`, 'EX', 3600);
    await p.exec();
  }
}

describe('the stream around the end of a full sync', () => {
  test('writes made the moment the RDB has arrived reach the replica in order (disk-based sync, 20 times)', async () => {
    const { port, client } = await primary({ 'repl-diskless-sync': 'no' });
    const writer = await raw(port);
    for (let round = 0; round < 20; round++) {
      await client.set('k', 'v', 'EX', 100);
      // A replica that, as Redis's test helper, writes the moment the whole RDB is read:
      // one command after the other, each after the previous reply (different turns).
      let received = Buffer.alloc(0);
      let rdbEnd = -1;
      let writing: Promise<unknown> | null = null;
      const replica = net.connect(port, '127.0.0.1');
      replica.on('data', (d: Buffer) => {
        received = Buffer.concat([received, d]);
        if (rdbEnd >= 0) return;
        const header = /^\n*\$(\d+)\r\n/.exec(received.toString('latin1'));
        if (header === null || received.length < header[0].length + Number(header[1])) return;
        rdbEnd = header[0].length + Number(header[1]);
        writing = (async () => {
          await writer.call('SET', `r${round}`, 'a', 'EX', '100');
          await writer.call('PERSIST', `r${round}`);
          await writer.call('DEL', `r${round}`);
        })();
      });
      replica.write('SYNC\r\n');
      await eventually(() => writing !== null, 'the RDB');
      await writing;
      await eventually(() => received.toString('latin1').includes('DEL'), 'the stream');
      const stream = received.toString('latin1').slice(rdbEnd);
      const names = [...stream.matchAll(/\*\d+\r\n\$\d+\r\n([A-Za-z]+)\r\n/g)].map((m) => m[1]!.toUpperCase());
      expect(names.filter((n) => n !== 'PING' && n !== 'SELECT'), `round ${round}`).toEqual(['SET', 'PERSIST', 'DEL']);
      replica.destroy();
    }
  });
});

describe('replicas that misbehave', () => {
  test('a replica that vanishes mid-sync: the snapshot stops, clients are served, the next replica syncs', async () => {
    // 100,000 keys (about 45 MB of RDB, uncompressed: more than the sockets' buffers hold),
    // 100 per event-loop turn, to a replica that stops reading after the first bytes: the
    // sync waits for it, and it goes.
    const { server, port, client, logs } = await primary({ snapshotTuning: { keysPerTurn: 100 }, rdbcompression: 'no', 'enable-debug-command': 'yes' });
    await fill(client, 100_000);
    const vanishing = await handmadeReplica(port);
    await eventually(() => vanishing.pending().length > 1000, 'the first RDB bytes');
    vanishing.pause();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(server.persistence.bgsaveInProgress, `a save in progress; ${logs.join('; ')}`).toBe(true);
    vanishing.close();
    expect(await client.ping()).toBe('PONG');
    await eventually(() => !server.persistence.bgsaveInProgress, 'the snapshot to stop');
    expect(logs, logs.join('; ')).toContain('Diskless rdb transfer, last replica dropped, killing fork child.');
    expect((await info(client)).connected_slaves).toBe('0');
    // Writes went on meanwhile; a real replica now gets everything.
    await client.set('after', 'vanish');
    const redis = await startRedis(['--replicaof', '127.0.0.1', String(port), '--enable-debug-command', 'yes']);
    redises.push(redis);
    const replica = new Redis({ port: redis.port, host: '127.0.0.1' });
    clients.push(replica);
    await waitInSync(client, replica, 60_000);
    expect(await replica.dbsize()).toBe(100_001);
    expect(await replica.get('sess:99999')).toBe(await client.get('sess:99999'));
    // Every key and value (Redis's digest on both sides).
    expect(await replica.call('DEBUG', 'DIGEST')).toBe(await client.call('DEBUG', 'DIGEST'));
  });

  test('a replica that stops reading is cut off by client-output-buffer-limit replica; others are served', async () => {
    const { port, client, logs } = await primary({ 'client-output-buffer-limit': 'replica 256kb 0 0' });
    await client.set('k', 'v');
    const stuck = await handmadeReplica(port);
    await receiveRdb(stuck);
    stuck.send('REPLCONF', 'ACK', '0');
    await eventually(async () => (await info(client)).slave0?.includes('state=online') ?? false, 'the replica online');
    stuck.pause();
    // Megabytes of stream it does not read: the socket's buffers fill, then the limit cuts it off.
    const big = 'b'.repeat(100_000);
    for (let i = 0; i < 200 && (await info(client)).connected_slaves !== '0'; i++) await client.set(`big:${i % 10}`, big);
    expect((await info(client)).connected_slaves).toBe('0');
    expect(logs.some((l) => /^Client id=\d+ addr=.* flags=S .* scheduled to be closed ASAP for overcoming of output buffer limits\.$/.test(l))).toBe(true);
    expect(await client.ping()).toBe('PONG');
    expect(await client.get('k')).toBe('v');
  });

  test('a replica that stops acknowledging is dropped after repl-timeout', async () => {
    const { port, client, logs } = await primary({ 'repl-timeout': 1 });
    const silent = await handmadeReplica(port);
    await receiveRdb(silent);
    silent.send('REPLCONF', 'ACK', '0');
    await eventually(async () => (await info(client)).connected_slaves === '1', 'the replica attached');
    await eventually(async () => (await info(client)).connected_slaves === '0', 'the timeout', 6000);
    expect(logs.some((l) => l.startsWith('Disconnecting timedout replica (streaming sync): 127.0.0.1:'))).toBe(true);
    await silent.waitClosed();
  });

  test('a primary with a password: a replica with masterauth syncs, one without is refused', async () => {
    const { port, client } = await primary({ requirepass: 's3cret' });
    await client.set('k', 'v');
    const noauth = await raw(port);
    expect((await noauth.call('PSYNC', '?', '-1')).toString()).toBe('-NOAUTH Authentication required.\r\n');
    const redis = await startRedis(['--replicaof', '127.0.0.1', String(port), '--masterauth', 's3cret']);
    redises.push(redis);
    const replica = new Redis({ port: redis.port, host: '127.0.0.1' });
    clients.push(replica);
    await waitInSync(client, replica);
    expect(await replica.get('k')).toBe('v');
  });
});

import fs from 'node:fs';
import net from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { Redis } from 'ioredis';
import { createServer, type LapseServer } from '../../src/index.js';
import { startRedis, type ReferenceRedis } from '../helpers/redis-server.js';
import { ScratchDirs, datasetDifferences, eventually, info, readDataset, waitInSync } from '../helpers/replication.js';

/**
 * lapse as a replica: of a real redis-server 7.0 (full sync, the write stream, expiry
 * driven by the primary, read-only, partial resync, promotion), of lapse itself (chained,
 * promotion with replid2 so the others continue partially), and of primaries that fail it
 * (a corrupt or truncated RDB, a wrong masterauth): the replica keeps its data and retries.
 */

const servers: LapseServer[] = [];
const redises: ReferenceRedis[] = [];
const clients: Redis[] = [];
const fakes: net.Server[] = [];
const scratch = new ScratchDirs();

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  for (const s of servers.splice(0)) await s.close();
  for (const r of redises.splice(0)) await r.stop();
  for (const f of fakes.splice(0)) await new Promise((resolve) => f.close(resolve));
  scratch.removeAll();
});

function connect(port: number, password?: string): Redis {
  const c = new Redis({ port, host: '127.0.0.1', password, maxRetriesPerRequest: 1 });
  clients.push(c);
  return c;
}

async function lapse(options: Record<string, unknown> = {}): Promise<{ server: LapseServer; port: number; client: Redis; logs: string[] }> {
  const logs: string[] = [];
  const server = createServer({
    port: 0,
    bind: '127.0.0.1',
    dir: scratch.make(),
    'repl-diskless-sync-delay': 0,
    logger: { log: (_level: string, message: string) => logs.push(message) },
    ...options,
  });
  servers.push(server);
  const { port } = await server.listen();
  return { server, port, client: connect(port), logs };
}

async function redisPrimary(args: string[] = [], password?: string): Promise<{ redis: ReferenceRedis; client: Redis }> {
  const redis = await startRedis(['--repl-diskless-sync-delay', '0', ...args]);
  redises.push(redis);
  return { redis, client: connect(redis.port, password) };
}

async function mixed(c: Redis): Promise<void> {
  const p = c.pipeline();
  p.set('str', 'v');
  p.set('sess:1', '{"u":1}', 'EX', 3600);
  for (let i = 0; i < 300; i++) p.hset('hash:big', `f${i}`, `v${i}`);
  p.rpush('list', 'a', 'b', 'c');
  p.sadd('set', '1', '2', 'x');
  p.zadd('zset', '1', 'a', '2.5', 'b');
  p.select(5);
  p.set('db5', 'five');
  p.select(0);
  await p.exec();
  await c.call('FUNCTION', 'LOAD', "#!lua name=lib\nredis.register_function('f', function() return 1 end)");
}

async function load(c: Redis): Promise<void> {
  await c.incrbyfloat('n', '2.5');
  await c.spop('set');
  await c.expire('str', 1000);
  await c.multi().set('tx', '1').select(5).incr('db5:n').select(0).exec();
  await c.eval("redis.call('set', KEYS[1], ARGV[1]) return redis.call('lpush', KEYS[2], ARGV[1])", 2, 'lua', 'list', 'from-lua');
  for (let i = 0; i < 10; i++) await c.set(`short:${i}`, 'x', 'PX', 30 + i);
  await new Promise((resolve) => setTimeout(resolve, 300));
}

async function sameData(primary: Redis, replica: Redis): Promise<void> {
  await waitInSync(primary, replica);
  expect(datasetDifferences(await readDataset(primary), await readDataset(replica))).toEqual([]);
  expect(await replica.call('FUNCTION', 'LIST')).toEqual(await primary.call('FUNCTION', 'LIST'));
}

describe('lapse as a replica of redis-server', () => {
  test('full sync, the stream, read-only, a partial resync after CLIENT KILL TYPE master, then promotion', async () => {
    const { redis, client: primary } = await redisPrimary();
    await mixed(primary);
    const { client: replica } = await lapse({ replicaof: `127.0.0.1 ${redis.port}` });
    await sameData(primary, replica);
    await load(primary);
    await sameData(primary, replica);
    expect(await replica.dbsize()).toBe(await primary.dbsize());

    await expect(replica.set('k', 'v')).rejects.toThrow("READONLY You can't write against a read only replica.");
    await expect(replica.eval("return redis.call('set', 'k', 'v')", 0)).rejects.toThrow('READONLY');
    expect(await replica.call('ROLE')).toEqual(['slave', '127.0.0.1', redis.port, 'connected', expect.any(Number)]);
    const repl = await info(replica);
    expect(repl.role).toBe('slave');
    expect(repl.master_link_status).toBe('up');
    expect(repl.master_host).toBe('127.0.0.1');

    expect(await replica.call('CLIENT', 'KILL', 'TYPE', 'master')).toBe(1);
    await primary.set('after-kill', '1');
    await sameData(primary, replica);
    expect((await info(primary, 'stats')).sync_partial_ok).toBe('1');

    expect(await replica.call('REPLICAOF', 'NO', 'ONE')).toBe('OK');
    expect(await replica.set('k', 'writable')).toBe('OK');
    expect((await info(replica)).role).toBe('master');
    expect((await info(replica)).master_replid2).toBe((await info(primary)).master_replid);
  });

  test('disk-based full sync from redis-server, then its evictions reach the replica as DELs', async () => {
    const { redis, client: primary } = await redisPrimary(['--repl-diskless-sync', 'no']);
    await mixed(primary);
    const { client: replica, logs } = await lapse({ replicaof: `127.0.0.1 ${redis.port}` });
    await sameData(primary, replica);
    expect(logs.some((l) => /^MASTER <-> REPLICA sync: receiving \d+ bytes from master to disk$/.test(l))).toBe(true);
    await load(primary);
    // Evictions on the primary (volatile-ttl under a maxmemory just below what it uses).
    for (let i = 0; i < 50; i++) await primary.set(`evictable:${i}`, 'e'.repeat(2000), 'EX', 10 + i);
    const used = Number((await info(primary, 'memory')).used_memory);
    await primary.config('SET', 'maxmemory-policy', 'volatile-ttl');
    await primary.config('SET', 'maxmemory', String(used - 40_000));
    await primary.set('evict:trigger', 'x');
    await primary.config('SET', 'maxmemory', '0');
    expect(Number((await info(primary, 'stats')).evicted_keys)).toBeGreaterThan(0);
    await sameData(primary, replica);
    expect(await replica.dbsize()).toBe(await primary.dbsize());
  });

  test('repl-diskless-load swapdb and on-empty-db: the RDB read into memory, not through a file', async () => {
    const { redis, client: primary } = await redisPrimary();
    await mixed(primary);
    for (const mode of ['swapdb', 'on-empty-db']) {
      const { client: replica, logs, server } = await lapse({ 'repl-diskless-load': mode });
      await replica.call('REPLICAOF', '127.0.0.1', String(redis.port));
      await sameData(primary, replica);
      expect(logs).toContain('MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to parser');
      // Nothing went through the replica's directory.
      expect(fs.readdirSync(server.config.string('dir')).filter((f) => f.endsWith('.rdb'))).toEqual([]);
    }
  });

  test('expiry is the primary\'s: a key past its deadline is hidden, and deleted by the primary\'s DEL', async () => {
    const { redis, client: primary } = await redisPrimary(['--enable-debug-command', 'yes']);
    await primary.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    const { client: replica } = await lapse({ replicaof: `127.0.0.1 ${redis.port}` });
    await primary.set('soon', 'v', 'PX', 100);
    await primary.set('stays', 'v');
    await waitInSync(primary, replica);
    await new Promise((resolve) => setTimeout(resolve, 250));
    // Past its deadline: invisible on the replica, but still there until the primary deletes it.
    expect(await replica.get('soon')).toBeNull();
    expect(await replica.exists('soon')).toBe(0);
    expect(await replica.keys('*')).toEqual(['stays']);
    expect(await replica.dbsize()).toBe(2);
    // The primary finds it expired on access and propagates the DEL.
    expect(await primary.get('soon')).toBeNull();
    await waitInSync(primary, replica);
    expect(await replica.dbsize()).toBe(1);
  });
});

describe('lapse replicating lapse', () => {
  test('chained replicas; the middle one promoted, the last continues partially; the old primary rejoins partially', async () => {
    const a = await lapse();
    await mixed(a.client);
    const b = await lapse({ replicaof: `127.0.0.1 ${a.port}` });
    const c = await lapse({ replicaof: `127.0.0.1 ${b.port}` });
    await sameData(a.client, b.client);
    await load(a.client);
    await sameData(a.client, b.client);
    await sameData(b.client, c.client);
    expect((await info(c.client)).master_replid).toBe((await info(a.client)).master_replid);

    // B becomes the primary: C reconnects and continues under B's new id; A follows B.
    const aReplid = (await info(a.client)).master_replid;
    expect(await b.client.call('REPLICAOF', 'NO', 'ONE')).toBe('OK');
    expect(await a.client.call('REPLICAOF', '127.0.0.1', String(b.port))).toBe('OK');
    await b.client.set('after-promotion', 'yes');
    await sameData(b.client, c.client);
    await sameData(b.client, a.client);
    const bInfo = await info(b.client);
    expect(bInfo.master_replid2).toBe(aReplid);
    expect(bInfo.connected_slaves).toBe('2');
    const stats = await info(b.client, 'stats');
    expect(stats.sync_full).toBe('1');
    expect(stats.sync_partial_ok).toBe('2');
    expect(b.logs.some((l) => l.startsWith('Partial resynchronization request from'))).toBe(true);
  });
});

describe('a replica switched to its promoted sibling while still connected (what Sentinel does)', () => {
  test('REPLICAOF to the promoted sibling continues partially from the shared history', async () => {
    const p = await lapse();
    await mixed(p.client);
    const r1 = await lapse({ replicaof: `127.0.0.1 ${p.port}` });
    const r2 = await lapse({ replicaof: `127.0.0.1 ${p.port}` });
    await load(p.client);
    await sameData(p.client, r1.client);
    await sameData(p.client, r2.client);
    expect(await r1.client.call('REPLICAOF', 'NO', 'ONE')).toBe('OK');
    expect(await r2.client.call('REPLICAOF', '127.0.0.1', String(r1.port))).toBe('OK');
    await r1.client.set('on-the-new-primary', '1');
    await sameData(r1.client, r2.client);
    const stats = await info(r1.client, 'stats');
    expect(stats.sync_full).toBe('0');
    expect(stats.sync_partial_ok).toBe('1');
  });
});

/**
 * A fake primary: answers the handshake, then +FULLRESYNC and `payload` as the RDB
 * (closing after it when `close`).
 */
async function fakePrimary(payload: Buffer, close: boolean): Promise<number> {
  const server = net.createServer((socket) => {
    let buf = '';
    socket.on('error', () => {});
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      for (;;) {
        const m = /^\*(\d+)\r\n/.exec(buf);
        if (m === null) return;
        const parts: string[] = [];
        let rest = buf.slice(m[0].length);
        for (let i = 0; i < Number(m[1]); i++) {
          const b = /^\$(\d+)\r\n/.exec(rest);
          if (b === null || rest.length < b[0].length + Number(b[1]) + 2) return;
          parts.push(rest.slice(b[0].length, b[0].length + Number(b[1])));
          rest = rest.slice(b[0].length + Number(b[1]) + 2);
        }
        buf = rest;
        const name = parts[0]!.toUpperCase();
        if (name === 'PING') socket.write('+PONG\r\n');
        else if (name === 'REPLCONF') socket.write('+OK\r\n');
        else if (name === 'PSYNC') {
          socket.write(`+FULLRESYNC ${'a'.repeat(40)} 0\r\n`);
          socket.write(payload);
          if (close) socket.end();
        }
      }
    });
  });
  fakes.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

describe('a primary that fails its replica', () => {
  test.each(['disabled', 'swapdb'])('a corrupt RDB (repl-diskless-load %s): refused with a log line, the old data kept, retried', async (mode) => {
    const garbage = Buffer.from('REDIS0010' + 'x'.repeat(40), 'latin1');
    const port = await fakePrimary(Buffer.concat([Buffer.from(`$${garbage.length}\r\n`), garbage]), false);
    const { client, logs } = await lapse({ 'repl-diskless-load': mode });
    await client.set('mine', 'kept');
    expect(await client.call('REPLICAOF', '127.0.0.1', String(port))).toBe('OK');
    await eventually(() => logs.some((l) => l.startsWith('Failed trying to load the MASTER synchronization DB from')), 'the refusal');
    expect(await client.get('mine')).toBe('kept');
    expect((await info(client)).master_link_status).toBe('down');
    // And it tries again.
    await eventually(() => logs.filter((l) => l.startsWith('Failed trying to load the MASTER')).length >= 2, 'a retry', 5000);
    expect(await client.get('mine')).toBe('kept');
  });

  test('a truncated RDB (the primary goes mid-transfer): the old data kept', async () => {
    const port = await fakePrimary(Buffer.from(`$100000\r\nREDIS0010${'y'.repeat(500)}`, 'latin1'), true);
    const { client, logs } = await lapse();
    await client.set('mine', 'kept');
    await client.call('REPLICAOF', '127.0.0.1', String(port));
    await eventually(() => logs.some((l) => l === 'I/O error trying to sync with MASTER: connection lost'), 'the lost transfer');
    expect(await client.get('mine')).toBe('kept');
    expect(await client.dbsize()).toBe(1);
  });

  test('a wrong masterauth: refused, retried, and synced once it is right', async () => {
    const { redis, client: primary } = await redisPrimary(['--requirepass', 'right'], 'right');
    await primary.set('k', 'v');
    const { client, logs } = await lapse({ masterauth: 'wrong' });
    await client.call('REPLICAOF', '127.0.0.1', String(redis.port));
    await eventually(() => logs.some((l) => l.startsWith('Unable to AUTH to MASTER: ')), 'the AUTH refusal');
    expect((await info(client)).master_link_status).toBe('down');
    await client.config('SET', 'masterauth', 'right');
    await waitInSync(primary, client);
    expect(await client.get('k')).toBe('v');
  });
});

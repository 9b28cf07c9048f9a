import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { Redis } from 'ioredis';
import { createServer, type LapseServer } from '../../src/index.js';
import { startRedis, type ReferenceRedis } from '../helpers/redis-server.js';
import { ScratchDirs, datasetDifferences, eventually, info, readDataset, waitInSync } from '../helpers/replication.js';

/**
 * lapse as a primary, with real redis-server 7.0 processes as its replicas (started with
 * --replicaof): full sync diskless and from disk of a mixed dataset, then a write load
 * (expiries, evictions, MULTI, scripts, functions, SPOP, INCRBYFLOAT ...), the replica's
 * data compared with lapse's key by key; a partial resync after the link is cut; a
 * backlog too small for the gap; WAIT; ROLE and INFO with replicas.
 */

const servers: LapseServer[] = [];
const redises: ReferenceRedis[] = [];
const clients: Redis[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  for (const r of redises.splice(0)) await r.stop();
  for (const s of servers.splice(0)) await s.close();
  scratch.removeAll();
});
const scratch = new ScratchDirs();

async function primary(options: Record<string, unknown> = {}): Promise<{ server: LapseServer; port: number; client: Redis }> {
  const server = createServer({ port: 0, bind: '127.0.0.1', 'repl-diskless-sync-delay': 0, dir: scratch.make(), ...options });
  servers.push(server);
  const { port } = await server.listen();
  return { server, port, client: connect(port) };
}

function connect(port: number): Redis {
  const c = new Redis({ port, host: '127.0.0.1', lazyConnect: false, maxRetriesPerRequest: 1 });
  clients.push(c);
  return c;
}

async function replicaOf(port: number, extra: string[] = []): Promise<{ redis: ReferenceRedis; client: Redis }> {
  const redis = await startRedis(['--replicaof', '127.0.0.1', String(port), ...extra]);
  redises.push(redis);
  return { redis, client: connect(redis.port) };
}

const LIBRARY = "#!lua name=sessions\nredis.register_function('touch', function(keys, args) return redis.call('expire', keys[1], args[1]) end)";

/** Strings, hashes, lists, sets, sorted sets in compact and large encodings, TTLs, three databases, a library. */
async function mixedDataset(c: Redis): Promise<void> {
  const p = c.pipeline();
  p.set('str:int', '12345');
  p.set('str:raw', 'hello world');
  p.set('str:long', 'x'.repeat(5000));
  p.set('sess:ttl', '{"user":1}', 'EX', 3600);
  p.set('sess:pttl', '{"user":2}', 'PX', 7_200_000);
  p.hset('hash:small', 'a', '1', 'b', '2');
  for (let i = 0; i < 300; i++) p.hset('hash:big', `field${i}`, `value${i}`);
  p.expire('hash:big', 5000);
  p.rpush('list:small', 'a', 'b', 'c');
  for (let i = 0; i < 50; i++) p.rpush('list:big', ...Array.from({ length: 40 }, (_, j) => `item-${i}-${j}`));
  p.sadd('set:ints', '1', '2', '3', '42');
  p.sadd('set:strs', 'alpha', 'beta', 'gamma');
  for (let i = 0; i < 200; i++) p.sadd('set:big', `member${i}`);
  p.zadd('zset:small', '1', 'one', '2', 'two', '2.5', 'two-and-half');
  for (let i = 0; i < 300; i++) p.zadd('zset:big', String(i * 1.5), `m${i}`);
  p.select(3);
  p.set('db3:key', 'three');
  p.hset('db3:hash', 'f', 'v');
  p.select(15);
  p.sadd('db15:set', 'x', 'y');
  p.select(0);
  await p.exec();
  await c.call('FUNCTION', 'LOAD', LIBRARY);
}

/** Writes whose propagated form differs from what was sent, and the server's own deletions. */
async function writeLoad(c: Redis): Promise<void> {
  await c.set('load:ex', 'v', 'EX', 1000);
  await c.setex('load:setex', 500, 'v');
  await c.incrbyfloat('str:int', '1.5');
  await c.hincrbyfloat('hash:small', 'a', '0.25');
  await c.spop('set:big', 3);
  await c.spop('set:strs');
  await c.expire('str:raw', 2000);
  await c.pexpireat('list:small', Date.now() + 900_000);
  await c.persist('sess:pttl');
  await c.getex('str:long', 'EX', 777);
  await c.getdel('load:setex');
  await c.lpush('list:big', 'new-head');
  await c.rpop('list:big', 5);
  await c.zpopmin('zset:big', 4);
  await c.zincrby('zset:small', 10, 'one');
  await c.multi().set('tx:a', '1').incr('tx:a').select(3).set('db3:tx', 'in-tx').select(0).exec();
  await c.eval("redis.call('set', KEYS[1], ARGV[1]); redis.call('incr', KEYS[2]); return redis.call('spop', KEYS[3])", 3, 'lua:a', 'lua:n', 'set:ints', 'from-lua');
  await c.call('FCALL', 'touch', '1', 'str:int', '9000');
  // Keys that expire here: the replica sees their DELs.
  for (let i = 0; i < 20; i++) await c.set(`short:${i}`, 'gone soon', 'PX', 50 + i);
  await c.select(15);
  await c.flushdb();
  await c.set('db15:after-flush', 'v');
  await c.select(0);
  await c.swapdb(3, 4);
  await new Promise((resolve) => setTimeout(resolve, 400));
}

/** Evicts a few keys: maxmemory just under what is used (volatile-ttl picks keys with TTLs), then back. */
async function evictSome(server: LapseServer, c: Redis): Promise<void> {
  for (let i = 0; i < 50; i++) await c.set(`evictable:${i}`, 'e'.repeat(2000), 'EX', 10 + i);
  const used = Number((await info(c, 'memory')).used_memory);
  await c.config('SET', 'maxmemory-policy', 'volatile-ttl');
  await c.config('SET', 'maxmemory', String(used - 40_000));
  await c.set('evict:trigger', 'x');
  await c.config('SET', 'maxmemory', '0');
  expect(server.keyspace.stats.evictedKeys).toBeGreaterThan(0);
}

async function expectSameData(lapse: Redis, replica: Redis): Promise<void> {
  await waitInSync(lapse, replica);
  const [a, b] = [await readDataset(lapse), await readDataset(replica)];
  expect(datasetDifferences(a, b)).toEqual([]);
  expect(Object.keys(a[0] ?? {}).length).toBeGreaterThan(10);
  expect(await replica.call('FUNCTION', 'LIST')).toEqual(await lapse.call('FUNCTION', 'LIST'));
}

describe('a redis-server replica of lapse', () => {
  test('diskless full sync, a write load with expiries, evictions, MULTI and scripts, then a partial resync', async () => {
    const { server, port, client: lapse } = await primary();
    await mixedDataset(lapse);
    const { client: replica } = await replicaOf(port);
    await expectSameData(lapse, replica);
    const afterSync = await info(lapse, 'stats');
    expect(afterSync.sync_full).toBe('1');

    await writeLoad(lapse);
    await evictSome(server, lapse);
    await expectSameData(lapse, replica);
    // The expired keys are gone on the replica too (deleted by the stream's DELs, not hidden).
    expect(await replica.call('DBSIZE')).toBe(await lapse.call('DBSIZE'));

    // The link is cut; lapse goes on writing; the replica continues from its offset.
    await replica.call('CLIENT', 'KILL', 'TYPE', 'master');
    for (let i = 0; i < 100; i++) await lapse.set(`after-cut:${i}`, String(i), 'EX', 3000);
    await lapse.eval("redis.call('del', KEYS[1]) return redis.call('hset', KEYS[2], 'f', ARGV[1])", 2, 'str:raw', 'h:after', 'x');
    await expectSameData(lapse, replica);
    const stats = await info(lapse, 'stats');
    expect(stats.sync_partial_ok).toBe('1');
    expect(stats.sync_full).toBe('1');
    expect((await info(replica)).master_replid).toBe((await info(lapse)).master_replid);
  });

  test('disk-based full sync ($length framing from the RDB file), two replicas', async () => {
    const { port, client: lapse } = await primary({ 'repl-diskless-sync': 'no' });
    await mixedDataset(lapse);
    const first = await replicaOf(port);
    const second = await replicaOf(port);
    await expectSameData(lapse, first.client);
    await expectSameData(lapse, second.client);
    await writeLoad(lapse);
    await expectSameData(lapse, first.client);
    await expectSameData(lapse, second.client);
    const repl = await info(lapse);
    expect(repl.connected_slaves).toBe('2');
    expect(repl.slave0).toMatch(/^ip=127\.0\.0\.1,port=\d+,state=online,offset=\d+,lag=\d+$/);
    expect(repl.slave1).toMatch(/^ip=127\.0\.0\.1,port=\d+,state=online,offset=\d+,lag=\d+$/);
    const ports = [first.redis.port, second.redis.port].map(String).sort();
    expect([/port=(\d+)/.exec(repl.slave0!)![1], /port=(\d+)/.exec(repl.slave1!)![1]].sort()).toEqual(ports);
  });

  test('a backlog too small for the gap: a full resync instead of a partial one', async () => {
    const { port, client: lapse } = await primary({ 'repl-backlog-size': '16kb' });
    await lapse.set('before', '1');
    const { client: replica } = await replicaOf(port);
    await expectSameDataSmall(lapse, replica);
    await replica.call('CONFIG', 'SET', 'replica-read-only', 'yes');
    await replica.call('CLIENT', 'KILL', 'TYPE', 'master');
    // Written while the replica reconnects: more than 16 KB of stream.
    await lapse.set('big-gap', 'g'.repeat(40_000));
    await lapse.set('big-gap2', 'g'.repeat(40_000));
    await waitInSync(lapse, replica);
    expect(await replica.get('big-gap2')).toBe('g'.repeat(40_000));
    const stats = await info(lapse, 'stats');
    // Either the replica came back after the gap (full resync, partial refused) or before it (partial).
    expect(Number(stats.sync_full) + Number(stats.sync_partial_ok)).toBe(2);
    if (stats.sync_full === '2') expect(stats.sync_partial_err).toBe('1');
  });

  test('WAIT counts the replicas that acknowledged the client\'s writes; ROLE lists them', async () => {
    const { port, client: lapse } = await primary();
    const { redis, client: replica } = await replicaOf(port);
    await waitInSync(lapse, replica);
    await lapse.set('w', '1');
    expect(await lapse.call('WAIT', '1', '2000')).toBe(1);
    const started = Date.now();
    expect(await lapse.call('WAIT', '2', '300')).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    const [tx] = (await lapse.multi().call('WAIT', '5', '0').exec())!;
    expect(tx![1]).toBe(1);
    await eventually(async () => {
      const role = (await lapse.call('ROLE')) as [string, number, [string, string, string][]];
      return role[2].length === 1 && role[2][0]![1] === String(redis.port) && Number(role[2][0]![2]) === role[1];
    }, 'ROLE with the replica at the primary offset');
    // A client without writes has nothing to wait for.
    const other = connect(port);
    expect(await other.call('WAIT', '1', '0')).toBe(1);
  });

  test('min-replicas-to-write: writes refused while too few replicas are in sync', async () => {
    const { port, client: lapse } = await primary({ 'min-replicas-to-write': 1, 'min-replicas-max-lag': 10 });
    await expect(lapse.set('k', 'v')).rejects.toThrow('NOREPLICAS Not enough good replicas to write.');
    expect(await lapse.get('k')).toBeNull();
    const { client: replica } = await replicaOf(port);
    await eventually(async () => (await info(lapse)).min_slaves_good_slaves === '1', 'a good replica');
    expect(await lapse.set('k', 'v')).toBe('OK');
    await waitInSync(lapse, replica);
    expect(await replica.get('k')).toBe('v');
  });
});

async function expectSameDataSmall(lapse: Redis, replica: Redis): Promise<void> {
  await waitInSync(lapse, replica);
  expect(datasetDifferences(await readDataset(lapse, 1), await readDataset(replica, 1))).toEqual([]);
}

afterAll(async () => {
  for (const r of redises.splice(0)) await r.stop();
});

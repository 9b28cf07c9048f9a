import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { createServer, type LapseServer } from '../../src/index.js';
import { startRedis } from '../../test/helpers/redis-server.js';
import { RawClient } from '../../test/helpers/raw-client.js';

/**
 * What the memory micro benchmarks (hash-, list-, set-, zset-memory.ts, memory-usage.ts)
 * share: loading a prepared RESP file into a fresh server with `redis-cli --pipe` and
 * measuring what it grew by (lapse: this process's V8 heap after full collections, so they
 * run with node --expose-gc, plus what it holds outside the heap for the data: footprint();
 * Redis: INFO used_memory).
 */

/** Sends the RESP commands in `file` to the server on `port` through `redis-cli --pipe`; fails on any error reply. */
export function pipe(port: number, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', ['-p', String(port), '--pipe'], { stdio: [fs.openSync(file, 'r'), 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 && /errors: 0,/.test(out) ? resolve() : reject(new Error(`redis-cli --pipe: ${out}`))));
  });
}

/** heapUsed after three full GCs (needs node --expose-gc). */
export function heap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

/**
 * What lapse holds for its data, as Redis's used_memory counts Redis's: heap() plus, outside
 * the V8 heap, the arrays of large collections (a table-form hash's arena, refs and index,
 * a large set's or sorted set's member index: counted by the keyspace's BufferCount, whose
 * FinalizationRegistry gets a turn to drop the collected ones first) and the databases'
 * stores (the keys' columns and table, the slab segments holding their records). (Until
 * stop 35 the micros read the heap alone: a sorted set's member index, a large set's
 * members and every key's own bytes were missing from lapse's figure.)
 */
export async function footprint(server: LapseServer): Promise<number> {
  heap();
  await new Promise((resolve) => setTimeout(resolve, 20));
  return heap() + server.keyspace.hashEncoding.arenas!.bytes + server.keyspace.heldBytes;
}

/** What a load measured: bytes grown, seconds the load took, and what `inspect` read afterwards. */
export interface Loaded<T> {
  bytes: number;
  seconds: number;
  result: T;
}

/**
 * Loads `file` into a fresh in-process lapse server and measures this process's heap
 * growth (after full GCs); `inspect` reads what it needs (a client on the server, and the
 * server itself) before the server is closed.
 */
export async function loadIntoLapse<T>(file: string, inspect: (c: RawClient, server: LapseServer) => Promise<T>): Promise<Loaded<T>> {
  const server = createServer({ port: 0, bind: '127.0.0.1' });
  const { port } = await server.listen();
  const c = await RawClient.connect(port);
  try {
    await c.call('PING');
    const before = await footprint(server);
    const t0 = performance.now();
    await pipe(port, file);
    const seconds = (performance.now() - t0) / 1000;
    await c.call('PING');
    const bytes = (await footprint(server)) - before;
    return { bytes, seconds, result: await inspect(c, server) };
  } finally {
    c.close();
    await server.close();
  }
}

/** The same for a fresh redis-server 7.0: the growth of its INFO used_memory. */
export async function loadIntoRedis<T>(file: string, inspect: (c: RawClient) => Promise<T>): Promise<Loaded<T>> {
  const redis = await startRedis();
  try {
    const c = await RawClient.connect(redis.port);
    try {
      const used = async (): Promise<number> => Number(/used_memory:(\d+)/.exec((await c.call('INFO', 'memory')).toString())![1]);
      const before = await used();
      const t0 = performance.now();
      await pipe(redis.port, file);
      const seconds = (performance.now() - t0) / 1000;
      const bytes = (await used()) - before;
      return { bytes, seconds, result: await inspect(c) };
    } finally {
      c.close();
    }
  } finally {
    await redis.stop();
  }
}

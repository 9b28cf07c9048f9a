/**
 * Memory per member of one large set: lapse against redis-server 7.0, the same data
 * loaded the same way (redis-cli --pipe, SADD of 1000 members per command) and measured
 * the same way (heap or used_memory after minus before).
 *
 *   node --expose-gc --import tsx bench/micro/set-memory.ts [members=1000000]
 *
 * Two sets: string members ("member:" + 8 hex digits, 15 bytes: a hashtable in both)
 * and integer members (a hashtable past set-max-intset-entries in both).
 *
 * lapse: process.memoryUsage().heapUsed after GCs plus what the keyspace holds outside the
 * V8 heap, among it the arena in which a set past 32 members keeps them as bytes
 * (keyspace/set.ts; memory-probe.ts footprint), before and after loading, in this process (the server runs here; redis-cli
 * is a child process), beside the set's own estimatedBytes (what maxmemory and MEMORY
 * USAGE count). (Until stop 35 the arena was left out, and the heap figure read ~0.)
 * `npm run bench -- --only collections` compares used_memory and RSS with Redis's. Redis: INFO memory
 * used_memory (jemalloc's allocated bytes) before and after.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadIntoLapse, loadIntoRedis } from './memory-probe.js';
import type { SetValue } from '../../src/keyspace/set.js';
import { encodeCommand } from '../../test/helpers/resp.js';

const MEMBERS = Number(process.argv[2] ?? 1_000_000);
const PER_COMMAND = 1000;


function member(kind: 'string' | 'int', i: number): string {
  return kind === 'string' ? `member:${i.toString(16).padStart(8, '0')}` : String(1_000_000_000 + i * 7);
}

function payload(kind: 'string' | 'int'): string {
  const file = path.join(os.tmpdir(), `lapse-set-memory-${process.pid}-${kind}.resp`);
  const out = fs.openSync(file, 'w');
  for (let i = 0; i < MEMBERS; i += PER_COMMAND) {
    const argv = ['SADD', 'bigset'];
    for (let j = i; j < Math.min(MEMBERS, i + PER_COMMAND); j++) argv.push(member(kind, j));
    fs.writeSync(out, encodeCommand(argv));
  }
  fs.closeSync(out);
  return file;
}

async function lapseBytes(file: string): Promise<{ heap: number; estimated: number }> {
  const loaded = await loadIntoLapse(file, async (c, server) => ({
    card: (await c.call('SCARD', 'bigset')).toString(),
    estimated: (server.keyspace.dbs[0]!.valueOf(server.keyspace.dbs[0]!.peek('bigset')!) as SetValue).estimatedBytes,
  }));
  if (loaded.result.card !== `:${MEMBERS}\r\n`) throw new Error(`lapse SCARD ${loaded.result.card}`);
  return { heap: loaded.bytes, estimated: loaded.result.estimated };
}

async function redisBytes(file: string): Promise<number> {
  return (await loadIntoRedis(file, async () => undefined)).bytes;
}

async function main(): Promise<void> {
  console.log(`one set of ${MEMBERS} members, node ${process.version}`);
  console.log('members    lapse heap B/member   lapse estimate B/member   redis B/member   heap/redis   estimate/heap');
  for (const kind of ['string', 'int'] as const) {
    const file = payload(kind);
    try {
      const l = await lapseBytes(file);
      const r = await redisBytes(file);
      const lh = l.heap / MEMBERS;
      const le = l.estimated / MEMBERS;
      const rm = r / MEMBERS;
      console.log(`${kind.padEnd(7)}   ${lh.toFixed(1).padStart(19)}   ${le.toFixed(1).padStart(23)}   ${rm.toFixed(1).padStart(14)}   ${(lh / rm).toFixed(2).padStart(10)}   ${(le / lh).toFixed(2).padStart(13)}`);
    } finally {
      fs.unlinkSync(file);
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

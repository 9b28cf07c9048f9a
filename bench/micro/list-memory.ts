/**
 * Memory per list element: lapse against redis-server 7.0, the same list loaded the same
 * way (redis-cli --pipe of RPUSH/LPUSH batches, through each server's RESP parser),
 * measured the same way (heap or used_memory after minus before).
 *
 *   node --expose-gc --import tsx bench/micro/list-memory.ts [elements=1000000]
 *
 * Cases: 3-byte elements ("xxx", what redis-benchmark's LPUSH writes), 10-byte numeric
 * ids, 40-byte session tokens, half pushed at the head and half at the tail. lapse:
 * process.memoryUsage().heapUsed after three full GCs plus what the keyspace holds outside
 * the heap (memory-probe.ts footprint), before and after loading, in this process
 * (redis-cli is a child), beside the list's estimatedBytes (the O(1) figure
 * maxmemory and MEMORY USAGE read). Redis: INFO memory used_memory before and after.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadIntoLapse, loadIntoRedis } from './memory-probe.js';
import { encodeCommand } from '../../test/helpers/resp.js';

const ELEMENTS = Number(process.argv[2] ?? 1_000_000);
const BATCH = 1000;


const CASES: [string, (i: number) => string][] = [
  ['3-byte "xxx"', () => 'xxx'],
  ['10-byte ids', (i) => String(1_000_000_000 + i)],
  ['40-byte tokens', (i) => `tok:${i.toString(16).padStart(36, '0')}`],
];

function payload(element: (i: number) => string): string {
  const file = path.join(os.tmpdir(), `lapse-list-memory-${process.pid}.resp`);
  const out = fs.openSync(file, 'w');
  for (let i = 0; i < ELEMENTS; i += BATCH) {
    const argv = [(i / BATCH) % 2 === 0 ? 'RPUSH' : 'LPUSH', 'list'];
    for (let j = i; j < Math.min(ELEMENTS, i + BATCH); j++) argv.push(element(j));
    fs.writeSync(out, encodeCommand(argv));
  }
  fs.closeSync(out);
  return file;
}

async function lapseBytes(file: string): Promise<{ heap: number; estimated: number }> {
  const loaded = await loadIntoLapse(file, async (c, server) => ({
    llen: (await c.call('LLEN', 'list')).toString(),
    estimated: server.keyspace.dbs[0]!.memory,
  }));
  if (loaded.result.llen !== `:${ELEMENTS}\r\n`) throw new Error(`lapse LLEN ${loaded.result.llen}`);
  return { heap: loaded.bytes, estimated: loaded.result.estimated };
}

async function redisBytes(file: string): Promise<number> {
  return (await loadIntoRedis(file, async () => undefined)).bytes;
}

async function main(): Promise<void> {
  console.log(`one list of ${ELEMENTS} elements, node ${process.version}`);
  console.log('case              lapse heap B/el   lapse estimate B/el   redis B/el   heap/redis');
  for (const [label, element] of CASES) {
    const file = payload(element);
    try {
      const l = await lapseBytes(file);
      const r = await redisBytes(file);
      const h = l.heap / ELEMENTS;
      console.log(
        `${label.padEnd(16)}  ${h.toFixed(2).padStart(15)}   ${(l.estimated / ELEMENTS).toFixed(2).padStart(19)}   ${(r / ELEMENTS).toFixed(2).padStart(10)}   ${(h / (r / ELEMENTS)).toFixed(2).padStart(10)}`,
      );
    } finally {
      fs.unlinkSync(file);
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

/**
 * Memory per member of one large sorted set: lapse against redis-server 7.0, the same
 * data loaded the same way (redis-cli --pipe), measured the same way as hash-memory.ts
 * (lapse: heapUsed after full GCs plus what the keyspace holds outside the heap, the
 * member index's arrays among it, after minus before; Redis: INFO used_memory), plus
 * lapse's own O(1) estimate (ZSetValue.estimatedBytes, what maxmemory counts).
 *
 *   node --expose-gc --import tsx bench/micro/zset-memory.ts [members=1000000]
 *
 * Data: one key, `members` members "session:" + 16 hex digits (24 bytes, a Spring
 * Session expiry index) with millisecond-timestamp scores (integers above 2^31, so not
 * small integers in V8), added 1000 per ZADD.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadIntoLapse, loadIntoRedis } from './memory-probe.js';
import type { ZSetValue } from '../../src/keyspace/zset.js';
import { encodeCommand } from '../../test/helpers/resp.js';

const MEMBERS = Number(process.argv[2] ?? 1_000_000);

function payload(): string {
  const file = path.join(os.tmpdir(), `lapse-zset-memory-${process.pid}.resp`);
  const out = fs.openSync(file, 'w');
  for (let i = 0; i < MEMBERS; i += 1000) {
    const argv = ['ZADD', 'expirations'];
    for (let j = i; j < Math.min(MEMBERS, i + 1000); j++) argv.push(String(1_700_000_000_000 + ((j * 7919) % MEMBERS) * 1000), `session:${j.toString(16).padStart(16, '0')}`);
    fs.writeSync(out, encodeCommand(argv));
  }
  fs.closeSync(out);
  return file;
}

async function main(): Promise<void> {
  const file = payload();
  try {
    const lapse = await loadIntoLapse(file, async (_c, server) => server.keyspace.dbs[0]!.valueOf(server.keyspace.dbs[0]!.peek('expirations')!) as ZSetValue);
    const zset = lapse.result;
    if (zset.size !== MEMBERS) throw new Error(`lapse ZCARD ${zset.size}`);
    const lapseHeap = lapse.bytes / MEMBERS;
    const estimate = zset.estimatedBytes / MEMBERS;
    const lapseSeconds = lapse.seconds;
    const redis = await loadIntoRedis(file, async () => undefined);
    const redisBytes = redis.bytes / MEMBERS;
    const redisSeconds = redis.seconds;
    console.log(`${MEMBERS} members of one sorted set, node ${process.version}`);
    console.log(`lapse heap ${lapseHeap.toFixed(1)} B/member, estimatedBytes ${estimate.toFixed(1)} B/member, redis used_memory ${redisBytes.toFixed(1)} B/member`);
    console.log(`lapse/redis ${(lapseHeap / redisBytes).toFixed(2)}; estimate/heap ${(estimate / lapseHeap).toFixed(2)}; load time lapse ${lapseSeconds.toFixed(2)} s, redis ${redisSeconds.toFixed(2)} s`);
  } finally {
    fs.unlinkSync(file);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

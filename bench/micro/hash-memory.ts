/**
 * Memory per hash field for session-like hashes: lapse against redis-server 7.0, the
 * same data loaded the same way (redis-cli --pipe, i.e. through each server's RESP
 * parser), measured the same way (heap or used_memory after minus before).
 *
 *   node --expose-gc --import tsx bench/micro/hash-memory.ts [hashes=100000] [fields=8]
 *
 * Data: `hashes` keys "sess:" + 24 hex digits, each a hash of `fields` fields with
 * 2-8 byte names (the same names in every hash, as a session store writes them) and
 * 20-byte values. Also loaded with a key TTL (EXPIRE) on every hash, as a session
 * store does.
 *
 * lapse: process.memoryUsage().heapUsed after full GCs plus what the keyspace holds outside
 * the heap (the keys' columns, table and slab records; memory-probe.ts footprint), before
 * and after loading, in this process (the server runs here; redis-cli is a child
 * process). Redis:
 * INFO memory used_memory (jemalloc's allocated bytes) before and after.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadIntoLapse, loadIntoRedis } from './memory-probe.js';
import { encodeCommand } from '../../test/helpers/resp.js';

const HASHES = Number(process.argv[2] ?? 100_000);
const FIELDS = Number(process.argv[3] ?? 8);
const NAMES = ['uid', 'ip', 'ua', 'csrf', 'role', 'theme', 'created', 'lastseen', 'locale', 'cart', 'flash', 'ref'];


function payload(withTtl: boolean): string {
  const file = path.join(os.tmpdir(), `lapse-hash-memory-${process.pid}-${withTtl ? 'ttl' : 'plain'}.resp`);
  const out = fs.openSync(file, 'w');
  const chunks: Buffer[] = [];
  let size = 0;
  for (let h = 0; h < HASHES; h++) {
    const key = `sess:${h.toString(16).padStart(24, '0')}`;
    const argv = ['HSET', key];
    for (let f = 0; f < FIELDS; f++) argv.push(NAMES[f % NAMES.length]! + (f >= NAMES.length ? f : ''), `value-${String(h * FIELDS + f).padStart(14, '0')}`);
    const cmd = encodeCommand(argv);
    chunks.push(cmd);
    size += cmd.length;
    if (withTtl) {
      const exp = encodeCommand(['EXPIRE', key, '86400']);
      chunks.push(exp);
      size += exp.length;
    }
    if (size > 1 << 20) {
      fs.writeSync(out, Buffer.concat(chunks));
      chunks.length = 0;
      size = 0;
    }
  }
  fs.writeSync(out, Buffer.concat(chunks));
  fs.closeSync(out);
  return file;
}

async function lapseBytes(file: string): Promise<number> {
  const loaded = await loadIntoLapse(file, async (c) => (await c.call('DBSIZE')).toString());
  if (loaded.result !== `:${HASHES}\r\n`) throw new Error(`lapse DBSIZE ${loaded.result}`);
  return loaded.bytes;
}

async function redisBytes(file: string): Promise<number> {
  return (await loadIntoRedis(file, async () => undefined)).bytes;
}

async function main(): Promise<void> {
  const total = HASHES * FIELDS;
  console.log(`${HASHES} hashes x ${FIELDS} fields (${total} fields), node ${process.version}`);
  console.log('case         lapse B/field   redis B/field   lapse/redis');
  for (const withTtl of [false, true]) {
    const file = payload(withTtl);
    try {
      const l = (await lapseBytes(file)) / total;
      const r = (await redisBytes(file)) / total;
      console.log(`${withTtl ? 'key TTL   ' : 'plain     '}   ${l.toFixed(1).padStart(13)}   ${r.toFixed(1).padStart(13)}   ${(l / r).toFixed(2).padStart(11)}`);
    } finally {
      fs.unlinkSync(file);
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

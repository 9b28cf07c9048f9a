/**
 * MEMORY USAGE of lists, sets and sorted sets, lapse beside redis-server 7.0 in the same
 * run: for each type, encoding and size, many keys of that shape loaded the same way
 * into both servers (redis-cli --pipe, elements in commands of up to 1000), then
 *
 * - Redis: MEMORY USAGE key SAMPLES 0 of one key, and used_memory (after minus before)
 *   per key;
 * - lapse: MEMORY USAGE key SAMPLES 0 of one key, and what the key costs (heapUsed after
 *   three full GCs plus what the keyspace holds outside the heap, memory-probe.ts
 *   footprint, after minus before, in this process: the server runs here, redis-cli is a
 *   child) per key. Both lapse figures should agree: the answer is lapse's model of that
 *   (test/unit/collection-memory.test.ts holds it to the heap; measured at stop 35,
 *   0.93-1.06 of this figure for every shape).
 *
 *   node --expose-gc --import tsx bench/micro/memory-usage.ts [scale=1]
 *
 * scale multiplies the number of keys of every shape (1: about 200k-500k elements each).
 * The shapes are the lead's probe: RPUSH of "element-N", SADD of "member-N" (hashtable)
 * or of N (intset up to set-max-intset-entries 512), ZADD of N "member-N" (listpack up to
 * zset-max-listpack-entries 128).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadIntoLapse, loadIntoRedis } from './memory-probe.js';
import { RawClient } from '../../test/helpers/raw-client.js';
import { encodeCommand } from '../../test/helpers/resp.js';

const SCALE = Number(process.argv[2] ?? 1);
const BATCH = 1000;

interface Shape {
  name: string;
  /** Elements per key. */
  n: number;
  /** The command and the arguments adding elements i..j-1. */
  command: string;
  args: (i: number) => string[];
}

const list = (n: number): Shape => ({ name: `list ${n}`, n, command: 'RPUSH', args: (i) => [`element-${i}`] });
const set = (n: number): Shape => ({ name: `set ${n}`, n, command: 'SADD', args: (i) => [`member-${i}`] });
const intset = (n: number): Shape => ({ name: `int set ${n}`, n, command: 'SADD', args: (i) => [String(i)] });
const zset = (n: number): Shape => ({ name: `zset ${n}`, n, command: 'ZADD', args: (i) => [String(i), `member-${i}`] });

const SIZES = [5, 200, 5000, 100_000];
const SHAPES: Shape[] = [...SIZES.map(list), ...SIZES.map(set), ...SIZES.map(intset), ...SIZES.map(zset)];

/** Keys of a shape: ~400k elements in all, between 2 and 20,000 keys. */
function keysOf(shape: Shape): number {
  return Math.max(2, Math.round(Math.min(20_000, 400_000 / shape.n) * SCALE));
}

function keyName(k: number): string {
  return `key:${String(k).padStart(6, '0')}`;
}

function payload(shape: Shape, keys: number): string {
  const file = path.join(os.tmpdir(), `lapse-memory-usage-${process.pid}.resp`);
  const out = fs.openSync(file, 'w');
  for (let k = 0; k < keys; k++) {
    for (let i = 0; i < shape.n; i += BATCH) {
      const argv = [shape.command, keyName(k)];
      for (let j = i; j < Math.min(shape.n, i + BATCH); j++) argv.push(...shape.args(j));
      fs.writeSync(out, encodeCommand(argv));
    }
  }
  fs.closeSync(out);
  return file;
}

async function usageOf(c: RawClient, key: string): Promise<number> {
  const reply = (await c.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')).toString();
  const m = /^:(\d+)\r\n$/.exec(reply);
  if (m === null) throw new Error(`MEMORY USAGE ${key}: ${reply}`);
  return Number(m[1]);
}

async function encodingOf(c: RawClient, key: string): Promise<string> {
  return (await c.call('OBJECT', 'ENCODING', key)).toString().replace(/^\+|\$\d+\r\n|\r\n$/g, '').trim();
}

interface Figures {
  usage: number;
  perKey: number;
  encoding: string;
}

async function lapseFigures(file: string, keys: number): Promise<Figures> {
  const loaded = await loadIntoLapse(file, async (c) => ({ usage: await usageOf(c, keyName(0)), encoding: await encodingOf(c, keyName(0)) }));
  return { ...loaded.result, perKey: loaded.bytes / keys };
}

async function redisFigures(file: string, keys: number): Promise<Figures> {
  const loaded = await loadIntoRedis(file, async (c) => ({ usage: await usageOf(c, keyName(0)), encoding: await encodingOf(c, keyName(0)) }));
  return { ...loaded.result, perKey: loaded.bytes / keys };
}

async function main(): Promise<void> {
  console.log(`MEMORY USAGE key SAMPLES 0, lapse (node ${process.version}) beside redis-server 7.0; bytes per key`);
  console.log('shape            keys  encoding (redis/lapse)   redis usage  redis used_memory   lapse usage   lapse heap   usage lapse/redis   lapse usage/heap');
  for (const shape of SHAPES) {
    const keys = keysOf(shape);
    const file = payload(shape, keys);
    try {
      const r = await redisFigures(file, keys);
      const l = await lapseFigures(file, keys);
      const enc = r.encoding === l.encoding ? r.encoding : `${r.encoding}/${l.encoding}`;
      console.log(
        `${shape.name.padEnd(14)} ${String(keys).padStart(6)}  ${enc.padEnd(23)} ${String(r.usage).padStart(12)} ${r.perKey.toFixed(0).padStart(18)} ${String(l.usage).padStart(13)} ${l.perKey.toFixed(0).padStart(12)} ${(l.usage / r.usage).toFixed(2).padStart(19)} ${(l.usage / l.perKey).toFixed(2).padStart(18)}`,
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

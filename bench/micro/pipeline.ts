/**
 * The command path without sockets: a pipelined batch of RESP commands through the
 * parser, the dispatcher and the reply writer of an in-process server, in ns per
 * command. Isolates lapse's own CPU cost from syscalls and the network stack.
 *
 *   npx tsx bench/micro/pipeline.ts [commands=1000000] [workload names, comma separated]
 *
 * TIMING=0 turns command timing off (command-timing no); CHUNK=n commands per read (16).
 * KEYLEN=n: keys of n bytes (16; session ids are 37).
 * HINT=0 does not hand the keyspace the first argument's bytes (KeyBytes).
 * STREAM=1 attaches a consumer to the write stream (bytes thrown away), as a replica
 * would: what propagating every write costs.
 */
import { createServer } from '../../src/index.js';
import { Client, socketlessTransport } from '../../src/commands/context.js';
import { execute } from '../../src/commands/dispatch.js';
import { RequestParser } from '../../src/protocol/parser.js';

const N = Number(process.argv[2] ?? 1_000_000);
const only = process.argv[3]?.split(',') ?? null;
const KEYS = Number(process.env.KEYS ?? 100_000);
const VALUE = 'x'.repeat(230);

function encode(args: string[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${a.length}\r\n${a}\r\n`;
  return s;
}

const key = (i: number) => `key:${String(i % KEYS).padStart(Number(process.env.KEYLEN ?? 16) - 4, '0')}`;

const workloads: Record<string, (i: number) => string[]> = {
  SET: (i) => ['SET', key(i * 7919), VALUE],
  GET: (i) => ['GET', key(i * 7919)],
  'SET EX': (i) => ['SET', key(i * 7919), VALUE, 'EX', '86400'],
  INCR: (i) => ['INCR', `counter:${i % 1000}`],
  HSET: (i) => ['HSET', `hash:${i % 10000}`, `f${i % 8}`, 'value-0123456789'],
  // redis-benchmark's HSET: one hash of 100,000 fields element:<12 digits>, 230-byte values.
  'HSET 100k': (i) => ['HSET', 'myhash', `element:${String((i * 7919) % 100000).padStart(12, '0')}`, VALUE],
  'HGET 100k': (i) => ['HGET', 'myhash', `element:${String((i * 104729) % 100000).padStart(12, '0')}`],
  'MGET 10': (i) => ['MGET', ...Array.from({ length: 10 }, (_, j) => key(i * 13 + j * 101))],
  EXPIRE: (i) => ['EXPIRE', key(i * 7919), '86400'],
  // The fixed cost of a command (parse, dispatch, reply), and of a lookup of a key in cache
  // (INCR's counters: workloads run in this table's order, so with INCR they exist).
  PING: () => ['PING'],
  STRLEN: (i) => ['STRLEN', `counter:${i % 1000}`],
  // redis-benchmark's list tests: one list, 230-byte elements.
  LPUSH: () => ['LPUSH', 'mylist', VALUE],
  RPUSH: () => ['RPUSH', 'mylist', VALUE],
  LPOP: () => ['LPOP', 'mylist'],
  RPOP: () => ['RPOP', 'mylist'],
  'LRANGE 100': () => ['LRANGE', 'mylist', '0', '99'],
  // redis-benchmark's set and sorted-set tests: members element:<0..99999>.
  SADD: (i) => ['SADD', 'myset', `element:${(i * 7919) % 100000}`],
  SISMEMBER: (i) => ['SISMEMBER', 'myset', `element:${(i * 104729) % 100000}`],
  SPOP: () => ['SPOP', 'myset'],
  ZADD: (i) => ['ZADD', 'myzset', String((i * 31) % 1000), `element:${(i * 7919) % 100000}`],
  ZPOPMIN: () => ['ZPOPMIN', 'myzset'],
};

const transport = socketlessTransport('benchmark client', '127.0.0.1:1');

const server = createServer({ port: 0 });
// TIMING=0: commands are not timed (command-timing no), to see what timing costs.
if (process.env.TIMING === '0') server.config.setMany([['command-timing', 'no']]);
if (process.env.STREAM === '1') server.writeStream.subscribe(() => {});
const client = new Client(server, transport);
const parser = new RequestParser(server.parserLimits);
let executed = 0;
const given = server.keyspace.keyBytes;
// HINT=0: the first argument's bytes are not handed to the keyspace (KeyBytes), to see what that saves.
const hint = process.env.HINT !== '0';
const sink = (argv: string[]) => {
  // As a connection does: the arguments' bytes for the keyspace while the command runs.
  const argsFrom = parser.argsFrom;
  if (argsFrom !== null && hint) {
    parser.argsFrom = null;
    given.set(argv, argsFrom, parser.argSpans, parser.argsValidFrom);
    execute(client, argv);
    given.clear();
  } else {
    parser.argsFrom = null;
    execute(client, argv);
  }
  executed++;
  // Like a connection: hand the replies to the "socket" every 64 KiB.
  if (server.reply.pending >= 65536) server.reply.take();
  return true;
};

function run(name: string, make: (i: number) => string[]): void {
  // One read = 16 pipelined commands, as redis-benchmark -P 16 (CHUNK=1: one command per read, as -P 1).
  const chunkCommands = Number(process.env.CHUNK ?? 16);
  const chunks: Buffer[] = [];
  for (let i = 0; i < N; i += chunkCommands) {
    let s = '';
    for (let j = i; j < i + chunkCommands && j < N; j++) s += encode(make(j));
    chunks.push(Buffer.from(s, 'latin1'));
  }
  const timings: number[] = [];
  for (let round = 0; round < 5; round++) {
    executed = 0;
    const t = process.hrtime.bigint();
    for (const c of chunks) {
      parser.feed(c, sink);
      // A connection ends the read's last command's time before writing its replies.
      server.commandTimer.close();
      server.reply.take();
    }
    timings.push(Number(process.hrtime.bigint() - t) / executed);
  }
  timings.sort((a, b) => a - b);
  console.log(`${name.padEnd(10)} ${timings[2]!.toFixed(0).padStart(6)} ns/command (median of 5 rounds; min ${timings[0]!.toFixed(0)})`);
}

// Keys exist for GET/MGET/EXPIRE.
run('SET', workloads.SET!);
for (const [name, make] of Object.entries(workloads)) if (only === null || only.includes(name)) run(name, make);
await server.close();

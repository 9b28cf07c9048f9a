import v8 from 'node:v8';
import type { Client, ServerContext } from './context.js';
import { cmd, container, key, type CommandDefinition } from './declare.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX } from './errors.js';
import { optionName } from './args.js';
import { replyHelp, type HelpEntry } from './help.js';
import { parseI64 } from '../util/numbers.js';
import { HashValue, type HashEncoding } from '../keyspace/hash.js';
import { DEADLINE_BYTES, ENTRY_BYTES } from '../keyspace/memory-cost.js';
import type { Database, Entry } from '../keyspace/database.js';

/**
 * MEMORY USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE (Redis 7.0's object.c), reporting
 * lapse's own figures (src/server/memory.ts, src/keyspace/memory-cost.ts).
 */

/** Redis's OBJ_COMPUTE_SIZE_DEF_SAMPLES. */
const DEFAULT_SAMPLES = 5;

/**
 * What a key costs in lapse: what the database counts for it (Database.entryBytes: its
 * columns, table slot and record, the key's and a string value's bytes, a collection's
 * estimate), except that a hash is counted field by field (shared field names at the
 * cost of their slot, a large hash estimated from `samples` fields). `encoding`: its
 * server's, whose pool says which field names are shared.
 */
export function keyMemoryUsage(db: Database, entry: Entry, samples: number, encoding: HashEncoding): number {
  const bytes = db.entryBytes(entry);
  if (db.isString(entry)) return bytes;
  const value = db.valueOf(entry);
  return value instanceof HashValue ? bytes - value.estimatedBytes + value.measuredBytes(samples, encoding) : bytes;
}

/**
 * MEMORY USAGE key [SAMPLES count]
 *
 * As Redis, the key is looked up without expiring it or counting an access, SAMPLES 0
 * means every field, and a missing key answers null.
 */
function memoryUsage(c: Client, argv: string[]): void {
  let samples = DEFAULT_SAMPLES;
  for (let j = 3; j < argv.length; j++) {
    if (optionName(argv[j]!) === 'samples' && j + 1 < argv.length) {
      const n = parseI64(argv[j + 1]!);
      if (n === undefined) {
        c.reply.error(ERR_NOT_INTEGER);
        return;
      }
      if (n < 0) {
        c.reply.error(ERR_SYNTAX);
        return;
      }
      samples = Number(n);
      j++;
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const entry = c.db.peek(argv[2]!);
  if (entry === undefined) c.reply.nullBulk();
  else c.reply.integer(keyMemoryUsage(c.db, entry, samples, c.db.hashEncoding));
}

/** Bytes held for clients: unfinished commands and unsent replies (INFO mem_clients_normal). */
function clientsMemory(s: ServerContext): number {
  let n = 0;
  for (const c of s.clients()) n += c.transport.queryBufferLength() + c.transport.outputBufferLength();
  return n;
}

/** A ratio as Redis computes it: a C float, printed as a double. */
function floatRatio(a: number, b: number): number {
  return Math.fround(b > 0 ? a / b : 0);
}

/**
 * MEMORY STATS: Redis 7.0's fields in its order, with lapse's figures: total.allocated is
 * used_memory, startup.allocated used_memory_startup, the per-database overheads the
 * entries' share of the dataset estimate (ENTRY_BYTES per key, the deadline boxes), and
 * the allocator.* fields V8's heap as INFO memory reports it.
 */
function memoryStats(c: Client): void {
  const s = c.server;
  const r = c.reply;
  const m = process.memoryUsage();
  const used = s.memory.used();
  const peak = Math.max(s.stats.peakMemory, used);
  const startup = s.memory.startup;
  const dataset = Math.min(used, s.memory.dataset());
  const allocated = m.heapUsed + m.external;
  const active = m.heapTotal + m.external;
  const rss = m.rss;
  const dbs = s.keyspace.dbs.filter((db) => db.size > 0);
  const keys = s.keyspace.totalKeys;
  r.mapHeader(27 + dbs.length);
  const field = (name: string, value: number) => {
    r.bulk(name);
    r.integer(Math.round(value));
  };
  const ratioField = (name: string, value: number) => {
    r.bulk(name);
    r.double(value);
  };
  field('peak.allocated', peak);
  field('total.allocated', used);
  field('startup.allocated', startup);
  field('replication.backlog', 0);
  field('clients.slaves', 0);
  field('clients.normal', clientsMemory(s));
  field('cluster.links', 0);
  field('aof.buffer', 0);
  field('lua.caches', 0);
  field('functions.caches', 0);
  for (const db of dbs) {
    r.bulk(`db.${db.index}`);
    r.mapHeader(3);
    field('overhead.hashtable.main', ENTRY_BYTES * db.size);
    field('overhead.hashtable.expires', DEADLINE_BYTES * db.expiresCount);
    field('overhead.hashtable.slot-to-keys', 0);
  }
  field('overhead.total', used - dataset);
  field('keys.count', keys);
  field('keys.bytes-per-key', keys > 0 ? Math.floor((used - startup) / keys) : 0);
  field('dataset.bytes', dataset);
  ratioField('dataset.percentage', Math.fround(used - startup > 0 ? (dataset * 100) / (used - startup) : 0));
  ratioField('peak.percentage', Math.fround(peak > 0 ? (used * 100) / peak : 0));
  field('allocator.allocated', allocated);
  field('allocator.active', active);
  field('allocator.resident', rss);
  ratioField('allocator-fragmentation.ratio', floatRatio(active, allocated));
  field('allocator-fragmentation.bytes', active - allocated);
  ratioField('allocator-rss.ratio', floatRatio(rss, active));
  field('allocator-rss.bytes', rss - active);
  ratioField('rss-overhead.ratio', 1);
  field('rss-overhead.bytes', 0);
  ratioField('fragmentation', floatRatio(rss, used));
  field('fragmentation.bytes', rss - used);
}

const DOCTOR_EMPTY =
  "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these " +
  'conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back ' +
  'to our programming as soon as I finished rebooting.\n';
const DOCTOR_FINE = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
const DOCTOR_PEAK =
  ' * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator ' +
  'is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however ' +
  'this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) ' +
  'is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. ' +
  'If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE ' +
  'command, otherwise the only other option is to shutdown and restart the instance.\n\n';

/**
 * MEMORY DOCTOR, with Redis's texts for what lapse can judge: an instance whose keys
 * take less than 5 MB (lapse's own baseline is not data, so it does not count), and a
 * past peak above 150% of the memory used now.
 */
function memoryDoctor(c: Client): void {
  const s = c.server;
  const used = s.memory.used();
  let text: string;
  if (s.memory.dataset() < 5 * 1024 * 1024) {
    text = DOCTOR_EMPTY;
  } else if (s.stats.peakMemory > used * 1.5) {
    text = `Sam, I detected a few issues in this Redis instance memory implants:\n\n${DOCTOR_PEAK}I'm here to keep you safe, Sam. I want to help you.\n`;
  } else {
    text = DOCTOR_FINE;
  }
  c.reply.verbatim(text);
}

/** MEMORY MALLOC-STATS: V8's heap spaces, as the allocator's statistics. */
function memoryMallocStats(c: Client): void {
  let text = '___ Begin V8 heap statistics ___\n';
  for (const [name, value] of Object.entries(v8.getHeapStatistics())) text += `${name}: ${value}\n`;
  for (const space of v8.getHeapSpaceStatistics()) {
    text += `${space.space_name}: size ${space.space_size} used ${space.space_used_size} available ${space.space_available_size} physical ${space.physical_space_size}\n`;
  }
  text += '___ End V8 heap statistics ___\n';
  c.reply.verbatim(text);
}

/**
 * MEMORY PURGE: a full GC (the heap's garbage is what lapse can give back), after which
 * used memory is re-anchored to the heap at once.
 */
function memoryPurge(c: Client): void {
  c.server.memory.purge();
  c.reply.simple('OK');
}

const MEMORY_HELP: readonly HelpEntry[] = [
  ['doctor', ['DOCTOR', '    Return memory problems reports.']],
  ['malloc-stats', ['MALLOC-STATS', '    Return internal statistics report from the memory allocator.']],
  ['purge', ['PURGE', '    Attempt to purge dirty pages for reclamation by the allocator.']],
  ['stats', ['STATS', '    Return information about the memory usage of the server.']],
  [
    'usage',
    [
      'USAGE <key> [SAMPLES <count>]',
      '    Return memory in bytes used by <key> and its value. Nested values are',
      '    sampled up to <count> times (default: 5, 0 means sample all).',
    ],
  ],
];

/** MEMORY HELP */
function memoryHelp(c: Client, argv: string[]): void {
  replyHelp(c, argv, MEMORY_HELP);
}

export const MEMORY_COMMANDS: CommandDefinition[] = [
  /** MEMORY */
  container('memory', -2, [
    /** MEMORY USAGE key [SAMPLES count] */
    cmd('usage', -3, 'readonly', { keys: [key(2, 'RO')] }, memoryUsage),
    /** MEMORY STATS */
    cmd('stats', 2, '', { tips: 'nondeterministic_output request_policy:all_shards response_policy:special' }, memoryStats),
    /** MEMORY DOCTOR */
    cmd('doctor', 2, '', { tips: 'nondeterministic_output request_policy:all_shards response_policy:special' }, memoryDoctor),
    /** MEMORY MALLOC-STATS */
    cmd('malloc-stats', 2, '', { tips: 'nondeterministic_output request_policy:all_shards response_policy:special' }, memoryMallocStats),
    /** MEMORY PURGE */
    cmd('purge', 2, '', { tips: 'request_policy:all_shards response_policy:all_succeeded' }, memoryPurge),
    /** MEMORY HELP */
    cmd('help', 2, 'loading stale', memoryHelp),
  ]),
];

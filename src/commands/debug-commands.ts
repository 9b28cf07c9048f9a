import { createHash } from 'node:crypto';
import type { Client } from './context.js';
import { cmd, type CommandDefinition } from './declare.js';
import { ERR_BARE, ERR_DEBUG_PROTOCOL_PUSH_RESP2, ERR_DEBUG_PROTOCOL_TYPE, ERR_NO_SUCH_KEY, ERR_PACKED_THRESHOLD, ERR_RELOAD_LOAD, ERR_RELOAD_OPTIONS, errSubcommandSyntax } from './errors.js';
import { optionName } from './args.js';
import { parseMemory } from '../config/param-kinds.js';
import { createDumpPayload } from '../persistence/dump-payload.js';
import { loadSnapshot } from '../persistence/load.js';
import { stringEncoding, stringRefcount } from '../keyspace/string-encoding.js';
import { idleTime } from '../keyspace/access.js';
import { ListValue } from '../keyspace/list.js';
import { SetValue } from '../keyspace/set.js';
import { ZSetValue } from '../keyspace/zset.js';
import { HashValue } from '../keyspace/hash.js';
import { typeOf } from '../keyspace/values.js';
import { formatDouble17g } from '../protocol/writer.js';
import { NO_DEADLINE, type Database, type Entry } from '../keyspace/database.js';

/**
 * DEBUG (Redis 7.0.15's debug.c), the subcommands Redis's own test suite relies on:
 * SET-ACTIVE-EXPIRE, SLEEP, RELOAD, OBJECT, CHANGE-REPL-ID, DIGEST, DIGEST-VALUE,
 * QUICKLIST-PACKED-THRESHOLD and HELP. Like Redis, DEBUG runs only when
 * enable-debug-command allows it (yes, or local for a loopback client): the dispatcher
 * checks that, before authentication, from the declaration's protectedBy. Redis 7.0.15 has
 * no JMAP (it answers the syntax error, and so does lapse).
 */

/** C's atoi: leading blanks, a sign, digits; 0 when none. */
function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  return m === null ? 0 : Number.parseInt(m[1]!, 10);
}

/** C's strtod on a prefix: 0 when nothing parses. */
function strtod(s: string): number {
  const n = Number.parseFloat(s.trim());
  return Number.isFinite(n) ? n : 0;
}

/** A synchronous wait: the whole server stops, as Redis's nanosleep does. */
function blockFor(ms: number): void {
  if (ms <= 0) return;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The value's RDB serialization (type byte and DUMP footer off): rdbSavedObjectLen. */
function serializedLength(c: Client, entry: Entry): number {
  const payload = createDumpPayload(c.db.valueOf(entry), c.server.keyspace.now, c.server.config.bool('rdbcompression'), c.server.keyspace.listEncoding);
  return payload.length - 1 - 10;
}

/*
 * DEBUG DIGEST and DIGEST-VALUE compute Redis 7.0's digests exactly (debug.c), so the
 * hex is the same as redis-server's for the same data, whatever the encodings:
 *   xorDigest(d, data): d ^= SHA1(data)        (order does not matter)
 *   mixDigest(d, data): d = SHA1(d ^ SHA1(data)) (order matters)
 * A value (xorObjectDigest): mix its type as a big-endian uint32 (string 0, list 1, set 2,
 * zset 3, hash 4); a string mixes its bytes; a list mixes each element in order; a set
 * xors each member; a sorted set xors, per member, the mix of the member then its score
 * as %.17g; a hash xors, per field, the mix of the field then the value; a key with an
 * expire (any) xors "!!expire!!". A dataset (computeDatasetDigest): per non-empty
 * database, mix its index as a big-endian uint32 into the result, then xor in each key's
 * digest: its name mixed, then its value as above. Hash field TTLs (lapse's, not in
 * Redis 7.0) are not part of it.
 */

function sha1(data: Buffer | string): Buffer {
  return createHash('sha1').update(data as string, 'latin1').digest();
}

function xorDigest(d: Buffer, data: Buffer | string): void {
  const h = sha1(data);
  for (let i = 0; i < 20; i++) d[i]! ^= h[i]!;
}

function mixDigest(d: Buffer, data: Buffer | string): void {
  xorDigest(d, data);
  sha1(d).copy(d);
}

/** A uint32 in network byte order, as Redis's htonl(). */
function uint32be(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

const TYPE_CODES: Readonly<Record<string, number>> = { string: 0, list: 1, set: 2, zset: 3, hash: 4, stream: 6 };

/** Redis's xorObjectDigest: mixes entry's value (and whether it expires) into d. */
function xorObjectDigest(db: Database, entry: Entry, d: Buffer): void {
  const value = db.valueOf(entry);
  mixDigest(d, uint32be(TYPE_CODES[typeOf(value)]!));
  if (typeof value === 'string') mixDigest(d, value);
  else if (value instanceof ListValue) value.forEach((element) => mixDigest(d, element));
  else if (value instanceof SetValue) value.forEach((member) => xorDigest(d, member));
  else if (value instanceof ZSetValue) {
    value.forEach((member, score) => {
      const element = Buffer.alloc(20);
      mixDigest(element, member);
      mixDigest(element, formatDouble17g(score));
      xorDigest(d, element);
    });
  } else if (value instanceof HashValue) {
    value.forEach((field, fieldValue) => {
      const element = Buffer.alloc(20);
      mixDigest(element, field);
      mixDigest(element, fieldValue);
      xorDigest(d, element);
    });
  }
  if (db.deadlineOf(entry) !== NO_DEADLINE) xorDigest(d, '!!expire!!');
}

/** DEBUG DIGEST: Redis's computeDatasetDigest, as a status reply of 40 hex digits. */
function digest(c: Client): void {
  const final = Buffer.alloc(20);
  for (const db of c.server.keyspace.dbs) {
    if (db.size === 0) continue;
    mixDigest(final, uint32be(db.index));
    // Keys past their deadline and not reclaimed yet too (SET-ACTIVE-EXPIRE 0), as Redis.
    db.visitStored((entry) => {
      const d = Buffer.alloc(20);
      mixDigest(d, db.keyOf(entry));
      xorObjectDigest(db, entry, d);
      xorDigest(final, d);
    });
  }
  c.reply.simple(final.toString('hex'));
}

/** DEBUG DIGEST-VALUE key [key ...]: each value's digest; a missing key's is forty zeros. */
function digestValue(c: Client, argv: string[]): void {
  c.reply.arrayHeader(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const d = Buffer.alloc(20);
    const entry = c.db.peek(argv[j]!);
    if (entry !== undefined) xorObjectDigest(c.db, entry, d);
    c.reply.simple(d.toString('hex'));
  }
}

/** DEBUG OBJECT key: Redis's status line, with the quicklist fields for a list. */
function object(c: Client, argv: string[]): void {
  const entry = c.db.peek(argv[2]!);
  if (entry === undefined) {
    c.reply.error(ERR_NO_SUCH_KEY);
    return;
  }
  const value = c.db.valueOf(entry);
  const keyspace = c.server.keyspace;
  const form = c.db.stringForm(entry);
  const enc = typeof value === 'string' ? stringEncoding(value, form) : value.encoding();
  const refcount = typeof value === 'string' ? stringRefcount(value, form, true) : 1;
  let extra = '';
  if (value instanceof ListValue) {
    // lapse's nodes hold what Redis's would (list.ts); the listpack bytes are estimated
    // as the elements' bytes plus Redis's 2-byte entry header and 7-byte listpack header.
    const nodes = Math.max(1, value.nodeCount);
    let bytes = 7 * nodes;
    for (const e of value.toArray()) bytes += e.length + 2;
    const ql = keyspace.listEncoding;
    extra =
      ` ql_nodes:${nodes} ql_avg_node:${(value.length / nodes).toFixed(2)} ql_listpack_max:${ql.fill}` +
      ` ql_compressed:${ql.compressDepth !== 0 ? 1 : 0} ql_uncompressed_size:${bytes}`;
  }
  const access = c.db.accessOf(entry);
  const lru = keyspace.lfu ? access : access & 0xffffff;
  const idle = keyspace.lfu ? 0 : Math.floor(idleTime(access, keyspace.lruClock) / 1000);
  const address = `0x${(0x7f0000000000 + (c.db.index << 24) + (refcount & 0xffff)).toString(16)}`;
  c.reply.simple(
    `Value at:${address} refcount:${refcount} encoding:${enc} serializedlength:${serializedLength(c, entry)} lru:${lru} lru_seconds_idle:${idle}${extra}`,
  );
}

/**
 * DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save (unless NOSAVE), empty every database
 * (unless NOFLUSH), load the file back (MERGE: a key in both takes the file's value).
 * A failed load answers Redis's error; what was flushed is gone, as in Redis.
 */
function reload(c: Client, argv: string[]): void {
  let flush = true;
  let save = true;
  let merge = false;
  for (let j = 2; j < argv.length; j++) {
    const opt = optionName(argv[j]!);
    if (opt === 'merge') merge = true;
    else if (opt === 'noflush') flush = false;
    else if (opt === 'nosave') save = false;
    else {
      c.reply.error(ERR_RELOAD_OPTIONS);
      return;
    }
  }
  const server = c.server;
  if (save && !server.persistence.saveNow()) {
    c.reply.error(ERR_BARE);
    return;
  }
  const keyspace = server.keyspace;
  // emptyData: the keys and the function libraries (the file brings its own).
  if (flush) {
    keyspace.flushAll();
    server.functions.flush();
  }
  let loaded;
  try {
    loaded = loadSnapshot(keyspace, server.persistence.path, (level, message) => server.log(level, message), {
      checksum: server.config.bool('rdbchecksum'),
      merge,
      library: (code, replace) => server.persistence.libraries?.load(code, replace) ?? null,
    });
  } catch (e) {
    server.log('warning', (e as Error).message);
    loaded = null;
  }
  if (loaded === null) {
    c.reply.error(ERR_RELOAD_LOAD);
    return;
  }
  server.log('warning', 'DB reloaded by DEBUG RELOAD');
  c.reply.simple('OK');
}

/**
 * DEBUG QUICKLIST-PACKED-THRESHOLD size: Redis's limit above which a list element gets
 * a plain node of its own. lapse's list nodes have no such form, so the value is only
 * checked and kept (nothing reads it).
 */
function quicklistPackedThreshold(c: Client, argv: string[]): void {
  const sz = parseMemory(argv[2]!);
  if (sz === undefined || sz < 0n || sz > (1n << 32n) - (1n << 20n)) {
    c.reply.error(ERR_PACKED_THRESHOLD);
    return;
  }
  c.server.keyspace.listPackedThreshold = sz === 0n ? 1 << 30 : Number(sz);
  c.reply.simple('OK');
}

const HELP: readonly string[] = [
  'DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANGE-REPL-ID',
  '    Change the replication IDs of the instance.',
  '    Dangerous: should be used only for testing the replication subsystem.',
  'DIGEST',
  '    Output a hex signature representing the current DB content.',
  'DIGEST-VALUE <key> [<key> ...]',
  '    Output a hex signature of the values of all the specified keys.',
  'OBJECT <key>',
  '    Show low level info about `key` and associated value.',
  'RELOAD [option ...]',
  '    Save the RDB on disk and reload it back to memory. Valid <option> values:',
  '    * MERGE: conflicting keys will be loaded from RDB.',
  '    * NOFLUSH: the existing database will not be removed before load, but',
  '      conflicting keys will generate an exception and kill the server.',
  '    * NOSAVE: the database will be loaded from an existing RDB file.',
  '    Examples:',
  '    * DEBUG RELOAD: verify that the server is able to persist, flush and reload',
  '      the database.',
  '    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an',
  '      existing RDB file.',
  '    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB',
  '      file to the database.',
  'SET-ACTIVE-EXPIRE <0|1>',
  '    Setting it to 0 disables expiring keys in background when they are not',
  '    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the',
  '    default.',
  'QUICKLIST-PACKED-THRESHOLD <size>',
  '    Sets the threshold for elements to be inserted as plain vs packed nodes',
  '    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.',
  'SLEEP <seconds>',
  '    Stop the server for <seconds>. Decimals allowed.',
  'PAUSE-CRON <0|1>',
  '    Stop periodic cron job processing.',
  'HELP',
  '    Prints this help.',
];

/** DEBUG subcommand [arg ...] */
/**
 * DEBUG PROTOCOL type: one reply of each RESP type, as Redis's debug.c sends them (its
 * tests use it to check how clients and scripts see each type).
 */
function protocol(c: Client, name: string): void {
  const r = c.reply;
  switch (name.toLowerCase()) {
    case 'string':
      r.bulk('Hello World');
      break;
    case 'integer':
      r.integer(12345);
      break;
    case 'double':
      r.double(3.141);
      break;
    case 'bignum':
      r.bigNumber('1234567999999999999999999999999999999');
      break;
    case 'null':
      r.nullBulk();
      break;
    case 'array':
    case 'set':
      if (name.toLowerCase() === 'set') r.setHeader(3);
      else r.arrayHeader(3);
      for (let j = 0; j < 3; j++) r.integer(j);
      break;
    case 'map':
      r.mapHeader(3);
      for (let j = 0; j < 3; j++) {
        r.integer(j);
        r.boolean(j === 1);
      }
      break;
    case 'attrib':
      if (c.protocol === 3) {
        r.attributeHeader(1);
        r.bulk('key-popularity');
        r.arrayHeader(2);
        r.bulk('key:123');
        r.integer(90);
      }
      // An attribute is not a reply: a real one follows it.
      r.bulk('Some real reply following the attribute');
      break;
    case 'push':
      if (c.protocol < 3) {
        r.error(ERR_DEBUG_PROTOCOL_PUSH_RESP2);
        return;
      }
      r.pushHeader(2);
      r.bulk('server-cpu-usage');
      r.integer(42);
      // A push is not the command's reply: a real one follows it.
      r.bulk('Some real reply following the push reply');
      break;
    case 'true':
      r.boolean(true);
      break;
    case 'false':
      r.boolean(false);
      break;
    case 'verbatim':
      r.verbatim('This is a verbatim\nstring');
      break;
    default:
      r.error(ERR_DEBUG_PROTOCOL_TYPE);
  }
}

function debug(c: Client, argv: string[]): void {
  const sub = optionName(argv[1]!);
  const n = argv.length;
  if (sub === 'help' && n === 2) {
    c.reply.arrayHeader(HELP.length);
    for (const line of HELP) c.reply.simple(line);
  } else if (sub === 'reload') reload(c, argv);
  else if (sub === 'object' && n === 3) object(c, argv);
  else if (sub === 'digest' && n === 2) digest(c);
  else if (sub === 'digest-value') digestValue(c, argv);
  else if (sub === 'sleep' && n === 3) {
    blockFor(strtod(argv[2]!) * 1000);
    c.reply.simple('OK');
  } else if (sub === 'set-active-expire' && n === 3) {
    c.server.keyspace.activeExpire = atoi(argv[2]!) !== 0;
    c.reply.simple('OK');
  } else if (sub === 'protocol' && n === 3) protocol(c, argv[2]!);
  else if (sub === 'set-disable-deny-scripts' && n === 3) {
    c.server.scriptDenyDisabled = atoi(argv[2]!) !== 0;
    c.reply.simple('OK');
  } else if (sub === 'quicklist-packed-threshold' && n === 3) quicklistPackedThreshold(c, argv);
  else if (sub === 'change-repl-id' && n === 2) {
    c.server.log('warning', 'Changing replication IDs after receiving DEBUG change-repl-id');
    c.server.replication.changeReplid();
    c.reply.simple('OK');
  } else if (sub === 'pause-cron' && n === 3) {
    // The server's cron skips its work while set (Redis's server.pause_cron, for its tests).
    c.server.cronPaused = atoi(argv[2]!) !== 0;
    c.reply.simple('OK');
  } else c.reply.error(errSubcommandSyntax(argv[0]!, argv[1]!));
}

export const DEBUG_COMMANDS: CommandDefinition[] = [
  /** DEBUG subcommand [arg ...] */
  cmd('debug', -2, 'admin noscript loading stale', { protectedBy: 'enable-debug-command' }, debug),
];

import type { Client } from './context.js';
import { cmd, container, key, type CommandDefinition } from './declare.js';
import {
  ERR_BAD_DATA_FORMAT,
  ERR_BUSYKEY,
  ERR_DB_INDEX,
  ERR_DUMP_PAYLOAD,
  ERR_RESTORE_FREQ,
  ERR_RESTORE_IDLETIME,
  ERR_RESTORE_TTL,
  ERR_INT_RANGE,
  ERR_INVALID_CURSOR,
  ERR_NO_SUCH_KEY,
  ERR_NOT_INTEGER,
  ERR_OBJECT_LFU,
  ERR_OBJECT_NO_LFU,
  ERR_SAME_OBJECT,
  ERR_SWAPDB_FIRST,
  ERR_SWAPDB_SECOND,
  ERR_SYNTAX,
} from './errors.js';
import { optionName } from './args.js';
import { replyHelp, type HelpEntry } from './help.js';
import { Database, NO_DEADLINE, type Entry } from '../keyspace/database.js';
import { type Value } from '../keyspace/values.js';
import { isIntEncodable, StringForm, stringEncoding, stringRefcount } from '../keyspace/string-encoding.js';
import { idleTime, lfuDecayed, lfuMinutes, LRU_CLOCK_MAX } from '../keyspace/access.js';
import { HashValue } from '../keyspace/hash.js';
import { createDumpPayload, parseDumpPayload, verifyDumpPayload } from '../persistence/dump-payload.js';
import { globMatch, literalPrefix } from '../util/glob.js';
import { parseCursor, parseI64 } from '../util/numbers.js';
import { replyScan } from './collection-args.js';

/**
 * Commands on the key space regardless of value type (Redis's db.c): DEL UNLINK EXISTS
 * TYPE KEYS SCAN RENAME RENAMENX RANDOMKEY TOUCH DBSIZE FLUSHDB FLUSHALL.
 */

/**
 * DEL key [key ...]
 * UNLINK key [key ...]
 * lapse frees memory synchronously in both cases; clients cannot tell the difference.
 */
function del(c: Client, argv: string[]): void {
  const db = c.db;
  const keyspace = c.server.keyspace;
  let deleted = 0;
  for (let j = 1; j < argv.length; j++) {
    const key = argv[j]!;
    if (db.delete(key)) {
      keyspace.notify('g', 'del', key, db);
      deleted++;
    }
  }
  c.reply.integer(deleted);
}

/**
 * EXISTS key [key ...]
 * Counts the keys that exist, a key named twice counting twice. Their access clocks are
 * left alone, as Redis's LOOKUP_NOTOUCH leaves them (TOUCH is the command that moves them).
 */
function exists(c: Client, argv: string[]): void {
  const db = c.db;
  let found = 0;
  for (let j = 1; j < argv.length; j++) if (db.readUntouched(argv[j]!) !== undefined) found++;
  c.reply.integer(found);
}

/** TOUCH key [key ...]: EXISTS's count, and each key found counts as used now. */
function touch(c: Client, argv: string[]): void {
  const db = c.db;
  let found = 0;
  for (let j = 1; j < argv.length; j++) if (db.read(argv[j]!) !== undefined) found++;
  c.reply.integer(found);
}

/** TYPE key (the key's access clock left alone, as Redis's LOOKUP_NOTOUCH) */
function type(c: Client, argv: string[]): void {
  const entry = c.db.readUntouched(argv[1]!);
  c.reply.simple(entry === undefined ? 'none' : c.db.typeOf(entry));
}

/** KEYS pattern */
function keys(c: Client, argv: string[]): void {
  const pattern = argv[1]!;
  const all = pattern === '*';
  const found: string[] = [];
  const db = c.db;
  // Keys that cannot match are skipped on their bytes: no string is made for them.
  const prefix = literalPrefix(pattern);
  db.visitLive((entry) => {
    if (prefix.length > 0 && !db.keyStartsWith(entry, prefix)) return;
    const key = db.keyOf(entry);
    if (all || globMatch(pattern, key)) found.push(key);
  });
  c.reply.bulkArray(found);
}

/**
 * SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
 *
 * The cursor is lapse's own (see Database.scan): an iteration returns every key present
 * from its start to its end exactly once and always ends, but cursor values differ from
 * Redis's. As in Redis, COUNT bounds the keys looked at before MATCH and TYPE filter
 * them, options are checked in order (a bad COUNT is reported where it stands), and a
 * later MATCH, COUNT or TYPE replaces an earlier one.
 */
function scan(c: Client, argv: string[]): void {
  const cursor = parseCursor(argv[1]!);
  if (cursor === undefined) {
    c.reply.error(ERR_INVALID_CURSOR);
    return;
  }
  let count = 10;
  let pattern: string | undefined;
  let wantedType: string | undefined;
  for (let i = 2; i < argv.length; i += 2) {
    const opt = optionName(argv[i]!);
    const hasValue = i + 1 < argv.length;
    if (opt === 'count' && hasValue) {
      const n = parseI64(argv[i + 1]!);
      if (n === undefined) {
        c.reply.error(ERR_NOT_INTEGER);
        return;
      }
      if (n < 1) {
        c.reply.error(ERR_SYNTAX);
        return;
      }
      count = Number(n);
    } else if (opt === 'match' && hasValue) {
      // "*" matches everything: the same as no pattern.
      pattern = argv[i + 1] === '*' ? undefined : argv[i + 1];
    } else if (opt === 'type' && hasValue) {
      // Compared as strcasecmp does: case-insensitively, up to a NUL. An unknown type
      // name is no error; it matches nothing.
      wantedType = optionName(argv[i + 1]!);
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const found: string[] = [];
  const stats = c.server.keyspace.stats;
  // Filtered as they are visited: the scan hands each entry over once.
  const db = c.db;
  const prefix = pattern === undefined ? '' : literalPrefix(pattern);
  const next = db.scan(Number(cursor), count, (entry: Entry) => {
    if (prefix.length > 0 && !db.keyStartsWith(entry, prefix)) return;
    const key = db.keyOf(entry);
    if (pattern !== undefined && !globMatch(pattern, key)) return;
    if (wantedType !== undefined) {
      // Redis looks the key up to learn its type: a keyspace hit.
      stats.keyspaceHits++;
      if (db.typeOf(entry) !== wantedType) return;
    }
    found.push(key);
  });
  replyScan(c, next, found);
}

/**
 * RENAME key newkey
 * RENAMENX key newkey
 * The value and its TTL move to newkey, replacing it (RENAME) or not (RENAMENX: 0 when
 * newkey exists). Renaming a key to itself changes nothing: OK, or 0 for RENAMENX.
 */
function renameGeneric(c: Client, argv: string[], nx: boolean): void {
  const db = c.db;
  const from = argv[1]!;
  const to = argv[2]!;
  const entry = db.get(from);
  if (entry === undefined) {
    c.reply.error(ERR_NO_SUCH_KEY);
    return;
  }
  if (from === to) {
    if (nx) c.reply.integer(0);
    else c.reply.simple('OK');
    return;
  }
  const keyspace = c.server.keyspace;
  const changes = keyspace.changesSinceSave;
  const target = db.get(to);
  if (target !== undefined) {
    if (nx) {
      c.reply.integer(0);
      return;
    }
    db.deleteEntry(target);
  }
  const form = db.stringForm(entry);
  const moved = db.set(to, db.valueOf(entry));
  if (db.deadlineOf(entry) !== NO_DEADLINE) db.setExpireTime(moved, db.expireTime(entry));
  // The same object under a new name: its encoding goes with it.
  if (form !== undefined) db.setStringForm(moved, form);
  db.deleteEntry(entry);
  // Redis counts a rename as one change (rdb_changes_since_last_save), whatever it replaced.
  keyspace.changesSinceSave = changes + 1;
  keyspace.notify('g', 'rename_from', from, db);
  keyspace.notify('g', 'rename_to', to, db);
  if (nx) c.reply.integer(1);
  else c.reply.simple('OK');
}

function rename(c: Client, argv: string[]): void {
  renameGeneric(c, argv, false);
}

function renamenx(c: Client, argv: string[]): void {
  renameGeneric(c, argv, true);
}

/** RANDOMKEY */
function randomkey(c: Client): void {
  const entry = c.db.randomEntry();
  if (entry === undefined) c.reply.nullBulk();
  else c.reply.bulk(c.db.keyOf(entry));
}

/** DBSIZE: counts keys whose deadline passed but that are not reclaimed yet, as Redis. */
function dbsize(c: Client): void {
  c.reply.integer(c.db.size);
}

/**
 * The optional argument of FLUSHDB and FLUSHALL: nothing, SYNC or ASYNC. lapse always
 * flushes synchronously, which clients cannot tell from an asynchronous flush.
 */
function flushArgumentsOk(c: Client, argv: string[]): boolean {
  if (argv.length === 1) return true;
  if (argv.length === 2) {
    const opt = optionName(argv[1]!);
    if (opt === 'sync' || opt === 'async') return true;
  }
  c.reply.error(ERR_SYNTAX);
  return false;
}

/** FLUSHDB [ASYNC|SYNC] */
function flushdb(c: Client, argv: string[]): void {
  if (!flushArgumentsOk(c, argv)) return;
  c.server.keyspace.flushDatabase(c.db);
  c.reply.simple('OK');
  // Propagated even when the database was already empty, as Redis forces it.
  c.forcePropagation = true;
}

/**
 * FLUSHALL [ASYNC|SYNC]
 * As Redis's flushAllDataAndResetRDB: a background save is aborted, and with save
 * points the empty dataset is saved at once (which resets the change counter).
 */
function flushall(c: Client, argv: string[]): void {
  if (!flushArgumentsOk(c, argv)) return;
  c.server.keyspace.flushAll();
  c.server.persistence.afterFlushAll();
  c.reply.simple('OK');
  // Propagated even when every database was already empty, as Redis forces it.
  c.forcePropagation = true;
}

/**
 * A database index argument as getIntFromObjectOrReply reads it, then selectDb checks it:
 * the database, or undefined after replying the error (`invalid`: SWAPDB's own wording
 * for an argument that is not an int32).
 */
function databaseArg(c: Client, arg: string, invalid?: string): Database | undefined {
  const n = parseI64(arg);
  if (n === undefined || n < -2147483648 || n > 2147483647) {
    c.reply.error(invalid ?? (n === undefined ? ERR_NOT_INTEGER : ERR_INT_RANGE));
    return undefined;
  }
  const db = n < 0 ? undefined : c.server.keyspace.dbs[Number(n)];
  if (db === undefined) c.reply.error(ERR_DB_INDEX);
  return db;
}

/**
 * Stores value at key in dst (absent there) with what travels with a key between
 * names and databases: its expire time, hash field TTLs, and how Redis holds a string.
 */
function placeValue(
  dst: Database,
  key: string,
  value: Value,
  expireTime: number | bigint | null,
  fields: [string, number][] | null,
  form: StringForm | undefined,
): void {
  const entry = dst.set(key, value, NO_DEADLINE);
  if (expireTime !== null) dst.setExpireTime(entry, expireTime);
  if (fields !== null) for (const [field, deadline] of fields) dst.setFieldDeadline(entry, field, deadline);
  if (form !== undefined) dst.setStringForm(entry, form);
}

/**
 * COPY source destination [DB destination-db] [REPLACE]
 * A deep copy of the value (Value.copy) with its TTL and, as Redis 7.4, its hash field
 * TTLs; 0 when source is missing or destination exists without REPLACE.
 */
function copy(c: Client, argv: string[]): void {
  const src = c.db;
  let dst = src;
  let replace = false;
  for (let j = 3; j < argv.length; j++) {
    const opt = optionName(argv[j]!);
    if (opt === 'replace') replace = true;
    else if (opt === 'db' && j + 1 < argv.length) {
      const db = databaseArg(c, argv[++j]!);
      if (db === undefined) return;
      dst = db;
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const from = argv[1]!;
  const to = argv[2]!;
  if (src === dst && from === to) {
    c.reply.error(ERR_SAME_OBJECT);
    return;
  }
  const entry = src.read(from);
  if (entry === undefined) {
    c.reply.integer(0);
    return;
  }
  const target = dst.get(to);
  if (target !== undefined && !replace) {
    c.reply.integer(0);
    return;
  }
  const keyspace = c.server.keyspace;
  const changes = keyspace.changesSinceSave;
  const value = src.valueOf(entry);
  let form = src.stringForm(entry);
  // dupStringObject gives an int-encoded value an object of its own (refcount 1).
  if (typeof value === 'string' && form === undefined && isIntEncodable(value)) form = StringForm.Unshared;
  const expireTime = src.deadlineOf(entry) === NO_DEADLINE ? null : src.expireTime(entry);
  const fields = src.fieldDeadlines(entry);
  if (target !== undefined) dst.deleteEntry(target);
  placeValue(dst, to, Database.copyValue(value), expireTime, fields, form);
  keyspace.changesSinceSave = changes + 1;
  keyspace.notify('g', 'copy_to', to, dst);
  c.reply.integer(1);
}

/**
 * MOVE key db
 * The key (value, TTL, hash field TTLs) leaves this database for db; 0 when it is
 * missing here or exists there.
 */
function move(c: Client, argv: string[]): void {
  const src = c.db;
  const dst = databaseArg(c, argv[2]!);
  if (dst === undefined) return;
  if (dst === src) {
    c.reply.error(ERR_SAME_OBJECT);
    return;
  }
  const name = argv[1]!;
  const entry = src.get(name);
  if (entry === undefined || dst.get(name) !== undefined) {
    c.reply.integer(0);
    return;
  }
  const keyspace = c.server.keyspace;
  const changes = keyspace.changesSinceSave;
  const expireTime = src.deadlineOf(entry) === NO_DEADLINE ? null : src.expireTime(entry);
  const fields = src.fieldDeadlines(entry);
  const form = src.stringForm(entry);
  const value = src.valueOf(entry);
  // Removed first: that cancels the field timers on this database's wheel.
  src.deleteEntry(entry);
  placeValue(dst, name, value, expireTime, fields, form);
  keyspace.changesSinceSave = changes + 1;
  keyspace.notify('g', 'move_from', name, src);
  keyspace.notify('g', 'move_to', name, dst);
  c.reply.integer(1);
}

/**
 * SWAPDB index1 index2
 * The two databases exchange their keys; clients stay on their database number. WATCH
 * sees every key that existed in either; no keyspace event, as in Redis.
 */
function swapdb(c: Client, argv: string[]): void {
  const a = databaseArg(c, argv[1]!, ERR_SWAPDB_FIRST);
  if (a === undefined) return;
  const b = databaseArg(c, argv[2]!, ERR_SWAPDB_SECOND);
  if (b === undefined) return;
  c.server.keyspace.swapDatabases(a, b);
  c.reply.simple('OK');
}

/**
 * The entry at key for OBJECT: expired first if due, counted as a hit or miss, but its
 * access clock left alone (Redis's LOOKUP_NOTOUCH) and no keymiss event. Replies null
 * and returns undefined when absent.
 */
function objectLookup(c: Client, key: string): Entry | undefined {
  const db = c.db;
  const stats = c.server.keyspace.stats;
  let entry = db.peek(key);
  if (entry !== undefined && db.deadlineOf(entry) <= c.server.keyspace.now) entry = db.get(key);
  if (entry === undefined) {
    stats.keyspaceMisses++;
    c.reply.nullBulk();
    return undefined;
  }
  stats.keyspaceHits++;
  return entry;
}

/** Whether Redis would share small integer objects: not under a maxmemory LRU/LFU policy. */
function sharesIntegers(c: Client): boolean {
  const config = c.server.config;
  const policy = String(config.get('maxmemory-policy'));
  return config.number('maxmemory') === 0 || !(policy.endsWith('-lru') || policy.endsWith('-lfu'));
}

/** OBJECT ENCODING key */
function objectEncoding(c: Client, argv: string[]): void {
  const entry = objectLookup(c, argv[2]!);
  if (entry === undefined) return;
  const value = c.db.valueOf(entry);
  c.reply.bulk(typeof value === 'string' ? stringEncoding(value, c.db.stringForm(entry)) : value.encoding());
}

/** OBJECT REFCOUNT key: 2147483647 for Redis's shared integers 0..9999, else 1. */
function objectRefcount(c: Client, argv: string[]): void {
  const entry = objectLookup(c, argv[2]!);
  if (entry === undefined) return;
  const value = c.db.valueOf(entry);
  c.reply.integer(typeof value === 'string' ? stringRefcount(value, c.db.stringForm(entry), sharesIntegers(c)) : 1);
}

/** OBJECT IDLETIME key: seconds since the last access; refused under an LFU policy. */
function objectIdletime(c: Client, argv: string[]): void {
  const entry = objectLookup(c, argv[2]!);
  if (entry === undefined) return;
  const keyspace = c.server.keyspace;
  if (keyspace.lfu) {
    c.reply.error(ERR_OBJECT_LFU);
    return;
  }
  c.reply.integer(Math.floor(idleTime(c.db.accessOf(entry), keyspace.lruClock) / 1000));
}

/** OBJECT FREQ key: the decayed LFU counter; refused unless an LFU policy is in force. */
function objectFreq(c: Client, argv: string[]): void {
  const entry = objectLookup(c, argv[2]!);
  if (entry === undefined) return;
  const keyspace = c.server.keyspace;
  if (!keyspace.lfu) {
    c.reply.error(ERR_OBJECT_NO_LFU);
    return;
  }
  c.reply.integer(lfuDecayed(c.db.accessOf(entry), lfuMinutes(keyspace.now), keyspace.lfuDecayTime));
}

/** OBJECT HELP: object.c's text. */
const OBJECT_HELP: readonly HelpEntry[] = [
  ['encoding', ['ENCODING <key>', '    Return the kind of internal representation used in order to store the value', '    associated with a <key>.']],
  ['freq', ['FREQ <key>', '    Return the access frequency index of the <key>. The returned integer is', '    proportional to the logarithm of the recent access frequency of the key.']],
  ['idletime', ['IDLETIME <key>', '    Return the idle time of the <key>, that is the approximated number of', '    seconds elapsed since the last access to the key.']],
  ['refcount', ['REFCOUNT <key>', '    Return the number of references of the value associated with the specified', '    <key>.']],
];

function objectHelp(c: Client, argv: string[]): void {
  replyHelp(c, argv, OBJECT_HELP);
}

/**
 * DUMP key
 * The value serialized as Redis 7.0 does (persistence/dump-payload.ts); null when absent.
 */
function dump(c: Client, argv: string[]): void {
  const db = c.db;
  const entry = db.read(argv[1]!);
  // Fields past their TTL are never visible: purged first (which may delete the key).
  if (entry === undefined || (db.valueOf(entry) instanceof HashValue && !db.purgeExpiredFields(entry))) {
    c.reply.nullBulk();
    return;
  }
  const compression = c.server.config.bool('rdbcompression');
  c.reply.bulk(createDumpPayload(db.valueOf(entry), c.server.keyspace.now, compression, c.server.keyspace.listEncoding).toString('latin1'));
}

/** RESTORE's options, parsed. */
interface RestoreOptions {
  replace: boolean;
  absTtl: boolean;
  /** IDLETIME seconds, or -1. */
  idle: number;
  /** FREQ counter, or -1. */
  freq: number;
}

/** Parses RESTORE's options from argv[4]; null after replying the error. */
function restoreOptions(c: Client, argv: string[]): RestoreOptions | null {
  const o: RestoreOptions = { replace: false, absTtl: false, idle: -1, freq: -1 };
  for (let j = 4; j < argv.length; j++) {
    const opt = optionName(argv[j]!);
    const more = j + 1 < argv.length;
    if (opt === 'replace') o.replace = true;
    else if (opt === 'absttl') o.absTtl = true;
    // IDLETIME and FREQ exclude each other: the second is a syntax error.
    else if (opt === 'idletime' && more && o.freq === -1) {
      const n = parseI64(argv[++j]!);
      if (n === undefined) {
        c.reply.error(ERR_NOT_INTEGER);
        return null;
      }
      if (n < 0) {
        c.reply.error(ERR_RESTORE_IDLETIME);
        return null;
      }
      o.idle = Number(n);
    } else if (opt === 'freq' && more && o.idle === -1) {
      const n = parseI64(argv[++j]!);
      if (n === undefined) {
        c.reply.error(ERR_NOT_INTEGER);
        return null;
      }
      if (n < 0 || n > 255) {
        c.reply.error(ERR_RESTORE_FREQ);
        return null;
      }
      o.freq = Number(n);
    } else {
      c.reply.error(ERR_SYNTAX);
      return null;
    }
  }
  return o;
}

/**
 * RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
 * Checked in Redis's order: options, an existing key (BUSYKEY unless REPLACE), the TTL,
 * the payload's footer, then its body. A payload that fails any check leaves the
 * keyspace as it was. A TTL already past stores nothing (and with REPLACE deletes key).
 */
function restore(c: Client, argv: string[]): void {
  const o = restoreOptions(c, argv);
  if (o === null) return;
  const db = c.db;
  const name = argv[1]!;
  if (!o.replace && db.get(name) !== undefined) {
    c.reply.error(ERR_BUSYKEY);
    return;
  }
  const ttlArg = parseI64(argv[2]!);
  if (ttlArg === undefined) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  if (ttlArg < 0) {
    c.reply.error(ERR_RESTORE_TTL);
    return;
  }
  const payload = Buffer.from(argv[3]!, 'latin1');
  if (!verifyDumpPayload(payload)) {
    c.reply.error(ERR_DUMP_PAYLOAD);
    return;
  }
  const keyspace = c.server.keyspace;
  const now = keyspace.now;
  const built = parseDumpPayload(payload, db, now);
  if (built === null) {
    c.reply.error(ERR_BAD_DATA_FORMAT);
    return;
  }
  const changes = keyspace.changesSinceSave;
  const deleted = o.replace && db.delete(name);
  let when: number | bigint = ttlArg;
  if (ttlArg !== 0 && !o.absTtl) when = typeof ttlArg === 'number' && Number.isSafeInteger(ttlArg + now) ? ttlArg + now : BigInt(ttlArg) + BigInt(now);
  if (ttlArg !== 0 && when <= now) {
    if (deleted) {
      keyspace.changesSinceSave = changes + 1;
      keyspace.notify('g', 'del', name, db);
      if (c.server.writeStream.active) c.propagateAs = ['DEL', name];
    }
    c.reply.simple('OK');
    return;
  }
  placeValue(db, name, built.value, ttlArg === 0 ? null : when, built.fieldDeadlines, undefined);
  const entry = db.peek(name)!;
  if (keyspace.lfu) {
    if (o.freq >= 0) db.setAccess(entry, (lfuMinutes(now) << 8) | o.freq);
  } else if (o.idle >= 0) {
    // objectSetLRUOrLFU: the access that many seconds ago on the LRU clock.
    const clock = keyspace.lruClock;
    let at = clock - o.idle;
    if (at < 0) at = (clock + Math.floor(LRU_CLOCK_MAX / 2)) % LRU_CLOCK_MAX;
    db.setAccess(entry, at);
  }
  keyspace.changesSinceSave = changes + 1;
  keyspace.notify('g', 'restore', name, db);
  c.reply.simple('OK');
  // A relative TTL reaches replicas as the absolute time, with ABSTTL added.
  if (ttlArg !== 0 && !o.absTtl && c.server.writeStream.active) {
    const rewritten = argv.slice();
    rewritten[2] = String(when);
    rewritten.push('ABSTTL');
    c.propagateAs = rewritten;
  }
}

export const KEY_COMMANDS: CommandDefinition[] = [
  /** DEL key [key ...] */
  cmd('del', -2, 'write', { acl: 'keyspace', tips: 'request_policy:multi_shard response_policy:agg_sum', keys: [key(1, 'RM delete', { last: -1 })] }, del),
  /** UNLINK key [key ...] */
  cmd('unlink', -2, 'write fast', { acl: 'keyspace', tips: 'request_policy:multi_shard response_policy:agg_sum', keys: [key(1, 'RM delete', { last: -1 })] }, del),
  /** EXISTS key [key ...] */
  cmd('exists', -2, 'readonly fast', { acl: 'keyspace', tips: 'request_policy:multi_shard response_policy:agg_sum', keys: [key(1, 'RO', { last: -1 })] }, exists),
  /** TOUCH key [key ...] */
  cmd('touch', -2, 'readonly fast', { acl: 'keyspace', tips: 'request_policy:multi_shard response_policy:agg_sum', keys: [key(1, 'RO', { last: -1 })] }, touch),
  /** TYPE key */
  cmd('type', 2, 'readonly fast', { acl: 'keyspace', keys: [key(1, 'RO')] }, type),
  /** KEYS pattern */
  cmd('keys', 2, 'readonly', { acl: 'keyspace dangerous', tips: 'request_policy:all_shards nondeterministic_output_order' }, keys),
  /** SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] */
  cmd('scan', -2, 'readonly', { acl: 'keyspace', tips: 'nondeterministic_output request_policy:special' }, scan),
  /** RENAME key newkey */
  cmd('rename', 3, 'write', { acl: 'keyspace', keys: [key(1, 'RW access delete'), key(2, 'OW update')] }, rename),
  /** RENAMENX key newkey */
  cmd('renamenx', 3, 'write fast', { acl: 'keyspace', keys: [key(1, 'RW access delete'), key(2, 'OW insert')] }, renamenx),
  /** RANDOMKEY */
  cmd('randomkey', 1, 'readonly', { acl: 'keyspace', tips: 'request_policy:all_shards nondeterministic_output' }, randomkey),
  /** DBSIZE */
  cmd('dbsize', 1, 'readonly fast', { acl: 'keyspace', tips: 'request_policy:all_shards response_policy:agg_sum' }, dbsize),
  /** FLUSHDB [ASYNC | SYNC] */
  cmd('flushdb', -1, 'write', { acl: 'keyspace dangerous', tips: 'request_policy:all_shards response_policy:all_succeeded' }, flushdb),
  /** FLUSHALL [ASYNC | SYNC] */
  cmd('flushall', -1, 'write', { acl: 'keyspace dangerous', tips: 'request_policy:all_shards response_policy:all_succeeded' }, flushall),
  /** DUMP key */
  cmd('dump', 2, 'readonly', { acl: 'keyspace', tips: 'nondeterministic_output', keys: [key(1, 'RO access')] }, dump),
  /** RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency] */
  cmd('restore', -4, 'write denyoom', { acl: 'keyspace dangerous', keys: [key(1, 'OW update')] }, restore),
  /** COPY source destination [DB destination-db] [REPLACE] */
  cmd('copy', -3, 'write denyoom', { acl: 'keyspace', keys: [key(1, 'RO access'), key(2, 'OW update')] }, copy),
  /** MOVE key db */
  cmd('move', 3, 'write fast', { acl: 'keyspace', keys: [key(1, 'RW access update')] }, move),
  /** SWAPDB index1 index2 */
  cmd('swapdb', 3, 'write fast', { acl: 'keyspace dangerous' }, swapdb),
  container('object', -2, [
    /** OBJECT ENCODING key */
    cmd('encoding', 3, 'readonly', { acl: 'keyspace', tips: 'nondeterministic_output', keys: [key(2, 'RO')] }, objectEncoding),
    /** OBJECT FREQ key */
    cmd('freq', 3, 'readonly', { acl: 'keyspace', tips: 'nondeterministic_output', keys: [key(2, 'RO')] }, objectFreq),
    /** OBJECT IDLETIME key */
    cmd('idletime', 3, 'readonly', { acl: 'keyspace', tips: 'nondeterministic_output', keys: [key(2, 'RO')] }, objectIdletime),
    /** OBJECT REFCOUNT key */
    cmd('refcount', 3, 'readonly', { acl: 'keyspace', tips: 'nondeterministic_output', keys: [key(2, 'RO')] }, objectRefcount),
    /** OBJECT HELP */
    cmd('help', 2, 'loading stale', { acl: 'keyspace' }, objectHelp),
  ]),
];

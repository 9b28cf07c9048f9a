import type { Client } from './context.js';
import { cmd, key, type CommandDefinition } from './declare.js';
import { ERR_INVALID_CURSOR, ERR_NO_SUCH_KEY, ERR_NOT_INTEGER, ERR_SYNTAX } from './errors.js';
import { optionName } from './args.js';
import { NO_DEADLINE, type Entry } from '../keyspace/database.js';
import { typeOf } from '../keyspace/values.js';
import { globMatch } from '../util/glob.js';
import { parseCursor, parseI64 } from '../util/numbers.js';

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
 * TOUCH key [key ...]
 * Both count the keys that exist, a key named twice counting twice.
 */
function exists(c: Client, argv: string[]): void {
  const db = c.db;
  let found = 0;
  for (let j = 1; j < argv.length; j++) if (db.read(argv[j]!) !== undefined) found++;
  c.reply.integer(found);
}

/** TYPE key */
function type(c: Client, argv: string[]): void {
  const entry = c.db.read(argv[1]!);
  c.reply.simple(entry === undefined ? 'none' : typeOf(entry.value));
}

/** KEYS pattern */
function keys(c: Client, argv: string[]): void {
  const pattern = argv[1]!;
  const all = pattern === '*';
  const found: string[] = [];
  for (const entry of c.db.entries()) {
    if (all || globMatch(pattern, entry.key)) found.push(entry.key);
  }
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
  const next = c.db.scan(Number(cursor), count, (entry: Entry) => {
    if (pattern !== undefined && !globMatch(pattern, entry.key)) return;
    if (wantedType !== undefined) {
      // Redis looks the key up to learn its type: a keyspace hit.
      stats.keyspaceHits++;
      if (typeOf(entry.value) !== wantedType) return;
    }
    found.push(entry.key);
  });
  c.reply.arrayHeader(2);
  c.reply.bulk(String(next));
  c.reply.bulkArray(found);
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
  const moved = db.set(to, entry.value);
  if (entry.deadline !== NO_DEADLINE) db.setExpireTime(moved, db.expireTime(entry));
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
  else c.reply.bulk(entry.key);
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
  c.db.clear();
  c.reply.simple('OK');
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
}

export const KEY_COMMANDS: CommandDefinition[] = [
  /** DEL key [key ...] */
  cmd('del', -2, 'write', { acl: 'keyspace', tips: 'request_policy:multi_shard response_policy:agg_sum', keys: [key(1, 'RM delete', { last: -1 })] }, del),
  /** UNLINK key [key ...] */
  cmd('unlink', -2, 'write fast', { acl: 'keyspace', tips: 'request_policy:multi_shard response_policy:agg_sum', keys: [key(1, 'RM delete', { last: -1 })] }, del),
  /** EXISTS key [key ...] */
  cmd('exists', -2, 'readonly fast', { acl: 'keyspace', tips: 'request_policy:multi_shard response_policy:agg_sum', keys: [key(1, 'RO', { last: -1 })] }, exists),
  /** TOUCH key [key ...] */
  cmd('touch', -2, 'readonly fast', { acl: 'keyspace', tips: 'request_policy:multi_shard response_policy:agg_sum', keys: [key(1, 'RO', { last: -1 })] }, exists),
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
];

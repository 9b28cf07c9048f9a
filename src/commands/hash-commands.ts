import type { Client } from './context.js';
import { cmd, key, type CommandDefinition } from './declare.js';
import {
  ERR_HASH_NOT_FLOAT,
  ERR_HASH_NOT_INTEGER,
  ERR_INCREMENT_NAN_OR_INFINITY,
  ERR_NAN_OR_INFINITY,
  ERR_NOT_FLOAT,
  ERR_NOT_INTEGER,
  ERR_OVERFLOW,
  errWrongArity,
} from './errors.js';
import { beginCollectionScan, cursorSlot, parseRandomCount, replyScan } from './collection-args.js';
import { moreChanges, readHash, writeHash, type HashEntry } from './hash-access.js';
import { HashValue } from '../keyspace/hash.js';
import { globMatch } from '../util/glob.js';
import { INT64_MAX, INT64_MIN, parseI64 } from '../util/numbers.js';
import { addLongDouble, formatLongDoubleHuman, isFiniteLongDouble, parseLongDouble } from '../util/long-double.js';

/**
 * Hash commands, as Redis 7.0's t_hash.c, plus Redis 7.4's HSCAN NOVALUES; the 7.4 field
 * TTL family is in hash-ttl-commands.ts.
 *
 * Every command reaches a hash through readHash() or writeHash() (hash-access.ts), which
 * drop the fields whose TTL has passed first. Keyspace events and Redis's dirty counter
 * follow t_hash.c.
 */

/** A new hash at key holding one field (HSETNX, HINCRBY and HINCRBYFLOAT on a missing key). */
function createWith(c: Client, key: string, field: string, value: string): void {
  const hash = new HashValue();
  hash.set(field, value, c.db.hashEncoding);
  c.db.set(key, hash);
}

/**
 * HSET key field value [field value ...]
 * HMSET key field value [field value ...]
 * Overwriting a field drops its TTL. HSET replies the number of fields created, HMSET OK.
 */
function hsetGeneric(c: Client, argv: string[], hmset: boolean): void {
  if (argv.length % 2 !== 0) {
    c.reply.error(errWrongArity(hmset ? 'hmset' : 'hset'));
    return;
  }
  const key = argv[1]!;
  const entry = writeHash(c, key);
  if (entry === null) return;
  const db = c.db;
  let created = 0;
  if (entry === undefined) {
    const hash = new HashValue();
    for (let j = 2; j < argv.length; j += 2) if (hash.set(argv[j]!, argv[j + 1]!, db.hashEncoding)) created++;
    hash.fit();
    db.set(key, hash);
  } else {
    for (let j = 2; j < argv.length; j += 2) if (db.setField(entry, argv[j]!, argv[j + 1]!)) created++;
    db.signalModified(key);
  }
  moreChanges(c, (argv.length - 2) / 2 - 1);
  if (hmset) c.reply.simple('OK');
  else c.reply.integer(created);
  c.server.keyspace.notify('h', 'hset', key, db);
}

function hset(c: Client, argv: string[]): void {
  hsetGeneric(c, argv, false);
}

function hmset(c: Client, argv: string[]): void {
  hsetGeneric(c, argv, true);
}

/** HSETNX key field value */
function hsetnx(c: Client, argv: string[]): void {
  const key = argv[1]!;
  const field = argv[2]!;
  const entry = writeHash(c, key);
  if (entry === null) return;
  if (entry !== undefined && c.db.objectOf(entry).has(field)) {
    c.reply.integer(0);
    return;
  }
  if (entry === undefined) {
    createWith(c, key, field, argv[3]!);
  } else {
    c.db.setField(entry, field, argv[3]!);
    c.db.signalModified(key);
  }
  c.reply.integer(1);
  c.server.keyspace.notify('h', 'hset', key, c.db);
}

/**
 * Replies with bytes [start, start + length) of the arena chunk holding a table-form
 * hash's slot: a field or a value copied into the reply, no string made (as GET copies
 * from the keyspace's slab).
 */
function replyArenaBytes(c: Client, hash: HashValue, slot: number, start: number, length: number): void {
  c.reply.bulkArena(hash.arenaBytes(slot), hash.arenaView(slot), start, start + length);
}

/** Replies with the field at a live slot. */
function replyFieldAt(c: Client, hash: HashValue, slot: number): void {
  const start = hash.fieldStartAt(slot);
  if (start < 0) c.reply.bulk(hash.fieldAt(slot)!);
  else replyArenaBytes(c, hash, slot, start, hash.fieldLengthAt(slot));
}

/** Replies with the value at a live slot. */
function replyValueAt(c: Client, hash: HashValue, slot: number): void {
  const start = hash.valueStartAt(slot);
  if (start < 0) c.reply.bulk(hash.valueAt(slot)!);
  else replyArenaBytes(c, hash, slot, start, hash.valueLengthAt(slot));
}

/** Replies with the value of field, null if absent. */
function replyField(c: Client, hash: HashValue | undefined, field: string): void {
  const slot = hash === undefined ? -1 : hash.slotOf(field);
  if (slot < 0) c.reply.nullBulk();
  else replyValueAt(c, hash!, slot);
}

/** HGET key field */
function hget(c: Client, argv: string[]): void {
  const entry = readHash(c, argv[1]!);
  if (entry === null) return;
  replyField(c, entry === undefined ? undefined : c.db.objectOf(entry), argv[2]!);
}

/** HMGET key field [field ...]: a missing key reads as an empty hash. */
function hmget(c: Client, argv: string[]): void {
  const entry = readHash(c, argv[1]!);
  if (entry === null) return;
  const reply = c.reply;
  reply.arrayHeader(argv.length - 2);
  const hash = entry === undefined ? undefined : c.db.objectOf(entry);
  for (let j = 2; j < argv.length; j++) replyField(c, hash, argv[j]!);
}

const FIELDS = 1;
const VALUES = 2;

/**
 * HGETALL (a map in RESP3), HKEYS, HVALS: in the hash's order, which is Redis's while
 * the hash is compact.
 */
function getAllGeneric(c: Client, key: string, what: number): void {
  const entry = readHash(c, key);
  if (entry === null) return;
  const reply = c.reply;
  const size = entry === undefined ? 0 : c.db.objectOf(entry).size;
  if (what === (FIELDS | VALUES)) reply.mapHeader(size);
  else reply.arrayHeader(size);
  if (entry === undefined) return;
  const hash = c.db.objectOf(entry);
  const end = hash.slotCount;
  for (let i = 0; i < end; i += 2) {
    if (!hash.isLive(i)) continue;
    if (what & FIELDS) replyFieldAt(c, hash, i);
    if (what & VALUES) replyValueAt(c, hash, i);
  }
}

/** HGETALL key */
function hgetall(c: Client, argv: string[]): void {
  getAllGeneric(c, argv[1]!, FIELDS | VALUES);
}

/** HKEYS key */
function hkeys(c: Client, argv: string[]): void {
  getAllGeneric(c, argv[1]!, FIELDS);
}

/** HVALS key */
function hvals(c: Client, argv: string[]): void {
  getAllGeneric(c, argv[1]!, VALUES);
}

/** HDEL key field [field ...]: deleting the last field deletes the key. */
function hdel(c: Client, argv: string[]): void {
  const key = argv[1]!;
  const entry = writeHash(c, key);
  if (entry === null) return;
  if (entry === undefined) {
    c.reply.integer(0);
    return;
  }
  const db = c.db;
  const hash = c.db.objectOf(entry);
  let deleted = 0;
  let keyRemoved = false;
  for (let j = 2; j < argv.length; j++) {
    if (!db.deleteField(entry, argv[j]!)) continue;
    deleted++;
    if (hash.size === 0) {
      db.deleteEntry(entry);
      keyRemoved = true;
      break;
    }
  }
  if (deleted > 0) {
    if (!keyRemoved) db.signalModified(key);
    moreChanges(c, deleted - 1);
    const keyspace = c.server.keyspace;
    keyspace.notify('h', 'hdel', key, db);
    if (keyRemoved) keyspace.notify('g', 'del', key, db);
  }
  c.reply.integer(deleted);
}

/** HLEN key */
function hlen(c: Client, argv: string[]): void {
  const entry = readHash(c, argv[1]!);
  if (entry !== null) c.reply.integer(entry === undefined ? 0 : c.db.objectOf(entry).size);
}

/** HSTRLEN key field */
function hstrlen(c: Client, argv: string[]): void {
  const entry = readHash(c, argv[1]!);
  if (entry !== null) c.reply.integer(entry === undefined ? 0 : Math.max(0, c.db.objectOf(entry).valueLength(argv[2]!)));
}

/** HEXISTS key field */
function hexists(c: Client, argv: string[]): void {
  const entry = readHash(c, argv[1]!);
  if (entry !== null) c.reply.integer(entry !== undefined && c.db.objectOf(entry).has(argv[2]!) ? 1 : 0);
}

/**
 * HINCRBY key field increment
 * Exact over int64 (bigint past 2^53), as INCRBY. The field keeps its TTL, as in
 * Redis 7.4: the value is altered, not replaced.
 */
function hincrby(c: Client, argv: string[]): void {
  const by = parseI64(argv[3]!);
  if (by === undefined) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  const key = argv[1]!;
  const field = argv[2]!;
  const entry = writeHash(c, key);
  if (entry === null) return;
  let value: number | bigint = 0;
  const old = (entry === undefined ? undefined : c.db.objectOf(entry))?.get(field);
  if (old !== undefined) {
    const parsed = parseI64(old);
    if (parsed === undefined) {
      c.reply.error(ERR_HASH_NOT_INTEGER);
      return;
    }
    value = parsed;
  }
  let result: number | bigint = typeof value === 'number' && typeof by === 'number' ? value + by : NaN;
  if (!Number.isSafeInteger(result)) {
    result = BigInt(value) + BigInt(by);
    if (result > INT64_MAX || result < INT64_MIN) {
      c.reply.error(ERR_OVERFLOW);
      return;
    }
  }
  setIncremented(c, key, entry, field, String(result));
  c.reply.integer(result);
  c.server.keyspace.notify('h', 'hincrby', key, c.db);
}

/**
 * HINCRBYFLOAT key field increment
 * In C long double arithmetic with Redis's parsing and printing, as INCRBYFLOAT, so
 * replies and stored values match Redis byte for byte. The field keeps its TTL.
 */
function hincrbyfloat(c: Client, argv: string[]): void {
  const by = parseLongDouble(argv[3]!);
  if (by === undefined) {
    c.reply.error(ERR_NOT_FLOAT);
    return;
  }
  if (!isFiniteLongDouble(by)) {
    c.reply.error(ERR_INCREMENT_NAN_OR_INFINITY);
    return;
  }
  const key = argv[1]!;
  const field = argv[2]!;
  const entry = writeHash(c, key);
  if (entry === null) return;
  let sum = by;
  const old = (entry === undefined ? undefined : c.db.objectOf(entry))?.get(field);
  if (old !== undefined) {
    const value = parseLongDouble(old);
    if (value === undefined) {
      c.reply.error(ERR_HASH_NOT_FLOAT);
      return;
    }
    sum = addLongDouble(value, by);
    if (!isFiniteLongDouble(sum)) {
      c.reply.error(ERR_NAN_OR_INFINITY);
      return;
    }
  }
  const text = formatLongDoubleHuman(sum);
  setIncremented(c, key, entry, field, text);
  c.reply.bulk(text);
  // Replicas get the result, not the sum to redo (float formatting could differ there).
  if (c.server.writeStream.active) c.propagateAs = ['HSET', key, field, text];
  c.server.keyspace.notify('h', 'hincrbyfloat', key, c.db);
}

/** Stores an incremented value, creating the hash if needed and keeping the field's TTL. */
function setIncremented(c: Client, key: string, entry: HashEntry | undefined, field: string, text: string): void {
  if (entry === undefined) {
    createWith(c, key, field, text);
  } else {
    c.db.setField(entry, field, text, true);
    c.db.signalModified(key);
  }
}

/**
 * HSCAN key cursor [MATCH pattern] [COUNT count] [NOVALUES]
 *
 * As Redis, the cursor is checked before the key, and options only once the key is
 * found to hold a hash; a later MATCH or COUNT replaces an earlier one. A compact hash
 * is returned whole in one call with cursor 0, whatever the cursor and COUNT, as Redis
 * does for a listpack, in the same order. A larger one is walked with lapse's own
 * cursor (see FieldTable.scan): every field present from the start to the end of an
 * iteration is returned, the iteration ends, and COUNT bounds the fields looked at
 * before MATCH filters them. NOVALUES (Redis 7.4, https://redis.io/docs/latest/commands/hscan/)
 * returns the fields alone.
 */
function hscan(c: Client, argv: string[]): void {
  const scan = beginCollectionScan(c, argv, readHash, true);
  if (scan === null) return;
  const { cursor, value: hash, options: { count, pattern, values } } = scan;
  // Fields (and values) found, filtered as they are visited.
  const scanned: string[] = [];
  const collect = (field: string, value: string): void => {
    if (pattern !== undefined && !globMatch(pattern, field)) return;
    scanned.push(field);
    if (values) scanned.push(value);
  };
  const next = hash.scan(hash.compact ? 0 : cursorSlot(cursor), count, collect);
  replyScan(c, next, scanned);
}

/**
 * HRANDFIELD key [count [WITHVALUES]]
 * Without count: one random field (null for a missing key). A positive count returns
 * distinct fields, at most the hash's size (the whole hash, in its order, when count
 * covers it); a negative count returns exactly |count| fields that may repeat. In RESP3
 * WITHVALUES gives [field, value] pairs, in RESP2 a flat list.
 */
function hrandfield(c: Client, argv: string[]): void {
  if (argv.length >= 3) {
    const parsed = parseRandomCount(c, argv, 'withvalues');
    if (parsed !== null) hrandfieldWithCount(c, argv[1]!, parsed.count, parsed.withPairs);
    return;
  }
  const entry = readHash(c, argv[1]!);
  if (entry === null) return;
  if (entry === undefined) {
    c.reply.nullBulk();
    return;
  }
  const hash = c.db.objectOf(entry);
  replyFieldAt(c, hash, hash.randomSlot());
}

/** Replies one field (and its value) of a random-field reply. */
function replyPair(c: Client, hash: HashValue, slot: number, withValues: boolean): void {
  if (withValues && c.protocol === 3) c.reply.arrayHeader(2);
  replyFieldAt(c, hash, slot);
  if (withValues) replyValueAt(c, hash, slot);
}

function hrandfieldWithCount(c: Client, key: string, l: number | bigint, withValues: boolean): void {
  const entry = readHash(c, key);
  if (entry === null) return;
  const reply = c.reply;
  const count = Number(l < 0 ? -l : l);
  if (entry === undefined || count === 0) {
    reply.arrayHeader(0);
    return;
  }
  const hash = c.db.objectOf(entry);
  const end = hash.slotCount;
  const size = hash.size;
  const flat = withValues && c.protocol === 2;
  // Fields may repeat: pick each independently.
  if (l < 0 || count === 1) {
    reply.arrayHeader(flat ? count * 2 : count);
    for (let n = 0; n < count; n++) replyPair(c, hash, hash.randomSlot(), withValues);
    return;
  }
  const replied = Math.min(count, size);
  reply.arrayHeader(flat ? replied * 2 : replied);
  // The whole hash, in its order.
  if (count >= size) {
    for (let i = 0; i < end; i += 2) if (hash.isLive(i)) replyPair(c, hash, i, withValues);
    return;
  }
  if (hash.compact) {
    // Distinct fields in the hash's order (Redis's lpRandomPairsUnique): selection
    // sampling takes each remaining field with probability needed/remaining.
    let needed = count;
    for (let i = 0; i < end && needed > 0; i += 2) {
      if (Math.random() * ((end - i) >> 1) < needed) {
        replyPair(c, hash, i, withValues);
        needed--;
      }
    }
    return;
  }
  if (count * 3 > size) {
    // Most of the hash: drop random fields from a list of all until count are left.
    const slots: number[] = [];
    for (let i = 0; i < end; i += 2) if (hash.isLive(i)) slots.push(i);
    let left = slots.length;
    while (left > count) {
      const drop = Math.floor(Math.random() * left);
      slots[drop] = slots[--left]!;
    }
    for (let n = 0; n < count; n++) replyPair(c, hash, slots[n]!, withValues);
    return;
  }
  // A small part of a large hash: random picks, skipping repeats.
  const picked = new Set<number>();
  while (picked.size < count) {
    const slot = hash.randomSlot();
    if (picked.has(slot)) continue;
    picked.add(slot);
    replyPair(c, hash, slot, withValues);
  }
}

// --- Hash field expiration (Redis 7.4) ---------------------------------------------
//
// Written from Redis 7.4's documentation (https://redis.io/docs/latest/commands/hexpire/,
// /httl/, /hpersist/ and their P/AT variants) and its t_hash.c: replies per field, in
// the order the fields are given.

export const HASH_COMMANDS: CommandDefinition[] = [
  /** HSET key field value [field value ...] */
  cmd('hset', -4, 'write denyoom fast', { acl: 'hash', keys: [key(1, 'RW update')] }, hset),
  /** HMSET key field value [field value ...] */
  cmd('hmset', -4, 'write denyoom fast', { acl: 'hash', keys: [key(1, 'RW update')] }, hmset),
  /** HSETNX key field value */
  cmd('hsetnx', 4, 'write denyoom fast', { acl: 'hash', keys: [key(1, 'RW insert')] }, hsetnx),
  /** HGET key field */
  cmd('hget', 3, 'readonly fast', { acl: 'hash', keys: [key(1, 'RO access')] }, hget),
  /** HMGET key field [field ...] */
  cmd('hmget', -3, 'readonly fast', { acl: 'hash', keys: [key(1, 'RO access')] }, hmget),
  /** HGETALL key */
  cmd('hgetall', 2, 'readonly', { acl: 'hash', tips: 'nondeterministic_output_order', keys: [key(1, 'RO access')] }, hgetall),
  /** HKEYS key */
  cmd('hkeys', 2, 'readonly', { acl: 'hash', tips: 'nondeterministic_output_order', keys: [key(1, 'RO access')] }, hkeys),
  /** HVALS key */
  cmd('hvals', 2, 'readonly', { acl: 'hash', tips: 'nondeterministic_output_order', keys: [key(1, 'RO access')] }, hvals),
  /** HDEL key field [field ...] */
  cmd('hdel', -3, 'write fast', { acl: 'hash', keys: [key(1, 'RW delete')] }, hdel),
  /** HLEN key */
  cmd('hlen', 2, 'readonly fast', { acl: 'hash', keys: [key(1, 'RO')] }, hlen),
  /** HSTRLEN key field */
  cmd('hstrlen', 3, 'readonly fast', { acl: 'hash', keys: [key(1, 'RO')] }, hstrlen),
  /** HEXISTS key field */
  cmd('hexists', 3, 'readonly fast', { acl: 'hash', keys: [key(1, 'RO')] }, hexists),
  /** HINCRBY key field increment */
  cmd('hincrby', 4, 'write denyoom fast', { acl: 'hash', keys: [key(1, 'RW access update')] }, hincrby),
  /** HINCRBYFLOAT key field increment */
  cmd('hincrbyfloat', 4, 'write denyoom fast', { acl: 'hash', keys: [key(1, 'RW access update')] }, hincrbyfloat),
  /** HSCAN key cursor [MATCH pattern] [COUNT count] */
  cmd('hscan', -3, 'readonly', { acl: 'hash', tips: 'nondeterministic_output', keys: [key(1, 'RO access')] }, hscan),
  /** HRANDFIELD key [count [WITHVALUES]] */
  cmd('hrandfield', -2, 'readonly', { acl: 'hash', tips: 'nondeterministic_output', keys: [key(1, 'RO access')] }, hrandfield),
];

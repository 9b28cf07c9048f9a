import type { Client } from './context.js';
import { NO_PROPAGATION } from './context.js';
import { cmd, key, keynum, type CommandDefinition } from './declare.js';
import {
  ERR_LIMIT_NEGATIVE,
  ERR_NOT_INTEGER,
  ERR_NOT_POSITIVE,
  ERR_NUMKEYS_OVER_ARGS,
  ERR_NUMKEYS_POSITIVE,
  ERR_SYNTAX,
  ERR_WRONGTYPE,
  errLongRange,
} from './errors.js';
import { optionName } from './args.js';
import { cursorSlot, beginCollectionScan, replyScan } from './collection-args.js';
import { moreChanges } from './hash-access.js';
import type { Entry, Holding } from '../keyspace/database.js';
import { SetValue } from '../keyspace/set.js';
import { globMatch } from '../util/glob.js';
import { INT64_MIN, parseI64 } from '../util/numbers.js';

/**
 * Set commands, as Redis 7.0.15's t_set.c: replies (sets in RESP3 where Redis sends
 * them), errors, keyspace events and the dirty counter follow it line by line.
 *
 * A change to a set goes through the Database: willMutate() before it (a background
 * snapshot writes the key first), valueChanged() after it (maxmemory's figure), and
 * set(), replaceValue(), deleteEntry() or signalModified() for WATCH and the dirty
 * counter. A set that a command empties is deleted with a `del` event, as in Redis.
 *
 * Pops (SPOP) are plain functions over a SetValue so a later blocking framework's "key
 * ready" hook can call them.
 */

/** An entry known to hold a set. */
type SetEntry = Holding<SetValue>;

/**
 * The set at key: undefined when absent, null after replying WRONGTYPE. For commands
 * that read the key (lookupKeyRead: a keyspace hit or miss).
 */
function readSet(c: Client, key: string): SetEntry | undefined | null {
  return checkSet(c, c.db.read(key));
}

/** readSet() for commands that write the key (lookupKeyWrite: no hit/miss counted). */
function writeSet(c: Client, key: string): SetEntry | undefined | null {
  return checkSet(c, c.db.get(key));
}

function checkSet(c: Client, entry: Entry | undefined): SetEntry | undefined | null {
  if (entry === undefined) return undefined;
  if (!(c.db.valueOf(entry) instanceof SetValue)) {
    c.reply.error(ERR_WRONGTYPE);
    return null;
  }
  return entry as SetEntry;
}

/** Adds argv[from..] to a set that exists; returns how many were new. */
function addMembers(c: Client, entry: SetEntry, argv: string[], from: number): number {
  const db = c.db;
  const set = c.db.objectOf(entry);
  const before = db.willMutate(entry);
  let added = 0;
  const encoding = db.setEncoding;
  for (let j = from; j < argv.length; j++) if (set.add(argv[j]!, encoding)) added++;
  db.valueChanged(entry, before);
  return added;
}

/** A new set of argv[from..] (SADD, SMOVE on a missing key). */
function newSet(c: Client, argv: string[], from: number): SetValue {
  const set = new SetValue();
  const encoding = c.db.setEncoding;
  for (let j = from; j < argv.length; j++) set.add(argv[j]!, encoding);
  if (argv.length - from > 1) set.fit();
  return set;
}

/** Deletes the entry of a set a command emptied, with Redis's `del` event. */
function deleteEmptied(c: Client, entry: SetEntry): void {
  const key = c.db.keyOf(entry);
  c.db.deleteEntry(entry);
  c.server.keyspace.notify('g', 'del', key, c.db);
}

/** Replies a whole set: a set in RESP3, an array in RESP2, in the set's order. */
function replySet(c: Client, set: SetValue): void {
  const reply = c.reply;
  reply.setHeader(set.size);
  const n = set.slotCount;
  for (let i = 0; i < n; i++) {
    const start = set.memberStartAt(i);
    if (start >= 0) {
      // A large set's member, copied from its arena (no string made).
      reply.bulkArena(set.arenaBytes(i), set.arenaView(i), start, start + set.memberLengthAt(i));
      continue;
    }
    const m = set.memberAt(i);
    if (m !== null) reply.bulk(m);
  }
}

/** SADD key member [member ...] */
function sadd(c: Client, argv: string[]): void {
  const key = argv[1]!;
  const entry = writeSet(c, key);
  if (entry === null) return;
  const db = c.db;
  let added: number;
  if (entry === undefined) {
    const set = newSet(c, argv, 2);
    added = set.size;
    db.set(key, set);
  } else {
    added = addMembers(c, entry, argv, 2);
    if (added > 0) db.signalModified(key);
  }
  if (added > 0) {
    moreChanges(c, added - 1);
    c.server.keyspace.notify('s', 'sadd', key, db);
  }
  c.reply.integer(added);
}

/** SREM key member [member ...]: removing the last member deletes the key. */
function srem(c: Client, argv: string[]): void {
  const key = argv[1]!;
  const entry = writeSet(c, key);
  if (entry === null) return;
  if (entry === undefined) {
    c.reply.integer(0);
    return;
  }
  const db = c.db;
  const set = c.db.objectOf(entry);
  const before = db.willMutate(entry);
  let deleted = 0;
  for (let j = 2; j < argv.length; j++) {
    if (!set.remove(argv[j]!)) continue;
    deleted++;
    if (set.size === 0) break;
  }
  db.valueChanged(entry, before);
  if (deleted > 0) {
    const keyspace = c.server.keyspace;
    const emptied = set.size === 0;
    if (emptied) db.deleteEntry(entry);
    else db.signalModified(key);
    moreChanges(c, deleted - 1);
    keyspace.notify('s', 'srem', key, db);
    if (emptied) keyspace.notify('g', 'del', key, db);
  }
  c.reply.integer(deleted);
}

/**
 * SMOVE source destination member
 * As Redis: a missing source answers 0 before either type is checked; the same key
 * for both answers whether the member is there; the destination is created if needed.
 */
function smove(c: Client, argv: string[]): void {
  const srcKey = argv[1]!;
  const dstKey = argv[2]!;
  const member = argv[3]!;
  const db = c.db;
  const src = db.get(srcKey);
  const dst = db.get(dstKey);
  if (src === undefined) {
    c.reply.integer(0);
    return;
  }
  if (!(c.db.valueOf(src) instanceof SetValue) || (dst !== undefined && !(c.db.valueOf(dst) instanceof SetValue))) {
    c.reply.error(ERR_WRONGTYPE);
    return;
  }
  const srcSet = c.db.objectOf(src as SetEntry);
  if (src === dst) {
    c.reply.integer(srcSet.has(member) ? 1 : 0);
    return;
  }
  if (!srcSet.has(member)) {
    c.reply.integer(0);
    return;
  }
  const before = db.willMutate(src);
  srcSet.remove(member);
  db.valueChanged(src, before);
  const keyspace = c.server.keyspace;
  keyspace.notify('s', 'srem', srcKey, db);
  if (srcSet.size === 0) deleteEmptied(c, src as SetEntry);
  else db.signalModified(srcKey);
  // Counted as a change only when the member was added (Redis's dirty and WATCH).
  if (dst === undefined) {
    db.set(dstKey, newSet(c, argv, 3));
    keyspace.notify('s', 'sadd', dstKey, db);
  } else if (addMembers(c, dst as SetEntry, argv, 3) > 0) {
    db.signalModified(dstKey);
    keyspace.notify('s', 'sadd', dstKey, db);
  }
  c.reply.integer(1);
}

/** SISMEMBER key member */
function sismember(c: Client, argv: string[]): void {
  const entry = readSet(c, argv[1]!);
  if (entry !== null) c.reply.integer(entry !== undefined && c.db.objectOf(entry).has(argv[2]!) ? 1 : 0);
}

/** SMISMEMBER key member [member ...]: a missing key reads as an empty set. */
function smismember(c: Client, argv: string[]): void {
  const entry = readSet(c, argv[1]!);
  if (entry === null) return;
  const reply = c.reply;
  reply.arrayHeader(argv.length - 2);
  for (let j = 2; j < argv.length; j++) reply.integer(entry !== undefined && c.db.objectOf(entry).has(argv[j]!) ? 1 : 0);
}

/** SCARD key */
function scard(c: Client, argv: string[]): void {
  const entry = readSet(c, argv[1]!);
  if (entry !== null) c.reply.integer(entry === undefined ? 0 : c.db.objectOf(entry).size);
}

/** t_set.c SPOP_MOVE_STRATEGY_MUL: past remaining*5 <= count, SPOP keeps the rest instead. */
const SPOP_MOVE_STRATEGY_MUL = 5;

/**
 * SPOP key [count]
 * Without count: one random member, or null. With count (>= 0; checked before the key):
 * a set reply of distinct members, built as Redis does: the whole set when count covers
 * it (the key is deleted), members taken one by one when few are asked for, or else the
 * members to keep drawn into a new set that replaces the old one (so its encoding is
 * chosen afresh, as Redis's setTypeCreate does).
 */
function spop(c: Client, argv: string[]): void {
  if (argv.length === 3) {
    spopWithCount(c, argv);
    return;
  }
  if (argv.length > 3) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  const key = argv[1]!;
  const entry = writeSet(c, key);
  if (entry === null) return;
  if (entry === undefined) {
    c.reply.nullBulk();
    return;
  }
  const db = c.db;
  const set = c.db.objectOf(entry);
  const member = set.random();
  const before = db.willMutate(entry);
  set.remove(member);
  db.valueChanged(entry, before);
  c.server.keyspace.notify('s', 'spop', key, db);
  c.reply.bulk(member);
  if (set.size === 0) deleteEmptied(c, entry);
  else db.signalModified(key);
  // Replicated as the member it took, never as a pop to draw again.
  if (c.server.writeStream.active) c.propagateAs = ['SREM', key, member];
}

function spopWithCount(c: Client, argv: string[]): void {
  // getPositiveLongFromObjectOrReply: one message for a non-integer and a negative count.
  const l = parseI64(argv[2]!);
  if (l === undefined || l < 0) {
    c.reply.error(ERR_NOT_POSITIVE);
    return;
  }
  const key = argv[1]!;
  const entry = writeSet(c, key);
  if (entry === null) return;
  const reply = c.reply;
  if (entry === undefined || l === 0) {
    reply.setHeader(0);
    return;
  }
  const db = c.db;
  const keyspace = c.server.keyspace;
  const set = c.db.objectOf(entry);
  const size = set.size;
  keyspace.notify('s', 'spop', key, db);
  if (l >= size) {
    // Redis replies through SUNION of the one key: a lookup that counts a keyspace hit,
    // and the members in the order of a set built from them.
    db.read(key);
    replySet(c, unionOf(c, [set]));
    db.deleteEntry(entry);
    moreChanges(c, size - 1);
    keyspace.notify('g', 'del', key, db);
    if (c.server.writeStream.active) c.propagateAs = ['DEL', key];
    return;
  }
  // Replicated as one SREM per member taken (in the execution unit, so MULTI/EXEC wraps
  // them), the SPOP itself not at all.
  const stream = c.server.writeStream.active ? c.server.writeStream : null;
  if (stream !== null) c.propagateAs = NO_PROPAGATION;
  const count = Number(l);
  reply.setHeader(count);
  const remaining = size - count;
  const before = db.willMutate(entry);
  if (remaining * SPOP_MOVE_STRATEGY_MUL > count) {
    for (let n = 0; n < count; n++) {
      const member = set.random();
      reply.bulk(member);
      set.remove(member);
      stream?.propagate(db.index, ['SREM', key, member]);
    }
    db.valueChanged(entry, before);
    db.signalModified(key);
  } else {
    const kept = new SetValue();
    const encoding = db.setEncoding;
    for (let n = 0; n < remaining; n++) {
      const member = set.random();
      kept.add(member, encoding);
      set.remove(member);
    }
    kept.fit();
    set.forEach((member) => {
      reply.bulk(member);
      stream?.propagate(db.index, ['SREM', key, member]);
    });
    db.valueChanged(entry, before);
    db.replaceValue(entry, kept);
  }
  moreChanges(c, count - 1);
}

/** t_set.c SRANDMEMBER_SUB_STRATEGY_MUL: past count*3 > size, copy the set and drop members instead. */
const SRANDMEMBER_SUB_STRATEGY_MUL = 3;

/**
 * SRANDMEMBER key [count]
 * Without count: one random member, or null. A negative count returns exactly |count|
 * members that may repeat; a positive one distinct members, the whole set (in its
 * order) when count covers it. Counts are checked (-2^63 is refused) before the key.
 */
function srandmember(c: Client, argv: string[]): void {
  if (argv.length === 3) {
    srandmemberWithCount(c, argv);
    return;
  }
  if (argv.length > 3) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  const entry = readSet(c, argv[1]!);
  if (entry === null) return;
  if (entry === undefined) c.reply.nullBulk();
  else c.reply.bulk(c.db.objectOf(entry).random());
}

function srandmemberWithCount(c: Client, argv: string[]): void {
  const l = parseI64(argv[2]!);
  if (l === undefined) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  if (l === INT64_MIN) {
    c.reply.error(errLongRange('-9223372036854775807', '9223372036854775807'));
    return;
  }
  const entry = readSet(c, argv[1]!);
  if (entry === null) return;
  const reply = c.reply;
  const count = Number(l < 0 ? -l : l);
  if (entry === undefined || count === 0) {
    reply.arrayHeader(0);
    return;
  }
  const set = c.db.objectOf(entry);
  const size = set.size;
  if (l < 0 || count === 1) {
    // Members may repeat: each drawn independently. Like Redis, stop early if the
    // client is being closed for its output buffer limit.
    reply.arrayHeader(count);
    const transport = c.transport;
    for (let n = 0; n < count; n++) {
      reply.bulk(set.random());
      if ((n & 1023) === 1023 && transport.closingAsap) break;
    }
    return;
  }
  if (count >= size) {
    reply.arrayHeader(size);
    set.forEach((member) => reply.bulk(member));
    return;
  }
  reply.arrayHeader(count);
  if (count * SRANDMEMBER_SUB_STRATEGY_MUL > size) {
    // Most of the set: drop random members from a copy until count are left.
    const members = set.toArray();
    let left = members.length;
    while (left > count) {
      const drop = Math.floor(Math.random() * left);
      members[drop] = members[--left]!;
    }
    for (let n = 0; n < count; n++) reply.bulk(members[n]!);
    return;
  }
  // A small part of a large set: random picks, skipping repeats.
  const picked = new Set<string>();
  while (picked.size < count) {
    const member = set.random();
    if (picked.has(member)) continue;
    picked.add(member);
    reply.bulk(member);
  }
}

/**
 * The sets at keys[from..] for a set operation, looked up for reading (null for a
 * missing key), or undefined after replying WRONGTYPE.
 */
function lookupSets(c: Client, argv: string[], from: number, to: number): (SetValue | null)[] | undefined {
  const sets: (SetValue | null)[] = [];
  for (let j = from; j < to; j++) {
    const entry = c.db.read(argv[j]!);
    if (entry === undefined) {
      sets.push(null);
      continue;
    }
    if (!(c.db.valueOf(entry) instanceof SetValue)) {
      c.reply.error(ERR_WRONGTYPE);
      return undefined;
    }
    sets.push(c.db.objectOf(entry as SetEntry));
  }
  return sets;
}

/**
 * Stores a STORE command's result at dst (replacing any value and TTL) with its event,
 * or, when it is empty, deletes dst (with a `del` event if it existed). Replies the
 * result's size.
 */
function storeResult(c: Client, dst: string, result: SetValue, event: string): void {
  const db = c.db;
  const keyspace = c.server.keyspace;
  if (result.size > 0) {
    result.fit();
    db.set(dst, result);
    c.reply.integer(result.size);
    keyspace.notify('s', event, dst, db);
    return;
  }
  c.reply.integer(0);
  if (db.delete(dst)) keyspace.notify('g', 'del', dst, db);
}

/**
 * SINTER, SMEMBERS, SINTERSTORE, SINTERCARD: t_set.c sinterGenericCommand. Any missing
 * key makes the result empty. Otherwise the smallest set is walked (in its order, so an
 * intset's result comes out sorted) and each member kept if every other set has it;
 * SINTERCARD stops at `limit` (0: none). A stored result starts as an intset, as Redis's.
 */
function sinterGeneric(c: Client, argv: string[], from: number, to: number, dst: string | null, cardinalityOnly: boolean, limit: number): void {
  const found = lookupSets(c, argv, from, to);
  if (found === undefined) return;
  const reply = c.reply;
  if (found.includes(null)) {
    if (dst !== null) {
      const db = c.db;
      if (db.delete(dst)) c.server.keyspace.notify('g', 'del', dst, db);
      reply.integer(0);
    } else if (cardinalityOnly) {
      reply.integer(0);
    } else {
      reply.setHeader(0);
    }
    return;
  }
  const sets = (found as SetValue[]).sort((a, b) => a.size - b.size);
  const first = sets[0]!;
  if (sets.length === 1 && dst === null && !cardinalityOnly) {
    // SMEMBERS (SINTER of one key): the set as it is, a large one's members copied from
    // its arena, no string made of each.
    replySet(c, first);
    return;
  }
  const result = dst !== null ? new SetValue() : null;
  const encoding = c.db.setEncoding;
  const members: string[] = [];
  let cardinality = 0;
  const slots = first.slotCount;
  for (let i = 0; i < slots; i++) {
    const member = first.memberAt(i);
    if (member === null) continue;
    let inAll = true;
    for (let j = 1; j < sets.length; j++) {
      const other = sets[j]!;
      if (other !== first && !other.has(member)) {
        inAll = false;
        break;
      }
    }
    if (!inAll) continue;
    if (cardinalityOnly) {
      cardinality++;
      if (limit > 0 && cardinality >= limit) break;
    } else if (result !== null) {
      result.add(member, encoding);
    } else {
      members.push(member);
    }
  }
  if (cardinalityOnly) {
    reply.integer(cardinality);
  } else if (result !== null) {
    storeResult(c, dst!, result, 'sinterstore');
  } else {
    reply.setHeader(members.length);
    for (const m of members) reply.bulk(m);
  }
}

/** The union of sets, built as Redis builds it: an intset first, grown member by member. */
function unionOf(c: Client, sets: readonly (SetValue | null)[]): SetValue {
  const result = new SetValue();
  const encoding = c.db.setEncoding;
  for (const set of sets) if (set !== null) set.forEach((m) => result.add(m, encoding));
  return result;
}

const SET_OP_UNION = 0;
const SET_OP_DIFF = 1;

/**
 * SUNION, SDIFF and their STORE forms: t_set.c sunionDiffGenericCommand. Missing keys
 * are empty sets. The result is built as a set (an intset while it can be, so a result
 * of few integers comes out sorted, as Redis's), and SDIFF picks Redis's algorithm from
 * the same sizes (it decides the result's encoding when members are removed).
 */
function sunionDiffGeneric(c: Client, argv: string[], from: number, dst: string | null, op: number): void {
  const sets = lookupSets(c, argv, from, argv.length);
  if (sets === undefined) return;
  const first = sets[0] ?? null;
  let sameSet = false;
  for (let j = 1; j < sets.length; j++) if (sets[j] !== null && sets[j] === first) sameSet = true;
  let result: SetValue;
  const encoding = c.db.setEncoding;
  if (op === SET_OP_UNION) {
    result = unionOf(c, sets);
  } else {
    result = new SetValue();
    if (first !== null && !sameSet) {
      // Algorithm 1 (each member of the first set checked against the others) costs
      // |first| per set, algorithm 2 (add the first, remove the others) the sum of the
      // sizes; Redis halves the first to favour algorithm 1.
      let oneWork = 0;
      let twoWork = 0;
      for (const set of sets) {
        if (set === null) continue;
        oneWork += first.size;
        twoWork += set.size;
      }
      if (Math.floor(oneWork / 2) <= twoWork) {
        const others = sets.slice(1).sort((a, b) => (b?.size ?? 0) - (a?.size ?? 0));
        first.forEach((member) => {
          for (const other of others) if (other !== null && other.has(member)) return;
          result.add(member, encoding);
        });
      } else {
        for (let j = 0; j < sets.length; j++) {
          const set = sets[j];
          if (set === null || set === undefined) continue;
          if (j === 0) set.forEach((m) => result.add(m, encoding));
          else set.forEach((m) => result.remove(m));
          if (result.size === 0) break;
        }
      }
    }
  }
  if (dst === null) replySet(c, result);
  else storeResult(c, dst, result, op === SET_OP_UNION ? 'sunionstore' : 'sdiffstore');
}

/** SMEMBERS key: Redis 7.0 runs SINTER of the one key. */
function smembers(c: Client, argv: string[]): void {
  sinterGeneric(c, argv, 1, 2, null, false, 0);
}

/** SINTER key [key ...] */
function sinter(c: Client, argv: string[]): void {
  sinterGeneric(c, argv, 1, argv.length, null, false, 0);
}

/** SINTERSTORE destination key [key ...] */
function sinterstore(c: Client, argv: string[]): void {
  sinterGeneric(c, argv, 2, argv.length, argv[1]!, false, 0);
}

/**
 * SINTERCARD numkeys key [key ...] [LIMIT limit]
 * numkeys and LIMIT are checked, with Redis's own messages, before any key.
 */
function sintercard(c: Client, argv: string[]): void {
  const numkeys = parseI64(argv[1]!);
  if (numkeys === undefined || numkeys < 1) {
    c.reply.error(ERR_NUMKEYS_POSITIVE);
    return;
  }
  if (numkeys > argv.length - 2) {
    c.reply.error(ERR_NUMKEYS_OVER_ARGS);
    return;
  }
  const end = 2 + Number(numkeys);
  let limit = 0;
  for (let j = end; j < argv.length; j++) {
    if (optionName(argv[j]!) === 'limit' && j + 1 < argv.length) {
      const n = parseI64(argv[++j]!);
      if (n === undefined || n < 0) {
        c.reply.error(ERR_LIMIT_NEGATIVE);
        return;
      }
      // Any limit beyond a set's possible size is no limit.
      limit = n > Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : Number(n);
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  sinterGeneric(c, argv, 2, end, null, true, limit);
}

/** SUNION key [key ...] */
function sunion(c: Client, argv: string[]): void {
  sunionDiffGeneric(c, argv, 1, null, SET_OP_UNION);
}

/** SUNIONSTORE destination key [key ...] */
function sunionstore(c: Client, argv: string[]): void {
  sunionDiffGeneric(c, argv, 2, argv[1]!, SET_OP_UNION);
}

/** SDIFF key [key ...] */
function sdiff(c: Client, argv: string[]): void {
  sunionDiffGeneric(c, argv, 1, null, SET_OP_DIFF);
}

/** SDIFFSTORE destination key [key ...] */
function sdiffstore(c: Client, argv: string[]): void {
  sunionDiffGeneric(c, argv, 2, argv[1]!, SET_OP_DIFF);
}

/**
 * SSCAN key cursor [MATCH pattern] [COUNT count]
 *
 * As Redis, the cursor is checked before the key, and options only once the key is
 * found to hold a set; a later MATCH or COUNT replaces an earlier one. An intset is
 * returned whole in one call with cursor 0, whatever the cursor and COUNT, in its
 * (numeric) order, as Redis does. A hashtable is walked with lapse's own cursor (see
 * SetValue.scan): every member present from the start to the end of an iteration is
 * returned, the iteration ends, and COUNT bounds the members looked at before MATCH
 * filters them.
 */
function sscan(c: Client, argv: string[]): void {
  const scan = beginCollectionScan(c, argv, readSet, false);
  if (scan === null) return;
  const { cursor, value: set, options: { count, pattern } } = scan;
  const scanned: string[] = [];
  const collect = (member: string): void => {
    if (pattern === undefined || globMatch(pattern, member)) scanned.push(member);
  };
  let next = 0;
  if (set.isIntset) set.forEach(collect);
  else next = set.scan(cursorSlot(cursor), count, collect);
  replyScan(c, next, scanned);
}

export const SET_COMMANDS: CommandDefinition[] = [
  /** SADD key member [member ...] */
  cmd('sadd', -3, 'write denyoom fast', { acl: 'set', keys: [key(1, 'RW insert')] }, sadd),
  /** SREM key member [member ...] */
  cmd('srem', -3, 'write fast', { acl: 'set', keys: [key(1, 'RW delete')] }, srem),
  /** SMEMBERS key */
  cmd('smembers', 2, 'readonly', { acl: 'set', tips: 'nondeterministic_output_order', keys: [key(1, 'RO access')] }, smembers),
  /** SISMEMBER key member */
  cmd('sismember', 3, 'readonly fast', { acl: 'set', keys: [key(1, 'RO')] }, sismember),
  /** SMISMEMBER key member [member ...] */
  cmd('smismember', -3, 'readonly fast', { acl: 'set', keys: [key(1, 'RO access')] }, smismember),
  /** SCARD key */
  cmd('scard', 2, 'readonly fast', { acl: 'set', keys: [key(1, 'RO')] }, scard),
  /** SPOP key [count] */
  cmd('spop', -2, 'write fast', { acl: 'set', tips: 'nondeterministic_output', keys: [key(1, 'RW access delete')] }, spop),
  /** SRANDMEMBER key [count] */
  cmd('srandmember', -2, 'readonly', { acl: 'set', tips: 'nondeterministic_output', keys: [key(1, 'RO access')] }, srandmember),
  /** SMOVE source destination member */
  cmd('smove', 4, 'write fast', { acl: 'set', keys: [key(1, 'RW access delete'), key(2, 'RW insert')] }, smove),
  /** SINTER key [key ...] */
  cmd('sinter', -2, 'readonly', { acl: 'set', tips: 'nondeterministic_output_order', keys: [key(1, 'RO access', { last: -1 })] }, sinter),
  /** SINTERCARD numkeys key [key ...] [LIMIT limit] */
  cmd('sintercard', -3, 'readonly', {
    acl: 'set',
    keys: [keynum(1, 'RO access')],
  }, sintercard),
  /** SINTERSTORE destination key [key ...] */
  cmd('sinterstore', -3, 'write denyoom', { acl: 'set', keys: [key(1, 'RW update'), key(2, 'RO access', { last: -1 })] }, sinterstore),
  /** SUNION key [key ...] */
  cmd('sunion', -2, 'readonly', { acl: 'set', tips: 'nondeterministic_output_order', keys: [key(1, 'RO access', { last: -1 })] }, sunion),
  /** SUNIONSTORE destination key [key ...] */
  cmd('sunionstore', -3, 'write denyoom', { acl: 'set', keys: [key(1, 'OW update'), key(2, 'RO access', { last: -1 })] }, sunionstore),
  /** SDIFF key [key ...] */
  cmd('sdiff', -2, 'readonly', { acl: 'set', tips: 'nondeterministic_output_order', keys: [key(1, 'RO access', { last: -1 })] }, sdiff),
  /** SDIFFSTORE destination key [key ...] */
  cmd('sdiffstore', -3, 'write denyoom', { acl: 'set', keys: [key(1, 'OW update'), key(2, 'RO access', { last: -1 })] }, sdiffstore),
  /** SSCAN key cursor [MATCH pattern] [COUNT count] */
  cmd('sscan', -3, 'readonly', { acl: 'set', tips: 'nondeterministic_output', keys: [key(1, 'RO access')] }, sscan),
];

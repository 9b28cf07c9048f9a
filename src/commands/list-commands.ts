import type { Client } from './context.js';
import { cmd, key, keynum, type CommandDefinition } from './declare.js';
import {
  ERR_INDEX_OUT_OF_RANGE,
  ERR_LPOS_COUNT_NEGATIVE,
  ERR_LPOS_MAXLEN_NEGATIVE,
  ERR_LPOS_RANK_ZERO,
  ERR_NOT_POSITIVE,
  ERR_NO_SUCH_KEY,
  ERR_NOT_INTEGER,
  ERR_SYNTAX,
  ERR_WRONGTYPE,
  errWrongArity,
} from './errors.js';
import { parseTimeout } from './blocking.js';
import { parseMultiPop } from './collection-args.js';
import { optionName } from './args.js';
import type { Entry, Holding } from '../keyspace/database.js';
import { ListValue } from '../keyspace/list.js';
import { parseLong } from '../util/numbers.js';

/**
 * List commands, as Redis 7.0.15's t_list.c: replies, errors (in Redis's order of
 * checks: an argument parsed before the key is looked up errs first), keyspace events
 * ("lpush", "rpush", "lpop", "rpop", "linsert", "lset", "lrem", "ltrim", and "del" when a
 * list empties) and the dirty counter (one change per element pushed or removed).
 *
 * Every change goes through the Database: willMutate() before a list changes in place
 * (a running BGSAVE writes the key first), valueChanged() after it (maxmemory), and the
 * key is deleted through the Database when its list empties. The blocking variants
 * (BLPOP...) pop through replyPopped(), as LPOP/RPOP and LMPOP do.
 */

const HEAD = 0;
const TAIL = 1;
type End = typeof HEAD | typeof TAIL;
/** LMPOP's and BLMPOP's ends, in the order of HEAD and TAIL. */
const LEFT_RIGHT = ['left', 'right'] as const;

/** An entry known to hold a list. */
export type ListEntry = Holding<ListValue>;

/** The list at key for a reading command (lookupKeyRead: hit/miss counted); null after replying WRONGTYPE. */
function readList(c: Client, key: string): ListEntry | undefined | null {
  return checkList(c, c.db.read(key));
}

/** The list at key for a writing command (lookupKeyWrite); null after replying WRONGTYPE. */
export function writeList(c: Client, key: string): ListEntry | undefined | null {
  return checkList(c, c.db.get(key));
}

/** LLEN of key for the blocking move's accounting: undefined when absent. */
function listLength(c: Client, key: string): number | undefined {
  const entry = c.db.get(key) as ListEntry | undefined;
  return entry === undefined ? undefined : c.db.objectOf(entry).length;
}

function checkList(c: Client, entry: Entry | undefined): ListEntry | undefined | null {
  if (entry === undefined) return undefined;
  if (!(c.db.valueOf(entry) instanceof ListValue)) {
    c.reply.error(ERR_WRONGTYPE);
    return null;
  }
  return entry as ListEntry;
}

/**
 * Adjusts the dirty counter by n beyond what the database counted (one per key change
 * it saw), so a command counts what Redis's does: one per element pushed or removed.
 */
function moreChanges(c: Client, n: number): void {
  c.server.keyspace.changesSinceSave += n;
}

/**
 * After elements were removed from `list`, the value of `key` (entry), in place (its bytes
 * accounted by the caller's valueChanged): fires `event`, deletes the key if the list is
 * empty (and fires "del"), tells WATCH, and counts `removed` changes, as t_list.c's
 * listElementsRemoved. Returns whether the key was deleted. The caller passes the key it
 * looked up, so that none is made from the stored bytes.
 */
function elementsRemoved(c: Client, key: string, entry: ListEntry, list: ListValue, event: string, removed: number): boolean {
  const db = c.db;
  const keyspace = c.server.keyspace;
  keyspace.notify('l', event, key, db);
  let deleted = false;
  if (list.length === 0) {
    db.deleteEntry(entry);
    keyspace.notify('g', 'del', key, db);
    deleted = true;
  } else {
    db.signalModified(key);
  }
  moreChanges(c, removed - 1);
  return deleted;
}

/**
 * Pushes values[from..] at one end of the list at key, creating it if `entry` is
 * undefined; the caller replies. Fires "lpush"/"rpush" (and "new" for a new key). Returns
 * the list.
 */
export function pushElements(c: Client, key: string, entry: ListEntry | undefined, values: readonly string[], from: number, where: End): ListValue {
  const db = c.db;
  let list: ListValue;
  if (entry === undefined) {
    list = new ListValue(db.hashEncoding.arenas);
    pushAll(list, values, from, where);
    db.set(key, list);
  } else {
    list = c.db.objectOf(entry);
    const before = db.willMutate(entry);
    pushAll(list, values, from, where);
    db.valueChanged(entry, before);
    db.signalModified(key);
  }
  moreChanges(c, values.length - from - 1);
  c.server.keyspace.notify('l', where === HEAD ? 'lpush' : 'rpush', key, db);
  return list;
}

function pushAll(list: ListValue, values: readonly string[], from: number, where: End): void {
  if (where === HEAD) for (let i = from; i < values.length; i++) list.pushHead(values[i]!);
  else for (let i = from; i < values.length; i++) list.pushTail(values[i]!);
}

/**
 * Pops up to `count` elements from one end of the live list at `key` (entry) into the
 * reply, from the list's bytes: the element alone (count 1, !asArray) or an array of them
 * in the order popped. Then, as Redis replies before it notifies, the events and counts
 * of listElementsRemoved (the key deleted if the list empties). Returns how many.
 */
function replyPopped(c: Client, key: string, entry: ListEntry, where: End, count: number, asArray: boolean): number {
  const db = c.db;
  const list = db.objectOf(entry);
  const n = Math.min(count, list.length);
  const before = db.willMutate(entry);
  if (asArray) c.reply.arrayHeader(n);
  for (let i = 0; i < n; i++) list.popTo(where === TAIL, c.reply);
  db.valueChanged(entry, before);
  elementsRemoved(c, key, entry, list, where === HEAD ? 'lpop' : 'rpop', n);
  return n;
}

/**
 * LPUSH key element [element ...]
 * RPUSH key element [element ...]
 * LPUSHX key element [element ...]
 * RPUSHX key element [element ...]
 * Replies the length after the pushes; the X forms push only onto an existing list (0 otherwise).
 */
function pushGeneric(c: Client, argv: string[], where: End, onlyExisting: boolean): void {
  const key = argv[1]!;
  const entry = writeList(c, key);
  if (entry === null) return;
  if (entry === undefined && onlyExisting) {
    c.reply.integer(0);
    return;
  }
  const list = pushElements(c, key, entry, argv, 2, where);
  c.reply.integer(list.length);
}

function lpush(c: Client, argv: string[]): void {
  pushGeneric(c, argv, HEAD, false);
}

function rpush(c: Client, argv: string[]): void {
  pushGeneric(c, argv, TAIL, false);
}

function lpushx(c: Client, argv: string[]): void {
  pushGeneric(c, argv, HEAD, true);
}

function rpushx(c: Client, argv: string[]): void {
  pushGeneric(c, argv, TAIL, true);
}

/**
 * LPOP key [count]
 * RPOP key [count]
 * Without count: one element or null. With count (parsed before the key is looked up):
 * an array of up to count elements, a null array for a missing key, an empty array for 0.
 */
function popGeneric(c: Client, argv: string[], where: End): void {
  if (argv.length > 3) {
    c.reply.error(errWrongArity(argv[0]!.toLowerCase()));
    return;
  }
  const hasCount = argv.length === 3;
  let count = 0;
  if (hasCount) {
    const n = parseLong(argv[2]!);
    if (n === undefined || n < 0) {
      c.reply.error(ERR_NOT_POSITIVE);
      return;
    }
    count = n;
  }
  const key = argv[1]!;
  const entry = writeList(c, key);
  if (entry === null) return;
  if (entry === undefined) {
    if (hasCount) c.reply.nullArray();
    else c.reply.nullBulk();
    return;
  }
  if (hasCount && count === 0) {
    c.reply.arrayHeader(0);
    return;
  }
  replyPopped(c, key, entry, where, hasCount ? count : 1, hasCount);
}

function lpop(c: Client, argv: string[]): void {
  popGeneric(c, argv, HEAD);
}

function rpop(c: Client, argv: string[]): void {
  popGeneric(c, argv, TAIL);
}

/** LLEN key */
function llen(c: Client, argv: string[]): void {
  const entry = readList(c, argv[1]!);
  if (entry !== null) c.reply.integer(entry === undefined ? 0 : c.db.objectOf(entry).length);
}

/**
 * A range of the list from start to end inclusive, negative indexes from the end
 * (addListRangeReply): out-of-range ends are clamped, an empty range is an empty array.
 */
function replyRange(c: Client, list: ListValue, start: number, end: number): void {
  const size = list.length;
  if (start < 0) start += size;
  if (end < 0) end += size;
  if (start < 0) start = 0;
  if (start > end || start >= size) {
    c.reply.arrayHeader(0);
    return;
  }
  if (end >= size) end = size - 1;
  const reply = c.reply;
  reply.arrayHeader(end - start + 1);
  list.rangeTo(start, end - start + 1, reply);
}

/** LRANGE key start stop: the indexes are parsed before the key is looked up. */
function lrange(c: Client, argv: string[]): void {
  const start = parseLong(argv[2]!);
  const end = parseLong(argv[3]!);
  if (start === undefined || end === undefined) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  const entry = readList(c, argv[1]!);
  if (entry === null) return;
  if (entry === undefined) c.reply.arrayHeader(0);
  else replyRange(c, c.db.objectOf(entry), start, end);
}

/** LINDEX key index: the key is looked up before the index is parsed. */
function lindex(c: Client, argv: string[]): void {
  const entry = readList(c, argv[1]!);
  if (entry === null) return;
  if (entry === undefined) {
    c.reply.nullBulk();
    return;
  }
  const index = parseLong(argv[2]!);
  if (index === undefined) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  const value = c.db.objectOf(entry).at(index);
  if (value === undefined) c.reply.nullBulk();
  else c.reply.bulk(value);
}

/** LSET key index element: "no such key" first, then the index. */
function lset(c: Client, argv: string[]): void {
  const key = argv[1]!;
  const entry = writeList(c, key);
  if (entry === null) return;
  if (entry === undefined) {
    c.reply.error(ERR_NO_SUCH_KEY);
    return;
  }
  const index = parseLong(argv[2]!);
  if (index === undefined) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  const list = c.db.objectOf(entry);
  const size = list.length;
  if (index >= size || index < -size) {
    c.reply.error(ERR_INDEX_OUT_OF_RANGE);
    return;
  }
  const db = c.db;
  const before = db.willMutate(entry);
  list.set(index, argv[3]!);
  db.valueChanged(entry, before);
  c.reply.simple('OK');
  db.signalModified(key);
  c.server.keyspace.notify('l', 'lset', key, db);
}

/** LINSERT key BEFORE|AFTER pivot element: the new length, -1 without the pivot, 0 without the key. */
function linsert(c: Client, argv: string[]): void {
  const where = optionName(argv[2]!);
  if (where !== 'after' && where !== 'before') {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  const key = argv[1]!;
  const entry = writeList(c, key);
  if (entry === null) return;
  if (entry === undefined) {
    c.reply.integer(0);
    return;
  }
  const db = c.db;
  const list = c.db.objectOf(entry);
  const before = db.willMutate(entry);
  const inserted = list.insert(argv[3]!, argv[4]!, where === 'after');
  db.valueChanged(entry, before);
  if (!inserted) {
    c.reply.integer(-1);
    return;
  }
  db.signalModified(key);
  c.server.keyspace.notify('l', 'linsert', key, db);
  c.reply.integer(list.length);
}

/** LREM key count element: count > 0 from the head, < 0 from the tail, 0 all. */
function lrem(c: Client, argv: string[]): void {
  const count = parseLong(argv[2]!);
  if (count === undefined) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  const key = argv[1]!;
  const entry = writeList(c, key);
  if (entry === null) return;
  if (entry === undefined) {
    c.reply.integer(0);
    return;
  }
  const db = c.db;
  const list = c.db.objectOf(entry);
  const before = db.willMutate(entry);
  const removed = list.removeEqual(argv[3]!, Math.abs(count), count < 0);
  db.valueChanged(entry, before);
  const keyspace = c.server.keyspace;
  if (removed > 0) {
    keyspace.notify('l', 'lrem', key, db);
    if (list.length === 0) {
      db.deleteEntry(entry);
      keyspace.notify('g', 'del', key, db);
    } else {
      db.signalModified(key);
    }
    moreChanges(c, removed - 1);
  }
  c.reply.integer(removed);
}

/** LTRIM key start stop: always fires "ltrim" (and "del" when nothing is left). */
function ltrim(c: Client, argv: string[]): void {
  let start = parseLong(argv[2]!);
  let end = parseLong(argv[3]!);
  if (start === undefined || end === undefined) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  const key = argv[1]!;
  const entry = writeList(c, key);
  if (entry === null) return;
  if (entry === undefined) {
    c.reply.simple('OK');
    return;
  }
  const list = c.db.objectOf(entry);
  const size = list.length;
  if (start < 0) start += size;
  if (end < 0) end += size;
  if (start < 0) start = 0;
  let left: number;
  let right: number;
  if (start > end || start >= size) {
    left = size;
    right = 0;
  } else {
    if (end >= size) end = size - 1;
    left = start;
    right = size - end - 1;
  }
  const db = c.db;
  const before = db.willMutate(entry);
  list.trimHead(left);
  list.trimTail(right);
  db.valueChanged(entry, before);
  const keyspace = c.server.keyspace;
  keyspace.notify('l', 'ltrim', key, db);
  if (list.length === 0) {
    db.deleteEntry(entry);
    keyspace.notify('g', 'del', key, db);
  } else {
    db.signalModified(key);
  }
  // Redis adds the elements removed (0 when nothing was): the one change counted above stays.
  moreChanges(c, left + right - 1);
  c.reply.simple('OK');
}

/**
 * LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
 * Options are parsed before the key is looked up. Indexes are from the head whatever
 * the direction; COUNT 0 means all matches; MAXLEN bounds the elements compared.
 */
function lpos(c: Client, argv: string[]): void {
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = optionName(argv[j]!);
    const more = j + 1 < argv.length;
    if (opt === 'rank' && more) {
      const n = parseLong(argv[++j]!);
      if (n === undefined) {
        c.reply.error(ERR_NOT_INTEGER);
        return;
      }
      if (n === 0) {
        c.reply.error(ERR_LPOS_RANK_ZERO);
        return;
      }
      rank = n;
    } else if (opt === 'count' && more) {
      const n = parseLong(argv[++j]!);
      if (n === undefined || n < 0) {
        c.reply.error(ERR_LPOS_COUNT_NEGATIVE);
        return;
      }
      count = n;
    } else if (opt === 'maxlen' && more) {
      const n = parseLong(argv[++j]!);
      if (n === undefined || n < 0) {
        c.reply.error(ERR_LPOS_MAXLEN_NEGATIVE);
        return;
      }
      maxlen = n;
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const fromTail = rank < 0;
  if (fromTail) rank = -rank;
  const entry = readList(c, argv[1]!);
  if (entry === null) return;
  if (entry === undefined) {
    if (count !== -1) c.reply.arrayHeader(0);
    else c.reply.nullBulk();
    return;
  }
  const element = argv[2]!;
  const found: number[] = [];
  let matches = 0;
  let scanned = 0;
  c.db.objectOf(entry).scan(fromTail, (value, index) => {
    if (maxlen !== 0 && scanned >= maxlen) return false;
    scanned++;
    if (value !== element) return true;
    matches++;
    if (matches < rank) return true;
    found.push(index);
    // Without COUNT the first match at the rank is the answer.
    return count > 0 ? found.length < count : count === 0;
  });
  if (count !== -1) {
    c.reply.arrayHeader(found.length);
    for (const i of found) c.reply.integer(i);
  } else if (found.length > 0) {
    c.reply.integer(found[0]!);
  } else {
    c.reply.nullBulk();
  }
}

/** LEFT or RIGHT (any case), or undefined. */
function endOf(arg: string): End | undefined {
  const s = optionName(arg);
  return s === 'left' ? HEAD : s === 'right' ? TAIL : undefined;
}

/**
 * Pops from one end of source and pushes the element at one end of destination, which
 * must not hold another type (checked before anything changes); replies the element,
 * or null when source is missing. Events: destination's push, then source's pop (and
 * "del" if it emptied), as Redis 7.0's lmoveGenericCommand.
 */
function moveGeneric(c: Client, argv: string[], from: End, to: End): void {
  const srcKey = argv[1]!;
  const dstKey = argv[2]!;
  const src = writeList(c, srcKey);
  if (src === null) return;
  if (src === undefined || c.db.objectOf(src).length === 0) {
    c.reply.nullBulk();
    return;
  }
  const dst = writeList(c, dstKey);
  if (dst === null) return;
  const db = c.db;
  const list = c.db.objectOf(src);
  const before = db.willMutate(src);
  const value = (from === HEAD ? list.popHead() : list.popTail())!;
  db.valueChanged(src, before);
  // The same key: the element goes back onto the list it came from.
  pushElements(c, dstKey, dst, [value], 0, to);
  c.reply.bulk(value);
  elementsRemoved(c, srcKey, src, list, from === HEAD ? 'lpop' : 'rpop', 1);
  // Redis counts the move as one change; the database saw two keys change.
  moreChanges(c, -1);
}

/** LMOVE source destination LEFT|RIGHT LEFT|RIGHT */
function lmove(c: Client, argv: string[]): void {
  const from = endOf(argv[3]!);
  const to = from === undefined ? undefined : endOf(argv[4]!);
  if (from === undefined || to === undefined) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  moveGeneric(c, argv, from, to);
}

/** RPOPLPUSH source destination */
function rpoplpush(c: Client, argv: string[]): void {
  moveGeneric(c, argv, TAIL, HEAD);
}

/**
 * LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
 * Pops from the first key holding a non-empty list: [key, [elements]], or a null array
 * when none does. A key holding another type answers WRONGTYPE when reached.
 */
function lmpop(c: Client, argv: string[]): void {
  const parsed = parseMultiPop(c, argv, 1, LEFT_RIGHT);
  if (parsed === null) return;
  for (let j = 2; j < 2 + parsed.numkeys; j++) {
    const key = argv[j]!;
    const entry = writeList(c, key);
    if (entry === null) return;
    if (entry === undefined || c.db.objectOf(entry).length === 0) continue;
    const where = parsed.end === 0 ? HEAD : TAIL;
    c.reply.arrayHeader(2);
    c.reply.bulk(key);
    const popped = replyPopped(c, key, entry, where, parsed.count, true);
    if (c.server.writeStream.active) c.propagateAs = popArgv(where, key, popped);
    return;
  }
  c.reply.nullArray();
}

/**
 * How the write stream carries a pop (Redis replicates LMPOP and the blocking pops as
 * LPOP/RPOP, with the count actually popped when the command had one).
 */
function popArgv(where: End, key: string, count = -1): string[] {
  const name = where === HEAD ? 'LPOP' : 'RPOP';
  return count === -1 ? [name, key] : [name, key, String(count)];
}


// --- Blocking pops (blocking.ts) ---------------------------------------------------

/**
 * Parks c on `keys` until one of them holds a list (blocking.ts), or answers at once as a
 * timeout inside MULTI/EXEC or a script, where Redis does not let a client block
 * (CLIENT_DENY_BLOCKING): a null array, or for BLMOVE/BRPOPLPUSH a null bulk.
 */
function blockOnLists(c: Client, keys: readonly string[], timeoutMs: number, nullBulk: boolean, serve: (key: string) => void): void {
  if (c.multi !== null || c.isScript) {
    if (nullBulk) c.reply.nullBulk();
    else c.reply.nullArray();
    return;
  }
  c.server.blocking.block(c, { type: 'list', db: c.db, keys, timeoutMs, serve });
}

/**
 * [key, element] (BLPOP, BRPOP), or [key, [elements]] with a count (BLMPOP), from a live
 * list; returns the count the write stream carries (popArgv): -1 without one.
 */
function popAndReply(c: Client, key: string, entry: ListEntry, where: End, count: number): number {
  c.reply.arrayHeader(2);
  c.reply.bulk(key);
  const popped = replyPopped(c, key, entry, where, count === -1 ? 1 : count, count !== -1);
  return count === -1 ? -1 : popped;
}

/**
 * Redis's blockingPopGenericCommand: the timeout first, then the first key holding a
 * non-empty list answers (a key of another type: WRONGTYPE); with none, the client blocks.
 * count -1: BLPOP/BRPOP's [key, element]; else BLMPOP's [key, [elements]].
 */
function blockingPop(c: Client, keys: readonly string[], where: End, timeoutArg: string, count: number): void {
  const timeout = parseTimeout(timeoutArg);
  if ('error' in timeout) {
    c.reply.error(timeout.error);
    return;
  }
  for (const key of keys) {
    const entry = writeList(c, key);
    if (entry === null) return;
    if (entry === undefined || c.db.objectOf(entry).length === 0) continue;
    const popped = popAndReply(c, key, entry, where, count);
    if (c.server.writeStream.active) c.propagateAs = popArgv(where, key, popped);
    return;
  }
  blockOnLists(c, keys, timeout.ms, false, (key) => {
    const entry = c.db.get(key) as ListEntry;
    // Served later, BLPOP and BRPOP add no change to the counter (serveClientBlockedOnList
    // pops without listElementsRemoved's dirty count); BLMPOP counts its elements.
    let popped = -1;
    if (count === -1) uncounted(c, () => popAndReply(c, key, entry, where, count));
    else popped = popAndReply(c, key, entry, where, count);
    const stream = c.server.writeStream;
    if (stream.active) stream.propagateAlone(c.db.index, popArgv(where, key, popped));
  });
}

/** Runs change without counting its changes (rdb_changes_since_last_save), as Redis's serve paths that bypass the dirty count. */
function uncounted(c: Client, change: () => void): void {
  const keyspace = c.server.keyspace;
  const before = keyspace.changesSinceSave;
  change();
  keyspace.changesSinceSave = before;
}

/** BLPOP key [key ...] timeout */
function blpop(c: Client, argv: string[]): void {
  blockingPop(c, argv.slice(1, -1), HEAD, argv[argv.length - 1]!, -1);
}

/** BRPOP key [key ...] timeout */
function brpop(c: Client, argv: string[]): void {
  blockingPop(c, argv.slice(1, -1), TAIL, argv[argv.length - 1]!, -1);
}

/**
 * Redis's blmoveGenericCommand: a source that exists moves at once (LMOVE); else the client
 * blocks on it, and when served, a destination of another type answers it WRONGTYPE and
 * takes nothing (serveClientBlockedOnList). A timeout answers a null array, as Redis does.
 */
function blockingMove(c: Client, argv: string[], from: End, to: End, timeoutArg: string): void {
  const timeout = parseTimeout(timeoutArg);
  if ('error' in timeout) {
    c.reply.error(timeout.error);
    return;
  }
  const src = writeList(c, argv[1]!);
  if (src === null) return;
  // Replicated as LMOVE (as sent) or RPOPLPUSH, without the timeout.
  const moved = argv.length === 6 ? ['LMOVE', argv[1]!, argv[2]!, argv[3]!, argv[4]!] : ['RPOPLPUSH', argv[1]!, argv[2]!];
  if (src !== undefined) {
    moveGeneric(c, argv, from, to);
    if (c.server.writeStream.active) c.propagateAs = moved;
    return;
  }
  // Served later, the move adds no change to the counter, as Redis's serveClientBlockedOnList.
  blockOnLists(c, [argv[1]!], timeout.ms, true, () => {
    const before = listLength(c, argv[1]!);
    uncounted(c, () => moveGeneric(c, argv, from, to));
    const after = listLength(c, argv[1]!);
    const stream = c.server.writeStream;
    // A destination of another type took nothing: nothing to replicate. Served later, the
    // ends are written as Redis's shared "left"/"right".
    if (stream.active && after !== before) {
      stream.propagateAlone(c.db.index, argv.length === 6 ? ['LMOVE', argv[1]!, argv[2]!, from === HEAD ? 'left' : 'right', to === HEAD ? 'left' : 'right'] : moved);
    }
  });
}

/** BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout */
function blmove(c: Client, argv: string[]): void {
  const from = endOf(argv[3]!);
  const to = from === undefined ? undefined : endOf(argv[4]!);
  if (from === undefined || to === undefined) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  blockingMove(c, argv, from, to, argv[5]!);
}

/** BRPOPLPUSH source destination timeout */
function brpoplpush(c: Client, argv: string[]): void {
  blockingMove(c, argv, TAIL, HEAD, argv[3]!);
}

/** BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]: LMPOP's parsing, then blockingPop. */
function blmpop(c: Client, argv: string[]): void {
  const parsed = parseMultiPop(c, argv, 2, LEFT_RIGHT);
  if (parsed === null) return;
  blockingPop(c, argv.slice(3, 3 + parsed.numkeys), (parsed.end === 0 ? HEAD : TAIL), argv[1]!, parsed.count);
}

export const LIST_COMMANDS: CommandDefinition[] = [
  /** LPUSH key element [element ...] */
  cmd('lpush', -3, 'write denyoom fast', { acl: 'list', keys: [key(1, 'RW insert')] }, lpush),
  /** RPUSH key element [element ...] */
  cmd('rpush', -3, 'write denyoom fast', { acl: 'list', keys: [key(1, 'RW insert')] }, rpush),
  /** LPUSHX key element [element ...] */
  cmd('lpushx', -3, 'write denyoom fast', { acl: 'list', keys: [key(1, 'RW insert')] }, lpushx),
  /** RPUSHX key element [element ...] */
  cmd('rpushx', -3, 'write denyoom fast', { acl: 'list', keys: [key(1, 'RW insert')] }, rpushx),
  /** LPOP key [count] */
  cmd('lpop', -2, 'write fast', { acl: 'list', keys: [key(1, 'RW access delete')] }, lpop),
  /** RPOP key [count] */
  cmd('rpop', -2, 'write fast', { acl: 'list', keys: [key(1, 'RW access delete')] }, rpop),
  /** LLEN key */
  cmd('llen', 2, 'readonly fast', { acl: 'list', keys: [key(1, 'RO')] }, llen),
  /** LRANGE key start stop */
  cmd('lrange', 4, 'readonly', { acl: 'list', keys: [key(1, 'RO access')] }, lrange),
  /** LINDEX key index */
  cmd('lindex', 3, 'readonly', { acl: 'list', keys: [key(1, 'RO access')] }, lindex),
  /** LSET key index element */
  cmd('lset', 4, 'write denyoom', { acl: 'list', keys: [key(1, 'RW update')] }, lset),
  /** LINSERT key BEFORE|AFTER pivot element */
  cmd('linsert', 5, 'write denyoom', { acl: 'list', keys: [key(1, 'RW insert')] }, linsert),
  /** LREM key count element */
  cmd('lrem', 4, 'write', { acl: 'list', keys: [key(1, 'RW delete')] }, lrem),
  /** LTRIM key start stop */
  cmd('ltrim', 4, 'write', { acl: 'list', keys: [key(1, 'RW delete')] }, ltrim),
  /** LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len] */
  cmd('lpos', -3, 'readonly', { acl: 'list', keys: [key(1, 'RO access')] }, lpos),
  /** LMOVE source destination LEFT|RIGHT LEFT|RIGHT */
  cmd('lmove', 5, 'write denyoom', { acl: 'list', keys: [key(1, 'RW access delete'), key(2, 'RW insert')] }, lmove),
  /** RPOPLPUSH source destination */
  cmd('rpoplpush', 3, 'write denyoom', { acl: 'list', keys: [key(1, 'RW access delete'), key(2, 'RW insert')] }, rpoplpush),
  /** LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count] */
  cmd('lmpop', -4, 'write', { acl: 'list', keys: [keynum(1, 'RW access delete')] }, lmpop),
  /** BLPOP key [key ...] timeout */
  cmd('blpop', -3, 'write noscript blocking', { acl: 'list', keys: [key(1, 'RW access delete', { last: -2 })] }, blpop),
  /** BRPOP key [key ...] timeout */
  cmd('brpop', -3, 'write noscript blocking', { acl: 'list', keys: [key(1, 'RW access delete', { last: -2 })] }, brpop),
  /** BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout */
  cmd('blmove', 6, 'write denyoom noscript blocking', { acl: 'list', keys: [key(1, 'RW access delete'), key(2, 'RW insert')] }, blmove),
  /** BRPOPLPUSH source destination timeout */
  cmd('brpoplpush', 4, 'write denyoom noscript blocking', { acl: 'list', keys: [key(1, 'RW access delete'), key(2, 'RW insert')] }, brpoplpush),
  /** BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count] */
  cmd('blmpop', -5, 'write blocking', { acl: 'list', keys: [keynum(2, 'RW access delete')] }, blmpop),
];

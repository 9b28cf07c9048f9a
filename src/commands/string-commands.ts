import type { Client } from './context.js';
import { expiredDeletion } from './expire-commands.js';
import { deletionArgv } from '../replication/write-stream.js';
import { cmd, key, type CommandDefinition } from './declare.js';
import {
  ERR_DECREMENT_OVERFLOW,
  ERR_LCS_LEN_AND_IDX,
  ERR_LCS_NO_MEMORY,
  ERR_LCS_OVER_LIMIT,
  ERR_LCS_TOO_LONG,
  ERR_LCS_WRONGTYPE,
  ERR_NAN_OR_INFINITY,
  ERR_NOT_FLOAT,
  ERR_NOT_INTEGER,
  ERR_OFFSET_RANGE,
  ERR_OVERFLOW,
  ERR_STRING_TOO_LONG,
  ERR_SYNTAX,
  ERR_WRONGTYPE,
  errInvalidExpireTime,
  errWrongArity,
} from './errors.js';
import { optionName } from './args.js';
import { absoluteExpireMs, ExpireUnit } from './expire-time.js';
import { NO_DEADLINE, deadlineFor, type Entry } from '../keyspace/database.js';
import { StringForm } from '../keyspace/string-encoding.js';
import { INT64_MAX, INT64_MIN, parseI64, parseI64Bytes } from '../util/numbers.js';
import {
  LONG_DOUBLE_ZERO,
  addLongDouble,
  formatLongDoubleHuman,
  isFiniteLongDouble,
  parseLongDouble,
} from '../util/long-double.js';

/** An entry known to hold a string. */
type StringEntry = Entry;

/**
 * The string entry at key for a command that reads it (Redis's lookupKeyRead, which
 * counts keyspace hits and misses, then checkType): undefined when the key is absent,
 * null after replying WRONGTYPE because it holds another type.
 */
function readString(c: Client, key: string): StringEntry | undefined | null {
  const entry = c.db.read(key);
  if (entry === undefined || c.db.isString(entry)) return entry as StringEntry | undefined;
  c.reply.error(ERR_WRONGTYPE);
  return null;
}

/** readString() for a command that writes the key (lookupKeyWrite: no hit/miss counts). */
function writeString(c: Client, key: string): StringEntry | undefined | null {
  const entry = c.db.get(key);
  if (entry === undefined || c.db.isString(entry)) return entry as StringEntry | undefined;
  c.reply.error(ERR_WRONGTYPE);
  return null;
}

/**
 * Replies with the string at key, null if absent. Returns false after a WRONGTYPE
 * error, as Redis's getGenericCommand (GET, GETSET, SET ... GET).
 */
function replyGet(c: Client, key: string): boolean {
  const entry = readString(c, key);
  if (entry === null) return false;
  if (entry === undefined) c.reply.nullBulk();
  else replyStored(c, entry);
  return true;
}

/** Replies with a stored string value, copying its bytes from the store (no string is made). */
function replyStored(c: Client, entry: StringEntry): void {
  const db = c.db;
  const bytes = db.stringView(entry);
  const store = db.store;
  c.reply.bulkBytes(bytes, store.viewStart, store.viewEnd, store.viewShared, store.viewBase);
}

/** A string value must fit in proto-max-bulk-len (APPEND, SETRANGE). */
function checkStringLength(c: Client, size: number): boolean {
  if (size > c.server.config.number('proto-max-bulk-len')) {
    c.reply.error(ERR_STRING_TOO_LONG);
    return false;
  }
  return true;
}

/** GET key */
function get(c: Client, argv: string[]): void {
  replyGet(c, argv[1]!);
}

// Flags of SET and GETEX options, as Redis's OBJ_SET_* / OBJ_* flags.
const OPT_NX = 1;
const OPT_XX = 2;
const OPT_GET = 4;
const OPT_KEEPTTL = 8;
const OPT_EX = 16;
const OPT_PX = 32;
const OPT_EXAT = 64;
const OPT_PXAT = 128;
const OPT_PERSIST = 256;
const OPT_RELATIVE = OPT_EX | OPT_PX;
const OPT_SECONDS = OPT_EX | OPT_EXAT;
const OPT_ABSOLUTE = OPT_EXAT | OPT_PXAT;

/**
 * What parseStringOptions() found, as one number so that the hot path allocates
 * nothing (every session write is a SET ... EX): the OPT_* flags below OPTIONS_SPAN, and
 * above it the index in argv of the EX/PX/EXAT/PXAT argument (0: none); -1 after a
 * syntax error.
 */
const OPTIONS_SPAN = 65536;

function optionFlags(options: number): number {
  return options % OPTIONS_SPAN;
}

/** The EX/PX/EXAT/PXAT argument, or undefined. */
function expireArgOf(argv: readonly string[], options: number): string | undefined {
  const at = (options - (options % OPTIONS_SPAN)) / OPTIONS_SPAN;
  return at === 0 ? undefined : argv[at];
}

/**
 * Parses the options of SET (forSet, from argv[3]) or GETEX (from argv[2]) as Redis's
 * parseExtendedStringArgumentsOrReply, the one parser both share. Returns the options
 * (see OPTIONS_SPAN), or -1 after replying a syntax error. An option that is repeated may be (EX 1 EX 2 keeps the last), but one
 * that conflicts with an earlier one, belongs to the other command or lacks its
 * argument is a syntax error.
 */
function parseStringOptions(c: Client, argv: string[], forSet: boolean): number {
  const first = forSet ? 3 : 2;
  if (argv.length <= first) return 0;
  let flags = 0;
  let expireAt = 0;
  for (let j = first; j < argv.length; j++) {
    const opt = optionName(argv[j]!);
    const hasNext = j < argv.length - 1;
    if (opt === 'nx' && forSet && !(flags & OPT_XX)) {
      flags |= OPT_NX;
    } else if (opt === 'xx' && forSet && !(flags & OPT_NX)) {
      flags |= OPT_XX;
    } else if (opt === 'get' && forSet) {
      flags |= OPT_GET;
    } else if (opt === 'keepttl' && forSet && !(flags & (OPT_PERSIST | OPT_EX | OPT_PX | OPT_EXAT | OPT_PXAT))) {
      flags |= OPT_KEEPTTL;
    } else if (opt === 'persist' && !forSet && !(flags & (OPT_KEEPTTL | OPT_EX | OPT_PX | OPT_EXAT | OPT_PXAT))) {
      flags |= OPT_PERSIST;
    } else if (opt === 'ex' && hasNext && !(flags & (OPT_KEEPTTL | OPT_PERSIST | OPT_PX | OPT_EXAT | OPT_PXAT))) {
      flags |= OPT_EX;
      expireAt = ++j;
    } else if (opt === 'px' && hasNext && !(flags & (OPT_KEEPTTL | OPT_PERSIST | OPT_EX | OPT_EXAT | OPT_PXAT))) {
      flags |= OPT_PX;
      expireAt = ++j;
    } else if (opt === 'exat' && hasNext && !(flags & (OPT_KEEPTTL | OPT_PERSIST | OPT_EX | OPT_PX | OPT_PXAT))) {
      flags |= OPT_EXAT;
      expireAt = ++j;
    } else if (opt === 'pxat' && hasNext && !(flags & (OPT_KEEPTTL | OPT_PERSIST | OPT_EX | OPT_PX | OPT_EXAT))) {
      flags |= OPT_PXAT;
      expireAt = ++j;
    } else {
      c.reply.error(ERR_SYNTAX);
      return -1;
    }
  }
  return flags + expireAt * OPTIONS_SPAN;
}

/**
 * Redis's absolute expire time (ms) for an expire argument given with `flags` (EX,
 * PX, EXAT or PXAT), or -1 after replying the error Redis's
 * getExpireMillisecondsOrReply gives; `command` names the command in that error.
 */
function expireTimeOrReply(c: Client, arg: string, flags: number, command: string): number | bigint {
  const unit = flags & OPT_SECONDS ? ExpireUnit.Seconds : ExpireUnit.Milliseconds;
  const when = absoluteExpireMs(arg, unit, (flags & OPT_RELATIVE) !== 0, c.server.keyspace.now);
  if (when === 'not-integer') {
    c.reply.error(ERR_NOT_INTEGER);
    return -1;
  }
  if (when === 'invalid') {
    c.reply.error(errInvalidExpireTime(command));
    return -1;
  }
  return when;
}

/** How setGeneric answers: SET's +OK / null, or SETNX's :1 / :0. */
const enum SetReply {
  OkOrNull,
  OneOrZero,
}

/**
 * The SET family (SET, SETNX, SETEX, PSETEX), as Redis's setGenericCommand, with the
 * options already parsed and the expire time already validated (-1 for none).
 */
function setGeneric(
  c: Client,
  flags: number,
  key: string,
  value: string,
  when: number | bigint,
  replies: SetReply,
): void {
  if (flags & OPT_GET && !replyGet(c, key)) return;
  const db = c.db;
  const existing = db.get(key);
  if ((flags & OPT_NX && existing !== undefined) || (flags & OPT_XX && existing === undefined)) {
    if (!(flags & OPT_GET)) {
      if (replies === SetReply.OneOrZero) c.reply.integer(0);
      else c.reply.nullBulk();
    }
    return;
  }
  let deadline = NO_DEADLINE;
  if (flags & OPT_KEEPTTL && existing !== undefined) deadline = c.db.deadlineOf(existing);
  else if (typeof when === 'number' && when >= 0) deadline = deadlineFor(when);
  const entry = db.setLooked(key, existing, value, deadline);
  // Expire times beyond 2^53 ms arrive as exact bigints; the database keeps them exactly.
  if (typeof when === 'bigint') db.setExpireTime(entry, when);
  const keyspace = c.server.keyspace;
  keyspace.notify('$', 'set', key, db);
  if (when >= 0) keyspace.notify('g', 'expire', key, db);
  if (!(flags & OPT_GET)) {
    if (replies === SetReply.OneOrZero) c.reply.integer(1);
    else c.reply.simple('OK');
  }
}

/** SET key value [NX|XX] [GET] [EX s|PX ms|EXAT unix-s|PXAT unix-ms|KEEPTTL] */
function set(c: Client, argv: string[]): void {
  const options = parseStringOptions(c, argv, true);
  if (options < 0) return;
  const flags = optionFlags(options);
  const expireArg = expireArgOf(argv, options);
  let when: number | bigint = -1;
  if (expireArg !== undefined) {
    when = expireTimeOrReply(c, expireArg, flags, 'set');
    if (when < 0) return;
  }
  setGeneric(c, flags, argv[1]!, argv[2]!, when, SetReply.OkOrNull);
  // Replicas get SET ... PXAT with the absolute time, or the command without its GETs.
  if (c.server.writeStream.active) {
    if (when >= 0) c.propagateAs = setPxat(argv[1]!, argv[2]!, when);
    else if (flags & OPT_GET) c.propagateAs = argv.filter((a, j) => j < 3 || a.length !== 3 || a.toLowerCase() !== 'get');
  }
}

/** SET key value PXAT ms: how the write stream carries a SET with an expire time (setGenericCommand). */
function setPxat(key: string, value: string, when: number | bigint): string[] {
  return ['SET', key, value, 'PXAT', String(when)];
}

/** SETNX key value */
function setnx(c: Client, argv: string[]): void {
  setGeneric(c, OPT_NX, argv[1]!, argv[2]!, -1, SetReply.OneOrZero);
}

/** SETEX key seconds value */
function setex(c: Client, argv: string[]): void {
  const when = expireTimeOrReply(c, argv[2]!, OPT_EX, 'setex');
  if (when < 0) return;
  setGeneric(c, OPT_EX, argv[1]!, argv[3]!, when, SetReply.OkOrNull);
  if (c.server.writeStream.active) c.propagateAs = setPxat(argv[1]!, argv[3]!, when);
}

/** PSETEX key milliseconds value */
function psetex(c: Client, argv: string[]): void {
  const when = expireTimeOrReply(c, argv[2]!, OPT_PX, 'psetex');
  if (when < 0) return;
  setGeneric(c, OPT_PX, argv[1]!, argv[3]!, when, SetReply.OkOrNull);
  if (c.server.writeStream.active) c.propagateAs = setPxat(argv[1]!, argv[3]!, when);
}

/** GETSET key value: SET that replies the old value and drops the TTL. */
function getset(c: Client, argv: string[]): void {
  const key = argv[1]!;
  if (!replyGet(c, key)) return;
  c.db.set(key, argv[2]!, NO_DEADLINE);
  c.server.keyspace.notify('$', 'set', key, c.db);
  if (c.server.writeStream.active) c.propagateAs = ['SET', key, argv[2]!];
}

/** GETDEL key */
function getdel(c: Client, argv: string[]): void {
  const key = argv[1]!;
  const entry = readString(c, key);
  if (entry === null) return;
  if (entry === undefined) {
    c.reply.nullBulk();
    return;
  }
  replyStored(c, entry);
  c.db.deleteEntry(entry);
  c.server.keyspace.notify('g', 'del', key, c.db);
  if (c.server.writeStream.active) c.propagateAs = deletionArgv(c.server.config.bool('lazyfree-lazy-user-del'), key);
}

/**
 * GETEX key [EX s|PX ms|EXAT unix-s|PXAT unix-ms|PERSIST]
 * The expire argument is checked only once the key is found to hold a string, as in
 * Redis; an absolute time already past deletes the key after replying its value.
 */
function getex(c: Client, argv: string[]): void {
  const options = parseStringOptions(c, argv, false);
  if (options < 0) return;
  const flags = optionFlags(options);
  const expireArg = expireArgOf(argv, options);
  const key = argv[1]!;
  const entry = readString(c, key);
  if (entry === null) return;
  if (entry === undefined) {
    c.reply.nullBulk();
    return;
  }
  let when: number | bigint = -1;
  if (expireArg !== undefined) {
    when = expireTimeOrReply(c, expireArg, flags, 'getex');
    if (when < 0) return;
  }
  replyStored(c, entry);
  const db = c.db;
  const keyspace = c.server.keyspace;
  // Never propagated as sent: as DEL (or UNLINK), PEXPIREAT or PERSIST (getexCommand).
  const stream = c.server.writeStream.active;
  if (flags & OPT_ABSOLUTE && when <= keyspace.now) {
    db.deleteEntry(entry);
    keyspace.notify('g', 'del', key, db);
    if (stream) c.propagateAs = expiredDeletion(c, key);
  } else if (when >= 0) {
    db.setExpireTime(entry, when);
    db.signalModified(key);
    keyspace.notify('g', 'expire', key, db);
    if (stream) c.propagateAs = ['PEXPIREAT', key, String(when)];
  } else if (flags & OPT_PERSIST && c.db.deadlineOf(entry) !== NO_DEADLINE) {
    db.setDeadline(entry, NO_DEADLINE);
    db.signalModified(key);
    keyspace.notify('g', 'persist', key, db);
    if (stream) c.propagateAs = ['PERSIST', key];
  }
}

/** MGET key [key ...]: a key holding another type reads as null, not an error. */
function mget(c: Client, argv: string[]): void {
  const db = c.db;
  const reply = c.reply;
  reply.arrayHeader(argv.length - 1);
  for (let j = 1; j < argv.length; j++) {
    const entry = db.read(argv[j]!);
    if (entry === undefined || !db.isString(entry)) reply.nullBulk();
    else replyStored(c, entry);
  }
}

/** MSET and MSETNX: pairs of key and value; MSETNX sets none if any key exists. */
function msetGeneric(c: Client, argv: string[], nx: boolean): void {
  if (argv.length % 2 === 0) {
    c.reply.error(errWrongArity(nx ? 'msetnx' : 'mset'));
    return;
  }
  const db = c.db;
  if (nx) {
    for (let j = 1; j < argv.length; j += 2) {
      if (db.get(argv[j]!) !== undefined) {
        c.reply.integer(0);
        return;
      }
    }
  }
  const keyspace = c.server.keyspace;
  for (let j = 1; j < argv.length; j += 2) {
    db.set(argv[j]!, argv[j + 1]!, NO_DEADLINE);
    keyspace.notify('$', 'set', argv[j]!, db);
  }
  if (nx) c.reply.integer(1);
  else c.reply.simple('OK');
}

/** MSET key value [key value ...] */
function mset(c: Client, argv: string[]): void {
  msetGeneric(c, argv, false);
}

/** MSETNX key value [key value ...] */
function msetnx(c: Client, argv: string[]): void {
  msetGeneric(c, argv, true);
}

/** APPEND key value */
function append(c: Client, argv: string[]): void {
  const key = argv[1]!;
  const value = argv[2]!;
  const entry = writeString(c, key);
  if (entry === null) return;
  const db = c.db;
  let length: number;
  if (entry === undefined) {
    db.setLooked(key, undefined, value, NO_DEADLINE);
    length = value.length;
  } else {
    length = db.stringLength(entry) + value.length;
    if (!checkStringLength(c, length)) return;
    db.replaceValue(entry, db.stringOf(entry) + value, key);
    // Appended to in place: a raw sds in Redis, whatever its length (OBJECT ENCODING).
    db.setStringForm(entry, StringForm.Raw);
  }
  c.server.keyspace.notify('$', 'append', key, db);
  c.reply.integer(length);
}

/** STRLEN key */
function strlen(c: Client, argv: string[]): void {
  const entry = readString(c, argv[1]!);
  if (entry === null) return;
  c.reply.integer(entry === undefined ? 0 : c.db.stringLength(entry));
}

/**
 * Adds incr to the int64 at key (0 if absent), keeping its TTL, as Redis's
 * incrDecrCommand. Exact over the whole int64 range: plain numbers while the result
 * is a safe integer, bigint beyond.
 */
function incrDecr(c: Client, key: string, incr: number | bigint): void {
  const entry = writeString(c, key);
  if (entry === null) return;
  let value: number | bigint = 0;
  if (entry !== undefined) {
    // Read from the stored bytes: no string of the counter.
    const bytes = c.db.stringView(entry);
    const store = c.db.store;
    const parsed = parseI64Bytes(bytes, store.viewStart, store.viewEnd);
    if (parsed === undefined) {
      c.reply.error(ERR_NOT_INTEGER);
      return;
    }
    value = parsed;
  }
  let result: number | bigint = typeof value === 'number' && typeof incr === 'number' ? value + incr : NaN;
  if (!Number.isSafeInteger(result)) {
    result = BigInt(value) + BigInt(incr);
    if (result > INT64_MAX || result < INT64_MIN) {
      c.reply.error(ERR_OVERFLOW);
      return;
    }
  }
  const db = c.db;
  // Absent (writeString looked): created without a second search of the table.
  if (entry === undefined) db.setLooked(key, undefined, String(result), NO_DEADLINE);
  else if (typeof result === 'number') db.replaceInteger(entry, result, key);
  else db.replaceValue(entry, String(result), key);
  c.server.keyspace.notify('$', 'incrby', key, db);
  c.reply.integer(result);
}

/** INCR key */
function incr(c: Client, argv: string[]): void {
  incrDecr(c, argv[1]!, 1);
}

/** DECR key */
function decr(c: Client, argv: string[]): void {
  incrDecr(c, argv[1]!, -1);
}

/** INCRBY key increment */
function incrby(c: Client, argv: string[]): void {
  const by = parseI64(argv[2]!);
  if (by === undefined) c.reply.error(ERR_NOT_INTEGER);
  else incrDecr(c, argv[1]!, by);
}

/** DECRBY key decrement: -2^63 cannot be negated, so Redis refuses it up front. */
function decrby(c: Client, argv: string[]): void {
  const by = parseI64(argv[2]!);
  if (by === undefined) c.reply.error(ERR_NOT_INTEGER);
  else if (by === INT64_MIN) c.reply.error(ERR_DECREMENT_OVERFLOW);
  else incrDecr(c, argv[1]!, typeof by === 'number' ? 0 - by : -by);
}

/**
 * INCRBYFLOAT key increment
 * In C long double arithmetic (x87 80-bit) with Redis's parsing and printing, so
 * replies and stored values match Redis byte for byte; the key keeps its TTL.
 */
function incrbyfloat(c: Client, argv: string[]): void {
  const key = argv[1]!;
  const entry = writeString(c, key);
  if (entry === null) return;
  const value = entry === undefined ? LONG_DOUBLE_ZERO : parseLongDouble(c.db.stringOf(entry));
  const by = value === undefined ? undefined : parseLongDouble(argv[2]!);
  if (value === undefined || by === undefined) {
    c.reply.error(ERR_NOT_FLOAT);
    return;
  }
  const sum = addLongDouble(value, by);
  if (!isFiniteLongDouble(sum)) {
    c.reply.error(ERR_NAN_OR_INFINITY);
    return;
  }
  const text = formatLongDoubleHuman(sum);
  const db = c.db;
  let stored: Entry = entry!;
  if (entry === undefined) stored = db.setLooked(key, undefined, text, NO_DEADLINE);
  else db.replaceValue(entry, text, key);
  // createStringObject: embstr (or raw), never int, even for "3".
  db.setStringForm(stored, StringForm.Embstr);
  c.server.keyspace.notify('$', 'incrbyfloat', key, db);
  c.reply.bulk(text);
  // Replicas get the result, not the sum to redo (float formatting could differ there).
  if (c.server.writeStream.active) c.propagateAs = ['SET', key, text, 'KEEPTTL'];
}

/**
 * GETRANGE key start end
 * Inclusive byte range; negative indexes count from the end. Comparisons are exact
 * over int64 (a bigint compares exactly with a number).
 */
function getrange(c: Client, argv: string[]): void {
  const startArg = parseI64(argv[2]!);
  const endArg = parseI64(argv[3]!);
  if (startArg === undefined || endArg === undefined) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  const entry = readString(c, argv[1]!);
  if (entry === null) return;
  if (entry === undefined || (startArg < 0 && endArg < 0 && startArg > endArg)) {
    c.reply.bulk('');
    return;
  }
  const db = c.db;
  const length = db.stringLength(entry);
  // Beyond 2^53 only the sign matters from here on: the length is far smaller.
  let start = Number(startArg);
  let end = Number(endArg);
  if (start < 0) start = Math.max(0, length + start);
  if (end < 0) end = Math.max(0, length + end);
  if (end >= length) end = length - 1;
  if (start > end || length === 0) {
    c.reply.bulk('');
    return;
  }
  // The range copied from where the value is stored: no string of the whole value.
  const bytes = db.stringView(entry);
  const at = db.store.viewStart;
  c.reply.bulkBytes(bytes, at + start, at + end + 1, db.store.viewShared, db.store.viewBase);
}

/**
 * SETRANGE key offset value
 * Overwrites from offset, padding with zero bytes; an empty value changes nothing
 * (and creates no key). Replies the new length.
 */
function setrange(c: Client, argv: string[]): void {
  const key = argv[1]!;
  const value = argv[3]!;
  const offsetArg = parseI64(argv[2]!);
  if (offsetArg === undefined) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  if (offsetArg < 0) {
    c.reply.error(ERR_OFFSET_RANGE);
    return;
  }
  const offset = Number(offsetArg);
  const entry = writeString(c, key);
  if (entry === null) return;
  const db = c.db;
  let result: string;
  if (entry === undefined) {
    if (value.length === 0) {
      c.reply.integer(0);
      return;
    }
    if (!checkStringLength(c, offset + value.length)) return;
    result = '\0'.repeat(offset) + value;
    db.setStringForm(db.setLooked(key, undefined, result, NO_DEADLINE), StringForm.Raw);
  } else {
    const old = c.db.stringOf(entry);
    if (value.length === 0) {
      c.reply.integer(old.length);
      return;
    }
    if (!checkStringLength(c, offset + value.length)) return;
    const head = offset <= old.length ? old.slice(0, offset) : old + '\0'.repeat(offset - old.length);
    result = head + value + old.slice(offset + value.length);
    db.replaceValue(entry, result, key);
    db.setStringForm(entry, StringForm.Raw);
  }
  c.server.keyspace.notify('$', 'setrange', key, db);
  c.reply.integer(result.length);
}

/** LCS's options, parsed. */
interface LcsOptions {
  len: boolean;
  idx: boolean;
  withMatchLen: boolean;
  minMatchLen: number;
}

/**
 * LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]
 *
 * The longest common subsequence by the classic dynamic programme over a table of
 * (len1 + 1) * (len2 + 1) 32-bit lengths, refused as Redis refuses it when the table
 * would exceed proto-max-bulk-len. IDX lists the matched ranges from the end of the
 * strings backwards, as Redis walks the table back.
 */
function lcs(c: Client, argv: string[]): void {
  const db = c.db;
  const ea = db.read(argv[1]!);
  const eb = db.read(argv[2]!);
  if ((ea !== undefined && !c.db.isString(ea)) || (eb !== undefined && !c.db.isString(eb))) {
    c.reply.error(ERR_LCS_WRONGTYPE);
    return;
  }
  const a = ea === undefined ? '' : c.db.stringOf(ea);
  const b = eb === undefined ? '' : c.db.stringOf(eb);
  const opts: LcsOptions = { len: false, idx: false, withMatchLen: false, minMatchLen: 0 };
  for (let j = 3; j < argv.length; j++) {
    const opt = optionName(argv[j]!);
    if (opt === 'idx') opts.idx = true;
    else if (opt === 'len') opts.len = true;
    else if (opt === 'withmatchlen') opts.withMatchLen = true;
    else if (opt === 'minmatchlen' && j + 1 < argv.length) {
      const n = parseI64(argv[++j]!);
      if (n === undefined) {
        c.reply.error(ERR_NOT_INTEGER);
        return;
      }
      opts.minMatchLen = n < 0 ? 0 : Number(n);
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  if (opts.len && opts.idx) {
    c.reply.error(ERR_LCS_LEN_AND_IDX);
    return;
  }
  if (a.length >= 0xffffffff - 1 || b.length >= 0xffffffff - 1) {
    c.reply.error(ERR_LCS_TOO_LONG);
    return;
  }
  const width = b.length + 1;
  const cells = (a.length + 1) * width;
  if (cells * 4 > c.server.config.number('proto-max-bulk-len')) {
    c.reply.error(ERR_LCS_OVER_LIMIT);
    return;
  }
  let table: Uint32Array;
  try {
    table = new Uint32Array(cells);
  } catch {
    c.reply.error(ERR_LCS_NO_MEMORY);
    return;
  }
  // table[i * width + j]: LCS length of a[0, i) and b[0, j); row and column 0 stay 0.
  for (let i = 1; i <= a.length; i++) {
    const ca = a.charCodeAt(i - 1);
    const row = i * width;
    const above = row - width;
    for (let j = 1; j <= b.length; j++) {
      if (ca === b.charCodeAt(j - 1)) table[row + j] = table[above + j - 1]! + 1;
      else {
        const up = table[above + j]!;
        const left = table[row + j - 1]!;
        table[row + j] = up > left ? up : left;
      }
    }
  }
  const total = table[a.length * width + b.length]!;
  if (opts.len) {
    c.reply.integer(total);
    return;
  }
  lcsWalkBack(c, a, b, table, width, total, opts);
}

/** Walks the LCS table back from its end: replies the subsequence, or (IDX) its ranges. */
function lcsWalkBack(c: Client, a: string, b: string, table: Uint32Array, width: number, total: number, opts: LcsOptions): void {
  const chars: number[] = new Array<number>(total);
  const ranges: number[][] = [];
  let left = total;
  let i = a.length;
  let j = b.length;
  // The range being extended backwards: none while aStart === a.length.
  let aStart = a.length;
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  while (i > 0 && j > 0) {
    let emit = false;
    const ca = a.charCodeAt(i - 1);
    if (ca === b.charCodeAt(j - 1)) {
      chars[--left] = ca;
      if (aStart === a.length) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else {
        emit = true;
      }
      // A range that reached the start of either string ends here.
      if (aStart === 0 || bStart === 0) emit = true;
      i--;
      j--;
    } else {
      if (table[(i - 1) * width + j]! > table[i * width + j - 1]!) i--;
      else j--;
      if (aStart !== a.length) emit = true;
    }
    if (emit) {
      const matchLen = aEnd - aStart + 1;
      if (opts.minMatchLen === 0 || matchLen >= opts.minMatchLen) ranges.push([aStart, aEnd, bStart, bEnd, matchLen]);
      aStart = a.length;
    }
  }
  const r = c.reply;
  if (!opts.idx) {
    r.bulk(Buffer.from(chars).toString('latin1'));
    return;
  }
  r.mapHeader(2);
  r.bulk('matches');
  r.arrayHeader(ranges.length);
  for (const [as, ae, bs, be, len] of ranges) {
    r.arrayHeader(opts.withMatchLen ? 3 : 2);
    r.arrayHeader(2);
    r.integer(as!);
    r.integer(ae!);
    r.arrayHeader(2);
    r.integer(bs!);
    r.integer(be!);
    if (opts.withMatchLen) r.integer(len!);
  }
  r.bulk('len');
  r.integer(total);
}

export const STRING_COMMANDS: CommandDefinition[] = [
  /** GET key */
  cmd('get', 2, 'readonly fast', { acl: 'string', keys: [key(1, 'RO access')] }, get),
  /** SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL] */
  cmd('set', -3, 'write denyoom', { acl: 'string', keys: [key(1, 'RW access update variable_flags', { notes: 'RW and ACCESS due to the optional `GET` argument' })] }, set),
  /** SETNX key value */
  cmd('setnx', 3, 'write denyoom fast', { acl: 'string', keys: [key(1, 'OW insert')] }, setnx),
  /** SETEX key seconds value */
  cmd('setex', 4, 'write denyoom', { acl: 'string', keys: [key(1, 'OW update')] }, setex),
  /** PSETEX key milliseconds value */
  cmd('psetex', 4, 'write denyoom', { acl: 'string', keys: [key(1, 'OW update')] }, psetex),
  /** GETSET key value */
  cmd('getset', 3, 'write denyoom fast', { acl: 'string', keys: [key(1, 'RW access update')] }, getset),
  /** GETDEL key */
  cmd('getdel', 2, 'write fast', { acl: 'string', keys: [key(1, 'RW access delete')] }, getdel),
  /** GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST] */
  cmd('getex', -2, 'write fast', { acl: 'string', keys: [key(1, 'RW access update', { notes: 'RW and UPDATE because it changes the TTL' })] }, getex),
  /** MGET key [key ...] */
  cmd('mget', -2, 'readonly fast', { acl: 'string', tips: 'request_policy:multi_shard', keys: [key(1, 'RO access', { last: -1 })] }, mget),
  /** MSET key value [key value ...] */
  cmd('mset', -3, 'write denyoom', { acl: 'string', tips: 'request_policy:multi_shard response_policy:all_succeeded', keys: [key(1, 'OW update', { last: -1, step: 2 })] }, mset),
  /** MSETNX key value [key value ...] */
  cmd('msetnx', -3, 'write denyoom', { acl: 'string', tips: 'request_policy:multi_shard response_policy:agg_min', keys: [key(1, 'OW insert', { last: -1, step: 2 })] }, msetnx),
  /** APPEND key value */
  cmd('append', 3, 'write denyoom fast', { acl: 'string', keys: [key(1, 'RW insert')] }, append),
  /** STRLEN key */
  cmd('strlen', 2, 'readonly fast', { acl: 'string', keys: [key(1, 'RO')] }, strlen),
  /** INCR key */
  cmd('incr', 2, 'write denyoom fast', { acl: 'string', keys: [key(1, 'RW access update')] }, incr),
  /** DECR key */
  cmd('decr', 2, 'write denyoom fast', { acl: 'string', keys: [key(1, 'RW access update')] }, decr),
  /** INCRBY key increment */
  cmd('incrby', 3, 'write denyoom fast', { acl: 'string', keys: [key(1, 'RW access update')] }, incrby),
  /** DECRBY key decrement */
  cmd('decrby', 3, 'write denyoom fast', { acl: 'string', keys: [key(1, 'RW access update')] }, decrby),
  /** INCRBYFLOAT key increment */
  cmd('incrbyfloat', 3, 'write denyoom fast', { acl: 'string', keys: [key(1, 'RW access update')] }, incrbyfloat),
  /** GETRANGE key start end */
  cmd('getrange', 4, 'readonly', { acl: 'string', keys: [key(1, 'RO access')] }, getrange),
  /** SETRANGE key offset value */
  cmd('setrange', 4, 'write denyoom', { acl: 'string', keys: [key(1, 'RW update')] }, setrange),
  /** SUBSTR key start end: GETRANGE's old name */
  cmd('substr', 4, 'readonly', { acl: 'string', keys: [key(1, 'RO access')] }, getrange),
  /** LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN] */
  cmd('lcs', -3, 'readonly', { acl: 'string', keys: [key(1, 'RO access', { last: 1 })] }, lcs),
];

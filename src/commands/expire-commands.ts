import type { Client } from './context.js';
import { deletionArgv } from '../replication/write-stream.js';
import { cmd, key, type CommandDefinition } from './declare.js';
import { ERR_GT_LT, ERR_NOT_INTEGER, ERR_NX_XX_GT_LT, errInvalidExpireTime, errUnsupportedOption } from './errors.js';
import { optionName } from './args.js';
import { INT64_MAX, INT64_MIN, parseI64 } from '../util/numbers.js';
import { NO_DEADLINE } from '../keyspace/database.js';

/**
 * Expiry commands: EXPIRE PEXPIRE EXPIREAT PEXPIREAT, TTL PTTL EXPIRETIME PEXPIRETIME,
 * PERSIST, with Redis 7.0's semantics (expire.c). Expire times are Redis's: absolute
 * milliseconds, any int64; arithmetic near the int64 limits is exact (bigint), the
 * common case stays in doubles.
 */

const EXPIRE_NX = 1;
const EXPIRE_XX = 2;
const EXPIRE_GT = 4;
const EXPIRE_LT = 8;

/** Largest |seconds| whose product by 1000 is exact in a double. */
const MAX_FAST_SECONDS = Math.floor(Number.MAX_SAFE_INTEGER / 1000);
const INT64_MAX_SECONDS = INT64_MAX / 1000n;
const INT64_MIN_SECONDS = INT64_MIN / 1000n;

/**
 * The absolute expire time in ms for argument `v` (seconds when `seconds`), relative to
 * `base` (0 for the *AT forms), or undefined on overflow, as expireGenericCommand checks
 * it: seconds outside int64/1000, or the sum above INT64_MAX.
 */
function expireTimeFrom(v: number | bigint, seconds: boolean, base: number): number | bigint | undefined {
  if (typeof v === 'number' && (!seconds || (v <= MAX_FAST_SECONDS && v >= -MAX_FAST_SECONDS))) {
    const when = (seconds ? v * 1000 : v) + base;
    // Both terms are exact; a safe sum means no rounding happened.
    if (Number.isSafeInteger(when)) return when;
  }
  let when = BigInt(v);
  if (seconds) {
    if (when > INT64_MAX_SECONDS || when < INT64_MIN_SECONDS) return undefined;
    when *= 1000n;
  }
  if (when > INT64_MAX - BigInt(base)) return undefined;
  return when + BigInt(base);
}

/** A key deleted because its expire time had passed, as the write stream carries it. */
export function expiredDeletion(c: Client, key: string): string[] {
  return deletionArgv(c.server.config.bool('lazyfree-lazy-expire'), key);
}

/**
 * EXPIRE key seconds [NX|XX|GT|LT]
 * PEXPIRE key milliseconds [NX|XX|GT|LT]
 * EXPIREAT key unix-time-seconds [NX|XX|GT|LT]
 * PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT]
 */
function expireGeneric(c: Client, argv: string[], seconds: boolean, relative: boolean, fullName: string): void {
  // Redis checks the options before the number: an unknown option wins over a bad time.
  let flags = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = optionName(argv[j]!);
    if (opt === 'nx') flags |= EXPIRE_NX;
    else if (opt === 'xx') flags |= EXPIRE_XX;
    else if (opt === 'gt') flags |= EXPIRE_GT;
    else if (opt === 'lt') flags |= EXPIRE_LT;
    else {
      c.reply.error(errUnsupportedOption(argv[j]!));
      return;
    }
  }
  if (flags & EXPIRE_NX && flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) {
    c.reply.error(ERR_NX_XX_GT_LT);
    return;
  }
  if (flags & EXPIRE_GT && flags & EXPIRE_LT) {
    c.reply.error(ERR_GT_LT);
    return;
  }
  const v = parseI64(argv[2]!);
  if (v === undefined) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  const keyspace = c.server.keyspace;
  const when = expireTimeFrom(v, seconds, relative ? keyspace.now : 0);
  if (when === undefined) {
    c.reply.error(errInvalidExpireTime(fullName));
    return;
  }
  const db = c.db;
  const key = argv[1]!;
  const entry = db.get(key);
  if (entry === undefined) {
    c.reply.integer(0);
    return;
  }
  if (flags !== 0) {
    const persistent = db.deadlineOf(entry) === NO_DEADLINE;
    // A key without a TTL counts as an infinite one: GT never beats it, LT always does.
    if (
      (flags & EXPIRE_NX && !persistent) ||
      (flags & EXPIRE_XX && persistent) ||
      (flags & EXPIRE_GT && (persistent || when <= db.expireTime(entry))) ||
      (flags & EXPIRE_LT && !persistent && when >= db.expireTime(entry))
    ) {
      c.reply.integer(0);
      return;
    }
  }
  const stream = c.server.writeStream.active;
  if (when <= keyspace.now) {
    // A deadline already past deletes the key, as an explicit DEL (not an expiration).
    db.deleteEntry(entry);
    keyspace.notify('g', 'del', key, db);
    if (stream) c.propagateAs = expiredDeletion(c, key);
  } else {
    db.setExpireTime(entry, when);
    db.signalModified(key);
    keyspace.notify('g', 'expire', key, db);
    // Replicas get the absolute time in milliseconds (PEXPIREAT), the options kept.
    if (stream && fullName !== 'pexpireat') {
      const rewritten = argv.slice();
      rewritten[0] = 'PEXPIREAT';
      rewritten[2] = String(when);
      c.propagateAs = rewritten;
    }
  }
  c.reply.integer(1);
}

function expire(c: Client, argv: string[]): void {
  expireGeneric(c, argv, true, true, 'expire');
}

function pexpire(c: Client, argv: string[]): void {
  expireGeneric(c, argv, false, true, 'pexpire');
}

function expireat(c: Client, argv: string[]): void {
  expireGeneric(c, argv, true, false, 'expireat');
}

function pexpireat(c: Client, argv: string[]): void {
  expireGeneric(c, argv, false, false, 'pexpireat');
}

/**
 * TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 for a missing key, -1 without a TTL; seconds
 * are rounded to the nearest (Redis's (ms+500)/1000); a remaining time is never negative.
 * The key's access clock is left alone (Redis's LOOKUP_NOTOUCH).
 */
function ttlGeneric(c: Client, key: string, milliseconds: boolean, absolute: boolean): void {
  const db = c.db;
  const entry = db.readUntouched(key);
  if (entry === undefined) {
    c.reply.integer(-2);
    return;
  }
  if (c.db.deadlineOf(entry) === NO_DEADLINE) {
    c.reply.integer(-1);
    return;
  }
  const when = db.expireTime(entry);
  if (typeof when === 'number') {
    let ms = absolute ? when : when - c.server.keyspace.now;
    if (ms < 0) ms = 0;
    c.reply.integer(milliseconds ? ms : Math.floor((ms + 500) / 1000));
    return;
  }
  let ms = absolute ? when : when - BigInt(c.server.keyspace.now);
  if (ms < 0n) ms = 0n;
  c.reply.integer(milliseconds ? ms : (ms + 500n) / 1000n);
}

/** TTL key */
function ttl(c: Client, argv: string[]): void {
  ttlGeneric(c, argv[1]!, false, false);
}

/** PTTL key */
function pttl(c: Client, argv: string[]): void {
  ttlGeneric(c, argv[1]!, true, false);
}

/** EXPIRETIME key */
function expiretime(c: Client, argv: string[]): void {
  ttlGeneric(c, argv[1]!, false, true);
}

/** PEXPIRETIME key */
function pexpiretime(c: Client, argv: string[]): void {
  ttlGeneric(c, argv[1]!, true, true);
}

/** PERSIST key */
function persist(c: Client, argv: string[]): void {
  const db = c.db;
  const key = argv[1]!;
  const entry = db.get(key);
  if (entry === undefined || db.deadlineOf(entry) === NO_DEADLINE) {
    c.reply.integer(0);
    return;
  }
  db.setDeadline(entry, NO_DEADLINE);
  db.signalModified(key);
  c.server.keyspace.notify('g', 'persist', key, db);
  c.reply.integer(1);
}

export const EXPIRE_COMMANDS: CommandDefinition[] = [
  /** EXPIRE key seconds [NX | XX | GT | LT] */
  cmd('expire', -3, 'write fast', { acl: 'keyspace', keys: [key(1, 'RW update')] }, expire),
  /** PEXPIRE key milliseconds [NX | XX | GT | LT] */
  cmd('pexpire', -3, 'write fast', { acl: 'keyspace', keys: [key(1, 'RW update')] }, pexpire),
  /** EXPIREAT key unix-time-seconds [NX | XX | GT | LT] */
  cmd('expireat', -3, 'write fast', { acl: 'keyspace', keys: [key(1, 'RW update')] }, expireat),
  /** PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT] */
  cmd('pexpireat', -3, 'write fast', { acl: 'keyspace', keys: [key(1, 'RW update')] }, pexpireat),
  /** TTL key */
  cmd('ttl', 2, 'readonly fast', { acl: 'keyspace', tips: 'nondeterministic_output', keys: [key(1, 'RO access')] }, ttl),
  /** PTTL key */
  cmd('pttl', 2, 'readonly fast', { acl: 'keyspace', tips: 'nondeterministic_output', keys: [key(1, 'RO access')] }, pttl),
  /** EXPIRETIME key */
  cmd('expiretime', 2, 'readonly fast', { acl: 'keyspace', keys: [key(1, 'RO access')] }, expiretime),
  /** PEXPIRETIME key */
  cmd('pexpiretime', 2, 'readonly fast', { acl: 'keyspace', keys: [key(1, 'RO access')] }, pexpiretime),
  /** PERSIST key */
  cmd('persist', 2, 'write fast', { acl: 'keyspace', keys: [key(1, 'RW update')] }, persist),
];

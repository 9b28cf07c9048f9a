import type { Client } from './context.js';
import { cmd, key, type ArgumentDoc, type CommandDefinition, type CommandDoc } from './declare.js';
import { moreChanges, readHash, writeHash } from './hash-access.js';
import { optionName } from './args.js';
import {
  ERR_HFE_FIELDS_MISSING,
  ERR_HFE_NEGATIVE_TIME,
  ERR_HFE_NUMFIELDS_MISMATCH,
  ERR_HFE_NUMFIELDS_POSITIVE,
  ERR_HFE_NUMFIELDS_POSITIVE_INT,
  ERR_NOT_INTEGER,
  errInvalidExpireTime,
} from './errors.js';
import { NO_DEADLINE } from '../keyspace/database.js';
import { parseI64 } from '../util/numbers.js';

/**
 * Hash field expiration, new in Redis 7.4 (t_hash.c of 7.4): HEXPIRE, HPEXPIRE, HEXPIREAT,
 * HPEXPIREAT, HTTL, HPTTL, HEXPIRETIME, HPEXPIRETIME, HPERSIST. Fields' deadlines are kept
 * by the keyspace's hash values; hash-access.ts drops expired fields before any command
 * sees them.
 */

/** The latest field expire time Redis accepts: EB_EXPIRE_TIME_MAX, 2^48 - 1 ms. */
const HFE_MAX_EXPIRE_TIME = 2 ** 48 - 1;

const COND_NX = 1;
const COND_XX = 2;
const COND_GT = 3;
const COND_LT = 4;

/**
 * Checks "FIELDS numfields field ..." starting at argv[at]: returns the index of the
 * first field, or -1 once the reply is given: the error (`notPositive` for a numfields
 * that is not an integer >= 1: its wording differs between the command families), or,
 * when the key does not exist, -2 (no such field) for every field.
 */
function fieldsAt(c: Client, argv: string[], at: number, notPositive: string, keyExists: boolean): number {
  if (optionName(argv[at]!) !== 'fields') {
    c.reply.error(ERR_HFE_FIELDS_MISSING);
    return -1;
  }
  const n = parseI64(argv[at + 1]!);
  if (n === undefined || n < 1) {
    c.reply.error(notPositive);
    return -1;
  }
  if (Number(n) !== argv.length - at - 2) {
    c.reply.error(ERR_HFE_NUMFIELDS_MISMATCH);
    return -1;
  }
  if (!keyExists) {
    c.reply.arrayHeader(argv.length - at - 2);
    for (let j = at + 2; j < argv.length; j++) c.reply.integer(-2);
    return -1;
  }
  return at + 2;
}

/**
 * HEXPIRE key seconds [NX|XX|GT|LT] FIELDS numfields field [field ...]
 * HPEXPIRE key milliseconds [NX|XX|GT|LT] FIELDS numfields field [field ...]
 * HEXPIREAT key unix-time-seconds [NX|XX|GT|LT] FIELDS numfields field [field ...]
 * HPEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT] FIELDS numfields field [field ...]
 *
 * Per field: -2 no such field (or key), 0 the condition was not met, 1 the TTL was set,
 * 2 the field was deleted because the time is not in the future. A field without a TTL
 * counts as an infinite one for GT and LT. The time must be >= 0 and the resulting
 * expire time at most 2^48 - 1 ms.
 */
function hexpireGeneric(c: Client, argv: string[], seconds: boolean, relative: boolean, fullName: string): void {
  const key = argv[1]!;
  const entry = writeHash(c, key);
  if (entry === null) return;
  const v = parseI64(argv[2]!);
  if (v === undefined) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  if (v < 0) {
    c.reply.error(ERR_HFE_NEGATIVE_TIME);
    return;
  }
  const keyspace = c.server.keyspace;
  const now = keyspace.now;
  const base = relative ? now : 0;
  // Anything beyond 2^53 is far beyond the limit: compare as numbers.
  let when = Number(v);
  if (seconds) {
    if (when > Math.floor(HFE_MAX_EXPIRE_TIME / 1000)) {
      c.reply.error(errInvalidExpireTime(fullName));
      return;
    }
    when *= 1000;
  }
  if (when > HFE_MAX_EXPIRE_TIME - base) {
    c.reply.error(errInvalidExpireTime(fullName));
    return;
  }
  when += base;
  let cond = 0;
  const opt = optionName(argv[3]!);
  if (opt === 'nx') cond = COND_NX;
  else if (opt === 'xx') cond = COND_XX;
  else if (opt === 'gt') cond = COND_GT;
  else if (opt === 'lt') cond = COND_LT;
  const first = fieldsAt(c, argv, cond === 0 ? 3 : 4, ERR_HFE_NUMFIELDS_POSITIVE, entry !== undefined);
  // (fieldsAt has replied for a missing key.)
  if (first < 0 || entry === undefined) return;
  const db = c.db;
  const hash = c.db.objectOf(entry);
  const reply = c.reply;
  let updated = 0;
  let deleted = 0;
  reply.arrayHeader(argv.length - first);
  for (let j = first; j < argv.length; j++) {
    const field = argv[j]!;
    if (!hash.has(field)) {
      reply.integer(-2);
      continue;
    }
    const deadline = hash.fieldDeadline(field);
    const persistent = deadline === NO_DEADLINE;
    const previous = deadline - 1;
    if (
      (cond === COND_NX && !persistent) ||
      (cond === COND_XX && persistent) ||
      (cond === COND_GT && (persistent || previous >= when)) ||
      (cond === COND_LT && !persistent && previous <= when)
    ) {
      reply.integer(0);
      continue;
    }
    if (when <= now) {
      db.deleteField(entry, field);
      deleted++;
      reply.integer(2);
    } else {
      db.setFieldDeadline(entry, field, when + 1);
      updated++;
      reply.integer(1);
    }
  }
  if (updated + deleted === 0) return;
  const emptied = hash.size === 0;
  if (emptied) db.deleteEntry(entry);
  else db.signalModified(key);
  moreChanges(c, updated + deleted - 1);
  keyspace.notify('h', deleted > 0 ? 'hdel' : 'hexpire', key, db);
  if (emptied) keyspace.notify('g', 'del', key, db);
}

function hexpire(c: Client, argv: string[]): void {
  hexpireGeneric(c, argv, true, true, 'hexpire');
}

function hpexpire(c: Client, argv: string[]): void {
  hexpireGeneric(c, argv, false, true, 'hpexpire');
}

function hexpireat(c: Client, argv: string[]): void {
  hexpireGeneric(c, argv, true, false, 'hexpireat');
}

function hpexpireat(c: Client, argv: string[]): void {
  hexpireGeneric(c, argv, false, false, 'hpexpireat');
}

/**
 * HTTL key FIELDS numfields field [field ...]
 * HPTTL key FIELDS numfields field [field ...]
 * HEXPIRETIME key FIELDS numfields field [field ...]
 * HPEXPIRETIME key FIELDS numfields field [field ...]
 * Per field: -2 no such field (or key), -1 no TTL, else the remaining time or the
 * absolute expire time. Seconds are rounded up, as Redis 7.4 does ((ms + 999) / 1000).
 */
function httlGeneric(c: Client, argv: string[], milliseconds: boolean, absolute: boolean): void {
  const entry = readHash(c, argv[1]!);
  if (entry === null) return;
  const first = fieldsAt(c, argv, 2, ERR_HFE_NUMFIELDS_POSITIVE_INT, entry !== undefined);
  if (first < 0 || entry === undefined) return;
  const hash = c.db.objectOf(entry);
  const reply = c.reply;
  const base = absolute ? 0 : c.server.keyspace.now;
  reply.arrayHeader(argv.length - first);
  for (let j = first; j < argv.length; j++) {
    const field = argv[j]!;
    if (!hash.has(field)) {
      reply.integer(-2);
      continue;
    }
    const deadline = hash.fieldDeadline(field);
    if (deadline === NO_DEADLINE) {
      reply.integer(-1);
      continue;
    }
    const ms = deadline - 1 - base;
    reply.integer(milliseconds ? ms : Math.floor((ms + 999) / 1000));
  }
}

function httl(c: Client, argv: string[]): void {
  httlGeneric(c, argv, false, false);
}

function hpttl(c: Client, argv: string[]): void {
  httlGeneric(c, argv, true, false);
}

function hexpiretime(c: Client, argv: string[]): void {
  httlGeneric(c, argv, false, true);
}

function hpexpiretime(c: Client, argv: string[]): void {
  httlGeneric(c, argv, true, true);
}

/**
 * HPERSIST key FIELDS numfields field [field ...]
 * Per field: -2 no such field (or key), -1 no TTL, 1 the TTL was removed.
 */
function hpersist(c: Client, argv: string[]): void {
  const key = argv[1]!;
  const entry = writeHash(c, key);
  if (entry === null) return;
  const first = fieldsAt(c, argv, 2, ERR_HFE_NUMFIELDS_POSITIVE_INT, entry !== undefined);
  // (fieldsAt has replied for a missing key.)
  if (first < 0 || entry === undefined) return;
  const db = c.db;
  const hash = c.db.objectOf(entry);
  const reply = c.reply;
  let changed = false;
  reply.arrayHeader(argv.length - first);
  for (let j = first; j < argv.length; j++) {
    const field = argv[j]!;
    if (!hash.has(field)) {
      reply.integer(-2);
    } else if (hash.fieldDeadline(field) === NO_DEADLINE) {
      reply.integer(-1);
    } else {
      db.setFieldDeadline(entry, field, NO_DEADLINE);
      changed = true;
      reply.integer(1);
    }
  }
  if (!changed) return;
  db.signalModified(key);
  c.server.keyspace.notify('h', 'hpersist', key, db);
}

/**
 * Declarations and docs from Redis 7.4's command JSON files (src/commands/hexpire.json,
 * hpexpire.json, hexpireat.json, hpexpireat.json, httl.json, hpttl.json, hexpiretime.json,
 * hpexpiretime.json, hpersist.json as released in 7.4: HEXPIRE and friends WRITE DENYOOM
 * FAST, arity -6; HTTL and friends READONLY FAST, arity -5; HPERSIST WRITE FAST, arity -5;
 * ACL category HASH; one key at position 1; "FIELDS numfields field [field ...]" as a
 * block argument), rendered as Redis 7.0 renders such a JSON (@write/@read from the flags,
 * @hash, @fast). Docs: https://redis.io/docs/latest/commands/hexpire/ (and /hpexpire/,
 * /hexpireat/, /hpexpireat/, /httl/, /hpttl/, /hexpiretime/, /hpexpiretime/, /hpersist/).
 */

const FIELDS_BLOCK: ArgumentDoc = {
  name: 'fields',
  type: 'block',
  token: 'FIELDS',
  value: [
    { name: 'numfields', type: 'integer' },
    { name: 'field', type: 'string', flags: ['multiple'] },
  ],
};

const EXPIRE_CONDITION: ArgumentDoc = {
  name: 'condition',
  type: 'oneof',
  flags: ['optional'],
  value: [
    { name: 'nx', type: 'pure-token', token: 'NX' },
    { name: 'xx', type: 'pure-token', token: 'XX' },
    { name: 'gt', type: 'pure-token', token: 'GT' },
    { name: 'lt', type: 'pure-token', token: 'LT' },
  ],
};

/** Docs of HEXPIRE and friends: key, time, condition, fields. */
function hexpireDoc(summary: string, time: ArgumentDoc): CommandDoc {
  return {
    summary,
    since: '7.4.0',
    group: 'hash',
    complexity: 'O(N) where N is the number of specified fields',
    arguments: [{ name: 'key', type: 'key', keySpecIndex: 0 }, time, EXPIRE_CONDITION, FIELDS_BLOCK],
  };
}

/** Docs of HTTL and friends (and HPERSIST): key, fields. */
function httlDoc(summary: string, complexity = 'O(N) where N is the number of arguments to the command'): CommandDoc {
  return {
    summary,
    since: '7.4.0',
    group: 'hash',
    complexity,
    arguments: [{ name: 'key', type: 'key', keySpecIndex: 0 }, FIELDS_BLOCK],
  };
}

export const HASH_TTL_COMMANDS: CommandDefinition[] = [
  /** HEXPIRE key seconds [NX | XX | GT | LT] FIELDS numfields field [field ...] */
  cmd('hexpire', -6, 'write denyoom fast', {
    acl: 'hash',
    keys: [key(1, 'RW update')],
    doc: hexpireDoc('Set expiry for hash field using relative time to expire (seconds)', { name: 'seconds', type: 'integer' }),
  }, hexpire),
  /** HPEXPIRE key milliseconds [NX | XX | GT | LT] FIELDS numfields field [field ...] */
  cmd('hpexpire', -6, 'write denyoom fast', {
    acl: 'hash',
    keys: [key(1, 'RW update')],
    doc: hexpireDoc('Set expiry for hash field using relative time to expire (milliseconds)', { name: 'milliseconds', type: 'integer' }),
  }, hpexpire),
  /** HEXPIREAT key unix-time-seconds [NX | XX | GT | LT] FIELDS numfields field [field ...] */
  cmd('hexpireat', -6, 'write denyoom fast', {
    acl: 'hash',
    keys: [key(1, 'RW update')],
    doc: hexpireDoc('Set expiry for hash field using an absolute Unix timestamp (seconds)', { name: 'unix-time-seconds', type: 'unix-time' }),
  }, hexpireat),
  /** HPEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT] FIELDS numfields field [field ...] */
  cmd('hpexpireat', -6, 'write denyoom fast', {
    acl: 'hash',
    keys: [key(1, 'RW update')],
    doc: hexpireDoc('Set expiry for hash field using an absolute Unix timestamp (milliseconds)', { name: 'unix-time-milliseconds', type: 'unix-time' }),
  }, hpexpireat),
  /** HTTL key FIELDS numfields field [field ...] */
  cmd('httl', -5, 'readonly fast', {
    acl: 'hash',
    keys: [key(1, 'RO access')],
    doc: httlDoc('Returns the TTL in seconds of a hash field.'),
  }, httl),
  /** HPTTL key FIELDS numfields field [field ...] */
  cmd('hpttl', -5, 'readonly fast', {
    acl: 'hash',
    keys: [key(1, 'RO access')],
    doc: httlDoc('Returns the TTL in milliseconds of a hash field.'),
  }, hpttl),
  /** HEXPIRETIME key FIELDS numfields field [field ...] */
  cmd('hexpiretime', -5, 'readonly fast', {
    acl: 'hash',
    keys: [key(1, 'RO access')],
    doc: httlDoc('Returns the expiration time of a hash field as a Unix timestamp, in seconds.'),
  }, hexpiretime),
  /** HPEXPIRETIME key FIELDS numfields field [field ...] */
  cmd('hpexpiretime', -5, 'readonly fast', {
    acl: 'hash',
    keys: [key(1, 'RO access')],
    doc: httlDoc('Returns the expiration time of a hash field as a Unix timestamp, in msec.'),
  }, hpexpiretime),
  /** HPERSIST key FIELDS numfields field [field ...] */
  cmd('hpersist', -5, 'write fast', {
    acl: 'hash',
    keys: [key(1, 'RW update')],
    doc: httlDoc('Removes the expiration time for each specified field', 'O(N) where N is the number of specified fields'),
  }, hpersist),
];

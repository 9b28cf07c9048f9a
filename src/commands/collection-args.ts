import type { Client } from './context.js';
import { optionName } from './args.js';
import { ERR_COUNT_POSITIVE, ERR_INVALID_CURSOR, ERR_NOT_INTEGER, ERR_NUMKEYS_POSITIVE, ERR_OUT_OF_RANGE, ERR_SYNTAX, errLongRange } from './errors.js';
import { INT64_MIN, parseCursor, parseI64, parseLong } from '../util/numbers.js';
import type { Holding } from '../keyspace/database.js';
import type { ValueObject } from '../keyspace/values.js';

/**
 * Arguments the collection commands share, parsed as Redis 7.0 parses them in one place:
 * the options of HSCAN, SSCAN and ZSCAN (db.c scanGenericCommand), the count of
 * HRANDFIELD and ZRANDMEMBER (their ...WithCountCommand prologue), and the arguments of
 * LMPOP/BLMPOP and ZMPOP/BZMPOP (lmpopGenericCommand, zmpopGenericCommand).
 */

/** HSCAN/SSCAN/ZSCAN's options after the cursor. */
export interface ScanOptions {
  /** COUNT, 10 when not given (at most Number.MAX_SAFE_INTEGER). */
  readonly count: number;
  /** MATCH; undefined for none or "*" (which matches everything). */
  readonly pattern: string | undefined;
  /** False with NOVALUES (HSCAN only, Redis 7.4). */
  readonly values: boolean;
}

/** The options from argv[3]; null after replying Redis's error. NOVALUES only where allowed. */
export function parseScanOptions(c: Client, argv: readonly string[], allowNoValues: boolean): ScanOptions | null {
  let count = 10;
  let pattern: string | undefined;
  let values = true;
  for (let i = 3; i < argv.length; ) {
    const opt = optionName(argv[i]!);
    const hasValue = i + 1 < argv.length;
    if (opt === 'count' && hasValue) {
      const n = parseI64(argv[i + 1]!);
      if (n === undefined) {
        c.reply.error(ERR_NOT_INTEGER);
        return null;
      }
      if (n < 1) {
        c.reply.error(ERR_SYNTAX);
        return null;
      }
      count = n > Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : Number(n);
      i += 2;
    } else if (opt === 'match' && hasValue) {
      pattern = argv[i + 1] === '*' ? undefined : argv[i + 1];
      i += 2;
    } else if (allowNoValues && opt === 'novalues') {
      values = false;
      i += 1;
    } else {
      c.reply.error(ERR_SYNTAX);
      return null;
    }
  }
  return { count, pattern, values };
}

/** A scan cursor as an index into a collection's slots (a cursor past them ends the scan). */
export function cursorSlot(cursor: bigint): number {
  return cursor > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(cursor);
}

/** What HSCAN, SSCAN and ZSCAN have once their arguments are checked. */
export interface CollectionScan<V> {
  readonly cursor: bigint;
  readonly value: V;
  readonly options: ScanOptions;
}

/**
 * The start HSCAN, SSCAN and ZSCAN share, in Redis's order: the cursor, then the key
 * (`read` answers WRONGTYPE itself and gives null; undefined for a missing key, whose
 * empty scan is answered here), then the options. Null once a reply was written.
 */
export function beginCollectionScan<V extends ValueObject>(
  c: Client,
  argv: readonly string[],
  read: (c: Client, key: string) => Holding<V> | null | undefined,
  allowNoValues: boolean,
): CollectionScan<V> | null {
  const cursor = parseCursor(argv[2]!);
  if (cursor === undefined) {
    c.reply.error(ERR_INVALID_CURSOR);
    return null;
  }
  const entry = read(c, argv[1]!);
  if (entry === null) return null;
  if (entry === undefined) {
    replyScan(c, 0, []);
    return null;
  }
  const options = parseScanOptions(c, argv, allowNoValues);
  if (options === null) return null;
  return { cursor, value: c.db.objectOf(entry), options };
}

/** A scan's reply: the next cursor (0 when the iteration is over) and the elements found. */
export function replyScan(c: Client, next: number | bigint, items: readonly string[]): void {
  c.reply.arrayHeader(2);
  c.reply.bulk(String(next));
  c.reply.bulkArray(items);
}

/** Half of LONG_MAX: a count given WITHVALUES / WITHSCORES must be within it (pairs double the reply). */
const HALF_LONG_MAX = 4611686018427387903n;

/**
 * HRANDFIELD's and ZRANDMEMBER's `count [word]` from argv[2] (word: 'withvalues' or
 * 'withscores'); null after replying Redis's error, in Redis's order of checks.
 */
export function parseRandomCount(c: Client, argv: readonly string[], word: string): { count: number | bigint; withPairs: boolean } | null {
  const l = parseI64(argv[2]!);
  if (l === undefined) {
    c.reply.error(ERR_NOT_INTEGER);
    return null;
  }
  if (l === INT64_MIN) {
    c.reply.error(errLongRange('-9223372036854775807', '9223372036854775807'));
    return null;
  }
  if (argv.length > 4 || (argv.length === 4 && optionName(argv[3]!) !== word)) {
    c.reply.error(ERR_SYNTAX);
    return null;
  }
  const withPairs = argv.length === 4;
  if (withPairs && (l < -HALF_LONG_MAX || l > HALF_LONG_MAX)) {
    c.reply.error(ERR_OUT_OF_RANGE);
    return null;
  }
  return { count: l, withPairs };
}

/**
 * `numkeys key [key ...] WHERE [COUNT count]` from argv[numkeysAt], where WHERE is one of
 * `ends` (LEFT|RIGHT, MIN|MAX); null after replying Redis's error. `end` is the index in
 * `ends` of the one given; count is 1 when not given.
 */
export function parseMultiPop(
  c: Client,
  argv: readonly string[],
  numkeysAt: number,
  ends: readonly [string, string],
): { numkeys: number; end: 0 | 1; count: number } | null {
  const numkeys = parseLong(argv[numkeysAt]!);
  if (numkeys === undefined || numkeys < 1) {
    c.reply.error(ERR_NUMKEYS_POSITIVE);
    return null;
  }
  const whereAt = numkeysAt + numkeys + 1;
  if (whereAt >= argv.length) {
    c.reply.error(ERR_SYNTAX);
    return null;
  }
  const where = optionName(argv[whereAt]!);
  const end = where === ends[0] ? 0 : where === ends[1] ? 1 : -1;
  if (end === -1) {
    c.reply.error(ERR_SYNTAX);
    return null;
  }
  let count = -1;
  for (let j = whereAt + 1; j < argv.length; j++) {
    if (count === -1 && optionName(argv[j]!) === 'count' && j + 1 < argv.length) {
      const n = parseLong(argv[++j]!);
      if (n === undefined || n < 1) {
        c.reply.error(ERR_COUNT_POSITIVE);
        return null;
      }
      count = n;
    } else {
      c.reply.error(ERR_SYNTAX);
      return null;
    }
  }
  return { numkeys, end, count: count === -1 ? 1 : count };
}

import type { Client } from './context.js';
import { cmd, key, type CommandDefinition } from './declare.js';
import { ERR_NOT_INTEGER, ERR_SORT_BY_ACL, ERR_SORT_GET_ACL, ERR_SORT_SCORES, ERR_SYNTAX, ERR_WRONGTYPE } from './errors.js';
import { optionName } from './args.js';
import { KEY_ACCESS, type KeySpec } from '../acl/key-specs.js';
import type { Entry } from '../keyspace/database.js';
import { HashValue } from '../keyspace/hash.js';
import { ListValue } from '../keyspace/list.js';
import { SetValue } from '../keyspace/set.js';
import { ZSetValue } from '../keyspace/zset.js';
import { cString } from '../util/c-string.js';
import { parseCDouble, parseI64 } from '../util/numbers.js';

/**
 * SORT and SORT_RO, as Redis 7.0.15's sort.c: the elements of a list, set or sorted set,
 * sorted numerically or by bytes (ALPHA), by themselves or by the values of other keys
 * (BY pattern), a window of them (LIMIT), each replaced by the values of other keys (GET
 * patterns), replied or stored as a list (STORE).
 *
 * Orders where sort.c leaves a choice to its C library, and what lapse does:
 * - qsort() is glibc's merge sort, which is stable, as Array.prototype.sort is: elements
 *   that compare equal (ALPHA BY with equal or missing weights) keep the container's order.
 *   With BY and a LIMIT that cuts the result, Redis uses its own partial quicksort
 *   (pqsort.c), which is not stable: there, equal weights may come out in another order.
 * - ALPHA without STORE compares with strcoll(); Debian's redis-server runs in the C.UTF-8
 *   locale (or C), whose collation is strcmp's: bytes, up to the first NUL. With STORE it
 *   compares whole strings by bytes (compareStringObjects).
 */

/** The options of one SORT, parsed before anything is read. */
interface SortOptions {
  desc: boolean;
  alpha: boolean;
  limitStart: number;
  limitCount: number;
  store: string | undefined;
  /** The BY pattern when it has a '*' (a constant BY sets dontSort instead). */
  by: string | undefined;
  dontSort: boolean;
  gets: string[];
}

/** Parses SORT's options as sort.c does, replying the first error; undefined after one. */
function parseSortOptions(c: Client, argv: string[], readonly: boolean): SortOptions | undefined {
  const o: SortOptions = { desc: false, alpha: false, limitStart: 0, limitCount: -1, store: undefined, by: undefined, dontSort: false, gets: [] };
  // Computed on first need: BY with a pattern or GET (sort.c asks the ACL once, up front).
  let fullKeyAccess: boolean | undefined;
  const fullAccess = (): boolean => (fullKeyAccess ??= hasFullKeyAccess(c, argv));
  for (let j = 2; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const opt = optionName(argv[j]!);
    if (opt === 'asc') o.desc = false;
    else if (opt === 'desc') o.desc = true;
    else if (opt === 'alpha') o.alpha = true;
    else if (opt === 'limit' && left >= 2) {
      const start = parseI64(argv[j + 1]!);
      const count = start === undefined ? undefined : parseI64(argv[j + 2]!);
      if (start === undefined || count === undefined) {
        c.reply.error(ERR_NOT_INTEGER);
        return undefined;
      }
      // Clamped against the container's size later; beyond 2^53 only the sign matters.
      o.limitStart = Number(start);
      o.limitCount = Number(count);
      j += 2;
    } else if (!readonly && opt === 'store' && left >= 1) {
      o.store = argv[++j]!;
    } else if (opt === 'by' && left >= 1) {
      const pattern = argv[++j]!;
      o.by = pattern;
      // A BY pattern without '*' names one key for every element: nothing to sort by.
      if (!cString(pattern).includes('*')) o.dontSort = true;
      else {
        o.dontSort = false;
        if (!fullAccess()) {
          c.reply.error(ERR_SORT_BY_ACL);
          return undefined;
        }
      }
    } else if (opt === 'get' && left >= 1) {
      if (!fullAccess()) {
        c.reply.error(ERR_SORT_GET_ACL);
        return undefined;
      }
      o.gets.push(argv[++j]!);
    } else {
      c.reply.error(ERR_SYNTAX);
      return undefined;
    }
  }
  return o;
}

/**
 * Whether the client's user may read any key with this command (sort.c asks
 * ACLUserCheckCmdWithUnrestrictedKeyAccess): BY and GET reach keys no key spec names.
 */
function hasFullKeyAccess(c: Client, argv: string[]): boolean {
  const user = c.user;
  if (user.unrestricted) return true;
  const spec = c.server.commands.lookup(argv[0]!);
  return spec !== undefined && user.checkWithUnrestrictedKeys(spec, argv, KEY_ACCESS);
}

/**
 * sort.c lookupKeyByPattern: "#" is the element itself; otherwise the first '*' is
 * replaced by the element and the key read (a keyspace hit or miss, lazy expiry), and
 * with "->field" after the '*' that field of the hash there. Undefined when the pattern
 * has no '*', the key is missing or holds another type, or the field is missing. The
 * pattern is searched as a C string (up to a NUL) but its bytes are used in full.
 */
function lookupByPattern(c: Client, pattern: string, element: string): string | undefined {
  const text = cString(pattern);
  if (text === '#') return element;
  const star = text.indexOf('*');
  if (star < 0) return undefined;
  const arrow = text.indexOf('->', star + 1);
  // "->" with nothing after it is part of the key name.
  const hasField = arrow >= 0 && arrow + 2 < text.length;
  const name = pattern.slice(0, star) + element + pattern.slice(star + 1, hasField ? arrow : pattern.length);
  const entry = c.db.read(name);
  if (entry === undefined) return undefined;
  if (hasField) {
    const hash = c.db.valueOf(entry);
    if (!(hash instanceof HashValue) || !c.db.purgeExpiredFields(entry)) return undefined;
    return hash.get(pattern.slice(arrow + 2));
  }
  return c.db.isString(entry) ? c.db.stringOf(entry) : undefined;
}

/** C's isspace() in the C locale: what strtod skips first. */
function isCSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

const DBL_MIN = 2.2250738585072014e-308;

/**
 * A weight as sort.c reads one: strtod() over the C string must stop at its end, set no
 * ERANGE (glibc: overflow to infinity, or a result below DBL_MIN from non-zero digits)
 * and give no NaN. An empty string reads as 0 (strtod converts nothing and stops at the
 * end); blanks first are skipped, blanks last are not. NaN when it fails.
 */
export function parseSortWeight(s: string): number {
  const text = cString(s);
  if (text.length === 0) return 0;
  let i = 0;
  while (i < text.length && isCSpace(text.charCodeAt(i))) i++;
  if (i === text.length) return NaN;
  const digits = text.slice(i);
  const v = parseCDouble(digits);
  if (Number.isNaN(v)) return NaN;
  if (!Number.isFinite(v)) return /inf/i.test(digits) ? v : NaN;
  if (v === 0) return /^[+-]?(0x)?[0.]*([eEpP]|$)/i.test(digits) ? v : NaN;
  return Math.abs(v) < DBL_MIN ? NaN : v;
}

/** memcmp order of two byte strings (latin1: one char per byte), the shorter first on a tie. */
function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** strcmp order (strcoll in the C/C.UTF-8 locale): bytes up to the first NUL. */
function compareCStrings(a: string, b: string): number {
  return compareBytes(cString(a), cString(b));
}

/** What the sort compares: the elements, and per element its weight. */
interface SortVector {
  elements: string[];
  /** Numeric weights (0 for a missing BY key). */
  scores: Float64Array | null;
  /** ALPHA BY weights (undefined for a missing key). */
  keys: (string | undefined)[] | null;
}

/**
 * The element order of sort.c's sortCompare: numeric by weight, equal weights by the
 * elements' bytes; ALPHA by the BY weights (missing first) or the elements themselves,
 * by bytes with STORE and by strcoll without; DESC reverses every comparison.
 */
function sortOrder(v: SortVector, o: SortOptions): number[] {
  const order = Array.from(v.elements.keys());
  const { elements, scores, keys } = v;
  const sign = o.desc ? -1 : 1;
  const cmpText = o.store !== undefined ? compareBytes : compareCStrings;
  let compare: (a: number, b: number) => number;
  if (!o.alpha) {
    const s = scores!;
    compare = (a, b) => sign * (s[a]! > s[b]! ? 1 : s[a]! < s[b]! ? -1 : compareBytes(elements[a]!, elements[b]!));
  } else if (o.by !== undefined) {
    const k = keys!;
    compare = (a, b) => {
      const ka = k[a];
      const kb = k[b];
      if (ka === undefined || kb === undefined) return sign * (ka === kb ? 0 : ka === undefined ? -1 : 1);
      return sign * cmpText(ka, kb);
    };
  } else {
    compare = (a, b) => sign * cmpText(elements[a]!, elements[b]!);
  }
  return order.sort(compare);
}

/**
 * SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA] [STORE destination]
 * SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA]
 *
 * sort.c sortCommandGeneric. Options are parsed first (their errors come before
 * WRONGTYPE); an absent key sorts as an empty list. A constant BY keeps the container's
 * order (a list's or sorted set's, LIMIT taken directly from it, DESC from its end); a
 * set has no order to keep with STORE, so it is then sorted ALPHA. A numeric weight that
 * does not parse fails the whole command after the sort, storing nothing.
 */
function sortGeneric(c: Client, argv: string[], readonly: boolean): void {
  const o = parseSortOptions(c, argv, readonly);
  if (o === undefined) return;
  const db = c.db;
  const entry = db.read(argv[1]!);
  const value = entry === undefined ? undefined : db.valueOf(entry);
  if (value !== undefined && !(value instanceof ListValue || value instanceof SetValue || value instanceof ZSetValue)) {
    c.reply.error(ERR_WRONGTYPE);
    return;
  }
  // A set's order is not stable: stored or run from a script, it is sorted ALPHA (sort.c).
  if (o.dontSort && value instanceof SetValue && (o.store !== undefined || c.isScript)) {
    o.dontSort = false;
    o.alpha = true;
    o.by = undefined;
  }
  // sort.c converts a listpack sorted set to a skiplist for good before sorting it.
  if (value instanceof ZSetValue && value.compact) convertToSkiplist(c, entry!, value);

  let length = value === undefined ? 0 : value instanceof ListValue ? value.length : value.size;
  let start = Math.min(Math.max(o.limitStart, 0), length);
  const count = Math.min(Math.max(o.limitCount, -1), length);
  let end = count < 0 ? length - 1 : start + count - 1;
  if (start >= length) {
    start = length - 1;
    end = length - 2;
  }
  if (end >= length) end = length - 1;

  // The elements, in the container's order, or just the LIMIT window of an ordered one.
  let elements: string[];
  if (value === undefined) elements = [];
  else if (o.dontSort && !(value instanceof SetValue)) {
    const n = end >= start ? end - start + 1 : 0;
    if (value instanceof ListValue) {
      elements = value.slice(o.desc ? length - start - 1 : start, n, o.desc);
    } else {
      elements = [];
      if (n > 0) {
        const from = o.desc ? length - 1 - start : start;
        value.walk(from, o.desc ? from - n + 1 : from + n - 1, (m) => elements.push(m));
      }
    }
    if (end >= start) {
      end -= start;
      start = 0;
    }
    length = elements.length;
  } else if (value instanceof ListValue) elements = value.toArray();
  else if (value instanceof SetValue) elements = value.toArray();
  else {
    elements = [];
    value.forEach((m) => elements.push(m));
  }

  let badWeight = false;
  if (!o.dontSort) {
    const vector: SortVector = { elements, scores: null, keys: null };
    if (o.alpha) {
      if (o.by !== undefined) vector.keys = elements.map((e) => lookupByPattern(c, o.by!, e));
    } else {
      const scores = (vector.scores = new Float64Array(length));
      for (let j = 0; j < length; j++) {
        const weight = o.by === undefined ? elements[j]! : lookupByPattern(c, o.by, elements[j]!);
        if (weight === undefined) continue;
        const score = parseSortWeight(weight);
        if (Number.isNaN(score)) badWeight = true;
        else scores[j] = score;
      }
    }
    const order = sortOrder(vector, o);
    elements = order.map((i) => elements[i]!);
  }

  const rows = end - start + 1;
  const outputLength = o.gets.length > 0 ? o.gets.length * rows : rows;
  if (badWeight) {
    c.reply.error(ERR_SORT_SCORES);
    return;
  }
  if (o.store === undefined) {
    c.reply.arrayHeader(outputLength);
    for (let j = start; j <= end; j++) {
      const element = elements[j]!;
      if (o.gets.length === 0) c.reply.bulk(element);
      for (const pattern of o.gets) {
        const got = lookupByPattern(c, pattern, element);
        if (got === undefined) c.reply.nullBulk();
        else c.reply.bulk(got);
      }
    }
    return;
  }
  const result = new ListValue(c.db.hashEncoding.arenas);
  for (let j = start; j <= end; j++) {
    const element = elements[j]!;
    if (o.gets.length === 0) result.pushTail(element);
    // A missing GET value is stored as an empty string.
    for (const pattern of o.gets) result.pushTail(lookupByPattern(c, pattern, element) ?? '');
  }
  storeSorted(c, o.store, result, outputLength);
  c.reply.integer(outputLength);
}

/**
 * STORE's effect (sort.c): the list replaces whatever destination held, without its TTL,
 * with a "sortstore" event and one change per element; an empty result deletes the
 * destination instead ("del", one change), if it existed.
 */
function storeSorted(c: Client, dst: string, result: ListValue, outputLength: number): void {
  const db = c.db;
  const keyspace = c.server.keyspace;
  if (outputLength > 0) {
    db.set(dst, result);
    // The database counted one change for the key; Redis counts one per element.
    keyspace.changesSinceSave += outputLength - 1;
    keyspace.notify('l', 'sortstore', dst, db);
  } else if (db.delete(dst)) {
    keyspace.notify('g', 'del', dst, db);
  }
}

/** A listpack sorted set moved to its skiplist form, in place, as sort.c's zsetConvert. */
function convertToSkiplist(c: Client, entry: Entry, zset: ZSetValue): void {
  const before = c.db.willMutate(entry);
  zset.convert(c.db.zsetEncoding.arrays);
  c.db.valueChanged(entry, before);
}

function sort(c: Client, argv: string[]): void {
  sortGeneric(c, argv, false);
}

function sortRo(c: Client, argv: string[]): void {
  sortGeneric(c, argv, true);
}

/** BY and GET keys derive from the sorted data (src/commands/sort.json). */
const PATTERN_KEYS: KeySpec = {
  notes: "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort",
  flags: ['RO', 'access'],
  beginSearch: { type: 'unknown' },
  findKeys: { type: 'unknown' },
};

/** STORE may be anywhere; its key is found by sortGetKeys (acl/key-specs.ts). */
const STORE_KEY: KeySpec = {
  notes: "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array",
  flags: ['OW', 'update'],
  beginSearch: { type: 'unknown' },
  findKeys: { type: 'unknown' },
};

export const SORT_COMMANDS: readonly CommandDefinition[] = [
  cmd('sort', -2, 'write denyoom', { acl: 'set sortedset list dangerous', keys: [key(1, 'RO access'), PATTERN_KEYS, STORE_KEY] }, sort),
  cmd('sort_ro', -2, 'readonly', { acl: 'set sortedset list dangerous', keys: [key(1, 'RO access'), PATTERN_KEYS] }, sortRo),
];

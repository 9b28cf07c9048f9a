import type { Client } from './context.js';
import { ERR_WRONGTYPE } from './errors.js';
import type { Entry, Holding } from '../keyspace/database.js';
import { valueBytes } from '../keyspace/memory-cost.js';
import { ZSetValue } from '../keyspace/zset.js';
import { cString } from '../util/c-string.js';
import { parseCDouble } from '../util/numbers.js';

/**
 * How sorted-set commands reach a sorted set and change it (zset-commands.ts), and how
 * they read scores and ranges as Redis's t_zset.c does.
 */

/** An entry known to hold a sorted set. */
export type ZSetEntry = Holding<ZSetValue>;

/**
 * The sorted set at key: undefined when the key is absent, null after replying
 * WRONGTYPE. Counts a keyspace hit or miss (Redis's lookupKeyRead).
 */
export function readZset(c: Client, key: string): ZSetEntry | undefined | null {
  return checkZset(c, c.db.read(key));
}

/** readZset() for commands that write the key (lookupKeyWrite: no hit/miss counts). */
export function writeZset(c: Client, key: string): ZSetEntry | undefined | null {
  return checkZset(c, c.db.get(key));
}

function checkZset(c: Client, entry: Entry | undefined): ZSetEntry | undefined | null {
  if (entry === undefined) return undefined;
  if (!(c.db.valueOf(entry) instanceof ZSetValue)) {
    c.reply.error(ERR_WRONGTYPE);
    return null;
  }
  return entry as ZSetEntry;
}

/**
 * Changes the sorted set of a live entry in place through `change`: a running snapshot
 * sees the key first (Database.willMutate) and the database's memory figure follows the
 * value's size. Returns what change returns.
 */
export function mutateZset<T>(c: Client, entry: ZSetEntry, change: (zset: ZSetValue) => T): T {
  const db = c.db;
  db.willMutate(entry);
  const before = valueBytes(c.db.objectOf(entry));
  try {
    return change(c.db.objectOf(entry));
  } finally {
    db.valueChanged(entry, before);
  }
}

/** C's isspace() over the bytes strtod skips. */
function isSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

/**
 * A score or increment as Redis's getDoubleFromObject (util.c string2d) reads it: the
 * whole argument is strtod's number (decimal, hex, inf/infinity), no leading space, not
 * NaN, and not out of a double's range (strtod's ERANGE overflow, or an underflow to 0).
 * undefined when Redis would answer "value is not a valid float".
 */
export function parseScore(s: string): number | undefined {
  if (s.length === 0 || isSpace(s.charCodeAt(0))) return undefined;
  const v = parseCDouble(s);
  if (Number.isNaN(v)) return undefined;
  if (!Number.isFinite(v) && !/inf/i.test(s)) return undefined;
  if (v === 0 && /^[+-]?(0[xX])?[^1-9a-fA-F]*[1-9a-fA-F]/.test(s.replace(/[eEpP][+-]?\d+$/, ''))) return undefined;
  return v;
}

/** A score range (zrangespec): min, max, and whether each end is exclusive. */
export interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

/**
 * One end of a score range as zslParseRange reads it: an optional '(' for exclusive,
 * then strtod, which skips leading white space, reads up to the first NUL (C string),
 * overflows to inf, and reads nothing at all as 0 when nothing follows. NaN when Redis
 * answers "min or max is not a float".
 */
function parseRangeEnd(arg: string): { value: number; exclusive: boolean } {
  let s = cString(arg);
  let exclusive = false;
  if (s.charCodeAt(0) === 0x28 /* ( */) {
    exclusive = true;
    s = s.slice(1);
  }
  if (s.length === 0) return { value: 0, exclusive };
  let i = 0;
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  // Only white space: strtod converts nothing and points at the first space.
  if (i === s.length) return { value: NaN, exclusive };
  return { value: parseCDouble(s.slice(i)), exclusive };
}

/** A score range from min and max arguments, or undefined ("min or max is not a float"). */
export function parseScoreRange(minArg: string, maxArg: string): ScoreRange | undefined {
  const min = parseRangeEnd(minArg);
  const max = parseRangeEnd(maxArg);
  if (Number.isNaN(min.value) || Number.isNaN(max.value)) return undefined;
  return { min: min.value, max: max.value, minex: min.exclusive, maxex: max.exclusive };
}

/** Whether no score can be in the range (zslIsInRange's first test). */
export function emptyScoreRange(r: ScoreRange): boolean {
  return r.min > r.max || (r.min === r.max && (r.minex || r.maxex));
}

/** The first ascending rank at or past the range's min; the rank after the range's max. */
export function scoreRangeRanks(zset: ZSetValue, r: ScoreRange): [number, number] {
  const { min, max } = r;
  const first = zset.firstRank(r.minex ? (s) => s > min : (s) => s >= min);
  const end = zset.firstRank(r.maxex ? (s) => s >= max : (s) => s > max);
  return [first, end];
}

/** One end of a lex range: -1 is '-' (below everything), 1 is '+' (above), 0 a string. */
export interface LexEnd {
  kind: -1 | 0 | 1;
  value: string;
  exclusive: boolean;
}

/** A lex range item as zslParseLexItem reads it, or undefined. */
function parseLexEnd(arg: string): LexEnd | undefined {
  const c0 = arg.charCodeAt(0);
  // '+' and '-' stand alone; C sees a NUL after them as the end of the argument.
  if (c0 === 0x2b /* + */ || c0 === 0x2d /* - */) {
    if (arg.length > 1 && arg.charCodeAt(1) !== 0) return undefined;
    return { kind: c0 === 0x2b ? 1 : -1, value: '', exclusive: true };
  }
  if (c0 === 0x28 /* ( */) return { kind: 0, value: arg.slice(1), exclusive: true };
  if (c0 === 0x5b /* [ */) return { kind: 0, value: arg.slice(1), exclusive: false };
  return undefined;
}

export interface LexRange {
  min: LexEnd;
  max: LexEnd;
}

/** A lex range from min and max arguments, or undefined ("min or max not valid string range item"). */
export function parseLexRange(minArg: string, maxArg: string): LexRange | undefined {
  const min = parseLexEnd(minArg);
  const max = parseLexEnd(maxArg);
  if (min === undefined || max === undefined) return undefined;
  return { min, max };
}

/** sdscmplex: compares a member with a range end ('-' below all, '+' above all). */
function compareLex(member: string, end: LexEnd): number {
  if (end.kind !== 0) return -end.kind;
  return member < end.value ? -1 : member > end.value ? 1 : 0;
}

/** Whether no member can be in the range (zslIsInLexRange's first test). */
export function emptyLexRange(r: LexRange): boolean {
  let cmp: number;
  if (r.min.kind !== 0 || r.max.kind !== 0) {
    cmp = r.min.kind === r.max.kind && r.min.kind !== 0 ? 0 : r.min.kind === 0 ? -r.max.kind : r.min.kind;
  } else {
    cmp = r.min.value < r.max.value ? -1 : r.min.value > r.max.value ? 1 : 0;
  }
  return cmp > 0 || (cmp === 0 && (r.min.exclusive || r.max.exclusive));
}

/**
 * The ascending ranks [first, end) of the members in a lex range. The set's order is by
 * score first: lex ranges mean something only when all scores are equal, and with
 * mixed scores Redis's answer depends on how it searches. As Redis, nothing is in range
 * when the last member is below min or the first above max. A compact set is searched
 * as Redis walks its listpack (zzlFirstInLexRange / zzlLastInLexRange): from the head
 * to the first member >= min, then on while <= max (from the tail to the first <= max,
 * then back while >= min when reversed), so even mixed scores answer as Redis's
 * listpack does; a large one by binary search.
 */
export function lexRangeRanks(zset: ZSetValue, r: LexRange, reverse: boolean): [number, number] {
  const { min, max } = r;
  const size = zset.size;
  if (size === 0) return [0, 0];
  const gteMin = (m: string): boolean => (min.exclusive ? compareLex(m, min) > 0 : compareLex(m, min) >= 0);
  const lteMax = (m: string): boolean => (max.exclusive ? compareLex(m, max) < 0 : compareLex(m, max) <= 0);
  const members: string[] = [];
  zset.walk(size - 1, size - 1, (m) => members.push(m));
  zset.walk(0, 0, (m) => members.push(m));
  if (!gteMin(members[0]!) || !lteMax(members[1]!)) return [0, 0];
  if (zset.compact) {
    const all: string[] = [];
    zset.forEach((m) => all.push(m));
    if (!reverse) {
      let i = 0;
      while (i < size && !gteMin(all[i]!)) i++;
      let end = i;
      while (end < size && lteMax(all[end]!)) end++;
      return [i, end];
    }
    let j = size - 1;
    while (j >= 0 && !lteMax(all[j]!)) j--;
    let first = j + 1;
    while (first > 0 && gteMin(all[first - 1]!)) first--;
    return [first, j + 1];
  }
  const first = zset.firstRank(min.exclusive ? (_s, m) => compareLex(m, min) > 0 : (_s, m) => compareLex(m, min) >= 0);
  const end = zset.firstRank(max.exclusive ? (_s, m) => compareLex(m, max) >= 0 : (_s, m) => compareLex(m, max) > 0);
  return [first, end];
}

import type { Client } from './context.js';
import { cmd, key, keynum, type CommandDefinition } from './declare.js';
import {
  ERR_LIMIT_NEGATIVE,
  ERR_MIN_MAX_NOT_FLOAT,
  ERR_MIN_MAX_NOT_STRING_RANGE,
  ERR_NOT_POSITIVE,
  ERR_NOT_FLOAT,
  ERR_NOT_INTEGER,
  ERR_SYNTAX,
  ERR_WEIGHT_NOT_FLOAT,
  ERR_WRONGTYPE,
  ERR_ZADD_GT_LT_NX,
  ERR_ZADD_INCR_PAIR,
  ERR_ZADD_XX_NX,
  ERR_ZRANGE_LIMIT,
  ERR_ZRANGE_WITHSCORES_BYLEX,
  ERR_ZSET_NAN,
  errAtLeastOneKey,
} from './errors.js';
import { optionName } from './args.js';
import { cursorSlot, parseMultiPop, parseRandomCount, beginCollectionScan, replyScan } from './collection-args.js';
import { parseTimeout } from './blocking.js';
import { moreChanges } from './hash-access.js';
import {
  emptyLexRange,
  emptyScoreRange,
  lexRangeRanks,
  mutateZset,
  parseLexRange,
  parseScore,
  parseScoreRange,
  readZset,
  scoreRangeRanks,
  writeZset,
  type ZSetEntry,
} from './zset-access.js';
import { SetValue } from '../keyspace/set.js';
import { ZSetValue } from '../keyspace/zset.js';
import { formatDouble17g } from '../protocol/writer.js';
import { globMatch } from '../util/glob.js';
import { parseLong } from '../util/numbers.js';

/**
 * Sorted-set commands, as Redis 7.0.15's t_zset.c: replies (scores as addReplyDouble:
 * %.17g, a bulk string in RESP2 and a double in RESP3; [member, score] pairs nested in
 * RESP3 where Redis nests them), errors, keyspace events, the dirty counter. The blocking
 * pops (BZPOPMIN, BZPOPMAX, BZMPOP) come with the blocking framework; popEnds() is what
 * they will call once a key is ready.
 */

/** The entry's set, or the key deleted when the change emptied it; true if deleted. */
function deleteIfEmpty(c: Client, entry: ZSetEntry): boolean {
  if (c.db.objectOf(entry).size > 0) return false;
  c.db.deleteEntry(entry);
  return true;
}

/**
 * Replies a member and, withScores, its score: as a [member, score] array when `nest`
 * (RESP3_PAIRS: in RESP3 only, as ZRANGE; ALWAYS: ZMPOP in both protocols).
 */
function replyPair(c: Client, member: string, score: number, withScores: boolean, nest: number): void {
  if (withScores && (nest === ALWAYS || (nest === RESP3_PAIRS && c.protocol === 3))) c.reply.arrayHeader(2);
  c.reply.bulk(member);
  if (withScores) c.reply.double(score);
}

const FLAT = 0;
const RESP3_PAIRS = 1;
const ALWAYS = 2;

/** The array header of n members (with scores: 2n flat in RESP2, n pairs in RESP3). */
function pairsHeader(c: Client, n: number, withScores: boolean): void {
  c.reply.arrayHeader(withScores && c.protocol === 2 ? n * 2 : n);
}

// --- ZADD, ZINCRBY ----------------------------------------------------------------

const ZADD_NX = 1;
const ZADD_XX = 2;
const ZADD_GT = 4;
const ZADD_LT = 8;
const ZADD_INCR = 16;

/**
 * ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
 * ZINCRBY key increment member
 * All scores are parsed before anything changes: the command runs whole or not at all.
 * A new key starts in the large form when zset-max-listpack-entries is 0 or the first
 * member is longer than zset-max-listpack-value, as Redis 7.0's zaddGenericCommand.
 */
function zaddGeneric(c: Client, argv: string[], flagsIn: number): void {
  const key = argv[1]!;
  let flags = flagsIn;
  let ch = false;
  let at = 2;
  for (; at < argv.length; at++) {
    const opt = optionName(argv[at]!);
    if (opt === 'nx') flags |= ZADD_NX;
    else if (opt === 'xx') flags |= ZADD_XX;
    else if (opt === 'ch') ch = true;
    else if (opt === 'incr') flags |= ZADD_INCR;
    else if (opt === 'gt') flags |= ZADD_GT;
    else if (opt === 'lt') flags |= ZADD_LT;
    else break;
  }
  const incr = (flags & ZADD_INCR) !== 0;
  const nx = (flags & ZADD_NX) !== 0;
  const xx = (flags & ZADD_XX) !== 0;
  const gt = (flags & ZADD_GT) !== 0;
  const lt = (flags & ZADD_LT) !== 0;
  const args = argv.length - at;
  if (args % 2 !== 0 || args === 0) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  const elements = args / 2;
  if (nx && xx) {
    c.reply.error(ERR_ZADD_XX_NX);
    return;
  }
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    c.reply.error(ERR_ZADD_GT_LT_NX);
    return;
  }
  if (incr && elements > 1) {
    c.reply.error(ERR_ZADD_INCR_PAIR);
    return;
  }
  const scores: number[] = [];
  for (let j = 0; j < elements; j++) {
    const score = parseScore(argv[at + 2 * j]!);
    if (score === undefined) {
      c.reply.error(ERR_NOT_FLOAT);
      return;
    }
    scores.push(score);
  }
  const db = c.db;
  let entry = writeZset(c, key);
  if (entry === null) return;
  let added = 0;
  let updated = 0;
  let processed = 0;
  let lastScore = 0;
  let nan = false;
  const created = entry === undefined;
  if (entry === undefined) {
    if (xx) {
      replyZadd(c, incr, ch, 0, 0, 0, 0);
      return;
    }
    // Large from the start when one member would not stay compact (zsetTypeCreate(1, its length)).
    entry = db.set(key, new ZSetValue(1, argv[at + 1]!.length, db.zsetEncoding)) as ZSetEntry;
  }
  mutateZset(c, entry, (zset) => {
    const encoding = db.zsetEncoding;
    for (let j = 0; j < elements; j++) {
      let score = scores[j]!;
      const member = argv[at + 2 * j + 1]!;
      const found = zset.find(member);
      if (found >= 0) {
        const current = zset.scoreAt(found);
        if (nx) continue;
        if (incr) {
          score += current;
          if (Number.isNaN(score)) {
            nan = true;
            return;
          }
        }
        if ((lt && score >= current) || (gt && score <= current)) continue;
        processed++;
        lastScore = score;
        if (score !== current) {
          zset.updateAt(found, member, score);
          updated++;
        }
      } else {
        if (xx) continue;
        zset.insert(member, score, encoding);
        added++;
        processed++;
        lastScore = score;
      }
    }
    // A set made by this command keeps no growth slack, as SADD's (SetValue.fit).
    if (created && added > 1) zset.fit();
  });
  if (nan) c.reply.error(ERR_ZSET_NAN);
  else replyZadd(c, incr, ch, added, updated, processed, lastScore);
  if (added + updated > 0) {
    // A key the command created was counted (and shown to WATCH) by db.set already.
    if (!created) db.signalModified(key);
    moreChanges(c, added + updated - 1);
    c.server.keyspace.notify('z', incr ? 'zincr' : 'zadd', key, db);
  }
  // A new key that nothing was added to (not reachable: a new key takes its first pair).
  deleteIfEmpty(c, entry);
}

function replyZadd(c: Client, incr: boolean, ch: boolean, added: number, updated: number, processed: number, score: number): void {
  if (incr) {
    if (processed > 0) c.reply.double(score);
    else c.reply.nullBulk();
  } else {
    c.reply.integer(ch ? added + updated : added);
  }
}

function zadd(c: Client, argv: string[]): void {
  zaddGeneric(c, argv, 0);
}

function zincrby(c: Client, argv: string[]): void {
  zaddGeneric(c, argv, ZADD_INCR);
}

/** ZREM key member [member ...]: removing the last member deletes the key. */
function zrem(c: Client, argv: string[]): void {
  const key = argv[1]!;
  const entry = writeZset(c, key);
  if (entry === null) return;
  if (entry === undefined) {
    c.reply.integer(0);
    return;
  }
  let deleted = 0;
  mutateZset(c, entry, (zset) => {
    for (let j = 2; j < argv.length; j++) {
      if (zset.remove(argv[j]!)) deleted++;
      if (zset.size === 0) break;
    }
  });
  if (deleted > 0) {
    const keyRemoved = deleteIfEmpty(c, entry);
    if (!keyRemoved) c.db.signalModified(key);
    moreChanges(c, deleted - 1);
    c.server.keyspace.notify('z', 'zrem', key, c.db);
    if (keyRemoved) c.server.keyspace.notify('g', 'del', key, c.db);
  }
  c.reply.integer(deleted);
}

/** ZCARD key */
function zcard(c: Client, argv: string[]): void {
  const entry = readZset(c, argv[1]!);
  if (entry !== null) c.reply.integer(entry === undefined ? 0 : c.db.objectOf(entry).size);
}

/** ZSCORE key member */
function zscore(c: Client, argv: string[]): void {
  const entry = readZset(c, argv[1]!);
  if (entry === null) return;
  const score = (entry === undefined ? undefined : c.db.objectOf(entry))?.score(argv[2]!);
  if (score === undefined) c.reply.nullBulk();
  else c.reply.double(score);
}

/** ZMSCORE key member [member ...]: a null per missing member (all null for a missing key). */
function zmscore(c: Client, argv: string[]): void {
  const entry = readZset(c, argv[1]!);
  if (entry === null) return;
  c.reply.arrayHeader(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const score = (entry === undefined ? undefined : c.db.objectOf(entry))?.score(argv[j]!);
    if (score === undefined) c.reply.nullBulk();
    else c.reply.double(score);
  }
}

/** ZRANK key member / ZREVRANK key member: O(log n) in the large form. */
function rankGeneric(c: Client, argv: string[], reverse: boolean): void {
  const entry = readZset(c, argv[1]!);
  if (entry === null) return;
  if (entry === undefined) {
    c.reply.nullBulk();
    return;
  }
  const rank = c.db.objectOf(entry).rank(argv[2]!);
  if (rank < 0) c.reply.nullBulk();
  else c.reply.integer(reverse ? c.db.objectOf(entry).size - 1 - rank : rank);
}

function zrank(c: Client, argv: string[]): void {
  rankGeneric(c, argv, false);
}

function zrevrank(c: Client, argv: string[]): void {
  rankGeneric(c, argv, true);
}

/** ZCOUNT key min max: two O(log n) rank searches. */
function zcount(c: Client, argv: string[]): void {
  const range = parseScoreRange(argv[2]!, argv[3]!);
  if (range === undefined) {
    c.reply.error(ERR_MIN_MAX_NOT_FLOAT);
    return;
  }
  const entry = readZset(c, argv[1]!);
  if (entry === null) return;
  if (entry === undefined || emptyScoreRange(range)) {
    c.reply.integer(0);
    return;
  }
  const [first, end] = scoreRangeRanks(c.db.objectOf(entry), range);
  c.reply.integer(Math.max(0, end - first));
}

/** ZLEXCOUNT key min max */
function zlexcount(c: Client, argv: string[]): void {
  const range = parseLexRange(argv[2]!, argv[3]!);
  if (range === undefined) {
    c.reply.error(ERR_MIN_MAX_NOT_STRING_RANGE);
    return;
  }
  const entry = readZset(c, argv[1]!);
  if (entry === null) return;
  if (entry === undefined || emptyLexRange(range)) {
    c.reply.integer(0);
    return;
  }
  const [first, end] = lexRangeRanks(c.db.objectOf(entry), range, false);
  c.reply.integer(Math.max(0, end - first));
}

// --- ZRANGE and friends -------------------------------------------------------------

const BY_AUTO = 0;
const BY_RANK = 1;
const BY_SCORE = 2;
const BY_LEX = 3;

/** The ranks a range command selects, in reply order: from `from` stepping to `to` (inclusive); empty when count is 0. */
interface Selection {
  from: number;
  to: number;
  count: number;
}

const NOTHING: Selection = { from: 0, to: 0, count: 0 };

/**
 * ZRANGE, ZRANGESTORE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX,
 * ZREVRANGE: Redis's zrangeGenericCommand. `at` is the source key's index; `dst` the
 * destination of ZRANGESTORE. Options are parsed (and conflicts refused) before the key
 * is looked up; a missing source stores nothing (and deletes dst).
 */
function zrangeGeneric(c: Client, argv: string[], at: number, dst: string | null, byIn: number, reverseIn: boolean | null): void {
  let by = byIn;
  let reverse = reverseIn;
  let withScores = false;
  let offset = 0;
  let limit = -1;
  for (let j = at + 3; j < argv.length; j++) {
    const opt = optionName(argv[j]!);
    const left = argv.length - j - 1;
    if (dst === null && opt === 'withscores') {
      withScores = true;
    } else if (opt === 'limit' && left >= 2) {
      const o = parseLong(argv[j + 1]!);
      const l = o === undefined ? undefined : parseLong(argv[j + 2]!);
      if (o === undefined || l === undefined) {
        c.reply.error(ERR_NOT_INTEGER);
        return;
      }
      offset = o;
      limit = l;
      j += 2;
    } else if (reverse === null && opt === 'rev') {
      reverse = true;
    } else if (by === BY_AUTO && opt === 'bylex') {
      by = BY_LEX;
    } else if (by === BY_AUTO && opt === 'byscore') {
      by = BY_SCORE;
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  if (by === BY_AUTO) by = BY_RANK;
  const rev = reverse === true;
  if (limit !== -1 && by === BY_RANK) {
    c.reply.error(ERR_ZRANGE_LIMIT);
    return;
  }
  if (withScores && by === BY_LEX) {
    c.reply.error(ERR_ZRANGE_WITHSCORES_BYLEX);
    return;
  }
  // Reversed score and lex ranges are given as max, min.
  const minArg = argv[rev && by !== BY_RANK ? at + 2 : at + 1]!;
  const maxArg = argv[rev && by !== BY_RANK ? at + 1 : at + 2]!;
  let select: (zset: ZSetValue) => Selection;
  if (by === BY_RANK) {
    const start = parseLong(minArg);
    const end = start === undefined ? undefined : parseLong(maxArg);
    if (start === undefined || end === undefined) {
      c.reply.error(ERR_NOT_INTEGER);
      return;
    }
    select = (zset) => rankSelection(zset.size, start, end, rev);
  } else if (by === BY_SCORE) {
    const range = parseScoreRange(minArg, maxArg);
    if (range === undefined) {
      c.reply.error(ERR_MIN_MAX_NOT_FLOAT);
      return;
    }
    select = (zset) => (emptyScoreRange(range) ? NOTHING : limited(zset.size, scoreRangeRanks(zset, range), rev, offset, limit));
  } else {
    const range = parseLexRange(minArg, maxArg);
    if (range === undefined) {
      c.reply.error(ERR_MIN_MAX_NOT_STRING_RANGE);
      return;
    }
    select = (zset) => (emptyLexRange(range) ? NOTHING : limited(zset.size, lexRangeRanks(zset, range, rev), rev, offset, limit));
  }
  const entry = readZset(c, argv[at]!);
  if (entry === null) return;
  const selection = entry === undefined ? NOTHING : select(c.db.objectOf(entry));
  if (dst !== null) {
    storeRange(c, dst, (entry === undefined ? undefined : c.db.objectOf(entry)), selection);
    return;
  }
  pairsHeader(c, selection.count, withScores);
  if (selection.count > 0) c.db.objectOf(entry!).walk(selection.from, selection.to, (m, s) => replyPair(c, m, s, withScores, RESP3_PAIRS));
}

/** Z[REV]RANGE by rank: Redis's index sanitizing. */
function rankSelection(size: number, startIn: number, endIn: number, reverse: boolean): Selection {
  let start = startIn < 0 ? size + startIn : startIn;
  let end = endIn < 0 ? size + endIn : endIn;
  if (start < 0) start = 0;
  if (start > end || start >= size) return NOTHING;
  if (end >= size) end = size - 1;
  const count = end - start + 1;
  return reverse ? { from: size - 1 - start, to: size - 1 - end, count } : { from: start, to: end, count };
}

/**
 * The ranks [first, end) of a score or lex range, in reply order, after LIMIT: an
 * offset at or past the set's size, or negative, selects nothing (Redis walks past the
 * end); a negative count means no limit.
 */
function limited(size: number, [first, end]: [number, number], reverse: boolean, offset: number, limit: number): Selection {
  if (end <= first) return NOTHING;
  if (offset < 0 || (offset > 0 && offset >= size)) return NOTHING;
  let count = end - first - offset;
  if (count <= 0) return NOTHING;
  if (limit >= 0 && limit < count) count = limit;
  if (count === 0) return NOTHING;
  return reverse ? { from: end - 1 - offset, to: end - offset - count, count } : { from: first + offset, to: first + offset + count - 1, count };
}

/**
 * ZRANGESTORE's result: a new sorted set at dst (in the form Redis's zsetTypeCreate
 * picks for its size), or dst deleted when the range is empty.
 */
function storeRange(c: Client, dst: string, source: ZSetValue | undefined, selection: Selection): void {
  const db = c.db;
  const keyspace = c.server.keyspace;
  if (selection.count === 0 || source === undefined) {
    if (db.delete(dst)) keyspace.notify('g', 'del', dst, db);
    c.reply.integer(0);
    return;
  }
  const result = new ZSetValue(selection.count, 0, db.zsetEncoding);
  source.walk(selection.from, selection.to, (m, s) => result.insert(m, s, db.zsetEncoding));
  db.set(dst, result);
  c.reply.integer(result.size);
  keyspace.notify('z', 'zrangestore', dst, db);
}

/** ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES] */
function zrange(c: Client, argv: string[]): void {
  zrangeGeneric(c, argv, 1, null, BY_AUTO, null);
}

/** ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count] */
function zrangestore(c: Client, argv: string[]): void {
  zrangeGeneric(c, argv, 2, argv[1]!, BY_AUTO, null);
}

/** ZREVRANGE key start stop [WITHSCORES] */
function zrevrange(c: Client, argv: string[]): void {
  zrangeGeneric(c, argv, 1, null, BY_RANK, true);
}

/** ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count] */
function zrangebyscore(c: Client, argv: string[]): void {
  zrangeGeneric(c, argv, 1, null, BY_SCORE, false);
}

/** ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count] */
function zrevrangebyscore(c: Client, argv: string[]): void {
  zrangeGeneric(c, argv, 1, null, BY_SCORE, true);
}

/** ZRANGEBYLEX key min max [LIMIT offset count] */
function zrangebylex(c: Client, argv: string[]): void {
  zrangeGeneric(c, argv, 1, null, BY_LEX, false);
}

/** ZREVRANGEBYLEX key max min [LIMIT offset count] */
function zrevrangebylex(c: Client, argv: string[]): void {
  zrangeGeneric(c, argv, 1, null, BY_LEX, true);
}

// --- ZREMRANGEBY* -------------------------------------------------------------------

/** ZREMRANGEBYRANK / ZREMRANGEBYSCORE / ZREMRANGEBYLEX key a b: Redis's zremrangeGenericCommand. */
function zremrangeGeneric(c: Client, argv: string[], by: number): void {
  const key = argv[1]!;
  let select: (zset: ZSetValue) => [number, number];
  let event: string;
  if (by === BY_RANK) {
    event = 'zremrangebyrank';
    const start = parseLong(argv[2]!);
    const end = start === undefined ? undefined : parseLong(argv[3]!);
    if (start === undefined || end === undefined) {
      c.reply.error(ERR_NOT_INTEGER);
      return;
    }
    select = (zset) => {
      const s = rankSelection(zset.size, start, end, false);
      return s.count === 0 ? [0, 0] : [s.from, s.to + 1];
    };
  } else if (by === BY_SCORE) {
    event = 'zremrangebyscore';
    const range = parseScoreRange(argv[2]!, argv[3]!);
    if (range === undefined) {
      c.reply.error(ERR_MIN_MAX_NOT_FLOAT);
      return;
    }
    select = (zset) => (emptyScoreRange(range) ? [0, 0] : scoreRangeRanks(zset, range));
  } else {
    event = 'zremrangebylex';
    const range = parseLexRange(argv[2]!, argv[3]!);
    if (range === undefined) {
      c.reply.error(ERR_MIN_MAX_NOT_STRING_RANGE);
      return;
    }
    select = (zset) => (emptyLexRange(range) ? [0, 0] : lexRangeRanks(zset, range, false));
  }
  const entry = writeZset(c, key);
  if (entry === null) return;
  if (entry === undefined) {
    c.reply.integer(0);
    return;
  }
  const [first, end] = select(c.db.objectOf(entry));
  const deleted = Math.max(0, end - first);
  if (deleted > 0) {
    mutateZset(c, entry, (zset) => {
      const doomed = zset.range(first, end - 1);
      for (let i = 0; i < doomed.length; i += 2) zset.remove(doomed[i] as string);
    });
    const keyRemoved = deleteIfEmpty(c, entry);
    if (!keyRemoved) c.db.signalModified(key);
    moreChanges(c, deleted - 1);
    c.server.keyspace.notify('z', event, key, c.db);
    if (keyRemoved) c.server.keyspace.notify('g', 'del', key, c.db);
  }
  c.reply.integer(deleted);
}

function zremrangebyrank(c: Client, argv: string[]): void {
  zremrangeGeneric(c, argv, BY_RANK);
}

function zremrangebyscore(c: Client, argv: string[]): void {
  zremrangeGeneric(c, argv, BY_SCORE);
}

function zremrangebylex(c: Client, argv: string[]): void {
  zremrangeGeneric(c, argv, BY_LEX);
}

// --- Pops ---------------------------------------------------------------------------

/**
 * Removes up to `count` members from the low (max false) or high end of the set at a
 * live entry and returns them as [member, score, ...], deleting the key when emptied,
 * with Redis's events (zpopmin/zpopmax, then del) and dirty count. What the blocking
 * pops will call when their key is ready.
 */
export function popEnds(c: Client, key: string, entry: ZSetEntry, count: number, max: boolean): (string | number)[] {
  const size = c.db.objectOf(entry).size;
  const n = Math.min(count, size);
  if (n === 0) return [];
  const popped = mutateZset(c, entry, (zset) => {
    const out = max ? zset.range(size - 1, size - n) : zset.range(0, n - 1);
    for (let i = 0; i < out.length; i += 2) zset.remove(out[i] as string);
    return out;
  });
  const keyspace = c.server.keyspace;
  keyspace.notify('z', max ? 'zpopmax' : 'zpopmin', key, c.db);
  const keyRemoved = deleteIfEmpty(c, entry);
  if (!keyRemoved) c.db.signalModified(key);
  moreChanges(c, n - 1);
  if (keyRemoved) keyspace.notify('g', 'del', key, c.db);
  return popped;
}

/** ZPOPMIN key [count] / ZPOPMAX key [count]: flat in RESP2 or without count, pairs in RESP3 with count. */
function zpopGeneric(c: Client, argv: string[], max: boolean): void {
  if (argv.length > 3) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  let count = -1;
  if (argv.length === 3) {
    const n = parseLong(argv[2]!);
    if (n === undefined || n < 0) {
      c.reply.error(ERR_NOT_POSITIVE);
      return;
    }
    count = n;
  }
  const nest = c.protocol === 3 && count !== -1;
  const key = argv[1]!;
  const entry = writeZset(c, key);
  if (entry === null) return;
  if (entry === undefined || count === 0) {
    c.reply.arrayHeader(0);
    return;
  }
  const popped = popEnds(c, key, entry, count === -1 ? 1 : count, max);
  const n = popped.length / 2;
  c.reply.arrayHeader(nest ? n : n * 2);
  for (let i = 0; i < popped.length; i += 2) replyPair(c, popped[i] as string, popped[i + 1] as number, true, nest ? ALWAYS : FLAT);
}

function zpopmin(c: Client, argv: string[]): void {
  zpopGeneric(c, argv, false);
}

function zpopmax(c: Client, argv: string[]): void {
  zpopGeneric(c, argv, true);
}

/** [key, [[member, score], ...]] of ZMPOP and BZMPOP, popping from a live set. */
function mpopReply(c: Client, key: string, entry: ZSetEntry, count: number, max: boolean): void {
  const popped = popEnds(c, key, entry, count, max);
  c.reply.arrayHeader(2);
  c.reply.bulk(key);
  c.reply.arrayHeader(popped.length / 2);
  for (let i = 0; i < popped.length; i += 2) replyPair(c, popped[i] as string, popped[i + 1] as number, true, ALWAYS);
}

/**
 * ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
 * Pops from the first non-empty key: [key, [[member, score], ...]], or a null array.
 */
function zmpop(c: Client, argv: string[]): void {
  const parsed = parseMultiPop(c, argv, 1, MIN_MAX);
  if (parsed === null) return;
  for (let j = 2; j < 2 + parsed.numkeys; j++) {
    const key = argv[j]!;
    const entry = writeZset(c, key);
    if (entry === null) return;
    if (entry === undefined) continue;
    const length = c.db.objectOf(entry).size;
    mpopReply(c, key, entry, parsed.count, parsed.end === 1);
    if (c.server.writeStream.active) c.propagateAs = zpopArgv(parsed.end === 1, key, Math.min(parsed.count, length));
    return;
  }
  c.reply.nullArray();
}

/** How the write stream carries ZMPOP and the blocking pops: ZPOPMIN/ZPOPMAX, with the count popped when the command had one. */
function zpopArgv(max: boolean, key: string, count = -1): string[] {
  const name = max ? 'ZPOPMAX' : 'ZPOPMIN';
  return count === -1 ? [name, key] : [name, key, String(count)];
}

/** ZMPOP's and BZMPOP's ends: MIN pops the lowest scores, MAX the highest. */
const MIN_MAX = ['min', 'max'] as const;

// --- Blocking pops (blocking.ts) ------------------------------------------------------

/** BZPOPMIN/BZPOPMAX's [key, member, score] (count -1), or BZMPOP's nested reply, from a live set. */
function blockingPopReply(c: Client, key: string, entry: ZSetEntry, count: number, max: boolean): void {
  if (count !== -1) {
    mpopReply(c, key, entry, count, max);
    return;
  }
  const popped = popEnds(c, key, entry, 1, max);
  c.reply.arrayHeader(3);
  c.reply.bulk(key);
  c.reply.bulk(popped[0] as string);
  c.reply.double(popped[1] as number);
}

/**
 * Redis's blockingGenericZpopCommand: the timeout first, then the first key holding a
 * sorted set answers (another type: WRONGTYPE); with none, the client blocks until one
 * of the keys holds a sorted set, or answers a null array at once inside MULTI/EXEC.
 */
function blockingZpop(c: Client, keys: readonly string[], max: boolean, timeoutArg: string, count: number): void {
  const timeout = parseTimeout(timeoutArg);
  if ('error' in timeout) {
    c.reply.error(timeout.error);
    return;
  }
  for (const key of keys) {
    const entry = writeZset(c, key);
    if (entry === null) return;
    if (entry === undefined || c.db.objectOf(entry).size === 0) continue;
    const length = c.db.objectOf(entry).size;
    blockingPopReply(c, key, entry, count, max);
    if (c.server.writeStream.active) c.propagateAs = zpopArgv(max, key, count === -1 ? -1 : Math.min(count, length));
    return;
  }
  if (c.multi !== null || c.isScript) {
    c.reply.nullArray();
    return;
  }
  const serve = (key: string): void => {
    const entry = c.db.get(key) as ZSetEntry;
    const length = c.db.objectOf(entry).size;
    blockingPopReply(c, key, entry, count, max);
    const stream = c.server.writeStream;
    if (stream.active) stream.propagateAlone(c.db.index, zpopArgv(max, key, count === -1 ? -1 : Math.min(count, length)));
  };
  c.server.blocking.block(c, { type: 'zset', db: c.db, keys, timeoutMs: timeout.ms, serve });
}

/** BZPOPMIN key [key ...] timeout */
function bzpopmin(c: Client, argv: string[]): void {
  blockingZpop(c, argv.slice(1, -1), false, argv[argv.length - 1]!, -1);
}

/** BZPOPMAX key [key ...] timeout */
function bzpopmax(c: Client, argv: string[]): void {
  blockingZpop(c, argv.slice(1, -1), true, argv[argv.length - 1]!, -1);
}

/** BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count] */
function bzmpop(c: Client, argv: string[]): void {
  const parsed = parseMultiPop(c, argv, 2, MIN_MAX);
  if (parsed === null) return;
  blockingZpop(c, argv.slice(3, 3 + parsed.numkeys), parsed.end === 1, argv[1]!, parsed.count);
}

// --- ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD ------------------------------

const OP_UNION = 0;
const OP_INTER = 1;
const OP_DIFF = 2;

const AGGR_SUM = 0;
const AGGR_MIN = 1;
const AGGR_MAX = 2;

function aggregate(target: number, value: number, how: number): number {
  if (how === AGGR_SUM) {
    const sum = target + value;
    // inf + -inf: Redis keeps 0 rather than NaN.
    return Number.isNaN(sum) ? 0 : sum;
  }
  if (how === AGGR_MIN) return value < target ? value : target;
  return value > target ? value : target;
}

/**
 * Redis's zunionInterDiffGenericCommand: numkeys at `numkeysAt`, the keys after it
 * (looked up, and WRONGTYPE answered, before the options are read), then WEIGHTS and
 * AGGREGATE (not for ZDIFF), WITHSCORES (not for the STORE forms), LIMIT (ZINTERCARD).
 * Sets as inputs (score 1) arrive with the set type.
 */
function setOperation(c: Client, argv: string[], dst: string | null, numkeysAt: number, op: number, cardinalityOnly: boolean): void {
  const setnum = parseLong(argv[numkeysAt]!);
  if (setnum === undefined) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  if (setnum < 1) {
    c.reply.error(errAtLeastOneKey(argv[0]!.toLowerCase()));
    return;
  }
  if (setnum > argv.length - (numkeysAt + 1)) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  const sources: (ZSource | null)[] = [];
  const weights: number[] = [];
  let j = numkeysAt + 1;
  for (let i = 0; i < setnum; i++, j++) {
    const entry = c.db.read(argv[j]!);
    const value = (entry === undefined ? undefined : c.db.valueOf(entry));
    if (value instanceof SetValue) sources.push(setSource(value));
    else if (value === undefined || value instanceof ZSetValue) sources.push(value ?? null);
    else {
      c.reply.error(ERR_WRONGTYPE);
      return;
    }
    weights.push(1);
  }
  let how = AGGR_SUM;
  let withScores = false;
  let limit = 0;
  while (j < argv.length) {
    const remaining = argv.length - j;
    const opt = optionName(argv[j]!);
    if (op !== OP_DIFF && !cardinalityOnly && remaining >= setnum + 1 && opt === 'weights') {
      j++;
      for (let i = 0; i < setnum; i++, j++) {
        const w = parseScore(argv[j]!);
        if (w === undefined) {
          c.reply.error(ERR_WEIGHT_NOT_FLOAT);
          return;
        }
        weights[i] = w;
      }
    } else if (op !== OP_DIFF && !cardinalityOnly && remaining >= 2 && opt === 'aggregate') {
      const name = optionName(argv[j + 1]!);
      if (name === 'sum') how = AGGR_SUM;
      else if (name === 'min') how = AGGR_MIN;
      else if (name === 'max') how = AGGR_MAX;
      else {
        c.reply.error(ERR_SYNTAX);
        return;
      }
      j += 2;
    } else if (dst === null && !cardinalityOnly && opt === 'withscores') {
      withScores = true;
      j++;
    } else if (cardinalityOnly && remaining >= 2 && opt === 'limit') {
      const l = parseLong(argv[j + 1]!);
      if (l === undefined || l < 0) {
        c.reply.error(ERR_LIMIT_NEGATIVE);
        return;
      }
      limit = l;
      j += 2;
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  // Member -> score of the result, and its longest member (for the stored form).
  const result = new Map<string, number>();
  let cardinality = 0;
  if (op === OP_INTER) {
    // From the smallest input (Redis sorts the inputs by size, weights along).
    const order = sources.map((_, i) => i).sort((a, b) => (sources[a]?.size ?? 0) - (sources[b]?.size ?? 0));
    const first = sources[order[0]!];
    if (first != null && first.size > 0) {
      const w0 = weights[order[0]!]!;
      let done = false;
      first.forEach((member, score0) => {
        if (done) return;
        let score = w0 * score0;
        if (Number.isNaN(score)) score = 0;
        for (let k = 1; k < order.length; k++) {
          const other = sources[order[k]!]!;
          const s = other === null ? undefined : other.score(member);
          if (s === undefined) return;
          score = aggregate(score, s * weights[order[k]!]!, how);
        }
        if (cardinalityOnly) {
          cardinality++;
          if (limit > 0 && cardinality >= limit) done = true;
        } else {
          result.set(member, score);
        }
      });
    }
  } else if (op === OP_UNION) {
    for (let i = 0; i < setnum; i++) {
      const source = sources[i];
      if (source == null) continue;
      const w = weights[i]!;
      source.forEach((member, s) => {
        let score = w * s;
        if (Number.isNaN(score)) score = 0;
        const known = result.get(member);
        result.set(member, known === undefined ? score : aggregate(known, score, how));
      });
    }
  } else {
    const base = sources[0];
    if (base != null) {
      base.forEach((member, score) => {
        for (let i = 1; i < setnum; i++) if (sources[i]?.has(member)) return;
        result.set(member, score);
      });
    }
  }
  if (cardinalityOnly) {
    c.reply.integer(cardinality);
    return;
  }
  const db = c.db;
  let maxLength = 0;
  for (const member of result.keys()) if (member.length > maxLength) maxLength = member.length;
  if (dst !== null) {
    const keyspace = c.server.keyspace;
    if (result.size === 0) {
      c.reply.integer(0);
      if (db.delete(dst)) keyspace.notify('g', 'del', dst, db);
      return;
    }
    const zset = new ZSetValue(result.size, maxLength, db.zsetEncoding);
    for (const [member, score] of result) zset.insert(member, score, db.zsetEncoding);
    db.set(dst, zset);
    c.reply.integer(zset.size);
    keyspace.notify('z', op === OP_UNION ? 'zunionstore' : op === OP_INTER ? 'zinterstore' : 'zdiffstore', dst, db);
    return;
  }
  const sorted = new ZSetValue(result.size, maxLength, db.zsetEncoding);
  for (const [member, score] of result) sorted.insert(member, score, db.zsetEncoding);
  pairsHeader(c, sorted.size, withScores);
  sorted.forEach((m, s) => replyPair(c, m, s, withScores, RESP3_PAIRS));
}

/** What the set operations read of an input: a sorted set, or a plain set whose members all score 1 (as Redis's zuiInitIterator). */
interface ZSource {
  readonly size: number;
  forEach(fn: (member: string, score: number) => void): void;
  score(member: string): number | undefined;
  has(member: string): boolean;
}

function setSource(set: SetValue): ZSource {
  return {
    size: set.size,
    forEach: (fn) => set.forEach((member) => fn(member, 1)),
    score: (member) => (set.has(member) ? 1 : undefined),
    has: (member) => set.has(member),
  };
}

/** ZUNION numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES] */
function zunion(c: Client, argv: string[]): void {
  setOperation(c, argv, null, 1, OP_UNION, false);
}

/** ZINTER numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES] */
function zinter(c: Client, argv: string[]): void {
  setOperation(c, argv, null, 1, OP_INTER, false);
}

/** ZDIFF numkeys key [key ...] [WITHSCORES] */
function zdiff(c: Client, argv: string[]): void {
  setOperation(c, argv, null, 1, OP_DIFF, false);
}

/** ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] */
function zunionstore(c: Client, argv: string[]): void {
  setOperation(c, argv, argv[1]!, 2, OP_UNION, false);
}

/** ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] */
function zinterstore(c: Client, argv: string[]): void {
  setOperation(c, argv, argv[1]!, 2, OP_INTER, false);
}

/** ZDIFFSTORE destination numkeys key [key ...] */
function zdiffstore(c: Client, argv: string[]): void {
  setOperation(c, argv, argv[1]!, 2, OP_DIFF, false);
}

/** ZINTERCARD numkeys key [key ...] [LIMIT limit] */
function zintercard(c: Client, argv: string[]): void {
  setOperation(c, argv, null, 1, OP_INTER, true);
}

// --- ZRANDMEMBER, ZSCAN -------------------------------------------------------------


/**
 * ZRANDMEMBER key [count [WITHSCORES]]
 * Without count: one random member (null for a missing key). A positive count returns
 * distinct members, at most the set's size (the whole set, greatest first, when count
 * covers it); a negative count returns exactly |count| members that may repeat.
 */
function zrandmember(c: Client, argv: string[]): void {
  if (argv.length >= 3) {
    const parsed = parseRandomCount(c, argv, 'withscores');
    if (parsed !== null) zrandmemberWithCount(c, argv[1]!, parsed.count, parsed.withPairs);
    return;
  }
  const entry = readZset(c, argv[1]!);
  if (entry === null) return;
  if (entry === undefined) {
    c.reply.nullBulk();
    return;
  }
  c.reply.bulk(c.db.objectOf(entry).memberOf(c.db.objectOf(entry).randomPick()));
}

function zrandmemberWithCount(c: Client, key: string, l: number | bigint, withScores: boolean): void {
  const entry = readZset(c, key);
  if (entry === null) return;
  const count = Number(l < 0 ? -l : l);
  if (entry === undefined || count === 0) {
    c.reply.arrayHeader(0);
    return;
  }
  const zset = c.db.objectOf(entry);
  const size = zset.size;
  if (l < 0 || count === 1) {
    pairsHeader(c, count, withScores);
    for (let n = 0; n < count; n++) {
      const pick = zset.randomPick();
      replyPair(c, zset.memberOf(pick), zset.scoreOf(pick), withScores, RESP3_PAIRS);
    }
    return;
  }
  const replied = Math.min(count, size);
  pairsHeader(c, replied, withScores);
  if (count >= size) {
    // The whole set, from the greatest member down, as Redis's zuiNext walks either form.
    zset.walk(size - 1, 0, (m, s) => replyPair(c, m, s, withScores, RESP3_PAIRS));
    return;
  }
  if (zset.compact || count * 3 > size) {
    // Distinct members in the set's order: selection sampling takes each remaining
    // member with probability needed/remaining.
    let needed = count;
    let remaining = size;
    zset.forEach((m, s) => {
      if (needed > 0 && Math.random() * remaining < needed) {
        replyPair(c, m, s, withScores, RESP3_PAIRS);
        needed--;
      }
      remaining--;
    });
    return;
  }
  // A small part of a large set: random picks, skipping repeats.
  const picked = new Set<number>();
  while (picked.size < count) {
    const pick = zset.randomPick();
    if (picked.has(pick)) continue;
    picked.add(pick);
    replyPair(c, zset.memberOf(pick), zset.scoreOf(pick), withScores, RESP3_PAIRS);
  }
}

/**
 * ZSCAN key cursor [MATCH pattern] [COUNT count]
 * A compact set is returned whole in one call with cursor 0, in its order, as Redis
 * scans a listpack. A large one is walked with the value's own cursor (ZSetValue.scan,
 * the hash's contract): every member present from the start to the end of an
 * iteration is returned, and the iteration ends. Scores in RESP2 and RESP3 alike are
 * bulk strings: the listpack's stored text (doubleToText) for a compact set, %.17g for
 * a large one (scanCallback's createStringObjectFromLongDouble).
 */
function zscan(c: Client, argv: string[]): void {
  const scan = beginCollectionScan(c, argv, readZset, false);
  if (scan === null) return;
  const { cursor, value: zset, options: { count, pattern } } = scan;
  const scanned: string[] = [];
  const collect = (member: string, score: string): void => {
    if (pattern !== undefined && !globMatch(pattern, member)) return;
    scanned.push(member, score);
  };
  let next = 0;
  if (zset.compact) zset.forEach((m, s) => collect(m, doubleToText(s)));
  else next = zset.scan(cursorSlot(cursor), count, (m, s) => collect(m, formatDouble17g(s)));
  replyScan(c, next, scanned);
}

/**
 * A score as a listpack stores it (zzlInsertAt), which is how ZSCAN of a compact set
 * returns it and how the RDB listpack holds it: Redis's d2string: integers within +-2^62 (double2ll) as integers, else %.17g; -0 as "-0". */
export function doubleToText(score: number): string {
  if (score === 0) return Object.is(score, -0) ? '-0' : '0';
  if (Number.isInteger(score) && Math.abs(score) < 4611686018427387904) return BigInt(score).toString();
  return formatDouble17g(score);
}

const RO = 'RO access';

export const ZSET_COMMANDS: CommandDefinition[] = [
  /** ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...] */
  cmd('zadd', -4, 'write denyoom fast', { acl: 'sortedset', keys: [key(1, 'RW update')] }, zadd),
  /** ZINCRBY key increment member */
  cmd('zincrby', 4, 'write denyoom fast', { acl: 'sortedset', keys: [key(1, 'RW access update')] }, zincrby),
  /** ZREM key member [member ...] */
  cmd('zrem', -3, 'write fast', { acl: 'sortedset', keys: [key(1, 'RW delete')] }, zrem),
  /** ZCARD key */
  cmd('zcard', 2, 'readonly fast', { acl: 'sortedset', keys: [key(1, 'RO')] }, zcard),
  /** ZSCORE key member */
  cmd('zscore', 3, 'readonly fast', { acl: 'sortedset', keys: [key(1, RO)] }, zscore),
  /** ZMSCORE key member [member ...] */
  cmd('zmscore', -3, 'readonly fast', { acl: 'sortedset', keys: [key(1, RO)] }, zmscore),
  /** ZRANK key member */
  cmd('zrank', 3, 'readonly fast', { acl: 'sortedset', keys: [key(1, RO)] }, zrank),
  /** ZREVRANK key member */
  cmd('zrevrank', 3, 'readonly fast', { acl: 'sortedset', keys: [key(1, RO)] }, zrevrank),
  /** ZCOUNT key min max */
  cmd('zcount', 4, 'readonly fast', { acl: 'sortedset', keys: [key(1, RO)] }, zcount),
  /** ZLEXCOUNT key min max */
  cmd('zlexcount', 4, 'readonly fast', { acl: 'sortedset', keys: [key(1, RO)] }, zlexcount),
  /** ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES] */
  cmd('zrange', -4, 'readonly', { acl: 'sortedset', keys: [key(1, RO)] }, zrange),
  /** ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count] */
  cmd('zrangestore', -5, 'write denyoom', { acl: 'sortedset', keys: [key(1, 'OW update'), key(2, RO)] }, zrangestore),
  /** ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count] */
  cmd('zrangebyscore', -4, 'readonly', { acl: 'sortedset', keys: [key(1, RO)] }, zrangebyscore),
  /** ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count] */
  cmd('zrevrangebyscore', -4, 'readonly', { acl: 'sortedset', keys: [key(1, RO)] }, zrevrangebyscore),
  /** ZRANGEBYLEX key min max [LIMIT offset count] */
  cmd('zrangebylex', -4, 'readonly', { acl: 'sortedset', keys: [key(1, RO)] }, zrangebylex),
  /** ZREVRANGEBYLEX key max min [LIMIT offset count] */
  cmd('zrevrangebylex', -4, 'readonly', { acl: 'sortedset', keys: [key(1, RO)] }, zrevrangebylex),
  /** ZREVRANGE key start stop [WITHSCORES] */
  cmd('zrevrange', -4, 'readonly', { acl: 'sortedset', keys: [key(1, RO)] }, zrevrange),
  /** ZREMRANGEBYRANK key start stop */
  cmd('zremrangebyrank', 4, 'write', { acl: 'sortedset', keys: [key(1, 'RW delete')] }, zremrangebyrank),
  /** ZREMRANGEBYSCORE key min max */
  cmd('zremrangebyscore', 4, 'write', { acl: 'sortedset', keys: [key(1, 'RW delete')] }, zremrangebyscore),
  /** ZREMRANGEBYLEX key min max */
  cmd('zremrangebylex', 4, 'write', { acl: 'sortedset', keys: [key(1, 'RW delete')] }, zremrangebylex),
  /** ZPOPMIN key [count] */
  cmd('zpopmin', -2, 'write fast', { acl: 'sortedset', keys: [key(1, 'RW access delete')] }, zpopmin),
  /** ZPOPMAX key [count] */
  cmd('zpopmax', -2, 'write fast', { acl: 'sortedset', keys: [key(1, 'RW access delete')] }, zpopmax),
  /** ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] */
  cmd('zmpop', -4, 'write', { acl: 'sortedset', keys: [keynum(1, 'RW access delete')] }, zmpop),
  /** BZPOPMIN key [key ...] timeout */
  cmd('bzpopmin', -3, 'write noscript fast blocking', { acl: 'sortedset', keys: [key(1, 'RW access delete', { last: -2 })] }, bzpopmin),
  /** BZPOPMAX key [key ...] timeout */
  cmd('bzpopmax', -3, 'write noscript fast blocking', { acl: 'sortedset', keys: [key(1, 'RW access delete', { last: -2 })] }, bzpopmax),
  /** BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count] */
  cmd('bzmpop', -5, 'write blocking', { acl: 'sortedset', keys: [keynum(2, 'RW access delete')] }, bzmpop),
  /** ZUNION numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES] */
  cmd('zunion', -3, 'readonly', { acl: 'sortedset', keys: [keynum(1, 'RO access')] }, zunion),
  /** ZINTER numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES] */
  cmd('zinter', -3, 'readonly', { acl: 'sortedset', keys: [keynum(1, 'RO access')] }, zinter),
  /** ZDIFF numkeys key [key ...] [WITHSCORES] */
  cmd('zdiff', -3, 'readonly', { acl: 'sortedset', keys: [keynum(1, 'RO access')] }, zdiff),
  /** ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] */
  cmd('zunionstore', -4, 'write denyoom', { acl: 'sortedset', keys: [key(1, 'OW update'), keynum(2, 'RO access')] }, zunionstore),
  /** ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] */
  cmd('zinterstore', -4, 'write denyoom', { acl: 'sortedset', keys: [key(1, 'OW update'), keynum(2, 'RO access')] }, zinterstore),
  /** ZDIFFSTORE destination numkeys key [key ...] */
  cmd('zdiffstore', -4, 'write denyoom', { acl: 'sortedset', keys: [key(1, 'OW update'), keynum(2, 'RO access')] }, zdiffstore),
  /** ZINTERCARD numkeys key [key ...] [LIMIT limit] */
  cmd('zintercard', -3, 'readonly', { acl: 'sortedset', keys: [keynum(1, 'RO access')] }, zintercard),
  /** ZRANDMEMBER key [count [WITHSCORES]] */
  cmd('zrandmember', -2, 'readonly', { acl: 'sortedset', tips: 'nondeterministic_output', keys: [key(1, RO)] }, zrandmember),
  /** ZSCAN key cursor [MATCH pattern] [COUNT count] */
  cmd('zscan', -3, 'readonly', { acl: 'sortedset', tips: 'nondeterministic_output', keys: [key(1, RO)] }, zscan),
];

import { HashValue, type HashEncoding } from '../keyspace/hash.js';
import { ListValue } from '../keyspace/list.js';
import { SetValue, type SetEncoding } from '../keyspace/set.js';
import { keepingForm, ZSetValue, type ZSetEncoding } from '../keyspace/zset.js';
import type { Value } from '../keyspace/values.js';
import type { LoadedValue, LoadedZset } from './rdb-reader.js';

/**
 * A value as read from an RDB file or a DUMP payload, made into the keyspace's value: what
 * loading a snapshot and RESTORE share. A new type adds one case here.
 */
export interface BuiltValue {
  readonly value: Value;
  /** Hash fields with a TTL as [field, deadline] (the first ms they are gone), or null. */
  readonly fieldDeadlines: [string, number][] | null;
}

/** The server's encoding settings a built value follows (a Database has them). */
export interface ValueEncodings {
  readonly hashEncoding: HashEncoding;
  readonly setEncoding: SetEncoding;
  readonly zsetEncoding: ZSetEncoding;
}

/**
 * The value for `loaded`, leaving out hash fields whose expire time is before `now`;
 * null when nothing is left (a hash whose fields all expired). `encodings`: the server's
 * limits of the compact encodings (and its hash field-name pool), so a value is encoded
 * as Redis 7.0 loads it whatever the file held.
 */
export function buildValue(loaded: LoadedValue, encodings: ValueEncodings, now: number): BuiltValue | null {
  if (typeof loaded === 'string') return { value: loaded, fieldDeadlines: null };
  if (loaded.type === 'set') {
    // An intset while every member is an integer and there are at most
    // set-max-intset-entries, whatever the file held.
    const set = new SetValue();
    for (const m of loaded.members) set.add(m, encodings.setEncoding);
    set.fit();
    return { value: set, fieldDeadlines: null };
  }
  if (loaded.type === 'zset') return { value: loadedZset(loaded, encodings.zsetEncoding), fieldDeadlines: null };
  // Lists have one encoding in memory whatever the file held (keyspace/list.ts).
  if (loaded.type === 'list') return { value: ListValue.of(loaded.elements, encodings.hashEncoding.arenas), fieldDeadlines: null };
  const encoding = encodings.hashEncoding;
  const hash = new HashValue();
  const pairs = loaded.pairs;
  const fieldExpires = loaded.fieldExpires;
  // Past the compact limit whatever it holds (no field can expire on the way): the table
  // form sized for all of it at once, instead of grown through its doublings.
  if (fieldExpires === null && pairs.length > 2 * encoding.maxCompactEntries) hash.reserveTable(pairs, encoding);
  let deadlines: [string, number][] | null = null;
  for (let i = 0; i < pairs.length; i += 2) {
    const fe = fieldExpires === null ? 0 : fieldExpires[i >> 1]!;
    if (fe !== 0 && fe < now) continue;
    hash.set(pairs[i]!, pairs[i + 1]!, encoding);
    if (fe !== 0) (deadlines ??= []).push([pairs[i]!, fe + 1]);
  }
  if (hash.size === 0) return null;
  return { value: hash, fieldDeadlines: deadlines };
}

/**
 * A loaded sorted set in the form Redis's rdbLoadObject leaves it: a listpack or
 * ziplist stays compact unless it holds more than zset-max-listpack-entries members
 * (member lengths are not checked); a skiplist becomes compact if it fits both limits.
 */
function loadedZset(value: LoadedZset, encoding: Readonly<ZSetEncoding>): ZSetValue {
  const { members, scores } = value;
  const n = members.length;
  let longest = 0;
  for (const m of members) if (m.length > longest) longest = m.length;
  const compact = value.compact ? n <= encoding.maxCompactEntries : n <= encoding.maxCompactEntries && longest <= encoding.maxCompactValue;
  const limits = keepingForm(compact, encoding.arrays);
  const zset = new ZSetValue(compact ? 0 : 1, 0, limits);
  for (let i = 0; i < n; i++) zset.insert(members[i]!, scores[i]!, limits);
  zset.fit();
  return zset;
}

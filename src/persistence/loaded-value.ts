import { HashValue, type HashEncoding } from '../keyspace/hash.js';
import type { Value } from '../keyspace/values.js';
import type { LoadedValue } from './rdb-reader.js';

/**
 * A value as read from an RDB file or a DUMP payload, made into the keyspace's value: what
 * loading a snapshot and RESTORE share. A new type adds one case here.
 */
export interface BuiltValue {
  readonly value: Value;
  /** Hash fields with a TTL as [field, deadline] (the first ms they are gone), or null. */
  readonly fieldDeadlines: [string, number][] | null;
}

/**
 * The value for `loaded`, leaving out hash fields whose expire time is before `now`;
 * null when nothing is left (a hash whose fields all expired). `encoding`: the server's
 * hash limits and field-name pool.
 */
export function buildValue(loaded: LoadedValue, encoding: HashEncoding, now: number): BuiltValue | null {
  if (typeof loaded === 'string') return { value: loaded, fieldDeadlines: null };
  const hash = new HashValue();
  const pairs = loaded.pairs;
  const fieldExpires = loaded.fieldExpires;
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

import { cString } from '../util/c-string.js';

/**
 * The keyspace-notification classes (notify-keyspace-events): Redis 7.0's NOTIFY_* bits,
 * how a value's letters read as bits and how bits print. The notifier (notifications.ts)
 * tests them; the parameter table (config/params.ts) reads and prints the value with
 * them. Constants and pure functions only, importing nothing of lapse but cString, so
 * the config layer may use it without a cycle.
 */

/**
 * notify-keyspace-events classes as bits (Redis 7.0's NOTIFY_* flags in server.h). K and
 * E choose the channels (__keyspace@<db>__:<key>, __keyevent@<db>__:<event>); the
 * others choose which events are published.
 */
export const NOTIFY_KEYSPACE = 1 << 0;
export const NOTIFY_KEYEVENT = 1 << 1;
export const NOTIFY_GENERIC = 1 << 2;
export const NOTIFY_STRING = 1 << 3;
export const NOTIFY_LIST = 1 << 4;
export const NOTIFY_SET = 1 << 5;
export const NOTIFY_HASH = 1 << 6;
export const NOTIFY_ZSET = 1 << 7;
export const NOTIFY_EXPIRED = 1 << 8;
export const NOTIFY_EVICTED = 1 << 9;
export const NOTIFY_STREAM = 1 << 10;
export const NOTIFY_KEY_MISS = 1 << 11;
export const NOTIFY_MODULE = 1 << 12;
export const NOTIFY_NEW = 1 << 13;
/** 'A': every class but key-miss and new, which must be asked for by name (Redis 7.0). */
export const NOTIFY_ALL =
  NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET | NOTIFY_HASH | NOTIFY_ZSET |
  NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM | NOTIFY_MODULE;

/** The bit of each class letter. */
export const NOTIFY_CLASS_BITS: Readonly<Record<string, number>> = {
  A: NOTIFY_ALL, g: NOTIFY_GENERIC, $: NOTIFY_STRING, l: NOTIFY_LIST, s: NOTIFY_SET,
  h: NOTIFY_HASH, z: NOTIFY_ZSET, x: NOTIFY_EXPIRED, e: NOTIFY_EVICTED, K: NOTIFY_KEYSPACE,
  E: NOTIFY_KEYEVENT, t: NOTIFY_STREAM, m: NOTIFY_KEY_MISS, d: NOTIFY_MODULE, n: NOTIFY_NEW,
};

/**
 * Redis's keyspaceEventsStringToFlags: the classes of a notify-keyspace-events value,
 * read as a C string (up to a NUL), or undefined if a character is not a class.
 */
export function keyspaceEventsToFlags(classes: string): number | undefined {
  const s = cString(classes);
  let flags = 0;
  for (let i = 0; i < s.length; i++) {
    const bit = Object.hasOwn(NOTIFY_CLASS_BITS, s[i]!) ? NOTIFY_CLASS_BITS[s[i]!] : undefined;
    if (bit === undefined) return undefined;
    flags |= bit;
  }
  return flags;
}

/**
 * Redis 7.0's keyspaceEventsFlagsToString: 'A' when every class of A is set (and then,
 * as in Redis, 'n' is not printed even if set), else the classes in Redis's order; then
 * K, E and m.
 */
export function keyspaceEventsToString(flags: number): string {
  let out = '';
  if ((flags & NOTIFY_ALL) === NOTIFY_ALL) {
    out = 'A';
  } else {
    for (const [letter, bit] of CLASS_PRINT_ORDER) if (flags & bit) out += letter;
  }
  if (flags & NOTIFY_KEYSPACE) out += 'K';
  if (flags & NOTIFY_KEYEVENT) out += 'E';
  if (flags & NOTIFY_KEY_MISS) out += 'm';
  return out;
}

const CLASS_PRINT_ORDER: readonly [string, number][] = [
  ['g', NOTIFY_GENERIC], ['$', NOTIFY_STRING], ['l', NOTIFY_LIST], ['s', NOTIFY_SET],
  ['h', NOTIFY_HASH], ['z', NOTIFY_ZSET], ['x', NOTIFY_EXPIRED], ['e', NOTIFY_EVICTED],
  ['t', NOTIFY_STREAM], ['d', NOTIFY_MODULE], ['n', NOTIFY_NEW],
];

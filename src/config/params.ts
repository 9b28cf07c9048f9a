import fs from 'node:fs';
import path from 'node:path';
import { INT64_MAX, UINT64_MAX, parseI64 } from '../util/numbers.js';
import { parseSavePoints } from '../persistence/save-points.js';
import { combineOutputBufferLimits, parseOutputBufferLimits } from './output-limits.js';

/**
 * THE table of configuration parameters: name as in redis.conf, type, default, whether
 * CONFIG SET may change it, and how its value is parsed and printed. The command line,
 * the config file, CONFIG GET/SET and INFO all read this one table.
 *
 * Error texts are Redis 7.0's (config.c), because users see them from CONFIG SET and
 * at start-up.
 */

/**
 * A parameter's value. Memory sizes beyond 2^53 are kept exact as bigint, because
 * CONFIG GET must print back the number that was set (Redis holds them as int64).
 */
export type ParamValue = string | number | bigint | boolean | string[];

export interface ParamSpec {
  readonly name: string;
  /** Whether CONFIG SET may change it at run time. */
  readonly mutable: boolean;
  /**
   * A protected config (Redis 7.0's PROTECTED_CONFIG, with enable-protected-configs at
   * its default "no"): set only at start-up; CONFIG SET refuses it.
   */
  readonly protected?: boolean;
  /** The default, written as in redis.conf (so it goes through parse too). */
  readonly defaultText: string;
  /** Parses the argument; returns the value or an error message (Redis's words). */
  parse(arg: string): { value: ParamValue } | { error: string };
  /** The value as CONFIG GET prints it. */
  format(value: ParamValue): string;
  /**
   * For a parameter that a value sets only in part (client-output-buffer-limit: one
   * class or several): the full value once `parsed` is applied to `current`.
   */
  combine?(current: ParamValue, parsed: ParamValue): ParamValue;
  /**
   * Set for an alias (Redis 7's hash-max-ziplist-entries for hash-max-listpack-entries):
   * the parameter whose value it reads and sets. As in Redis, the alias is a parameter
   * of its own for CONFIG GET (listed by globs, reported under its own name) and for
   * CONFIG SET (named in its errors, not a duplicate of its target).
   */
  readonly aliasOf?: string;
}

/** The argument as C code reads it with strcasecmp/strtoull: cut at the first NUL. */
function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul >= 0 ? s.slice(0, nul) : s;
}

/** Redis's wording of why a configuration value is refused (CONFIG SET, the CLI, config files). */
const ERR_YES_NO = "argument must be 'yes' or 'no'";
const ERR_NOT_INTEGER = "argument couldn't be parsed into an integer";
const ERR_NOT_MEMORY = 'argument must be a memory value';
const errOutOfRange = (min: number | bigint, max: number | bigint) => `argument must be between ${min} and ${max} inclusive`;

/** ASCII-only lowercase, as C's tolower in strcasecmp (latin1 letters stay as they are). */
function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

function boolParam(name: string, defaultText: 'yes' | 'no', mutable = true): ParamSpec {
  return {
    name,
    mutable,
    defaultText,
    parse(arg) {
      const v = asciiLower(cString(arg));
      if (v === 'yes') return { value: true };
      if (v === 'no') return { value: false };
      return { error: ERR_YES_NO };
    },
    format: (v) => (v ? 'yes' : 'no'),
  };
}

/**
 * An integer parameter: string2ll (no sign but '-', no spaces, no leading zeros), then
 * the bounds check, as Redis's numeric configs. `unsigned` only changes how Redis
 * words the bounds, which are the same digits.
 */
function intParam(name: string, defaultText: string, min: number, max: number, mutable = true): ParamSpec {
  return {
    name,
    mutable,
    defaultText,
    parse(arg) {
      const v = parseI64(arg);
      if (v === undefined) return { error: ERR_NOT_INTEGER };
      if (v < min || v > max) return { error: errOutOfRange(min, max) };
      return { value: Number(v) };
    },
    format: (v) => String(v),
  };
}

/**
 * A byte count as Redis's memtoull reads it: digits and an optional unit (b, k = 1000,
 * kb = 1024, m, mb, g, gb; case-insensitive), no sign, no fraction. Like the C code, no
 * digits at all reads as 0, digits beyond 2^64-1 saturate (strtoull) and the product
 * wraps modulo 2^64; the result is then an int64 (`signed`) or uint64 for the bounds
 * check.
 */
function memoryParam(name: string, defaultText: string, min: bigint, max: bigint, signed: boolean, mutable = true): ParamSpec {
  return {
    name,
    mutable,
    defaultText,
    parse(arg) {
      let v = parseMemory(arg);
      if (v === undefined) return { error: ERR_NOT_MEMORY };
      if (signed && v > INT64_MAX) v -= 1n << 64n;
      if (v < min || v > max) return { error: errOutOfRange(min, max) };
      return { value: v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v };
    },
    format: (v) => String(v),
  };
}

/**
 * A non-negative integer parameter up to LONG_MAX (Redis's size_t configs): string2ll
 * syntax, and bounds printed exactly. Values beyond 2^53 are kept exact as bigint.
 */
function sizeParam(name: string, defaultText: string, mutable = true): ParamSpec {
  return {
    name,
    mutable,
    defaultText,
    parse(arg) {
      const v = parseI64(arg);
      if (v === undefined) return { error: ERR_NOT_INTEGER };
      if (v < 0) return { error: errOutOfRange(0, INT64_MAX) };
      return { value: v };
    },
    format: (v) => String(v),
  };
}

/** An alias of another parameter (see ParamSpec.aliasOf). */
function aliasParam(name: string, target: ParamSpec): ParamSpec {
  return { ...target, name, aliasOf: target.name };
}

function enumParam(name: string, defaultText: string, values: readonly string[], mutable = true): ParamSpec {
  return {
    name,
    mutable,
    defaultText,
    parse(arg) {
      const v = asciiLower(cString(arg));
      if (values.includes(v)) return { value: v };
      return { error: `argument(s) must be one of the following: ${values.join(', ')}` };
    },
    format: (v) => String(v),
  };
}

function stringParam(name: string, defaultText: string, mutable = true): ParamSpec {
  return {
    name,
    mutable,
    defaultText,
    parse: (arg) => ({ value: arg }),
    format: (v) => String(v),
  };
}

/** A value that Redis accepts but that lapse supports only in one setting. */
function fixedParam(name: string, defaultText: string, parse: ParamSpec['parse'], format: ParamSpec['format']): ParamSpec {
  return { name, mutable: true, defaultText, parse, format };
}

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

const INT_MAX = 2147483647;
const UINT_MAX = 4294967295;

const HASH_MAX_LISTPACK_ENTRIES = sizeParam('hash-max-listpack-entries', '512');
// A memory config in Redis 7.0: it takes units (1k) and reads an empty value as 0.
const HASH_MAX_LISTPACK_VALUE = memoryParam('hash-max-listpack-value', '64', 0n, INT64_MAX, true);
/**
 * Redis's default save points. The CLI starts from them; an embedded server starts with
 * none (see ServerOptions.persistence).
 */
export const REDIS_DEFAULT_SAVE = '3600 1 300 100 60 10000';

const PERSISTENCE_PARAMS: readonly ParamSpec[] = [
  {
    name: 'save',
    mutable: true,
    defaultText: REDIS_DEFAULT_SAVE,
    parse(arg) {
      // One argument "" is the empty configuration; otherwise pairs of seconds (>= 1)
      // and changes (>= 0), as Redis's setConfigSaveOption checks them.
      const points = parseSavePoints(arg);
      if (points === null) return { error: 'Invalid save parameters' };
      return { value: points.map((p) => `${p.seconds} ${p.changes}`).join(' ') };
    },
    format: (v) => String(v),
  },
  {
    name: 'dir',
    mutable: true,
    protected: true,
    defaultText: './',
    parse(arg) {
      // Redis chdir()s to it; lapse keeps the absolute path, which CONFIG GET prints
      // as Redis prints its working directory.
      const dir = path.resolve(cString(arg));
      try {
        if (!fs.statSync(dir).isDirectory()) return { error: 'Not a directory' };
      } catch (e) {
        return { error: errnoText((e as NodeJS.ErrnoException).code) };
      }
      return { value: dir };
    },
    format: (v) => String(v),
  },
  {
    name: 'dbfilename',
    mutable: true,
    protected: true,
    defaultText: 'dump.rdb',
    parse(arg) {
      if (arg.includes('/')) return { error: "dbfilename can't be a path, just a filename" };
      return { value: arg };
    },
    format: (v) => String(v),
  },
  boolParam('rdbcompression', 'yes'),
  boolParam('rdbchecksum', 'yes', false),
  boolParam('stop-writes-on-bgsave-error', 'yes'),
];

/** Access control: ACL users and the protections around them (Redis 7.0's names and bounds). */
const ACCESS_PARAMS: readonly ParamSpec[] = [
  boolParam('protected-mode', 'yes'),
  stringParam('aclfile', '', false),
  sizeParam('acllog-max-len', '128'),
  enumParam('acl-pubsub-default', 'resetchannels', ['allchannels', 'resetchannels']),
];

/**
 * TLS (Redis 7.0's names and defaults). The listener applies them when tls-port is set;
 * files may change at run time, and then apply to new connections.
 */
const TLS_PARAMS: readonly ParamSpec[] = [
  intParam('tls-port', '0', 0, 65535, false),
  stringParam('tls-cert-file', ''),
  stringParam('tls-key-file', ''),
  stringParam('tls-key-file-pass', ''),
  stringParam('tls-dh-params-file', ''),
  stringParam('tls-ca-cert-file', ''),
  stringParam('tls-ca-cert-dir', ''),
  enumParam('tls-auth-clients', 'yes', ['no', 'yes', 'optional']),
  stringParam('tls-protocols', ''),
  stringParam('tls-ciphers', ''),
  stringParam('tls-ciphersuites', ''),
  boolParam('tls-prefer-server-ciphers', 'no'),
  boolParam('tls-session-caching', 'yes'),
  intParam('tls-session-cache-size', '20480', 0, INT_MAX),
  intParam('tls-session-cache-timeout', '300', 0, INT_MAX),
];

/**
 * Limits (memory, eviction, client buffers), as Redis 7.0 names, bounds and defaults
 * them. maxmemory-policy lists its values in the order Redis's error message does.
 */
const LIMIT_PARAMS: readonly ParamSpec[] = [
  memoryParam('maxmemory', '0', 0n, UINT64_MAX, false),
  enumParam('maxmemory-policy', 'noeviction', [
    'volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl',
    'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction',
  ]),
  intParam('maxmemory-samples', '5', 1, INT_MAX),
  intParam('maxmemory-eviction-tenacity', '10', 0, 100),
  intParam('lfu-log-factor', '10', 0, INT_MAX),
  intParam('lfu-decay-time', '1', 0, INT_MAX),
  {
    // Functions, not values, from output-limits.ts: the two modules import each other.
    name: 'client-output-buffer-limit',
    mutable: true,
    defaultText: 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60',
    parse: (arg) => parseOutputBufferLimits(arg),
    combine: (current, parsed) => combineOutputBufferLimits(current as string, parsed as string),
    format: (v) => String(v),
  },
];

export const PARAMS: readonly ParamSpec[] = [
  intParam('port', '6379', 0, 65535, false),
  {
    name: 'bind',
    mutable: false,
    defaultText: '127.0.0.1 -::1',
    parse(arg) {
      const addrs = arg.split(' ').filter((a) => a.length > 0);
      if (addrs.length === 0) return { value: [] };
      if (addrs.length > 16) return { error: 'Too many bind addresses specified.' };
      return { value: addrs };
    },
    format: (v) => (v as string[]).join(' '),
  },
  intParam('tcp-backlog', '511', 0, INT_MAX, false),
  intParam('databases', '16', 1, INT_MAX, false),
  enumParam('loglevel', 'notice', ['debug', 'verbose', 'notice', 'warning']),
  stringParam('logfile', '', false),
  stringParam('requirepass', ''),
  memoryParam('proto-max-bulk-len', '512mb', 1024n * 1024n, INT64_MAX, true),
  memoryParam('client-query-buffer-limit', '1gb', 1024n * 1024n, INT64_MAX, false),
  intParam('maxclients', '10000', 1, UINT_MAX),
  intParam('timeout', '0', 0, INT_MAX),
  intParam('tcp-keepalive', '300', 0, INT_MAX),
  {
    name: 'notify-keyspace-events',
    mutable: true,
    defaultText: '',
    parse(arg) {
      const flags = keyspaceEventsToFlags(arg);
      if (flags === undefined) return { error: "Invalid event class character. Use 'Ag$lshzxeKEtmdn'." };
      return { value: flags };
    },
    format: (v) => keyspaceEventsToString(v as number),
  },
  fixedParam(
    'appendonly',
    'no',
    (arg) => {
      const v = asciiLower(cString(arg));
      if (v === 'no') return { value: false };
      if (v === 'yes') return { error: 'lapse does not implement the append-only file; use snapshots' };
      return { error: ERR_YES_NO };
    },
    () => 'no',
  ),
  // Defaults as built into Redis 7.0 (its shipped redis.conf lowers the entries to 128).
  HASH_MAX_LISTPACK_ENTRIES,
  HASH_MAX_LISTPACK_VALUE,
  aliasParam('hash-max-ziplist-entries', HASH_MAX_LISTPACK_ENTRIES),
  aliasParam('hash-max-ziplist-value', HASH_MAX_LISTPACK_VALUE),
  ...PERSISTENCE_PARAMS,
  ...ACCESS_PARAMS,
  ...TLS_PARAMS,
  ...LIMIT_PARAMS,
];

/** strerror's text for the errors a directory check meets. */
function errnoText(code: string | undefined): string {
  switch (code) {
    case 'ENOENT': return 'No such file or directory';
    case 'EACCES': return 'Permission denied';
    case 'ENOTDIR': return 'Not a directory';
    default: return code ?? 'Unknown error';
  }
}

const BY_NAME = new Map(PARAMS.map((p) => [p.name, p]));

export function findParam(name: string): ParamSpec | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/**
 * Redis's memtoull: the value (uint64) or undefined for "argument must be a memory
 * value". See memoryParam for the C quirks it reproduces.
 */
export function parseMemory(arg: string): bigint | undefined {
  const s = cString(arg);
  if (s.startsWith('-')) return undefined;
  let i = 0;
  while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
  const mul = UNITS[asciiLower(s.slice(i))];
  if (mul === undefined || i >= 128) return undefined;
  let v = i === 0 ? 0n : BigInt(s.slice(0, i));
  if (v > UINT64_MAX) v = UINT64_MAX;
  return (v * mul) & UINT64_MAX;
}

const UNITS: Record<string, bigint> = {
  '': 1n, b: 1n, k: 1000n, kb: 1024n, m: 1000n ** 2n, mb: 1024n ** 2n, g: 1000n ** 3n, gb: 1024n ** 3n,
};

import { INT64_MAX, UINT64_MAX, parseI64 } from '../util/numbers.js';
import { cString } from '../util/c-string.js';
import { ERR_NOT_INTEGER, ERR_NOT_MEMORY, ERR_YES_NO, errOutOfRange } from './config-errors.js';

/**
 * The kinds of configuration parameter, as Redis 7.0's config.c types them (bool,
 * numeric, memory, enum, string, ...): how each reads an argument, checks it and prints
 * its value. params.ts builds THE table from these; this file knows no parameter.
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
  /**
   * Redis's MULTI_ARG_CONFIG: a config-file line's arguments are joined with spaces into
   * one value, and CONFIG SET's value is split at single spaces by the parser.
   */
  readonly multiArg?: boolean;
  /**
   * lapse's own parameter, which Redis does not have (metrics-port): listed by CONFIG GET
   * like the others, left out of the comparison with Redis's list.
   */
  readonly lapseOnly?: boolean;
  /** Redis's HIDDEN_CONFIG: CONFIG GET finds it by its exact name only, never by a glob. */
  readonly hidden?: boolean;
  /**
   * Kind (b): a parameter of a feature lapse does not have yet, named here. Its parse
   * accepts only the values that mean the feature is off or unchanged (see notYet).
   */
  readonly missingFeature?: string;
  /**
   * Kind (c): a parameter that has no meaning for lapse, and why. Accepted at any valid
   * value and stored; the server lists those a config file or the command line set in one
   * warning line at start-up (see noEffect).
   */
  readonly noEffect?: string;
  /** How CONFIG REWRITE writes the value: quoted (strings, sdscatrepr), as a memory size (gb/mb/kb), else as CONFIG GET prints it. */
  readonly fileForm?: 'quoted' | 'memory';
}

/** The units of a memory value (memtoull), by lowercase suffix. */
const UNITS: Record<string, bigint> = {
  '': 1n, b: 1n, k: 1000n, kb: 1024n, m: 1000n ** 2n, mb: 1024n ** 2n, g: 1000n ** 3n, gb: 1024n ** 3n,
};

/** ASCII-only lowercase, as C's tolower in strcasecmp (latin1 letters stay as they are). */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

export function boolParam(name: string, defaultText: 'yes' | 'no', mutable = true): ParamSpec {
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
export function intParam(name: string, defaultText: string, min: number, max: number, mutable = true): ParamSpec {
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
export function memoryParam(name: string, defaultText: string, min: bigint, max: bigint, signed: boolean, mutable = true): ParamSpec {
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
    fileForm: 'memory',
  };
}

/**
 * A non-negative integer parameter up to LONG_MAX (Redis's size_t configs): string2ll
 * syntax, and bounds printed exactly. Values beyond 2^53 are kept exact as bigint.
 */
export function sizeParam(name: string, defaultText: string, mutable = true): ParamSpec {
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
export function aliasParam(name: string, target: ParamSpec): ParamSpec {
  return { ...target, name, aliasOf: target.name };
}

export function enumParam(name: string, defaultText: string, values: readonly string[], mutable = true): ParamSpec {
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

export function stringParam(name: string, defaultText: string, mutable = true): ParamSpec {
  return {
    name,
    mutable,
    defaultText,
    parse: (arg) => ({ value: arg }),
    format: (v) => String(v),
    fileForm: 'quoted',
  };
}

/**
 * A numeric parameter as Redis 7.0's numericConfigSet reads it: a memory value (memtoull)
 * for MEMORY configs, then "<n>%" for PERCENT ones (stored negative, as Redis stores
 * it), then an octal number (strtoll base 8) for OCTAL ones, else string2ll; then the
 * bounds. `unsigned` is Redis's unsigned types (unsigned int, unsigned long long,
 * size_t): the value is compared as a uint64 and printed with %llu.
 */
export interface NumericFlags {
  memory?: boolean;
  percent?: boolean;
  octal?: boolean;
  unsigned?: boolean;
  mutable?: boolean;
  hidden?: boolean;
}

export function numericParam(name: string, defaultText: string, min: bigint, max: bigint, flags: NumericFlags = {}): ParamSpec {
  return {
    name,
    mutable: flags.mutable ?? true,
    hidden: flags.hidden,
    fileForm: flags.memory ? 'memory' : undefined,
    defaultText,
    parse(arg) {
      let v = parseNumeric(arg, flags);
      if (typeof v === 'string') return { error: v };
      if (flags.unsigned) {
        v = BigInt.asUintN(64, v);
        if (v < min || v > max) {
          const show = (n: bigint) => (flags.octal ? n.toString(8) : String(n));
          return { error: errOutOfRange(show(min), show(max)) };
        }
      } else if (flags.percent && v < 0n) {
        if (v < min) return { error: `percentage argument must be less or equal to ${-min}` };
      } else if (v < min || v > max) {
        return { error: errOutOfRange(min, max) };
      }
      return { value: v >= -BigInt(Number.MAX_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v };
    },
    format(value) {
      const v = BigInt(value as number | bigint);
      if (flags.percent && v < 0n) return `${-v}%`;
      if (flags.octal) return v.toString(8);
      return String(v);
    },
  };
}

/** numericParseString: the int64 read from the argument, or Redis's reason to refuse it. */
function parseNumeric(arg: string, flags: NumericFlags): bigint | string {
  if (flags.memory) {
    const m = parseMemory(arg);
    if (m !== undefined) return BigInt.asIntN(64, m);
  }
  if (flags.percent && arg.length > 1 && arg.endsWith('%')) {
    const p = parseI64(arg.slice(0, -1));
    if (p !== undefined && p >= 0) return -BigInt(p);
  }
  if (flags.octal) {
    const o = strtollWhole(arg, 8);
    if (o !== undefined) return o;
  }
  if (!flags.memory && !flags.percent && !flags.octal) {
    const n = parseI64(arg);
    if (n !== undefined) return BigInt(n);
  }
  if (flags.memory && flags.percent) return 'argument must be a memory or percent value';
  if (flags.memory) return ERR_NOT_MEMORY;
  if (flags.octal) return "argument couldn't be parsed as an octal number";
  return ERR_NOT_INTEGER;
}

/**
 * C's strtoll(s, &end, base) accepted only when it consumed the whole C string (up to a
 * NUL) without overflow: leading white space and a sign are allowed, and an argument
 * with no digits at all is accepted as 0 only when it is empty (end is then at the NUL).
 */
export function strtollWhole(arg: string, base: 8 | 10): bigint | undefined {
  const s = cString(arg);
  if (s === '') return 0n;
  const m = (base === 8 ? /^[ \t\n\v\f\r]*([+-]?)([0-7]+)$/ : /^[ \t\n\v\f\r]*([+-]?)(\d+)$/).exec(s);
  if (!m) return undefined;
  const magnitude = BigInt((base === 8 ? '0o' : '') + m[2]);
  const v = m[1] === '-' ? -magnitude : magnitude;
  return BigInt.asIntN(64, v) === v ? v : undefined;
}

/**
 * An enum whose names may share a value (oom-score-adj: yes and relative), as Redis's
 * configEnum tables: CONFIG GET prints the first name of the value. With `flags`
 * (Redis's MULTI_ARG enums: shutdown-on-sigint) the value is several space-separated
 * names OR'ed together and printed in table order; `check` refuses a combination.
 */
export function enumTableParam(
  name: string,
  defaultText: string,
  table: readonly (readonly [string, number])[],
  options: { flags?: boolean; mutable?: boolean; check?: (v: number) => string | null } = {},
): ParamSpec {
  const names = table.map(([n]) => n);
  return {
    name,
    mutable: options.mutable ?? true,
    multiArg: options.flags,
    defaultText,
    parse(arg) {
      const words = options.flags ? arg.split(' ') : [arg];
      let value = 0;
      for (const word of words) {
        const w = asciiLower(cString(word));
        const matches = table.filter(([n]) => n === w);
        if (matches.length === 0) return { error: `argument(s) must be one of the following: ${names.join(', ')}` };
        for (const [, v] of matches) value |= v;
      }
      const refused = options.check?.(value) ?? null;
      return refused === null ? { value } : { error: refused };
    },
    format(value) {
      const v = value as number;
      let unmatched = v;
      const out: string[] = [];
      for (const [n, bits] of table) {
        if (bits === v) return n;
        if (options.flags && bits !== 0 && (unmatched & bits) === bits) {
          out.push(n);
          unmatched &= ~bits;
        }
      }
      return out.length === 0 || unmatched !== 0 ? 'unknown' : out.join(' ');
    },
  };
}

/** A string parameter with Redis's check of the value (its is_valid_fn). */
export function checkedStringParam(name: string, defaultText: string, check: (v: string) => string | null, mutable = true): ParamSpec {
  return {
    name,
    mutable,
    defaultText,
    parse(arg) {
      const refused = check(cString(arg));
      return refused === null ? { value: arg } : { error: refused };
    },
    format: (v) => String(v),
  };
}

/**
 * Kind (b), a parameter whose feature lapse does not have yet: the spec as Redis checks
 * it, then only the values that mean the feature is off or unchanged: Redis's built-in
 * default (which Redis 7.0's shipped redis.conf also sets) and `alsoOff`. When the
 * feature lands, dropping this wrapper around the spec makes the parameter a real one.
 */
export function notYet(feature: string, spec: ParamSpec, ...alsoOff: string[]): ParamSpec {
  const accepted = new Set<string>();
  for (const text of [spec.defaultText, ...alsoOff]) {
    const r = spec.parse(text);
    if ('error' in r) throw new Error(`bad accepted value for ${spec.name}: ${r.error}`);
    accepted.add(spec.format(r.value));
  }
  const shown = [...accepted].map((v) => `'${v}'`).join(' or ');
  return {
    ...spec,
    missingFeature: feature,
    parse(arg) {
      const r = spec.parse(arg);
      if ('error' in r || accepted.has(spec.format(r.value))) return r;
      return { error: `lapse does not implement ${feature} yet, so only ${shown} is accepted` };
    },
  };
}

/** Kind (c), a parameter that means nothing to lapse (see ParamSpec.noEffect). */
export function noEffect(reason: string, spec: ParamSpec): ParamSpec {
  return { ...spec, noEffect: reason };
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

/**
 * THE table of configuration parameters: name as in redis.conf, type, default, whether
 * CONFIG SET may change it, and how its value is parsed and printed. The command line,
 * the config file, CONFIG GET/SET and INFO all read this one table.
 *
 * Error texts are Redis 7.0's (config.c), because users see them from CONFIG SET and
 * at start-up.
 */

export type ParamValue = string | number | boolean | string[];

export interface ParamSpec {
  readonly name: string;
  /** Whether CONFIG SET may change it at run time. */
  readonly mutable: boolean;
  /** The default, written as in redis.conf (so it goes through parse too). */
  readonly defaultText: string;
  /** Parses the argument; returns the value or an error message (Redis's words). */
  parse(arg: string): { value: ParamValue } | { error: string };
  /** The value as CONFIG GET prints it. */
  format(value: ParamValue): string;
}

function boolParam(name: string, defaultText: 'yes' | 'no', mutable = true): ParamSpec {
  return {
    name,
    mutable,
    defaultText,
    parse(arg) {
      const v = arg.toLowerCase();
      if (v === 'yes') return { value: true };
      if (v === 'no') return { value: false };
      return { error: "argument must be 'yes' or 'no'" };
    },
    format: (v) => (v ? 'yes' : 'no'),
  };
}

function intParam(name: string, defaultText: string, min: number, max: number, mutable = true): ParamSpec {
  return {
    name,
    mutable,
    defaultText,
    parse(arg) {
      const v = parseLongLong(arg);
      if (v === undefined) return { error: "argument couldn't be parsed into an integer" };
      if (v < min || v > max) return { error: `argument must be between ${min} and ${max} inclusive` };
      return { value: v };
    },
    format: (v) => String(v),
  };
}

/** A byte count: plain bytes or with a unit (1k, 1kb, 1m, 1mb, 1g, 1gb; k = 1000, kb = 1024). */
function memoryParam(name: string, defaultText: string, min: number, max: number, mutable = true): ParamSpec {
  return {
    name,
    mutable,
    defaultText,
    parse(arg) {
      const v = parseMemory(arg);
      if (v === undefined) return { error: 'argument must be a memory value' };
      if (v < min || v > max) return { error: `argument must be between ${min} and ${max} inclusive` };
      return { value: v };
    },
    format: (v) => String(v),
  };
}

function enumParam(name: string, defaultText: string, values: readonly string[], mutable = true): ParamSpec {
  return {
    name,
    mutable,
    defaultText,
    parse(arg) {
      const v = arg.toLowerCase();
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

const INT_MAX = 2147483647;
const LONG_MAX = Number.MAX_SAFE_INTEGER;

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
  memoryParam('proto-max-bulk-len', '512mb', 1024 * 1024, LONG_MAX),
  memoryParam('client-query-buffer-limit', '1gb', 1024 * 1024, LONG_MAX),
  intParam('maxclients', '10000', 1, INT_MAX),
  intParam('timeout', '0', 0, INT_MAX),
  intParam('tcp-keepalive', '300', 0, INT_MAX),
  fixedParam(
    'appendonly',
    'no',
    (arg) => {
      const v = arg.toLowerCase();
      if (v === 'no') return { value: false };
      if (v === 'yes') return { error: 'lapse does not implement the append-only file; use snapshots' };
      return { error: "argument must be 'yes' or 'no'" };
    },
    () => 'no',
  ),
];

const BY_NAME = new Map(PARAMS.map((p) => [p.name, p]));

export function findParam(name: string): ParamSpec | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** Redis's string2ll for config values (strict integer). */
function parseLongLong(s: string): number | undefined {
  if (!/^-?(0|[1-9][0-9]*)$/.test(s) || s === '-0') return undefined;
  const v = Number(s);
  return Number.isSafeInteger(v) ? v : undefined;
}

/**
 * Redis's memtoull: a number with an optional unit, case-insensitive:
 * b, k (1000), kb (1024), m, mb, g, gb. No sign, no fraction.
 */
export function parseMemory(s: string): number | undefined {
  const m = /^([0-9]+)([a-zA-Z]*)$/.exec(s);
  if (!m) return undefined;
  const units: Record<string, number> = {
    '': 1, b: 1, k: 1000, kb: 1024, m: 1000 ** 2, mb: 1024 ** 2, g: 1000 ** 3, gb: 1024 ** 3,
  };
  const mul = units[m[2]!.toLowerCase()];
  if (mul === undefined) return undefined;
  const v = Number(m[1]) * mul;
  return Number.isSafeInteger(v) ? v : undefined;
}

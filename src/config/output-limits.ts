import { cString } from '../util/c-string.js';
import { asciiLower, parseMemory } from './param-kinds.js';
import { ERR_BUFFER_LIMIT_CLASS, ERR_BUFFER_LIMIT_COUNT, ERR_BUFFER_LIMIT_NUMBER } from './config-errors.js';

/**
 * client-output-buffer-limit: per client class, a hard limit (bytes), a soft limit
 * (bytes) and how many seconds a client may stay over the soft limit (0 everywhere means
 * no limit). Redis 7.0's syntax and checks (config.c): the value is
 * `<class> <hard> <soft> <soft seconds>` repeated, classes normal, replica (or slave) and
 * pubsub; a value sets only the classes it names.
 */

export interface OutputBufferLimit {
  /** Bytes; 0 = none. Numbers beyond 2^53 are rounded, which no buffer can reach. */
  readonly hard: number;
  readonly soft: number;
  readonly softSeconds: number;
}

export interface OutputBufferLimits {
  readonly normal: OutputBufferLimit;
  readonly replica: OutputBufferLimit;
  readonly pubsub: OutputBufferLimit;
}

/** The classes in the order CONFIG GET prints them, by the names it prints. */
const PRINTED_CLASSES = ['normal', 'slave', 'pubsub'] as const;
type PrintedClass = (typeof PRINTED_CLASSES)[number];

/** Redis's getClientTypeByName for a limit class: master is refused here. */
function classOf(name: string): PrintedClass | undefined {
  // C's strcasecmp against a lowercase name: the argument is read up to a NUL.
  switch (asciiLower(cString(name))) {
    case 'normal': return 'normal';
    case 'slave': case 'replica': return 'slave';
    case 'pubsub': return 'pubsub';
    default: return undefined;
  }
}

const C_SPACE = /^[ \t\n\v\f\r]*/;
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/**
 * The soft seconds as Redis reads them: strtoll (leading C whitespace, a sign, decimal
 * digits, saturating at the int64 range) that must consume the whole C string, stored
 * in an int (the low 32 bits), which must not be negative. Undefined if refused.
 */
function softSecondsOf(arg: string): number | undefined {
  const s = cString(arg);
  if (s.length === 0) return 0;
  const m = /^([+-]?)(\d+)$/.exec(s.slice(C_SPACE.exec(s)![0].length));
  if (m === null) return undefined;
  let v = BigInt(m[2]!);
  if (m[1] === '-') v = -v;
  if (v > INT64_MAX) v = INT64_MAX;
  if (v < INT64_MIN) v = INT64_MIN;
  const asInt = Number(BigInt.asIntN(32, v));
  return asInt < 0 ? undefined : asInt;
}

/**
 * Parses a CONFIG SET (or config file) value: the classes it sets, in canonical form
 * ("normal 1000 2048 3"), or Redis's error. The value is split at every single space,
 * so doubled or edge spaces make empty words; every group is checked before any is
 * kept. An empty value sets nothing.
 */
export function parseOutputBufferLimits(arg: string): { value: string } | { error: string } {
  if (arg.length === 0) return { value: '' };
  const words = arg.split(' ');
  if (words.length % 4 !== 0) return { error: ERR_BUFFER_LIMIT_COUNT };
  const groups: string[] = [];
  for (let j = 0; j < words.length; j += 4) {
    const cls = classOf(words[j]!);
    if (cls === undefined) return { error: ERR_BUFFER_LIMIT_CLASS };
    const hard = parseMemory(words[j + 1]!);
    const soft = parseMemory(words[j + 2]!);
    const seconds = softSecondsOf(words[j + 3]!);
    if (hard === undefined || soft === undefined || seconds === undefined) return { error: ERR_BUFFER_LIMIT_NUMBER };
    groups.push(`${cls} ${hard} ${soft} ${seconds}`);
  }
  return { value: groups.join(' ') };
}

/** The full value once the classes set by `update` (canonical form) replace the current ones. */
export function combineOutputBufferLimits(current: string, update: string): string {
  const byClass = new Map<string, string>();
  const put = (text: string) => {
    const w = text.split(' ');
    for (let j = 0; j + 3 < w.length; j += 4) byClass.set(w[j]!, `${w[j + 1]} ${w[j + 2]} ${w[j + 3]}`);
  };
  put(current);
  if (update !== '') put(update);
  return PRINTED_CLASSES.map((cls) => `${cls} ${byClass.get(cls)}`).join(' ');
}

/** The limits of a full canonical value (what CONFIG GET prints). */
export function outputBufferLimitsOf(value: string): OutputBufferLimits {
  const w = value.split(' ');
  const limit = (cls: PrintedClass): OutputBufferLimit => {
    const j = w.indexOf(cls);
    return { hard: Number(w[j + 1]), soft: Number(w[j + 2]), softSeconds: Number(w[j + 3]) };
  };
  return { normal: limit('normal'), replica: limit('slave'), pubsub: limit('pubsub') };
}

/** When an output went over its soft limit (Unix seconds; 0 while under it): Redis's obuf_soft_limit_reached_time. */
export interface SoftLimitState {
  softLimitSince: number;
}

/**
 * Redis's checkClientOutputBufferLimits decision for `used` unsent bytes: over the hard
 * limit, or over the soft one for longer than its seconds (`state` remembers since when).
 * The clock (ms since the epoch) is read only over the soft limit: this runs after every
 * write and every pub/sub message.
 */
export function outputLimitReached(limit: OutputBufferLimit, used: number, clock: { now(): number }, state: SoftLimitState): boolean {
  if (limit.hard === 0 && limit.soft === 0) return false;
  const hard = limit.hard !== 0 && used >= limit.hard;
  if (limit.soft !== 0 && used >= limit.soft) {
    const nowSeconds = Math.floor(clock.now() / 1000);
    if (state.softLimitSince === 0) state.softLimitSince = nowSeconds;
    else if (nowSeconds - state.softLimitSince > limit.softSeconds) return true;
  } else {
    state.softLimitSince = 0;
  }
  return hard;
}

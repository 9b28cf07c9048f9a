import { INT64_MAX, parseI64 } from '../util/numbers.js';

/** Units of a relative or absolute expire argument. */
export const enum ExpireUnit {
  Seconds,
  Milliseconds,
}

/**
 * Converts an expire argument to Redis's absolute expire time in ms, with the checks
 * of Redis 7.0's getExpireMillisecondsOrReply (SET, GETEX):
 * - not an int64: 'not-integer';
 * - <= 0, or seconds that would overflow when multiplied by 1000: 'invalid';
 * - relative (EX/PX) plus now overflowing int64: 'invalid'.
 */
export function absoluteExpireMs(
  arg: string,
  unit: ExpireUnit,
  relative: boolean,
  now: number,
): number | 'not-integer' | 'invalid' {
  const v = parseI64(arg);
  if (v === undefined) return 'not-integer';
  let ms = BigInt(v);
  if (ms <= 0n) return 'invalid';
  if (unit === ExpireUnit.Seconds) {
    if (ms > INT64_MAX / 1000n) return 'invalid';
    ms *= 1000n;
  }
  if (relative) {
    ms += BigInt(now);
    if (ms > INT64_MAX) return 'invalid';
  }
  return Number(ms);
}

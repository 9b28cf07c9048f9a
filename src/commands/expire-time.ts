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
): number | bigint | 'not-integer' | 'invalid' {
  const v = parseI64(arg);
  if (v === undefined) return 'not-integer';
  // Fast path (every SET EX of a session): small enough that nothing below can leave
  // the exact range of a double.
  if (typeof v === 'number' && v < 2 ** 40) {
    if (v <= 0) return 'invalid';
    const ms = unit === ExpireUnit.Seconds ? v * 1000 : v;
    return relative ? ms + now : ms;
  }
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
  // Exact as a bigint beyond 2^53 (Database.setExpireTime keeps it exactly).
  return ms <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(ms) : ms;
}

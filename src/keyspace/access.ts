/**
 * The access clock of a key, as Redis keeps it in the 24 bits of robj.lru (evict.c):
 *
 * - LRU: the LRU clock when the key was last accessed, in seconds, modulo 2^24 (it wraps
 *   every 194 days; idle times account for one wrap).
 * - LFU: 16 bits of minutes (modulo 2^16) at the last decrement, then an 8-bit
 *   logarithmic access counter: a new key starts at 5; an access increments it with
 *   probability 1 / ((counter - 5) * lfu-log-factor + 1), so it saturates at 255 after
 *   about a million accesses with the default factor 10; it loses one per lfu-decay-time
 *   minutes without access.
 *
 * Which of the two a key holds depends on maxmemory-policy, as in Redis: switching
 * between LRU and LFU policies makes the old values meaningless until keys are touched.
 * One small integer per key: a V8 Smi, so the field costs 8 bytes and no allocation.
 */

export const LRU_CLOCK_MAX = 0xffffff;
/** Redis's LRU_CLOCK_RESOLUTION: one tick per second. */
const LRU_CLOCK_RESOLUTION = 1000;
export const LFU_INIT_VAL = 5;
const LFU_COUNTER_MAX = 255;

/** The LRU clock at time nowMs. */
export function lruClock(nowMs: number): number {
  return Math.floor(nowMs / LRU_CLOCK_RESOLUTION) & LRU_CLOCK_MAX;
}

/** Redis's estimateObjectIdleTime: ms since the access stamped `access`, at LRU clock `clock`. */
export function idleTime(access: number, clock: number): number {
  const ticks = clock >= access ? clock - access : clock + (LRU_CLOCK_MAX - access);
  return ticks * LRU_CLOCK_RESOLUTION;
}

/** Redis's LFUGetTimeInMinutes: 16 bits of minutes. */
export function lfuMinutes(nowMs: number): number {
  return Math.floor(nowMs / 60000) & 0xffff;
}

/** The LFU stamp of a new key. */
export function lfuNew(minutes: number): number {
  return (minutes << 8) | LFU_INIT_VAL;
}

/** Redis's LFUDecrAndReturn: the counter after its decay (one per decayTime minutes elapsed). */
export function lfuDecayed(access: number, minutes: number, decayTime: number): number {
  const stamp = access >>> 8;
  const counter = access & 0xff;
  if (decayTime === 0) return counter;
  const elapsed = minutes >= stamp ? minutes - stamp : 65535 - stamp + minutes;
  const periods = Math.floor(elapsed / decayTime);
  return periods > counter ? 0 : counter - periods;
}

/** Redis's LFULogIncr. */
export function lfuIncremented(counter: number, logFactor: number): number {
  if (counter === LFU_COUNTER_MAX) return counter;
  const base = counter > LFU_INIT_VAL ? counter - LFU_INIT_VAL : 0;
  const p = 1 / (base * logFactor + 1);
  return Math.random() < p ? counter + 1 : counter;
}

/** Redis's updateLFU: decay, count this access, stamp the time. */
export function lfuTouched(access: number, minutes: number, decayTime: number, logFactor: number): number {
  const counter = lfuIncremented(lfuDecayed(access, minutes, decayTime), logFactor);
  return (minutes << 8) | counter;
}

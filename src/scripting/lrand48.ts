/**
 * Redis's redisLrand48/redisSrand48 (rand.c): the 48-bit linear congruential generator
 * of lrand48, so math.random gives the same sequence as Redis for the same seed on any
 * platform. x(n+1) = (0x5DEECE66D * x(n) + 0xB) mod 2^48; each draw is the top 31 bits.
 * The state starts at Redis's initial x (0x1234ABCD330E) and, as in Redis 7.0, carries
 * on from one script to the next; math.randomseed(n) sets it to (n << 16) | 0x330E.
 * Held per engine (per server), computed in 24-bit halves so doubles stay exact.
 */
const TWO24 = 0x1000000;
const A_HI = 0x5de;
const A_LO = 0xece66d;

export class Lrand48 {
  /** x = hi * 2^24 + lo, each < 2^24. */
  private hi = 0x1234ab;
  private lo = 0xcd330e;

  /** redisSrand48: the low 32 bits of the seed, above 0x330E. */
  seed(seed: number): void {
    const s = seed >>> 0;
    const x = (s % 0x100) * 0x10000 + 0x330e; // low 24 bits: seed's low byte, then 0x330E
    this.lo = x;
    this.hi = Math.floor(s / 0x100);
  }

  /** redisLrand48: the next value, 0 <= v < 2^31. */
  next(): number {
    const lo = this.lo;
    const hi = this.hi;
    const loProduct = lo * A_LO + 0xb; // < 2^48 + 11: exact
    const carry = Math.floor(loProduct / TWO24);
    const newLo = loProduct - carry * TWO24;
    const mid = (hi * A_LO + lo * A_HI + carry) % TWO24; // each product < 2^48: exact
    this.lo = newLo;
    this.hi = mid;
    // The top 31 of 48 bits: hi (24 bits) then the top 7 bits of lo.
    return mid * 128 + Math.floor(newLo / 0x20000);
  }
}

/** REDIS_LRAND48_MAX: INT32_MAX. */
export const LRAND48_MAX = 0x7fffffff;

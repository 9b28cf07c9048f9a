/**
 * What the C libraries Redis ships get from Lua 5.1's C API and lauxlib, for their
 * TypeScript rewrites: argument checks that raise luaL_argerror's messages, Lua 5.1's
 * string<->number coercions (lobject.c luaO_str2d, LUA_NUMBER_FMT "%.14g"), and the
 * double->integer casts as Redis's x86-64 build performs them (cvttsd2si: NaN and
 * out-of-range values give the "integer indefinite" 0x8000...).
 *
 * Arguments are the values on the C function's stack: args[0] is stack index 1, and an
 * index past args.length is "none" (lua_isnone), distinct from a nil argument.
 */
import { LuaRaisedError, LuaTable, type LuaOpaque, type LuaValue } from './lua-value.js';
import { argErrorText, typeErrorExtra } from './lib-errors.js';
import { formatG } from './c-format.js';

/** A library function as the bridge calls it: the arguments, the results (Lua's multiple returns). */
export type LuaLibFunction = (args: LuaValue[]) => LuaValue[];

/**
 * luaL_argerror's error. Its message names the function as luaL_argerror would when the
 * function is called the usual way (`cjson.decode(x)`: "bad argument #1 to 'decode' (...)"),
 * but Lua 5.1 takes that name from the CALL SITE (lua_getinfo "n"): through a local it is
 * the local's name, through pcall it is "?", and as a method call (`s:format(...)`) the
 * argument number drops by one ("calling 'format' on bad self" when it reaches 0). A bridge
 * that can ask lua_getinfo rebuilds the message from argIndex and extraMessage.
 * luaL_error adds the caller's position, so `where` is true.
 */
export class LuaArgError extends LuaRaisedError {
  constructor(
    readonly argIndex: number,
    readonly extraMessage: string,
    readonly functionName: string,
  ) {
    super(argErrorText(argIndex, functionName, extraMessage), true);
  }
}

/** lua_typename(lua_type(L, i)) for argument i (1-based): "no value" past the top; lightuserdata is "userdata". */
export function argTypeName(args: readonly LuaValue[], i: number): string {
  if (i > args.length) return 'no value';
  return typeName(args[i - 1]!);
}

/** lua_typename of a value's type (lightuserdata reads "userdata", as in lapi.c's table). */
export function typeName(v: LuaValue): string {
  if (v === null) return 'nil';
  switch (typeof v) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return 'number';
    case 'string':
      return 'string';
  }
  if (v instanceof LuaTable) return 'table';
  return (v as LuaOpaque).type === 'lightuserdata' ? 'userdata' : (v as LuaOpaque).type;
}

/** luaL_typerror: "bad argument #i to 'f' (number expected, got nil)". */
export function typeError(args: readonly LuaValue[], i: number, expected: string, fname: string): LuaArgError {
  return new LuaArgError(i, typeErrorExtra(expected, argTypeName(args, i)), fname);
}

/** lua_tonumber: a number, a string Lua 5.1 converts (luaO_str2d), else null (C's 0 with lua_isnumber false). */
export function toNumber(v: LuaValue | undefined): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return str2number(v);
  return null;
}

/** luaL_checknumber. */
export function checkNumber(args: readonly LuaValue[], i: number, fname: string): number {
  const n = i <= args.length ? toNumber(args[i - 1]) : null;
  if (n === null) throw typeError(args, i, 'number', fname);
  return n;
}

/** luaL_checkinteger: lua_tointeger's (ptrdiff_t) cast of the number, as a BigInt (64-bit exact). */
export function checkInteger(args: readonly LuaValue[], i: number, fname: string): bigint {
  return doubleToInt64(checkNumber(args, i, fname));
}

/** luaL_optinteger: the default when the argument is none or nil. */
export function optInteger(args: readonly LuaValue[], i: number, def: bigint, fname: string): bigint {
  if (i > args.length || args[i - 1] === null) return def;
  return checkInteger(args, i, fname);
}

/** lua_tolstring without the stack write-back: strings as they are, numbers as "%.14g", else null. */
export function toLString(v: LuaValue | undefined): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return numberToString(v);
  return null;
}

/** luaL_checklstring. */
export function checkLString(args: readonly LuaValue[], i: number, fname: string): string {
  const s = i <= args.length ? toLString(args[i - 1]) : null;
  if (s === null) throw typeError(args, i, 'string', fname);
  return s;
}

/** lua_number2str: LUA_NUMBER_FMT "%.14g" (tostring(3/2) is "1.5", tostring(1e15) "1e+15"). */
export function numberToString(n: number): string {
  // Integers of at most 14 digits print as themselves under %.14g: skip the exact formatter.
  if (Number.isInteger(n) && Math.abs(n) < 1e14 && !Object.is(n, -0)) return String(n);
  return formatG(n, 14, false, false);
}

const INT64_MIN = -(2n ** 63n);
const TWO_63 = 2 ** 63;
const TWO_64 = 2n ** 64n;

/** (int64_t)d on x86-64 (cvttsd2si): truncation, and 0x8000000000000000 for NaN or out of range. */
export function doubleToInt64(d: number): bigint {
  if (!(d >= -TWO_63 && d < TWO_63)) return INT64_MIN;
  return BigInt(Math.trunc(d));
}

/** (uint64_t)d as gcc compiles it for x86-64 (below 2^63 the signed cast, above it the cast of d-2^63 with the top bit flipped). */
export function doubleToUint64(d: number): bigint {
  if (!(d >= TWO_63)) return BigInt.asUintN(64, doubleToInt64(d));
  return BigInt.asUintN(64, doubleToInt64(d - TWO_63) ^ INT64_MIN);
}

/** (int)d on x86-64 (32-bit cvttsd2si): truncation, and INT_MIN for NaN or out of range. */
export function doubleToInt32(d: number): number {
  if (!(d > -2147483649 && d < 2147483648)) return -2147483648;
  return Math.trunc(d) | 0;
}


// ---------------------------------------------------------------------------------------
// luaO_str2d: strtod (glibc: decimal, hex floats, inf/infinity/nan) on the C string (up to
// the first NUL byte), then a retry with strtoul base 16 when strtod stopped at an 'x',
// then only white space may follow.

/** The NaN with its sign bit set (x86's 0/0, strtod's "-nan"); JavaScript's `-NaN` need not set it. */
const NEGATIVE_NAN = new Float64Array(new BigUint64Array([0xfff8000000000000n]).buffer)[0]!;

const SPACE = new Set([' ', '\t', '\n', '\v', '\f', '\r']);

/** Lua 5.1's string->number coercion (what `"10" + 1`, lua_tonumber and lua_isnumber use); null when not a number. */
export function str2number(s: string): number | null {
  const nul = s.indexOf('\0');
  const c = nul < 0 ? s : s.slice(0, nul);
  const r = strtod(c, 0);
  if (r === null) return null;
  let { value, end } = r;
  if (c[end] === 'x' || c[end] === 'X') {
    const u = strtoul16(c);
    value = u.value;
    end = u.end;
  }
  while (end < c.length && SPACE.has(c[end]!)) end++;
  return end === c.length ? value : null;
}

/** glibc strtod from position `from`: the value and where it stopped, or null when nothing converts. */
export function strtod(s: string, from: number): { value: number; end: number } | null {
  let p = from;
  while (p < s.length && SPACE.has(s[p]!)) p++;
  let neg = false;
  if (s[p] === '+' || s[p] === '-') {
    neg = s[p] === '-';
    p++;
  }
  const rest = s.slice(p, p + 8).toLowerCase();
  if (rest.startsWith('inf')) {
    const end = p + (rest.startsWith('infinity') ? 8 : 3);
    return { value: neg ? -Infinity : Infinity, end };
  }
  if (rest.startsWith('nan')) {
    let end = p + 3;
    if (s[end] === '(') {
      let q = end + 1;
      while (q < s.length && /[0-9A-Za-z_]/.test(s[q]!)) q++;
      if (s[q] === ')') end = q + 1;
    }
    // glibc keeps the sign: "-nan" is the NaN with the sign bit set.
    return { value: neg ? NEGATIVE_NAN : NaN, end };
  }
  if (s[p] === '0' && (s[p + 1] === 'x' || s[p + 1] === 'X')) {
    const hex = hexFloat(s, p + 2);
    if (hex) return { value: neg ? -hex.value : hex.value, end: hex.end };
    // "0x" without hex digits: strtod reads the "0".
    return { value: neg ? -0 : 0, end: p + 1 };
  }
  const m = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(s.slice(p));
  if (!m) return null;
  const v = Number(m[0]);
  return { value: neg ? -v : v, end: p + m[0].length };
}

function hexFloat(s: string, from: number): { value: number; end: number } | null {
  let p = from;
  let mant = 0n;
  let exp = 0;
  let digits = 0;
  while (p < s.length && /[0-9a-fA-F]/.test(s[p]!)) {
    mant = mant * 16n + BigInt(parseInt(s[p]!, 16));
    p++;
    digits++;
  }
  if (s[p] === '.') {
    let q = p + 1;
    let frac = 0;
    while (q < s.length && /[0-9a-fA-F]/.test(s[q]!)) {
      mant = mant * 16n + BigInt(parseInt(s[q]!, 16));
      q++;
      frac++;
    }
    if (digits + frac > 0) {
      p = q;
      exp -= 4 * frac;
      digits += frac;
    }
  }
  if (digits === 0) return null;
  if (s[p] === 'p' || s[p] === 'P') {
    const m = /^[pP]([+-]?\d+)/.exec(s.slice(p));
    if (m) {
      exp += Math.max(-100000, Math.min(100000, Number(m[1])));
      p += m[0].length;
    }
  }
  return { value: scaleToDouble(mant, exp), end: p };
}

/** mant * 2^exp rounded to the nearest double (ties to even), as strtod rounds hex input. */
function scaleToDouble(mant: bigint, exp: number): number {
  if (mant === 0n) return 0;
  const bits = mant.toString(2).length;
  // The value is in [2^(bits-1+exp), 2^(bits+exp)); a double keeps 53 bits, fewer when subnormal.
  const top = bits - 1 + exp;
  if (top > 1023) return Infinity;
  if (top < -1075) return 0;
  const keep = top >= -1022 ? 53 : Math.max(0, 53 - (-1022 - top));
  const shift = bits - keep;
  if (shift <= 0) {
    const e1 = Math.trunc(exp / 2);
    return Number(mant) * 2 ** e1 * 2 ** (exp - e1);
  }
  let q = mant >> BigInt(shift);
  const rem = mant - (q << BigInt(shift));
  const half = 1n << BigInt(shift - 1);
  if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  // q * 2^(exp+shift) is exact in a double (or overflows to inf); split the power so no
  // factor underflows on its own.
  const e = exp + shift;
  const e1 = Math.trunc(e / 2);
  return Number(q) * 2 ** e1 * 2 ** (e - e1);
}

function strtoul16(s: string): { value: number; end: number } {
  let p = 0;
  while (p < s.length && SPACE.has(s[p]!)) p++;
  let neg = false;
  if (s[p] === '+' || s[p] === '-') {
    neg = s[p] === '-';
    p++;
  }
  if (s[p] === '0' && (s[p + 1] === 'x' || s[p + 1] === 'X') && /[0-9a-fA-F]/.test(s[p + 2] ?? '')) p += 2;
  const start = p;
  let v = 0n;
  while (p < s.length && /[0-9a-fA-F]/.test(s[p]!)) {
    v = v * 16n + BigInt(parseInt(s[p]!, 16));
    p++;
  }
  if (p === start) return { value: 0, end: 0 };
  // unsigned long overflow saturates at ULONG_MAX; a '-' negates modulo 2^64.
  if (v >= TWO_64) v = TWO_64 - 1n;
  else if (neg) v = BigInt.asUintN(64, -v);
  return { value: Number(v), end: p };
}

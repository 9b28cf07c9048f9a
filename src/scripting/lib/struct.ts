/**
 * The `struct` library Redis ships (deps/lua/src/lua_struct.c, Roberto Ierusalimschy's
 * struct 0.2 with Redis's fixes): struct.pack(fmt, ...), struct.unpack(fmt, data [, pos]),
 * struct.size(fmt), with the sizes and alignment of Redis's x86-64 build: 'l'/'L'/'T' are
 * 8 bytes, 'i'/'I' 4 unless given (at most 32), native order little-endian, '!' alone
 * aligns to 8. Integers go through a C `long`/`unsigned long` (64 bits): bytes past the
 * eighth pack as zeros and unpack only the last eight read; numbers unpack as doubles.
 *
 * The format is a C string: it ends at its first NUL byte. Errors are luaL_error's and
 * luaL_argerror's, with their quirks: pack's "string too short" names the argument after
 * the string (the C code has already advanced its counter), and size() ignores unknown
 * letters and digits (it only checks options that are not alphanumeric).
 */
import { LuaRaisedError, type LuaValue } from './lua-value.js';
import {
  LuaArgError,
  checkLString,
  checkNumber,
  doubleToInt64,
  doubleToUint64,
  optInteger,
  toNumber,
  type LuaLibFunction,
} from './lua-aux.js';
import {
  stackOverflowText,
  structAlignNotPow2,
  structC0NeedsSize,
  structDataTooShort,
  structIntTooLarge,
  structInvalidOption,
  structNoFixedSizeC0,
  structNoFixedSizeS,
  structOffset,
  structSizeOverflow,
  structStringTooShort,
  structTooManyResults,
  structUnfinishedString,
} from './lib-errors.js';

const MAXINTSIZE = 32;
const MAXALIGN = 8;
const INT_MAX = 2147483647;
/** LUAI_MAXCSTACK: the most stack slots a C function may use. */
const MAX_C_STACK = 8000;
const U64 = (1n << 64n) - 1n;

interface Header {
  little: boolean;
  align: number;
}

/** A format being read: the text up to its first NUL, and the position. */
class Cursor {
  pos = 0;
  constructor(readonly text: string) {}
  get done(): boolean {
    return this.pos >= this.text.length;
  }
  next(): string {
    return this.text[this.pos++]!;
  }
  /** getnum: digits as an int (erroring on overflow), or the default when no digit follows. */
  num(df: number): number {
    if (!isDigit(this.text[this.pos])) return df;
    let a = 0;
    do {
      const d = this.text.charCodeAt(this.pos) - 48;
      if (a > Math.floor(INT_MAX / 10) || a * 10 > INT_MAX - d) throw new LuaRaisedError(structSizeOverflow);
      a = a * 10 + d;
      this.pos++;
    } while (isDigit(this.text[this.pos]));
    return a;
  }
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isAlnum = (c: string): boolean => /^[A-Za-z0-9]$/.test(c);

function cursorFor(fmt: string): Cursor {
  const nul = fmt.indexOf('\0');
  return new Cursor(nul < 0 ? fmt : fmt.slice(0, nul));
}

function optSize(opt: string, fmt: Cursor): number {
  switch (opt) {
    case 'B':
    case 'b':
      return 1;
    case 'H':
    case 'h':
      return 2;
    case 'L':
    case 'l':
    case 'T':
    case 'd':
      return 8;
    case 'f':
      return 4;
    case 'x':
      return 1;
    case 'c':
      return fmt.num(1);
    case 'i':
    case 'I': {
      const sz = fmt.num(4);
      if (sz > MAXINTSIZE) throw new LuaRaisedError(structIntTooLarge(sz, MAXINTSIZE));
      return sz;
    }
    default:
      return 0;
  }
}

/** Padding bytes to align an item of `size` at offset `len` (sizes that are not powers of 2 give C's odd answers, kept). */
function toAlign(len: bigint, h: Header, opt: string, size: number): number {
  if (size === 0 || opt === 'c') return 0;
  const s = BigInt(Math.min(size, h.align));
  return Number((s - (len & (s - 1n))) & (s - 1n));
}

function controlOptions(opt: string, fmt: Cursor, h: Header, fname: string): void {
  switch (opt) {
    case ' ':
      return;
    case '>':
      h.little = false;
      return;
    case '<':
      h.little = true;
      return;
    case '!': {
      const a = fmt.num(MAXALIGN);
      if (!(a > 0 && (a & (a - 1)) === 0)) throw new LuaRaisedError(structAlignNotPow2(a));
      h.align = a;
      return;
    }
    default:
      throw new LuaArgError(1, structInvalidOption(opt), fname);
  }
}

const isIntegerOption = (opt: string): boolean => 'bBhHlLTiI'.includes(opt);

/** The library's functions (stateless). */
export function createStructLibrary(): Record<string, LuaLibFunction> {
  return { pack, unpack, size };
}

function pack(callArgs: LuaValue[]): LuaValue[] {
  const fname = 'pack';
  const fmt = cursorFor(checkLString(callArgs, 1, fname));
  // b_pack pushes a nil above its arguments (a mark before its string buffer): a missing
  // value argument reads as that nil ("got nil"), not as none.
  const args = [...callArgs, null];
  const h: Header = { little: true, align: 1 };
  let arg = 2;
  let total = 0n;
  const out: string[] = [];
  const scratch = new DataView(new ArrayBuffer(8));
  while (!fmt.done) {
    const opt = fmt.next();
    let size = optSize(opt, fmt);
    const pad = toAlign(total, h, opt, size);
    total += BigInt(pad);
    if (pad > 0) out.push('\0'.repeat(pad));
    if (isIntegerOption(opt)) {
      const n = checkNumber(args, arg++, fname);
      let value = n < 0 ? BigInt.asUintN(64, doubleToInt64(n)) : doubleToUint64(n);
      const bytes: number[] = [];
      for (let i = 0; i < size; i++) {
        bytes.push(Number(value & 0xffn));
        value >>= 8n;
      }
      if (!h.little) bytes.reverse();
      out.push(String.fromCharCode(...bytes));
    } else if (opt === 'x') {
      out.push('\0');
    } else if (opt === 'f' || opt === 'd') {
      const n = checkNumber(args, arg++, fname);
      if (opt === 'f') scratch.setFloat32(0, n, h.little);
      else scratch.setFloat64(0, n, h.little);
      let s = '';
      for (let i = 0; i < size; i++) s += String.fromCharCode(scratch.getUint8(i));
      out.push(s);
    } else if (opt === 'c' || opt === 's') {
      const s = checkLString(args, arg++, fname);
      if (size === 0) size = s.length;
      if (!(s.length >= size)) throw new LuaArgError(arg, structStringTooShort, fname);
      out.push(s.slice(0, size));
      if (opt === 's') {
        out.push('\0');
        size++;
      }
    } else controlOptions(opt, fmt, h, fname);
    total += BigInt(size);
  }
  return [out.join('')];
}

function unpack(args: LuaValue[]): LuaValue[] {
  const fname = 'unpack';
  const fmt = cursorFor(checkLString(args, 1, fname));
  const data = checkLString(args, 2, fname);
  const ld = BigInt(data.length);
  // size_t pos = luaL_optinteger(...): a negative offset becomes a huge one.
  let pos = BigInt.asUintN(64, optInteger(args, 3, 1n, fname));
  if (!(pos > 0n)) throw new LuaArgError(3, structOffset, fname);
  pos--;
  const h: Header = { little: true, align: 1 };
  const results: LuaValue[] = [];
  const scratch = new DataView(new ArrayBuffer(8));
  const fits = (size: number): boolean => BigInt(size) <= ld && pos <= ld - BigInt(size);
  while (!fmt.done) {
    const opt = fmt.next();
    let size = optSize(opt, fmt);
    pos = (pos + BigInt(toAlign(pos, h, opt, size))) & U64;
    if (!fits(size)) throw new LuaArgError(2, structDataTooShort, fname);
    if (args.length + results.length + 2 > MAX_C_STACK) throw new LuaRaisedError(stackOverflowText(structTooManyResults));
    const at = Number(pos);
    if (isIntegerOption(opt)) {
      results.push(getInteger(data, at, h.little, opt >= 'a' && opt <= 'z', size));
    } else if (opt === 'f' || opt === 'd') {
      for (let i = 0; i < size; i++) scratch.setUint8(i, data.charCodeAt(at + i));
      results.push(opt === 'f' ? scratch.getFloat32(0, h.little) : scratch.getFloat64(0, h.little));
    } else if (opt === 'c') {
      if (size === 0) {
        const prev = results.length === 0 ? null : toNumber(results[results.length - 1]);
        if (prev === null) throw new LuaRaisedError(structC0NeedsSize);
        // size_t size = lua_tonumber(...): the C cast of the previous result.
        const cast = doubleToUint64(prev);
        results.pop();
        if (!(cast <= ld && pos <= ld - cast)) throw new LuaArgError(2, structDataTooShort, fname);
        size = Number(cast);
      }
      results.push(data.slice(at, at + size));
    } else if (opt === 's') {
      const e = data.indexOf('\0', at);
      if (e < 0) throw new LuaRaisedError(structUnfinishedString);
      size = e - at + 1;
      results.push(data.slice(at, e));
    } else if (opt !== 'x') controlOptions(opt, fmt, h, fname);
    pos = (pos + BigInt(size)) & U64;
  }
  // lua_pushinteger(pos + 1): size_t read back as a signed ptrdiff_t.
  results.push(Number(BigInt.asIntN(64, pos + 1n)));
  return results;
}

/** getinteger: the bytes as an unsigned long, sign-extended from the item's top bit when signed (shift counts mod 64, as x86 does). */
function getInteger(data: string, at: number, little: boolean, signed: boolean, size: number): number {
  let l = 0n;
  for (let k = 0; k < size; k++) {
    const i = little ? size - 1 - k : k;
    l = ((l << 8n) | BigInt(data.charCodeAt(at + i))) & U64;
  }
  if (!signed) return Number(l);
  const mask = (U64 << BigInt((size * 8 - 1) & 63)) & U64;
  if (l & mask) l |= mask;
  return Number(BigInt.asIntN(64, l));
}

function size(args: LuaValue[]): LuaValue[] {
  const fname = 'size';
  const fmt = cursorFor(checkLString(args, 1, fname));
  const h: Header = { little: true, align: 1 };
  let pos = 0n;
  while (!fmt.done) {
    const opt = fmt.next();
    const sz = optSize(opt, fmt);
    pos += BigInt(toAlign(pos, h, opt, sz));
    if (opt === 's') throw new LuaArgError(1, structNoFixedSizeS, fname);
    if (opt === 'c' && sz === 0) throw new LuaArgError(1, structNoFixedSizeC0, fname);
    if (!isAlnum(opt)) controlOptions(opt, fmt, h, fname);
    pos += BigInt(sz);
  }
  return [Number(BigInt.asIntN(64, pos))];
}

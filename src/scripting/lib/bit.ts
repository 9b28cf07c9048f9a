/**
 * The `bit` library Redis ships (deps/lua/src/lua_bit.c, LuaBitOp 1.0.2): 32-bit
 * operations on Lua numbers, results as signed 32-bit numbers.
 *
 * An argument becomes 32 bits as LuaBitOp does it with doubles: add 2^52+2^51 and keep
 * the low 32 bits of the sum's bit pattern, which rounds to the nearest integer (ties to
 * even) and wraps modulo 2^32 (bit.tobit(2^32+1) is 1, bit.tobit(1.5) is 2, bit.tobit(2.5)
 * is 2). A non-number argument reads as 0 through lua_tonumber and is then refused
 * ("number expected") unless it is a numeric string; shift counts use their low 5 bits.
 */
import { LuaRaisedError, type LuaValue } from './lua-value.js';
import { toNumber, typeError, type LuaLibFunction } from './lua-aux.js';

const MAGIC = 6755399441055744.0; // 2^52 + 2^51

function toBits(n: number, scratch: DataView): number {
  scratch.setFloat64(0, n + MAGIC, true);
  return scratch.getUint32(0, true);
}

/** The library's functions, each with its own scratch space (nothing shared between engines). */
export function createBitLibrary(): Record<string, LuaLibFunction> {
  const scratch = new DataView(new ArrayBuffer(8));
  const barg = (args: LuaValue[], i: number, fname: string): number => {
    const n = i <= args.length ? toNumber(args[i - 1]) : null;
    const b = toBits(n ?? 0, scratch);
    if (b === 0 && n === null) throw typeError(args, i, 'number', fname);
    return b;
  };
  const ret = (b: number): LuaValue[] => [b | 0];
  const fold = (fname: string, op: (a: number, b: number) => number): LuaLibFunction => (args) => {
    let b = barg(args, 1, fname);
    for (let i = args.length; i > 1; i--) b = op(b, barg(args, i, fname));
    return ret(b);
  };
  const shift = (fname: string, op: (b: number, n: number) => number): LuaLibFunction => (args) => {
    const b = barg(args, 1, fname);
    const n = barg(args, 2, fname) & 31;
    return ret(op(b, n));
  };
  return {
    tobit: (args) => ret(barg(args, 1, 'tobit')),
    bnot: (args) => ret(~barg(args, 1, 'bnot')),
    band: fold('band', (a, b) => a & b),
    bor: fold('bor', (a, b) => a | b),
    bxor: fold('bxor', (a, b) => a ^ b),
    lshift: shift('lshift', (b, n) => b << n),
    rshift: shift('rshift', (b, n) => b >>> n),
    arshift: shift('arshift', (b, n) => (b | 0) >> n),
    // (b << n) | (b >> (32-n)): a C shift by 32 is x86's shift by 0, so n = 0 gives b | b.
    rol: shift('rol', (b, n) => (b << n) | (b >>> ((32 - n) & 31))),
    ror: shift('ror', (b, n) => (b << ((32 - n) & 31)) | (b >>> n)),
    bswap: (args) => {
      const b = barg(args, 1, 'bswap');
      return ret((b >>> 24) | ((b >>> 8) & 0xff00) | ((b & 0xff00) << 8) | (b << 24));
    },
    tohex: (args) => {
      let b = barg(args, 1, 'tohex') >>> 0;
      let n = args.length < 2 ? 8 : barg(args, 2, 'tohex') | 0;
      let digits = '0123456789abcdef';
      if (n < 0) {
        n = -n;
        digits = '0123456789ABCDEF';
      }
      if (n > 8) n = 8;
      // n is still negative only for INT_MIN, where C's -n overflows and lua_pushlstring
      // is asked for ~2^64 bytes: Lua's allocator fails.
      if (n < 0) throw new LuaRaisedError('not enough memory', false);
      let out = '';
      for (let i = 0; i < n; i++) {
        out = digits[b & 15] + out;
        b >>>= 4;
      }
      return [out];
    },
  };
}

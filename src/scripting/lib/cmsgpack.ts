/**
 * The `cmsgpack` library Redis ships (deps/lua/src/lua_cmsgpack.c, lua-cmsgpack 0.4.0):
 * pack(...) encodes each argument and concatenates them; unpack(s) decodes every value in
 * s; unpack_one(s [, offset]) and unpack_limit(s, limit [, offset]) decode some and return
 * the next offset first (-1 once the input is used up).
 *
 * Encoding, as the C code decides it on Lua 5.1's doubles:
 * - a number that is an integer in the int64 range is a msgpack integer in its smallest
 *   form (positive/negative fixnum, uint 8/16/32/64, int 8/16/32/64); otherwise a float 32
 *   when the double survives the round trip through a float, else a float 64;
 * - a table is an array when its keys are exactly 1..n (numbers that fit a C int), a map
 *   otherwise (pairs in `next` order); tables nested 16 deep encode as nil (that also ends
 *   cycles); nil, functions, userdata and threads encode as nil.
 * Decoding: uint 64 above 2^63 reads as negative (the C code pushes it as a signed
 * lua_Integer); bin and ext types are "Bad data format in input."; a map whose key is nil
 * or NaN fails with Lua's own "table index is nil/NaN" (no position: it is raised by
 * lua_settable); a nil value is no entry. Values go on the Lua stack, which holds at most
 * LUAI_MAXCSTACK (8000) slots: unpacking more values at once (tables count the slots their
 * decoding uses) is the C code's "stack overflow (too many return values at once; ...)".
 */
import { LuaRaisedError, LuaTable, type LuaValue } from './lua-value.js';
import { LuaArgError, checkLString, checkInteger, optInteger, type LuaLibFunction } from './lua-aux.js';
import {
  msgpackBadFormat,
  msgpackMissingBytes,
  msgpackNeedsInput,
  msgpackNegative,
  msgpackOffsetTooLarge,
  msgpackTooManyArgs,
  msgpackTooManyResults,
  stackOverflowText,
  tableIndexNaN,
  tableIndexNil,
} from './lib-errors.js';

const MAX_NESTING = 16;
const MAX_C_STACK = 8000;
const INT_MAX = 2147483647n;
const TWO_63 = 2 ** 63;

/** The module table's other fields (lua_cmsgpack.c's luaopen_create). */
export const CMSGPACK_FIELDS = {
  _NAME: 'cmsgpack',
  _VERSION: 'lua-cmsgpack 0.4.0',
  _COPYRIGHT: 'Copyright (C) 2012, Salvatore Sanfilippo',
  _DESCRIPTION: 'MessagePack C implementation for Lua',
} as const;

/** The library's functions (stateless). */
export function createCmsgpackLibrary(): Record<string, LuaLibFunction> {
  return {
    pack,
    unpack: (args) => unpackFull(args, 0n, 0n, 'unpack'),
    unpack_one: (args) => {
      const offset = optInteger(args, 2, 0n, 'unpack_one');
      return unpackFull(args.slice(0, 1), 1n, offset, 'unpack_one');
    },
    unpack_limit: (args) => {
      const limit = checkInteger(args, 2, 'unpack_limit');
      const offset = optInteger(args, 3, 0n, 'unpack_limit');
      return unpackFull(args.slice(0, 1), limit, offset, 'unpack_limit');
    },
  };
}

// ---- encoding ------------------------------------------------------------------------

class Writer {
  private parts: string[] = [];
  private readonly scratch = new DataView(new ArrayBuffer(8));
  bytes(...b: number[]): void {
    this.parts.push(String.fromCharCode(...b));
  }
  raw(s: string): void {
    this.parts.push(s);
  }
  float32(d: number): void {
    this.scratch.setFloat32(0, d);
    this.bytes(0xca, ...[0, 1, 2, 3].map((i) => this.scratch.getUint8(i)));
  }
  float64(d: number): void {
    this.scratch.setFloat64(0, d);
    this.bytes(0xcb, ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => this.scratch.getUint8(i)));
  }
  take(): string {
    const s = this.parts.join('');
    this.parts = [];
    return s;
  }
}

function pack(args: LuaValue[]): LuaValue[] {
  const n = args.length;
  if (n === 0) throw new LuaArgError(0, msgpackNeedsInput, 'pack');
  if (n + n > MAX_C_STACK) throw new LuaArgError(0, msgpackTooManyArgs, 'pack');
  const w = new Writer();
  for (const v of args) encodeValue(w, v, 0);
  return [w.take()];
}

function encodeValue(w: Writer, v: LuaValue, level: number): void {
  if (typeof v === 'string') encodeBytes(w, v);
  else if (typeof v === 'boolean') w.bytes(v ? 0xc3 : 0xc2);
  else if (typeof v === 'number') encodeNumber(w, v);
  else if (v instanceof LuaTable && level !== MAX_NESTING) encodeTable(w, v, level);
  else w.bytes(0xc0);
}

function encodeBytes(w: Writer, s: string): void {
  const len = s.length;
  if (len < 32) w.bytes(0xa0 | len);
  else if (len <= 0xff) w.bytes(0xd9, len);
  else if (len <= 0xffff) w.bytes(0xda, len >>> 8, len & 0xff);
  else w.bytes(0xdb, (len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff);
  w.raw(s);
}

function encodeNumber(w: Writer, d: number): void {
  if (Number.isInteger(d) && d >= -TWO_63 && d < TWO_63) encodeInt(w, d);
  else if (Number.isNaN(d) || Math.fround(d) !== d) w.float64(d);
  else w.float32(d);
}

function encodeInt(w: Writer, n: number): void {
  if (n >= 0) {
    if (n <= 127) w.bytes(n);
    else if (n <= 0xff) w.bytes(0xcc, n);
    else if (n <= 0xffff) w.bytes(0xcd, n >>> 8, n & 0xff);
    else if (n <= 0xffffffff) w.bytes(0xce, ...be(BigInt(n), 4));
    else w.bytes(0xcf, ...be(BigInt(n), 8));
  } else {
    if (n >= -32) w.bytes(n & 0xff);
    else if (n >= -128) w.bytes(0xd0, n & 0xff);
    else if (n >= -32768) w.bytes(0xd1, (n >> 8) & 0xff, n & 0xff);
    else if (n >= -2147483648) w.bytes(0xd2, ...be(BigInt(n), 4));
    else w.bytes(0xd3, ...be(BigInt(n), 8));
  }
}

function be(v: bigint, size: number): number[] {
  const u = BigInt.asUintN(size * 8, v);
  const out: number[] = [];
  for (let i = size - 1; i >= 0; i--) out.push(Number((u >> BigInt(i * 8)) & 0xffn));
  return out;
}

function encodeTable(w: Writer, t: LuaTable, level: number): void {
  const n = arrayLength(t);
  if (n !== null) {
    encodeHeader(w, n, 0x90, 0xdc, 0xdd);
    const byIndex = new Map<number, LuaValue>();
    for (const [k, v] of t.entries) byIndex.set(k as number, v);
    for (let j = 1; j <= n; j++) encodeValue(w, byIndex.get(j) ?? null, level + 1);
  } else {
    encodeHeader(w, t.entries.length, 0x80, 0xde, 0xdf);
    for (const [k, v] of t.entries) {
      encodeValue(w, k, level + 1);
      encodeValue(w, v, level + 1);
    }
  }
}

/** table_is_an_array: every key a number in 1..INT_MAX that is an integer, and the largest equals the count. */
function arrayLength(t: LuaTable): number | null {
  let max = 0;
  for (const [k] of t.entries) {
    if (typeof k !== 'number' || !(k > 0) || !Number.isInteger(k) || k > 2147483647) return null;
    if (k > max) max = k;
  }
  return max === t.entries.length ? max : null;
}

function encodeHeader(w: Writer, n: number, fix: number, b16: number, b32: number): void {
  if (n <= 15) w.bytes(fix | n);
  else if (n <= 0xffff) w.bytes(b16, n >>> 8, n & 0xff);
  else w.bytes(b32, ...be(BigInt(n), 4));
}

// ---- decoding ------------------------------------------------------------------------

const EOF = 1;
const BADFMT = 2;

/** The decoder's cursor, and the Lua stack slots in use (LUAI_MAXCSTACK applies to them). */
class Cursor {
  p: number;
  err = 0;
  private readonly scratch = new DataView(new ArrayBuffer(8));
  constructor(
    readonly s: string,
    offset: number,
    public stack: number,
  ) {
    this.p = offset;
  }
  get left(): number {
    return this.s.length - this.p;
  }
  byte(i: number): number {
    return this.s.charCodeAt(this.p + i);
  }
  uint(from: number, size: number): bigint {
    let v = 0n;
    for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(this.byte(from + i));
    return v;
  }
  float(size: 4 | 8): number {
    for (let i = 0; i < size; i++) this.scratch.setUint8(i, this.byte(1 + i));
    return size === 4 ? this.scratch.getFloat32(0) : this.scratch.getFloat64(0);
  }
}

type Item = { open: false; value: LuaValue } | { open: true; map: boolean; len: number };

/** Reads one item's header (a whole scalar, or the start of an array or map); null when c.err is set. */
function readItem(c: Cursor): Item | null {
  if (c.left < 1) return void (c.err = EOF), null;
  if (c.stack + 1 > MAX_C_STACK) throw new LuaRaisedError(stackOverflowText(msgpackTooManyResults));
  const need = (n: number): boolean => {
    if (c.left < n) c.err = EOF;
    return c.err === 0;
  };
  const scalar = (value: LuaValue, size: number): Item => {
    c.p += size;
    return { open: false, value };
  };
  const t = c.byte(0);
  switch (t) {
    case 0xcc:
    case 0xd0:
    case 0xcd:
    case 0xd1:
    case 0xce:
    case 0xd2:
    case 0xcf:
    case 0xd3: {
      const size = 1 << ((t - 0xcc) & 3);
      if (!need(1 + size)) return null;
      const u = c.uint(1, size);
      // Signed types, and uint 64 (pushed as a signed lua_Integer), read as two's complement.
      return scalar(t >= 0xd0 || t === 0xcf ? Number(BigInt.asIntN(size * 8, u)) : Number(u), 1 + size);
    }
    case 0xc0:
      return scalar(null, 1);
    case 0xc3:
    case 0xc2:
      return scalar(t === 0xc3, 1);
    case 0xca:
    case 0xcb: {
      const size = t === 0xca ? 4 : 8;
      if (!need(1 + size)) return null;
      return scalar(c.float(size), 1 + size);
    }
    case 0xd9:
    case 0xda:
    case 0xdb: {
      const hdr = t === 0xd9 ? 1 : t === 0xda ? 2 : 4;
      if (!need(1 + hdr)) return null;
      const l = Number(c.uint(1, hdr));
      if (!need(1 + hdr + l)) return null;
      return scalar(c.s.slice(c.p + 1 + hdr, c.p + 1 + hdr + l), 1 + hdr + l);
    }
    case 0xdc:
    case 0xdd:
    case 0xde:
    case 0xdf: {
      const hdr = t === 0xdc || t === 0xde ? 2 : 4;
      if (!need(1 + hdr)) return null;
      const len = Number(c.uint(1, hdr));
      c.p += 1 + hdr;
      return { open: true, map: t >= 0xde, len };
    }
    default:
      if ((t & 0x80) === 0) return scalar(t, 1);
      if ((t & 0xe0) === 0xe0) return scalar(t - 256, 1);
      if ((t & 0xe0) === 0xa0) {
        const l = t & 0x1f;
        if (!need(1 + l)) return null;
        return scalar(c.s.slice(c.p + 1, c.p + 1 + l), 1 + l);
      }
      if ((t & 0xf0) === 0x90 || (t & 0xf0) === 0x80) {
        c.p++;
        return { open: true, map: (t & 0xf0) === 0x80, len: t & 0xf };
      }
      c.err = BADFMT;
      return null;
  }
}

/** A table filled as lua_settable fills it: a nil value is no entry, a repeated key keeps its first place. */
class TableBuilder {
  private readonly map = new Map<Exclude<LuaValue, null>, Exclude<LuaValue, null>>();
  set(k: LuaValue, v: LuaValue): void {
    if (k === null) throw new LuaRaisedError(tableIndexNil, false);
    if (typeof k === 'number' && Number.isNaN(k)) throw new LuaRaisedError(tableIndexNaN, false);
    if (v === null) this.map.delete(k);
    else this.map.set(k, v);
  }
  build(): LuaTable {
    const t = new LuaTable();
    for (const [k, v] of this.map) t.set(k, v);
    return t;
  }
}

interface Frame {
  map: boolean;
  len: number;
  done: number;
  table: TableBuilder;
  /** A map's key, decoded and waiting for its value. */
  key: LuaValue | undefined;
}

/**
 * Decodes one value (undefined when c.err is set), nested tables by an explicit stack
 * rather than recursion (4,000 levels fit Lua's 8,000 stack slots). c.stack follows the
 * slots the C code holds: the table, an array's index, a map's key, the value.
 */
function decodeValue(c: Cursor): LuaValue | undefined {
  const frames: Frame[] = [];
  for (;;) {
    const top = frames[frames.length - 1];
    if (top && !top.map) c.stack++; // lua_pushnumber(L, index)
    const item = readItem(c);
    if (item === null) return undefined;
    let value: LuaValue;
    c.stack++; // the value (or the new table)
    if (item.open) {
      if (!item.map && c.stack + 1 > MAX_C_STACK) throw new LuaRaisedError(stackOverflowText('in function mp_decode_to_lua_array'));
      const f: Frame = { map: item.map, len: item.len, done: 0, table: new TableBuilder(), key: undefined };
      if (f.len > 0) {
        frames.push(f);
        continue;
      }
      value = f.table.build();
    } else value = item.value;
    // Hand the value to the tables it completes.
    for (;;) {
      const f = frames[frames.length - 1];
      if (!f) return value;
      if (f.map && f.key === undefined) {
        f.key = value;
        break;
      }
      c.stack -= 2;
      if (f.map) {
        f.table.set(f.key!, value);
        f.key = undefined;
      } else f.table.set(f.done + 1, value);
      if (++f.done < f.len) break;
      frames.pop();
      value = f.table.build();
    }
  }
}

function unpackFull(args: LuaValue[], limit: bigint, offset: bigint, fname: string): LuaValue[] {
  const s = checkLString(args, 1, fname);
  const len = s.length;
  const decodeAll = limit === 0n && offset === 0n;
  if (offset < 0n || limit < 0n) throw new LuaRaisedError(msgpackNegative(Number(BigInt.asIntN(32, offset)), len | 0));
  if (offset > BigInt(len)) throw new LuaRaisedError(msgpackOffsetTooLarge(Number(BigInt.asIntN(32, offset)), len | 0));
  const max = decodeAll ? INT_MAX : limit;
  const c = new Cursor(s, Number(offset), args.length);
  const values: LuaValue[] = [];
  for (let cnt = 0n; c.left > 0 && cnt < max; cnt++) {
    const v = decodeValue(c);
    if (c.err === EOF) throw new LuaRaisedError(msgpackMissingBytes);
    if (c.err === BADFMT) throw new LuaRaisedError(msgpackBadFormat);
    values.push(v!);
  }
  if (decodeAll) return values;
  if (c.stack + 1 > MAX_C_STACK) throw new LuaRaisedError(stackOverflowText('in function mp_unpack_full'));
  return [c.left === 0 ? -1 : c.p, ...values];
}

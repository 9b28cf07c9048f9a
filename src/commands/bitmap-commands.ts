import { constants as bufferConstants } from 'node:buffer';
import type { Client } from './context.js';
import { cmd, key, type CommandDefinition } from './declare.js';
import {
  ERR_BIT_ARGUMENT,
  ERR_BIT_OFFSET,
  ERR_BIT_VALUE,
  ERR_BITFIELD_OVERFLOW,
  ERR_BITFIELD_RO,
  ERR_BITFIELD_TYPE,
  ERR_BITOP_NOT,
  ERR_NOT_INTEGER,
  ERR_SYNTAX,
  ERR_WRONGTYPE,
  errStringTooLongForHost,
} from './errors.js';
import { optionName } from './args.js';
import { NO_DEADLINE, type Entry } from '../keyspace/database.js';
import { StringForm } from '../keyspace/string-encoding.js';
import { parseI64 } from '../util/numbers.js';

/**
 * Bitmaps on string values (Redis 7.0's bitops.c): SETBIT GETBIT BITCOUNT BITPOS BITOP
 * BITFIELD BITFIELD_RO. A string is latin1, one char per byte; bit 0 is the most
 * significant bit of byte 0. Reading past the end reads zeros; writing past it grows the
 * string with zero bytes.
 *
 * Every write makes a new string (JavaScript strings are immutable): SETBIT and BITFIELD
 * cost O(length) where Redis's cost O(1), which matters only for bitmaps of megabytes
 * changed bit by bit.
 */

/** The longest string V8 can make. */
const MAX_STRING = bufferConstants.MAX_STRING_LENGTH;

/** An entry known to hold a string. */
type StringEntry = Entry;

/** Set bits per byte value. */
const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1]!;

/**
 * A bit offset argument, as getBitOffsetFromArgument: an int64 >= 0 whose byte is below
 * proto-max-bulk-len; with `bits` (BITFIELD), "#n" means n * bits (multiplied in int64,
 * as C does). Undefined after replying the error.
 */
function bitOffset(c: Client, arg: string, bits = 0): number | undefined {
  const hash = bits > 0 && arg.charCodeAt(0) === 0x23; /* # */
  const parsed = parseI64(hash ? arg.slice(1) : arg);
  if (parsed === undefined) {
    c.reply.error(ERR_BIT_OFFSET);
    return undefined;
  }
  let offset = BigInt(parsed);
  if (hash) offset = BigInt.asIntN(64, offset * BigInt(bits));
  if (offset < 0n || offset >> 3n >= BigInt(c.server.config.number('proto-max-bulk-len'))) {
    c.reply.error(ERR_BIT_OFFSET);
    return undefined;
  }
  return Number(offset);
}

/** The string at key for a reading command: undefined if absent, null after WRONGTYPE. */
function readString(c: Client, key: string): StringEntry | undefined | null {
  const entry = c.db.read(key);
  if (entry === undefined || c.db.isString(entry)) return entry as StringEntry | undefined;
  c.reply.error(ERR_WRONGTYPE);
  return null;
}

/**
 * Redis's lookupStringForBitCommand for a write that reaches bit `maxBit`: the string at
 * key (absent: empty) as a buffer at least maxBit/8 + 1 bytes long, and whether it grew.
 * Null after replying WRONGTYPE or that the host cannot hold such a string.
 */
function bitsForWrite(c: Client, key: string, maxBit: number): { entry: StringEntry | undefined; bytes: Buffer; grew: boolean } | null {
  const entry = c.db.get(key);
  if (entry !== undefined && !c.db.isString(entry)) {
    c.reply.error(ERR_WRONGTYPE);
    return null;
  }
  const old = entry === undefined ? '' : c.db.stringOf(entry);
  const need = Math.floor(maxBit / 8) + 1;
  const length = Math.max(old.length, need);
  if (length > MAX_STRING) {
    c.reply.error(errStringTooLongForHost(MAX_STRING));
    return null;
  }
  const bytes = Buffer.alloc(length);
  bytes.write(old, 0, old.length, 'latin1');
  return { entry: entry as StringEntry | undefined, bytes, grew: entry === undefined || length > old.length };
}

/**
 * Stores a bitmap write's result at key as a raw string (Redis unshares the value it
 * writes: OBJECT ENCODING "raw"), or only marks it raw when nothing changed (Redis
 * unshares it all the same). The key keeps its TTL.
 */
function storeBits(c: Client, key: string, entry: StringEntry | undefined, bytes: Buffer, changed: boolean): void {
  const db = c.db;
  let target: Entry | undefined = entry;
  if (changed) {
    const value = bytes.toString('latin1');
    if (entry === undefined) target = db.set(key, value, NO_DEADLINE);
    else db.replaceValue(entry, value);
  }
  if (target !== undefined) db.setStringForm(target, StringForm.Raw);
}

/** SETBIT key offset value: replies the bit's old value. */
function setbit(c: Client, argv: string[]): void {
  const key = argv[1]!;
  const offset = bitOffset(c, argv[2]!);
  if (offset === undefined) return;
  const on = parseI64(argv[3]!);
  if (on !== 0 && on !== 1) {
    c.reply.error(ERR_BIT_VALUE);
    return;
  }
  const entry = c.db.get(key);
  if (entry !== undefined && !c.db.isString(entry)) {
    c.reply.error(ERR_WRONGTYPE);
    return;
  }
  const old = entry === undefined ? undefined : c.db.stringOf(entry);
  const byte = Math.floor(offset / 8);
  const mask = 1 << (7 - (offset % 8));
  const current = old !== undefined && byte < old.length ? old.charCodeAt(byte) : 0;
  const was = (current & mask) !== 0 ? 1 : 0;
  const grows = old === undefined || byte >= old.length;
  if (grows && byte + 1 > MAX_STRING) {
    c.reply.error(errStringTooLongForHost(MAX_STRING));
    return;
  }
  if (grows || was !== on) {
    const base = old ?? '';
    const head = byte < base.length ? base.slice(0, byte) : base + '\0'.repeat(byte - base.length);
    const next = head + String.fromCharCode(on ? current | mask : current & ~mask) + base.slice(byte + 1);
    const db = c.db;
    let target: Entry;
    if (entry === undefined) target = db.set(key, next, NO_DEADLINE);
    else {
      db.replaceValue(entry, next);
      target = entry;
    }
    db.setStringForm(target, StringForm.Raw);
    c.server.keyspace.notify('$', 'setbit', key, db);
  } else if (entry !== undefined) {
    c.db.setStringForm(entry, StringForm.Raw);
  }
  c.reply.integer(was);
}

/** GETBIT key offset */
function getbit(c: Client, argv: string[]): void {
  const offset = bitOffset(c, argv[2]!);
  if (offset === undefined) return;
  const entry = readString(c, argv[1]!);
  if (entry === null) return;
  const byte = Math.floor(offset / 8);
  const db = c.db;
  if (entry === undefined || byte >= db.stringLength(entry)) {
    c.reply.integer(0);
    return;
  }
  // One byte read where the value is stored: no string of the whole value.
  const bytes = db.stringView(entry);
  c.reply.integer((bytes[db.store.viewStart + byte]! >> (7 - (offset % 8))) & 1);
}

/**
 * The byte or bit range a BITCOUNT/BITPOS start and end select, as bitops.c computes it:
 * negative indexes count from the end, both are clamped into the string. Returned in
 * bits: [first, last], empty when first > last.
 */
function bitRange(length: number, start: number, end: number, isBit: boolean): [number, number] {
  const total = isBit ? length * 8 : length;
  if (start < 0) start = total + start;
  if (end < 0) end = total + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  if (start > end) return [1, 0];
  return isBit ? [start, end] : [start * 8, end * 8 + 7];
}

/** An int64 argument as a number (bigints beyond 2^53 only matter by their sign here). */
function int64Arg(c: Client, arg: string): number | undefined {
  const v = parseI64(arg);
  if (v === undefined) {
    c.reply.error(ERR_NOT_INTEGER);
    return undefined;
  }
  return Number(v);
}

/** BYTE or BIT (case-insensitive); undefined after a syntax error. */
function unitArg(c: Client, arg: string): boolean | undefined {
  const unit = optionName(arg);
  if (unit === 'bit') return true;
  if (unit === 'byte') return false;
  c.reply.error(ERR_SYNTAX);
  return undefined;
}

/** Number of set bits of s in bits [first, last]. */
function countBits(s: string, first: number, last: number): number {
  // Bit positions reach 2^32: divided, not shifted (shifts work on int32).
  let n = 0;
  const firstByte = Math.floor(first / 8);
  const lastByte = Math.floor(last / 8);
  for (let i = firstByte; i <= lastByte; i++) {
    let b = s.charCodeAt(i);
    if (i === firstByte) b &= 0xff >> (first % 8);
    if (i === lastByte) b &= (0xff << (7 - (last % 8))) & 0xff;
    n += POPCOUNT[b]!;
  }
  return n;
}

/** BITCOUNT key [start end [BYTE | BIT]] */
function bitcount(c: Client, argv: string[]): void {
  const entry = readString(c, argv[1]!);
  if (entry === null) return;
  if (entry === undefined) {
    c.reply.integer(0);
    return;
  }
  const s = c.db.stringOf(entry);
  let first = 0;
  let last = s.length * 8 - 1;
  if (argv.length === 4 || argv.length === 5) {
    const start = int64Arg(c, argv[2]!);
    if (start === undefined) return;
    const end = int64Arg(c, argv[3]!);
    if (end === undefined) return;
    if (start < 0 && end < 0 && start > end) {
      c.reply.integer(0);
      return;
    }
    let isBit = false;
    if (argv.length === 5) {
      const unit = unitArg(c, argv[4]!);
      if (unit === undefined) return;
      isBit = unit;
    }
    [first, last] = bitRange(s.length, start, end, isBit);
  } else if (argv.length !== 2) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  c.reply.integer(first > last ? 0 : countBits(s, first, last));
}

/** The first bit equal to `bit` in bits [first, last] of s, or -1. */
function findBit(s: string, bit: number, first: number, last: number): number {
  const skip = bit ? 0 : 0xff;
  for (let pos = first; pos <= last; ) {
    const byte = s.charCodeAt(Math.floor(pos / 8));
    if (pos % 8 === 0 && pos + 7 <= last && byte === skip) {
      pos += 8;
      continue;
    }
    if (((byte >> (7 - (pos % 8))) & 1) === bit) return pos;
    pos++;
  }
  return -1;
}

/**
 * BITPOS key bit [start [end [BYTE | BIT]]]
 * The first bit set to `bit` in the range. Looking for 0 without an end, a string of
 * ones answers the position just past the range (the string is taken as padded with
 * zeros); with an end given, -1.
 */
function bitpos(c: Client, argv: string[]): void {
  const bitArg = parseI64(argv[2]!);
  if (bitArg === undefined) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  if (bitArg !== 0 && bitArg !== 1) {
    c.reply.error(ERR_BIT_ARGUMENT);
    return;
  }
  const bit = bitArg;
  const entry = c.db.read(argv[1]!);
  if (entry === undefined) {
    c.reply.integer(bit ? -1 : 0);
    return;
  }
  if (!c.db.isString(entry)) {
    c.reply.error(ERR_WRONGTYPE);
    return;
  }
  const s = c.db.stringOf(entry);
  let first = 0;
  let last = s.length * 8 - 1;
  let endGiven = false;
  if (argv.length >= 4 && argv.length <= 6) {
    const start = int64Arg(c, argv[3]!);
    if (start === undefined) return;
    let isBit = false;
    if (argv.length === 6) {
      const unit = unitArg(c, argv[5]!);
      if (unit === undefined) return;
      isBit = unit;
    }
    let end = isBit ? s.length * 8 + 7 : s.length - 1;
    if (argv.length >= 5) {
      const e = int64Arg(c, argv[4]!);
      if (e === undefined) return;
      end = e;
      endGiven = true;
    }
    [first, last] = bitRange(s.length, start, end, isBit);
  } else if (argv.length !== 3) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  if (first > last) {
    c.reply.integer(-1);
    return;
  }
  const pos = findBit(s, bit, first, last);
  if (pos >= 0 || bit === 1 || endGiven) c.reply.integer(pos);
  // Looking for a zero in ones to the end of the string: the first padding bit after the
  // last byte of the range.
  else c.reply.integer((last - (last % 8)) + 8);
}

const enum BitOp {
  And,
  Or,
  Xor,
  Not,
}

/**
 * BITOP AND|OR|XOR|NOT destkey key [key ...]
 * Missing keys are empty strings, shorter strings are padded with zeros; the result is
 * as long as the longest and replaces destkey (dropping its TTL), or deletes it when
 * every source is empty. Replies the result's length.
 */
function bitop(c: Client, argv: string[]): void {
  const name = optionName(argv[1]!);
  const op = name === 'and' ? BitOp.And : name === 'or' ? BitOp.Or : name === 'xor' ? BitOp.Xor : name === 'not' ? BitOp.Not : undefined;
  if (op === undefined) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  if (op === BitOp.Not && argv.length !== 4) {
    c.reply.error(ERR_BITOP_NOT);
    return;
  }
  const db = c.db;
  const sources: string[] = [];
  let maxLength = 0;
  for (let j = 3; j < argv.length; j++) {
    const entry = db.read(argv[j]!);
    if (entry === undefined) {
      sources.push('');
      continue;
    }
    if (!c.db.isString(entry)) {
      c.reply.error(ERR_WRONGTYPE);
      return;
    }
    const source = db.stringOf(entry);
    sources.push(source);
    if (source.length > maxLength) maxLength = source.length;
  }
  const dest = argv[2]!;
  const keyspace = c.server.keyspace;
  if (maxLength === 0) {
    if (db.delete(dest)) keyspace.notify('g', 'del', dest, db);
    c.reply.integer(0);
    return;
  }
  const out = Buffer.alloc(maxLength);
  const first = sources[0]!;
  out.write(first, 0, first.length, 'latin1');
  if (op === BitOp.Not) {
    for (let i = 0; i < maxLength; i++) out[i] = ~out[i]! & 0xff;
  } else {
    const other = Buffer.allocUnsafe(maxLength);
    for (let k = 1; k < sources.length; k++) {
      const s = sources[k]!;
      other.fill(0);
      other.write(s, 0, s.length, 'latin1');
      for (let i = 0; i < maxLength; i++) {
        if (op === BitOp.And) out[i]! &= other[i]!;
        else if (op === BitOp.Or) out[i]! |= other[i]!;
        else out[i]! ^= other[i]!;
      }
    }
  }
  const entry = db.set(dest, out.toString('latin1'), NO_DEADLINE);
  db.setStringForm(entry, StringForm.Raw);
  keyspace.notify('$', 'set', dest, db);
  c.reply.integer(maxLength);
}

const enum FieldOp {
  Get,
  Set,
  Incrby,
}

const enum Overflow {
  Wrap,
  Sat,
  Fail,
}

interface BitfieldOp {
  op: FieldOp;
  signed: boolean;
  bits: number;
  offset: number;
  value: bigint;
  overflow: Overflow;
}

/** i1..i64 or u1..u63; undefined after replying the error. */
function bitfieldType(c: Client, arg: string): { signed: boolean; bits: number } | undefined {
  const kind = arg.charCodeAt(0);
  const bits = parseI64(arg.slice(1));
  const signed = kind === 0x69; /* i */
  if ((kind !== 0x69 && kind !== 0x75) /* u */ || typeof bits !== 'number' || bits < 1 || bits > (signed ? 64 : 63)) {
    c.reply.error(ERR_BITFIELD_TYPE);
    return undefined;
  }
  return { signed, bits };
}

/** The unsigned integer in `bits` bits from bit `offset` of buf (zeros past its end). */
function readField(buf: Buffer, length: number, offset: number, bits: number): bigint {
  let v = 0n;
  for (let i = 0; i < bits; i++) {
    const pos = offset + i;
    const at = Math.floor(pos / 8);
    const byte = at < length ? buf[at]! : 0;
    v = (v << 1n) | BigInt((byte >> (7 - (pos % 8))) & 1);
  }
  return v;
}

function writeField(buf: Buffer, offset: number, bits: number, value: bigint): void {
  for (let i = 0; i < bits; i++) {
    const pos = offset + i;
    const bit = Number((value >> BigInt(bits - 1 - i)) & 1n);
    const at = Math.floor(pos / 8);
    const mask = 1 << (7 - (pos % 8));
    buf[at] = bit ? buf[at]! | mask : buf[at]! & ~mask;
  }
}

/**
 * old + incr in a field of `bits` bits, as bitops.c checks{Signed,Unsigned}BitfieldOverflow:
 * the result, or null when it overflows under FAIL. WRAP keeps the low bits (two's
 * complement for signed fields), SAT stops at the bound crossed. A SET is an increment
 * of 0 from the value set, which may itself be out of range.
 */
function addField(value: bigint, incr: bigint, signed: boolean, bits: number, overflow: Overflow): bigint | null {
  const b = BigInt(bits);
  const max = signed ? (1n << (b - 1n)) - 1n : (1n << b) - 1n;
  const min = signed ? -max - 1n : 0n;
  // An unsigned field takes the int64 argument as C's uint64_t does: -1 is 2^64 - 1.
  const sum = signed ? value + incr : BigInt.asUintN(64, value) + incr;
  if (sum >= min && sum <= max) return sum;
  if (overflow === Overflow.Fail) return null;
  if (overflow === Overflow.Sat) return sum > max ? max : min;
  return signed ? BigInt.asIntN(bits, sum) : BigInt.asUintN(bits, sum);
}

/**
 * BITFIELD key [GET type offset | SET type offset value | INCRBY type offset increment |
 *   OVERFLOW WRAP|SAT|FAIL ...]
 * BITFIELD_RO key [GET type offset ...]
 * Every operation is parsed before any runs; each answers in order (null for one that
 * OVERFLOW FAIL stopped). A write creates or grows the string to its highest bit first.
 */
function bitfieldGeneric(c: Client, argv: string[], readonlyCommand: boolean): void {
  const ops: BitfieldOp[] = [];
  let overflow = Overflow.Wrap;
  let writes = false;
  let highest = 0;
  for (let j = 2; j < argv.length; j++) {
    const remaining = argv.length - j - 1;
    const sub = optionName(argv[j]!);
    let op: FieldOp;
    if (sub === 'get' && remaining >= 2) op = FieldOp.Get;
    else if (sub === 'set' && remaining >= 3) op = FieldOp.Set;
    else if (sub === 'incrby' && remaining >= 3) op = FieldOp.Incrby;
    else if (sub === 'overflow' && remaining >= 1) {
      const kind = optionName(argv[++j]!);
      if (kind === 'wrap') overflow = Overflow.Wrap;
      else if (kind === 'sat') overflow = Overflow.Sat;
      else if (kind === 'fail') overflow = Overflow.Fail;
      else {
        c.reply.error(ERR_BITFIELD_OVERFLOW);
        return;
      }
      continue;
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
    const type = bitfieldType(c, argv[j + 1]!);
    if (type === undefined) return;
    const offset = bitOffset(c, argv[j + 2]!, type.bits);
    if (offset === undefined) return;
    let value = 0n;
    if (op !== FieldOp.Get) {
      writes = true;
      if (offset + type.bits - 1 > highest) highest = offset + type.bits - 1;
      const v = parseI64(argv[j + 3]!);
      if (v === undefined) {
        c.reply.error(ERR_NOT_INTEGER);
        return;
      }
      value = BigInt(v);
    }
    ops.push({ op, signed: type.signed, bits: type.bits, offset, value, overflow });
    j += op === FieldOp.Get ? 2 : 3;
  }
  const key = argv[1]!;
  let buf: Buffer;
  let length: number;
  let target: { entry: StringEntry | undefined; bytes: Buffer; grew: boolean } | null = null;
  if (!writes) {
    const entry = c.db.read(key);
    if (entry !== undefined && !c.db.isString(entry)) {
      c.reply.error(ERR_WRONGTYPE);
      return;
    }
    const s = entry === undefined ? '' : c.db.stringOf(entry);
    buf = Buffer.from(s, 'latin1');
    length = buf.length;
  } else {
    if (readonlyCommand) {
      c.reply.error(ERR_BITFIELD_RO);
      return;
    }
    target = bitsForWrite(c, key, highest);
    if (target === null) return;
    buf = target.bytes;
    length = buf.length;
  }
  const reply = c.reply;
  reply.arrayHeader(ops.length);
  let changes = 0;
  for (const o of ops) {
    const raw = readField(buf, length, o.offset, o.bits);
    const old = o.signed ? BigInt.asIntN(o.bits, raw) : raw;
    if (o.op === FieldOp.Get) {
      reply.integer(old);
      continue;
    }
    const next = o.op === FieldOp.Incrby ? addField(old, o.value, o.signed, o.bits, o.overflow) : addField(o.value, 0n, o.signed, o.bits, o.overflow);
    if (next === null) {
      reply.nullBulk();
      continue;
    }
    reply.integer(o.op === FieldOp.Incrby ? next : old);
    writeField(buf, o.offset, o.bits, next);
    if (target!.grew || next !== old) changes++;
  }
  if (target !== null) {
    // The string was created or grown to its highest bit whatever the operations did.
    storeBits(c, key, target.entry, buf, changes > 0 || target.grew);
    if (changes > 0) c.server.keyspace.notify('$', 'setbit', key, c.db);
  }
}

function bitfield(c: Client, argv: string[]): void {
  bitfieldGeneric(c, argv, false);
}

function bitfieldRo(c: Client, argv: string[]): void {
  bitfieldGeneric(c, argv, true);
}

export const BITMAP_COMMANDS: CommandDefinition[] = [
  /** SETBIT key offset value */
  cmd('setbit', 4, 'write denyoom', { acl: 'bitmap', keys: [key(1, 'RW access update')] }, setbit),
  /** GETBIT key offset */
  cmd('getbit', 3, 'readonly fast', { acl: 'bitmap', keys: [key(1, 'RO access')] }, getbit),
  /** BITCOUNT key [start end [BYTE | BIT]] */
  cmd('bitcount', -2, 'readonly', { acl: 'bitmap', keys: [key(1, 'RO access')] }, bitcount),
  /** BITPOS key bit [start [end [BYTE | BIT]]] */
  cmd('bitpos', -3, 'readonly', { acl: 'bitmap', keys: [key(1, 'RO access')] }, bitpos),
  /** BITOP operation destkey key [key ...] */
  cmd('bitop', -4, 'write denyoom', { acl: 'bitmap', keys: [key(2, 'OW update'), key(3, 'RO access', { last: -1 })] }, bitop),
  /** BITFIELD key [GET encoding offset | [OVERFLOW WRAP | SAT | FAIL] SET encoding offset value | INCRBY encoding offset increment ...] */
  cmd('bitfield', -2, 'write denyoom', { acl: 'bitmap', keys: [key(1, 'RW access update variable_flags', { notes: 'This command allows both access and modification of the key' })] }, bitfield),
  /** BITFIELD_RO key [GET encoding offset ...] */
  cmd('bitfield_ro', -2, 'readonly fast', { acl: 'bitmap', keys: [key(1, 'RO access')] }, bitfieldRo),
];

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LuaOpaque, LuaTable, type LuaValue } from '../../src/scripting/lib/lua-value.js';
import { stringFormat } from '../../src/scripting/lib/string-format.js';
import { createBitLibrary } from '../../src/scripting/lib/bit.js';
import { createStructLibrary } from '../../src/scripting/lib/struct.js';
import { CMSGPACK_FIELDS, createCmsgpackLibrary } from '../../src/scripting/lib/cmsgpack.js';
import { createCjson } from '../../src/scripting/lib/cjson.js';
import { numberToString, str2number } from '../../src/scripting/lib/lua-aux.js';
import { LuaOracle, deser, luaLiteral, ours, type Outcome } from '../helpers/lua-oracle.js';

/**
 * The Lua libraries Redis ships (cjson, cmsgpack, struct, bit) and Lua 5.1's string.format,
 * rewritten in TypeScript, against redis-server 7.0.15 running the same calls through
 * EVAL (test/helpers/lua-oracle.ts): results compared exactly in a serialized form (tables
 * as sorted pairs unless a test says it uses Redis's `next` order), errors by their text
 * with luaL_error's position.
 */

let oracle: LuaOracle;
beforeAll(async () => {
  oracle = await LuaOracle.start();
});
afterAll(async () => {
  await oracle?.stop();
});

/** Compares many calls at once: each case is the Lua call text and our function's call. */
async function compareAll(cases: { lua: string; ts: () => LuaValue[]; setup?: string; teardown?: string }[]): Promise<void> {
  const theirs = await oracle.runMany(cases.map((c) => ({ script: LuaOracle.scriptFor(c.lua, c.setup ?? '', false, c.teardown ?? '') })));
  const mismatches: string[] = [];
  cases.forEach((c, i) => {
    const mine: Outcome = ours(c.ts);
    const ref = theirs[i]!;
    if (JSON.stringify(mine) !== JSON.stringify(ref)) mismatches.push(`${c.lua}: redis ${JSON.stringify(ref)} ours ${JSON.stringify(mine)}`);
  });
  expect(mismatches).toEqual([]);
}

/** string.format(...) with these arguments on both sides. */
function fmtCase(...args: LuaValue[]) {
  return { lua: `string.format(${args.map(luaLiteral).join(', ')})`, ts: () => stringFormat(args) };
}

describe('string.format', () => {
  test('integer conversions print a 64-bit long, with flags, width and precision', async () => {
    const nums = [0, 1, -1, 7, 3.7, -3.7, 255, 2 ** 31, -(2 ** 31) - 1, 2 ** 32 + 5, 2 ** 53, 2 ** 63, -(2 ** 63), 2 ** 64, 1e300, -1e300, NaN, Infinity, -Infinity, -0];
    const specs = ['%d', '%i', '%o', '%u', '%x', '%X', '%5d', '%-5d|', '%05d', '%+d', '% d', '%.3d', '%.0d', '%#o', '%#x', '%#X', '%#.0o', '%08.3x', '%-+8d|', '%c', '%5c|', '%-5c|', '%99d', '%.99d'];
    const cases = [];
    for (const s of specs) for (const n of nums) cases.push(fmtCase(s, n));
    await compareAll(cases);
  });

  test('float conversions: exact values rounded half to even, inf and nan', async () => {
    const nums = [999.5, 99.5, 99.95, 9.5, 999999.4, 0, -0, 0.5, 1.5, 2.5, -2.5, 0.125, 0.1, 1 / 3, 2 / 3, 100, 123456789, 1e15, 1e16, 1e-5, 1e-4, 0.0001234, 123.456, 1e21, 1e22, 1.7976931348623157e308, 5e-324, 2.2250738585072014e-308, 9.995, 0.000999999, 999999.5, 9999995, NaN, -NaN, Infinity, -Infinity];
    const specs = ['%e', '%E', '%f', '%g', '%G', '%.0e', '%.0f', '%.0g', '%.1g', '%.14g', '%.17g', '%.99f', '%#.0f', '%#g', '%#.3g', '%+f', '% e', '%012.3f', '%-12.3e|', '%012g', '%20.10G', '%.3f', '%.2e', '%.20e', '%+.3g', '%010f'];
    const cases = [];
    for (const s of specs) for (const n of nums) cases.push(fmtCase(s, n));
    await compareAll(cases);
  });

  test('strings: %s %q, NUL bytes, precision and the 100-byte rule', async () => {
    const strs = ['', 'abc', 'a\0b', '\0', 'x'.repeat(99) + '\0z', 'y'.repeat(100) + '\0z', 'quote"back\\slash\nnl\rcr\0nul\x01\xff', 12, 1.5, 1e100];
    const specs = ['%s', '%5s|', '%-5s|', '%.2s', '%05s', '%q', '[%10.3s]', '%.0s'];
    const cases = [];
    for (const s of specs) for (const v of strs) cases.push(fmtCase(s, v));
    await compareAll(cases);
  });

  test('errors: missing arguments, bad types, bad formats', async () => {
    await compareAll([
      fmtCase('%d'),
      fmtCase('%y', 1),
      fmtCase('%y'),
      fmtCase('abc%'),
      fmtCase('abc%', 1),
      fmtCase('%', 1),
      fmtCase('%%'),
      fmtCase('100%% %d %s', 5, 'x'),
      fmtCase('%d', 'abc'),
      fmtCase('%d', '0x10'),
      fmtCase('%d', ' 12 '),
      fmtCase('%d', '1e3'),
      fmtCase('%d', '5\0junk'),
      fmtCase('%s', true),
      fmtCase('%s', null),
      fmtCase('%d', null),
      fmtCase('%-+ #0d', 1),
      fmtCase('%-+ #0-d', 1),
      fmtCase('%123d', 1),
      fmtCase('%.123f', 1),
      fmtCase('%12.345f', 1),
      fmtCase('%a', 1),
      fmtCase('%ld', 1),
      fmtCase('%5', 1),
      fmtCase('%.', 1),
      fmtCase('%d %d', 1),
      fmtCase(12),
      fmtCase(1.5),
      fmtCase(),
      fmtCase(null),
      fmtCase('a\0b%d\0c', 5),
      fmtCase('%\0', 5),
    ]);
  });
});

describe('bit', () => {
  const bit = createBitLibrary();
  const call = (name: string, ...args: LuaValue[]) => ({ lua: `bit.${name}(${args.map(luaLiteral).join(', ')})`, ts: () => bit[name]!(args) });
  const nums: LuaValue[] = [0, 1, -1, 1.5, 2.5, -2.5, 0.49999999999999994, 2 ** 31, 2 ** 32, 2 ** 32 + 1, -(2 ** 31) - 1, 2 ** 51, 2 ** 52 + 3, 2 ** 53 + 7, 2 ** 64, 1e300, -1e300, NaN, Infinity, -Infinity, 0x12345678, '0x10', ' 7 ', '1e2', 'abc', true, null];

  test('unary operations on many values, including numeric strings and non-numbers', async () => {
    const cases = [];
    for (const fn of ['tobit', 'bnot', 'bswap', 'tohex']) for (const n of nums) cases.push(call(fn, n));
    await compareAll(cases);
  });

  test('binary and variadic operations, shifts and rotations with counts past 31', async () => {
    const cases = [];
    const pairs: [LuaValue, LuaValue][] = [[0x12345678, 4], [-1, 1], [-1, 31], [-1, 32], [0x80000000, 33], [1, -1], [0xf0f0f0f0, 0], [5, 2.5], [5, 'x'], [1, null]];
    for (const fn of ['lshift', 'rshift', 'arshift', 'rol', 'ror', 'band', 'bor', 'bxor']) for (const [a, b] of pairs) cases.push(call(fn, a, b));
    cases.push(call('band'), call('bor', 1), call('bxor', 1, 2, 4, 8, 16), call('band', 0xff, 0x0f, 0x3c), call('bor', 1, 2, 'z'), call('lshift', 1));
    for (const n of [0, 1, 2, -2, 8, 9, -8, -9, 100, '3']) cases.push(call('tohex', 0xabcdef12, n));
    await compareAll(cases);
  });
});

describe('struct', () => {
  const struct = createStructLibrary();
  const call = (name: string, ...args: LuaValue[]) => ({ lua: `struct.${name}(${args.map(luaLiteral).join(', ')})`, ts: () => struct[name]!(args) });

  test('pack: every integer size and order, floats, strings, padding and alignment', async () => {
    const ints = [0, 1, -1, 127, 128, -128, 255, 256, 65535, -32769, 2 ** 31, 2 ** 32 - 1, -(2 ** 31), 2 ** 53, 2 ** 63, 2 ** 64, -(2 ** 63), 1e300, -1e300, 3.9, -3.9, NaN, Infinity, -Infinity];
    const fmts = ['b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I', 'i1', 'i2', 'i3', 'i8', 'I9', 'i16', 'I32', '>h', '>i3', '>I9', '<l', '>L'];
    const cases = [];
    for (const f of fmts) for (const n of ints) cases.push(call('pack', f, n));
    for (const n of [0, 1.5, -2.25, 1e-40, 3.4e38, 1e39, 0.1, NaN, -Infinity]) cases.push(call('pack', 'f', n), call('pack', '>f', n), call('pack', 'd', n), call('pack', '>d', n));
    cases.push(
      call('pack', 'c5', 'hello world'),
      call('pack', 'c0', 'whole'),
      call('pack', 'c', 'xy'),
      call('pack', 's', 'zero\0terminated'),
      call('pack', 'c5', 'ab'),
      call('pack', 'c3', 12),
      call('pack', 'bxh', 1, 2),
      call('pack', '!bh', 1, 2),
      call('pack', '!bl', 1, 2),
      call('pack', '!4bd', 1, 2),
      call('pack', '!2 b i3 c2 d', 1, 2, 'ab', 0.5),
      call('pack', '!8bi3', 1, 2),
      call('pack', '!bi5', 1, 2),
      call('pack', '!3b', 1),
      call('pack', '!0b', 1),
      call('pack', 'i33', 1),
      call('pack', 'i99999999999', 1),
      call('pack', 'c99999999999', 'x'),
      call('pack', 'z', 1),
      call('pack', '5', 1),
      call('pack', 'b'),
      call('pack', 'b', 'x'),
      call('pack', 'b', '12'),
      call('pack', 's', new LuaTable()),
      call('pack', 'b\0z', 1),
      call('pack', ''),
      call('pack'),
      call('pack', 7, 1),
    );
    await compareAll(cases);
  });

  test('unpack: sizes, signs, orders, offsets, c0, s, and every error', async () => {
    const data = '\x01\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8b\x8c\x8d\x8e\x8f\x90\x91\x92\x93\x94\x95\x96\x97\x98\x99\x9a\x9b\x9c\x9d\x9e\x9f\xa0\xa1\xa2';
    const cases = [];
    for (const f of ['b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I', 'i3', 'I3', 'i7', 'i9', 'I9', 'i12', 'i16', 'I16', 'i32', 'I32', 'f', 'd', '>h', '>i3', '>I9', '>i16', '>d', '>f', '!hbl', '!4bd', 'x b', 'c3', 'c0']) {
      cases.push(call('unpack', f, data), call('unpack', f, data, 3), call('unpack', f, data, 30));
    }
    cases.push(
      call('unpack', 'bc0', '\x03abcdef'),
      call('unpack', 'c1c0', '3abcdef'),
      call('unpack', 'c0', 'abc'),
      call('unpack', 'c1c0', 'xabc'),
      call('unpack', 'bc0', '\x09abc'),
      call('unpack', 's', 'ab\0cd'),
      call('unpack', 'ss', 'ab\0cd\0'),
      call('unpack', 's', 'abcd'),
      call('unpack', 'b', 'a', 0),
      call('unpack', 'b', 'a', -1),
      call('unpack', '', 'a', -5),
      call('unpack', 'b', 'a', 2),
      call('unpack', 'b', 'ab', 2.9),
      call('unpack', 'b', 'ab', '2'),
      call('unpack', 'b', 'ab', 'x'),
      call('unpack', 'b'),
      call('unpack', 'z', 'abc'),
      call('unpack', '!3b', 'abc'),
      call('unpack', 'i40', 'abc'),
      call('unpack', 'b'.repeat(9000), 'x'.repeat(9000)),
    );
    await compareAll(cases);
  });

  test('size: fixed sizes with alignment, and the options it refuses or ignores', async () => {
    await compareAll(['b', 'bhlT', '!bhlT', '!4bd', '!2bi3', 'c10', 'i32', 'xxxx', 's', 'c0', 'c', '!5', 'z', 'zq9', '<>!', 'i99', '', 'b\0s'].map((f) => call('size', f)).concat([call('size'), call('size', 12)]));
  });

  test('pack then unpack, random formats and values (seeded)', async () => {
    const rand = seeded(1405);
    const cases = [];
    for (let k = 0; k < 300; k++) {
      let fmt = rand() < 0.3 ? '!' : '';
      const vals: LuaValue[] = [];
      const items = 1 + Math.floor(rand() * 6);
      for (let j = 0; j < items; j++) {
        const opt = pick(rand, ['b', 'B', 'h', 'H', 'l', 'L', 'i', 'I', 'i3', 'I5', 'f', 'd', 'c4', 's', '>', '<', 'x']);
        fmt += opt;
        if ('bBhHlLiI'.includes(opt[0]!)) vals.push(Math.floor((rand() - 0.5) * 2 ** (rand() * 64)));
        else if (opt === 'f' || opt === 'd') vals.push((rand() - 0.5) * 10 ** Math.floor(rand() * 20 - 10));
        else if (opt === 'c4' || opt === 's') vals.push('abcdefgh'.slice(0, 4 + Math.floor(rand() * 4)));
      }
      const packed = struct.pack!([fmt, ...vals])[0] as string;
      cases.push(call('pack', fmt, ...vals), call('unpack', fmt, packed));
    }
    await compareAll(cases);
  });
});

/** A small seeded generator (mulberry32), so random cases repeat run to run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rand: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rand() * xs.length)]!;
}

/**
 * Values as Redis's Lua holds them, in Redis's `next` order: each literal is built in
 * Redis and serialized in `next` order, then parsed back (what the bridge would hand our
 * libraries for that table).
 */
async function inRedisOrder(literals: string[]): Promise<LuaValue[]> {
  const outs = await oracle.runMany(literals.map((l) => ({ script: LuaOracle.scriptFor(l, '', true), argv: [] })));
  return outs.map((o, i) => {
    if (!o.ok) throw new Error(`cannot build ${literals[i]}: ${o.values[0]}`);
    return deser(o.values[0]!);
  });
}

/** Random Lua values: numbers of every kind, binary strings, arrays, maps, nesting (seeded). */
function randomValue(rand: () => number, depth = 0): LuaValue {
  const r = rand();
  if (r < 0.1) return rand() < 0.5;
  if (r < 0.35) {
    const kinds = [
      () => Math.floor((rand() - 0.5) * 2 ** Math.floor(rand() * 66)),
      () => (rand() - 0.5) * 10 ** Math.floor(rand() * 40 - 20),
      () => Math.fround((rand() - 0.5) * 1000),
      () => pick(rand, [0, -0, 127, 128, -32, -33, 255, 256, 65535, 65536, -32768, -32769, 2 ** 32 - 1, 2 ** 32, -(2 ** 31), -(2 ** 31) - 1, 2 ** 63, -(2 ** 63), 2 ** 64, Infinity, -Infinity, 0.1, 1e-310]),
    ];
    return pick(rand, kinds)();
  }
  if (r < 0.65 || depth >= 4) {
    const len = pick(rand, [0, 1, 5, 31, 32, 255, 256, 300]);
    let s = '';
    for (let i = 0; i < len; i++) s += String.fromCharCode(Math.floor(rand() * 256));
    return s;
  }
  const t = new LuaTable();
  const n = Math.floor(rand() * (rand() < 0.1 ? 40 : 6));
  if (rand() < 0.5) {
    for (let i = 1; i <= n; i++) t.set(i, randomValue(rand, depth + 1) as Exclude<LuaValue, null>);
  } else {
    const seen = new Set<unknown>();
    for (let i = 0; i < n; i++) {
      const k: Exclude<LuaValue, null> = rand() < 0.5 ? `k${Math.floor(rand() * 100)}` : Math.floor(rand() * 50) - 10 + (rand() < 0.2 ? 0.5 : 0);
      if (seen.has(k)) continue;
      seen.add(k);
      t.set(k, randomValue(rand, depth + 1) as Exclude<LuaValue, null>);
    }
  }
  return t;
}

describe('cmsgpack', () => {
  const mp = createCmsgpackLibrary();
  const call = (name: string, ...args: LuaValue[]) => ({ lua: `cmsgpack.${name}(${args.map(luaLiteral).join(', ')})`, ts: () => mp[name]!(args) });

  test('pack: integer widths, float 32 vs 64, strings by length, booleans, nil and unsupported types', async () => {
    const values: LuaValue[] = [0, -0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53, 2 ** 63 - 1024, 2 ** 63, 2 ** 64, -1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31), -(2 ** 31) - 1, -(2 ** 63), -(2 ** 63) - 4096, 0.5, 0.1, 1.5e300, 3.4e38, 1e-45, Infinity, -Infinity, NaN, '', 'a', 'x'.repeat(31), 'x'.repeat(32), 'y'.repeat(255), 'z'.repeat(256), 'w'.repeat(65535), 'v'.repeat(65536), true, false, null, new LuaOpaque('function'), new LuaOpaque('lightuserdata')];
    await compareAll([...values.map((v) => call('pack', v)), call('pack', 1, 'two', 3.5, null, true), call('pack')]);
  });

  test('pack: tables as arrays or maps (maps in Redis next order), nesting limited to 16', async () => {
    const literals = [
      '{}',
      '{1, 2, 3}',
      "{1, 2, nil, 4}",
      "{[1] = 'a', [2] = 'b', [4] = 'd'}",
      "{[2] = 'b'}",
      "{[1.5] = 'x'}",
      "{[0] = 'z'}",
      "{[-1] = 'z', [1] = 'a'}",
      "{[2147483647] = 1}",
      "{[2147483648] = 1}",
      "{a = 1, b = {c = {1, 2, {d = true}}}, [3] = 'x', [true] = false}",
      '(function() local t = {} for i = 1, 20 do t[i] = i * i end return t end)()',
      '(function() local t = {} for i = 1, 70000 do t[i] = i % 7 end return t end)()',
      "(function() local t = {} for i = 1, 20 do t['k' .. i] = i end return t end)()",
      '(function() local t = {} local c = t for i = 1, 20 do c[1] = {} c = c[1] end return t end)()',
      '{string.len, cjson.null, coroutine.create(function() end)}',
    ];
    const inputs = await inRedisOrder(literals);
    // Cycles (ended by the nesting limit) are built on our side by hand: one table, reached again.
    const selfArray = new LuaTable();
    selfArray.set(1, 1);
    selfArray.set(2, selfArray);
    const selfMap = new LuaTable();
    selfMap.set('self', selfMap);
    await compareAll([
      ...literals.map((l, i) => ({ lua: `cmsgpack.pack(${l})`, ts: () => mp.pack!([inputs[i]!]) })),
      { lua: 'cmsgpack.pack((function() local t = {1} t[2] = t return t end)())', ts: () => mp.pack!([selfArray]) },
      { lua: 'cmsgpack.pack((function() local t = {} t.self = t return t end)())', ts: () => mp.pack!([selfMap]) },
    ]);
  });

  test('unpack, unpack_one, unpack_limit: every type byte, offsets, truncation and bad formats', async () => {
    const hex = (h: string) => Buffer.from(h.replace(/ /g, ''), 'hex').toString('latin1');
    const blobs = [
      '', hex('00'), hex('7f'), hex('e0'), hex('ff'), hex('cc ff'), hex('cd ffff'), hex('ce ffffffff'), hex('cf ffffffffffffffff'), hex('cf 7fffffffffffffff'), hex('cf 0000000000000001'),
      hex('d0 80'), hex('d1 8000'), hex('d2 80000000'), hex('d3 8000000000000000'), hex('d3 ffffffffffffffff'),
      hex('ca 3fc00000'), hex('ca 7f800000'), hex('ca 7fc00000'), hex('cb 3ff8000000000000'), hex('cb fff8000000000000'), hex('cb 0000000000000001'),
      hex('c0'), hex('c2'), hex('c3'), hex('c1'), hex('c4 01 61'), hex('c7 01 01 61'), hex('d4 01 01'),
      hex('a3 616263'), hex('d9 03 616263'), hex('da 0003 616263'), hex('db 00000003 616263'), hex('a3 6162'), hex('d9'), hex('db 00000005 6162'),
      hex('93 01 02 03'), hex('93 01 c0 03'), hex('dc 0002 01 02'), hex('dd 00000002 01 02'), hex('93 01 02'),
      hex('82 a1 61 01 a1 62 02'), hex('82 a1 61 01 a1 61 02'), hex('81 a1 61 c0'), hex('81 c0 01'), hex('81 cb 7ff8000000000000 01'), hex('81 01 c0'),
      hex('de 0001 01 02'), hex('df 00000001 01 02'), hex('81 91 01 a1 78'), hex('01 02 03 a1 61 93 01 02 03'), hex('01 02 ff c1 05'),
      hex('9f') , hex('dd ffffffff 01'),
      hex('01').repeat(7998), hex('01').repeat(7999), hex('01').repeat(8000),
    ];
    const cases = [];
    for (const b of blobs) cases.push(call('unpack', b), call('unpack_one', b), call('unpack_one', b, 1), call('unpack_limit', b, 2), call('unpack_limit', b, 1, 2));
    cases.push(
      call('unpack', hex('01 02'), 'extra'),
      call('unpack_one', hex('01 02'), -1),
      call('unpack_one', hex('01 02'), 3),
      call('unpack_one', hex('01 02'), 2),
      call('unpack_one', hex('01 02'), 'x'),
      call('unpack_limit', hex('01 02'), -1),
      call('unpack_limit', hex('01 02'), 0),
      call('unpack_limit', hex('01 02'), 0, 0),
      call('unpack_limit', hex('01 02'), 0, 1),
      call('unpack_limit', hex('01 02'), 1.9, 0.5),
      call('unpack_limit', hex('01 02')),
      call('unpack_limit', hex('01 02'), 5, 2 ** 33 + 1),
      call('unpack'),
      call('unpack', new LuaTable()),
      call('unpack_one'),
      call('unpack', 12),
    );
    // Deep nesting against the 8000-slot C stack: only the count of results is compared
    // (serializing 4000 nested tables would overflow the serializer's own recursion).
    for (const b of [hex('91').repeat(3997) + hex('01'), hex('91').repeat(3998) + hex('01'), hex('91').repeat(4000) + hex('01'), hex('81 01').repeat(2665) + hex('01'), hex('81 01').repeat(2667) + hex('01'), hex('01 91').repeat(2665) + hex('01')]) {
      for (const fn of ['unpack', 'unpack_one'] as const) {
        cases.push({ lua: `select('#', cmsgpack.${fn}(${luaLiteral(b)}))`, ts: () => [mp[fn]!([b]).length] });
      }
    }
    await compareAll(cases);
  });

  test('random values: our pack gives Redis bytes, and both unpack them alike (seeded round trips)', async () => {
    const rand = seeded(14);
    const values = Array.from({ length: 250 }, () => randomValue(rand));
    const inputs = await inRedisOrder(values.map(luaLiteral));
    const packed = inputs.map((v) => mp.pack!([v])[0] as string);
    await compareAll(values.map((v, i) => ({ lua: `cmsgpack.pack(${luaLiteral(v)})`, ts: () => mp.pack!([inputs[i]!]) })));
    await compareAll(packed.map((p) => call('unpack', p)));
  });
});

describe('cjson', () => {
  // cjson's settings live in Redis's Lua state across scripts: each script puts them back.
  const DEFAULTS = 'cjson.encode_sparse_array(false, 2, 10) cjson.encode_max_depth(1000) cjson.decode_max_depth(1000) cjson.encode_invalid_numbers(false) cjson.decode_invalid_numbers(true) cjson.encode_number_precision(14) cjson.encode_keep_buffer(true)';
  /** A Redis-side and our-side call of cjson.NAME(args), after the same settings calls (on a new instance on our side). */
  const call = (name: string, args: LuaValue[], settings: [string, LuaValue[]][] = []) => ({
    teardown: DEFAULTS,
    setup: settings.map(([s, a]) => `cjson.${s}(${a.map(luaLiteral).join(', ')})`).join(' '),
    lua: `cjson.${name}(${args.map(luaLiteral).join(', ')})`,
    ts: () => {
      const cj = createCjson();
      for (const [s, a] of settings) cj.functions[s]!(a);
      return cj.functions[name]!(args);
    },
  });

  test('decode: every token, escapes, numbers strtod reads, nesting and every parse error', async () => {
    const texts = [
      '{}', '[]', '[1,2,3]', '{"a":1,"b":[true,false,null],"c":{"d":"e"}}', '  [ 1 , 2 ]  ', '"str"', '12', '-0', '1.5e3', '1E-2', '0.1', '123456789012345678901234567890',
      '"\\u0041\\u00e9\\u20ac\\ud83d\\ude00"', '"\\u0000x"', '"\\b\\f\\n\\r\\t\\/\\\\\\""', '"\\x"', '"\\u12"', '"\\ud800"', '"\\udc00\\ud800"', '"\\ud800\\u0041"', '"\\ud800x"', '"abc', '"a\x01b\xffc"',
      'nan', 'NaN', '-nan', 'inf', '-Infinity', 'infinity', '+1', '0x1F', '-0x10', '01', '-', '1.', '.5', '1e', '1e+', 'truex', 'tru', 'nul', 'null', 'true', 'false',
      '[1,]', '[,1]', '[1 2]', '{"a"}', '{"a":}', '{"a":1,}', '{1:2}', '{"a":1 "b":2}', '[', '{', '', ' ', '\t\r\n', 'x', '@', '"a"x', '[1]]', '{"a":1,"a":2}', '{"a":null}',
      '[1]\0trailing', '\0[1]', 'a\0', '[[[[[[[[[[1]]]]]]]]]]', '['.repeat(1000) + ']'.repeat(1000), '['.repeat(1001) + ']'.repeat(1001), '{"a":'.repeat(1001) + '1' + '}'.repeat(1001),
      '[1e400]', '[-1e400]', '[1e-400]', '[4.9e-324]', '[0.30000000000000004]',
    ];
    await compareAll(texts.map((t) => call('decode', [t])));
  });

  test('encode: numbers (%.14g), strings (escapes, raw bytes), invalid numbers', async () => {
    const values: LuaValue[] = [0, -0, 1, -1, 0.1, 1 / 3, 1e14, 1e15, 123456789012345, 2 ** 53, 1e300, 5e-324, 1.5, 100, NaN, Infinity, -Infinity, '', 'plain', 'quote" back\\ slash/ ctrl\x00\x01\x1f\x7f \b\f\n\r\t high\x80\xff', true, false, null, new LuaOpaque('lightuserdata'), new LuaOpaque('function')];
    const cases = values.map((v) => call('encode', [v]));
    for (const v of [NaN, Infinity, -Infinity, 0.1, 1 / 3]) {
      for (const mode of [true, false, 'on', 'off', 'null']) cases.push(call('encode', [v], [['encode_invalid_numbers', [mode]]]));
      for (const p of [1, 3, 14]) cases.push(call('encode', [v], [['encode_number_precision', [p]], ['encode_invalid_numbers', ['on']]]));
    }
    cases.push(call('encode', []), call('encode', [1, 2]));
    await compareAll(cases);
    await oracle.flush();
  });

  test('encode: arrays, holes, sparse arrays, objects in Redis next order, bad keys, depth', async () => {
    const literals = [
      '{}', '{1, 2, 3}', '{1, nil, 3}', "{[1] = 'a', [3] = 'c'}", "{[1] = 'a', [11] = 'k'}", "{[20] = 1}", "{[10] = 1}", "{[0] = 1}", "{[-1] = 1}", "{[1.5] = 1}",
      "{[2^31] = 1}", "{[2^40] = 1, [2] = 2}", "{[1/0] = 1}", "{[1] = 1, x = 2}", "{a = 1}", "{a = {b = {c = {}}}}", "{[true] = 1}", "{[{}] = 1}",
      "{['k\\0ey'] = '\\1'}", "{[0.1] = 'point'}", "{x = string.len}", "{cjson.null, cjson.null}",
      '(function() local t = {} for i = 1, 30 do t["k" .. i] = i end return t end)()',
      '(function() local t = {} for i = 1, 30 do t[i * 3] = i end return t end)()',
      '(function() local t = {} local c = t for i = 1, 999 do c[1] = {} c = c[1] end return t end)()',
      '(function() local t = {} local c = t for i = 1, 1000 do c[1] = {} c = c[1] end return t end)()',
      "(function() local t = {} local c = t for i = 1, 1000 do c.k = {} c = c.k end return t end)()",
    ];
    const inputs = await inRedisOrder(literals);
    const sparse: [string, LuaValue[]][][] = [[], [['encode_sparse_array', [true]]], [['encode_sparse_array', [false, 0]]], [['encode_sparse_array', [null, 1, 0]]], [['encode_sparse_array', ['on', 3, 2]]]];
    const cases = [];
    for (const s of sparse) {
      for (let i = 0; i < literals.length; i++) {
        const c = call('encode', [inputs[i]!], s);
        cases.push({ ...c, lua: `cjson.encode(${literals[i]})` });
      }
    }
    await compareAll(cases);
    await oracle.flush();
  });

  test('settings: values they answer, ranges, options, argument errors, and their effect on depth', async () => {
    const settings: [string, LuaValue[]][] = [
      ['encode_sparse_array', []], ['encode_sparse_array', [true, 5, 20]], ['encode_sparse_array', ['off', null, 3]], ['encode_sparse_array', ['maybe']], ['encode_sparse_array', [1]],
      ['encode_sparse_array', [null, -1]], ['encode_sparse_array', [null, 'x']], ['encode_sparse_array', [null, 2.9]], ['encode_sparse_array', [null, null, 2 ** 32 + 4]], ['encode_sparse_array', [1, 2, 3, 4]],
      ['encode_max_depth', []], ['encode_max_depth', [5]], ['encode_max_depth', [0]], ['encode_max_depth', ['7']], ['encode_max_depth', [1, 2]], ['encode_max_depth', [2 ** 31]],
      ['decode_max_depth', [3]], ['decode_max_depth', [-3]], ['encode_number_precision', [0]], ['encode_number_precision', [15]], ['encode_number_precision', [5]],
      ['encode_keep_buffer', []], ['encode_keep_buffer', [false]], ['encode_keep_buffer', ['on']], ['encode_keep_buffer', ['yes']], ['encode_keep_buffer', [new LuaTable()]],
      ['encode_invalid_numbers', []], ['encode_invalid_numbers', ['null']], ['encode_invalid_numbers', [true]], ['encode_invalid_numbers', ['nul\0l']],
      ['decode_invalid_numbers', []], ['decode_invalid_numbers', [false]], ['decode_invalid_numbers', ['null']],
    ];
    const cases = settings.map(([name, args]) => call(name, args));
    cases.push(
      call('encode', [deepArray(5)], [['encode_max_depth', [5]]]),
      call('encode', [deepArray(6)], [['encode_max_depth', [5]]]),
      call('decode', ['[[[1]]]'], [['decode_max_depth', [3]]]),
      call('decode', ['[[[[1]]]]'], [['decode_max_depth', [3]]]),
      call('decode', ['{"a":{"b":{"c":{}}}}'], [['decode_max_depth', [3]]]),
      call('decode', ['[nan, inf, 0x10, 01, +1]'], [['decode_invalid_numbers', [false]]]),
      call('decode', ['[-0x10]'], [['decode_invalid_numbers', [false]]]),
      call('decode', ['[1, 2, -inf]'], [['decode_invalid_numbers', ['off']]]),
    );
    await compareAll(cases);
    await oracle.flush();
  });

  test('nesting against the 8000-slot Lua stack when the depth limits are raised', async () => {
    const cases = [];
    for (const n of [3997, 3998, 3999, 4000, 7997, 7998, 7999]) {
      cases.push({ ...call('decode', ['['.repeat(n) + ']'.repeat(n)], [['decode_max_depth', [100000]]]), lua: `select('#', cjson.decode(${luaLiteral('['.repeat(n) + ']'.repeat(n))}))`, ts: () => { const cj = createCjson(); cj.functions.decode_max_depth!([100000]); return [cj.functions.decode!(['['.repeat(n) + ']'.repeat(n)]).length]; } });
      cases.push({ ...call('decode', [], [['decode_max_depth', [100000]]]), lua: `select('#', cjson.decode(${luaLiteral('{"a":'.repeat(n) + '1' + '}'.repeat(n))}))`, ts: () => { const cj = createCjson(); cj.functions.decode_max_depth!([100000]); return [cj.functions.decode!(['{"a":'.repeat(n) + '1' + '}'.repeat(n)]).length]; } });
    }
    for (const n of [2664, 2665, 2666, 3997, 3998, 3999, 7996, 7997, 7998]) {
      cases.push({ teardown: DEFAULTS, setup: 'cjson.encode_max_depth(100000)', lua: `#cjson.encode((function() local t = {} local c = t for i = 1, ${n} do c[1] = {} c = c[1] end return t end)())`, ts: () => { const cj = createCjson(); cj.functions.encode_max_depth!([100000]); return [(cj.functions.encode!([deepArray(n + 1)])[0] as string).length]; } });
      cases.push({ teardown: DEFAULTS, setup: 'cjson.encode_max_depth(100000)', lua: `#cjson.encode((function() local t = {} local c = t for i = 1, ${n} do c.k = {} c = c.k end return t end)())`, ts: () => { const cj = createCjson(); cj.functions.encode_max_depth!([100000]); return [(cj.functions.encode!([deepObject(n + 1)])[0] as string).length]; } });
    }
    await compareAll(cases);
    await oracle.flush();
  });

  test('random values: encode gives Redis bytes (tables in Redis next order), decode of those bytes alike (seeded)', async () => {
    const rand = seeded(1414);
    const values = Array.from({ length: 250 }, () => randomValue(rand));
    const inputs = await inRedisOrder(values.map(luaLiteral));
    const cases = values.map((v, i) => ({ ...call('encode', [inputs[i]!], [['encode_sparse_array', [true]], ['encode_invalid_numbers', [true]]]), lua: `cjson.encode(${luaLiteral(v)})` }));
    await compareAll(cases);
    await oracle.flush();
    const cj = createCjson();
    cj.functions.encode_sparse_array!([true]);
    cj.functions.encode_invalid_numbers!([true]);
    const texts = inputs.map((v) => {
      try {
        return cj.functions.encode!([v])[0] as string;
      } catch {
        return '[]';
      }
    });
    await compareAll(texts.map((t) => call('decode', [t])));
  });
});

/** {{{...}}}: n tables, each the first element of the one before. */
function deepArray(n: number): LuaTable {
  const root = new LuaTable();
  let c = root;
  for (let i = 1; i < n; i++) {
    const next = new LuaTable();
    c.set(1, next);
    c = next;
  }
  return root;
}

/** {k = {k = ...}}: n tables. */
function deepObject(n: number): LuaTable {
  const root = new LuaTable();
  let c = root;
  for (let i = 1; i < n; i++) {
    const next = new LuaTable();
    c.set('k', next);
    c = next;
  }
  return root;
}

describe('Lua 5.1 coercions the libraries use', () => {
  test("string -> number as lua_tonumber reads it (tonumber's own rule): strtod forms, hex, spaces, NUL", async () => {
    const strs = ['10', ' 10 ', '10 x', '0x10', '0X1f', '-0x10', '0x', '0x1p4', '0x1.8', '1e5', '1e', '.5', '5.', '-.5', '+5', 'inf', '-inf', 'nan', 'infinity', 'INF', '1e400', '-1e400', '1e-400', '5\0junk', '\t\n 7', '', ' ', 'abc', '0x1g', '0xffffffffffffffffff', '1.7976931348623157e308', '4.9e-324', '2.4703282292062328e-324', '0x1.fffffffffffff8p1023'];
    await compareAll(strs.map((s) => ({ lua: `tonumber(${luaLiteral(s)})`, ts: () => [str2number(s)] })));
  });

  test('number -> string as tostring prints it (%.14g)', async () => {
    const nums = [0, -0, 1, -1, 0.1, 1 / 3, 1e14, 1e15, 123456789012345, 2 ** 53, 2 ** 63, 1e300, 5e-324, 1.5, 100, 1e-5, 12345678901234.5, Infinity, -Infinity, NaN];
    await compareAll(nums.map((n) => ({ lua: `tostring(${luaLiteral(n)})`, ts: () => [numberToString(n)] })));
  });
});

describe('the module tables', () => {
  test('each library has the functions and fields Redis gives it (names as a set, string fields by value)', async () => {
    const tableOf = (fields: Record<string, LuaValue>, functions: Record<string, unknown>, extra: string[] = []) => {
      const t = new LuaTable();
      for (const [k, v] of Object.entries(fields)) t.set(k, v!);
      for (const k of [...Object.keys(functions), ...extra]) t.set(k, new LuaOpaque('function'));
      return t;
    };
    const listing = (lib: string) => `(function() local t = {} for k, v in pairs(${lib}) do t[k] = type(v) == 'function' and string.len or v end return t end)()`;
    const cj = createCjson();
    await compareAll([
      // cjson.new is a function too: the bridge answers it with another createCjson().
      { lua: listing('cjson'), ts: () => [tableOf({ ...cj.fields, null: cj.null }, cj.functions, ['new'])] },
      { lua: listing('cmsgpack'), ts: () => [tableOf(CMSGPACK_FIELDS, createCmsgpackLibrary())] },
      { lua: listing('struct'), ts: () => [tableOf({}, createStructLibrary())] },
      { lua: listing('bit'), ts: () => [tableOf({}, createBitLibrary())] },
    ]);
  });
});

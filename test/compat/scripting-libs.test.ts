import { describe, test } from 'vitest';
import { pairSuite } from './harness.js';

/**
 * The libraries a script sees (cjson, cmsgpack, struct, bit, string.format), called from
 * EVAL on redis-server 7.0.15 and on lapse, replies compared byte for byte: the same calls
 * test/compat/lua-libs.test.ts makes on the TypeScript functions directly, here through
 * the engine's bridge, which adds what only the Lua state has (the function's name at the
 * call site in argument errors, the caller's line in luaL_error's, cjson.null as the one
 * NULL lightuserdata, tables walked in `next` order and built back in entry order).
 */
const p = pairSuite();

async function evalExact(body: string, ...args: string[]): Promise<void> {
  await p.exact('EVAL', body, '0', ...args);
}

describe('each library is there, with its fields', () => {
  test('names and types', async () => {
    // Not by pairs(): lapse's library tables are read-only proxies that pairs sees as empty
    // (sandbox.ts); each name Redis's tables hold is looked up instead.
    const names: Record<string, string[]> = {
      cjson: ['encode', 'decode', 'encode_keep_buffer', 'encode_max_depth', 'decode_max_depth', 'encode_number_precision',
        'encode_sparse_array', 'decode_invalid_numbers', 'encode_invalid_numbers', 'new', 'null', '_NAME', '_VERSION'],
      cmsgpack: ['pack', 'unpack', 'unpack_one', 'unpack_limit', '_NAME', '_VERSION', '_COPYRIGHT', '_DESCRIPTION'],
      struct: ['pack', 'unpack', 'size'],
      bit: ['tobit', 'tohex', 'bnot', 'band', 'bor', 'bxor', 'lshift', 'rshift', 'arshift', 'rol', 'ror', 'bswap'],
    };
    for (const [lib, fields] of Object.entries(names)) {
      // exact: each field's type, in this order
      await evalExact(`local t = {} for i, k in ipairs({${fields.map((f) => `'${f}'`).join(', ')}}) do t[i] = k .. ':' .. type(${lib}[k]) end return t`);
    }
    await evalExact("return {cjson._NAME, cjson._VERSION, cmsgpack._NAME, cmsgpack._VERSION, type(string.format)}"); // exact
  });
});

describe('cjson', () => {
  test('encode and decode', async () => {
    const bodies = [
      "return cjson.encode({1, 2, 3, 'x', true, false})",
      "return cjson.encode({a = 1})",
      "return cjson.encode({})",
      "return cjson.encode('a\\\"b\\\\c/\\0\\1\\127\\200')",
      "return cjson.encode(1/3)", "return cjson.encode(1e300)", "return cjson.encode(-0)", "return cjson.encode(2^53)",
      "return cjson.encode(cjson.null)", "return cjson.encode({cjson.null, 1})",
      "return cjson.encode({[1] = 1, [2] = 2, [4] = 4})",
      "return cjson.encode({[1] = 1, [20] = 2})",
      "local ok, e = pcall(cjson.encode, {[1] = 1, [20] = 2}) return e",
      "local ok, e = pcall(cjson.encode, function() end) return e",
      "local ok, e = pcall(cjson.encode, 0/0) return e",
      "local t = {} t[1] = t local ok, e = pcall(cjson.encode, t) return e",
      "local t = cjson.decode(ARGV[1]) return {t.a, t.b[1], t.b[2], t.c == cjson.null, type(t.c)}",
      "return cjson.encode(cjson.decode(ARGV[1]))",
      "local ok, e = pcall(cjson.decode, '{\"a\":') return e",
      "local ok, e = pcall(cjson.decode, '[1,2') return e",
      "local ok, e = pcall(cjson.decode) return e",
      "return cjson.decode('\"\\\\u00e9\\\\ud83d\\\\ude00\"')",
      "return cjson.decode('[1e5, -0.5, 123456789012345678]')",
      "cjson.encode_sparse_array(true) return cjson.encode({[1] = 1, [5] = 5})",
      "return cjson.encode_max_depth(3)",
      "cjson.encode_max_depth(2) local ok, e = pcall(cjson.encode, {{{1}}}) return e",
      "return {cjson.encode_number_precision(4), cjson.encode(1/3)}",
    ];
    for (const body of bodies) await evalExact(body, '{"a":1,"b":[true,false],"c":null,"d":"\\u0041"}'); // exact, each body
  });
  test('argument errors name the function as Lua does at the call site', async () => {
    await evalExact('return cjson.encode()');                                    // exact: error with the script's line
    await evalExact('local enc = cjson.encode\nreturn enc(1, 2)');               // exact: named by the local
    await evalExact('local ok, e = pcall(cjson.decode, 5, 6) return e');         // exact: through pcall, '?'
    await evalExact("return string.format('%d', 'x')");                          // exact
    await evalExact("local s = 'x%dy' return s:format('z')");                    // exact: method call, argument numbering
    await evalExact("return string.format('%y', 1)");                            // exact: invalid option
  });
});

describe('cjson settings belong to the Lua state', () => {
  test('they last across scripts, cjson.new has its own, SCRIPT FLUSH resets them', async () => {
    await p.exact('SCRIPT', 'FLUSH');                                             // exact
    await evalExact('return cjson.encode(1/3)');                                  // exact: the default precision, 14
    await evalExact('cjson.encode_number_precision(3) return cjson.encode(1/3)'); // exact
    await evalExact('return cjson.encode(1/3)');                                  // exact: still 3, in a later script
    await evalExact('local c = cjson.new() c.encode_number_precision(5) return {c.encode(1/3), cjson.encode(1/3), type(c.new)}'); // exact
    await p.exact('SCRIPT', 'FLUSH');                                             // exact
    await evalExact('return cjson.encode(1/3)');                                  // exact: a new state, 14 again
  });
});

describe('cmsgpack', () => {
  test('pack, unpack and their errors', async () => {
    const bodies = [
      "return cmsgpack.pack(1, -1, 127, 128, 65536, 2^32, 2^53, -2^40, 0.5, 1e300, 'abc', true, false)",
      "return cmsgpack.pack({1, 2, 3}, {a = 1}, {})",
      "return {cmsgpack.unpack(cmsgpack.pack(1, 'two', {3, 4}, 0.25))}",
      "local t = cmsgpack.unpack(cmsgpack.pack({a = {b = {c = 1}}})) return t.a.b.c",
      "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}",
      "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}",
      "local ok, e = pcall(cmsgpack.pack) return e",
      "local ok, e = pcall(cmsgpack.unpack, '\\196') return e",
      "return cmsgpack.pack(ARGV[1])",
    ];
    for (const body of bodies) await evalExact(body, 'x'.repeat(300));         // exact, each body
  });
});

describe('struct and bit', () => {
  test('struct', async () => {
    const bodies = [
      "return struct.pack('>I2<i4bBhHlLfd', 1, -2, -3, 250, -1000, 60000, -2^40, 2^40, 0.5, 1/3)",
      "return {struct.unpack('>I2<i4', struct.pack('>I2<i4', 513, -7))}",
      "return struct.size('!4 i1 i8 d')",
      "return {struct.unpack('s', 'ab\\0cd')}",
      "return struct.pack('c0', 'abc')",
      "local ok, e = pcall(struct.pack, 'q', 1) return e",
      "local ok, e = pcall(struct.unpack, 'i4', 'ab') return e",
    ];
    for (const body of bodies) await evalExact(body);                           // exact, each body
  });
  test('bit', async () => {
    await evalExact('return {bit.band(0xff, 0x0f), bit.bor(1, 2), bit.bxor(3, 1), bit.bnot(0), bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-256, 4)}'); // exact
    await evalExact("return {bit.tohex(255), bit.tohex(-1, 4), bit.tohex(255, -2), bit.rol(1, 33), bit.ror(1, 1), bit.bswap(0x12345678), bit.tobit(2^32 + 5)}"); // exact
  });
});

describe('string.format with Redis x86-64 C types', () => {
  test('64-bit %d and friends', async () => {
    await evalExact("return string.format('%d %i %5.2f %x %X %o %c %e %g %q %s %%', 2^53, -2^31 - 1, 3.14159, 2^40, 255, 8, 65, 1e300, 1e-5, 'a\\nb\\0', 12)"); // exact
    await evalExact("return string.format('%d', 3.7)");                          // exact: truncated
    await evalExact("return string.rep('ab', 3, 'x')");                          // exact: 5.1 ignores a third argument
  });
});

import { describe, expect, test } from 'vitest';
import { LuaOpaque, LuaRaisedError, LuaTable } from '../../src/scripting/lib/lua-value.js';
import { LuaArgError } from '../../src/scripting/lib/lua-aux.js';
import { createCjson } from '../../src/scripting/lib/cjson.js';
import { createCmsgpackLibrary } from '../../src/scripting/lib/cmsgpack.js';
import { createStructLibrary } from '../../src/scripting/lib/struct.js';
import { createBitLibrary } from '../../src/scripting/lib/bit.js';
import { stringFormat } from '../../src/scripting/lib/string-format.js';

/**
 * What the bridge relies on in the TypeScript Lua libraries, beyond the texts the
 * differential tests compare (test/compat/lua-libs.test.ts): per-instance state, the null
 * sentinel's identity, and the parts of an error the bridge rebuilds (argument number,
 * message, whether luaL_error's position applies).
 */

function raised(f: () => unknown): LuaRaisedError {
  try {
    f();
  } catch (e) {
    if (e instanceof LuaRaisedError) return e;
    throw e;
  }
  throw new Error('expected a Lua error');
}

describe('cjson instances', () => {
  test('settings belong to one instance and last across its calls', () => {
    const a = createCjson();
    const b = createCjson();
    expect(a.functions.encode_number_precision!([3])).toEqual([3]);
    expect(a.functions.encode!([1 / 3])).toEqual(['0.333']);
    expect(a.functions.encode!([2 / 3])).toEqual(['0.667']);
    expect(b.functions.encode!([1 / 3])).toEqual(['0.33333333333333']);
    expect(a.functions.encode_number_precision!([])).toEqual([3]);
  });

  test('JSON null decodes to the instance null value, and every lightuserdata encodes as null', () => {
    const shared = new LuaOpaque('lightuserdata');
    const a = createCjson(shared);
    const t = a.functions.decode!(['[null, {"k": null}]'])[0] as LuaTable;
    expect(t.get(1)).toBe(shared);
    expect((t.get(2) as LuaTable).get('k')).toBe(shared);
    expect(a.null).toBe(shared);
    expect(createCjson().functions.encode!([new LuaOpaque('lightuserdata')])).toEqual(['null']);
  });

  test('an object keeps the order the table is walked in (next order given by the bridge)', () => {
    const t = new LuaTable();
    t.set('z', 1);
    t.set('a', 2);
    expect(createCjson().functions.encode!([t])).toEqual(['{"z":1,"a":2}']);
  });
});

describe('errors carry what the bridge needs', () => {
  test('luaL_argerror: argument number, extra message, default function name; position applies', () => {
    const e = raised(() => stringFormat(['%d']));
    expect(e).toBeInstanceOf(LuaArgError);
    expect([(e as LuaArgError).argIndex, (e as LuaArgError).extraMessage, (e as LuaArgError).functionName, e.where]).toEqual([2, 'no value', 'format', true]);
    const s = raised(() => createStructLibrary().pack!(['c5', 'ab'])) as LuaArgError;
    expect([s.argIndex, s.message]).toEqual([3, "bad argument #3 to 'pack' (string too short)"]);
    const m = raised(() => createCmsgpackLibrary().pack!([])) as LuaArgError;
    expect([m.argIndex, m.message]).toEqual([0, "bad argument #0 to 'pack' (MessagePack pack needs input.)"]);
    const b = raised(() => createBitLibrary().band!([])) as LuaArgError;
    expect(b.message).toBe("bad argument #1 to 'band' (number expected, got no value)");
  });

  test("lua_settable's errors have no position; luaL_error's have one", () => {
    const nilKey = raised(() => createCmsgpackLibrary().unpack!([Buffer.from('81c001', 'hex').toString('latin1')]));
    expect([nilKey.message, nilKey.where]).toEqual(['table index is nil', false]);
    const bad = raised(() => createCmsgpackLibrary().unpack!(['\xc1']));
    expect([bad.message, bad.where]).toEqual(['Bad data format in input.', true]);
    const parse = raised(() => createCjson().functions.decode!(['[1,']));
    expect([parse.message, parse.where]).toEqual(['Expected value but found T_END at character 4', true]);
  });
});

describe('deep input does not use the JavaScript stack', () => {
  test('cjson and cmsgpack decode and encode thousands of levels', () => {
    const cj = createCjson();
    cj.functions.decode_max_depth!([100000]);
    cj.functions.encode_max_depth!([100000]);
    const deep = cj.functions.decode!(['['.repeat(7000) + ']'.repeat(7000)])[0];
    expect((cj.functions.encode!([deep])[0] as string).length).toBe(14000);
    const mp = createCmsgpackLibrary();
    const nested = mp.unpack!(['\x91'.repeat(3990) + '\x01']);
    expect(mp.pack!(nested)[0]).toBe('\x91'.repeat(16) + '\xc0');
  });
});

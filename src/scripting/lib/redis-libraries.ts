import { createBitLibrary } from './bit.js';
import { createCjson } from './cjson.js';
import { CMSGPACK_FIELDS, createCmsgpackLibrary } from './cmsgpack.js';
import type { LuaLibFunction } from './lua-aux.js';
import type { LuaOpaque, LuaValue } from './lua-value.js';
import { stringFormat } from './string-format.js';
import { createStructLibrary } from './struct.js';

/** A library as the engine's bridge registers it: a global table of functions and fields. */
export interface LibrarySpec {
  readonly name: string;
  readonly functions: Readonly<Record<string, LuaLibFunction>>;
  readonly fields?: Readonly<Record<string, LuaValue>>;
  /** Functions returning a new instance of the library (cjson.new). */
  readonly constructors?: Readonly<Record<string, () => LibrarySpec>>;
}

/**
 * The libraries Redis 7.0 builds into its Lua, for one Lua state: cjson (its settings
 * belong to the state, so a new state, after SCRIPT FLUSH, starts from the defaults, as
 * Redis's new lua_State does), cmsgpack, struct, bit, and string.format with Redis's
 * x86-64 C types in place of the engine's wasm32 ones. `nullValue` is the state's NULL
 * lightuserdata (cjson.null).
 */
export function redisLibraries(nullValue: LuaOpaque): LibrarySpec[] {
  const cjsonLibrary = (): LibrarySpec => {
    const cjson = createCjson(nullValue);
    return { name: 'cjson', functions: cjson.functions, fields: { ...cjson.fields, null: cjson.null }, constructors: { new: cjsonLibrary } };
  };
  return [
    cjsonLibrary(),
    { name: 'cmsgpack', functions: createCmsgpackLibrary(), fields: CMSGPACK_FIELDS },
    { name: 'struct', functions: createStructLibrary() },
    { name: 'bit', functions: createBitLibrary() },
    { name: 'string', functions: { format: stringFormat } },
  ];
}

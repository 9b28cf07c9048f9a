import { LuaOpaque, LuaRaisedError, LuaTable, type LuaValue } from './lib/lua-value.js';
import { LUA_TABLE_TOO_DEEP } from './script-errors.js';
import { LuaArgError } from './lib/lua-aux.js';
import {
  type LuaWasm,
  LUA_GLOBALSINDEX,
  T_BOOLEAN,
  T_LIGHTUSERDATA,
  T_NIL,
  T_NUMBER,
  T_STRING,
  T_TABLE,
  LUA_REGISTRYINDEX,
  TYPE_NAMES,
} from './lua-wasm.js';

/**
 * The bridge between the Lua stack and the libraries written in TypeScript (cjson,
 * cmsgpack, struct, bit, string.format): each library is a table of functions over
 * LuaValue (lua-value.ts), registered here as C functions of a Lua table.
 *
 * Contract of a library function: it takes its arguments as LuaValues (a table argument
 * walked with lua_next, so its entries come in the order Lua's `next` gives them, as the
 * C libraries Redis ships see them) and returns its results as LuaValues (a LuaTable built
 * in its entries' order, with its metatable if it has one), or throws LuaRaisedError to
 * raise a Lua error (with the caller's position, as luaL_error, unless `where` is false).
 * Any other exception is a bug: it is raised in Lua as an error naming the function, so a
 * script fails and the server goes on.
 */
export type LuaLibraryFunction = (args: LuaValue[]) => LuaValue[];

/** A library: its Lua name and its functions by name (and constant fields, if any). */
export interface LuaLibrary {
  readonly name: string;
  readonly functions: Readonly<Record<string, LuaLibraryFunction>>;
  readonly fields?: Readonly<Record<string, LuaValue>>;
  /**
   * Functions that return a new instance of a library as a table (cjson.new: a cjson
   * with settings of its own), by name.
   */
  readonly constructors?: Readonly<Record<string, () => LuaLibrary>>;
}

/**
 * How deep a table argument may nest: each level holds a few Lua stack slots and a
 * TypeScript frame. 2,000 is past the depth any library Redis ships accepts (cjson stops
 * at 1,000, cmsgpack at 16), so each library still reports its own limit.
 */
export const MAX_TABLE_DEPTH = 2000;

/**
 * Sets global `lib.name` to a table of the library's functions, or adds them to the
 * existing table of that name (string.format goes into `string`). Run while the state is
 * set up, before the sandbox locks the globals.
 */
export function registerLibrary(lua: LuaWasm, L: number, lib: LuaLibrary): void {
  const m = lua.m;
  lua.getField(L, LUA_GLOBALSINDEX, lib.name);
  if (m._lua_type(L, -1) !== T_TABLE) {
    m._lua_settop(L, -2);
    m._lua_createtable(L, 0, Object.keys(lib.functions).length);
    m._lua_pushvalue(L, -1);
    lua.setField(L, LUA_GLOBALSINDEX, lib.name);
  }
  fillLibraryTable(lua, L, lib);
  m._lua_settop(L, -2);
}

/** Where a C function finds its first upvalue (lua_upvalueindex(1)). */
const UPVALUE_1 = LUA_GLOBALSINDEX - 1;

/**
 * Sets the library's functions, fields and constructors into the table on top of the
 * stack. The instance is numbered in lua.libraries and each function carries that number
 * as an upvalue: one C function per library function name serves every instance (a
 * cjson.new gets its own settings without registering new functions with the engine),
 * and a new state (SCRIPT FLUSH) numbers its instances afresh.
 */
function fillLibraryTable(lua: LuaWasm, L: number, lib: LuaLibrary): void {
  const m = lua.m;
  const id = lua.libraries.push(lib) - 1;
  for (const name of Object.keys(lib.functions)) {
    const qualified = `${lib.name}.${name}`;
    m._lua_pushnumber(L, id);
    m._lua_pushcclosure(
      L,
      lua.cfunction(`lib:${qualified}`, (Lc) => {
        const instance = lua.libraries[m._lua_tonumber(Lc, UPVALUE_1)] as LuaLibrary;
        return callLibraryFunction(lua, Lc, qualified, instance.functions[name]!);
      }),
      1,
    );
    lua.setField(L, -2, name);
  }
  for (const [name, value] of Object.entries(lib.fields ?? {})) {
    const pushed = newPushedTables(lua, L);
    pushValue(lua, L, value, pushed);
    m._lua_remove(L, pushed.holder);
    lua.setField(L, -2, name);
  }
  for (const name of Object.keys(lib.constructors ?? {})) {
    m._lua_pushnumber(L, id);
    m._lua_pushcclosure(
      L,
      lua.cfunction(`lib:${lib.name}.${name}`, (Lc) => {
        const instance = lua.libraries[m._lua_tonumber(Lc, UPVALUE_1)] as LuaLibrary;
        const made = instance.constructors![name]!();
        m._lua_settop(Lc, 0);
        m._lua_createtable(Lc, 0, Object.keys(made.functions).length);
        fillLibraryTable(lua, Lc, made);
        return 1;
      }),
      1,
    );
    lua.setField(L, -2, name);
  }
}

/** A library function called from Lua: arguments in, results out, errors raised. */
function callLibraryFunction(lua: LuaWasm, L: number, qualifiedName: string, fn: LuaLibraryFunction): number {
  let failure: string | null = null;
  let where = true;
  let argError: LuaArgError | null = null;
  let results: LuaValue[] = [];
  try {
    const n = lua.m._lua_gettop(L);
    const seen = new Map<number, LuaTable>();
    const args: LuaValue[] = new Array(n);
    for (let i = 1; i <= n; i++) args[i - 1] = readValue(lua, L, i, seen, 0);
    results = fn(args);
  } catch (e) {
    if (e instanceof LuaArgError) {
      argError = e;
      failure = e.message;
    } else if (e instanceof LuaRaisedError) {
      failure = e.message;
      where = e.where;
    } else {
      failure = `internal error in ${qualifiedName}: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  // Raised outside the try: Lua's error unwinds through here by an exception of its own.
  if (failure !== null) {
    // luaL_argerror itself, so the function is named from its call site as Lua names it.
    if (argError !== null) return lua.argError(L, argError.argIndex, argError.extraMessage);
    if (where) return lua.raiseWhere(L, failure);
    lua.pushString(L, failure);
    return lua.raise(L);
  }
  lua.m._lua_settop(L, 0);
  if (lua.m._lua_checkstack(L, results.length + 8) === 0) return lua.raiseWhere(L, 'too many results');
  const pushed = newPushedTables(lua, L);
  for (const v of results) pushValue(lua, L, v, pushed);
  lua.m._lua_remove(L, pushed.holder);
  return results.length;
}

/**
 * The LuaValue of the stack value at idx. Tables are walked with lua_next (entries in
 * `next` order); a table met twice (by identity) is the same LuaTable; the metatable of a
 * table comes along. Throws LuaRaisedError past MAX_TABLE_DEPTH.
 */
export function readValue(lua: LuaWasm, L: number, idx: number, seen: Map<number, LuaTable>, depth: number): LuaValue {
  const m = lua.m;
  const abs = idx < 0 ? m._lua_gettop(L) + idx + 1 : idx;
  const t = m._lua_type(L, abs);
  switch (t) {
    case T_NIL:
      return null;
    case T_BOOLEAN:
      return m._lua_toboolean(L, abs) !== 0;
    case T_NUMBER:
      return m._lua_tonumber(L, abs);
    case T_STRING:
      return lua.toString(L, abs)!;
    case T_LIGHTUSERDATA:
      return m._lua_touserdata(L, abs) === 0 ? lua.lightNull : new LuaOpaque('lightuserdata');
    case T_TABLE: {
      const id = m._lua_topointer(L, abs);
      const known = seen.get(id);
      if (known !== undefined) return known;
      if (depth >= MAX_TABLE_DEPTH || m._lua_checkstack(L, 4) === 0) throw new LuaRaisedError(LUA_TABLE_TOO_DEEP);
      const table = new LuaTable();
      seen.set(id, table);
      // A read-only proxy (the sandbox's) is read as the table behind it, which is what
      // the script sees through it and what Redis's library would read.
      const top = m._lua_gettop(L);
      let src = abs;
      if (lua.proxyTargets !== 0) {
        m._lua_rawgeti(L, LUA_REGISTRYINDEX, lua.proxyTargets);
        m._lua_pushvalue(L, abs);
        m._lua_rawget(L, -2);
        if (m._lua_type(L, -1) === T_TABLE) src = top + 2;
      }
      m._lua_pushnil(L);
      while (m._lua_next(L, src) !== 0) {
        const key = readValue(lua, L, -2, seen, depth + 1);
        const value = readValue(lua, L, -1, seen, depth + 1);
        m._lua_settop(L, -2);
        table.entries.push([key as Exclude<LuaValue, null>, value as Exclude<LuaValue, null>]);
      }
      if (m._lua_getmetatable(L, src) !== 0) {
        const meta = readValue(lua, L, -1, seen, depth + 1);
        m._lua_settop(L, -2);
        if (meta instanceof LuaTable) table.metatable = meta;
      }
      m._lua_settop(L, top);
      return table;
    }
    default:
      return new LuaOpaque(TYPE_NAMES[t] ?? 'userdata');
  }
}

/**
 * Where pushValue keeps the tables it made, so that the same LuaTable met again is the
 * same Lua table: a holder table at a fixed stack index, and each LuaTable's slot in it.
 */
export interface PushedTables {
  readonly holder: number;
  readonly slots: Map<LuaTable, number>;
}

/** Pushes an empty holder for pushValue; remove it (lua_remove) when done. */
export function newPushedTables(lua: LuaWasm, L: number): PushedTables {
  lua.m._lua_createtable(L, 0, 0);
  return { holder: lua.m._lua_gettop(L), slots: new Map() };
}

/**
 * Pushes a LuaValue: a LuaTable becomes a new table with its entries set in order (and
 * its metatable); the same LuaTable twice is the same Lua table. A LuaOpaque cannot be
 * made again from TypeScript (but the state's NULL lightuserdata, lua.lightNull, is that
 * lightuserdata again), and a table nested past what the Lua stack holds cannot be
 * built: both are pushed as nil.
 */
export function pushValue(lua: LuaWasm, L: number, v: LuaValue, pushed: PushedTables): void {
  const m = lua.m;
  if (v === null) m._lua_pushnil(L);
  else if (typeof v === 'boolean') m._lua_pushboolean(L, v ? 1 : 0);
  else if (typeof v === 'number') m._lua_pushnumber(L, v);
  else if (typeof v === 'string') lua.pushString(L, v);
  else if (v === lua.lightNull) m._lua_pushlightuserdata(L, 0);
  else if (v instanceof LuaTable) {
    const slot = pushed.slots.get(v);
    if (slot !== undefined) {
      m._lua_rawgeti(L, pushed.holder, slot);
      return;
    }
    if (m._lua_checkstack(L, 4) === 0) {
      m._lua_pushnil(L);
      return;
    }
    m._lua_createtable(L, 0, v.entries.length);
    const abs = m._lua_gettop(L);
    const newSlot = pushed.slots.size + 1;
    pushed.slots.set(v, newSlot);
    m._lua_pushvalue(L, abs);
    m._lua_rawseti(L, pushed.holder, newSlot);
    for (const [key, value] of v.entries) {
      pushValue(lua, L, key, pushed);
      pushValue(lua, L, value, pushed);
      // A nil key (a table that could not be built) cannot be set: skipped.
      if (m._lua_type(L, -2) === T_NIL) m._lua_settop(L, -3);
      else m._lua_rawset(L, abs);
    }
    if (v.metatable !== null) {
      pushValue(lua, L, v.metatable, pushed);
      if (m._lua_type(L, -1) === T_TABLE) m._lua_setmetatable(L, abs);
      else m._lua_settop(L, -2);
    }
  } else m._lua_pushnil(L);
}

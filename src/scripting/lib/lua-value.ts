/**
 * Lua values as TypeScript sees them, for the parts of scripting written in TypeScript
 * that take or give Lua values (the cjson, cmsgpack, struct and bit libraries, string
 * formatting): the engine's bridge converts between these and the values on a Lua stack.
 *
 * - nil is null; booleans and numbers (Lua 5.1 numbers are doubles) are themselves.
 * - A Lua string is a latin1 JS string: one char per byte, as lapse holds every value.
 * - A table is a LuaTable: its entries in the order Lua's own `next` visits them, which
 *   is what the C libraries Redis ships see when they walk a table (cjson's key order
 *   in an encoded object is that order). A table reached twice is the same LuaTable.
 * - Anything else (a function, a coroutine, userdata) is a LuaOpaque naming its type,
 *   for the errors that name it ("Cannot serialise function: type not supported").
 */
export type LuaValue = null | boolean | number | string | LuaTable | LuaOpaque;

export class LuaTable {
  /** Key/value pairs, in `next` order when read from Lua; in insertion order when built for Lua. */
  readonly entries: [Exclude<LuaValue, null>, Exclude<LuaValue, null>][] = [];
  /** The table's metatable, when it has one and it matters (cjson's array marker is not one: Redis's cjson has none). */
  metatable: LuaTable | null = null;

  /** The value at a key, by Lua equality (O(n): the libraries read small tables or walk them in order). */
  get(key: Exclude<LuaValue, null>): LuaValue {
    for (const [k, v] of this.entries) if (k === key) return v;
    return null;
  }

  /** Appends a pair (the bridge sets them into the Lua table in this order). */
  set(key: Exclude<LuaValue, null>, value: Exclude<LuaValue, null>): void {
    this.entries.push([key, value]);
  }
}

export class LuaOpaque {
  constructor(
    /** Its kind: 'function', 'thread', 'userdata' or 'lightuserdata' (Lua's type() says 'userdata' for both of the last: lua-aux.ts typeName). */
    readonly type: string,
  ) {}
}

/**
 * An error a TypeScript function raises in Lua (lua_error with this message), as the C
 * libraries' luaL_error would. `where` adds the position of the Lua code that called the
 * function ("user_script:3: "), as luaL_error's luaL_where(L, 1) does.
 */
export class LuaRaisedError extends Error {
  constructor(
    message: string,
    readonly where = true,
  ) {
    super(message);
  }
}

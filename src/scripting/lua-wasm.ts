/**
 * Lua 5.1.5's C API, as the npm package wasmoon-lua5.1 (pinned in package.json) compiles
 * it to WebAssembly, used byte-exactly: the real Lua 5.1 Redis embeds, so a script sees
 * Lua 5.1's numbers, strings, `unpack`, error texts and line numbers.
 *
 * Only the package's WebAssembly binary is used, on a runtime of our own (lua-runtime.ts),
 * never its JavaScript glue or object mapping, which converts strings as UTF-8: Redis
 * values are bytes, and lapse holds them as latin1 strings (one char per byte), so
 * strings cross here as latin1 <-> bytes, never through UTF-8.
 *
 * One LuaWasm per engine: each has its own instance (its own linear memory and function
 * table), so servers in one process share nothing. The instance and the Lua states in it
 * are made and closed synchronously (SCRIPT FLUSH makes a new state in the same instance).
 *
 * Contract of every JavaScript function registered as a lua_CFunction or a hook: it never
 * lets a JavaScript exception escape into the wasm frames (the runtime's invoke_vii
 * rethrows it past Lua's own error handling and would leave the state mid-call). Errors
 * are raised with raise(), which performs Lua's longjmp.
 */
import { LuaOpaque } from './lib/lua-value.js';
import { LuaRuntime } from './lua-runtime.js';

/** The Lua C API and heap of one WebAssembly instance (lua-runtime.ts). */
export type LuaModule = LuaRuntime;

export const LUA_REGISTRYINDEX = -10000;
export const LUA_GLOBALSINDEX = -10002;
export const LUA_MULTRET = -1;
export const T_NONE = -1;
export const T_NIL = 0;
export const T_BOOLEAN = 1;
export const T_LIGHTUSERDATA = 2;
export const T_NUMBER = 3;
export const T_STRING = 4;
export const T_TABLE = 5;
export const T_FUNCTION = 6;
export const T_USERDATA = 7;
export const T_THREAD = 8;
export const LUA_OK = 0;
export const LUA_YIELD = 1;
export const MASK_LINE = 4;
export const MASK_COUNT = 8;
const GC_COLLECT = 2;
/**
 * Offsets in Lua 5.1.5's lua_State on wasm32 (lstate.h: the 6-byte CommonHeader, status,
 * nine pointers, two ints, then the unsigned shorts nCcalls and baseCcalls, the bytes
 * hookmask and allowhook, the ints basehookcount and hookcount, and the hook). Read
 * because Lua 5.1 has no lua_isyieldable; verified by checkLayout() when an instance is
 * created, so another build of the package fails at start-up, never mid-script.
 */
const OFF_NCCALLS = 52;
const OFF_BASECCALLS = 54;
const OFF_HOOKMASK = 56;
const OFF_BASEHOOKCOUNT = 60;
const OFF_HOOK = 68;
const GC_COUNT = 3;
/** Offsets in Lua 5.1.5's Table on wasm32 (see isPlainArray). */
const TABLE_METATABLE = 8;
const TABLE_ARRAY = 12;
const TABLE_NODE = 16;
const TABLE_SIZEARRAY = 28;
const TVALUE_SIZE = 16;
const TVALUE_TT = 8;
/** Strings up to this length are copied into the heap byte by byte in JavaScript. */
const SHORT_STRING = 32;

/** Lua's type() names, by type tag. */
export const TYPE_NAMES: readonly string[] = ['nil', 'boolean', 'userdata', 'number', 'string', 'table', 'function', 'userdata', 'thread'];

/**
 * Creates one instance of the Lua binary (lua-runtime.ts), synchronously. Measured on the
 * shared 2-core machine (noisy): a few ms and about 3.5 MiB of RSS per instance (16 MiB
 * of linear memory reserved, only touched pages count).
 */
export function loadLuaModule(): LuaModule {
  return LuaRuntime.create();
}

/** A Lua state in one Emscripten instance, with byte-exact string helpers. */
export class LuaWasm {
  /** The main state (closed and replaced by reset()). */
  L: number;
  private scratch = 0;
  private scratchSize = 0;
  private readonly lenPtr: number;
  /**
   * The state's NULL lightuserdata as TypeScript sees it (cjson.null): every NULL
   * lightuserdata is the same Lua value, so the bridge maps it to this one object.
   */
  readonly lightNull = new LuaOpaque('lightuserdata');
  /**
   * The library instances of the current state, by the number their functions carry
   * (library-bridge.ts); emptied with the state. Typed loosely: the bridge owns them.
   */
  readonly libraries: unknown[] = [];
  /**
   * The registry reference of the sandbox's table of read-only proxies (proxy -> the
   * table behind it), for the library bridge; 0 until the environment is set up.
   */
  proxyTargets = 0;
  /** NUL-terminated names for lua_getfield/lua_setfield, allocated once per instance. */
  private readonly names = new Map<string, number>();

  /**
   * The most the instance's memory may grow to while `limited` is set: past it malloc
   * fails, and Lua raises "not enough memory" as on a real allocation failure (a
   * WebAssembly memory never shrinks: a runaway script would keep the process large).
   * Outside script runs (setting up the state, KEYS and ARGV) growth is not refused: Lua
   * would panic there. Lua allocates with its own allocator inside the instance
   * (luaL_newstate), so an allocation costs no crossing into JavaScript.
   */
  limit = Infinity;

  constructor(readonly m: LuaModule) {
    this.lenPtr = m._malloc(4);
    this.L = this.newState();
  }

  get limited(): boolean {
    return this.m.heapLimit !== Infinity;
  }

  set limited(on: boolean) {
    this.m.heapLimit = on ? this.limit : Infinity;
  }

  private newState(): number {
    const L = this.m._luaL_newstate();
    if (L === 0) throw new Error('cannot create a Lua state');
    return L;
  }

  /** Closes the state and opens a fresh one in the same instance (SCRIPT FLUSH). */
  reset(): void {
    this.m._lua_close(this.L);
    this.libraries.length = 0;
    this.proxyTargets = 0;
    this.L = this.newState();
  }

  /** The heap as a Buffer: fetched again after any call into Lua (a call can grow the memory, which replaces the views). */
  private bytes(): Buffer {
    return this.m.heap;
  }

  /** A NUL-terminated C string for a constant (ASCII) name. */
  cname(s: string): number {
    let p = this.names.get(s);
    if (p === undefined) {
      p = this.m._malloc(s.length + 1);
      const h = this.bytes();
      h.write(s, p, 'latin1');
      h[p + s.length] = 0;
      this.names.set(s, p);
    }
    return p;
  }

  private reserve(n: number): number {
    if (n > this.scratchSize) {
      const size = Math.max(n, 256, this.scratchSize * 2);
      this.scratch = this.scratch === 0 ? this.m._malloc(size) : this.m._realloc(this.scratch, size);
      if (this.scratch === 0) throw new Error('out of memory in the Lua engine');
      this.scratchSize = size;
    }
    return this.scratch;
  }

  /** Pushes a latin1 string as the Lua string of the same bytes. */
  pushString(L: number, s: string): void {
    const n = s.length;
    const p = this.reserve(n + 1);
    const h = this.bytes();
    // A short string is copied here: cheaper than Buffer's call into C++ (measured: 58 against 75 ns for ~12 bytes).
    if (n <= SHORT_STRING) for (let i = 0; i < n; i++) h[p + i] = s.charCodeAt(i);
    else h.write(s, p, n, 'latin1');
    this.m._lua_pushlstring(L, p, n);
  }

  /** Pushes bytes start..end of buf as a Lua string, without making a JavaScript string of them. */
  pushBytes(L: number, buf: Buffer, start: number, end: number): void {
    const n = end - start;
    const p = this.reserve(n + 1);
    const h = this.bytes();
    if (n <= SHORT_STRING) for (let i = 0; i < n; i++) h[p + i] = buf[start + i]!;
    else buf.copy(h, p, start, end);
    this.m._lua_pushlstring(L, p, n);
  }

  /** Pushes a constant (ASCII) name, from its C string kept for the instance (see cname). */
  pushName(L: number, name: string): void {
    this.m._lua_pushlstring(L, this.cname(name), name.length);
  }

  /** The bytes of the string (or number, converted in place as lua_tolstring does) at idx, as latin1; null for other types. */
  toString(L: number, idx: number): string | null {
    const p = this.m._lua_tolstring(L, idx, this.lenPtr);
    if (p === 0) return null;
    const len = this.m.HEAPU32[this.lenPtr >> 2]!;
    const h = this.m.HEAPU8;
    // Command names and other short strings without Buffer's call into C++ (about half the time for 3 bytes).
    switch (len) {
      case 0: return '';
      case 1: return String.fromCharCode(h[p]!);
      case 2: return String.fromCharCode(h[p]!, h[p + 1]!);
      case 3: return String.fromCharCode(h[p]!, h[p + 1]!, h[p + 2]!);
      case 4: return String.fromCharCode(h[p]!, h[p + 1]!, h[p + 2]!, h[p + 3]!);
      default: return this.bytes().toString('latin1', p, p + len);
    }
  }

  /** luaL_typename: the type name of the value at idx, 'no value' past the top. */
  typeNameAt(L: number, idx: number): string {
    const t = this.m._lua_type(L, idx);
    return t === T_NONE ? 'no value' : TYPE_NAMES[t]!;
  }

  /** Compiles a chunk (latin1 text) and pushes the function, or the error message; returns Lua's status. */
  load(L: number, chunk: string, chunkName: string): number {
    const len = chunk.length;
    const p = this.m._malloc(len + 1);
    if (p === 0) {
      this.pushString(L, 'not enough memory');
      return 4;
    }
    this.bytes().write(chunk, p, 'latin1');
    const status = this.m._luaL_loadbuffer(L, p, len, this.cname(chunkName));
    this.m._free(p);
    return status;
  }

  /** C functions registered so far, by the caller's key (see cfunction). */
  private readonly cfunctions = new Map<string, number>();

  /**
   * A JavaScript function as a lua_CFunction (for lua_pushcclosure), registered once per
   * instance under `key`: a new Lua state (SCRIPT FLUSH) reuses it. Each registration
   * takes a slot of the instance's function table for good, and costs a small
   * WebAssembly module compile, so they are not made again per state.
   */
  cfunction(key: string, fn: (L: number) => number): number {
    let p = this.cfunctions.get(key);
    if (p === undefined) {
      p = this.m.addFunction(fn, 'ii');
      this.cfunctions.set(key, p);
    }
    return p;
  }

  /** Registers a JavaScript function as a lua_Hook. */
  hook(fn: (L: number) => void): number {
    return this.m.addFunction(fn, 'vii');
  }

  /**
   * Whether thread L, inside a hook or a C function called straight from Lua code, may
   * yield: Lua 5.1's own test in lua_yield (nCcalls > baseCcalls means a C boundary, such
   * as lua_pcall, a metamethod, a table.sort comparator or a gsub callback, lies between
   * this point and the thread's resume, and lua_yield would raise "attempt to yield
   * across metamethod/C-call boundary").
   */
  canYield(L: number): boolean {
    const h = this.m.HEAPU8;
    return (h[L + OFF_NCCALLS]! | (h[L + OFF_NCCALLS + 1]! << 8)) === (h[L + OFF_BASECCALLS]! | (h[L + OFF_BASECCALLS + 1]! << 8));
  }

  /**
   * Checks the lua_State offsets canYield() relies on: hook fields set through the API
   * are read back at their offsets (the fields around nCcalls); the engine then checks
   * canYield itself on real calls (script-engine.ts). Throws if this build differs.
   */
  checkLayout(L: number, hookFn: number): void {
    const m = this.m;
    m._lua_sethook(L, hookFn, MASK_COUNT, 12345);
    const ok =
      m.HEAPU8[L + OFF_HOOKMASK] === MASK_COUNT && m.HEAP32[(L + OFF_BASEHOOKCOUNT) >> 2] === 12345 && m.HEAPU32[(L + OFF_HOOK) >> 2] === hookFn;
    m._lua_sethook(L, 0, 0, 0);
    if (!ok) throw new Error('the Lua build differs from Lua 5.1.5 on wasm32 (lua_State layout): scripts cannot run in slices');
  }

  /**
   * Whether the table at address t (lua_topointer) is a plain array of at least n slots:
   * no metatable and no hash part, as lua_createtable(L, n, 0) made it. Read from
   * Lua 5.1.5's Table struct (lobject.h: the 6-byte CommonHeader, flags, lsizenode, then
   * the pointers metatable, array, node, lastfree, gclist, and the int sizearray);
   * checkTableLayout() verifies the offsets when a state is created.
   */
  isPlainArray(t: number, n: number): boolean {
    const h32 = this.m.HEAPU32;
    return h32[(t + TABLE_METATABLE) >> 2] === 0 && h32[(t + TABLE_NODE) >> 2] === this.dummyNode && this.m.HEAP32[(t + TABLE_SIZEARRAY) >> 2]! >= n;
  }

  /** The array slots of the table at address t (see isPlainArray). */
  arraySize(t: number): number {
    return this.m.HEAP32[(t + TABLE_SIZEARRAY) >> 2]!;
  }

  /** Whether array slot i (from 1) of the table at address t holds nil (a TValue is 16 bytes, its type tag at 8). */
  arraySlotIsNil(t: number, i: number): boolean {
    const array = this.m.HEAPU32[(t + TABLE_ARRAY) >> 2]!;
    return this.m.HEAP32[(array + (i - 1) * TVALUE_SIZE + TVALUE_TT) >> 2] === T_NIL;
  }

  /** The address every table without a hash part points its `node` to (Lua's static dummynode). */
  private dummyNode = -1;

  /**
   * Learns the dummy node's address and checks the Table offsets isPlainArray() reads on
   * tables made through the API. Throws if this build differs (arrays are then never
   * reused, which the caller treats as fatal at start-up, never mid-script).
   */
  checkTableLayout(L: number): void {
    const m = this.m;
    const top = m._lua_gettop(L);
    m._lua_createtable(L, 0, 0);
    const empty = m._lua_topointer(L, -1);
    this.dummyNode = this.m.HEAPU32[(empty + TABLE_NODE) >> 2]!;
    m._lua_createtable(L, 3, 0);
    const array = m._lua_topointer(L, -1);
    m._lua_pushboolean(L, 1);
    m._lua_rawseti(L, -2, 2);
    const plain = this.isPlainArray(array, 3) && !this.isPlainArray(array, 4) && this.arraySize(array) === 3 &&
      this.arraySlotIsNil(array, 1) && !this.arraySlotIsNil(array, 2) && this.arraySlotIsNil(array, 3);
    m._lua_createtable(L, 0, 2);
    const hashed = !this.isPlainArray(m._lua_topointer(L, -1), 0);
    m._lua_pushvalue(L, -3);
    m._lua_setmetatable(L, -3);
    const withMeta = !this.isPlainArray(array, 3) && this.m.HEAPU32[(array + TABLE_METATABLE) >> 2] === empty;
    m._lua_settop(L, top);
    if (!plain || !hashed || !withMeta) throw new Error('the Lua build differs from Lua 5.1.5 on wasm32 (Table layout)');
  }

  /** Raises the value on top of the stack as a Lua error: does not return (Lua's longjmp). */
  raise(L: number): number {
    return this.m._lua_error(L);
  }

  /**
   * Raises `message` with the position of the Lua code that called the running C
   * function, as luaL_error does ("user_script:3: message").
   */
  /**
   * Raises luaL_argerror's error for argument narg of the running C function: Lua names
   * the function from its call site ("bad argument #1 to 'decode' (...)", '?' through
   * pcall, "calling 'f' on bad self" for a method call). Never returns.
   */
  argError(L: number, narg: number, extra: string): number {
    const p = this.reserve(extra.length + 1);
    const h = this.bytes();
    if (extra.length > 0) h.write(extra, p, 'latin1');
    h[p + extra.length] = 0;
    return this.m._luaL_argerror(L, narg, p);
  }

  raiseWhere(L: number, message: string): number {
    this.m._luaL_where(L, 1);
    this.pushString(L, message);
    this.m._lua_concat(L, 2);
    return this.m._lua_error(L);
  }

  /** Sets t[name] = value on top of the stack (pops it), t at idx. */
  setField(L: number, idx: number, name: string): void {
    this.m._lua_setfield(L, idx, this.cname(name));
  }

  getField(L: number, idx: number, name: string): void {
    this.m._lua_getfield(L, idx, this.cname(name));
  }

  /** Memory the Lua state holds, in bytes as Redis reports it (LUA_GCCOUNT, in KiB, times 1024). */
  memoryBytes(): number {
    return this.m._lua_gc(this.L, GC_COUNT, 0) * 1024;
  }

  /** A full collection. */
  gcCollect(): void {
    this.m._lua_gc(this.L, GC_COLLECT, 0);
  }
}
